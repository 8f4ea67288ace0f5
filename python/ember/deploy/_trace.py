"""Tracing a model into a deploy ``Graph`` (docs/deploy-format.md).

The model runs on real tensors, in evaluation mode and without gradients, while the ops it calls are
recorded: its input is a ``_Traced`` tensor, whose methods record themselves, and the module-level
functions of ``ember``, ``ember._core`` and ``ember.nn.functional`` that take tensors are swapped for
recording ones for the duration. Whatever cannot be recorded raises ``ExportError`` naming the op
and the module path at once: an op outside the format, reading a traced value into Python
(``bool``, ``item``, ``numpy``: data-dependent control flow), an in-place write.

The model is traced at three batch sizes. Integers that change with the batch size (a reshape to
``(B * heads, L, D)``) become dim expressions ``a * B + c``; a graph that changes in any other way, or
a tensor that was not recorded but is used by a recorded op and changes with the input, is refused.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Callable

import numpy as np

from .. import _core
from .._core import Tensor
from ..autograd import no_grad
from ._graph import FORMAT, FORMAT_VERSION, Graph, Node, ValueSpec, dtype_name


class ExportError(RuntimeError):
    """A model (or a part of it) that ``ember.deploy`` / ``ember.onnx`` cannot export."""


class _Traced(Tensor):
    """A tensor produced by a recorded op: its methods record themselves while a trace is active."""


# --- one trace ---


class _Trace:
    """The nodes, values and tensors recorded by one run of the model."""

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

    def where(self) -> str:
        return f"module '{self.scope[-1]}'" if self.scope[-1] else "the model's forward"

    def fail(self, what: str) -> ExportError:
        return ExportError(f"[deploy.export] {what} (in {self.where()})")

    def ref(self, x: Any, dtype: Any = None) -> str | None:
        """The graph name of a node input: a traced value, a parameter/buffer, or a new constant."""
        if x is None:
            return None
        if isinstance(x, _Traced) and getattr(x, "_trace", None) is self:
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

    def emit(self, op: str, inputs: list[Any], attrs: dict[str, Any], result: Any, dtype: Any = None) -> Any:
        """Records op(inputs) -> result (a tensor or a tuple of them); returns the result as traced tensors."""
        names = [self.ref(x, dtype) for x in inputs]
        outs = result if isinstance(result, tuple) else (result,)
        traced = []
        for out in outs:
            name = f"t{len(self.values)}"
            self.values[name] = ValueSpec(dtype_name(out.dtype), list(out.shape))
            t = _Traced(out)
            t._trace, t._value = self, name
            self.keep.append(t)
            traced.append(t)
        self.nodes.append(Node(op, names, [t._value for t in traced], attrs, self.scope[-1]))
        return tuple(traced) if isinstance(result, tuple) else traced[0]

    def add_input(self, x: Tensor, name: str) -> _Traced:
        self.values[name] = ValueSpec(dtype_name(x.dtype), list(x.shape))
        t = _Traced(x)
        t._trace, t._value = self, name
        self.keep.append(t)
        return t

    @contextmanager
    def computing(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


_ACTIVE: list[_Trace] = []  # the trace in progress (at most one: exports are serialised by _LOCK)
_LOCK = threading.Lock()


def _active() -> _Trace | None:
    tr = _ACTIVE[-1] if _ACTIVE else None
    return tr if tr is not None and tr.depth == 0 else None


def _has_traced(args: Any) -> bool:
    if isinstance(args, _Traced):
        return True
    if isinstance(args, (list, tuple)):
        return any(_has_traced(a) for a in args)
    if isinstance(args, dict):
        return any(_has_traced(a) for a in args.values())
    return False


# --- what each op records ---


def _dim(d: int, ndim: int) -> int:
    return d + ndim if d < 0 else d


def _run(tr: _Trace, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    with tr.computing():
        return fn(*args, **kwargs)


def _cast_to(tr: _Trace, x: Any, dtype: Any) -> Any:
    """x as dtype: a recorded cast for a tensor of another dtype; numbers and same-dtype tensors as they are."""
    if isinstance(x, Tensor) and x.dtype != dtype:
        return tr.emit("cast", [x], {"dtype": dtype_name(dtype)}, _run(tr, x.to, dtype))
    return x


def _binary(op: str, reverse: bool = False) -> Callable:
    def record(tr: _Trace, orig: Callable, a: Any, b: Any, *rest: Any, **kwargs: Any) -> Any:
        alpha = kwargs.pop("alpha", rest[0] if rest else 1)
        if alpha != 1:  # add(other, alpha=...) / sub(other, alpha=...)
            b = _binary("mul")(tr, Tensor.__mul__, b, alpha) if isinstance(b, _Traced) else b * alpha
        out = _run(tr, orig, a, b)
        if out is NotImplemented:
            return out
        x, y = (b, a) if reverse else (a, b)
        x, y = _cast_to(tr, x, out.dtype), _cast_to(tr, y, out.dtype)
        return tr.emit(op, [x, y], {}, out, dtype=out.dtype)
    return record


def _unary(op: str, **fixed: Any) -> Callable:
    def record(tr: _Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
        return tr.emit(op, [x], dict(fixed), _run(tr, orig, x, *args, **kwargs))
    return record


def _gelu(tr: _Trace, orig: Callable, x: Tensor, approximate: str = "none") -> Any:
    return tr.emit("gelu", [x], {"approximate": approximate}, _run(tr, orig, x, approximate=approximate))


def _pow(tr: _Trace, orig: Callable, x: Any, exponent: Any, *args: Any) -> Any:
    if not isinstance(x, _Traced) or isinstance(exponent, Tensor):
        raise tr.fail("pow is exported only as tensor ** number")
    return tr.emit("pow", [x], {"exponent": float(exponent)}, _run(tr, orig, x, exponent, *args))


def _rsqrt(tr: _Trace, orig: Callable, x: Tensor) -> Any:
    return tr.emit("pow", [x], {"exponent": -0.5}, _run(tr, orig, x))


def _softmax(op: str) -> Callable:
    def record(tr: _Trace, orig: Callable, x: Tensor, dim: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if dim is None:
            raise tr.fail(f"{op} needs an explicit dim to be exported")
        if dtype is not None:
            x = _cast_to(tr, x, dtype)
        return tr.emit(op, [x], {"dim": _dim(int(dim), x.ndim)}, _run(tr, orig, x, dim))
    return record


def _matmul(tr: _Trace, orig: Callable, a: Any, b: Any) -> Any:
    out = _run(tr, orig, a, b)
    return out if out is NotImplemented else tr.emit("matmul", [a, b], {}, out)


def _rmatmul(tr: _Trace, orig: Callable, a: Any, b: Any) -> Any:
    out = _run(tr, orig, a, b)
    return out if out is NotImplemented else tr.emit("matmul", [b, a], {}, out)


def _as_reshape(tr: _Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    """Any op that only re-shapes (reshape, view, flatten, squeeze, unsqueeze) as a reshape to its result's shape."""
    out = _run(tr, orig, x, *args, **kwargs)
    if tuple(out.shape) == tuple(x.shape):
        return x
    return tr.emit("reshape", [x], {"shape": list(out.shape)}, out)


def _permute_of(tr: _Trace, x: Tensor, dims: list[int], out: Tensor) -> Any:
    if dims == list(range(x.ndim)):
        return x
    return tr.emit("permute", [x], {"dims": dims}, out)


def _transpose(tr: _Trace, orig: Callable, x: Tensor, dim0: int, dim1: int) -> Any:
    dims = list(range(x.ndim))
    d0, d1 = _dim(int(dim0), x.ndim), _dim(int(dim1), x.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute_of(tr, x, dims, _run(tr, orig, x, dim0, dim1))


def _t(tr: _Trace, orig: Callable, x: Tensor) -> Any:
    return _permute_of(tr, x, list(range(x.ndim))[::-1], _run(tr, orig, x))


def _mT(tr: _Trace, orig: Callable, x: Tensor) -> Any:
    dims = list(range(x.ndim))
    dims[-2:] = dims[-1:-3:-1]
    return _permute_of(tr, x, dims, _run(tr, orig, x))


def _permute(tr: _Trace, orig: Callable, x: Tensor, *dims: Any) -> Any:
    flat = list(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else list(dims)
    return _permute_of(tr, x, [_dim(int(d), x.ndim) for d in flat], _run(tr, orig, x, *dims))


def _identity(tr: _Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    return x


def _to(tr: _Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    out = _run(tr, orig, x, *args, **kwargs)
    if out.dtype == x.dtype:
        return x
    return tr.emit("cast", [x], {"dtype": dtype_name(out.dtype)}, out)


def _slice(tr: _Trace, x: Any, dim: int, start: int, end: int, step: int = 1) -> Any:
    size = x.shape[dim]
    start, end = min(max(start, 0), size), min(max(end, 0), size)
    end = max(end, start)
    if (start, end, step) == (0, size, 1):
        return x
    index = (slice(None),) * dim + (slice(start, end, step),)
    return tr.emit("slice", [x], {"dim": dim, "start": start, "end": end, "step": step},
                   _run(tr, Tensor.__getitem__, x, index))


def _narrow(tr: _Trace, orig: Callable, x: Tensor, dim: int, start: int, length: int) -> Any:
    d = _dim(int(dim), x.ndim)
    s = _dim(int(start), x.shape[d])
    return _slice(tr, x, d, s, s + int(length))


def _select(tr: _Trace, orig: Callable, x: Tensor, dim: int, index: int) -> Any:
    d = _dim(int(dim), x.ndim)
    i = _dim(int(index), x.shape[d])
    return tr.emit("select", [x], {"dim": d, "index": i}, _run(tr, orig, x, dim, index))


def _pieces(tr: _Trace, x: Tensor, parts: tuple, dim: int) -> tuple:
    d, at, out = _dim(int(dim), x.ndim), 0, []
    for p in parts:
        out.append(_slice(tr, x, d, at, at + p.shape[d]))
        at += p.shape[d]
    return tuple(out)


def _chunk(tr: _Trace, orig: Callable, x: Tensor, chunks: int, dim: int = 0) -> Any:
    return _pieces(tr, x, _run(tr, orig, x, chunks, dim), dim)


def _split(tr: _Trace, orig: Callable, x: Tensor, split_size: Any, dim: int = 0) -> Any:
    return _pieces(tr, x, _run(tr, orig, x, split_size, dim), dim)


def _getitem(tr: _Trace, orig: Callable, x: Tensor, key: Any) -> Any:
    """Basic indexing (ints, slices, None, ...) as select / slice / reshape nodes."""
    items = list(key) if isinstance(key, tuple) else [key]
    if any(isinstance(k, (Tensor, list, np.ndarray)) or (isinstance(k, bool)) for k in items):
        raise tr.fail("indexing with tensors, lists or bools (advanced indexing) cannot be exported")
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise tr.fail("an index can only have a single ellipsis")
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    if consumed > x.ndim:
        raise IndexError(f"[deploy.export] too many indices for a tensor of dimension {x.ndim}")
    fill = [slice(None)] * (x.ndim - consumed)
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = fill
    else:
        items += fill
    out, d = x, 0
    for k in items:
        if k is None:
            out = _as_reshape(tr, Tensor.unsqueeze, out, d)
            d += 1
        elif isinstance(k, slice):
            start, end, step = k.indices(out.shape[d])
            if step < 1:
                raise tr.fail("slices with a negative step cannot be exported")
            out = _slice(tr, out, d, start, end, step)
            d += 1
        else:
            i = int(k)
            if not -out.shape[d] <= i < out.shape[d]:
                raise IndexError(f"[deploy.export] index {i} is out of range for dim {d} of size {out.shape[d]}")
            out = _select(tr, Tensor.select, out, d, i)
    expected = _run(tr, orig, x, key)
    if tuple(expected.shape) != tuple(out.shape):
        raise tr.fail(f"indexing with {key!r} was not recorded faithfully")
    return out


def _reduce(op: str) -> Callable:
    def record(tr: _Trace, orig: Callable, x: Tensor, dim: Any = None, keepdim: bool = False,
               dtype: Any = None) -> Any:
        if dtype is not None:
            x = _cast_to(tr, x, dtype)
        if dim is None:
            dims = list(range(x.ndim))
        else:
            dims = sorted({_dim(int(d), x.ndim) for d in (dim if isinstance(dim, (list, tuple)) else [dim])})
        out = _run(tr, orig, x, dim, keepdim)
        if not dims:
            return x
        return tr.emit(op, [x], {"dims": dims, "keepdim": bool(keepdim)}, out)
    return record


def _masked_fill(tr: _Trace, orig: Callable, x: Tensor, mask: Tensor, value: Any) -> Any:
    out = _run(tr, orig, x, mask, value)
    return tr.emit("masked_fill", [x, mask, value], {}, out, dtype=x.dtype)


def _cat(tr: _Trace, orig: Callable, tensors: Any, dim: int = 0) -> Any:
    tensors = list(tensors)
    out = _run(tr, orig, tensors, dim)
    tensors = [_cast_to(tr, t, out.dtype) for t in tensors]
    return tr.emit("cat", tensors, {"dim": _dim(int(dim), out.ndim)}, out)


def _linear(tr: _Trace, orig: Callable, input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Any:
    return tr.emit("linear", [input, weight, bias], {}, _run(tr, orig, input, weight, bias))


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _conv2d(tr: _Trace, orig: Callable, input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
            padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Any:
    # The graph's conv2d is batched with explicit padding: an unbatched input and padding="same"/"valid"
    # are spelled out around it with recorded unsqueeze, slicing and squeeze.
    if input.ndim == 3:
        return _conv2d(tr, orig, input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    crop = (False, False)
    if isinstance(padding, str):
        padding, crop = _core._conv2d_padding(tuple(weight.shape[2:]), stride, padding, dilation)
    out = _run(tr, orig, input, weight, bias, stride, padding, dilation, groups)
    attrs = {"stride": _pair(stride), "padding": _pair(padding), "dilation": _pair(dilation), "groups": int(groups)}
    out = tr.emit("conv2d", [input, weight, bias], attrs, out)
    if crop[0]:
        out = out[:, :, 1:, :]
    return out[:, :, :, 1:] if crop[1] else out


def _max_pool2d(tr: _Trace, orig: Callable, input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                dilation: Any = 1, ceil_mode: bool = False) -> Any:
    if input.ndim == 3:  # the graph's pools are batched
        return _max_pool2d(tr, orig, input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode).squeeze(0)
    out = _run(tr, orig, input, kernel_size, stride, padding, dilation, ceil_mode)
    attrs = {"kernel_size": _pair(kernel_size), "stride": _pair(kernel_size if stride is None else stride),
             "padding": _pair(padding), "dilation": _pair(dilation), "ceil_mode": bool(ceil_mode)}
    return tr.emit("max_pool2d", [input], attrs, out)


def _avg_pool2d(tr: _Trace, orig: Callable, input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    if input.ndim == 3:
        return _avg_pool2d(tr, orig, input.unsqueeze(0), kernel_size, stride, padding, ceil_mode,
                           count_include_pad).squeeze(0)
    out = _run(tr, orig, input, kernel_size, stride, padding, ceil_mode, count_include_pad)
    attrs = {"kernel_size": _pair(kernel_size), "stride": _pair(kernel_size if stride is None else stride),
             "padding": _pair(padding), "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad)}
    return tr.emit("avg_pool2d", [input], attrs, out)


def _adaptive_avg_pool2d(tr: _Trace, orig: Callable, input: Tensor, output_size: Any) -> Any:
    if input.ndim == 3:
        return _adaptive_avg_pool2d(tr, orig, input.unsqueeze(0), output_size).squeeze(0)
    out = _run(tr, orig, input, output_size)
    return tr.emit("adaptive_avg_pool2d", [input], {"output_size": list(out.shape[-2:])}, out)


def _batch_norm(tr: _Trace, orig: Callable, input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
                momentum: float = 0.1, eps: float = 1e-5) -> Any:
    if training or running_mean is None or running_var is None:
        raise tr.fail("batch_norm in training mode (or without running statistics) cannot be exported; "
                      "export uses model.eval(), so this is a functional call with training=True")
    out = _run(tr, orig, input, running_mean, running_var, weight, bias, training, momentum, eps)
    return tr.emit("batch_norm", [input, running_mean, running_var, weight, bias], {"eps": float(eps)}, out)


def _layer_norm(tr: _Trace, orig: Callable, input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
                bias: Tensor | None = None, eps: float = 1e-5) -> Any:
    shape = [int(normalized_shape)] if isinstance(normalized_shape, int) else [int(s) for s in normalized_shape]
    out = _run(tr, orig, input, normalized_shape, weight, bias, eps)
    return tr.emit("layer_norm", [input, weight, bias], {"normalized_shape": shape, "eps": float(eps)}, out)


def _embedding(tr: _Trace, orig: Callable, input: Tensor, weight: Tensor, padding_idx: Any = None,
               max_norm: Any = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
               sparse: bool = False) -> Any:
    out = _run(tr, orig, input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    return tr.emit("embedding", [input, weight], {}, out)


def _leaky_relu(tr: _Trace, orig: Callable, input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    out = _run(tr, orig, input, negative_slope, inplace)
    return tr.emit("leaky_relu", [input], {"negative_slope": float(negative_slope)}, out)


def _dropout(tr: _Trace, orig: Callable, input: Tensor, p: float = 0.5, training: bool = True,
             inplace: bool = False) -> Any:
    if training and p > 0.0:
        raise tr.fail("dropout in training mode cannot be exported; export uses model.eval(), so this is a "
                      "functional call with training=True")
    return input


# Tensor methods (and the ember functions of the same name, whose first argument is the tensor).
_METHODS: dict[str, Callable] = {
    "__add__": _binary("add"), "add": _binary("add"), "__radd__": _binary("add", reverse=True),
    "__sub__": _binary("sub"), "sub": _binary("sub"), "subtract": _binary("sub"),
    "__rsub__": _binary("sub", reverse=True),
    "__mul__": _binary("mul"), "mul": _binary("mul"), "multiply": _binary("mul"),
    "__rmul__": _binary("mul", reverse=True),
    "__truediv__": _binary("div"), "div": _binary("div"), "true_divide": _binary("div"),
    "__rtruediv__": _binary("div", reverse=True),
    "__neg__": _unary("neg"), "neg": _unary("neg"), "__abs__": _unary("abs"), "abs": _unary("abs"),
    "relu": _unary("relu"), "sigmoid": _unary("sigmoid"), "tanh": _unary("tanh"), "silu": _unary("silu"),
    "exp": _unary("exp"), "log": _unary("log"), "sqrt": _unary("sqrt"), "rsqrt": _rsqrt,
    "gelu": _gelu, "__pow__": _pow, "pow": _pow,
    "softmax": _softmax("softmax"), "log_softmax": _softmax("log_softmax"),
    "__matmul__": _matmul, "matmul": _matmul, "mm": _matmul, "bmm": _matmul, "__rmatmul__": _rmatmul,
    "reshape": _as_reshape, "view": _as_reshape, "flatten": _as_reshape, "squeeze": _as_reshape,
    "unsqueeze": _as_reshape,
    "transpose": _transpose, "permute": _permute, "t": _t, "T": _t, "mT": _mT,
    "contiguous": _identity, "clone": _identity, "detach": _identity,
    "to": _to, "float": _to, "double": _to, "long": _to, "int": _to, "bool": _to, "byte": _to, "type": _to,
    "narrow": _narrow, "select": _select, "chunk": _chunk, "split": _split, "__getitem__": _getitem,
    "mean": _reduce("mean"), "sum": _reduce("sum"), "masked_fill": _masked_fill,
}
# Functions only (ember.X / ember._core.X / ember.nn.functional.X).
_FUNCTIONS: dict[str, Callable] = {
    "cat": _cat, "concat": _cat, "linear": _linear, "conv2d": _conv2d, "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d, "adaptive_avg_pool2d": _adaptive_avg_pool2d, "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
}
# ember.nn.functional functions recorded whole (the others run and record what they call).
_NN_FUNCTIONS: dict[str, Callable] = {"embedding": _embedding, "leaky_relu": _leaky_relu, "dropout": _dropout}
# Tensor attributes that read only static facts (shape, dtype...) or print; allowed on traced tensors.
_STATIC = {
    "shape", "ndim", "dim", "size", "dtype", "device", "numel", "is_floating_point", "is_contiguous",
    "requires_grad", "is_leaf", "grad", "grad_fn", "element_size", "stride", "storage_offset", "__len__",
    "__repr__", "__str__", "__hash__", "__init__", "__format__", "cpu", "data_ptr", "retains_grad",
    "_version",
}
_READS_VALUE = {"__bool__", "item", "tolist", "numpy", "__float__", "__int__", "__index__", "__array__",
                "__dlpack__", "__dlpack_device__"}


def _method(name: str, record: Callable | None) -> Any:
    orig = getattr(Tensor, name)
    is_property = isinstance(orig, property)
    fn = orig.fget if is_property else orig

    def traced(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        tr = _active()
        if tr is None or getattr(self, "_trace", None) is not tr:
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
    for name in dir(Tensor):
        if name in _STATIC or name in ("__class__", "__dict__", "__module__", "__doc__", "__weakref__"):
            continue
        attr = getattr(Tensor, name)
        if not (callable(attr) or isinstance(attr, property)) or name in ("__new__", "__init_subclass__",
                                                                          "__subclasshook__", "__getattribute__",
                                                                          "__setattr__", "__delattr__",
                                                                          "__reduce__", "__reduce_ex__",
                                                                          "__sizeof__", "__dir__", "__getstate__"):
            continue
        setattr(_Traced, name, _method(name, _METHODS.get(name)))


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
            if name in _FUNCTIONS:
                out.append((ns, name, _function(name, attr, _FUNCTIONS[name], False)))
            else:
                out.append((ns, name, _function(name, attr, _METHODS.get(name), True)))
    for name, record in _NN_FUNCTIONS.items():
        out.append((F, name, _function(name, getattr(F, name), record, False)))
    return out


@contextmanager
def _patched(tr: _Trace):
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


def _trace_once(model: Any, inputs: tuple[Tensor, ...], input_names: list[str]) -> tuple[_Trace, list[str]]:
    names = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        names.setdefault(id(t), name)
    modules = {id(m): name for name, m in model.named_modules()}
    tr = _Trace(names, modules)
    traced = [tr.add_input(x, n) for x, n in zip(inputs, input_names)]
    with _patched(tr), no_grad():
        result = model(*traced)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    out_names = []
    for i, out in enumerate(outs):
        if not (isinstance(out, _Traced) and getattr(out, "_trace", None) is tr):
            what = type(out).__name__ if not isinstance(out, Tensor) else "a tensor not computed from the input"
            raise ExportError(f"[deploy.export] output {i} of the model is {what}; every output must be a tensor "
                              "computed from the input by ops ember.deploy records")
        out_names.append(out._value)
    return tr, out_names


# --- three traces -> one graph with dim expressions ---


def _fit(values: list[int], batches: list[int]) -> Any:
    """An int, or {"batch": a, "add": c} with values[i] == a * batches[i] + c; None when not linear."""
    if all(v == values[0] for v in values):
        return values[0]
    a = (values[1] - values[0]) // (batches[1] - batches[0])
    c = values[0] - a * batches[0]
    if any(a * b + c != v for v, b in zip(values, batches)):
        return None
    return {"batch": a, "add": c}


def _merge_attr(vals: list[Any], batches: list[int], dynamic: bool) -> Any:
    first = vals[0]
    if isinstance(first, bool) or not isinstance(first, (int, list)):
        return first if all(v == first for v in vals) else None
    if isinstance(first, int):
        if all(v == first for v in vals):
            return first
        return _fit(vals, batches) if dynamic else None
    if any(not isinstance(v, list) or len(v) != len(first) for v in vals):
        return None
    merged = [_merge_attr([v[i] for v in vals], batches, dynamic) for i in range(len(first))]
    return None if any(m is None for m in merged) else merged


_DYNAMIC_ATTRS = {("reshape", "shape"), ("slice", "start"), ("slice", "end")}


def _merge(traces: list[_Trace], outs: list[list[str]], batches: list[int]) -> tuple[list[Node], dict, list[str]]:
    base = traces[0]
    for tr, o in zip(traces[1:], outs[1:]):
        ops = [(n.op, n.inputs, n.outputs, n.scope) for n in tr.nodes]
        if ops != [(n.op, n.inputs, n.outputs, n.scope) for n in base.nodes] or o != outs[0]:
            raise ExportError(f"[deploy.export] the model records different graphs at batch sizes {batches[0]} and "
                              f"{batches[traces.index(tr)]} (Python control flow that depends on the batch size?); "
                              "give an example input whose batch size is typical (2 or more)")
    nodes = []
    for i, node in enumerate(base.nodes):
        attrs = {}
        for key, value in node.attrs.items():
            merged = _merge_attr([tr.nodes[i].attrs[key] for tr in traces], batches, (node.op, key) in _DYNAMIC_ATTRS)
            if merged is None:
                raise ExportError(f"[deploy.export] attribute '{key}' of {node.op} (in module '{node.scope}') "
                                  f"changes with the batch size: {[tr.nodes[i].attrs[key] for tr in traces]} at "
                                  f"batch sizes {batches}")
            attrs[key] = merged
        nodes.append(Node(node.op, node.inputs, node.outputs, attrs, node.scope))
    values = {}
    for name, spec in base.values.items():
        shape = _merge_attr([tr.values[name].shape for tr in traces], batches, True)
        values[name] = ValueSpec(spec.dtype, shape)
    for name, t in base.tensors.items():
        if not name.startswith("const."):
            continue
        ref = t.numpy()
        for tr in traces[1:]:
            other = tr.tensors[name].numpy()
            if ref.shape != other.shape or not np.array_equal(ref, other, equal_nan=True):
                user = next(n for n in base.nodes if name in n.inputs)
                raise ExportError(
                    f"[deploy.export] {user.op} (in module '{user.scope}') uses a tensor of shape {ref.shape} that "
                    "is not a parameter, a buffer or the result of a recorded op, and it changes with the input: it "
                    "was computed by a function that bypassed the trace (imported before export, or not supported)"
                )
    return nodes, values, outs[0]


def _prune(nodes: list[Node], outputs: list[str]) -> list[Node]:
    """The nodes that some output depends on, in order."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if needed.intersection(node.outputs):
            kept.append(node)
            needed.update(x for x in node.inputs if x is not None)
    return kept[::-1]


def _batched(x: Tensor, batch: int, n: int) -> Tensor:
    """x with dim 0 grown to n rows: its rows repeated, then reordered (and, for floats, rescaled), so
    that a tensor computed from the input outside the trace changes between the traces."""
    a = np.asarray(x.numpy())
    rows = np.concatenate([a] * (n // batch + 1), axis=0)[:n]
    rows = np.roll(rows, 1, axis=0)
    if np.issubdtype(rows.dtype, np.floating):
        rows = rows * rows.dtype.type(1.0009765625)  # a power-of-two fraction: exact, never overflows to inf
    return _core.from_numpy(np.ascontiguousarray(rows))


def trace(model: Any, example_input: Any, *, dynamic_batch: bool = True) -> Graph:
    """Records ``model(example_input)`` (evaluation mode, no gradients) as a deploy ``Graph``.

    ``example_input`` is a tensor or a tuple of tensors. With ``dynamic_batch`` dim 0 of the first input
    (and of every input with the same dim 0) is the batch size, which the graph leaves free; the model is
    then traced at three batch sizes. Raises ``ExportError`` naming the op and module path for what the
    format cannot express.
    """
    from ..nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"[deploy.export] expected an ember.nn.Module, got {type(model).__name__}")
    inputs = tuple(example_input) if isinstance(example_input, (tuple, list)) else (example_input,)
    if not inputs or not all(isinstance(x, Tensor) for x in inputs):
        raise TypeError("[deploy.export] example_input must be an ember.Tensor or a tuple of them, got "
                        f"{type(example_input).__name__}")
    if dynamic_batch and (inputs[0].ndim == 0 or inputs[0].shape[0] == 0):
        raise ValueError(f"[deploy.export] with dynamic_batch the first input needs a batch dimension of size >= 1, "
                         f"got shape {tuple(inputs[0].shape)}")
    names = ["input"] if len(inputs) == 1 else [f"input{i}" for i in range(len(inputs))]
    modes = [(m, m.training) for m in model.modules()]
    batch = inputs[0].shape[0] if dynamic_batch else 1
    batches = [batch, batch + 1, batch + 3] if dynamic_batch else [batch]
    with _LOCK:
        model.eval()
        try:
            runs = []
            for b in batches:
                xs = inputs if b == batch else tuple(
                    _batched(x, batch, b) if x.ndim and x.shape[0] == batch else x for x in inputs)
                runs.append(_trace_once(model, xs, names))
        finally:
            for m, mode in modes:
                m.training = mode
    traces, outs = [r[0] for r in runs], [r[1] for r in runs]
    nodes, values, outputs = _merge(traces, outs, batches)
    seen: set[str] = set()
    for i, name in enumerate(outputs):  # the format names each output once: a repeat becomes a cast to its dtype
        if name in seen:
            outputs[i] = f"{name}.repeat{i}"
            nodes.append(Node("cast", [name], [outputs[i]], {"dtype": values[name].dtype}, ""))
            values[outputs[i]] = values[name]
        seen.add(name)
    nodes = _prune(nodes, outputs)
    used = {x for n in nodes for x in n.inputs if x is not None} | set(outputs)
    live = set(names) | {o for n in nodes for o in n.outputs}
    tensors = {k: v for k, v in traces[0].tensors.items() if k in used}
    return Graph(names, outputs, nodes, {k: v for k, v in values.items() if k in live}, tensors)


def export(model: Any, example_input: Any, path: Any, *, dynamic_batch: bool = True) -> Graph:
    """Traces ``model`` on ``example_input`` and writes one ``.ember`` file (weights + graph) to ``path``.

    ``ember::deploy::load(path)`` runs it from C++ (``model.forward(x)``), ``ember.deploy.load`` from
    Python. The batch size may differ from the example's (``dynamic_batch``). The write is atomic.
    Returns the traced graph.
    """
    graph = trace(model, example_input, dynamic_batch=dynamic_batch)
    metadata = {"ember.format": FORMAT, "ember.format_version": str(FORMAT_VERSION), "ember.graph": graph.to_json()}
    _core._save_safetensors(os.fsdecode(os.fspath(path)), list(graph.tensors.items()), metadata)
    return graph
