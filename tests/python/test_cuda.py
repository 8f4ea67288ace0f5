"""The CUDA backend against the CPU path (skipped, with the reason, without a device), and the errors
of a machine or build without one."""
import numpy as np
import pytest

import ember

HAS_CUDA = ember.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason=f"no CUDA device: {ember.cuda.unavailable_reason()}")
DTYPES = [ember.float32, ember.float64]


def close(gpu, cpu, tol=1e-5):
    assert gpu.device == ember.device("cuda:0")
    assert gpu.shape == cpu.shape and gpu.dtype == cpu.dtype
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=tol, atol=tol)


# --- without a device ---

@pytest.mark.skipif(HAS_CUDA, reason="a CUDA device is present")
def test_unavailable_reason_and_errors():
    assert ember.cuda.device_count() == 0
    reason = ember.cuda.unavailable_reason()
    assert reason
    with pytest.raises(RuntimeError, match="cuda"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        ember.ones(2).cuda()
    with pytest.raises(RuntimeError, match="cuda"):
        ember.ones(2).to("cuda:0")
    with pytest.raises(RuntimeError, match="cuda"):
        ember.cuda.synchronize()


def test_cuda_module_api():
    for name in ["is_available", "device_count", "unavailable_reason", "synchronize", "manual_seed",
                 "manual_seed_all", "memory_allocated", "memory_reserved", "empty_cache"]:
        assert callable(getattr(ember.cuda, name))
    assert issubclass(ember.cuda.OutOfMemoryError, MemoryError)
    assert ember.ones(2).cpu().device == ember.device("cpu")
    if not ember.cuda.is_available():  # seeding scripts call these unconditionally: nothing happens, as PyTorch
        ember.manual_seed(5)
        first = ember.rand(3).tolist()
        ember.manual_seed(5)
        ember.cuda.manual_seed(7)
        ember.cuda.manual_seed_all(8)
        assert ember.rand(3).tolist() == first


# --- on a device ---

@needs_cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_copies_and_creation(dtype):
    x = ember.randn(4, 5, 6, dtype=dtype)
    assert x.cuda().is_cuda and x.to("cuda").device == ember.device("cuda:0")
    np.testing.assert_array_equal(x.cuda().cpu().numpy(), x.numpy())
    view = x.permute(2, 0, 1)[:, 1:3]
    close(view.cuda(), view.contiguous(), 0)
    close(x.cuda().permute(2, 0, 1)[:, 1:3].contiguous(), view.contiguous(), 0)
    close(ember.zeros(2, 3, dtype=dtype, device="cuda"), ember.zeros(2, 3, dtype=dtype), 0)
    close(ember.full((2, 3), 1.5, dtype=dtype, device="cuda"), ember.full((2, 3), 1.5, dtype=dtype), 0)
    close(ember.arange(5, dtype=dtype, device="cuda"), ember.arange(5, dtype=dtype), 0)
    ember.cuda.manual_seed(3)
    r = ember.randn(3, 2, dtype=dtype, device="cuda")
    ember.manual_seed(3)
    close(r, ember.randn(3, 2, dtype=dtype), 0)
    assert ember.tensor(2.5, dtype=dtype).cuda().item() == 2.5
    assert ember.tensor([1.0, 2.0], dtype=dtype, device="cuda").is_cuda
    assert "device='cuda:0'" in repr(ember.ones(2, device="cuda"))
    assert ember.ones(2, 2, device="cuda").tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy.*cpu\(\)"):
        ember.ones(2, device="cuda").numpy()
    with pytest.raises(TypeError, match="cpu"):
        np.asarray(ember.ones(2, device="cuda"))


@needs_cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["neg", "abs", "relu", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh",
                                "sigmoid", "silu", "gelu", "expm1", "exp2", "log2", "log10", "square", "reciprocal",
                                "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "erf", "erfc",
                                "logit", "deg2rad", "rad2deg", "sign", "floor", "ceil", "trunc", "round", "frac",
                                "isnan", "isinf", "isfinite", "signbit"])
def test_unary(op, dtype):
    for x in [ember.rand(5, 7, dtype=dtype).mT + 0.1, ember.tensor(0.7, dtype=dtype), ember.zeros(0, 3, dtype=dtype)]:
        close(getattr(ember, op)(x.cuda()), getattr(ember, op)(x))


@needs_cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_broadcast_scalar_compare(dtype):
    a = ember.randn(4, 1, 5, dtype=dtype)
    b = ember.rand(3, 1, dtype=dtype) + 0.5
    ac, bc = a.cuda(), b.cuda()
    for f in [lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
              ember.maximum, ember.minimum, lambda x, y: y ** x, lambda x, y: x * 3 - 1, lambda x, y: 2 / y,
              lambda x, y: ember.where(x < y, x, y), ember.atan2, ember.hypot, ember.logaddexp, ember.xlogy,
              ember.copysign, ember.fmod, ember.remainder, ember.floor_divide]:
        close(f(ac, bc), f(a, b))
    np.testing.assert_array_equal((ac > bc).cpu().numpy(), (a > b).numpy())
    t = a.transpose(0, 2)
    close(t.cuda() * t.cuda(), t * t)
    y = ac.clone()
    y += 1.0
    y *= bc[:1, :1]
    close(y, (a + 1.0) * b[:1, :1])


@needs_cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions(dtype):
    x = ember.randn(3, 4, 5, dtype=dtype)
    xc = x.cuda()
    close(xc.sum(), x.sum())
    close(xc.mean(), x.mean())
    close(xc.sum(-1), x.sum(-1))
    close(xc.sum((0, 2), keepdim=True), x.sum((0, 2), keepdim=True))
    close(xc.mean(1, keepdim=True), x.mean(1, keepdim=True))
    close(xc.permute(2, 0, 1).sum(1), x.permute(2, 0, 1).sum(1))
    close(ember.tensor(2.0, dtype=dtype).cuda().sum(), ember.tensor(2.0, dtype=dtype).sum())
    e = ember.zeros(0, 4, dtype=dtype)
    close(e.cuda().sum(0), e.sum(0))


@needs_cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_extrema_and_softmax(dtype):
    x = ember.randn(3, 4, 5, dtype=dtype)
    xc = x.cuda()
    close(xc.amax(), x.amax(), 0)
    close(xc.amin(-1, keepdim=True), x.amin(-1, keepdim=True), 0)
    close(xc.softmax(-1), x.softmax(-1))
    close(xc.log_softmax(1), x.log_softmax(1))


@needs_cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul(dtype):
    a, b = ember.randn(5, 7, dtype=dtype), ember.randn(7, 3, dtype=dtype)
    close(a.cuda() @ b.cuda(), a @ b, 1e-4)
    close(b.cuda().mT @ a.cuda().mT, b.mT @ a.mT, 1e-4)
    p, q = ember.randn(2, 3, 5, 7, dtype=dtype), ember.randn(3, 7, 4, dtype=dtype)
    close(p.cuda() @ q.cuda(), p @ q, 1e-4)
    v = ember.randn(7, dtype=dtype)
    close(a.cuda() @ v.cuda(), a @ v, 1e-4)


@needs_cuda
def test_mlp_gradients_match_cpu():
    x = ember.randn(8, 5, dtype=ember.float64)
    w1, b1, w2 = (ember.randn(*s, dtype=ember.float64) for s in [(5, 6), (6,), (6, 1)])

    def run(device):
        ps = [t.to(device).detach().requires_grad_() for t in (w1, b1, w2)]  # to("cpu") is t itself
        h = ember.tanh(x.to(device) @ ps[0] + ps[1])
        y = ember.sigmoid((ember.relu(h) * 0.5 + h) @ ps[2])
        loss = ((y - 0.25) ** 2).mean()
        loss.backward()
        return [loss] + [p.grad for p in ps]

    for g, c in zip(run("cuda"), run("cpu")):
        close(g, c, 1e-9)


@needs_cuda
def test_module_to_cuda_matches_cpu():
    import copy

    net = ember.nn.Sequential(ember.nn.Linear(5, 8), ember.nn.ReLU(), ember.nn.Linear(8, 1))
    gnet = copy.deepcopy(net).to("cuda")
    assert all(p.is_cuda for p in gnet.parameters())
    x = ember.randn(4, 5)
    y, gy = net(x), gnet(x.cuda())
    close(gy, y)
    ember.nn.functional.mse_loss(y, ember.ones(4, 1)).backward()
    ember.nn.functional.mse_loss(gy, ember.ones(4, 1, device="cuda")).backward()
    for p, gp in zip(net.parameters(), gnet.parameters()):
        close(gp.grad, p.grad)
    assert all(not p.is_cuda for p in gnet.cpu().parameters())


@needs_cuda
def test_device_errors():
    a, b = ember.ones(2), ember.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"\[add\] expected all tensors on the same device, got cpu and cuda:0"):
        a + b
    with pytest.raises(RuntimeError, match=r"\[conv2d\] not implemented on cuda yet"):
        ember.conv2d(ember.ones(1, 1, 3, 3, device="cuda"), ember.ones(1, 1, 2, 2, device="cuda"))


@needs_cuda
def test_allocator_reuse_and_out_of_memory():
    ember.cuda.synchronize()
    before = ember.cuda.memory_allocated()
    t = ember.empty(1 << 20, device="cuda")
    assert ember.cuda.memory_allocated() >= before + (4 << 20)
    del t
    assert ember.cuda.memory_allocated() == before
    reserved = ember.cuda.memory_reserved()
    assert reserved >= before + (4 << 20)
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() < reserved
    with pytest.raises(ember.cuda.OutOfMemoryError, match=r"tried to allocate 1125899906842624 bytes.*free"):
        ember.empty(1 << 50, dtype=ember.uint8, device="cuda")
    close(ember.ones(3, device="cuda") * 2, ember.full((3,), 2.0))
