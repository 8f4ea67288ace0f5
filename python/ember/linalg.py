"""ember.linalg, as torch.linalg: the norms (vector_norm, matrix_norm, norm), bound in C++ (_core._linalg,
include/ember/ops/norm.hpp), and the matrix products ember already has under their torch.linalg names."""
from __future__ import annotations

from ._core import matmul
from ._core._linalg import matrix_norm, norm, vector_norm

__all__ = ["matmul", "matrix_norm", "norm", "vector_norm"]
