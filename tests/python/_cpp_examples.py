"""Builds a C++ project under examples/ against the installed ember package (for the example tests)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ember

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def cmake() -> str:
    local = Path(sys.executable).parent / "cmake"
    return str(local) if local.exists() else shutil.which("cmake")


def cmake_dir_or_skip() -> str:
    """ember's installed CMake package folder; skips (or fails under EMBER_REQUIRE_INSTALL) when there is none."""
    try:
        return ember.get_cmake_dir()
    except FileNotFoundError as e:
        if os.environ.get("EMBER_REQUIRE_INSTALL"):
            raise
        pytest.skip(str(e))


def build_example(name: "str | Path", build: Path) -> Path:
    """Configures and builds examples/<name> (or the CMake project at a Path) in `build`; skips (or fails
    under EMBER_REQUIRE_INSTALL) when ember's CMake package is not installed."""
    cmake_dir = cmake_dir_or_skip()
    subprocess.run([cmake(), "-S", name if isinstance(name, Path) else EXAMPLES / name, "-B", build, f"-Dember_DIR={cmake_dir}",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, capture_output=True, text=True)
    subprocess.run([cmake(), "--build", build, "-j2"], check=True, capture_output=True, text=True)
    return build
