"""Batches between processes: a worker writes every tensor of a batch into one shared-memory file
(/dev/shm) and sends only its name, dtypes and shapes; the main process maps the file, unlinks it at
once (so nothing is left behind, even after a crash) and wraps views of the mapping as ember tensors.

Raw files under /dev/shm are used rather than ``multiprocessing.shared_memory`` so that the
resource tracker (and its leak warnings) never sees segments whose ownership moves between processes.
"""
from __future__ import annotations

import glob
import mmap
import os
import tempfile
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

import ember

SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
_ALIGN = 64


class _TensorSlot:
    """Where the i-th tensor of a batch stands in the batch's structure."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i

    def __reduce__(self):
        return _TensorSlot, (self.i,)


def _flatten(obj: Any, out: list) -> Any:
    """``obj`` with every ember tensor replaced by a ``_TensorSlot``; the tensors are appended to ``out``."""
    if isinstance(obj, ember.Tensor):
        out.append(obj)
        return _TensorSlot(len(out) - 1)
    if isinstance(obj, tuple):
        items = [_flatten(x, out) for x in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [_flatten(x, out) for x in obj]
    if isinstance(obj, dict):
        return {k: _flatten(v, out) for k, v in obj.items()}
    return obj


def _unflatten(obj: Any, tensors: list) -> Any:
    if isinstance(obj, _TensorSlot):
        return tensors[obj.i]
    if isinstance(obj, tuple):
        items = [_unflatten(x, tensors) for x in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [_unflatten(x, tensors) for x in obj]
    if isinstance(obj, dict):
        return {k: _unflatten(v, tensors) for k, v in obj.items()}
    return obj


def pack(batch: Any, path: str) -> tuple:
    """Writes the tensors of ``batch`` into the new file ``path`` and returns what the receiver needs
    (the structure, the path or None when there is no byte to share, and each tensor's layout)."""
    tensors: list = []
    skeleton = _flatten(batch, tensors)
    arrays, specs, offset = [], [], 0
    for t in tensors:
        a = np.ascontiguousarray(t.detach().numpy())
        specs.append((a.dtype.str, a.shape, offset, bool(t.requires_grad)))
        arrays.append((a, offset))
        offset += (a.nbytes + _ALIGN - 1) // _ALIGN * _ALIGN
    if offset == 0:
        return skeleton, None, specs
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, offset)
        for a, at in arrays:
            view = memoryview(a.reshape(-1)).cast("B") if a.nbytes else b""
            while len(view):
                n = os.pwrite(fd, view, at)
                view, at = view[n:], at + n
    except BaseException:
        os.close(fd)
        _unlink(path)
        raise
    os.close(fd)
    return skeleton, path, specs


def unpack(message: tuple) -> Any:
    """The batch of a ``pack`` message, its tensors viewing the shared mapping (no copy); the file is
    unlinked here, and the mapping lives as long as any of those tensors."""
    skeleton, path, specs = message
    if path is None:
        tensors = [ember.from_numpy(np.empty(shape, dtype=np.dtype(dt))) for dt, shape, _, _ in specs]
    else:
        fd = os.open(path, os.O_RDWR)
        try:
            _unlink(path)
            mapping = mmap.mmap(fd, 0)
        finally:
            os.close(fd)
        tensors = []
        for dt, shape, at, requires_grad in specs:
            count = int(np.prod(shape, dtype=np.int64))
            a = np.frombuffer(mapping, dtype=np.dtype(dt), count=count, offset=at) if count else np.empty(0, dt)
            t = ember.from_numpy(a.reshape(shape))
            tensors.append(t.requires_grad_() if requires_grad else t)
        del mapping  # the arrays hold it now
    return _unflatten(skeleton, tensors)


def discard(message: tuple) -> None:
    """Frees the file of a ``pack`` message that will not be read."""
    if message[1] is not None:
        _unlink(message[1])


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def unlink_all(prefix: str) -> None:
    """Removes every file named ``prefix*`` (segments a dead worker wrote but nobody received)."""
    for path in glob.glob(glob.escape(prefix) + "*"):
        _unlink(path)


def _rebuild_tensor(array: np.ndarray, requires_grad: bool) -> ember.Tensor:
    t = ember.from_numpy(array)
    return t.requires_grad_() if requires_grad else t


def _reduce_tensor(t: ember.Tensor):
    return _rebuild_tensor, (np.array(t.detach().numpy()), bool(t.requires_grad))


# Lets a dataset holding ember tensors travel to spawn/forkserver workers (by copy); plain pickle is untouched.
ForkingPickler.register(ember.Tensor, _reduce_tensor)
