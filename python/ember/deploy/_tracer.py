"""The tracer: records one run of a model as deploy graph nodes (docs/deploy-format.md).

The model runs on real tensors, in evaluation mode and without gradients, while the ops it calls are
recorded: its input is a ``TracedTensor``, whose methods record themselves, and the module-level
functions of ``ember``, ``ember._core`` and ``ember.nn.functional`` that take tensors are swapped for
recording ones for the duration. What each op records is the table in ``_recorders.py``; this file
only routes calls to it. Whatever cannot be recorded raises ``ExportError`` naming the op and the
module path at once: an op outside the table, reading a traced value into Python (``bool``, ``item``,
``numpy``: data-dependent control flow), an in-place write.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable

from .. import _core
from .._core import Tensor
from ..autograd import no_grad
from ._graph import ExportError, Node, ValueSpec, dtype_name
from ._recorders import FUNCTIONS, NN_FUNCTIONS, TENSOR_METHODS


class TracedTensor(Tensor):
    """A tensor produced by a recorded op: its methods record themselves while a trace is active."""


class Trace:
    """The nodes, values and tensors recorded by one run of the model; the recorders' interface."""

    def __init__(self, names: dict[int, str], module_names: dict[int, str]) -> None:
        self.names = names  # id(parameter or buffer) -> state-dict name
        self.module_names = module_names  # id(module) -> module path
        self.nodes: list[Node] = []
        self.values: dict[str, ValueSpec] = {}
        self.tensors: dict[str, Tensor] = {}
        self.n_consts = 0
        self.scope: list[str] = [""]
        self.depth = 0  # > 0 while a recorded op computes: what it calls inside is not recorded
        self.keep: list[Any] = []  # every tensor seen, so that ids stay unique

    # --- for the recorders ---

    def is_traced(self, x: Any) -> bool:
        """Whether x is a value of this trace (computed from the input by recorded ops)."""
        return isinstance(x, TracedTensor) and getattr(x, "_trace", None) is self

    def run(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs) computed for real, with nothing it calls recorded."""
        self.depth += 1
        try:
            return fn(*args, **kwargs)
        finally:
            self.depth -= 1

    def emit(self, op: str, inputs: list[Any], attrs: dict[str, Any], result: Any, dtype: Any = None) -> Any:
        """Records node op(inputs) -> result (a tensor or a tuple of them); returns the result as traced
        tensors. An input is a traced value, a parameter/buffer, a constant tensor, None (an absent
        optional input), or a Python number when ``dtype`` says what tensor it becomes."""
        names = [self._ref(x, dtype) for x in inputs]
        outs = result if isinstance(result, tuple) else (result,)
        traced = [self._new_value(out, f"t{len(self.values)}") for out in outs]
        self.nodes.append(Node(op, names, [t._value for t in traced], attrs, self.scope[-1]))
        return tuple(traced) if isinstance(result, tuple) else traced[0]

    def fail(self, what: str) -> ExportError:
        """The error for what cannot be exported, naming the module being traced."""
        where = f"module '{self.scope[-1]}'" if self.scope[-1] else "the model's forward"
        return ExportError(f"[deploy.export] {what} (in {where})")

    # --- internals ---

    def add_input(self, x: Tensor, name: str) -> TracedTensor:
        return self._new_value(x, name)

    def _new_value(self, x: Tensor, name: str) -> TracedTensor:
        self.values[name] = ValueSpec(dtype_name(x.dtype), list(x.shape))
        t = TracedTensor(x)
        t._trace, t._value = self, name
        self.keep.append(t)
        return t

    def _ref(self, x: Any, dtype: Any = None) -> str | None:
        """The graph name of a node input: a traced value, a parameter/buffer, or a new constant."""
        if x is None:
            return None
        if self.is_traced(x):
            return x._value
        if isinstance(x, (bool, int, float)) and not isinstance(x, Tensor):
            if dtype is None:
                raise self.fail(f"a Python number {x!r} cannot be an input here")
            x = _core.full((), x, dtype=dtype)
        if not isinstance(x, Tensor):
            raise self.fail(f"expected a tensor, got {type(x).__name__}")
        if id(x) in self.names:
            name = self.names[id(x)]
        else:
            name = f"const.{self.n_consts}"
            self.n_consts += 1
            x = x.detach().contiguous().clone()
        self.tensors[name] = x
        self.keep.append(x)
        return name


_ACTIVE: list[Trace] = []  # the trace in progress (at most one: exports are serialised by LOCK)
LOCK = threading.Lock()


def _active() -> Trace | None:
    tr = _ACTIVE[-1] if _ACTIVE else None
    return tr if tr is not None and tr.depth == 0 else None


def _has_traced(args: Any) -> bool:
    if isinstance(args, TracedTensor):
        return True
    if isinstance(args, (list, tuple)):
        return any(_has_traced(a) for a in args)
    if isinstance(args, dict):
        return any(_has_traced(a) for a in args.values())
    return False


# --- routing calls to the recorders ---

# Tensor attributes that read only static facts (shape, dtype...) or print; allowed on traced tensors.
_STATIC = {
    "shape", "ndim", "dim", "size", "dtype", "device", "numel", "is_floating_point", "is_contiguous",
    "requires_grad", "is_leaf", "grad", "grad_fn", "element_size", "stride", "storage_offset", "__len__",
    "__repr__", "__str__", "__hash__", "__init__", "__format__", "cpu", "data_ptr", "retains_grad",
    "_version",
}
_READS_VALUE = {"__bool__", "item", "tolist", "numpy", "__float__", "__int__", "__index__", "__array__",
                "__dlpack__", "__dlpack_device__"}
_NOT_OPS = {"__class__", "__dict__", "__module__", "__doc__", "__weakref__", "__new__", "__init_subclass__",
            "__subclasshook__", "__getattribute__", "__setattr__", "__delattr__", "__reduce__", "__reduce_ex__",
            "__sizeof__", "__dir__", "__getstate__"}


def _method(name: str, record: Callable | None) -> Any:
    orig = getattr(Tensor, name)
    is_property = isinstance(orig, property)
    fn = orig.fget if is_property else orig

    def traced(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        tr = _active()
        if tr is None or not tr.is_traced(self):
            return fn(self, *args, **kwargs)
        if record is None:
            if name in _READS_VALUE:
                raise tr.fail(f"Tensor.{name}() reads the value of a tensor computed from the input "
                              "(data-dependent Python control flow or a Python number); this cannot be "
                              "exported as a graph")
            raise tr.fail(f"Tensor.{name} is not supported by ember.deploy")
        return record(tr, fn, self, *args, **kwargs)

    traced.__name__ = name
    return property(traced) if is_property else traced


def _install_methods() -> None:
    """Every Tensor method and property, on TracedTensor: recorded, refused, or (static facts) as is."""
    for name in dir(Tensor):
        if name in _STATIC or name in _NOT_OPS:
            continue
        attr = getattr(Tensor, name)
        if callable(attr) or isinstance(attr, property):
            setattr(TracedTensor, name, _method(name, TENSOR_METHODS.get(name)))


_install_methods()


def _function(name: str, orig: Callable, record: Callable | None, method_like: bool) -> Callable:
    def traced(*args: Any, **kwargs: Any) -> Any:
        tr = _active()
        if tr is None or not (_has_traced(args) or _has_traced(kwargs)):
            return orig(*args, **kwargs)
        if record is None:
            raise tr.fail(f"ember.{name} is not supported by ember.deploy")
        if method_like and "input" in kwargs:
            args = (kwargs.pop("input"),) + args
        return record(tr, orig, *args, **kwargs)

    traced.__name__ = name
    traced.__wrapped__ = orig
    return traced


def _patches() -> list[tuple[Any, str, Callable]]:
    """(namespace, name, traced function) for every function a trace swaps."""
    from ..nn import functional as F
    import ember

    out = []
    for ns in (ember, _core):
        for name in dir(ns):
            attr = getattr(ns, name)
            if name.startswith("__") or isinstance(attr, type) or not callable(attr) or \
                    getattr(attr, "__module__", None) not in ("ember._core", None):
                continue
            if name in FUNCTIONS:
                out.append((ns, name, _function(name, attr, FUNCTIONS[name], False)))
            else:
                out.append((ns, name, _function(name, attr, TENSOR_METHODS.get(name), True)))
    for name, record in NN_FUNCTIONS.items():
        out.append((F, name, _function(name, getattr(F, name), record, False)))
    from ..nn.utils import rnn as rnn_utils
    from ._recorders_rnn import PACKING

    for name, record in PACKING.items():
        out.append((rnn_utils, name, _function(name, getattr(rnn_utils, name), record, False)))
    for name in ("rand_like", "randn_like", "randint_like"):  # Python-level (ember/_tensor_api.py): refuse, not bake
        out.append((ember, name, _function(name, getattr(ember, name), None, True)))
    return out


@contextmanager
def _patched(tr: Trace):
    from ..nn.module import Module

    patches = _patches()
    saved = [(ns, name, getattr(ns, name)) for ns, name, _ in patches]
    module_call = Module.__call__

    def call(mod: Module, *args: Any, **kwargs: Any) -> Any:
        tr.scope.append(tr.module_names.get(id(mod), type(mod).__name__))
        try:
            return module_call(mod, *args, **kwargs)
        finally:
            tr.scope.pop()

    for ns, name, fn in patches:
        setattr(ns, name, fn)
    Module.__call__ = call
    _ACTIVE.append(tr)
    try:
        yield
    finally:
        _ACTIVE.pop()
        Module.__call__ = module_call
        for ns, name, fn in saved:
            setattr(ns, name, fn)


def flatten(values: Any) -> list[Any]:
    """Values in order, nested tuples and lists flattened (an LSTM's ``(output, (h_n, c_n))``)."""
    if isinstance(values, (tuple, list)):
        return [x for v in values for x in flatten(v)]
    return [values]


def _unflatten(structure: Any, leaves: Any) -> Any:
    """The nested tuples and lists of ``structure`` holding the next values of the iterator ``leaves``."""
    if isinstance(structure, (tuple, list)):
        return type(structure)(_unflatten(s, leaves) for s in structure)
    return next(leaves)


def trace_once(model: Any, inputs: tuple[Tensor, ...], input_names: list[str],
               structure: Any = None) -> tuple[Trace, list[str]]:
    """One recorded run of ``model(*inputs)`` (the caller holds LOCK and set evaluation mode): the
    trace and the value names of the model's outputs. ``structure`` (a tuple) nests the inputs as the
    model takes them: ``model(*structure)`` with its tensors replaced by ``inputs`` in order."""
    names = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        names.setdefault(id(t), name)
    modules = {id(m): name for name, m in model.named_modules()}
    tr = Trace(names, modules)
    traced = [tr.add_input(x, n) for x, n in zip(inputs, input_names)]
    with _patched(tr), no_grad():
        result = model(*(traced if structure is None else _unflatten(tuple(structure), iter(traced))))
    outs = flatten(result)
    out_names = []
    for i, out in enumerate(outs):
        if not tr.is_traced(out):
            what = type(out).__name__ if not isinstance(out, Tensor) else "a tensor not computed from the input"
            raise ExportError(f"[deploy.export] output {i} of the model is {what}; every output must be a tensor "
                              "computed from the input by ops ember.deploy records")
        out_names.append(out._value)
    return tr, out_names
