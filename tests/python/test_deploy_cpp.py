"""examples/deploy (a separate CMake project on the installed package) runs models that Python exported,
with the Python model's outputs within 1e-5, and refuses bad files and inputs with clear messages."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

import ember
from _cpp_examples import build_example
from _deploy_models import demo, encoder_block


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    return build_example("deploy", tmp_path_factory.mktemp("deploy") / "build") / "deploy"


def _run(program, *args, check=True):
    run = subprocess.run([program, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


def _outputs(program, model_path, x, tmp_path, **data):
    data_path, out_path = tmp_path / "data.safetensors", tmp_path / "out.safetensors"
    ember.save({"x": x, **data}, data_path)
    run = _run(program, model_path, data_path, "--out", out_path)
    return ember.load(out_path)["output"], run.stdout


def _assert_close(got, want):
    """Equal within 1e-5 relative: elementwise, with the output's largest magnitude as the scale for
    entries near zero (whose elementwise relative error says nothing about float32 rounding)."""
    got, want = got.numpy(), want.numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(np.max(np.abs(want))))


@pytest.fixture(scope="module")
def trained_digits(tmp_path_factory):
    pytest.importorskip("sklearn")
    data = demo.digits_split()
    model, _, _ = demo.train(data, epochs=2)
    model.eval()
    path = tmp_path_factory.mktemp("digits") / "digits.ember"
    ember.deploy.export(model, ember.from_numpy(data["x_test"][:32]), path)
    return model, data, path


def test_digits_cnn_same_outputs_and_accuracy(program, trained_digits, tmp_path):
    model, data, path = trained_digits
    x, y = ember.from_numpy(data["x_test"]), ember.from_numpy(data["y_test"])
    got, stdout = _outputs(program, path, x, tmp_path, y=y)
    with ember.no_grad():
        want = model(x)
    _assert_close(got, want)
    accuracy = (want.argmax(1) == y).float().mean().item()
    assert f"C++ deploy accuracy: {100 * accuracy:.2f}% (359 samples)" in stdout


@pytest.mark.parametrize("batch", [1, 7])
def test_encoder_block_same_outputs(program, tmp_path, batch):
    model = encoder_block()
    path = tmp_path / "block.ember"
    ember.manual_seed(3)
    ember.deploy.export(model, ember.randn(4, 10, 32), path)
    x = ember.randn(batch, 10, 32)
    got, _ = _outputs(program, path, x, tmp_path)
    with ember.no_grad():
        _assert_close(got, model(x))


def test_needs_only_onednn_at_run_time(program):
    ldd = subprocess.run(["ldd", str(program)], capture_output=True, text=True).stdout
    libs = {line.split()[0].split(".so")[0] for line in ldd.splitlines() if ".so" in line}
    assert "libdnnl" in libs, ldd
    system = {"libstdc++", "libm", "libgcc_s", "libc", "libpthread", "libdl", "librt", "linux-vdso", "linux-gate",
              "/lib64/ld-linux-x86-64", "/lib/ld-linux-aarch64"}
    # oneDNN and the OpenMP runtime it threads with; zlib for --mnist (gzip-compressed IDX files)
    allowed = {"libdnnl", "libgomp", "libz"} | system
    assert libs <= allowed, ldd


def test_bad_files_are_refused(program, trained_digits, tmp_path):
    _, data, path = trained_digits
    data_path = tmp_path / "data.safetensors"
    ember.save({"x": ember.from_numpy(data["x_test"][:4])}, data_path)
    blob = path.read_bytes()
    truncated = tmp_path / "truncated.ember"
    truncated.write_bytes(blob[: len(blob) - 100])
    run = _run(program, truncated, data_path, check=False)
    assert run.returncode == 1 and "truncated.ember" in run.stderr
    garbage = tmp_path / "garbage.ember"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    run = _run(program, garbage, data_path, check=False)
    assert run.returncode == 1 and "garbage.ember" in run.stderr
    run = _run(program, tmp_path / "missing.ember", data_path, check=False)
    assert run.returncode == 1 and "missing.ember" in run.stderr


def test_wrong_input_shape_names_both_shapes(program, trained_digits, tmp_path):
    _, _, path = trained_digits
    data_path = tmp_path / "data.safetensors"
    ember.save({"x": ember.zeros(3, 1, 9, 8)}, data_path)
    run = _run(program, path, data_path, check=False)
    assert run.returncode == 1
    assert "(B, 1, 8, 8)" in run.stderr and "(3, 1, 9, 8)" in run.stderr, run.stderr


def test_usage(program):
    run = _run(program, check=False)
    assert run.returncode == 2 and "usage: deploy" in run.stderr
