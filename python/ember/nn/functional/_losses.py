"""Losses, as ``torch.nn.functional``: errors name the function (``[cross_entropy] target 7 is out of
bounds ...``)."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _core
from ..._core import Tensor



def _reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else ("sum" if reduce else "none")


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"[{name}] {reduction!r} is not a valid value for reduction (use 'mean', 'sum' or 'none')")


def _check_same_shape(input: Tensor, target: Tensor, name: str) -> None:
    a, b = tuple(input.shape), tuple(target.shape)
    if a == b:
        return
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"[{name}] input of shape {a} and target of shape {b} do not match (and do not broadcast)") from None
    warnings.warn(
        f"[{name}] Using a target size ({b}) that is different to the input size ({a}). This will likely lead "
        "to incorrect results due to broadcasting. Please ensure they have the same size.",
        stacklevel=3,
    )


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced by ``reduction`` ('mean', 'sum', 'none')."""
    _check_same_shape(input, target, "mse_loss")
    diff = input - target
    loss = diff * diff
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction), "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced by ``reduction``."""
    _check_same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), _reduction(size_average, reduce, reduction), "l1_loss")


def _class_layout(input: Tensor, target: Tensor, name: str) -> tuple[Tensor, Tensor, int, tuple]:
    """(N, C, d1...) scores and (N, d1...) targets as (M, C) and (M,); also C and the target shape."""
    shape, tshape = tuple(input.shape), tuple(target.shape)
    ndim = len(shape)
    if ndim == 0:
        raise ValueError(f"[{name}] expected an input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    expected = () if ndim == 1 else (shape[0],) + shape[2:]
    if target.is_floating_point() or target.dtype == _core.bool:
        raise TypeError(
            f"[{name}] expected class-index targets of an integer dtype (int64) and shape {expected} for input "
            f"of shape {shape}, got {target.dtype} targets of shape {tshape}"
        )
    if tshape != expected:
        raise ValueError(f"[{name}] expected target of shape {expected} for input of shape {shape}, got target of shape {tshape}")
    if target.dtype != _core.int64:  # int32 / uint8 class indices (PyTorch takes uint8 too)
        target = target.long()
    if ndim == 1:
        return input.unsqueeze(0), target.reshape(1), shape[0], tshape
    if ndim == 2:
        return input, target, shape[1], tshape
    perm = (0,) + tuple(range(2, ndim)) + (1,)
    return input.permute(*perm).reshape(-1, shape[1]), target.reshape(-1), shape[1], tshape


def _out_of_bounds(target: Tensor, classes: int, ignore_index: int, name: str) -> IndexError:
    vals = np.asarray(target.numpy()).reshape(-1)
    bad = vals[((vals < 0) | (vals >= classes)) & (vals != ignore_index)]
    first = ", ".join(str(v) for v in np.unique(bad)[:5])
    return IndexError(
        f"[{name}] target {first} is out of bounds: the input has {classes} classes, so targets must be in "
        f"[0, {classes - 1}] (or equal ignore_index={ignore_index})"
    )


def _pick(scores: Tensor, target: Tensor, classes: int, ignore_index: int,
          name: str) -> tuple[Tensor, Tensor | None, Tensor]:
    """scores[i, target[i]] as (M, 1), the mask of non-ignored targets (None when all count) and the
    targets with ignored ones set to class 0."""
    if not 0 <= ignore_index < classes:
        # ignore_index is no class: a target equal to it fails gather's bounds check like a bad one,
        # so the common case (nothing ignored, all in range) costs one gather.
        try:
            return scores.gather(1, target.unsqueeze(1)), None, target
        except IndexError:
            pass
    valid = target != ignore_index
    safe = target.masked_fill(valid.logical_not(), 0)
    try:
        picked = scores.gather(1, safe.unsqueeze(1))
    except IndexError:
        raise _out_of_bounds(target, classes, ignore_index, name) from None
    return picked, valid, safe


def _check_weight(weight: Tensor | None, classes: int, name: str) -> None:
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError(
            f"[{name}] weight should have one entry per class, shape ({classes},), got shape {tuple(weight.shape)}"
        )


def _nll(logp: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, reduction: str,
         name: str) -> Tensor:
    scores, flat, classes, tshape = _class_layout(logp, target, name)
    _check_weight(weight, classes, name)
    picked, valid, safe = _pick(scores, flat, classes, ignore_index, name)
    if weight is None and valid is None:
        if reduction == "mean":
            return -picked.mean()
        if reduction == "sum":
            return -picked.sum()
        if reduction == "none":
            return -picked.reshape(tshape)
        return _reduce(picked, reduction, name)
    w = None if weight is None else weight.index_select(0, safe)
    if valid is not None:
        mask = valid.to(picked.dtype)
        w = mask if w is None else w * mask
    losses = -(picked.reshape(-1) * w)
    if reduction == "mean":
        return losses.sum() / w.sum()
    if reduction == "none":
        return losses.reshape(tshape)
    return _reduce(losses, reduction, name)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class-index targets given log-probabilities: input (C,), (N, C) or
    (N, C, d1, ...), target (), (N,) or (N, d1, ...) of int64 class indices. Targets equal to
    ``ignore_index`` do not count; 'mean' divides by the summed ``weight`` of the counted targets."""
    return _nll(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction), "nll_loss")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between unnormalized scores (C,), (N, C) or (N, C, d1, ...) and targets that are
    class indices (int64, shape (N, d1, ...)) or class probabilities (float, the input's shape).

    ``label_smoothing`` = e mixes the target with the uniform distribution as PyTorch does:
    ``(1 - e) * nll + e / C * sum_c(-w_c * log p_c)``, with the same weighting and ``ignore_index``
    masking; ``ignore_index`` applies to class-index targets only.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[cross_entropy] label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    ndim = input.ndim
    class_dim = 0 if ndim == 1 else 1
    if target.is_floating_point() and tuple(target.shape) == tuple(input.shape):
        if ignore_index != -100:
            raise ValueError(f"[cross_entropy] ignore_index ({ignore_index}) is not supported for class-probability "
                             "targets")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim)
    logp = input.log_softmax(class_dim)
    nll = _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing == 0.0:
        return nll
    classes = input.shape[class_dim]
    if target.dtype != _core.int64:
        target = target.long()
    if weight is None:
        smooth = -logp.sum(class_dim)
    else:
        wshape = [1] * ndim
        wshape[class_dim] = classes
        smooth = -(logp * weight.reshape(wshape)).sum(class_dim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is None:
            denom = ignored.logical_not().sum()
        else:
            denom = weight.index_select(0, target.masked_fill(ignored, 0).reshape(-1)).masked_fill(ignored.reshape(-1), 0.0).sum()
        smooth = smooth.sum() / denom.to(smooth.dtype)
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                         label_smoothing: float, class_dim: int) -> Tensor:
    classes = input.shape[class_dim]
    _check_weight(weight, classes, "cross_entropy")
    logp = input.log_softmax(class_dim)
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    terms = logp * target
    if weight is not None:
        wshape = [1] * input.ndim
        wshape[class_dim] = classes
        terms = terms * weight.reshape(wshape)
    if reduction == "mean":
        return -terms.sum() / (input.numel() // classes)
    if reduction == "sum":
        return -terms.sum()
    return _reduce(-terms.sum(class_dim), reduction, "cross_entropy")


def _weighted(loss: Tensor, weight: Tensor | None, name: str, op: str) -> Tensor:
    """loss * weight, where weight broadcasts to loss's shape (never the other way round)."""
    if weight is None:
        return loss
    out = loss * weight
    if tuple(out.shape) != tuple(loss.shape):
        raise ValueError(f"[{op}] {name} of shape {tuple(weight.shape)} does not broadcast to the input's shape "
                         f"{tuple(loss.shape)}")
    return out


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)`` against targets in [0, 1], computed stably from the
    logits: ``(1 - t) x + (1 + (pos_weight - 1) t) (log1p(exp(-|x|)) + max(-x, 0))``."""
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"[binary_cross_entropy_with_logits] target size {tuple(target.shape)} must be the same as input size "
            f"{tuple(input.shape)}"
        )
    if not target.is_floating_point():
        raise TypeError(f"[binary_cross_entropy_with_logits] expected floating targets in [0, 1], got {target.dtype}")
    softplus_neg = input.abs().neg().exp().log1p() + input.neg().relu()  # log(1 + exp(-x)), stable
    if pos_weight is not None:
        scale = _weighted(target, pos_weight - 1.0, "pos_weight", "binary_cross_entropy_with_logits") + 1.0
        loss = (1.0 - target) * input + scale * softplus_neg
    else:
        loss = (1.0 - target) * input + softplus_neg
    loss = _weighted(loss, weight, "weight", "binary_cross_entropy_with_logits")
    return _reduce(loss, _reduction(size_average, reduce, reduction), "binary_cross_entropy_with_logits")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities ``input`` against targets in [0, 1]; each log is clamped
    at -100 as in PyTorch."""
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"[binary_cross_entropy] target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}"
        )
    for name, t in (("input", input), ("target", target)):
        if t.numel() and not bool(((t >= 0) & (t <= 1)).all()):  # NaN fails too, as in PyTorch
            raise ValueError(f"[binary_cross_entropy] all elements of {name} must be probabilities in [0, 1]"
                             + (" (apply sigmoid first, or use binary_cross_entropy_with_logits)" if t is input else "")
                             + f"; {name} of shape {tuple(t.shape)} has values from {t.min().item()} to {t.max().item()}")
    loss = -(target * input.log().clamp(min=-100.0) + (1.0 - target) * (1.0 - input).log().clamp(min=-100.0))
    loss = _weighted(loss, weight, "weight", "binary_cross_entropy")
    return _reduce(loss, _reduction(size_average, reduce, reduction), "binary_cross_entropy")
