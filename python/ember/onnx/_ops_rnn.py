"""ONNX converters for the recurrent ops (``rnn`` and the cells, docs/deploy-format.md): ONNX's own RNN, LSTM
and GRU operators; ``_ops.CONVERTERS`` includes ``CONVERTERS`` from here.

Where ONNX's conventions differ from PyTorch's, the weights are rearranged here, once, as initializers:
ONNX orders the LSTM gates i, o, f, c (PyTorch i, f, g, o) and the GRU gates z, r, h (PyTorch r, z, n;
PyTorch's GRU is ONNX's ``linear_before_reset=1``), stacks the directions, and takes the two biases as one
(Wb, Rb) row. A multi-layer layer is one ONNX op per layer, chained; ``batch_first`` and unbatched inputs are
transposed or unsqueezed around them (the ``layout`` attribute needs opset 14 and is not in every runtime).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..deploy._graph import Node
from ._builder import Builder
from ._ops import _in, _optional, _out

_ONNX_OP = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
# PyTorch's gate blocks in ONNX's order.
_GATE_ORDER = {"RNN_TANH": [0], "RNN_RELU": [0], "LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2]}
_CELL_MODE = {"rnn_tanh_cell": "RNN_TANH", "rnn_relu_cell": "RNN_RELU", "lstm_cell": "LSTM", "gru_cell": "GRU"}


def _weight(b: Builder, name: str | None) -> np.ndarray | None:
    if name is None:
        return None
    if name not in b.graph.tensors:
        raise b.unsupported(f"the recurrent weights must be stored tensors (parameters), but '{name}' is computed "
                            "in the graph")
    return b.graph.tensors[name].numpy()


def _gates(w: np.ndarray, mode: str) -> np.ndarray:
    """Rows (or entries) of a (G*H, ...) weight or (G*H) bias in ONNX's gate order."""
    order = _GATE_ORDER[mode]
    h = w.shape[0] // len(order)
    return np.concatenate([w[i * h:(i + 1) * h] for i in order], axis=0)


def _layer_op(b: Builder, mode: str, x: str, weights: list[tuple], h0: str, c0: str, outputs: list[str]) -> None:
    """One ONNX RNN/LSTM/GRU over x (T, B, I); weights: per direction (w_ih, w_hh, b_ih or None, b_hh or None)."""
    w = b.const(np.stack([_gates(d[0], mode) for d in weights]), hint="W")
    r = b.const(np.stack([_gates(d[1], mode) for d in weights]), hint="R")
    bias = ""
    if weights[0][2] is not None:
        bias = b.const(np.stack([np.concatenate([_gates(d[2], mode), _gates(d[3], mode)]) for d in weights]),
                       hint="B")
    attrs = {"hidden_size": int(weights[0][1].shape[1]),
             "direction": "bidirectional" if len(weights) == 2 else "forward"}
    if mode == "GRU":
        attrs["linear_before_reset"] = 1
    if mode == "RNN_RELU":
        attrs["activations"] = ["Relu"] * len(weights)
    inputs = [x, w, r, bias, "", h0] + ([c0] if mode == "LSTM" else [])
    while inputs[-1] == "":
        inputs.pop()
    b.add(_ONNX_OP[mode], inputs, outputs, **attrs)


def _rnn(b: Builder, node: Node) -> None:
    a = node.attrs
    mode, layers = a["mode"], int(a["num_layers"])
    if mode not in _ONNX_OP:
        raise b.unsupported(f"unknown mode {mode!r}")
    directions, per = (2 if a["bidirectional"] else 1), (4 if a["has_biases"] else 2)
    lstm, batched = mode == "LSTM", len(b.shape(node.inputs[0])) == 3
    x = _in(b, node, 0)
    if not batched:  # (T, I): a batch of 1
        x = b.add("Unsqueeze", [x, b.ints([1])])
    elif a["batch_first"]:
        x = b.add("Transpose", [x], perm=[1, 0, 2])
    states = []
    for i in (1, 2):
        s = _optional(node, i)
        states.append("" if s is None else b.name(s) if batched else b.add("Unsqueeze", [b.name(s), b.ints([1])]))
    h_n, c_n = [], []
    for layer in range(layers):
        weights = []
        for d in range(directions):
            at = 3 + (layer * directions + d) * per
            names = [node.inputs[at + j] if j < per else None for j in range(4)]
            weights.append(tuple(_weight(b, n) for n in names))
        h0, c0 = (s and b.add("Slice", [s, b.ints([layer * directions]), b.ints([(layer + 1) * directions]),
                                        b.ints([0])]) for s in states)
        y, yh = b.fresh("Y"), b.fresh("Y_h")
        outs = [y, yh] + ([b.fresh("Y_c")] if lstm else [])
        _layer_op(b, mode, x, weights, h0, c0, outs)
        h_n.append(yh)
        if lstm:
            c_n.append(outs[2])
        # Y (T, D, B, H) -> (T, B, D*H), the next layer's input
        y = b.add("Transpose", [y], perm=[0, 2, 1, 3])
        hidden = weights[0][1].shape[1]
        x = b.add("Reshape", [y, b.ints([0, 0, directions * hidden])])
    if not batched:
        x = b.add("Squeeze", [x, b.ints([1])])
    elif a["batch_first"]:
        x = b.add("Transpose", [x], perm=[1, 0, 2])
    parts = [x] + [b.add("Concat", s, axis=0) if len(s) > 1 else s[0] for s in ([h_n, c_n] if lstm else [h_n])]
    flat = [b.add("Reshape", [p, b.ints([-1])]) for p in parts]
    b.add("Concat", flat, _out(b, node), axis=0)


def _cell(b: Builder, node: Node) -> None:
    mode = _CELL_MODE[node.op]
    lstm = mode == "LSTM"
    w = 3 if lstm else 2
    batched = len(b.shape(node.inputs[0])) == 2
    axes = b.ints([0] if batched else [0, 1])  # to (1, B, *): one step of a batch
    x = b.add("Unsqueeze", [_in(b, node, 0), axes])
    states = []
    for i in (1, 2) if lstm else (1,):
        s = _optional(node, i)
        states.append("" if s is None else b.add("Unsqueeze", [b.name(s), axes]))
    names = [_optional(node, w + j) for j in range(4)]
    weights = tuple(_weight(b, n) for n in names)
    if (weights[2] is None) != (weights[3] is None):  # one bias: the other is zeros
        weights = tuple(np.zeros_like(weights[2] if weights[3] is None else weights[3]) if v is None and j >= 2
                        else v for j, v in enumerate(weights))
    outs = ["", b.fresh("Y_h")] + ([b.fresh("Y_c")] if lstm else [])
    _layer_op(b, mode, x, [weights], states[0], states[1] if lstm else "", outs)
    if lstm:  # stack([h', c']): (2, B, H), or (2, H) unbatched
        if batched:
            b.add("Concat", outs[1:], _out(b, node), axis=0)
        else:
            b.add("Squeeze", [b.add("Concat", outs[1:], axis=0), b.ints([1])], _out(b, node))
    else:
        b.add("Squeeze", [outs[1], axes], _out(b, node))


CONVERTERS: dict[str, Callable[[Builder, Node], None]] = {
    "rnn": _rnn, **{op: _cell for op in _CELL_MODE},
}
