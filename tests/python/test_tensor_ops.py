"""The tensor ops of include/ember/ops/{sort,scan,norm,sampling,blas_ext,compare_close}.hpp against PyTorch
(and NumPy): 0-d, empty, negative dims, non-contiguous inputs, integer dtypes where PyTorch takes them, the
errors, and the named tuples of topk/sort. Gradients: tests/python/test_autograd_ops.py."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember

INF = math.inf


def both(torch, a):
    """The same values as a torch tensor and an ember tensor."""
    a = np.asarray(a)
    return torch.from_numpy(a.copy()), ember.from_numpy(a.copy())


def same(t, e, tol=1e-6):
    """t (torch) and e (ember) hold the same shape, dtype name and values (NaN equal)."""
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and len(t) == len(e)
        for a, b in zip(t, e):
            same(a, b, tol)
        return
    if isinstance(t, bool):
        assert t == e
        return
    assert tuple(t.shape) == tuple(e.shape), (t.shape, e.shape)
    assert str(t.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], (t.dtype, e.dtype)
    tn, en = t.detach().numpy(), e.detach().numpy()
    if tn.dtype.kind == "f":
        np.testing.assert_allclose(en, tn, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(en, tn)


# Inputs: (array, description); distinct values so that indices of sort/topk are unique.
def _distinct(shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    k = rng.permutation(n).reshape(shape) - n // 2
    return (k * 0.5).astype(dtype) if np.dtype(dtype).kind == "f" else k.astype(dtype)


SHAPES = [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_sort_argsort_msort_topk(torch, shape, dtype):
    t, e = both(torch, _distinct(shape, dtype=dtype))
    nd = max(len(shape), 1)
    for dim in range(-nd, nd):
        for desc in (False, True):
            same(tuple(torch.sort(t, dim, desc)), tuple(ember.sort(e, dim, desc)))
            same(torch.argsort(t, dim, desc), e.argsort(dim, descending=desc))
        n = t.shape[dim] if t.dim() else 1
        for k in ({0, 1, n} if t.dim() else {1}):  # (torch returns the 0-d input for k=0)
            if k <= n:
                for largest in (True, False):
                    r = e.topk(k, dim, largest)
                    same(tuple(torch.topk(t, k, dim, largest)), (r.values, r.indices))
    if len(shape) >= 1:
        same(torch.msort(t), ember.msort(e))


def test_sort_named_tuples_nan_and_layouts(torch):
    a = np.array([[3.0, np.nan, 1.0, -INF], [2.0, 0.0, np.nan, 5.0]])
    t, e = both(torch, a)
    r = ember.sort(e, descending=True)
    assert type(r).__name__ == "sort" and type(r).__module__ == "ember.return_types"
    same(tuple(torch.sort(t, descending=True)), (r.values, r.indices))
    same(tuple(torch.sort(t)), tuple(e.sort()))
    v, i = ember.topk(e.T, 2, dim=0)  # unpacks like torch's
    same(tuple(torch.topk(t.T, 2, dim=0)), (v, i))
    same(tuple(torch.sort(t[:, ::2], stable=True)), tuple(ember.sort(e[:, ::2], stable=True)))
    assert type(ember.topk(e, 1)).__name__ == "topk"
    with pytest.raises(IndexError, match=r"\[topk\] selected index k \(5\)"):
        ember.topk(e, 5)
    with pytest.raises(IndexError, match=r"\[sort\]"):
        ember.sort(e, 2)


def test_sort_bool_and_stable_ties(torch):
    t, e = both(torch, np.array([True, False, True, False]))
    same(tuple(torch.sort(t, stable=True)), tuple(ember.sort(e)))
    with pytest.raises(TypeError, match=r"\[topk\] topk does not support bool"):
        ember.topk(e, 1)
    t, e = both(torch, np.array([1, 0, 1, 0, 1]))
    same(torch.argsort(t, stable=True, descending=True), ember.argsort(e, descending=True, stable=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 4), (2, 0, 3)])
def test_cumsum_cumprod(torch, dtype, shape):
    rng = np.random.default_rng(1)
    a = rng.integers(-3, 4, shape).astype(dtype)
    t, e = both(torch, a)
    nd = max(len(shape), 1)
    for dim in range(-nd, nd):
        same(torch.cumsum(t, dim), ember.cumsum(e, dim))
        same(torch.cumprod(t, dim), e.cumprod(dim))
    if len(shape) == 2:
        same(torch.cumsum(t.T, 1), ember.cumsum(e.T, 1))
        same(torch.cumsum(t, 0, dtype=torch.float64), ember.cumsum(e, 0, dtype=ember.float64))


def test_cumprod_grad_with_zeros_matches_torch(torch):
    a = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, -1.0]])
    w = np.random.default_rng(2).standard_normal(a.shape)
    t = torch.tensor(a, requires_grad=True)
    e = ember.from_numpy(a.copy()).requires_grad_()
    (torch.cumprod(t, 1) * torch.from_numpy(w)).sum().backward()
    (ember.cumprod(e, 1) * ember.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
def test_diff(torch, dtype):
    a = np.random.default_rng(3).integers(-5, 5, (3, 5)).astype(dtype)
    t, e = both(torch, a)
    for n in (0, 1, 2, 6):
        for dim in (-1, 0, 1):
            same(torch.diff(t, n, dim), ember.diff(e, n, dim))
    p, q = both(torch, a[:, :2])
    same(torch.diff(t, 1, 1, prepend=p, append=p), e.diff(1, 1, prepend=q, append=q))
    same(torch.diff(t.T), ember.diff(e.T))
    with pytest.raises(ValueError, match=r"\[diff\]"):
        ember.diff(ember.tensor(1.0))


VECTOR_ORDS = [2, 1, 3, 0.5, 0, INF, -INF]


@pytest.mark.parametrize("ord_", VECTOR_ORDS)
@pytest.mark.parametrize("dim", [None, -1, 0, (0, 2)])
def test_vector_norm(torch, ord_, dim):
    a = np.random.default_rng(4).standard_normal((3, 4, 2))
    t, e = both(torch, a)
    same(torch.linalg.vector_norm(t, ord_, dim), ember.linalg.vector_norm(e, ord_, dim), 1e-10)
    same(torch.linalg.vector_norm(t, ord_, dim, keepdim=True), ember.linalg.vector_norm(e, ord_, dim, keepdim=True), 1e-10)
    same(torch.linalg.vector_norm(t.transpose(0, 2), ord_), ember.linalg.vector_norm(e.transpose(0, 2), ord_), 1e-10)


def test_tensor_norm_forms(torch):
    a = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    t, e = both(torch, a)
    same(t.norm(), e.norm(), 1e-5)
    same(t.norm(dim=-1, keepdim=True), e.norm(dim=-1, keepdim=True), 1e-5)
    same(t.norm(2, 1), e.norm(2, 1), 1e-5)
    same(t.norm(p=1), e.norm(p=1), 1e-5)
    same(t.norm(p=INF, dim=0), e.norm(p=INF, dim=0), 1e-5)
    same(torch.norm(t, "fro", dim=(0, 1)), ember.norm(e, "fro", dim=(0, 1)), 1e-5)
    same(torch.norm(torch.tensor(-2.0)), ember.norm(ember.tensor(-2.0)))
    same(torch.norm(torch.zeros(0)), ember.norm(ember.zeros(0)))
    with pytest.raises(TypeError, match=r"\[norm\]"):
        ember.tensor([1, 2]).norm()


@pytest.mark.parametrize("ord_", ["fro", 1, -1, INF, -INF])
def test_matrix_norm_and_linalg_norm(torch, ord_):
    a = np.random.default_rng(6).standard_normal((2, 3, 4))
    t, e = both(torch, a)
    same(torch.linalg.matrix_norm(t, ord_), ember.linalg.matrix_norm(e, ord_), 1e-10)
    same(torch.linalg.matrix_norm(t, ord_, dim=(0, 2), keepdim=True),
         ember.linalg.matrix_norm(e, ord_, dim=(0, 2), keepdim=True), 1e-10)
    same(torch.linalg.norm(t[0], ord_), ember.linalg.norm(e[0], ord_), 1e-10)
    same(torch.linalg.norm(t, ord_, dim=(2, 1)), ember.linalg.norm(e, ord_, dim=(2, 1)), 1e-10)


def test_linalg_norm_vector_forms_and_errors(torch):
    a = np.random.default_rng(7).standard_normal((2, 3, 4))
    t, e = both(torch, a)
    same(torch.linalg.norm(t), ember.linalg.norm(e), 1e-10)
    same(torch.linalg.norm(t, dim=1), ember.linalg.norm(e, dim=1), 1e-10)
    same(torch.linalg.norm(t[0, 0], 3), ember.linalg.norm(e[0, 0], 3), 1e-10)
    same(torch.linalg.matrix_norm(t, "nuc"), ember.linalg.matrix_norm(e, "nuc"), 1e-10)  # (tests/python/test_linalg.py)
    with pytest.raises(ValueError, match=r"\[linalg.norm\]"):
        ember.linalg.norm(e, 2)
    with pytest.raises(ValueError, match=r"\[matrix_norm\]"):
        ember.linalg.matrix_norm(e[0, 0])


def test_norm_gradient_at_zero_is_zero(torch):
    for ord_ in (2, 3, 1, INF):
        e = ember.zeros(3, dtype=ember.float64).requires_grad_()
        ember.linalg.vector_norm(e, ord_).backward()
        t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        torch.linalg.vector_norm(t, ord_).backward()
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("p", [2, 1, 0.5, INF])
def test_cdist(torch, p):
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3))
    (ta, ea), (tb, eb) = both(torch, a), both(torch, b)
    same(torch.cdist(ta, tb, p), ember.cdist(ea, eb, p), 1e-10)
    same(torch.cdist(ta[0], ta[0]), ember.cdist(ea[0], ea[0]), 1e-10)
    with pytest.raises(ValueError, match=r"\[cdist\]"):
        ember.cdist(ea, ember.zeros(4, 2, dtype=ember.float64))


def test_multinomial_values_seed_and_shapes():
    probs = ember.tensor([[0.0, 10.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]])
    ember.manual_seed(0)
    s = ember.multinomial(probs, 2, replacement=True)
    assert s.dtype == ember.int64 and tuple(s.shape) == (2, 2)
    assert s[0].tolist() == [1, 1] and set(s[1].tolist()) <= {0, 2}
    ember.manual_seed(0)
    assert ember.multinomial(probs, 2, replacement=True).tolist() == s.tolist()
    w = probs[1].multinomial(2)
    assert sorted(w.tolist()) == [0, 2]
    g = ember.Generator().manual_seed(4) if hasattr(ember.Generator(), "manual_seed") else None
    if g is not None:
        assert tuple(ember.multinomial(ember.ones(5), 3, generator=g).shape) == (3,)
    # frequencies follow the weights
    ember.manual_seed(1)
    draws = ember.multinomial(ember.tensor([1.0, 3.0]), 4000, replacement=True).numpy()
    assert abs((draws == 1).mean() - 0.75) < 0.03
    # without replacement every category appears once
    assert ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 3).tolist() == [1, 0, 2]  # as torch
    ember.manual_seed(2)
    assert sorted(ember.multinomial(ember.rand(2, 6, dtype=ember.float64) + 0.1, 6)[1].tolist()) == list(range(6))


@pytest.mark.parametrize("probs,n,kw,err,match", [
    ([1.0, -1.0], 1, {}, ValueError, "element < 0"),
    ([1.0, float("nan")], 1, {}, ValueError, "nan"),
    ([1.0, float("inf")], 1, {}, ValueError, "inf"),
    ([0.0, 0.0], 1, {}, ValueError, "sum of probabilities"),
    ([1.0, 1.0], 3, {}, ValueError, "without replacement"),
    ([1.0, 1.0], 0, {}, ValueError, "n_sample <= 0"),
    ([[[1.0]]], 1, {}, ValueError, "1 or 2 dim"),
])
def test_multinomial_errors_as_torch(torch, probs, n, kw, err, match):
    with pytest.raises(err, match=match):
        ember.multinomial(ember.tensor(probs), n, **kw)
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(probs), n, **kw)
    with pytest.raises(TypeError, match=r"\[multinomial\]"):
        ember.multinomial(ember.tensor([1, 2]), 1)


def test_addmm_baddbmm_addcmul_addcdiv_lerp(torch):
    rng = np.random.default_rng(9)
    i2, m1, m2 = rng.standard_normal(4), rng.standard_normal((3, 5)), rng.standard_normal((5, 4))
    (ti, ei), (t1, e1), (t2, e2) = both(torch, i2), both(torch, m1), both(torch, m2)
    same(torch.addmm(ti, t1, t2), ember.addmm(ei, e1, e2), 1e-10)
    same(torch.addmm(ti, t1, t2, beta=0.5, alpha=-2), ei.addmm(e1, e2, beta=0.5, alpha=-2), 1e-10)
    same(torch.addmm(ti * np.nan, t1, t2, beta=0), ember.addmm(ei * np.nan, e1, e2, beta=0), 1e-10)
    b1, b2 = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 5, 4))
    (tb1, eb1), (tb2, eb2) = both(torch, b1), both(torch, b2)
    same(torch.baddbmm(ti, tb1, tb2, alpha=3), ember.baddbmm(ei, eb1, eb2, alpha=3), 1e-10)
    x, y, z = (rng.standard_normal((3, 4)) for _ in range(3))
    (tx, ex), (ty, ey), (tz, ez) = both(torch, x), both(torch, y), both(torch, z)
    same(torch.addcmul(tx, ty, tz, value=0.5), ember.addcmul(ex, ey, ez, value=0.5), 1e-10)
    same(torch.addcdiv(tx, ty, tz.T.T, value=-1), ex.addcdiv(ey, ez, value=-1), 1e-10)
    same(torch.lerp(tx, ty, 0.3), ember.lerp(ex, ey, 0.3), 1e-10)
    same(torch.lerp(tx, ty, tz), ex.lerp(ey, ez), 1e-10)
    tx.addcmul_(ty, tz, value=2)
    assert ex.addcmul_(ey, ez, value=2) is not None
    same(tx, ex, 1e-10)
    tx.addcdiv_(ty, tz.abs() + 1)
    ex.addcdiv_(ey, ez.abs() + 1)
    same(tx, ex, 1e-10)
    tx.lerp_(ty, 0.1)
    ex.lerp_(ey, 0.1)
    same(tx, ex, 1e-10)
    tx.lerp_(ty, tz)
    ex.lerp_(ey, ez)
    same(tx, ex, 1e-10)
    ti3, ei3 = both(torch, np.arange(6).reshape(2, 3))
    ti4, ei4 = both(torch, np.arange(4).reshape(2, 2))
    same(torch.addmm(ti4, ti3, ti3.T, beta=2), ember.addmm(ei4, ei3, ei3.T, beta=2))
    with pytest.raises(ValueError, match=r"\[addmm\]"):
        ember.addmm(ember.zeros(5, dtype=ember.float64), e1, e2)
    with pytest.raises(ValueError, match=r"\[addmm\]"):
        ember.addmm(ei, e1, e2.T)
    with pytest.raises(TypeError, match=r"\[addcdiv\]"):
        ember.addcdiv(ei3, ei3, ei3)


def test_isclose_allclose_nan_to_num(torch):
    a = np.array([1.0, np.nan, INF, -INF, 1e-9, 2.0, 0.0])
    b = np.array([1.0 + 1e-6, np.nan, INF, INF, 0.0, 2.1, -0.0])
    (ta, ea), (tb, eb) = both(torch, a), both(torch, b)
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2, "rtol": 0}):
        same(torch.isclose(ta, tb, **kw), ember.isclose(ea, eb, **kw))
        assert torch.allclose(ta[[0, 5]], tb[[0, 5]], **kw) == ember.allclose(ea[[0, 5]], eb[[0, 5]], **kw)
    same(torch.isclose(ta[:, None], tb), ea[:, None].isclose(eb))
    ti, ei = both(torch, np.array([1, 5, -3]))
    same(torch.isclose(ti, ti + 1, atol=1), ember.isclose(ei, ei + 1, atol=1))
    assert ember.allclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0])) is True
    for kw in ({}, {"nan": 1.5, "posinf": 9.0}, {"neginf": -2.0}):
        same(torch.nan_to_num(ta, **kw), ember.nan_to_num(ea, **kw))
        same(torch.nan_to_num(ta.float(), **kw), ea.float().nan_to_num(**kw))
    same(torch.nan_to_num(ti), ember.nan_to_num(ei))
    with pytest.raises(ValueError, match=r"\[isclose\] rtol"):
        ember.isclose(ea, eb, rtol=-1)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int32])
def test_searchsorted_bucketize(torch, dtype):
    seq = np.array([1, 3, 3, 5, 9]).astype(dtype)
    vals = np.array([[0, 3, 4], [9, 10, 5]]).astype(dtype)
    (ts, es), (tv, ev) = both(torch, seq), both(torch, vals)
    for kw in ({}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}):
        same(torch.searchsorted(ts, tv, **kw), ember.searchsorted(es, ev, **kw))
    same(torch.searchsorted(ts, tv.T), ember.searchsorted(es, ev.T))
    same(torch.searchsorted(ts, 4), ember.searchsorted(es, 4))
    same(torch.bucketize(tv, ts), ember.bucketize(ev, es))
    same(torch.bucketize(tv, ts, right=True, out_int32=True), ember.bucketize(ev, es, right=True, out_int32=True))
    seq2 = np.sort(np.random.default_rng(0).integers(0, 9, (2, 4)), axis=1).astype(dtype)
    (t2, e2) = both(torch, seq2)
    same(torch.searchsorted(t2, tv), ember.searchsorted(e2, ev))
    unsorted = np.array([5, 1, 9, 3, 3]).astype(dtype)
    (tu, eu) = both(torch, unsorted)
    same(torch.searchsorted(tu, tv, sorter=torch.argsort(tu)), ember.searchsorted(eu, ev, sorter=ember.argsort(eu)))
    with pytest.raises(ValueError, match=r"\[searchsorted\]"):
        ember.searchsorted(e2, ev.T)
    with pytest.raises(ValueError, match=r"\[searchsorted\]"):
        ember.searchsorted(es, ev, right=True, side="left")
    with pytest.raises(ValueError, match=r"\[bucketize\]"):
        ember.bucketize(ev, e2)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_unique(torch, dtype):
    a = np.random.default_rng(10).integers(0, 4, (3, 5)).astype(dtype)
    t, e = both(torch, a)
    same(torch.unique(t), ember.unique(e))
    same(tuple(torch.unique(t, return_inverse=True, return_counts=True)),
         tuple(e.unique(return_inverse=True, return_counts=True)))
    same(tuple(torch.unique(t, return_counts=True)), tuple(ember.unique(e, return_counts=True)))
    a2 = np.array([[1, 2], [0, 1], [1, 2], [0, 0]]).astype(dtype)
    t2, e2 = both(torch, a2)
    for dim in (0, 1, -1):
        same(tuple(torch.unique(t2, dim=dim, return_inverse=True, return_counts=True)),
             tuple(ember.unique(e2, dim=dim, return_inverse=True, return_counts=True)))
    same(torch.unique(t[:, ::2]), ember.unique(e[:, ::2]))
    same(torch.unique(torch.zeros(0)), ember.unique(ember.zeros(0)))
    same(torch.unique(torch.tensor(3)), ember.unique(ember.tensor(3)))


def test_bincount(torch):
    a = np.array([0, 3, 3, 1, 7])
    t, e = both(torch, a)
    same(torch.bincount(t), ember.bincount(e))
    same(torch.bincount(t, minlength=10), e.bincount(minlength=10))
    for w in (np.linspace(0, 1, 5), np.linspace(0, 1, 5).astype(np.float32), np.arange(5)):
        tw, ew = both(torch, w)
        same(torch.bincount(t, tw), ember.bincount(e, ew))
    same(torch.bincount(torch.zeros(0, dtype=torch.int64)), ember.bincount(ember.zeros(0, dtype=ember.int64)))
    same(torch.bincount(t[::2]), ember.bincount(e[::2]))
    with pytest.raises(ValueError, match=r"\[bincount\]"):
        ember.bincount(ember.tensor([1, -1]))
    with pytest.raises(TypeError, match=r"\[bincount\]"):
        ember.bincount(ember.tensor([1.0]))
    with pytest.raises(ValueError, match=r"\[bincount\]"):
        ember.bincount(ember.tensor([[1]]))
