"""ember.distributed under real mpirun processes (tests/python/distributed_worker.py is one rank), and
DistributedSampler against torch's, index for index. The mpirun tests skip without mpirun or without the
ember._distributed module; each launch has a timeout, so a hang fails instead of blocking the suite."""
import re
from pathlib import Path

import pytest

import ember
import ember.distributed as dist
from _mpi import mpirun as _mpirun, needs_mpi
from ember.utils.data import DistributedSampler

WORKER = Path(__file__).with_name("distributed_worker.py")


def mpirun(n, mode, timeout=60, **env):
    return _mpirun(n, WORKER, mode, timeout=timeout, **env)


@needs_mpi
@pytest.mark.parametrize("n", [2, 3, 4])
def test_collectives(n):
    rc, out = mpirun(n, "collectives")
    assert rc == 0, out
    # the ranks' lines can interleave in mpirun's output ("OK 2OK 1\n\n")
    assert sorted(re.findall(r"OK (\d+)", out)) == [str(r) for r in range(n)], out


@needs_mpi
def test_collectives_thread_serialized():
    # MPI_THREAD_SERIALIZED: every MPI call under ember's lock, async handles polled
    rc, out = mpirun(2, "collectives", EMBER_MPI_THREAD_LEVEL="serialized")
    assert rc == 0, out
    assert sorted(re.findall(r"OK (\d+)", out)) == ["0", "1"], out


@needs_mpi
def test_debug_mode_names_both_shapes():
    rc, out = mpirun(2, "debug", EMBER_DISTRIBUTED_DEBUG="1", EMBER_NUM_THREADS="3")
    assert rc == 0, out
    assert out.count("rank 0 has float32 (2, 3) but rank 1 has float32 (3, 3)") == 2, out


@needs_mpi
@pytest.mark.parametrize("how", ["raise", "kill"])
def test_failing_rank_ends_the_job(how):
    rc, out = mpirun(2, how, timeout=30)
    assert rc != 0, out
    assert "OK 0" not in out, out
    if how == "raise":
        assert "rank 1 failed on purpose" in out, out


@needs_mpi
def test_not_initialized():
    assert not dist.is_initialized()
    for f, args in [(dist.all_reduce, (ember.ones((2,)),)), (dist.barrier, ()), (dist.get_rank, ())]:
        with pytest.raises(RuntimeError, match="not initialized"):
            f(*args)


def test_without_mpi(monkeypatch):
    monkeypatch.setattr(dist, "_C", None)
    assert not dist.is_available() and not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"built without MPI.*apt install libopenmpi-dev openmpi-bin"):
        dist.init_process_group("mpi")
    with pytest.raises(RuntimeError, match="built without MPI"):
        dist.all_reduce(ember.ones((2,)))


def test_bad_backend():
    if not dist.is_available():
        pytest.skip("ember._distributed is missing")
    with pytest.raises(ValueError, match="unknown backend 'gloo'"):
        dist.init_process_group("gloo")


# --- DistributedSampler (no MPI needed) ---

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402


@pytest.mark.parametrize("length", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sampler_matches_torch(monkeypatch, length, replicas, drop_last, shuffle):
    data = list(range(length))

    def torch_permutation(self, n):  # torch's generator, so that both draw the same permutation
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return torch.randperm(n, generator=g).tolist()
    monkeypatch.setattr(DistributedSampler, "_permutation", torch_permutation)
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=shuffle, seed=7, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=shuffle, seed=7, drop_last=drop_last)
        for epoch in (0, 3):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs)


def test_sampler_shards_and_epochs():
    data = list(range(11))
    shards = [list(DistributedSampler(data, 3, r, seed=1)) for r in range(3)]
    assert all(len(s) == 4 for s in shards)
    assert set(sum(shards, [])) == set(data)  # every index, one padded repeat
    assert shards == [list(DistributedSampler(data, 3, r, seed=1)) for r in range(3)]  # the same on every rank
    s = DistributedSampler(data, 3, 0, seed=1)
    s.set_epoch(1)
    assert list(s) != shards[0]


def test_sampler_errors():
    with pytest.raises(ValueError, match="invalid rank 3"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    if not dist.is_initialized():
        with pytest.raises(RuntimeError, match="not initialized"):
            DistributedSampler(range(4))
