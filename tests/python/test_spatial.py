"""Transposed and 1-d convolution, 1-d and adaptive max pooling, pixel shuffle, interpolate, pad, grid_sample,
affine_grid and their
layers against PyTorch (same weights and inputs): values and gradients in float32 and float64 over the
options, float64 gradcheck, errors, and a DCGAN generator that runs by changing the import."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck

from _autograd_helpers import F32, F64, raises

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(2121)
TOL = {F32: 2e-5, F64: 1e-10}
TDT = {F32: torch.float32, F64: torch.float64}
DTYPES = [F32, F64]


def both(fe, ft, arrays, dtype, grad=True):
    """Runs fe on ember tensors and ft on torch tensors made from arrays (all requiring grad), then compares
    the outputs and, for a random output weighting, the gradients of every input."""
    xe = [ember.tensor(a, dtype=dtype, requires_grad=grad) for a in arrays]
    xt = [torch.tensor(a, dtype=TDT[dtype], requires_grad=grad) for a in arrays]
    ye, yt = fe(*xe), ft(*xt)
    assert tuple(ye.shape) == tuple(yt.shape)
    tol = TOL[dtype] * max(1.0, float(np.abs(yt.detach().numpy()).max(initial=0)))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=TOL[dtype], atol=tol)
    if grad and yt.numel():
        r = RNG.standard_normal(tuple(yt.shape))
        (ye * ember.tensor(r, dtype=dtype)).sum().backward()
        (yt * torch.tensor(r, dtype=TDT[dtype])).sum().backward()
        for a, b in zip(xe, xt):
            gt = b.grad.numpy()
            np.testing.assert_allclose(a.grad.numpy(), gt, rtol=TOL[dtype] * 10,
                                       atol=TOL[dtype] * 10 * max(1.0, float(np.abs(gt).max(initial=0))))


def rand(*shape):
    return RNG.standard_normal(shape)


def copy_params(layer_e, layer_t, dtype):
    """Gives the ember layer the torch layer's parameters."""
    params = dict(layer_e.named_parameters())
    for name, p in layer_t.named_parameters():
        params[name].data.copy_(ember.tensor(p.detach().numpy(), dtype=dtype))


# --- transposed convolution ---

CT2_OPTS = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), groups=2),
    dict(stride=1, padding=1, dilation=2),
    dict(stride=3, padding=2, output_padding=1, dilation=2, groups=4),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", CT2_OPTS)
@pytest.mark.parametrize("channels", [4, 16])
def test_conv_transpose2d_matches_torch(dtype, opts, channels):
    g = opts.get("groups", 1)
    both(lambda x, w, b: F.conv_transpose2d(x, w, b, **opts), lambda x, w, b: TF.conv_transpose2d(x, w, b, **opts),
         [rand(2, channels, 5, 4), rand(channels, 8 // g, 3, 2), rand(8)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose2d_unbatched_no_bias_and_empty_batch(dtype):
    both(lambda x, w: ember.conv_transpose2d(x, w, stride=2), lambda x, w: torch.conv_transpose2d(x, w, stride=2),
         [rand(3, 4, 5), rand(3, 2, 4, 4)], dtype)
    y = F.conv_transpose2d(ember.zeros(0, 3, 4, 5, dtype=dtype), ember.zeros(3, 2, 3, 3, dtype=dtype))
    assert tuple(y.shape) == (0, 2, 6, 7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", [dict(), dict(stride=2, padding=1, output_padding=1),
                                  dict(stride=3, dilation=2, groups=2, padding=1)])
def test_conv_transpose1d_matches_torch(dtype, opts):
    both(lambda x, w, b: F.conv_transpose1d(x, w, b, **opts), lambda x, w, b: TF.conv_transpose1d(x, w, b, **opts),
         [rand(2, 4, 7), rand(4, 3, 3), rand(3 * opts.get("groups", 1))], dtype)
    both(lambda x, w: ember.conv_transpose1d(x, w, **opts), lambda x, w: torch.conv_transpose1d(x, w, **opts),
         [rand(4, 7), rand(4, 3, 3)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose_layers_match_torch(dtype):
    for cls_e, cls_t, shape, kw in [
        (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (2, 6, 5, 5), dict(stride=2, padding=1, groups=3)),
        (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (6, 5, 4), dict(bias=False, dilation=2)),
        (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (2, 6, 9), dict(stride=2, output_padding=1)),
    ]:
        lt = cls_t(6, 4 * 3 if kw.get("groups") else 4, 3, **kw).to(TDT[dtype])
        le = cls_e(6, 4 * 3 if kw.get("groups") else 4, 3, **kw, dtype=dtype)
        assert tuple(le.weight.shape) == tuple(lt.weight.shape)
        assert repr(le) == repr(lt)
        copy_params(le, lt, dtype)
        x = rand(*shape)
        np.testing.assert_allclose(le(ember.tensor(x, dtype=dtype)).detach().numpy(),
                                   lt(torch.tensor(x, dtype=TDT[dtype])).detach().numpy(), rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_size_and_init():
    lt = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    le = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    copy_params(le, lt, F32)
    x = rand(1, 4, 5, 5)
    for size in [(9, 9), (10, 10), (1, 2, 10, 9)]:
        ye = le(ember.tensor(x, dtype=F32), output_size=size)
        yt = lt(torch.tensor(x, dtype=torch.float32), output_size=size)
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    with raises(ValueError, "requested an output size of 12", "from 9 to 10"):
        le(ember.tensor(x, dtype=F32), output_size=(12, 12))
    l1 = nn.ConvTranspose1d(3, 4, 3, stride=3)
    assert tuple(l1(ember.zeros(2, 3, 5), output_size=[15]).shape) == (2, 4, 15)
    # PyTorch's init: kaiming_uniform_(a=sqrt(5)) on (C_in, C_out/g, k, k), fan_in = C_out/g * k * k.
    big = nn.ConvTranspose2d(8, 64, 3)
    bound = 1 / np.sqrt(64 * 9)
    w, b = big.weight.detach().numpy(), big.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound


def test_conv_transpose_errors():
    x = ember.zeros(1, 3, 4, 4)
    with raises(ValueError, r"has 3 channels, but weight of shape \(4, 2, 3, 3\) expects 4"):
        F.conv_transpose2d(x, ember.zeros(4, 2, 3, 3))
    with raises(ValueError, "output_padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(x, ember.zeros(3, 2, 3, 3), output_padding=1)
    with raises(ValueError, "too small"):
        F.conv_transpose2d(x, ember.zeros(3, 2, 1, 1), padding=3)
    with raises(ValueError, "expected a 4-d weight"):
        F.conv_transpose2d(x, ember.zeros(3, 2, 3))
    with raises(ValueError, "only 'zeros' padding mode"):
        nn.ConvTranspose2d(3, 2, 3, padding_mode="reflect")
    with raises(ValueError, "divisible by groups"):
        nn.ConvTranspose1d(3, 2, 3, groups=2)
    with raises(TypeError, "dtype"):
        F.conv_transpose2d(x, ember.zeros(3, 2, 3, 3, dtype=F64))


def test_conv_transpose_gradcheck():
    def leaf(*shape):
        return ember.tensor(rand(*shape), dtype=F64, requires_grad=True)

    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                     [leaf(2, 4, 3, 3), leaf(4, 2, 3, 2), leaf(4)])
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=2, dilation=2), [leaf(2, 3, 4), leaf(3, 2, 3)])


def test_dcgan_generator_trains_like_torch():
    """A DCGAN generator, written for PyTorch, runs with ember's nn and gives PyTorch's outputs and gradients."""

    def generator(nn_mod):
        return nn_mod.Sequential(
            nn_mod.ConvTranspose2d(16, 32, 4, 1, 0, bias=False), nn_mod.BatchNorm2d(32), nn_mod.ReLU(True),
            nn_mod.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn_mod.BatchNorm2d(16), nn_mod.ReLU(True),
            nn_mod.ConvTranspose2d(16, 3, 4, 2, 1, bias=False), nn_mod.Tanh())

    gt, ge = generator(torch.nn), generator(nn)
    copy_params(ge, gt, F32)
    z = rand(4, 16, 1, 1)
    yt, ye = gt(torch.tensor(z, dtype=torch.float32)), ge(ember.tensor(z, dtype=F32))
    assert tuple(ye.shape) == (4, 3, 16, 16)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    (yt * yt).mean().backward()
    (ye * ye).mean().backward()
    for (name, pt), pe in zip(gt.named_parameters(), ge.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)


# --- 1-d convolution and pooling, adaptive max pooling ---


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", [dict(), dict(stride=2, padding=1, dilation=2, groups=2), dict(padding="same"),
                                  dict(padding="valid", stride=3)])
def test_conv1d_matches_torch(dtype, opts):
    g = opts.get("groups", 1)
    both(lambda x, w, b: F.conv1d(x, w, b, **opts), lambda x, w, b: TF.conv1d(x, w, b, **opts),
         [rand(2, 4, 9), rand(6, 4 // g, 3), rand(6)], dtype)
    both(lambda x, w: ember.conv1d(x, w, **opts), lambda x, w: torch.conv1d(x, w, **opts),
         [rand(4, 9), rand(6, 4 // g, 3)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv1d_layer_padding_modes(dtype, mode):
    for padding in [1, 2, "same"]:
        lt = torch.nn.Conv1d(4, 6, 3, padding=padding, padding_mode=mode).to(TDT[dtype])
        le = nn.Conv1d(4, 6, 3, padding=padding, padding_mode=mode, dtype=dtype)
        assert repr(le) == repr(lt)
        copy_params(le, lt, dtype)
        both(lambda x: le(x), lambda x: lt(x), [rand(2, 4, 7)], dtype)
    with raises(ValueError, "padding_mode must be one of"):
        nn.Conv1d(4, 6, 3, padding_mode="mirror")


@pytest.mark.parametrize("dtype", DTYPES)
def test_pool1d_matches_torch(dtype):
    x = [rand(2, 3, 11)]
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, dilation=2),
               dict(kernel_size=4, stride=3, ceil_mode=True)]:
        both(lambda t: F.max_pool1d(t, **kw), lambda t: TF.max_pool1d(t, **kw), x, dtype)
        both(lambda t: nn.MaxPool1d(**kw)(t), lambda t: torch.nn.MaxPool1d(**kw)(t), x, dtype)
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
               dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True)]:
        both(lambda t: F.avg_pool1d(t, **kw), lambda t: TF.avg_pool1d(t, **kw), x, dtype)
        both(lambda t: nn.AvgPool1d(**kw)(t), lambda t: torch.nn.AvgPool1d(**kw)(t), x, dtype)
    for size in [1, 3, 5, 11]:
        both(lambda t: nn.AdaptiveAvgPool1d(size)(t), lambda t: torch.nn.AdaptiveAvgPool1d(size)(t), x, dtype)
        both(lambda t: nn.AdaptiveMaxPool1d(size)(t), lambda t: torch.nn.AdaptiveMaxPool1d(size)(t), x, dtype)
    both(lambda t: F.max_pool1d(t, 2), lambda t: TF.max_pool1d(t, 2), [rand(3, 8)], dtype)  # unbatched
    assert repr(nn.MaxPool1d(3, 2)) == repr(torch.nn.MaxPool1d(3, 2))
    assert repr(nn.AdaptiveAvgPool1d(3)) == repr(torch.nn.AdaptiveAvgPool1d(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_max_pool2d_matches_torch(dtype):
    for size in [(1, 1), (2, 3), 4, (7, 5), (None, 2)]:
        both(lambda t: F.adaptive_max_pool2d(t, size), lambda t: TF.adaptive_max_pool2d(t, size),
             [rand(2, 3, 7, 5)], dtype)
    both(lambda t: nn.AdaptiveMaxPool2d((2, 2))(t), lambda t: torch.nn.AdaptiveMaxPool2d((2, 2))(t),
         [rand(3, 6, 6)], dtype)
    assert repr(nn.AdaptiveMaxPool2d((2, 2))) == repr(torch.nn.AdaptiveMaxPool2d((2, 2)))


def test_one_dimensional_errors_name_the_callers_shapes():
    x = ember.zeros(2, 3, 5)
    with raises(ValueError, r"\[conv1d\] input of shape \(2, 3, 5\) has 3 channels"):
        F.conv1d(x, ember.zeros(4, 2, 3))
    with raises(ValueError, r"\[conv_transpose1d\] input of shape \(2, 3, 5\) has 3 channels"):
        F.conv_transpose1d(x, ember.zeros(4, 2, 3))
    with raises(ValueError, r"\[max_pool1d\] input of shape \(2, 3, 5\) is too small for kernel_size 6"):
        F.max_pool1d(x, 6)


def test_pool_errors_and_unsupported_options():
    with raises(ValueError, r"expected a 2-d \(C, L\) or 3-d"):
        F.max_pool1d(ember.zeros(2, 3, 4, 5), 2)
    with raises(ValueError, "output_size must be positive"):
        F.adaptive_max_pool2d(ember.zeros(1, 2, 4, 4), 0)
    with pytest.raises(NotImplementedError, match="return_indices"):
        nn.AdaptiveMaxPool2d(2, return_indices=True)
    with pytest.raises(NotImplementedError, match="return_indices"):
        nn.MaxPool1d(2, return_indices=True)


# --- pixel shuffle, interpolate, pad ---


@pytest.mark.parametrize("dtype", DTYPES)
def test_pixel_shuffle_matches_torch(dtype):
    for shape, r in [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 1, 4, 2, 2), 2)]:
        both(lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r), [rand(*shape)], dtype)
        both(lambda t: nn.PixelShuffle(r)(t), lambda t: torch.nn.PixelShuffle(r)(t), [rand(*shape)], dtype)
    for shape, r in [((2, 2, 6, 4), 2), ((1, 6, 9), 3)]:
        both(lambda t: F.pixel_unshuffle(t, r), lambda t: TF.pixel_unshuffle(t, r), [rand(*shape)], dtype)
        both(lambda t: nn.PixelUnshuffle(r)(t), lambda t: torch.nn.PixelUnshuffle(r)(t), [rand(*shape)], dtype)
    assert repr(nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
    with raises(ValueError, "divisible by the square of upscale_factor"):
        F.pixel_shuffle(ember.zeros(1, 6, 2, 2), 2)
    with raises(ValueError, "divisible by downscale_factor"):
        F.pixel_unshuffle(ember.zeros(1, 1, 3, 4), 2)


INTERP = [
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((2, 3, 4, 5), dict(scale_factor=(1.5, 0.7))),
    ((2, 3, 4, 5), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=9, mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(size=(3, 8), mode="bilinear", align_corners=False)),
    ((2, 3, 4, 5), dict(scale_factor=0.6, mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((2, 3, 7), dict(scale_factor=3)),
    ((2, 3, 7), dict(size=4)),
    ((2, 3, 7), dict(size=12, mode="linear")),
    ((2, 3, 7), dict(scale_factor=1.5, mode="linear", align_corners=True)),
    ((2, 3, 8, 6), dict(size=(3, 4), mode="area")),
    ((2, 3, 8), dict(size=3, mode="area")),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kw", INTERP)
def test_interpolate_matches_torch(dtype, shape, kw):
    both(lambda t: F.interpolate(t, **kw), lambda t: TF.interpolate(t, **kw), [rand(*shape)], dtype)
    kw_layer = {k: v for k, v in kw.items() if k != "recompute_scale_factor"}
    both(lambda t: nn.Upsample(**kw_layer)(t), lambda t: torch.nn.Upsample(**kw_layer)(t), [rand(*shape)], dtype)


def test_upsample_layers_and_errors():
    x = rand(1, 2, 3, 4)
    for le, lt in [(nn.UpsamplingNearest2d(scale_factor=2), torch.nn.UpsamplingNearest2d(scale_factor=2)),
                   (nn.UpsamplingBilinear2d(size=(5, 7)), torch.nn.UpsamplingBilinear2d(size=(5, 7)))]:
        np.testing.assert_allclose(le(ember.tensor(x)).numpy(), lt(torch.tensor(x)).numpy(), rtol=1e-12)
    assert repr(nn.Upsample(scale_factor=2)) == repr(torch.nn.Upsample(scale_factor=2))
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear")) == repr(torch.nn.Upsample(size=(3, 4), mode="bilinear"))
    t = ember.zeros(1, 2, 3, 4)
    with pytest.raises(NotImplementedError, match="mode='bicubic'"):
        F.interpolate(t, scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(t, scale_factor=2, mode="bilinear", antialias=True)
    with raises(ValueError, "align_corners option can only be set"):
        F.interpolate(t, scale_factor=2, align_corners=True)
    with raises(ValueError, "mode 'linear' needs a 3-d input"):
        F.interpolate(t, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(t, size=3, scale_factor=2)
    with raises(ValueError, "scale_factor has 3 entries"):
        F.interpolate(t, scale_factor=(2, 2, 2))


PADS = [
    ((2, 3, 5), (1, 2), "constant"),
    ((2, 3, 5), (-1, 2), "constant"),
    ((2, 3, 4, 5), (1, 0, 2, 1), "constant"),
    ((3, 4, 5), (1, 1, 1, 1, 1, 1), "constant"),
    ((2, 3, 5), (2, 4), "reflect"),
    ((3, 5), (4, 1), "reflect"),
    ((2, 3, 4, 5), (1, 3, 2, 3), "reflect"),
    ((2, 3, 5), (3, 1), "replicate"),
    ((2, 3, 4, 5), (2, 0, 1, 3), "replicate"),
    ((2, 3, 5), (5, 2), "circular"),
    ((2, 3, 4, 5), (1, 2, 3, 4), "circular"),
    ((1, 2, 3, 4, 5), (1, 1, 1, 1, 1, 1), "replicate"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,padding,mode", PADS)
def test_pad_matches_torch(dtype, shape, padding, mode):
    both(lambda t: F.pad(t, padding, mode), lambda t: TF.pad(t, padding, mode), [rand(*shape)], dtype)
    if mode == "constant":
        both(lambda t: F.pad(t, padding, value=2.5), lambda t: TF.pad(t, padding, value=2.5), [rand(*shape)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_padding_layers_match_torch(dtype):
    x1, x2 = [rand(2, 3, 6)], [rand(2, 3, 5, 6)]
    for name, arg, x in [("ZeroPad1d", 2, x1), ("ZeroPad2d", (1, 2, 3, 0), x2), ("ReflectionPad1d", (2, 1), x1),
                         ("ReflectionPad2d", 2, x2), ("ReplicationPad1d", 3, x1), ("ReplicationPad2d", (0, 1, 2, 3), x2),
                         ("CircularPad1d", 2, x1), ("CircularPad2d", (1, 1, 2, 0), x2)]:
        le, lt = getattr(nn, name)(arg), getattr(torch.nn, name)(arg)
        assert repr(le) == repr(lt)
        both(lambda t: le(t), lambda t: lt(t), x, dtype)
    for name, arg, x in [("ConstantPad1d", (2, 1), x1), ("ConstantPad2d", 1, x2)]:
        le, lt = getattr(nn, name)(arg, 3.5), getattr(torch.nn, name)(arg, 3.5)
        assert repr(le) == repr(lt)
        both(lambda t: le(t), lambda t: lt(t), x, dtype)


def test_pad_errors_and_gradcheck():
    x = ember.zeros(1, 2, 3)
    with raises(ValueError, "must be smaller than that dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with raises(ValueError, "must be at most that dimension"):
        F.pad(x, (4, 0), mode="circular")
    with raises(ValueError, "divisible by 2"):
        F.pad(x, (1, 2, 3))
    with raises(ValueError, "pads 1 to 3 dims"):
        F.pad(ember.zeros(3), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode='symmetric'"):
        F.pad(x, (1, 1), mode="symmetric")
    for mode in ["constant", "reflect", "replicate", "circular"]:
        t = ember.tensor(rand(2, 3, 4), dtype=F64, requires_grad=True)
        assert gradcheck(lambda a: F.pad(a, (1, 2, 2, 1), mode), [t])
    t = ember.tensor(rand(2, 2, 3, 4), dtype=F64, requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, size=(5, 3), mode="bilinear"), [t])
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=1.5), [t])
    assert gradcheck(lambda a: F.adaptive_max_pool2d(a, (2, 3)), [t])


# --- grid_sample / affine_grid ---

GRID = [(mode, padding, ac) for mode in ("bilinear", "nearest") for padding in ("zeros", "border", "reflection")
        for ac in (False, True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode,padding,ac", GRID)
def test_grid_sample_matches_torch(dtype, mode, padding, ac):
    x = rand(2, 3, 5, 4)
    grid = RNG.uniform(-1.4, 1.4, (2, 3, 6, 2))  # points inside and outside the input
    both(lambda a, g: F.grid_sample(a, g, mode, padding, ac), lambda a, g: TF.grid_sample(a, g, mode, padding, ac),
         [x, grid], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ac", [False, True])
def test_affine_grid_matches_torch(dtype, ac):
    theta = rand(2, 2, 3)
    for size in [(2, 3, 4, 5), (2, 1, 1, 3), (2, 4, 6, 1)]:
        both(lambda t: F.affine_grid(t, size, ac), lambda t: TF.affine_grid(t, size, ac), [theta], dtype)
    # the identity (a spatial transformer's start) puts every point on a pixel centre, where the one-sided
    # gradient depends on the side of the centre a point's rounding falls: it must fall as in PyTorch
    identity = np.array([[[1.0, 0, 0], [0, 1, 0]]] * 2)
    for t in (theta, identity):
        for padding in ("zeros", "border", "reflection"):
            both(lambda t, x: F.grid_sample(x, F.affine_grid(t, x.size(), ac), padding_mode=padding, align_corners=ac),
                 lambda t, x: TF.grid_sample(x, TF.affine_grid(t, x.size(), ac), padding_mode=padding,
                                             align_corners=ac),
                 [t, rand(2, 3, 28, 28)], dtype)


def test_grid_sample_gradcheck_and_errors():
    x = ember.tensor(rand(2, 2, 4, 3), dtype=F64, requires_grad=True)
    g = ember.tensor(RNG.uniform(-1.2, 1.2, (2, 3, 2, 2)), dtype=F64, requires_grad=True)
    for padding in ("zeros", "border", "reflection"):
        assert gradcheck(lambda a, b: F.grid_sample(a, b, padding_mode=padding, align_corners=True), [x, g])
    theta = ember.tensor(rand(2, 2, 3), dtype=F64, requires_grad=True)
    assert gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4)), [theta])
    with pytest.raises(NotImplementedError, match=r"\[grid_sample\] mode='bicubic' is not supported"):
        F.grid_sample(x, g, mode="bicubic")
    with pytest.raises(NotImplementedError, match="5-d input"):
        F.grid_sample(ember.zeros(1, 1, 2, 2, 2), ember.zeros(1, 1, 1, 1, 3))
    with raises(ValueError, r"grid and the input must have the same batch size, got input of shape \(2, 2, 4, 3\) "
                r"and grid of shape \(1, 3, 2, 2\)"):
        F.grid_sample(x, g[:1])
    with raises(ValueError, "padding_mode must be 'zeros', 'border' or 'reflection', got 'wrap'"):
        F.grid_sample(x, g, padding_mode="wrap")
    with raises(TypeError, "grid has dtype float32 but the input has dtype float64"):
        F.grid_sample(x, g.float())
    with raises(ValueError, r"expected theta of shape \(N, 2, 3\) = \(3, 2, 3\)"):
        F.affine_grid(theta, (3, 1, 2, 2))
    with pytest.raises(NotImplementedError, match="3-d affine grids"):
        F.affine_grid(theta, (2, 1, 2, 2, 2))


# --- Tensor.unfold (sliding windows as a view), nn.Unfold / nn.Fold ---

UNFOLD_DIM = [((7,), 0, 3, 1), ((7,), -1, 2, 3), ((3, 8), 1, 4, 2), ((5, 4, 3), 0, 5, 1), ((2, 6, 3), 1, 1, 1),
              ((4, 5), 0, 0, 2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim,size,step", UNFOLD_DIM)
def test_tensor_unfold_matches_torch(dtype, shape, dim, size, step):
    both(lambda t: t.unfold(dim, size, step), lambda t: t.unfold(dim, size, step), [rand(*shape)], dtype)
    flip = tuple(reversed(range(len(shape))))  # the same shape as a strided (permuted) view
    both(lambda t: t.permute(*flip).unfold(dim, size, step) * 2,
         lambda t: t.permute(*flip).unfold(dim, size, step) * 2, [rand(*shape[::-1])], dtype)


def test_tensor_unfold_is_a_view_with_torchs_errors():
    x = ember.arange(10.0)
    w = x.unfold(0, 4, 3)
    assert w.shape == (3, 4) and w.stride() == (3, 1)
    assert w.tolist() == torch.arange(10.0).unfold(0, 4, 3).tolist()
    x[4] = 40.0
    assert w[1, 1].item() == 40.0  # it reads x's memory
    y = ember.arange(6)  # integer tensors: non-overlapping windows write through
    y.unfold(0, 2, 2).mul_(2)
    assert y.tolist() == [0, 2, 4, 6, 8, 10]
    assert ember.tensor(3.0).unfold(0, 1, 1).tolist() == torch.tensor(3.0).unfold(0, 1, 1).tolist()
    with raises(ValueError, "maximum size for tensor at dimension 0 is 10 but size is 11"):
        x.unfold(0, 11, 1)
    with raises(ValueError, "step is 0 but must be > 0"):
        x.unfold(0, 2, 0)
    with raises(IndexError, "out of range"):
        x.unfold(1, 2, 1)
    with pytest.raises(Exception, match="overlap|more than one element"):
        x.unfold(0, 4, 1).add_(1.0)  # overlapping windows are read-only


@pytest.mark.parametrize("dtype", DTYPES)
def test_unfold_fold_layers_match_torch(dtype):
    for kw in [dict(kernel_size=2), dict(kernel_size=(2, 3), padding=1, stride=(1, 2)), dict(kernel_size=3, dilation=2)]:
        both(lambda t: nn.Unfold(**kw)(t), lambda t: torch.nn.Unfold(**kw)(t), [rand(2, 3, 7, 8)], dtype)
        assert repr(nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
        cols = torch.nn.Unfold(**kw)(torch.zeros(2, 3, 7, 8)).shape
        both(lambda t: nn.Fold((7, 8), **kw)(t), lambda t: torch.nn.Fold((7, 8), **kw)(t), [rand(*cols)], dtype)
        assert repr(nn.Fold((7, 8), **kw)) == repr(torch.nn.Fold((7, 8), **kw))
