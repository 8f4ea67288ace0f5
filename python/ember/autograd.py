"""Automatic differentiation: grad modes, ``grad``, ``backward`` and ``gradcheck``.

Every op on tensors that require grad records its backward in C++ (``Tensor.grad_fn``);
``loss.backward()`` walks that graph once. This module holds the Python-side conveniences, named as
in ``torch.autograd``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from . import _core
from ._core import GradcheckError, Node, Tensor

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Node",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "inference_mode",
    "grad",
    "gradcheck",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]

is_grad_enabled = _core.is_grad_enabled


class _GradMode:
    """Sets grad mode in a ``with`` block, or around every call of a decorated function."""

    _mode: bool

    def __new__(cls, func: Callable | None = None):
        self = super().__new__(cls)
        if func is not None:  # used as @no_grad without parentheses
            self.__init__()
            return self(func)
        return self

    def __init__(self, func: Callable | None = None) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_core.is_grad_enabled())
        _core._set_grad_enabled(self._mode)

    def __exit__(self, *exc: Any) -> None:
        _core._set_grad_enabled(self._previous.pop())

    def __call__(self, func: Callable) -> Callable:
        mode_cls = type(self)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode_cls():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside do not record gradients (evaluation, optimizer updates).

    Use as ``with ember.no_grad(): ...`` or as a decorator, ``@ember.no_grad()``.
    """

    _mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside record gradients again, even within ``no_grad``."""

    _mode = True


class inference_mode:  # noqa: N801 - PyTorch's name
    """``no_grad`` for inference, as ``torch.inference_mode(mode=True)``: a context manager or decorator.
    ember has no separate inference tensors, so this is exactly ``no_grad`` (``mode=False``: no change)."""

    def __init__(self, mode: bool | Callable = True) -> None:
        self._func = mode if callable(mode) else None  # used as @inference_mode without parentheses
        self._mode = True if callable(mode) else bool(mode)
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_core.is_grad_enabled())
        if self._mode:
            _core._set_grad_enabled(False)

    def __exit__(self, *exc: Any) -> None:
        _core._set_grad_enabled(self._previous.pop())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._func is not None:
            with inference_mode(True):
                return self._func(*args, **kwargs)
        func, mode = args[0], self._mode

        @functools.wraps(func)
        def wrapper(*a: Any, **k: Any) -> Any:
            with inference_mode(mode):
                return func(*a, **k)

        return wrapper


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Turns recording on or off now; as a context manager, restores the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        self._previous = _core.is_grad_enabled()
        _core._set_grad_enabled(bool(mode))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _core._set_grad_enabled(self._previous)


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """``data`` itself (made to require grad when asked), as the pre-0.4 ``torch.autograd.Variable`` that old model
    code wraps tensors in; ``volatile`` is accepted and does nothing, as in PyTorch since 0.4."""
    if not isinstance(data, Tensor):
        raise TypeError(f"[Variable] expected a tensor, got {type(data).__name__}")
    return data.requires_grad_() if requires_grad else data


def is_anomaly_enabled() -> bool:
    """Whether backward checks the gradients it computes (set_detect_anomaly)."""
    return _core._is_anomaly_enabled()


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks for NaN: whenever it is on (check_nan=False is not supported)."""
    return _core._is_anomaly_enabled()


def _anomaly_mode(mode: bool, check_nan: bool, op: str) -> None:
    if mode and not check_nan:
        raise NotImplementedError(f"[{op}] check_nan=False is not supported: ember's anomaly detection is its NaN "
                                  "check (it keeps no forward tracebacks)")
    _core._set_detect_anomaly(bool(mode))


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Anomaly detection on or off now, as ``torch.autograd.set_detect_anomaly``: while on, backward checks every
    gradient an op's backward returns and raises RuntimeError naming the op (``Function 'log' returned nan values
    in its 0th output``) at the first NaN. Process-wide; slows backward, as PyTorch's does. As a context manager,
    restores the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = _core._is_anomaly_enabled()
        _anomaly_mode(mode, check_nan, "set_detect_anomaly")

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _core._set_detect_anomaly(self._previous)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Anomaly detection inside a ``with`` block (or a decorated function): see set_detect_anomaly."""

    def __init__(self, check_nan: bool = True) -> None:
        self._check_nan = check_nan
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_core._is_anomaly_enabled())
        _anomaly_mode(True, self._check_nan, "detect_anomaly")

    def __exit__(self, *exc: Any) -> None:
        _core._set_detect_anomaly(self._previous.pop())

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self._check_nan):
                return func(*args, **kwargs)
        return wrapper


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
) -> None:
    """Accumulates the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves' ``.grad``."""
    _core._backward(tensors, grad_tensors, bool(retain_graph))


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    An input that the outputs do not depend on raises, or gives ``None`` with ``allow_unused=True``.
    """
    if create_graph:
        raise NotImplementedError("[grad] create_graph=True (higher-order gradients) is not supported")
    return _core._grad(outputs, inputs, grad_outputs, bool(retain_graph), allow_unused)


def gradcheck(
    fn: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Checks ``fn``'s gradients at ``inputs`` against central finite differences.

    The inputs to differentiate must be float64 tensors with ``requires_grad=True``; every element
    is perturbed by ``±eps`` and each floating output's Jacobian compared with backward's:
    ``|analytical - numerical| <= atol + rtol * |numerical|``. Returns True, or raises
    :class:`GradcheckError` naming the output, the input and the worst element (returns False
    instead with ``raise_exception=False``).
    """
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    try:
        return _core._gradcheck(fn, tuple(inputs), eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


class FunctionCtx:
    """The ``ctx`` of an :class:`Function`: what ``forward`` (or ``setup_context``) keeps for ``backward``."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Tensor | None, ...] = ()
        self._versions: tuple[int, ...] = ()
        self._non_differentiable: set[int] = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keeps tensors for ``backward`` (as ``ctx.saved_tensors``); changing one in place before then is an error."""
        self._saved = tensors
        self._versions = tuple(t._version if t is not None else 0 for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        for i, (t, v) in enumerate(zip(self._saved, self._versions)):
            if t is not None and t._version != v:
                raise RuntimeError(f"[autograd.Function] saved tensor {i} (shape {tuple(t.shape)}) was modified by an "
                                   f"in-place operation after save_for_backward (version {v} -> {t._version})")
        return self._saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declares outputs that take no gradient (they come back as tensors that do not require grad)."""
        self._non_differentiable |= {id(t) for t in outputs}

    def mark_dirty(self, *tensors: Tensor) -> None:
        """In-place outputs are not supported: forward must return new tensors."""
        raise NotImplementedError("[autograd.Function] mark_dirty (a forward that modifies its inputs in place) is "
                                  "not supported; return a new tensor instead")

    def set_materialize_grads(self, value: bool) -> None:
        """With ``False``, backward gets None (not zeros) for a forward output that is not differentiable."""
        self.materialize_grads = bool(value)


class Function:
    """A custom differentiable operation, as ``torch.autograd.Function``::

        class Exp(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward(ctx, *args)`` runs without recording (or ``forward(*args)`` with ``setup_context(ctx, inputs,
    output)``); ``backward(ctx, grad)`` returns one gradient (or None) per argument of forward. The result is a
    node of the graph like any op's (``y.grad_fn``). Forward may return a tuple: backward then takes one gradient
    per output (zeros for an output the loss did not use).
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("[autograd.Function] subclasses must define forward")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        """Optional: a subclass that defines it has ``forward(*args)`` without ``ctx``, and fills ``ctx`` here from
        the inputs and the output (PyTorch's second style). This default, never called, marks its absence."""

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("[autograd.Function] subclasses must define backward to be differentiated")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Runs forward on args and records backward for the tensors among them."""
        name = cls.__name__
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            output = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args, **kwargs)
            if separate:
                cls.setup_context(ctx, args, output)
        several = isinstance(output, (tuple, list))
        outputs = tuple(output) if several else (output,)
        if not several and not isinstance(output, Tensor):
            raise TypeError(f"[{name}] forward must return a Tensor or a tuple, got {type(output).__name__}")
        differentiable = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.is_floating_point()
                          and id(o) not in ctx._non_differentiable]
        if not (_core.is_grad_enabled() and any(ctx.needs_input_grad)) or not differentiable:
            return tuple(outputs) if several else output

        def input_grads(grads: tuple) -> tuple:
            if len(grads) < len(args) or any(g is not None for g in grads[len(args):]):
                raise RuntimeError(f"[{name}] backward returned {len(grads)} gradients, but forward took "
                                   f"{len(args)} arguments")
            for i, g in enumerate(grads[:len(args)]):
                if g is not None and i not in positions:
                    raise RuntimeError(f"[{name}] backward returned a gradient for argument {i}, which is not a "
                                       "tensor (return None there)")
            return tuple(grads[i] if ctx.needs_input_grad[i] else None for i in positions)

        def call_backward(*grad_outputs: Any) -> tuple:
            with no_grad():
                grads = cls.backward(ctx, *grad_outputs)
            return input_grads(grads if isinstance(grads, tuple) else (grads,))

        inputs = [args[i] for i in positions]
        if not several:
            return _core._record_function(name, output, inputs, call_backward)
        return _record_outputs(name, ctx, outputs, differentiable, inputs, call_backward)


def _record_outputs(name: str, ctx: FunctionCtx, outputs: tuple, differentiable: list[int], inputs: list,
                    call_backward: Callable) -> tuple:
    """The outputs of a Function with several: the differentiable ones are packed, flattened, into one tensor
    (in float64 when their dtypes differ) that takes the Function's node; each comes back as a view of it, so
    that backward gets one gradient per output (zeros for an output that was not used, as PyTorch's
    materialized gradients; None for one that is not differentiable unless ``materialize_grads``)."""
    pieces = [outputs[i] for i in differentiable]
    dtype = pieces[0].dtype if len({p.dtype for p in pieces}) == 1 else _core.float64
    with no_grad():
        packed = _core.cat([p.reshape(-1).to(dtype) for p in pieces])
    sizes = [p.numel() for p in pieces]

    def backward(grad: Tensor) -> tuple:
        parts = dict(zip(differentiable, grad.split(sizes)))
        grad_outputs = []
        for i, o in enumerate(outputs):
            if i in parts:
                grad_outputs.append(parts[i].view(o.shape).to(o.dtype))
            elif isinstance(o, Tensor) and ctx.materialize_grads:
                grad_outputs.append(_core.zeros_like(o))
            else:
                grad_outputs.append(None)
        return call_backward(*grad_outputs)

    node = _core._record_function(name, packed, inputs, backward)
    views = dict(zip(differentiable, (v.view(p.shape).to(p.dtype) for v, p in zip(node.split(sizes), pieces))))
    return tuple(views.get(i, o) for i, o in enumerate(outputs))
