"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""
from __future__ import annotations

from typing import Any

from .. import _core
from .._core import Tensor


class Parameter(Tensor):
    """A tensor that, assigned as an attribute of a ``Module``, is registered as a parameter.

    ``Parameter(data)`` aliases ``data`` (detached: the parameter is a leaf) and requires grad unless
    ``requires_grad=False``. The object keeps its identity for the module's lifetime, so optimizers can
    key their state on it.
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        super().__init__(data.detach() if data is not None else _core.empty(0))
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __copy__(self) -> Parameter:
        return type(self)(Tensor.__copy__(self), self.requires_grad)

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (type(self), (self.detach().clone(), self.requires_grad))
