"""Datasets: anything with ``__getitem__`` and ``__len__``; TensorDataset, Subset, ConcatDataset, random_split."""
from __future__ import annotations

import abc
import bisect
import math
from typing import Any, Iterator, Sequence

import ember


class Dataset(abc.ABC):
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    @abc.abstractmethod
    def __getitem__(self, index: int) -> Any:
        """Sample ``index``."""

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``. With ``num_workers`` > 0 every worker
    iterates its own copy, so a dataset that should not repeat itself shards its stream with
    ``get_worker_info()`` (``id``, ``num_workers``), as in PyTorch."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[Any]:
        """The samples, in order."""

    def __getitem__(self, index):
        raise TypeError(f"[IterableDataset] {type(self).__name__} is iterable-style: it has no __getitem__")

    def __add__(self, other):
        raise TypeError("[IterableDataset] ConcatDataset does not support IterableDataset; chain the iterators")


class TensorDataset(Dataset):
    """Tensors indexed together along their first dim: sample i is ``(t[i] for t in tensors)``."""

    def __init__(self, *tensors: ember.Tensor) -> None:
        if not tensors:
            raise ValueError("[TensorDataset] needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, ember.Tensor):
                raise TypeError(f"[TensorDataset] argument {i} is a {type(t).__name__}, not an ember.Tensor")
            if t.dim() == 0 or t.shape[0] != tensors[0].shape[0]:
                raise ValueError(f"[TensorDataset] size mismatch between tensors: tensor {i} has shape "
                                 f"{tuple(t.shape)} but tensor 0 has shape {tuple(tensors[0].shape)}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after the other."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("[ConcatDataset] datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"[ConcatDataset] index {index} is out of range for {len(self)} samples")
        d = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][index - start]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: ember.Generator | None = None) -> list[Subset]:
    """Splits ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1 (the
    remainder after flooring goes round-robin to the first subsets, as PyTorch does).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(x, int) or x < 0 for x in lengths):
        raise ValueError(f"[random_split] lengths must be non-negative ints or fractions adding up to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"[random_split] sum of input lengths {sum(lengths)} does not equal the length of the "
                         f"input dataset {n}")
    order = ember.randperm(n, generator=generator).tolist()
    out, at = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[at:at + length]))
        at += length
    return out
