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
