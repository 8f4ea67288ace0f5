"""The traced graph that ember.deploy writes and ember.onnx converts (docs/deploy-format.md)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Union

from .. import _core

FORMAT = "ember.deploy"
FORMAT_VERSION = 2  # the newest this ember writes and reads (include/ember/deploy/graph.hpp: kFormatVersion)

class ExportError(RuntimeError):
    """A model (or a part of it) that ``ember.deploy`` / ``ember.onnx`` cannot export."""


# An integer, or {"batch": a, "add": c} meaning a * B + c for the batch size B.
DimExpr = Union[int, dict]


def eval_dim(d: DimExpr, batch: int) -> int:
    """The value of dim expression d at batch size ``batch``."""
    return d if isinstance(d, int) else d["batch"] * batch + d["add"]


@dataclass
class ValueSpec:
    """The dtype (``"float32"``...) and shape (dim expressions) of a graph value."""
    dtype: str
    shape: list[DimExpr]

    def to_json(self) -> dict:
        return {"dtype": self.dtype, "shape": list(self.shape)}


@dataclass
class Node:
    """One op: value/tensor names in (None for an absent optional input), value names out."""
    op: str
    inputs: list[str | None]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    scope: str = ""

    def to_json(self) -> dict:
        return {"op": self.op, "inputs": self.inputs, "outputs": self.outputs, "attrs": self.attrs,
                "scope": self.scope}


@dataclass
class Graph:
    """A model's inference graph: inputs, nodes in execution order, outputs, and the tensors it reads."""
    inputs: list[str]
    outputs: list[str]
    nodes: list[Node]
    values: dict[str, ValueSpec]
    tensors: dict[str, _core.Tensor]

    def to_json(self) -> str:
        return json.dumps({
            "inputs": self.inputs,
            "outputs": self.outputs,
            "values": {k: v.to_json() for k, v in self.values.items()},
            "tensors": {k: {"dtype": dtype_name(t.dtype), "shape": list(t.shape)} for k, t in self.tensors.items()},
            "nodes": [n.to_json() for n in self.nodes],
        }, separators=(",", ":"))


def dtype_name(dtype: Any) -> str:
    """The format's name of an ember dtype: ``ember.float32`` -> ``"float32"``."""
    return str(dtype).rsplit(".", 1)[-1]
