"""``ember.nn.utils.rnn``: variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds the rows of every step one after the other (``batch_sizes[t]`` rows at step t, the
sequences sorted by decreasing length), which is what ``RNN``/``LSTM``/``GRU`` take for variable lengths.
Packing and padding are one ``index_select`` each (so they are differentiable); the index lists are built
here from the lengths.
"""
from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Sequence

from ... import _core
from ..._core import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """Packed rows of variable-length sequences: ``data`` (N, *), ``batch_sizes`` (T,) int64, and the
    permutation that sorted the batch by length (``sorted_indices``) and its inverse (``unsorted_indices``)."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes, ...)), as PyTorch allows
            data, batch_sizes = data[0], data[1]
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same sequence with ``data`` converted by ``Tensor.to``."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                         self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        """The sequence with its data on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """The sequence with float64 data."""
        return self.to(_core.float64)

    def float(self) -> PackedSequence:
        """The sequence with float32 data."""
        return self.to(_core.float32)

    @property
    def is_cuda(self) -> bool:
        """Whether the data is on a CUDA device."""
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation tensor (None for None)."""
    if permutation is None:
        return None
    perm = permutation.tolist()
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return _core.tensor(inverse, dtype=_core.int64)


def _as_list(lengths: Any) -> list[int]:
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    if hasattr(lengths, "tolist"):  # NumPy arrays, torch tensors
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _index(values: list[int]) -> Tensor:
    return _core.tensor(values, dtype=_core.int64)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences of the given lengths.

    With ``enforce_sorted`` the lengths must be in decreasing order; otherwise the batch is sorted here and the
    permutation is kept in the result (the recurrent layers restore the original order of their states).
    """
    lengths = _as_list(lengths)
    batch_dim = 0 if batch_first else 1
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence: expected an input of at least 2 dims, got shape {tuple(input.shape)}")
    batch, steps = input.shape[batch_dim], input.shape[1 - batch_dim]
    if len(lengths) != batch:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                         f"(batch_size={batch})")
    if batch == 0 or input.numel() == 0:
        raise ValueError("Cannot pack empty tensors.")
    if enforce_sorted:
        if any(lengths[i] < lengths[i + 1] for i in range(batch - 1)):
            raise ValueError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                             "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                             "sidestep this requirement if you do not need ONNX exportability.")
        order = None
    else:
        order = sorted(range(batch), key=lambda i: -lengths[i])
    if min(lengths) <= 0:
        raise ValueError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                         "is <= 0")
    if max(lengths) > steps:
        raise ValueError(f"pack_padded_sequence: a length ({max(lengths)}) exceeds the padded sequence length "
                         f"({steps}) of input of shape {tuple(input.shape)}")
    order_list = order if order is not None else list(range(batch))
    sorted_lengths = [lengths[i] for i in order_list]
    batch_sizes = [sum(1 for n in sorted_lengths if n > t) for t in range(sorted_lengths[0])]
    # row (t, b) of the flattened input: t * B + b time-major, b * T + t batch-first
    rows = [(b * steps + t) if batch_first else (t * batch + b)
            for t, n in enumerate(batch_sizes) for b in order_list[:n]]
    flat = input.reshape((batch * steps,) + tuple(input.shape[2:]))
    data = flat.index_select(0, _index(rows))
    sorted_indices = _index(order) if order is not None else None
    return PackedSequence(data, _index(batch_sizes), sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded batch (T, B, *) ((B, T, *) with batch_first) and the lengths (int64) of a PackedSequence,
    in the batch's original order."""
    data, batch_sizes, _, unsorted_indices = sequence
    bs = _as_list(batch_sizes)
    max_len, batch = len(bs), bs[0]
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_len}")
        max_len = total_length
    lengths = [sum(1 for n in bs if n > b) for b in range(batch)]  # sorted order
    order = _as_list(unsorted_indices) if unsorted_indices is not None else list(range(batch))
    offsets = [0]
    for n in bs:
        offsets.append(offsets[-1] + n)
    pad_row = offsets[-1]
    # output position (t, j) (j in the original order) reads packed row offsets[t] + order[j], or the pad row
    rows = []
    for first in range(batch if batch_first else max_len):
        for second in range(max_len if batch_first else batch):
            t, j = (second, first) if batch_first else (first, second)
            b = order[j]
            rows.append(offsets[t] + b if t < len(bs) and b < bs[t] else pad_row)
    pad = _core.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    flat = _core.cat([data, pad], 0).index_select(0, _index(rows))
    shape = (batch, max_len) if batch_first else (max_len, batch)
    return flat.reshape(shape + tuple(data.shape[1:])), _index([lengths[b] for b in order])


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks sequences (L_i, *) into (T, B, *) ((B, T, *) with batch_first), padding with padding_value on
    the right (or left) up to the longest length T."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("received an empty list of sequences")
    lengths = [s.shape[0] for s in sequences]
    batch, max_len = len(sequences), max(lengths)
    starts = [0]
    for n in lengths:
        starts.append(starts[-1] + n)
    pad_row = starts[-1]
    rows = []
    for first in range(batch if batch_first else max_len):
        for second in range(max_len if batch_first else batch):
            t, b = (second, first) if batch_first else (first, second)
            k = t if padding_side == "right" else t - (max_len - lengths[b])
            rows.append(starts[b] + k if 0 <= k < lengths[b] else pad_row)
    trailing = tuple(sequences[0].shape[1:])
    pad = _core.full((1,) + trailing, padding_value, dtype=sequences[0].dtype)
    flat = _core.cat(list(sequences) + [pad], 0).index_select(0, _index(rows))
    return flat.reshape(((batch, max_len) if batch_first else (max_len, batch)) + trailing)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The list of sequences (L_i, *) of a padded batch, inverse of pad_sequence."""
    lengths = _as_list(lengths)
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i].narrow(0, 0, n) for i, n in enumerate(lengths)]


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences (L_i, *): pad_sequence then pack_padded_sequence."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a PackedSequence, inverse of pack_sequence."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
