"""ember.linear, conv2d, pooling, batch_norm and layer_norm against PyTorch (float32 forward and
backward, float64 forward), and their errors. Gradchecks live in test_autograd_ops.py."""
import numpy as np
import pytest

import ember

CONV = [  # (input shape, weight shape, kwargs)
    ((2, 3, 9, 8), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 3), {"padding": 1}),
    ((1, 4, 10, 7), (6, 2, 3, 2), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2}),
    ((3, 1, 8, 8), (16, 1, 3, 3), {"padding": 1}),
    ((2, 8, 5, 5), (8, 1, 3, 3), {"padding": 1, "groups": 8}),
    ((1, 2, 7, 7), (3, 2, 1, 1), {"stride": 3}),
    # 8+ channels: blocked layouts, with reorders (backward-data included)
    ((4, 16, 8, 8), (32, 16, 3, 3), {"padding": 1}),
    ((2, 24, 11, 9), (20, 24, 3, 2), {"stride": 2, "padding": (1, 0), "dilation": (2, 1)}),
]


def both(torch, rng, *shapes, dtype=np.float32):
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    e = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    t = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    return e, t


def check_grads(e_out, t_out, e_in, t_in, rng, tol):
    r = rng.standard_normal(tuple(t_out.shape)).astype(np.float32 if t_out.dtype.is_floating_point else None)
    (e_out * ember.from_numpy(r.astype(e_out.numpy().dtype))).sum().backward()
    (t_out * t_out.new_tensor(r)).sum().backward()
    for a, b in zip(e_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("xs,ws,kw", CONV)
def test_conv2d_matches_torch(torch, rng, xs, ws, kw):
    (x, w, b), (tx, tw, tb) = both(torch, rng, xs, ws, (ws[0],))
    y = ember.conv2d(x, w, b, **kw)
    ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    check_grads(y, ty, [x, w, b], [tx, tw, tb], rng, 1e-3)


def test_conv2d_backward_when_only_the_weights_require_grad(torch, rng):
    # The first layer of a network: the input is data, only the weights and bias need gradients.
    x = rng.standard_normal((2, 1, 6, 6)).astype(np.float32)
    (w, b), (tw, tb) = both(torch, rng, (3, 1, 3, 3), (3,))
    ember.conv2d(ember.from_numpy(x), w, b, padding=1).sum().backward()
    torch.nn.functional.conv2d(torch.from_numpy(x), tw, tb, padding=1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv2d_float64_and_no_bias(torch, rng):
    (x, w), (tx, tw) = both(torch, rng, (2, 3, 6, 6), (2, 3, 2, 2), dtype=np.float64)
    np.testing.assert_allclose(ember.conv2d(x, w, stride=2).numpy(),
                               torch.nn.functional.conv2d(tx, tw, stride=2).detach().numpy(), rtol=1e-12)


def test_conv2d_primitives_are_cached():
    x, w = ember.randn(2, 3, 8, 8, requires_grad=True), ember.randn(4, 3, 3, 3, requires_grad=True)
    ember.conv2d(x, w).sum().backward()  # creates the forward and both backward primitives
    hits0, misses0 = ember._core._primitive_cache_stats()
    for _ in range(3):
        ember.conv2d(x, w).sum().backward()
    hits1, misses1 = ember._core._primitive_cache_stats()
    assert misses1 == misses0 and hits1 - hits0 >= 9


POOLS = [
    ("max_pool2d", {"kernel_size": 2}),
    ("max_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("max_pool2d", {"kernel_size": (2, 3), "stride": 1, "dilation": (2, 1)}),
    ("avg_pool2d", {"kernel_size": 2}),
    ("avg_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ("avg_pool2d", {"kernel_size": (3, 2), "stride": (1, 2), "padding": (1, 1)}),
    ("adaptive_avg_pool2d", {"output_size": (3, 2)}),
    ("adaptive_avg_pool2d", {"output_size": 1}),
]


@pytest.mark.parametrize("name,kw", POOLS)
def test_pooling_matches_torch(torch, rng, name, kw):
    (x,), (tx,) = both(torch, rng, (2, 3, 7, 6))
    y = getattr(ember, name)(x, **kw)
    ty = getattr(torch.nn.functional, name)(tx, **kw)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    check_grads(y, ty, [x], [tx], rng, 1e-5)


def test_linear_matches_torch(torch, rng):
    (x, w, b), (tx, tw, tb) = both(torch, rng, (4, 5, 64), (32, 64), (32,))
    y = ember.linear(x, w, b)
    ty = torch.nn.functional.linear(tx, tw, tb)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    check_grads(y, ty, [x, w, b], [tx, tw, tb], rng, 1e-4)


def test_batch_norm_matches_torch_and_updates_running_stats(torch, rng):
    (x, w, b), (tx, tw, tb) = both(torch, rng, (8, 3, 4, 4), (3,), (3,))
    rm, rv = ember.zeros(3), ember.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    y = ember.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2)
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True, momentum=0.2)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    check_grads(y, ty, [x, w, b], [tx, tw, tb], rng, 1e-3)
    ye = ember.batch_norm(x, rm, rv, w, b, training=False)
    tye = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=False)
    np.testing.assert_allclose(ye.detach().numpy(), tye.detach().numpy(), rtol=1e-4, atol=1e-5)


# 16+ channels run oneDNN's jit kernel in a channel-blocked layout (reorders around it); fewer run plain.
@pytest.mark.parametrize("shape", [(8, 16, 5), (4, 20, 3, 5), (8, 32, 4, 4), (2, 24, 2, 3, 4), (3, 64, 1, 1)])
def test_batch_norm_blocked_layouts_match_torch(torch, rng, shape):
    c = shape[1]
    (x, w, b), (tx, tw, tb) = both(torch, rng, shape, (c,), (c,))
    rm, rv, trm, trv = ember.zeros(c), ember.ones(c), torch.zeros(c), torch.ones(c)
    y = ember.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1)
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True, momentum=0.1)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    check_grads(y, ty, [x, w, b], [tx, tw, tb], rng, 1e-3)


# MaxPool2d(2) has its own branch-free loop: NaN, ties, infinities and odd sizes against PyTorch.
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 2, 7, 9), (2, 17, 6, 4)])
def test_max_pool2x2_matches_torch(torch, rng, shape):
    a = rng.integers(-3, 3, shape).astype(np.float32)  # many ties
    a.flat[rng.integers(0, a.size, 5)] = np.inf
    a.flat[rng.integers(0, a.size, 5)] = -np.inf
    a.flat[rng.integers(0, a.size, 3)] = np.nan
    x, tx = ember.from_numpy(a.copy()).requires_grad_(), torch.from_numpy(a.copy()).requires_grad_()
    y, ty = ember.nn.functional.max_pool2d(x, 2), torch.nn.functional.max_pool2d(tx, 2)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(ember.from_numpy(g))
    ty.backward(torch.from_numpy(g))
    # Where a window holds several NaN, ember routes the gradient to the first, PyTorch to the last.
    windows = a[..., : 2 * ty.shape[-2], : 2 * ty.shape[-1]].reshape(*shape[:2], ty.shape[-2], 2, ty.shape[-1], 2)
    multi_nan = np.isnan(windows).sum(axis=(3, 5)) > 1
    mask = np.ones(shape, bool)
    mask[..., : 2 * ty.shape[-2], : 2 * ty.shape[-1]] = ~np.repeat(np.repeat(multi_nan, 2, axis=-2), 2, axis=-1)
    np.testing.assert_array_equal(x.grad.numpy()[mask], tx.grad.numpy()[mask])


def test_layer_norm_matches_torch(torch, rng):
    (x, w, b), (tx, tw, tb) = both(torch, rng, (4, 6, 16), (16,), (16,))
    y = ember.layer_norm(x, (16,), w, b, eps=1e-6)
    ty = torch.nn.functional.layer_norm(tx, (16,), tw, tb, eps=1e-6)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    check_grads(y, ty, [x, w, b], [tx, tw, tb], rng, 1e-3)


ERRORS = [
    (lambda: ember.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(4, 2, 3, 3)), ValueError,
     "[conv2d] input of shape (1, 3, 8, 8) has 3 channels, but weight of shape (4, 2, 3, 3) with groups=1 expects 2"),
    (lambda: ember.conv2d(ember.zeros(8, 8), ember.zeros(4, 3, 3, 3)), ValueError,
     "[conv2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (8, 8)"),
    (lambda: ember.conv2d(ember.zeros(3, 8, 8), ember.zeros(4, 3, 3, 3), padding="full"), ValueError,
     "[conv2d] invalid padding string 'full', should be one of {'valid', 'same'}"),
    (lambda: ember.max_pool2d(ember.zeros(8), 2), ValueError,
     "[max_pool2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (8,)"),
    (lambda: ember.leaky_relu(ember.zeros(2, dtype=ember.int64)), TypeError,
     "[leaky_relu] expected a float32 or float64 input, got dtype int64"),
    (lambda: ember.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(4, 3, 3, 3), ember.zeros(5)), ValueError,
     "[conv2d] expected a bias of shape (4,), got shape (5,)"),
    (lambda: ember.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(4, 3, 3, 3, dtype=ember.float64)), TypeError,
     "[conv2d] weight has dtype float64 but the input has dtype float32"),
    (lambda: ember.conv2d(ember.zeros(1, 3, 8, 8, dtype=ember.int64), ember.zeros(4, 3, 3, 3)), TypeError,
     "[conv2d] expected a float32 or float64 input, got dtype int64"),
    (lambda: ember.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(4, 3, 3, 3), stride=0), ValueError,
     "[conv2d] stride must be positive"),
    (lambda: ember.conv2d(ember.zeros(1, 3, 8, 8), ember.zeros(4, 3, 3, 3), stride=(1, 2, 3)), ValueError,
     "stride must be an int or a pair of ints, got 3 values"),
    (lambda: ember.max_pool2d(ember.zeros(1, 1, 2, 2), 3), ValueError,
     "[max_pool2d] input of shape (1, 1, 2, 2) is too small for kernel_size (3, 3)"),
    (lambda: ember.avg_pool2d(ember.zeros(1, 1, 4, 4), 2, padding=2), ValueError, "at most half the kernel size"),
    (lambda: ember.linear(ember.zeros(2, 3), ember.zeros(5, 4)), ValueError,
     "[linear] input of shape (2, 3) does not match weight of shape (5, 4)"),
    (lambda: ember.batch_norm(ember.zeros(4, 3), ember.zeros(2), ember.ones(2)), ValueError,
     "[batch_norm] expected a per-channel tensor of shape (3,), got shape (2,)"),
    (lambda: ember.batch_norm(ember.zeros(1, 3), None, None, training=True), ValueError,
     "expected more than 1 value per channel when training"),
    (lambda: ember.layer_norm(ember.zeros(2, 5), (4,)), ValueError,
     "[layer_norm] input of shape (2, 5) does not end with normalized_shape (4,)"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


def test_max_pool2d_propagates_nan_like_torch(torch):
    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    x[0, 0, 1, 2] = np.nan
    for dtype in (np.float32, np.float64):
        ours = ember.max_pool2d(ember.from_numpy(x.astype(dtype)), 2).numpy()
        theirs = torch.nn.functional.max_pool2d(torch.from_numpy(x.astype(dtype)), 2).numpy()
        np.testing.assert_array_equal(ours, theirs)  # NaN where the window holds one, as torch
