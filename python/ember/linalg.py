"""ember.linalg, as torch.linalg: the norms (vector_norm, matrix_norm, norm), the singular value decomposition
(svd, svdvals), inv, solve, det, slogdet, cholesky, eigh and eigvalsh, bound in C++ (_core._linalg;
include/ember/ops/norm.hpp, svd.hpp and decomposition.hpp), and the matrix products ember already has under their
torch.linalg names. A singular or non-positive-definite matrix raises ``LinAlgError`` (a RuntimeError)."""
from __future__ import annotations

from typing import NamedTuple

from ._core import Tensor, matmul
from ._core import cross as _cross
from ._core import _linalg
from ._core._linalg import LinAlgError, det, eigvalsh as _eigvalsh, inv, matrix_norm, norm, svdvals, vector_norm

__all__ = ["EighResult", "LinAlgError", "SVDResult", "SlogdetResult", "cholesky", "cross", "det", "eigh", "eigvalsh",
           "inv", "matmul", "matrix_norm", "norm", "slogdet", "solve", "svd", "svdvals", "vector_norm"]


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of the 3-vectors along ``dim`` (input and other broadcast)."""
    return _cross(input, other, dim)


class SVDResult(NamedTuple):
    """(U, S, Vh), as torch.linalg.svd's named tuple."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """``A = U diag(S) Vh`` for every matrix of ``A`` (..., M, N), K = min(M, N): U (..., M, K), S (..., K)
    descending, Vh (..., K, N); with ``full_matrices`` (the default, as torch), U (..., M, M) and Vh (..., N, N).
    Differentiable; a gradient reaching U or Vh of a non-square ``full_matrices`` SVD is an error."""
    return SVDResult(*_linalg.svd(A, full_matrices))


class SlogdetResult(NamedTuple):
    """(sign, logabsdet), as torch.linalg.slogdet's named tuple."""

    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    """(eigenvalues, eigenvectors), as torch.linalg.eigh's named tuple."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with ``A @ X = B`` (``X @ A = B`` with ``left=False``) for A (..., n, n) and B (..., n, k), or B a batch
    of vectors (..., n); batch dims broadcast. Differentiable in A and B; a singular A raises LinAlgError."""
    return _linalg.solve(A, B, left)


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, log|det|) of every matrix of A (..., n, n); sign 0 and log|det| -inf for a singular matrix.
    Differentiable in logabsdet."""
    return SlogdetResult(*_linalg.slogdet(A))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The lower-triangular L with ``A = L @ L.mT`` for every symmetric positive-definite matrix of A (..., n, n),
    read from its lower triangle; ``upper=True`` gives ``L.mT``. Differentiable; a matrix that is not
    positive-definite raises LinAlgError."""
    return _linalg.cholesky(A, upper)


def _triangle(A: Tensor, UPLO: str, op: str) -> Tensor:
    if UPLO not in ("L", "U"):
        raise ValueError(f"[linalg.{op}] UPLO must be 'L' or 'U', got {UPLO!r}")
    return A if UPLO == "L" else A.mT  # the upper triangle of A is the lower one of A.mT


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """(eigenvalues ascending (..., n), eigenvectors as columns (..., n, n)) of every symmetric matrix of A, read
    from its lower (``UPLO='L'``) or upper triangle. Differentiable (for a loss that does not depend on the
    eigenvectors' signs; repeated eigenvalues give an infinite gradient, as in PyTorch)."""
    return EighResult(*_linalg.eigh(_triangle(A, UPLO, "eigh")))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of every symmetric matrix of A (..., n, n), read from its lower or upper
    triangle. Differentiable."""
    return _eigvalsh(_triangle(A, UPLO, "eigvalsh"))


# torch's top-level names and Tensor methods for these
def inverse(input: Tensor) -> Tensor:
    """The inverse of every matrix of input (..., n, n) (linalg.inv)."""
    return inv(input)


def logdet(input: Tensor) -> Tensor:
    """log(det) of every matrix of input: NaN for a negative determinant, -inf for a singular matrix."""
    sign, logabs = _linalg.slogdet(input)
    return logabs + sign.log()


def _det(self: Tensor) -> Tensor:
    """The determinant of every matrix of self (linalg.det)."""
    return det(self)


def _cholesky(self: Tensor, upper: bool = False) -> Tensor:
    """The Cholesky factor of every matrix of self (linalg.cholesky)."""
    return cholesky(self, upper=upper)


for _name, _fn in [("inverse", inverse), ("det", _det), ("logdet", logdet), ("slogdet", slogdet),
                   ("cholesky", _cholesky)]:
    setattr(Tensor, _name, _fn)
