"""DistributedDataParallel under real mpirun processes (tests/python/ddp_worker.py is one rank): N ranks on
shards of a batch end with the weights one process gets on the whole batch. Each launch has a timeout."""
import re
from pathlib import Path

import pytest

import ember.distributed as dist
from _mpi import mpirun as _mpirun, needs_mpi

WORKER = Path(__file__).with_name("ddp_worker.py")
pytestmark = needs_mpi


def mpirun(n, *args, timeout=60):
    return _mpirun(n, WORKER, *args, timeout=timeout, EMBER_NUM_THREADS="1")


def assert_ok(n, rc, out):
    assert rc == 0, out
    assert sorted(re.findall(r"OK (\d+)", out)) == [str(r) for r in range(n)], out


@pytest.mark.parametrize("n,dtype,opt", [(2, "float64", "sgd"), (3, "float64", "adam"), (4, "float32", "adam"),
                                         (2, "float32", "sgd"), (4, "float64", "sgd"), (3, "float32", "adam"),
                                         (2, "float64", "adam"), (3, "float64", "sgd")])
def test_ranks_match_one_process(tmp_path, n, dtype, opt):
    assert_ok(n, *mpirun(n, "train", dtype, opt, tmp_path))


@pytest.mark.parametrize("n", [2, 3])
def test_batchnorm_buffers_from_rank0(n):
    assert_ok(n, *mpirun(n, "batchnorm"))


@pytest.mark.parametrize("n,dtype", [(2, "float64"), (4, "float32")])
def test_no_sync_accumulation(n, dtype):
    assert_ok(n, *mpirun(n, "nosync", dtype))


def test_structure_mismatch():
    rc, out = mpirun(2, "mismatch")
    assert_ok(2, rc, out)
    msg = ("the ranks hold different models: at entry 0, rank 0 has parameter '0.weight' float32 (8, 5) but "
           "rank 1 has parameter '0.weight' float32 (9, 5)")
    assert out.count(msg) == 2, out


@pytest.mark.parametrize("n", [2, 3])
def test_unused_parameters(n):
    rc, out = mpirun(n, "unused")
    assert_ok(n, rc, out)
    assert len(re.findall(r"UNUSED-ERROR \d", out)) == n, out


def test_options_refused():
    from ember import nn
    for kw, name in [({"gradient_as_bucket_view": True}, "gradient_as_bucket_view"),
                     ({"device_ids": [0]}, "device_ids")]:
        with pytest.raises(NotImplementedError, match=name):
            nn.parallel.DistributedDataParallel(nn.Linear(2, 2), **kw)
    with pytest.raises(TypeError, match="process_group must be None or a group made by"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), process_group=object())
    with pytest.raises(ValueError, match="not a member of process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), process_group=dist.GroupMember.NON_GROUP_MEMBER)


@pytest.mark.parametrize("n", [3, 4])
def test_process_group(n):
    # the ranks 0 and n-1 train one model in their group, the others another one in theirs
    assert_ok(n, *mpirun(n, "group"))


@pytest.mark.parametrize("n", [2])
def test_bucket_starts_during_backward(n):
    assert_ok(n, *mpirun(n, "overlap"))
