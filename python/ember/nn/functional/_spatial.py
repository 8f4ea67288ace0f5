"""Transposed and 1-d convolution, 1-d and adaptive max pooling, pixel shuffle, interpolate, pad, grid_sample
and affine_grid: thin over ember's C++ ops (``ember::conv_transpose2d``, ``ember::interpolate``, ``ember::pad``,
``ember::grid_sample``, ...), which hold
the math, the backward and the checks; these wrappers adapt PyTorch's Python-side arguments."""
from __future__ import annotations

import math
from typing import Any

from ... import _core
from ..._core import Tensor


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-d transposed convolution: input (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out/groups, kH, kW),
    bias (C_out)."""
    return _core.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-d transposed convolution: input (N, C_in, L) or (C_in, L), weight (C_in, C_out/groups, k), bias (C_out)."""
    return _core.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation: input (N, C, L) or (C, L), weight (O, C/groups, k), bias (O); ``padding`` is an
    int, ``"valid"`` or ``"same"``."""
    return _core.conv1d(input, weight, bias, stride, padding, dilation, groups)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """1-d max pooling over (N, C, L) or (C, L) input; ``stride`` defaults to ``kernel_size``."""
    if return_indices:
        raise NotImplementedError("[max_pool1d] return_indices=True is not supported")
    return _core.max_pool1d(input, kernel_size, None if stride is None or stride == () else stride, padding, dilation,
                            ceil_mode)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L) input; ``stride`` defaults to ``kernel_size``."""
    return _core.avg_pool1d(input, kernel_size, None if stride is None or stride == () else stride, padding,
                            ceil_mode, count_include_pad)


def _size_or_input(input: Tensor, output_size: Any) -> Any:
    """output_size with None entries replaced by the input's size there."""
    if isinstance(output_size, int):
        return output_size
    k = len(output_size)
    return tuple(input.shape[i - k] if s is None else s for i, s in enumerate(output_size))


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) input to a fixed length whatever the input length."""
    return _core.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Tensor:
    """Max pooling of (N, C, L) or (C, L) input to a fixed length whatever the input length."""
    if return_indices:
        raise NotImplementedError("[adaptive_max_pool1d] return_indices=True is not supported")
    return _core.adaptive_max_pool1d(input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Tensor:
    """Max pooling of (N, C, H, W) or (C, H, W) input to a fixed (H_out, W_out); None keeps that input size."""
    if return_indices:
        raise NotImplementedError("[adaptive_max_pool2d] return_indices=True is not supported")
    return _core.adaptive_max_pool2d(input, _size_or_input(input, output_size))


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """The sliding blocks of ``(N, C, H, W)`` input as columns ``(N, C * kH * kW, L)`` (im2col)."""
    return _core._unfold(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Columns ``(N, C * kH * kW, L)`` put back as blocks of ``(N, C, *output_size)``, overlaps summed (col2im)."""
    return _core._fold(input, output_size, kernel_size, dilation, padding, stride)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearranges ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)`` for r = upscale_factor."""
    return _core.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearranges ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)`` for r = downscale_factor."""
    return _core.pixel_unshuffle(input, downscale_factor)


_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resizes the spatial dims of (N, C, L) or (N, C, H, W) input to ``size`` or by ``scale_factor``;
    modes nearest, nearest-exact, linear (3-d), bilinear (4-d), area, as PyTorch."""
    if mode not in _MODES:
        raise NotImplementedError(f"[interpolate] mode={mode!r} is not supported (supported: {', '.join(_MODES)})")
    if antialias:
        raise NotImplementedError("[interpolate] antialias=True is not supported")
    if input.dim() == 5:
        raise NotImplementedError("[interpolate] 5-d input (3 spatial dims) is not supported")
    sizes = [] if size is None else ([int(size)] if isinstance(size, int) else [int(s) for s in size])
    scales = [] if scale_factor is None else (
        [float(scale_factor)] if isinstance(scale_factor, (int, float)) else [float(s) for s in scale_factor])
    if sizes and scales:
        raise ValueError("[interpolate] only one of size or scale_factor should be defined")
    if not sizes and not scales:
        raise ValueError("[interpolate] either size or scale_factor should be defined")
    if scales and any(not math.isfinite(s) for s in scales):
        raise ValueError(f"[interpolate] scale_factor must be finite, got {scale_factor}")
    return _core._interpolate(input, sizes, scales, mode, align_corners, recompute_scale_factor)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """``interpolate`` under its older name."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last ``len(pad) // 2`` dims of ``input``: ``pad = (left, right, top, bottom, ...)`` from the
    last dim backwards; modes constant (filled with ``value``), reflect, replicate, circular."""
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"[pad] mode={mode!r} is not supported (constant, reflect, replicate, circular)")
    if value is not None and value != 0 and mode != "constant":
        raise ValueError(f"[pad] padding value {value} only applies to mode 'constant', got mode {mode!r}")
    return _core._pad(input, [int(p) for p in pad], mode, 0.0 if value is None else float(value))


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Samples ``input`` (N, C, H, W) at the points of ``grid`` (N, H_out, W_out, 2), x then y in [-1, 1], into
    (N, C, H_out, W_out): ``mode`` "bilinear" or "nearest", ``padding_mode`` "zeros", "border" or "reflection";
    ``align_corners`` None means False, as PyTorch. Differentiable with respect to the input and (bilinear) the
    grid."""
    if mode == "bicubic":
        raise NotImplementedError("[grid_sample] mode='bicubic' is not supported (bilinear, nearest)")
    if isinstance(input, Tensor) and input.dim() == 5:
        raise NotImplementedError("[grid_sample] 5-d input (volumetric sampling) is not supported")
    return _core._grid_sample(input, grid, mode, padding_mode, bool(align_corners))


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output of ``size``
    (N, C, H, W), for ``grid_sample`` (spatial transformer networks); differentiable with respect to theta."""
    size = [int(s) for s in size]
    if len(size) == 5:
        raise NotImplementedError("[affine_grid] 3-d affine grids (size (N, C, D, H, W)) are not supported")
    return _core._affine_grid(theta, size, bool(align_corners))
