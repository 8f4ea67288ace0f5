"""``Conv2d``."""
from __future__ import annotations

from typing import Any

from ... import _core
from ..._core import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class Conv2d(Module):
    """2-d convolution (cross-correlation) over (N, C_in, H, W) or (C_in, H, W) input.

    weight (out_channels, in_channels / groups, kH, kW) and bias (out_channels) start as PyTorch's:
    U(-k, k) with ``k = 1 / sqrt(in_channels / groups * kH * kW)``. ``padding`` is an int, a pair,
    ``"valid"`` or ``"same"``; only ``padding_mode="zeros"`` is supported. The checks are ember::nn::Conv2d's
    (constructor) and the conv2d op's (forward).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _core._check_conv2d_layer(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                                  padding_mode)
        if not isinstance(padding, str):
            padding = _pair(padding)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding, self.groups, self.padding_mode = padding, groups, padding_mode
        dtype = _core.float32 if dtype is None else dtype
        self.weight = Parameter(_core.empty((out_channels, in_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(_core.empty((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias with PyTorch's default initialization."""
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Convolves ``input`` (N, C_in, H, W) or (C_in, H, W) with the layer's weight."""
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


# --- transposed and 1-d convolution (issue 21) ---


def _single(value: Any) -> int:
    return int(value) if isinstance(value, int) else int(value[0])


class _ConvTransposeNd(Module):
    """The shared body of ConvTranspose1d/2d: weight (in_channels, out_channels / groups, *kernel_size) and
    bias (out_channels), initialised as PyTorch's (kaiming_uniform_(a=sqrt(5)) and U(-1/sqrt(fan_in), ...))."""

    _dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__ if type(self).__name__ in ("ConvTranspose1d", "ConvTranspose2d") else (
            f"ConvTranspose{self._dims}d")
        tup = (lambda v: (_single(v),)) if self._dims == 1 else _pair
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = tup(kernel_size), tup(stride), tup(padding)
        self.output_padding, self.dilation = tup(output_padding), tup(dilation)
        self.groups, self.padding_mode = groups, padding_mode
        two = (lambda t: (1,) + t) if self._dims == 1 else (lambda t: t)
        zero = (lambda t: (0,) + t) if self._dims == 1 else (lambda t: t)
        _core._check_conv_transpose_layer(in_channels, out_channels, two(self.kernel_size), two(self.stride),
                                          zero(self.padding), zero(self.output_padding), groups, two(self.dilation),
                                          padding_mode, name)
        dtype = _core.float32 if dtype is None else dtype
        self.weight = Parameter(_core.empty((in_channels, out_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(_core.empty((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias with PyTorch's default initialization."""
        init._reset_weight_and_bias(self.weight, self.bias)

    def _output_padding(self, input: Tensor, output_size: Any) -> Any:
        if output_size is None:
            return self.output_padding
        k = self._dims
        size = [int(s) for s in output_size]
        spatial = tuple(input.shape[-k:])
        if k == 1:
            op = _core._conv_transpose_output_padding((1, spatial[0]), size, (1,) + self.kernel_size,
                                                      (1,) + self.stride, (0,) + self.padding,
                                                      (1,) + self.dilation, 1, type(self).__name__)
            return (op[1],)
        return tuple(_core._conv_transpose_output_padding(spatial, size, self.kernel_size, self.stride, self.padding,
                                                          self.dilation, 2, type(self).__name__))

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C_in, H, W) or (C_in, H, W) input (the gradient of Conv2d with
    respect to its input); output H' = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1.
    ``forward(input, output_size)`` picks the output_padding that gives that size. The checks are
    ember::nn::ConvTranspose2d's (constructor) and the conv_transpose2d op's (forward)."""

    _dims = 2

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        """Transposed-convolves ``input`` with the layer's weight."""
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) or (C_in, L) input; weight (C_in, C_out / groups, k)."""

    _dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        """Transposed-convolves ``input`` with the layer's weight."""
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class Conv1d(Module):
    """1-d convolution (cross-correlation) over (N, C_in, L) or (C_in, L) input: weight (out_channels,
    in_channels / groups, k), bias (out_channels), PyTorch's initialization. ``padding`` is an int, ``"valid"``
    or ``"same"``; ``padding_mode`` "zeros", "reflect", "replicate" or "circular" (non-zero modes pad with
    F.pad first, as PyTorch)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _core._check_conv1d_layer(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                                  padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = (_single(kernel_size),), (_single(stride),), (_single(dilation),)
        self.padding = padding if isinstance(padding, str) else (_single(padding),)
        self.groups, self.padding_mode = groups, padding_mode
        dtype = _core.float32 if dtype is None else dtype
        self.weight = Parameter(_core.empty((out_channels, in_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(_core.empty((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias with PyTorch's default initialization."""
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Convolves ``input`` (N, C_in, L) or (C_in, L) with the layer's weight."""
        if self.padding_mode != "zeros" and self.padding != "valid":
            if self.padding == "same":
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                lr = (total // 2, total - total // 2)
            else:
                lr = (self.padding[0], self.padding[0])
            return F.conv1d(F.pad(input, lr, mode=self.padding_mode), self.weight, self.bias, self.stride, 0,
                            self.dilation, self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
