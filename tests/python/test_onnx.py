"""ember.onnx.export: every deploy op against onnxruntime (rtol 1e-5), at the example's batch size and another."""
import os
import stat

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import ember  # noqa: E402
import ember.onnx  # noqa: E402
from ember import nn  # noqa: E402
from ember.deploy import Graph, Node, ValueSpec  # noqa: E402
import _deploy_models as models  # noqa: E402
from test_deploy_layers import CASES, _model_and_inputs  # noqa: E402

MAX_OPSET = onnx.defs.onnx_opset_version()


def _export(model, example, path, **kwargs):
    ember.onnx.export(model, example, path, **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _ember_outputs(model, inputs):
    model.eval()
    with ember.no_grad():
        out = model(*[ember.from_numpy(x) for x in inputs])
    return [np.asarray(o.numpy()) for o in (out if isinstance(out, tuple) else (out,))]


def _check(model, make_input, tmp_path, batches=(4, 7), atol=1e-6, **kwargs):
    """Exports at batches[0]; onnxruntime matches ember at every batch size in ``batches``."""
    example = make_input(batches[0])
    session = _export(model, tuple(ember.from_numpy(x) for x in example), tmp_path / "model.onnx", **kwargs)
    names = [i.name for i in session.get_inputs()]
    for batch in batches:
        inputs = make_input(batch)
        got = session.run(None, dict(zip(names, inputs)))
        want = _ember_outputs(model, inputs)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=atol)
    return session


def _floats(*shape, seed=0):
    def make(batch):
        return (np.random.default_rng(seed + batch).standard_normal((batch, *shape)).astype(np.float32),)
    return make


class Lambda(nn.Module):
    """A module whose forward is ``fn`` (one op family per test)."""

    def __init__(self, fn, **children):
        super().__init__()
        self.fn = fn
        for name, child in children.items():
            setattr(self, name, child)

    def forward(self, *xs):
        return self.fn(self, *xs)


# --- whole models ---


def test_mlp(tmp_path):
    session = _check(models.mlp(), _floats(1, 8, 8), tmp_path)
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    assert session.get_inputs()[0].shape == ["batch", 1, 8, 8]


def test_demo_cnn_with_batch_norm_statistics(tmp_path):
    model = models.digits_cnn()
    assert not np.allclose(model[1].running_var.numpy(), 1.0)

    def images(batch):
        return (models.digits_images(batch, offset=batch).numpy(),)

    model.train()
    ember.onnx.export(model, ember.from_numpy(images(2)[0]), tmp_path / "model.onnx")
    assert model.training  # export runs the model in evaluation mode, then restores the mode
    _check(model, images, tmp_path, batches=(5, 1, 12), atol=1e-5)
    ops = {n.op_type for n in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert {"Conv", "BatchNormalization", "MaxPool", "Gemm"} <= ops


def test_one_traced_graph_feeds_the_deploy_file_and_onnx(tmp_path):
    model, example = models.digits_cnn(), models.digits_images(4)
    graph = ember.deploy.export(model, example, tmp_path / "model.ember")
    proto = ember.onnx.export(graph, example, tmp_path / "model.onnx")  # the graph as it is: no second trace
    assert {i.name for i in proto.graph.initializer} >= set(graph.tensors)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    deployed = ember.deploy.load(tmp_path / "model.ember")
    x = models.digits_images(7, offset=50)
    (want,) = _ember_outputs(model, [x.numpy()])
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(deployed(x).numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 17, MAX_OPSET])
def test_transformer_block_across_opsets(tmp_path, opset):
    _check(models.encoder_block(), _floats(5, 32), tmp_path, batches=(3, 1, 6), atol=1e-5, opset_version=opset)
    ops = {n.op_type for n in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert ("LayerNormalization" in ops) == (opset >= 17)
    assert ("Gelu" in ops) == (opset >= 20)
    assert ("Erf" in ops) == (opset < 20)


def test_attention_weights_and_relu_block_give_two_outputs(tmp_path):
    ember.manual_seed(1)
    block = Lambda(lambda m, x: m.attn(x, x, x), attn=nn.MultiheadAttention(8, 2, batch_first=True))
    session = _check(block, _floats(3, 8), tmp_path, batches=(2, 5))
    assert [o.name for o in session.get_outputs()] == ["output0", "output1"]
    ember.manual_seed(2)
    relu_block = models.EncoderBlock(8, 2, 16)
    relu_block.ffn[1] = nn.ReLU()
    _check(relu_block, _floats(4, 8), tmp_path, batches=(2, 3))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_layer_of_the_deploy_tests(name, tmp_path):
    model, example = _model_and_inputs(name, 3)
    if name == "attention_seq_first":  # the batch is dim 1: a fixed-batch export
        _check(model, lambda batch: (example.numpy(),), tmp_path, batches=(3,), atol=1e-5, dynamic_batch=False)
    else:
        _check(model, lambda batch: (_model_and_inputs(name, batch)[1].numpy(),), tmp_path, batches=(3, 5), atol=1e-5)


# --- op families ---


@pytest.mark.parametrize("pool", [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(3, stride=2, ceil_mode=True),
    nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True), nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    nn.MaxPool2d(2, stride=1, dilation=3), nn.MaxPool2d(2, stride=3, padding=1, dilation=4, ceil_mode=True),
    nn.AvgPool2d(2), nn.AvgPool2d(3, stride=2, padding=1), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    nn.AvgPool2d(3, stride=2, ceil_mode=True), nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True),
    nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((2, 7)), nn.AdaptiveAvgPool2d((3, 4)),
], ids=repr)
def test_pooling(tmp_path, pool):
    for size in (7, 8):  # with ceil_mode, 8 gets a last window that starts inside and runs past the padding
        _check(pool, _floats(2, size, size), tmp_path, batches=(2, 3))


def test_pooling_matches_torch(tmp_path, torch):
    """The ceil-mode edge cases are PyTorch's: compare onnxruntime with torch directly too."""
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    for ours, theirs in [
        (nn.MaxPool2d(2, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(2, 2, 1, ceil_mode=True)),
        (nn.AvgPool2d(2, 2, 1, ceil_mode=True), torch.nn.AvgPool2d(2, 2, 1, ceil_mode=True)),
        (nn.AvgPool2d(3, 2, 1, ceil_mode=True), torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True)),
        (nn.MaxPool2d(2, 3, 1, dilation=4, ceil_mode=True), torch.nn.MaxPool2d(2, 3, 1, dilation=4, ceil_mode=True)),
    ]:
        session = _export(ours, ember.from_numpy(x), tmp_path / "pool.onnx")
        got = session.run(None, {"input": x})[0]
        np.testing.assert_allclose(got, theirs(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_activations(tmp_path):
    F = nn.functional

    def forward(m, x):
        return (F.gelu(x, approximate="tanh"), F.gelu(x), F.leaky_relu(x, 0.2), F.silu(x), x.sigmoid(), x.tanh(),
                x.abs().sqrt(), (x.abs() + 1).log(), x.exp(), -x, x ** 2, x.abs() ** 1.5, (x.abs() + 0.5).rsqrt())
    _check(Lambda(forward), _floats(3, 5), tmp_path)
    for opset in (13, MAX_OPSET):  # decomposed, and ONNX's own Gelu (opset 20)
        _check(Lambda(lambda m, x: F.gelu(x, approximate="tanh")), _floats(6), tmp_path, opset_version=opset)


def test_softmax_and_log_softmax(tmp_path):
    _check(Lambda(lambda m, x: (x.softmax(-1), x.log_softmax(1), nn.functional.softmax(x, 0))), _floats(3, 4),
           tmp_path)


def test_binary_ops_with_numbers_and_broadcast(tmp_path):
    bias = ember.from_numpy(np.arange(4, dtype=np.float32))
    _check(Lambda(lambda m, x: ((x + 1) * 2 - x / 3, 1 - x, 2 / (x.abs() + 1), x @ m.w.weight.T + bias),
                  w=nn.Linear(4, 4)), _floats(4), tmp_path)


def test_slice_select_cat_mean_sum(tmp_path):
    def forward(m, x):
        b = x.shape[0]
        both = ember.cat([x, x * 2], 0)  # (2B, 6, 5)
        second = both[b:]  # a slice whose bounds depend on the batch size
        pieces = x.chunk(3, 1)
        return (x[:, 1:5:2], x[:, 0], x[..., -1], ember.cat([pieces[2], pieces[0]], 1), second,
                x.mean(-1), x.sum((1, 2), keepdim=True), x.mean((0, 2)), x.reshape(b * 3, 10),
                x.transpose(1, 2), x.permute(2, 0, 1), x.unsqueeze(1), x[:, :1].squeeze(1), x.flatten(1))
    _check(Lambda(forward), _floats(6, 5), tmp_path, batches=(2, 5))


def test_embedding_with_int64_and_int32_indices(tmp_path):
    ember.manual_seed(0)
    model = Lambda(lambda m, i: m.emb(i).sum(1), emb=nn.Embedding(11, 4))
    for dtype in (np.int64, np.int32):
        def tokens(batch, dtype=dtype):
            return (np.random.default_rng(batch).integers(0, 11, (batch, 6)).astype(dtype),)
        session = _check(model, tokens, tmp_path)
        assert session.get_inputs()[0].type == f"tensor({np.dtype(dtype).name})"


def test_masked_fill_with_buffer_and_input_masks(tmp_path):
    model = Lambda(lambda m, x, mask: (x.masked_fill(m.causal, float("-inf")).softmax(-1), x.masked_fill(mask, 0.5)))
    model.register_buffer("causal", ember.from_numpy(np.triu(np.ones((4, 4), bool), 1)))

    def inputs(batch):
        rng = np.random.default_rng(batch)
        return rng.standard_normal((batch, 4, 4)).astype(np.float32), rng.uniform(size=(batch, 4, 4)) > 0.5
    session = _check(model, inputs, tmp_path)
    assert [i.name for i in session.get_inputs()] == ["input0", "input1"]


def test_cast(tmp_path):
    def ints(batch):
        return (np.random.default_rng(batch).integers(-5, 5, (batch, 3)).astype(np.int64),)
    _check(Lambda(lambda m, i: (i.float() * 0.5, i.double() + 1, (i.float() / 4).long())), ints, tmp_path)


def test_conv_variants(tmp_path):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=2, dilation=2, groups=2), nn.Conv2d(8, 3, 1, bias=False),
                          nn.BatchNorm2d(3, affine=False))
    _check(model, _floats(4, 9, 9), tmp_path, batches=(2, 3), atol=1e-5)


def test_layer_norm_over_two_dims_without_affine(tmp_path):
    model = nn.LayerNorm((3, 4), elementwise_affine=False)
    for opset in (13, 17):
        _check(model, _floats(3, 4), tmp_path, opset_version=opset)


# --- options ---


def test_fixed_batch_and_names(tmp_path):
    ember.manual_seed(0)
    model = nn.Linear(3, 2)
    session = _check(model, _floats(3), tmp_path, batches=(4,), dynamic_batch=False, input_names=["x"],
                     output_names=["y"])
    assert session.get_inputs()[0].shape == [4, 3] and session.get_outputs()[0].name == "y"
    with pytest.raises(ValueError, match=r"input_names must be 1 distinct"):
        ember.onnx.export(model, ember.zeros((4, 3)), tmp_path / "m.onnx", input_names=["a", "b"])


def test_outputs_that_repeat_or_are_the_input(tmp_path):
    session = _check(Lambda(lambda m, x: (x.relu(), x.relu() * 1, x)), _floats(3), tmp_path)
    assert [o.name for o in session.get_outputs()] == ["output0", "output1", "output2"]
    relu = Lambda(lambda m, x: (lambda y: (y, y))(x.relu()))
    _check(relu, _floats(3), tmp_path)
    _check(nn.Dropout(0.5), _floats(3), tmp_path)  # the identity in evaluation mode


def test_reshape_of_an_empty_tensor_computes_the_batch_dims(tmp_path):
    """Reshape's -1 cannot place a batch-dependent dim beside a 0: the shape is computed in the graph."""
    batch = {"batch": 1, "add": 0}
    graph = Graph(["input"], ["t0"], [Node("reshape", ["input"], ["t0"], {"shape": [0, batch, 1]})],
                  {"input": ValueSpec("float32", [batch, 0]), "t0": ValueSpec("float32", [0, batch, 1])}, {})
    proto = ember.onnx.graph_to_onnx(graph, example_batch=2)
    assert "Concat" in {n.op_type for n in proto.graph.node}
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    assert session.run(None, {"input": np.zeros((5, 0), np.float32)})[0].shape == (0, 5, 1)
    with pytest.raises(ember.onnx.ExportError, match=r"op 'reshape' \(in the model's forward\).*opset 14"):
        ember.onnx.graph_to_onnx(graph, example_batch=2, opset_version=13)


def test_format_ops_the_tracer_writes_as_reshape_or_permute():
    """transpose, squeeze, unsqueeze and flatten are format ops (other writers may use them)."""
    def batch(a, c=0):
        return {"batch": a, "add": c}
    nodes = [Node("transpose", ["input"], ["t0"], {"dim0": 1, "dim1": 3}),
             Node("squeeze", ["t0"], ["t1"], {"dim": 2}),
             Node("squeeze", ["t1"], ["t2"], {"dim": 1}),  # size 4: PyTorch leaves it
             Node("unsqueeze", ["t2"], ["t3"], {"dim": 0}),
             Node("flatten", ["t3"], ["t4"], {"start_dim": 1, "end_dim": 3}),
             Node("flatten", ["input"], ["t5"], {"start_dim": 0, "end_dim": 2})]
    shapes = {"input": [batch(1), 3, 1, 4], "t0": [batch(1), 4, 1, 3], "t1": [batch(1), 4, 3],
              "t2": [batch(1), 4, 3], "t3": [1, batch(1), 4, 3], "t4": [1, batch(12)], "t5": [batch(3), 4]}
    graph = Graph(["input"], ["t4", "t5"], nodes, {k: ValueSpec("float32", v) for k, v in shapes.items()}, {})
    session = ort.InferenceSession(ember.onnx.graph_to_onnx(graph, example_batch=2).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((5, 3, 1, 4)).astype(np.float32)
    flat, rows = session.run(None, {"input": x})
    np.testing.assert_array_equal(flat, x.transpose(0, 3, 2, 1).reshape(1, -1))
    np.testing.assert_array_equal(rows, x.reshape(15, 4))


# --- errors ---


@pytest.mark.parametrize("opset", [12, MAX_OPSET + 1])
def test_opset_out_of_range(tmp_path, opset):
    with pytest.raises(ValueError, match=rf"opset_version must be in \[13, {MAX_OPSET}\].*got {opset}"):
        ember.onnx.export(nn.ReLU(), ember.zeros((2, 3)), tmp_path / "m.onnx", opset_version=opset)


def test_unknown_op_names_op_and_module(tmp_path):
    graph = Graph(["input"], ["t0"], [Node("frobnicate", ["input"], ["t0"], {}, scope="encoder.attn")],
                  {"input": ValueSpec("float32", [2]), "t0": ValueSpec("float32", [2])}, {})
    with pytest.raises(ember.onnx.ExportError, match=r"op 'frobnicate' \(in module 'encoder.attn'\)"):
        ember.onnx.graph_to_onnx(graph, example_batch=2)


def test_unwritable_path_and_failed_export_keep_the_old_file(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "m.onnx"
    with pytest.raises(OSError, match="m.onnx"):
        ember.onnx.export(nn.ReLU(), ember.zeros((2, 3)), missing)
    path = tmp_path / "m.onnx"
    path.write_bytes(b"earlier export")
    with pytest.raises(ValueError):
        ember.onnx.export(nn.ReLU(), ember.zeros((2, 3)), path, opset_version=99)
    with pytest.raises(ember.onnx.ExportError):  # the tracer refuses data-dependent control flow
        ember.onnx.export(Lambda(lambda m, x: x if x.sum().item() > 0 else -x), ember.ones((2, 3)), path)
    assert path.read_bytes() == b"earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left behind
    fresh = tmp_path / "fresh.onnx"
    ember.onnx.export(nn.ReLU(), ember.zeros((2, 3)), fresh)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask  # as open() would create it
