#!/usr/bin/env python3
"""ember's CUDA backend beside PyTorch CUDA, on one GPU, in one run (issue 8's figures).

Usage::

    PYTHONPATH=python python bench/python/bench_cuda.py [--quick]

- matmul 8192 x 8192 float32 (cuBLAS through both; TFLOP/s; target ember >= 0.9x PyTorch);
- elementwise a + b on 256M float32 (GB/s counting two reads and one write) beside a device-to-device
  copy of the same buffer by PyTorch (the memory bandwidth reference; target >= 85 %);
- the digits MLP forward+backward (Linear 64-256-10, batch 64, sum of logits: the ops ember has on the
  device so far) beside PyTorch's.

Each figure is the median of timed repetitions after warm-up, with the device synchronized around each.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import ember


def timed(fn, sync, repeat: int) -> float:
    """Median seconds per call of fn over `repeat` calls, after 3 warm-up calls."""
    for _ in range(3):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    import torch

    if not ember.cuda.is_available():
        print(f"no CUDA device: {ember.cuda.unavailable_reason()}")
        return 0
    repeat = 5 if args.quick else 20
    esync, tsync = ember.cuda.synchronize, torch.cuda.synchronize
    print(f"# {torch.cuda.get_device_name(0)}; torch {torch.__version__}; median of {repeat}")
    print(f"{'workload':<40}{'ember':>12}{'torch':>12}{'ratio':>8}  unit")

    n = 8192
    a_np = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    ea, ta = ember.from_numpy(a_np).cuda(), torch.from_numpy(a_np).cuda()
    flop = 2 * n**3
    te = timed(lambda: ember.matmul(ea, ea), esync, repeat)
    tt = timed(lambda: torch.matmul(ta, ta), tsync, repeat)
    got = ember.matmul(ea, ea)[:4, :4].cpu().numpy()
    want = torch.matmul(ta, ta)[:4, :4].cpu().numpy()
    assert np.allclose(got, want, rtol=1e-2, atol=1e-1), (got, want)
    print(f"{'matmul 8192^2 float32':<40}{flop / te / 1e12:>12.1f}{flop / tt / 1e12:>12.1f}{tt / te:>8.2f}  TFLOP/s")
    del ea, ta

    m = 256 * 1024 * 1024
    x_np = np.ones(m, dtype=np.float32)
    ex, ey = ember.from_numpy(x_np).cuda(), ember.from_numpy(x_np).cuda()
    tx, ty = torch.from_numpy(x_np).cuda(), torch.from_numpy(x_np).cuda()
    tz = torch.empty_like(tx)
    gb = 3 * 4 * m / 1e9
    te = timed(lambda: ex + ey, esync, repeat)
    tt = timed(lambda: tx + ty, tsync, repeat)
    tc = timed(lambda: tz.copy_(tx), tsync, repeat)
    copy_gbs = 2 * 4 * m / 1e9 / tc
    print(f"{'a + b, 256M float32':<40}{gb / te:>12.0f}{gb / tt:>12.0f}{tt / te:>8.2f}  GB/s "
          f"(ember at {gb / te / copy_gbs * 100:.0f} % of the copy's {copy_gbs:.0f} GB/s)")
    del ex, ey, tx, ty, tz

    rng = np.random.default_rng(1)
    w1, b1 = rng.standard_normal((256, 64), dtype=np.float32) * 0.1, np.zeros(256, np.float32)
    w2, b2 = rng.standard_normal((10, 256), dtype=np.float32) * 0.1, np.zeros(10, np.float32)
    xb = rng.standard_normal((64, 64), dtype=np.float32)

    def params(lib, to):
        ps = [to(lib, v) for v in (w1, b1, w2, b2)]
        for q in ps:
            q.requires_grad_(True)
        return ps
    ep = params(ember, lambda lib, v: ember.from_numpy(v.copy()).cuda())
    tp = params(torch, lambda lib, v: torch.from_numpy(v.copy()).cuda())
    exb, txb = ember.from_numpy(xb).cuda(), torch.from_numpy(xb).cuda()

    def step(lib, ps, x):
        h = lib.relu(x @ ps[0].T + ps[1])
        (h @ ps[2].T + ps[3]).sum().backward()
    te = timed(lambda: step(ember, ep, exb), esync, repeat * 10)
    tt = timed(lambda: step(torch, tp, txb), tsync, repeat * 10)
    print(f"{'MLP 64-256-10 fwd+bwd, batch 64':<40}{te * 1e6:>12.1f}{tt * 1e6:>12.1f}{tt / te:>8.2f}  us "
          "(ratio = torch/ember time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
