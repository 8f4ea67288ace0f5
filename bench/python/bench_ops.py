#!/usr/bin/env python3
"""ember beside PyTorch, NumPy and JAX, measured in one run on this machine.

Usage::

    PYTHONPATH=python python bench/python/bench_ops.py [--quick] [--json results.json] [--threads N]

Workloads
  * per-call overhead of tiny ops (median time per call over many ``timeit`` repetitions, the
    libraries taking turns in each repetition so that load from other processes hits all alike):
    ``a + b`` on 4-element float32 tensors, ``relu`` and ``sum`` on 4 elements, a 4x4 matmul; JAX runs
    these eagerly (``jnp`` calls on device arrays, ``block_until_ready()`` on each result: a ``jit`` per
    op would hide the dispatch cost that this row measures);
  * float32 matmul of n x n matrices (n = 256, 1024, 2048; 256 and 1024 with ``--quick``) with all
    threads, each library in a process of its own (see matmul_worker.py; JAX under ``jit``), in GFLOP/s,
    also as a percentage of oneDNN's own ``dnnl_sgemm`` measured in the same run (``ember._core._sgemm``,
    a benchmark-only binding that calls ``dnnl_sgemm`` on contiguous data).

The table lists each library's time per call, and ``ember/best`` = ember's time divided by the best
peer's (below 1: ember is faster). Each library is skipped when it is missing.
``--json PATH`` writes every number, with the machine and the versions, as JSON.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit

import numpy as np

try:
    import ember
except ImportError:  # pragma: no cover - run with PYTHONPATH=python or after pip install .
    ember = None
LIBS = ("ember", "torch", "numpy", "jax")
PEERS = ("torch", "numpy", "jax")
SETTLE_S = 0.02  # pause before each timed block, see measure()


def measure(fns: dict, number: int | None, repeat: int, target_s: float = 0.0) -> dict:
    """Median seconds per call of each callable in fns.

    The libraries take turns within every repetition (round robin), so that a burst of load from
    another process on the machine falls on all of them rather than on one. Each repetition times
    `number` calls; number=None picks, per library, enough calls to last about target_s.
    """
    numbers = {}
    for lib, fn in fns.items():
        fn()  # warm-up: caches, lazy initialisation, primitive creation
        if number is None:
            t0 = time.perf_counter()
            fn()
            numbers[lib] = max(1, int(target_s / max(time.perf_counter() - t0, 1e-9)))
        else:
            numbers[lib] = number
    runs = {lib: [] for lib in fns}
    for _ in range(repeat):
        for lib, fn in fns.items():
            # Let the previous library's idle worker threads (OpenMP, OpenBLAS) stop spinning: they
            # would otherwise take cores from this one.
            time.sleep(SETTLE_S)
            runs[lib].append(timeit.Timer(fn).timeit(number=numbers[lib]) / numbers[lib])
    return {lib: statistics.median(r) for lib, r in runs.items()}


# --- workloads: each returns {library: zero-argument callable} for what exists ---

def ember_op(name: str):
    """ember.<name> when that op exists in this build, else None."""
    return getattr(ember, name, None) if ember is not None else None


def import_torch():
    """The torch module, or None when PyTorch is not installed. Imported on first use only: a worker that
    times another library must not pay for PyTorch's import nor carry its OpenMP runtime."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def __getattr__(name: str):
    """`from bench_ops import torch` still works (bench_deploy.py): it imports PyTorch then."""
    if name == "torch":
        return import_torch()
    raise AttributeError(f"module 'bench_ops' has no attribute {name!r}")


def library(name: str):
    """The ember or torch module (None when missing), importing PyTorch only when asked for."""
    return ember if name == "ember" else import_torch()


def import_jax():
    """The jax module, or None when JAX is not installed."""
    try:
        import jax
    except ImportError:
        return None
    return jax


def tiny(x: np.ndarray, ember_fn, torch_fn, numpy_fn, jax_fn=None):
    """{library: callable} applying each library's version of an op to a copy of x (JAX eagerly)."""
    fns, torch = {}, import_torch()
    if ember is not None and ember_fn is not None:
        a = ember.from_numpy(x.copy())
        fns["ember"] = lambda: ember_fn(a)
    if torch is not None:
        ta = torch.from_numpy(x.copy())
        fns["torch"] = lambda: torch_fn(ta)
    na = x.copy()
    fns["numpy"] = lambda: numpy_fn(na)
    jax = import_jax()
    if jax is not None and jax_fn is not None:
        ja = jax.numpy.asarray(x)
        fns["jax"] = lambda: jax_fn(ja).block_until_ready()
    return fns


def tiny_add():
    x = np.arange(4, dtype=np.float32)
    return tiny(x, (lambda a: a + a) if ember is not None else None, lambda t: t + t, lambda n: n + n,
                lambda j: j + j)


def tiny_relu():
    # jnp.maximum rather than jax.nn.relu, whose custom_jvp wrapper costs ~20x more per eager call.
    x = np.array([-1.0, 2.0, -3.0, 4.0], np.float32)
    torch, jax = import_torch(), import_jax()
    return tiny(x, ember_op("relu"), lambda t: torch.relu(t), lambda n: np.maximum(n, 0),
                (lambda j: jax.numpy.maximum(j, 0)) if jax is not None else None)


def tiny_sum():
    x = np.arange(4, dtype=np.float32)
    torch, jax = import_torch(), import_jax()
    return tiny(x, ember_op("sum"), lambda t: torch.sum(t), np.sum,
                (lambda j: jax.numpy.sum(j)) if jax is not None else None)


def matmul_fns(n: int, jax_jit: bool = True):
    """ember / torch / numpy / JAX / oneDNN sgemm computing an n x n float32 product (JAX under jit,
    or eagerly with jax_jit=False)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n), dtype=np.float32)
    y = rng.standard_normal((n, n), dtype=np.float32)
    fns, torch = {}, import_torch()
    if ember is not None and ember_op("matmul") is not None:
        a, b = ember.from_numpy(x.copy()), ember.from_numpy(y.copy())
        fns["ember"] = lambda: ember.matmul(a, b)
        sgemm = getattr(ember._core, "_sgemm", None)
        if sgemm is not None:
            fns["sgemm"] = lambda: sgemm(a, b)
    if torch is not None:
        ta, tb = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
        fns["torch"] = lambda: ta @ tb
    na, nb = x.copy(), y.copy()
    fns["numpy"] = lambda: na @ nb
    jax = import_jax()
    if jax is not None:
        jmm = jax.jit(jax.numpy.matmul) if jax_jit else jax.numpy.matmul
        ja, jb = jax.numpy.asarray(x), jax.numpy.asarray(y)
        fns["jax"] = lambda: jmm(ja, jb).block_until_ready()
    return fns


def check_matmul_agrees(n: int = 64) -> None:
    """Refuses to time a matmul that gives wrong answers."""
    fns = matmul_fns(n)
    ref = fns["numpy"]()
    for lib, fn in fns.items():
        r = fn()
        got = r.numpy() if hasattr(r, "numpy") else np.asarray(r)
        if not np.allclose(got, ref, rtol=1e-3, atol=1e-3):
            raise SystemExit(f"{lib} matmul disagrees with NumPy at n={n}")


def matmul_in_subprocess(lib: str, n: int, threads: int, repeat: int, target_s: float) -> float:
    """Median seconds of lib's n x n matmul, measured by matmul_worker.py in a fresh process."""
    worker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "matmul_worker.py")
    # NumPy's BLAS reads its thread count from the environment when it loads, and has no call to set it.
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, worker, lib, str(n), str(threads), str(repeat), str(target_s)],
                         check=True, capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


# --- running and reporting ---

def run(quick: bool, threads: int) -> dict:
    torch = import_torch()
    if ember is not None:
        ember.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    number, repeat = (1000, 5) if quick else (20000, 15)
    rows = []

    for name, make in (("add 4 float32 (a + a)", tiny_add), ("relu 4 float32", tiny_relu),
                       ("sum 4 float32", tiny_sum), ("matmul 4x4 float32", lambda: matmul_fns(4, jax_jit=False))):
        row = {"workload": name, "unit": "us/call", "flops": None}
        row.update({lib: t * 1e6 for lib, t in measure(make(), number, repeat).items()})
        rows.append(row)

    check_matmul_agrees()
    sizes = (256, 1024) if quick else (256, 1024, 2048)
    for n in sizes:
        row = {"workload": f"matmul {n}x{n} float32", "unit": "us/call", "flops": 2.0 * n**3}
        # The libraries present, each timed in a process of its own; the processes take turns over
        # several rounds so that drift in the machine's speed (a shared VM) falls on all of them.
        samples = {lib: [] for lib in matmul_fns(4)}
        for _ in range(1 if quick else 4):
            for lib in samples:
                samples[lib].append(matmul_in_subprocess(lib, n, threads, repeat=3 if quick else 5,
                                                         target_s=0.05 if quick else 0.2))
        row.update({lib: statistics.median(t) * 1e6 for lib, t in samples.items()})
        rows.append(row)

    for row in rows:
        peers = [row[p] for p in PEERS if p in row]
        row["ratio_ember_best_peer"] = row["ember"] / min(peers) if "ember" in row and peers else None
        if row["flops"]:
            for lib in LIBS + ("sgemm",):
                if lib in row:
                    row[f"{lib}_gflops"] = row["flops"] / (row[lib] * 1e-6) / 1e9
            if "ember" in row and "sgemm" in row:
                row["ember_pct_of_sgemm"] = 100.0 * row["sgemm"] / row["ember"]
    return {"machine": machine_info(threads), "quick": quick, "rows": rows}


def machine_info(threads: int) -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": getattr(import_torch(), "__version__", None),
        "jax": getattr(import_jax(), "__version__", None),
        "ember": getattr(ember, "__version__", None),
    }


def fmt(v, width=10, prec=2):
    return f"{v:{width}.{prec}f}" if isinstance(v, (int, float)) else f"{'-':>{width}}"


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; numpy {m['numpy']}, torch {m['torch']}, "
          f"ember {m['ember']}")
    print("# time per call in microseconds (median); ember/best = ember's time / best peer's (< 1: ember faster);"
          " jax: eager for the tiny ops, jit for the matmuls")
    head = f"{'workload':<26}{'ember':>10}{'torch':>10}{'numpy':>10}{'jax':>10}{'sgemm':>10}{'ember/best':>11}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['workload']:<26}{fmt(r.get('ember'))}{fmt(r.get('torch'))}{fmt(r.get('numpy'))}"
              f"{fmt(r.get('jax'))}{fmt(r.get('sgemm'))}{fmt(r.get('ratio_ember_best_peer'), 11)}")
    flops_rows = [r for r in result["rows"] if r["flops"] and r["flops"] > 1e6]
    if flops_rows:
        print()
        head = (f"{'matmul, GFLOP/s':<26}{'ember':>10}{'torch':>10}{'numpy':>10}{'jax':>10}{'sgemm':>10}"
                f"{'% of sgemm':>11}")
        print(head)
        print("-" * len(head))
        for r in flops_rows:
            print(f"{r['workload']:<26}{fmt(r.get('ember_gflops'), prec=1)}{fmt(r.get('torch_gflops'), prec=1)}"
                  f"{fmt(r.get('numpy_gflops'), prec=1)}{fmt(r.get('jax_gflops'), prec=1)}"
                  f"{fmt(r.get('sgemm_gflops'), prec=1)}"
                  f"{fmt(r.get('ember_pct_of_sgemm'), 11, 1)}")
    missing = [lib for lib, mod in (("ember", ember), ("torch", import_torch()), ("jax", import_jax())) if mod is None]
    if missing:
        print(f"# not installed, skipped: {', '.join(missing)}")


def write_json(result: dict, path: str | None) -> None:
    """Writes the results to path as JSON (nothing when path is None)."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"# wrote {path}")


def worker_outputs(script: str, libs: list, rounds: int, repeat: int, target_s: float, threads: int):
    """Yields (lib, the JSON dict that `script --worker LIB` printed): each library in a process of its own,
    the libraries taking turns over `rounds` (two OpenMP runtimes in one process slow each other)."""
    for _ in range(rounds):
        for lib in libs:
            out = subprocess.run([sys.executable, script, "--worker", lib, "--threads", str(threads), "--repeat",
                                  str(repeat), "--target-s", str(target_s)], check=True, capture_output=True, text=True)
            yield lib, json.loads(out.stdout)


def time_in_workers(script: str, libs: list, rounds: int, repeat: int, target_s: float, threads: int) -> dict:
    """{lib: {key: median seconds}} for the keys each worker reports (see worker_outputs); each figure is the
    median over the rounds of the worker's median."""
    samples = {lib: {} for lib in libs}
    for lib, out in worker_outputs(script, libs, rounds, repeat, target_s, threads):
        for key, t in out.items():
            samples[lib].setdefault(key, []).append(t)
    return {lib: {key: statistics.median(v) for key, v in per.items()} for lib, per in samples.items()}


def sample(fn, repeat: int, target_s: float) -> list:
    """Seconds per call of fn in each of `repeat` timed blocks of about target_s, after a warm-up call."""
    fn()
    t0 = time.perf_counter()
    fn()
    number = max(1, int(target_s / max(time.perf_counter() - t0, 1e-9)))
    return [timeit.Timer(fn).timeit(number=number) / number for _ in range(repeat)]


def spread(samples: list) -> dict:
    """The median, 10th and 90th percentiles of samples, and how many there are."""
    p10, median, p90 = np.percentile(samples, [10, 50, 90])
    return {"median": float(median), "p10": float(p10), "p90": float(p90), "n": len(samples)}


def sample_in_workers(script: str, libs: list, rounds: int, repeat: int, target_s: float, threads: int) -> dict:
    """{lib: {key: spread(...)}}: as time_in_workers, for workers that print {key: [seconds per block]};
    the blocks of all rounds are pooled."""
    samples = {lib: {} for lib in libs}
    for lib, out in worker_outputs(script, libs, rounds, repeat, target_s, threads):
        for key, times in out.items():
            samples[lib].setdefault(key, []).extend(times)
    return {lib: {key: spread(v) for key, v in per.items()} for lib, per in samples.items()}


def available(libs) -> list:
    """The names in libs (ember, torch, numpy, jax) whose library is installed."""
    return [lib for lib in libs if (ember is not None if lib == "ember" else importlib.util.find_spec(lib) is not None)]


def worker_main(argv, doc: str, quick_help: str, check, worker, run, print_table,
                libs=("ember", "torch")) -> int:
    """main() of a benchmark that times each library in its own process: `--check` runs check() (if any),
    `--worker LIB` (LIB one of libs) prints worker(LIB, threads, repeat, target_s) as JSON, otherwise
    run(quick, threads) is printed and written as JSON."""
    p = arg_parser(doc, quick_help)
    p.add_argument("--worker", choices=list(libs), help=argparse.SUPPRESS)  # internal: time one library
    p.add_argument("--check", action="store_true", help=argparse.SUPPRESS)  # internal: compare ember with torch
    p.add_argument("--repeat", type=int, default=7, help=argparse.SUPPRESS)
    p.add_argument("--target-s", type=float, default=0.2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.check and check is not None:
        check()
    elif args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.repeat, args.target_s)))
    else:
        result = run(args.quick, args.threads)
        print_table(result)
        write_json(result, args.json)
    return 0


def arg_parser(doc: str, quick_help: str) -> argparse.ArgumentParser:
    """The options every benchmark script takes: --quick, --json PATH, --threads N."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=quick_help)
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every library (default: all)")
    return p


def main(argv=None) -> int:
    p = arg_parser(__doc__, "a few-second run: fewer repetitions, no 2048 matmul")
    args = p.parse_args(argv)
    result = run(args.quick, args.threads)
    print_table(result)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
