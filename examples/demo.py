"""ember's main job: train a small CNN on scikit-learn's bundled digits, evaluate it, save a
checkpoint, reload it, and hand the same data to the C++ twin (examples/train_digits).

Written as a PyTorch user would write it, with `import ember` in place of `import torch`:

    python examples/demo.py [--epochs 15] [--out build/demo]

Writes <out>/digits.safetensors (model + optimizer + epoch + history), <out>/loss.png and
<out>/digits_split.safetensors (the seeded train/test split, for the C++ program).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

import ember
from ember import nn
from ember.utils import History, progress
from ember.utils.data import DataLoader, TensorDataset


def digits_split(seed: int = 0, test_fraction: float = 0.2):
    """The 1,797 8x8 digit images as (N, 1, 8, 8) float32 in [0, 1] and int64 labels, split with a seed."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def save_split(path, seed: int = 0, test_fraction: float = 0.2) -> dict:
    """Writes digits_split(seed, test_fraction) to path for the C++ twin; returns the split."""
    data = digits_split(seed, test_fraction)
    ember.save({k: ember.from_numpy(v) for k, v in data.items()}, path)
    return data


def make_model() -> nn.Module:
    """The demo CNN; examples/train_digits builds the same layers in C++."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


@ember.no_grad()
def evaluate(model: nn.Module, x: ember.Tensor, y: ember.Tensor) -> tuple[float, ember.Tensor]:
    """Test loss and accuracy, and the predicted labels."""
    model.eval()
    logits = model(x)
    pred = logits.argmax(1)
    return nn.functional.cross_entropy(logits, y).item(), (pred == y).float().mean().item(), pred


def train(data: dict, epochs: int, seed: int = 0):
    ember.manual_seed(seed)
    model = make_model()
    optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(ember.from_numpy(data["x_train"]), ember.from_numpy(data["y_train"])),
                        batch_size=64, shuffle=True, generator=ember.Generator().manual_seed(seed))
    x_test, y_test = ember.from_numpy(data["x_test"]), ember.from_numpy(data["y_test"])
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        with progress(loader, desc=f"epoch {epoch:2d}/{epochs}") as bar:
            for x, y in bar:
                logits = model(x)
                loss = loss_fn(logits, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                bar.log(loss=loss.item(), acc=(logits.argmax(1) == y).float().mean().item(), n=len(y))
        train_stats = bar.averages()
        test_loss, test_acc, _ = evaluate(model, x_test, y_test)
        history.append(epoch=epoch, train_loss=train_stats["loss"], test_loss=test_loss,
                       train_acc=train_stats["acc"], test_acc=test_acc)
    return model, optimizer, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("build/demo"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    data = digits_split()
    print(f"digits: {len(data['x_train'])} train / {len(data['x_test'])} test images of 8x8 pixels (seed 0)")
    t0 = time.perf_counter()
    model, optimizer, history = train(data, args.epochs)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - t0:.1f} s")

    x_test, y_test = ember.from_numpy(data["x_test"]), ember.from_numpy(data["y_test"])
    _, accuracy, pred = evaluate(model, x_test, y_test)
    print(f"test accuracy: {accuracy:.2%}")

    checkpoint = args.out / "digits.safetensors"
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs,
                "history": history.state_dict()}, checkpoint)
    restored = make_model()
    restored.load_state_dict(ember.load(checkpoint)["model"])
    _, restored_accuracy, restored_pred = evaluate(restored, x_test, y_test)
    same = bool((restored_pred == pred).all().item())
    print(f"checkpoint {checkpoint}: reloaded model accuracy {restored_accuracy:.2%}, "
          f"same predictions: {'yes' if same else 'NO'}")

    deployed = args.out / "digits.ember"
    ember.deploy.export(model, x_test[:64], deployed)
    print(f"exported for C++ (ember::deploy::load): {deployed}")
    (args.out / "python_accuracy.txt").write_text(f"{accuracy:.2%}\n")

    plot = history.plot(args.out / "loss.png", title="ember: digits CNN")
    print(f"loss and accuracy curves: {args.out / 'loss.png'}")
    save_split(args.out / "digits_split.safetensors")
    del plot
    if not same:
        raise SystemExit("the reloaded checkpoint predicts differently")
    if accuracy < 0.97:
        raise SystemExit(f"test accuracy {accuracy:.2%} is below the 97% the demo promises")


if __name__ == "__main__":
    main()
