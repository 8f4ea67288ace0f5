"""One rank of the ember.distributed tests (tests/python/test_distributed.py runs it under mpirun).

    mpirun -n N python distributed_worker.py collectives   every collective, op and dtype against NumPy
    mpirun -n 2 python distributed_worker.py debug         EMBER_DISTRIBUTED_DEBUG's shape check, EMBER_NUM_THREADS
    mpirun -n 2 python distributed_worker.py raise|kill    rank 1 fails while rank 0 waits in a barrier

Each rank's inputs are a function of (rank, dtype, op), so every rank computes the expected result of a
collective from all ranks' inputs with NumPy. Prints "OK <rank>" at the end.
"""
import os
import sys

import numpy as np

import ember
import ember.distributed as dist

DTYPES = {"float32": (ember.float32, np.float32), "float64": (ember.float64, np.float64), "int64": (ember.int64, np.int64)}
SHAPE = (3, 4)


def data(rank, np_dtype, salt=0, shape=SHAPE):
    rng = np.random.default_rng(1000 * rank + salt)
    if np.issubdtype(np_dtype, np.integer):
        return rng.integers(-3, 4, size=shape).astype(np_dtype)
    return rng.uniform(0.5, 1.5, size=shape).astype(np_dtype)


def check(got, want, what):
    got = np.asarray(got)
    if np.issubdtype(want.dtype, np.integer):
        ok = np.array_equal(got, want)
    else:
        ok = np.allclose(got, want, rtol=1e-5 if want.dtype == np.float32 else 1e-12, atol=0)
    if not ok:
        raise AssertionError(f"rank {dist.get_rank()}: {what}: got {got.tolist()}, want {want.tolist()}")


def expect_error(exc, fragments, f, *args, **kwargs):
    try:
        f(*args, **kwargs)
    except exc as e:
        for frag in fragments:
            if frag not in str(e):
                raise AssertionError(f"{exc.__name__} {str(e)!r} does not mention {frag!r}")
        return str(e)
    raise AssertionError(f"{f.__name__} did not raise {exc.__name__}")


def reduce_np(xs, op, n):
    stack = np.stack(xs)
    if op == "SUM":
        return stack.sum(0)
    if op == "AVG":
        s = stack.sum(0)
        return s // n if np.issubdtype(s.dtype, np.integer) else s / n
    if op == "PRODUCT":
        return stack.prod(0)
    return stack.min(0) if op == "MIN" else stack.max(0)


def collectives():
    r, n = dist.get_rank(), dist.get_world_size()
    want_level = "MPI_THREAD_SERIALIZED" if os.environ.get("EMBER_MPI_THREAD_LEVEL") else "MPI_THREAD_MULTIPLE"
    assert dist._C.thread_level() == want_level, dist._C.thread_level()
    for name, (edt, ndt) in DTYPES.items():
        for salt, op in enumerate(["SUM", "AVG", "PRODUCT", "MIN", "MAX"]):
            xs = [data(k, ndt, salt) for k in range(n)]
            want = reduce_np(xs, op, n)
            t = ember.from_numpy(xs[r].copy())
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            check(t.numpy(), want, f"all_reduce {op} {name}")
            t = ember.from_numpy(xs[r].copy())
            dist.reduce(t, dst=n - 1, op=getattr(dist.ReduceOp, op))
            check(t.numpy(), want if r == n - 1 else xs[r], f"reduce {op} {name}")
            # reduce_scatter_tensor: input (n * 2, 4) per rank, rank r keeps rows 2r, 2r+1 of the reduction
            ins = [data(k, ndt, 50 + salt, (2 * n, 4)) for k in range(n)]
            out = ember.empty((2, 4), dtype=edt)
            dist.reduce_scatter_tensor(out, ember.from_numpy(ins[r]), op=getattr(dist.ReduceOp, op))
            check(out.numpy(), reduce_np(ins, op, n)[2 * r: 2 * r + 2], f"reduce_scatter_tensor {op} {name}")
        xs = [data(k, ndt, 9) for k in range(n)]
        x = ember.from_numpy(xs[r].copy())
        t = ember.from_numpy(xs[r].copy())
        dist.broadcast(t, src=1 % n)
        check(t.numpy(), xs[1 % n], f"broadcast {name}")
        out = ember.empty((n * 3, 4), dtype=edt)
        dist.all_gather_into_tensor(out, x)
        check(out.numpy(), np.concatenate(xs), f"all_gather_into_tensor {name}")
        parts = [ember.empty(SHAPE, dtype=edt) for _ in range(n)]
        dist.all_gather(parts, x)
        for k in range(n):
            check(parts[k].numpy(), xs[k], f"all_gather {name} [{k}]")
        glist = [ember.empty(SHAPE, dtype=edt) for _ in range(n)] if r == 0 else None
        dist.gather(x, glist, dst=0)
        if r == 0:
            for k in range(n):
                check(glist[k].numpy(), xs[k], f"gather {name} [{k}]")
        slist = [ember.from_numpy(data(k, ndt, 77)) for k in range(n)] if r == n - 1 else None
        out = ember.empty(SHAPE, dtype=edt)
        dist.scatter(out, slist, src=n - 1)
        check(out.numpy(), data(r, ndt, 77), f"scatter {name}")

    # a non-contiguous tensor: reduced through a contiguous copy, written back into the view
    base = ember.from_numpy(data(r, np.float64, 3))
    view = base.t()
    dist.all_reduce(view)
    check(base.numpy(), sum(data(k, np.float64, 3) for k in range(n)), "all_reduce of a transposed view")

    # async handles
    t = ember.from_numpy(data(r, np.float32, 4))
    w = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert w.wait() is True and w.is_completed()
    check(t.numpy(), sum(data(k, np.float32, 4) for k in range(n)) / n, "async all_reduce AVG")
    big = ember.ones((1 << 16,), dtype=ember.float32)
    works = [dist.all_reduce(big, async_op=True), dist.barrier(async_op=True)]
    for w in works:
        w.wait()
    check(big.numpy()[:3], np.full(3, n, np.float32), "two async ops in flight")
    out = ember.empty((n, 3, 4), dtype=ember.int64)
    dist.all_gather_into_tensor(out, ember.from_numpy(data(r, np.int64, 5)), async_op=True).wait()
    check(out.numpy(), np.stack([data(k, np.int64, 5) for k in range(n)]), "async all_gather_into_tensor")

    # a 0-d tensor, an empty one, and the other collectives with async_op
    z = ember.tensor(float(r + 1), dtype=ember.float64)
    dist.all_reduce(z, op=dist.ReduceOp.PRODUCT)
    check(z.numpy(), np.array(float(np.prod(np.arange(1, n + 1)))), "all_reduce of a 0-d tensor")
    e = ember.empty((0, 3))
    dist.all_reduce(e)
    dist.broadcast(e, 0)
    assert tuple(e.shape) == (0, 3)
    t = ember.from_numpy(data(r, np.float64, 8))
    dist.broadcast(t, src=0, async_op=True).wait()
    check(t.numpy(), data(0, np.float64, 8), "async broadcast")
    out = ember.empty((1, 4), dtype=ember.float64)
    w = dist.reduce_scatter_tensor(out, ember.from_numpy(data(r, np.float64, 8, (n, 4))), op=dist.ReduceOp.MAX,
                                   async_op=True)
    w.wait()
    check(out.numpy(), np.max([data(k, np.float64, 8, (n, 4)) for k in range(n)], 0)[r: r + 1], "async reduce_scatter")
    glist = [ember.empty(SHAPE, dtype=ember.float64) for _ in range(n)] if r == 0 else None
    dist.gather(ember.from_numpy(data(r, np.float64, 8)), glist, dst=0, async_op=True).wait()
    if r == 0:
        check(np.stack([g.numpy() for g in glist]), np.stack([data(k, np.float64, 8) for k in range(n)]), "async gather")
    out = ember.empty(SHAPE, dtype=ember.float64)
    slist = [ember.from_numpy(data(k, np.float64, 8)) for k in range(n)] if r == 0 else None
    dist.scatter(out, slist, src=0, async_op=True).wait()
    check(out.numpy(), data(r, np.float64, 8), "async scatter")

    # point to point: a ring
    msg = ember.from_numpy(data(r, np.float64, 6))
    got = ember.empty(SHAPE, dtype=ember.float64)
    w = dist.isend(msg, (r + 1) % n)
    dist.recv(got, (r - 1) % n)
    w.wait()
    check(got.numpy(), data((r - 1) % n, np.float64, 6), "isend/recv ring")

    # Python objects
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": r, "pad": "x" * r})
    assert objs == [{"rank": k, "pad": "x" * k} for k in range(n)], objs
    lst = [{"a": 1}, "two", 3.0] if r == 0 else [None, None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [{"a": 1}, "two", 3.0], lst

    # local errors (every rank raises the same, so the ranks stay in step)
    expect_error(ValueError, ["all_gather_into_tensor", "world_size"], dist.all_gather_into_tensor,
                 ember.empty((n * 3 + 1,)), ember.ones((3,)))
    expect_error(ValueError, ["reduce_scatter_tensor", "world_size"], dist.reduce_scatter_tensor,
                 ember.empty((2,)), ember.ones((2 * n + 1,)))
    expect_error(TypeError, ["all_gather_into_tensor", "int64", "float32"], dist.all_gather_into_tensor,
                 ember.empty((n * 3,), dtype=ember.int64), ember.ones((3,)))
    expect_error(IndexError, ["broadcast", "out of range"], dist.broadcast, ember.ones((2,)), n)
    expect_error(IndexError, ["reduce", "out of range"], dist.reduce, ember.ones((2,)), -1)
    expect_error(ValueError, ["all_gather", "world_size"], dist.all_gather, [ember.ones((2,))] * (n + 1), ember.ones((2,)))

    # thread sizing: the cores of the node shared among its ranks, within this rank's affinity
    local = dist.get_local_world_size()
    if "OMP_NUM_THREADS" not in os.environ and "EMBER_NUM_THREADS" not in os.environ:
        want = max(1, min(os.cpu_count() // local, len(os.sched_getaffinity(0))))
        assert ember.get_num_threads() == want, (ember.get_num_threads(), want)
    dist.barrier()


def debug():
    r, n = dist.get_rank(), dist.get_world_size()
    assert ember.get_num_threads() == int(os.environ["EMBER_NUM_THREADS"])
    t = ember.ones((2, 3) if r == 0 else (3, 3))
    msg = expect_error(ValueError, ["all_reduce", "rank 0 has float32 (2, 3)", "rank 1 has float32 (3, 3)"],
                       dist.all_reduce, t)
    print(f"rank {r}: {msg}", flush=True)
    expect_error(ValueError, ["broadcast", "float64"], dist.broadcast,
                 ember.ones((2,), dtype=ember.float64 if r == 1 else ember.float32), 0)
    expect_error(ValueError, ["rank 0 reduces with SUM but rank 1 with MAX"], dist.all_reduce, ember.ones((2,)),
                 dist.ReduceOp.SUM if r == 0 else dist.ReduceOp.MAX)
    expect_error(ValueError, ["rank 0 called all_reduce but rank 1 called barrier"],
                 *((dist.all_reduce, ember.ones((2,))) if r == 0 else (dist.barrier,)))
    t = ember.ones((4,))
    dist.all_reduce(t)  # matching calls still work after the refused ones
    check(t.numpy(), np.full(4, n, np.float32), "all_reduce after the debug errors")


def fail(how):
    r = dist.get_rank()
    if r == 1:
        if how == "kill":
            os.kill(os.getpid(), 9)
        raise RuntimeError("rank 1 failed on purpose")
    dist.barrier()  # would wait forever without the abort
    dist.barrier()


if __name__ == "__main__":
    mode = sys.argv[1]
    dist.init_process_group("mpi")
    {"collectives": collectives, "debug": debug, "raise": lambda: fail("raise"), "kill": lambda: fail("kill")}[mode]()
    print(f"OK {dist.get_rank()}", flush=True)
    dist.destroy_process_group()
