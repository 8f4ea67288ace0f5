"""Model code written for PyTorch (small versions of pytorch/examples and nanoGPT), run on ember by changing
the library only: every model below is written once against ``lib`` (``torch`` or ``ember``), starts from
the same weights, and must give PyTorch's losses step by step (float64, so the comparison is tight).
This is the issue's acceptance check ("change the import"), on what those scripts actually call:
module-level flatten, Tensor.data updates, view_as, randn_like, the *_like / new_* families, tril masks,
topk + multinomial sampling, recurrent and transposed-conv layers, the optimizers and schedulers."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def same_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def run_both(make, train, steps=3):
    """make(lib) -> model (float64); train(lib, model, step) -> loss. Returns (ember losses, torch losses)."""
    torch.manual_seed(0)
    theirs = make(torch).double()
    ours = make(ember).double()
    same_weights(ours, theirs)
    out = {}
    for lib, model in ((ember, ours), (torch, theirs)):
        state = {}
        out[lib.__name__] = [float(train(lib, model, i, state)) for i in range(steps)]
    np.testing.assert_allclose(out["ember"], out["torch"], rtol=1e-9, atol=1e-12)
    return out


def data(shape, seed=0, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "unit":
        return rng.random(shape)
    return rng.integers(0, kind, shape)


# --- pytorch/examples mnist: Conv2d, dropout off, flatten, log_softmax, nll_loss, Adadelta + StepLR ---

def mnist_net(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.fc1 = nn.Linear(8 * 2 * 2, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = lib.flatten(x, 1)
            return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)

    return Net()


def test_mnist_example():
    x, y = data((6, 1, 8, 8)), data(6, kind=10)

    def train(lib, model, i, state):
        if not state:
            state["opt"] = lib.optim.Adadelta(model.parameters(), lr=1.0)
            state["sched"] = lib.optim.lr_scheduler.StepLR(state["opt"], step_size=1, gamma=0.7)
        opt = state["opt"]
        opt.zero_grad()
        output = model(lib.tensor(x, dtype=lib.float64))
        loss = lib.nn.functional.nll_loss(output, lib.tensor(y))
        loss.backward()
        opt.step()
        state["sched"].step()
        pred = output.argmax(dim=1, keepdim=True)
        assert 0 <= pred.eq(lib.tensor(y).view_as(pred)).sum().item() <= 6
        return loss.item()

    run_both(mnist_net, train)


# --- pytorch/examples vae: randn_like, exp, binary_cross_entropy(reduction="sum"), Adam ---

def vae(lib):
    nn, F = lib.nn, lib.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(16, 8), nn.Linear(8, 2), nn.Linear(8, 2)
            self.fc3, self.fc4 = nn.Linear(2, 8), nn.Linear(8, 16)

        def forward(self, x, eps):
            h1 = F.relu(self.fc1(x.view(-1, 16)))
            mu, logvar = self.fc21(h1), self.fc22(h1)
            std = lib.exp(0.5 * logvar)
            assert lib.randn_like(std).shape == std.shape
            z = mu + eps * std
            return lib.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    return VAE()


def test_vae_example():
    x, eps = data((5, 4, 4), kind="unit"), data((5, 2), 1)

    def train(lib, model, i, state):
        opt = state.setdefault("opt", lib.optim.Adam(model.parameters(), lr=1e-3))
        xb = lib.tensor(x, dtype=lib.float64)
        recon, mu, logvar = model(xb, lib.tensor(eps, dtype=lib.float64))
        bce = lib.nn.functional.binary_cross_entropy(recon, xb.view(-1, 16), reduction="sum")
        kld = -0.5 * lib.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = bce + kld
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    run_both(vae, train)


# --- pytorch/examples regression: polynomial features, smooth_l1_loss, manual SGD on .data ---

def test_polynomial_regression_example():
    def make(lib):
        return lib.nn.Linear(4, 1)

    x = data(8)

    def train(lib, model, i, state):
        xs = lib.tensor(x, dtype=lib.float64).unsqueeze(1)
        features = lib.cat([xs ** k for k in range(1, 5)], 1)
        target = features @ lib.tensor([[0.5], [-1.0], [0.3], [0.2]], dtype=lib.float64) + 0.7
        model.zero_grad()
        loss = lib.nn.functional.smooth_l1_loss(model(features), target)
        loss.backward()
        for param in model.parameters():
            param.data.add_(-0.1 * param.grad)
        assert "{:.2f}".format(loss) == f"{loss.item():.2f}"
        return loss.item()

    run_both(make, train)


# --- pytorch/examples super_resolution: PixelShuffle, orthogonal_ init, MSE ---

def super_resolution(lib):
    nn, init = lib.nn, lib.nn.init

    class Net(nn.Module):
        def __init__(self, upscale_factor=2):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(8, 4, (3, 3), (1, 1), (1, 1))
            self.conv3 = nn.Conv2d(4, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv3.weight)

        def forward(self, x):
            x = self.relu(self.conv1(x))
            return self.pixel_shuffle(self.conv3(self.relu(self.conv2(x))))

    return Net()


def test_super_resolution_example():
    x, y = data((2, 1, 6, 6)), data((2, 1, 12, 12), 1)

    def train(lib, model, i, state):
        opt = state.setdefault("opt", lib.optim.Adam(model.parameters(), lr=0.01))
        opt.zero_grad()
        loss = lib.nn.MSELoss()(model(lib.tensor(x, dtype=lib.float64)), lib.tensor(y, dtype=lib.float64))
        loss.backward()
        opt.step()
        return loss.item()

    run_both(super_resolution, train)


# --- pytorch/examples mnist_forward_forward: norm, range indexing, goodness, per-layer Adam ---

def test_forward_forward_example():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(12, 8), lib.nn.Linear(8, 6))

    x, y = data((5, 12)), data(5, kind=3)

    def overlay(lib, xb, labels):
        x_ = xb.clone()
        x_[:, :3] *= 0.0
        x_[range(xb.shape[0]), labels] = xb.max()
        return x_

    def train(lib, model, i, state):
        opt = state.setdefault("opt", lib.optim.Adam(model.parameters(), lr=0.03))
        xb = lib.tensor(x, dtype=lib.float64)
        pos = overlay(lib, xb, lib.tensor(y))
        neg = overlay(lib, xb, lib.tensor((y + 1) % 3))
        total = 0.0
        for layer in model:
            def fwd(h):
                h = h / (h.norm(2, 1, keepdim=True) + 1e-4)
                return lib.relu(layer(h))
            g_pos, g_neg = fwd(pos).pow(2).mean(1), fwd(neg).pow(2).mean(1)
            loss = lib.log(1 + lib.exp(lib.cat([-g_pos + 2.0, g_neg - 2.0]))).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            pos, neg = fwd(pos).detach(), fwd(neg).detach()
            total += loss.item()
        return total

    run_both(make, train)


# --- pytorch/examples dcgan (small): ConvTranspose2d + BatchNorm2d, BCELoss, weights_init via apply ---

def dcgan(lib):
    nn = lib.nn
    netG = nn.Sequential(nn.ConvTranspose2d(4, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
                         nn.ConvTranspose2d(8, 3, 4, 2, 1, bias=False), nn.Tanh())
    netD = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                         nn.Conv2d(8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    netG.apply(weights_init)
    netD.apply(weights_init)
    return nn.ModuleDict({"G": netG, "D": netD})


def test_dcgan_example():
    real, noise = np.tanh(data((3, 3, 8, 8))), data((3, 4, 1, 1), 1)

    def train(lib, model, i, state):
        netG, netD = model["G"], model["D"]
        if not state:
            state["d"] = lib.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
            state["g"] = lib.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        criterion = lib.nn.BCELoss()
        label = lib.full((3,), 1.0, dtype=lib.float64)
        netD.zero_grad()
        err_real = criterion(netD(lib.tensor(real, dtype=lib.float64)).view(-1), label)
        err_real.backward()
        fake = netG(lib.tensor(noise, dtype=lib.float64))
        label.fill_(0.0)
        err_fake = criterion(netD(fake.detach()).view(-1), label)
        err_fake.backward()
        state["d"].step()
        netG.zero_grad()
        label.fill_(1.0)
        err_g = criterion(netD(fake).view(-1), label)
        err_g.backward()
        state["g"].step()
        return (err_real + err_fake + err_g).item()

    run_both(dcgan, train)


# --- pytorch/examples word_language_model: LSTM/GRU/RNN_TANH and the Transformer variant ---

def rnn_model(lib, rnn_type):
    nn, F = lib.nn, lib.nn.functional

    class RNNModel(nn.Module):
        def __init__(self, ntoken=20, ninp=8, nhid=8, nlayers=2):
            super().__init__()
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ("LSTM", "GRU"):
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=0.0)
            else:
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity="tanh", dropout=0.0)
            self.decoder = nn.Linear(nhid, ntoken)
            self.nhid, self.nlayers, self.ntoken = nhid, nlayers, ntoken
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, x, hidden):
            output, hidden = self.rnn(self.encoder(x), hidden)
            return F.log_softmax(self.decoder(output).view(-1, self.ntoken), dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if rnn_type == "LSTM":
                return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    return RNNModel()


def transformer_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, max_len=50):
            super().__init__()
            pe = lib.zeros(max_len, d_model)
            position = lib.arange(0, max_len, dtype=lib.float).unsqueeze(1)
            div_term = lib.exp(lib.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = lib.sin(position * div_term)
            pe[:, 1::2] = lib.cos(position * div_term)
            self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

        def forward(self, x):
            return x + self.pe[:x.size(0), :]

    class TransformerModel(nn.Transformer):
        def __init__(self, ntoken=20, ninp=8, nhead=2, nhid=16, nlayers=2):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers,
                             dropout=0.0)
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            nn.init.uniform_(self.input_emb.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

        def _generate_square_subsequent_mask(self, sz):
            return lib.log(lib.tril(lib.ones(sz, sz)))

        def forward(self, src):
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = self._generate_square_subsequent_mask(len(src)).double()
            src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
            output = self.encoder(src, mask=self.src_mask)
            return F.log_softmax(self.decoder(output), dim=-1)

    return TransformerModel()


@pytest.mark.parametrize("model_type", ["LSTM", "GRU", "RNN_TANH", "Transformer"])
def test_word_language_model_example(model_type):
    tokens = data((7, 3), kind=20)
    targets = data(21, 1, kind=20)

    def make(lib):
        return transformer_model(lib) if model_type == "Transformer" else rnn_model(lib, model_type)

    def repackage(h):
        return h.detach() if not isinstance(h, tuple) else tuple(repackage(v) for v in h)

    def train(lib, model, i, state):
        model.train()
        x, y = lib.tensor(tokens), lib.tensor(targets)
        model.zero_grad()
        if model_type == "Transformer":
            output = model(x).view(-1, 20)
        else:
            hidden = repackage(state.get("hidden", model.init_hidden(3)))
            output, state["hidden"] = model(x, hidden)
        loss = lib.nn.NLLLoss()(output, y)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-5.0)
        return loss.item()

    run_both(make, train)

    # generate.py: sample words from the softmax of the last output
    ember.manual_seed(0)
    model = make(ember).double().eval()
    with ember.no_grad():
        word_input = ember.randint(20, (1, 1), dtype=ember.long)
        hidden = None if model_type == "Transformer" else model.init_hidden(1)
        for _ in range(4):
            if model_type == "Transformer":
                output = model(word_input)
                word_weights = output[-1].squeeze().div(1.0).exp().cpu()
            else:
                output, hidden = model(word_input, hidden)
                word_weights = output.squeeze().div(1.0).exp().cpu()
            word_idx = ember.multinomial(word_weights, 1)[0]
            assert 0 <= word_idx.item() < 20
            if model_type == "Transformer":
                word_input = ember.cat([word_input, ember.ones_like(word_input[0:1]).fill_(word_idx)], 0)
            else:
                word_input.fill_(word_idx)


# --- nanoGPT-style decoder: tril-masked attention, cross_entropy(ignore_index), AdamW groups, sampling ---

def gpt(lib, block_size=6, vocab=11, n_embd=8, n_head=2):
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.register_buffer("bias", lib.tril(lib.ones(block_size, block_size)).view(1, 1, block_size, block_size))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            y = F.softmax(att, dim=-1) @ v
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = nn.LayerNorm(n_embd), CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(n_embd, 4 * n_embd), c_proj=nn.Linear(4 * n_embd, n_embd)))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(wte=nn.Embedding(vocab, n_embd), wpe=nn.Embedding(block_size, n_embd),
                                                  h=nn.ModuleList([Block() for _ in range(2)]),
                                                  ln_f=nn.LayerNorm(n_embd)))
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                lib.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    lib.nn.init.zeros_(module.bias)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = lib.arange(0, t, dtype=lib.long)
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is None:
                return self.lm_head(x[:, [-1], :]), None
            logits = self.lm_head(x)
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)

        @lib.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = lib.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx = lib.cat((idx, lib.multinomial(probs, num_samples=1)), dim=1)
            return idx

    return GPT()


def test_gpt_example_trains_and_samples():
    idx, targets = data((2, 6), kind=11), data((2, 6), 1, kind=11)
    targets[0, 0] = -1  # ignore_index

    def train(lib, model, i, state):
        if not state:
            decay = [p for p in model.parameters() if p.dim() >= 2]
            no_decay = [p for p in model.parameters() if p.dim() < 2]
            groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
            state["opt"] = lib.optim.AdamW(groups, lr=1e-2, betas=(0.9, 0.95), fused=False)
        _, loss = model(lib.tensor(idx), lib.tensor(targets))
        state["opt"].zero_grad(set_to_none=True)
        loss.backward()
        state["opt"].step()
        return loss.item()

    run_both(gpt, train)
    ember.manual_seed(0)
    model = gpt(ember).eval()
    out = model.generate(ember.zeros((2, 1), dtype=ember.long), 8, temperature=0.8, top_k=3)
    assert out.shape == (2, 9) and int(out.max()) < 11 and int(out.min()) >= 0


# --- the PyTorch spatial transformer tutorial: a localisation net, affine_grid + grid_sample, dropout off ---

def spatial_transformer_net(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=5)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=5)
            self.fc1 = nn.Linear(8 * 4 * 4, 16)
            self.fc2 = nn.Linear(16, 10)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 4, kernel_size=7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                nn.Conv2d(4, 6, kernel_size=5), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(6 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(lib.tensor([1, 0, 0, 0, 1, 0], dtype=lib.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 6 * 3 * 3)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size(), align_corners=False)
            return F.grid_sample(x, grid, align_corners=False)

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2(x), 2))
            x = x.view(-1, 8 * 4 * 4)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def test_spatial_transformer_example():
    x, y = data((3, 1, 28, 28)), data(3, 1, 10)

    def train(lib, model, i, state):
        opt = state.setdefault("opt", lib.optim.SGD(model.parameters(), lr=0.05))
        opt.zero_grad()
        loss = lib.nn.functional.nll_loss(model(lib.tensor(x, dtype=lib.float64)), lib.tensor(y))
        loss.backward()
        opt.step()
        return loss.item()

    run_both(spatial_transformer_net, train, steps=4)
