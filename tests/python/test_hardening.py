"""Inputs that once gave a silent wrong answer or a hang: foreign byte orders, writes through
overlapping memory, FIFOs and hostile deploy graphs. Each raises a clear error or gives NumPy's answer."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import ember
from ember import _core

from test_deploy_runtime import _b, _write


# --- byte order: from_numpy refuses (a view cannot convert); tensor() copies into native order ---

@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i8", ">i4", "<f4"])
def test_tensor_converts_any_byte_order(dtype):
    a = np.arange(6, dtype=dtype).reshape(2, 3)
    t = ember.tensor(a)
    assert t.dtype == ember.from_numpy(a.astype(a.dtype.newbyteorder("="))).dtype
    np.testing.assert_array_equal(t.numpy(), a)


def test_tensor_copies_negative_strides_and_unaligned_arrays():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)[::-1, ::-2]
    np.testing.assert_array_equal(ember.tensor(a).numpy(), a)
    unaligned = np.frombuffer(bytes(1) + np.arange(4, dtype=np.float32).tobytes(), np.float32, 4, 1)
    np.testing.assert_array_equal(ember.tensor(unaligned).numpy(), [0, 1, 2, 3])


def test_from_dlpack_of_numpy_keeps_values(torch):
    a = np.arange(5, dtype=np.float64)
    np.testing.assert_array_equal(ember.from_dlpack(a).numpy(), a)
    np.testing.assert_array_equal(ember.from_dlpack(torch.arange(5.0)[::2]).numpy(), [0, 2, 4])


# --- memory overlap: in-place writes never go through aliased elements ---

def test_has_internal_overlap_accepts_every_view_of_dense_memory():
    x = ember.zeros(4, 5, 6)
    for v in (x, x.permute(2, 0, 1), x[:, ::2, 1::3], x[1], x.transpose(0, 2)[::3], x[:, :0], x.unsqueeze(1)):
        v.add_(1)  # no error
    assert float(x.sum()) > 0


def test_in_place_reading_the_same_memory_gives_numpy_results():
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    t = ember.from_numpy(a.copy())
    t.add_(t)                                   # the same view: read and write each element once
    np.testing.assert_array_equal(t.numpy(), a + a)
    t = ember.from_numpy(a.copy())
    t[::2].mul_(t[1::2])                        # interleaved rows: apart, no copy needed
    expect = a.copy()
    expect[::2] *= a[1::2]
    np.testing.assert_array_equal(t.numpy(), expect)
    t = ember.from_numpy(a.copy())
    t[:, ::2] = t[:, 1::2]                      # strided, overlapping span: the source is read first
    expect = a.copy()
    expect[:, ::2] = a[:, 1::2]
    np.testing.assert_array_equal(t.numpy(), expect)
    for dst, src in ((slice(1, None), slice(None, -1)), (slice(None, -1), slice(1, None))):
        t = ember.from_numpy(a.copy())          # dense, partly overlapping: NumPy's answer (PyTorch refuses)
        t[dst].add_(t[src])
        expect = a.copy()
        expect[dst] += a[src].copy()
        np.testing.assert_array_equal(t.numpy(), expect)
        t = ember.from_numpy(a.copy())
        t[dst].copy_(t[src])
        expect = a.copy()
        expect[dst] = a[src]
        np.testing.assert_array_equal(t.numpy(), expect)


def test_transpose_copy_reads_the_source_first():
    a = np.arange(9, dtype=np.float64).reshape(3, 3)
    t = ember.from_numpy(a.copy())
    t.copy_(t.T)                                 # the same bytes in another order
    np.testing.assert_array_equal(t.numpy(), a.T)
    t = ember.from_numpy(a.copy())
    t.sub_(t.T)
    np.testing.assert_array_equal(t.numpy(), a - a.T)


def test_numpy_stride_tricks_overlap_is_refused():
    base = np.zeros(8, np.float32)
    windows = np.lib.stride_tricks.as_strided(base, shape=(3, 4), strides=(8, 4))  # rows share elements
    with pytest.raises(ValueError, match="single memory location"):
        ember.from_numpy(windows).add_(1)
    np.testing.assert_array_equal(base, 0)


def test_optimizer_refuses_expanded_parameters():
    p = ember.ones(1).expand(4).requires_grad_()
    with pytest.raises(ValueError, match="contiguous"):
        ember.optim.SGD([p], lr=0.1)


# --- readers never block on a FIFO, device or directory ---

def _fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize("reader", ["ember.load(p)", "ember.deploy.load(p)"])
def test_readers_refuse_a_fifo_without_blocking(tmp_path, reader):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    # in a child, so that a regression hangs one process for 60 s rather than the suite
    script = (f"import sys, ember\np = sys.argv[1]\ntry:\n    {reader}\nexcept Exception as e:\n"
              f"    print(type(e).__name__, e)\n    sys.exit(0)\nsys.exit(3)")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "CheckpointError" in out.stdout and f"{path}: not a regular file" in out.stdout, out.stdout


def test_load_of_a_directory_and_dev_null_is_a_clear_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        ember.load(str(tmp_path))
    with pytest.raises(_core.CheckpointError, match="/dev/null: not a regular file"):
        ember.load("/dev/null")


# --- deploy graphs: repeated names, negative and overflowing dims name the file ---

def _relu_graph(tmp_path, name, inputs, outputs, x_shape=None, y_shape=None):
    nodes = [{"op": "relu", "inputs": ["x"], "outputs": ["y"], "attrs": {}, "scope": ""}]
    values = {"x": x_shape or _b(4), "y": y_shape or _b(4)}
    return _write(tmp_path / name, nodes, values, {}, inputs, outputs)


def test_deploy_graph_refuses_repeated_inputs_and_outputs(tmp_path):
    path = _relu_graph(tmp_path, "in2.ember", ["x", "x"], ["y"])
    with pytest.raises(_core.CheckpointError, match=r"in2.ember: graph input 'x' is listed twice"):
        ember.deploy.load(path)
    path = _relu_graph(tmp_path, "out2.ember", ["x"], ["y", "y"])
    with pytest.raises(_core.CheckpointError, match=r"out2.ember: graph output 'y' is listed twice"):
        ember.deploy.load(path)


@pytest.mark.parametrize("x_shape,message", [
    ([-1, 8], r"value 'x' has the shape \(-1, 8\), which is negative or overflows at batch 1"),
    ([{"batch": -1, "add": 2}, 4], r"value 'x' has a negative batch coefficient"),
    ([{"batch": 2**62, "add": 2**62}, 4], r"value 'x' has the shape .* overflows at batch 1"),
    ([{"batch": 1, "add": 0}, 2**40, 2**40], r"value 'x' declares the shape .* over the loader's limit"),
    ([{"batch": 1, "add": 0}, 2**31], r".*over the loader's limit of 1073741824 elements"),
])
def test_deploy_graph_bad_dims_name_the_file(tmp_path, x_shape, message):
    path = _relu_graph(tmp_path, "dims.ember", ["x"], ["y"], x_shape=x_shape)
    with pytest.raises(_core.CheckpointError, match=r"\[deploy.load\] .*dims.ember: " + message):
        ember.deploy.load(path)


def test_deploy_batch_coefficient_overflow_at_run_time_is_clear(tmp_path):
    # y is declared with a huge batch coefficient that fits at batch 1: the dry run finds the mismatch
    path = _relu_graph(tmp_path, "coef.ember", ["x"], ["y"], y_shape=[{"batch": 2**61, "add": 0}, 4])
    with pytest.raises(_core.CheckpointError, match=r"coef.ember: (node 0 \(relu at the root\)|value 'y')"):
        ember.deploy.load(path)


def test_deploy_model_is_usable_from_threads(tmp_path):
    """A loaded deploy model may be called from several threads at once (the README's guarantee)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((8, 4), dtype=np.float32)
    nodes = [{"op": "linear", "inputs": ["x", "w", None], "outputs": ["y"], "attrs": {}, "scope": ""},
             {"op": "relu", "inputs": ["y"], "outputs": ["z"], "attrs": {}, "scope": ""}]
    path = _write(tmp_path / "t.ember", nodes, {"x": _b(4), "y": _b(8), "z": _b(8)}, {"w": w}, ["x"], ["z"])
    model = ember.deploy.load(path)
    errors = []

    def work(seed):
        x = np.random.default_rng(seed).standard_normal((seed % 7 + 1, 4), dtype=np.float32)
        try:
            for _ in range(200):
                np.testing.assert_allclose(model(ember.from_numpy(x)).numpy(), np.maximum(x @ w.T, 0), rtol=1e-5,
                                           atol=1e-5)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_true_division_by_a_number_keeps_the_numbers_value():
    """uint8 / -1 once converted -1 into uint8 (255) before dividing in float32."""
    t = ember.tensor([8, 2], dtype=ember.uint8)
    assert (t / -1).tolist() == [-8.0, -2.0]
    assert (-16 / t).tolist() == [-2.0, -8.0]
    assert (ember.tensor([3], dtype=ember.int32) / 2**40).tolist() == pytest.approx([3 / 2**40])
    assert ember.div(t, -2.0).tolist() == [-4.0, -1.0]
    with pytest.raises(ValueError, match=r"\[pow\] integers to negative integer powers are not allowed \(exponent -1\)"):
        t ** -1  # once 8 ** 255 in uint8, i.e. 0


def test_setitem_into_a_non_overlapping_view_of_an_expanded_tensor():
    """Basic indexing checks only the view it writes: x[:, 0] of an expanded (3, 4) reaches each base
    element once (PyTorch allows it too); x[0] reaches one element four times and is refused."""
    base = ember.zeros(3, 1)
    x = base.expand(3, 4)
    x[:, 0] = ember.tensor([1.0, 2.0, 3.0])
    assert base.tolist() == [[1.0], [2.0], [3.0]]
    with pytest.raises(ValueError, match=r"\[index_put_\].*single memory location"):
        x[0] = 5.0
