"""Issue 21's activations, normalization layers, channel dropout, Unflatten and losses against PyTorch:
values and gradients in float32 and float64 over their options, the kink points (where PyTorch fixes a
one-sided gradient), NaN propagation, the in-place forms, the nn classes (parameters, state_dict, repr),
and the errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

F32, F64 = ember.float32, ember.float64
DTYPES = [F32, F64]
TDT = {F32: torch.float32, F64: torch.float64}
TOL = {F32: 2e-5, F64: 1e-11}
RNG = np.random.default_rng(2121)

# the kinks of every activation below, and values on both sides of them
KINKS = np.array([-25.0, -7.0, -3.0, -2.9, -1.0, -0.6, -0.5, -0.2, 0.0, 0.2, 0.5, 0.6, 1.0, 1.5, 2.9, 3.0, 6.0,
                  6.5, 10.0, 20.0, 25.0])


def pair(a, dtype, grad=True):
    """The same values as an ember and a torch tensor."""
    a = np.asarray(a, dtype=np.float64)
    e = ember.tensor(a, dtype=dtype)
    t = torch.tensor(a, dtype=TDT[dtype])
    if grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def close(ours, theirs, dtype, tol=None):
    tol = TOL[dtype] if tol is None else tol
    o = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    t = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert o.shape == t.shape, (o.shape, t.shape)
    np.testing.assert_allclose(o, t, rtol=tol, atol=tol, equal_nan=True)


def backward_both(ye, yt, dtype):
    g = RNG.standard_normal(tuple(yt.shape))
    (ye * ember.tensor(g, dtype=dtype)).sum().backward()
    (yt * torch.tensor(g, dtype=TDT[dtype])).sum().backward()


def check(fe, ft, arrays, dtype, grad=True, tol=None):
    """fe(*ember tensors) against ft(*torch tensors): value, and the gradient of every input."""
    pairs = [pair(a, dtype, grad) for a in arrays]
    ye, yt = fe(*[p[0] for p in pairs]), ft(*[p[1] for p in pairs])
    close(ye, yt, dtype, tol)
    if grad:
        backward_both(ye, yt, dtype)
        for e, t in pairs:
            if t.grad is None:
                assert e.grad is None or not np.any(e.grad.numpy())
            else:
                close(e.grad, t.grad, dtype, tol)


# --- activations ---

ACTIVATIONS = [
    ("elu", {}), ("elu", {"alpha": 0.5}), ("elu", {"alpha": 2.0}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.5}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 5.0}), ("softplus", {"beta": 0.5, "threshold": 1.0}),
    ("mish", {}), ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 3.0}), ("relu6", {}), ("logsigmoid", {}), ("softsign", {}),
    ("tanhshrink", {}), ("hardshrink", {}), ("hardshrink", {"lambd": 1.0}), ("softshrink", {}),
    ("softshrink", {"lambd": 0.2}), ("threshold", {"threshold": 0.5, "value": -3.0}),
    ("threshold", {"threshold": 0.0, "value": 0.0}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=lambda v: str(v))
def test_activation_matches_torch_at_kinks_and_random_points(name, kw, dtype):
    x = np.concatenate([KINKS, RNG.standard_normal(12) * 4]).reshape(3, 11)
    check(lambda v: getattr(F, name)(v, **kw), lambda v: getattr(TF, name)(v, **kw), [x], dtype, tol=_tol(name, dtype))


# PyTorch's float64 hardsigmoid and celu gradients use float32 constants (1/6, 1/alpha): ember's are exact.
def _tol(name, dtype):
    return 1e-7 if dtype == F64 and name.lower() in ("hardsigmoid", "celu") else None


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=lambda v: str(v))
def test_activation_propagates_nan_and_takes_0d_empty_and_strided(name, kw):
    x = np.array([np.nan, -np.inf, np.inf, 1.0])
    check(lambda v: getattr(F, name)(v, **kw), lambda v: getattr(TF, name)(v, **kw), [x], F64, grad=False)
    for shape in [(), (0, 3)]:
        a = RNG.standard_normal(shape)
        check(lambda v: getattr(F, name)(v, **kw), lambda v: getattr(TF, name)(v, **kw), [a], F64,
              tol=_tol(name, F64))
    a = RNG.standard_normal((4, 6))
    e, t = pair(a, F64)
    ye, yt = getattr(F, name)(e.T[:, ::2], **kw), getattr(TF, name)(t.T[:, ::2], **kw)
    close(ye, yt, F64)
    backward_both(ye, yt, F64)
    close(e.grad, t.grad, F64, _tol(name, F64))


INPLACE = [("elu", {"alpha": 0.7}), ("selu", {}), ("celu", {"alpha": 1.5}), ("mish", {}), ("hardswish", {}),
           ("hardsigmoid", {}), ("hardtanh", {"min_val": -2.0, "max_val": 2.0}), ("relu6", {}),
           ("threshold", {"threshold": 0.1, "value": 5.0})]


@pytest.mark.parametrize("name,kw", INPLACE, ids=lambda v: str(v))
def test_inplace_writes_into_the_input_and_records_the_gradient(name, kw):
    x = np.concatenate([KINKS, RNG.standard_normal(3)])
    e = ember.tensor(x, dtype=F64)
    out = getattr(F, name)(e, **kw, inplace=True)
    assert out is e
    np.testing.assert_allclose(e.numpy(), getattr(TF, name)(torch.tensor(x), **kw).numpy(), rtol=1e-12)
    # on a non-leaf that requires grad: the gradient is the out-of-place one's
    le, lt = pair(x, F64)
    ye = le * 1.0
    getattr(F, name)(ye, **kw, inplace=True)
    yt = lt * 1.0
    getattr(TF, name)(yt, **kw, inplace=True)
    close(ye, yt, F64)
    backward_both(ye, yt, F64)
    close(le.grad, lt.grad, F64, _tol(name, F64))
    with pytest.raises(RuntimeError):
        getattr(F, name)(ember.tensor(x, dtype=F64).requires_grad_(), **kw, inplace=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("xshape,wshape", [((2, 3, 4), (3,)), ((2, 3, 4), (1,)), ((5,), (1,)),
                                           ((), (1,)), ((2, 3), (3,)), ((2, 3, 2, 2), (3,))])
def test_prelu_matches_torch_in_input_and_weight(xshape, wshape, dtype):
    x = RNG.standard_normal(xshape)
    if x.size:
        x.reshape(-1)[0] = 0.0  # the kink: weight * g, as PyTorch
    check(F.prelu, TF.prelu, [x, RNG.standard_normal(wshape)], dtype)


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"\[prelu\].*3 channels"):
        F.prelu(ember.zeros(2, 3), ember.zeros(2))
    with pytest.raises(ValueError, match=r"\[prelu\]"):
        F.prelu(ember.zeros(2, 3), ember.zeros(3, 1))
    with pytest.raises(ValueError, match=r"\[prelu\].*1 channels"):  # a 1-d input has one channel, as PyTorch
        F.prelu(ember.zeros(5), ember.zeros(5))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softmin_and_glu(dtype):
    x = RNG.standard_normal((4, 6))
    for dim in (0, 1, -1):
        check(lambda v: F.softmin(v, dim), lambda v: TF.softmin(v, dim), [x], dtype)
        check(lambda v: F.glu(v, dim) if x.shape[dim] % 2 == 0 else v, lambda v: TF.glu(v, dim)
              if x.shape[dim] % 2 == 0 else v, [x], dtype)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        F.softmin(ember.tensor(x))
    with pytest.raises(ValueError, match=r"\[glu\].*even"):
        F.glu(ember.zeros(3, 5))
    with pytest.raises(ValueError, match=r"\[glu\]"):
        F.glu(ember.tensor(1.0))


def test_activation_errors_name_the_op():
    with pytest.raises(ValueError, match=r"\[celu\]"):
        F.celu(ember.zeros(3), alpha=0.0)
    with pytest.raises(ValueError, match=r"\[softshrink\]"):
        F.softshrink(ember.zeros(3), -0.5)
    with pytest.raises(ValueError, match=r"\[Hardtanh\]"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(TypeError, match=r"\[elu\].*int64"):
        F.elu(ember.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"\[PReLU\]"):
        nn.PReLU(0)


MODULES = [
    ("ELU", {"alpha": 0.3}), ("SELU", {}), ("CELU", {"alpha": 1.7}), ("Softplus", {"beta": 3.0, "threshold": 2.0}),
    ("Mish", {}), ("Hardswish", {}), ("Hardsigmoid", {}), ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("ReLU6", {}), ("LogSigmoid", {}), ("Softsign", {}), ("Tanhshrink", {}), ("Softmin", {"dim": 1}),
    ("Hardshrink", {"lambd": 0.3}), ("Softshrink", {"lambd": 0.3}), ("Threshold", {"threshold": 0.1, "value": 20.0}),
    ("GLU", {"dim": 0}), ("GLU", {}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name,kw", MODULES, ids=lambda v: str(v))
def test_activation_modules_match_torch(name, kw, dtype):
    me, mt = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    x = np.concatenate([KINKS[:-1], RNG.standard_normal(4)]).reshape(4, 6)
    check(me, mt, [x], dtype, tol=_tol(name, dtype))
    assert repr(me) == repr(mt)


@pytest.mark.parametrize("name", ["ELU", "SELU", "CELU", "Mish", "Hardswish", "Hardsigmoid", "Hardtanh", "ReLU6"])
def test_activation_modules_inplace(name):
    x = np.array([-4.0, -1.0, 0.0, 0.5, 7.0])
    e = ember.tensor(x)
    out = getattr(nn, name)(inplace=True)(e)
    np.testing.assert_allclose(e.numpy(), getattr(torch.nn, name)()(torch.tensor(x, dtype=torch.float32)).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), e.numpy())
    assert "inplace=True" in repr(getattr(nn, name)(inplace=True))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("num,init,shape", [(1, 0.25, (2, 3, 4)), (3, 0.1, (2, 3, 4)), (4, -0.5, (3, 4))])
def test_prelu_module_parameters_and_gradients(num, init, shape, dtype):
    me = nn.PReLU(num, init, dtype=dtype)
    mt = torch.nn.PReLU(num, init, dtype=TDT[dtype])
    assert list(me.state_dict()) == list(mt.state_dict()) == ["weight"]
    np.testing.assert_allclose(me.weight.detach().numpy(), mt.weight.detach().numpy())
    x = RNG.standard_normal(shape)
    xe, xt = pair(x, dtype)
    ye, yt = me(xe), mt(xt)
    close(ye, yt, dtype)
    backward_both(ye, yt, dtype)
    close(me.weight.grad, mt.weight.grad, dtype)
    close(xe.grad, xt.grad, dtype)
    assert repr(me) == repr(mt)


# --- normalization ---

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape,groups,affine", [((2, 6, 5), 3, True), ((2, 6, 5), 1, False), ((3, 4, 2, 3), 4, True),
                                                 ((1, 4), 2, True), ((2, 6, 5), 6, False)])
def test_group_norm_matches_torch(shape, groups, affine, dtype):
    c = shape[1]
    arrays = [RNG.standard_normal(shape)] + ([RNG.standard_normal(c), RNG.standard_normal(c)] if affine else [])
    check(lambda x, *wb: F.group_norm(x, groups, *wb, eps=1e-4), lambda x, *wb: TF.group_norm(x, groups, *wb, eps=1e-4),
          arrays, dtype, tol=1e-4 if dtype == F32 else None)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_group_norm_module(affine, bias, dtype):
    me = nn.GroupNorm(2, 4, affine=affine, bias=bias, dtype=dtype)
    mt = torch.nn.GroupNorm(2, 4, affine=affine, bias=bias, dtype=TDT[dtype])
    assert list(me.state_dict()) == list(mt.state_dict())
    check(me, mt, [RNG.standard_normal((3, 4, 5))], dtype, tol=1e-4 if dtype == F32 else None)
    assert repr(me) == repr(mt)
    with pytest.raises(ValueError, match=r"\[GroupNorm\].*divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"\[group_norm\].*divisible"):
        F.group_norm(ember.zeros(2, 4, 3), 3)
    with pytest.raises(ValueError, match=r"\[group_norm\].*weight"):
        F.group_norm(ember.zeros(2, 4, 3), 2, ember.zeros(3))
    with pytest.raises(ValueError, match=r"\[group_norm\].*more than 1 value"):  # PyTorch's check
        F.group_norm(ember.zeros(1, 2, 1), 2)
    with pytest.raises(ValueError):
        TF.group_norm(torch.zeros(1, 2, 1), 2)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 3)])
def test_instance_norm_functional_with_running_statistics(shape, dtype):
    c = shape[1]
    x = RNG.standard_normal(shape)
    w, b = RNG.standard_normal(c), RNG.standard_normal(c)
    check(lambda v, w_, b_: F.instance_norm(v, weight=w_, bias=b_), lambda v, w_, b_: TF.instance_norm(v, weight=w_,
                                                                                                       bias=b_),
          [x, w, b], dtype, tol=1e-4 if dtype == F32 else None)
    rm_e, rv_e = ember.zeros(c, dtype=dtype), ember.ones(c, dtype=dtype)
    rm_t, rv_t = torch.zeros(c, dtype=TDT[dtype]), torch.ones(c, dtype=TDT[dtype])
    ye = F.instance_norm(ember.tensor(x, dtype=dtype), rm_e, rv_e, momentum=0.3)
    yt = TF.instance_norm(torch.tensor(x, dtype=TDT[dtype]), rm_t, rv_t, momentum=0.3)
    close(ye, yt, dtype, 1e-4 if dtype == F32 else None)
    close(rm_e, rm_t, dtype)
    close(rv_e, rv_t, dtype)
    # evaluation with the running statistics
    check(lambda v: F.instance_norm(v, rm_e, rv_e, use_input_stats=False),
          lambda v: TF.instance_norm(v, rm_t, rv_t, use_input_stats=False), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 6)), ("InstanceNorm1d", (3, 6)),
                                       ("InstanceNorm2d", (2, 3, 4, 5)), ("InstanceNorm2d", (3, 4, 5))])
@pytest.mark.parametrize("affine,track,bias", [(False, False, True), (True, False, True), (True, True, True),
                                              (False, True, True), (True, False, False)])
def test_instance_norm_modules(cls, shape, affine, track, bias, dtype):
    me = getattr(nn, cls)(3, momentum=0.2, affine=affine, track_running_stats=track, dtype=dtype, bias=bias)
    mt = getattr(torch.nn, cls)(3, momentum=0.2, affine=affine, track_running_stats=track, dtype=TDT[dtype], bias=bias)
    assert sorted(me.state_dict()) == sorted(mt.state_dict())
    tol = 1e-4 if dtype == F32 else None
    for _ in range(2):
        check(me, mt, [RNG.standard_normal(shape)], dtype, tol=tol)
    for k, v in mt.state_dict().items():
        close(me.state_dict()[k], v, dtype)
    me.eval()
    mt.eval()
    check(me, mt, [RNG.standard_normal(shape)], dtype, tol=tol)
    assert repr(me) == repr(mt)


def test_instance_norm_errors_and_warning():
    with pytest.raises(ValueError, match=r"\[InstanceNorm1d\].*4D input"):
        nn.InstanceNorm1d(3)(ember.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"\[InstanceNorm2d\].*num_features"):
        nn.InstanceNorm2d(3, affine=True)(ember.zeros(2, 4, 4, 5))
    with pytest.warns(UserWarning, match="num_features"):
        nn.InstanceNorm2d(3)(ember.randn(2, 4, 4, 5))
    with pytest.raises(ValueError, match=r"\[instance_norm\].*more than 1 spatial"):
        F.instance_norm(ember.zeros(2, 3, 1))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape,norm,eps,weight", [((3, 4), (4,), None, True), ((2, 3, 4), (3, 4), 1e-3, True),
                                                   ((2, 5), 5, 1e-6, False), ((2, 3, 4), (4,), None, False)])
def test_rms_norm_matches_torch(shape, norm, eps, weight, dtype):
    nshape = (norm,) if isinstance(norm, int) else norm
    arrays = [RNG.standard_normal(shape)] + ([RNG.standard_normal(nshape)] if weight else [])
    check(lambda x, *w: F.rms_norm(x, norm, *w, eps=eps), lambda x, *w: TF.rms_norm(x, nshape, *w, eps=eps),
          arrays, dtype)
    me = nn.RMSNorm(norm, eps=eps, elementwise_affine=weight, dtype=dtype)
    mt = torch.nn.RMSNorm(norm, eps=eps, elementwise_affine=weight, dtype=TDT[dtype])
    assert list(me.state_dict()) == list(mt.state_dict())
    check(me, mt, [arrays[0]], dtype)
    assert repr(me) == repr(mt)
    with pytest.raises(ValueError, match=r"\[rms_norm\].*normalized_shape"):
        F.rms_norm(ember.zeros(2, 3), (4,))


# --- channel dropout, Unflatten ---

@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (8, 16, 5)), (F.dropout1d, (16, 5)), (F.dropout2d, (8, 16, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    ember.manual_seed(0)
    x = ember.ones(*shape, dtype=F64).requires_grad_()
    y = fn(x, 0.25)
    a = y.detach().numpy()
    flat = a.reshape(-1, int(np.prod(shape[-1 if fn is F.dropout1d else -2:])))
    assert set(np.unique(flat)) <= {0.0, 1.0 / 0.75}
    assert np.all(flat == flat[:, :1])  # one draw per channel
    assert 0.1 < np.mean(flat[:, 0] == 0) < 0.4
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a)
    np.testing.assert_array_equal(fn(x, 0.25, training=False).detach().numpy(), x.detach().numpy())
    assert np.all(fn(x, 1.0).detach().numpy() == 0)


def test_channel_dropout_modules_and_errors():
    m = nn.Dropout2d(0.5)
    x = ember.ones(2, 4, 3, 3)
    assert repr(m) == repr(torch.nn.Dropout2d(0.5))
    assert repr(nn.Dropout1d(0.3)) == repr(torch.nn.Dropout1d(0.3))
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"\[dropout1d\].*2-d"):
        F.dropout1d(ember.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"\[Dropout1d\]"):
        nn.Dropout1d(1.5)
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        F.dropout2d(ember.ones(2, 3, 4))


@pytest.mark.parametrize("dim,sizes,shape", [(1, (2, 3), (4, 6)), (-1, (2, -1), (4, 3, 6)), (0, (1, 4), (4, 2)),
                                             (1, [3, 1, 2], (2, 6))])
def test_unflatten_matches_torch(dim, sizes, shape):
    me, mt = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    check(me, mt, [RNG.standard_normal(shape)], F64)
    assert repr(me) == repr(mt).replace("[", "(").replace("]", ")") or isinstance(sizes, list)


def test_unflatten_errors():
    with pytest.raises(ValueError, match=r"\[Unflatten\].*multiply"):
        nn.Unflatten(1, (4, 2))(ember.zeros(2, 6))
    with pytest.raises(ValueError, match=r"\[Unflatten\].*inferred"):
        nn.Unflatten(1, (-1, -1))(ember.zeros(2, 6))
    with pytest.raises(IndexError, match=r"\[Unflatten\]"):
        nn.Unflatten(3, (2, 3))(ember.zeros(2, 6))


# --- losses ---

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, dtype):
    x = np.log(RNG.dirichlet(np.ones(5), size=4))
    t = RNG.dirichlet(np.ones(5), size=4)
    t[0, 0] = 0.0  # xlogy(0, 0) = 0
    if log_target:
        t = np.log(t + 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
              lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), [x, t], dtype, grad=False)
        xe, xt = pair(x, dtype)
        te, tt = pair(t, dtype, grad=False)
        ye = F.kl_div(xe, te, reduction=reduction, log_target=log_target)
        yt = TF.kl_div(xt, tt, reduction=reduction, log_target=log_target)
    backward_both(ye, yt, dtype)
    close(xe.grad, xt.grad, dtype)


def test_kl_div_warns_for_mean_and_module():
    x, t = ember.randn(2, 3), ember.rand(2, 3)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(x, t, reduction="batchmean")
    m = nn.KLDivLoss(reduction="batchmean", log_target=True)
    mt = torch.nn.KLDivLoss(reduction="batchmean", log_target=True)
    check(m, mt, [RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))], F64)
    with pytest.raises(ValueError, match=r"\[kl_div\]"):
        F.kl_div(x, t, reduction="avg")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim,shapes", [(1, ((3, 4), (3, 4))), (-1, ((2, 3, 4), (1, 4))), (0, ((5,), (5,))),
                                        (0, ((4, 2), (4, 1)))])
def test_cosine_similarity_and_pairwise_distance(dim, shapes, dtype):
    arrays = [RNG.standard_normal(s) for s in shapes]
    check(lambda a, b: F.cosine_similarity(a, b, dim), lambda a, b: TF.cosine_similarity(a, b, dim), arrays, dtype)
    for p in (2.0, 1.0, 3.0, float("inf")):
        for keepdim in (False, True):
            check(lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim),
                  lambda a, b: TF.pairwise_distance(a, b, p, 1e-6, keepdim), arrays, dtype)


def test_cosine_similarity_of_a_zero_vector_is_finite():
    a = np.zeros((2, 3))
    b = RNG.standard_normal((2, 3))
    check(F.cosine_similarity, TF.cosine_similarity, [a, b], F64)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin,shape", [(0.0, (5, 4)), (0.3, (5, 4)), (-0.5, (4,))])
def test_cosine_embedding_loss(margin, shape, reduction, dtype):
    y = np.array([1.0, -1.0, -1.0, 1.0, -1.0][: shape[0]]) if len(shape) == 2 else np.array(-1.0)
    a, b = RNG.standard_normal(shape), RNG.standard_normal(shape)
    fe = lambda x1, x2: F.cosine_embedding_loss(x1, x2, ember.tensor(y, dtype=dtype), margin, reduction=reduction)
    ft = lambda x1, x2: TF.cosine_embedding_loss(x1, x2, torch.tensor(y, dtype=TDT[dtype]), margin,
                                                 reduction=reduction)
    check(fe, ft, [a, b], dtype)
    m, mt = nn.CosineEmbeddingLoss(margin, reduction=reduction), torch.nn.CosineEmbeddingLoss(margin,
                                                                                             reduction=reduction)
    close(m(ember.tensor(a), ember.tensor(b), ember.tensor(y)),
          mt(torch.tensor(a), torch.tensor(b), torch.tensor(y)), F64)
    with pytest.raises(ValueError, match=r"\[cosine_embedding_loss\]"):
        F.cosine_embedding_loss(ember.zeros(3, 4), ember.zeros(3, 4), ember.zeros(2))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(margin, reduction, dtype):
    a, b = RNG.standard_normal(6), RNG.standard_normal(6)
    b[0] = a[0] + margin  # the kink: clamp_min's gradient passes at 0
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    check(lambda x1, x2, t: F.margin_ranking_loss(x1, x2, t, margin, reduction=reduction),
          lambda x1, x2, t: TF.margin_ranking_loss(x1, x2, t, margin, reduction=reduction), [a, b, y], dtype)
    check(nn.MarginRankingLoss(margin, reduction=reduction), torch.nn.MarginRankingLoss(margin, reduction=reduction),
          [a, b, y], dtype)
    with pytest.raises(ValueError, match=r"\[margin_ranking_loss\].*same number of dims"):
        F.margin_ranking_loss(ember.zeros(3), ember.zeros(3), ember.zeros(1, 3))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap,margin,shape", [(2.0, False, 1.0, (5, 4)), (1.0, True, 0.5, (5, 4)),
                                                 (3.0, True, 2.0, (4,))])
def test_triplet_margin_loss(p, swap, margin, shape, reduction, dtype):
    arrays = [RNG.standard_normal(shape) for _ in range(3)]
    check(lambda a, b, c: F.triplet_margin_loss(a, b, c, margin, p, swap=swap, reduction=reduction),
          lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin, p, swap=swap, reduction=reduction), arrays, dtype)
    check(nn.TripletMarginLoss(margin, p, swap=swap, reduction=reduction),
          torch.nn.TripletMarginLoss(margin, p, swap=swap, reduction=reduction), arrays, dtype)
    with pytest.raises(ValueError, match=r"\[triplet_margin_loss\].*same number of dimensions"):
        F.triplet_margin_loss(ember.zeros(3, 4), ember.zeros(3, 4), ember.zeros(4))
    with pytest.raises(ValueError, match=r"margin must be greater than 0"):
        F.triplet_margin_loss(ember.zeros(3, 4), ember.zeros(3, 4), ember.zeros(3, 4), margin=0.0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss(log_input, full, reduction, dtype):
    x = RNG.standard_normal((4, 5)) if log_input else RNG.uniform(0.1, 3.0, (4, 5))
    t = RNG.poisson(2.0, (4, 5)).astype(np.float64)
    t[0, :3] = [0.0, 1.0, 2.0]
    fe = lambda a: F.poisson_nll_loss(a, ember.tensor(t, dtype=dtype), log_input, full, reduction=reduction)
    ft = lambda a: TF.poisson_nll_loss(a, torch.tensor(t, dtype=TDT[dtype]), log_input, full, reduction=reduction)
    check(fe, ft, [x], dtype)
    check(lambda a, b: nn.PoissonNLLLoss(log_input, full, reduction=reduction)(a, b),
          lambda a, b: torch.nn.PoissonNLLLoss(log_input, full, reduction=reduction)(a, b), [x, t + 0.5], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("vshape", [(4, 3), (4, 1), (4,), (1, 3)])
def test_gaussian_nll_loss(vshape, full, reduction, dtype):
    x, t = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    v = RNG.uniform(0.2, 2.0, vshape)
    v.reshape(-1)[0] = 1e-8  # clamped to eps, its gradient passing through
    check(lambda a, b, c: F.gaussian_nll_loss(a, b, c, full, 1e-6, reduction),
          lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full, 1e-6, reduction), [x, t, v], dtype,
          tol=1e-4 if dtype == F32 else 1e-9)
    check(nn.GaussianNLLLoss(full=full, reduction=reduction), torch.nn.GaussianNLLLoss(full=full, reduction=reduction),
          [x, t, np.abs(v) + 0.5], dtype)


def test_gaussian_nll_loss_float_var_and_errors():
    x, t = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    close(F.gaussian_nll_loss(ember.tensor(x), ember.tensor(t), 0.5),
          TF.gaussian_nll_loss(torch.tensor(x, dtype=torch.float32), torch.tensor(t, dtype=torch.float32), 0.5), F32)
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(ember.zeros(4, 3), ember.zeros(4, 3), ember.ones(2, 3))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(ember.zeros(4, 3), ember.zeros(4, 3), -ember.ones(4, 3))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(ember.zeros(4, 3), ember.zeros(4, 3), -1.0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,shape", [(False, (4, 5)), (True, (4, 5)), (True, (5,))])
def test_multilabel_soft_margin_loss(weighted, shape, reduction, dtype):
    x = RNG.standard_normal(shape)
    t = (RNG.random(shape) < 0.4).astype(np.float64)
    w = RNG.uniform(0.5, 2.0, shape[-1]) if weighted else None
    fe = lambda a: F.multilabel_soft_margin_loss(a, ember.tensor(t, dtype=dtype),
                                                 None if w is None else ember.tensor(w, dtype=dtype),
                                                 reduction=reduction)
    ft = lambda a: TF.multilabel_soft_margin_loss(a, torch.tensor(t, dtype=TDT[dtype]),
                                                  None if w is None else torch.tensor(w, dtype=TDT[dtype]),
                                                  reduction=reduction)
    check(fe, ft, [x], dtype)
    me = nn.MultiLabelSoftMarginLoss(None if w is None else ember.tensor(w, dtype=dtype), reduction=reduction)
    mt = torch.nn.MultiLabelSoftMarginLoss(None if w is None else torch.tensor(w, dtype=TDT[dtype]),
                                           reduction=reduction)
    check(lambda a, b: me(a, b), lambda a, b: mt(a, b), [x, t], dtype)
    assert sorted(me.state_dict()) == sorted(mt.state_dict())


def test_bce_loss_takes_weights():
    p, t, w = RNG.uniform(0.05, 0.95, (4, 3)), RNG.uniform(0, 1, (4, 3)), RNG.uniform(0.5, 2, 3)
    for reduction in REDUCTIONS:
        check(lambda a: nn.BCELoss(ember.tensor(w), reduction=reduction)(a, ember.tensor(t, dtype=F32)),
              lambda a: torch.nn.BCELoss(torch.tensor(w, dtype=torch.float32), reduction=reduction)(
                  a, torch.tensor(t, dtype=torch.float32)), [p], F32)


def test_losses_refuse_bad_reductions_and_dtypes():
    z = ember.zeros(3, 4)
    with pytest.raises(ValueError, match=r"\[poisson_nll_loss\]"):
        F.poisson_nll_loss(z, z, reduction="avg")
    with pytest.raises(TypeError, match=r"\[margin_ranking_loss\]"):
        F.margin_ranking_loss(ember.tensor([1, 2]), ember.tensor([1, 2]), ember.tensor([1, -1]))
