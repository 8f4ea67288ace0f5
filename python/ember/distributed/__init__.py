"""Collectives between processes over MPI, named as in ``torch.distributed``.

Launch with ``mpirun -n 4 python train.py`` (or ``srun``), then::

    import ember.distributed as dist
    dist.init_process_group("mpi")          # rank and world size come from the launcher
    dist.all_reduce(grad, op=dist.ReduceOp.AVG)

Tensors are CPU tensors; a contiguous tensor goes to MPI as its own memory (no copy). A non-contiguous
tensor written in place (broadcast, all_reduce, reduce, recv, outputs) is made contiguous, and the result is
copied back into it after the operation (at ``wait()`` for ``async_op=True``). The GIL is released while MPI
works. At ``init_process_group`` each rank sets ember's threads to the cores it owns (cores on the node /
ranks on the node, at least 1) unless ``EMBER_NUM_THREADS`` or ``OMP_NUM_THREADS`` is set or
``ember.set_num_threads`` was called; and an uncaught exception on any rank ends the whole job
(``MPI_Abort`` after the traceback) instead of leaving the other ranks waiting. ``EMBER_DISTRIBUTED_DEBUG=1``
checks before each collective that all ranks pass the same shapes and dtypes. See docs/distributed.md.
"""
from __future__ import annotations

import atexit
import enum
import os
import pickle
import sys

import ember

try:
    from ember import _distributed as _C
    _import_error = None
except ImportError as e:  # ember was built without MPI, or libmpi cannot be loaded
    _C = None
    _import_error = e

__all__ = [
    "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier",
    "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "get_backend", "get_rank",
    "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_world_size", "init_process_group", "irecv",
    "is_available", "is_initialized", "isend", "new_group", "recv", "reduce",
    "reduce_scatter_tensor", "scatter", "send",
]

_MISSING = ("MPI not available: ember was built without MPI, so ember.distributed cannot run: install OpenMPI "
            "(`apt install libopenmpi-dev openmpi-bin`), then reinstall ember (`pip install .`, or `make setup`) "
            "so that the ember._distributed module is built")
if _import_error is not None and not isinstance(_import_error, ModuleNotFoundError):
    # The module exists (a binary wheel carries it) but its MPI library does not load: the wheel links
    # OpenMPI's libmpi.so.40 from the system rather than carrying it.
    _MISSING = (f"MPI not available: install OpenMPI (`apt install openmpi-bin libopenmpi3`, `dnf install "
                f"openmpi`), whose libmpi.so.40 ember.distributed loads ({_import_error})")


class ReduceOp(enum.Enum):
    """The reductions of all_reduce, reduce and reduce_scatter_tensor. AVG is SUM divided by the world size
    (floor division for integer tensors)."""
    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"


_C_OPS = {op: getattr(_C.ReduceOp, op.value) for op in ReduceOp} if _C is not None else {}


def is_available() -> bool:
    """True when ember was built with MPI and its MPI library loads (the ember._distributed module imports)."""
    return _C is not None


def _lib():
    if _C is None:
        raise RuntimeError(_MISSING)
    return _C


# ember dtype -> the code of ember::DType (its declaration order in core/dtype.hpp).
_DTYPE_CODES = {ember.bool: 0, ember.uint8: 1, ember.int8: 2, ember.int32: 3, ember.int64: 4, ember.float32: 5,
                ember.float64: 6}


def _check_tensor(t, op, name="tensor"):
    if not isinstance(t, ember.Tensor):
        raise TypeError(f"[{op}] {name} must be an ember.Tensor, got {type(t).__name__}")


def _buf(t):
    return (t.data_ptr(), _DTYPE_CODES[t.dtype], tuple(t.shape), t.device.index if t.is_cuda else -1)


def _writable(t, op, name="tensor"):
    """(the tensor MPI writes into, the copy-back to run after the operation or None)."""
    _check_tensor(t, op, name)
    if t.is_contiguous():
        return t, None
    c = t.contiguous()
    return c, lambda: t.copy_(c)


def _readable(t, op, name="tensor"):
    _check_tensor(t, op, name)
    return t if t.is_contiguous() else t.contiguous()


def _op(op, name):
    if isinstance(op, ReduceOp):
        return _C_OPS[op]
    if _C is not None and isinstance(op, _C.ReduceOp):
        return op
    if isinstance(op, str) and op.upper() in ReduceOp.__members__:
        return getattr(_C.ReduceOp, op.upper())
    raise ValueError(f"[{name}] unknown reduction {op!r}: use ReduceOp.SUM, AVG, PRODUCT, MIN or MAX")


class Work:
    """The handle of an operation started with ``async_op=True``: ``wait()`` blocks until it finished (and
    fills the outputs), ``is_completed()`` asks without blocking. Keeps the tensors alive meanwhile."""

    def __init__(self, work, keep=(), epilogue=None, group=None):
        self._work, self._keep, self._epilogue, self._group = work, keep, epilogue, group

    def wait(self, timeout=None) -> bool:
        self._work.wait()
        if self._epilogue is not None:
            f, self._epilogue = self._epilogue, None
            f()
        self._keep = ()
        return True

    def is_completed(self) -> bool:
        return self._work.is_completed()

    def is_success(self) -> bool:
        return self.is_completed()

    def _source_rank(self) -> int:
        """A finished recv's sender (its rank in the default group), as torch's Work._source_rank()."""
        r = self._work.source_rank()
        return r if self._group is None or r < 0 else self._group.global_rank(r)


def _run(work, async_op, keep=(), epilogue=None, group=None):
    if async_op:
        return Work(work, keep, epilogue, group)
    if epilogue is not None:  # the blocking call has completed in C++
        epilogue()
    return None


# --- process group ---

_state = {"excepthook": None}


def _abort_on_uncaught(exc_type, exc, tb):
    # One rank's uncaught error would leave the others blocked in their next collective: print it, then
    # end the whole job (mpirun reports the failing rank and kills the others).
    (_state["excepthook"] or sys.__excepthook__)(exc_type, exc, tb)
    if _C is not None and _C.is_initialized() and _C.get_world_size() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        _C.abort(1)


def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None, *, size_threads=True,
                       abort_on_exception=True):
    """Starts the default process group. Only ``backend="mpi"`` exists: rank and world size come from the
    launcher (mpirun, srun), so ``init_method`` and ``store`` are ignored and ``world_size``/``rank``, when
    given, must agree with it. Sizes ember's threads (``size_threads``) and installs an excepthook that ends
    the job when this rank raises (``abort_on_exception``)."""
    lib = _lib()
    backend = "mpi" if backend is None else str(backend).lower()
    if backend != "mpi":
        raise ValueError(f"[init_process_group] unknown backend {backend!r}: ember supports 'mpi' "
                         "(NCCL comes with the CUDA backend)")
    if lib.is_initialized():
        raise RuntimeError("[init_process_group] the default process group is already initialized")
    lib.init_process_group(backend, size_threads)
    for name, given, actual in (("world_size", world_size, lib.get_world_size()), ("rank", rank, lib.get_rank())):
        if given is not None and given >= 0 and given != actual:
            lib.destroy_process_group()
            raise ValueError(f"[init_process_group] {name}={given} but the MPI launcher started this process "
                             f"with {name} {actual}: launch with `mpirun -n N`, or leave {name} out")
    if abort_on_exception and sys.excepthook is not _abort_on_uncaught:
        _state["excepthook"] = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group=None):
    """Ends the default process group (and MPI, when init_process_group started it)."""
    if _C is not None and _C.is_initialized():
        _C.destroy_process_group()
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _state["excepthook"] or sys.__excepthook__


atexit.register(destroy_process_group)


def is_initialized() -> bool:
    return _C is not None and _C.is_initialized()


def get_backend(group=None) -> str:
    _lib().get_rank()  # raises when not initialized
    return "mpi"


ProcessGroup = _C.ProcessGroup if _C is not None else None


class GroupMember:
    """``GroupMember.WORLD`` is the default group (as None); ``new_group`` returns ``NON_GROUP_MEMBER`` on
    the ranks outside the group, where collectives on it do nothing and return None."""
    WORLD = None
    NON_GROUP_MEMBER = object()


def _pg(group):
    """The C++ group of a collective: None for the default group."""
    if group is None or group is GroupMember.NON_GROUP_MEMBER:
        return None
    if _C is None or not isinstance(group, _C.ProcessGroup):
        raise TypeError(f"group must be a group made by new_group (or None), got {type(group).__name__}")
    return group


def _outside(group):
    return group is GroupMember.NON_GROUP_MEMBER


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None):
    """A group of the default group's ``ranks`` (all ranks when None) for collectives (their ``group=``).
    Every rank calls it, in the same order, members or not; the others get ``GroupMember.NON_GROUP_MEMBER``.
    Ranks in collectives stay default-group ranks (``src``, ``dst``); a member's group rank is its place in
    the sorted ``ranks``."""
    lib = _lib()
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"[new_group] unknown backend {backend!r}: ember supports 'mpi'")
    g = lib.new_group(sorted(int(r) for r in ranks) if ranks is not None else [])
    return GroupMember.NON_GROUP_MEMBER if g is None else g


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the default group when None; -1 outside the group)."""
    if _outside(group):
        return -1
    g = _pg(group)
    return _lib().get_rank() if g is None else g.rank()


def get_world_size(group=None) -> int:
    """The number of ranks in ``group`` (the default group when None; -1 outside the group)."""
    if _outside(group):
        return -1
    g = _pg(group)
    return _lib().get_world_size() if g is None else g.size()


def get_group_rank(group, global_rank) -> int:
    """``group``'s rank of the default group's rank ``global_rank`` (ValueError when not a member)."""
    g = _pg(group)
    if g is None:
        return global_rank
    r = g.group_rank(global_rank)
    if r < 0:
        raise ValueError(f"[get_group_rank] rank {global_rank} is not in the group (its ranks: {g.global_ranks})")
    return r


def get_global_rank(group, group_rank) -> int:
    """The default group's rank of ``group``'s rank ``group_rank``."""
    g = _pg(group)
    if g is None:
        return group_rank
    if not 0 <= group_rank < g.size():
        raise ValueError(f"[get_global_rank] group rank {group_rank} is out of range for a group of size {g.size()}")
    return g.global_rank(group_rank)


def get_process_group_ranks(group) -> list:
    """The default group's ranks of ``group``'s members, in group rank order."""
    g = _pg(group)
    return list(range(_lib().get_world_size())) if g is None else list(g.global_ranks)


def get_local_rank() -> int:
    """This rank's index among the ranks on its node."""
    return _lib().local_rank()


def get_local_world_size() -> int:
    """The number of ranks on this node (they share its cores)."""
    return _lib().local_size()


# --- collectives ---
# group: None (the default group) or a new_group; on the ranks outside a group (NON_GROUP_MEMBER) every
# collective returns None at once, as torch's. Ranks (src, dst) are default-group ranks.

def barrier(group=None, async_op=False, device_ids=None):
    if _outside(group):
        return None
    return _run(_lib().barrier(async_op, _pg(group)), async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    """``tensor`` from rank ``src`` to every rank, in place."""
    if _outside(group):
        return None
    lib = _lib()
    t, back = _writable(tensor, "broadcast")
    return _run(lib.broadcast(_buf(t), src, async_op, _pg(group)), async_op, (t,), back)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """``tensor`` reduced with ``op`` over all ranks, in place on every rank."""
    if _outside(group):
        return None
    lib = _lib()
    t, back = _writable(tensor, "all_reduce")
    return _run(lib.all_reduce(_buf(t), _op(op, "all_reduce"), async_op, _pg(group)), async_op, (t,), back)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """``tensor`` reduced with ``op`` over all ranks into ``tensor`` on rank ``dst``."""
    if _outside(group):
        return None
    lib = _lib()
    t, back = _writable(tensor, "reduce")
    return _run(lib.reduce(_buf(t), dst, _op(op, "reduce"), async_op, _pg(group)), async_op, (t,), back)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated in rank order into ``output_tensor`` (world_size times
    its elements, e.g. shape (world_size * n, ...) or (world_size, n, ...))."""
    if _outside(group):
        return None
    lib = _lib()
    out, back = _writable(output_tensor, "all_gather_into_tensor", "output_tensor")
    inp = _readable(input_tensor, "all_gather_into_tensor", "input_tensor")
    return _run(lib.all_gather_into_tensor(_buf(out), _buf(inp), async_op, _pg(group)), async_op, (out, inp), back)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list`` (one tensor per rank, each of ``tensor``'s shape)."""
    if _outside(group):
        return None
    lib = _lib()
    _check_tensor(tensor, "all_gather")
    n = get_world_size(group)
    if len(tensor_list) != n:
        raise ValueError(f"[all_gather] tensor_list must hold world_size ({n}) tensors, got {len(tensor_list)}")
    for i, t in enumerate(tensor_list):
        _check_tensor(t, "all_gather", f"tensor_list[{i}]")
        if tuple(t.shape) != tuple(tensor.shape) or t.dtype != tensor.dtype:
            raise ValueError(f"[all_gather] tensor_list[{i}] has shape {tuple(t.shape)} and dtype {t.dtype}, but "
                             f"the input has shape {tuple(tensor.shape)} and dtype {tensor.dtype}")
    out = ember.empty((n,) + tuple(tensor.shape), dtype=tensor.dtype)
    inp = _readable(tensor, "all_gather")

    def fill():
        for i, t in enumerate(tensor_list):
            t.copy_(out[i])
    return _run(lib.all_gather_into_tensor(_buf(out), _buf(inp), async_op, _pg(group)), async_op, (out, inp), fill)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``input`` (world_size times ``output``'s elements) reduced with ``op`` over ranks; rank r receives block
    r of the result in ``output``."""
    if _outside(group):
        return None
    lib = _lib()
    out, back = _writable(output, "reduce_scatter_tensor", "output")
    inp = _readable(input, "reduce_scatter_tensor", "input")
    work = lib.reduce_scatter_tensor(_buf(out), _buf(inp), _op(op, "reduce_scatter_tensor"), async_op, _pg(group))
    return _run(work, async_op, (out, inp), back)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (other ranks pass None)."""
    if _outside(group):
        return None
    lib = _lib()
    inp = _readable(tensor, "gather")
    n, me = get_world_size(group), lib.get_rank()
    out, fill = None, None
    if me == dst:
        if gather_list is None or len(gather_list) != n:
            raise ValueError(f"[gather] the destination rank {dst} must pass a gather_list of world_size ({n}) "
                             f"tensors, got {None if gather_list is None else len(gather_list)}")
        out = ember.empty((n,) + tuple(tensor.shape), dtype=tensor.dtype)

        def fill():
            for i, t in enumerate(gather_list):
                t.copy_(out[i])
    work = lib.gather(None if out is None else _buf(out), _buf(inp), dst, async_op, _pg(group))
    return _run(work, async_op, (out, inp), fill)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Tensor r of ``scatter_list`` on rank ``src`` into rank r's ``tensor`` (other ranks pass None)."""
    if _outside(group):
        return None
    lib = _lib()
    out, back = _writable(tensor, "scatter")
    n, me = get_world_size(group), lib.get_rank()
    inp = None
    if me == src:
        if scatter_list is None or len(scatter_list) != n:
            raise ValueError(f"[scatter] the source rank {src} must pass a scatter_list of world_size ({n}) "
                             f"tensors, got {None if scatter_list is None else len(scatter_list)}")
        for i, t in enumerate(scatter_list):
            _check_tensor(t, "scatter", f"scatter_list[{i}]")
            if tuple(t.shape) != tuple(tensor.shape):
                raise ValueError(f"[scatter] scatter_list[{i}] has shape {tuple(t.shape)} but the output tensor "
                                 f"has shape {tuple(tensor.shape)}")
        inp = ember.stack(list(scatter_list)).contiguous()
    work = lib.scatter(_buf(out), None if inp is None else _buf(inp), src, async_op, _pg(group))
    return _run(work, async_op, (out, inp), back)


def send(tensor, dst, group=None, tag=0):
    """``tensor`` to rank ``dst`` (blocks until it was handed over)."""
    if _outside(group):
        return None
    lib = _lib()
    t = _readable(tensor, "send")
    _run(lib.send(_buf(t), dst, tag, False, _pg(group)), False, (t,))


def recv(tensor, src=None, group=None, tag=0):
    """``tensor`` filled with what rank ``src`` sent (same shape and dtype), or with the first message from any
    rank when ``src`` is None; returns the sender's rank (in the default group)."""
    if _outside(group):
        return -1
    lib = _lib()
    t, back = _writable(tensor, "recv")
    g = _pg(group)
    work = lib.recv(_buf(t), lib.ANY_SOURCE if src is None else src, tag, False, g)
    if back is not None:
        back()
    return Work(work, group=g)._source_rank()


def isend(tensor, dst, group=None, tag=0) -> Work:
    """send without blocking: keep ``tensor`` unchanged until the Work's wait()."""
    if _outside(group):
        return None
    lib = _lib()
    t = _readable(tensor, "isend")
    return _run(lib.send(_buf(t), dst, tag, True, _pg(group)), True, (t,))


def irecv(tensor, src=None, group=None, tag=0) -> Work:
    """recv without blocking: ``tensor`` holds the message after the Work's wait(); with ``src`` None, from
    any rank (the Work's ``_source_rank()`` then names it)."""
    if _outside(group):
        return None
    lib = _lib()
    t, back = _writable(tensor, "irecv")
    g = _pg(group)
    return _run(lib.recv(_buf(t), lib.ANY_SOURCE if src is None else src, tag, True, g), True, (t,), back, g)


# --- Python objects (pickled into uint8 tensors) ---

def _to_bytes_tensor(obj):
    import numpy as np
    return ember.from_numpy(np.frombuffer(pickle.dumps(obj), dtype=np.uint8).copy())


def _from_bytes_tensor(t, n):
    return pickle.loads(t.numpy()[:n].tobytes())


def all_gather_object(object_list, obj, group=None):
    """Every rank's picklable ``obj`` into ``object_list`` (world_size entries), in rank order."""
    if _outside(group):
        return None
    n = get_world_size(group)
    if len(object_list) != n:
        raise ValueError(f"[all_gather_object] object_list must hold world_size ({n}) entries, got {len(object_list)}")
    data = _to_bytes_tensor(obj)
    sizes = ember.empty((n,), dtype=ember.int64)
    all_gather_into_tensor(sizes, ember.tensor([data.numel()], dtype=ember.int64), group)
    width = max(int(s) for s in sizes.tolist())
    padded = ember.zeros((width,), dtype=ember.uint8)
    padded[: data.numel()] = data
    out = ember.empty((n, width), dtype=ember.uint8)
    all_gather_into_tensor(out, padded, group)
    for r, s in enumerate(sizes.tolist()):
        object_list[r] = _from_bytes_tensor(out[r], int(s))


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """The picklable objects of ``object_list`` on rank ``src`` into ``object_list`` on every rank (same length)."""
    if _outside(group):
        return None
    lib = _lib()
    size = ember.zeros((1,), dtype=ember.int64)
    data = None
    if lib.get_rank() == src:
        data = _to_bytes_tensor(list(object_list))
        size[0] = data.numel()
    broadcast(size, src, group)
    if data is None:
        data = ember.empty((int(size.item()),), dtype=ember.uint8)
    broadcast(data, src, group)
    if lib.get_rank() != src:
        objs = _from_bytes_tensor(data, int(size.item()))
        if len(objs) != len(object_list):
            raise ValueError(f"[broadcast_object_list] rank {src} sent {len(objs)} objects but this rank's "
                             f"object_list has {len(object_list)} entries")
        object_list[:] = objs
