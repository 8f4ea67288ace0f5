"""The C++ consumer in examples/cpp_consumer builds against the installed package and runs; its
find_package(ember <version> CONFIG) refuses an ember of another minor release (0.x: SameMinorVersion)."""
import subprocess
from pathlib import Path

import pytest

import ember
from _cpp_examples import EXAMPLES, build_example, cmake, cmake_dir_or_skip

ROOT = Path(__file__).resolve().parents[2]


def test_cpp_consumer_builds_and_runs(tmp_path):
    build = build_example("cpp_consumer", tmp_path / "build")
    run = subprocess.run([build / "consumer"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "y[2][1] = 19.0" in run.stdout and "largest row: 2" in run.stdout
    assert f"ember {ember.__version__} (" in run.stdout  # the headers' EMBER_VERSION_* are the module's


def _next_minor() -> str:
    major, minor, _ = ember.__version__.split(".")
    return f"{major}.{int(minor) + 1}"


@pytest.mark.parametrize("requested", ["99.0", "next minor"])
def test_cpp_consumer_refuses_a_newer_ember_at_configure(tmp_path, requested):
    requested = _next_minor() if requested == "next minor" else requested
    cmake_dir = cmake_dir_or_skip()
    run = subprocess.run([cmake(), "-S", EXAMPLES / "cpp_consumer", "-B", tmp_path / "build", f"-Dember_DIR={cmake_dir}",
                          f"-DEMBER_REQUIRED_VERSION={requested}"], capture_output=True, text=True, timeout=300)
    assert run.returncode != 0, run.stdout + run.stderr
    err = " ".join(run.stderr.split())  # CMake wraps its messages
    assert f'compatible with requested version "{requested}"' in err, run.stderr
    assert ember.__version__ in err, run.stderr  # it names the version it found


def test_get_include_has_headers():
    assert (Path(ember.get_include()) / "ember" / "ember.hpp").is_file()
    assert (Path(ember.get_include()) / "ember" / "version.hpp").is_file()
