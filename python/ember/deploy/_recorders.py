"""The trace side of the export table: how each ember op, called while a model is traced, is recorded
as nodes of the deploy graph (docs/deploy-format.md).

A recorder is called as ``record(tr, orig, *args, **kwargs)`` in place of the op ``orig``: it computes
the real result with ``tr.run(orig, ...)`` and records it with ``tr.emit(op, inputs, attrs, result)``,
which returns the result as traced tensors; ``tr.fail(why)`` is the error for what it cannot export.
An op that is only a view or a no-op at inference may record nothing (``_identity``) or other ops
(``_as_reshape``). The three tables at the bottom say which recorder handles which name:

- ``TENSOR_METHODS``: Tensor methods and properties, and the ``ember.X`` / ``ember._core.X`` functions
  of the same name (whose first argument is the tensor);
- ``FUNCTIONS``: ``ember.X`` / ``ember._core.X`` functions that are not Tensor methods;
- ``NN_FUNCTIONS``: ``ember.nn.functional.X`` functions recorded whole (the others run and record the
  ember ops they call).

A Tensor method or ember function in no table raises ``ExportError`` when a traced tensor reaches it.
A new deploy op also needs its C++ kernel (``include/ember/deploy/ops.hpp``), its ONNX converter
(``ember/onnx/_ops.py``) and its row in docs/deploy-format.md, whose "Adding an op to export" is
the recipe.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable


from .. import _core
from .._core import Tensor
from .._np import is_ndarray
from ._graph import dtype_name

if TYPE_CHECKING:
    from ._tracer import Trace


# --- recorders ---


def _dim(d: int, ndim: int) -> int:
    return d + ndim if d < 0 else d


def _cast_to(tr: Trace, x: Any, dtype: Any) -> Any:
    """x as dtype: a recorded cast for a tensor of another dtype; numbers and same-dtype tensors as they are."""
    if isinstance(x, Tensor) and x.dtype != dtype:
        return tr.emit("cast", [x], {"dtype": dtype_name(dtype)}, tr.run(x.to, dtype))
    return x


def _binary(op: str, reverse: bool = False) -> Callable:
    def record(tr: Trace, orig: Callable, a: Any, b: Any, *rest: Any, **kwargs: Any) -> Any:
        alpha = kwargs.pop("alpha", rest[0] if rest else 1)
        if alpha != 1:  # add(other, alpha=...) / sub(other, alpha=...)
            b = _binary("mul")(tr, Tensor.__mul__, b, alpha) if tr.is_traced(b) else b * alpha
        out = tr.run(orig, a, b)
        if out is NotImplemented:
            return out
        x, y = (b, a) if reverse else (a, b)
        x, y = _cast_to(tr, x, out.dtype), _cast_to(tr, y, out.dtype)
        return tr.emit(op, [x, y], {}, out, dtype=out.dtype)
    return record


def _unary(op: str, **fixed: Any) -> Callable:
    def record(tr: Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
        return tr.emit(op, [x], dict(fixed), tr.run(orig, x, *args, **kwargs))
    return record


def _gelu(tr: Trace, orig: Callable, x: Tensor, approximate: str = "none") -> Any:
    return tr.emit("gelu", [x], {"approximate": approximate}, tr.run(orig, x, approximate=approximate))


def _pow(tr: Trace, orig: Callable, x: Any, exponent: Any, *args: Any) -> Any:
    if not tr.is_traced(x) or isinstance(exponent, Tensor):
        raise tr.fail("pow is exported only as tensor ** number")
    return tr.emit("pow", [x], {"exponent": float(exponent)}, tr.run(orig, x, exponent, *args))


def _rsqrt(tr: Trace, orig: Callable, x: Tensor) -> Any:
    return tr.emit("pow", [x], {"exponent": -0.5}, tr.run(orig, x))


def _softmax(op: str) -> Callable:
    def record(tr: Trace, orig: Callable, x: Tensor, dim: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if dim is None:
            raise tr.fail(f"{op} needs an explicit dim to be exported")
        if dtype is not None:
            x = _cast_to(tr, x, dtype)
        return tr.emit(op, [x], {"dim": _dim(int(dim), x.ndim)}, tr.run(orig, x, dim))
    return record


def _matmul(tr: Trace, orig: Callable, a: Any, b: Any) -> Any:
    out = tr.run(orig, a, b)
    return out if out is NotImplemented else tr.emit("matmul", [a, b], {}, out)


def _rmatmul(tr: Trace, orig: Callable, a: Any, b: Any) -> Any:
    out = tr.run(orig, a, b)
    return out if out is NotImplemented else tr.emit("matmul", [b, a], {}, out)


def _as_reshape(tr: Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    """Any op that only re-shapes (reshape, view, flatten, squeeze, unsqueeze) as a reshape to its result's shape."""
    out = tr.run(orig, x, *args, **kwargs)
    if tuple(out.shape) == tuple(x.shape):
        return x
    return tr.emit("reshape", [x], {"shape": list(out.shape)}, out)


def _permute_of(tr: Trace, x: Tensor, dims: list[int], out: Tensor) -> Any:
    if dims == list(range(x.ndim)):
        return x
    return tr.emit("permute", [x], {"dims": dims}, out)


def _transpose(tr: Trace, orig: Callable, x: Tensor, dim0: int, dim1: int) -> Any:
    dims = list(range(x.ndim))
    d0, d1 = _dim(int(dim0), x.ndim), _dim(int(dim1), x.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute_of(tr, x, dims, tr.run(orig, x, dim0, dim1))


def _t(tr: Trace, orig: Callable, x: Tensor) -> Any:
    return _permute_of(tr, x, list(range(x.ndim))[::-1], tr.run(orig, x))


def _mT(tr: Trace, orig: Callable, x: Tensor) -> Any:
    dims = list(range(x.ndim))
    dims[-2:] = dims[-1:-3:-1]
    return _permute_of(tr, x, dims, tr.run(orig, x))


def _permute(tr: Trace, orig: Callable, x: Tensor, *dims: Any) -> Any:
    flat = list(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else list(dims)
    return _permute_of(tr, x, [_dim(int(d), x.ndim) for d in flat], tr.run(orig, x, *dims))


def _identity(tr: Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    return x


def _composite(tr: Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    """A method written in Python over other methods (view_as, type_as...): they record themselves."""
    return orig(x, *args, **kwargs)


def _to(tr: Trace, orig: Callable, x: Tensor, *args: Any, **kwargs: Any) -> Any:
    out = tr.run(orig, x, *args, **kwargs)
    if out.dtype == x.dtype:
        return x
    return tr.emit("cast", [x], {"dtype": dtype_name(out.dtype)}, out)


def _slice(tr: Trace, x: Any, dim: int, start: int, end: int, step: int = 1) -> Any:
    size = x.shape[dim]
    start, end = min(max(start, 0), size), min(max(end, 0), size)
    end = max(end, start)
    if (start, end, step) == (0, size, 1):
        return x
    index = (slice(None),) * dim + (slice(start, end, step),)
    return tr.emit("slice", [x], {"dim": dim, "start": start, "end": end, "step": step},
                   tr.run(Tensor.__getitem__, x, index))


def _narrow(tr: Trace, orig: Callable, x: Tensor, dim: int, start: int, length: int) -> Any:
    d = _dim(int(dim), x.ndim)
    s = _dim(int(start), x.shape[d])
    return _slice(tr, x, d, s, s + int(length))


def _select(tr: Trace, orig: Callable, x: Tensor, dim: int, index: int) -> Any:
    d = _dim(int(dim), x.ndim)
    i = _dim(int(index), x.shape[d])
    return tr.emit("select", [x], {"dim": d, "index": i}, tr.run(orig, x, dim, index))


def _pieces(tr: Trace, x: Tensor, parts: tuple, dim: int) -> tuple:
    d, at, out = _dim(int(dim), x.ndim), 0, []
    for p in parts:
        out.append(_slice(tr, x, d, at, at + p.shape[d]))
        at += p.shape[d]
    return tuple(out)


def _chunk(tr: Trace, orig: Callable, x: Tensor, chunks: int, dim: int = 0) -> Any:
    return _pieces(tr, x, tr.run(orig, x, chunks, dim), dim)


def _split(tr: Trace, orig: Callable, x: Tensor, split_size: Any, dim: int = 0) -> Any:
    return _pieces(tr, x, tr.run(orig, x, split_size, dim), dim)


def _getitem(tr: Trace, orig: Callable, x: Tensor, key: Any) -> Any:
    """Basic indexing (ints, slices, None, ...) as select / slice / reshape nodes."""
    items = list(key) if isinstance(key, tuple) else [key]
    if any(isinstance(k, (Tensor, list)) or is_ndarray(k) or (isinstance(k, bool)) for k in items):
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
    expected = tr.run(orig, x, key)
    if tuple(expected.shape) != tuple(out.shape):
        raise tr.fail(f"indexing with {key!r} was not recorded faithfully")
    return out


def _reduce(op: str) -> Callable:
    def record(tr: Trace, orig: Callable, x: Tensor, dim: Any = None, keepdim: bool = False,
               dtype: Any = None) -> Any:
        if dtype is not None:
            x = _cast_to(tr, x, dtype)
        if dim is None:
            dims = list(range(x.ndim))
        else:
            dims = sorted({_dim(int(d), x.ndim) for d in (dim if isinstance(dim, (list, tuple)) else [dim])})
        out = tr.run(orig, x, dim, keepdim)
        if not dims:
            return x
        return tr.emit(op, [x], {"dims": dims, "keepdim": bool(keepdim)}, out)
    return record


def _masked_fill(tr: Trace, orig: Callable, x: Tensor, mask: Tensor, value: Any) -> Any:
    out = tr.run(orig, x, mask, value)
    return tr.emit("masked_fill", [x, mask, value], {}, out, dtype=x.dtype)


def _cat(tr: Trace, orig: Callable, tensors: Any, dim: int = 0) -> Any:
    tensors = list(tensors)
    out = tr.run(orig, tensors, dim)
    tensors = [_cast_to(tr, t, out.dtype) for t in tensors]
    return tr.emit("cat", tensors, {"dim": _dim(int(dim), out.ndim)}, out)


def _linear(tr: Trace, orig: Callable, input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Any:
    return tr.emit("linear", [input, weight, bias], {}, tr.run(orig, input, weight, bias))


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _conv2d(tr: Trace, orig: Callable, input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
            padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Any:
    # The graph's conv2d is batched with explicit padding: an unbatched input and padding="same"/"valid"
    # are spelled out around it with recorded unsqueeze, slicing and squeeze.
    if input.ndim == 3:
        return _conv2d(tr, orig, input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    crop = (False, False)
    if isinstance(padding, str):
        padding, crop = _core._conv2d_padding(tuple(weight.shape[2:]), stride, padding, dilation)
    out = tr.run(orig, input, weight, bias, stride, padding, dilation, groups)
    attrs = {"stride": _pair(stride), "padding": _pair(padding), "dilation": _pair(dilation), "groups": int(groups)}
    out = tr.emit("conv2d", [input, weight, bias], attrs, out)
    if crop[0]:
        out = out[:, :, 1:, :]
    return out[:, :, :, 1:] if crop[1] else out


def _max_pool2d(tr: Trace, orig: Callable, input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                dilation: Any = 1, ceil_mode: bool = False) -> Any:
    if input.ndim == 3:  # the graph's pools are batched
        return _max_pool2d(tr, orig, input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode).squeeze(0)
    out = tr.run(orig, input, kernel_size, stride, padding, dilation, ceil_mode)
    attrs = {"kernel_size": _pair(kernel_size), "stride": _pair(kernel_size if stride is None else stride),
             "padding": _pair(padding), "dilation": _pair(dilation), "ceil_mode": bool(ceil_mode)}
    return tr.emit("max_pool2d", [input], attrs, out)


def _avg_pool2d(tr: Trace, orig: Callable, input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    if input.ndim == 3:
        return _avg_pool2d(tr, orig, input.unsqueeze(0), kernel_size, stride, padding, ceil_mode,
                           count_include_pad).squeeze(0)
    out = tr.run(orig, input, kernel_size, stride, padding, ceil_mode, count_include_pad)
    attrs = {"kernel_size": _pair(kernel_size), "stride": _pair(kernel_size if stride is None else stride),
             "padding": _pair(padding), "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad)}
    return tr.emit("avg_pool2d", [input], attrs, out)


def _adaptive_avg_pool2d(tr: Trace, orig: Callable, input: Tensor, output_size: Any) -> Any:
    if input.ndim == 3:
        return _adaptive_avg_pool2d(tr, orig, input.unsqueeze(0), output_size).squeeze(0)
    out = tr.run(orig, input, output_size)
    return tr.emit("adaptive_avg_pool2d", [input], {"output_size": list(out.shape[-2:])}, out)


def _batch_norm(tr: Trace, orig: Callable, input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
                momentum: float = 0.1, eps: float = 1e-5) -> Any:
    if training or running_mean is None or running_var is None:
        raise tr.fail("batch_norm in training mode (or without running statistics) cannot be exported; "
                      "export uses model.eval(), so this is a functional call with training=True")
    out = tr.run(orig, input, running_mean, running_var, weight, bias, training, momentum, eps)
    return tr.emit("batch_norm", [input, running_mean, running_var, weight, bias], {"eps": float(eps)}, out)


def _layer_norm(tr: Trace, orig: Callable, input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
                bias: Tensor | None = None, eps: float = 1e-5) -> Any:
    shape = [int(normalized_shape)] if isinstance(normalized_shape, int) else [int(s) for s in normalized_shape]
    out = tr.run(orig, input, normalized_shape, weight, bias, eps)
    return tr.emit("layer_norm", [input, weight, bias], {"normalized_shape": shape, "eps": float(eps)}, out)


def _embedding(tr: Trace, orig: Callable, input: Tensor, weight: Tensor, padding_idx: Any = None,
               max_norm: Any = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
               sparse: bool = False) -> Any:
    out = tr.run(orig, input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    return tr.emit("embedding", [input, weight], {}, out)


def _leaky_relu(tr: Trace, orig: Callable, input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    out = tr.run(orig, input, negative_slope, inplace)
    return tr.emit("leaky_relu", [input], {"negative_slope": float(negative_slope)}, out)


def _dropout(tr: Trace, orig: Callable, input: Tensor, p: float = 0.5, training: bool = True,
             inplace: bool = False) -> Any:
    if training and p > 0.0:
        raise tr.fail("dropout in training mode cannot be exported; export uses model.eval(), so this is a "
                      "functional call with training=True")
    return input


def _no_attention_dropout(tr: Trace, dropout_p: float) -> None:
    if dropout_p > 0.0:
        raise tr.fail("attention dropout in training mode cannot be exported; export uses model.eval(), so this "
                      "is a functional call with dropout_p > 0 (and training=True)")


def _scaled_dot_product_attention(tr: Trace, orig: Callable, query: Tensor, key: Tensor, value: Tensor,
                                  attn_mask: Tensor | None = None, dropout_p: float = 0.0, is_causal: bool = False,
                                  scale: float | None = None, enable_gqa: bool = False) -> Any:
    _no_attention_dropout(tr, dropout_p)
    out = tr.run(orig, query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    attrs: dict[str, Any] = {"is_causal": bool(is_causal)}
    if scale is not None:
        attrs["scale"] = float(scale)
    return tr.emit("scaled_dot_product_attention", [query, key, value, attn_mask], attrs, out)


def _multi_head_attention(
    tr: Trace, orig: Callable, query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Any, bias_v: Any, add_zero_attn: bool,
    dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
    key_padding_mask: Tensor | None = None, need_weights: bool = True, attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None, static_k: Any = None, static_v: Any = None,
    average_attn_weights: bool = True, is_causal: bool = False,
) -> Any:
    """One multi_head_attention node for the output and, when the weights are asked for, one
    multi_head_attention_weights node (same inputs) for them; export keeps only the nodes an output uses."""
    _no_attention_dropout(tr, dropout_p if training else 0.0)
    out, weights = tr.run(orig, query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                          bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                          key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
                          k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal)
    inputs = [query, key, value, out_proj_weight, in_proj_weight, in_proj_bias, out_proj_bias, attn_mask,
              key_padding_mask, q_proj_weight, k_proj_weight, v_proj_weight]
    attrs = {"embed_dim": int(embed_dim_to_check), "num_heads": int(num_heads),
             "use_separate_proj_weight": bool(use_separate_proj_weight), "is_causal": bool(is_causal)}
    out = tr.emit("multi_head_attention", inputs, attrs, out)
    if weights is not None:
        weights = tr.emit("multi_head_attention_weights", inputs,
                          {**attrs, "average_attn_weights": bool(average_attn_weights)}, weights)
    return out, weights


# --- the tables: public name -> recorder ---

# Tensor methods (and the ember functions of the same name, whose first argument is the tensor).
TENSOR_METHODS: dict[str, Callable] = {
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
    "erf": _unary("erf"), "floor": _unary("floor"), "ceil": _unary("ceil"), "round": _unary("round"),
    "sign": _unary("sign"), "reciprocal": _unary("reciprocal"), "tan": _unary("tan"), "asin": _unary("asin"),
    "acos": _unary("acos"), "atan": _unary("atan"), "sinh": _unary("sinh"), "cosh": _unary("cosh"),
    "asinh": _unary("asinh"), "acosh": _unary("acosh"), "atanh": _unary("atanh"),
    "gelu": _gelu, "__pow__": _pow, "pow": _pow,
    "softmax": _softmax("softmax"), "log_softmax": _softmax("log_softmax"),
    "__matmul__": _matmul, "matmul": _matmul, "mm": _matmul, "bmm": _matmul, "__rmatmul__": _rmatmul,
    "reshape": _as_reshape, "view": _as_reshape, "flatten": _as_reshape, "squeeze": _as_reshape,
    "unsqueeze": _as_reshape,
    "transpose": _transpose, "permute": _permute, "t": _t, "T": _t, "mT": _mT,
    "contiguous": _identity, "clone": _identity, "detach": _identity,
    "view_as": _composite, "reshape_as": _composite, "type_as": _composite,
    "to": _to, "float": _to, "double": _to, "long": _to, "int": _to, "bool": _to, "byte": _to, "type": _to,
    "narrow": _narrow, "select": _select, "chunk": _chunk, "split": _split, "__getitem__": _getitem,
    "mean": _reduce("mean"), "sum": _reduce("sum"), "masked_fill": _masked_fill,
}
# --- transposed convolution, pixel shuffle, interpolate (issue 21) ---


def _conv_transpose2d(tr: Trace, orig: Callable, input: Tensor, weight: Tensor, bias: Tensor | None = None,
                      stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                      dilation: Any = 1) -> Any:
    if input.ndim == 3:  # the graph's conv_transpose2d is batched
        return _conv_transpose2d(tr, orig, input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                 dilation).squeeze(0)
    out = tr.run(orig, input, weight, bias, stride, padding, output_padding, groups, dilation)
    attrs = {"stride": _pair(stride), "padding": _pair(padding), "output_padding": _pair(output_padding),
             "dilation": _pair(dilation), "groups": int(groups)}
    return tr.emit("conv_transpose2d", [input, weight, bias], attrs, out)


def _pixel_shuffle(tr: Trace, orig: Callable, input: Tensor, upscale_factor: int) -> Any:
    """Recorded as the reshape, permute, reshape it is (formats and runtimes have these already)."""
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w).permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def _interpolate(tr: Trace, orig: Callable, input: Tensor, size: Any = None, scale_factor: Any = None,
                 mode: str = "nearest", align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                 antialias: bool = False) -> Any:
    if mode not in ("nearest", "bilinear") or input.ndim != 4:
        raise tr.fail(f"interpolate exports modes 'nearest' and 'bilinear' on 4-d input, got mode {mode!r} on "
                      f"{input.ndim}-d input")
    out = tr.run(orig, input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    scales = [0.0, 0.0]  # the scale factors that the op's index formulas use (0: from the sizes)
    if scale_factor is not None and not recompute_scale_factor:
        scales = [float(scale_factor)] * 2 if isinstance(scale_factor, (int, float)) else [float(v) for v in scale_factor]
    attrs = {"mode": mode, "size": [int(d) for d in out.shape[2:]], "scale_h": scales[0], "scale_w": scales[1],
             "align_corners": bool(align_corners)}
    return tr.emit("interpolate", [input], attrs, out)


# --- activations and normalizations (issue 21) ---

_REQUIRED = object()


def _activation(op: str, *params: tuple[str, Any]) -> Callable:
    """An ember.X activation of one tensor whose other arguments, (name, default) in order, are its attributes
    (numbers; glu's dim an integer), and an optional trailing ``inplace`` that cannot be exported."""
    def record(tr: Trace, orig: Callable, input: Tensor, *args: Any, **kwargs: Any) -> Any:
        if len(args) > len(params) + 1:
            raise TypeError(f"[deploy.export] {op} takes {len(params) + 1} arguments after the input, got {len(args)}")
        values = []
        for i, (name, default) in enumerate(params):
            v = args[i] if i < len(args) else kwargs.pop(name, default)
            if v is _REQUIRED:
                raise TypeError(f"[deploy.export] {op} needs its argument {name!r}")
            values.append(v)
        if (args[len(params)] if len(args) > len(params) else kwargs.pop("inplace", False)):
            raise tr.fail(f"{op} with inplace=True cannot be exported; use the out-of-place form")
        out = tr.run(orig, input, *values)
        if op == "glu":
            return tr.emit(op, [input], {"dim": _dim(int(values[0]), input.ndim)}, out)
        return tr.emit(op, [input], {name: float(v) for (name, _), v in zip(params, values)}, out)
    return record


def _prelu(tr: Trace, orig: Callable, input: Tensor, weight: Tensor) -> Any:
    return tr.emit("prelu", [input, weight], {}, tr.run(orig, input, weight))


def _group_norm(tr: Trace, orig: Callable, input: Tensor, num_groups: int, weight: Tensor | None = None,
                bias: Tensor | None = None, eps: float = 1e-5) -> Any:
    out = tr.run(orig, input, num_groups, weight, bias, eps)
    return tr.emit("group_norm", [input, weight, bias], {"num_groups": int(num_groups), "eps": float(eps)}, out)


def _rms_norm(tr: Trace, orig: Callable, input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
              eps: float | None = None) -> Any:
    shape = [int(normalized_shape)] if isinstance(normalized_shape, int) else [int(s) for s in normalized_shape]
    out = tr.run(orig, input, tuple(shape), weight, eps)
    attrs: dict[str, Any] = {"normalized_shape": shape}
    if eps is not None:  # absent: the dtype's machine epsilon
        attrs["eps"] = float(eps)
    return tr.emit("rms_norm", [input, weight], attrs, out)


def _instance_norm(tr: Trace, orig: Callable, input: Tensor, running_mean: Tensor | None = None,
                   running_var: Tensor | None = None, weight: Tensor | None = None, bias: Tensor | None = None,
                   use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Any:
    if use_input_stats and running_mean is not None:
        raise tr.fail("instance_norm that updates running statistics (training mode) cannot be exported; export "
                      "uses model.eval(), so this is a functional call with use_input_stats=True and running stats")
    out = tr.run(orig, input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)
    return tr.emit("instance_norm", [input, running_mean, running_var, weight, bias],
                   {"use_input_stats": bool(use_input_stats), "eps": float(eps)}, out)


_ISSUE21_FUNCTIONS: dict[str, Callable] = {
    "elu": _activation("elu", ("alpha", 1.0)), "selu": _activation("selu"),
    "celu": _activation("celu", ("alpha", 1.0)),
    "softplus": _activation("softplus", ("beta", 1.0), ("threshold", 20.0)), "mish": _activation("mish"),
    "hardswish": _activation("hardswish"), "hardsigmoid": _activation("hardsigmoid"),
    "hardtanh": _activation("hardtanh", ("min_val", -1.0), ("max_val", 1.0)), "relu6": _activation("relu6"),
    "logsigmoid": _activation("logsigmoid"), "softsign": _activation("softsign"),
    "tanhshrink": _activation("tanhshrink"),
    "hardshrink": _activation("hardshrink", ("lambd", 0.5)), "softshrink": _activation("softshrink", ("lambd", 0.5)),
    "threshold": _activation("threshold", ("threshold", _REQUIRED), ("value", _REQUIRED)),
    "glu": _activation("glu", ("dim", -1)),
    "prelu": _prelu, "group_norm": _group_norm, "rms_norm": _rms_norm, "instance_norm": _instance_norm,
}


# ember.X / ember._core.X functions that are not Tensor methods.
FUNCTIONS: dict[str, Callable] = {
    "cat": _cat, "concat": _cat, "linear": _linear, "conv2d": _conv2d, "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d, "adaptive_avg_pool2d": _adaptive_avg_pool2d, "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
    "conv_transpose2d": _conv_transpose2d, "pixel_shuffle": _pixel_shuffle,
    **_ISSUE21_FUNCTIONS,
}
# ember.nn.functional functions recorded whole (the others run and record what they call).
NN_FUNCTIONS: dict[str, Callable] = {
    "embedding": _embedding, "leaky_relu": _leaky_relu, "dropout": _dropout,
    "scaled_dot_product_attention": _scaled_dot_product_attention,
    "multi_head_attention_forward": _multi_head_attention,
    "interpolate": _interpolate,
}

from ._recorders_rnn import FUNCTIONS as _RNN_FUNCTIONS  # noqa: E402  (it imports this module's helpers)

FUNCTIONS.update(_RNN_FUNCTIONS)
