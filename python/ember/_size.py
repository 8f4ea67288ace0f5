"""``ember.Size``: what ``Tensor.shape`` and ``Tensor.size()`` return, as ``torch.Size``: a tuple of ints
(equal to the plain tuple) with ``numel()``; slicing and ``+`` keep the type."""
from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A tensor's shape: a tuple of ints, with ``numel()``."""

    def __new__(cls, sizes: Any = ()) -> Size:
        return super().__new__(cls, (int(s) for s in sizes))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape (1 for ``()``)."""
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple(other) + tuple(self))

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __reduce__(self) -> tuple:
        return (Size, (tuple(self),))
