"""Writes scikit-learn's bundled digits as the safetensors file that train_digits reads.

    python make_data.py digits.safetensors [--seed 0] [--test-fraction 0.2]

Tensors: x_train (N, 1, 8, 8) float32 (pixels / 16), y_train (N,) int64, x_test, y_test; the split is
a permutation from numpy.random.default_rng(seed): its first test_fraction * 1797 images are the
test set, the rest the training set.
"""
from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_digits

import ember


def split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices of a seeded permutation of range(n)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(n * test_fraction)
    return order[n_test:], order[:n_test]


def write_digits(path: str, seed: int = 0, test_fraction: float = 0.2) -> dict[str, int]:
    """Saves the split digits to path with ember.save; returns the sizes of both parts."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]  # (N, 1, 8, 8)
    y = digits.target.astype(np.int64)
    train, test = split(len(x), test_fraction, seed)
    tensors = {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}
    ember.save({k: ember.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}, path)
    return {"train": len(train), "test": len(test)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args()
    sizes = write_digits(args.path, args.seed, args.test_fraction)
    print(f"wrote {args.path}: {sizes['train']} training and {sizes['test']} test images")


if __name__ == "__main__":
    main()
