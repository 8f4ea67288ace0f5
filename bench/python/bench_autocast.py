#!/usr/bin/env python3
"""bfloat16 autocast on the CPU: ember beside PyTorch, each in float32 and under autocast.

Usage::

    PYTHONPATH=python python bench/python/bench_autocast.py [--quick] [--json results.json] [--threads N]
                                                            [--accuracy]

Rows (each library in its own process, taking turns over rounds; medians with the 10th-90th percentiles):

- matmul 2048x2048 float32, plain and under ``autocast("cpu", dtype=bfloat16)`` (bfloat16 products with
  float32 sums), and of two bfloat16 tensors (a bfloat16 result), as GFLOP/s-comparable ms per product
  (target: ember's bfloat16 >= 2x its float32 speed);
- the Fashion-MNIST CNN of ``make demo`` (examples/demo.py, batch 128 of 28x28 images) training step, and the
  transformer encoder block step of bench_transformer.py (b8, s128, d256, AdamW): the forward and loss under
  autocast, backward and optimizer step after it, as PyTorch recommends (targets: ember's autocast step
  >= 1.3x faster than its float32 step, and <= 0.8x PyTorch's autocast step).

``--accuracy`` (also part of a full run, not of --quick) trains the demo's Fashion-MNIST CNN twice with
examples/demo.py's recipe, in float32 and under autocast, and reports both test accuracies (target: within
0.3 points). The ISA oneDNN dispatches to is reported: the speed targets apply where bfloat16 is native.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench_ops import available, fmt, library, machine_info, sample, sample_in_workers, worker_main
import bench_transformer
from bench_train import shared_weights

LIBS = ("ember", "torch")
N = 2048
CNN_BATCH = 128
TARGETS = {"matmul_speedup": 2.0, "step_speedup": 1.3, "vs_torch": 0.8, "accuracy_points": 0.3}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fashion_cnn(lib):
    """examples/demo.py's make_model(28) written once for both libraries."""
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def autocast(lib, on: bool):
    return lib.autocast("cpu", dtype=lib.bfloat16, enabled=on)


def train_step(lib, on: bool, loss_of, opt):
    """A step: the forward and loss (loss_of()) under autocast when on, then backward and the update after it."""
    def step():
        with autocast(lib, on):
            loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def cnn_step(lib, on: bool):
    model = fashion_cnn(lib)
    shared_weights(model, lib, seed=0)
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.random((CNN_BATCH, 1, 28, 28), dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, 10, CNN_BATCH).astype(np.int64))
    loss_fn = lib.nn.CrossEntropyLoss()
    return train_step(lib, on, lambda: loss_fn(model(x), y), lib.optim.Adam(model.parameters(), lr=1e-3))


def encoder_step(lib, on: bool):
    model = bench_transformer.encoder_block(lib)
    model.load_state_dict({k: lib.from_numpy(v) for k, v in bench_transformer.seeded_state().items()})
    x, target = (lib.from_numpy(a) for a in bench_transformer.data())
    t = bench_transformer
    opt = lib.optim.AdamW(model.parameters(), lr=t.LR, betas=t.BETAS, eps=t.EPS, weight_decay=t.WEIGHT_DECAY)
    return train_step(lib, on, lambda: lib.nn.functional.mse_loss(model(x), target), opt)


def matmul(lib, on: bool):
    rng = np.random.default_rng(0)
    a, b = (lib.from_numpy(rng.standard_normal((N, N), dtype=np.float32)) for _ in range(2))

    def product():
        with autocast(lib, on):
            return lib.matmul(a, b)
    return product


def matmul_bf16_tensors(lib):
    """The same product on bfloat16 tensors (a bfloat16 result), no autocast."""
    rng = np.random.default_rng(0)
    a, b = (lib.from_numpy(rng.standard_normal((N, N), dtype=np.float32)).bfloat16() for _ in range(2))
    return lambda: lib.matmul(a, b)


def worker(lib: str, threads: int, repeat: int, target_s: float) -> dict:
    mod = library(lib)
    mod.set_num_threads(threads)
    out = {}
    for name, make in (("matmul", matmul), ("cnn", cnn_step), ("encoder", encoder_step)):
        for on in (False, True):
            out[f"{name}_{'bf16' if on else 'f32'}"] = sample(make(mod, on), repeat, target_s)
    out["matmul_bf16t"] = sample(matmul_bf16_tensors(mod), repeat, target_s)
    return out


def check_agree() -> None:
    """Refuses to time an ember whose autocast steps stray from PyTorch's (from the same weights, the first
    losses within 2 %)."""
    for make in (cnn_step, encoder_step):
        losses = {lib: make(library(lib), True)().item() for lib in LIBS}
        if not np.isclose(losses["ember"], losses["torch"], rtol=2e-2):
            raise SystemExit(f"{make.__name__} under autocast disagrees: losses {losses}")


def accuracy(threads: int) -> dict:
    """Test accuracy (%) of the demo's Fashion-MNIST CNN trained in float32 and under autocast."""
    code = ("import sys, json; sys.path.insert(0, %r); import demo, ember; ember.set_num_threads(%d); "
            "data = demo.fashion_mnist(); out = {}\n"
            "for name, on in (('float32', False), ('autocast bf16', True)):\n"
            "    _, _, h = demo.train(data, autocast=on); out[name] = 100 * h['test_acc'][-1]\n"
            "print(json.dumps(out))") % (str(EXAMPLES), threads)
    import json
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool, threads: int, with_accuracy: bool | None = None) -> dict:
    libs = available(LIBS)
    script = os.path.abspath(__file__)
    if "ember" in libs and "torch" in libs:
        subprocess.run([sys.executable, script, "--check"], check=True)
    rounds, repeat, target_s = (1, 3, 0.2) if quick else (3, 5, 0.5)
    times = sample_in_workers(script, libs, rounds, repeat, target_s, threads)
    import ember
    isa = ember.backends.cpu.info()
    rows = []
    names = {"matmul": f"matmul {N}x{N}", "cnn": f"Fashion CNN train step (b{CNN_BATCH})",
             "encoder": "encoder block train step (b8, s128, d256)"}
    kinds = {"f32": "float32", "bf16": "autocast bf16", "bf16t": "bfloat16 tensors"}
    for name, label in names.items():
        for precision in ("f32", "bf16", "bf16t") if name == "matmul" else ("f32", "bf16"):
            key = f"{name}_{precision}"
            row = {"workload": f"{label}, {kinds[precision]}", "unit": "ms",
                   "precision": precision, "spread": {}}
            for lib in libs:
                st = times[lib][key]
                row[lib] = st["median"] * 1e3
                row["spread"][lib] = {"p10": st["p10"] * 1e3, "p90": st["p90"] * 1e3, "n": st["n"]}
            if precision != "f32":
                row["speedup_vs_f32"] = times["ember"][f"{name}_f32"]["median"] / times["ember"][key]["median"]
                row["target_speedup"] = TARGETS["matmul_speedup" if name == "matmul" else "step_speedup"]
                if name != "matmul" and "torch" in row:
                    row["target_ember_torch"] = TARGETS["vs_torch"]
            if name == "matmul":
                row["gflops"] = {lib: 2 * N ** 3 / (row[lib] * 1e-3) / 1e9 for lib in libs}
            rows.append(row)
    result = {"machine": machine_info(threads), "quick": quick, "isa": isa.isa, "bf16_native": isa.bf16_native,
              "rows": rows}
    if with_accuracy if with_accuracy is not None else not quick:
        acc = accuracy(threads)
        result["accuracy"] = acc
        result["accuracy_gap_points"] = acc["float32"] - acc["autocast bf16"]
    return result


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; oneDNN ISA {result['isa']} "
          f"(bfloat16 {'native' if result['bf16_native'] else 'NOT native'})")
    print("# median ms [p10, p90]; speed-up: ember float32 / ember autocast")
    head = f"{'workload':<52}{'ember':>24}{'torch':>24}{'ember/torch':>13}{'speed-up':>10}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        cells = "".join(f"{fmt(r.get(lib), 8, 2)} [{fmt(r['spread'].get(lib, {}).get('p10'), 6, 2)},"
                        f"{fmt(r['spread'].get(lib, {}).get('p90'), 6, 2)}]" for lib in LIBS)
        ratio = r["ember"] / r["torch"] if r.get("torch") else None
        print(f"{r['workload']:<52}{cells}{fmt(ratio, 13)}{fmt(r.get('speedup_vs_f32'), 10)}")
    if "accuracy" in result:
        acc = result["accuracy"]
        print(f"# Fashion-MNIST test accuracy: " + ", ".join(f"{k} {v:.2f} %" for k, v in acc.items())
              + f" (gap {result['accuracy_gap_points']:+.2f} points)")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--accuracy" in argv:
        threads = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else os.cpu_count()
        acc = accuracy(threads)
        print(", ".join(f"{k} {v:.2f} %" for k, v in acc.items()),
              f"(gap {acc['float32'] - acc['autocast bf16']:+.2f} points)")
        return 0
    return worker_main(argv, __doc__, "a short run: one round, fewer repetitions, no accuracy training",
                       check_agree, worker, run, print_table, libs=LIBS)


if __name__ == "__main__":
    sys.exit(main())
