"""make demo's Python half: trains the digits CNN to at least 97%, reloads the checkpoint with the same
predictions, writes the loss plot, the split for the C++ twin and the exported model for examples/deploy."""
import runpy
import sys
from pathlib import Path

import numpy as np

import ember

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_demo_trains_saves_reloads_and_plots(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["demo.py", "--out", str(tmp_path)])
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
    demo = runpy.run_path(str(DEMO))
    model = demo["make_model"]()
    model.load_state_dict(checkpoint["model"])
    model.eval()
    deployed = ember.deploy.load(tmp_path / "digits.ember")
    with ember.no_grad():
        np.testing.assert_allclose(deployed(split["x_test"]).numpy(), model(split["x_test"]).numpy(), rtol=1e-5,
                                   atol=1e-5)
