"""Module hooks: a module call with forward pre-hooks, forward hooks and full backward hooks, as
``torch.nn.Module``'s (``Module.__call__`` comes here only when the module has some).

Backward hooks see the gradients at the module's boundary: its tensor outputs pass through an identity
node whose backward holds ``grad_output`` (and runs the backward pre-hooks), its tensor inputs through
another whose backward holds ``grad_input`` and runs the backward hooks (PyTorch's ``BackwardHook``)."""
from __future__ import annotations

import itertools
from typing import Any

from .._core import Tensor
from ..autograd import Function, is_grad_enabled

_ids = itertools.count()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``remove()`` unregisters the hook (also as a ``with`` block)."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks, self.id = hooks, key

    @classmethod
    def add(cls, module: Any, hooks: dict, entry: Any, prepend: bool) -> RemovableHandle:
        key = next(_ids)
        hooks[key] = entry
        if prepend:
            for k in [k for k in hooks if k != key]:
                hooks[k] = hooks.pop(k)
        return cls(hooks, key)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _BoundaryState:
    def __init__(self, module: Any, hooks: dict) -> None:
        self.module, self.hooks = module, hooks
        self.grad_output: tuple = ()
        self.inputs_seen = False


def _run(hooks: dict, kind: str, module: Any, grads: tuple, *rest: Any) -> tuple:
    """Calls the `kind` hooks as hook(module, grads, *rest); a returned value replaces grads."""
    for hook, _ in list(hooks.get(kind, {}).values()):
        result = hook(module, grads, *rest)
        if result is not None:
            grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    return grads


class _Boundary(Function):
    """An identity node over the module's tensor inputs or outputs; subclasses hook its backward."""

    @staticmethod
    def forward(ctx: Any, state: _BoundaryState, *tensors: Tensor) -> Any:
        ctx.state = state
        copies = tuple(t.view_as(t) for t in tensors)
        return copies if len(copies) > 1 else copies[0]


class _OutputBoundary(_Boundary):
    @staticmethod
    def backward(ctx: Any, *grad_output: Tensor) -> tuple:
        state = ctx.state
        grad_output = _run(state.hooks, "backward_pre", state.module, grad_output)
        state.grad_output = grad_output
        if not state.inputs_seen:  # no input takes a gradient: the hooks run here, with None for each
            _run(state.hooks, "backward", state.module, (None,), grad_output)
        return (None,) + tuple(grad_output)


class _InputBoundary(_Boundary):
    @staticmethod
    def backward(ctx: Any, *grad_input: Tensor) -> tuple:
        state = ctx.state
        return (None,) + tuple(_run(state.hooks, "backward", state.module, grad_input, state.grad_output))


def _through(boundary: type, state: _BoundaryState, values: tuple) -> tuple:
    """values with their differentiable tensors passed through the boundary node (the others unchanged)."""
    at = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not at:
        return values
    passed = boundary.apply(state, *(values[i] for i in at))
    passed = passed if isinstance(passed, tuple) else (passed,)
    out = list(values)
    for i, p in zip(at, passed):
        out[i] = p
    return tuple(out)


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    hooks = module.__dict__["_ember_hooks"]
    for hook, options in list(hooks.get("forward_pre", {}).values()):
        if options["with_kwargs"]:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("[forward_pre_hook] a hook registered with_kwargs must return None or a "
                                       f"tuple (args, kwargs), got {type(result).__name__}")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward_hooks = is_grad_enabled() and (hooks.get("backward") or hooks.get("backward_pre"))
    state = _BoundaryState(module, hooks) if backward_hooks else None
    if state is not None:
        passed = _through(_InputBoundary, state, args)
        state.inputs_seen = passed is not args
        args = passed
    try:
        output = module.forward(*args, **kwargs)
    except Exception:
        for hook, options in list(hooks.get("forward", {}).values()):
            if options["always_call"]:
                try:
                    hook(module, args, kwargs, None) if options["with_kwargs"] else hook(module, args, None)
                except Exception:
                    pass
        raise
    for hook, options in list(hooks.get("forward", {}).values()):
        result = hook(module, args, kwargs, output) if options["with_kwargs"] else hook(module, args, output)
        if result is not None:
            output = result
    if state is not None:
        if isinstance(output, Tensor):
            output = _through(_OutputBoundary, state, (output,))[0]
        elif isinstance(output, tuple):
            output = _through(_OutputBoundary, state, output)
    return output

