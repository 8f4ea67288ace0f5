#!/usr/bin/env python3
"""A Fashion-MNIST training epoch with DataLoader worker processes: ember beside PyTorch, time and memory.

Usage::

    PYTHONPATH=python python bench/python/bench_fashion.py [--quick] [--json results.json] [--threads N]
                                                           [--workers W]

Each library, in a process of its own, trains the demo's CNN (examples/demo.py: two Conv2d(3x3) +
BatchNorm2d + ReLU + MaxPool2d blocks of 32 and 64 channels, Linear(3136, 128), ReLU, Linear(128, 10);
Adam(1e-3), batch 128) for one epoch over Debian's Fashion-MNIST training images
(``apt install dataset-fashion-mnist``), loaded by ``DataLoader(shuffle=True, num_workers=W)`` from a
Dataset that turns one uint8 image into a normalized float tensor per sample (the same code for both
libraries: only ``lib`` differs; the files are read once with NumPy). The figures are the epoch's wall
time (workers started and joined inside it, as a user's epoch has them) and the peak memory of the whole
process tree: the sum over the training process and its workers of their proportional set sizes (PSS, so that
pages a worker shares with its parent after fork are counted once), sampled every 20 ms. ``--quick`` trains
on the first 12,800 images. The issue's targets: time <= 0.6x PyTorch's, peak memory <= 0.5x.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from bench_ops import arg_parser, available, fmt, library, machine_info, write_json

LIBS = ("ember", "torch")
ROOT = Path("/usr/share/datasets/fashion-mnist")
MEAN, STD, BATCH = 0.2860, 0.3530, 128
TARGETS = {"time": 0.6, "memory": 0.5}


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (gzip-compressed), as an array of the shape its header gives."""
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def demo_cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def images_dataset(lib, images: np.ndarray, labels: np.ndarray):
    class Images(lib.utils.data.Dataset):
        def __init__(self):
            self.images, self.labels = lib.from_numpy(images.copy()), labels.tolist()

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            x = (self.images[i].float() / 255.0 - MEAN) / STD
            return x.unsqueeze(0), self.labels[i]

    return Images()


class TreeMemory:
    """The peak, sampled every 20 ms on a thread, of the summed PSS of this process and its descendants."""

    def __init__(self):
        self.peak_mb, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            return 0  # the process ended between the listing and the read

    @staticmethod
    def _descendants(pid: int) -> list:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            try:
                with open(f"/proc/{p}/task/{p}/children") as f:
                    kids = [int(c) for c in f.read().split()]
            except OSError:
                kids = []
            out += kids
            todo += kids
        return out

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            total = sum(self._pss_kib(p) for p in [me, *self._descendants(me)])
            self.peak_mb = max(self.peak_mb, total * 1024 / 1e6)
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def worker(lib_name: str, threads: int, workers: int, n: int) -> dict:
    images, labels = read_idx(ROOT / "train-images-idx3-ubyte.gz")[:n], read_idx(ROOT / "train-labels-idx1-ubyte.gz")[:n]
    with TreeMemory() as memory:
        lib = library(lib_name)
        lib.set_num_threads(threads)
        lib.manual_seed(0)
        model = demo_cnn(lib)
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        loader = lib.utils.data.DataLoader(images_dataset(lib, images, labels.astype(np.int64)), batch_size=BATCH,
                                           shuffle=True, num_workers=workers)
        t0 = time.perf_counter()
        correct = 0
        for x, y in loader:
            logits = model(x)
            loss = lib.nn.functional.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += int((logits.argmax(1) == y).sum())
        epoch_s = time.perf_counter() - t0
    return {"epoch_s": epoch_s, "peak_mb": memory.peak_mb, "train_accuracy": correct / len(labels)}


def run(quick: bool, threads: int, workers: int = 2) -> dict:
    if not (ROOT / "train-images-idx3-ubyte.gz").exists():
        raise SystemExit(f"Fashion-MNIST is not installed under {ROOT}: apt install dataset-fashion-mnist")
    libs = available(LIBS)
    n = 12800 if quick else 60000
    results = {}
    for lib in libs:
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", lib, "--threads", str(threads),
                              "--workers", str(workers), "--n", str(n)], check=True, capture_output=True, text=True)
        results[lib] = json.loads(out.stdout)
    rows = []
    for key, workload, unit, scale in (("epoch_s", f"Fashion-MNIST epoch ({n} images, {workers} workers)", "s", 1.0),
                                       ("peak_mb", f"Fashion-MNIST epoch peak memory (PSS, {workers} workers)", "MB",
                                        1.0)):
        row = {"workload": workload, "unit": unit, **{lib: results[lib][key] * scale for lib in libs}}
        row["ratio_ember_torch"] = row["ember"] / row["torch"] if "ember" in row and "torch" in row else None
        row["target_ratio"] = TARGETS["time" if key == "epoch_s" else "memory"]
        rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "workers": workers, "rows": rows,
            "train_accuracy": {lib: results[lib]["train_accuracy"] for lib in libs}}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; torch {m['torch']}, ember {m['ember']}")
    head = f"{'workload':<60}{'unit':>6}{'ember':>10}{'torch':>10}{'ember/torch':>13}{'target':>8}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['workload']:<60}{r['unit']:>6}{fmt(r.get('ember'), 10, 2)}{fmt(r.get('torch'), 10, 2)}"
              f"{fmt(r.get('ratio_ember_torch'), 13)}{r['target_ratio']:>8}")
    print("# training accuracy after the epoch:", result["train_accuracy"])


def main(argv=None) -> int:
    p = arg_parser(__doc__, "the first 12,800 images only")
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (default 2)")
    p.add_argument("--worker", choices=list(LIBS), help="internal: run one library")
    p.add_argument("--n", type=int, default=60000, help="internal: images per epoch")
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.workers, args.n)))
        return 0
    result = run(args.quick, args.threads, args.workers)
    print_table(result)
    if args.json:
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
