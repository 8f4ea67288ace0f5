"""Every built-in layer exports: the traced graph (run by the reference interpreter) and the C++ runtime
(through ember.deploy.load) give the Python model's outputs at a batch size other than the example's."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn
from _deploy_models import interpret


class _Seq(nn.Module):
    """Wraps layers so that integer inputs (embedding) and tuple outputs (attention) fit one pattern."""

    def __init__(self, *layers, pick=None):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.pick = pick

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
            if self.pick is not None:
                x = x[self.pick]
        return x


class _SelfAttention(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, **kw)

    def forward(self, x):
        return self.attn(x, x, x)[0]


class _Ops(nn.Module):
    """fn(x) as a module: the elementwise ops of the format, in a case of their own."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _unary_ops(x):
    return ember.cat([x.relu(), x.sigmoid(), x.tanh(), ember.silu(x), x.exp(), (x.abs() + 1).log(), x.abs().sqrt(),
                      x.abs(), -x, x ** 2, x.abs() ** 1.5, (x.abs() + 0.5).rsqrt()], -1)


def _math_ops(x):
    t = x.tanh() * 0.9  # in (-1, 1) for asin, acos, atanh
    return ember.cat([x.erf(), (x * 3).floor(), (x * 3).ceil(), ember.round(x * 3), x.sign(), (x.abs() + 1).reciprocal(),
                      t.tan(), t.asin(), ember.acos(t), x.atan(), x.sinh(), x.cosh(), x.asinh(), (x.abs() + 1).acosh(),
                      t.atanh()], -1)


def _binary_ops(x):
    return ember.cat([(x + 1) * 2 - x / 3, 1 - x, 2 / (x.abs() + 1), x * x[:, :1], x[:, 1:2] - x], -1)


class _CrossAttention(nn.Module):
    """Attention whose key is not the query (the packed weight in three), causal, then with an additive mask
    and the averaged weights as an output path: one multi_head_attention node and one for the weights."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.register_buffer("mask", ember.randn(6, 6))

    def forward(self, x):
        k = x * 0.5
        h = self.attn(x, k, k, is_causal=True, need_weights=False)[0]
        out, w = self.attn(h, x, x, attn_mask=self.mask)
        return out + w.matmul(x)


class _MaskedAttention(nn.Module):
    """Self-attention with a bool attn_mask, a bool key_padding_mask computed from the input and the per-head
    weights (need_weights, average_attn_weights=False) on an output path. Key 0 is never masked out."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        hidden = np.random.default_rng(3).random((6, 6)) > 0.6
        hidden[:, 0] = False
        self.register_buffer("mask", ember.from_numpy(hidden))

    def forward(self, x):
        padding = ember.cat([x[:, :1, 0] * 0, x[:, 1:, 0].relu()], 1).bool()
        out, w = self.attn(x, x, x, key_padding_mask=padding, attn_mask=self.mask, average_attn_weights=False)
        return out + w.sum(1).matmul(x)


class _SeparateProjections(nn.Module):
    """kdim/vdim other than embed_dim (separate q/k/v projection weights), a float key_padding_mask computed
    from the input, is_causal, and the output without the weights (need_weights=False)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, kdim=8, vdim=12, bias=False, batch_first=True)

    def forward(self, x):
        key, value, padding = x[:, :, :8], x[:, :, 4:], x[:, :, 0] * 0.5
        causal = self.attn(x, key, value, key_padding_mask=padding, is_causal=True, need_weights=False)[0]
        return causal + self.attn(x, key, value, key_padding_mask=padding)[1].matmul(x)


class _Sdpa(nn.Module):
    """The functional scaled_dot_product_attention on 4-d inputs: a bool mask (True takes part) with a scale,
    a float mask, is_causal."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(4)
        takes_part = rng.random((6, 6)) > 0.5
        takes_part[:, 0] = True
        self.register_buffer("mask", ember.from_numpy(takes_part))
        self.register_buffer("bias", ember.from_numpy(rng.standard_normal((6, 6)).astype(np.float32)))

    def forward(self, x):
        sdpa = nn.functional.scaled_dot_product_attention
        k, v = x * 0.5, x + 1
        return sdpa(x, k, v, attn_mask=self.mask, scale=0.3) + sdpa(x, k, v, attn_mask=self.bias) + \
            sdpa(x, k, v, is_causal=True)


class _CausalEncoder(nn.Module):
    """A GPT-style stack: TransformerEncoder with a causal mask made in forward (a constant of the graph)."""

    def __init__(self) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(16))

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.encoder(x, mask=mask, is_causal=True)


class _EncoderDecoder(nn.Module):
    """nn.Transformer reading its input as source and (the first 4 steps) as target."""

    def __init__(self) -> None:
        super().__init__()
        self.model = nn.Transformer(16, 4, 1, 1, 32, batch_first=True)

    def forward(self, x):
        tgt = x[:, :4]
        return self.model(x, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))


class _Each(nn.Module):
    """Each layer on the input, concatenated along the last dim: the layers side by side, not in a chain."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        return ember.cat([layer(x * 2) for layer in self.layers], -1)


def _activations_issue21():
    return _Each(nn.ELU(0.7), nn.SELU(), nn.CELU(1.3), nn.Softplus(), nn.Softplus(beta=2.0, threshold=3.0), nn.Mish(),
                 nn.Hardswish(), nn.Hardsigmoid(), nn.Hardtanh(-0.5, 1.5), nn.ReLU6(), nn.PReLU(), nn.PReLU(8, 0.1),
                 nn.LogSigmoid(), nn.Softsign(), nn.Tanhshrink(), nn.Softshrink(0.3), nn.Hardshrink(0.4),
                 nn.Threshold(0.1, -2.0), nn.GLU())


def _norms_issue21():
    tracked = nn.InstanceNorm2d(6, affine=True, track_running_stats=True)
    model = nn.Sequential(nn.GroupNorm(3, 6), nn.GroupNorm(2, 6, affine=False), nn.InstanceNorm2d(6, affine=True),
                          nn.InstanceNorm2d(6), tracked, nn.RMSNorm([5, 4], eps=1e-4), nn.RMSNorm(4),
                          nn.RMSNorm(4, elementwise_affine=False))
    with ember.no_grad():  # weights, biases and running statistics other than their defaults
        for p in model.parameters():
            p.copy_(ember.rand(*p.shape) + 0.5)
        tracked.running_mean.copy_(ember.randn(6) * 0.1)
        tracked.running_var.copy_(ember.rand(6) + 0.5)
    return model


# One case per layer or op family: each runs in the traced graph, the C++ runtime and (test_onnx.py) onnxruntime.
CASES = {
    "unary_ops": (lambda: _Ops(_unary_ops), (3, 5)),
    "binary_ops": (lambda: _Ops(_binary_ops), (3, 5)),
    "math_ops": (lambda: _Ops(_math_ops), (3, 5)),
    "linear": (lambda: nn.Sequential(nn.Linear(12, 7), nn.Linear(7, 5, bias=False)), (3, 12)),
    "linear_3d": (lambda: nn.Linear(12, 7), (3, 4, 12)),
    "conv_stride_dilation": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=2, dilation=2), nn.ReLU()),
                             (2, 3, 11, 9)),
    "conv_groups_same": (lambda: nn.Sequential(nn.Conv2d(4, 8, (3, 2), padding="same", groups=2), nn.SiLU()),
                         (2, 4, 7, 7)),
    "conv_1x1_no_bias": (lambda: nn.Conv2d(2, 3, 1, bias=False), (2, 2, 5, 5)),
    "pools": (lambda: nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                                    nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
                                    nn.AdaptiveAvgPool2d((2, 3))), (2, 3, 9, 8)),
    "maxpool_dilation": (lambda: nn.MaxPool2d(2, dilation=2), (2, 2, 8, 8)),
    "batchnorm1d": (lambda: nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Tanh()), (4, 6)),
    "batchnorm2d_conv_relu": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()),
                              (2, 3, 6, 6)),
    "layernorm": (lambda: nn.Sequential(nn.LayerNorm([4, 5]), nn.LayerNorm(5, elementwise_affine=False)),
                  (3, 4, 5)),
    "activations": (lambda: nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU("tanh"),
                                          nn.LeakyReLU(0.2), nn.Sigmoid(), nn.Softmax(-1), nn.LogSoftmax(1)), (5, 8)),
    "dropout_flatten_identity": (lambda: nn.Sequential(nn.Dropout(0.5), nn.Flatten(), nn.Identity(),
                                                       nn.Linear(12, 2)), (3, 3, 4)),
    "embedding": (lambda: nn.Sequential(nn.Embedding(10, 6), nn.Flatten(), nn.Linear(24, 3)), None),
    "attention": (lambda: _SelfAttention(batch_first=True), (2, 6, 16)),
    "attention_seq_first": (lambda: _SelfAttention(), (6, 2, 16)),
    "attention_cross_masked": (lambda: _CrossAttention(), (2, 6, 16)),
    "attention_bool_masks_head_weights": (lambda: _MaskedAttention(), (2, 6, 16)),
    "attention_separate_projections": (lambda: _SeparateProjections(), (2, 6, 16)),
    "attention_unbatched": (lambda: _SelfAttention(), (6, 16)),
    "scaled_dot_product_attention": (lambda: _Sdpa(), (2, 3, 6, 8)),
    "transformer_encoder_causal": (lambda: _CausalEncoder(), (2, 6, 16)),
    "transformer_encoder_decoder": (lambda: _EncoderDecoder(), (2, 6, 16)),
    # transposed convolution, pixel shuffle, nearest upsampling (issue 21)
    "conv_transpose": (lambda: nn.Sequential(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                                                groups=2), nn.ReLU(),
                                             nn.ConvTranspose2d(6, 3, 3, dilation=2, bias=False)), (2, 4, 5, 4)),
    "pixel_shuffle_upsample": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.PixelShuffle(2),
                                                     nn.Upsample(scale_factor=2), nn.Upsample(size=(13, 17))),
                               (2, 3, 4, 5)),
    # the activations and normalizations of issue 21, with options other than their defaults
    "activations_issue21": (_activations_issue21, (3, 8)),
    "norms_issue21": (_norms_issue21, (2, 6, 5, 4)),
}


def _model_and_inputs(name, batch):
    make, shape = CASES[name]
    ember.manual_seed(0)
    model = make()
    model.train()
    with ember.no_grad():  # batch-norm statistics that are not the identity
        if name.startswith("batchnorm"):
            for _ in range(3):
                model(ember.randn(*(8,) + shape[1:]) * 2 + 1)
    model.eval()
    if shape is None:
        return model, ember.randint(0, 10, (batch, 4))
    if name == "attention_seq_first":
        return model, ember.randn(shape[0], batch, shape[2])
    return model, ember.randn(batch, *shape[1:])


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_exports_and_runs(name, tmp_path):
    model, example = _model_and_inputs(name, 3)
    _, x = _model_and_inputs(name, 5)
    with ember.no_grad():
        want = model(x).numpy()
    if name == "attention_seq_first":  # the batch is dim 1 there: the graph is traced for a fixed batch
        graph = ember.deploy.export(model, example, tmp_path / "m.ember", dynamic_batch=False)
        x, want = example, model(example).detach().numpy()
    else:
        graph = ember.deploy.export(model, example, tmp_path / "m.ember")
    (got,) = interpret(graph, x)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    deployed = ember.deploy.load(tmp_path / "m.ember")
    np.testing.assert_allclose(deployed(x).numpy(), want, rtol=1e-5, atol=1e-5)
