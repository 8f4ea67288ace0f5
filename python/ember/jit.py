"""``torch.jit``'s decorators, as model files use them (``@torch.jit.script`` on a fused activation,
``torch.jit.trace(model, example)`` before timing): ember runs eagerly and has no TorchScript compiler, so
``script`` and ``trace`` return what they are given, which computes the same values. Saving or loading a
TorchScript archive is not implemented: ``ember.deploy.export`` writes the deployable model that the C++
runtime loads (``ember::deploy::load``)."""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["Final", "annotate", "export", "ignore", "is_scripting", "is_tracing", "load", "save", "script",
           "trace", "unused"]

Final = Any  # torch.jit.Final[int] annotates a constant attribute: ember reads it as any value


def script(obj: Any = None, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``obj`` itself (a function or module run eagerly, as it would be without TorchScript)."""
    return obj


def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``func`` itself: eager execution gives the traced graph's values, without specialising to the example."""
    return func


def annotate(the_type: Any, the_value: Any) -> Any:
    """``the_value`` (TorchScript's type hint for an expression)."""
    return the_value


def _passthrough(fn: Callable | None = None, **_: Any) -> Any:
    return fn if fn is not None else (lambda f: f)


ignore = unused = export = _passthrough  # decorators telling TorchScript what to skip or keep


def is_scripting() -> bool:
    """False: ember code is never compiled by TorchScript."""
    return False


def is_tracing() -> bool:
    """False: ember does not trace."""
    return False


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    raise NotImplementedError("[jit.save] TorchScript archives are not implemented; use ember.save(model.state_dict(), "
                              "path) for weights or ember.deploy.export(model, example, path) for the C++ runtime")


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    raise NotImplementedError("[jit.load] TorchScript archives are not implemented; use ember.load for checkpoints or "
                              "ember::deploy::load (C++) for exported models")
