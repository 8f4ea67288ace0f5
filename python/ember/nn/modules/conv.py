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
