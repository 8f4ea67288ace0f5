"""Samplers: the order in which a DataLoader visits a dataset's indices."""
from __future__ import annotations

import abc
from typing import Iterable, Iterator

import ember


class Sampler(abc.ABC):
    """An iterable over dataset indices (subclasses define ``__iter__``, and ``__len__`` when they can)."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[int]:
        """The indices, in the order the DataLoader visits them."""


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _positive_int(value, name: str, sampler: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"[{sampler}] {name} should be a positive integer, got {value!r}")
    return value


class RandomSampler(Sampler):
    """A new random permutation of the indices at every pass, drawn from ``generator`` (seedable); with
    ``replacement``, ``num_samples`` indices drawn uniformly with repeats; without, ``num_samples`` (default: the
    dataset's length) indices from as many permutations as it takes."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: ember.Generator | None = None) -> None:
        if isinstance(replacement, ember.Generator):  # RandomSampler(data, generator) as this class first took it
            replacement, generator = False, replacement
        if not isinstance(replacement, bool):
            raise TypeError(f"[RandomSampler] replacement should be a boolean value, got {replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = None if num_samples is None else _positive_int(num_samples, "num_samples", "RandomSampler")
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            return iter(ember.randint(0, n, (self.num_samples,), generator=self.generator).tolist())
        out: list[int] = []
        while len(out) < self.num_samples:
            out += ember.randperm(n, generator=self.generator).tolist()
        return iter(out[:self.num_samples])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order at every pass."""

    def __init__(self, indices, generator: ember.Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[i] for i in ember.randperm(len(self.indices), generator=self.generator).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in [0, len(weights)), index i drawn with probability weights[i] / sum(weights) (with
    replacement, or each at most once), as for rebalancing classes."""

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator: ember.Generator | None = None) -> None:
        _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        if not isinstance(replacement, bool):
            raise ValueError(f"[WeightedRandomSampler] replacement should be a boolean value, got {replacement!r}")
        w = weights if isinstance(weights, ember.Tensor) else ember.tensor(weights, dtype=ember.float64)
        w = w.double()
        if w.dim() != 1:
            raise ValueError(f"[WeightedRandomSampler] weights should be a 1-d sequence, got shape {tuple(w.shape)}")
        self.weights, self.num_samples, self.replacement, self.generator = w, num_samples, replacement, generator

    def __iter__(self) -> Iterator[int]:
        return iter(ember.multinomial(self.weights, self.num_samples, self.replacement,
                                      generator=self.generator).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"[BatchSampler] batch_size should be a positive integer, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size
