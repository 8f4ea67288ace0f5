"""matmul / @ / mm / bmm / dot / outer against NumPy (every shape form and dtype) and PyTorch."""
import threading

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover - torch is installed in the dev environment
    torch = None

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]


def rand_np(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("float32", "float64"):
        return rng.standard_normal(shape).astype(dtype)
    lo = 0 if dtype == "uint8" else -3
    return rng.integers(lo, 4, size=shape).astype(dtype)


def et(x):
    """An ember tensor holding a copy of the NumPy array x."""
    return ember.from_numpy(np.ascontiguousarray(x).copy())


def check(got, want, dtype):
    got = got.numpy()
    assert got.shape == want.shape
    assert str(got.dtype) == str(want.dtype)
    if dtype in ("float32",):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    elif dtype == "float64":
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_array_equal(got, want)


SHAPES = [
    ((4,), (4,)),  # dot -> 0-d
    ((4,), (4, 3)),  # vector @ matrix
    ((3, 4), (4,)),  # matrix @ vector
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 6)),  # batch dims broadcast
    ((1, 3, 4), (7, 1, 4, 2)),
    ((67, 129), (129, 33)),  # float32 on oneDNN
    ((3, 67, 129), (1, 129, 33)),  # oneDNN with batch broadcast
    ((2, 1, 40, 50), (1, 3, 50, 30)),  # both operands broadcast
    ((129,), (129, 67)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_matches_numpy(sa, sb, dtype):
    a, b = rand_np(sa, dtype, 1), rand_np(sb, dtype, 2)
    want = np.matmul(a, b)
    check(ember.matmul(et(a), et(b)), want, dtype)
    check(et(a) @ et(b), want, dtype)
    check(et(a).matmul(et(b)), want, dtype)


def test_dot_of_vectors_is_0d():
    r = ember.matmul(et(np.array([1.0, 2.0, 3.0], np.float32)), et(np.array([4.0, 5.0, 6.0], np.float32)))
    assert r.shape == ()
    assert r.item() == 32.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("size", [(5, 7, 3), (67, 129, 33)])
def test_non_contiguous_operands(dtype, size):
    m, k, n = size
    a_t = rand_np((k, m), dtype, 3)
    b_t = rand_np((n, k), dtype, 4)
    a, b = et(a_t).T, et(b_t).T  # transposed views
    assert not a.is_contiguous() and not b.is_contiguous()
    check(a @ b, a_t.T @ b_t.T, dtype)
    # Sliced: every other column of a wider matrix, and a row range.
    wide = rand_np((m, 2 * k), dtype, 5)
    s = et(wide).narrow(1, 0, 2 * k).transpose(0, 1)  # (2k, m)
    check(s.narrow(0, 1, k).transpose(0, 1) @ b, wide[:, 1 : k + 1] @ b_t.T, dtype)
    # A strided 1-D operand (a column of a matrix).
    cols = rand_np((k, 3), dtype, 6)
    check(a @ et(cols).select(1, 2), a_t.T @ cols[:, 2], dtype)


@pytest.mark.parametrize("layout_a", ["plain", "transposed", "sliced"])
@pytest.mark.parametrize("layout_b", ["plain", "transposed", "sliced"])
def test_large_products_in_every_layout(layout_a, layout_b):
    # 260 * 300 * 270 multiply-adds: large enough for oneDNN's sgemm (x86-64), fed views without copies.
    m, k, n = 260, 300, 270

    def operand(rows, cols, layout, seed):
        x = rand_np((rows, cols), "float64", seed)
        if layout == "plain":
            return et(x.astype(np.float32)), x
        if layout == "transposed":
            return et(x.T.astype(np.float32)).T, x
        wide = np.zeros((rows, cols + 13), np.float32)  # leading dim larger than the row
        wide[:, 5 : cols + 5] = x
        return et(wide).narrow(1, 5, cols), x

    (ea, a), (eb, b) = operand(m, k, layout_a, 26), operand(k, n, layout_b, 27)
    got = ea @ eb
    np.testing.assert_allclose(got.numpy(), a @ b, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(ember.matmul(ea.unsqueeze(0), eb).numpy()[0], a @ b, rtol=1e-4, atol=1e-3)
    # The backward takes transposed views of g, a and b.
    la, lb = ea.detach().requires_grad_(), eb.detach().requires_grad_()
    w = rand_np((m, n), "float64", 28)
    (la @ lb * et(w.astype(np.float32))).sum().backward()
    np.testing.assert_allclose(la.grad.numpy(), w @ b.T, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(lb.grad.numpy(), a.T @ w, rtol=1e-4, atol=1e-3)


def test_large_vector_products():
    v, mat = rand_np((4100,), "float32", 29), rand_np((4100, 4100), "float32", 30)  # 4100^2 multiply-adds: sgemm
    np.testing.assert_allclose((et(v) @ et(mat)).numpy(), v.astype(np.float64) @ mat, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose((et(mat).T @ et(v)).numpy(), mat.T.astype(np.float64) @ v, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_non_contiguous_and_expanded(dtype):
    a = rand_np((40, 4, 50), dtype, 7)  # permuted to (4, 40, 50): batch dim not outermost in memory
    b = rand_np((4, 30, 50), dtype, 8)  # transposed matrices
    ea = et(a).permute(1, 0, 2)
    eb = et(b).transpose(1, 2)
    check(ea @ eb, np.transpose(a, (1, 0, 2)) @ np.transpose(b, (0, 2, 1)), dtype)
    one = rand_np((1, 40, 50), dtype, 9)
    ex = et(one).expand(4, 40, 50)  # stride-0 batch dim
    check(ex @ eb, np.broadcast_to(one, (4, 40, 50)) @ np.transpose(b, (0, 2, 1)), dtype)
    both = et(rand_np((50, 30), dtype, 10)).expand(4, 50, 30)
    check(ex @ both, np.broadcast_to(one, (4, 40, 50)) @ np.broadcast_to(both.numpy(), (4, 50, 30)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_and_zero_k(dtype):
    z = ember.matmul(et(np.ones((3, 0), dtype)), et(np.ones((0, 4), dtype)))
    check(z, np.matmul(np.ones((3, 0), dtype), np.ones((0, 4), dtype)), dtype)
    assert z.shape == (3, 4) and not z.numpy().any()
    big = ember.matmul(et(np.ones((300, 0), dtype)), et(np.ones((0, 200), dtype)))
    assert big.shape == (300, 200) and not big.numpy().any()
    assert ember.matmul(et(np.ones((0, 5), dtype)), et(np.ones((5, 4), dtype))).shape == (0, 4)
    assert ember.matmul(et(np.ones((2, 0, 3, 5), dtype)), et(np.ones((5, 4), dtype))).shape == (2, 0, 3, 4)
    assert ember.matmul(et(np.ones((0,), dtype)), et(np.ones((0,), dtype))).item() == 0


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_mixed_dtypes_promote(da, db):
    a, b = rand_np((3, 4), da, 11), rand_np((4, 2), db, 12)
    r = et(a) @ et(b)
    if torch is not None:
        want_dtype = str(torch.promote_types(getattr(torch, da), getattr(torch, db))).removeprefix("torch.")
        assert str(r.dtype).removeprefix("ember.") == want_dtype
    want = np.matmul(a.astype(r.numpy().dtype), b.astype(r.numpy().dtype))
    check(r, want, str(r.numpy().dtype))


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_against_torch():
    a, b = rand_np((6, 67, 129), "float32", 13), rand_np((129, 33), "float32", 14)
    want = torch.matmul(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose((et(a) @ et(b)).numpy(), want, rtol=1e-4, atol=1e-4)
    x, y = rand_np((5, 3, 4), "float64", 15), rand_np((5, 4, 2), "float64", 16)
    np.testing.assert_allclose(ember.bmm(et(x), et(y)).numpy(), torch.bmm(torch.from_numpy(x), torch.from_numpy(y)).numpy())
    u, v = rand_np((7,), "float32", 17), rand_np((5,), "float32", 18)
    np.testing.assert_allclose(ember.outer(et(u), et(v)).numpy(), torch.outer(torch.from_numpy(u), torch.from_numpy(v)).numpy())
    np.testing.assert_allclose(ember.dot(et(u), et(u)).numpy(), torch.dot(torch.from_numpy(u), torch.from_numpy(u)).numpy(), rtol=1e-6)
    m = rand_np((4, 4), "int64", 19)
    np.testing.assert_array_equal(ember.mm(et(m), et(m)).numpy(), torch.mm(torch.from_numpy(m), torch.from_numpy(m)).numpy())


def test_bmm_outer_dot_mm_and_methods():
    x, y = rand_np((3, 2, 4), "float32", 20), rand_np((3, 4, 5), "float32", 21)
    np.testing.assert_allclose(ember.bmm(et(x), et(y)).numpy(), x @ y, rtol=1e-5)
    np.testing.assert_allclose(et(x).bmm(et(y)).numpy(), x @ y, rtol=1e-5)
    u, v = np.arange(3, dtype=np.int64), np.arange(4, dtype=np.int32)
    o = ember.outer(et(u), et(v))
    assert o.dtype == ember.int64
    np.testing.assert_array_equal(o.numpy(), np.outer(u, v))
    np.testing.assert_array_equal(et(u).outer(et(v)).numpy(), np.outer(u, v))
    assert ember.dot(et(u), et(u)).item() == 5
    assert et(u).dot(et(u)).shape == ()
    np.testing.assert_allclose(et(x[0]).mm(et(y[0])).numpy(), x[0] @ y[0], rtol=1e-5)
    np.testing.assert_allclose(et(y[0]).__rmatmul__(et(x[0])).numpy(), x[0] @ y[0], rtol=1e-5)


def test_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"^\[matmul\] shapes \(3, 4\) and \(5, 6\) cannot be multiplied: 4 != 5$"):
        ember.zeros(3, 4) @ ember.zeros(5, 6)
    with pytest.raises(ValueError, match=r"\[matmul\] .*shapes \(\) and \(2, 3\)"):
        ember.matmul(ember.zeros(()), ember.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\[matmul\] .*shapes \(3,\) and \(\)"):
        ember.matmul(ember.zeros(3), ember.zeros(()))
    with pytest.raises(ValueError, match=r"\[matmul\] batch dims of shapes \(2, 3, 4\) and \(5, 4, 6\) cannot be broadcast: 2 != 5"):
        ember.zeros(2, 3, 4) @ ember.zeros(5, 4, 6)
    with pytest.raises(ValueError, match=r"\[matmul\] shapes \(3,\) and \(4,\) cannot be multiplied: 3 != 4"):
        ember.zeros(3) @ ember.zeros(4)
    with pytest.raises(ValueError, match=r"\[bmm\] expected 3-D tensors, got shapes \(2, 3\) and \(2, 3, 4\)"):
        ember.bmm(ember.zeros(2, 3), ember.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"\[bmm\] batch sizes of shapes \(2, 3, 4\) and \(3, 4, 5\) differ: 2 != 3"):
        ember.bmm(ember.zeros(2, 3, 4), ember.zeros(3, 4, 5))
    with pytest.raises(ValueError, match=r"\[bmm\] shapes \(2, 3, 4\) and \(2, 5, 5\) cannot be multiplied"):
        ember.bmm(ember.zeros(2, 3, 4), ember.zeros(2, 5, 5))
    with pytest.raises(ValueError, match=r"\[outer\] expected 1-D tensors, got shapes \(2, 3\) and \(3,\)"):
        ember.outer(ember.zeros(2, 3), ember.zeros(3))
    with pytest.raises(ValueError, match=r"\[mm\] expected 2-D tensors, got shapes \(3,\) and \(3, 3\)"):
        ember.mm(ember.zeros(3), ember.zeros(3, 3))
    with pytest.raises(ValueError, match=r"\[dot\] shapes \(3,\) and \(4,\) have different lengths: 3 != 4"):
        ember.dot(ember.zeros(3), ember.zeros(4))
    with pytest.raises(TypeError):
        ember.zeros(3, 3) @ 2
    with pytest.raises(TypeError):
        ember.matmul(ember.zeros(3, 3), [[1.0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threads_run_concurrently_with_gil_released(dtype):
    # float32 shares one cached oneDNN primitive between the threads; float64 runs on Eigen.
    a, b = rand_np((256, 256), dtype, 22), rand_np((256, 256), dtype, 23)
    want = a.astype(np.float64) @ b.astype(np.float64)
    ea, eb = et(a), et(b)
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append((ea @ eb).numpy())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 12
    tol = 1e-3 if dtype == "float32" else 1e-10
    for r in results:
        np.testing.assert_allclose(r, want, rtol=tol, atol=tol)


def test_more_dims_than_onednn_takes():
    # oneDNN takes at most 12 dims: a 13-D float32 product runs on Eigen instead, same result.
    a = rand_np((2,) + (1,) * 10 + (40, 50), "float32", 24)
    b = rand_np((1, 3) + (1,) * 9 + (50, 30), "float32", 25)
    check(et(a) @ et(b), a @ b, "float32")


# --- svd, svdvals and the SVD matrix norms (include/ember/ops/svd.hpp, norm.hpp) against torch.linalg ---

SVD_SHAPES = [(4, 3), (3, 5), (1, 1), (2, 3, 3), (2, 2, 4, 6), (0, 3), (2, 0, 0), (1, 7)]


def _svd_check(got, want, tol):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=tol, atol=tol)


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("shape", SVD_SHAPES, ids=str)
def test_svdvals_and_svd_match_torch(shape, dtype, tol):
    a = rand_np(shape, dtype, seed=len(shape))
    t = torch.from_numpy(a.copy())
    _svd_check(ember.linalg.svdvals(et(a)).numpy(), torch.linalg.svdvals(t).numpy(), tol)
    for full in (False, True):
        U, S, Vh = ember.linalg.svd(et(a), full_matrices=full)
        Ut, St, Vht = torch.linalg.svd(t, full_matrices=full)
        assert U.shape == tuple(Ut.shape) and S.shape == tuple(St.shape) and Vh.shape == tuple(Vht.shape)
        assert U.dtype == S.dtype == Vh.dtype == getattr(ember, dtype)
        _svd_check(S.numpy(), St.numpy(), tol)
        k = min(shape[-2], shape[-1])
        u, vh = U.numpy()[..., :k], Vh.numpy()[..., :k, :]
        _svd_check((u * S.numpy()[..., None, :]) @ vh, a, 10 * tol)  # A = U diag(S) Vh
        eye_u = np.broadcast_to(np.eye(U.shape[-1]), U.shape[:-2] + (U.shape[-1],) * 2)
        _svd_check(np.swapaxes(U.numpy(), -1, -2) @ U.numpy(), eye_u, 10 * tol)
        eye_v = np.broadcast_to(np.eye(Vh.shape[-2]), Vh.shape[:-2] + (Vh.shape[-2],) * 2)
        _svd_check(Vh.numpy() @ np.swapaxes(Vh.numpy(), -1, -2), eye_v, 10 * tol)
        # singular vectors agree with torch's up to sign (distinct singular values)
        if k:
            signs = np.sign(np.sum(u * Ut.numpy()[..., :k], axis=-2, keepdims=True))
            _svd_check(u * signs, Ut.numpy()[..., :k], 100 * tol)


def test_svd_is_a_named_tuple_and_takes_non_contiguous_views():
    a = rand_np((5, 4), "float64")
    r = ember.linalg.svd(et(a).T, full_matrices=False)
    assert r.U.shape == (4, 4) and r.S.shape == (4,) and r.Vh.shape == (4, 5)
    np.testing.assert_allclose(r.S.numpy(), np.linalg.svd(a.T, compute_uv=False), rtol=1e-12)


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 1e-4)])
def test_svd_gradients_match_torch(dtype, tol):
    a = rand_np((3, 4, 3), dtype, seed=5)
    e = et(a).requires_grad_()
    t = torch.from_numpy(a.copy()).requires_grad_()
    w = rand_np((3, 4, 3), dtype, seed=6)

    def loss(M, x, w):
        U, S, Vh = M.linalg.svd(x, full_matrices=False)
        return (U * U * w).sum() + (S ** 3).sum() + (Vh * Vh).sum(-1).mean() + M.linalg.svdvals(x).sum()

    loss(ember, e, et(w)).backward()
    loss(torch, t, torch.from_numpy(w)).backward()
    _svd_check(e.grad.numpy(), t.grad.numpy(), 10 * tol)


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
def test_svd_matrix_norms_match_torch(ord_, dtype, tol):
    a = rand_np((2, 3, 4), dtype, seed=7)
    t, e = torch.from_numpy(a.copy()).requires_grad_(), et(a).requires_grad_()
    for dim, keepdim in (((-2, -1), False), ((0, 2), True), ((2, 1), False)):
        _svd_check(ember.linalg.matrix_norm(e, ord_, dim=dim, keepdim=keepdim).detach().numpy(),
                   torch.linalg.matrix_norm(t, ord_, dim=dim, keepdim=keepdim).detach().numpy(), tol)
        _svd_check(ember.linalg.norm(e, ord_, dim=dim, keepdim=keepdim).detach().numpy(),
                   torch.linalg.norm(t, ord_, dim=dim, keepdim=keepdim).detach().numpy(), tol)
    _svd_check(ember.linalg.norm(e[0], ord_).detach().numpy(), torch.linalg.norm(t[0], ord_).detach().numpy(), tol)
    ember.linalg.matrix_norm(e, ord_).sum().backward()
    torch.linalg.matrix_norm(t, ord_).sum().backward()
    _svd_check(e.grad.numpy(), t.grad.numpy(), 10 * tol)
    if ord_ == "nuc":
        _svd_check(e.detach().norm("nuc", dim=(1, 2)).numpy(), t.detach().norm("nuc", dim=(1, 2)).numpy(), tol)


def test_svd_errors_name_the_shape():
    with pytest.raises(ValueError, match=r"\[svdvals\].*at least 2 dims.*\(3,\)"):
        ember.linalg.svdvals(ember.zeros(3))
    with pytest.raises(ValueError, match=r"\[svd\].*at least 2 dims.*\(\)"):
        ember.linalg.svd(ember.tensor(1.0))
    with pytest.raises(TypeError, match=r"\[svd\].*int64"):
        ember.linalg.svd(ember.zeros((2, 2), dtype=ember.int64))
    with pytest.raises(ValueError, match=r"\[svdvals\].*non-finite.*\(2, 2\)"):
        ember.linalg.svdvals(ember.tensor([[1.0, float("nan")], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"\[matrix_norm\].*shape \(4,\)"):
        ember.linalg.matrix_norm(ember.zeros(4), "nuc")
    with pytest.raises(ValueError, match=r"\[matrix_norm\].*order 3"):
        ember.linalg.matrix_norm(ember.zeros((2, 2)), 3)
    x = ember.from_numpy(rand_np((4, 3), "float64")).requires_grad_()
    U, S, Vh = ember.linalg.svd(x)  # full_matrices: U is (4, 4), its last column an arbitrary basis
    S.sum().backward()  # the singular values alone are fine
    with pytest.raises(RuntimeError, match=r"\[svd\].*full_matrices=False"):
        U.sum().backward()
