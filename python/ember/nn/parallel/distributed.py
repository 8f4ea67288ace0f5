"""``DistributedDataParallel``: one model replica per process (rank), gradients averaged over the ranks
during ``backward()``, so that every rank takes the step one process would take on the whole batch.

How it works (as PyTorch's reducer): parameters are grouped into buckets of at most ``bucket_cap_mb``, in
reverse registration order (roughly the order backward produces their gradients). A post-accumulate-grad
hook on each parameter marks it ready; when all parameters of a bucket are ready, their gradients are
flattened into one contiguous buffer and ``all_reduce(AVG, async_op=True)`` starts at once, so the
communication overlaps the rest of backward. Buckets start strictly in index order on every rank (MPI needs
the same order of collectives everywhere). When the last bucket has started, the hook waits for all of them
and copies the averaged values back into each ``.grad``.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

from ... import _core
from ..module import Module

_PREFIX = "[DistributedDataParallel]"


def _dist():
    from ... import distributed as dist  # imported here: `import ember` must not load libmpi
    if not dist.is_initialized():
        raise RuntimeError(f"{_PREFIX} the default process group is not initialized: call "
                           "ember.distributed.init_process_group('mpi') first (and launch with mpirun)")
    return dist


def _signature(kind: str, name: str, t: Any) -> tuple:
    return (kind, name, str(t.dtype).replace("ember.", ""), tuple(t.shape))


def _describe(sig: tuple) -> str:
    kind, name, dtype, shape = sig
    return f"{kind} '{name}' {dtype} {shape}"


class _Bucket:
    __slots__ = ("index", "params", "pending", "work", "flat")

    def __init__(self, index: int, params: list[int]) -> None:
        self.index, self.params = index, params
        self.pending = len(params)
        self.work = None
        self.flat = None


class DistributedDataParallel(Module):
    """``torch.nn.parallel.DistributedDataParallel`` over ``ember.distributed`` (MPI, CPU tensors).

    At construction every rank must hold the same structure (parameter and buffer names, shapes, dtypes: a
    ``ValueError`` names the first difference and the ranks otherwise); parameters and buffers are then
    broadcast from rank 0. ``forward`` broadcasts the buffers from rank 0 first (``broadcast_buffers``), then
    calls ``module``. ``no_sync()`` accumulates gradients locally; the next backward outside it averages
    them. ``find_unused_parameters=True`` walks the autograd graph of the outputs after each forward and
    counts the parameters it does not reach as ready (zero gradients); parameters unused on every rank keep
    their ``.grad``. Without it, a parameter that got no gradient makes the next forward raise, naming it.
    ``static_graph`` is a performance hint in PyTorch; here it changes nothing. ``gradient_as_bucket_view``,
    ``device_ids``/``output_device`` (GPUs) and process groups other than the default raise
    NotImplementedError. The state dict has PyTorch's ``module.`` prefix."""

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = 25, find_unused_parameters: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"{_PREFIX} expected an ember.nn.Module, got {type(module).__name__}")
        if device_ids is not None and any(d is not None and str(d) != "cpu" for d in device_ids):
            raise NotImplementedError(f"{_PREFIX} device_ids={list(device_ids)!r}: ember's DDP runs on CPU "
                                      "tensors (NCCL for GPUs comes with the CUDA backend); leave device_ids out")
        if output_device is not None and str(output_device) != "cpu":
            raise NotImplementedError(f"{_PREFIX} output_device={output_device!r}: only CPU modules are supported")
        if process_group is not None:
            raise NotImplementedError(f"{_PREFIX} process_group: only the default group (None) is supported")
        if gradient_as_bucket_view:
            raise NotImplementedError(f"{_PREFIX} gradient_as_bucket_view=True is not implemented: gradients are "
                                      "copied out of the buckets")
        dist = _dist()
        self.module = module
        d = self.__dict__  # plain attributes: not submodules, not state
        d.update(device_ids=device_ids, output_device=output_device, dim=dim, broadcast_buffers=broadcast_buffers,
                 process_group=None, find_unused_parameters=find_unused_parameters,
                 gradient_as_bucket_view=False, static_graph=static_graph,
                 bucket_cap_mb=25 if bucket_cap_mb is None else bucket_cap_mb)
        d["_rank"], d["_world"] = dist.get_rank(), dist.get_world_size()

        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        d["_param_names"] = [n for n, _ in named]
        d["_params"] = [p for _, p in named]
        self._check_same_structure(dist)
        for p in module.parameters():
            dist.broadcast(p.detach(), 0)
        for b in module.buffers():
            dist.broadcast(b, 0)

        d["_buckets"] = self._make_buckets(float(self.bucket_cap_mb) * 2 ** 20)
        d["_bucket_of"] = {i: b for b in self._buckets for i in b.params}
        d["_sync"] = True           # False inside no_sync()
        d["_armed"] = False         # a forward with sync ran: its backward reduces
        d["_ready"] = [False] * len(self._params)
        d["_next_bucket"] = 0
        d["_used"] = None           # find_unused_parameters: per parameter, reached by the last forward
        d["_hooks"] = [p.register_post_accumulate_grad_hook(self._make_hook(i)) for i, p in enumerate(self._params)]
        d["_accumulators"] = None   # find_unused_parameters: the parameters' AccumulateGrad nodes

    # --- construction ---

    def _check_same_structure(self, dist: Any) -> None:
        sig = [_signature("parameter", n, p) for n, p in self.module.named_parameters()]
        sig += [_signature("buffer", n, b) for n, b in self.module.named_buffers()]
        sigs: list[Any] = [None] * self._world
        dist.all_gather_object(sigs, sig)
        for r in range(1, self._world):
            if sigs[r] == sigs[0]:
                continue
            for k in range(max(len(sigs[0]), len(sigs[r]))):
                a = sigs[0][k] if k < len(sigs[0]) else None
                b = sigs[r][k] if k < len(sigs[r]) else None
                if a != b:
                    da = _describe(a) if a else "nothing more"
                    db = _describe(b) if b else "nothing more"
                    raise ValueError(f"{_PREFIX} the ranks hold different models: at entry {k}, rank 0 has {da} "
                                     f"but rank {r} has {db}; every rank must build the same model")

    def _make_buckets(self, cap_bytes: float) -> list[_Bucket]:
        buckets: list[_Bucket] = []
        cur: list[int] = []
        size = 0
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            nbytes = p.numel() * p.element_size()
            if cur and (size + nbytes > cap_bytes or self._params[cur[0]].dtype != p.dtype):
                buckets.append(_Bucket(len(buckets), cur))
                cur, size = [], 0
            cur.append(i)
            size += nbytes
        if cur:
            buckets.append(_Bucket(len(buckets), cur))
        return buckets

    # --- forward ---

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Checks that the last backward finished its reduction, broadcasts the buffers from rank 0
        (``broadcast_buffers``), then returns ``module(*inputs, **kwargs)``."""
        self._check_finished()
        dist = _dist()
        if self.broadcast_buffers:
            for b in self.module.buffers():
                dist.broadcast(b, 0)
        out = self.module(*inputs, **kwargs)
        d = self.__dict__
        sync = self._sync and _core.is_grad_enabled()
        d["_armed"] = sync
        d["_ready"] = [False] * len(self._params)
        d["_next_bucket"] = 0
        for b in self._buckets:
            b.pending, b.work, b.flat = len(b.params), None, None
        d["_used"] = None
        if sync and self.find_unused_parameters:
            self._mark_unused(out)
        return out

    def _check_finished(self) -> None:
        if self._armed and any(self._ready) and self._next_bucket < len(self._buckets):
            missing = [self._param_names[i] for i, r in enumerate(self._ready) if not r]
            self.__dict__["_armed"] = False
            raise RuntimeError(f"{_PREFIX} the last backward did not reduce all gradients: parameters "
                               f"{', '.join(missing)} received no gradient. Pass find_unused_parameters=True "
                               "when parts of the model may be unused in a forward, or make every output "
                               "part of the loss")

    def _mark_unused(self, out: Any) -> None:
        d = self.__dict__
        if d["_accumulators"] is None:
            d["_accumulators"] = [_core._grad_accumulator(p) for p in self._params]
        index = {_core._node_key(a): i for i, a in enumerate(self._accumulators)}
        used = [False] * len(self._params)
        seen: set[int] = set()
        stack = [t.grad_fn if t.grad_fn is not None else _core._grad_accumulator(t)
                 for t in _tensors_in(out) if t.requires_grad]
        while stack:
            node = stack.pop()
            key = _core._node_key(node)
            if key in seen:
                continue
            seen.add(key)
            if key in index:
                used[index[key]] = True
            stack.extend(n for n, _ in node.next_functions if n is not None)
        d["_used"] = used
        for i, u in enumerate(used):
            if not u:
                self._mark_ready(i)

    # --- backward: the reducer ---

    def _make_hook(self, i: int):
        def hook(_param: Any) -> None:
            if self._armed:
                self._mark_ready(i)
        return hook

    def _mark_ready(self, i: int) -> None:
        if self._ready[i]:
            raise RuntimeError(f"{_PREFIX} parameter '{self._param_names[i]}' got its gradient twice in one "
                               "iteration (a second backward through the same forward): not supported")
        self._ready[i] = True
        for b in self._buckets[:self._next_bucket]:  # let MPI progress the buckets in flight
            if b.work is not None:
                b.work.is_completed()
        bucket = self._bucket_of[i]
        bucket.pending -= 1
        if bucket.pending == 0:
            while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending == 0:
                self._launch(self._buckets[self._next_bucket])
                self.__dict__["_next_bucket"] += 1
            if self._next_bucket == len(self._buckets):
                self._finish()

    def _launch(self, bucket: _Bucket) -> None:
        import ember
        dist = _dist()
        with ember.no_grad():
            parts = []
            for i in bucket.params:
                p = self._params[i]
                g = p.grad
                parts.append(g.reshape(-1) if g is not None else ember.zeros((p.numel(),), dtype=p.dtype))
            bucket.flat = ember.cat(parts).contiguous()
        bucket.work = dist.all_reduce(bucket.flat, op=dist.ReduceOp.AVG, async_op=True)

    def _finish(self) -> None:
        import ember
        dist = _dist()
        globally_used = None
        if self._used is not None:
            mask = ember.tensor([1 if u else 0 for u in self._used], dtype=ember.int64)
            dist.all_reduce(mask, op=dist.ReduceOp.SUM)
            globally_used = mask.tolist()
        for bucket in self._buckets:
            bucket.work.wait()
            off = 0
            with ember.no_grad():
                for i in bucket.params:
                    p = self._params[i]
                    n = p.numel()
                    avg = bucket.flat[off:off + n].reshape(tuple(p.shape))
                    off += n
                    if globally_used is not None and globally_used[i] == 0:
                        continue
                    if p.grad is None:
                        p.grad = avg.clone()
                    else:
                        p.grad.copy_(avg)
            bucket.work, bucket.flat = None, None
        self.__dict__["_armed"] = False

    # --- the rest of the API ---

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward accumulates gradients locally without communication; the first backward after
        it (of a forward run outside) averages the accumulated gradients."""
        old = self._sync
        self.__dict__["_sync"] = False
        try:
            yield
        finally:
            self.__dict__["_sync"] = old

    def __del__(self) -> None:
        for h in self.__dict__.get("_hooks", ()):
            h.remove()


def _tensors_in(obj: Any) -> list[Any]:
    """The tensors in a forward's output (a tensor, or nested tuples, lists and dicts of them)."""
    import ember
    if isinstance(obj, ember.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors_in(o)]
    return []
