"""A DDP job restarted from a checkpoint on a different number of ranks continues as if nothing happened:
2 ranks train (DistributedSampler with set_epoch, global batch 12 split over the ranks, Adam) and rank 0
writes a checkpoint mid-epoch (model, optimizer state, epoch and step; the others wait at a barrier); the
training then resumes from it on 3 ranks, on 1 rank, and in one plain process without MPI, and each ends
with the weights of one process that trained straight through. The shards of a step are the one-process
batch whatever the number of ranks (rank r takes every N-th index of the same permutation), so only the
summation order differs (float64: <= 1e-12).

This file is also the worker: `python test_ddp_restart.py MODE DIR` (MODE: first, resume, resume-plain)."""
import re
import sys

import numpy as np

import ember
from ember import nn, optim
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

GLOBAL_BATCH, SAMPLES, EPOCHS = 12, 36, 3
SAVE_AT = (1, 1)  # (epoch, step): the checkpoint holds the state after this step
TOL = 1e-12


def make_data():
    rng = np.random.default_rng(5)
    return TensorDataset(ember.tensor(rng.standard_normal((SAMPLES, 5))), ember.tensor(rng.standard_normal((SAMPLES, 3))))


def make_model(seed=0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).to(ember.float64)


def run(model, opt, data, rank, world, start=(0, 0), stop=(EPOCHS, 0), on_step=None):
    """Trains from (epoch, step) start up to (but without) stop; on_step(epoch, step) after each step."""
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=7)
    loader = DataLoader(data, batch_size=GLOBAL_BATCH // world, sampler=sampler)
    loss_fn = nn.MSELoss()
    for epoch in range(start[0], EPOCHS):
        sampler.set_epoch(epoch)
        for step, (x, y) in enumerate(loader):
            if (epoch, step) < start:
                continue
            if (epoch, step) >= stop:
                return
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            if on_step is not None:
                on_step(epoch, step)


def reference():
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    run(model, opt, make_data(), 0, 1)
    return model


def compare(model, want, what):
    for (k, a), (_, b) in zip(model.state_dict().items(), want.state_dict().items()):
        err = float(np.max(np.abs(a.numpy() - b.numpy())))
        assert err <= TOL, f"{what}: {k} differs by {err} > {TOL}"


def first(directory):
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp = DDP(make_model(seed=rank))
    opt = optim.Adam(ddp.parameters(), lr=0.01)

    def save(epoch, step):
        if (epoch, step) != SAVE_AT:
            return
        if rank == 0:
            ember.save({"model": ddp.module.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                        "step": step, "world_size": world}, f"{directory}/ckpt.safetensors")
        dist.barrier()
    run(ddp, opt, make_data(), rank, world, on_step=save)  # trains on to the end: the restart is from SAVE_AT
    compare(ddp.module, reference(), f"straight through on {world} ranks")


def next_position(ckpt):
    epoch, step = ckpt["epoch"], ckpt["step"] + 1
    return (epoch + 1, 0) if step * GLOBAL_BATCH >= SAMPLES else (epoch, step)


def resume(directory):
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP
    rank, world = dist.get_rank(), dist.get_world_size()
    ckpt = ember.load(f"{directory}/ckpt.safetensors")
    assert ckpt["world_size"] == 2 and (ckpt["epoch"], ckpt["step"]) == SAVE_AT, ckpt
    model = make_model(seed=100 + rank)
    model.load_state_dict(ckpt["model"])
    ddp = DDP(model)
    opt = optim.Adam(ddp.parameters(), lr=0.01)
    opt.load_state_dict(ckpt["optimizer"])
    run(ddp, opt, make_data(), rank, world, start=next_position(ckpt))
    compare(ddp.module, reference(), f"resumed on {world} ranks")


def resume_plain(directory):
    ckpt = ember.load(f"{directory}/ckpt.safetensors")
    model = make_model(seed=100)
    model.load_state_dict(ckpt["model"])
    opt = optim.Adam(model.parameters(), lr=0.01)
    opt.load_state_dict(ckpt["optimizer"])
    run(model, opt, make_data(), 0, 1, start=next_position(ckpt))
    compare(model, reference(), "resumed in one plain process")


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "resume-plain":
        resume_plain(directory)
        print("OK 0", flush=True)
        return
    import ember.distributed as dist
    dist.init_process_group("mpi")
    {"first": first, "resume": resume}[mode](directory)
    print(f"OK {dist.get_rank()}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
else:
    import pytest
    from _mpi import launch, mpirun, needs_mpi

    def assert_ok(n, rc, out):
        assert rc == 0, out
        assert sorted(re.findall(r"OK (\d+)", out)) == [str(r) for r in range(n)], out

    @pytest.fixture(scope="module")
    def checkpoint(tmp_path_factory):
        directory = tmp_path_factory.mktemp("restart")
        assert_ok(2, *mpirun(2, __file__, "first", directory, EMBER_NUM_THREADS="1"))
        return directory

    @needs_mpi
    @pytest.mark.parametrize("n", [3, 1])
    def test_resume_on_other_rank_count(checkpoint, n):
        assert_ok(n, *mpirun(n, __file__, "resume", checkpoint, EMBER_NUM_THREADS="1"))

    @needs_mpi
    def test_resume_in_one_plain_process(checkpoint):
        assert_ok(1, *launch([sys.executable, __file__, "resume-plain", checkpoint], EMBER_NUM_THREADS="1"))

    def test_resume_position():
        assert next_position({"epoch": 0, "step": 1}) == (0, 2)
        assert next_position({"epoch": 0, "step": SAMPLES // GLOBAL_BATCH - 1}) == (1, 0)
