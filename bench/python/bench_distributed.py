#!/usr/bin/env python3
"""Data-parallel training over MPI: ember.distributed beside a bare MPI_Allreduce and PyTorch's DDP (gloo).

Usage::

    PYTHONPATH=python python bench/python/bench_distributed.py [--quick] [--json results.json]

Every figure comes from 2 ranks launched with ``mpirun -n 2`` (``--oversubscribe``, each rank on 1 thread):

- **all_reduce bandwidth**: ``ember.distributed.all_reduce`` (float32, SUM, in place) of 1, 16 and 64 MB
  beside a bare ``MPI_Allreduce`` on the same buffer in the same processes (OpenMPI's C function through
  ctypes), calls alternating, each after a barrier; the median of each, and ember's bandwidth as a percentage
  of the bare call's (the issue's target: >= 90 %).
- **DDP step overhead**: one training step of the demo's Fashion-MNIST CNN on 64 images per rank under
  ``DistributedDataParallel``, beside the same step on the same rank without DDP (no communication): the
  ratio shows how much of the all-reduce the overlap with backward hides (target: <= 1.15x).
- **Weak scaling**: the epoch time of the CNN over 64 images per step, 1 rank on n images beside 2 ranks on
  n images each (efficiency = t(1 rank) / t(2 ranks); 1.0 is perfect), ember (MPI) beside PyTorch's DDP with
  its gloo backend, in the same run. On a machine with as many cores as ranks, the cores are the limit.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_ops import arg_parser, fmt, machine_info, write_json

HERE = Path(__file__).resolve()
ALLREDUCE_MB = (1, 16, 64)
PER_RANK = 64
TARGETS = {"bandwidth_pct": 90, "ddp_overhead": 1.15}


def _rank_env() -> tuple[int, int]:
    return int(os.environ.get("OMPI_COMM_WORLD_RANK", 0)), int(os.environ.get("OMPI_COMM_WORLD_SIZE", 1))


def rank_allreduce(iters: int) -> dict:
    import ctypes

    import ember
    import ember.distributed as dist

    dist.init_process_group("mpi")
    libmpi = ctypes.CDLL("libmpi.so.40", mode=ctypes.RTLD_GLOBAL)
    handle = lambda name: ctypes.c_void_p(ctypes.addressof(ctypes.c_char.in_dll(libmpi, name)))  # noqa: E731
    comm, flt, op_sum = handle("ompi_mpi_comm_world"), handle("ompi_mpi_float"), handle("ompi_mpi_op_sum")
    libmpi.MPI_Allreduce.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int] + [ctypes.c_void_p] * 3

    def bare(x):  # MPI_IN_PLACE is (void*)1 in OpenMPI
        if libmpi.MPI_Allreduce(ctypes.c_void_p(1), ctypes.c_void_p(x.data_ptr()), x.numel(), flt, op_sum, comm):
            raise RuntimeError("MPI_Allreduce failed")

    out = {}
    for mb in ALLREDUCE_MB:
        x = ember.zeros((mb * (1 << 20) // 4,), dtype=ember.float32)
        for _ in range(3):
            dist.all_reduce(x)
            bare(x)
        times = {"ember": [], "bare": []}
        for _ in range(iters):
            for name, f in (("ember", dist.all_reduce), ("bare", bare)):
                dist.barrier()
                t0 = time.perf_counter()
                f(x)
                times[name].append(time.perf_counter() - t0)
        out[str(mb)] = {k: statistics.median(v) for k, v in times.items()}
    dist.destroy_process_group()
    return out


def _cnn_and_data(lib, n: int):
    import numpy as np

    from bench_fashion import demo_cnn

    rng = np.random.default_rng(_rank_env()[0])
    x = lib.from_numpy(rng.standard_normal((n, 1, 28, 28)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 10, n))
    lib.manual_seed(0)
    return demo_cnn(lib), x, y


def rank_ddp_step(iters: int) -> dict:
    """Seconds per step of the CNN on PER_RANK images, with DDP and without (local only)."""
    import ember
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    out = {}
    for name in ("local", "ddp"):
        model, x, y = _cnn_and_data(ember, PER_RANK)
        if name == "ddp":
            model = DistributedDataParallel(model)
        opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            loss = ember.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        for _ in range(3):
            step()
        times = []
        for _ in range(iters):
            dist.barrier()
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
    dist.destroy_process_group()
    return out


def rank_epoch(lib_name: str, steps: int) -> dict:
    """Seconds for `steps` DDP steps of PER_RANK images on this rank (a weak-scaling epoch)."""
    rank, world = _rank_env()
    if lib_name == "ember":
        import ember as lib
        import ember.distributed as dist
        from ember.nn.parallel import DistributedDataParallel as DDP

        dist.init_process_group("mpi")
    else:
        import torch as lib
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP

        lib.set_num_threads(1)
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29533")
        dist.init_process_group("gloo", rank=rank, world_size=world)
    model, x, y = _cnn_and_data(lib, PER_RANK)
    model = DDP(model)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = lib.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    seconds = time.perf_counter() - t0
    dist.destroy_process_group()
    return {"epoch_s": seconds}


def mpirun(n: int, *args: str, timeout: int = 900) -> dict:
    """Rank 0's JSON from `mpirun -n n` of this script in rank mode."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", EMBER_NUM_THREADS="1",
               OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([shutil.which("mpirun"), "-n", str(n), "--oversubscribe", "--bind-to", "none",
                          sys.executable, str(HERE), "--rank", *args], env=env, capture_output=True, text=True,
                         timeout=timeout, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("{")))


def run(quick: bool, threads: int) -> dict:
    import ember.distributed as dist

    if not dist.is_available() or shutil.which("mpirun") is None:
        raise SystemExit("ember.distributed needs MPI: apt install openmpi-bin libopenmpi-dev, then reinstall ember")
    iters, steps = (10, 5) if quick else (40, 30)
    rows = []
    ar = mpirun(2, "allreduce", str(iters))
    for mb in ALLREDUCE_MB:
        t = ar[str(mb)]
        pct = 100 * t["bare"] / t["ember"]
        rows.append({"workload": f"all_reduce {mb} MB float32, 2 ranks", "unit": "ms", "ember": t["ember"] * 1e3,
                     "bare_mpi": t["bare"] * 1e3, "ember_pct_of_bare": pct})
    step = mpirun(2, "ddp_step", str(iters))
    rows.append({"workload": f"DDP CNN step, 2 ranks x 1 thread, {PER_RANK} images/rank", "unit": "ms",
                 "ember": step["ddp"] * 1e3, "local_step": step["local"] * 1e3,
                 "ddp_overhead": step["ddp"] / step["local"]})
    libs = ["ember"] + (["torch"] if _has_torch() else [])
    scaling = {}
    for lib in libs:
        one, two = (mpirun(n, "epoch", lib, str(steps))["epoch_s"] for n in (1, 2))
        scaling[lib] = {"one_rank_s": one, "two_ranks_s": two, "efficiency": one / two}
    row = {"workload": f"weak scaling, CNN {steps} steps x {PER_RANK} images/rank: 2 ranks vs 1", "unit": "s",
           "scaling": scaling}
    for lib in libs:
        row[lib] = scaling[lib]["two_ranks_s"]
    rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "rows": rows}


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs; 2 ranks x 1 thread (mpirun)")
    for r in result["rows"]:
        if "ember_pct_of_bare" in r:
            extra = f"bare MPI_Allreduce {r['bare_mpi']:.3f} ms: ember at {r['ember_pct_of_bare']:.0f}% of its bandwidth"
        elif "ddp_overhead" in r:
            extra = f"local step {r['local_step']:.2f} ms: DDP / local = {r['ddp_overhead']:.2f}"
        else:
            extra = ", ".join(f"{lib} efficiency {s['efficiency']:.2f} ({s['one_rank_s']:.2f} s -> {s['two_ranks_s']:.2f} s)"
                              for lib, s in r["scaling"].items())
        print(f"{r['workload']:<68}{fmt(r.get('ember'), 10, 3)} {r['unit']:<3} {extra}")


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--rank":  # one rank, under mpirun
        kind, args = sys.argv[2], sys.argv[3:]
        result = {"allreduce": lambda: rank_allreduce(int(args[0])), "ddp_step": lambda: rank_ddp_step(int(args[0])),
                  "epoch": lambda: rank_epoch(args[0], int(args[1]))}[kind]()
        if _rank_env()[0] == 0:
            print(json.dumps(result), flush=True)
        return 0
    p = arg_parser(__doc__, "fewer calls and steps")
    args = p.parse_args(argv)
    result = run(args.quick, args.threads)
    print_table(result)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
