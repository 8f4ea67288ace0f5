"""ONNX converters for the int8 deploy ops ``quantized_conv2d`` and ``quantized_linear`` (format version 2);
``_ops.CONVERTERS`` includes ``CONVERTERS`` from here.

Both ops compute ``op(xq * input_scale, weight * weight_scale[o]) + bias`` with
``xq = clamp(round_half_to_even(x / input_scale))`` to uint8 or int8 and zero points 0. Each is written in
the form that onnxruntime runs with its int8 kernels, exactly:

- linear is QDQ: x -> QuantizeLinear -> DequantizeLinear -> MatMul <- DequantizeLinear(axis=1) <- the int8
  weight stored transposed (in, out). onnxruntime fuses it into MatMulIntegerToFloat. The bias is added with
  ``Sum``, not ``Add``: onnxruntime's MatMulAddFusion turns a MatMul followed by an Add into a float Gemm
  before its QDQ pass runs, and the int8 kernel is lost.
- conv is QDQ too: x -> QuantizeLinear -> DequantizeLinear -> Conv <- DequantizeLinear(axis=0) <- the int8
  weight, bias float32. onnxruntime fuses a QDQ Conv into QLinearConv only when its output is quantized as
  well (QLinearConv has an 8-bit output, which this op does not), so it runs this Conv in float32 on the
  dequantized values: the op's result, at onnxruntime's float32 speed. (The exact integer alternative,
  ConvInteger with float scaling, ran about 6x slower than float32 in onnxruntime 1.32 on the Fashion-MNIST
  CNN at batch 256: bench/python/bench_int8.py.)
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..deploy._graph import Node
from ._builder import Builder
from ._ops import _in, _optional, _out

_INPUT_DTYPES = ("uint8", "int8")


def _array(b: Builder, name: str | None, what: str) -> np.ndarray | None:
    """A stored tensor of the graph as NumPy: an ember tensor, or an array already."""
    if name is None:
        return None
    if name not in b.graph.tensors:
        raise b.unsupported(f"the {what} must be a stored tensor, but '{name}' is computed in the graph")
    t: Any = b.graph.tensors[name]
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _weights(b: Builder, node: Node, spatial: int) -> tuple[np.ndarray, np.ndarray]:
    """The int8 weight (O, ...) and its float32 per-output-channel scales (O,), checked."""
    if len(node.inputs) < 3 or node.inputs[1] is None or node.inputs[2] is None:
        raise b.unsupported("the weight and weight_scale inputs are required")
    w, scale = _array(b, node.inputs[1], "weight"), _array(b, node.inputs[2], "weight_scale")
    if w.dtype != np.int8 or w.ndim != 2 + spatial:
        raise b.unsupported(f"the weight must be an int8 tensor of rank {2 + spatial}, got {w.dtype} {w.shape}")
    if scale.shape != (w.shape[0],):
        raise b.unsupported(f"weight_scale must have shape ({w.shape[0]},) (one per output channel), "
                            f"got {scale.shape}")
    return w, scale.astype(np.float32)


def _input_quantization(b: Builder, node: Node) -> tuple[float, str]:
    scale, dtype = node.attrs.get("input_scale"), node.attrs.get("input_dtype")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not np.isfinite(scale) or scale <= 0:
        raise b.unsupported(f"input_scale must be a number > 0, got {scale!r}")
    if dtype not in _INPUT_DTYPES:
        raise b.unsupported(f"input_dtype must be one of {list(_INPUT_DTYPES)}, got {dtype!r}")
    return float(scale), dtype


def _bias(b: Builder, node: Node, shape: list[int]) -> str | None:
    """The bias (O,) reshaped to ``shape``: an initializer when stored, else a Reshape of the value."""
    name = _optional(node, 3)
    if name is None:
        return None
    if name in b.graph.tensors:
        return b.const(_array(b, name, "bias").astype(np.float32).reshape(shape), hint="bias")
    return b.add("Reshape", [b.name(name), b.ints(shape)])


def _quantized_linear(b: Builder, node: Node) -> None:
    x_scale, dtype = _input_quantization(b, node)
    w, w_scale = _weights(b, node, spatial=0)
    zero = b.const(np.zeros((), np.uint8 if dtype == "uint8" else np.int8), hint="x_zero_point")
    scale = b.const(np.float32(x_scale), hint="x_scale")
    x = b.add("DequantizeLinear", [b.add("QuantizeLinear", [_in(b, node, 0), scale, zero]), scale, zero])
    weight = b.add("DequantizeLinear", [b.const(np.ascontiguousarray(w.T), hint="weight_t"),
                                        b.const(w_scale, hint="weight_scale"),
                                        b.const(np.zeros(w.shape[0], np.int8), hint="weight_zero_point")], axis=1)
    # A Sum even without a bias: an Add of the graph that consumes the MatMul directly would be fused too.
    bias = _bias(b, node, [w.shape[0]])
    b.add("Sum", [b.add("MatMul", [x, weight])] + ([bias] if bias is not None else []), _out(b, node))


def _quantized_conv2d(b: Builder, node: Node) -> None:
    a = node.attrs
    padding = a["padding"]
    if isinstance(padding, str):
        raise b.unsupported(f"padding must be two integers, got {padding!r}")
    x_scale, dtype = _input_quantization(b, node)
    w, w_scale = _weights(b, node, spatial=2)
    zero = b.const(np.zeros((), np.uint8 if dtype == "uint8" else np.int8), hint="x_zero_point")
    scale = b.const(np.float32(x_scale), hint="x_scale")
    x = b.add("DequantizeLinear", [b.add("QuantizeLinear", [_in(b, node, 0), scale, zero]), scale, zero])
    weight = b.add("DequantizeLinear", [b.const(w, hint="weight"), b.const(w_scale, hint="weight_scale"),
                                        b.const(np.zeros(w.shape[0], np.int8), hint="weight_zero_point")], axis=0)
    bias = _bias(b, node, [w.shape[0]])
    b.add("Conv", [x, weight] + ([bias] if bias is not None else []), _out(b, node),
          kernel_shape=list(w.shape[2:]), strides=list(a["stride"]),
          pads=[padding[0], padding[1], padding[0], padding[1]], dilations=list(a["dilation"]), group=a["groups"])


CONVERTERS: dict[str, Callable[[Builder, Node], None]] = {
    "quantized_conv2d": _quantized_conv2d, "quantized_linear": _quantized_linear,
}
