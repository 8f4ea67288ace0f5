"""Linear, convolution, pooling, normalization, dropout, embedding, one_hot and flatten: thin over
ember's C++ ops, which make the checks and take unbatched inputs and ``padding="same"`` themselves."""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import _core
from ..._core import Tensor



def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input (*, in_features), weight (out_features, in_features), bias
    (out_features) -> (*, out_features)."""
    return _core.linear(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation: input (N, C, H, W) or unbatched (C, H, W), weight (O, C/groups, kH, kW),
    bias (O). ``padding`` is an int, a pair, ``"valid"`` (none) or ``"same"`` (output size = input
    size; stride 1 only, any extra row/column of padding goes at the bottom/right as in PyTorch)."""
    return _core.conv2d(input, weight, bias, stride, padding, dilation, groups)


def _stride(stride: Any) -> Any:
    # PyTorch's functional pools take stride=[] (or ()) for "the kernel size", as None.
    return None if stride is not None and not isinstance(stride, int) and len(stride) == 0 else stride


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """2-d max pooling over (N, C, H, W) or (C, H, W) input; ``stride`` defaults to ``kernel_size``."""
    if return_indices:
        raise NotImplementedError("[max_pool2d] return_indices=True is not supported")
    return _core.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W) input; ``stride`` defaults to ``kernel_size``."""
    if divisor_override is not None:
        raise NotImplementedError("[avg_pool2d] divisor_override is not supported")
    return _core.avg_pool2d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed (H_out, W_out) whatever the input size; None keeps that input size."""
    if not isinstance(output_size, int):
        output_size = tuple(input.shape[i - 2] if s is None else s for i, s in enumerate(output_size))
    return _core.adaptive_avg_pool2d(input, output_size)


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
