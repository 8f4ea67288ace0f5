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


# --- issue 21: more losses and distances (C++ ops in include/ember/ops/loss_extra.hpp) ---

def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from log-probabilities ``input``; ``reduction`` 'batchmean'
    divides the sum by the batch size (the divergence's definition), 'mean' by every element (with PyTorch's
    warning)."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, "mean")
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    return _core.kl_div(input, target, reduction, log_target)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity of ``x1`` and ``x2`` (broadcast together) along ``dim``, each norm at least ``eps``."""
    return _core.cosine_similarity(x1, x2, dim, eps)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:
    """``input`` divided by its ``p``-norm along ``dim``, the norm at least ``eps``."""
    if out is not None:
        raise TypeError("[normalize] out= is not supported")
    return _core.normalize(input, p, dim, eps)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` along the last dim."""
    return _core.pairwise_distance(x1, x2, p, eps, keepdim)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``1 - cos(input1, input2)`` where ``target`` is 1, ``max(0, cos - margin)`` where it is -1."""
    return _core.cosine_embedding_loss(input1, input2, target, margin, _reduction(size_average, reduce, reduction))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``."""
    return _core.margin_ranking_loss(input1, input2, target, margin, _reduction(size_average, reduce, reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with ``d`` the pairwise ``p``-norm
    distance (``swap``: the negative's distance is its smaller one to the anchor and the positive)."""
    return _core.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                     _reduction(size_average, reduce, reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log likelihood: ``exp(input) - target * input`` (``log_input``), else
    ``input - target * log(input + eps)``; ``full`` adds Stirling's term where ``target > 1``."""
    return _core.poisson_nll_loss(input, target, log_input, full, eps, _reduction(size_average, reduce, reduction))


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log likelihood ``0.5 * (log(var) + (input - target)**2 / var)`` (+ ``0.5 log(2 pi)``
    with ``full``), ``var`` clamped below at ``eps``; ``var`` may be a float."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("[gaussian_nll_loss] var has negative entry/entries")
        var = _core.full(tuple(input.shape), float(var), dtype=input.dtype)
    return _core.gaussian_nll_loss(input, target, var, full, eps, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all logistic loss of scores ``input`` (N, C) against 0/1 ``target`` (N, C),
    averaged over the classes."""
    return _core.multilabel_soft_margin_loss(input, target, weight, _reduction(size_average, reduce, reduction))
