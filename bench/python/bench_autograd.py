#!/usr/bin/env python3
"""ember's autograd beside PyTorch's, measured in one run on this machine.

Usage::

    PYTHONPATH=python python bench/python/bench_autograd.py [--quick] [--json results.json] [--threads N]

Workload: one training step of a small MLP classifier in float32,

    loss = ((x @ w + b).relu() @ w2).log_softmax(-1)[arange(64), labels].sum()

with x (64, 64) data, and w (64, 256), b (256,), w2 (256, 10) leaves that require grad; labels are 64
int64 classes. A step is the forward pass, ``loss.backward()``, and setting every ``.grad`` to None (as
``optimizer.zero_grad(set_to_none=True)``). To show where the time goes, the forward pass is also timed
alone: under ``no_grad`` (no graph) and in grad mode (recording the graph, which is then dropped).
JAX, when installed, runs the step as ``jax.value_and_grad`` of the same loss and the forward alone
(its ``no_grad`` row: JAX has no grad mode), both under ``jit``.

Each library runs in a process of its own (``--worker LIB``), the libraries taking turns over several
rounds: two OpenMP runtimes in one process (ember's libgomp, PyTorch's bundled one) leave idle threads
spinning after each call and take cores from each other (see matmul_worker.py). Each figure is the
median over the rounds of each worker's median time per step. ``ember/torch`` is ember's time divided
by PyTorch's (below 1: ember is faster; the target for a full step is <= 0.5). Before timing, the
losses and gradients of the two libraries are compared (in a process of its own too). A library that is missing (or an ember built without
autograd) is skipped. ``--json PATH`` writes every number, with the machine and the versions, as JSON.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from bench_ops import (available, ember, fmt, import_torch, library, machine_info, measure, time_in_workers,
                       worker_main)
from matmul_worker import limit_cores

BATCH, IN, HIDDEN, CLASSES = 64, 64, 256, 10
TARGET_RATIO = 0.5


def ember_has_autograd() -> bool:
    return ember is not None and hasattr(ember, "no_grad") and hasattr(ember.Tensor, "requires_grad_")


def problem(seed: int = 0) -> dict:
    """The MLP's data and initial parameters as NumPy arrays (float32; labels int64)."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((BATCH, IN), dtype=np.float32),
        "w": (rng.standard_normal((IN, HIDDEN), dtype=np.float32) / np.sqrt(IN)).astype(np.float32),
        "b": np.zeros(HIDDEN, np.float32),
        "w2": (rng.standard_normal((HIDDEN, CLASSES), dtype=np.float32) / np.sqrt(HIDDEN)).astype(np.float32),
        "labels": rng.integers(0, CLASSES, BATCH).astype(np.int64),
    }


def build(lib, arrays: dict) -> dict:
    """{workload: zero-argument callable} for lib (the ember or torch module), on copies of arrays."""
    x = lib.from_numpy(arrays["x"].copy())
    params = [lib.from_numpy(arrays[k].copy()).requires_grad_() for k in ("w", "b", "w2")]
    w, b, w2 = params
    labels = lib.from_numpy(arrays["labels"].copy())
    rows = lib.arange(BATCH)

    def loss():
        return ((x @ w + b).relu() @ w2).log_softmax(-1)[rows, labels].sum()

    def step():
        out = loss()
        out.backward()
        for p in params:
            p.grad = None
        return out

    def forward_no_grad():
        with lib.no_grad():
            return loss()

    return {"step": step, "forward": loss, "forward_no_grad": forward_no_grad, "params": params, "loss": loss}


def build_jax(arrays: dict) -> dict:
    """The same workloads in JAX under jit: the step returns the loss and the gradients of (w, b, w2)."""
    import jax
    import jax.numpy as jnp

    x, labels = jnp.asarray(arrays["x"]), jnp.asarray(arrays["labels"])
    params = tuple(jnp.asarray(arrays[k]) for k in ("w", "b", "w2"))

    def loss(params):
        w, b, w2 = params
        logp = jax.nn.log_softmax(jnp.maximum(x @ w + b, 0) @ w2, axis=-1)
        return logp[jnp.arange(BATCH), labels].sum()

    step, forward = jax.jit(jax.value_and_grad(loss)), jax.jit(loss)
    return {"step": lambda: jax.block_until_ready(step(params)),
            "forward_no_grad": lambda: forward(params).block_until_ready()}


def check_agree(arrays: dict) -> None:
    """Refuses to time an ember (or a JAX) whose loss or gradients disagree with PyTorch's."""
    e, t = build(ember, arrays), build(import_torch(), arrays)
    le, lt = e["loss"](), t["loss"]()
    le.backward()
    lt.backward()
    if not np.allclose(le.item(), lt.item(), rtol=1e-4, atol=1e-4):
        raise SystemExit(f"ember's loss {le.item()} disagrees with torch's {lt.item()}")
    for name, pe, pt in zip(("w", "b", "w2"), e["params"], t["params"]):
        if pe.grad is None or not np.allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-4):
            raise SystemExit(f"ember's gradient of {name} disagrees with torch's")
    if available(["jax"]):
        lj, grads = build_jax(arrays)["step"]()
        if not np.allclose(float(lj), lt.item(), rtol=1e-4, atol=1e-4) or not all(
                np.allclose(np.asarray(g), pt.grad.numpy(), rtol=1e-3, atol=1e-4) for g, pt in zip(grads, t["params"])):
            raise SystemExit(f"jax's loss {float(lj)} or gradients disagree with torch's {lt.item()}")


WORKLOADS = (
    ("step", "forward + backward (step)"),
    ("forward", "forward, grad mode"),
    ("forward_no_grad", "forward, no_grad"),
)


def worker(lib_name: str, threads: int, repeat: int, target_s: float) -> dict:
    """{workload key: median seconds per call} for one library, alone in this process."""
    if lib_name == "jax":
        limit_cores(threads)  # XLA's thread pool cannot be sized
        built = build_jax(problem())
    else:
        lib = library(lib_name)
        lib.set_num_threads(threads)
        built = build(lib, problem())
    return {key: measure({lib_name: built[key]}, None, repeat, target_s)[lib_name]
            for key, _ in WORKLOADS if key in built}


def run(quick: bool, threads: int) -> dict:
    libs = [name for name, ok in (("ember", ember_has_autograd()), ("torch", bool(available(["torch"])))) if ok]
    libs += available(["jax"])
    script = os.path.abspath(__file__)
    if "ember" in libs and "torch" in libs:
        subprocess.run([sys.executable, script, "--check"], check=True)
    rounds, repeat, target_s = (1, 5, 0.05) if quick else (5, 9, 0.2)
    times = time_in_workers(script, libs, rounds, repeat, target_s, threads)
    rows = []
    for key, label in WORKLOADS:
        row = {"workload": label, "unit": "us/step"}
        row.update({lib: times[lib][key] * 1e6 for lib in libs if key in times[lib]})
        row["ratio_ember_torch"] = row["ember"] / row["torch"] if "ember" in row and "torch" in row else None
        rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "target_ratio": TARGET_RATIO,
            "shapes": {"x": [BATCH, IN], "w": [IN, HIDDEN], "b": [HIDDEN], "w2": [HIDDEN, CLASSES]},
            "rows": rows}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; numpy {m['numpy']}, torch {m['torch']}, "
          f"ember {m['ember']}")
    print(f"# MLP step, float32: x {BATCH}x{IN} @ w {IN}x{HIDDEN} + b, relu, @ w2 {HIDDEN}x{CLASSES}, log_softmax, "
          "pick labels, sum")
    print(f"# time per step in microseconds (median); ember/torch < 1: ember faster (target <= {TARGET_RATIO})")
    head = f"{'workload':<28}{'ember':>10}{'torch':>10}{'jax jit':>10}{'ember/torch':>13}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['workload']:<28}{fmt(r.get('ember'))}{fmt(r.get('torch'))}{fmt(r.get('jax'))}"
              f"{fmt(r.get('ratio_ember_torch'), 13)}")
    missing = [lib for lib, ok in (("ember (with autograd)", ember_has_autograd()),
                                   ("torch", bool(available(["torch"])))) if not ok]
    if missing:
        print(f"# not available, skipped: {', '.join(missing)}")


def main(argv=None) -> int:
    return worker_main(argv, __doc__, "a few-second run: fewer, shorter repetitions", lambda: check_agree(problem()),
                       worker, run, print_table, libs=("ember", "torch", "jax"))


if __name__ == "__main__":
    sys.exit(main())
