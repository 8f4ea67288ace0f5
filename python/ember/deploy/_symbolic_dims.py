"""Symbolic dimensions: the batch size as a free variable of the deploy graph.

The model is traced at three batch sizes B (the example's, +1, +3). Integers that change with B (a
value's dim 0, a reshape to ``(B * heads, L, D)``) become dim expressions ``{"batch": a, "add": c}``
meaning ``a * B + c``; a graph that changes in any other way, or a tensor that was not recorded but
is used by a recorded op and changes with the input, is refused.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any


from .. import _core
from .._core import Tensor
from ._graph import ExportError, Node, ValueSpec

if TYPE_CHECKING:
    from ._tracer import Trace


def fit_dim(values: list[int], batches: list[int]) -> Any:
    """An int, or {"batch": a, "add": c} with values[i] == a * batches[i] + c; None when not linear."""
    if all(v == values[0] for v in values):
        return values[0]
    a = (values[1] - values[0]) // (batches[1] - batches[0])
    c = values[0] - a * batches[0]
    if any(a * b + c != v for v, b in zip(values, batches)):
        return None
    return {"batch": a, "add": c}


def merge_attr(vals: list[Any], batches: list[int], dynamic: bool) -> Any:
    """One attribute (or shape) from its values at ``batches``: equal values, or (``dynamic``) integers
    fitted by fit_dim, element by element in lists; None when they cannot be merged."""
    first = vals[0]
    if isinstance(first, bool) or not isinstance(first, (int, list)):
        return first if all(v == first for v in vals) else None
    if isinstance(first, int):
        if all(v == first for v in vals):
            return first
        return fit_dim(vals, batches) if dynamic else None
    if any(not isinstance(v, list) or len(v) != len(first) for v in vals):
        return None
    merged = [merge_attr([v[i] for v in vals], batches, dynamic) for i in range(len(first))]
    return None if any(m is None for m in merged) else merged


# The (op, attribute) pairs that may hold dim expressions (*dimexpr* in docs/deploy-format.md).
DYNAMIC_ATTRS = {("reshape", "shape"), ("slice", "start"), ("slice", "end")}


def merge_traces(traces: list[Trace], outs: list[list[str]],
                 batches: list[int]) -> tuple[list[Node], dict[str, ValueSpec], list[str]]:
    """The nodes, values and outputs of one graph from the traces at ``batches`` (outs: each trace's
    output names); ExportError when they differ in anything but batch-dependent integers."""
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
            merged = merge_attr([tr.nodes[i].attrs[key] for tr in traces], batches, (node.op, key) in DYNAMIC_ATTRS)
            if merged is None:
                raise ExportError(f"[deploy.export] attribute '{key}' of {node.op} (in module '{node.scope}') "
                                  f"changes with the batch size: {[tr.nodes[i].attrs[key] for tr in traces]} at "
                                  f"batch sizes {batches}")
            attrs[key] = merged
        nodes.append(Node(node.op, node.inputs, node.outputs, attrs, node.scope))
    values = {}
    for name, spec in base.values.items():
        shape = merge_attr([tr.values[name].shape for tr in traces], batches, True)
        values[name] = ValueSpec(spec.dtype, shape)
    for name, t in base.tensors.items():
        if not name.startswith("const."):
            continue
        import numpy as np

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


def batched(x: Tensor, batch: int, n: int) -> Tensor:
    """x with dim 0 grown to n rows: its rows repeated, then reordered (and, for floats, rescaled), so
    that a tensor computed from the input outside the trace changes between the traces."""
    import numpy as np

    a = np.asarray(x.numpy())
    rows = np.concatenate([a] * (n // batch + 1), axis=0)[:n]
    rows = np.roll(rows, 1, axis=0)
    if np.issubdtype(rows.dtype, np.floating):
        rows = rows * rows.dtype.type(1.0009765625)  # a power-of-two fraction: exact, never overflows to inf
    return _core.from_numpy(np.ascontiguousarray(rows))


