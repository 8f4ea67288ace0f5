#!/usr/bin/env python3
"""One training step of a transformer encoder block: ember beside PyTorch and JAX.

Usage::

    PYTHONPATH=python python bench/python/bench_transformer.py [--quick] [--json results.json] [--threads N]

The block is pre-norm, written once for both libraries (only ``lib`` differs), in float32::

    h = x + attn(ln1(x))            # nn.MultiheadAttention(256, 4, batch_first=True), need_weights=False
    y = h + fc2(gelu(fc1(ln2(h))))  # Linear 256->1024, GELU, Linear 1024->256

with x of shape (batch 8, seq 128, d_model 256). A step is the forward pass, an MSE loss against a fixed
target, ``zero_grad``, ``backward`` and ``AdamW.step`` (lr 1e-3, weight decay 0.01). JAX, when installed,
runs the same block written with ``jax.numpy`` (exact GELU, PyTorch's AdamW update) as one ``jit``-ted
function of the parameters and the optimizer state. Every library starts from the same seeded weights;
before timing, the losses of the first two steps are compared (the second checks the AdamW update). Each library runs in a process of its own, the libraries taking turns over
several rounds; figures are medians with the 10th-90th percentile spread.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from bench_ops import available, fmt, library, machine_info, sample, sample_in_workers, worker_main
from matmul_worker import limit_cores

BATCH, SEQ, D_MODEL, HEADS, D_FF = 8, 128, 256, 4, 1024
LR, WEIGHT_DECAY, BETAS, EPS = 1e-3, 0.01, (0.9, 0.999), 1e-8
LIBS = ("ember", "torch", "jax")
# The block's parameters as PyTorch names them (the JAX version uses the same names and shapes).
PARAMETERS = {"ln1.weight": (D_MODEL,), "ln1.bias": (D_MODEL,), "attn.in_proj_weight": (3 * D_MODEL, D_MODEL),
              "attn.in_proj_bias": (3 * D_MODEL,), "attn.out_proj.weight": (D_MODEL, D_MODEL),
              "attn.out_proj.bias": (D_MODEL,), "ln2.weight": (D_MODEL,), "ln2.bias": (D_MODEL,),
              "fc1.weight": (D_FF, D_MODEL), "fc1.bias": (D_FF,), "fc2.weight": (D_MODEL, D_FF), "fc2.bias": (D_MODEL,)}


def encoder_block(lib):
    """The pre-norm encoder block as a lib.nn.Module."""
    nn = lib.nn

    class EncoderBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(D_MODEL)
            self.attn = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
            self.ln2 = nn.LayerNorm(D_MODEL)
            self.fc1 = nn.Linear(D_MODEL, D_FF)
            self.act = nn.GELU()
            self.fc2 = nn.Linear(D_FF, D_MODEL)

        def forward(self, x):
            n = self.ln1(x)
            h = x + self.attn(n, n, n, need_weights=False)[0]
            return h + self.fc2(self.act(self.fc1(self.ln2(h))))

    return EncoderBlock()


def seeded_state() -> dict:
    """The parameters drawn from one seeded NumPy stream by name, so that every library starts alike."""
    rng = np.random.default_rng(1)
    state = {}
    for name, shape in sorted(PARAMETERS.items()):
        if len(shape) >= 2:
            value = rng.standard_normal(shape) / np.sqrt(shape[-1])
        elif name.startswith(("ln1.weight", "ln2.weight")):
            value = 1.0 + 0.1 * rng.standard_normal(shape)
        else:
            value = 0.02 * rng.standard_normal(shape)
        state[name] = value.astype(np.float32)
    return state


def build(lib):
    """A zero-argument training step of the block in lib (the ember or torch module), returning the loss."""
    model = encoder_block(lib)
    model.load_state_dict({k: lib.from_numpy(v) for k, v in seeded_state().items()})
    x, target = (lib.from_numpy(a) for a in data())
    opt = lib.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)
    mse = lib.nn.functional.mse_loss

    def step():
        loss = mse(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def data() -> tuple[np.ndarray, np.ndarray]:
    """The input x and the regression target, both (BATCH, SEQ, D_MODEL)."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((BATCH, SEQ, D_MODEL), dtype=np.float32),
            rng.standard_normal((BATCH, SEQ, D_MODEL), dtype=np.float32))


def build_jax():
    """The same training step in JAX under jit; each call advances the parameters and returns the loss."""
    import jax
    import jax.numpy as jnp

    x, target = (jnp.asarray(a) for a in data())

    def layer_norm(h, w, b):
        mean = h.mean(-1, keepdims=True)
        var = ((h - mean) ** 2).mean(-1, keepdims=True)
        return (h - mean) / jnp.sqrt(var + 1e-5) * w + b

    def attention(h, p):  # h is (B, S, D); heads split D into (HEADS, D / HEADS)
        qkv = h @ p["attn.in_proj_weight"].T + p["attn.in_proj_bias"]
        q, k, v = (t.reshape(BATCH, SEQ, HEADS, -1).transpose(0, 2, 1, 3) for t in jnp.split(qkv, 3, axis=-1))
        weights = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / np.sqrt(D_MODEL // HEADS), axis=-1)
        out = (weights @ v).transpose(0, 2, 1, 3).reshape(BATCH, SEQ, D_MODEL)
        return out @ p["attn.out_proj.weight"].T + p["attn.out_proj.bias"]

    def loss(p):
        h = x + attention(layer_norm(x, p["ln1.weight"], p["ln1.bias"]), p)
        f = jax.nn.gelu(layer_norm(h, p["ln2.weight"], p["ln2.bias"]) @ p["fc1.weight"].T + p["fc1.bias"],
                        approximate=False)
        return (((h + f @ p["fc2.weight"].T + p["fc2.bias"]) - target) ** 2).mean()

    @jax.jit
    def step(p, m, v, t):
        value, g = jax.value_and_grad(loss)(p)
        m = jax.tree.map(lambda m_, g_: BETAS[0] * m_ + (1 - BETAS[0]) * g_, m, g)
        v = jax.tree.map(lambda v_, g_: BETAS[1] * v_ + (1 - BETAS[1]) * g_ * g_, v, g)
        c1, c2 = 1 - BETAS[0] ** t, 1 - BETAS[1] ** t

        def update(p_, m_, v_):
            return p_ * (1 - LR * WEIGHT_DECAY) - LR * (m_ / c1) / (jnp.sqrt(v_ / c2) + EPS)
        return jax.tree.map(update, p, m, v), m, v, value

    params = {k: jnp.asarray(a) for k, a in seeded_state().items()}
    state = {"p": params, "m": jax.tree.map(jnp.zeros_like, params), "v": jax.tree.map(jnp.zeros_like, params), "t": 0}

    def train_step():
        state["t"] += 1
        state["p"], state["m"], state["v"], value = step(state["p"], state["m"], state["v"], float(state["t"]))
        return value.block_until_ready()
    return train_step


def check_agree() -> None:
    """Refuses to time an ember (or a JAX) whose first two training steps differ from PyTorch's."""
    steps = {lib: build(library(lib)) for lib in ("ember", "torch")}
    if available(["jax"]):
        steps["jax"] = build_jax()
    for i in range(2):
        losses = {lib: step().item() for lib, step in steps.items()}
        if not all(np.isclose(value, losses["torch"], rtol=1e-4) for value in losses.values()):
            raise SystemExit(f"the transformer step {i + 1} disagrees between libraries: losses {losses}")


def worker(lib: str, threads: int, repeat: int, target_s: float) -> dict:
    if lib == "jax":
        limit_cores(threads)  # XLA's thread pool cannot be sized
        return {"encoder_step": sample(build_jax(), repeat, target_s)}
    mod = library(lib)
    mod.set_num_threads(threads)
    return {"encoder_step": sample(build(mod), repeat, target_s)}


def run(quick: bool, threads: int) -> dict:
    libs = available(LIBS)
    script = os.path.abspath(__file__)
    if "ember" in libs and "torch" in libs:
        subprocess.run([sys.executable, script, "--check"], check=True)
    rounds, repeat, target_s = (1, 3, 0.2) if quick else (3, 7, 0.5)
    times = sample_in_workers(script, libs, rounds, repeat, target_s, threads)
    row = {"workload": f"encoder block step (b{BATCH}, s{SEQ}, d{D_MODEL}, h{HEADS}, AdamW)", "unit": "ms/step",
           "spread": {}}
    for lib in libs:
        st = times[lib]["encoder_step"]
        row[lib] = st["median"] * 1e3
        row["spread"][lib] = {"p10": st["p10"] * 1e3, "p90": st["p90"] * 1e3, "n": st["n"]}
    row["ratio_ember_torch"] = row["ember"] / row["torch"] if "ember" in row and "torch" in row else None
    return {"machine": machine_info(threads), "quick": quick,
            "shape": {"batch": BATCH, "seq": SEQ, "d_model": D_MODEL, "heads": HEADS, "d_ff": D_FF}, "rows": [row]}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; torch {m['torch']}, ember {m['ember']}")
    print("# median ms per training step [p10, p90]; ember/torch < 1: ember faster; jax under jit")
    head = f"{'workload':<52}{'ember':>24}{'torch':>24}{'ember/torch':>13}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        cells = "".join(f"{fmt(r.get(lib), 8, 1)} [{fmt(r['spread'].get(lib, {}).get('p10'), 6, 1)},"
                        f"{fmt(r['spread'].get(lib, {}).get('p90'), 6, 1)}]" for lib in LIBS)
        print(f"{r['workload']:<52}{cells}{fmt(r.get('ratio_ember_torch'), 13)}")


def main(argv=None) -> int:
    return worker_main(argv, __doc__, "a short run: one round, fewer repetitions", check_agree, worker, run,
                       print_table, libs=LIBS)


if __name__ == "__main__":
    sys.exit(main())
