"""Linear, convolution, pooling, normalization, dropout, embedding, one_hot and flatten: thin over
ember's C++ ops, adding PyTorch's Python-side conveniences (unbatched inputs, ``padding="same"``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import _core
from ..._core import Tensor
from ._util import _pair, _check_dims



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



def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)`` (in training;
    in evaluation, or with ``p=0``, returns the input). The mask comes from ember's RNG. ``inplace`` is
    accepted for PyTorch's signature; the result is always a new tensor."""
    return _core.dropout(input, p, training)


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
    return _core.embedding(input, weight, padding_idx)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: (*) class indices -> (*, num_classes) (inferred as max + 1 when -1)."""
    return _core.one_hot(tensor, num_classes)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dimensions ``start_dim`` .. ``end_dim`` into one."""
    return input.flatten(start_dim, end_dim)
