"""The parts of PyTorch's tensor API that only adapt a calling convention to ember's ops, with no math of
their own: module-level forms of tensor methods (``ember.flatten(x)``), ``view_as``/``reshape_as``/
``type_as``, the ``new_*`` methods, and the random ``*_like`` functions. Each is one line over a method
or op of ``_core``, so export traces the op it calls."""
from __future__ import annotations

from typing import Any

from . import _core
from ._core import Tensor


def _like(input: Tensor, dtype: Any, device: Any) -> dict[str, Any]:
    return {"dtype": input.dtype if dtype is None else dtype, "device": input.device if device is None else device}


# --- Tensor.new_*: a new tensor with this tensor's dtype and device unless given ---

def _new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given size, with this tensor's dtype and device unless given."""
    return _core.zeros(*size, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of the given size, with this tensor's dtype and device unless given."""
    return _core.ones(*size, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given size, with this tensor's dtype and device unless given."""
    return _core.empty(*size, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """fill_value in the given size, with this tensor's dtype and device unless given."""
    return _core.full(size, fill_value, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A copy of data (a tensor, array or nested lists), with this tensor's dtype and device unless given."""
    if isinstance(data, Tensor):
        data = data.detach().cpu().numpy()
    return _core.tensor(data, **_like(self, dtype, device), requires_grad=requires_grad)


# --- Tensor.*_as: the op with other's shape or dtype (written over the methods, so export traces them) ---

def _view_as(self: Tensor, other: Tensor) -> Tensor:
    """view() with other's shape."""
    return self.view(*other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """reshape() to other's shape."""
    return self.reshape(*other.shape)


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    """Converts to other's dtype."""
    return self.to(other.dtype)


for _name, _fn in [("view_as", _view_as), ("reshape_as", _reshape_as), ("type_as", _type_as),
                   ("new_zeros", _new_zeros), ("new_ones", _new_ones), ("new_empty", _new_empty),
                   ("new_full", _new_full), ("new_tensor", _new_tensor)]:
    setattr(Tensor, _name, _fn)


# --- random tensors shaped like input ---

def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) with input's shape, dtype and device."""
    return _core.rand(*input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with input's shape, dtype and device."""
    return _core.randn(*input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Uniform integers in [low, high) (or [0, low) without high) with input's shape, dtype and device."""
    low, high = (0, low) if high is None else (low, high)
    return _core.randint(low, high, tuple(input.shape), **_like(input, dtype, device), requires_grad=requires_grad)


# --- module-level forms of tensor methods (torch.flatten(x, 1) is x.flatten(1)) ---

def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims start_dim..end_dim (a view when possible)."""
    return input.flatten(start_dim, end_dim)


def reshape(input: Tensor, shape: Any) -> Tensor:
    """view() when possible, else a contiguous copy with the new shape."""
    return input.reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swaps two dims (a view)."""
    return input.transpose(dim0, dim1)


swapaxes = swapdims = transpose


def permute(input: Tensor, dims: Any) -> Tensor:
    """Reorders the dims (a view)."""
    return input.permute(dims)


def squeeze(input: Tensor, dim: int | None = None) -> Tensor:
    """Removes dims of extent 1 (a view)."""
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dim of extent 1 (a view)."""
    return input.unsqueeze(dim)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """length elements from start along dim (a view)."""
    return input.narrow(dim, start, length)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at index along dim, with dim removed (a view)."""
    return input.select(dim, index)


def t(input: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    return input.t()


def clone(input: Tensor) -> Tensor:
    """A contiguous copy that shares no memory (the gradient flows back to input)."""
    return input.clone()


def detach(input: Tensor) -> Tensor:
    """input without autograd history (shares its elements)."""
    return input.detach()


def numel(input: Tensor) -> int:
    """Number of elements."""
    return input.numel()


def is_tensor(obj: Any) -> bool:
    """Whether obj is an ember Tensor (or a subclass, as nn.Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """True for float32 and float64 tensors."""
    return input.is_floating_point()


__all__ = ["rand_like", "randn_like", "randint_like", "flatten", "reshape", "transpose", "swapaxes", "swapdims",
           "permute", "squeeze", "unsqueeze", "narrow", "select", "t", "clone", "detach", "numel", "is_tensor",
           "is_floating_point"]
