"""ember.linalg's inv, solve, det, slogdet, cholesky, eigh and eigvalsh (include/ember/ops/decomposition.hpp):
values against NumPy and PyTorch in float32 and float64, batched and broadcast, empty matrices, gradients against
torch.autograd, and the errors (singular and non-positive-definite matrices name the batch element)."""
import numpy as np
import pytest
import torch

import ember

rng = np.random.default_rng(7)


def spd(*shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_against_numpy(dtype):
    tol = 1e-4 if dtype == "float32" else 1e-11
    a = rng.standard_normal((2, 3, 4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal((3, 4, 2))
    A, B = ember.tensor(a.astype(dtype)), ember.tensor(b.astype(dtype))
    np.testing.assert_allclose(ember.linalg.inv(A).numpy(), np.linalg.inv(a), rtol=tol, atol=tol)
    np.testing.assert_allclose(ember.linalg.solve(A, B).numpy(), np.linalg.solve(a, b), rtol=tol, atol=tol)
    np.testing.assert_allclose(ember.linalg.det(A).numpy(), np.linalg.det(a), rtol=tol)
    sign, logabs = ember.linalg.slogdet(A)
    np.testing.assert_allclose(sign.numpy(), np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(logabs.numpy(), np.linalg.slogdet(a)[1], rtol=tol, atol=tol)
    s = spd(3, 5, 5)
    S = ember.tensor(s.astype(dtype))
    np.testing.assert_allclose(ember.linalg.cholesky(S).numpy(), np.linalg.cholesky(s), rtol=tol, atol=tol)
    np.testing.assert_allclose(ember.linalg.cholesky(S, upper=True).numpy(),
                               np.swapaxes(np.linalg.cholesky(s), -1, -2), rtol=tol, atol=tol)
    w, V = ember.linalg.eigh(S)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(s), rtol=tol, atol=tol)
    np.testing.assert_allclose((V.numpy() * w.numpy()[..., None, :]) @ np.swapaxes(V.numpy(), -1, -2), s,
                               rtol=tol, atol=10 * tol)
    np.testing.assert_allclose(ember.linalg.eigvalsh(S).numpy(), np.linalg.eigvalsh(s), rtol=tol, atol=tol)
    assert all(r.dtype == getattr(ember, dtype) for r in (ember.linalg.inv(A), w, V, sign, logabs))


def test_triangle_read_and_vector_right_hand_sides():
    a = rng.standard_normal((4, 4))
    s = a + a.T
    lower = np.tril(s) + np.triu(rng.standard_normal((4, 4)), 1)  # garbage above the diagonal
    upper = np.triu(s) + np.tril(rng.standard_normal((4, 4)), -1)
    np.testing.assert_allclose(ember.linalg.eigvalsh(ember.tensor(lower)).numpy(), np.linalg.eigvalsh(s), atol=1e-12)
    np.testing.assert_allclose(ember.linalg.eigh(ember.tensor(upper), UPLO="U").eigenvalues.numpy(),
                               np.linalg.eigvalsh(s), atol=1e-12)
    m = spd(4, 4)
    np.testing.assert_allclose(ember.linalg.cholesky(ember.tensor(np.tril(m) + np.triu(a, 1))).numpy(),
                               np.linalg.cholesky(m), atol=1e-12)
    A, v = ember.tensor(a + 4 * np.eye(4)), rng.standard_normal(4)
    np.testing.assert_allclose(ember.linalg.solve(A, ember.tensor(v)).numpy(), np.linalg.solve(a + 4 * np.eye(4), v))
    x = ember.linalg.solve(A, ember.tensor(np.stack([v, v])), left=False)  # X A = B
    np.testing.assert_allclose(x.numpy() @ (a + 4 * np.eye(4)), np.stack([v, v]), atol=1e-12)


def test_empty_and_top_level_names():
    e = ember.zeros(2, 0, 0, dtype=ember.float64)
    assert ember.linalg.inv(e).shape == (2, 0, 0)
    np.testing.assert_array_equal(ember.linalg.det(e).numpy(), [1.0, 1.0])  # the empty product
    assert ember.linalg.eigh(e).eigenvalues.shape == (2, 0)
    assert ember.linalg.cholesky(ember.zeros(0, 3, 3)).shape == (0, 3, 3)
    m = ember.tensor(spd(3, 3))
    for ours, ref in [(ember.inverse(m), torch.inverse), (m.det(), torch.det), (ember.logdet(m), torch.logdet),
                      (m.cholesky(), torch.linalg.cholesky), (m.inverse(), torch.inverse)]:
        np.testing.assert_allclose(ours.numpy(), ref(torch.tensor(m.numpy())).numpy(), atol=1e-12)
    neg = ember.tensor(np.diag([1.0, -2.0]))
    assert np.isnan(ember.logdet(neg).item()) and np.isnan(torch.logdet(torch.tensor(neg.numpy())).item())
    assert ember.slogdet(ember.zeros(2, 2)).sign.item() == 0 and ember.slogdet(ember.zeros(2, 2))[1].item() == -np.inf


def test_gradients_against_torch():
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))

    def loss(L, A, B):
        S = A @ A.mT + L.eye(3, dtype=A.dtype)
        w, V = L.linalg.eigh(S)
        return (L.linalg.inv(A).sum() + (L.linalg.solve(A, B) ** 2).sum() + L.linalg.det(A).sum()
                + L.linalg.slogdet(A)[1].sum() + L.linalg.cholesky(S).sum() + (w * w).sum() + (V ** 2 * w.unsqueeze(-2)).sum()
                + L.linalg.eigvalsh(S).prod())

    At, Bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    Ae, Be = ember.tensor(a).requires_grad_(), ember.tensor(b).requires_grad_()
    lt, le = loss(torch, At, Bt), loss(ember, Ae, Be)
    np.testing.assert_allclose(le.item(), lt.item(), rtol=1e-12)
    lt.backward()
    le.backward()
    np.testing.assert_allclose(Ae.grad.numpy(), At.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(Be.grad.numpy(), Bt.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_det_gradient_at_a_singular_matrix_is_the_adjugate():
    # the cofactor matrix, as finite differences give it (det is linear in each element); PyTorch 2.13 returns
    # zeros here, so this one is not compared with it
    a = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])  # rank 2
    Ae = ember.tensor(a).requires_grad_()
    ember.linalg.det(Ae).backward()
    cofactors = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
                          for i in range(3)])
    np.testing.assert_allclose(Ae.grad.numpy(), cofactors, atol=1e-12)
    assert np.abs(cofactors).max() > 1


def test_errors():
    sing = np.stack([np.eye(3), [[1.0, 2, 3], [2, 4, 6], [0, 0, 1]]])
    with pytest.raises(ember.linalg.LinAlgError, match=r"\[linalg.inv\] the matrix \(batch element 1\) is singular"):
        ember.linalg.inv(ember.tensor(sing))
    with pytest.raises(RuntimeError, match="is singular"):  # LinAlgError is a RuntimeError, as torch's
        ember.linalg.solve(ember.tensor(sing), ember.ones(2, 3, 1, dtype=ember.float64))
    with pytest.raises(ember.linalg.LinAlgError, match=r"not positive-definite: its leading principal minor of order 2 is not positive"):
        ember.linalg.cholesky(ember.tensor(np.diag([1.0, -1.0, 2.0])))
    with pytest.raises(ValueError, match=r"\[linalg.inv\] expected a square matrix .* got shape \(2, 3\)"):
        ember.linalg.inv(ember.ones(2, 3))
    with pytest.raises(ValueError, match=r"expected a square matrix .* got shape \(3,\)"):
        ember.linalg.det(ember.ones(3))
    with pytest.raises(TypeError, match=r"\[linalg.det\] expected a float32 or float64 input, got dtype int64"):
        ember.linalg.det(ember.ones(2, 2, dtype=ember.int64))
    with pytest.raises(ValueError, match=r"A of shape \(3, 3\) and B of shape \(2, 1\) do not fit"):
        ember.linalg.solve(ember.eye(3), ember.ones(2, 1))
    with pytest.raises(ValueError, match=r"UPLO must be 'L' or 'U', got 'X'"):
        ember.linalg.eigh(ember.eye(2), UPLO="X")
