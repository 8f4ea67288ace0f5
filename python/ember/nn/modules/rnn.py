"""``RNN``, ``LSTM``, ``GRU`` and ``RNNCell``, ``LSTMCell``, ``GRUCell``, as ``torch.nn``.

The modules hold the Parameters under PyTorch's names (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``..._reverse``) and layouts, so a PyTorch state_dict loads; the math (the whole sequence
loop and its backward) is ember's C++ op (include/ember/ops/rnn.hpp).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import _core
from ..._core import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The common part of RNN, LSTM and GRU: options, flat weights in PyTorch's order, forward."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool):
            raise ValueError(f"dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, got {type(dropout).__name__}")
        for arg, kind in (("bias", bool), ("batch_first", bool), ("input_size", int), ("hidden_size", int)):
            value = locals()[arg]
            if not isinstance(value, kind):
                raise TypeError(f"{arg} should be of type {kind.__name__}, got: {type(value).__name__}")
        # the values (sizes, dropout's range, proj_size): the C++ layers' own check (nn/rnn.hpp check_rnn_options)
        _core._check_rnn(name, input_size, hidden_size, num_layers, float(dropout), proj_size)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dtype = _core.float32 if dtype is None else dtype
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for prefix, shape in shapes:
                    setattr(self, prefix + suffix, Parameter(_core.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(prefix + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The weights per layer and direction, as PyTorch."""
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self) -> None:
        """A no-op: ember's weights need no cuDNN-style flat buffer (kept for code written for PyTorch)."""

    def _run(self, input: Any, hx: Tensor | None, cx: Tensor | None) -> tuple[Any, Tensor, Tensor | None]:
        args = (self._flat_weights, self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if sorted_indices is not None:
                hx = hx.index_select(1, sorted_indices) if hx is not None else None
                cx = cx.index_select(1, sorted_indices) if cx is not None else None
            out, h_n, c_n = _core._rnn_packed(self.mode, data, batch_sizes.tolist(), hx, cx, *args)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
                c_n = c_n.index_select(1, unsorted_indices) if c_n is not None else None
            return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), h_n, c_n
        return _core._rnn(self.mode, input, hx, cx, *args, self.batch_first)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), as ``torch.nn.RNN``.

    ``forward(input, hx=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        mode = _core._rnn_nonlinearity_mode(type(self).__name__, nonlinearity)
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        """``(output, h_n)`` of a padded input or a PackedSequence, from ``hx`` (zeros when None)."""
        output, h_n, _ = self._run(input, hx, None)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o), as ``torch.nn.LSTM``.

    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``; ``proj_size`` is not implemented.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input: Any, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Any, tuple[Tensor, Tensor]]:
        """``(output, (h_n, c_n))`` of a padded input or a PackedSequence, from ``(h_0, c_0)`` (zeros when
        None)."""
        h0, c0 = (None, None) if hx is None else hx
        output, h_n, c_n = self._run(input, h0, c0)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n), as ``torch.nn.GRU``. ``forward(input, hx=None)`` returns
    ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        """``(output, h_n)`` of a padded input or a PackedSequence, from ``hx`` (zeros when None)."""
        output, h_n, _ = self._run(input, hx, None)
        return output, h_n


class RNNCellBase(Module):
    """The common part of the cells: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = _core.float32 if dtype is None else dtype
        self.weight_ih = Parameter(_core.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(_core.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_core.empty((num_chunks * hidden_size,), dtype=dtype))
            self.bias_hh = Parameter(_core.empty((num_chunks * hidden_size,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _state(self, input: Tensor, hx: Tensor | None) -> Tensor:
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and input.dim() != hx.dim():
            raise ValueError(f"{type(self).__name__}: Expected hidden to be {input.dim()}D, got {hx.dim()}D "
                             "instead")
        if hx is not None:
            return hx
        shape = (input.shape[0], self.hidden_size) if input.dim() == 2 else (self.hidden_size,)
        return _core.zeros(shape, dtype=input.dtype)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)


class RNNCell(RNNCellBase):
    """One Elman step, as ``torch.nn.RNNCell``: ``forward(input, hx=None)`` returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        _core._rnn_nonlinearity_mode(type(self).__name__, nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """``h'`` from input (B, I) or (I) and hx (zeros when None)."""
        cell = _core._rnn_tanh_cell if self.nonlinearity == "tanh" else _core._rnn_relu_cell
        return cell(input, self._state(input, hx), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step, as ``torch.nn.LSTMCell``: ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """``(h', c')`` from input (B, I) or (I) and ``(h, c)`` (zeros when None)."""
        h, c = (None, None) if hx is None else hx
        return _core._lstm_cell(input, self._state(input, h), self._state(input, c), self.weight_ih,
                                self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step, as ``torch.nn.GRUCell``: ``forward(input, hx=None)`` returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """``h'`` from input (B, I) or (I) and hx (zeros when None)."""
        return _core._gru_cell(input, self._state(input, hx), self.weight_ih, self.weight_hh, self.bias_ih,
                               self.bias_hh)
