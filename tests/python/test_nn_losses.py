"""ember.nn's losses against torch.nn.functional: values and input gradients in float32 and float64
over the option combinations (weights, ignore_index, label_smoothing, reductions, K-d inputs,
class-probability targets), float64 gradcheck, the loss modules, and clear errors for bad targets."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck

from _autograd_helpers import F32, F64, raises

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(21)
TOL = {F32: 1e-5, F64: 1e-10}
TDT = {F32: torch.float32, F64: torch.float64}


def run_both(fn_e, fn_t, x, target, dtype, target_is_float=False, **kw):
    """Value and input gradient of a loss in ember and in torch; kw values that are arrays become tensors."""
    xe = ember.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TDT[dtype], requires_grad=True)
    if target_is_float:
        te, tt = ember.tensor(target, dtype=dtype), torch.tensor(target, dtype=TDT[dtype])
    else:
        te, tt = ember.tensor(target), torch.tensor(target)
    kwe = {k: ember.tensor(v, dtype=dtype) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    kwt = {k: torch.tensor(v, dtype=TDT[dtype]) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    le, lt = fn_e(xe, te, **kwe), fn_t(xt, tt, **kwt)
    seed = RNG.standard_normal(tuple(lt.shape))
    (le * ember.tensor(seed, dtype=dtype)).sum().backward()
    (lt * torch.tensor(seed, dtype=TDT[dtype])).sum().backward()
    return (le.detach().numpy(), xe.grad.numpy()), (lt.detach().numpy(), xt.grad.numpy())


def assert_close(ours, theirs, dtype):
    tol = TOL[dtype]
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def class_targets(shape, classes, ignore=None, frac=0.3):
    if shape == ():
        return np.array(classes - 1)  # not an ignore_index used here: a loss of 0/0 has no gradient to compare
    t = RNG.integers(0, classes, shape)
    if ignore is not None:
        t = np.where(RNG.random(shape) < frac, ignore, t)
        t.reshape(-1)[0] = 0  # at least one counted target
    return t


LAYOUTS = [((6, 5), (6,)), ((5,), ()), ((3, 4, 2, 3), (3, 2, 3))]


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("layout", LAYOUTS, ids=["NC", "C", "NCd1d2"])
@pytest.mark.parametrize("weighted,ignore_index,smoothing", list(itertools.product(
    [False, True], [-100, 1], [0.0, 0.2])))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_class_indices_matches_torch(dtype, layout, weighted, ignore_index, smoothing, reduction):
    xshape, tshape = layout
    classes = xshape[0] if len(xshape) == 1 else xshape[1]
    x = RNG.standard_normal(xshape) * 2
    t = class_targets(tshape, classes, ignore=ignore_index)
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    if weighted:
        kw["weight"] = RNG.random(classes) + 0.5
    ours, theirs = run_both(F.cross_entropy, TF.cross_entropy, x, t, dtype, **kw)
    assert_close(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("layout", LAYOUTS, ids=["NC", "C", "NCd1d2"])
@pytest.mark.parametrize("weighted,ignore_index", list(itertools.product([False, True], [-100, 2])))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_torch(dtype, layout, weighted, ignore_index, reduction):
    xshape, tshape = layout
    classes = xshape[0] if len(xshape) == 1 else xshape[1]
    x = RNG.standard_normal(xshape)
    t = class_targets(tshape, classes, ignore=ignore_index)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    if weighted:
        kw["weight"] = RNG.random(classes) + 0.5
    ours, theirs = run_both(F.nll_loss, TF.nll_loss, x, t, dtype, **kw)
    assert_close(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("weighted,smoothing", list(itertools.product([False, True], [0.0, 0.3])))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("xshape", [(4, 5), (2, 3, 4)])
def test_cross_entropy_probability_targets_match_torch(dtype, weighted, smoothing, reduction, xshape):
    x = RNG.standard_normal(xshape)
    p = RNG.random(xshape)
    p = p / p.sum(axis=1, keepdims=True)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    if weighted:
        kw["weight"] = RNG.random(xshape[1]) + 0.5
    ours, theirs = run_both(F.cross_entropy, TF.cross_entropy, x, p, dtype, target_is_float=True, **kw)
    assert_close(ours, theirs, dtype)


def test_all_targets_ignored_gives_nan_as_torch():
    x = ember.randn(3, 4)
    t = ember.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, t).item()) and np.isnan(F.nll_loss(x.log_softmax(1), t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses_match_torch(dtype, reduction, name):
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    ours, theirs = run_both(getattr(F, name), getattr(TF, name), x, y, dtype, target_is_float=True,
                            reduction=reduction)
    assert_close(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kw", [("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.3}),
                                     ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}),
                                     ("huber_loss", {"delta": 0.4}), ("huber_loss", {"delta": 2.5})])
def test_smooth_l1_and_huber_match_torch(dtype, reduction, name, kw):
    x, y = RNG.standard_normal((5, 4)) * 2, RNG.standard_normal((5, 4))
    x[0, 0] = y[0, 0]  # d = 0
    ours, theirs = run_both(getattr(F, name), getattr(TF, name), x, y, dtype, target_is_float=True,
                            reduction=reduction, **kw)
    assert_close(ours, theirs, dtype)
    module = {"smooth_l1_loss": nn.SmoothL1Loss, "huber_loss": nn.HuberLoss}[name]
    tmodule = {"smooth_l1_loss": torch.nn.SmoothL1Loss, "huber_loss": torch.nn.HuberLoss}[name]
    xe, ye = ember.tensor(x, dtype=dtype), ember.tensor(y, dtype=dtype)
    np.testing.assert_allclose(module(reduction=reduction, **kw)(xe, ye).numpy(),
                               tmodule(reduction=reduction, **kw)(torch.tensor(x), torch.tensor(y)).numpy(),
                               rtol=TOL[dtype], atol=TOL[dtype])


def test_smooth_l1_and_huber_errors():
    x = ember.zeros(4, 5)
    with pytest.raises(ValueError, match=r"\[smooth_l1_loss\] beta must be >= 0, got -1"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match=r"\[huber_loss\] delta must be > 0, got 0"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match=r"\[huber_loss\] input of shape \(4, 5\) and target of shape \(3,\)"):
        F.huber_loss(x, ember.zeros(3))
    with pytest.raises(ValueError, match=r"\[smooth_l1_loss\] 'avg' is not a valid value for reduction"):
        F.smooth_l1_loss(x, x, reduction="avg")
    with pytest.raises(NotImplementedError, match=r"\[huber_loss\] the weight option"):
        F.huber_loss(x, x, weight=ember.ones(5))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted,pos_weighted", list(itertools.product([False, True], [False, True])))
def test_bce_with_logits_matches_torch(dtype, reduction, weighted, pos_weighted):
    x = RNG.standard_normal((5, 3)) * 4
    x[0, 0], x[1, 1] = 60.0, -60.0  # the stable formula: no overflow, no log(0)
    y = RNG.random((5, 3))
    kw = dict(reduction=reduction)
    if weighted:
        kw["weight"] = RNG.random((5, 3))
    if pos_weighted:
        kw["pos_weight"] = RNG.random(3) * 3
    ours, theirs = run_both(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, x, y,
                            dtype, target_is_float=True, **kw)
    assert_close(ours, theirs, dtype)
    assert np.isfinite(ours[0]).all()


@pytest.mark.parametrize("dtype", [F32, F64])
def test_bce_matches_torch(dtype):
    x, y = RNG.random((4, 3)) * 0.98 + 0.01, RNG.random((4, 3))
    ours, theirs = run_both(F.binary_cross_entropy, TF.binary_cross_entropy, x, y, dtype, target_is_float=True)
    assert_close(ours, theirs, dtype)


# --- loss modules ---


def test_loss_modules_match_the_functional_forms():
    x, t = ember.randn(6, 4), ember.tensor([0, 1, 2, 3, -100, 1])
    w = ember.rand(4) + 0.5
    ce = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, reduction="sum")
    assert ce(x, t).item() == pytest.approx(F.cross_entropy(x, t, w, reduction="sum", label_smoothing=0.1).item())
    assert "weight" in ce.state_dict() and ce.ignore_index == -100
    t1 = ember.tensor([0, 1, 2, 3, 3, 1])
    assert nn.NLLLoss(ignore_index=1)(x.log_softmax(1), t1).item() == pytest.approx(
        F.nll_loss(x.log_softmax(1), t1, ignore_index=1).item())
    y = ember.randn(6, 4)
    assert nn.MSELoss(reduction="sum")(x, y).item() == pytest.approx(F.mse_loss(x, y, reduction="sum").item())
    assert nn.L1Loss()(x, y).item() == pytest.approx(F.l1_loss(x, y).item())
    pw = ember.rand(4)
    bce = nn.BCEWithLogitsLoss(pos_weight=pw)
    assert bce(x, y.sigmoid()).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, y.sigmoid(), pos_weight=pw).item())
    assert list(bce.state_dict()) == ["pos_weight"]
    assert nn.BCELoss()(x.sigmoid(), y.sigmoid()).item() == pytest.approx(
        F.binary_cross_entropy(x.sigmoid(), y.sigmoid()).item())
    assert nn.CrossEntropyLoss(size_average=False).reduction == "sum"
    assert nn.CrossEntropyLoss(reduce=False).reduction == "none"


def test_losses_pass_gradcheck_in_float64():
    x = ember.tensor(RNG.standard_normal((4, 3)), dtype=F64, requires_grad=True)
    t = ember.tensor([0, 2, -100, 1])
    w = ember.tensor([0.5, 1.0, 2.0], dtype=F64)
    y = ember.tensor(RNG.random((4, 3)), dtype=F64)
    pw = ember.tensor([0.5, 2.0, 1.0], dtype=F64)
    for fn in [
        lambda x: F.cross_entropy(x, t),
        lambda x: F.cross_entropy(x, t, w, label_smoothing=0.2),
        lambda x: F.cross_entropy(x, ember.tensor([0, 2, 1, 1]), ignore_index=1, reduction="none"),
        lambda x: F.cross_entropy(x, y, label_smoothing=0.1),
        lambda x: F.nll_loss(x, t, w),
        lambda x: F.mse_loss(x, y),
        lambda x: F.l1_loss(x, y + 0.5),
        lambda x: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
        lambda x: F.binary_cross_entropy(x.sigmoid(), y),
    ]:
        assert gradcheck(fn, (x,))
    x4 = ember.tensor(RNG.standard_normal((2, 3, 2, 2)), dtype=F64, requires_grad=True)
    t4 = ember.tensor(RNG.integers(0, 3, (2, 2, 2)))
    assert gradcheck(lambda x: F.cross_entropy(x, t4, w, label_smoothing=0.1), (x4,))


# --- errors ---


def test_class_index_errors_name_the_loss_the_value_and_the_classes():
    x = ember.randn(4, 5)
    with raises(IndexError, r"\[cross_entropy\]", "target 7 is out of bounds", "5 classes"):
        F.cross_entropy(x, ember.tensor([0, 7, 1, 2]))
    with raises(IndexError, r"\[cross_entropy\]", "target -1 ", "5 classes"):
        F.cross_entropy(x, ember.tensor([0, -1, -100, 2]))
    with raises(IndexError, r"\[nll_loss\]", "target 5 ", "5 classes"):
        F.nll_loss(x, ember.tensor([0, 5, 1, 2]), ignore_index=1)
    with raises(IndexError, r"\[cross_entropy\]", "target 9 "):
        nn.CrossEntropyLoss(label_smoothing=0.1)(x, ember.tensor([0, 9, 1, 2]))
    with raises(IndexError, "target 6 "):
        F.cross_entropy(ember.randn(2, 5, 3), ember.tensor([[0, 1, 6], [1, 2, 3]]))


def test_int32_and_uint8_class_indices_are_accepted():
    x = ember.randn(3, 4)
    expected = F.cross_entropy(x, ember.tensor([0, 3, 1])).item()
    for dt in (ember.int32, ember.uint8):
        assert F.cross_entropy(x, ember.tensor([0, 3, 1], dtype=dt)).item() == pytest.approx(expected)
    w = ember.rand(4) + 0.5
    smoothed = F.cross_entropy(x, ember.tensor([0, 3, 1]), w, label_smoothing=0.2).item()
    assert F.cross_entropy(x, ember.tensor([0, 3, 1], dtype=ember.uint8), w, label_smoothing=0.2).item() == (
        pytest.approx(smoothed))


def test_target_dtype_and_shape_errors():
    x = ember.randn(4, 5)
    with raises(TypeError, r"\[cross_entropy\]", "integer dtype", "float32 targets of shape \\(4,\\)"):
        F.cross_entropy(x, ember.tensor([0.0, 1.0, 2.0, 3.0]))
    with raises(TypeError, r"\[nll_loss\]", "float32"):
        F.nll_loss(x, ember.randn(4, 5))
    with raises(TypeError, r"\[cross_entropy\]", "bool"):
        F.cross_entropy(x, ember.tensor([True, False, True, False]))
    with raises(ValueError, r"\[cross_entropy\]", "expected target of shape \\(4,\\)", "input of shape \\(4, 5\\)",
                "got target of shape \\(3,\\)"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]))
    with raises(ValueError, r"\[mse_loss\]", "\\(4, 5\\)", "\\(3, 2\\)"):
        F.mse_loss(x, ember.randn(3, 2))
    with raises(ValueError, r"\[binary_cross_entropy_with_logits\]", "\\(4, 1\\)", "\\(4, 5\\)"):
        F.binary_cross_entropy_with_logits(x, ember.rand(4, 1))
    with raises(ValueError, "not a valid value for reduction"):
        F.cross_entropy(x, ember.tensor([0, 1, 2, 3]), reduction="avg")
    with raises(ValueError, "weight should have one entry per class", "\\(5,\\)", "\\(3,\\)"):
        F.cross_entropy(x, ember.tensor([0, 1, 2, 3]), weight=ember.ones(3))
    with raises(ValueError, "label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, ember.tensor([0, 1, 2, 3]), label_smoothing=1.5)
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(ember.randn(3, 1), ember.randn(3))


# --- the C++ ops behind ember.nn.functional (ember.<loss>), one_hot ---


@pytest.mark.parametrize("weighted,ignore_index,reduction", list(itertools.product(
    [False, True], [-100, 3], ["mean", "sum", "none"])))
def test_fused_cross_entropy_on_large_float32_inputs_matches_torch(weighted, ignore_index, reduction):
    # (64, 100) float32 goes through oneDNN's softmax and the fused (softmax - one-hot) backward
    x = RNG.standard_normal((64, 100)) * 3
    t = class_targets((64,), 100, ignore=ignore_index)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    if weighted:
        kw["weight"] = RNG.random(100) + 0.5
    ours, theirs = run_both(F.cross_entropy, TF.cross_entropy, x, t, F32, **kw)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_cross_entropy_of_a_non_contiguous_input():
    base = ember.randn(5, 8)
    x = base[:, ::2].detach().requires_grad_()
    xc = x.detach().contiguous().requires_grad_()
    t = ember.tensor([0, 3, 1, 2, 0])
    a, b = F.cross_entropy(x, t), F.cross_entropy(xc, t)
    a.backward()
    b.backward()
    assert a.item() == pytest.approx(b.item())
    np.testing.assert_allclose(x.grad.numpy(), xc.grad.numpy(), rtol=1e-6)


def test_losses_are_ember_functions_too():
    x, t = ember.randn(3, 4), ember.tensor([0, 3, 1])
    assert ember.cross_entropy(x, t).item() == pytest.approx(F.cross_entropy(x, t).item())
    assert ember.nll_loss(x, t, reduction="sum").item() == pytest.approx(F.nll_loss(x, t, reduction="sum").item())


def test_mixed_float_dtypes_promote_as_torch():
    x32, y64 = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    out = F.mse_loss(ember.tensor(x32, dtype=F32), ember.tensor(y64, dtype=F64))
    want = TF.mse_loss(torch.tensor(x32, dtype=torch.float32), torch.tensor(y64, dtype=torch.float64))
    assert out.dtype == F64 and out.item() == pytest.approx(want.item())
    assert F.l1_loss(ember.tensor(x32, dtype=F32), ember.tensor([[1, 2], [3, 4], [5, 6]])).dtype == F32


def test_one_hot_values_and_errors():
    t = ember.tensor([[0, 2], [1, 0]])
    np.testing.assert_array_equal(F.one_hot(t).numpy(), TF.one_hot(torch.tensor([[0, 2], [1, 0]])).numpy())
    assert F.one_hot(ember.tensor([1], dtype=ember.int32), 4).dtype == ember.int64
    assert tuple(F.one_hot(ember.zeros(0, dtype=ember.int64), 3).shape) == (0, 3)
    with raises(TypeError, r"\[one_hot\]", "integer tensor", "float32"):
        F.one_hot(ember.tensor([1.0]))
    with raises(IndexError, r"\[one_hot\]", "non-negative", "-1"):
        F.one_hot(ember.tensor([-1, 0]), 3)
    with raises(IndexError, r"\[one_hot\]", r"\[0, 2\]", "got 3, 5"):
        F.one_hot(ember.tensor([3, 5, 0]), 3)
    with raises(ValueError, r"\[one_hot\]", "pass num_classes"):
        F.one_hot(ember.zeros(0, dtype=ember.int64))


def test_bce_errors_name_the_values():
    with raises(ValueError, r"\[binary_cross_entropy\]", "input", r"\[0, 1\]", "apply sigmoid first"):
        F.binary_cross_entropy(ember.tensor([2.0]), ember.tensor([1.0]))
    with raises(ValueError, r"\[binary_cross_entropy\]", "target", r"\[0, 1\]"):
        F.binary_cross_entropy(ember.tensor([0.5]), ember.tensor([2.0]))
    with raises(TypeError, r"\[binary_cross_entropy_with_logits\]", "floating targets", "int64"):
        F.binary_cross_entropy_with_logits(ember.zeros(2), ember.tensor([0, 1]))
    with raises(ValueError, r"\[binary_cross_entropy_with_logits\]", "pos_weight of shape \\(3,\\)"):
        F.binary_cross_entropy_with_logits(ember.zeros(1, 1), ember.zeros(1, 1), pos_weight=ember.ones(3))
    with raises(ValueError, r"\[cross_entropy\]", "ignore_index \\(1\\) is not supported"):
        F.cross_entropy(ember.zeros(2, 3), ember.full((2, 3), 1 / 3), ignore_index=1)


def test_negative_ignore_index_is_allowed_with_probability_targets_as_torch():
    x, p = RNG.standard_normal((2, 3)), np.full((2, 3), 1 / 3)
    ours = F.cross_entropy(ember.tensor(x), ember.tensor(p, dtype=F32), ignore_index=-1).item()
    theirs = TF.cross_entropy(torch.tensor(x, dtype=torch.float32), torch.tensor(p, dtype=torch.float32),
                              ignore_index=-1).item()
    assert ours == pytest.approx(theirs, rel=1e-6)
