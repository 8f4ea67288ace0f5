"""make demo's computation runs and agrees with NumPy."""
import runpy
import sys
from pathlib import Path


def test_demo_runs_and_agrees_with_numpy(capsys):
    sys.modules.pop("demo", None)
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "examples" / "demo.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "agree on 100.00%" in out
    acc = float(out.split("ember: nearest-centroid test accuracy ")[1].split("%")[0])
    assert acc > 85.0
