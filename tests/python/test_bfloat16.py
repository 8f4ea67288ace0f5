"""bfloat16 tensors: creation, casts (round to nearest even, checked bit for bit against ml_dtypes), views,
indexing, copies, NumPy (ml_dtypes) and DLPack (PyTorch) exchange, save/load; the ops that compute (in float32,
rounding each result once) and those that refuse bfloat16 by name; autograd, optimizers and model.to(bfloat16)."""
import math

import ml_dtypes
import numpy as np
import pytest

import ember

BF16 = ml_dtypes.bfloat16


def as_f32(t):
    return t.float().numpy()


def test_dtype_object():
    d = ember.bfloat16
    assert repr(d) == "ember.bfloat16" and d.itemsize == 2 and d.is_floating_point
    t = ember.zeros(2, 3, dtype=d)
    assert t.dtype == d and t.element_size() == 2 and t.is_floating_point()


def test_float32_to_bfloat16_rounds_to_nearest_even_bit_for_bit():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32)
    halfway = (rng.integers(0, 2**16, 2000, dtype=np.uint64).astype(np.uint32) << 16) | 0x8000  # ties
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, 1.00390625, 1.01171875],
                        np.float32)
    x = np.concatenate([bits.view(np.float32), halfway.view(np.float32), specials])
    got = ember.from_numpy(x).to(ember.bfloat16).numpy()
    assert got.dtype == BF16
    with np.errstate(invalid="ignore"):
        want = x.astype(BF16)
    nan = np.isnan(x)
    assert np.isnan(got[nan].astype(np.float32)).all()
    assert (got[~nan].view(np.uint16) == want[~nan].view(np.uint16)).all()


@pytest.mark.parametrize("src", [np.float64, np.int64, np.int32, np.int8, np.uint8, np.bool_])
def test_casts_from_and_to_every_dtype(src):
    vals = np.array([0, 1, 2, 3, 100, 255, 257, 1001], np.float64)
    if src == np.int8:
        vals = np.array([-128, -3, 0, 5, 127], np.float64)
    if src == np.bool_:
        vals = np.array([0, 1, 1, 0], np.float64)
    x = ember.from_numpy(vals.astype(src))
    b = x.to(ember.bfloat16)
    assert b.dtype == ember.bfloat16
    np.testing.assert_array_equal(as_f32(b), vals.astype(src).astype(np.float32).astype(BF16).astype(np.float32))
    back = b.to(ember.from_numpy(np.zeros(1, src)).dtype).numpy()
    np.testing.assert_array_equal(back, vals.astype(src).astype(BF16).astype(src))


def test_casts_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([1.0, 1.00390625, -2.5e-3, 3.14159265, 65504.0, 1e30, -7.75, 0.1], np.float32)
    ours = ember.from_numpy(x).bfloat16()
    theirs = torch.from_numpy(x).bfloat16()
    assert (ours.numpy().view(np.uint16) == theirs.view(torch.int16).numpy().view(np.uint16)).all()
    np.testing.assert_array_equal(ours.long().numpy(), theirs.long().numpy())
    np.testing.assert_array_equal(ours.double().numpy(), theirs.double().numpy())


def test_creation():
    assert (as_f32(ember.zeros(2, 2, dtype=ember.bfloat16)) == 0).all()
    assert (as_f32(ember.ones(3, dtype=ember.bfloat16)) == 1).all()
    np.testing.assert_array_equal(as_f32(ember.full((2,), 1.00390625, dtype=ember.bfloat16)), [1.0, 1.0])
    np.testing.assert_array_equal(as_f32(ember.arange(0, 5, dtype=ember.bfloat16)), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(as_f32(ember.tensor([0.5, 1.00390625], dtype=ember.bfloat16)), [0.5, 1.0])
    like = ember.zeros_like(ember.ones(2, dtype=ember.bfloat16))
    assert like.dtype == ember.bfloat16
    ember.manual_seed(0)
    r = ember.rand(100000, dtype=ember.bfloat16)
    assert r.dtype == ember.bfloat16
    v = as_f32(r)
    assert v.min() >= 0 and v.max() < 1 and abs(v.mean() - 0.5) < 0.01
    n = as_f32(ember.randn(100000, dtype=ember.bfloat16))
    assert abs(n.mean()) < 0.02 and abs(n.std() - 1) < 0.02


def test_numpy_exchange_is_zero_copy():
    a = np.arange(6, dtype=np.float32).astype(BF16).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.dtype == ember.bfloat16 and t.shape == (2, 3)
    a[0, 0] = 7
    assert t[0, 0].item() == 7.0
    v = t.numpy()
    assert v.dtype == BF16
    v[1, 2] = -1.5
    assert a[1, 2] == -1.5
    assert np.asarray(t).dtype == BF16
    c = ember.tensor(a)  # a copy
    a[0, 1] = 100
    assert c[0, 1].item() == 1.0


def test_dlpack_with_pytorch():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[1.5, -2.0], [3.25, 1e-3]], dtype=torch.bfloat16)
    t = ember.from_dlpack(x)
    assert t.dtype == ember.bfloat16
    np.testing.assert_array_equal(as_f32(t), x.float().numpy())
    x[0, 0] = 9  # shared memory
    assert t[0, 0].item() == 9.0
    back = torch.from_dlpack(t)
    assert back.dtype == torch.bfloat16 and torch.equal(back, x)


def test_views_indexing_and_copies():
    x = ember.arange(12, dtype=ember.float32).reshape(3, 4).bfloat16()
    np.testing.assert_array_equal(as_f32(x.t()), np.arange(12).reshape(3, 4).T)
    np.testing.assert_array_equal(as_f32(x.reshape(4, 3)), np.arange(12).reshape(4, 3))
    np.testing.assert_array_equal(as_f32(x.permute(1, 0).contiguous()), np.arange(12).reshape(3, 4).T)
    np.testing.assert_array_equal(as_f32(x[1:, ::2]), np.arange(12).reshape(3, 4)[1:, ::2])
    np.testing.assert_array_equal(as_f32(x[ember.tensor([2, 0])]), np.arange(12).reshape(3, 4)[[2, 0]])
    v = x[0]
    v[1] = 42.0  # a view writes through
    assert x[0, 1].item() == 42.0
    x.copy_(ember.full((3, 4), 1.00390625))  # a float32 source, rounded
    assert (as_f32(x) == 1.0).all()
    c = x.clone()
    c[0, 0] = 5
    assert x[0, 0].item() == 1.0
    both = ember.cat([x, ember.zeros(1, 4, dtype=ember.bfloat16)])
    assert both.dtype == ember.bfloat16 and both.shape == (4, 4)
    assert ember.stack([x[0], x[1]]).shape == (2, 4)
    assert x.flip(0).shape == (3, 4) and len(x.unbind(0)) == 3
    assert x.tolist()[0][:2] == [5.0, 1.0] or x.tolist()[0][:2] == [1.0, 1.0]
    assert isinstance(x[0, 0].item(), float)
    assert "bfloat16" in repr(x)


def test_save_and_load(tmp_path):
    x = ember.tensor([1.5, -2.0, 3.140625]).bfloat16()
    ember.save({"w": x}, tmp_path / "w.safetensors")
    y = ember.load(tmp_path / "w.safetensors")["w"]
    assert y.dtype == ember.bfloat16 and (y.numpy().view(np.uint16) == x.numpy().view(np.uint16)).all()
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    st.save_file({"b": torch.tensor([0.25, 7.0], dtype=torch.bfloat16)}, str(tmp_path / "t.safetensors"))
    z = ember.load(tmp_path / "t.safetensors")["b"]
    assert z.dtype == ember.bfloat16 and as_f32(z).tolist() == [0.25, 7.0]
    assert st.load_file(str(tmp_path / "w.safetensors"))["w"].dtype == torch.bfloat16


# --- compute: float32 arithmetic on the bfloat16 values, each result rounded once (PyTorch's CPU rule) ---

def _pair(shape, seed, positive=False):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if positive:
        a = np.abs(a) + 0.5
    a = a.astype(BF16)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.astype(np.float32)).bfloat16()


def _close(ours, theirs, scale=1.0):
    torch = pytest.importorskip("torch")
    if isinstance(theirs, torch.Tensor) and theirs.dtype == torch.bfloat16:
        assert ours.dtype == ember.bfloat16, ours.dtype
        theirs = theirs.float()
    got = ours.float().numpy() if ours.dtype == ember.bfloat16 else ours.numpy()
    # one bfloat16 ulp (2^-8 relative) either way, for a different float32 rounding before the final one
    np.testing.assert_allclose(got, theirs.numpy(), rtol=2**-7, atol=2**-7 * scale)


UNARY = ["exp", "tanh", "sigmoid", "relu", "neg", "abs", "sin", "cos", "silu"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_compute_in_bfloat16(name):
    torch = pytest.importorskip("torch")
    x, tx = _pair((4, 33), 1)
    _close(getattr(ember, name)(x), (getattr(torch, name, None) or getattr(torch.nn.functional, name))(tx))


def test_positive_domain_ops():
    torch = pytest.importorskip("torch")
    x, tx = _pair((50,), 2, positive=True)
    for name in ("sqrt", "log", "rsqrt", "log1p"):
        _close(getattr(ember, name)(x), getattr(torch, name)(tx))


def test_binary_ops_and_scalars():
    torch = pytest.importorskip("torch")
    x, tx = _pair((3, 20), 3)
    y, ty = _pair((3, 20), 4, positive=True)
    _close(x + y, tx + ty)
    _close(x - y, tx - ty)
    _close(x * y, tx * ty)
    _close(x / y, tx / ty)
    _close(x * 0.1, tx * 0.1)
    _close(2 - x, 2 - tx)
    _close(x ** 2, tx ** 2)
    _close(ember.maximum(x, y), torch.maximum(tx, ty))
    assert (x < y).dtype == ember.bool and ((x < y).numpy() == (tx < ty).numpy()).all()
    # with float32 the result is float32, as PyTorch promotes
    z = x + ember.ones(3, 20)
    assert z.dtype == ember.float32
    np.testing.assert_array_equal(z.numpy(), (tx.float() + 1).numpy())


def test_reductions_accumulate_in_float32():
    torch = pytest.importorskip("torch")
    x, tx = _pair((8, 300), 5)
    _close(x.sum(), tx.sum(), scale=10)
    _close(x.sum(1), tx.sum(1), scale=10)
    _close(x.mean(0), tx.mean(0))
    _close(x.amax(1), tx.amax(1))
    _close(x.var(1), tx.var(1))
    v, i = x.max(1)
    tv, ti = tx.max(1)
    _close(v, tv)
    assert v.dtype == ember.bfloat16 and (i.numpy() == ti.numpy()).all()
    assert (x.argmax(1).numpy() == tx.argmax(1).numpy()).all()
    _close(ember.softmax(x, 1), torch.softmax(tx, 1))
    _close(ember.log_softmax(x, 1), torch.log_softmax(tx, 1), scale=8)
    # a long sum: float32 accumulation keeps it (a bfloat16 running sum would stall at 256)
    ones = ember.ones(4096, dtype=ember.bfloat16)
    assert ones.sum().item() == 4096.0


def test_products_and_layers():
    torch = pytest.importorskip("torch")
    F = ember.nn.functional
    a, ta = _pair((2, 16, 64), 6)
    b, tb = _pair((2, 64, 24), 7)
    _close(a @ b, ta @ tb, scale=8)
    w, tw = _pair((10, 64), 8)
    bias, tbias = _pair((10,), 9)
    _close(F.linear(a, w, bias), torch.nn.functional.linear(ta, tw, tbias), scale=8)
    img, timg = _pair((2, 3, 12, 12), 10)
    k, tk = _pair((5, 3, 3, 3), 11)
    _close(F.conv2d(img, k, padding=1), torch.nn.functional.conv2d(timg, tk, padding=1), scale=4)
    _close(F.max_pool2d(img, 2), torch.nn.functional.max_pool2d(timg, 2))
    _close(F.avg_pool2d(img, 2), torch.nn.functional.avg_pool2d(timg, 2))
    _close(F.adaptive_avg_pool2d(img, 3), torch.nn.functional.adaptive_avg_pool2d(timg, 3))
    g, tg = _pair((12,), 12)
    _close(F.layer_norm(img, (12,), g, None), torch.nn.functional.layer_norm(timg, (12,), tg, None), scale=4)
    rm, rv = ember.zeros(3), ember.ones(3)
    _close(F.batch_norm(img, rm, rv), torch.nn.functional.batch_norm(timg, torch.zeros(3), torch.ones(3)))


@pytest.mark.parametrize("name, call", [
    ("add_", lambda x: x.add_(1)),
    ("", lambda x: ember.nan_to_num(x)),  # named "this operation"
])
def test_ops_without_bfloat16_refuse_clearly(name, call):
    x = ember.ones(2, 2, dtype=ember.bfloat16)
    before = x.numpy().copy()
    with pytest.raises(TypeError, match=rf"\[{name or 'this operation'}\].*bfloat16 tensor.*\(2, 2\).*\.float\(\)"):
        call(x)
    assert (x.numpy().view(np.uint16) == before.view(np.uint16)).all()


def test_single_input_ops_compute_in_float32_and_round_once():
    F = ember.nn.functional
    x = ember.from_numpy(np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6)).bfloat16()
    for f in (F.leaky_relu, F.elu, F.silu, F.gelu, F.softplus, F.hardtanh, F.mish, F.relu6, F.logsigmoid):
        got = f(x)
        assert got.dtype == ember.bfloat16, f
        want = f(x.float()).bfloat16()
        assert (got.numpy().view(np.uint16) == want.numpy().view(np.uint16)).all(), f


def _bits(t):
    return t.detach().numpy().view(np.uint16)


def test_promoting_and_scan_ops_compute_in_float32_and_round_once():
    gen = ember.Generator().manual_seed(8)
    x, y, z = (ember.randn(4, 5, generator=gen).bfloat16() for _ in range(3))
    z = (z.abs() + 1).bfloat16()  # a divisor away from 0
    m = x > 0
    cases = {
        "where": lambda x, y, z: ember.where(m, x, y),
        "where_scalar": lambda x, y, z: ember.where(m, x, 0.5),
        "clamp": lambda x, y, z: x.clamp(-0.5, 0.75),
        "clamp_tensor": lambda x, y, z: ember.clamp(x, min=y),
        "masked_fill": lambda x, y, z: x.masked_fill(m, -1e4),
        "cumsum": lambda x, y, z: ember.cumsum(x, 1),
        "cumprod": lambda x, y, z: x.cumprod(0),
        "sort": lambda x, y, z: ember.sort(x, 1).values,
        "topk": lambda x, y, z: x.topk(2).values,
        "tril": lambda x, y, z: ember.tril(x),
        "diff": lambda x, y, z: ember.diff(x, dim=1),
        "addmm": lambda x, y, z: ember.addmm(x[:, :4], x, y.T[:, :4]),
        "addcmul": lambda x, y, z: ember.addcmul(x, y, z, value=0.5),
        "addcdiv": lambda x, y, z: ember.addcdiv(x, y, z),
        "lerp": lambda x, y, z: ember.lerp(x, y, 0.25),
    }
    for name, f in cases.items():
        got = f(x, y, z)
        assert got.dtype == ember.bfloat16, name
        want = f(x.float(), y.float(), z.float()).bfloat16()
        assert (_bits(got) == _bits(want)).all(), name
    assert ember.cumsum(x, 1, dtype=ember.float32).dtype == ember.float32  # a requested dtype is kept
    assert ember.sort(x, 1).indices.dtype == ember.int64


def test_in_place_ops_write_the_rounded_result_back():
    F = ember.nn.functional
    x = ember.from_numpy(np.linspace(-3, 9, 12, dtype=np.float32)).bfloat16()
    want = F.relu6(x).numpy()
    version = x._version
    assert F.relu6(x, inplace=True) is x
    assert (x.numpy().view(np.uint16) == want.view(np.uint16)).all() and x._version > version
    w = ember.ones(3, dtype=ember.bfloat16, requires_grad=True) * 1.0  # a non-leaf bfloat16 that requires grad
    before = w.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"\[elu\].*in place.*bfloat16.*\(3,\).*requires grad"):
        F.elu(w, inplace=True)
    assert (w.detach().numpy().view(np.uint16) == before.view(np.uint16)).all()
    with ember.no_grad():  # nn.init writes bfloat16 parameters through a float32 copy as well
        p = ember.empty(64, 32, dtype=ember.bfloat16)
        ember.nn.init.orthogonal_(p)
    q = p.float()
    np.testing.assert_allclose((q.T @ q).numpy(), np.eye(32), atol=0.05)


def test_running_statistics_are_updated_and_rounded():
    F = ember.nn.functional
    x = ember.randn(16, 3, generator=ember.Generator().manual_seed(3)).bfloat16()
    rm, rv = ember.zeros(3, dtype=ember.bfloat16), ember.ones(3, dtype=ember.bfloat16)
    rm32, rv32 = ember.zeros(3), ember.ones(3)
    y = F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    F.batch_norm(x.float(), rm32, rv32, training=True, momentum=0.5)
    assert y.dtype == ember.bfloat16 and rm.dtype == ember.bfloat16
    assert (rm.numpy().view(np.uint16) == rm32.bfloat16().numpy().view(np.uint16)).all()
    assert (rv.numpy().view(np.uint16) == rv32.bfloat16().numpy().view(np.uint16)).all()


def test_instance_norm_running_statistics_are_updated_and_rounded():
    nn = ember.nn
    x = ember.randn(2, 3, 4, 4, generator=ember.Generator().manual_seed(9)).bfloat16() * 3 + 1
    m, m32 = nn.InstanceNorm2d(3, track_running_stats=True).bfloat16(), nn.InstanceNorm2d(3, track_running_stats=True)
    for inp in (x, x.float()):  # a bfloat16 input, and a float32 one with the bfloat16 statistics
        m(inp)
        m32(x.float())
        assert m.running_mean.dtype == ember.bfloat16
        assert not (m.running_mean.float().numpy() == 0).any()  # updated, not left on a float32 copy
        for ours, theirs in ((m.running_mean, m32.running_mean), (m.running_var, m32.running_var)):
            np.testing.assert_allclose(ours.float().numpy(), theirs.numpy(), rtol=2**-7, atol=1e-3)


def test_losses_take_bfloat16_and_give_bfloat16():
    F = ember.nn.functional
    logits = ember.randn(8, 5, generator=ember.Generator().manual_seed(4)).bfloat16()
    target = ember.tensor([0, 1, 2, 3, 4, 0, 1, 2])
    loss = F.cross_entropy(logits, target)
    assert loss.dtype == ember.bfloat16
    assert loss.item() == F.cross_entropy(logits.float(), target).bfloat16().item()
    assert F.mse_loss(logits, ember.zeros(8, 5, dtype=ember.bfloat16)).dtype == ember.bfloat16


def _grads(params, loss):
    loss.backward()
    return [q.grad.float().numpy() for q in params]


def test_autograd_through_bfloat16_ops_matches_float32():
    # The bfloat16 graph's gradients are the float32 graph's on the same (rounded) values, each rounded
    # where the forward rounded: within a few bfloat16 ulps.
    F = ember.nn.functional
    gen = ember.Generator().manual_seed(5)
    x = ember.randn(6, 8, generator=gen).bfloat16()
    w0, b0 = ember.randn(5, 8, generator=gen).bfloat16(), ember.randn(5, generator=gen).bfloat16()
    target = ember.tensor([0, 1, 2, 3, 4, 0])

    def loss_of(w, b, x):
        h = F.linear(x, w, b)
        h = ember.cat([F.gelu(h[:, :3]), h[:, 3:].relu()], 1)  # views, indexing and cat on the way
        return F.cross_entropy(F.layer_norm(h, (5,)), target) + (h.reshape(-1) ** 2).mean()

    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    lo = loss_of(w, b, x)
    assert lo.dtype == ember.bfloat16 and w.grad is None
    gw, gb = _grads([w, b], lo)
    assert w.grad.dtype == ember.bfloat16 and b.grad.dtype == ember.bfloat16
    w32, b32 = w0.float().requires_grad_(), b0.float().requires_grad_()
    rw, rb = _grads([w32, b32], loss_of(w32, b32, x.float()))
    np.testing.assert_allclose(gw, rw, rtol=0.05, atol=0.02 * np.abs(rw).max())
    np.testing.assert_allclose(gb, rb, rtol=0.05, atol=0.02 * np.abs(rb).max())


def test_cast_to_bfloat16_is_differentiable():
    w = ember.ones(3, requires_grad=True)
    y = w.bfloat16()
    assert y.dtype == ember.bfloat16 and y.requires_grad
    (y.float() * 3.0).sum().backward()
    assert w.grad.dtype == ember.float32 and w.grad.tolist() == [3.0, 3.0, 3.0]
    with ember.no_grad():
        assert not w.bfloat16().requires_grad
    with pytest.raises(TypeError, match="only floating point tensors"):
        ember.zeros(2, dtype=ember.int64).requires_grad_()


def _train_digits(dtype):
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    X = ember.from_numpy((digits.data / 16.0).astype(np.float32)).to(dtype)
    y = ember.from_numpy(digits.target.astype(np.int64))
    nn = ember.nn
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10)).to(dtype)
    assert all(p.dtype == dtype and p.requires_grad for p in model.parameters())
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(8):
        for i in range(0, 1400, 100):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X[i:i + 100]), y[i:i + 100])
            assert loss.dtype == dtype
            loss.backward()
            opt.step()
    state = opt.state[next(iter(model.parameters()))]
    assert state["exp_avg"].dtype == ember.float32  # float32 optimizer state for bfloat16 parameters too
    model.eval()
    with ember.no_grad():
        pred = model(X[1400:]).argmax(1)
    return (pred == y[1400:]).float().mean().item()


def test_model_to_bfloat16_trains_on_digits_as_well_as_float32():
    bf16, f32 = _train_digits(ember.bfloat16), _train_digits(ember.float32)
    assert bf16 > 0.85 and bf16 >= f32 - 0.02, (bf16, f32)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizer_step_on_bfloat16_is_the_float32_step_rounded(name):
    gen = ember.Generator().manual_seed(6)
    p0, g = ember.randn(40, generator=gen).bfloat16(), ember.randn(40, generator=gen).bfloat16()
    kwargs = {"lr": 0.1, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.1}
    p, p32 = p0.clone().requires_grad_(), p0.float().requires_grad_()
    opt, opt32 = getattr(ember.optim, name)([p], **kwargs), getattr(ember.optim, name)([p32], **kwargs)
    p.grad, p32.grad = g, g.float()
    opt.step()
    opt32.step()
    assert p.dtype == ember.bfloat16
    assert (p.detach().numpy().view(np.uint16) == p32.detach().bfloat16().numpy().view(np.uint16)).all()


def test_float_results_round_trip_for_inference_weights():
    # The common use: a bfloat16 checkpoint cast to float32 for compute.
    w = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32).astype(BF16)
    out = ember.from_numpy(w).float() @ ember.ones(3, 1)
    np.testing.assert_allclose(out.numpy()[:, 0], w.astype(np.float32).sum(1), rtol=1e-6)


def test_bfloat16_model_checkpoints_load_into_float32_and_export_is_refused(tmp_path):
    nn = ember.nn
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).bfloat16()
    ember.save(model.state_dict(), tmp_path / "m.safetensors")
    f32 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    f32.load_state_dict(ember.load(tmp_path / "m.safetensors"))
    x = ember.randn(5, 4).bfloat16()
    assert (f32(x.float()).bfloat16().float() - model(x).float()).abs().max().item() <= 0.02
    for export in (lambda: ember.deploy.export(model, x, tmp_path / "m.ember"),
                   lambda: ember.onnx.export(model, x, tmp_path / "m.onnx")):
        with pytest.raises(ember.deploy.ExportError, match=r"bfloat16 \(0\.weight.*model\.float\(\)"):
            export()
    assert not (tmp_path / "m.ember").exists() and not (tmp_path / "m.onnx").exists()
    ember.deploy.export(model.float(), x.float(), tmp_path / "m.ember")  # the float32 model deploys
