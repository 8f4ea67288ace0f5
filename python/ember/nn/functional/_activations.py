"""Activations and softmax: thin over ember's C++ ops (which make every check)."""
from __future__ import annotations

import warnings
from typing import Any

from ... import _core
from ..._core import Tensor



def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise; with ``inplace``, written into ``input``."""
    return _core.relu_(input) if inplace else input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, ``negative_slope * input`` elsewhere; with ``inplace``, written into ``input``."""
    return (_core.leaky_relu_ if inplace else _core.leaky_relu)(input, negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: exact (``approximate="none"``) or its tanh approximation."""
    return input.gelu(approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish; ``inplace`` is accepted, the result is a new tensor)."""
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
    return _core._implicit_softmax_dim(ndim)


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
