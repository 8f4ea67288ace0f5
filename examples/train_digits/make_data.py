"""Writes scikit-learn's bundled digits, split as the Python demo splits them, as the safetensors file
that train_digits reads (`make demo` writes the same file as build/demo/digits_split.safetensors).

    python make_data.py digits.safetensors [--seed 0] [--test-fraction 0.2]

Tensors: x_train (N, 1, 8, 8) float32 (pixels / 16), y_train (N,) int64, x_test, y_test (see
examples/demo.py: digits_split).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from demo import save_split  # noqa: E402 - examples/demo.py holds the one definition of the split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args()
    data = save_split(args.path, args.seed, args.test_fraction)
    print(f"wrote {args.path}: {len(data['y_train'])} training and {len(data['y_test'])} test images")


if __name__ == "__main__":
    main()
