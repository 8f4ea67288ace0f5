"""ember.nn's layers against torch.nn: forward values and gradients (input and parameters) in float32
and float64 from the same weights, float64 gradcheck of every layer, PyTorch state dicts loading into
the ember twin, the functional forms (attention, dropout, embedding...), and errors that name the layer
with the expected and the given shapes."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck

from _autograd_helpers import F32, F64, raises

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(33)
TOL = {F32: 1e-5, F64: 1e-10}
TDT = {F32: torch.float32, F64: torch.float64}
NP = {F32: np.float32, F64: np.float64}



def copy_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def check_layer(ours, theirs, x, dtype, train=True, tol=None, call=None):
    """Same weights; compare the output, the input gradient and every parameter gradient."""
    tol = TOL[dtype] if tol is None else tol
    ours.to(dtype)
    theirs.to(TDT[dtype])
    copy_from_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    xe = ember.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TDT[dtype], requires_grad=True)
    call = call or (lambda m, v: m(v))
    ye, yt = call(ours, xe), call(theirs, xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    seed = RNG.standard_normal(tuple(yt.shape))
    (ye * ember.tensor(seed, dtype=dtype)).sum().backward()
    (yt * torch.tensor(seed, dtype=TDT[dtype])).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(dict(ours.named_buffers())[name].numpy(), b.numpy(), rtol=tol, atol=tol,
                                   err_msg=name)
    return ye


def gradcheck_layer(layer, x, call=None):
    """float64 gradcheck with respect to the input and every parameter."""
    layer.double()
    xe = ember.tensor(x, dtype=F64, requires_grad=True)
    params = list(layer.parameters())
    call = call or (lambda m, v: m(v))
    assert gradcheck(lambda v, *ps: call(layer, v), (xe, *params))


# --- layers on composed ops ---


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_matches_torch(dtype, bias, xshape):
    check_layer(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), RNG.standard_normal(xshape), dtype)


def test_linear_and_dropout_pass_gradcheck():
    gradcheck_layer(nn.Linear(4, 3), RNG.standard_normal((5, 4)))
    gradcheck_layer(nn.Linear(4, 3, bias=False), RNG.standard_normal((2, 2, 4)))

    def seeded_dropout(m, v):
        ember.manual_seed(5)  # the same mask at every evaluation
        return m(v)

    gradcheck_layer(nn.Dropout(0.4), RNG.standard_normal((6, 5)), call=seeded_dropout)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("make", [
    lambda m: m.ReLU(), lambda m: m.GELU(), lambda m: m.GELU(approximate="tanh"), lambda m: m.SiLU(),
    lambda m: m.Tanh(), lambda m: m.Sigmoid(), lambda m: m.Softmax(dim=1), lambda m: m.LogSoftmax(dim=-1),
    lambda m: m.LeakyReLU(0.2), lambda m: m.Flatten(), lambda m: m.Flatten(0, 1), lambda m: m.Identity(),
], ids=["relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid", "softmax", "log_softmax", "leaky_relu",
        "flatten", "flatten01", "identity"])
def test_parameter_free_layers_match_torch(dtype, make):
    x = RNG.standard_normal((3, 4, 2)) + 0.05  # away from relu's kink
    check_layer(make(nn), make(torch.nn), x, dtype)
    layer = make(nn)
    gradcheck_layer(layer, x)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_matches_torch(dtype, padding_idx):
    ours, theirs = nn.Embedding(6, 3, padding_idx=padding_idx), torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    ours.to(dtype), theirs.to(TDT[dtype])
    copy_from_torch(ours, theirs)
    ids = np.array([[0, 2, 5], [2, 2, 1]])
    ye, yt = ours(ember.tensor(ids)), theirs(torch.tensor(ids))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=TOL[dtype])
    seed = RNG.standard_normal((2, 3, 3))
    (ye * ember.tensor(seed, dtype=dtype)).sum().backward()
    (yt * torch.tensor(seed, dtype=TDT[dtype])).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=TOL[dtype], atol=TOL[dtype])
    if padding_idx is not None:
        assert not nn.Embedding(6, 3, padding_idx=padding_idx).weight.numpy()[padding_idx].any()
    emb = nn.Embedding(6, 3).double()  # (padding_idx cuts the gradient on purpose: no gradcheck there)
    assert gradcheck(lambda w: F.embedding(ember.tensor(ids), w), (emb.weight,))
    frozen = nn.Embedding.from_pretrained(ember.ones(4, 2))
    assert not frozen.weight.requires_grad and frozen(ember.tensor([3])).shape == (1, 2)


def test_dropout_statistics_modes_and_reproducibility():
    x = ember.ones(200, 100)
    ember.manual_seed(3)
    y = F.dropout(x, 0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01 and np.allclose(y[kept], 1 / 0.7)
    ember.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.3).numpy(), y)
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    xg = ember.ones(50, 4, dtype=F64, requires_grad=True)
    ember.manual_seed(4)
    out = nn.Dropout(0.25)(xg)
    out.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), out.detach().numpy())  # the gradient is the mask / (1 - p)
    for p in (-0.1, 1.5):
        with raises(ValueError, "between 0 and 1", str(p)):
            F.dropout(x, p)
        with raises(ValueError, r"\[Dropout\]"):
            nn.Dropout(p)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal", "padding"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_multihead_attention_matches_torch(dtype, batch_first, mask, need_weights, average):
    e, h, length, n = 8, 2, 5, 3
    ours = nn.MultiheadAttention(e, h, batch_first=batch_first)
    theirs = torch.nn.MultiheadAttention(e, h, batch_first=batch_first)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = RNG.standard_normal((n, length, e) if batch_first else (length, n, e))
    kw_e, kw_t = {}, {}
    if mask == "bool":
        m = RNG.random((length, length)) < 0.3
        np.fill_diagonal(m, False)
        kw_e["attn_mask"], kw_t["attn_mask"] = ember.tensor(m), torch.tensor(m)
    elif mask == "float":
        m = RNG.standard_normal((length, length))
        kw_e["attn_mask"], kw_t["attn_mask"] = ember.tensor(m, dtype=dtype), torch.tensor(m, dtype=TDT[dtype])
    elif mask == "causal":
        m = np.triu(np.ones((length, length), dtype=bool), 1)
        kw_e["attn_mask"], kw_t["attn_mask"] = ember.tensor(m), torch.tensor(m)
    elif mask == "padding":
        m = np.zeros((n, length), dtype=bool)
        m[0, -2:] = True
        kw_e["key_padding_mask"], kw_t["key_padding_mask"] = ember.tensor(m), torch.tensor(m)
    outs = {}

    def call(layer, v):
        kw = kw_e if isinstance(layer, nn.Module) else kw_t
        out, w = layer(v, v, v, need_weights=need_weights, average_attn_weights=average, **kw)
        outs[isinstance(layer, nn.Module)] = w
        return out

    check_layer(ours, theirs, x, dtype, call=call)
    if need_weights:
        np.testing.assert_allclose(outs[True].detach().numpy(), outs[False].detach().numpy(), rtol=TOL[dtype],
                                   atol=TOL[dtype])
    else:
        assert outs[True] is None


def test_multihead_attention_cross_attention_kdim_vdim_unbatched_and_gradcheck():
    ours = nn.MultiheadAttention(6, 3, kdim=4, vdim=5)
    theirs = torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=5)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    copy_from_torch(ours, theirs)
    q, k, v = RNG.standard_normal((3, 6)), RNG.standard_normal((4, 4)), RNG.standard_normal((4, 5))
    oe, we = ours(*(ember.tensor(a, dtype=F32) for a in (q, k, v)))
    ot, wt = theirs(*(torch.tensor(a, dtype=torch.float32) for a in (q, k, v)))
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(we.detach().numpy(), wt.detach().numpy(), atol=1e-5)
    layer = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = RNG.standard_normal((2, 3, 4))
    gradcheck_layer(layer, x, call=lambda m, v: m(v, v, v)[0])
    with raises(ValueError, r"\[MultiheadAttention\]", "E = 4", "\\(2, 3, 5\\)"):
        layer(ember.randn(2, 3, 5, dtype=F64), ember.randn(2, 3, 5, dtype=F64), ember.randn(2, 3, 5, dtype=F64))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_scaled_dot_product_attention_matches_torch(dtype, mask):
    q, k, v = (RNG.standard_normal(s) for s in [(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)])
    kw_e, kw_t = {}, {}
    if mask == "bool":
        m = RNG.random((4, 6)) < 0.7
        m[:, 0] = True
        kw_e["attn_mask"], kw_t["attn_mask"] = ember.tensor(m), torch.tensor(m)
    elif mask == "float":
        m = RNG.standard_normal((4, 6))
        kw_e["attn_mask"], kw_t["attn_mask"] = ember.tensor(m, dtype=dtype), torch.tensor(m, dtype=TDT[dtype])
    elif mask == "causal":
        kw_e["is_causal"] = kw_t["is_causal"] = True
    te = [ember.tensor(a, dtype=dtype, requires_grad=True) for a in (q, k, v)]
    tt = [torch.tensor(a, dtype=TDT[dtype], requires_grad=True) for a in (q, k, v)]
    oe, ot = F.scaled_dot_product_attention(*te, **kw_e), TF.scaled_dot_product_attention(*tt, **kw_t)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=TOL[dtype], atol=TOL[dtype])
    oe.sum().backward()
    ot.sum().backward()
    for a, b in zip(te, tt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    if dtype == F64:
        small = [ember.tensor(a[:1, :1], dtype=F64, requires_grad=True) for a in (q, k, v)]
        assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw_e), small)


@pytest.mark.parametrize("mask", ["bool", "float"])
def test_scaled_dot_product_attention_query_with_no_key_gives_zeros_as_torch(mask):
    q, k, v = (RNG.standard_normal(s) for s in [(2, 3, 5), (2, 4, 5), (2, 4, 3)])
    m = RNG.random((3, 4)) < 0.6
    m[0], m[1, 2] = False, True  # query 0 may attend to no key
    if mask == "float":
        m = np.where(m, 0.0, -np.inf)
    te = [ember.tensor(a, dtype=F64, requires_grad=True) for a in (q, k, v)]
    tt = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (q, k, v)]
    oe = F.scaled_dot_product_attention(*te, attn_mask=ember.tensor(m))
    ot = TF.scaled_dot_product_attention(*tt, attn_mask=torch.tensor(m))
    assert not oe.detach().numpy()[:, 0].any()
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-12, atol=1e-12)
    oe.sum().backward()
    ot.sum().backward()
    for a, b in zip(te, tt):
        assert np.isfinite(a.grad.numpy()).all()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=ember.tensor(m)), te)


def test_attention_checks_come_from_the_cpp_op():
    x, w_in, w_out = ember.randn(3, 2, 4), ember.randn(12, 4), ember.randn(4, 4)

    def mha(**kw):
        return F.multi_head_attention_forward(x, x, x, 4, 2, w_in, None, None, None, False, 0.0, w_out, None, **kw)

    with raises(ValueError, r"\[multi_head_attention_forward\]", "2-d attn_mask", r"\(3, 4\)", r"\(3, 3\)"):
        mha(attn_mask=ember.zeros(3, 4))
    with raises(ValueError, r"\[multi_head_attention_forward\]", "key_padding_mask", r"\(2, 3\)"):
        mha(key_padding_mask=ember.zeros(3, 2, dtype=ember.bool))
    with raises(TypeError, r"\[multi_head_attention_forward\]", "bool and floating", "int64"):
        mha(attn_mask=ember.zeros(3, 3, dtype=ember.int64))
    with raises(ValueError, r"\[multi_head_attention_forward\]", "not divisible by num_heads 3"):
        F.multi_head_attention_forward(x, x, x, 4, 3, w_in, None, None, None, False, 0.0, w_out, None)
    with pytest.raises(NotImplementedError):
        F.multi_head_attention_forward(x, x, x, 4, 2, w_in, None, None, None, True, 0.0, w_out, None)
    out, weights = mha(need_weights=False)
    assert weights is None and out.shape == (3, 2, 4)
    with raises(ValueError, r"\[scaled_dot_product_attention\]", r"\(2, 3\), \(2, 4\)"):
        F.scaled_dot_product_attention(ember.zeros(2, 3), ember.zeros(2, 4), ember.zeros(2, 4))
    # a float mask of another float dtype is converted to the attention's dtype
    q = ember.randn(2, 3)
    m64 = ember.randn(2, 2, dtype=F64)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, q, q, m64).numpy(),
                               F.scaled_dot_product_attention(q, q, q, m64.float()).numpy())


def test_functional_helpers():
    x = ember.randn(3, 4)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        np.testing.assert_allclose(F.softmax(x).numpy(), x.softmax(1).numpy())
    np.testing.assert_array_equal(F.one_hot(ember.tensor([0, 2, 1])).numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(ember.tensor([1]), 4).shape == (1, 4)
    with raises(IndexError, r"\[one_hot\]", "\\[0, 3\\]"):
        F.one_hot(ember.tensor([5]), 4)
    assert F.flatten(ember.zeros(2, 3, 4), 1).shape == (2, 12)
    with raises(ValueError, r"\[gelu\]"):
        F.gelu(x, approximate="fast")


# --- a state dict from PyTorch ---


class TinyTransformer:
    """The same small attention model, built on either library's nn."""

    @staticmethod
    def build(m):
        class Model(m.Module):
            def __init__(self):
                super().__init__()
                self.embed = m.Embedding(11, 8)
                self.attn = m.MultiheadAttention(8, 2, batch_first=True)
                self.head = m.Sequential(m.Linear(8, 16), m.GELU(), m.Linear(16, 3))

            def forward(self, ids):
                h = self.embed(ids)
                h = h + self.attn(h, h, h, need_weights=False)[0]
                return self.head(h).mean(1)

        return Model()


def test_a_torch_state_dict_loads_into_the_ember_twin_and_gives_torch_outputs():
    theirs, ours = TinyTransformer.build(torch.nn), TinyTransformer.build(nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    result = ours.load_state_dict({k: ember.from_numpy(v.numpy()) for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    ids = RNG.integers(0, 11, (4, 6))
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(ember.tensor(ids)).detach().numpy(), theirs(torch.tensor(ids)).detach().numpy(),
                               atol=1e-5)


# --- errors ---


def test_wrong_input_shapes_name_the_op_and_both_shapes():
    # The layer's op makes the check (one check, in C++), so the message names the op and both shapes.
    with raises(ValueError, r"\[linear\]", r"\(3, 5\)", r"weight of shape \(2, 4\)", "last dim to be 4"):
        nn.Linear(4, 2)(ember.randn(3, 5))
    with raises(ValueError, r"\[conv2d\]", r"\(2, 3, 8, 8\) has 3 channels", r"\(16, 1, 3, 3\)", "expects 1"):
        nn.Conv2d(1, 16, 3)(ember.randn(2, 3, 8, 8))
    with raises(ValueError, r"\[conv2d\]", r"4-d \(N, C, H, W\)", r"\(8, 8\)"):
        nn.Conv2d(1, 16, 3)(ember.randn(8, 8))
    with raises(ValueError, r"\[BatchNorm2d\]", "C = 4", r"\(2, 3, 5, 5\)"):
        nn.BatchNorm2d(4)(ember.randn(2, 3, 5, 5))
    with raises(ValueError, r"\[BatchNorm1d\]", r"\(N, C\)", r"\(2, 4, 5, 5\)"):
        nn.BatchNorm1d(4)(ember.randn(2, 4, 5, 5))
    with raises(ValueError, r"\[layer_norm\]", r"\(2, 4\)", r"normalized_shape \(5,\)"):
        nn.LayerNorm(5)(ember.randn(2, 4))
    with raises(ValueError, r"\[max_pool2d\]", r"\(N, C, H, W\)", r"\(4, 4\)"):
        nn.MaxPool2d(2)(ember.randn(4, 4))
    with raises(IndexError, r"\[Embedding\]", "10", "num_embeddings=5"):
        nn.Embedding(5, 2)(ember.tensor([1, 10]))
    with raises(IndexError, r"\[embedding\]", "-1", "num_embeddings=5"):
        F.embedding(ember.tensor([-1, 2]), ember.randn(5, 2))
    with raises(TypeError, r"\[Embedding\]", "integer indices"):
        nn.Embedding(5, 2)(ember.tensor([1.0]))
    with raises(TypeError, r"\[embedding\]", "uint8"):
        F.embedding(ember.tensor([1], dtype=ember.uint8), ember.randn(5, 2))
    with raises(ValueError, r"\[Conv2d\]", "divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with raises(ValueError, r"\[conv2d\]", "strided"):
        F.conv2d(ember.randn(1, 1, 5, 5), ember.randn(1, 1, 3, 3), padding="same", stride=2)
    with raises(ValueError, r"\[Conv2d\]", "strided"):
        nn.Conv2d(1, 1, 3, padding="same", stride=2)
    with raises(ValueError, r"\[Conv2d\]", "padding string 'full'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with raises(ValueError, r"\[Conv2d\]", "padding_mode 'reflect'"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")
    with raises(ValueError, r"\[gelu\]", "'fast'"):
        nn.GELU("fast")(ember.randn(2))


# --- layers on the C++ nn ops ---


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2, padding=1), dict(padding=(1, 2), dilation=2), dict(groups=2, bias=False),
    dict(padding="same"), dict(padding="valid"), dict(kernel_size=(2, 4), padding="same", dilation=(1, 2)),
], ids=["plain", "stride_pad", "dilation", "groups", "same", "valid", "same_even"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_conv2d_matches_torch(dtype, kw, batched):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    x = RNG.standard_normal((2, 4, 7, 6) if batched else (4, 7, 6))
    check_layer(nn.Conv2d(4, 6, k, **kw), torch.nn.Conv2d(4, 6, k, **kw), x, dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("make", [
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d(3, stride=2, padding=1), lambda m: m.MaxPool2d(2, ceil_mode=True),
    lambda m: m.MaxPool2d(2, dilation=2), lambda m: m.AvgPool2d(2), lambda m: m.AvgPool2d(3, 2, 1),
    lambda m: m.AvgPool2d(3, 2, 1, count_include_pad=False), lambda m: m.AvgPool2d(2, ceil_mode=True),
    lambda m: m.AdaptiveAvgPool2d((2, 3)), lambda m: m.AdaptiveAvgPool2d(1), lambda m: m.AdaptiveAvgPool2d((None, 2)),
], ids=["max", "max_s2p1", "max_ceil", "max_dil", "avg", "avg_s2p1", "avg_nopad", "avg_ceil", "adaptive",
        "adaptive1", "adaptive_none"])
@pytest.mark.parametrize("batched", [True, False])
def test_pooling_matches_torch(dtype, make, batched):
    x = RNG.standard_normal((2, 3, 7, 5) if batched else (3, 7, 5))
    check_layer(make(nn), make(torch.nn), x, dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("cls,xshape", [("BatchNorm1d", (6, 4)), ("BatchNorm1d", (5, 4, 3)),
                                        ("BatchNorm2d", (3, 4, 3, 2))])
@pytest.mark.parametrize("kw", [dict(), dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                dict(momentum=0.3, eps=1e-3)], ids=["default", "cumulative", "noaffine", "nostats",
                                                                    "momentum"])
def test_batch_norm_matches_torch_in_training_and_evaluation(dtype, cls, xshape, kw):
    ours, theirs = getattr(nn, cls)(4, **kw), getattr(torch.nn, cls)(4, **kw)
    if ours.weight is not None:  # non-trivial affine parameters
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-0.5, 0.5)
    for _ in range(3):  # running statistics follow torch's over several batches
        check_layer(ours, theirs, RNG.standard_normal(xshape) * 2 + 1, dtype, train=True)
    assert check_layer(ours, theirs, RNG.standard_normal(xshape), dtype, train=False).shape == xshape
    gradcheck_layer(getattr(nn, cls)(4, **kw), RNG.standard_normal(xshape))


def test_batch_norm_running_stats_and_num_batches_tracked():
    ours, theirs = nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    ours.double(), theirs.double()
    for _ in range(4):
        x = RNG.standard_normal((4, 3, 2, 2)) * 3 + 2
        ours(ember.tensor(x, dtype=F64))
        theirs(torch.tensor(x))
    assert ours.num_batches_tracked.item() == 4
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12)
    with raises(ValueError, "more than 1 value per channel"):
        nn.BatchNorm1d(3)(ember.randn(1, 3))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape,kw", [(4, {}), ((3, 4), {}), (4, dict(elementwise_affine=False)),
                                      (4, dict(bias=False)), (4, dict(eps=1e-2))])
def test_layer_norm_matches_torch(dtype, shape, kw):
    ours, theirs = nn.LayerNorm(shape, **kw), torch.nn.LayerNorm(shape, **kw)
    if theirs.weight is not None:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            if theirs.bias is not None:
                theirs.bias.uniform_(-0.5, 0.5)
    check_layer(ours, theirs, RNG.standard_normal((2, 3, 4)), dtype)
    gradcheck_layer(nn.LayerNorm(shape, **kw), RNG.standard_normal((2, 3, 4)))


@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(2, 4, 3, padding=1), lambda: nn.Conv2d(4, 4, (2, 3), stride=2, groups=2, dilation=(2, 1)),
    lambda: nn.Conv2d(2, 2, 2, padding="same"), lambda: nn.MaxPool2d(2), lambda: nn.AvgPool2d(3, 2, 1),
    lambda: nn.AdaptiveAvgPool2d((2, 2)),
], ids=["conv", "conv_groups", "conv_same_even", "max", "avg", "adaptive"])
def test_conv_and_pooling_pass_gradcheck(make):
    layer = make()
    channels = getattr(layer, "in_channels", 4)
    x = RNG.standard_normal((2, channels, 5, 5)) + np.arange(25).reshape(5, 5) * 0.1  # no ties for max
    gradcheck_layer(layer, x)


def test_a_torch_cnn_state_dict_loads_into_the_ember_twin_and_gives_torch_outputs():
    def build(m):
        return m.Sequential(
            m.Conv2d(1, 8, 3, padding=1), m.BatchNorm2d(8), m.ReLU(), m.MaxPool2d(2),
            m.Conv2d(8, 16, 3, padding="same"), m.ReLU(), m.AdaptiveAvgPool2d((2, 2)), m.Flatten(),
            m.LayerNorm(64), m.Dropout(0.2), m.Linear(64, 10),
        )

    theirs, ours = build(torch.nn), build(nn)
    theirs.train()
    theirs(torch.randn(16, 1, 8, 8) * 2 + 1)  # non-trivial running statistics
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval(), theirs.eval()
    x = RNG.standard_normal((5, 1, 8, 8))
    np.testing.assert_allclose(ours(ember.tensor(x, dtype=F32)).detach().numpy(),
                               theirs(torch.tensor(x, dtype=torch.float32)).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_conv2d_on_data_that_needs_no_gradient_trains_its_weights(dtype):
    """The first layer of every CNN: the input is data, only the weight and bias need gradients."""
    ours, theirs = nn.Conv2d(2, 3, 3).to(dtype), torch.nn.Conv2d(2, 3, 3).to(TDT[dtype])
    copy_from_torch(ours, theirs)
    x = RNG.standard_normal((2, 2, 5, 5))
    ours(ember.tensor(x, dtype=dtype)).sum().backward()
    theirs(torch.tensor(x, dtype=TDT[dtype])).sum().backward()
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), p.grad.numpy(), rtol=TOL[dtype], atol=TOL[dtype])
    # A frozen weight with a trainable bias: only the bias gets a gradient.
    ours.zero_grad(), ours.weight.requires_grad_(False)
    ours(ember.tensor(x, dtype=dtype)).sum().backward()
    assert ours.weight.grad is None
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=TOL[dtype], atol=TOL[dtype])


# --- in-place activations (relu_, leaky_relu_ in C++) ---


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("make", [lambda m: m.ReLU(inplace=True), lambda m: m.LeakyReLU(0.3, inplace=True)],
                         ids=["relu", "leaky_relu"])
def test_inplace_activation_layers_write_into_their_input_and_match_torch(dtype, make):
    x = RNG.standard_normal((3, 4)) + 0.05
    xe = ember.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TDT[dtype], requires_grad=True)
    he, ht = xe * 2.0, xt * 2.0
    ye, yt = make(nn)(he), make(torch.nn)(ht)
    np.testing.assert_allclose(he.detach().numpy(), ht.detach().numpy(), rtol=TOL[dtype])  # written in place
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=TOL[dtype])
    ye.sum().backward(), yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=TOL[dtype])
    with pytest.raises(RuntimeError, match="leaf"):
        make(nn)(xe)


def test_functional_inplace_relu_and_leaky_relu():
    x = ember.tensor([-1.0, 2.0])
    F.relu(x, inplace=True)
    assert x.tolist() == [0.0, 2.0]
    y = ember.tensor([-1.0, 2.0])
    assert F.leaky_relu(y, 0.5, inplace=True).tolist() == [-0.5, 2.0] and y.tolist() == [-0.5, 2.0]
    z = ember.tensor([-3, 4])
    assert z.relu_().tolist() == [0, 4] and z.tolist() == [0, 4]
    with raises(TypeError, r"\[leaky_relu\]", "int64"):
        F.leaky_relu(ember.tensor([1, 2]))


@pytest.mark.parametrize("op,args,fargs", [
    ("max_pool2d", (2,), (2,)), ("avg_pool2d", (3, 1, 1), (3, 1, 1)), ("adaptive_avg_pool2d", ((2, 5),), ((2, None),)),
])
def test_pools_take_unbatched_inputs_in_the_op(op, args, fargs):
    x = RNG.standard_normal((3, 6, 5))
    theirs = getattr(torch.nn.functional, op)(torch.tensor(x), *args).numpy()
    np.testing.assert_allclose(getattr(ember, op)(ember.tensor(x), *args).numpy(), theirs, rtol=1e-12)
    np.testing.assert_allclose(getattr(F, op)(ember.tensor(x), *fargs).numpy(), theirs, rtol=1e-12)


def test_conv2d_op_takes_unbatched_inputs_and_same_padding():
    x, w = RNG.standard_normal((2, 7, 6)), RNG.standard_normal((4, 2, 3, 2))
    for padding in ("same", "valid", 1, (0, 2)):
        ours = ember.conv2d(ember.tensor(x), ember.tensor(w), None, 1, padding, (2, 1))
        theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), None, 1, padding, (2, 1))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
