"""Export to ONNX: ``ember.onnx.export(model, example_input, "model.onnx")``.

The model is traced by ``ember.deploy.trace`` into the deploy graph (docs/deploy-format.md): the same
graph that ``ember.deploy.export`` writes for the C++ runtime, so a graph already traced can be passed
instead of the model. Each graph op becomes the ONNX nodes that compute it with PyTorch's semantics:
the table ``CONVERTERS`` in ``_ops.py`` (one converter per deploy op). Needs the ``onnx`` package
(``pip install ember[onnx]``).
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Sequence

try:
    import onnx
    from onnx import helper
except ImportError as e:  # an optional dependency
    raise ImportError("[onnx.export] ember.onnx needs the onnx package: pip install ember[onnx]") from e

from .. import __version__
from ..deploy import ExportError, trace
from ..deploy._graph import Graph
from ..deploy._tracer import flatten
from ._builder import ONNX_DTYPES, Builder
from ._ops import CONVERTERS

MIN_OPSET = 13

__all__ = ["export", "graph_to_onnx", "ExportError", "MIN_OPSET", "max_opset"]


def max_opset() -> int:
    """The newest ONNX opset this exporter writes: the installed ``onnx`` package's."""
    return onnx.defs.onnx_opset_version()


def export(model: Any, example_input: Any, path: str | os.PathLike, opset_version: int = 17,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           dynamic_batch: bool = True) -> onnx.ModelProto:
    """Traces ``model`` on ``example_input`` (a tensor, or a tuple of tensors, possibly nested, for several
    inputs) and writes it to ``path`` as an ONNX model; returns the model.

    ``model`` may also be the ``ember.deploy.Graph`` that ``ember.deploy.trace`` or ``ember.deploy.export``
    returned for this example input (traced with the same ``dynamic_batch``), or the
    ``ember.quantization.QuantizedModel`` made from one: it is converted as it is.
    Dim 0 of the first input is the batch size: with ``dynamic_batch`` the file runs at any batch
    size, else only at the example's. The file is written atomically: a failed export leaves an
    earlier file at ``path`` intact.
    """
    _check_opset(opset_version)
    inputs = flatten(example_input)
    if isinstance(getattr(model, "graph", None), Graph):  # an ember.quantization.QuantizedModel
        model = model.graph
    graph = model if isinstance(model, Graph) else trace(model, example_input, dynamic_batch=dynamic_batch)
    example_batch = int(inputs[0].shape[0]) if inputs[0].ndim > 0 else 1
    proto = graph_to_onnx(graph, example_batch, opset_version, input_names, output_names, dynamic_batch)
    _write_atomically(proto, os.fspath(path))
    return proto


def graph_to_onnx(graph: Graph, example_batch: int, opset_version: int = 17,
                  input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
                  dynamic_batch: bool = True) -> onnx.ModelProto:
    """The ONNX model of a traced graph; ``example_batch`` is the batch size it was traced at."""
    _check_opset(opset_version)
    input_names = _names(input_names, list(graph.inputs), "input_names", "inputs")
    default_outputs = ["output"] if len(graph.outputs) == 1 else [f"output{i}" for i in range(len(graph.outputs))]
    output_names = _names(output_names, default_outputs, "output_names", "outputs")
    b = Builder(graph, opset_version, example_batch, dynamic_batch, taken=input_names + output_names)
    if len(set(input_names) | set(output_names)) != len(input_names) + len(output_names):
        raise ValueError(f"[onnx.export] input and output names must be distinct, got {input_names} and {output_names}")
    reserved = (set(graph.values) | set(graph.tensors)) - set(graph.inputs) - set(graph.outputs)
    if clash := sorted((set(input_names) | set(output_names)) & reserved):
        raise ValueError(f"[onnx.export] the names {clash} are already used by values or tensors of the graph")
    b.rename.update(zip(graph.inputs, input_names))
    # An output produced by a node (once) takes the output name; anything else gets an Identity.
    produced = {out for node in graph.nodes for out in node.outputs}
    aliased: list[tuple[str, str]] = []
    for value, name in zip(graph.outputs, output_names):
        if value in produced and value not in b.rename and graph.outputs.count(value) == 1:
            b.rename[value] = name
        else:
            aliased.append((value, name))

    for node in graph.nodes:
        b.node = node
        converter = CONVERTERS.get(node.op)
        if converter is None:
            raise b.unsupported(f"no ONNX converter for this op (the exporter knows {sorted(CONVERTERS)})")
        converter(b, node)
    for value, name in aliased:
        b.add("Identity", [b.name(value)], [name])

    # A tensor that only converters read (rearranged into initializers of their own, as the recurrent
    # weights are) is left out.
    read = {x for n in b.nodes for x in n.input} | set(output_names)
    initializers = [onnx.numpy_helper.from_array(t.numpy(), name) for name, t in graph.tensors.items()
                    if b.name(name) in read]
    onnx_graph = helper.make_graph(
        b.nodes, "ember", [_value_info(b, v, b.name(v)) for v in graph.inputs],
        [_value_info(b, v, n) for v, n in zip(graph.outputs, output_names)], initializer=initializers + b.initializers,
    )
    opsets = [helper.make_opsetid("", opset_version)]
    model = helper.make_model(onnx_graph, opset_imports=opsets, producer_name="ember", producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(model)
    return model


def _check_opset(opset_version: int) -> None:
    if not MIN_OPSET <= opset_version <= max_opset():
        raise ValueError(f"[onnx.export] opset_version must be in [{MIN_OPSET}, {max_opset()}] "
                         f"(onnx {onnx.__version__}), got {opset_version}")


def _names(names: Sequence[str] | None, default: list[str], arg: str, what: str) -> list[str]:
    if names is None:
        return default
    names = list(names)
    if len(names) != len(default) or len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"[onnx.export] {arg} must be {len(default)} distinct non-empty strings "
                         f"(the model has {len(default)} {what}), got {names}")
    return names


def _value_info(b: Builder, value: str, name: str) -> onnx.ValueInfoProto:
    dtype = b.dtype(value)
    return helper.make_tensor_value_info(name, ONNX_DTYPES[dtype], [b.dim_param(d) for d in b.shape(value)])


def _write_atomically(model: onnx.ModelProto, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".onnx-", suffix=".tmp", dir=directory)
    except OSError as e:
        raise OSError(e.errno, f"[onnx.export] cannot write the ONNX file ({e.strerror})", path) from e
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would make the export private
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        os.unlink(tmp)
        if isinstance(e, OSError):
            raise OSError(e.errno, f"[onnx.export] cannot write the ONNX file ({e.strerror})", path) from e
        raise
