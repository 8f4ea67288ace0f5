"""ember.autocast (bfloat16 mixed precision on the CPU) and the ember.bfloat16 dtype.

Under autocast, float32 matmul/linear/conv2d compute on inputs rounded to bfloat16 with float32 sums: each
result is checked against float64 arithmetic on the rounded inputs (where the CPU has bfloat16 dot
products; elsewhere against plain float32, which autocast then keeps), against PyTorch's CPU autocast where
torch is installed, and for the backward running in its forward's precision. A float32 product of the
unrounded inputs misses the rounded reference by far more than the tolerances."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

import ember
from ember import nn

NATIVE = ember.backends.cpu.bf16_supported()


def bf16(a: np.ndarray) -> np.ndarray:
    """a rounded to bfloat16 (nearest, ties to even) where autocast computes in it, as float64."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not NATIVE:
        return a.astype(np.float64)
    u = a.view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return u.view(np.float32).astype(np.float64)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# --- the dtype ---------------------------------------------------------------------------------------

def test_bfloat16_dtype_object():
    d = ember.bfloat16
    assert repr(d) == "ember.bfloat16" and d.itemsize == 2 and d.is_floating_point
    assert pickle.loads(pickle.dumps(d)) == d and d != ember.float32
    assert ember.promote_types(ember.bfloat16, ember.float32) == ember.float32
    assert ember.promote_types(ember.int64, ember.bfloat16) == ember.bfloat16


def test_module_to_bfloat16_casts_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    for call in (lambda: model.to(ember.bfloat16), model.bfloat16):
        assert call() is model
        assert all(p.dtype == ember.bfloat16 and p.requires_grad for p in model.parameters())
        assert model[1].running_mean.dtype == ember.bfloat16
    assert model(ember.ones(5, 4, dtype=ember.bfloat16)).dtype == ember.bfloat16
    assert all(p.dtype == ember.float32 for p in model.float().parameters())


# --- the context manager -----------------------------------------------------------------------------

def test_state_nests_restores_and_is_per_thread():
    assert not ember.is_autocast_enabled()
    with ember.autocast("cpu", dtype=ember.bfloat16) as ac:
        assert ember.is_autocast_enabled("cpu") and ember.get_autocast_dtype("cpu") == ember.bfloat16
        assert ac.fast_dtype == ember.bfloat16
        with ember.autocast("cpu", enabled=False):
            assert not ember.is_autocast_enabled()
        assert ember.is_autocast_enabled()
        seen = []
        t = threading.Thread(target=lambda: seen.append(ember.is_autocast_enabled()))
        t.start()
        t.join()
        assert seen == [False]
    assert not ember.is_autocast_enabled()
    with pytest.raises(RuntimeError):
        with ember.amp.autocast("cpu"):
            raise RuntimeError("inside")
    assert not ember.is_autocast_enabled()  # restored on an exception


def test_decorator():
    @ember.autocast("cpu")
    def f():
        return ember.is_autocast_enabled()

    assert f() and not ember.is_autocast_enabled()


def test_bad_arguments():
    with pytest.raises(ValueError, match="dtype=ember.bfloat16, got ember.float32"):
        ember.autocast("cpu", dtype=ember.float32)
    with pytest.raises(ValueError, match="device_type must be 'cpu'"):
        ember.autocast("tpu")
    with pytest.raises(TypeError, match="device_type must be a string"):
        ember.autocast(ember.bfloat16)
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available: autocast is disabled"):
            ac = ember.autocast("cuda", dtype=ember.bfloat16)
        with ac:
            assert not ember.is_autocast_enabled()


# --- the arithmetic ----------------------------------------------------------------------------------

def _max_err(got, want) -> float:
    return float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want)))


@pytest.mark.parametrize("shapes", [((96, 80), (80, 72)), ((3, 64, 48), (48, 40)), ((2, 1, 40, 64), (3, 64, 48))])
def test_matmul_rounds_its_inputs_to_bfloat16(shapes):
    a, b = rand(*shapes[0], seed=1), rand(*shapes[1], seed=2)
    with ember.autocast("cpu"):
        y = ember.matmul(ember.from_numpy(a), ember.from_numpy(b))
    assert y.dtype == ember.float32
    assert _max_err(y.numpy(), np.matmul(bf16(a), bf16(b))) < 1e-4
    if NATIVE:
        assert _max_err(y.numpy(), np.matmul(a.astype(np.float64), b.astype(np.float64))) > 1e-3


def test_transposed_operand_and_float64_untouched():
    a, b = rand(64, 96, seed=3), rand(80, 96, seed=4)
    with ember.autocast("cpu"):
        y = ember.from_numpy(a) @ ember.from_numpy(b).T
        d = ember.from_numpy(a.astype(np.float64)) @ ember.from_numpy(b.astype(np.float64)).T
    assert _max_err(y.numpy(), bf16(a) @ bf16(b).T) < 1e-4
    np.testing.assert_array_equal(d.numpy(), a.astype(np.float64) @ b.astype(np.float64).T)


def test_small_products_and_elementwise_stay_float32():
    a, b = rand(8, 8, seed=5), rand(8, 8, seed=6)
    with ember.autocast("cpu"):
        y = ember.from_numpy(a) @ ember.from_numpy(b)
        s = ember.from_numpy(a) * 1.001
    np.testing.assert_allclose(y.numpy(), a @ b, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(s.numpy(), a * np.float32(1.001))


def test_linear_backward_after_the_region_keeps_its_precision():
    x, w, b, g = rand(64, 100, seed=7), rand(50, 100, seed=8), rand(50, seed=9), rand(64, 50, seed=10)
    xt = ember.from_numpy(x).requires_grad_()
    wt = ember.from_numpy(w).requires_grad_()
    bt = ember.from_numpy(b).requires_grad_()
    with ember.autocast("cpu"):
        y = nn.functional.linear(xt, wt, bt)
    y.backward(ember.from_numpy(g))  # outside the region, as PyTorch recommends
    assert _max_err(y.detach().numpy(), bf16(x) @ bf16(w).T + b) < 1e-4
    assert _max_err(xt.grad.numpy(), bf16(g) @ bf16(w)) < 1e-4
    assert _max_err(wt.grad.numpy(), bf16(g).T @ bf16(x)) < 1e-4
    assert _max_err(bt.grad.numpy(), g.sum(0)) < 1e-4


def _conv2d_f64(x, w, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, ww = xp.shape
    o, _, kh, kw = w.shape
    cols = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))  # n c oh ow kh kw
    return np.einsum("ncijkl,ockl->noij", cols, w)


def test_conv2d_forward_on_bfloat16_inputs():
    x, w, b = rand(4, 16, 10, 10, seed=11), rand(32, 16, 3, 3, seed=12), rand(32, seed=13)
    with ember.autocast("cpu"):
        y = nn.functional.conv2d(ember.from_numpy(x), ember.from_numpy(w), ember.from_numpy(b), padding=1)
    want = _conv2d_f64(bf16(x), bf16(w), 1) + b[None, :, None, None]
    assert _max_err(y.numpy(), want) < 1e-3
    if NATIVE:
        assert _max_err(y.numpy(), _conv2d_f64(x.astype(np.float64), w.astype(np.float64), 1)
                        + b[None, :, None, None]) > 1e-3


def _small_cnn():
    ember.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 8 * 8, 10))


def test_as_close_to_float32_as_pytorch_autocast():
    """The same CNN step in both libraries, in float32 and under autocast: ember's autocast gradients are no
    further from the float32 ones than PyTorch's are (PyTorch also rounds every autocast output to bfloat16,
    so the two differ from each other by about as much as each differs from float32)."""
    torch = pytest.importorskip("torch")
    model = _small_cnn()
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(32 * 8 * 8, 10))
    tmodel.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()})
    x, y = rand(8, 3, 16, 16, seed=14), np.arange(8) % 10

    def ember_grads(on):
        model.zero_grad(set_to_none=True)
        with ember.autocast("cpu", dtype=ember.bfloat16, enabled=on):
            loss = nn.functional.cross_entropy(model(ember.from_numpy(x)), ember.from_numpy(y))
        loss.backward()
        assert all(p.grad.dtype == ember.float32 for p in model.parameters())
        return loss.item(), {n: p.grad.numpy().copy() for n, p in model.named_parameters()}

    def torch_grads(on):
        tmodel.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=on):
            loss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        return loss.item(), {n: p.grad.float().numpy() for n, p in tmodel.named_parameters()}

    (l16, e16), (_, e32) = ember_grads(True), ember_grads(False)
    (t_l16, t16), (t_l32, t32) = torch_grads(True), torch_grads(False)
    assert abs(l16 - t_l32) <= 2 * abs(t_l16 - t_l32) + 1e-3
    rel = lambda a, b: float(np.linalg.norm(a - b) / np.linalg.norm(b))  # noqa: E731
    for name in t32:
        if name == "0.bias":  # a bias before batch norm: its true gradient is 0, both results are noise
            continue
        assert rel(e32[name], t32[name]) < 1e-5, name
        assert rel(e16[name], t32[name]) <= 1.5 * rel(t16[name], t32[name]) + 0.01, name
        if NATIVE:
            assert rel(e16[name], t32[name]) > 1e-4, name  # bfloat16 arithmetic did happen


def test_training_under_autocast_learns_digits():
    pytest.importorskip("sklearn")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
    import demo

    data = demo.digits_split()
    accuracy = {}
    for on in (False, True):
        model, _, history = demo.train(data, epochs=4, autocast=on)
        accuracy[on] = history["test_acc"][-1]
        assert all(p.dtype == ember.float32 for p in model.parameters())
    assert accuracy[True] > 0.9 and abs(accuracy[True] - accuracy[False]) < 0.03, accuracy


def test_without_native_bfloat16_autocast_warns_once_and_keeps_float32():
    code = """
import warnings, numpy as np, ember
assert not ember.backends.cpu.bf16_supported()
a = np.random.default_rng(0).standard_normal((96, 96)).astype(np.float32)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    for _ in range(2):
        with ember.autocast("cpu"):
            y = (ember.from_numpy(a) @ ember.from_numpy(a)).numpy()
msgs = [str(x.message) for x in w if "bfloat16" in str(x.message)]
assert len(msgs) == 1 and "keeps float32 products" in msgs[0], msgs
np.testing.assert_allclose(y, a @ a, rtol=1e-5, atol=1e-4)
print("ok")
"""
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="AVX2")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
