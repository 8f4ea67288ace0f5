"""One rank of the DistributedDataParallel tests (tests/python/test_ddp.py runs it under mpirun).

    mpirun -n N python ddp_worker.py train DTYPE OPT DIR   N ranks on shards == one process on the batch,
                                                           with a save/load round trip in the middle
    mpirun -n N python ddp_worker.py batchnorm             BatchNorm buffers from rank 0 (N replicas simulated)
    mpirun -n N python ddp_worker.py nosync DTYPE          no_sync accumulation == the big-batch step
    mpirun -n 2 python ddp_worker.py mismatch              ranks building different models: a clear error
    mpirun -n N python ddp_worker.py unused                find_unused_parameters True / False
    mpirun -n N python ddp_worker.py group                 two models, each in its process_group (N >= 3)
    mpirun -n N python ddp_worker.py overlap               a bucket's all-reduce starts during backward

Every rank also computes the reference (one process, whole batch) itself and compares. Prints "OK <rank>".
"""
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn, optim
from ember.nn.parallel import DistributedDataParallel as DDP

DTYPES = {"float32": (ember.float32, 1e-6), "float64": (ember.float64, 1e-12)}
BATCH = 24  # divisible by 2, 3 and 4 (and by 2 micro-batches of each shard)
STEPS = 4


def make_model(dtype, seed=0, hidden=8):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, hidden), nn.Tanh(), nn.Linear(hidden, 3)).to(dtype)


def batch(dtype, step):
    rng = np.random.default_rng(100 + step)
    x = rng.standard_normal((BATCH, 5))
    y = rng.standard_normal((BATCH, 3))
    return ember.tensor(x).to(dtype), ember.tensor(y).to(dtype)


def shard(t, rank, world):
    n = t.shape[0] // world
    return t[rank * n:(rank + 1) * n]


def make_opt(name, params):
    if name == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    return optim.Adam(params, lr=0.01)


def weights(model):
    return {k: v.detach().double().numpy().copy() for k, v in model.state_dict().items()}


def compare(got, want, tol, what):
    assert got.keys() == want.keys(), (sorted(got), sorted(want))
    for k in want:
        err = float(np.max(np.abs(got[k] - want[k]))) if want[k].size else 0.0
        if not err <= tol:
            raise AssertionError(f"rank {dist.get_rank()}: {what}: {k} differs by {err} > {tol}")


def same_on_all_ranks(w, what):
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, w)
    for r, other in enumerate(everyone):
        compare(other, w, 0.0, f"{what}: rank {r} against rank {dist.get_rank()}")


def train(dtype_name, opt_name, directory):
    dtype, tol = DTYPES[dtype_name]
    rank, world = dist.get_rank(), dist.get_world_size()
    # different initial weights on every rank: DDP broadcasts rank 0's
    ddp = DDP(make_model(dtype, seed=rank), bucket_cap_mb=0.0001)  # ~100 bytes: several buckets
    assert len(ddp._buckets) > 1, len(ddp._buckets)
    ref = make_model(dtype, seed=0)
    opt, ref_opt = make_opt(opt_name, ddp.parameters()), make_opt(opt_name, ref.parameters())
    loss_fn = nn.MSELoss()
    for step in range(STEPS):
        x, y = batch(dtype, step)
        opt.zero_grad()
        loss_fn(ddp(shard(x, rank, world)), shard(y, rank, world)).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(x), y).backward()
        ref_opt.step()
        if step == 1:  # checkpoint written by rank 0 only, read by all
            path = f"{directory}/ckpt.ember"
            state = {"model": ddp.state_dict(), "opt": opt.state_dict()}
            assert all(k.startswith("module.") for k in state["model"]), list(state["model"])
            if rank == 0:
                ember.save(state, path)
            dist.barrier()
            loaded = ember.load(path)
            ddp = DDP(make_model(dtype, seed=50 + rank), bucket_cap_mb=0.0001)
            ddp.load_state_dict(loaded["model"])
            opt = make_opt(opt_name, ddp.parameters())
            opt.load_state_dict(loaded["opt"])
    w = {k[len("module."):]: v for k, v in weights(ddp).items()}
    compare(w, weights(ref), tol, f"{dtype_name} {opt_name} N={world} against one process")
    same_on_all_ranks(w, "weights")


def batchnorm():
    dtype = ember.float64
    rank, world = dist.get_rank(), dist.get_world_size()

    def model(seed):
        ember.manual_seed(seed)
        return nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)).to(dtype)
    ddp = DDP(model(rank))
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    # the reference: N replicas in this process, buffers copied from replica 0 before each forward,
    # gradients averaged by hand
    reps = [model(0) for _ in range(world)]
    ref_opts = [optim.SGD(m.parameters(), lr=0.1) for m in reps]
    loss_fn = nn.MSELoss()
    for step in range(STEPS):
        x, y = batch(dtype, step)
        opt.zero_grad()
        loss_fn(ddp(shard(x, rank, world)), shard(y, rank, world)).backward()
        opt.step()
        bufs = {k: v.clone() for k, v in reps[0].named_buffers()}
        for r, m in enumerate(reps):
            for k, v in m.named_buffers():
                with ember.no_grad():
                    v.copy_(bufs[k])
            ref_opts[r].zero_grad()
            loss_fn(m(shard(x, r, world)), shard(y, r, world)).backward()
        with ember.no_grad():
            for ps in zip(*(m.parameters() for m in reps)):
                avg = sum(p.grad for p in ps) / world
                for p in ps:
                    p.grad.copy_(avg)
        for o in ref_opts:
            o.step()
    compare({k[len("module."):]: v for k, v in weights(ddp).items()}, weights(reps[rank]), 1e-12,
            f"BatchNorm N={world} against {world} simulated replicas")
    ddp.eval()
    ddp(shard(batch(dtype, 0)[0], rank, world))  # eval: buffers broadcast, not updated
    same_on_all_ranks(weights(ddp), "weights and BatchNorm buffers")


def nosync(dtype_name):
    dtype, tol = DTYPES[dtype_name]
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp, ref = DDP(make_model(dtype, seed=rank)), make_model(dtype)
    opt, ref_opt = make_opt("sgd", ddp.parameters()), make_opt("sgd", ref.parameters())
    loss_fn = nn.MSELoss()
    for step in range(2):
        x, y = batch(dtype, step)
        xs, ys = shard(x, rank, world), shard(y, rank, world)
        half = xs.shape[0] // 2
        opt.zero_grad()
        with ddp.no_sync():
            (loss_fn(ddp(xs[:half]), ys[:half]) / 2).backward()
        local = [p.grad.clone() for p in ddp.parameters()]
        (loss_fn(ddp(xs[half:]), ys[half:]) / 2).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(x), y).backward()
        ref_opt.step()
        if world > 1 and step == 0:  # inside no_sync nothing was averaged: the ranks' gradients differ
            everyone = [None] * world
            dist.all_gather_object(everyone, [g.numpy() for g in local])
            assert not np.allclose(everyone[0][0], everyone[1][0]), "no_sync averaged the gradients"
    compare({k[len("module."):]: v for k, v in weights(ddp).items()}, weights(ref), tol,
            f"no_sync {dtype_name} N={world}")


def mismatch():
    rank = dist.get_rank()
    try:
        DDP(make_model(ember.float32, hidden=8 if rank == 0 else 9))
    except ValueError as e:
        print(f"ERROR {rank}: {e}", flush=True)
        return
    raise AssertionError("no error for different models")


class Branchy(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        ember.manual_seed(0)
        self.a = nn.Linear(5, 3).to(dtype)
        self.b = nn.Linear(5, 3).to(dtype)       # used on rank 0 only
        self.never = nn.Linear(5, 3).to(dtype)   # used nowhere

    def forward(self, x, use_b):
        out = self.a(x)
        return out + self.b(x) if use_b else out


def unused():
    dtype = ember.float64
    rank, world = dist.get_rank(), dist.get_world_size()
    loss_fn = nn.MSELoss()
    # find_unused_parameters=False: the next forward names the parameters that got no gradient
    ddp = DDP(Branchy(dtype))
    x, y = batch(dtype, 0)
    loss_fn(ddp(shard(x, rank, world), True), shard(y, rank, world)).backward()
    try:
        ddp(shard(x, rank, world), True)
    except RuntimeError as e:
        assert "never.weight" in str(e) and "find_unused_parameters=True" in str(e), str(e)
        print(f"UNUSED-ERROR {rank}", flush=True)
    else:
        raise AssertionError("no error for a parameter without gradient")
    # find_unused_parameters=True: equal to one process summing the ranks' losses
    ddp = DDP(Branchy(dtype), find_unused_parameters=True)
    ref = Branchy(dtype)
    opt, ref_opt = optim.SGD(ddp.parameters(), lr=0.1), optim.SGD(ref.parameters(), lr=0.1)
    for step in range(3):
        x, y = batch(dtype, step)
        opt.zero_grad()
        loss_fn(ddp(shard(x, rank, world), rank == 0), shard(y, rank, world)).backward()
        assert ddp.module.never.weight.grad is None  # unused on every rank: left alone
        opt.step()
        ref_opt.zero_grad()
        total = sum(loss_fn(ref(shard(x, r, world), r == 0), shard(y, r, world)) for r in range(world)) / world
        total.backward()
        ref_opt.step()
    compare({k[len("module."):]: v for k, v in weights(ddp).items()}, weights(ref), 1e-12,
            f"find_unused_parameters N={world}")


def group():
    dtype, tol = DTYPES["float64"]
    rank, world = dist.get_rank(), dist.get_world_size()
    ends = dist.new_group([0, world - 1])
    middle = dist.new_group(range(1, world - 1))
    g, which = (ends, 0) if rank in (0, world - 1) else (middle, 1)
    k, size = dist.get_rank(g), dist.get_world_size(g)
    root = dist.get_global_rank(g, 0)
    ddp = DDP(make_model(dtype, seed=rank), process_group=g)  # the group's first rank's weights
    ref = make_model(dtype, seed=root)
    opt, ref_opt = make_opt("adam", ddp.parameters()), make_opt("adam", ref.parameters())
    loss_fn = nn.MSELoss()
    for step in range(STEPS):
        x, y = batch(dtype, 10 * which + step)  # each group its own data
        opt.zero_grad()
        loss_fn(ddp(shard(x, k, size)), shard(y, k, size)).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(x), y).backward()
        ref_opt.step()
    w = {k_[len("module."):]: v for k_, v in weights(ddp).items()}
    compare(w, weights(ref), tol, f"group {which} of {size} ranks against one process")
    everyone = [None] * size
    dist.all_gather_object(everyone, w, group=g)
    for other in everyone:
        compare(other, w, 0.0, "weights within the group")


def overlap():
    dtype = ember.float64
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp = DDP(make_model(dtype), bucket_cap_mb=0.0001)  # buckets [2.bias], [2.weight], [0.bias], [0.weight]
    assert ddp._buckets == [[3], [2], [1], [0]], ddp._buckets
    started = []
    params = list(ddp.module.parameters())
    for p in (params[3], params[0]):  # hooks run in registration order: after DDP's own
        p.register_post_accumulate_grad_hook(lambda _p: started.append(ddp._reducer.buckets_started))
    x, y = batch(dtype, 0)
    nn.MSELoss()(ddp(shard(x, rank, world)), shard(y, rank, world)).backward()
    # the first gradient of backward (2.bias) had its bucket's all-reduce started at once, while the
    # first layer's gradients were still to come; by the last one, every bucket
    assert started == [1, 4], started


def main():
    dist.init_process_group("mpi")
    mode, args = sys.argv[1], sys.argv[2:]
    {"train": train, "batchnorm": batchnorm, "nosync": nosync, "mismatch": mismatch, "unused": unused,
     "group": group, "overlap": overlap}[mode](*args)
    print(f"OK {dist.get_rank()}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
