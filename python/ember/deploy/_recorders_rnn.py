"""The trace side of the recurrent layers (``nn.RNN`` / ``LSTM`` / ``GRU`` and the cells): recorders for the
private ``ember._core`` functions those modules call; ``_recorders.FUNCTIONS`` includes ``FUNCTIONS`` from
here. Every layer is one node run by the C++ op that training runs (docs/deploy-format.md, "Recurrent
layers"). A node has one output: ``rnn`` records its results packed into one 1-D tensor, unpacked by
recorded ``slice`` and ``reshape`` nodes, and ``lstm_cell`` records ``stack([h', c'])``, unpacked by
``select``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import _core
from .._core import Tensor
from ._recorders import _as_reshape, _select, _slice

if TYPE_CHECKING:
    from ._tracer import Trace

_LAYER = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _zero_constant(tr: Trace, state: Any) -> bool:
    """Whether a state is a constant of zeros (the module's default, or ``zeros(L, x.size(1), H)`` written in
    forward): recorded as absent, which the ops read as zeros, so that its batch-dependent shape stays out
    of the graph."""
    return (isinstance(state, Tensor) and not tr.is_traced(state) and id(state) not in tr.names
            and not np.any(state.numpy()))


def _rnn(tr: Trace, orig: Callable, mode: str, input: Any, hx: Any, cx: Any, params: Any, has_biases: bool,
         num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool) -> Any:
    if train and dropout > 0 and num_layers > 1:  # dropout applies between layers
        raise tr.fail(f"{_LAYER.get(mode, mode)} with dropout={dropout} in training mode cannot be exported; "
                      "export uses model.eval(), so this is a call with train=True")
    params = list(params)
    out, h_n, c_n = tr.run(orig, mode, input, hx, cx, params, has_biases, num_layers, dropout, train,
                           bidirectional, batch_first)
    if _zero_constant(tr, hx) and (cx is None or _zero_constant(tr, cx)):
        hx = cx = None
    parts = [out, h_n] + ([c_n] if c_n is not None else [])
    packed = tr.run(lambda: _core.cat([p.reshape(-1) for p in parts], 0))
    attrs = {"mode": mode, "num_layers": int(num_layers), "bidirectional": bool(bidirectional),
             "batch_first": bool(batch_first), "has_biases": bool(has_biases)}
    packed = tr.emit("rnn", [input, hx, cx, *params], attrs, packed)
    results, at = [], 0
    for p in parts:
        piece = _slice(tr, packed, 0, at, at + p.numel())
        results.append(_as_reshape(tr, Tensor.reshape, piece, tuple(p.shape)))
        at += p.numel()
    return tuple(results) if c_n is not None else (results[0], results[1], None)


def _cell(op: str) -> Callable:
    def record(tr: Trace, orig: Callable, input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
               b_hh: Any = None) -> Any:
        out = tr.run(orig, input, hx, w_ih, w_hh, b_ih, b_hh)
        hx = None if _zero_constant(tr, hx) else hx
        return tr.emit(op, [input, hx, w_ih, w_hh, b_ih, b_hh], {}, out)
    return record


def _lstm_cell(tr: Trace, orig: Callable, input: Any, hx: Any, cx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
               b_hh: Any = None) -> Any:
    h, c = tr.run(orig, input, hx, cx, w_ih, w_hh, b_ih, b_hh)
    if _zero_constant(tr, hx) and _zero_constant(tr, cx):
        hx = cx = None
    both = tr.emit("lstm_cell", [input, hx, cx, w_ih, w_hh, b_ih, b_hh], {}, tr.run(_core.stack, [h, c], 0))
    return _select(tr, Tensor.select, both, 0, 0), _select(tr, Tensor.select, both, 0, 1)


def _packed(tr: Trace, orig: Callable, *args: Any, **kwargs: Any) -> Any:
    raise tr.fail("packed sequences (pack_padded_sequence, pack_sequence, PackedSequence) cannot be exported: "
                  "the graph has no per-row lengths; export a model that runs the recurrent layer on the padded "
                  "tensor")


FUNCTIONS: dict[str, Callable] = {
    "_rnn": _rnn, "_rnn_packed": _packed,
    "_rnn_tanh_cell": _cell("rnn_tanh_cell"), "_rnn_relu_cell": _cell("rnn_relu_cell"),
    "_gru_cell": _cell("gru_cell"), "_lstm_cell": _lstm_cell,
}
# ember.nn.utils.rnn functions that a trace refuses (with the packed-sequence message) when a traced tensor
# reaches them, before their own ops would fail with a less telling one.
PACKING: dict[str, Callable] = {"pack_padded_sequence": _packed, "pack_sequence": _packed}
