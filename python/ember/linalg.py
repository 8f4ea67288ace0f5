"""ember.linalg, as torch.linalg: the norms (vector_norm, matrix_norm, norm) and the singular value
decomposition (svd, svdvals), bound in C++ (_core._linalg; include/ember/ops/norm.hpp and svd.hpp), and the
matrix products ember already has under their torch.linalg names."""
from __future__ import annotations

from typing import NamedTuple

from ._core import Tensor, matmul
from ._core import cross as _cross
from ._core import _linalg
from ._core._linalg import matrix_norm, norm, svdvals, vector_norm

__all__ = ["cross", "matmul", "matrix_norm", "norm", "svd", "svdvals", "vector_norm"]


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
