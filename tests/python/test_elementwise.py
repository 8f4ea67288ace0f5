import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
ALL = ["bool", "uint8", "int32", "int64", "float32", "float64"]


def rand(shape, dtype="float32", lo=-3, hi=3):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype in ("uint8", "int32", "int64"):
        return RNG.integers(max(lo, 0) if dtype == "uint8" else lo, hi + 1, size=shape).astype(dtype)
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def E(a):
    return ember.from_numpy(np.array(a, order="C"))  # ascontiguousarray would make 0-d 1-d


def N(t):
    return np.asarray(t.numpy())


def check(t, expected, rtol=1e-5, atol=1e-6):
    expected = np.asarray(expected)
    assert t.dtype == getattr(ember, str(expected.dtype)), (t.dtype, expected.dtype)
    assert tuple(t.shape) == expected.shape
    np.testing.assert_allclose(N(t), expected, rtol=rtol, atol=atol)


FLOAT_UNARY = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
}


@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
@pytest.mark.parametrize("dtype", ALL)
def test_float_unary_vs_numpy(name, dtype):
    x = rand((3, 4), dtype, lo=1, hi=4)
    out_dtype = "float64" if dtype == "float64" else "float32"
    expected = FLOAT_UNARY[name](x.astype(out_dtype)).astype(out_dtype)
    check(getattr(ember, name)(E(x)), expected)
    check(getattr(E(x), name)(), expected)


@pytest.mark.parametrize("name", ["sigmoid", "silu", "gelu", "relu", "tanh"])
@pytest.mark.parametrize("n", [7, 40000])  # below and above the oneDNN threshold
def test_activations_vs_torch(name, n):
    x = rand((n,), "float32", -6, 6)
    ref = {"sigmoid": torch.sigmoid, "silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu,
           "relu": torch.relu, "tanh": torch.tanh}[name]
    check(getattr(ember, name)(E(x)), ref(torch.from_numpy(x)).numpy(), atol=1e-5)
    if name == "gelu":
        ref = torch.nn.functional.gelu(torch.from_numpy(x), approximate="tanh").numpy()
        check(ember.gelu(E(x), approximate="tanh"), ref, atol=1e-5)


UNARY_GRADS = {"neg": (torch.neg, -3, 3), "abs": (torch.abs, -3, 3), "relu": (torch.relu, -3, 3),
               "exp": (torch.exp, -3, 3), "log": (torch.log, 0.1, 4), "sqrt": (torch.sqrt, 0.1, 4),
               "tanh": (torch.tanh, -4, 4), "sigmoid": (torch.sigmoid, -6, 6),
               "silu": (torch.nn.functional.silu, -6, 6), "gelu": (torch.nn.functional.gelu, -6, 6)}


@pytest.mark.parametrize("name", sorted(UNARY_GRADS))
@pytest.mark.parametrize("n", [7, 40000])  # the loop, and oneDNN's eltwise backward
def test_unary_gradients_vs_torch(name, n):
    fn, lo, hi = UNARY_GRADS[name]
    x, g = rand((n,), "float32", lo, hi), rand((n,), "float32")
    xe = E(x).requires_grad_()
    getattr(ember, name)(xe).backward(E(g))
    xt = torch.from_numpy(x).requires_grad_()
    fn(xt).backward(torch.from_numpy(g))
    check(xe.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    if name == "relu":  # a NaN or inf gradient stops where the unit is off, as in PyTorch
        bad = np.where(np.arange(n) % 2 == 0, np.nan, np.inf).astype(np.float32)
        off = ember.from_numpy(-np.abs(x) - 1).requires_grad_()
        ember.relu(off).backward(E(bad))
        assert np.all(N(off.grad) == 0)
    if name == "gelu":
        xe.grad = None
        ember.gelu(xe, approximate="tanh").backward(E(g))
        xt.grad = None
        torch.nn.functional.gelu(xt, approximate="tanh").backward(torch.from_numpy(g))
        check(xe.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float32", "float64"])
def test_neg_abs_relu_keep_dtype(dtype):
    x = rand((2, 5), dtype)
    check(-E(x), -x)
    check(abs(E(x)), np.abs(x))
    check(ember.relu(E(x)), np.maximum(x, 0).astype(dtype))


def test_bool_unary_errors():
    b = E(np.array([True, False]))
    with pytest.raises(TypeError, match=r"\[neg\].*bool"):
        -b
    with pytest.raises(TypeError, match=r"\[abs\]"):
        ember.abs(b)
    check(~b, np.array([False, True]))
    with pytest.raises(TypeError, match="bool"):
        ~E(np.array([1, 2]))


def test_unary_noncontiguous_0d_empty():
    x = rand((4, 6))
    check(ember.exp(E(x).T), np.exp(x.T))
    check(ember.exp(E(x).T.narrow(0, 1, 3)), np.exp(x.T[1:4]))
    check(ember.sqrt(E(np.array(4.0, np.float32))), np.float32(2.0).reshape(()))
    check(ember.sin(E(np.zeros((0, 3), np.float32))), np.zeros((0, 3), np.float32))


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum, "minimum": np.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float32", "float64"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)), ((0, 4), (4,))])
def test_binary_broadcast_vs_numpy(name, dtype, shapes):
    a, b = rand(shapes[0], dtype), rand(shapes[1], dtype)
    check(getattr(ember, name)(E(a), E(b)), BINARY[name](a, b))
    check(getattr(E(a), name)(E(b)), BINARY[name](a, b))


@pytest.mark.parametrize("n", [5, 50000])
def test_operators_float(n):
    a, b = rand((n,)), rand((n,), lo=0.5, hi=2)
    ea, eb = E(a), E(b)
    check(ea + eb, a + b)
    check(ea - eb, a - b)
    check(ea * eb, a * b)
    check(ea / eb, a / b)
    check(ea ** 2, a ** 2)
    check(eb ** ea, b ** a, rtol=1e-5)
    check(2.0 ** ea, np.float32(2.0) ** a, rtol=1e-5)
    check(2 - ea, 2 - a)
    check(3 / eb, 3 / b)
    check(ea * 0.5, a * np.float32(0.5))


def test_noncontiguous_and_broadcast_operands():
    a = rand((4, 5))
    b = rand((5, 4))
    check(E(a) + E(b).T, a + b.T)
    check(E(a).T * E(b), a.T * b)
    check(E(a) - E(a[:, :1]), a - a[:, :1])


@pytest.mark.parametrize("x,y,expected", [
    ("int32", "float64", "float64"), ("uint8", "int32", "int32"), ("bool", "bool", "bool"),
    ("bool", "uint8", "uint8"), ("int64", "float32", "float32"), ("uint8", "uint8", "uint8"),
])
def test_promotion_table_matches_torch(x, y, expected):
    a, b = rand((4,), x), rand((4,), y)
    r = E(a) + E(b)
    assert r.dtype == getattr(ember, expected)
    tr = torch.from_numpy(a) + torch.from_numpy(b)
    assert str(tr.dtype) == "torch." + expected
    np.testing.assert_array_equal(N(r), tr.numpy())


def test_scalar_promotion():
    i = E(np.array([1, 2, 3], np.int32))
    r = i * 2.5
    assert r.dtype == ember.float32
    check(r, np.array([2.5, 5, 7.5], np.float32))
    assert (i * 2).dtype == ember.int32
    assert (i / 2).dtype == ember.float32
    assert (E(np.array([True])) + True).dtype == ember.bool
    assert (E(np.array([True])) + 1).dtype == ember.int64
    assert (E(np.array([1.0])) * 2).dtype == ember.float64
    check(i ** 2, np.array([1, 4, 9], np.int32))
    check(2 ** i, np.array([2, 4, 8], np.int32))
    with pytest.raises(ValueError, match=r"\[pow\].*negative"):
        i ** -1


def test_bool_arithmetic_matches_torch():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    check(E(a) + E(b), (torch.from_numpy(a) + torch.from_numpy(b)).numpy())
    check(E(a) * E(b), (torch.from_numpy(a) * torch.from_numpy(b)).numpy())
    check(E(a) / E(b), (torch.from_numpy(a) / torch.from_numpy(b)).numpy())
    with pytest.raises(TypeError, match=r"\[sub\]"):
        E(a) - E(b)
    check(E(a) & E(b), a & b)
    check(E(a) | E(b), a | b)
    check(E(a) ^ E(b), a ^ b)
    with pytest.raises(TypeError, match="bool"):
        E(np.array([1])) & E(np.array([1]))


COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
           "ge": np.greater_equal}


@pytest.mark.parametrize("name", sorted(COMPARE))
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int32", "float64"), ("uint8", "int64"), ("bool", "bool")])
def test_comparisons(name, dtypes):
    a, b = rand((3, 1), dtypes[0]), rand((4,), dtypes[1])
    check(getattr(ember, name)(E(a), E(b)), COMPARE[name](a, b))
    check(getattr(E(a), name)(1.5), COMPARE[name](a, 1.5))


def test_comparison_operators_and_hash():
    a, b = rand((5,), "int64"), rand((5,), "int64")
    ea, eb = E(a), E(b)
    check(ea == eb, a == b)
    check(ea != eb, a != b)
    check(ea < eb, a < b)
    check(ea <= 1, a <= 1)
    check(ea > 0.5, a > 0.5)
    check(1 >= ea, 1 >= a)
    assert (ea == None) is False  # noqa: E711 - NotImplemented falls back to identity
    assert (ea == "x") is False
    assert hash(ea) == hash(ea) and len({ea, eb}) == 2


def test_operator_slots_errors_subclasses_and_in_place():
    # The operators are type slots of ember.Tensor (past pybind11's dispatcher): same errors, same
    # NotImplemented protocol, and Python subclasses still reach their own overrides.
    a, b = rand((2, 3)), rand((2, 3), lo=0.5, hi=2)
    ea, eb = E(a), E(b)
    with pytest.raises(ValueError, match=r"^\[add\] .*\(2, 3\).*\(4,\)"):
        ea + ember.zeros(4)
    with pytest.raises(TypeError, match="unsupported operand"):
        ea + "x"
    with pytest.raises(TypeError, match="unsupported operand"):
        ea @ 2
    with pytest.raises(TypeError):
        pow(ea, 2, 3)
    check(np.float32(2) * ea, np.float32(2) * a)
    check(np.float64(1) - ea, 1 - a)
    check(ea.T @ eb, a.T @ b, rtol=1e-5)

    p = ember.nn.Parameter(E(a))
    check(p + eb, a + b)
    check(eb * p, b * a)
    check(p @ eb.T, a @ b.T, rtol=1e-5)
    assert (p == p).all().item()

    class Logged(ember.nn.Parameter):
        def __add__(self, other):
            return "Logged.__add__"

        def __rmul__(self, other):
            return "Logged.__rmul__"

    lg = Logged(E(a))
    assert lg + eb == "Logged.__add__"
    assert eb * lg == "Logged.__rmul__"  # a subclass's reflected method goes first
    check(lg - eb, a - b)

    before = ea
    ea += eb
    assert ea is before
    check(ea, a + b)
    ea *= 2
    check(ea, (a + b) * 2)
    i = E(np.array([1, 2, 3], np.int64))
    with pytest.raises(TypeError, match=r"\[div_\]"):
        i /= 2
    i += 1
    check(i, np.array([2, 3, 4], np.int64))


@pytest.mark.parametrize("dtype", ALL)
def test_logical(dtype):
    a, b = rand((2, 3), dtype), rand((3,), dtype)
    check(ember.logical_not(E(a)), np.logical_not(a))
    check(ember.logical_and(E(a), E(b)), np.logical_and(a, b))
    check(ember.logical_or(E(a), E(b)), np.logical_or(a, b))
    check(ember.logical_xor(E(a), E(b)), np.logical_xor(a, b))


def test_clamp():
    x = rand((3, 4))
    check(ember.clamp(E(x), -1, 1), np.clip(x, -1, 1))
    check(E(x).clamp(min=0), np.maximum(x, 0))
    check(E(x).clamp(max=0.5), np.minimum(x, 0.5).astype(np.float32))
    i = E(np.array([1, 2, 3]))
    r = ember.clamp(i, min=1.5)
    assert r.dtype == ember.float32
    check(r, np.array([1.5, 2, 3], np.float32))
    lo, hi = rand((4,), lo=-2, hi=0), rand((3, 1), lo=0, hi=2)
    check(ember.clamp(E(x), E(lo), E(hi)), np.minimum(np.maximum(x, lo), hi))
    with pytest.raises(ValueError, match=r"\[clamp\]"):
        ember.clamp(E(x))


def test_where():
    c = rand((3, 1), "bool")
    a, b = rand((3, 4), "int32"), rand((4,), "float64")
    check(ember.where(E(c), E(a), E(b)), np.where(c, a, b))
    check(ember.where(E(c), E(a), 2.5), np.where(c, a, 2.5).astype(np.float32))
    check(ember.where(E(c), 1.0, 0), np.where(c, 1.0, 0.0).astype(np.float32))
    check(E(a).where(E(c), 0), np.where(c, a, 0))
    with pytest.raises(TypeError, match=r"\[where\].*bool"):
        ember.where(E(a), E(a), E(a))
    with pytest.raises(ValueError, match=r"\[where\]"):
        ember.where(E(c), E(rand((2, 5))), 0.0)


def test_inplace():
    x = rand((2, 3))
    t = E(x.copy())
    t2 = t
    t += E(np.ones(3, np.float32))
    assert t is t2
    t.mul_(2).sub_(1.0)
    t /= 2
    np.testing.assert_allclose(N(t), ((x + 1) * 2 - 1) / 2, rtol=1e-6)
    i = E(np.array([1, 2], np.int64))
    i.add_(E(np.array([1, 1], np.int32)))
    check(i, np.array([2, 3]))
    with pytest.raises(TypeError, match=r"\[div_\].*float32.*int64"):
        i.div_(2)
    with pytest.raises(TypeError, match=r"\[add_\]"):
        i.add_(1.5)
    with pytest.raises(ValueError, match=r"\[add_\].*\(3,\).*\(2, 3\)"):
        E(np.zeros(3, np.float32)).add_(E(np.zeros((2, 3), np.float32)))
    big = rand((50000,))
    tb = E(big.copy())
    tb += E(big)
    np.testing.assert_allclose(N(tb), big * 2)


def test_errors():
    a, b = E(np.zeros((2, 3), np.float32)), E(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"\[add\] shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        a + b
    with pytest.raises(ValueError, match=r"\[mul\] shapes \(2, 3\) and \(4,\)"):
        ember.mul(a, b)
    with pytest.raises(TypeError):
        a + "x"
    with pytest.raises(TypeError, match=r"\[add\]"):
        ember.add(a, "x")
    with pytest.raises(TypeError, match=r"\[add\]"):
        ember.add(1, 2)
    with pytest.raises(ValueError, match=r"\[gelu\]"):
        ember.gelu(a, approximate="fast")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_outputs_match_numpy(dtype):
    # 20M elements: past the streaming-store line on most machines (3/8 of the L3), from an offset view
    # (its output not 16-byte aligned), with NaN and -0.0 among the values.
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1 << 24) + (1 << 22) + 3).astype(dtype)
    b = rng.standard_normal(a.size).astype(dtype)
    a[[5, 1000]] = [np.nan, -0.0]
    ea, eb = ember.from_numpy(a)[1:], ember.from_numpy(b)[1:]
    an, bn = a[1:], b[1:]
    np.testing.assert_array_equal(ember.relu(ea).numpy(), np.where(an > 0, an, 0) + np.where(np.isnan(an), np.nan, 0))
    np.testing.assert_array_equal((-ea).numpy(), -an)
    np.testing.assert_array_equal(ember.abs(ea).numpy(), np.abs(an))
    np.testing.assert_array_equal((ea + eb).numpy(), an + bn)
    np.testing.assert_array_equal((ea * eb).numpy(), an * bn)
    np.testing.assert_array_equal((ea / eb).numpy(), an / bn)
    np.testing.assert_array_equal(ember.maximum(ea, eb).numpy(), np.maximum(an, bn))
    x = ember.from_numpy(a.copy())
    x.mul_(ember.from_numpy(b))
    np.testing.assert_array_equal(x.numpy(), a * b)


# The CPU loops and the CUDA kernels share relu's formula (ops/elementwise_formulas.hpp).
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not ember.cuda.is_available(), reason="no CUDA device"))])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_relu_keeps_nan_and_passes_its_gradient(dtype, device):
    x = ember.tensor([float("nan"), -1.0, 2.0, 0.0], dtype=dtype, device=device, requires_grad=True)
    y = ember.relu(x)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), [np.nan, 0, 2, 0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [1, 0, 1, 0])
