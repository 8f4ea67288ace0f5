"""The DataLoader's iterator over worker processes, as PyTorch's ``_MultiProcessingDataLoaderIter``:
one index queue per worker, tasks handed out round-robin with ``prefetch_factor`` in flight per
worker, results put back in sampler order, and every failure (an exception in a worker, a worker
that dies, a timeout, Ctrl-C, the iterator dropped mid-epoch) ending in workers joined and no shared
memory left behind."""
from __future__ import annotations

import atexit
import itertools
import multiprocessing as mp
import os
import signal
import time
import weakref
from multiprocessing.connection import wait
from typing import Any

import ember

from . import _shared
from ._worker import RESUME, ExceptionWrapper, worker_loop

_live_iterators: "weakref.WeakSet[MultiProcessIter]" = weakref.WeakSet()
_ids = itertools.count()


@atexit.register
def _shutdown_live_iterators() -> None:
    for it in list(_live_iterators):
        it._shutdown()


def _context(value):
    if value is None:
        return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else None)
    if isinstance(value, str):
        return mp.get_context(value)
    return value


def _exit_text(process) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"exit code {code} (killed by signal {signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"exit code {code}"


class MultiProcessIter:
    """Batches loaded by ``loader.num_workers`` processes, in the order of the loader's sampler."""

    def __init__(self, loader) -> None:
        self._shutdown_done = True  # until the workers exist
        # A weak reference: the loader holds a persistent iterator, and a cycle between them would
        # leave the workers to the garbage collector, which may close their pipes before __del__ runs.
        self._loader_ref = weakref.ref(loader)
        self._length = None if loader._is_iterable else len(loader)
        self._is_iterable = loader._is_iterable
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._index_sampler = loader._index_sampler
        self._base_seed = loader._draw_base_seed()
        self._prefix = os.path.join(_shared.SHM_DIR, f"ember_dl_{os.getpid()}_{next(_ids)}_")
        ctx = _context(loader.multiprocessing_context)
        self._done_event = ctx.Event()
        self._index_queues, self._conns, self._workers = [], [], []
        self._shutdown_done = False
        _live_iterators.add(self)
        try:
            for wid in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # never block the main process's exit on it
                reader, writer = ctx.Pipe(duplex=False)
                w = ctx.Process(target=worker_loop, daemon=True, args=(
                    loader.dataset, self._is_iterable, loader._auto_collation, loader.collate_fn, loader.drop_last,
                    index_queue, writer, self._done_event, self._base_seed, loader.worker_init_fn, wid,
                    self._num_workers, f"{self._prefix}{wid}_"))
                w.start()
                writer.close()  # the worker holds the only writer: its death reads as EOF here
                self._index_queues.append(index_queue)
                self._conns.append(reader)
                self._workers.append(w)
        except BaseException:
            self._shutdown()
            raise
        self._reset(iter(self._index_sampler))

    # --- epochs ---------------------------------------------------------------------------------
    def _reset(self, sampler_iter=None) -> None:
        """Starts an epoch: over ``sampler_iter`` for new workers, else over a new pass of the sampler
        once the persistent workers have dropped what the last epoch left in flight."""
        first = sampler_iter is not None
        self._sampler_iter = sampler_iter if first else iter(self._index_sampler)
        self._send_idx = 0  # the next task to hand out
        self._rcvd_idx = 0  # the next batch to return
        self._task_info: dict[int, tuple] = {}  # idx -> (worker,) while in flight, (worker, message) when here
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            try:
                for q in self._index_queues:
                    q.put((RESUME,))
                pending = self._num_workers
                while pending:
                    message = self._get_message()
                    if message[0] == RESUME:
                        pending -= 1
                    elif message[0] == "data":
                        _shared.discard(message[2])
            except BaseException:
                self._fail()
                raise
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch_factor * self._num_workers:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._workers_status[wid]:
                break
        else:  # every worker has exhausted its IterableDataset
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    # --- receiving ------------------------------------------------------------------------------
    def _get_message(self) -> tuple:
        """The next message of any worker; RuntimeError when a worker died or ``timeout`` passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        sentinels = {w.sentinel: wid for wid, w in enumerate(self._workers)}
        conns = {c: wid for wid, c in enumerate(self._conns)}
        ready = wait(list(conns) + list(sentinels),
                     timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        if not ready:
            raise RuntimeError(f"[DataLoader] DataLoader timed out after {self._timeout} seconds")
        dead = None
        for r in ready:  # a message sent before its sender died is still delivered
            if r in conns:
                try:
                    return r.recv()
                except EOFError:  # the worker's end closed: it exited
                    dead = conns[r]
            else:
                dead = sentinels[r]
        w = self._workers[dead]
        w.join(timeout=1.0)
        raise RuntimeError(f"[DataLoader] worker {dead} (pid {w.pid}) exited unexpectedly with {_exit_text(w)}")

    def __iter__(self) -> "MultiProcessIter":
        return self

    def __len__(self) -> int:
        loader = self._loader_ref()
        return self._length if loader is None else len(loader)

    def __next__(self) -> Any:
        if self._shutdown_done:
            raise StopIteration
        try:
            return self._next()
        except StopIteration:
            raise
        except BaseException:  # an error, a timeout, a dead worker, Ctrl-C: nothing stays behind
            self._fail()
            raise

    def _fail(self) -> None:
        self._shutdown(grace=0.2)
        loader = self._loader_ref()
        if loader is not None and loader._iterator is self:
            loader._iterator = None

    def _next(self) -> Any:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # its worker ran out of data: it never comes
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            message = self._get_message()
            if message[0] == RESUME:
                continue
            kind, idx = message[0], message[1]
            self._tasks_outstanding -= 1
            if kind == "stop":
                self._workers_status[message[2]] = False
                self._try_put_index()
                continue
            if kind == "data":  # map the batch now: its file is unlinked right away
                message = ("batch", idx, _shared.unpack(message[2]))
            if idx != self._rcvd_idx:
                self._task_info[idx] += (message,)
                continue
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._process(message)

    def _process(self, message: tuple) -> Any:
        self._try_put_index()
        if message[0] == "error":
            wrapper: ExceptionWrapper = message[2]
            wrapper.reraise()
        return message[2]

    # --- shutdown -------------------------------------------------------------------------------
    def _shutdown(self, grace: float = 1.0) -> None:
        """Stops and joins the workers (terminating the ones still busy after ``grace`` seconds), frees every shared
        file still in flight; safe to call more than once, and from ``__del__`` or at exit."""
        if self._shutdown_done:
            return
        self._shutdown_done = True
        _live_iterators.discard(self)
        try:
            self._done_event.set()
            for q in self._index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + grace
            while any(w.is_alive() for w in self._workers) and time.monotonic() < deadline:
                self._drain()  # a worker blocked sending a batch must get to read its None
                wait([w.sentinel for w in self._workers if w.is_alive()], timeout=0.05)
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
                if w.is_alive():
                    w.kill()
                w.join()
            self._drain()
        finally:
            for c in self._conns:
                c.close()
            for q in self._index_queues:
                q.close()
            for info in getattr(self, "_task_info", {}).values():
                if len(info) == 2 and info[1][0] == "data":
                    _shared.discard(info[1][2])
            self._task_info = {}
            _shared.unlink_all(self._prefix)

    def _drain(self) -> None:
        for c in self._conns:
            try:
                while not c.closed and c.poll():
                    message = c.recv()
                    if message[0] == "data":
                        _shared.discard(message[2])
            except (EOFError, OSError):
                pass

    def __del__(self) -> None:
        self._shutdown()
