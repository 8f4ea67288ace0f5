#!/usr/bin/env python3
"""2-d convolution forward + backward at CNN sizes: ember beside PyTorch and JAX.

Usage::

    PYTHONPATH=python python bench/python/bench_conv.py [--quick] [--json results.json] [--threads N]

A step is ``y = conv2d(x, w, b, padding=1)``, then ``y.sum().backward()`` for the gradients of x, w and b,
then the gradients set to None; JAX computes the same three gradients with ``jax.grad`` under ``jit``
(``lax.conv_general_dilated`` in NCHW/OIHW). float32, 3x3 kernels, seeded inputs shared by all libraries:

- (64, 16, 8, 8), 16 -> 32 channels: the second convolution of the digits CNN (examples/demo.py);
- (32, 64, 32, 32), 64 -> 64 channels: a ResNet-style block at CIFAR size.

GFLOP/s counts the forward's 2*N*O*H*W*C*9 multiply-adds three times (forward, input gradient, weight
gradient). Each library runs in a process of its own, the libraries taking turns over several rounds;
figures are medians with the 10th-90th percentile spread. Before timing, the gradients are compared
between the libraries (in a process of its own).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from bench_ops import available, fmt, library, machine_info, sample, sample_in_workers, worker_main
from matmul_worker import limit_cores

# (key, label, input shape (N, C, H, W), output channels)
SHAPES = (("conv_digits", "conv2d fwd+bwd (64,16,8,8) 3x3 16->32", (64, 16, 8, 8), 32),
          ("conv_cifar", "conv2d fwd+bwd (32,64,32,32) 3x3 64->64", (32, 64, 32, 32), 64))
LIBS = ("ember", "torch", "jax")


def problem(shape: tuple, out_channels: int) -> dict:
    rng = np.random.default_rng(0)
    c = shape[1]
    return {"x": rng.standard_normal(shape, dtype=np.float32),
            "w": (rng.standard_normal((out_channels, c, 3, 3), dtype=np.float32) / np.sqrt(9 * c)).astype(np.float32),
            "b": (0.1 * rng.standard_normal(out_channels, dtype=np.float32)).astype(np.float32)}


def step_fn(lib: str, arrays: dict):
    """A zero-argument callable running one forward + backward in lib, returning (dx, dw, db) as NumPy-convertibles."""
    if lib == "jax":
        import jax

        def loss(x, w, b):
            y = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
            return (y + b[None, :, None, None]).sum()

        grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))
        args = [jax.numpy.asarray(arrays[k]) for k in ("x", "w", "b")]

        def step():
            out = grad(*args)
            jax.block_until_ready(out)
            return out
        return step
    mod = library(lib)
    x, w, b = (mod.from_numpy(arrays[k].copy()).requires_grad_() for k in ("x", "w", "b"))
    conv = mod.conv2d

    def step():
        conv(x, w, b, padding=1).sum().backward()
        grads = (x.grad, w.grad, b.grad)
        x.grad = w.grad = b.grad = None
        return grads
    return step


def check_agree() -> None:
    """Refuses to time libraries whose gradients differ from PyTorch's."""
    for _, label, shape, out_channels in SHAPES:
        arrays = problem(shape, out_channels)
        want = [g.numpy() for g in step_fn("torch", arrays)()]
        for lib in available(("ember", "jax")):
            for name, g, ref in zip(("x", "w", "b"), step_fn(lib, arrays)(), want):
                if not np.allclose(np.asarray(g), ref, rtol=1e-3, atol=1e-3 * np.abs(ref).max()):
                    raise SystemExit(f"{lib}'s gradient of {name} disagrees with torch's for {label}")


def worker(lib: str, threads: int, repeat: int, target_s: float) -> dict:
    """{shape key: [seconds per step, one per timed block]} for lib, alone in this process."""
    if lib == "jax":
        limit_cores(threads)  # XLA's thread pool cannot be sized
    else:
        library(lib).set_num_threads(threads)
    return {key: sample(step_fn(lib, problem(shape, oc)), repeat, target_s) for key, _, shape, oc in SHAPES}


def run(quick: bool, threads: int) -> dict:
    libs = available(LIBS)
    script = os.path.abspath(__file__)
    if "torch" in libs:
        subprocess.run([sys.executable, script, "--check"], check=True)
    rounds, repeat, target_s = (1, 3, 0.1) if quick else (3, 7, 0.3)
    times = sample_in_workers(script, libs, rounds, repeat, target_s, threads)
    rows = []
    for key, label, (n, c, h, w), oc in SHAPES:
        flops = 3 * 2.0 * n * oc * h * w * c * 9
        row = {"workload": label, "unit": "ms/step", "flops": flops, "spread": {}}
        for lib in libs:
            st = times[lib][key]
            row[lib] = st["median"] * 1e3
            row["spread"][lib] = {"p10": st["p10"] * 1e3, "p90": st["p90"] * 1e3, "n": st["n"]}
            row[f"{lib}_gflops"] = flops / st["median"] / 1e9
        rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "rows": rows}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; torch {m['torch']}, jax {m['jax']}, "
          f"ember {m['ember']}")
    print("# median ms per forward + backward (GFLOP/s); jax: jax.grad under jit")
    head = f"{'workload':<42}" + "".join(f"{lib:>18}" for lib in LIBS)
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        cells = "".join(f"{fmt(r.get(lib), 9)} ({fmt(r.get(f'{lib}_gflops'), 5, 1)})" for lib in LIBS)
        print(f"{r['workload']:<42}{cells}")


def main(argv=None) -> int:
    return worker_main(argv, __doc__, "a short run: one round, fewer repetitions", check_agree, worker, run,
                       print_table, libs=LIBS)


if __name__ == "__main__":
    sys.exit(main())
