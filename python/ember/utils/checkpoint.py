"""Activation checkpointing, as ``torch.utils.checkpoint``: a segment of a model runs forward without keeping
its intermediate tensors, and runs again during backward to rebuild them, so that a deep model trains in
less memory for about one more forward pass.

``checkpoint(fn, *args)`` gives ``fn(*args)``'s values exactly; the gradients reach the tensor arguments that
require grad and every parameter ``fn`` uses (their ``.grad`` is accumulated when backward recomputes the
segment). The random state is replayed for the recomputation (``preserve_rng_state``), so dropout inside the
segment draws the same mask twice.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _core
from ..autograd import Function, backward, enable_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx: Any, fn: Callable, preserve_rng_state: bool, kwargs: dict, anchor: Any, *args: Any) -> Any:
        ctx.fn, ctx.kwargs, ctx.args = fn, kwargs, args
        ctx.rng_state = _core.get_rng_state() if preserve_rng_state else None
        output = fn(*args, **kwargs)
        if not isinstance(output, (_core.Tensor, tuple, list)):
            raise TypeError(f"[checkpoint] the checkpointed function must return a Tensor or a tuple of them, "
                            f"got {type(output).__name__}")
        return output

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> tuple:
        # Recompute the segment with recording on (from the forward's random state), then backpropagate
        # through it: parameters accumulate their .grad there, the tensor arguments' gradients come back.
        args = tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, _core.Tensor) else a
                     for a in ctx.args)
        resume = None
        if ctx.rng_state is not None:
            resume = _core.get_rng_state()
            _core.set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                output = ctx.fn(*args, **ctx.kwargs)
        finally:
            if resume is not None:
                _core.set_rng_state(resume)
        outputs = output if isinstance(output, (tuple, list)) else (output,)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
                 if isinstance(o, _core.Tensor) and o.requires_grad and g is not None]
        if pairs:
            backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, None, None) + tuple(a.grad if isinstance(a, _core.Tensor) else None for a in args)


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None, context_fn: Any = None,
               determinism_check: str = "default", debug: bool = False, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, without keeping its intermediate tensors for backward (which recomputes
    them). ``use_reentrant`` is accepted either way: both of PyTorch's variants give these gradients, to the
    tensor arguments and to the parameters the function uses, whether or not an argument requires grad.
    ``context_fn`` (PyTorch's selective-checkpoint policies) is not implemented."""
    if context_fn is not None:
        raise NotImplementedError("[checkpoint] context_fn (selective activation checkpointing) is not implemented")
    if not _core.is_grad_enabled():
        return function(*args, **kwargs)
    # The anchor requires grad, so the segment records a node even when no argument does (its parameters do).
    anchor = _core.empty(0, requires_grad=True)
    return _Checkpoint.apply(function, preserve_rng_state, kwargs, anchor, *args)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,  # noqa: A002
                          **kwargs: Any) -> Any:
    """Runs ``functions`` (a Sequential or a list of modules) on ``input`` in ``segments`` checkpointed chunks;
    the last chunk runs normally, as in PyTorch."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not isinstance(segments, int) or not 1 <= segments:
        raise ValueError(f"[checkpoint_sequential] segments must be a positive int, got {segments!r}")
    size = max(len(fns) // segments, 1)

    def run(chunk: Iterable[Callable]) -> Callable:
        def forward(x: Any) -> Any:
            for f in chunk:
                x = f(x)
            return x
        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = min(start + size, len(fns))
        input = checkpoint(run(fns[start:end]), input, use_reentrant=use_reentrant, **kwargs)  # noqa: A001
    return run(fns[end:])(input)
