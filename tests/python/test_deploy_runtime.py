"""The C++ deploy runtime from Python: ember.ember.deploy.load and DeployedModel, on .ember files
written here by hand (docs/deploy-format.md), checked against NumPy."""
import json

import numpy as np
import pytest

import ember
from ember import _core


def _b(*rest):
    return [{"batch": 1, "add": 0}, *rest]


def _write(path, nodes, values, tensors, inputs, outputs, version="1"):
    graph = {
        "inputs": inputs,
        "outputs": outputs,
        "values": {k: {"dtype": "float32", "shape": v} for k, v in values.items()},
        "tensors": {k: {"dtype": "float32", "shape": list(v.shape)} for k, v in tensors.items()},
        "nodes": nodes,
    }
    meta = {"ember.format": "ember.deploy", "ember.format_version": version, "ember.graph": json.dumps(graph)}
    _core._save_safetensors(str(path), [(k, ember.from_numpy(v)) for k, v in tensors.items()], meta)
    return str(path)


@pytest.fixture
def mlp(tmp_path):
    rng = np.random.default_rng(0)
    w1, b1 = rng.standard_normal((8, 4), dtype=np.float32), rng.standard_normal(8, dtype=np.float32)
    w2 = rng.standard_normal((3, 8), dtype=np.float32)
    nodes = [
        {"op": "linear", "inputs": ["x", "w1", "b1"], "outputs": ["h"], "attrs": {}, "scope": "0"},
        {"op": "gelu", "inputs": ["h"], "outputs": ["a"], "attrs": {"approximate": "tanh"}, "scope": "1"},
        {"op": "linear", "inputs": ["a", "w2", None], "outputs": ["y"], "attrs": {}, "scope": "2"},
        {"op": "softmax", "inputs": ["y"], "outputs": ["p"], "attrs": {"dim": 1}, "scope": ""},
    ]
    values = {"x": _b(4), "h": _b(8), "a": _b(8), "y": _b(3), "p": _b(3)}
    path = _write(tmp_path / "mlp.ember", nodes, values, {"w1": w1, "b1": b1, "w2": w2}, ["x"], ["y", "p"])

    def reference(x):
        h = x @ w1.T + b1
        a = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h**3)))
        y = a @ w2.T
        e = np.exp(y - y.max(1, keepdims=True))
        return y, e / e.sum(1, keepdims=True)

    return path, reference


def test_forward_matches_numpy_and_reports_fusion(mlp):
    path, reference = mlp
    m = ember.deploy.load(path)
    assert m.input_names == ["x"] and m.output_names == ["y", "p"]
    assert m.ops == ["linear+gelu", "linear", "softmax"]
    x = np.random.default_rng(1).standard_normal((6, 4), dtype=np.float32)  # traced shapes say nothing of 6
    y, p = m(ember.from_numpy(x))
    ry, rp = reference(x)
    np.testing.assert_allclose(y.numpy(), ry, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m.forward(ember.from_numpy(x))[1].numpy(), rp, rtol=1e-5, atol=1e-6)


def test_bad_inputs_raise_python_errors(mlp):
    m = ember.deploy.load(mlp[0])
    with pytest.raises(ValueError, match=r"must have shape \(B, 4\), got \(2, 5\)"):
        m(ember.zeros(2, 5))
    with pytest.raises(TypeError, match="must have dtype float32, got float64"):
        m(ember.zeros(2, 4, dtype=ember.float64))
    with pytest.raises(ValueError, match=r"takes 1 input\(s\)"):
        m()
    with pytest.raises(TypeError, match="expected ember.Tensor inputs"):
        m(np.zeros((2, 4), np.float32))


def test_bad_files_raise_checkpoint_error(tmp_path):
    path = _write(tmp_path / "v3.ember", [], {"x": _b(2)}, {}, ["x"], ["x"], version="3")
    with pytest.raises(ValueError, match=r"written by a newer ember \(format 3\); this is ember .*, which reads formats up to 2"):
        ember.deploy.load(path)
    nodes = [{"op": "frobnicate", "inputs": ["x"], "outputs": ["y"], "attrs": {}, "scope": "blk"}]
    path = _write(tmp_path / "op.ember", nodes, {"x": _b(2), "y": _b(2)}, {}, ["x"], ["y"])
    with pytest.raises(_core.CheckpointError, match=r"node 0 \(frobnicate in 'blk'\): \[deploy\] unknown op"):
        ember.deploy.load(path)
    # A name declared twice in "values" or "tensors" (the JSON object repeats the key).
    spec = json.dumps({"dtype": "float32", "shape": _b(2)})
    twice = f'"w": {spec}, "w": {spec}'
    for key, values, tensors in (("values", f'"x": {spec}, {twice}', ""), ("tensors", f'"x": {spec}', twice)):
        graph = f'{{"inputs": ["x"], "outputs": ["x"], "values": {{{values}}}, "tensors": {{{tensors}}}, "nodes": []}}'
        meta = {"ember.format": "ember.deploy", "ember.format_version": "1", "ember.graph": graph}
        path = str(tmp_path / f"twice_{key}.ember")
        _core._save_safetensors(path, [], meta)
        with pytest.raises(_core.CheckpointError, match=f'graph "{key}" has "w" twice'):
            ember.deploy.load(path)


@pytest.mark.parametrize("layers", ["conv+pool", "conv+relu+pool", "pool", "conv+relu", "linear+relu"])
@pytest.mark.parametrize("nan_in", ["input", "weight"])
def test_nan_propagates_as_in_the_model(tmp_path, layers, nan_in):
    """oneDNN's max pooling and relu post-op may drop a NaN that the model in Python (and PyTorch) propagates: with
    NaN or inf in an input or a weight, the runtime takes the eager ops, and gives the model's NaNs."""
    nn = ember.nn
    ember.manual_seed(0)
    parts = {"conv": nn.Conv2d(2, 3, 3, padding=1), "relu": nn.ReLU(), "pool": nn.MaxPool2d(2),
             "linear": nn.Linear(6, 4)}
    model = nn.Sequential(*(parts[k] for k in layers.split("+"))).eval()
    if nan_in == "weight" and layers == "pool":
        pytest.skip("no weight")
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6) if "linear" not in layers else (5, 6),
                                                 dtype=np.float32)
    path = tmp_path / "m.ember"
    ember.deploy.export(model, ember.from_numpy(x), path)
    fast = ember.deploy.load(str(path))
    assert fast.ops[0] == layers.replace("conv", "conv2d").replace("pool", "max_pool2d")  # one (fused) kernel
    with ember.no_grad():
        np.testing.assert_allclose(fast(ember.from_numpy(x)).numpy(), model(ember.from_numpy(x)).numpy(), rtol=1e-5,
                                   atol=1e-5)
    if nan_in == "input":
        x.reshape(-1)[[3, 27]] = np.nan
    else:
        with ember.no_grad():
            model[0].weight[0, 1] = float("nan")
        ember.deploy.export(model, ember.from_numpy(x), path)
    m = ember.deploy.load(str(path))
    with ember.no_grad():
        want = model(ember.from_numpy(x)).numpy()
    got = m(ember.from_numpy(x)).numpy()
    assert np.isnan(want).any()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], rtol=1e-5, atol=1e-5)
