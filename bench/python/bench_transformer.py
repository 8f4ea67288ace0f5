#!/usr/bin/env python3
"""One training step of a transformer encoder block: ember beside PyTorch.

Usage::

    PYTHONPATH=python python bench/python/bench_transformer.py [--quick] [--json results.json] [--threads N]

The block is pre-norm, written once for both libraries (only ``lib`` differs), in float32::

    h = x + attn(ln1(x))            # nn.MultiheadAttention(256, 4, batch_first=True), need_weights=False
    y = h + fc2(gelu(fc1(ln2(h))))  # Linear 256->1024, GELU, Linear 1024->256

with x of shape (batch 8, seq 128, d_model 256). A step is the forward pass, an MSE loss against a fixed
target, ``zero_grad``, ``backward`` and ``AdamW.step`` (lr 1e-3, weight decay 0.01). Both libraries start
from the same seeded weights; before timing, the losses of the first two steps are compared (the second
checks the AdamW update). Each library runs in a process of its own, the libraries taking turns over
several rounds; figures are medians with the 10th-90th percentile spread.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from bench_ops import available, fmt, library, machine_info, sample, sample_in_workers, worker_main

BATCH, SEQ, D_MODEL, HEADS, D_FF = 8, 128, 256, 4, 1024
LIBS = ("ember", "torch")


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


def seeded_state(model) -> dict:
    """A state dict drawn from one seeded NumPy stream by parameter name, so that both libraries start alike."""
    rng = np.random.default_rng(1)
    state = {}
    for name, p in sorted(model.state_dict().items()):
        shape = tuple(p.shape)
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
    model.load_state_dict({k: lib.from_numpy(v) for k, v in seeded_state(model).items()})
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((BATCH, SEQ, D_MODEL), dtype=np.float32))
    target = lib.from_numpy(rng.standard_normal((BATCH, SEQ, D_MODEL), dtype=np.float32))
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    mse = lib.nn.functional.mse_loss

    def step():
        loss = mse(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def check_agree() -> None:
    """Refuses to time an ember whose first two training steps differ from PyTorch's."""
    steps = {lib: build(library(lib)) for lib in LIBS}
    for i in range(2):
        losses = {lib: step().item() for lib, step in steps.items()}
        if not np.isclose(losses["ember"], losses["torch"], rtol=1e-4):
            raise SystemExit(f"ember's transformer step {i + 1} disagrees with torch's: losses {losses}")


def worker(lib: str, threads: int, repeat: int, target_s: float) -> dict:
    mod = library(lib)
    mod.set_num_threads(threads)
    return {"encoder_step": sample(build(mod), repeat, target_s)}


def run(quick: bool, threads: int) -> dict:
    libs = available(LIBS)
    script = os.path.abspath(__file__)
    if len(libs) == 2:
        subprocess.run([sys.executable, script, "--check"], check=True)
    rounds, repeat, target_s = (1, 3, 0.2) if quick else (3, 7, 0.5)
    times = sample_in_workers(script, libs, rounds, repeat, target_s, threads)
    row = {"workload": f"encoder block step (b{BATCH}, s{SEQ}, d{D_MODEL}, h{HEADS}, AdamW)", "unit": "ms/step",
           "spread": {}}
    for lib in libs:
        st = times[lib]["encoder_step"]
        row[lib] = st["median"] * 1e3
        row["spread"][lib] = {"p10": st["p10"] * 1e3, "p90": st["p90"] * 1e3, "n": st["n"]}
    row["ratio_ember_torch"] = row["ember"] / row["torch"] if len(libs) == 2 else None
    return {"machine": machine_info(threads), "quick": quick,
            "shape": {"batch": BATCH, "seq": SEQ, "d_model": D_MODEL, "heads": HEADS, "d_ff": D_FF}, "rows": [row]}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; torch {m['torch']}, ember {m['ember']}")
    print("# median ms per training step [p10, p90]; ember/torch < 1: ember faster")
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
