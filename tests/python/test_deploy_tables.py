"""The export tables agree: every op of docs/deploy-format.md has a C++ kernel (include/ember/deploy/ops.hpp)
and an ONNX converter (ember/onnx/_ops.py), and every op the tracer records (ember/deploy/_recorders.py) is
in the format. A new op missing from one of them fails here, naming the table (docs/extending.md)."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import ember
from ember import _core
from ember.deploy import _recorders

ROOT = Path(__file__).resolve().parents[2]


def _documented_ops() -> set[str]:
    """The ops in the first column of the format's ops table."""
    text = (ROOT / "docs" / "deploy-format.md").read_text()
    table = text.split("## Ops", 1)[1].split("\n## ", 1)[0]
    ops = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            ops.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    return ops


DOCUMENTED = _documented_ops()


def test_the_format_table_lists_the_ops():
    assert {"linear", "conv2d", "relu", "add", "reshape", "cat", "cast"} <= DOCUMENTED


def test_every_recorded_op_is_in_the_format():
    source = inspect.getsource(_recorders)
    recorded = set(re.findall(r"""(?:emit|_unary|_binary|_softmax|_reduce|_activation)\(\s*["'](\w+)["']""", source))
    assert "linear" in recorded and "pow" in recorded
    assert recorded - DOCUMENTED == set(), \
        "ops that _recorders.py records but docs/deploy-format.md does not list (add a row)"


def _load_error(tmp_path, op: str) -> str:
    """The loader's error for a node of ``op`` with no inputs: arity for a known op, 'unknown op' else."""
    spec = {"dtype": "float32", "shape": [{"batch": 1, "add": 0}, 2]}
    graph = {"inputs": ["x"], "outputs": ["y"], "values": {"x": spec, "y": spec}, "tensors": {},
             "nodes": [{"op": op, "inputs": [], "outputs": ["y"], "attrs": {}, "scope": ""}]}
    meta = {"ember.format": "ember.deploy", "ember.format_version": str(_core._deploy_format_version(op)),
            "ember.graph": json.dumps(graph)}
    path = str(tmp_path / f"{op}.ember")
    _core._save_safetensors(path, [], meta)
    with pytest.raises(_core.CheckpointError) as e:
        ember.deploy.load(path)
    return str(e.value)


def test_every_format_op_has_a_cpp_kernel(tmp_path):
    assert "unknown op 'no_such_op'" in _load_error(tmp_path, "no_such_op")
    missing = sorted(op for op in DOCUMENTED if "unknown op" in _load_error(tmp_path, op))
    assert missing == [], "format ops without an entry in op_table() of include/ember/deploy/ops.hpp"
    # Each entry also gives the op's input count.
    for op, count in [("relu", "1"), ("add", "2"), ("linear", "2 to 3"), ("batch_norm", "3 to 5"),
                      ("cat", "1 or more"), ("masked_fill", "3"), ("scaled_dot_product_attention", "3 to 4"),
                      ("multi_head_attention", "4 to 12"), ("multi_head_attention_weights", "4 to 12"),
                      ("quantized_conv2d", "3 to 4"), ("quantized_linear", "3 to 4")]:
        assert f"[{op}] expected {count} inputs, got 0" in _load_error(tmp_path, op)


def test_every_format_op_has_an_onnx_converter():
    pytest.importorskip("onnx")
    from ember.onnx._ops import CONVERTERS

    assert sorted(DOCUMENTED - set(CONVERTERS)) == [], "format ops without a converter in ember/onnx/_ops.py"
    assert sorted(set(CONVERTERS) - DOCUMENTED) == [], "converters of ops that docs/deploy-format.md lacks"
