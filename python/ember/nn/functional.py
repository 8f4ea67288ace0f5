"""``ember.nn.functional``: the stateless forms of the layers, activations and losses, as
``torch.nn.functional`` (import it as ``F``).

Linear, convolution, pooling and normalization forward to ember's C++ ops (oneDNN kernels with their
backward recorded in C++); this module adds what PyTorch's Python layer adds around them (unbatched
inputs, ``padding="same"``, argument checks). Everything else is composed from differentiable ember
ops. Errors name the function: ``[cross_entropy] target 7 is out of bounds ...``.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as np

from .. import _core
from .._core import Tensor

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "embedding", "flatten",
    "gelu", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss",
    "multi_head_attention_forward", "nll_loss", "one_hot", "relu", "scaled_dot_product_attention",
    "sigmoid", "silu", "softmax", "tanh",
]

_NEG_INF = float("-inf")


def _pair(value: Any, name: str, arg: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"[{name}] {arg} must be an int or a pair of ints, got {value}")
    return (int(value[0]), int(value[1]))


def _check_dims(input: Tensor, dims: tuple[int, ...], name: str, layout: str) -> int:
    ndim = input.ndim
    if ndim not in dims:
        raise ValueError(f"[{name}] expected a {layout} input, got shape {tuple(input.shape)}")
    return ndim


# --- linear, convolution, pooling, normalization (C++ ops) ---


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input (*, in_features), weight (out_features, in_features), bias
    (out_features) -> (*, out_features)."""
    return _core.linear(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation: input (N, C, H, W) or unbatched (C, H, W), weight (O, C/groups, kH, kW),
    bias (O). ``padding`` is an int, a pair, ``"valid"`` (none) or ``"same"`` (output size = input
    size; stride 1 only, any extra row/column of padding goes at the bottom/right as in PyTorch)."""
    ndim = _check_dims(input, (3, 4), "conv2d", "3-d (C, H, W) or 4-d (N, C, H, W)")
    if weight.ndim != 4:
        raise ValueError(f"[conv2d] expected a 4-d weight (out_channels, in_channels/groups, kH, kW), got shape {tuple(weight.shape)}")
    x = input.unsqueeze(0) if ndim == 3 else input
    crop = (False, False)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if _pair(stride, "conv2d", "stride") != (1, 1):
                raise ValueError("[conv2d] padding='same' is not supported for strided convolutions")
            dil = _pair(dilation, "conv2d", "dilation")
            totals = [dil[i] * (weight.shape[2 + i] - 1) for i in range(2)]
            # An odd total pads one more at the end: pad (total + 1) / 2 on both sides, drop the first row.
            padding = tuple((t + 1) // 2 for t in totals)
            crop = (totals[0] % 2 == 1, totals[1] % 2 == 1)
        else:
            raise ValueError(f"[conv2d] invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    out = _core.conv2d(x, weight, bias, stride, padding, dilation, groups)
    if crop[0]:
        out = out[:, :, 1:, :]
    if crop[1]:
        out = out[:, :, :, 1:]
    return out.squeeze(0) if ndim == 3 else out


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """2-d max pooling over (N, C, H, W) or (C, H, W) input; ``stride`` defaults to ``kernel_size``."""
    if return_indices:
        raise NotImplementedError("[max_pool2d] return_indices=True is not supported")
    ndim = _check_dims(input, (3, 4), "max_pool2d", "3-d (C, H, W) or 4-d (N, C, H, W)")
    x = input.unsqueeze(0) if ndim == 3 else input
    if stride is not None and not isinstance(stride, int) and len(stride) == 0:
        stride = None
    out = _core.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)
    return out.squeeze(0) if ndim == 3 else out


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W) input; ``stride`` defaults to ``kernel_size``."""
    if divisor_override is not None:
        raise NotImplementedError("[avg_pool2d] divisor_override is not supported")
    ndim = _check_dims(input, (3, 4), "avg_pool2d", "3-d (C, H, W) or 4-d (N, C, H, W)")
    x = input.unsqueeze(0) if ndim == 3 else input
    if stride is not None and not isinstance(stride, int) and len(stride) == 0:
        stride = None
    out = _core.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    return out.squeeze(0) if ndim == 3 else out


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed (H_out, W_out) whatever the input size; None keeps that input size."""
    ndim = _check_dims(input, (3, 4), "adaptive_avg_pool2d", "3-d (C, H, W) or 4-d (N, C, H, W)")
    x = input.unsqueeze(0) if ndim == 3 else input
    if isinstance(output_size, int):
        size = (output_size, output_size)
    else:
        size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(output_size))
    out = _core.adaptive_avg_pool2d(x, size)
    return out.squeeze(0) if ndim == 3 else out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over (N, C, *) input, per channel. In training it uses the batch statistics
    and updates the running ones in place (unbiased variance); in evaluation it uses the running ones."""
    return _core.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` dimensions of the input."""
    return _core.layer_norm(input, normalized_shape, weight, bias, eps)


# --- activations ---


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


# --- dropout, embedding, shapes ---


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)`` (in training;
    in evaluation, or with ``p=0``, returns the input). The mask comes from ember's RNG."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[dropout] dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _core.rand(tuple(input.shape), dtype=input.dtype) < (1.0 - p)
    return input * (keep.to(input.dtype) * (1.0 / (1.0 - p)))


def _bad_indices(index: Tensor, size: int) -> str:
    vals = np.asarray(index.numpy()).reshape(-1)
    bad = np.unique(vals[(vals < 0) | (vals >= size)])
    shown = ", ".join(str(v) for v in bad[:5]) + (", ..." if len(bad) > 5 else "")
    return shown


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input`` ->
    (*input.shape, embedding_dim); the row at ``padding_idx`` receives no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("[embedding] max_norm, scale_grad_by_freq and sparse are not supported")
    if input.dtype != _core.int64 and input.dtype != _core.int32:
        raise TypeError(f"[embedding] expected integer indices (int64 or int32), got {input.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"[embedding] weight must be 2-d (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None and not -num <= padding_idx < num:
        raise ValueError(f"[embedding] padding_idx must be within num_embeddings ({num}), got {padding_idx}")
    flat = input.reshape(-1)
    try:
        out = weight.index_select(0, flat)
    except IndexError:
        raise IndexError(
            f"[embedding] index out of range: {_bad_indices(flat, num)} not in [0, {num - 1}] "
            f"(num_embeddings={num})"
        ) from None
    if padding_idx is not None:
        padding_idx %= num
        out = _core.where((flat != padding_idx).unsqueeze(1), out, out.detach())
    return out.reshape(*input.shape, weight.shape[1])


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: (*) class indices -> (*, num_classes) (inferred as max + 1 when -1)."""
    if tensor.is_floating_point() or tensor.dtype == _core.bool:
        raise TypeError(f"[one_hot] expected an integer tensor of class indices, got {tensor.dtype}")
    if num_classes < -1:
        raise ValueError(f"[one_hot] num_classes must be -1 (inferred) or non-negative, got {num_classes}")
    if tensor.numel() == 0:
        if num_classes <= 0:
            raise ValueError(f"[one_hot] cannot infer the number of classes from an empty tensor of shape "
                             f"{tuple(tensor.shape)}; pass num_classes")
    else:
        lo, hi = int(tensor.min().item()), int(tensor.max().item())
        if lo < 0:
            raise IndexError(f"[one_hot] class values must be non-negative, got {_bad_indices(tensor, hi + 1)}")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise IndexError(
                f"[one_hot] class values must be in [0, {num_classes - 1}], got {_bad_indices(tensor, num_classes)}")
    return (tensor.unsqueeze(-1) == _core.arange(num_classes)).long()


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dimensions ``start_dim`` .. ``end_dim`` into one."""
    return input.flatten(start_dim, end_dim)


# --- losses ---


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


# --- attention ---


def _causal_mask(l: int, s: int) -> Tensor:
    """(L, S) bool, True where query i may attend to key j (j <= i)."""
    return _core.arange(l).unsqueeze(1) >= _core.arange(s).unsqueeze(0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``: query (*, L, E), key (*, S, E), value (*, S, Ev).

    A bool ``attn_mask`` marks with True the positions that take part; a float one is added to the
    scores; ``is_causal`` masks keys after each query. ``scale`` defaults to ``1 / sqrt(E)``.
    """
    if enable_gqa:
        raise NotImplementedError("[scaled_dot_product_attention] enable_gqa=True is not supported")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2 or query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(
            "[scaled_dot_product_attention] expected query (*, L, E), key (*, S, E) and value (*, S, Ev), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    l, s = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal and attn_mask is not None:
        raise ValueError("[scaled_dot_product_attention] pass either attn_mask or is_causal=True, not both")
    if is_causal:
        scores = scores.masked_fill(_causal_mask(l, s).logical_not(), _NEG_INF)
    if attn_mask is not None:
        if attn_mask.dtype == _core.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), _NEG_INF)
        else:
            scores = scores + attn_mask
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _float_mask(mask: Tensor | None, dtype: Any, name: str) -> Tensor | None:
    """A bool mask (True = not allowed) as an additive float mask with -inf; float masks unchanged."""
    if mask is None:
        return None
    if mask.dtype == _core.bool:
        return _core.zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, _NEG_INF)
    if not mask.is_floating_point():
        raise TypeError(f"[{name}] only bool and floating types of masks are supported, got {mask.dtype}")
    return mask.to(dtype)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None, bias_v: Tensor | None,
    add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
    training: bool = True, key_padding_mask: Tensor | None = None, need_weights: bool = True,
    attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention over sequence-first inputs: query (L, N, E) or (L, E), key/value (S, N, E)
    or (S, E). Returns the output (L, N, E) and, with ``need_weights``, the attention weights (N, L, S)
    averaged over heads (or (N, heads, L, S)). ``attn_mask`` (L, S) or (N * heads, L, S) and
    ``key_padding_mask`` (N, S) are bool (True = masked out) or additive float masks."""
    name = "multi_head_attention_forward"
    if bias_k is not None or bias_v is not None or add_zero_attn or static_k is not None or static_v is not None:
        raise NotImplementedError(f"[{name}] bias_k/bias_v, add_zero_attn and static_k/static_v are not supported")
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(
            f"[{name}] expected query, key and value all (L, N, E) or all unbatched (L, E), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"[{name}] expected query of embedding size {embed_dim_to_check}, got shape {tuple(query.shape)}")
    if key.shape[:2] != value.shape[:2] or key.shape[1] != bsz:
        raise ValueError(f"[{name}] key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)} / batch {bsz}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"[{name}] embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    if query is key and key is value and not use_separate_proj_weight:
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    dtype = q.dtype
    mask = _float_mask(attn_mask, dtype, name)
    if mask is not None:
        if mask.ndim == 2:
            if tuple(mask.shape) != (tgt_len, src_len):
                raise ValueError(f"[{name}] the shape of the 2-d attn_mask is {tuple(mask.shape)}, but should be {(tgt_len, src_len)}")
            mask = mask.unsqueeze(0)
        elif tuple(mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise ValueError(
                f"[{name}] the shape of the 3-d attn_mask is {tuple(mask.shape)}, but should be {(bsz * num_heads, tgt_len, src_len)}"
            )
    elif is_causal:
        mask = _float_mask(_causal_mask(tgt_len, src_len).logical_not(), dtype, name).unsqueeze(0)
    # (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise ValueError(f"[{name}] expected key_padding_mask of shape {(bsz, src_len)}, got {tuple(key_padding_mask.shape)}")
        kpm = _float_mask(key_padding_mask, dtype, name).reshape(bsz, 1, 1, src_len)
        kpm = kpm.expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    if not training:
        dropout_p = 0.0
    scores = (q * (1.0 / math.sqrt(head_dim))).bmm(k.transpose(1, 2))
    if mask is not None:
        scores = scores + mask
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = weights.bmm(v)  # (N * heads, L, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights
