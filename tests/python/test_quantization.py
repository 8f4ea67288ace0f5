"""ember.quantization: static int8 post-training quantization of a deploy graph, run by the C++ runtime on
oneDNN's int8 primitives. Checked against the format's reference semantics (tests/python/_deploy_models.py
interprets quantized ops with float ops on dequantized values), against the float model's accuracy, and for
the file it writes (format 2, int8 weights) and the errors of bad input."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset
from _deploy_models import demo, digits_cnn, digits_images, interpret, mlp


@pytest.fixture(scope="module")
def trained():
    pytest.importorskip("sklearn")
    data = demo.digits_split()
    model, _, _ = demo.train(data, epochs=3)
    return model.eval(), data


def _accuracy(logits, y) -> float:
    return float((np.asarray(logits.numpy()).argmax(1) == y).mean())


def _loader(x: np.ndarray, batch: int = 64):
    return DataLoader(TensorDataset(ember.from_numpy(x), ember.zeros(len(x), dtype=ember.int64)), batch_size=batch)


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy"])
def test_digits_cnn_keeps_its_accuracy(trained, method):
    model, data = trained
    q = ember.quantization.quantize(model, _loader(data["x_train"][:256]), method=method)
    x = ember.from_numpy(data["x_test"])
    with ember.no_grad():
        want = _accuracy(model(x), data["y_test"])
    got = _accuracy(q(x), data["y_test"])
    assert got >= want - 0.01, (method, got, want)
    assert all(r.int8 for r in q.report) and len(q.report) == 4  # 2 conv (batch norm folded) + 2 linear
    assert [n.op for n in q.graph.nodes].count("batch_norm") == 0


def test_runtime_matches_the_reference_semantics(trained):
    """The fused oneDNN int8 path (conv + ReLU in one primitive) against the format's reading in float ops."""
    model, data = trained
    q = ember.quantization.quantize(model, ember.from_numpy(data["x_train"][:128]))
    for batch in (1, 7, 64):
        x = ember.from_numpy(data["x_test"][:batch])
        (want,) = interpret(q.graph, x)
        got = q(x).numpy()
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4 * float(np.abs(want.numpy()).max()))


def test_signed_inputs_use_int8_and_unsigned_use_uint8():
    model = mlp()  # Flatten, Linear, ReLU, Linear, Tanh, Linear: the first input is signed, the second is >= 0
    x = ember.randn(64, 1, 8, 8)
    q = ember.quantization.quantize(model, x)
    assert [r.input_dtype for r in q.report] == ["int8", "uint8", "int8"]
    with ember.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(q(x).numpy(), want, atol=0.05 * np.abs(want).max())
    (ref,) = interpret(q.graph, x)
    np.testing.assert_allclose(q(x).numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)


def test_observers_order_their_ranges():
    """minmax covers every value; percentile and entropy clip a heavy tail."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 64)).astype(np.float32)
    x[0, 0] = 40.0  # one outlier
    model = nn.Sequential(nn.Linear(64, 8)).eval()
    scales = {m: ember.quantization.quantize(model, ember.from_numpy(x), method=m).report[0].input_scale
              for m in ("minmax", "percentile", "entropy")}
    assert scales["minmax"] == pytest.approx(40.0 / 127, rel=1e-6)
    assert scales["percentile"] < scales["minmax"] / 4
    assert scales["entropy"] < scales["minmax"] / 4


def test_saved_file_is_format_2_with_int8_weights(trained, tmp_path):
    model, data = trained
    q = ember.quantization.quantize(model, ember.from_numpy(data["x_train"][:128]))
    path, fpath = tmp_path / "q.ember", tmp_path / "f.ember"
    q.save(path)
    ember.deploy.export(model, ember.from_numpy(data["x_test"][:8]), fpath)
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
    assert header["__metadata__"]["ember.format_version"] == "2"
    int8 = [k for k, v in header.items() if k != "__metadata__" and v["dtype"] == "I8"]
    assert len(int8) == 4
    assert path.stat().st_size < fpath.stat().st_size / 2.5  # weights in a quarter of the bytes
    x = ember.from_numpy(data["x_test"][:50])
    loaded = ember.deploy.load(path)
    np.testing.assert_array_equal(loaded(x).numpy(), q(x).numpy())
    assert any("quantized_conv2d+relu" == op for op in loaded.ops), loaded.ops


def test_unquantizable_and_skipped_layers_stay_float_and_are_reported():
    ember.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(1, 4, 2, stride=2), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 16 * 16, 10)).eval()
    x = ember.randn(8, 1, 8, 8)
    q = ember.quantization.quantize(model, x, skip=["5"])
    kinds = {r.scope: (r.int8, r.reason) for r in q.report}
    assert kinds == {"0": (False, "no int8 kernel for conv_transpose2d"), "2": (True, ""), "5": (False, "skipped")}
    text = q.summary()
    assert "1 of 3 weighted layers in int8" in text and "no int8 kernel for conv_transpose2d" in text
    with ember.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(q(x).numpy(), want, atol=0.05 * np.abs(want).max())


def test_graph_input_and_unbatched_and_cnn_without_calibration_surprises():
    model = digits_cnn()
    x = digits_images(32)
    graph = ember.deploy.trace(model, x)
    q = ember.quantization.quantize(graph, [x[:16], (x[16:], None)], num_batches=2)
    assert sum(r.int8 for r in q.report) == 4
    with ember.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(q(x).numpy(), want, atol=0.05 * np.abs(want).max())


def test_bad_arguments_name_the_problem():
    model = mlp()
    x = ember.randn(8, 1, 8, 8)
    with pytest.raises(ValueError, match=r"\[quantize\] method must be one of 'minmax', 'percentile', 'entropy', got 'kl'"):
        ember.quantization.quantize(model, x, method="kl")
    with pytest.raises(ValueError, match=r"\[quantize\] the calibration loader yielded no batch"):
        ember.quantization.quantize(model, [])
    with pytest.raises(TypeError, match=r"\[quantize\] calibration batches must be ember.Tensor.*got ndarray"):
        ember.quantization.quantize(model, [np.zeros((2, 1, 8, 8), np.float32)])
    with pytest.raises(ValueError, match=r"\[quantize\] percentile must be in \(0, 100\], got 0"):
        ember.quantization.quantize(model, x, percentile=0)
    with pytest.raises(ValueError, match=r"\[quantize\] num_batches must be at least 1"):
        ember.quantization.quantize(model, x, num_batches=0)
    bad = x.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"\[quantize\] calibration saw a non-finite value .* in '"):
        ember.quantization.quantize(model, bad)


def _quantized_file(tmp_path, mutate=None, version="2"):
    q = ember.quantization.quantize(mlp(), ember.randn(16, 1, 8, 8))
    graph = q.graph
    if mutate:
        mutate(graph)
    path = tmp_path / "q.ember"
    metadata = {"ember.format": "ember.deploy", "ember.format_version": version, "ember.graph": graph.to_json()}
    ember._core._save_safetensors(str(path), list(graph.tensors.items()), metadata)
    return str(path)


def test_bad_files_are_refused_with_the_reason(tmp_path):
    with pytest.raises(ember.CheckpointError, match=r"op 'quantized_linear' needs format version 2, but the file declares 1"):
        ember.deploy.load(_quantized_file(tmp_path, version="1"))

    def scale(g):
        g.nodes[1].attrs["input_scale"] = -1.0
    with pytest.raises(ember.CheckpointError, match=r"attribute 'input_scale' must be a positive finite float32, got -1"):
        ember.deploy.load(_quantized_file(tmp_path, scale))

    def dtype(g):
        g.nodes[1].attrs["input_dtype"] = "int4"
    with pytest.raises(ember.CheckpointError, match=r"attribute 'input_dtype' must be \"uint8\" or \"int8\", got \"int4\""):
        ember.deploy.load(_quantized_file(tmp_path, dtype))

    def scales(g):
        name = g.nodes[1].inputs[2]
        g.tensors[name] = g.tensors[name][:5].clone()
    with pytest.raises(ember.CheckpointError, match=r"weight_scale of shape \(5,\) does not match weight of shape \(32, 64\)"):
        ember.deploy.load(_quantized_file(tmp_path, scales))

    def float_weight(g):
        name = g.nodes[1].inputs[1]
        g.tensors[name] = g.tensors[name].float()
    with pytest.raises(ember.CheckpointError, match=r"expected a tensor of dtype int8, got float32"):
        ember.deploy.load(_quantized_file(tmp_path, float_weight))


def test_wrong_input_shape_names_both_shapes(trained):
    model, data = trained
    q = ember.quantization.quantize(model, ember.from_numpy(data["x_train"][:32]))
    with pytest.raises(ValueError, match=r"\(2, 1, 9, 9\)"):
        q(ember.zeros(2, 1, 9, 9))


def test_onnx_export_runs_in_onnxruntime_with_the_same_predictions(trained, tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model, data = trained
    q = ember.quantization.quantize(model, ember.from_numpy(data["x_train"][:256]))
    x = ember.from_numpy(data["x_test"])
    ember.onnx.export(q, x[:8], tmp_path / "q.onnx")
    (got,) = ort.InferenceSession(str(tmp_path / "q.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"input": data["x_test"]})
    want = q(x).numpy()
    # onnxruntime fuses each QDQ conv whose output reaches the next layer's QuantizeLinear (through ReLU and
    # max pooling) into QLinearConv, which rounds the bias to int32 and requantizes the output: its logits
    # differ from the op's by about a quantization step, its predictions hardly ever.
    np.testing.assert_allclose(got, want, atol=0.02 * float(np.abs(want).max()))
    assert (got.argmax(1) == want.argmax(1)).mean() > 0.99
    assert (got.argmax(1) == data["y_test"]).mean() >= (want.argmax(1) == data["y_test"]).mean() - 0.01


def test_without_native_int8_it_warns_and_stays_exact():
    """Under ONEDNN_MAX_CPU_ISA=AVX2 (no VNNI) oneDNN's int8 kernels saturate: ember runs the float32 path, says so."""
    import os
    import subprocess
    import sys

    code = """
import sys, warnings
sys.path.insert(0, "tests/python")
import numpy as np, ember
from _deploy_models import digits_cnn, digits_images, interpret
x = digits_images(64)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    q = ember.quantization.quantize(digits_cnn(), x)
    ember.quantization.quantize(digits_cnn(), x)
msgs = [str(m.message) for m in w if "int8 dot products are not native" in str(m.message)]
assert len(msgs) == 1, msgs
(ref,) = interpret(q.graph, x)
# The float32 path sums in another order: a value on a rounding boundary of the next layer's quantization may
# land one step away (one sample of 64 here), nothing more.
got, want = q(x).numpy(), ref.numpy()
close = np.isclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max())).all(axis=1)
assert close.mean() >= 0.95, close.mean()
np.testing.assert_allclose(got, want, atol=0.01 * float(np.abs(want).max()))
print("ok", ember.backends.cpu.info().isa)
"""
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="AVX2")
    run = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout + run.stderr
