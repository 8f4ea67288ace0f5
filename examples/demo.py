"""ember's demo: nearest-centroid classification of scikit-learn's bundled digits, in ember and NumPy.

Splits the 1,797 8x8 digit images with a fixed seed, computes one centroid per class on the training
part (mean), classifies the test part by the nearest centroid (squared distances through matmul, then
argmin), and prints both accuracies and how long each took.
"""
from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_digits

import ember


def split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(n * test_fraction)
    return order[n_test:], order[:n_test]


def nearest_centroid_ember(x_train, y_train, x_test, n_classes: int):
    x = ember.from_numpy(x_train)
    y = ember.from_numpy(y_train)
    centroids = ember.stack([x[y == c].mean(0) for c in range(n_classes)])  # (C, D)
    q = ember.from_numpy(x_test)                                           # (N, D)
    # |q - c|^2 = |q|^2 - 2 q.c + |c|^2; |q|^2 is the same for every class, so it drops out of argmin.
    scores = (centroids * centroids).sum(1) - 2 * (q @ centroids.T)        # (N, C)
    return scores.argmin(1).numpy()


def nearest_centroid_numpy(x_train, y_train, x_test, n_classes: int):
    centroids = np.stack([x_train[y_train == c].mean(0) for c in range(n_classes)])
    scores = (centroids * centroids).sum(1) - 2 * (x_test @ centroids.T)
    return scores.argmin(1)


def main() -> None:
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    train, test = split(len(x), 0.25, seed=0)
    print(f"digits: {len(x)} images of {x.shape[1]} pixels, {len(train)} train / {len(test)} test (seed 0)")
    results = {}
    for name, fn in (("ember", nearest_centroid_ember), ("numpy", nearest_centroid_numpy)):
        fn(x[train], y[train], x[test], 10)  # warm-up: oneDNN compiles its kernels on first use
        t0 = time.perf_counter()
        pred = fn(x[train], y[train], x[test], 10)
        elapsed = time.perf_counter() - t0
        results[name] = pred
        print(f"{name:>6}: nearest-centroid test accuracy {np.mean(pred == y[test]):.2%} ({elapsed * 1e3:.2f} ms)")
    agree = np.mean(results["ember"] == results["numpy"])
    print(f"ember and NumPy agree on {agree:.2%} of the test predictions")
    if agree < 1.0:
        raise SystemExit("ember and NumPy disagree")


if __name__ == "__main__":
    main()
