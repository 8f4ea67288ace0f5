"""The unary and binary math family beyond the basics (issue 21's tensor API): values against NumPy and
PyTorch, special values, integer dtypes, gradients against PyTorch, the in-place forms and their errors.
Finite-difference gradchecks of every op are in test_autograd_ops.py; random shapes, dtypes and strides
in test_fuzz_ops.py."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

# name: (NumPy reference, low, high) of the float inputs
UNARY = {
    "expm1": (np.expm1, -3, 3), "exp2": (np.exp2, -3, 3), "log2": (np.log2, 0.1, 4), "log10": (np.log10, 0.1, 4),
    "square": (np.square, -3, 3), "reciprocal": (np.reciprocal, 0.5, 3), "tan": (np.tan, -1.2, 1.2),
    "asin": (np.arcsin, -0.99, 0.99), "acos": (np.arccos, -0.99, 0.99), "atan": (np.arctan, -4, 4),
    "sinh": (np.sinh, -3, 3), "cosh": (np.cosh, -3, 3), "asinh": (np.arcsinh, -4, 4),
    "acosh": (np.arccosh, 1.01, 4), "atanh": (np.arctanh, -0.99, 0.99), "deg2rad": (np.deg2rad, -360, 360),
    "rad2deg": (np.rad2deg, -7, 7), "sign": (np.sign, -3, 3), "floor": (np.floor, -5, 5),
    "ceil": (np.ceil, -5, 5), "trunc": (np.trunc, -5, 5), "round": (np.round, -5, 5),
    "frac": (lambda x: x - np.trunc(x), -5, 5),
}
PREDICATES = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "signbit": np.signbit}
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e-30], np.float32)


def rand(shape, dtype, lo, hi, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [7, 40000])  # below and above the threaded/oneDNN threshold
def test_unary_vs_numpy(name, dtype, n):
    ref, lo, hi = UNARY[name]
    x = rand((n,), dtype, lo, hi)
    rtol = 2e-6 if dtype == "float32" else 1e-12
    for got in (getattr(ember, name)(ember.from_numpy(x)), getattr(ember.from_numpy(x), name)()):
        assert str(got.dtype) == f"ember.{dtype}"
        np.testing.assert_allclose(got.numpy(), ref(x), rtol=rtol, atol=1e-30)


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(PREDICATES) + ["erf", "erfc"])
def test_special_values_vs_torch(name):
    got = getattr(ember, name)(ember.from_numpy(SPECIAL)).numpy()
    want = getattr(torch, name)(torch.from_numpy(SPECIAL)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)
    if name in ("round", "floor", "ceil", "trunc", "sign", "frac"):  # the sign of zero is kept, as torch
        np.testing.assert_array_equal(np.signbit(got[np.isfinite(got)]), np.signbit(want[np.isfinite(want)]))


def test_round_halves_to_even():
    x = ember.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 3.49999])
    assert ember.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 3.0]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8", "bool"])
@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "trunc", "round", "square", "frac", "reciprocal", "erf",
                                  "tan", "isnan", "isinf", "isfinite", "signbit"])
def test_integer_dtypes_as_torch(name, dtype):
    a = np.array([-3, -1, 0, 1, 2, 5], np.int64)
    if dtype == "uint8":
        a = np.abs(a)
    a = a.astype(dtype)
    tt = torch.from_numpy(a)
    if (name, dtype) == ("square", "bool"):  # torch gives int64; ember asks for the conversion
        with pytest.raises(TypeError, match=r"\[square\] not supported for bool tensors; convert it first"):
            ember.square(ember.from_numpy(a))
        return
    try:
        want = getattr(torch, name)(tt)
    except (RuntimeError, TypeError):
        with pytest.raises((TypeError, RuntimeError), match=rf"\[{name}\]"):
            getattr(ember, name)(ember.from_numpy(a))
        return
    got = getattr(ember, name)(ember.from_numpy(a))
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=1e-6)


def test_erf_family_vs_torch():
    x = rand((1000,), "float64", -4, 4)
    for name in ("erf", "erfc"):
        np.testing.assert_allclose(getattr(ember, name)(ember.from_numpy(x)).numpy(),
                                   getattr(torch, name)(torch.from_numpy(x)).numpy(), rtol=1e-13, atol=1e-300)


BINARY = ["atan2", "hypot", "logaddexp", "xlogy", "copysign", "fmod", "remainder", "floor_divide"]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_vs_torch(name, dtype):
    a = rand((4, 5), dtype, -6, 6, seed=1)
    b = rand((5,), dtype, -3, 3, seed=2)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -2.0], dtype)
    aa, bb = np.meshgrid(special, special)  # every pair of special values
    for x, y in ((a, b), (aa, bb)):
        want = getattr(torch, name)(torch.from_numpy(x), torch.from_numpy(y)).numpy()
        got = getattr(ember, name)(ember.from_numpy(x), ember.from_numpy(y))
        assert str(got.dtype) == f"ember.{dtype}"
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-12, equal_nan=True)
        # scalars on either side
        want = getattr(torch, name)(torch.from_numpy(x), torch.tensor(1.5, dtype=torch.from_numpy(x).dtype)).numpy()
        np.testing.assert_allclose(getattr(ember, name)(ember.from_numpy(x), 1.5).numpy(), want, rtol=1e-6,
                                   equal_nan=True)


@pytest.mark.parametrize("name", ["fmod", "remainder", "floor_divide"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_integer_division_as_torch(name, dtype):
    info = np.iinfo(dtype)
    a = np.array([7, -7, 7, -7, 0, info.min, info.min, info.max], np.int64)
    b = np.array([2, 2, -2, -2, 3, -1, 7, -1], np.int64)
    if dtype == "uint8":
        a, b = np.abs(a) % 256, np.abs(b)
    a, b = a.astype(dtype), b.astype(dtype)
    want = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    got = getattr(ember, name)(ember.from_numpy(a), ember.from_numpy(b))
    assert str(got.dtype) == f"ember.{dtype}"
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("name", ["fmod", "remainder", "floor_divide"])
def test_integer_division_by_zero_raises(name):
    a, z = ember.tensor([4, 5, 6]), ember.tensor([1, 0, 2])
    with pytest.raises(ValueError,
                       match=rf"\[{name}\] integer division by zero \(the divisor of shape \(3,\) holds a 0\)"):
        getattr(ember, name)(a, z)
    with pytest.raises(ValueError, match="integer division by zero"):
        getattr(ember, name)(a, 0)
    with pytest.raises(ValueError, match="integer division by zero"):
        getattr(ember, name)(3, z)
    # floats divide by zero as IEEE does
    f = getattr(ember, name)(ember.tensor([1.0, -1.0]), 0.0).numpy()
    np.testing.assert_array_equal(f, getattr(torch, name)(torch.tensor([1.0, -1.0]), 0.0).numpy())


def test_python_operators_mod_and_floordiv():
    a = ember.tensor([7.5, -7.5, 3.0])
    b = ember.tensor([2.0, 2.0, -2.0])
    ta, tb = torch.tensor([7.5, -7.5, 3.0]), torch.tensor([2.0, 2.0, -2.0])
    assert (a % b).tolist() == (ta % tb).tolist()
    assert (a // b).tolist() == (ta // tb).tolist()
    assert (5 % b).tolist() == (5 % tb).tolist()
    assert (5 // b).tolist() == (5 // tb).tolist()
    assert (ember.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (ember.tensor([7, -7]) % 3).tolist() == [1, 2]


@pytest.mark.parametrize("name", sorted(UNARY) + ["erf", "erfc"])
def test_unary_gradients_vs_torch(name):
    _, lo, hi = UNARY.get(name, (None, -3, 3))
    x, g = rand((50,), "float64", lo, hi, seed=3), rand((50,), "float64", -1, 1, seed=4)
    xe = ember.from_numpy(x).requires_grad_()
    getattr(ember, name)(xe).backward(ember.from_numpy(g))
    xt = torch.from_numpy(x).requires_grad_()
    getattr(torch, name)(xt).backward(torch.from_numpy(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [b for b in BINARY if b != "floor_divide"])  # torch has no floor_divide gradient
def test_binary_gradients_vs_torch(name):
    a = rand((4, 5), "float64", 0.5, 3, seed=5) * np.where(np.arange(20).reshape(4, 5) % 3 == 0, -1, 1)
    b = rand((5,), "float64", 0.5, 2, seed=6)
    g = rand((4, 5), "float64", -1, 1, seed=7)
    ae, be = ember.from_numpy(a).requires_grad_(), ember.from_numpy(b).requires_grad_()
    getattr(ember, name)(ae, be).backward(ember.from_numpy(g))
    at, bt = torch.from_numpy(a).requires_grad_(), torch.from_numpy(b).requires_grad_()
    getattr(torch, name)(at, bt).backward(torch.from_numpy(g))
    np.testing.assert_allclose(ae.grad.numpy(), at.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(be.grad.numpy(), bt.grad.numpy(), rtol=1e-10, atol=1e-12)


INPLACE = ["abs", "neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "floor", "round", "square", "sin",
           "reciprocal", "erf", "sign", "trunc", "clamp"]


@pytest.mark.parametrize("name", [n for n in INPLACE if n != "clamp"])
def test_inplace_unary(name):
    x = rand((3, 4), "float32", 0.2, 3, seed=8)
    t = ember.from_numpy(x.copy())
    view = t[1]
    out = getattr(t, name + "_")()
    assert out is t  # the same Python object, as torch
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(t.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(view.numpy(), want[1], rtol=1e-6)  # written through the storage
    u = ember.from_numpy(x.copy())
    assert getattr(ember, name + "_")(u) is u
    np.testing.assert_allclose(u.numpy(), want, rtol=1e-6)


def test_inplace_unary_on_a_strided_view_and_int():
    t = ember.arange(12).reshape(3, 4).float()
    t.T[1:].neg_()
    assert t.tolist() == [[0.0, -1.0, -2.0, -3.0], [4.0, -5.0, -6.0, -7.0], [8.0, -9.0, -10.0, -11.0]]
    i = ember.tensor([-3, 4])
    i.abs_()
    assert i.tolist() == [3, 4]
    i.square_()
    assert i.tolist() == [9, 16]
    with pytest.raises(TypeError, match=r"\[exp_\] result type float32 can't be cast to the desired output type "
                                        r"int64"):
        i.exp_()
    assert i.tolist() == [9, 16]  # untouched


def test_inplace_unary_autograd():
    x = ember.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 2
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.array([0.5, -1.0, 2.0])), rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"\[sigmoid_\] a leaf tensor that requires grad"):
        x.sigmoid_()
    w = x * 1
    e = w.exp()  # exp saves its output e for its backward
    e.neg_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


def test_inplace_unary_bfloat16():
    x = ember.tensor([0.5, -1.0, 2.0]).bfloat16()
    assert x.exp_() is x
    assert x.dtype == ember.bfloat16
    np.testing.assert_allclose(x.float().numpy(), np.exp([0.5, -1.0, 2.0]), rtol=2 ** -7)


def test_aliases():
    x = ember.tensor([0.25, -0.5])
    assert ember.arcsin(x).tolist() == ember.asin(x).tolist()
    assert x.arctanh().tolist() == x.atanh().tolist()
    assert ember.sgn(x).tolist() == [1.0, -1.0]
    assert ember.fix(ember.tensor([-1.5])).tolist() == [-1.0]
    assert ember.absolute(x).tolist() == [0.25, 0.5]
    assert ember.arctan2(x, x).tolist() == ember.atan2(x, x).tolist()


def test_errors_name_the_op():
    with pytest.raises(TypeError, match=r"\[floor\] not supported for bool"):
        ember.floor(ember.tensor([True]))
    with pytest.raises(TypeError, match=r"\[frac\] expected a floating point input, got dtype int64 \(shape \(2,\)\)"):
        ember.frac(ember.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"\[atan2\] shapes \(3,\) and \(2,\) cannot be broadcast"):
        ember.atan2(ember.zeros(3), ember.zeros(2))
