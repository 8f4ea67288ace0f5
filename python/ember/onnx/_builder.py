"""The state of one Graph -> ONNX conversion: nodes, initializers, fresh names, and the batch size."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..deploy import ExportError
from ..deploy._graph import DimExpr, Graph, Node, dtype_name, eval_dim

# The deploy format's dtype names as ONNX element types and NumPy dtypes.
ONNX_DTYPES = {
    "float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE, "int64": TensorProto.INT64,
    "int32": TensorProto.INT32, "uint8": TensorProto.UINT8, "int8": TensorProto.INT8, "bool": TensorProto.BOOL,
}
NUMPY_DTYPES = {
    "float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32, "uint8": np.uint8,
    "int8": np.int8, "bool": np.bool_,
}


class Builder:
    """Collects the ONNX nodes and initializers for one Graph; converters call ``add``, ``const``...

    ``example_batch`` is the batch size the graph was traced at; with ``dynamic_batch`` every dim
    expression that depends on the batch is computed in the ONNX graph from the first input's dim 0.
    ``taken`` are names that fresh names must avoid (the graph's input and output names).
    """

    def __init__(self, graph: Graph, opset: int, example_batch: int, dynamic_batch: bool,
                 taken: Sequence[str] = ()) -> None:
        self.graph, self.opset = graph, opset
        self.example_batch, self.dynamic_batch = example_batch, dynamic_batch
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.rename: dict[str, str] = {}  # graph input/output names chosen by the user
        self._used = set(graph.values) | set(graph.tensors) | set(taken)
        self._counter = 0
        self._batch: str | None = None  # the 1-D int64 [B] value, made on first use
        self.node: Node | None = None  # the graph node being converted, for error messages

    # --- names and types ---

    def name(self, value: str) -> str:
        """The ONNX name of a graph value or tensor."""
        return self.rename.get(value, value)

    def fresh(self, hint: str) -> str:
        """A new value name that clashes with no graph name."""
        while True:
            self._counter += 1
            candidate = f"onnx::{hint}_{self._counter}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def dtype(self, value: str) -> str:
        """The format dtype name (``"float32"``...) of a graph value or tensor."""
        if value in self.graph.tensors:
            return dtype_name(self.graph.tensors[value].dtype)
        return self.graph.values[value].dtype

    def shape(self, value: str) -> list[DimExpr]:
        """The shape (dim expressions) of a graph value or tensor."""
        if value in self.graph.tensors:
            return list(self.graph.tensors[value].shape)
        return list(self.graph.values[value].shape)

    def unsupported(self, why: str) -> ExportError:
        """The error for the node being converted: names the op, the module that called it, and why."""
        node = self.node
        where = f"module '{node.scope}'" if node.scope else "the model's forward"
        return ExportError(f"[onnx.export] op '{node.op}' (in {where}) cannot be exported to ONNX opset "
                           f"{self.opset}: {why}")

    # --- emitting ---

    def add(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str] | None = None, **attrs: Any) -> str:
        """Appends one ONNX node; returns its (first) output name, fresh unless ``outputs`` is given."""
        outputs = list(outputs) if outputs is not None else [self.fresh(op_type.lower())]
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=self.fresh(f"n_{op_type}"), **attrs))
        return outputs[0]

    def const(self, array: Any, dtype: Any = None, hint: str = "const") -> str:
        """A new initializer holding ``array``; returns its name."""
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def ints(self, values: Sequence[int]) -> str:
        """A 1-D int64 initializer (axes, pads, constant shapes)."""
        return self.const(np.asarray(values, dtype=np.int64), hint="ints")

    def scalar_like(self, value: float, like: str, hint: str = "scalar") -> str:
        """A 0-d initializer of ``value`` in the dtype of graph value ``like``."""
        return self.const(np.asarray(value, dtype=NUMPY_DTYPES[self.dtype(like)]), hint=hint)

    def cast_to(self, value: str, dtype: str) -> str:
        """The ONNX name of graph value ``value``, cast to ``dtype`` when its own differs."""
        if self.dtype(value) == dtype:
            return self.name(value)
        return self.add("Cast", [self.name(value)], to=ONNX_DTYPES[dtype])

    # --- batch-dependent sizes ---

    def batch(self) -> str:
        """The 1-D int64 value [B]: dim 0 of the first graph input, computed once."""
        if self._batch is None:
            shape = self.add("Shape", [self.name(self.graph.inputs[0])])
            self._batch = self.add("Gather", [shape, self.ints([0])], axis=0)
        return self._batch

    def is_dynamic(self, d: DimExpr) -> bool:
        """Whether dim expression d depends on the batch size in the exported model."""
        return self.dynamic_batch and isinstance(d, dict) and d["batch"] != 0

    def static(self, d: DimExpr) -> int:
        """The value of d in a fixed-batch export (or of an expression that does not depend on B)."""
        if self.is_dynamic(d):
            raise self.unsupported(f"it needs a size that depends on the batch size ({d}) as a constant")
        return eval_dim(d, self.example_batch)

    def dims(self, dims: Sequence[DimExpr]) -> str:
        """A 1-D int64 value holding ``dims``: an initializer, or Concat of constants and a * B + c."""
        if not any(self.is_dynamic(d) for d in dims):
            return self.ints([self.static(d) for d in dims])
        parts: list[str] = []
        run: list[int] = []
        for d in dims:
            if not self.is_dynamic(d):
                run.append(self.static(d))
                continue
            if run:
                parts.append(self.ints(run))
                run = []
            part = self.batch()
            if d["batch"] != 1:
                part = self.add("Mul", [part, self.ints([d["batch"]])])
            if d["add"] != 0:
                part = self.add("Add", [part, self.ints([d["add"]])])
            parts.append(part)
        if run:
            parts.append(self.ints(run))
        return parts[0] if len(parts) == 1 else self.add("Concat", parts, axis=0)

    def dim_param(self, d: DimExpr) -> int | str:
        """A value_info dimension: an int, or a symbolic name (``"batch"``, ``"4*batch+1"``)."""
        if not self.is_dynamic(d):
            return self.static(d)
        a, c = d["batch"], d["add"]
        text = "batch" if a == 1 else f"{a}*batch"
        return text if c == 0 else f"{text}{c:+d}"
