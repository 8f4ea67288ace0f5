"""The DataLoader's worker process: fetch the batches the main process asks for, send them back
through shared memory, report errors with their traceback; and ``get_worker_info()`` for datasets."""
from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

import ember

from .dataloader import _tensor_rows, default_collate

# How often an idle worker checks that the main process is still alive (seconds).
STATUS_CHECK_INTERVAL = 0.5
RESUME = "resume"


class WorkerInfo:
    """What a worker knows about itself: ``id`` (0 .. num_workers - 1), ``num_workers``, ``seed``
    (the seed of ember's, Python's and NumPy's generators in this worker) and ``dataset`` (this
    process's copy of the dataset)."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` of the current DataLoader worker process, or None in the main process.

    An IterableDataset uses it to shard itself: each worker iterates its own copy of the dataset.
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback text."""

    def __init__(self, where: str) -> None:
        import pickle
        import traceback

        exc_type, exc, tb = sys.exc_info()
        try:
            pickle.loads(pickle.dumps(exc_type))
            self.exc_type = exc_type
        except Exception:  # a class the main process could not import
            self.exc_type = RuntimeError
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self) -> None:
        """Raises an exception of the worker's exception type, whose message holds where it happened
        and the worker's traceback (a RuntimeError when that type cannot be built from a message)."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        if issubclass(self.exc_type, StopIteration):  # raised from __next__ it would end the loop quietly
            raise RuntimeError(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self) -> str:  # KeyError prints repr() of its argument: keep the newlines
        return str(self)


class MapFetcher:
    """Batches of a map-style dataset: a list of indices -> collated batch (or one index -> sample)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.rows = _tensor_rows(dataset) if auto_collation and collate_fn is None else None

    def fetch(self, index):
        if not self.auto_collation:
            sample = self.dataset[index]
            return sample if self.collate_fn is None else self.collate_fn(sample)
        if self.rows is not None:
            tensors, indices = self.rows
            idx = ember.tensor(index if indices is None else [indices[i] for i in index], dtype=ember.int64)
            return tuple(t[idx] for t in tensors)
        return (self.collate_fn or default_collate)([self.dataset[i] for i in index])


class IterableFetcher:
    """Batches of an IterableDataset: the next ``len(index)`` items of its iterator (``index`` only
    counts); StopIteration once it is exhausted (after a last short batch unless drop_last)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.iterator = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            item = next(self.iterator)
            return item if self.collate_fn is None else self.collate_fn(item)
        data = []
        for _ in index:
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return (self.collate_fn or default_collate)(data)


def seed_worker(seed: int) -> None:
    """Seeds ember's global generator, ``random`` and NumPy's global generator from one 64-bit seed."""
    import random

    random.seed(seed)
    ember.manual_seed(seed)
    np.random.seed([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF])


def worker_loop(dataset, is_iterable: bool, auto_collation: bool, collate_fn, drop_last: bool,
                index_queue, conn, done_event, base_seed: int, init_fn, worker_id: int, num_workers: int,
                prefix: str) -> None:
    """Runs in the worker: messages to ``conn`` are ("data", idx, packed batch), ("error", idx,
    ExceptionWrapper), ("stop", idx, worker_id) when an IterableDataset is exhausted, and
    (RESUME,) acknowledging a new epoch of persistent workers."""
    import queue
    import signal

    from . import _shared  # imported here, so that ``import ember`` does not import multiprocessing

    # Ctrl-C reaches the whole process group: the main process alone handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent_pid = os.getppid()  # the main process, or the forkserver (which exits with it)
    # Before any op: N workers each running a full thread pool would oversubscribe the machine, and a
    # forked child must not reuse the parent's OpenMP pool.
    ember.set_num_threads(1)
    seed = base_seed + worker_id
    seed_worker(seed)
    global _worker_info
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id} (pid {os.getpid()})"
    make_fetcher = IterableFetcher if is_iterable else MapFetcher
    fetcher, init_error = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(where)
    ended, counter, orphaned = False, 0, False
    try:
        while True:
            if os.getppid() != parent_pid:
                orphaned = True
                break
            try:
                r = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if r is None:
                break
            if r == (RESUME,):
                conn.send((RESUME,))
                ended = False
                if init_error is None:
                    fetcher = make_fetcher(dataset, auto_collation, collate_fn, drop_last)
                continue
            if done_event.is_set() or ended:
                continue
            idx, index = r
            if init_error is not None:
                message, init_error = ("error", idx, init_error), None
            else:
                try:
                    batch = fetcher.fetch(index)
                    message = ("data", idx, _shared.pack(batch, f"{prefix}{counter}"))
                    counter += 1
                    del batch
                except StopIteration:
                    if is_iterable:
                        message, ended = ("stop", idx, worker_id), True
                    else:
                        message = ("error", idx, ExceptionWrapper(where))
                except Exception:
                    message = ("error", idx, ExceptionWrapper(where))
            try:
                conn.send(message)
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception:  # the batch's non-tensor part does not pickle
                if message[0] == "data":
                    _shared.discard(message[2])
                conn.send(("error", idx, ExceptionWrapper(where)))
            del message
    except (BrokenPipeError, ConnectionResetError, EOFError, KeyboardInterrupt):
        orphaned = True
    finally:
        if orphaned:  # nobody will receive what this worker wrote
            _shared.unlink_all(prefix)
