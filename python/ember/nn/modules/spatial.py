"""Spatial layers: ``PixelShuffle``, ``PixelUnshuffle``, ``Upsample`` (+ ``UpsamplingNearest2d``,
``UpsamplingBilinear2d``), ``Unfold``, ``Fold`` and the padding layers, thin over ember's C++ ops through ember.nn.functional."""
from __future__ import annotations

from typing import Any

from ..._core import Tensor
from .. import functional as F
from ..module import Module


class PixelShuffle(Module):
    """Rearranges ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)`` for r = ``upscale_factor``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Shuffles channels into space."""
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearranges ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)`` for r = ``downscale_factor``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Shuffles space into channels."""
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


def _pair_repr(v: Any) -> str:
    return str(tuple(v)) if isinstance(v, (tuple, list)) else str(v)


class Unfold(Module):
    """The sliding blocks of ``(N, C, H, W)`` as columns ``(N, C kh kw, L)`` (F.unfold with fixed options)."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Extracts the blocks."""
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={_pair_repr(self.kernel_size)}, dilation={_pair_repr(self.dilation)}, "
                f"padding={_pair_repr(self.padding)}, stride={_pair_repr(self.stride)}")


class Fold(Module):
    """Columns ``(N, C kh kw, L)`` back into blocks of ``(N, C, *output_size)``, overlaps summed (F.fold)."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Sums the blocks back into planes."""
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={_pair_repr(self.output_size)}, kernel_size={_pair_repr(self.kernel_size)}, "
                f"dilation={_pair_repr(self.dilation)}, padding={_pair_repr(self.padding)}, "
                f"stride={_pair_repr(self.stride)}")


class Upsample(Module):
    """Resizes (N, C, L) or (N, C, H, W) input to ``size`` or by ``scale_factor`` (F.interpolate's modes)."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else (
            tuple(float(s) for s in scale_factor) if scale_factor is not None else None)
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Resizes ``input``."""
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"size={self.size!r}" if self.size is not None else f"scale_factor={self.scale_factor!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample`` with mode 'nearest' on (N, C, H, W) input."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample`` with mode 'bilinear' and align_corners=True on (N, C, H, W) input."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class _PadNd(Module):
    _mode = "constant"
    _k = 2

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        self.padding = (int(padding),) * self._k if isinstance(padding, int) else tuple(int(p) for p in padding)
        if len(self.padding) != self._k:
            raise ValueError(f"[{type(self).__name__}] padding must be an int or a {self._k}-tuple, got {padding}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """Pads ``input``."""
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        if self._mode == "constant" and not type(self).__name__.startswith("Zero"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pads the last dim of (N, C, L) or (C, L) input with ``value``: padding (left, right) or an int."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pads the last two dims with ``value``: padding (left, right, top, bottom) or an int."""

    _k = 4

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad1d(_PadNd):
    """Pads the last dim with zeros: padding (left, right) or an int."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    """Pads the last two dims with zeros: padding (left, right, top, bottom) or an int."""

    _k = 4

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Pads the last dim of (N, C, L) or (C, L) input with its reflection (edge not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pads the last two dims of (N, C, H, W) or (C, H, W) input with their reflection."""

    _mode, _k = "reflect", 4


class ReplicationPad1d(_PadNd):
    """Pads the last dim of (N, C, L) or (C, L) input by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pads the last two dims of (N, C, H, W) or (C, H, W) input by repeating their edge values."""

    _mode, _k = "replicate", 4


class CircularPad1d(_PadNd):
    """Pads the last dim of (N, C, L) or (C, L) input with its wrapped-around values."""

    _mode = "circular"


class CircularPad2d(_PadNd):
    """Pads the last two dims of (N, C, H, W) or (C, H, W) input with their wrapped-around values."""

    _mode, _k = "circular", 4
