"""``Dropout``."""
from __future__ import annotations

from ... import _core
from ..._core import Tensor
from .. import functional as F
from ..module import Module


class Dropout(Module):
    """In training, zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``;
    in evaluation, the identity. Over ``_core.dropout``; the C++ twin is ``ember::nn::Dropout<T>``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _core._check_dropout_probability(p, "Dropout")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies dropout (training mode) or returns ``input`` (evaluation mode)."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


# --- issue 21: channel dropout (C++ twins in include/ember/nn/dropout_extra.hpp) ---

class Dropout1d(Module):
    """In training, zeroes whole channels of (N, C, L) or (C, L) input with probability ``p`` and scales
    the rest by ``1 / (1 - p)``; in evaluation, the identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _core._check_dropout_probability(p, "Dropout1d")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies channel dropout (training mode) or returns ``input`` (evaluation mode)."""
        return F.dropout1d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Module):
    """In training, zeroes whole channels of (N, C, H, W) input with probability ``p`` and scales the rest
    by ``1 / (1 - p)``; in evaluation, the identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _core._check_dropout_probability(p, "Dropout2d")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies channel dropout (training mode) or returns ``input`` (evaluation mode)."""
        return F.dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
