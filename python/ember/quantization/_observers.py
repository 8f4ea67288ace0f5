"""Calibration observers: what range of an activation to map onto int8 / uint8.

Each observer sees every calibration batch of one value twice: ``update_range`` (pass 1: min and max), then,
for the histogram methods, ``update_histogram`` (pass 2: a histogram of |x| over [0, max |x|]). ``amax()`` is
the magnitude that maps to the largest quantized value; values beyond it saturate.

- ``minmax``: the largest |x| seen (no value saturates; one outlier widens every step).
- ``percentile``: the given percentile of |x| (99.99 by default: the rarest values saturate).
- ``entropy``: the threshold whose quantized histogram is closest to the float one in KL divergence
  (TensorRT's calibration, as PyTorch's HistogramObserver and onnxruntime's "Entropy" method do).
"""
from __future__ import annotations

import math

import numpy as np

METHODS = ("minmax", "percentile", "entropy")
BINS = 2048


class Observer:
    """The range statistics of one graph value over the calibration batches."""

    def __init__(self, name: str, method: str, percentile: float) -> None:
        self.name, self.method, self.percentile = name, method, percentile
        self.min, self.max = math.inf, -math.inf
        self.hist: np.ndarray | None = None

    @property
    def needs_histogram(self) -> bool:
        return self.method != "minmax"

    @property
    def is_unsigned(self) -> bool:
        """True when no calibration value was negative (after a ReLU, say): the input is quantized to uint8."""
        return self.min >= 0

    def update_range(self, x: np.ndarray) -> None:
        if x.size == 0:
            return
        lo, hi = float(x.min()), float(x.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"[quantize] calibration saw a non-finite value (NaN or inf) in '{self.name}': "
                             "int8 cannot represent it; check the model and the calibration data")
        self.min, self.max = min(self.min, lo), max(self.max, hi)

    def update_histogram(self, x: np.ndarray) -> None:
        top = self._range_amax()
        if top == 0 or x.size == 0:
            return
        h, _ = np.histogram(np.abs(x), bins=BINS, range=(0.0, top))
        self.hist = h.astype(np.float64) if self.hist is None else self.hist + h

    def _range_amax(self) -> float:
        return max(abs(self.min), abs(self.max)) if self.min <= self.max else 0.0

    def amax(self) -> float:
        """The magnitude mapped to the largest quantized value (0 when the value was always 0)."""
        top = self._range_amax()
        if self.method == "minmax" or top == 0 or self.hist is None:
            return top
        width = top / BINS
        if self.method == "percentile":
            cdf = np.cumsum(self.hist) / self.hist.sum()
            i = int(np.searchsorted(cdf, self.percentile / 100.0))
            return min(top, (i + 1) * width)
        levels = 256 if self.is_unsigned else 128
        hist = self.hist.copy()
        hist[0] = hist[1]  # the spike of exact zeros (ReLU outputs) would dominate the divergence (as NVIDIA's
        #                    pytorch-quantization does)
        return min(top, (_entropy_bin(hist, levels) + 0.5) * width)

    def scale(self) -> float:
        """The float32 step of one quantized unit: amax / 255 (uint8) or amax / 127 (int8); 1 for an all-zero value."""
        a = self.amax()
        return float(np.float32(a / (255.0 if self.is_unsigned else 127.0))) if a > 0 else 1.0


def _entropy_bin(hist: np.ndarray, levels: int) -> int:
    """The bin index i (levels <= i <= len(hist)) at which clipping the histogram to hist[:i] and quantizing
    that to `levels` bins loses the least information (smallest KL divergence), minus one."""
    n = len(hist)
    if n <= levels:
        return n - 1
    best_i, best_kl = n, math.inf
    for i in range(levels, n + 1):
        p = hist[:i].copy()
        p[-1] += hist[i:].sum()  # the clipped tail saturates into the last bin
        if p.sum() == 0:
            continue
        # Merge hist[:i] into `levels` groups, then spread each group's mass evenly over its non-empty bins.
        edges = (np.arange(levels) * i) // levels
        sums = np.add.reduceat(hist[:i], edges)
        nonzero = np.add.reduceat((hist[:i] != 0).astype(np.float64), edges)
        group = np.repeat(np.arange(levels), np.diff(np.append(edges, i)))
        q = np.where(hist[:i] != 0, sums[group] / np.maximum(nonzero[group], 1), 0.0)
        mask = p > 0
        if (q[mask] == 0).any():
            continue  # p has mass where q has none: infinite divergence
        pn, qn = p / p.sum(), q / q.sum()
        kl = float(np.sum(pn[mask] * np.log(pn[mask] / qn[mask])))
        if kl < best_kl:
            best_i, best_kl = i, kl
    return best_i - 1
