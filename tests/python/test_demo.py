"""make demo's Python half: trains the digits CNN to at least 97%, reloads the checkpoint with the same
predictions, writes the loss plot and the split for the C++ twin."""
import runpy
import sys
from pathlib import Path

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
