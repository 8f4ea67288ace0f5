"""ONNX converters for the activations and normalizations added with the model-coverage issue (elu ... glu,
prelu, group_norm, rms_norm, instance_norm); ``_ops.CONVERTERS`` includes ``CONVERTERS`` from here.
A native ONNX op where its semantics are PyTorch's exactly; a composition of basic ops elsewhere. Several
native ones have float attributes or, in onnxruntime, float32 kernels only: other dtypes get the composition.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..deploy._graph import Node
from ._builder import Builder, NUMPY_DTYPES
from ._ops import _in, _optional, _out, _reduce_mean


def _np_dtype(b: Builder, value: str) -> type:
    return NUMPY_DTYPES[b.dtype(value)]


def _softplus_of(b: Builder, z: str, like: str) -> str:
    """log(1 + exp(z)) computed stably, as relu(z) + log(1 + exp(-|z|)) (ONNX has no Log1p)."""
    tail = b.add("Log", [b.add("Add", [b.add("Exp", [b.add("Neg", [b.add("Abs", [z])])]), b.scalar_like(1.0, like)])])
    return b.add("Add", [b.add("Relu", [z]), tail])


def _float32(b: Builder, node: Node) -> bool:
    return b.dtype(node.inputs[0]) == "float32"


def _elu_of(b: Builder, node: Node, alpha: float, scale: float, out: list[str] | None) -> str:
    """scale * (x > 0 ? x : alpha * (exp(x) - 1)), composed."""
    x, like = _in(b, node, 0), node.inputs[0]
    neg = b.add("Mul", [b.add("Sub", [b.add("Exp", [x]), b.scalar_like(1.0, like)]), b.scalar_like(alpha, like)])
    y = b.add("Where", [b.add("Greater", [x, b.scalar_like(0.0, like)]), x, neg], None if scale != 1.0 else out)
    return y if scale == 1.0 else b.add("Mul", [y, b.scalar_like(scale, like)], out)


def _elu(b: Builder, node: Node) -> None:
    if _float32(b, node):
        b.add("Elu", [_in(b, node, 0)], _out(b, node), alpha=float(node.attrs["alpha"]))
    else:
        _elu_of(b, node, float(node.attrs["alpha"]), 1.0, _out(b, node))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _selu(b: Builder, node: Node) -> None:  # ONNX's default alpha and gamma are PyTorch's constants
    if _float32(b, node):
        b.add("Selu", [_in(b, node, 0)], _out(b, node))
    else:
        _elu_of(b, node, _SELU_ALPHA, _SELU_SCALE, _out(b, node))


def _celu(b: Builder, node: Node) -> None:
    x, like, alpha = _in(b, node, 0), node.inputs[0], float(node.attrs["alpha"])
    if b.dtype(like) == "float32":  # ONNX's Celu is defined for float32 only
        b.add("Celu", [x], _out(b, node), alpha=alpha)
        return
    # max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    e = b.add("Sub", [b.add("Exp", [b.add("Div", [x, b.scalar_like(alpha, like)])]), b.scalar_like(1.0, like)])
    neg = b.add("Min", [b.add("Mul", [e, b.scalar_like(alpha, like)]), b.scalar_like(0.0, like)])
    b.add("Add", [b.add("Relu", [x]), neg], _out(b, node))


def _softplus(b: Builder, node: Node) -> None:
    # PyTorch's softplus is x itself where beta * x > threshold: always composed (ONNX's Softplus lacks it).
    x, like = _in(b, node, 0), node.inputs[0]
    beta, threshold = float(node.attrs["beta"]), float(node.attrs["threshold"])
    bx = b.add("Mul", [x, b.scalar_like(beta, like)])
    soft = b.add("Div", [_softplus_of(b, bx, like), b.scalar_like(beta, like)])
    b.add("Where", [b.add("Greater", [bx, b.scalar_like(threshold, like)]), x, soft], _out(b, node))


def _mish(b: Builder, node: Node) -> None:
    x, like = _in(b, node, 0), node.inputs[0]
    if b.opset >= 18:
        b.add("Mish", [x], _out(b, node))
        return
    b.add("Mul", [x, b.add("Tanh", [_softplus_of(b, x, like)])], _out(b, node))


def _hardsigmoid_of(b: Builder, node: Node, out: list[str] | None = None) -> str:
    x, like = _in(b, node, 0), node.inputs[0]
    if _float32(b, node):
        return b.add("HardSigmoid", [x], out, alpha=1.0 / 6.0, beta=0.5)
    six = b.add("Clip", [b.add("Add", [x, b.scalar_like(3.0, like)]), b.scalar_like(0.0, like),
                         b.scalar_like(6.0, like)])
    return b.add("Div", [six, b.scalar_like(6.0, like)], out)


def _hardsigmoid(b: Builder, node: Node) -> None:
    _hardsigmoid_of(b, node, _out(b, node))


def _hardswish(b: Builder, node: Node) -> None:
    x = _in(b, node, 0)
    if b.opset >= 14 and _float32(b, node):
        b.add("HardSwish", [x], _out(b, node))
        return
    b.add("Mul", [x, _hardsigmoid_of(b, node)], _out(b, node))


def _clip(b: Builder, node: Node, low: float, high: float) -> None:
    like = node.inputs[0]
    b.add("Clip", [_in(b, node, 0), b.scalar_like(low, like), b.scalar_like(high, like)], _out(b, node))


def _hardtanh(b: Builder, node: Node) -> None:
    _clip(b, node, float(node.attrs["min_val"]), float(node.attrs["max_val"]))


def _relu6(b: Builder, node: Node) -> None:
    _clip(b, node, 0.0, 6.0)


def _channel_shape(b: Builder, like: str, channels: int) -> list[int]:
    """The shape (C, 1, ..., 1) that broadcasts a per-channel tensor over dim 1 of graph value ``like``."""
    return [channels] + [1] * (len(b.shape(like)) - 2)


def _prelu(b: Builder, node: Node) -> None:
    x, w = _in(b, node, 0), _in(b, node, 1)
    channels = int(b.shape(node.inputs[1])[0]) if b.shape(node.inputs[1]) else 1
    if channels > 1 and len(b.shape(node.inputs[0])) > 2:  # ONNX broadcasts from the right: the slope on dim 1
        w = b.add("Reshape", [w, b.ints(_channel_shape(b, node.inputs[0], channels))])
    if _float32(b, node):
        b.add("PRelu", [x, w], _out(b, node))
        return
    positive = b.add("Greater", [x, b.scalar_like(0.0, node.inputs[0])])
    b.add("Where", [positive, x, b.add("Mul", [x, w])], _out(b, node))


def _logsigmoid(b: Builder, node: Node) -> None:  # -softplus(-x)
    x, like = _in(b, node, 0), node.inputs[0]
    b.add("Neg", [_softplus_of(b, b.add("Neg", [x]), like)], _out(b, node))


def _softsign(b: Builder, node: Node) -> None:
    x, like = _in(b, node, 0), node.inputs[0]
    if _float32(b, node):
        b.add("Softsign", [x], _out(b, node))
        return
    b.add("Div", [x, b.add("Add", [b.add("Abs", [x]), b.scalar_like(1.0, like)])], _out(b, node))


def _tanhshrink(b: Builder, node: Node) -> None:
    x = _in(b, node, 0)
    b.add("Sub", [x, b.add("Tanh", [x])], _out(b, node))


def _shrink(b: Builder, node: Node) -> None:
    x, like, lambd = _in(b, node, 0), node.inputs[0], float(node.attrs["lambd"])
    soft = node.op == "softshrink"
    if _float32(b, node):  # Shrink's lambd and bias are float attributes
        b.add("Shrink", [x], _out(b, node), lambd=lambd, bias=lambd if soft else 0.0)
        return
    lam, zero = b.scalar_like(lambd, like), b.scalar_like(0.0, like)
    if not soft:
        b.add("Where", [b.add("Greater", [b.add("Abs", [x]), lam]), x, zero], _out(b, node))
        return
    below = b.add("Where", [b.add("Less", [x, b.add("Neg", [lam])]), b.add("Add", [x, lam]), zero])
    b.add("Where", [b.add("Greater", [x, lam]), b.add("Sub", [x, lam]), below], _out(b, node))


def _threshold(b: Builder, node: Node) -> None:
    x, like = _in(b, node, 0), node.inputs[0]
    above = b.add("Greater", [x, b.scalar_like(float(node.attrs["threshold"]), like)])
    b.add("Where", [above, x, b.scalar_like(float(node.attrs["value"]), like)], _out(b, node))


def _glu(b: Builder, node: Node) -> None:
    x, d = _in(b, node, 0), int(node.attrs["dim"])
    half = b.static(b.shape(node.inputs[0])[d]) // 2
    first = b.add("Slice", [x, b.ints([0]), b.ints([half]), b.ints([d])])
    second = b.add("Slice", [x, b.ints([half]), b.ints([2 * half]), b.ints([d])])
    b.add("Mul", [first, b.add("Sigmoid", [second])], _out(b, node))


def _channel_affine(b: Builder, node: Node, y: str, weight_at: int, bias_at: int) -> None:
    """y * weight + bias with per-channel (C) weight and bias on dim 1, either absent, into the node's output."""
    like = node.inputs[0]
    weight, bias = _optional(node, weight_at), _optional(node, bias_at)
    if weight is None and bias is None:
        b.add("Identity", [y], _out(b, node))
        return
    shape = b.ints(_channel_shape(b, like, int(b.static(b.shape(like)[1]))))
    if weight is not None:
        y = b.add("Mul", [y, b.add("Reshape", [b.name(weight), shape])], _out(b, node) if bias is None else None)
    if bias is not None:
        b.add("Add", [y, b.add("Reshape", [b.name(bias), shape])], _out(b, node))


def _normalized(b: Builder, x: str, axes: list[int], eps: float, like: str) -> str:
    """(x - mean) / sqrt(var + eps) over axes (the biased variance)."""
    centered = b.add("Sub", [x, _reduce_mean(b, x, axes, keepdims=True)])
    var = _reduce_mean(b, b.add("Mul", [centered, centered]), axes, keepdims=True)
    return b.add("Div", [centered, b.add("Sqrt", [b.add("Add", [var, b.scalar_like(eps, like)])])])


def _group_norm(b: Builder, node: Node) -> None:
    # Composed: GroupNormalization's scale and bias changed from per-group (opset 18) to per-channel (21).
    x, like = _in(b, node, 0), node.inputs[0]
    groups = int(node.attrs["num_groups"])
    grouped = b.add("Reshape", [x, b.ints([0, groups, -1])])
    y = _normalized(b, grouped, [2], float(node.attrs["eps"]), like)
    _channel_affine(b, node, b.add("Reshape", [y, b.add("Shape", [x])]), 1, 2)


def _rms_norm(b: Builder, node: Node) -> None:
    x, like = _in(b, node, 0), node.inputs[0]
    k, rank = len(node.attrs["normalized_shape"]), len(b.shape(like))
    eps = float(node.attrs["eps"]) if "eps" in node.attrs else float(np.finfo(_np_dtype(b, like)).eps)
    ms = _reduce_mean(b, b.add("Mul", [x, x]), list(range(rank - k, rank)), keepdims=True)
    weight = _optional(node, 1)
    y = b.add("Div", [x, b.add("Sqrt", [b.add("Add", [ms, b.scalar_like(eps, like)])])],
              _out(b, node) if weight is None else None)
    if weight is not None:
        b.add("Mul", [y, b.name(weight)], _out(b, node))


def _instance_norm(b: Builder, node: Node) -> None:
    x, like = _in(b, node, 0), node.inputs[0]
    eps = float(node.attrs["eps"])
    if not node.attrs["use_input_stats"]:  # the running statistics: batch normalization in inference
        channels = int(b.static(b.shape(like)[1]))
        weight, bias = _optional(node, 3), _optional(node, 4)
        dtype = _np_dtype(b, like)
        scale = b.name(weight) if weight is not None else b.const(np.ones(channels, dtype), hint="in_scale")
        shift = b.name(bias) if bias is not None else b.const(np.zeros(channels, dtype), hint="in_bias")
        b.add("BatchNormalization", [x, scale, shift, _in(b, node, 1), _in(b, node, 2)], _out(b, node), epsilon=eps)
        return
    y = _normalized(b, x, list(range(2, len(b.shape(like)))), eps, like)
    _channel_affine(b, node, y, 3, 4)


CONVERTERS: dict[str, Callable[[Builder, Node], None]] = {
    "elu": _elu, "selu": _selu, "celu": _celu, "softplus": _softplus, "mish": _mish, "hardswish": _hardswish,
    "hardsigmoid": _hardsigmoid, "hardtanh": _hardtanh, "relu6": _relu6, "prelu": _prelu, "logsigmoid": _logsigmoid,
    "softsign": _softsign, "tanhshrink": _tanhshrink, "hardshrink": _shrink, "softshrink": _shrink,
    "threshold": _threshold, "glu": _glu, "group_norm": _group_norm, "rms_norm": _rms_norm,
    "instance_norm": _instance_norm,
}
