"""Losses, as ``torch.nn.functional``: thin over ember's C++ ops (``include/ember/ops/loss.hpp``), which
hold the math, the backward and the checks (``[cross_entropy] target 7 is out of bounds ...``). This
module adds PyTorch's legacy ``size_average``/``reduce`` arguments and its broadcasting warning."""
from __future__ import annotations

import warnings
from typing import Any

from ... import _core
from ..._core import Tensor


def _reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """The reduction that PyTorch's deprecated size_average/reduce pair stands for (reduction when both are None)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else ("sum" if reduce else "none")


def _warn_if_broadcast(input: Tensor, target: Tensor, name: str) -> None:
    a, b = tuple(input.shape), tuple(target.shape)
    if a != b:  # the op refuses shapes that do not broadcast; PyTorch warns about those that do
        warnings.warn(
            f"[{name}] Using a target size ({b}) that is different to the input size ({a}). This will likely lead "
            "to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced by ``reduction`` ('mean', 'sum', 'none')."""
    out = _core.mse_loss(input, target, _reduction(size_average, reduce, reduction), weight)
    _warn_if_broadcast(input, target, "mse_loss")
    return out


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced by ``reduction``."""
    out = _core.l1_loss(input, target, _reduction(size_average, reduce, reduction))
    _warn_if_broadcast(input, target, "l1_loss")
    return out


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``)."""
    out = _core.smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction), beta)
    _warn_if_broadcast(input, target, "smooth_l1_loss")
    return out


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Huber: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (``d = input - target``)."""
    if weight is not None:
        raise NotImplementedError("[huber_loss] the weight option is not supported")
    out = _core.huber_loss(input, target, reduction, delta)
    _warn_if_broadcast(input, target, "huber_loss")
    return out


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class-index targets given log-probabilities: input (C,), (N, C) or
    (N, C, d1, ...), target (), (N,) or (N, d1, ...) of int64 class indices. Targets equal to
    ``ignore_index`` do not count; 'mean' divides by the summed ``weight`` of the counted targets."""
    return _core.nll_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction))


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between unnormalized scores (C,), (N, C) or (N, C, d1, ...) and targets that are
    class indices (int64, shape (N, d1, ...)) or class probabilities (float, the input's shape).

    ``label_smoothing`` = e mixes the target with the uniform distribution as PyTorch does:
    ``(1 - e) * nll + e / C * sum_c(-w_c * log p_c)``, with the same weighting and ``ignore_index``
    masking; ``ignore_index`` applies to class-index targets only.
    """
    return _core.cross_entropy(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction),
                               label_smoothing)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)`` against targets in [0, 1], computed stably from the
    logits: ``(1 - t) x + (1 + (pos_weight - 1) t) (log1p(exp(-|x|)) + max(-x, 0))``."""
    return _core.binary_cross_entropy_with_logits(input, target, weight, _reduction(size_average, reduce, reduction),
                                                  pos_weight)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities ``input`` against targets in [0, 1]; each log is clamped
    at -100 as in PyTorch."""
    return _core.binary_cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction))
