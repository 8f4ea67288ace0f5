"""PyTorch spellings that training scripts written for torch use, each checked against torch where it is installed:
size= and pin_memory= on the creation functions, the legacy constructors (Tensor(2, 3), FloatTensor, LongTensor),
as_tensor, ember.float16 (a name without tensors), set_printoptions, the in-place random fills, GradScaler and
torch.cuda.amp's spellings, nn.EmbeddingBag / F.embedding_bag and F.gumbel_softmax."""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn import functional as F

try:
    import torch
except ImportError:  # the comparisons with torch are skipped; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


# --- creation ---

@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword_and_pin_memory(name):
    fn = getattr(ember, name)
    assert tuple(fn(size=(2, 3)).shape) == (2, 3)
    assert tuple(fn(size=[4]).shape) == (4,)
    assert tuple(fn(2, 3, pin_memory=False).shape) == (2, 3)
    assert tuple(fn((2,), pin_memory=True).shape) == (2,)
    with pytest.raises(TypeError, match=r"\[" + name + r"\] got the size both positionally"):
        fn(2, size=(2,))


def test_legacy_constructors():
    t = ember.Tensor(2, 3)
    assert t.dtype == ember.float32 and tuple(t.shape) == (2, 3)
    assert tuple(ember.Tensor(ember.Size([4, 1])).shape) == (4, 1)
    assert ember.Tensor([[1, 2]]).tolist() == [[1.0, 2.0]] and ember.Tensor([1]).dtype == ember.float32
    assert tuple(ember.Tensor().shape) == (0,)
    p = nn.Parameter(ember.Tensor(3, 2))  # the old way of declaring a weight
    assert isinstance(p, nn.Parameter) and tuple(p.shape) == (3, 2)
    x = ember.LongTensor([1, 2, 3])
    assert x.dtype == ember.int64 and x.tolist() == [1, 2, 3]
    assert ember.FloatTensor(np.array([1.5])).dtype == ember.float32
    assert tuple(ember.DoubleTensor(2, 2).shape) == (2, 2) and ember.DoubleTensor(1).dtype == ember.float64
    assert isinstance(ember.zeros(2), ember.FloatTensor) and not isinstance(ember.zeros(2), ember.LongTensor)
    assert ember.BoolTensor([True, False]).dtype == ember.bool
    assert ember.ByteTensor([1]).dtype == ember.uint8


def test_as_tensor_shares_what_it_can():
    a = np.arange(3.0)
    t = ember.as_tensor(a)
    a[0] = 7.0
    assert t.tolist() == [7.0, 1.0, 2.0]  # shares the array's memory, as torch.as_tensor
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    assert ember.as_tensor(x, dtype=ember.float64).dtype == ember.float64
    assert ember.as_tensor([1, 2]).dtype == ember.int64
    assert ember.as_tensor(np.array([True])).dtype == ember.bool


def test_float16_is_a_name_without_tensors():
    table = {"float32": ember.float32, "bfloat16": ember.bfloat16, "float16": ember.float16}  # as nanoGPT writes
    assert table["float16"] is ember.half and repr(ember.float16) == "ember.float16"
    assert ember.float16.is_floating_point and ember.float16.itemsize == 2 and ember.float16 != ember.bfloat16
    assert pickle.loads(pickle.dumps(ember.float16)) is ember.float16
    for make in (lambda: ember.zeros(2, dtype=ember.float16), lambda: ember.ones(2).to(ember.float16),
                 lambda: ember.tensor([1.0], dtype=ember.half)):
        with pytest.raises(TypeError, match=r"\[dtype\] ember has no float16 tensors: use ember.bfloat16"):
            make()


def test_set_printoptions():
    x = ember.tensor([1.0 / 3, 2.0])
    try:
        ember.set_printoptions(precision=2)
        assert repr(x) == "tensor([0.33, 2.00])"
        ember.set_printoptions(threshold=4, edgeitems=1)
        assert repr(ember.arange(10)) == "tensor([0, ..., 9])"
        ember.set_printoptions(profile="full")
        assert "..." not in repr(ember.arange(2000))
        ember.set_printoptions(sci_mode=True, precision=3)
        assert "e-01" in repr(x)
        with pytest.raises(ValueError, match="profile must be"):
            ember.set_printoptions(profile="long")
    finally:
        ember.set_printoptions(profile="default")
    assert repr(x) == "tensor([0.3333, 2.0000])"


# --- in-place random fills ---

def test_random_fills_follow_their_distributions():
    ember.manual_seed(0)
    n = 40000
    e = ember.empty(n, dtype=ember.float64).exponential_(2.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.02
    g = ember.empty(n).geometric_(0.25).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g)) and abs(g.mean() - 4.0) < 0.1
    c = ember.empty(n, dtype=ember.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.1 and abs(np.percentile(c, 75) - 3.0) < 0.15
    ln = ember.empty(n, dtype=ember.float64).log_normal_(0.5, 0.25).numpy()
    assert abs(np.log(ln).mean() - 0.5) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    r = ember.empty(n, dtype=ember.int64).random_(3, 7).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    assert set(np.unique(ember.zeros(1000).random_(5).numpy())) == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert ember.zeros(1000, dtype=ember.uint8).random_().numpy().max() > 200
    ember.manual_seed(3)
    a = ember.empty(5).exponential_()
    ember.manual_seed(3)
    assert ember.equal(a, ember.empty(5).exponential_())  # repeatable with the seed


def test_random_fill_errors():
    with pytest.raises(TypeError, match=r"\[exponential_\] expected a floating tensor"):
        ember.zeros(2, dtype=ember.int64).exponential_()
    with pytest.raises(ValueError, match=r"\[exponential_\] lambd must be positive"):
        ember.zeros(2).exponential_(0.0)
    with pytest.raises(ValueError, match=r"\[geometric_\] p must be in"):
        ember.zeros(2).geometric_(1.5)
    with pytest.raises(ValueError, match=r"\[random_\] expects low < high"):
        ember.zeros(2).random_(3, 3)


# --- GradScaler ---

def _model_and_opt():
    ember.manual_seed(0)
    m = nn.Linear(3, 1)
    return m, ember.optim.SGD(m.parameters(), lr=0.1)


def test_grad_scaler_scales_unscales_and_steps_like_plain_training():
    m, opt = _model_and_opt()
    ref, ref_opt = _model_and_opt()
    x = ember.randn(4, 3)
    scaler = ember.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    for _ in range(2):
        opt.zero_grad()
        scaler.scale(m(x).pow(2).mean()).backward()
        assert m.weight.grad.abs().sum().item() > 100  # scaled gradients
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(m.parameters(), 100.0)
        scaler.step(opt)
        scaler.update()
        ref_opt.zero_grad()
        ref(x).pow(2).mean().backward()
        ref_opt.step()
    np.testing.assert_allclose(m.weight.detach().numpy(), ref.weight.detach().numpy(), rtol=1e-5)
    assert scaler.get_scale() == 2048.0  # grown after growth_interval clean steps
    assert scaler.state_dict()["scale"] == 2048.0


def test_grad_scaler_skips_a_step_with_inf_gradients_and_backs_off():
    m, opt = _model_and_opt()
    before = m.weight.detach().numpy().copy()
    scaler = ember.amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale(m(ember.full((1, 3), float("inf"))).sum()).backward()
    assert scaler.step(opt) is None
    scaler.update()
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)
    assert scaler.get_scale() == 4.0
    with pytest.raises(RuntimeError, match="no inf checks were recorded"):
        scaler.update()
    scaler.scale(m(ember.ones(1, 3)).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    restored = ember.amp.GradScaler("cpu")
    restored.load_state_dict(scaler.state_dict())
    assert restored.get_scale() == 4.0


def test_grad_scaler_disabled_and_cuda_spellings_pass_through():
    m, opt = _model_and_opt()
    loss = m(ember.ones(1, 3)).sum()
    off = ember.amp.GradScaler(enabled=False)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            legacy = ember.cuda.amp.GradScaler()
        assert not legacy.is_enabled()
    from ember.cuda.amp import GradScaler, autocast  # torch.cuda.amp's import spelling
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GradScaler(enabled=False)
        with autocast(enabled=False):
            pass
    with pytest.raises(ValueError, match="growth_factor must be > 1"):
        ember.amp.GradScaler("cpu", growth_factor=1.0)


# --- EmbeddingBag and F.embedding_bag ---

BAG_CASES = [
    # (input, offsets, mode, per_sample_weights, include_last_offset, padding_idx)
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4]), "mean", None, False, None),
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 8]), "sum", True, True, 2),
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 2, 5]), "max", None, False, 4),
    (np.array([[1, 2, 0], [4, 5, 0]]), None, "sum", True, False, 0),
    (np.array([[1, 2, 0], [4, 5, 0]]), None, "mean", None, False, None),
]


@needs_torch
@pytest.mark.parametrize("ids,offsets,mode,psw,last,pad", BAG_CASES)
def test_embedding_bag_matches_torch(ids, offsets, mode, psw, last, pad):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((10, 4))
    weights = rng.standard_normal(ids.shape) if psw else None
    ew = ember.tensor(w, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    es = ember.tensor(weights, requires_grad=True) if psw else None
    ts = torch.tensor(weights, requires_grad=True) if psw else None
    eo = ember.tensor(offsets) if offsets is not None else None
    to = torch.tensor(offsets) if offsets is not None else None
    y = F.embedding_bag(ember.tensor(ids), ew, eo, mode=mode, per_sample_weights=es, include_last_offset=last,
                        padding_idx=pad)
    ty = torch.nn.functional.embedding_bag(torch.tensor(ids), tw, to, mode=mode, per_sample_weights=ts,
                                           include_last_offset=last, padding_idx=pad)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(tuple(y.shape))
    (y * ember.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    if psw:
        np.testing.assert_allclose(es.grad.numpy(), ts.grad.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
def test_embedding_bag_module_loads_a_torch_state_dict_and_matches():
    tm = torch.nn.EmbeddingBag(20, 5, mode="sum", padding_idx=0)
    em = nn.EmbeddingBag(20, 5, mode="sum", padding_idx=0)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    ids, off = np.array([3, 0, 7, 19, 19, 2]), np.array([0, 2, 2])
    np.testing.assert_allclose(em(ember.tensor(ids), ember.tensor(off)).detach().numpy(),
                               tm(torch.tensor(ids), torch.tensor(off)).detach().numpy(), rtol=1e-6)
    assert repr(em) == "EmbeddingBag(20, 5, mode='sum', padding_idx=0)"
    assert em.weight[0].abs().sum().item() == 0  # the padding row starts at zero, as torch's


def test_embedding_bag_text_classifier_trains():
    """The shape of PyTorch's text-classification tutorial: EmbeddingBag over a flat batch with offsets."""
    ember.manual_seed(0)

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    model = TextClassificationModel(50, 16, 2)
    opt = ember.optim.SGD(model.parameters(), lr=2.0)
    # class 0 sentences use words 0-24, class 1 words 25-49
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(30):
        labels = rng.integers(0, 2, 16)
        lengths = rng.integers(3, 8, 16)
        text = np.concatenate([rng.integers(25 * c, 25 * c + 25, n) for c, n in zip(labels, lengths)])
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        opt.zero_grad()
        loss = F.cross_entropy(model(ember.tensor(text), ember.tensor(offsets)), ember.tensor(labels))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_embedding_bag_errors_name_the_problem():
    w = ember.randn(5, 2)
    with pytest.raises(ValueError, match=r"\[embedding_bag\] a 1-d input of shape \(3,\) needs offsets"):
        F.embedding_bag(ember.tensor([1, 2, 3]), w)
    with pytest.raises(IndexError, match=r"\[embedding_bag\] index out of range: 9 not in \[0, 4\]"):
        F.embedding_bag(ember.tensor([[9]]), w)
    with pytest.raises(TypeError, match=r"\[embedding_bag\] expected integer indices"):
        F.embedding_bag(ember.tensor([[1.0]]), w)
    with pytest.raises(TypeError, match=r"per_sample_weights of dtype float64 must have the weight's dtype float32"):
        F.embedding_bag(ember.tensor([[1]]), w, mode="sum", per_sample_weights=ember.ones(1, 1, dtype=ember.float64))
    with pytest.raises(ValueError, match=r"with include_last_offset the last offset must equal the number of "
                                         r"indices \(3\), got 2"):
        F.embedding_bag(ember.tensor([1, 2, 3]), w, ember.tensor([0, 2]), include_last_offset=True)
    with pytest.raises(ValueError, match=r"offsets must not decrease, got offsets\[1\] = 2 > offsets\[2\] = 1"):
        F.embedding_bag(ember.tensor([1, 2, 3]), w, ember.tensor([0, 2, 1]))
    with pytest.raises(NotImplementedError, match="max_norm"):
        nn.EmbeddingBag(5, 2, max_norm=1.0)
    with pytest.raises(ValueError, match=r"\[EmbeddingBag\] EmbeddingBag\(5, 2, mode='mean'\): \[embedding_bag\] "
                                         r"offsets\[0\] must be 0"):
        nn.EmbeddingBag(5, 2)(ember.tensor([1, 2]), ember.tensor([1]))


# --- gumbel_softmax ---

def test_gumbel_softmax_samples_the_softmax_distribution():
    ember.manual_seed(0)
    logits = ember.tensor([[1.0, 2.0, 0.5]]).expand(20000, 3)
    hard = F.gumbel_softmax(logits, tau=1.0, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0} and np.all(hard.sum(1).numpy() == 1)
    freq = hard.mean(0).numpy()  # argmax(logits + Gumbel) ~ Categorical(softmax(logits))
    np.testing.assert_allclose(freq, F.softmax(logits[0], 0).numpy(), atol=0.015)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(1).numpy(), 1.0, rtol=1e-6)
    x = ember.randn(4, 3, requires_grad=True)
    (F.gumbel_softmax(x, hard=True) * ember.arange(3.0)).sum().backward()
    assert x.grad.abs().sum().item() > 0  # straight-through: the soft sample's gradient
    with pytest.raises(ValueError, match=r"\[gumbel_softmax\] tau must be positive"):
        F.gumbel_softmax(x, tau=0.0)


# --- anomaly detection ---

def test_detect_anomaly_names_the_op_that_returned_nan():
    x = ember.tensor([0.0, 4.0], requires_grad=True)
    (x.sqrt() * 0.0).sum().backward()
    assert math.isnan(x.grad[0].item())  # off: the NaN flows on, as in PyTorch
    x.grad = None
    assert not ember.autograd.is_anomaly_enabled()
    with ember.autograd.detect_anomaly():
        assert ember.autograd.is_anomaly_enabled() and ember.autograd.is_anomaly_check_nan_enabled()
        with pytest.raises(RuntimeError, match=r"Function 'sqrt' returned nan values in its 0th output"):
            (x.sqrt() * 0.0).sum().backward()
    assert not ember.autograd.is_anomaly_enabled()
    ember.autograd.set_detect_anomaly(True)
    try:
        (x.sqrt() * 1.0).sum().backward()  # an infinite gradient is not an anomaly
        assert math.isinf(x.grad[0].item())
    finally:
        ember.autograd.set_detect_anomaly(False)
    with pytest.raises(NotImplementedError, match="check_nan=False"):
        ember.autograd.set_detect_anomaly(True, check_nan=False)
    assert not ember.autograd.is_anomaly_enabled()


# --- the training loop's conversions and helpers ---

def test_to_takes_non_blocking_keywords_and_a_tensor():
    x = ember.arange(3)
    assert x.to("cpu", non_blocking=True).dtype == ember.int64
    assert x.to(device="cpu", dtype=ember.float64).dtype == ember.float64
    assert x.to(dtype=ember.float32).dtype == ember.float32
    assert x.to(ember.ones(1, dtype=ember.float64)).dtype == ember.float64
    assert x.to("cpu", ember.float64, True).dtype == ember.float64  # non_blocking positionally, as torch's
    assert nn.Linear(2, 2).to("cpu", non_blocking=True).weight.dtype == ember.float32
    y = ember.ones(2, requires_grad=True) * 2
    np.testing.assert_array_equal(y.numpy(force=True), [2.0, 2.0])
    assert x.pin_memory() is x and not x.is_pinned()


@needs_torch
def test_div_rounding_modes_match_torch():
    a = np.array([7, -7, 6, -6, 0, 5], dtype=np.int64)
    b = np.array([2, 2, -4, -4, 3, -5], dtype=np.int64)
    for mode in ("trunc", "floor"):
        for x, y in ((a, b), (a.astype(np.float32) + 0.5, b.astype(np.float32))):
            got = ember.div(ember.tensor(x), ember.tensor(y), rounding_mode=mode)
            want = torch.div(torch.tensor(x), torch.tensor(y), rounding_mode=mode)
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            np.testing.assert_array_equal(ember.tensor(x).div(ember.tensor(y), rounding_mode=mode).numpy(),
                                          want.numpy())
    assert ember.tensor([7]).div(2, rounding_mode="trunc").tolist() == [3]
    assert ember.tensor([7.0]).div(2).tolist() == [3.5]
    with pytest.raises(ValueError, match="rounding_mode must be"):
        ember.div(ember.ones(1), 2, rounding_mode="round")


def test_normal_and_where_forms():
    ember.manual_seed(0)
    z = ember.normal(2.0, 3.0, size=(20000,))
    assert abs(z.mean().item() - 2.0) < 0.1 and abs(z.std().item() - 3.0) < 0.1
    m = ember.normal(ember.tensor([0.0, 100.0]), ember.tensor([1.0, 0.0]))
    assert tuple(m.shape) == (2,) and m[1].item() == 100.0
    assert tuple(ember.normal(ember.zeros(3, 1), 1.0).shape) == (3, 1)
    with pytest.raises(TypeError, match="give size="):
        ember.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        ember.normal(0.0, -1.0, size=(2,))
    rows, cols = ember.where(ember.tensor([[0, 3], [4, 0]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert ember.where(ember.tensor([True, False]), ember.ones(2), 0.0).tolist() == [1.0, 0.0]


def test_samplers():
    g = ember.Generator().manual_seed(0)
    counts = np.bincount(list(ember.utils.data.WeightedRandomSampler([0.1, 0.0, 0.9], 5000, generator=g)),
                         minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 5000 - 0.9) < 0.03
    once = list(ember.utils.data.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False))
    assert sorted(once) == [0, 1, 2]
    sub = ember.utils.data.SubsetRandomSampler([5, 7, 9])
    assert sorted(sub) == [5, 7, 9] and len(sub) == 3
    rs = ember.utils.data.RandomSampler(range(4), replacement=True, num_samples=10)
    assert len(list(rs)) == 10 and set(rs) <= {0, 1, 2, 3}
    assert sorted(ember.utils.data.RandomSampler(range(3), num_samples=6)) == [0, 0, 1, 1, 2, 2]
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.arange(6)), batch_size=2,
                                         sampler=ember.utils.data.SubsetRandomSampler([0, 2, 4]))
    assert sorted(v for (b,) in loader for v in b.tolist()) == [0, 2, 4]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        ember.utils.data.WeightedRandomSampler([1.0], 0)


def test_old_spellings():
    x = ember.ones(2)
    assert ember.autograd.Variable(x) is x
    assert ember.autograd.Variable(ember.ones(2), requires_grad=True).requires_grad
    import ember.distributed as dist  # torch.distributed's checks, without a process group
    assert ember.distributed is dist and not dist.is_initialized()


def test_squeeze_takes_a_tuple_of_dims():
    x = ember.ones(1, 2, 1, 1)
    assert tuple(x.squeeze((0, 2)).shape) == (2, 1)
    assert tuple(x.squeeze((0, -1, 1)).shape) == (2, 1)  # a dim that is not 1 stays, as in PyTorch
    assert tuple(ember.squeeze(x, (2, 3)).shape) == (1, 2)
    y = ember.ones(1, 3, 1, requires_grad=True)
    y.squeeze((0, 2)).sum().backward()
    assert tuple(y.grad.shape) == (1, 3, 1)
    with pytest.raises(IndexError, match="out of range"):
        x.squeeze((0, 4))


def test_cuda_bf16_query_answers_for_ember_cuda_kernels():
    assert ember.cuda.is_bf16_supported() is False  # ember's CUDA kernels have no bfloat16 (CPU autocast has)


# --- optim.swa_utils ---

def _mlp(lib, seed):
    lib.manual_seed(seed)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
    return m.double()


def _copy_weights(src, dst):
    dst.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


@needs_torch
@pytest.mark.parametrize("kind", ["swa", "ema", "ema-avg_fn", "ema-buffers"])
def test_averaged_model_matches_torch(kind):
    tm = _mlp(torch, 0)
    em = _mlp(ember, 0)
    _copy_weights(tm, em)
    su, tsu = ember.optim.swa_utils, torch.optim.swa_utils
    kw = {"swa": ({}, {}),
          "ema": ({"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)}, {"multi_avg_fn": tsu.get_ema_multi_avg_fn(0.9)}),
          "ema-avg_fn": ({"avg_fn": su.get_ema_avg_fn(0.8)}, {"avg_fn": tsu.get_ema_avg_fn(0.8)}),
          "ema-buffers": ({"multi_avg_fn": su.get_ema_multi_avg_fn(0.9), "use_buffers": True},
                          {"multi_avg_fn": tsu.get_ema_multi_avg_fn(0.9), "use_buffers": True})}[kind]
    ea, ta = su.AveragedModel(em, **kw[0]), tsu.AveragedModel(tm, **kw[1])
    eo, to = ember.optim.SGD(em.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal((8, 3))
        for m, o, lib in ((em, eo, ember), (tm, to, torch)):
            o.zero_grad()
            m(lib.tensor(x)).pow(2).mean().backward()
            o.step()
        ea.update_parameters(em)
        ta.update_parameters(tm)
    ts = ta.state_dict()
    es = ea.state_dict()
    assert set(es) == set(ts)
    for k in ts:
        np.testing.assert_allclose(es[k].numpy(), ts[k].numpy(), rtol=1e-10, atol=1e-12, err_msg=k)
    x = rng.standard_normal((5, 3))
    ea.eval(), ta.eval()
    np.testing.assert_allclose(ea(ember.tensor(x)).detach().numpy(), ta(torch.tensor(x)).detach().numpy(), rtol=1e-10)


@needs_torch
def test_update_bn_and_swalr_match_torch():
    tm, em = _mlp(torch, 1), _mlp(ember, 1)
    _copy_weights(tm, em)
    data = np.random.default_rng(1).standard_normal((24, 3))
    ember.optim.swa_utils.update_bn([(ember.tensor(data[i:i + 8]), 0) for i in range(0, 24, 8)], em)
    torch.optim.swa_utils.update_bn([(torch.tensor(data[i:i + 8]), 0) for i in range(0, 24, 8)], tm)
    np.testing.assert_allclose(em[1].running_mean.numpy(), tm[1].running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(em[1].running_var.numpy(), tm[1].running_var.numpy(), rtol=1e-10)
    assert em[1].momentum == 0.1 and em.training
    for strategy, epochs in (("cos", 3), ("linear", 2), ("cos", 0)):
        eo = ember.optim.SGD([nn.Parameter(ember.ones(1))], lr=1.0)
        to = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
        es = ember.optim.swa_utils.SWALR(eo, 0.05, anneal_epochs=epochs, anneal_strategy=strategy)
        ts = torch.optim.swa_utils.SWALR(to, 0.05, anneal_epochs=epochs, anneal_strategy=strategy)
        for _ in range(5):
            eo.step(), to.step(), es.step(), ts.step()
            assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
    with pytest.raises(ValueError, match="anneal_strategy must be"):
        ember.optim.swa_utils.SWALR(eo, 0.05, anneal_strategy="step")
