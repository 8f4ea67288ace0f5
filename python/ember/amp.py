"""``ember.autocast`` / ``ember.amp.autocast``: bfloat16 mixed precision on the CPU, as PyTorch's
``torch.autocast("cpu", dtype=torch.bfloat16)``.

Inside the region, float32 matmul, mm, bmm, linear (and the layers on them: ``nn.Linear``,
``nn.MultiheadAttention``...) and conv2d (``nn.Conv1d``/``Conv2d``) round their inputs to bfloat16 and
run on oneDNN's bfloat16 kernels, summing in float32. Everything else stays float32: elementwise ops,
reductions, softmax, norms, losses, and the parameters and optimizer state (float32 master weights). A
backward computes in the precision its forward ran in, so ``loss.backward()`` may be called after the
region as PyTorch recommends.

One difference from PyTorch: results come back as float32 tensors (the float32 sums of the bfloat16
products) instead of being rounded to bfloat16, because ember's bfloat16 tensors do not compute yet (they
hold data: casts, views, NumPy/DLPack, save/load); the arithmetic is PyTorch's and the outputs are slightly
more precise. Products below 32x32x32 multiply-adds stay float32 (a oneDNN call costs more
than they do). float64 is never affected.

Where the CPU has no bfloat16 dot products (oneDNN's ISA below avx512_core_bf16, see
``ember.backends.cpu``), products stay float32, which is faster than emulated bfloat16, and entering autocast
warns once with the measured cost."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from . import _core

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "is_autocast_available"]


def _check_device(device_type: str) -> None:
    if not isinstance(device_type, str):
        raise TypeError(f"[autocast] device_type must be a string such as 'cpu', got {type(device_type).__name__}")


class autocast:  # noqa: N801 - PyTorch's name
    """Context manager and decorator: ``with ember.autocast("cpu", dtype=ember.bfloat16): loss = model(x)``.

    device_type: "cpu". "cuda" is accepted and disabled with a warning where no CUDA device is present
    (PyTorch's behaviour); on a CUDA machine it raises NotImplementedError (ember's CUDA path has no
    autocast yet). dtype: ``ember.bfloat16`` (the default, as on PyTorch's CPU); float16 is not supported.
    enabled=False turns autocast off inside an enclosing region. cache_enabled is accepted for
    compatibility (ember does not cache casts: its bfloat16 copies are made inside each kernel call)."""

    def __init__(self, device_type: str = "cpu", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        _check_device(device_type)
        self.device_type = device_type
        self.fast_dtype = _core.bfloat16 if dtype is None else dtype
        self._enabled = bool(enabled)
        self._previous: list[bool] = []
        if device_type.split(":")[0] == "cuda":
            if _core.cuda.is_available():
                raise NotImplementedError("[autocast] autocast on CUDA devices is not implemented in ember; "
                                          "use device_type='cpu' or run the model in float32")
            warnings.warn("[autocast] device_type 'cuda' was given but CUDA is not available: autocast is "
                          "disabled", UserWarning, stacklevel=2)
            self._enabled = False
            return
        if device_type != "cpu":
            raise ValueError(f"[autocast] device_type must be 'cpu' (or 'cuda'), got {device_type!r}")
        if self.fast_dtype != _core.bfloat16:
            raise ValueError(f"[autocast] on the CPU ember supports dtype=ember.bfloat16, got {self.fast_dtype!r}"
                             + (" (float16 has no tensors or kernels in ember)" if "float16" in str(dtype) else ""))

    def __enter__(self) -> "autocast":
        if self._enabled:
            _warn_if_not_native()
        self._previous.append(_core._set_autocast_bf16(self._enabled))
        return self

    def __exit__(self, *exc: Any) -> None:
        _core._set_autocast_bf16(self._previous.pop())

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device_type, self.fast_dtype, self._enabled):
                return func(*args, **kwargs)
        return wrapper


def is_autocast_enabled(device_type: str = "cpu") -> bool:
    """Whether this thread is inside an enabled autocast region for device_type ("cpu"; "cuda" is never)."""
    _check_device(device_type)
    return device_type == "cpu" and _core._autocast_bf16()


def get_autocast_dtype(device_type: str = "cpu") -> Any:
    """The dtype autocast computes in: ``ember.bfloat16``."""
    _check_device(device_type)
    return _core.bfloat16


def is_autocast_available(device_type: str) -> bool:
    """True for "cpu", the device ember's autocast runs on."""
    _check_device(device_type)
    return device_type == "cpu"


_native: list[bool] = []  # bf16_supported(), asked once: oneDNN's ISA is fixed for the process


def _warn_if_not_native() -> None:
    """Warns once per process where bfloat16 is not native; costs a list lookup on every later region."""
    if not _native:
        from .backends import cpu
        _native.append(cpu.bf16_supported())
        if not _native[0]:
            cpu.warn_if_emulated("bfloat16", consequence="ember.autocast keeps float32 products on this CPU")
