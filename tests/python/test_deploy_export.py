"""ember.deploy.trace / export: the recorded graph, dynamic batch sizes, and what is refused."""
from __future__ import annotations

import json

import numpy as np
import pytest

import ember
from ember import nn
from ember.deploy import ExportError, trace
from _deploy_models import digits_cnn, digits_images, encoder_block, interpret, mlp


def _assert_same(graph, model, x):
    (got,) = interpret(graph, x)
    with ember.no_grad():
        want = model(x)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch", [1, 5, 12])
def test_digits_cnn_graph_runs_at_any_batch_size(batch):
    model = digits_cnn()
    graph = trace(model, digits_images(4))
    assert [n.op for n in graph.nodes] == ["conv2d", "batch_norm", "relu", "conv2d", "batch_norm", "relu",
                                           "max_pool2d", "reshape", "linear", "relu", "linear"]
    assert [n.scope for n in graph.nodes][:3] == ["0", "1", "2"]
    assert graph.values["input"].shape == [{"batch": 1, "add": 0}, 1, 8, 8]
    assert graph.nodes[7].attrs["shape"] == [{"batch": 1, "add": 0}, 512]
    assert set(graph.tensors) == {k for k in model.state_dict() if "num_batches" not in k}
    _assert_same(graph, model, digits_images(batch, offset=100))


def test_mlp_graph():
    model = mlp()
    graph = trace(model, digits_images(3))
    assert [n.op for n in graph.nodes] == ["reshape", "linear", "relu", "linear", "tanh", "linear"]
    _assert_same(graph, model, digits_images(9))


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_encoder_block_graph_has_batch_expressions(batch):
    model = encoder_block()
    ember.manual_seed(1)
    graph = trace(model, ember.randn(2, 10, 32))
    ops = [n.op for n in graph.nodes]
    assert "layer_norm" in ops and "gelu" in ops and "dropout" not in ops
    # Attention is one node, the C++ op whole: no softmax or head reshapes of a decomposition.
    assert ops.count("multi_head_attention") == 1 and "softmax" not in ops and "multi_head_attention_weights" not in ops
    (attn,) = [n for n in graph.nodes if n.op == "multi_head_attention"]
    assert attn.attrs == {"embed_dim": 32, "num_heads": 4, "use_separate_proj_weight": False, "is_causal": False}
    assert graph.values[attn.outputs[0]].shape == [10, {"batch": 1, "add": 0}, 32]  # (L, B, E): batch-first, permuted
    assert all(n.scope.startswith(("attn", "norm", "ffn", "")) for n in graph.nodes)
    _assert_same(graph, model, ember.randn(batch, 10, 32))


def test_export_writes_safetensors_with_the_graph(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    model = digits_cnn()
    path = tmp_path / "digits.ember"
    graph = ember.deploy.export(model, digits_images(2), path)
    stored = safetensors.load_file(str(path))
    state = model.state_dict()
    for name in graph.tensors:
        np.testing.assert_array_equal(stored[name], state[name].numpy())
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        meta = f.metadata()
    assert meta["ember.format"] == "ember.deploy" and meta["ember.format_version"] == "1"
    assert json.loads(meta["ember.graph"])["nodes"][0]["op"] == "conv2d"


def test_export_restores_training_mode_and_leaves_parameters_alone():
    model = digits_cnn().train()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    trace(model, digits_images(2))
    assert all(m.training for m in model.modules())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_scalars_casts_slices_and_functions_are_recorded():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 6)
            self.register_buffer("scale", ember.full((6,), 0.5))

        def forward(self, x):
            h = self.fc(x[:, 1:9]) * self.scale - 1.0
            a, b = h.chunk(2, dim=-1)
            y = ember.cat([ember.sigmoid(a), 2.0 / (b.abs() + 1)], 1)
            z = y.unsqueeze(1).transpose(1, 2).flatten(1) ** 2
            return z.mean(-1, keepdim=True) + z[:, None, 0].squeeze(1).sum() + y.log_softmax(1)

    model = M().eval()
    graph = trace(model, ember.randn(3, 10))
    ops = {n.op for n in graph.nodes}
    assert {"slice", "mul", "sub", "cat", "sigmoid", "div", "abs", "pow", "mean", "sum", "select",
            "log_softmax"} <= ops
    _assert_same(graph, model, ember.randn(6, 10))


class _Wrap(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), _Fn(fn))

    def forward(self, x):
        return self.body(x)


class _Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _export_error(fn, x=None):
    with pytest.raises(ExportError) as info:
        trace(_Wrap(fn), ember.randn(3, 4) if x is None else x)
    return str(info.value)


def test_data_dependent_control_flow_is_refused():
    msg = _export_error(lambda x: x * 2 if x.sum().item() > 0 else x)
    assert "item" in msg and "data-dependent" in msg and "module 'body.1'" in msg
    msg = _export_error(lambda x: x if bool(x.sum()) else -x)
    assert "__bool__" in msg


def test_unsupported_ops_name_the_op_and_module():
    assert "Tensor.max is not supported" in _export_error(lambda x: x - x.max())
    assert "ember.maximum is not supported" in _export_error(lambda x: ember.maximum(x, x))
    assert "Tensor.__gt__" in _export_error(lambda x: x > 0)
    assert "Tensor.add_" in _export_error(lambda x: x.add_(1))
    assert "advanced indexing" in _export_error(lambda x: x[ember.tensor([0, 1])])


def test_functional_dropout_in_training_mode_is_refused():
    msg = _export_error(lambda x: nn.functional.dropout(x, 0.5, training=True))
    assert "dropout in training mode" in msg


def test_attention_dropout_in_training_mode_is_refused():
    F = nn.functional
    msg = _export_error(lambda x: F.scaled_dot_product_attention(x, x, x, dropout_p=0.1))
    assert "attention dropout in training mode" in msg
    w, o = ember.randn(12, 4), ember.randn(4, 4)
    msg = _export_error(lambda x: F.multi_head_attention_forward(x, x, x, 4, 2, w, None, None, None, False, 0.5, o,
                                                                 None, training=True)[0])
    assert "attention dropout in training mode" in msg
    # training=False (what nn.MultiheadAttention passes in eval mode) exports whatever dropout_p is.
    graph = trace(_Fn(lambda x: F.multi_head_attention_forward(x, x, x, 4, 2, w, None, None, None, False, 0.5, o,
                                                                 None, training=False)[0]), ember.randn(3, 2, 4))
    assert [n.op for n in graph.nodes] == ["multi_head_attention"]


def test_a_function_that_bypassed_the_trace_is_detected():
    relu = ember._core.relu  # bound before the trace: its result is not recorded
    msg = _export_error(lambda x: x + relu(x))
    assert "changes with the input" in msg and "add" in msg


def test_batch_dependent_control_flow_is_refused():
    msg = _export_error(lambda x: x * 2 if x.shape[0] > 3 else x)
    assert "different graphs at batch sizes" in msg


def test_outputs_must_be_traced_tensors():
    assert "output 0" in _export_error(lambda x: tuple(x.shape))
    with pytest.raises(ExportError, match="not computed from the input"):
        class Const(nn.Module):
            def forward(self, x):
                return ember.zeros(3)
        trace(Const(), ember.randn(2, 3))


def test_bad_arguments():
    with pytest.raises(TypeError, match="ember.nn.Module"):
        trace(lambda x: x, ember.randn(2, 2))
    with pytest.raises(TypeError, match="example_input"):
        trace(mlp(), np.zeros((2, 64), np.float32))
    with pytest.raises(ValueError, match="batch dimension"):
        trace(mlp(), ember.randn(0, 64))
