#!/usr/bin/env python3
"""Times one library's n x n float32 matmul in a process of its own, and prints the median seconds.

bench_ops.py runs one of these per library and size: OpenMP runtimes of different libraries in one
process (ember's libgomp, PyTorch's bundled libgomp) leave idle threads spinning after each call and
take cores from each other, which on a small machine costs 10-30 % to whichever runs next.

    python matmul_worker.py LIB N THREADS REPEAT TARGET_S    (LIB: ember, sgemm, torch, numpy, jax)

JAX runs the product under ``jit``; its thread pool cannot be sized, so the process is pinned to THREADS cores.
"""
import os
import statistics
import sys
import time
import timeit

import numpy as np


def make(lib: str, n: int, threads: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n), dtype=np.float32)
    y = rng.standard_normal((n, n), dtype=np.float32)
    if lib in ("ember", "sgemm"):
        import ember

        ember.set_num_threads(threads)
        a, b = ember.from_numpy(x), ember.from_numpy(y)
        return (lambda: ember.matmul(a, b)) if lib == "ember" else (lambda: ember._core._sgemm(a, b))
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        ta, tb = torch.from_numpy(x), torch.from_numpy(y)
        return lambda: ta @ tb
    if lib == "jax":
        limit_cores(threads)
        import jax

        ja, jb, mm = jax.numpy.asarray(x), jax.numpy.asarray(y), jax.jit(jax.numpy.matmul)
        return lambda: mm(ja, jb).block_until_ready()
    return lambda: x @ y


def limit_cores(threads: int) -> None:
    """Pins this process to `threads` of its cores (for libraries whose thread count cannot be set, e.g. XLA's)."""
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, cores[:threads])


def main() -> None:
    lib, n, threads, repeat, target_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    fn = make(lib, n, threads)
    fn()  # warm-up: primitive creation, thread pool start
    t0 = time.perf_counter()
    fn()
    number = max(1, int(target_s / max(time.perf_counter() - t0, 1e-9)))
    runs = [timeit.Timer(fn).timeit(number=number) / number for _ in range(repeat)]
    print(statistics.median(runs))


if __name__ == "__main__":
    main()
