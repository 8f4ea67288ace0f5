"""The ONNX side of the export table: one converter per deploy op (docs/deploy-format.md), each
appending the ONNX nodes that compute it; ``CONVERTERS`` at the bottom maps op names to converters.

A converter takes the Builder and the graph Node and writes the node's output under
``b.name(node.outputs[0])``. Semantics are PyTorch's, exactly; where ONNX's op differs (pooling's
ceil_mode, squeeze of a non-1 dim, ops newer than the opset) the converter spells it out. A one-input
op that is one ONNX op is a line in ``_UNARY``, a broadcasting two-input one a line in ``_BINARY``.
tests/python/test_deploy_tables.py fails for a format op without a converter.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..deploy._graph import DimExpr, Node
from ._builder import NUMPY_DTYPES, ONNX_DTYPES, Builder

INT64_MAX = np.iinfo(np.int64).max


def _in(b: Builder, node: Node, i: int) -> str:
    return b.name(node.inputs[i])


def _out(b: Builder, node: Node) -> list[str]:
    return [b.name(node.outputs[0])]


def _optional(node: Node, i: int) -> str | None:
    return node.inputs[i] if len(node.inputs) > i else None


# --- elementwise ---

_UNARY = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "exp": "Exp", "log": "Log", "sqrt": "Sqrt",
          "abs": "Abs", "neg": "Neg", "erf": "Erf", "floor": "Floor", "ceil": "Ceil", "round": "Round", "sign": "Sign",
          "reciprocal": "Reciprocal", "tan": "Tan", "asin": "Asin", "acos": "Acos", "atan": "Atan", "sinh": "Sinh",
          "cosh": "Cosh", "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh"}
_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div"}


def _unary(b: Builder, node: Node) -> None:
    b.add(_UNARY[node.op], [_in(b, node, 0)], _out(b, node))


def _binary(b: Builder, node: Node) -> None:
    # ONNX wants equal input types; the traced output dtype is the promoted one.
    dtype = b.dtype(node.outputs[0])
    b.add(_BINARY[node.op], [b.cast_to(node.inputs[0], dtype), b.cast_to(node.inputs[1], dtype)], _out(b, node))


def _silu(b: Builder, node: Node) -> None:
    x = _in(b, node, 0)
    b.add("Mul", [x, b.add("Sigmoid", [x])], _out(b, node))


def _gelu(b: Builder, node: Node) -> None:
    x, approximate = _in(b, node, 0), node.attrs.get("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise b.unsupported(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    if b.opset >= 20:
        b.add("Gelu", [x], _out(b, node), approximate=approximate)
        return
    like = node.inputs[0]
    if approximate == "none":  # 0.5 x (1 + erf(x / sqrt(2)))
        inner = b.add("Erf", [b.add("Mul", [x, b.scalar_like(1.0 / math.sqrt(2.0), like)])])
    else:  # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
        cube = b.add("Mul", [b.add("Mul", [x, x]), x])
        poly = b.add("Add", [x, b.add("Mul", [cube, b.scalar_like(0.044715, like)])])
        inner = b.add("Tanh", [b.add("Mul", [poly, b.scalar_like(math.sqrt(2.0 / math.pi), like)])])
    half_x = b.add("Mul", [x, b.scalar_like(0.5, like)])
    b.add("Mul", [half_x, b.add("Add", [inner, b.scalar_like(1.0, like)])], _out(b, node))


def _leaky_relu(b: Builder, node: Node) -> None:
    b.add("LeakyRelu", [_in(b, node, 0)], _out(b, node), alpha=float(node.attrs["negative_slope"]))


def _pow(b: Builder, node: Node) -> None:
    b.add("Pow", [_in(b, node, 0), b.scalar_like(node.attrs["exponent"], node.inputs[0])], _out(b, node))


def _softmax(b: Builder, node: Node) -> None:
    op = "Softmax" if node.op == "softmax" else "LogSoftmax"
    b.add(op, [_in(b, node, 0)], _out(b, node), axis=node.attrs["dim"])


def _masked_fill(b: Builder, node: Node) -> None:
    dtype = b.dtype(node.outputs[0])
    b.add("Where", [_in(b, node, 1), b.cast_to(node.inputs[2], dtype), b.cast_to(node.inputs[0], dtype)],
          _out(b, node))


def _cast(b: Builder, node: Node) -> None:
    dtype = node.attrs["dtype"]
    if dtype not in ONNX_DTYPES:
        raise b.unsupported(f"dtype {dtype!r} is not one of {sorted(ONNX_DTYPES)}")
    b.add("Cast", [_in(b, node, 0)], _out(b, node), to=ONNX_DTYPES[dtype])


# --- linear algebra and layers ---


def _linear(b: Builder, node: Node) -> None:
    x, w, bias = _in(b, node, 0), _in(b, node, 1), _optional(node, 2)
    if len(b.shape(node.inputs[0])) == 2:  # Gemm takes 2-d inputs only
        b.add("Gemm", [x, w] + ([b.name(bias)] if bias is not None else []), _out(b, node), transB=1)
    elif bias is None:
        b.add("MatMul", [x, b.add("Transpose", [w], perm=[1, 0])], _out(b, node))
    else:
        b.add("Add", [b.add("MatMul", [x, b.add("Transpose", [w], perm=[1, 0])]), b.name(bias)], _out(b, node))


def _matmul(b: Builder, node: Node) -> None:
    b.add("MatMul", [_in(b, node, 0), _in(b, node, 1)], _out(b, node))


def _conv2d(b: Builder, node: Node) -> None:
    a = node.attrs
    padding = a["padding"]
    if isinstance(padding, str):
        raise b.unsupported(f"padding must be two integers, got {padding!r}")
    bias = _optional(node, 2)
    inputs = [_in(b, node, 0), _in(b, node, 1)] + ([b.name(bias)] if bias is not None else [])
    kernel = [int(k) for k in b.shape(node.inputs[1])[2:]]
    b.add("Conv", inputs, _out(b, node), kernel_shape=kernel, strides=list(a["stride"]),
          pads=[padding[0], padding[1], padding[0], padding[1]], dilations=list(a["dilation"]), group=a["groups"])


def _batch_norm(b: Builder, node: Node) -> None:
    x, mean, var = (_in(b, node, i) for i in range(3))
    channels = int(b.shape(node.inputs[1])[0])
    np_dtype = NUMPY_DTYPES[b.dtype(node.inputs[1])]
    weight, bias = _optional(node, 3), _optional(node, 4)
    scale = b.name(weight) if weight is not None else b.const(np.ones(channels, np_dtype), hint="bn_scale")
    shift = b.name(bias) if bias is not None else b.const(np.zeros(channels, np_dtype), hint="bn_bias")
    b.add("BatchNormalization", [x, scale, shift, mean, var], _out(b, node), epsilon=float(node.attrs["eps"]))


def _layer_norm(b: Builder, node: Node) -> None:
    x, like = _in(b, node, 0), node.inputs[0]
    normalized = [int(d) for d in node.attrs["normalized_shape"]]
    weight, bias = _optional(node, 1), _optional(node, 2)
    eps = float(node.attrs["eps"])
    rank = len(b.shape(like))
    if b.opset >= 17:
        scale = b.name(weight) if weight is not None else b.const(
            np.ones(normalized, NUMPY_DTYPES[b.dtype(like)]), hint="ln_scale")
        inputs = [x, scale] + ([b.name(bias)] if bias is not None else [])
        b.add("LayerNormalization", inputs, _out(b, node), axis=-len(normalized), epsilon=eps)
        return
    axes = list(range(rank - len(normalized), rank))
    centered = b.add("Sub", [x, _reduce_mean(b, x, axes, keepdims=True)])
    var = _reduce_mean(b, b.add("Mul", [centered, centered]), axes, keepdims=True)
    std = b.add("Sqrt", [b.add("Add", [var, b.scalar_like(eps, like)])])
    last = weight is None and bias is None
    y = b.add("Div", [centered, std], _out(b, node) if last else None)
    if weight is not None:
        y = b.add("Mul", [y, b.name(weight)], _out(b, node) if bias is None else None)
    if bias is not None:
        b.add("Add", [y, b.name(bias)], _out(b, node))


def _embedding(b: Builder, node: Node) -> None:
    b.add("Gather", [_in(b, node, 1), _in(b, node, 0)], _out(b, node), axis=0)


# --- pooling ---


def _pool_pads(b: Builder, node: Node, dilation: list[int]) -> tuple[list[int], list[int]]:
    """PyTorch's pooling output size as (begin, end) pads for a floor-mode ONNX pool.

    With ceil_mode, PyTorch adds a last window only if it starts inside the input or its left
    padding; the extra end padding below yields exactly that count of windows with ONNX's floor rule.
    """
    a = node.attrs
    spatial = b.shape(node.inputs[0])[2:]
    begin, end = list(a["padding"]), []
    for size, k, s, p, d in zip(spatial, a["kernel_size"], a["stride"], a["padding"], dilation):
        size, effective = b.static(size), d * (k - 1) + 1
        out = (size + 2 * p - effective + (s - 1 if a["ceil_mode"] else 0)) // s + 1
        if a["ceil_mode"] and (out - 1) * s >= size + p:
            out -= 1
        end.append(max(p, (out - 1) * s + effective - size - p))
    return begin, end


def _spatial_pad(b: Builder, x: str, begin: list[int], end: list[int], value: str) -> str:
    return b.add("Pad", [x, b.ints([0, 0, *begin, 0, 0, *end]), value], mode="constant")


def _max_pool2d(b: Builder, node: Node) -> None:
    a = node.attrs
    kernel, dilation = list(a["kernel_size"]), list(a["dilation"])
    begin, end = _pool_pads(b, node, dilation)
    x = _in(b, node, 0)
    if any(p >= k for p, k in zip(begin + end, kernel + kernel)):  # ONNX wants pads < kernel: pad with -inf first
        x = _spatial_pad(b, x, begin, end, b.scalar_like(-np.inf, node.inputs[0]))
        begin, end = [0, 0], [0, 0]
    b.add("MaxPool", [x], _out(b, node), kernel_shape=kernel, strides=list(a["stride"]), pads=begin + end,
          dilations=dilation, ceil_mode=0)


def _avg_pool2d(b: Builder, node: Node) -> None:
    a = node.attrs
    kernel = list(a["kernel_size"])
    begin, end = _pool_pads(b, node, [1, 1])
    x, include_pad = _in(b, node, 0), int(bool(a["count_include_pad"]))
    if include_pad and end != begin:
        # PyTorch divides by the window's overlap with the padded input, not by the kernel size, when
        # a ceil-mode window runs past the padding: pad explicitly and count only that region.
        x = _spatial_pad(b, x, begin, begin, b.scalar_like(0.0, node.inputs[0]))
        begin, end, include_pad = [0, 0], [e - p for e, p in zip(end, begin)], 0
    b.add("AveragePool", [x], _out(b, node), kernel_shape=kernel, strides=list(a["stride"]), pads=begin + end,
          count_include_pad=include_pad, ceil_mode=0)


def _adaptive_avg_pool2d(b: Builder, node: Node) -> None:
    x = _in(b, node, 0)
    in_h, in_w = (b.static(d) for d in b.shape(node.inputs[0])[2:])
    out_h, out_w = node.attrs["output_size"]
    if out_h == 1 and out_w == 1:
        b.add("GlobalAveragePool", [x], _out(b, node))
    elif in_h % out_h == 0 and in_w % out_w == 0:
        kernel = [in_h // out_h, in_w // out_w]
        b.add("AveragePool", [x], _out(b, node), kernel_shape=kernel, strides=kernel)
    else:  # uneven windows [floor(i * in / out), ceil((i + 1) * in / out)): averaging matrices on both sides
        dtype = NUMPY_DTYPES[b.dtype(node.inputs[0])]
        rows = b.const(_adaptive_matrix(in_h, out_h, dtype), hint="adaptive_rows")
        cols = b.const(_adaptive_matrix(in_w, out_w, dtype).T, hint="adaptive_cols")
        b.add("MatMul", [b.add("MatMul", [rows, x]), cols], _out(b, node))


def _adaptive_matrix(size: int, out: int, dtype: type) -> np.ndarray:
    """(out, size): row i averages the input positions of adaptive pooling window i."""
    m = np.zeros((out, size), dtype=np.float64)
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, start:stop] = 1.0 / (stop - start)
    return m.astype(dtype)


# --- shapes ---


def _reshape_to(b: Builder, x: str, dims: list[DimExpr], out: list[str]) -> None:
    """Reshape x to dims; a single batch-dependent dim becomes -1 (exact: the element count fixes it)."""
    dynamic = [i for i, d in enumerate(dims) if b.is_dynamic(d)]
    static = [b.static(d) for d in dims if not b.is_dynamic(d)]
    if len(dynamic) == 1 and all(s > 0 for s in static):
        b.add("Reshape", [x, b.ints([-1 if i == dynamic[0] else b.static(d) for i, d in enumerate(dims)])], out)
    elif 0 not in static:
        b.add("Reshape", [x, b.dims(dims)], out)
    elif b.opset >= 14:  # ONNX reads a 0 in the shape as "copy this dim" unless allowzero
        b.add("Reshape", [x, b.dims(dims)], out, allowzero=1)
    else:
        raise b.unsupported(f"a reshape to a shape with a 0 ({dims}) needs opset 14 or newer (Reshape's allowzero)")


def _reshape(b: Builder, node: Node) -> None:
    _reshape_to(b, _in(b, node, 0), list(node.attrs["shape"]), _out(b, node))


def _flatten(b: Builder, node: Node) -> None:
    rank = len(b.shape(node.inputs[0]))
    if node.attrs["start_dim"] == 1 and node.attrs["end_dim"] == rank - 1:
        b.add("Flatten", [_in(b, node, 0)], _out(b, node), axis=1)
    else:
        _reshape_to(b, _in(b, node, 0), b.shape(node.outputs[0]), _out(b, node))


def _transpose(b: Builder, node: Node) -> None:
    perm = list(range(len(b.shape(node.inputs[0]))))
    d0, d1 = node.attrs["dim0"], node.attrs["dim1"]
    perm[d0], perm[d1] = perm[d1], perm[d0]
    b.add("Transpose", [_in(b, node, 0)], _out(b, node), perm=perm)


def _permute(b: Builder, node: Node) -> None:
    b.add("Transpose", [_in(b, node, 0)], _out(b, node), perm=list(node.attrs["dims"]))


def _unsqueeze(b: Builder, node: Node) -> None:
    b.add("Unsqueeze", [_in(b, node, 0), b.ints([node.attrs["dim"]])], _out(b, node))


def _squeeze(b: Builder, node: Node) -> None:
    # PyTorch's squeeze(dim) leaves a dim whose size is not 1 alone; the traced ranks say which it was.
    if len(b.shape(node.outputs[0])) == len(b.shape(node.inputs[0])):
        b.add("Identity", [_in(b, node, 0)], _out(b, node))
    else:
        b.add("Squeeze", [_in(b, node, 0), b.ints([node.attrs["dim"]])], _out(b, node))


def _slice(b: Builder, node: Node) -> None:
    a = node.attrs
    size = b.shape(node.inputs[0])[a["dim"]]
    start = b.dims([a["start"]])
    end = b.ints([INT64_MAX]) if a["end"] == size else b.dims([a["end"]])
    b.add("Slice", [_in(b, node, 0), start, end, b.ints([a["dim"]]), b.ints([a["step"]])], _out(b, node))


def _select(b: Builder, node: Node) -> None:
    index = b.const(np.asarray(node.attrs["index"], dtype=np.int64), hint="index")
    b.add("Gather", [_in(b, node, 0), index], _out(b, node), axis=node.attrs["dim"])


def _cat(b: Builder, node: Node) -> None:
    dtype = b.dtype(node.outputs[0])
    b.add("Concat", [b.cast_to(x, dtype) for x in node.inputs], _out(b, node), axis=node.attrs["dim"])


# --- reductions ---


def _reduce_mean(b: Builder, x: str, axes: list[int], keepdims: bool, out: list[str] | None = None) -> str:
    if b.opset >= 18:  # axes moved from an attribute to an input
        return b.add("ReduceMean", [x, b.ints(axes)], out, keepdims=int(keepdims))
    return b.add("ReduceMean", [x], out, axes=axes, keepdims=int(keepdims))


def _mean(b: Builder, node: Node) -> None:
    _reduce_mean(b, _in(b, node, 0), list(node.attrs["dims"]), bool(node.attrs["keepdim"]), _out(b, node))


def _sum(b: Builder, node: Node) -> None:
    b.add("ReduceSum", [_in(b, node, 0), b.ints(list(node.attrs["dims"]))], _out(b, node),
          keepdims=int(bool(node.attrs["keepdim"])))


# --- attention: ONNX (through opset 20) has no attention op, so the converters spell out what the C++ ops of
# include/ember/ops/attention.hpp compute, in the same order: this is the only place that decomposition lives.


def _times(d: DimExpr, k: int) -> DimExpr:
    return d * k if isinstance(d, int) else {"batch": d["batch"] * k, "add": d["add"] * k}


def _additive_mask(b: Builder, mask: str, hidden_when: bool, dtype: str) -> str:
    """Graph value mask as an additive mask of dtype: a bool one is -inf where it equals hidden_when, else 0."""
    if b.dtype(mask) != "bool":
        return b.cast_to(mask, dtype)
    zero, neg_inf = (b.const(np.asarray(v, NUMPY_DTYPES[dtype]), hint="mask") for v in (0.0, -np.inf))
    return b.add("Where", [b.name(mask)] + ([neg_inf, zero] if hidden_when else [zero, neg_inf]))


def _causal_mask(b: Builder, l: DimExpr, s: DimExpr, dtype: str) -> str:
    """(L, S): -inf where key j comes after query i."""
    l, s = b.static(l), b.static(s)
    mask = np.triu(np.full((l, s), -np.inf), 1).astype(NUMPY_DTYPES[dtype])
    return b.const(mask, hint="causal")


def _linear_to(b: Builder, x: str, weight: str, bias: str | None, out: list[str] | None = None) -> str:
    y = b.add("MatMul", [x, b.add("Transpose", [weight], perm=[1, 0])], None if bias is not None else out)
    return y if bias is None else b.add("Add", [y, bias], out)


def _scaled_dot_product_attention(b: Builder, node: Node) -> None:
    q, k, v = (_in(b, node, i) for i in range(3))
    like, dtype = node.inputs[0], b.dtype(node.inputs[0])
    q_shape, k_shape = b.shape(node.inputs[0]), b.shape(node.inputs[1])
    scale = node.attrs.get("scale")
    if scale is None:
        scale = 1.0 / math.sqrt(b.static(q_shape[-1]))
    perm = list(range(len(k_shape)))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    scores = b.add("Mul", [b.add("MatMul", [q, b.add("Transpose", [k], perm=perm)]), b.scalar_like(scale, like)])
    if node.attrs["is_causal"]:
        scores = b.add("Add", [scores, _causal_mask(b, q_shape[-2], k_shape[-2], dtype)])
    mask = _optional(node, 3)
    if mask is not None:  # a bool mask marks with True the positions that take part
        scores = b.add("Add", [scores, _additive_mask(b, mask, False, dtype)])
    b.add("MatMul", [b.add("Softmax", [scores], axis=-1), v], _out(b, node))


def _attention_heads(b: Builder, node: Node) -> tuple[str, str, list[DimExpr]]:
    """multi_head_attention up to the softmax: the weights (N * h, L, S), v (N * h, S, hd) and [L, N, S]."""
    a, like, dtype = node.attrs, node.inputs[0], b.dtype(node.inputs[0])
    heads, embed = int(a["num_heads"]), int(a["embed_dim"])
    head_dim = embed // heads
    q_shape, k_shape = b.shape(node.inputs[0]), b.shape(node.inputs[1])
    q, k, v = (_in(b, node, i) for i in range(3))
    if len(q_shape) == 2:  # unbatched: a batch of 1 in dim 1
        q, k, v = (b.add("Unsqueeze", [x, b.ints([1])]) for x in (q, k, v))
    l, n, s = q_shape[0], (q_shape[1] if len(q_shape) == 3 else 1), k_shape[0]
    in_bias = _optional(node, 5)
    biases: list[str | None] = [None] * 3
    if in_bias is not None:
        biases = [b.add("Slice", [b.name(in_bias), b.ints([i * embed]), b.ints([(i + 1) * embed]), b.ints([0])])
                  for i in range(3)]
    if a["use_separate_proj_weight"]:
        if any(_optional(node, i) is None for i in (9, 10, 11)):
            raise b.unsupported("use_separate_proj_weight needs q_proj_weight, k_proj_weight and v_proj_weight")
        weights = [_in(b, node, i) for i in (9, 10, 11)]
    else:
        if _optional(node, 4) is None:
            raise b.unsupported("in_proj_weight is needed unless use_separate_proj_weight")
        weights = [b.add("Slice", [_in(b, node, 4), b.ints([i * embed]), b.ints([(i + 1) * embed]), b.ints([0])])
                   for i in range(3)]
    q, k, v = (_linear_to(b, x, w, bias) for x, w, bias in zip((q, k, v), weights, biases))
    nh = _times(n, heads)
    q = b.add("Transpose", [b.add("Reshape", [q, b.dims([l, nh, head_dim])])], perm=[1, 0, 2])
    k = b.add("Transpose", [b.add("Reshape", [k, b.dims([s, nh, head_dim])])], perm=[1, 2, 0])
    v = b.add("Transpose", [b.add("Reshape", [v, b.dims([s, nh, head_dim])])], perm=[1, 0, 2])
    scores = b.add("MatMul", [b.add("Mul", [q, b.scalar_like(1.0 / math.sqrt(head_dim), like)]), k])
    mask = None
    if _optional(node, 7) is not None:  # (L, S) or (N * h, L, S); a bool mask marks with True what is masked out
        mask = _additive_mask(b, node.inputs[7], True, dtype)
    elif a["is_causal"]:
        mask = _causal_mask(b, l, s, dtype)
    if _optional(node, 8) is not None:  # key_padding_mask (N, S): the same for every head and query
        kpm = b.add("Reshape", [_additive_mask(b, node.inputs[8], True, dtype), b.dims([n, 1, 1, s])])
        kpm = b.add("Expand", [kpm, b.dims([n, heads, 1, s])])
        kpm = b.add("Reshape", [kpm, b.dims([nh, 1, s])])
        mask = kpm if mask is None else b.add("Add", [mask, kpm])
    if mask is not None:
        scores = b.add("Add", [scores, mask])
    return b.add("Softmax", [scores], axis=-1), v, [l, n, s]


def _multi_head_attention(b: Builder, node: Node) -> None:
    weights, v, (l, n, _) = _attention_heads(b, node)
    embed = int(node.attrs["embed_dim"])
    out = b.add("Reshape", [b.add("Transpose", [b.add("MatMul", [weights, v])], perm=[1, 0, 2]),
                            b.dims([l, n, embed])])
    bias = _optional(node, 6)
    out = _linear_to(b, out, _in(b, node, 3), b.name(bias) if bias is not None else None)
    b.add("Reshape", [out, b.dims(b.shape(node.outputs[0]))], _out(b, node))  # unbatched: drops N


def _multi_head_attention_weights(b: Builder, node: Node) -> None:
    weights, _, (l, n, s) = _attention_heads(b, node)
    weights = b.add("Reshape", [weights, b.dims([n, int(node.attrs["num_heads"]), l, s])])
    if node.attrs["average_attn_weights"]:
        weights = _reduce_mean(b, weights, [1], keepdims=False)
    b.add("Reshape", [weights, b.dims(b.shape(node.outputs[0]))], _out(b, node))  # unbatched: drops N


# --- transposed convolution, interpolate (issue 21) ---


def _conv_transpose2d(b: Builder, node: Node) -> None:
    a = node.attrs
    bias = _optional(node, 2)
    inputs = [_in(b, node, 0), _in(b, node, 1)] + ([b.name(bias)] if bias is not None else [])
    kernel = [int(k) for k in b.shape(node.inputs[1])[2:]]
    pad = list(a["padding"])
    b.add("ConvTranspose", inputs, _out(b, node), kernel_shape=kernel, strides=list(a["stride"]),
          pads=pad + pad, output_padding=list(a["output_padding"]), dilations=list(a["dilation"]), group=a["groups"])


def _interpolate(b: Builder, node: Node) -> None:
    a = node.attrs
    if a["mode"] != "nearest":
        raise b.unsupported(f"interpolate exports to ONNX in mode 'nearest' only, got {a['mode']!r}")
    in_h, in_w = (b.static(d) for d in b.shape(node.inputs[0])[2:])
    scales = [a["scale_h"], a["scale_w"]] if a["scale_h"] > 0 else [a["size"][0] / in_h, a["size"][1] / in_w]
    if [math.floor(in_h * scales[0]), math.floor(in_w * scales[1])] != list(a["size"]):
        raise b.unsupported(f"interpolate's output size {a['size']} is not the input's ({in_h}, {in_w}) times "
                            f"the scales {scales}")
    roi = b.const(np.zeros(0, np.float32), hint="roi")
    b.add("Resize", [_in(b, node, 0), roi, b.const(np.array([1.0, 1.0] + scales, np.float32), hint="scales")],
          _out(b, node), mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")


# --- the table: deploy op -> converter ---

CONVERTERS: dict[str, Callable[[Builder, Node], None]] = {
    **{op: _unary for op in _UNARY},
    **{op: _binary for op in _BINARY},
    "silu": _silu, "gelu": _gelu, "leaky_relu": _leaky_relu, "pow": _pow,
    "softmax": _softmax, "log_softmax": _softmax, "masked_fill": _masked_fill, "cast": _cast,
    "linear": _linear, "matmul": _matmul, "conv2d": _conv2d, "batch_norm": _batch_norm,
    "layer_norm": _layer_norm, "embedding": _embedding,
    "max_pool2d": _max_pool2d, "avg_pool2d": _avg_pool2d, "adaptive_avg_pool2d": _adaptive_avg_pool2d,
    "reshape": _reshape, "flatten": _flatten, "transpose": _transpose, "permute": _permute,
    "unsqueeze": _unsqueeze, "squeeze": _squeeze, "slice": _slice, "select": _select, "cat": _cat,
    "mean": _mean, "sum": _sum,
    "scaled_dot_product_attention": _scaled_dot_product_attention,
    "multi_head_attention": _multi_head_attention, "multi_head_attention_weights": _multi_head_attention_weights,
    "conv_transpose2d": _conv_transpose2d, "interpolate": _interpolate,
}

from ._ops_activations import CONVERTERS as _ACTIVATIONS  # noqa: E402  (it imports this module's helpers)

CONVERTERS.update(_ACTIVATIONS)

from ._ops_rnn import CONVERTERS as _RECURRENT  # noqa: E402  (it imports this module's helpers)

CONVERTERS.update(_RECURRENT)

from ._ops_quantized import CONVERTERS as _QUANTIZED  # noqa: E402  (it imports this module's helpers)

CONVERTERS.update(_QUANTIZED)
