"""Property fuzzing of the Python-facing file readers (ember.load, ember.deploy.load): files derived from
valid checkpoints and deploy files by truncation, byte flips, splices and rewritten headers or structure
JSON must load or raise ember.CheckpointError naming the file; nothing else, no crash, no hang. The C++
parsers' own libFuzzer harnesses are in tests/fuzz/ (make fuzz). EMBER_FUZZ_EXAMPLES sets the count."""
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember import _core

EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=os.environ.get("EMBER_FUZZ_PROFILE") != "fuzz",
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _seeds(tmp):
    """Valid files of each kind, as bytes."""
    out = {}
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(), ember.nn.Linear(3, 2))
    opt = ember.optim.Adam(model.parameters())
    model(ember.randn(2, 4)).sum().backward()
    opt.step()
    ember.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "names": ("a", 1.5)},
               tmp / "ckpt.safetensors")
    ember.save({"w": ember.arange(6.0).reshape(2, 3), "i": ember.arange(3), "b": ember.ones(2, dtype=ember.bool)},
               tmp / "flat.safetensors")
    ember.deploy.export(model, ember.randn(2, 4), tmp / "mlp.ember")
    ember.quantization.quantize(model, ember.randn(8, 4)).save(tmp / "int8.ember")  # format 2: int8 ops and tensors
    for name in ("ckpt.safetensors", "flat.safetensors", "mlp.ember", "int8.ember"):
        out[name] = (tmp / name).read_bytes()
    return out


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _seeds(tmp_path_factory.mktemp("seeds"))


def _check(path, data):
    path.write_bytes(data)
    for load in (ember.load, ember.deploy.load):
        try:
            load(str(path))
        except _core.CheckpointError as e:
            assert str(path) in str(e), str(e)
        except (UnicodeDecodeError, UnicodeEncodeError) as e:  # never: names and metadata are checked UTF-8
            raise AssertionError(f"{load.__qualname__}: {e!r}") from None


def _split(data):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def _join(header, body):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


edits = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8)),
    st.tuples(st.just("splice"), st.floats(0, 1), st.binary(max_size=64)),
    st.tuples(st.just("length"), st.integers(0, 2**64 - 1)),
)


@SETTINGS
@given(name=st.sampled_from(["ckpt.safetensors", "flat.safetensors", "mlp.ember", "int8.ember"]), edit=edits)
def test_mutated_files_load_or_raise_checkpoint_error(seeds, tmp_path, name, edit):
    data = bytearray(seeds[name])
    kind = edit[0]
    if kind == "truncate":
        data = data[: int(edit[1] * len(data))]
    elif kind == "flip":
        for where, byte in edit[1]:
            data[min(int(where * len(data)), len(data) - 1)] = byte
    elif kind == "splice":
        at = int(edit[1] * len(data))
        data = data[:at] + edit[2] + data[at:]
    else:
        data[:8] = struct.pack("<Q", edit[1])
    _check(tmp_path / name, bytes(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@SETTINGS
@given(name=st.sampled_from(["ckpt.safetensors", "mlp.ember", "int8.ember"]), data=st.data())
def test_rewritten_headers_and_structures_load_or_raise(seeds, tmp_path, name, data):
    header, body = _split(seeds[name])
    meta = header.get("__metadata__", {})
    target = data.draw(st.sampled_from(["tensor", "ember", "ember.graph", "graph-node"]))
    if target == "tensor":  # one tensor's entry replaced by another or by junk
        names = [k for k in header if k != "__metadata__"]
        key = data.draw(st.sampled_from(names))
        header[key] = data.draw(st.one_of(json_values, st.fixed_dictionaries({
            "dtype": st.sampled_from(["F32", "F64", "I64", "I8", "BOOL", "F16", "X"]),
            "shape": st.lists(st.integers(-2, 2**40), max_size=4),
            "data_offsets": st.lists(st.integers(-1, 2**63), min_size=2, max_size=2)})))
    elif target == "ember" and "ember" in meta:  # the nested-structure JSON of ember.save
        tree = json.loads(meta["ember"])
        tree["tree"] = data.draw(json_values | st.fixed_dictionaries({"__tensor__": st.text(max_size=12)}))
        meta["ember"] = json.dumps(tree)
    elif "ember.graph" in meta:
        graph = json.loads(meta["ember.graph"])
        if target == "graph-node" and graph["nodes"]:
            i = data.draw(st.integers(0, len(graph["nodes"]) - 1))
            field = data.draw(st.sampled_from(["op", "inputs", "outputs", "attrs"]))
            graph["nodes"][i][field] = data.draw(json_values)
        else:
            field = data.draw(st.sampled_from(["inputs", "outputs", "values", "tensors", "nodes"]))
            graph[field] = data.draw(json_values)
        meta["ember.graph"] = json.dumps(graph)
    _check(tmp_path / name, _join(header, body))


def test_a_valid_seed_round_trips(seeds, tmp_path):
    p = tmp_path / "flat.safetensors"
    p.write_bytes(seeds["flat.safetensors"])
    np.testing.assert_array_equal(ember.load(str(p))["w"].numpy(), np.arange(6.0).reshape(2, 3))
