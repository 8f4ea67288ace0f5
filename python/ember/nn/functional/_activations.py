"""Activations and softmax: thin over ember's C++ elementwise and softmax ops."""
from __future__ import annotations

import warnings
from typing import Any

from ... import _core
from ..._core import Tensor



def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise (``inplace`` is accepted; the result is a new tensor)."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, ``negative_slope * input`` elsewhere."""
    return _core.where(input > 0, input, input * negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: exact (``approximate="none"``) or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"[gelu] approximate must be 'none' or 'tanh', got {approximate!r}")
    return input.gelu(approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish)."""
    return input.silu()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-input))`` elementwise."""
    return input.sigmoid()


def _softmax_dim(ndim: int) -> int:
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (computed stably)."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return input.softmax(dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably as ``x - logsumexp(x)``."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return input.log_softmax(dim, dtype)
