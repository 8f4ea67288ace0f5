#!/usr/bin/env python3
"""Memory bandwidth of large elementwise ops and reductions: ember beside PyTorch, NumPy and JAX.

Usage::

    PYTHONPATH=python python bench/python/bench_bandwidth.py [--quick] [--json results.json] [--threads N]

On 16M float32 elements (64 MiB per array, far beyond the caches), the same seeded inputs in every library:

- ``a + b`` out of place (a new output each call, as users write it): 3 arrays of traffic;
- ``relu(a)`` out of place: 2 arrays;
- ``sum(a)`` to a scalar: 1 array;
- the STREAM triad ``c = a + s * b`` into a preallocated ``c`` (NumPy: ``np.multiply(b, s, out=c)`` then
  ``np.add(a, c, out=c)``; PyTorch: ``torch.add(a, b, alpha=s, out=c)``): 3 arrays, the reference for what
  this machine's memory sustains; ember has no ``out=`` and is not timed on it.

Bandwidth is the bytes of those arrays over the median time (STREAM's count: no write-allocate traffic), and
each op's GB/s is also given as a percentage of the best triad measured in the same run. JAX runs every
workload under ``jit`` (its triad allocates its output). NumPy is single-threaded by design; the others use
``--threads``. Each library runs in a process of its own (its results checked against NumPy's first), the
libraries taking turns over several rounds; figures are medians with the 10th-90th percentile spread.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from bench_ops import (available, ember, fmt, import_torch, library, machine_info, sample, sample_in_workers,
                       worker_main)
from matmul_worker import limit_cores

N = 1 << 24
SCALE = np.float32(3.0)
ARRAYS_MOVED = {"add": 3, "relu": 2, "sum": 1, "triad": 3}
WORKLOADS = (("add", "a + b, 16M float32"), ("relu", "relu, 16M float32"), ("sum", "sum, 16M float32"),
             ("triad", "STREAM triad a + s*b (out=), 16M float32"))
LIBS = ("ember", "torch", "numpy", "jax")


def inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal(N, dtype=np.float32), rng.standard_normal(N, dtype=np.float32)


def ops(lib: str, a: np.ndarray, b: np.ndarray) -> dict:
    """{workload: zero-argument callable returning a NumPy-convertible result} for lib."""
    if lib == "ember":
        ea, eb = ember.from_numpy(a), ember.from_numpy(b)
        return {"add": lambda: ea + eb, "relu": lambda: ember.relu(ea), "sum": lambda: ember.sum(ea)}
    if lib == "torch":
        torch = import_torch()
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.empty(N)
        return {"add": lambda: ta + tb, "relu": lambda: torch.relu(ta), "sum": lambda: torch.sum(ta),
                "triad": lambda: torch.add(ta, tb, alpha=float(SCALE), out=tc)}
    if lib == "jax":
        import jax
        import jax.numpy as jnp

        ja, jb = jnp.asarray(a), jnp.asarray(b)
        add, relu, total = jax.jit(jnp.add), jax.jit(lambda x: jnp.maximum(x, 0)), jax.jit(jnp.sum)
        stream = jax.jit(lambda x, y: x + SCALE * y)
        return {"add": lambda: add(ja, jb).block_until_ready(), "relu": lambda: relu(ja).block_until_ready(),
                "sum": lambda: total(ja).block_until_ready(), "triad": lambda: stream(ja, jb).block_until_ready()}
    c = np.empty_like(a)

    def triad():
        np.multiply(b, SCALE, out=c)
        return np.add(a, c, out=c)

    return {"add": lambda: a + b, "relu": lambda: np.maximum(a, 0), "sum": lambda: np.sum(a), "triad": triad}


def check(lib: str, fns: dict, a: np.ndarray, b: np.ndarray) -> None:
    """Refuses to time a library whose results differ from NumPy's (float64 reference for the sum)."""
    want = {"add": a + b, "relu": np.maximum(a, 0), "sum": np.sum(a, dtype=np.float64), "triad": a + SCALE * b}
    for key, fn in fns.items():
        got = np.asarray(fn())
        if not np.allclose(got, want[key], rtol=1e-4, atol=1e-2 if key == "sum" else 1e-5):
            raise SystemExit(f"{lib}'s {key} disagrees with NumPy's")


def worker(lib: str, threads: int, repeat: int, target_s: float) -> dict:
    """{workload: [seconds per call, one per timed block]} for lib, alone in this process."""
    if lib == "jax":
        limit_cores(threads)  # XLA's thread pool cannot be sized
    elif lib in ("ember", "torch"):
        library(lib).set_num_threads(threads)
    a, b = inputs()
    fns = ops(lib, a, b)
    check(lib, fns, a, b)
    return {key: sample(fn, repeat, target_s) for key, fn in fns.items()}


def run(quick: bool, threads: int) -> dict:
    libs = available(LIBS)
    rounds, repeat, target_s = (1, 3, 0.1) if quick else (3, 7, 0.3)
    times = sample_in_workers(os.path.abspath(__file__), libs, rounds, repeat, target_s, threads)
    best_triad = min((times[lib]["triad"]["median"], lib) for lib in libs if "triad" in times[lib])
    triad_gbs = ARRAYS_MOVED["triad"] * N * 4 / best_triad[0] / 1e9
    rows = []
    for key, label in WORKLOADS:
        row = {"workload": label, "unit": "ms/call", "bytes": ARRAYS_MOVED[key] * N * 4, "spread": {}}
        for lib in libs:
            if key in times[lib]:
                st = times[lib][key]
                row[lib] = st["median"] * 1e3
                row["spread"][lib] = {"p10": st["p10"] * 1e3, "p90": st["p90"] * 1e3, "n": st["n"]}
                row[f"{lib}_gbs"] = row["bytes"] / st["median"] / 1e9
                row[f"{lib}_pct_of_triad"] = 100.0 * row[f"{lib}_gbs"] / triad_gbs
        rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "elements": N,
            "triad_reference": {"library": best_triad[1], "gb_per_s": triad_gbs}, "rows": rows}


def print_table(result: dict) -> None:
    m, ref = result["machine"], result["triad_reference"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; numpy {m['numpy']}, torch {m['torch']}, "
          f"jax {m['jax']}, ember {m['ember']}")
    print(f"# GB/s (median of the time), % = of the best STREAM triad ({ref['library']}: {ref['gb_per_s']:.1f} GB/s); "
          "jax under jit; numpy single-threaded")
    head = f"{'workload':<42}" + "".join(f"{lib:>16}" for lib in LIBS)
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        cells = "".join(f"{fmt(r.get(f'{lib}_gbs'), 8, 1)}{fmt(r.get(f'{lib}_pct_of_triad'), 7, 0)}%" for lib in LIBS)
        print(f"{r['workload']:<42}{cells}")


def main(argv=None) -> int:
    return worker_main(argv, __doc__, "a short run: one round, fewer repetitions", None, worker, run,
                       print_table, libs=LIBS)


if __name__ == "__main__":
    sys.exit(main())
