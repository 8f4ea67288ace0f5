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


# --- issue 21: more activations (C++ ops in include/ember/ops/activation_extra.hpp) ---

def _inplace(out: Tensor, input: Tensor, inplace: bool) -> Tensor:
    return input if inplace else out


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere; with ``inplace``, written into ``input``."""
    return _inplace(_core.elu(input, alpha, inplace), input, inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(input, alpha)`` with SELU's fixed constants; with ``inplace``, written into ``input``."""
    return _inplace(_core.selu(input, inplace), input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; with ``inplace``, written into ``input``."""
    return _inplace(_core.celu(input, alpha, inplace), input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``."""
    return _core.softplus(input, beta, threshold)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``; with ``inplace``, written into ``input``."""
    return _inplace(_core.mish(input, inplace), input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``; with ``inplace``, written into ``input``."""
    return _inplace(_core.hardswish(input, inplace), input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``; with ``inplace``, written into ``input``."""
    return _inplace(_core.hardsigmoid(input, inplace), input, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``input`` clamped to ``[min_val, max_val]``; with ``inplace``, written into ``input``."""
    return _inplace(_core.hardtanh(input, min_val, max_val, inplace), input, inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``; with ``inplace``, written into ``input``."""
    return _inplace(_core.relu6(input, inplace), input, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` holds one slope or one per channel (dim 1)."""
    return _core.prelu(input, weight)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return _core.logsigmoid(input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return _core.softsign(input)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return _core.tanhshrink(input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return _core.softmin(input, dim)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where ``-lambd <= x <= lambd``, ``x`` elsewhere."""
    return _core.hardshrink(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""
    return _core.softshrink(input, lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``value`` where ``x <= threshold``, ``x`` elsewhere; with ``inplace``, written into ``input``."""
    return _inplace(_core.threshold(input, threshold, value, inplace), input, inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)``, where ``a`` and ``b`` are the halves of ``input`` along ``dim``."""
    return _core.glu(input, dim)
