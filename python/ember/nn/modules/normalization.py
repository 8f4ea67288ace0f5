"""Normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, and (issue 21) ``GroupNorm``,
``InstanceNorm1d``, ``InstanceNorm2d``, ``RMSNorm``."""
from __future__ import annotations

from typing import Any

from ... import _core
from ..._core import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d: affine weight/bias, running statistics and their update rule."""


    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = _core.float32 if dtype is None else dtype
        if affine:
            self.weight = Parameter(_core.empty((num_features,), dtype=dtype))
            if bias:
                self.bias = Parameter(_core.empty((num_features,), dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _core.zeros((num_features,), dtype=dtype))
            self.register_buffer("running_var", _core.ones((num_features,), dtype=dtype))
            self.register_buffer("num_batches_tracked", _core.tensor(0, dtype=_core.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Resets the running statistics, and the affine weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes each channel: by the batch statistics in training (updating the running ones), by
        the running statistics in evaluation."""
        _core._check_batch_norm_input(input.shape, self.num_features, self._get_name())
        factor = 0.0 if self.momentum is None else self.momentum
        training = self.training
        if training and self.track_running_stats:
            tracked = self.num_batches_tracked
            if tracked is not None:
                tracked.add_(1)
                if self.momentum is None:  # cumulative moving average
                    factor = 1.0 / float(tracked)
        use_batch_stats = training or (self.running_mean is None and self.running_var is None)
        stats = not training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if stats else None, self.running_var if stats else None,
                            self.weight, self.bias, use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input, per channel C (PyTorch's defaults: eps=1e-5,
    momentum=0.1, affine weight 1 and bias 0, running statistics tracked; ``momentum=None`` averages
    over all batches)."""


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input, per channel C (PyTorch's defaults: eps=1e-5,
    momentum=0.1, affine weight 1 and bias 0, running statistics tracked)."""


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dimensions, with an elementwise affine
    weight (ones) and bias (zeros) unless ``elementwise_affine=False`` (or ``bias=False``)."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = _core.float32 if dtype is None else dtype
        if elementwise_affine:
            self.weight = Parameter(_core.ones(shape, dtype=dtype))
            if bias:
                self.bias = Parameter(_core.zeros(shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes ``input`` over its trailing ``normalized_shape`` dimensions."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


# --- issue 21: GroupNorm, InstanceNorm1d/2d, RMSNorm (C++ twins in include/ember/nn/normalization_extra.hpp) ---

class GroupNorm(Module):
    """Group normalization of ``(N, C, *)`` input over ``num_groups`` groups of ``num_channels`` channels, with a
    per-channel affine weight (ones) and bias (zeros) unless ``affine=False``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        _core._check_group_norm(num_groups, num_channels)  # the C++ layer's check (nn/normalization_extra.hpp)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dtype = _core.float32 if dtype is None else dtype
        if affine:
            self.weight = Parameter(_core.ones((num_channels,), dtype=dtype))
            if bias:
                self.bias = Parameter(_core.zeros((num_channels,), dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes each group of channels of each sample."""
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(Module):
    """Shared by InstanceNorm1d/2d: optional affine weight/bias and optional running statistics."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = _core.float32 if dtype is None else dtype
        if affine:
            self.weight = Parameter(_core.ones((num_features,), dtype=dtype))
            if bias:
                self.bias = Parameter(_core.zeros((num_features,), dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _core.zeros((num_features,), dtype=dtype))
            self.register_buffer("running_var", _core.ones((num_features,), dtype=dtype))
            self.register_buffer("num_batches_tracked", _core.tensor(0, dtype=_core.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Resets the running statistics, and the affine weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes each channel of each sample over its spatial dims (by the running statistics in
        evaluation when they are tracked)."""
        name = self._get_name()
        unbatched = _core._check_instance_norm_input(input.shape, self.num_features, self.affine, name)
        c = input.shape[0 if unbatched else 1]
        if c != self.num_features:
            import warnings

            warnings.warn(f"input's size at dim={0 if unbatched else 1} does not match num_features. You can "
                          "silence this warning by not passing in num_features, which is not used because "
                          "affine=False", stacklevel=2)
        x = input.unsqueeze(0) if unbatched else input
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over (N, C, L) or (C, L) input (PyTorch's defaults: no affine weights, no
    running statistics)."""


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over (N, C, H, W) or (C, H, W) input (PyTorch's defaults: no affine weights,
    no running statistics)."""


class RMSNorm(Module):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims, with an elementwise weight
    (ones) unless ``elementwise_affine=False``; ``eps`` None is the dtype's machine epsilon."""

    def __init__(self, normalized_shape: Any, eps: float | None = None, elementwise_affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_core.ones(shape, dtype=_core.float32 if dtype is None else dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        """Weight to ones."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes ``input`` over its trailing ``normalized_shape`` dimensions."""
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
