"""ember.save / ember.load: safetensors round trips, interop with the safetensors package and PyTorch,
a table of corrupt and hostile files, atomic writes under SIGKILL, and unsupported values."""
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import ember

ROOT = Path(__file__).resolve().parents[2]
DTYPES = [ember.float32, ember.float64, ember.int64, ember.int32, ember.uint8, ember.int8, ember.bool]


def same(a, b):
    """a and b are ember tensors with the same dtype, shape and values."""
    assert isinstance(a, ember.Tensor) and isinstance(b, ember.Tensor)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def assert_tree_equal(got, want):
    assert type(got) is type(want), (got, want)
    if isinstance(want, ember.Tensor):
        same(got, want)
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_tree_equal(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_equal(g, w)
    else:
        assert got == want


def sample(dtype, shape=(2, 3)):
    n = int(np.prod(shape))
    return ember.from_numpy((np.arange(n) % 7 - 2).reshape(shape)).to(dtype)


# --- round trips ---

def test_state_dict_round_trip_every_dtype_scalar_empty_and_views(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    state = {f"t.{d}": sample(d) for d in DTYPES}
    state["scalar"] = ember.tensor(2.5, dtype=ember.float64)
    state["empty"] = ember.zeros(0, 3)
    state["transposed"] = sample(ember.float32, (3, 4)).T
    state["sliced"] = sample(ember.int64, (10,))[::3]
    ember.save(state, path)
    loaded = ember.load(path)
    assert list(loaded) == list(state)  # the order is kept
    for k in state:
        same(loaded[k], state[k])
    assert loaded["scalar"].shape == () and loaded["scalar"].item() == 2.5
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_nested_checkpoint_round_trip(tmp_path):
    w = ember.randn(4, 3, requires_grad=True)
    ckpt = {
        "model": {"fc.weight": w, "fc.bias": ember.zeros(4), "bn.num_batches_tracked": ember.tensor(5)},
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": ember.ones(4, 3)}, 1: {"step": 3, "exp_avg": ember.ones(4)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                              "foreach": None, "params": [0, 1]}],
        },
        "epoch": 3,
        "history": [0.5, 0.25, float("inf")],
        "name": "digits cnn",
        (1, "x"): "a tuple key",
    }
    path = tmp_path / "ckpt.safetensors"
    ember.save(ckpt, str(path))
    loaded = ember.load(path)
    assert_tree_equal(loaded, {**ckpt, "model": {**ckpt["model"], "fc.weight": w.detach()}})
    assert not loaded["model"]["fc.weight"].requires_grad


def test_a_lone_tensor_and_a_list_round_trip(tmp_path):
    ember.save(sample(ember.float64), tmp_path / "t.safetensors")
    same(ember.load(tmp_path / "t.safetensors"), sample(ember.float64))
    obj = [sample(ember.int32), {"a": sample(ember.uint8)}, None]
    ember.save(obj, tmp_path / "l.safetensors")
    assert_tree_equal(ember.load(tmp_path / "l.safetensors"), obj)


def test_colliding_dotted_names_stay_apart(tmp_path):
    obj = {"a.b": ember.ones(1), "a": {"b": ember.zeros(1)}}
    ember.save(obj, tmp_path / "c.safetensors")
    assert_tree_equal(ember.load(tmp_path / "c.safetensors"), obj)


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ember.save({"w": ember.ones(3)}, path)
    ember.save({"v": ember.zeros(2)}, path)
    assert list(ember.load(path)) == ["v"]
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_load_accepts_torch_load_arguments(tmp_path):
    ember.save({"w": ember.ones(3)}, tmp_path / "a.safetensors")
    assert list(ember.load(tmp_path / "a.safetensors", map_location="cpu", weights_only=True)) == ["w"]
    with pytest.raises(ValueError, match="map_location must be None or 'cpu'"):
        ember.load(tmp_path / "a.safetensors", map_location="cuda:0")


# --- interop with the safetensors package and PyTorch ---

def test_safetensors_numpy_reads_embers_state_dict(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    state = {f"t.{d}": sample(d) for d in DTYPES}
    state["scalar"] = ember.tensor(7, dtype=ember.int64)
    state["empty"] = ember.zeros(0, 2, dtype=ember.float64)
    ember.save(state, tmp_path / "e.safetensors")
    loaded = st_numpy.load_file(str(tmp_path / "e.safetensors"))
    assert sorted(loaded) == sorted(state)
    for k, v in state.items():
        assert loaded[k].dtype == v.numpy().dtype
        np.testing.assert_array_equal(loaded[k], v.numpy())


def test_torch_reads_embers_files(tmp_path, torch):
    st_torch = pytest.importorskip("safetensors.torch")
    state = {f"t.{d}": sample(d) for d in DTYPES}
    ember.save(state, tmp_path / "e.safetensors")
    loaded = st_torch.load_file(str(tmp_path / "e.safetensors"))
    for k, v in state.items():
        assert torch.equal(loaded[k], torch.from_numpy(v.numpy()))
    # A nested checkpoint reads as a state dict with dotted names.
    ember.save({"model": {"fc.weight": ember.ones(2, 2)}, "epoch": 1}, tmp_path / "n.safetensors")
    flat = st_torch.load_file(str(tmp_path / "n.safetensors"))
    assert list(flat) == ["model.fc.weight"] and torch.equal(flat["model.fc.weight"], torch.ones(2, 2))


def test_ember_reads_safetensors_torch_files(tmp_path, torch):
    st_torch = pytest.importorskip("safetensors.torch")
    g = torch.Generator().manual_seed(0)
    state = {
        "f32": torch.randn(3, 4, generator=g), "f64": torch.randn(5, dtype=torch.float64, generator=g),
        "i64": torch.arange(6).reshape(2, 3), "i32": torch.arange(4, dtype=torch.int32),
        "u8": torch.arange(250, 256, dtype=torch.uint8), "b": torch.tensor([True, False, True]),
        "scalar": torch.tensor(1.5), "empty": torch.zeros(0, 4),
    }
    st_torch.save_file(state, str(tmp_path / "t.safetensors"), metadata={"format": "pt"})
    loaded = ember.load(tmp_path / "t.safetensors")
    assert sorted(loaded) == sorted(state)
    for k, v in state.items():
        assert isinstance(loaded[k], ember.Tensor)
        assert torch.equal(torch.from_numpy(loaded[k].numpy().copy()), v), k


def test_ember_reads_safetensors_numpy_files(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, -2], dtype=np.int32),
              "c": np.array(True)}
    st_numpy.save_file(arrays, str(tmp_path / "n.safetensors"))
    loaded = ember.load(tmp_path / "n.safetensors")
    for k, v in arrays.items():
        np.testing.assert_array_equal(loaded[k].numpy(), v)
        assert loaded[k].numpy().dtype == v.dtype


def test_unsupported_dtype_from_torch_is_named(tmp_path, torch):
    st_torch = pytest.importorskip("safetensors.torch")
    st_torch.save_file({"h": torch.zeros(2, dtype=torch.float16)}, str(tmp_path / "h.safetensors"))
    with pytest.raises(ember.CheckpointError, match="tensor 'h' has dtype 'F16', which ember does not support"):
        ember.load(tmp_path / "h.safetensors")


# --- corrupt, truncated and hostile files ---

def raw(header, data=b""):
    """A safetensors file from a header (dict, or str/bytes taken as is) and a data buffer."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(header, str):
        header = header.encode()
    return struct.pack("<Q", len(header)) + header + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def valid_file():
    return raw({"a": entry("F32", [2, 2], 0, 16), "b": entry("I64", [1], 16, 24)}, bytes(24))


HEADER_LEN = struct.unpack("<Q", valid_file()[:8])[0]

CORRUPT = [
    ("empty file", b"", "the file is 0 bytes long, too short"),
    ("3 bytes", b"abc", "the file is 3 bytes long, too short"),
    ("truncated in the length", valid_file()[:7], "the file is 7 bytes long"),
    ("truncated after the length", valid_file()[:8], f"the header length {HEADER_LEN} exceeds the 0 bytes"),
    ("truncated in the header", valid_file()[:8 + HEADER_LEN // 2], f"the header length {HEADER_LEN} exceeds the"),
    ("truncated before the data", valid_file()[:8 + HEADER_LEN], "beyond the 0-byte data buffer (truncated file?)"),
    ("truncated in the data", valid_file()[:-1], "tensor 'b' has data_offsets [16, 24] beyond the 23-byte data buffer"),
    ("header length larger than the file", struct.pack("<Q", 1000) + b"{}", "the header length 1000 exceeds the 2 bytes"),
    ("header length 2^64-1", struct.pack("<Q", 2**64 - 1) + b"{}", "the header length 18446744073709551615 exceeds"),
    ("header length 0", struct.pack("<Q", 0) + b"{}", "the header length is 0"),
    ("huge header length", struct.pack("<Q", 200_000_000) + bytes(8), "exceeds the"),
    ("not JSON", raw("{not json"), "the header is not valid JSON"),
    ("not UTF-8", raw(b'{"\xff": 1}'), "the header is not valid JSON"),
    ("JSON array", raw("[1, 2]"), "the header is a JSON array, expected an object"),
    ("entry not an object", raw({"a": 5}), "tensor 'a' is described by a JSON number, expected an object"),
    ("no dtype", raw({"a": {"shape": [1], "data_offsets": [0, 4]}}, bytes(4)), "tensor 'a' has no 'dtype'"),
    ("unknown dtype", raw({"a": entry("Q7", [1], 0, 4)}, bytes(4)), "tensor 'a' has dtype 'Q7', which ember does not"),
    ("dtype not a string", raw({"a": entry(4, [1], 0, 4)}, bytes(4)), "tensor 'a' has a dtype that is not a string"),
    ("negative shape", raw({"a": entry("F32", [-1], 0, 4)}, bytes(4)), "shape [-1]: dimensions must be non-negative"),
    ("float shape", raw({"a": entry("F32", [1.5], 0, 4)}, bytes(4)), "dimensions must be non-negative integers"),
    ("shape not a list", raw({"a": entry("F32", 4, 0, 16)}, bytes(16)), "tensor 'a' has a shape that is not a list"),
    ("shape overflows int64", raw({"a": entry("F64", [2**62, 2**62], 0, 8)}, bytes(8)),
     "tensor 'a' has shape (4611686018427387904, 4611686018427387904), whose size in bytes overflows int64"),
    ("shape above 2^63", raw({"a": entry("U8", [2**63], 0, 8)}, bytes(8)), "dimensions must be non-negative integers"),
    ("size mismatch", raw({"fc.weight": entry("F32", [5, 6], 0, 100)}, bytes(100)),
     "tensor 'fc.weight' has data_offsets [0, 100] (100 bytes) but shape (5, 6) float32 needs 120 bytes"),
    ("offsets out of range", raw({"a": entry("U8", [4], 4, 8)}, bytes(4)),
     "tensor 'a' has data_offsets [4, 8] beyond the 4-byte data buffer"),
    ("negative offset", raw({"a": entry("U8", [4], -4, 0)}, bytes(4)), "offsets must be non-negative integers"),
    ("one offset", raw({"a": {"dtype": "U8", "shape": [4], "data_offsets": [4]}}, bytes(4)), "expected [begin, end]"),
    ("begin after end", raw({"a": entry("U8", [0], 4, 2)}, bytes(4)), "tensor 'a' has data_offsets [4, 2]: begin is after end"),
    ("overlapping", raw({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 2, 6)}, bytes(6)),
     "tensors 'a' [0, 4] and 'b' [2, 6] overlap"),
    ("same offsets twice", raw({"a": entry("I32", [1], 0, 4), "b": entry("F32", [1], 0, 4)}, bytes(4)), "overlap"),
    ("a hole", raw({"a": entry("U8", [2], 0, 2), "b": entry("U8", [2], 4, 6)}, bytes(6)),
     "bytes [2, 4) of the data buffer belong to no tensor (a hole before 'b')"),
    ("trailing bytes", raw({"a": entry("U8", [2], 0, 2)}, bytes(5)),
     "the data buffer is 5 bytes but the tensors cover 2 (3 trailing bytes)"),
    ("metadata not strings", raw({"__metadata__": {"epoch": 3}}), "__metadata__ value 'epoch' is a JSON number"),
    ("metadata not an object", raw({"__metadata__": ["x"]}), "__metadata__ is a JSON array, expected an object"),
    ("deeply nested JSON", raw("[" * 100_000 + "]" * 100_000), "the header is a JSON array"),
    ("JSON error names the byte", raw('{"a": 1,}'),
     "the header is not valid JSON (parse error at byte 8: Missing a name"),
    ("NUL after the header", raw(b"{}  \x00x"), "not valid JSON (parse error at byte 4: The document root must not be"),
    ("lone surrogate escape", raw(r'{"\udc00": 1}'), "not valid JSON (parse error at byte 2: The surrogate pair"),
    # A JSON object may repeat a key; readers disagree on which one counts, so ember refuses the file.
    ("tensor named twice",
     raw('{"a": %s, "b": %s, "a": %s}' % tuple(json.dumps(entry("U8", [2], o, o + 2)) for o in (0, 2, 4)), bytes(6)),
     "tensor 'a' appears twice in the header"),
    ("__metadata__ twice", raw('{"__metadata__": {}, "__metadata__": {"x": "1"}}'),
     "__metadata__ appears twice in the header"),
    ("metadata key twice", raw('{"__metadata__": {"k": "1", "k": "2"}}'), "__metadata__ key 'k' appears twice"),
    ("entry key twice", raw('{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2], "shape": [1]}}', bytes(2)),
     "tensor 'a' has 'shape' twice"),
    ("ember structure not JSON", raw({"__metadata__": {"ember": "{oops"}}), "'ember' is not valid JSON"),
    ("ember structure refers to a missing tensor",
     raw({"__metadata__": {"ember": json.dumps({"version": 1, "tree": {"__tensor__": "gone"}})}}),
     "refers to a tensor 'gone' that the file does not hold"),
    ("ember structure with an unknown tag",
     raw({"__metadata__": {"ember": json.dumps({"version": 1, "tree": {"__set__": [1]}})}}), "unknown tag '__set__'"),
    ("ember structure nested too deeply",
     raw({"__metadata__": {"ember": '{"version": 1, "tree": ' + "[" * 100_000 + "]" * 100_000 + "}"}}),
     "'ember' is not valid JSON"),
    ("ember structure from a newer ember", raw({"__metadata__": {"ember": json.dumps({"version": 99, "tree": 1})}}),
     "written by a newer ember"),
]


@pytest.mark.parametrize("name,data,message", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_corrupt_files_raise_a_clear_error(tmp_path, name, data, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ember.CheckpointError) as info:
        ember.load(path)
    assert isinstance(info.value, ValueError)
    text = str(info.value)
    assert text.startswith(f"[load] {path}: "), text
    assert message in text, text


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\[load\] cannot open '.*nope.safetensors': No such file"):
        ember.load(tmp_path / "nope.safetensors")
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        ember.load(tmp_path)
    with open(os.devnull, "rb") as fh, pytest.raises(TypeError, match="expected a file path"):
        ember.load(fh)


# --- atomic writes ---

def test_save_into_a_missing_directory_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\[save\] cannot create a temporary file in"):
        ember.save({"w": ember.ones(2)}, tmp_path / "missing" / "ckpt.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_over_a_directory_fails_and_cleans_up(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match=r"\[save\] cannot replace"):
        ember.save({"w": ember.ones(2)}, tmp_path / "d")
    assert os.listdir(tmp_path) == ["d"]


def test_a_write_that_fails_part_way_keeps_the_previous_file(tmp_path):
    # A file-size limit in a child process makes the write fail half-way, as a full disk would.
    path = tmp_path / "ckpt.safetensors"
    ember.save({"w": ember.ones(4)}, path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import resource, signal, sys, ember
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, resource.RLIM_INFINITY))
        try:
            ember.save({{"w": ember.zeros(1 << 20)}}, {str(path)!r})
        except OSError as e:
            print("failed:", e)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(ember.__file__).parents[1])})
    assert "failed: [Errno 27] [save] cannot write" in out.stdout, out.stdout + out.stderr
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


WRITER = """
import sys, ember
path, n = sys.argv[1], int(sys.argv[2])
gen = 1
while True:
    state = {"gen": gen, "w": ember.full((n,), float(gen), dtype=ember.float64)}
    print("saving", gen, flush=True)
    ember.save(state, path)
    gen += 1
"""


def test_a_writer_killed_mid_save_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ember.save({"gen": 0, "w": ember.zeros(1000, dtype=ember.float64)}, path)
    n = 16_000_000  # 128 MB per save
    env = {**os.environ, "PYTHONPATH": str(Path(ember.__file__).parents[1])}
    landed_mid_write = 0
    for attempt in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)], stdout=subprocess.PIPE, text=True,
                                env=env)
        try:
            assert proc.stdout.readline().startswith("saving"), "the writer did not start"
            time.sleep(0.05 + 0.1 * attempt)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
        # The checkpoint is one complete generation: the old one or a finished new one.
        ckpt = ember.load(path)
        w = ckpt["w"].numpy()
        assert w.shape in ((1000,), (n,)) and (w == ckpt["gen"]).all()
        strays = [f for f in os.listdir(tmp_path) if f != "ckpt.safetensors"]
        for stray in strays:  # a killed write leaves its temporary file under another name...
            assert stray.startswith(".ckpt.safetensors.tmp-"), stray
            if os.path.getsize(tmp_path / stray) < 8 + 8 * n:  # ...which the reader refuses if it is partial
                with pytest.raises(ember.CheckpointError):
                    ember.load(tmp_path / stray)
            os.remove(tmp_path / stray)
        landed_mid_write += bool(strays)
        if landed_mid_write >= 2:
            break
    assert landed_mid_write >= 1, "no kill landed during a write"


# --- unsupported values ---

@pytest.mark.parametrize("obj,where,what", [
    ({"optimizer": {"param_groups": [{"params": {0, 1}}]}}, "['optimizer']['param_groups'][0]['params']", "set"),
    (object(), "the top level", "object"),
    ({"a": np.zeros(3)}, "['a']", "ndarray"),
    ({"m": {"f": print}}, "['m']['f']", "builtin_function_or_method"),
])
def test_unsupported_values_raise_type_error_naming_the_path(tmp_path, obj, where, what):
    path = tmp_path / "ckpt.safetensors"
    ember.save({"w": ember.ones(2)}, path)
    with pytest.raises(TypeError, match="cannot save a value of type") as info:
        ember.save(obj, path)
    assert f"type {what} at {where}" in str(info.value)
    assert list(ember.load(path)) == ["w"]  # nothing written
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_unsupported_key_and_path(tmp_path):
    with pytest.raises(TypeError, match=r"dict key frozenset\(\) of type frozenset at \['a'\] cannot be saved"):
        ember.save({"a": {frozenset(): 1}}, tmp_path / "k.safetensors")
    with pytest.raises(TypeError, match="expected a file path"):
        ember.save({"w": ember.ones(1)}, 5)


def test_header_length_above_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.safetensors"
    with open(path, "wb") as f:  # a sparse 150 MB file whose header claims almost all of it
        f.write(struct.pack("<Q", 150_000_000))
        f.truncate(150_000_016)
    with pytest.raises(ember.CheckpointError, match="the header length 150000000 exceeds the limit of 100000000"):
        ember.load(path)
