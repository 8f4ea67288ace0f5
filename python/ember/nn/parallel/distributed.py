"""``DistributedDataParallel``: one model replica per process (rank), gradients averaged over the ranks
during ``backward()``, so that every rank takes the step one process would take on the whole batch.

The gradient reduction is C++'s ``ember::distributed::Reducer`` (include/ember/distributed/reducer.hpp, which
documents it; the C++ DistributedDataParallel uses the same one): buckets of at most ``bucket_cap_mb`` in
reverse registration order, each all-reduced (AVG, async) as soon as its gradients are ready, so the
communication overlaps the rest of backward. This class keeps the module plumbing: the structure check,
broadcasts, a post-accumulate-grad hook per parameter that hands its ``.grad`` to the reducer (the GIL is
released while MPI works), and the ``find_unused_parameters`` walk of the autograd graph.
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
    ``device_ids``/``output_device`` (GPUs) raise NotImplementedError. ``process_group`` (from
    ``ember.distributed.new_group``) limits the averaging, the structure check and the broadcasts (from the
    group's first rank) to its members. The state dict has PyTorch's ``module.`` prefix."""

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
        if gradient_as_bucket_view:
            raise NotImplementedError(f"{_PREFIX} gradient_as_bucket_view=True is not implemented: gradients are "
                                      "copied out of the buckets")
        from ... import distributed as d
        if process_group is d.GroupMember.NON_GROUP_MEMBER:
            raise ValueError(f"{_PREFIX} this rank is not a member of process_group: only its members wrap the model")
        if process_group is not None and (d.ProcessGroup is None or not isinstance(process_group, d.ProcessGroup)):
            raise TypeError(f"{_PREFIX} process_group must be None or a group made by ember.distributed.new_group, "
                            f"got {type(process_group).__name__}")
        dist = _dist()
        self.module = module
        d = self.__dict__  # plain attributes: not submodules, not state
        d.update(device_ids=device_ids, output_device=output_device, dim=dim, broadcast_buffers=broadcast_buffers,
                 process_group=process_group, find_unused_parameters=find_unused_parameters,
                 gradient_as_bucket_view=False, static_graph=static_graph,
                 bucket_cap_mb=25 if bucket_cap_mb is None else bucket_cap_mb)
        d["_world"] = dist.get_world_size(process_group)
        d["_root"] = dist.get_global_rank(process_group, 0)  # every rank takes its parameters and buffers

        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        d["_params"] = [p for _, p in named]
        self._check_same_structure(dist)
        for p in module.parameters():
            dist.broadcast(p.detach(), self._root, process_group)
        for b in module.buffers():
            dist.broadcast(b, self._root, process_group)

        from ... import _distributed
        d["_reducer"] = _distributed.Reducer(
            [(n, dist._DTYPE_CODES[p.dtype], p.numel()) for n, p in named], float(self.bucket_cap_mb),
            "Pass find_unused_parameters=True when parts of the model may be unused in a forward, or make every "
            "output part of the loss", process_group)
        d["_grads"] = {}            # the gradients handed to the reducer, alive until it finished
        d["_fresh"] = {}            # find_unused_parameters: zero gradients made for parameters without .grad
        d["_hooks"] = [p.register_post_accumulate_grad_hook(self._make_hook(i)) for i, p in enumerate(self._params)]
        d["_accumulators"] = None   # find_unused_parameters: the parameters' AccumulateGrad nodes

    @property
    def _buckets(self) -> list[list[int]]:
        """The parameter indices of each bucket, in launch order."""
        return self._reducer.bucket_indices()

    # --- construction ---

    def _check_same_structure(self, dist: Any) -> None:
        from ... import _distributed
        entries = [(kind, n, dist._DTYPE_CODES[t.dtype], list(t.shape))
                   for kind, named in (("parameter", self.module.named_parameters()),
                                       ("buffer", self.module.named_buffers())) for n, t in named]
        _distributed.check_same_model(entries, self._root, self.process_group)

    # --- forward ---

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Checks that the last backward finished its reduction, broadcasts the buffers from rank 0
        (``broadcast_buffers``), then returns ``module(*inputs, **kwargs)``."""
        self._reducer.check_finished()
        dist = _dist()
        if self.broadcast_buffers:
            for b in self.module.buffers():
                dist.broadcast(b, self._root, self.process_group)
        out = self.module(*inputs, **kwargs)
        find_unused = bool(self.find_unused_parameters)
        self._reducer.prepare(_core.is_grad_enabled(), find_unused)
        self._grads.clear()
        self._fresh.clear()
        if find_unused and self._reducer.armed:
            self._mark_unused(out)
        return out

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
        import ember
        for i, u in enumerate(used):
            if u:
                continue
            p = self._params[i]
            g = p.grad
            if g is None:  # zeros enter the average; becomes .grad if another rank used p
                g = self._fresh[i] = ember.zeros(tuple(p.shape), dtype=p.dtype)
            if self._reducer.mark_unused(i, self._grad_buffer(i, g)):
                self._finished()

    # --- backward: the reducer ---

    def _make_hook(self, i: int):
        reducer = self._reducer

        def hook(param: Any) -> None:
            if reducer.armed and reducer.mark_ready(i, self._grad_buffer(i, param.grad)):
                self._finished()
        return hook

    def _grad_buffer(self, i: int, g: Any) -> tuple:
        from ... import distributed as dist
        if not g.is_contiguous():
            g = g.contiguous()
            if i not in self._fresh:
                self._params[i].grad = g
        self._grads[i] = g
        return dist._buf(g)

    def _finished(self) -> None:
        """After the reduction: the parameters that got a zero gradient here but were used elsewhere take it."""
        for i, g in self._fresh.items():
            if self._reducer.globally_used(i):
                self._params[i].grad = g
        self._grads.clear()
        self._fresh.clear()

    # --- the rest of the API ---

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward accumulates gradients locally without communication; the first backward after
        it (of a forward run outside) averages the accumulated gradients."""
        old = self._reducer.sync
        self._reducer.sync = False
        try:
            yield
        finally:
            self._reducer.sync = old

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
