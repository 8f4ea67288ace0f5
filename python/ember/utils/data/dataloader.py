"""The DataLoader: batches of a dataset, in order or shuffled by a seedable generator."""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable, Iterator, Sequence

import ember

from .dataset import Dataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def default_collate(batch: Sequence[Any]) -> Any:
    """Stacks a list of samples into a batch: tensors with ``ember.stack``, numbers into a tensor
    (int64 / float32 / bool), and tuples, lists and dicts element by element."""
    first = batch[0]
    if isinstance(first, ember.Tensor):
        return ember.stack(list(batch))
    if isinstance(first, bool):
        return ember.tensor(list(batch), dtype=ember.bool)
    if isinstance(first, numbers.Integral):
        return ember.tensor(list(batch), dtype=ember.int64)
    if isinstance(first, numbers.Real):
        return ember.tensor(list(batch), dtype=ember.float32)
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in batch):
            raise ValueError("[default_collate] each sample in a batch should have the same number of fields")
        return type(first)(default_collate(list(field)) for field in zip(*batch)) if isinstance(first, tuple) \
            else [default_collate(list(field)) for field in zip(*batch)]
    if isinstance(first, str):
        return list(batch)
    raise TypeError(f"[default_collate] cannot batch samples of type {type(first).__name__}; pass a collate_fn")


def _tensor_rows(dataset: Dataset):
    """(tensors, index map) when every sample of dataset is a row of some tensors, else None."""
    indices = None
    while isinstance(dataset, Subset):
        indices = dataset.indices if indices is None else [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, indices
    return None


class DataLoader:
    """Batches of ``dataset``: ``for x, y in DataLoader(ds, batch_size=64, shuffle=True): ...``.

    ``shuffle`` draws a new order every epoch from ``generator`` (seed it for a reproducible order);
    ``drop_last`` drops the last short batch; ``collate_fn`` turns a list of samples into a batch
    (``default_collate`` stacks tensors). A TensorDataset (or a Subset of one) with the default
    collate is batched by indexing its tensors once per batch. Loading runs in the calling process:
    ``num_workers`` > 0 is accepted for PyTorch compatibility and warns.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Sampler | None = None, batch_sampler: Sampler | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, drop_last: bool = False,
                 generator: ember.Generator | None = None, **kwargs: Any) -> None:
        if num_workers:
            warnings.warn("ember's DataLoader loads batches in the calling process; num_workers is ignored",
                          stacklevel=2)
        if shuffle and sampler is not None:
            raise ValueError("[DataLoader] sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("[DataLoader] batch_sampler option is mutually exclusive with batch_size, shuffle, "
                             "sampler, and drop_last")
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.generator = generator
        self.collate_fn = collate_fn
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler

    def __len__(self) -> int:
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batch_size=None: samples one by one
            for i in self.sampler:
                yield self.dataset[i] if self.collate_fn is None else self.collate_fn(self.dataset[i])
            return
        rows = _tensor_rows(self.dataset) if self.collate_fn is None else None
        for batch in self.batch_sampler:
            if rows is not None:
                tensors, indices = rows
                idx = ember.tensor(batch if indices is None else [indices[i] for i in batch], dtype=ember.int64)
                yield tuple(t[idx] for t in tensors)
            else:
                yield (self.collate_fn or default_collate)([self.dataset[i] for i in batch])
