"""One version, from include/ember/version.hpp: ember.__version__, the package metadata, the CMake package,
and the files ember writes (checkpoints, .ember) all carry it; a file from a newer format names both embers."""
import importlib.metadata
import json
import re
import struct
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

import ember
from ember import _core
from _cpp_examples import cmake_dir_or_skip

ROOT = Path(__file__).resolve().parents[2]


def _header_versions(path: Path) -> dict:
    text = path.read_text()
    found = dict(re.findall(r'^#define EMBER_VERSION_(MAJOR|MINOR|PATCH|STRING) "?([0-9.]+)"?$', text, re.M))
    assert set(found) == {"MAJOR", "MINOR", "PATCH", "STRING"}, f"{path}: {found}"
    return found


def _header_string(path: Path) -> str:
    v = _header_versions(path)
    assert v["STRING"] == f'{v["MAJOR"]}.{v["MINOR"]}.{v["PATCH"]}', v
    return v["STRING"]


def test_version_is_the_headers():
    assert ember.__version__ == _core.__version__
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", ember.__version__), ember.__version__
    # The headers this ember ships (installed, or the source tree of a development build).
    assert ember.__version__ == _header_string(Path(ember.get_include()) / "ember" / "version.hpp")


def test_source_tree_header_is_the_module_version():
    header = ROOT / "include" / "ember" / "version.hpp"
    if not header.is_file():
        pytest.skip("not run from a source tree")
    assert _header_string(header) == ember.__version__


def _installed_from_this_tree(dist) -> bool:
    """Whether the installed distribution is the ember imported here: a regular install whose files hold
    this ember package, or an editable install of this source tree. Under PYTHONPATH=python with another
    tree's ember installed, it is neither."""
    here = Path(ember.__file__).resolve().parent
    for f in dist.files or []:
        if f.name == "__init__.py" and f.parent.name == "ember":
            if Path(dist.locate_file(f)).resolve().parent == here:
                return True
    direct = dist.read_text("direct_url.json")
    if direct:
        info = json.loads(direct)
        if info.get("dir_info", {}).get("editable") and info.get("url", "").startswith("file://"):
            return Path(unquote(urlparse(info["url"]).path)).resolve() == here.parents[1]
    return False


def test_package_metadata_version():
    try:
        dist = importlib.metadata.distribution("ember")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("ember is not installed (PYTHONPATH-only run)")
    if not _installed_from_this_tree(dist):
        pytest.skip(f"the installed ember ({dist.version}) is not the one imported here (PYTHONPATH-only run)")
    assert importlib.metadata.version("ember") == ember.__version__


def test_pyproject_reads_the_header():
    """pyproject.toml has no version of its own: scikit-build-core's regex provider reads the header."""
    if sys.version_info < (3, 11) or not (ROOT / "pyproject.toml").is_file():
        pytest.skip("needs tomllib and a source tree")
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in config["project"] and "version" in config["project"]["dynamic"]
    settings = config["tool"]["scikit-build"]["metadata"]["version"]
    assert settings["provider"] == "scikit_build_core.metadata.regex"
    assert settings["input"] == "include/ember/version.hpp"
    regex = pytest.importorskip("scikit_build_core.metadata.regex")
    args = {k: v for k, v in settings.items() if k != "provider"}
    args["input"] = str(ROOT / args["input"])
    assert regex.dynamic_metadata("version", args) == ember.__version__


def test_cmake_reads_the_header():
    text = (ROOT / "CMakeLists.txt").read_text() if (ROOT / "CMakeLists.txt").is_file() else pytest.skip("no tree")
    assert re.search(r"project\(ember VERSION \$\{", text), "project(ember VERSION ...) must come from version.hpp"
    assert "include/ember/version.hpp" in text


def test_installed_cmake_package_version():
    text = (Path(cmake_dir_or_skip()) / "emberConfigVersion.cmake").read_text()
    assert f'set(PACKAGE_VERSION "{ember.__version__}")' in text
    assert "SameMinorVersion" in text or "CVF_VERSION_MINOR" in text  # 0.x: a minor release may break the API


# --- files: the writer's version is recorded; a newer format names both embers ---

def _split(data: bytes):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def _join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def _rewrite_metadata(path: Path, **changes) -> None:
    header, body = _split(path.read_bytes())
    meta = header.setdefault("__metadata__", {})
    for k, v in changes.items():
        key = k.replace("__", ".")
        if v is None:
            meta.pop(key, None)
        else:
            meta[key] = v
    path.write_bytes(_join(header, body))


def _newer_message(writer: str, fmt: int, reads: int = 1) -> str:
    return re.escape(f"written by {writer} (format {fmt}); this is ember {ember.__version__}, "
                     f"which reads formats up to {reads}")


@pytest.mark.parametrize("nested", [False, True])
def test_checkpoints_record_the_writer(tmp_path, nested):
    obj = {"w": ember.ones(2, 3)}
    if nested:
        obj = {"model": obj, "epoch": 3}
    ember.save(obj, tmp_path / "c.safetensors")
    header, _ = _split((tmp_path / "c.safetensors").read_bytes())
    assert header["__metadata__"]["ember.version"] == ember.__version__
    # A file from before 0.2.0 (no "ember.version") still loads.
    _rewrite_metadata(tmp_path / "c.safetensors", ember__version=None)
    back = ember.load(tmp_path / "c.safetensors")
    assert (back["model"]["w"] if nested else back["w"]).shape == (2, 3)


def test_checkpoint_of_a_newer_format_names_both_embers(tmp_path):
    ember.save({"model": {"w": ember.ones(2)}, "epoch": 3}, tmp_path / "c.safetensors")
    header, body = _split((tmp_path / "c.safetensors").read_bytes())
    structure = json.loads(header["__metadata__"]["ember"])
    structure["version"] = 2
    header["__metadata__"]["ember"] = json.dumps(structure)
    header["__metadata__"]["ember.version"] = "0.3.0"
    (tmp_path / "c.safetensors").write_bytes(_join(header, body))
    with pytest.raises(_core.CheckpointError, match=_newer_message("ember 0.3.0", 2)):
        ember.load(tmp_path / "c.safetensors")
    _rewrite_metadata(tmp_path / "c.safetensors", ember__version=None)
    with pytest.raises(_core.CheckpointError, match=_newer_message("a newer ember", 2)):
        ember.load(tmp_path / "c.safetensors")


def test_deploy_file_records_the_writer(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU())
    path = tmp_path / "m.ember"
    ember.deploy.export(model, ember.randn(2, 4), path)
    header, _ = _split(path.read_bytes())
    assert header["__metadata__"]["ember.version"] == ember.__version__
    # A float model needs nothing of format 2 (the int8 ops): it is written as format 1, which embers
    # before 0.3 read too.
    assert header["__metadata__"]["ember.format_version"] == "1"
    x = ember.randn(5, 4)
    with ember.no_grad():
        expected = model(x).numpy()
    # A file from before 0.2.0 (no "ember.version") still loads and runs.
    _rewrite_metadata(path, ember__version=None)
    np.testing.assert_allclose(ember.deploy.load(str(path))(x).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("writer", ["0.3.0", None])
def test_deploy_file_of_a_newer_format_names_both_embers(tmp_path, writer):
    path = tmp_path / "m.ember"
    ember.deploy.export(ember.nn.Linear(4, 3), ember.randn(2, 4), path)
    newer = ember.deploy.FORMAT_VERSION + 1
    _rewrite_metadata(path, ember__format_version=str(newer), ember__version=writer)
    expected = _newer_message(f"ember {writer}" if writer else "a newer ember", newer, ember.deploy.FORMAT_VERSION)
    with pytest.raises(_core.CheckpointError, match=expected) as info:
        ember.deploy.load(str(path))
    assert str(path) in str(info.value)
