#!/usr/bin/env python3
"""ember's training workflow beside PyTorch's, measured in one run on this machine.

Usage::

    PYTHONPATH=python python bench/python/bench_train.py [--quick] [--json results.json] [--threads N]

The same code runs on both libraries (``lib.nn``, ``lib.optim``, ``lib.utils.data``: only the import
differs), in float32 on scikit-learn's digits with batch size 64:

- MLP step: ``Linear(64, 256), ReLU, Linear(256, 10)``, cross-entropy, ``zero_grad``, ``backward``,
  ``Adam.step`` on one batch of flattened 8x8 images (target: ember <= 0.5x PyTorch's time);
- CNN step: the demo's CNN (examples/demo.py: two 3x3 convolutions with batch norm, max-pool, two linear layers), same
  step (target <= 0.8x);
- CNN epoch: one epoch of the demo (a shuffled DataLoader over the 1,438 training images, then the steps).

JAX, when installed, runs the two steps (not the epoch: it has no DataLoader): the same models in ``jax.numpy``
and ``jax.lax`` with PyTorch's Adam update, one ``jit``-ted function of the parameters and the optimizer state.

Each library runs in a process of its own, the libraries taking turns over several rounds (see
bench_autograd.py for why); each figure is the median over the rounds of each worker's median time.
Before timing, one step of each model is compared between the libraries from the same weights.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from bench_ops import (available, ember, fmt, import_torch, library, machine_info, measure, time_in_workers,
                       worker_main)
from matmul_worker import limit_cores

BATCH = 64
TARGETS = {"mlp_step": 0.5, "cnn_step": 0.8, "cnn_epoch": None}
WORKLOADS = (("mlp_step", "MLP 64-256-10 step", "us/step"), ("cnn_step", "demo CNN step", "us/step"),
             ("cnn_epoch", "demo CNN epoch (1438 images)", "ms/epoch"))


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    order = np.random.default_rng(0).permutation(len(d.target))[: int(len(d.target) * 0.8)]
    return (d.images[order] / 16.0).astype(np.float32)[:, None], d.target[order].astype(np.int64)


def models(lib) -> dict:
    nn = lib.nn
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))
    return {"mlp": mlp, "cnn": cnn}


def shared_weights(model, lib, seed: int) -> None:
    """Sets every parameter from one seeded NumPy stream, so that both libraries start alike."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.1).astype(np.float32)))


def build(lib) -> dict:
    """{workload: zero-argument callable} for lib (the ember or torch module)."""
    x_all, y_all = digits()
    x, y = lib.from_numpy(x_all[:BATCH].copy()), lib.from_numpy(y_all[:BATCH].copy())
    loss_fn = lib.nn.CrossEntropyLoss()
    out = {}
    for name, model in models(lib).items():
        shared_weights(model, lib, seed=1)
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)

        def step(model=model, opt=opt, x=x, y=y):
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        out[f"{name}_step"] = step
    data = lib.utils.data
    loader = data.DataLoader(data.TensorDataset(lib.from_numpy(x_all), lib.from_numpy(y_all)), batch_size=BATCH,
                             shuffle=True)
    cnn_step = out["cnn_step"]

    def epoch():
        for xb, yb in loader:
            cnn_step(x=xb, y=yb)

    out["cnn_epoch"] = epoch
    return out


# Each model's parameter shapes in PyTorch's order and layout (Linear (out, in), Conv2d (out, in, kH, kW)).
JAX_SHAPES = {"mlp": ((256, 64), (256,), (10, 256), (10,)),
              "cnn": ((16, 1, 3, 3), (16,), (16,), (16,), (32, 16, 3, 3), (32,), (32,), (32,),
                      (64, 512), (64,), (10, 64), (10,))}


def jax_logits(name: str, p: list, x):
    """The MLP's or the demo CNN's logits in JAX (batch norm in training mode: batch statistics)."""
    import jax
    import jax.numpy as jnp

    def conv_bn_relu(h, w, b, gamma, beta):
        h = jax.lax.conv_general_dilated(h, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        h = h + b[None, :, None, None]
        mean, var = h.mean((0, 2, 3), keepdims=True), h.var((0, 2, 3), keepdims=True)
        h = (h - mean) / jnp.sqrt(var + 1e-5)
        return jnp.maximum(h * gamma[None, :, None, None] + beta[None, :, None, None], 0)

    if name == "mlp":
        return jnp.maximum(x.reshape(BATCH, -1) @ p[0].T + p[1], 0) @ p[2].T + p[3]
    h = conv_bn_relu(conv_bn_relu(x, *p[0:4]), *p[4:8])
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID").reshape(BATCH, -1)
    return jnp.maximum(h @ p[8].T + p[9], 0) @ p[10].T + p[11]


def build_jax(name: str):
    """The MLP or CNN step in JAX under jit, from shared_weights(seed=1)'s values, with PyTorch's Adam update;
    returns (step, state): step() advances the parameters in state["p"] and returns the loss."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(1)  # shared_weights' stream
    params = [jnp.asarray((rng.standard_normal(shape) * 0.1).astype(np.float32)) for shape in JAX_SHAPES[name]]
    x_all, y_all = digits()
    x, y = jnp.asarray(x_all[:BATCH]), jnp.asarray(y_all[:BATCH])
    lr, (b1, b2), eps = 1e-3, (0.9, 0.999), 1e-8

    def loss(p):
        return -jax.nn.log_softmax(jax_logits(name, p, x))[jnp.arange(BATCH), y].mean()

    @jax.jit
    def step(p, m, v, t):
        value, g = jax.value_and_grad(loss)(p)
        m = [b1 * m_ + (1 - b1) * g_ for m_, g_ in zip(m, g)]
        v = [b2 * v_ + (1 - b2) * g_ * g_ for v_, g_ in zip(v, g)]
        p = [p_ - lr * (m_ / (1 - b1 ** t)) / (jnp.sqrt(v_ / (1 - b2 ** t)) + eps) for p_, m_, v_ in zip(p, m, v)]
        return p, m, v, value

    state = {"p": params, "m": [jnp.zeros_like(a) for a in params], "v": [jnp.zeros_like(a) for a in params], "t": 0}

    def train_step():
        state["t"] += 1
        state["p"], state["m"], state["v"], value = step(state["p"], state["m"], state["v"], float(state["t"]))
        return value.block_until_ready()
    return train_step, state


def check_agree() -> None:
    """Refuses to time an ember (or a JAX) whose first training step differs from PyTorch's."""
    x_all, y_all = digits()
    for name in ("mlp", "cnn"):
        losses, firsts = [], []
        for lib in (ember, import_torch()):
            model = models(lib)[name]
            shared_weights(model, lib, seed=1)
            opt = lib.optim.Adam(model.parameters(), lr=1e-3)
            x, y = lib.from_numpy(x_all[:BATCH].copy()), lib.from_numpy(y_all[:BATCH].copy())
            loss = lib.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            firsts.append(next(iter(model.parameters())).detach().numpy().copy())
        if available(["jax"]):
            jax_step, state = build_jax(name)
            losses.append(jax_step().item())
            firsts.append(np.asarray(state["p"][0]))
        if not all(np.isclose(v, losses[1], rtol=1e-4) for v in losses) or not all(
                np.allclose(f, firsts[1], atol=1e-5) for f in firsts):
            raise SystemExit(f"the {name} step disagrees between libraries (ember, torch, jax): losses {losses}")


def worker(lib_name: str, threads: int, repeat: int, target_s: float) -> dict:
    if lib_name == "jax":
        limit_cores(threads)  # XLA's thread pool cannot be sized
        return {f"{name}_step": measure({"jax": build_jax(name)[0]}, None, repeat, target_s)["jax"]
                for name in ("mlp", "cnn")}
    lib = library(lib_name)
    lib.set_num_threads(threads)
    built = build(lib)
    return {key: measure({lib_name: built[key]}, None, repeat, target_s)[lib_name] for key, _, _ in WORKLOADS}


def run(quick: bool, threads: int) -> dict:
    libs = available(("ember", "torch", "jax"))
    script = os.path.abspath(__file__)
    if "ember" in libs and "torch" in libs:
        subprocess.run([sys.executable, script, "--check"], check=True)
    rounds, repeat, target_s = (1, 3, 0.05) if quick else (5, 7, 0.3)
    times = time_in_workers(script, libs, rounds, repeat, target_s, threads)
    rows = []
    for key, label, unit in WORKLOADS:
        scale = 1e3 if unit.startswith("ms") else 1e6
        row = {"workload": label, "unit": unit, "target_ratio": TARGETS[key]}
        row.update({lib: times[lib][key] * scale for lib in libs if key in times[lib]})
        row["ratio_ember_torch"] = row["ember"] / row["torch"] if "ember" in row and "torch" in row else None
        rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "batch": BATCH, "rows": rows}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; torch {m['torch']}, ember {m['ember']}")
    print(f"# training on digits, float32, batch {BATCH}, Adam; median time; ember/torch < 1: ember faster")
    head = f"{'workload':<30}{'unit':>10}{'ember':>10}{'torch':>10}{'jax jit':>10}{'ember/torch':>13}{'target':>8}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        target = f"{r['target_ratio']:>8.2f}" if r["target_ratio"] else f"{'':>8}"
        print(f"{r['workload']:<30}{r['unit']:>10}{fmt(r.get('ember'))}{fmt(r.get('torch'))}{fmt(r.get('jax'))}"
              f"{fmt(r.get('ratio_ember_torch'), 13)}{target}")


def main(argv=None) -> int:
    return worker_main(argv, __doc__, "a short run: fewer, shorter repetitions", check_agree, worker, run,
                       print_table, libs=("ember", "torch", "jax"))


if __name__ == "__main__":
    sys.exit(main())
