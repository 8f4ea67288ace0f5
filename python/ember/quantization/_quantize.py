"""``ember.quantization.quantize``: static int8 post-training quantization of a model's deploy graph.

1. Trace the model (``ember.deploy.trace``) and fold each eval batch norm into the convolution before it
   (the same fold the C++ runtime does at load: ``_core._deploy_fold_batch_norm``).
2. Calibrate: run the float graph in ember's C++ runtime on the calibration batches with the input of every
   conv2d / linear as an extra output, and observe each input's range (``_observers.py``).
3. Rewrite: each such node becomes ``quantized_conv2d`` / ``quantized_linear`` (docs/deploy-format.md) with
   per-output-channel symmetric int8 weights and the calibrated input scale. Everything else stays float32
   and is listed in the report. The C++ runtime fuses each int8 op with the activation after it into one
   oneDNN int8 primitive.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .. import _core
from .._core import Tensor
from ..deploy._export import save, trace
from ..deploy._graph import Graph, Node
from ._observers import METHODS, Observer

_QUANTIZABLE = {"conv2d": "quantized_conv2d", "linear": "quantized_linear"}


@dataclass
class LayerReport:
    """One weighted layer of the graph: where it is, its op, and whether it runs in int8 (else why not)."""
    scope: str
    op: str
    int8: bool
    reason: str = ""
    input_scale: float | None = None
    input_dtype: str | None = None

    def __str__(self) -> str:
        where = self.scope or "<root>"
        if self.int8:
            return f"{where:<28} {self.op:<16} int8   (input {self.input_dtype}, scale {self.input_scale:.4g})"
        return f"{where:<28} {self.op:<16} float32 ({self.reason})"


class QuantizedModel:
    """A model with its conv2d and linear layers in int8, run by ember's C++ runtime (oneDNN's int8 primitives).

    Call it on a batch like the float model (``qmodel(x)``); ``save(path)`` writes the ``.ember`` file that
    ``ember.deploy.load`` and the C++ deploy program (``ember::deploy::load``) run; ``ember.onnx.export(qmodel,
    x, path)`` writes the ONNX QDQ form that onnxruntime runs in int8. ``report`` lists every weighted layer and
    whether it is int8 (``summary()`` as text)."""

    def __init__(self, graph: Graph, report: list[LayerReport]) -> None:
        self.graph = graph
        self.report = report
        self._runtime = None

    def save(self, path: str | os.PathLike) -> None:
        """Writes the int8 model to one ``.ember`` file (format version 2), atomically."""
        save(self.graph, path)

    def __call__(self, *inputs: Tensor) -> Any:
        if self._runtime is None:
            self._runtime = _load(self.graph)
        return self._runtime(*inputs)

    forward = __call__

    def summary(self) -> str:
        n = sum(r.int8 for r in self.report)
        lines = [f"QuantizedModel: {n} of {len(self.report)} weighted layers in int8"]
        return "\n".join(lines + [f"  {r}" for r in self.report])

    def __repr__(self) -> str:
        return self.summary()


def quantize(model: Any, calibration_loader: Iterable, *, method: str = "minmax", percentile: float = 99.99,
             num_batches: int | None = None, skip: Sequence[str] = ()) -> QuantizedModel:
    """Static int8 post-training quantization of ``model`` (an ``ember.nn.Module`` or a traced
    ``ember.deploy.Graph``) for inference.

    ``calibration_loader`` yields batches of the model's input: tensors, or tuples/lists whose first element
    is the input (a ``DataLoader`` over ``(x, y)`` pairs); ``num_batches`` limits how many are used (a few
    hundred samples are enough). ``method`` chooses each activation's range: ``"minmax"``, ``"percentile"``
    (that percentile of the magnitudes) or ``"entropy"`` (KL divergence). Weights are int8, symmetric, one scale per
    output channel; an activation is uint8 when calibration saw no negative value, else symmetric int8.
    Layers whose module path is in ``skip`` (or under one of its entries) stay float32, as do weighted ops
    without an int8 kernel; ``QuantizedModel.report`` lists both.
    """
    if method not in METHODS:
        raise ValueError(f"[quantize] method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    if not 0 < percentile <= 100:
        raise ValueError(f"[quantize] percentile must be in (0, 100], got {percentile}")
    if num_batches is not None and num_batches < 1:
        raise ValueError(f"[quantize] num_batches must be at least 1, got {num_batches}")
    _warn_if_not_native()
    batches = _batches(calibration_loader, num_batches)
    graph = model if isinstance(model, Graph) else trace(model, batches[0])
    if len(graph.inputs) != 1:
        raise ValueError(f"[quantize] supports models with one input, this one has {len(graph.inputs)}: "
                         f"{', '.join(graph.inputs)}")
    graph = _fold_batch_norms(graph)
    report, chosen = _select(graph, tuple(skip))
    observers = _calibrate(graph, chosen, batches, method, percentile)
    return QuantizedModel(_rewrite(graph, chosen, observers, report), report)


_warned = False


def _warn_if_not_native() -> None:
    """Once per process: without int8 dot products (VNNI, AMX) the int8 layers run as float32 (exactly)."""
    global _warned
    from ..backends import cpu

    if _warned or cpu.int8_supported():
        return
    _warned = True
    warnings.warn(f"[quantize] int8 dot products are not native under oneDNN's ISA here ({cpu.info().isa}): "
                  "oneDNN's int8 kernels would saturate, so the int8 layers run the same integer arithmetic as "
                  "float32 primitives, exactly and at about float32's speed (no speed-up on this CPU)",
                  RuntimeWarning, stacklevel=3)


def _batches(loader: Iterable, limit: int | None) -> list[Tensor]:
    if isinstance(loader, Tensor):
        loader = [loader]
    out = []
    for b in loader:
        x = b[0] if isinstance(b, (tuple, list)) and b else b
        if not isinstance(x, Tensor):
            raise TypeError(f"[quantize] calibration batches must be ember.Tensor or tuples starting with one, "
                            f"got {type(x).__name__}")
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"[quantize] a calibration batch needs a batch dimension of size >= 1, got shape "
                             f"{tuple(x.shape)}")
        out.append(x)
        if limit is not None and len(out) == limit:
            break
    if not out:
        raise ValueError("[quantize] the calibration loader yielded no batch")
    return out


def _users(graph: Graph) -> dict[str, list[int]]:
    users: dict[str, list[int]] = {}
    for i, n in enumerate(graph.nodes):
        for x in n.inputs:
            if x is not None:
                users.setdefault(x, []).append(i)
    return users


def _is_stored_float(graph: Graph, name: str | None) -> bool:
    return name is not None and name in graph.tensors and graph.tensors[name].dtype == _core.float32


def _fold_batch_norms(graph: Graph) -> Graph:
    """The graph with each batch_norm that alone reads a conv2d's output folded into that convolution."""
    users, drop = _users(graph), set()
    nodes, tensors, values = [], dict(graph.tensors), dict(graph.values)
    for i, n in enumerate(graph.nodes):
        if i in drop:
            continue
        out = n.outputs[0] if n.outputs else None
        bn_i = users.get(out, [None])[0] if out and len(users.get(out, [])) == 1 else None
        bn = graph.nodes[bn_i] if bn_i is not None else None
        pad = lambda xs, k: list(xs) + [None] * (k - len(xs))  # noqa: E731
        if (n.op == "conv2d" and bn is not None and bn.op == "batch_norm" and bn.inputs[0] == out
                and out not in graph.outputs and _is_stored_float(graph, n.inputs[1])):
            x, w, b = pad(n.inputs, 3)
            _, mean, var, gamma, beta = pad(bn.inputs, 5)
            stored = [b, mean, var, gamma, beta]
            if all(s is None or _is_stored_float(graph, s) for s in stored) and mean and var:
                get = lambda s: graph.tensors[s] if s is not None else None  # noqa: E731
                fw, fb = _core._deploy_fold_batch_norm(get(w), get(b), get(mean), get(var), get(gamma), get(beta),
                                                       float(bn.attrs["eps"]))
                tensors[f"{w}.folded"], tensors[f"{w}.folded_bias"] = fw, fb
                nodes.append(Node(n.op, [x, f"{w}.folded", f"{w}.folded_bias"], list(bn.outputs), dict(n.attrs),
                                  n.scope))
                values.pop(out, None)
                drop.add(bn_i)
                continue
        nodes.append(n)
    return _with_used_tensors(Graph(graph.inputs, graph.outputs, nodes, values, tensors))


def _with_used_tensors(g: Graph) -> Graph:
    used = {x for n in g.nodes for x in n.inputs if x is not None} | set(g.outputs)
    return Graph(g.inputs, g.outputs, g.nodes, g.values, {k: v for k, v in g.tensors.items() if k in used})


def _skipped(scope: str, skip: tuple[str, ...]) -> bool:
    return any(scope == s or scope.startswith(s + ".") for s in skip)


def _select(graph: Graph, skip: tuple[str, ...]) -> tuple[list[LayerReport], dict[int, LayerReport]]:
    """The report of every weighted node (one reading a stored float tensor of 2+ dims) and the ones to quantize."""
    report, chosen = [], {}
    for i, n in enumerate(graph.nodes):
        weighted = any(_is_stored_float(graph, x) and graph.tensors[x].ndim >= 2 for x in n.inputs)
        if not weighted:
            continue
        r = LayerReport(n.scope, n.op, False)
        inputs = list(n.inputs) + [None] * (3 - len(n.inputs))
        if n.op not in _QUANTIZABLE:
            r.reason = f"no int8 kernel for {n.op}"
        elif _skipped(n.scope, skip):
            r.reason = "skipped"
        elif graph.values.get(inputs[0]) is None or graph.values[inputs[0]].dtype != "float32":
            r.reason = "its input is not a float32 value"
        elif not _is_stored_float(graph, inputs[1]) or (inputs[2] is not None and not _is_stored_float(graph, inputs[2])):
            r.reason = "its weight or bias is computed, not stored"
        elif n.op == "linear" and graph.tensors[inputs[1]].ndim != 2:
            r.reason = "its weight is not 2-D"
        else:
            r.int8 = True
            chosen[i] = r
        report.append(r)
    return report, chosen


def _load(graph: Graph):
    """ember's C++ runtime on graph (through a temporary file: the runtime loads and checks files)."""
    fd, path = tempfile.mkstemp(suffix=".ember")
    os.close(fd)
    try:
        save(graph, path)
        return _core._deploy_load(path)
    finally:
        os.unlink(path)


def _calibrate(graph: Graph, chosen: dict[int, LayerReport], batches: list[Tensor], method: str,
               percentile: float) -> dict[str, Observer]:
    names = list(dict.fromkeys(graph.nodes[i].inputs[0] for i in chosen))
    observers = {name: Observer(name, method, percentile) for name in names}
    if not names:
        return observers
    probe = _load(Graph(graph.inputs, list(graph.outputs) + names, graph.nodes, graph.values, graph.tensors))
    first = len(graph.outputs)

    def observed():
        for x in batches:
            outs = probe(x)
            outs = outs if isinstance(outs, tuple) else (outs,)
            yield from zip(names, (np.asarray(o.numpy()) for o in outs[first:]))

    for name, v in observed():
        observers[name].update_range(v)
    if method != "minmax":
        for name, v in observed():
            observers[name].update_histogram(v)
    return observers


def _quantize_weight(w: Tensor) -> tuple[Tensor, Tensor]:
    """Symmetric per-output-channel int8: scale[o] = max |w[o]| / 127 (1 for an all-zero row), q = round(w / scale)."""
    a = np.asarray(w.numpy(), dtype=np.float32)
    rows = a.reshape(a.shape[0], -1)
    amax = np.abs(rows).max(axis=1) if rows.shape[1] else np.zeros(a.shape[0], np.float32)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8).reshape(a.shape)
    return _core.from_numpy(q), _core.from_numpy(scale)


def _rewrite(graph: Graph, chosen: dict[int, LayerReport], observers: dict[str, Observer],
             report: list[LayerReport]) -> Graph:
    nodes, tensors = [], dict(graph.tensors)
    for i, n in enumerate(graph.nodes):
        if i not in chosen:
            nodes.append(n)
            continue
        x, w = n.inputs[0], n.inputs[1]
        bias = n.inputs[2] if len(n.inputs) > 2 else None
        obs = observers[x]
        q, scale = _quantize_weight(graph.tensors[w])
        tensors[f"{w}.int8"], tensors[f"{w}.scale"] = q, scale
        r = chosen[i]
        r.input_scale, r.input_dtype = obs.scale(), "uint8" if obs.is_unsigned else "int8"
        attrs = dict(n.attrs, input_scale=r.input_scale, input_dtype=r.input_dtype)
        inputs = [x, f"{w}.int8", f"{w}.scale"] + ([bias] if bias is not None else [])
        nodes.append(Node(_QUANTIZABLE[n.op], inputs, list(n.outputs), attrs, n.scope))
    return _with_used_tensors(Graph(graph.inputs, graph.outputs, nodes, graph.values, tensors))
