"""make demo's Python half on its fast path (--dataset digits): trains the digits CNN to at least 97%, reloads
the checkpoint with the same predictions, writes the loss plot, the split for the C++ twin and the exported
model for examples/deploy. The Fashion-MNIST path (make demo's default, minutes of training) is checked here
on a subset: the data as the demo reads it, the 28x28 model, one short epoch through the same loop."""
import os
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_demo_trains_saves_reloads_and_plots(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["demo.py", "--dataset", "digits", "--out", str(tmp_path)])
    runpy.run_path(str(DEMO), run_name="__main__")
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert accuracy >= 97.0, out
    assert "same predictions: yes" in out
    png = (tmp_path / "loss.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    checkpoint = ember.load(tmp_path / "digits.safetensors")
    assert checkpoint["epoch"] == 15 and "1.running_mean" in checkpoint["model"]
    assert checkpoint["optimizer"]["param_groups"][0]["lr"] == 2e-3
    split = ember.load(tmp_path / "digits_split.safetensors")
    assert tuple(split["x_train"].shape) == (1438, 1, 8, 8) and split["y_test"].dtype == ember.int64
    # the exported model (what make demo runs from C++) predicts what the checkpoint's model predicts
    assert (tmp_path / "python_accuracy.txt").read_text().strip() == f"{accuracy:.2f}%"
    correct = int(out.split("% (")[1].split("/")[0])
    assert (tmp_path / "python_correct.txt").read_text().strip() == str(correct) and f"{correct}/359 test images" in out
    demo = runpy.run_path(str(DEMO))
    model = demo["make_model"]()
    model.load_state_dict(checkpoint["model"])
    model.eval()
    deployed = ember.deploy.load(tmp_path / "digits.ember")
    with ember.no_grad():
        np.testing.assert_allclose(deployed(split["x_test"]).numpy(), model(split["x_test"]).numpy(), rtol=1e-5,
                                   atol=1e-5)


FASHION_ROOT = "/usr/share/datasets/fashion-mnist"


def test_demo_model_is_built_from_the_input_size():
    demo = runpy.run_path(str(DEMO))
    names = {k: tuple(v.shape) for k, v in demo["make_model"](28).state_dict().items()}
    # the layers examples/train_fashion builds, under the same names
    assert names["0.weight"] == (32, 1, 3, 3) and names["4.weight"] == (64, 32, 3, 3)
    assert names["5.running_var"] == (64,) and names["9.weight"] == (128, 64 * 7 * 7) and names["11.weight"] == (10, 128)
    assert demo["make_model"]()(ember.zeros(2, 1, 8, 8)).shape == (2, 10)


@pytest.mark.skipif(not os.path.isdir(FASHION_ROOT), reason="apt install dataset-fashion-mnist")
def test_demo_fashion_path_on_a_subset():
    demo = runpy.run_path(str(DEMO))
    data = demo["fashion_mnist"]()
    assert tuple(data["x_train"].shape) == (60000, 1, 28, 28) and data["x_train"].dtype == ember.float32
    assert tuple(data["y_test"].shape) == (10000,) and data["y_test"].dtype == ember.int64
    assert data["x_test"].min().item() == 0.0 and data["x_test"].max().item() == 1.0
    subset = {"x_train": data["x_train"][:3000], "y_train": data["y_train"][:3000],
              "x_test": data["x_test"][:1000], "y_test": data["y_test"][:1000]}
    config = dict(demo["CONFIGS"]["fashion"])
    model, optimizer, history = demo["train"](subset, epochs=1, config=config)
    assert history.last()["test_acc"] > 0.6
    _, accuracy, pred = demo["evaluate"](model, subset["x_test"], subset["y_test"])
    assert accuracy == history.last()["test_acc"] and tuple(pred.shape) == (1000,)
