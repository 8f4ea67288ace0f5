"""examples/train_digits and examples/train_fashion (the C++ twins of the demo) build against the installed
package, train the CNN for a few epochs (train_fashion on a subset of the IDX files), reach a sensible accuracy,
and save weights that load into the same model in Python; examples/deploy --mnist runs an exported model on
the IDX test set and counts what Python counts."""
import os
import re
import runpy
import subprocess
import sys

import pytest

import ember
from _cpp_examples import EXAMPLES, build_example

EXAMPLE = EXAMPLES / "train_digits"


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    build = build_example("train_digits", tmp_path_factory.mktemp("train_digits") / "build")
    return build / "train_digits"


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    pytest.importorskip("sklearn")
    path = tmp_path_factory.mktemp("digits") / "digits.safetensors"
    subprocess.run([sys.executable, EXAMPLE / "make_data.py", path], check=True, capture_output=True, text=True)
    return path


def test_data_file_layout(digits_file):
    data = ember.load(digits_file)
    assert data["x_train"].shape == (1438, 1, 8, 8) and data["x_train"].dtype == ember.float32
    assert data["y_train"].shape == (1438,) and data["y_train"].dtype == ember.int64
    assert data["x_test"].shape == (359, 1, 8, 8) and data["y_test"].shape == (359,)
    assert 0.0 <= data["x_train"].min().item() and data["x_train"].max().item() == 1.0


def test_train_digits_cpp_trains_and_saves(program, digits_file, tmp_path):
    ckpt = tmp_path / "cnn.safetensors"
    run = subprocess.run([program, digits_file, ckpt, "--epochs", "3"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    losses = [float(m) for m in re.findall(r"^epoch +\d+/3 +train loss ([0-9.]+)", run.stdout, re.M)]
    assert len(losses) == 3 and losses[-1] < losses[0], run.stdout
    match = re.search(r"^C\+\+ test accuracy: ([0-9.]+)%$", run.stdout, re.M)
    assert match, run.stdout
    assert float(match.group(1)) > 80.0, run.stdout
    state = ember.load(ckpt)
    bn = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    assert sorted(state) == sorted([f"{i}.{p}" for i in (0, 3, 8, 10) for p in ("weight", "bias")] +
                                   [f"{i}.{p}" for i in (1, 4) for p in bn])
    assert state["0.weight"].shape == (16, 1, 3, 3) and state["8.weight"].shape == (64, 512)
    assert state["4.running_var"].shape == (32,) and state["4.num_batches_tracked"].item() == 3 * 23
    # the same model in Python loads the weights and gets the accuracy the C++ program printed
    nn = ember.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))
    model.load_state_dict(state)
    model.eval()
    data = ember.load(digits_file)
    with ember.no_grad():
        acc = ember.metrics.accuracy(model(data["x_test"]), data["y_test"])
    assert f"{100 * acc:.1f}" == match.group(1)


def test_train_digits_cpp_reports_bad_input(program, tmp_path):
    run = subprocess.run([program, tmp_path / "missing.safetensors"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "missing.safetensors" in run.stderr
    run = subprocess.run([program], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "usage: train_digits" in run.stderr
    run = subprocess.run([program, "x", "--epochs", "0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "invalid value for --epochs" in run.stderr


# --- examples/train_fashion and deploy --mnist (Fashion-MNIST, Debian's dataset-fashion-mnist) ---
FASHION_ROOT = "/usr/share/datasets/fashion-mnist"
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION_ROOT), reason="apt install dataset-fashion-mnist")


@pytest.fixture(scope="module")
def demo():
    return runpy.run_path(str(EXAMPLES / "demo.py"))


@pytest.fixture(scope="module")
def fashion_test(demo):
    data = demo["fashion_mnist"]()
    return data["x_test"], data["y_test"]


@needs_fashion
def test_train_fashion_cpp_trains_and_saves(demo, fashion_test, tmp_path_factory, tmp_path):
    build = build_example("train_fashion", tmp_path_factory.mktemp("train_fashion") / "build")
    ckpt = tmp_path / "fashion_cpp.safetensors"
    run = subprocess.run([build / "train_fashion", ckpt, "--epochs", "2", "--limit", "2000"], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2000 training and 10000 test images of 28x28" in run.stdout
    losses = [float(m) for m in re.findall(r"^epoch +\d+/2 +train loss ([0-9.]+)", run.stdout, re.M)]
    assert len(losses) == 2 and losses[-1] < losses[0], run.stdout
    match = re.search(r"^C\+\+ test accuracy: ([0-9.]+)% \((\d+)/10000 correct\)$", run.stdout, re.M)
    assert match and float(match.group(1)) > 60.0, run.stdout
    # the Python demo's 28x28 model loads the weights and counts the same correct predictions
    model = demo["make_model"](28)
    model.load_state_dict(ember.load(ckpt))
    x_test, y_test = fashion_test
    _, _, pred = demo["evaluate"](model, x_test, y_test)
    assert int((pred == y_test).sum().item()) == int(match.group(2))
    run = subprocess.run([build / "train_fashion", "--root", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and str(tmp_path) in run.stderr, run.stderr
    run = subprocess.run([build / "train_fashion", "--limit", "0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "invalid value for --limit" in run.stderr


@needs_fashion
def test_deploy_mnist_counts_what_python_counts(demo, fashion_test, tmp_path_factory, tmp_path):
    build = build_example("deploy", tmp_path_factory.mktemp("deploy") / "build")
    x_test, y_test = fashion_test
    model = demo["make_model"](28)
    model.train()
    with ember.no_grad():  # batch-norm statistics that are not the identity
        for i in range(3):
            model(x_test[1000 * i:1000 * i + 64])
    path = tmp_path / "fashion.ember"
    ember.deploy.export(model.eval(), x_test[:16], path)
    _, _, pred = demo["evaluate"](ember.deploy.load(path), x_test, y_test)
    correct = int((pred == y_test).sum().item())
    run = subprocess.run([build / "deploy", path, "--mnist", "default"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "input float32 (10000, 1, 28, 28) -> output (10000, 10)" in run.stdout, run.stdout
    assert f"C++ deploy accuracy: {correct / 100:.2f}% (10000 samples)" in run.stdout, run.stdout
    assert f"correct: {correct} of 10000" in run.stdout
    run = subprocess.run([build / "deploy", path, "--mnist", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "t10k-images-idx3-ubyte" in run.stderr, run.stderr
