"""examples/train_digits (the C++ twin of the demo) builds against the installed package, trains the CNN
for a few epochs, reaches a sensible accuracy, and saves weights that load into the same model in Python."""
import re
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
