"""Linear, convolution, pooling, normalization, dropout, embedding(_bag), gumbel_softmax, one_hot and flatten: thin over
ember's C++ ops, which make the checks and take unbatched inputs and ``padding="same"`` themselves."""
from __future__ import annotations

from typing import Any


from ... import _core
from ..._core import Tensor



def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input ``(*, in_features)``, weight (out_features, in_features), bias
    (out_features) -> ``(*, out_features)``."""
    return _core.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = input1 @ weight[o] @ input2 + bias[o]``: input1 ``(*, in1_features)``, input2
    ``(*, in2_features)`` with the same leading dims, weight (out_features, in1_features, in2_features), bias
    (out_features) -> ``(*, out_features)``."""
    return _core.bilinear(input1, input2, weight, bias)


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
    """Batch normalization over ``(N, C, *)`` input, per channel. In training it uses the batch statistics
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
    import numpy as np

    vals = np.asarray(index.numpy()).reshape(-1)
    bad = np.unique(vals[(vals < 0) | (vals >= size)])
    shown = ", ".join(str(v) for v in bad[:5]) + (", ..." if len(bad) > 5 else "")
    return shown


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input`` ->
    ``(*input.shape, embedding_dim)``; the row at ``padding_idx`` receives no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("[embedding] max_norm, scale_grad_by_freq and sparse are not supported")
    return _core.embedding(input, weight, padding_idx)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """The ``"sum"``, ``"mean"`` or ``"max"`` of bags of rows of ``weight`` (num_embeddings, embedding_dim):
    ``(bags, embedding_dim)``. ``input`` is 2-d (a bag per row) or 1-d with ``offsets`` (where each bag starts);
    ``per_sample_weights`` scale the rows in mode ``"sum"``; ids equal to ``padding_idx`` are left out and an
    empty bag gives zeros."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("[embedding_bag] max_norm, scale_grad_by_freq and sparse are not supported")
    return _core._embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax distribution over ``dim``: ``softmax((logits + g) / tau)`` with Gumbel noise
    ``g`` from ember's generator; with ``hard``, the one-hot of its argmax, with the soft sample's gradient.
    ``eps`` is unused, as in PyTorch."""
    return _core._gumbel_softmax(logits, tau, hard, dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: ``(*)`` class indices -> ``(*, num_classes)`` (inferred as max + 1 when -1)."""
    return _core.one_hot(tensor, num_classes)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dimensions ``start_dim`` .. ``end_dim`` into one."""
    return input.flatten(start_dim, end_dim)


# --- issue 21: more normalization and channel dropout (C++ ops in include/ember/ops/normalization_extra.hpp
# and channel_dropout.hpp) ---

def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Group normalization of ``input`` ``(N, C, *)`` over ``num_groups`` groups of channels, then a
    per-channel ``weight`` and ``bias`` (C)."""
    return _core.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization of ``input`` ``(N, C, *)``: each channel of each sample over its spatial dims;
    with ``use_input_stats`` the running statistics, when given, are updated in place."""
    return _core.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """``input / sqrt(mean(input**2) + eps) * weight`` over the trailing ``normalized_shape`` dims (``eps``
    None: the dtype's machine epsilon)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return _core.rms_norm(input, shape, weight, eps)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels of (N, C, L) or (C, L) ``input`` with probability ``p`` and scales the rest by
    ``1 / (1 - p)`` (in training). ``inplace`` is accepted; the result is always a new tensor."""
    return _core.dropout1d(input, p, training)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels of (N, C, H, W) ``input`` with probability ``p`` and scales the rest by
    ``1 / (1 - p)`` (in training); a 3-d input is taken as (N, C, L), with PyTorch's warning."""
    import warnings

    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _core.dropout2d(input, p, training)
