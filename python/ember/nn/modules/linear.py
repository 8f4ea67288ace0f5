"""``Linear``, ``Bilinear`` and ``Identity``."""
from __future__ import annotations

import math
from typing import Any

from ... import _core
from ..._core import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); takes and ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """Returns ``input``."""
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``: ``(*, in_features) -> (*, out_features)``.

    weight (out_features, in_features) and bias (out_features) start as PyTorch's: U(-k, k) with
    ``k = 1 / sqrt(in_features)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = _core.float32 if dtype is None else dtype
        self.weight = Parameter(_core.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(_core.empty((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias with PyTorch's default initialization."""
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Applies the affine map to the last dimension of ``input``."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y[..., o] = input1 @ weight[o] @ input2 + bias[o]``: ``(*, in1_features)`` and ``(*, in2_features)`` ->
    ``(*, out_features)``.

    weight (out_features, in1_features, in2_features) and bias (out_features) start as PyTorch's: U(-k, k) with
    ``k = 1 / sqrt(in1_features)``.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        dtype = _core.float32 if dtype is None else dtype
        self.weight = Parameter(_core.empty((out_features, in1_features, in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(_core.empty((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """The bilinear form of ``input1`` and ``input2`` for each output feature."""
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
