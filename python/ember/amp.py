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

``GradScaler`` is PyTorch's loss scaler (inf/NaN steps skipped, the scale backed off and grown); bfloat16 has
float32's range, so ember's autocast rarely needs it, and it is here so that float16 training scripts run. Their
``torch.cuda.amp.autocast`` / ``GradScaler`` spellings are ``ember.cuda.amp``'s (disabled, with a warning, where
there is no CUDA device).

Where the CPU has no bfloat16 dot products (oneDNN's ISA below avx512_core_bf16, see
``ember.backends.cpu``), products stay float32, which is faster than emulated bfloat16, and entering autocast
warns once with the measured cost."""
from __future__ import annotations

import functools
import sys
import types
import warnings
from typing import Any, Callable

from . import _core

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "is_autocast_available", "GradScaler"]


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
            if self._enabled:
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


class GradScaler:
    """Loss scaling for low-precision training, as ``torch.amp.GradScaler``: ``scaler.scale(loss).backward()``,
    then ``scaler.step(optimizer)`` (which unscales the gradients and skips the step when one of them is
    inf or NaN) and ``scaler.update()`` (which halves the scale after a skipped step and doubles it after
    ``growth_interval`` clean ones). ``unscale_(optimizer)`` before gradient clipping, as in PyTorch.

    ember's autocast computes in bfloat16, whose range is float32's, so scaling is rarely needed; the scaler is
    here so that training scripts written for float16 run unchanged. ``device="cuda"`` on a machine without
    CUDA disables it with a warning, as PyTorch does; with ``enabled=False`` every method passes through."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        if not isinstance(device, str):
            raise TypeError(f"[GradScaler] device must be a string such as 'cpu', got {type(device).__name__}")
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device.split(":")[0] == "cuda" and not _core.cuda.is_available():
            warnings.warn("[GradScaler] the scaler is enabled for 'cuda', but CUDA is not available: disabling it",
                          UserWarning, stacklevel=2)
            self._enabled = False
        if growth_factor <= 1.0:
            raise ValueError(f"[GradScaler] growth_factor must be > 1, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"[GradScaler] backoff_factor must be in (0, 1), got {backoff_factor}")
        if int(growth_interval) <= 0:
            raise ValueError(f"[GradScaler] growth_interval must be a positive int, got {growth_interval}")
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._states: dict[int, dict] = {}  # per optimizer since the last update(): stage, found_inf

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        """outputs (a tensor, or nested lists/tuples of them) multiplied by the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, _core.Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise TypeError(f"[GradScaler] outputs must be a tensor or a list/tuple of tensors, got {type(outputs).__name__}")

    def _state(self, optimizer: Any) -> dict:
        return self._states.setdefault(id(optimizer), {"stage": "ready", "found_inf": False})

    def unscale_(self, optimizer: Any) -> None:
        """Divides the gradients of optimizer's parameters by the scale, in place, and records whether one of them
        is inf or NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == "unscaled":
            raise RuntimeError("[GradScaler] unscale_() has already been called on this optimizer since the last "
                               "update()")
        if state["stage"] == "stepped":
            raise RuntimeError("[GradScaler] unscale_() is being called after step()")
        inv = 1.0 / self._scale
        found_inf = False
        from .autograd import no_grad
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.grad.mul_(inv)
                    if not found_inf and not bool(p.grad.isfinite().all()):
                        found_inf = True
        state["stage"], state["found_inf"] = "unscaled", found_inf

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step()`` (with the given arguments) on unscaled gradients, skipped (returning None) when one is
        inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("[GradScaler] closure use is not supported while the scaler is enabled")
        state = self._state(optimizer)
        if state["stage"] == "stepped":
            raise RuntimeError("[GradScaler] step() has already been called since the last update()")
        if state["stage"] == "ready":
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale: Any = None) -> None:
        """Backs the scale off after an inf/NaN gradient, grows it after growth_interval clean steps, or sets it to
        new_scale (a number or a 1-element tensor)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, _core.Tensor) else new_scale)
        else:
            if not self._states:
                raise RuntimeError("[GradScaler] no inf checks were recorded prior to update(): call step() first")
            if any(s["found_inf"] for s in self._states.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._states.clear()

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """PyTorch's keys; empty when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("[GradScaler] the state_dict is empty: it was saved from a disabled scaler")
        scale = state_dict["scale"]
        self._scale = float(scale.item() if isinstance(scale, _core.Tensor) else scale)
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        tracker = state_dict["_growth_tracker"]
        self._growth_tracker = int(tracker.item() if isinstance(tracker, _core.Tensor) else tracker)


# torch.cuda.amp's deprecated spellings, which many training scripts still use: ember.cuda.amp.autocast(...) and
# ember.cuda.amp.GradScaler(...) are the "cuda" forms of the above (disabled, with a warning, without CUDA).
_cuda_amp = types.ModuleType("ember.cuda.amp", "torch.cuda.amp's autocast and GradScaler, for device 'cuda'.")
_cuda_amp.autocast = functools.partial(autocast, "cuda")
_cuda_amp.GradScaler = functools.partial(GradScaler, "cuda")
_core.cuda.amp = _cuda_amp
# torch.cuda.is_bf16_supported, which scripts ask before choosing bfloat16: ember's CUDA kernels have no bfloat16
_core.cuda.is_bf16_supported = lambda including_emulation=True: False
sys.modules.setdefault("ember.cuda", _core.cuda)
sys.modules.setdefault("ember.cuda.amp", _cuda_amp)
