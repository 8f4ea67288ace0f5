"""``ember.accelerator``: PyTorch 2.x's device-agnostic accelerator queries, answered for CUDA (the one
accelerator ember can be built with). Scripts that pick ``torch.accelerator.current_accelerator()`` or
fall back to the CPU run unchanged."""
from __future__ import annotations

from . import _core


def is_available() -> bool:
    """Whether a CUDA device can be used (ember built with CUDA and a GPU present)."""
    return bool(_core.cuda.is_available())


def current_accelerator(check_available: bool = False) -> _core.device | None:
    """The accelerator's device type (``device('cuda')``) when ember has one, else None; with
    check_available, also None when no device is present."""
    if check_available and not is_available():
        return None
    return _core.device("cuda") if is_available() else None


def device_count() -> int:
    """Number of CUDA devices (0 without one)."""
    return int(_core.cuda.device_count()) if is_available() else 0


def current_device_index() -> int:
    """The index of the current CUDA device (-1 without one)."""
    return int(_core.cuda.current_device()) if is_available() else -1


current_device_idx = current_device_index


def set_device_index(device: int | _core.device) -> None:
    """Makes a CUDA device (an index or a device) the current one."""
    _core.cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device: int | _core.device | None = None) -> None:
    """Waits for the work queued on the current CUDA device (nothing to wait for without one)."""
    if is_available():
        _core.cuda.synchronize()


__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "current_device_idx",
           "set_device_index", "set_device_idx", "synchronize"]
