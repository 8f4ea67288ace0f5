"""Reductions and softmax against NumPy (and torch for var/std, logsumexp, softmax, max indices)."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)

DIMS = [None, 0, 1, -1, -3, (0, 2), (-1, 0), (0, 1, 2), ()]


def E(a):
    return ember.from_numpy(np.ascontiguousarray(a))


def N(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def np_dim(d):
    return None if d is None or d == () else d


def inputs():
    """A contiguous, a transposed and a sliced-with-step (ember, numpy) pair of shape (3, 4, 5)."""
    a = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    yield E(a), a
    b = RNG.standard_normal((5, 4, 3)).astype(np.float32)
    yield E(b).permute(2, 1, 0), b.transpose(2, 1, 0)
    c = RNG.standard_normal((3, 8, 10)).astype(np.float32)
    view = ember.from_numpy(c[:, ::2, ::2])  # zero-copy, strides (80, 20, 2)
    assert not view.is_contiguous()
    yield view, c[:, ::2, ::2]


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "all", "any"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_dims_forms_vs_numpy(name, dim, keepdim):
    npf = {"amax": np.max, "amin": np.min}.get(name) or getattr(np, name)
    for x, a in inputs():
        got = getattr(ember, name)(x, dim, keepdim)
        want = npf(a, axis=np_dim(dim), keepdims=keepdim)
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(N(got), want, rtol=1e-5, atol=1e-5)
        meth = getattr(x, name)(dim=dim, keepdim=keepdim)
        np.testing.assert_allclose(N(meth), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int32, np.int64])
def test_int_and_bool_sum_prod_are_int64(dtype):
    a = RNG.integers(0, 3, size=(4, 6)).astype(dtype)
    x = E(a)
    for name in ["sum", "prod"]:
        got = getattr(x, name)(1)
        assert got.dtype == ember.int64
        np.testing.assert_array_equal(N(got), getattr(np, name)(a.astype(np.int64), axis=1))
    assert x.all().dtype == ember.bool and x.any(0).dtype == ember.bool
    np.testing.assert_array_equal(N(x.any(0)), a.any(0))
    np.testing.assert_array_equal(N(x.amax(1)), a.max(1))
    np.testing.assert_array_equal(N(x.argmin(1)), a.argmin(1))


def test_float64():
    a = RNG.standard_normal((7, 9))
    x = E(a)
    assert x.sum(0).dtype == ember.float64
    np.testing.assert_allclose(N(x.mean(1)), a.mean(1), rtol=1e-12)
    np.testing.assert_allclose(N(x.std(0)), a.std(0, ddof=1), rtol=1e-12)


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std_logsumexp_vs_torch(dim, keepdim):
    a = RNG.standard_normal((6, 7)).astype(np.float32)
    x, t = E(a), torch.from_numpy(a)
    tdim = list(range(a.ndim)) if dim is None else dim
    for corr in [0, 1, 2]:
        np.testing.assert_allclose(N(ember.var(x, dim, keepdim=keepdim, correction=corr)),
                                   torch.var(t, tdim, keepdim=keepdim, correction=corr).numpy(), rtol=1e-5)
        np.testing.assert_allclose(N(x.std(dim, keepdim=keepdim, correction=corr)),
                                   t.std(tdim, keepdim=keepdim, correction=corr).numpy(), rtol=1e-5)
    np.testing.assert_allclose(N(x.var(dim, False, keepdim)), t.var(tdim, unbiased=False, keepdim=keepdim).numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(N(ember.logsumexp(x, dim, keepdim)),
                               torch.logsumexp(t, tdim, keepdim=keepdim).numpy(), rtol=1e-5)


def test_var_unbiased_positional_and_large_offset():
    a = (1e4 + RNG.standard_normal(1000)).astype(np.float32)
    np.testing.assert_allclose(N(E(a).var(False)), torch.from_numpy(a).var(unbiased=False).numpy(), rtol=1e-4)
    np.testing.assert_allclose(N(E(a).var()), a.astype(np.float64).var(ddof=1), rtol=1e-4)


def test_logsumexp_stable_and_int():
    x = E(np.array([1000.0, 1000.0, -np.inf], dtype=np.float32))
    assert abs(x.logsumexp().item() - (1000 + np.log(2))) < 1e-3
    i = E(np.arange(4))
    got = ember.logsumexp(i, 0)
    assert got.dtype == ember.float32
    np.testing.assert_allclose(N(got), torch.logsumexp(torch.arange(4), 0).numpy(), rtol=1e-6)


def test_max_min_named_tuple_ties_and_nan():
    a = np.array([[1, 3, 3, 0], [2, 2, 1, 1]], dtype=np.float32)
    x, t = E(a), torch.from_numpy(a)
    for name in ["max", "min"]:
        r = getattr(ember, name)(x, 1)
        tr = getattr(torch, name)(t, 1)
        v, i = r
        np.testing.assert_array_equal(N(r.values), tr.values.numpy())
        np.testing.assert_array_equal(N(r.indices), tr.indices.numpy())
        assert N(v).tolist() == tr.values.tolist() and N(i).tolist() == tr.indices.tolist()
        r2 = getattr(x, name)(dim=-1, keepdim=True)
        assert r2.values.shape == (2, 1) and r2.indices.dtype == ember.int64
        assert getattr(x, name)().shape == ()
    assert ember.argmax(x).item() == torch.argmax(t).item() == 1
    assert x.T.argmax().item() == torch.argmax(t.T).item()
    np.testing.assert_array_equal(N(x.argmax(0)), t.argmax(0).numpy())
    assert x.argmax(keepdim=True).shape == (1, 1)
    n = np.array([1, np.nan, 5, np.nan], dtype=np.float32)
    assert np.isnan(E(n).max().item()) and np.isnan(E(n).amin().item())
    assert E(n).argmax().item() == torch.from_numpy(n).argmax().item()
    assert np.isnan(N(E(n).max(0).values))


def test_zero_dim():
    x = ember.from_numpy(np.array(2.5, dtype=np.float32))
    for d in [None, 0, -1]:
        assert x.sum(d).item() == 2.5 and x.sum(d).shape == ()
        assert x.amax(d, keepdim=True).shape == ()
    r = x.max(0)
    assert r.values.item() == 2.5 and r.indices.item() == 0
    assert x.argmax().item() == 0
    assert ember.softmax(x, 0).item() == 1.0
    with pytest.raises(IndexError, match=r"\[sum\] dimension out of range"):
        x.sum(1)


def test_empty():
    z = E(np.zeros((0, 3), dtype=np.float32))
    np.testing.assert_array_equal(N(z.sum(0)), np.zeros(3))
    np.testing.assert_array_equal(N(z.prod(0)), np.ones(3))
    assert z.sum().item() == 0 and z.prod().item() == 1
    assert np.isnan(z.mean().item())
    assert z.all().item() is True and z.any().item() is False
    assert z.amax(1).shape == (0,) and z.max(1).indices.shape == (0,)
    assert z.logsumexp(0).numpy().tolist() == [-np.inf] * 3
    for f in [lambda: z.max(0), lambda: z.amax(), lambda: z.max(), lambda: z.argmax(), lambda: z.argmin(0)]:
        with pytest.raises(IndexError, match="cannot perform reduction function"):
            f()


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((4, 6), 0), ((4, 6), -1), ((3, 4, 5), 1),
                                       ((64, 32, 24), -1), ((64, 32, 24), 0)])
def test_softmax_vs_torch(fn, shape, dim):
    a = (RNG.standard_normal(shape) * 10).astype(np.float32)
    want = getattr(torch, fn)(torch.from_numpy(a), dim).numpy()
    atol = 1e-6 if fn == "softmax" else 1e-5  # log_softmax: x - lse cancels to an ulp of |x| ~ 30
    np.testing.assert_allclose(N(getattr(ember, fn)(E(a), dim)), want, rtol=1e-5, atol=atol)
    np.testing.assert_allclose(N(getattr(E(a), fn)(dim)), want, rtol=1e-5, atol=atol)
    if len(shape) > 1:  # a non-contiguous view
        at = a.swapaxes(0, -1)
        got = getattr(ember, fn)(E(a).transpose(0, -1), dim)
        np.testing.assert_allclose(N(got), getattr(torch, fn)(torch.from_numpy(at.copy()), dim).numpy(),
                                   rtol=1e-5, atol=atol)


def test_softmax_extreme_values():
    a = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, -np.inf]], dtype=np.float32)
    np.testing.assert_allclose(N(ember.softmax(E(a), 1)), torch.softmax(torch.from_numpy(a), 1).numpy(), atol=1e-7)
    np.testing.assert_allclose(N(ember.log_softmax(E(a), 1)), torch.log_softmax(torch.from_numpy(a), 1).numpy())
    assert ember.softmax(E(np.arange(3)), 0, dtype=ember.float64).dtype == ember.float64


def test_large_float32_sum_accuracy():
    a = RNG.random(1_000_000).astype(np.float32)
    exact = a.astype(np.float64).sum()
    assert abs(E(a).sum().item() - exact) <= 1e-6 * exact
    assert abs(E(a).mean().item() - exact / a.size) <= 1e-6 * exact / a.size
    b = RNG.standard_normal((256, 200)).astype(np.float32)
    for d in [0, 1, None]:
        np.testing.assert_allclose(N(E(b).sum(d)), b.astype(np.float64).sum(axis=d), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(N(E(b).amax(d)), b.max(axis=d))
        np.testing.assert_allclose(N(E(b).mean(d)), b.mean(axis=d), rtol=1e-5, atol=1e-6)
    hits0, _ = ember._core._primitive_cache_stats()
    E(b).amax(1)
    assert ember._core._primitive_cache_stats()[0] > hits0  # amax over the last dim runs on oneDNN
    b[7, 9] = np.nan
    assert np.isnan(E(b).max().item())


# Contiguous sums by pattern of kept (K) and reduced (R) dims, each above the size where the sum is
# split across threads: R, K R, R K, K R K, R K R (the threaded kernels), K R K R (the general loop).
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dims", [
    ((300_001,), None), ((3, 100_003), (1,)), ((1, 40_000), (1,)), ((70_001, 3), (0,)), ((513, 1_030), (0,)),
    ((2, 3, 300, 777), (0, 1)), ((5, 600, 1_100), (1,)), ((40, 7, 9_000), (1,)), ((64, 33, 8, 8), (0, 2, 3)),
    ((3, 2_000, 2, 9), (1, 3)), ((4, 1, 70_000, 1), (0, 3)), ((1, 1), None)])
def test_contiguous_sum_patterns(dtype, shape, dims):
    x = RNG.standard_normal(shape).astype(dtype)
    exact = x.astype(np.float64).sum(axis=dims, keepdims=True)
    scale = np.abs(x).astype(np.float64).sum(axis=dims, keepdims=True)  # the error bound grows with it
    tol = 1e-6 if dtype == np.float32 else 1e-12
    got = N(E(x).sum(dims, keepdim=True) if dims is not None else E(x).sum().reshape([1] * len(shape)))
    assert got.dtype == dtype and got.shape == exact.shape
    assert np.all(np.abs(got - exact) <= tol * scale + 1e-30)
    n = x.size // exact.size
    np.testing.assert_allclose(N(E(x).mean(dims) if dims is not None else E(x).mean()),
                               np.squeeze(exact / n, axis=dims), rtol=1e-5, atol=tol * scale.max() / n)


def test_sum_of_a_strided_view_and_of_empty_tensors():
    x = RNG.standard_normal((600, 400)).astype(np.float32)
    np.testing.assert_allclose(N(E(x).t().sum(0)), x.astype(np.float64).sum(1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(N(E(x)[:, ::3].sum(1)), x[:, ::3].astype(np.float64).sum(1), rtol=1e-5, atol=1e-4)
    assert N(E(np.zeros((0, 5), np.float32)).sum(0)).tolist() == [0.0] * 5
    assert np.isnan(E(np.zeros((0, 5), np.float32)).mean(0).numpy()).all()


def test_sum_dtype_kwarg():
    x = E(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert x.sum(dtype=ember.float32).dtype == ember.float32
    np.testing.assert_allclose(N(x.mean(1, dtype=ember.float64)), [1.0, 4.0])


def test_errors():
    x = E(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(IndexError, match=r"\[sum\] dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(IndexError, match=r"\[amax\] dimension out of range"):
        ember.amax(x, (0, -3))
    with pytest.raises(ValueError, match=r"\[sum\] dim 1 appears multiple times in the list of dims \(1, -1\)"):
        x.sum((1, -1))
    with pytest.raises(ValueError, match="appears multiple times"):
        x.var((0, 0))
    i = E(np.arange(3))
    with pytest.raises(TypeError, match=r"\[mean\] could not infer output dtype.*int64"):
        i.mean()
    with pytest.raises(TypeError, match=r"\[var\].*int64"):
        ember.var(i)
    with pytest.raises(TypeError, match=r"\[std\]"):
        i.std()
    with pytest.raises(TypeError, match=r"\[softmax\] expected a floating point tensor, got dtype int64 \(shape \(3,\)\)"):
        ember.softmax(i, 0)
    with pytest.raises(TypeError, match=r"\[log_softmax\]"):
        i.log_softmax(0)
    with pytest.raises(IndexError, match=r"\[softmax\] dimension out of range"):
        x.softmax(2)
    with pytest.raises(TypeError, match=r"\[sum\] dim must be None, an int or a tuple of ints"):
        x.sum("a")
    with pytest.raises(TypeError, match=r"\[max\] dim must be None or an int"):
        x.max((0, 1))
    with pytest.raises(IndexError, match=r"\[max\] cannot perform reduction function max.*shape \(0, 3\)"):
        E(np.zeros((0, 3), dtype=np.float32)).max(0)
