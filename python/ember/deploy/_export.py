"""``ember.deploy.trace`` and ``ember.deploy.export``: a model -> one deploy graph -> a ``.ember`` file.

``trace`` runs the tracer (``_tracer.py``, with the per-op table ``_recorders.py``) at three batch
sizes, merges the runs into one graph whose batch size is free (``_symbolic_dims.py``) and keeps the
nodes that reach an output. That graph is what both targets consume: ``export`` writes it for the C++
runtime (docs/deploy-format.md) and ``ember.onnx.export`` converts it to ONNX.
"""
from __future__ import annotations

import os
from typing import Any

from .. import _core
from .._core import Tensor
from ._graph import FORMAT, FORMAT_VERSION, ExportError, Graph, Node, dtype_name
from ._symbolic_dims import batched, merge_traces
from ._tracer import LOCK, flatten, trace_once


def _prune(nodes: list[Node], outputs: list[str]) -> list[Node]:
    """The nodes that some output depends on, in order."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if needed.intersection(node.outputs):
            kept.append(node)
            needed.update(x for x in node.inputs if x is not None)
    return kept[::-1]


def trace(model: Any, example_input: Any, *, dynamic_batch: bool = True) -> Graph:
    """Records ``model(example_input)`` (evaluation mode, no gradients) as a deploy ``Graph``.

    ``example_input`` is a tensor or a tuple of tensors (or of nested tuples of them, for a model called as
    ``model(x, (h0, c0))``: the graph's inputs are the tensors in order). With ``dynamic_batch`` dim 0 of the first input
    (and of every input with the same dim 0) is the batch size, which the graph leaves free; the model is
    then traced at three batch sizes. Raises ``ExportError`` naming the op and module path for what the
    format cannot express.
    """
    from ..nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"[deploy.export] expected an ember.nn.Module, got {type(model).__name__}")
    args = tuple(example_input) if isinstance(example_input, (tuple, list)) else (example_input,)
    inputs = tuple(flatten(args))  # the graph's inputs; model(*args) may take nested tuples, as (h0, c0)
    if not inputs or not all(isinstance(x, Tensor) for x in inputs):
        raise TypeError("[deploy.export] example_input must be an ember.Tensor or a tuple of them (nested tuples "
                        f"allowed), got {type(example_input).__name__}")
    if dynamic_batch and (inputs[0].ndim == 0 or inputs[0].shape[0] == 0):
        raise ValueError(f"[deploy.export] with dynamic_batch the first input needs a batch dimension of size >= 1, "
                         f"got shape {tuple(inputs[0].shape)}")
    names = ["input"] if len(inputs) == 1 else [f"input{i}" for i in range(len(inputs))]
    modes = [(m, m.training) for m in model.modules()]
    batch = inputs[0].shape[0] if dynamic_batch else 1
    batches = [batch, batch + 1, batch + 3] if dynamic_batch else [batch]
    with LOCK:
        model.eval()
        try:
            runs = []
            for b in batches:
                xs = inputs if b == batch else tuple(
                    batched(x, batch, b) if x.ndim and x.shape[0] == batch else x for x in inputs)
                runs.append(trace_once(model, xs, names, args))
        finally:
            for m, mode in modes:
                m.training = mode
    traces, outs = [r[0] for r in runs], [r[1] for r in runs]
    nodes, values, outputs = merge_traces(traces, outs, batches)
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
    live_values = {k: v for k, v in values.items() if k in live}
    low = [k for k, t in tensors.items() if dtype_name(t.dtype) == "bfloat16"] + \
        [k for k, v in live_values.items() if v.dtype == "bfloat16"]
    if low:  # the format (and the C++ executor) computes float32, float64 and int8
        raise ExportError(f"[deploy.export] the model computes in bfloat16 ({', '.join(low[:4])}"
                          f"{', ...' if len(low) > 4 else ''}), which the deploy format does not hold: call "
                          "model.float() and pass a float32 example input (ember.quantization.quantize gives int8)")
    return Graph(names, outputs, nodes, live_values, tensors)


def export(model: Any, example_input: Any, path: Any, *, dynamic_batch: bool = True) -> Graph:
    """Traces ``model`` on ``example_input`` and writes one ``.ember`` file (weights + graph) to ``path``.

    ``ember::deploy::load(path)`` runs it from C++ (``model.forward(x)``), ``ember.deploy.load`` from
    Python. The batch size may differ from the example's (``dynamic_batch``). The write is atomic.
    Returns the traced graph.
    """
    graph = trace(model, example_input, dynamic_batch=dynamic_batch)
    save(graph, path)
    return graph


def save(graph: Graph, path: Any) -> None:
    """Writes a deploy ``Graph`` (traced, or rewritten as ``ember.quantization`` does) to one ``.ember`` file,
    atomically. The file declares the oldest format version that has every op it uses (1, or 2 for the int8
    ops), so that older embers read every file they can run."""
    version = max([_core._deploy_format_version(n.op) for n in graph.nodes] + [1])
    assert version <= FORMAT_VERSION
    metadata = {"ember.format": FORMAT, "ember.format_version": str(version), "ember.version": _core.__version__,
                "ember.graph": graph.to_json()}
    _core._save_safetensors(os.fsdecode(os.fspath(path)), list(graph.tensors.items()), metadata)
