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
    "GradcheckError",
    "Node",
    "backward",
    "enable_grad",
    "inference_mode",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
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
