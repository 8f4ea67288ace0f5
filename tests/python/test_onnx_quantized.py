"""ember.onnx.export of the int8 deploy ops (quantized_conv2d, quantized_linear): hand-built graphs, checked by
onnx.checker, run in onnxruntime against a float64 NumPy reference of the ops' semantics, and fused by
onnxruntime runs (linear in its int8 MatMulIntegerToFloat, conv as a float Conv of the dequantized values)."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

import ember  # noqa: E402
import ember.onnx  # noqa: E402
from ember.deploy import ExportError  # noqa: E402
from ember.deploy._graph import Graph, Node, ValueSpec  # noqa: E402

B = {"batch": 1, "add": 0}  # the batch dim


def _quantize(x, scale, dtype):
    lo, hi = (0, 255) if dtype == "uint8" else (-128, 127)
    return np.clip(np.rint(x.astype(np.float32) / np.float32(scale)), lo, hi).astype(np.float64)


def _conv_ref(x, w, stride, padding, dilation, groups):
    """Direct convolution in float64: x (N, C, H, W), w (O, C/groups, kH, kW)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        xg, wg = x[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dilation[0], j * dilation[1]
                patch = xg[:, :, r0:r0 + stride[0] * (oh - 1) + 1:stride[0], c0:c0 + stride[1] * (ow - 1) + 1:stride[1]]
                y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, wg[:, :, i, j])
    return y


class Net:
    """quantized_conv2d -> relu -> flatten -> quantized_linear, as a deploy Graph and as a NumPy reference."""

    def __init__(self, in_dtype="uint8", lin_dtype="int8", stride=(1, 1), padding=(1, 1), dilation=(1, 1),
                 groups=1, channels=4, out_channels=6, size=(7, 6), kernel=(3, 3), bias=True, seed=0):
        rng = np.random.default_rng(seed)
        self.conv = dict(stride=list(stride), padding=list(padding), dilation=list(dilation), groups=groups,
                         input_scale=0.03, input_dtype=in_dtype)
        self.lin = dict(input_scale=0.05, input_dtype=lin_dtype)
        self.wc = rng.integers(-127, 128, (out_channels, channels // groups, *kernel)).astype(np.int8)
        self.sc = (rng.random(out_channels) * 0.01 + 0.002).astype(np.float32)
        self.bc = rng.standard_normal(out_channels).astype(np.float32) if bias else None
        self.channels, self.size = channels, size
        oh = (size[0] + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
        ow = (size[1] + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        features, self.classes = out_channels * oh * ow, 5
        self.wl = rng.integers(-127, 128, (self.classes, features)).astype(np.int8)
        self.sl = (rng.random(self.classes) * 0.01 + 0.002).astype(np.float32)
        self.bl = rng.standard_normal(self.classes).astype(np.float32) if bias else None
        tensors = {"conv.w": self.wc, "conv.s": self.sc, "fc.w": self.wl, "fc.s": self.sl}
        if bias:
            tensors.update({"conv.b": ember.from_numpy(self.bc), "fc.b": self.bl})
        self.graph = Graph(
            ["x"], ["y"],
            [Node("quantized_conv2d", ["x", "conv.w", "conv.s", "conv.b" if bias else None], ["t0"], self.conv,
                  scope="conv"),
             Node("relu", ["t0"], ["t1"]),
             Node("flatten", ["t1"], ["t2"], {"start_dim": 1, "end_dim": 3}),
             Node("quantized_linear", ["t2", "fc.w", "fc.s", "fc.b" if bias else None], ["y"], self.lin,
                  scope="fc")],
            {"x": ValueSpec("float32", [B, channels, *size]), "t0": ValueSpec("float32", [B, out_channels, oh, ow]),
             "t1": ValueSpec("float32", [B, out_channels, oh, ow]), "t2": ValueSpec("float32", [B, features]),
             "y": ValueSpec("float32", [B, self.classes])},
            tensors)

    def input(self, batch, seed=1, spread=3.0):
        rng = np.random.default_rng(seed + batch)
        return (spread * rng.standard_normal((batch, self.channels, *self.size))).astype(np.float32)

    def conv_ref(self, x):
        a = self.conv
        xq = _quantize(x, a["input_scale"], a["input_dtype"]) * np.float32(a["input_scale"])
        w = self.wc.astype(np.float64) * self.sc.astype(np.float64)[:, None, None, None]
        y = _conv_ref(xq, w, a["stride"], a["padding"], a["dilation"], a["groups"])
        return y if self.bc is None else y + self.bc[None, :, None, None]

    def linear_ref(self, x):
        xq = _quantize(x, self.lin["input_scale"], self.lin["input_dtype"]) * np.float32(self.lin["input_scale"])
        y = xq @ (self.wl.astype(np.float64) * self.sl.astype(np.float64)[:, None]).T
        return y if self.bl is None else y + self.bl

    def ref(self, x):
        h = np.maximum(self.conv_ref(x), 0.0).astype(np.float32).reshape(x.shape[0], -1)
        return self.linear_ref(h)


def _export(net, path, batch=2, **kwargs):
    proto = ember.onnx.export(net.graph, ember.from_numpy(net.input(batch)), path, **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return proto


def _session(path, optimized=None):
    ort = pytest.importorskip("onnxruntime")
    so = ort.SessionOptions()
    if optimized is not None:
        so.optimized_model_filepath = str(optimized)
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


CONV_CASES = {
    "uint8": dict(in_dtype="uint8", lin_dtype="uint8"),
    "int8": dict(in_dtype="int8", lin_dtype="int8"),
    "stride_pad": dict(stride=(2, 1), padding=(0, 2), in_dtype="int8"),
    "dilation_groups": dict(dilation=(2, 1), groups=2, channels=4, out_channels=6, padding=(2, 1)),
    "depthwise_no_bias": dict(groups=4, channels=4, out_channels=8, bias=False, kernel=(3, 2)),
}


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_relu_flatten_linear_matches_the_reference(tmp_path, case):
    net = Net(**CONV_CASES[case])
    _export(net, tmp_path / "q.onnx")
    session = _session(tmp_path / "q.onnx")
    for batch in (1, 5):  # the dynamic batch dim
        x = net.input(batch)
        (got,) = session.run(None, {"x": x})
        assert got.shape == (batch, net.classes) and got.dtype == np.float32
        _close(got, net.ref(x))


def test_conv_output_alone(tmp_path):
    net = Net(in_dtype="int8", stride=(2, 2), padding=(1, 0))
    graph = net.graph
    graph.nodes, graph.outputs = graph.nodes[:1], ["t0"]
    _export(net, tmp_path / "q.onnx")
    x = net.input(3)
    (got,) = _session(tmp_path / "q.onnx").run(None, {"x": x})
    _close(got, net.conv_ref(x))


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_saturation(tmp_path, dtype):
    """Inputs far beyond 127 * input_scale (and below 0 for uint8) clamp, as QuantizeLinear does."""
    net = Net(in_dtype=dtype, lin_dtype=dtype)
    _export(net, tmp_path / "q.onnx")
    x = net.input(4, spread=50.0)  # |x| up to ~150 / 0.03 steps
    assert np.abs(x).max() > 255 * net.conv["input_scale"]
    (got,) = _session(tmp_path / "q.onnx").run(None, {"x": x})
    _close(got, net.ref(x))


@pytest.mark.parametrize("rank", [2, 3])
def test_linear_ranks(tmp_path, rank):
    rng = np.random.default_rng(rank)
    w = rng.integers(-127, 128, (3, 8)).astype(np.int8)
    s = (rng.random(3) * 0.01 + 0.001).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    attrs = {"input_scale": 0.02, "input_dtype": "int8"}
    lead = [B] if rank == 2 else [B, 4]
    graph = Graph(["x"], ["y"], [Node("quantized_linear", ["x", "w", "s", "b"], ["y"], attrs)],
                  {"x": ValueSpec("float32", lead + [8]), "y": ValueSpec("float32", lead + [3])},
                  {"w": w, "s": ember.from_numpy(s), "b": ember.from_numpy(bias)})
    example = rng.standard_normal([2] + [4] * (rank - 2) + [8]).astype(np.float32)
    ember.onnx.export(graph, ember.from_numpy(example), tmp_path / "l.onnx")
    session = _session(tmp_path / "l.onnx")
    for batch in (1, 5):
        x = 2 * rng.standard_normal([batch] + [4] * (rank - 2) + [8]).astype(np.float32)
        (got,) = session.run(None, {"x": x})
        want = _quantize(x, 0.02, "int8") * np.float32(0.02) @ (w * s.astype(np.float64)[:, None]).T + bias
        _close(got, want)


@pytest.mark.parametrize("dynamic_batch", [True, False])
@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_onnxruntime_fuses_the_int8_kernels(tmp_path, dtype, dynamic_batch):
    """The optimized model runs linear on an int8 kernel (no float MatMul or Gemm is left); conv runs as a float
    Conv on the dequantized values (onnxruntime's QLinearConv needs a quantized output), not a slow ConvInteger."""
    net = Net(in_dtype=dtype, lin_dtype=dtype)
    _export(net, tmp_path / "q.onnx", dynamic_batch=dynamic_batch)
    _session(tmp_path / "q.onnx", optimized=tmp_path / "opt.onnx")
    ops = {n.op_type for n in onnx.load(str(tmp_path / "opt.onnx")).graph.node}
    assert ops & {"Conv", "FusedConv"} and "ConvInteger" not in ops, ops
    assert ops & {"MatMulIntegerToFloat", "MatMulInteger", "QLinearMatMul"}, ops
    assert not ops & {"MatMul", "Gemm", "FusedGemm"}, ops


def test_exported_form(tmp_path):
    """Weights stay 8-bit initializers (no float copy); the scales are per output channel."""
    net = Net()
    proto = _export(net, tmp_path / "q.onnx")
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    assert not any(a.dtype == np.float32 and a.size == net.wc.size for a in inits.values())
    assert not any(a.dtype == np.float32 and a.size == net.wl.size for a in inits.values())
    eight_bit = [a for a in inits.values() if a.dtype in (np.int8, np.uint8) and a.size > 1]
    # the two weights and the per-channel zero points of each (the conv's as int8, the linear's as its output count)
    assert sorted(a.size for a in eight_bit) == sorted([net.wc.size, net.wl.size, net.classes, net.wc.shape[0]])
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("QuantizeLinear") == 2 and "Conv" in ops
    dq = [n for n in proto.graph.node if n.op_type == "DequantizeLinear"]
    assert [a.i for n in dq for a in n.attribute if a.name == "axis"] == [0, 1]


@pytest.mark.parametrize("attrs, match", [
    ({"input_scale": 0.0, "input_dtype": "uint8"}, "input_scale must be a number > 0"),
    ({"input_scale": float("nan"), "input_dtype": "int8"}, "input_scale must be a number > 0"),
    ({"input_scale": 0.1, "input_dtype": "int16"}, "input_dtype must be one of"),
])
def test_bad_attributes(tmp_path, attrs, match):
    net = Net()
    net.graph.nodes[0].attrs.update(attrs)
    with pytest.raises(ExportError, match=match) as e:
        _export(net, tmp_path / "q.onnx")
    assert "quantized_conv2d" in str(e.value) and "module 'conv'" in str(e.value)


def test_weight_must_be_int8_and_scales_per_channel(tmp_path):
    net = Net()
    net.graph.tensors["fc.w"] = net.wl.astype(np.float32)
    with pytest.raises(ExportError, match="the weight must be an int8 tensor"):
        _export(net, tmp_path / "q.onnx")
    net = Net()
    net.graph.tensors["conv.s"] = net.sc[:2]
    with pytest.raises(ExportError, match=r"weight_scale must have shape \(6,\)"):
        _export(net, tmp_path / "q.onnx")


def test_linear_without_bias_before_an_add_stays_int8(tmp_path):
    """A residual Add right after a bias-free quantized_linear does not turn it into a float Gemm."""
    rng = np.random.default_rng(7)
    w = rng.integers(-127, 128, (8, 8)).astype(np.int8)
    s = (rng.random(8) * 0.01 + 0.001).astype(np.float32)
    attrs = {"input_scale": 0.02, "input_dtype": "uint8"}
    spec = ValueSpec("float32", [B, 8])
    graph = Graph(["x"], ["y"], [Node("quantized_linear", ["x", "w", "s", None], ["t0"], attrs),
                                 Node("add", ["t0", "x"], ["y"])],
                  {"x": spec, "t0": spec, "y": spec}, {"w": w, "s": s})
    ember.onnx.export(graph, ember.from_numpy(np.zeros((2, 8), np.float32)), tmp_path / "r.onnx")
    session = _session(tmp_path / "r.onnx", optimized=tmp_path / "opt.onnx")
    ops = {n.op_type for n in onnx.load(str(tmp_path / "opt.onnx")).graph.node}
    assert "MatMulIntegerToFloat" in ops and not ops & {"Gemm", "MatMul", "FusedGemm"}, ops
    x = np.abs(rng.standard_normal((5, 8))).astype(np.float32)
    (got,) = session.run(None, {"x": x})
    _close(got, _quantize(x, 0.02, "uint8") * np.float32(0.02) @ (w * s.astype(np.float64)[:, None]).T + x)


@pytest.mark.parametrize("opset", [13, 17, 21, 25])
def test_opsets(tmp_path, opset):
    """Per-axis DequantizeLinear needs opset 13; later opsets give the Q and DQ ops new attributes."""
    if opset > onnx.defs.onnx_opset_version():
        pytest.skip(f"onnx {onnx.__version__} writes opsets up to {onnx.defs.onnx_opset_version()}")
    net = Net(in_dtype="int8")
    _export(net, tmp_path / "q.onnx", opset_version=opset)
    x = net.input(3)
    (got,) = _session(tmp_path / "q.onnx").run(None, {"x": x})
    _close(got, net.ref(x))
