#!/usr/bin/env python3
"""Trains the digits MLP with one library in a process of its own and prints its peak resident memory as JSON.

bench_footprint.py runs one of these per library: the process imports only NumPy and that library, so
that its peak resident set is the library's footprint plus the training run's. The peak is read from
/proc/self/status (VmHWM, this program's address space alone) rather than ``getrusage``'s ``ru_maxrss``,
which Linux carries over from the parent across fork and exec (the parent has torch and ember loaded).

    python footprint_worker.py LIB DATA.npz EPOCHS THREADS    (LIB: ember, torch)

The model is bench_train.py's MLP (``Linear(64, 256), ReLU, Linear(256, 10)``, cross-entropy, Adam,
batch 64) over the images and labels in DATA.npz (``x`` float32 (N, 64), ``y`` int64 (N,)), in order.
"""
import importlib
import json
import sys
import time

import numpy as np


def peak_mb() -> float:
    """This program's peak resident set size so far, in MB."""
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kib * 1024 / 1e6


def main() -> None:
    lib_name, data, epochs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    arrays = np.load(data)
    x_all, y_all = arrays["x"], arrays["y"]
    lib = importlib.import_module(lib_name)
    lib.set_num_threads(threads)
    after_import = peak_mb()
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        for i in range(0, len(y_all), 64):
            loss = loss_fn(model(lib.from_numpy(x_all[i:i + 64])), lib.from_numpy(y_all[i:i + 64]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    print(json.dumps({"peak_mb_after_import": after_import, "peak_mb": peak_mb(),
                      "train_s": time.perf_counter() - t0, "final_loss": loss.item()}))


if __name__ == "__main__":
    main()
