"""The DataLoader: batches of a dataset, in order or shuffled by a seedable generator."""
from __future__ import annotations

import numbers
from typing import Any, Callable, Iterator, Sequence

import ember

from .dataset import Dataset, IterableDataset, Subset, TensorDataset
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


class _InfiniteConstantSampler(Sampler):
    """None forever: an IterableDataset's loader counts batches, the dataset chooses the samples."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader:
    """Batches of ``dataset``: ``for x, y in DataLoader(ds, batch_size=64, shuffle=True): ...``.

    ``shuffle`` draws a new order every epoch from ``generator`` (seed it for a reproducible order);
    ``drop_last`` drops the last short batch; ``collate_fn`` turns a list of samples into a batch
    (``default_collate`` stacks tensors). A TensorDataset (or a Subset of one) with the default
    collate is batched by indexing its tensors once per batch.

    ``num_workers`` > 0 loads batches in that many worker processes (``multiprocessing_context``:
    "fork" by default on Linux; "spawn" and "forkserver" need a picklable dataset and collate_fn),
    each with ``prefetch_factor`` batches in flight; batches still come in the sampler's order and
    their tensors arrive through shared memory, without a copy. Worker ``i`` runs ember ops on one
    thread and seeds ember, ``random`` and NumPy with ``base_seed + i``, where ``base_seed`` is drawn
    from ``generator`` (or ember's global generator) for each new set of workers, so shuffling and
    augmentation repeat with a seeded generator; ``worker_init_fn(i)`` runs next, and
    ``get_worker_info()`` tells the dataset which worker it is in. ``persistent_workers`` keeps the
    workers between epochs. An exception in a worker is raised here with the same type and the
    worker's traceback; a worker that dies, or ``timeout`` seconds without a batch, raise
    RuntimeError; either way, and on Ctrl-C or when the iterator is dropped, the workers are stopped.
    ``pin_memory`` is accepted and does nothing (ember's CPU tensors need no pinning).
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | None = None, batch_sampler: Sampler | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator: ember.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"[DataLoader] num_workers option should be non-negative; use num_workers=0 to "
                             f"disable multiprocessing, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"[DataLoader] timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("[DataLoader] prefetch_factor option could only be specified in multiprocessing; "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor <= 0):
            raise ValueError(f"[DataLoader] prefetch_factor should be a positive integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("[DataLoader] persistent_workers option needs num_workers > 0")
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (None, False):
                raise ValueError(f"[DataLoader] DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("[DataLoader] DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("[DataLoader] DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
            sampler = _InfiniteConstantSampler()
        shuffle = bool(shuffle)
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
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self._iterator = None  # the persistent workers' iterator

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)  # TypeError when the dataset has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers > 0:
            from ._multiprocess import MultiProcessIter

            if not self.persistent_workers:
                return MultiProcessIter(self)
            if self._iterator is None:
                self._iterator = MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return self._single_process_iter()

    def _draw_base_seed(self) -> int:
        """The seed of a new set of workers, drawn from the loader's generator. Every epoch draws it, with
        workers or without (as PyTorch does), so that a seeded generator shuffles the same with any
        num_workers."""
        return int(ember.randint(0, 2**63 - 1, (), generator=self.generator).item())

    def _single_process_iter(self) -> Iterator[Any]:
        self._draw_base_seed()
        if self._is_iterable:
            from ._worker import IterableFetcher

            fetcher = IterableFetcher(self.dataset, self._auto_collation, self.collate_fn, self.drop_last)
            for index in self._index_sampler:
                try:
                    yield fetcher.fetch(index)
                except StopIteration:
                    return
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
