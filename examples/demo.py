"""ember's main job: train a CNN on Fashion-MNIST (or, as the fast path, scikit-learn's bundled digits),
evaluate it, save a checkpoint, reload it, and export it for the C++ programs (examples/train_fashion,
examples/train_digits, examples/deploy).

Written as a PyTorch user would write it, with `import ember` in place of `import torch`:

    python examples/demo.py [--dataset fashion|digits] [--epochs N] [--out build/demo]

Fashion-MNIST (the default) comes from Debian's dataset-fashion-mnist package (`apt install
dataset-fashion-mnist`, or `--root DIR` holding the IDX files). Writes <out>/<dataset>.safetensors (model +
optimizer + epoch + history), <out>/<dataset>.ember (the exported model), <out>/<dataset>.int8.ember (the
int8 model of ember.quantization), <out>/loss.png,
<out>/python_accuracy.txt and, for digits, <out>/digits_split.safetensors (the seeded train/test split, for
the C++ twin).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import ember
from ember import nn
from ember.utils import History, progress
from ember.utils.data import DataLoader, TensorDataset

# Per dataset: the epochs, batch size and Adam's learning rate (the peak of a one-cycle schedule where
# `one_cycle` is set), and the accuracy the demo promises. Tuned on a 2-core machine: the fashion run takes
# about 30 s an epoch there when the machine is otherwise idle.
CONFIGS = {
    "fashion": {"epochs": 4, "batch_size": 128, "lr": 3e-3, "one_cycle": True, "target": 0.91},
    "digits": {"epochs": 15, "batch_size": 64, "lr": 2e-3, "one_cycle": False, "target": 0.97},
}


def digits_split(seed: int = 0, test_fraction: float = 0.2):
    """The 1,797 8x8 digit images as (N, 1, 8, 8) float32 in [0, 1] and int64 labels, split with a seed."""
    from sklearn.datasets import load_digits

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


def fashion_mnist(root=None) -> dict:
    """Fashion-MNIST's 60,000 training and 10,000 test images as (N, 1, 28, 28) float32 in [0, 1] with int64
    labels (examples/train_fashion and examples/deploy --mnist scale the IDX files' bytes the same way)."""
    from ember.datasets import FashionMNIST

    splits = {"train": FashionMNIST(root, train=True), "test": FashionMNIST(root, train=False)}
    data = {}
    for name, ds in splits.items():
        data[f"x_{name}"] = ds.data.float().div(255).unsqueeze(1)
        data[f"y_{name}"] = ds.targets
    return data


def make_model(size: int = 8) -> nn.Sequential:
    """The demo CNN for (N, 1, size, size) images; examples/train_digits (size 8) and examples/train_fashion
    (size 28) build the same layers in C++.

    8x8 digits: conv 16 - conv 32 - one max pool - 64 hidden units. Larger images: two conv blocks of 32 and
    64 channels, each pooled, then 128 hidden units."""
    small = size <= 8
    channels, hidden = ((16, 32), 64) if small else ((32, 64), 128)
    layers: list[nn.Module] = []
    c_in = 1
    for c in channels:
        layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
        if not small:
            layers.append(nn.MaxPool2d(2))
            size //= 2
        c_in = c
    if small:
        layers.append(nn.MaxPool2d(2))
        size //= 2
    layers += [nn.Flatten(), nn.Linear(c_in * size * size, hidden), nn.ReLU(), nn.Linear(hidden, 10)]
    return nn.Sequential(*layers)


def _tensor(v) -> ember.Tensor:
    return ember.from_numpy(v) if isinstance(v, np.ndarray) else v


@ember.no_grad()
def evaluate(model, x, y, batch_size: int = 1000) -> tuple[float, float, ember.Tensor]:
    """Test loss, accuracy and the predicted labels, batch_size images at a time."""
    x, y = _tensor(x), _tensor(y)
    if isinstance(model, nn.Module):
        model.eval()
    loss, preds = 0.0, []
    for i in range(0, len(y), batch_size):
        logits = model(x[i:i + batch_size])
        loss += nn.functional.cross_entropy(logits, y[i:i + batch_size], reduction="sum").item()
        preds.append(logits.argmax(1))
    pred = ember.cat(preds)
    return loss / len(y), (pred == y).float().mean().item(), pred


def train(data: dict, epochs: int | None = None, seed: int = 0, config: dict | None = None, autocast: bool = False):
    """Trains make_model(image size) on data's x_train/y_train with Adam (arrays or tensors), evaluating on
    x_test/y_test after each epoch; returns the model, the optimizer and the History. config defaults to
    CONFIGS["digits"] for 8x8 images, CONFIGS["fashion"] otherwise. autocast: the forward passes run under
    ember.autocast (bfloat16 products, float32 weights)."""
    x_train, y_train = _tensor(data["x_train"]), _tensor(data["y_train"])
    size = x_train.shape[-1]
    config = config or CONFIGS["digits" if size <= 8 else "fashion"]
    epochs = epochs or config["epochs"]
    ember.manual_seed(seed)
    model = make_model(size)
    optimizer = ember.optim.Adam(model.parameters(), lr=config["lr"])
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=config["batch_size"], shuffle=True,
                        generator=ember.Generator().manual_seed(seed))
    scheduler = None
    if config["one_cycle"]:
        scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config["lr"], epochs=epochs,
                                                        steps_per_epoch=len(loader))
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        with progress(loader, desc=f"epoch {epoch:2d}/{epochs}") as bar:
            for x, y in bar:
                with ember.autocast("cpu", dtype=ember.bfloat16, enabled=autocast):
                    logits = model(x)
                    loss = loss_fn(logits, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                bar.log(loss=loss.item(), acc=(logits.argmax(1) == y).float().mean().item(), n=len(y))
        train_stats = bar.averages()
        test_loss, test_acc, _ = evaluate(model, data["x_test"], data["y_test"])
        history.append(epoch=epoch, train_loss=train_stats["loss"], test_loss=test_loss,
                       train_acc=train_stats["acc"], test_acc=test_acc)
        print(f"epoch {epoch:2d}/{epochs}: train loss {train_stats['loss']:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {test_acc:.2%}", flush=True)
    return model, optimizer, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(CONFIGS), default="fashion")
    parser.add_argument("--epochs", type=int, default=None, help="default: 4 for fashion, 15 for digits")
    parser.add_argument("--root", default=None, help="the folder of Fashion-MNIST's IDX files "
                                                     "(default: Debian's /usr/share/datasets/fashion-mnist)")
    parser.add_argument("--out", type=Path, default=Path("build/demo"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = CONFIGS[args.dataset]
    epochs = args.epochs or config["epochs"]

    if args.dataset == "digits":
        data = {k: ember.from_numpy(v) for k, v in digits_split().items()}
        print(f"digits: {len(data['x_train'])} train / {len(data['x_test'])} test images of 8x8 pixels (seed 0)")
    else:
        data = fashion_mnist(args.root)
        print(f"Fashion-MNIST: {len(data['x_train'])} train / {len(data['x_test'])} test images of 28x28 pixels")
    size = data["x_train"].shape[-1]
    t0 = time.perf_counter()
    model, optimizer, history = train(data, epochs, config=config)
    seconds = time.perf_counter() - t0
    print(f"trained {epochs} epochs in {seconds:.1f} s ({seconds / epochs:.1f} s per epoch)")

    x_test, y_test = data["x_test"], data["y_test"]
    _, accuracy, pred = evaluate(model, x_test, y_test)
    correct = int((pred == y_test).sum().item())
    print(f"test accuracy: {accuracy:.2%} ({correct}/{len(y_test)} correct)")

    checkpoint = args.out / f"{args.dataset}.safetensors"
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epochs,
                "history": history.state_dict()}, checkpoint)
    restored = make_model(size)
    restored.load_state_dict(ember.load(checkpoint)["model"])
    _, restored_accuracy, restored_pred = evaluate(restored, x_test, y_test)
    same = bool((restored_pred == pred).all().item())
    print(f"checkpoint {checkpoint}: reloaded model accuracy {restored_accuracy:.2%}, "
          f"same predictions: {'yes' if same else 'NO'}")

    deployed = args.out / f"{args.dataset}.ember"
    ember.deploy.export(model, x_test[:64], deployed)
    # The exported graph runs on the deploy runtime (fused layers), which examples/deploy runs from C++.
    _, _, deployed_pred = evaluate(ember.deploy.load(deployed), x_test, y_test)
    deployed_correct = int((deployed_pred == y_test).sum().item())
    print(f"exported for C++ (ember::deploy::load): {deployed}; "
          f"it classifies {deployed_correct}/{len(y_test)} test images correctly")
    (args.out / "python_accuracy.txt").write_text(f"{accuracy:.2%}\n")
    (args.out / "python_correct.txt").write_text(f"{correct}\n")

    # int8 for deployment: calibrate on 256 training images, run the int8 model, save it for the C++ program.
    calibration = DataLoader(TensorDataset(data["x_train"][:256], data["y_train"][:256]), batch_size=64)
    qmodel = ember.quantization.quantize(model, calibration, method="percentile")
    _, int8_accuracy, int8_pred = evaluate(qmodel, x_test, y_test)
    int8_correct = int((int8_pred == y_test).sum().item())
    qmodel.save(args.out / f"{args.dataset}.int8.ember")
    print(f"int8 (ember.quantization, {sum(r.int8 for r in qmodel.report)} layers): test accuracy {int8_accuracy:.2%} "
          f"({int8_correct}/{len(y_test)}), {accuracy - int8_accuracy:+.2%} from float32; "
          f"saved {args.out / f'{args.dataset}.int8.ember'}")
    (args.out / "python_int8_correct.txt").write_text(f"{int8_correct}\n")

    plot = history.plot(args.out / "loss.png", title=f"ember: {args.dataset} CNN")
    print(f"loss and accuracy curves: {args.out / 'loss.png'}")
    if args.dataset == "digits":
        save_split(args.out / "digits_split.safetensors")
    del plot
    if not same:
        raise SystemExit("the reloaded checkpoint predicts differently")
    if deployed_correct != correct:
        raise SystemExit(f"the exported model classifies {deployed_correct} test images correctly, "
                         f"the trained one {correct}")
    if accuracy - int8_accuracy > 0.01:
        raise SystemExit(f"the int8 model lost {accuracy - int8_accuracy:.2%} of test accuracy (at most 1 point)")
    if accuracy < config["target"]:
        raise SystemExit(f"test accuracy {accuracy:.2%} is below the {config['target']:.0%} the demo promises")


if __name__ == "__main__":
    main()
