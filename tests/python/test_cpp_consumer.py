"""The C++ consumer in examples/cpp_consumer builds against the installed package and runs."""
import subprocess
from pathlib import Path

import ember
from _cpp_examples import build_example

ROOT = Path(__file__).resolve().parents[2]


def test_cpp_consumer_builds_and_runs(tmp_path):
    build = build_example("cpp_consumer", tmp_path / "build")
    run = subprocess.run([build / "consumer"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "y[2][1] = 19.0" in run.stdout and "largest row: 2" in run.stdout


def test_get_include_has_headers():
    assert (Path(ember.get_include()) / "ember" / "ember.hpp").is_file()
