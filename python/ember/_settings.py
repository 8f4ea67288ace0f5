"""Process-wide switches that PyTorch scripts set at the top (``torch.set_float32_matmul_precision``,
``torch.use_deterministic_algorithms``, ``torch.compile``, ``torch.get_default_dtype``), with what each
means in ember: ember's CPU float32 matmul is always full float32 precision, its kernels give the same
result for the same inputs and thread count, and it runs eagerly."""
from __future__ import annotations

from typing import Any

from . import _core

__all__ = ["are_deterministic_algorithms_enabled", "compile", "get_default_dtype", "get_float32_matmul_precision",
           "set_default_dtype", "set_float32_matmul_precision", "use_deterministic_algorithms"]

_state = {"matmul_precision": "highest", "deterministic": False}


def set_float32_matmul_precision(precision: str) -> None:
    """Records ``"highest"``, ``"high"`` or ``"medium"`` (PyTorch's allowance for TF32/bfloat16 matmuls);
    ember's float32 matmuls stay full float32 whatever it is."""
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"[set_float32_matmul_precision] expected 'highest', 'high' or 'medium', got {precision!r}")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The value last given to ``set_float32_matmul_precision`` (``"highest"`` by default)."""
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Records the flag: ember's kernels are already deterministic for a given thread count (no atomics,
    no autotuning), so there is nothing to switch."""
    _state["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    """The value last given to ``use_deterministic_algorithms``."""
    return _state["deterministic"]


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None, backend: Any = "inductor",  # noqa: A001
            mode: Any = None, options: Any = None, disable: bool = False) -> Any:
    """``torch.compile``'s signature: ember runs eagerly and has no graph compiler, so this returns ``model``
    itself (or, called without a model, a decorator that does). Results are those of the eager model; for
    a compiled deployment, use ``ember.deploy.export`` and the C++ runtime."""
    if model is None:
        return lambda m: m
    return model


def get_default_dtype() -> Any:
    """The floating dtype that factories and layers use when given none: ``ember.float32``."""
    return _core.float32


def set_default_dtype(dtype: Any) -> None:
    """Only ``ember.float32`` (ember's fixed default) is accepted; another default is not implemented, so it
    raises NotImplementedError instead of being ignored (pass ``dtype=`` to factories and layers instead)."""
    if dtype != _core.float32:
        raise NotImplementedError(f"[set_default_dtype] only ember.float32 is supported as the default dtype, got "
                                  f"{dtype}; pass dtype= to factories and layers (or call .double() on a model)")
