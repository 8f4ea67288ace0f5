"""The autograd API: leaves and .grad, backward and accumulation, retain_graph and retain_grad, detach,
grad modes, autograd.grad/backward and gradcheck. The error cases, the version counter and the memory
test are in test_autograd_errors.py; the gradient of each op in test_autograd_ops.py."""
from __future__ import annotations

import re

import numpy as np
import pytest

import ember

from _autograd_helpers import F32, F64, arr, leaf, raises


# --- leaves, requires_grad, grad_fn ---


def test_defaults():
    x = ember.ones(3, dtype=F64)
    assert x.requires_grad is False and x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2.0
    assert y.requires_grad is False and y.grad_fn is None and y.is_leaf  # no grad needed, so no graph


CREATORS = [
    ("tensor", lambda **k: ember.tensor([1.0, 2.0], dtype=F64, **k)),
    ("zeros", lambda **k: ember.zeros(2, 3, dtype=F64, **k)),
    ("ones", lambda **k: ember.ones((2,), dtype=F64, **k)),
    ("full", lambda **k: ember.full((2, 2), 1.5, dtype=F64, **k)),
    ("empty", lambda **k: ember.empty(3, dtype=F64, **k)),
    ("rand", lambda **k: ember.rand(2, dtype=F64, **k)),
    ("randn", lambda **k: ember.randn(2, 2, dtype=F64, **k)),
    ("arange", lambda **k: ember.arange(0.0, 3.0, dtype=F64, **k)),
    ("linspace", lambda **k: ember.linspace(0.0, 1.0, 5, dtype=F64, **k)),
    ("eye", lambda **k: ember.eye(3, dtype=F64, **k)),
    ("zeros_like", lambda **k: ember.zeros_like(ember.ones(2, dtype=F64), **k)),
    ("ones_like", lambda **k: ember.ones_like(ember.ones(2, 2), **k)),
    ("full_like", lambda **k: ember.full_like(ember.ones(2, dtype=F64), 3.0, **k)),
    ("empty_like", lambda **k: ember.empty_like(ember.ones(2, dtype=F32), **k)),
]


@pytest.mark.parametrize("name,make", CREATORS, ids=[c[0] for c in CREATORS])
def test_creation_requires_grad(name, make):
    assert make().requires_grad is False
    t = make(requires_grad=True)
    assert t.requires_grad is True and t.is_leaf and t.grad is None and t.grad_fn is None
    (t * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full(tuple(t.shape), 2.0))


def test_requires_grad_setter_and_requires_grad_():
    x = ember.ones(3, dtype=F64)
    x.requires_grad = True
    assert x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    assert x.requires_grad_().requires_grad and x.requires_grad
    assert not x.requires_grad_(False).requires_grad and not x.requires_grad
    assert x.requires_grad_(requires_grad=True).requires_grad
    assert x.is_leaf


def test_requires_grad_returns_the_same_tensor():
    x = ember.ones(2, dtype=F64)
    r = x.requires_grad_()
    assert r.data_ptr() == x.data_ptr() and r.requires_grad and x.requires_grad
    (r * 3.0).sum().backward()  # the gradient lands on x: r is x (maybe another Python wrapper of it)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    r.grad = None
    assert x.grad is None


@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.bool, ember.uint8])
def test_requires_grad_on_non_float_is_type_error(dtype):
    t = ember.zeros(3, dtype=dtype)
    with pytest.raises(TypeError):
        t.requires_grad = True
    with pytest.raises(TypeError):
        t.requires_grad_()
    assert not t.requires_grad
    t.requires_grad = False  # turning it off is always fine
    t.requires_grad_(False)


def test_setting_requires_grad_on_non_leaf_is_refused():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError):
        y.requires_grad = False
    assert y.requires_grad


def test_grad_fn_names_the_op_and_links_to_inputs():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    z = y.exp()
    assert not y.is_leaf and not z.is_leaf
    assert y.grad_fn.name().startswith("MulBackward")
    assert z.grad_fn.name().startswith("ExpBackward")
    nodes = [f[0] if isinstance(f, tuple) else f for f in z.grad_fn.next_functions]
    names = [nd.name() for nd in nodes if nd is not None]
    assert any(nm.startswith("MulBackward") for nm in names), names


def test_requires_grad_propagates_through_mixed_operands():
    x = leaf([1.0, 2.0, 3.0])
    c = ember.tensor([4.0, 5.0, 6.0], dtype=F64)
    i = ember.tensor([1, 2, 3])  # int64: promoted, never differentiated
    y = (x * c + i).sum()
    assert y.requires_grad
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 5.0, 6.0])
    assert c.grad is None and i.grad is None


def test_non_differentiable_outputs_do_not_require_grad():
    x = leaf([[1.0, -2.0], [3.0, 0.5]])
    for out in [x > 0, x == x, x.argmax(), x.argmin(1), (x > 0).all(), (x > 0).any(), ember.logical_not(x)]:
        assert out.requires_grad is False and out.grad_fn is None


# --- backward, accumulation, .grad ---


def test_backward_scalar_and_grad_values():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])
    assert x.grad.dtype == F64 and tuple(x.grad.shape) == (3,)
    assert not x.grad.requires_grad


def test_grad_is_none_until_backward():
    x = leaf([1.0, 2.0])
    y = (x * 2.0).sum()
    assert x.grad is None
    y.backward()
    assert x.grad is not None


def test_backward_with_gradient_on_non_scalar():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * ember.tensor([10.0, 100.0], dtype=F64)
    y.backward(ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64))
    np.testing.assert_array_equal(x.grad.numpy(), [[10.0, 200.0], [30.0, 400.0]])


def test_backward_gradient_keyword_and_0d():
    x = leaf(2.0)
    (x * x * x).backward(gradient=ember.tensor(0.5, dtype=F64))
    assert x.grad.item() == pytest.approx(6.0)


def test_accumulates_across_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])


def test_leaf_used_several_times_in_one_graph_accumulates():
    x = leaf([1.0, 2.0])
    a = x * 2.0
    y = (a * x + a.exp() + x).sum()  # a diamond through a, plus x three times
    y.backward()
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 4 * xv + 2 * np.exp(2 * xv) + 1, rtol=1e-12)


def test_large_float32_gradients_sum_across_uses_and_backward_calls():
    # Sizes past the threaded loop's threshold; a broadcast (non-contiguous) gradient; .grad updated in place.
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((1, 200_003)).astype(np.float32)
    wv = rng.standard_normal((3, 200_003)).astype(np.float32)
    x = ember.tensor(xv, requires_grad=True)
    w = ember.tensor(wv)
    (x.expand(3, 200_003) * w + x * x).sum().backward()  # x reaches the graph twice: its gradients are summed
    first = x.grad
    version = first._version
    (x * 2.0).sum().backward()
    assert first._version > version  # accumulated into the same tensor, as torch does
    np.testing.assert_array_equal(first.numpy(), x.grad.numpy())
    expected = wv.sum(0, keepdims=True) + 3 * 2 * xv + 2  # each of x * x's 3 rows adds 2x
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_grad_can_be_set_and_reset():
    x = leaf([1.0, 2.0])
    x.grad = ember.tensor([10.0, 20.0], dtype=F64)
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 20.0])
    (x * 2.0).sum().backward()  # accumulates onto the assigned gradient
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 22.0])
    x.grad = None
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])
    with raises(RuntimeError, "retain_graph"):
        y.backward()


def test_second_backward_through_freed_graph_is_refused():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with raises(RuntimeError, "retain_graph"):
        y.backward()


def test_non_leaf_grad_is_none_without_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    z = (y * y).sum()
    z.backward()
    assert y.grad is None
    assert not y.retains_grad


def test_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 8.0])  # dz/dy = 2y
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 16.0])
    z.backward()
    np.testing.assert_array_equal(y.grad.numpy(), [8.0, 16.0])  # retained grads accumulate too


def test_float32_leaf_gets_float32_grad():
    x = leaf([1.0, 2.0], dtype=F32)
    (x * x).sum().backward()
    assert x.grad.dtype == F32
    np.testing.assert_array_equal(x.grad.numpy(), np.array([2.0, 4.0], np.float32))


def test_noncontiguous_leaf_view():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    x = ember.from_numpy(a).T.requires_grad_()  # a leaf that is a transposed view
    assert x.is_leaf and not x.is_contiguous()
    (x * ember.from_numpy(np.arange(12.0).reshape(4, 3))).sum().backward()
    assert tuple(x.grad.shape) == (4, 3)
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(12.0).reshape(4, 3))


# --- detach ---


def test_detach_shares_memory_and_cuts_the_graph():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.data_ptr() == y.data_ptr()
    dx = x.detach()
    assert dx.data_ptr() == x.data_ptr() and not dx.requires_grad
    with ember.no_grad():
        x[0] = 7.0
    assert dx[0].item() == 7.0  # the same memory
    (d * x).sum().backward()  # gradient flows only through x
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_detach_then_requires_grad_is_a_new_leaf():
    x = leaf([1.0, 2.0])
    y = (x * 3.0).detach().requires_grad_()
    assert y.is_leaf and y.requires_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 12.0])
    assert x.grad is None


# --- grad modes ---


def test_no_grad_context():
    x = leaf([1.0, 2.0])
    assert ember.is_grad_enabled()
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2.0
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(KeyError):
        with ember.no_grad():
            raise KeyError("x")
    assert ember.is_grad_enabled()


def test_no_grad_decorator():
    x = leaf([1.0, 2.0])

    @ember.no_grad()
    def f(t, k=3.0):
        assert not ember.is_grad_enabled()
        return t * k

    y = f(x, k=2.0)
    assert ember.is_grad_enabled()
    assert not y.requires_grad
    np.testing.assert_array_equal(arr(y), [2.0, 4.0])


def test_no_grad_bare_decorator():
    @ember.no_grad
    def f(t):
        return t * 2.0

    y = f(leaf([1.0]))
    assert not y.requires_grad and ember.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf([1.0, 2.0])
    with ember.no_grad():
        with ember.enable_grad():
            assert ember.is_grad_enabled()
            y = x * 2.0
        assert not ember.is_grad_enabled()
        z = x * 2.0
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_enable_grad_decorator_inside_no_grad():
    x = leaf([1.0, 2.0])

    @ember.enable_grad()
    def f(t):
        return t * t

    with ember.no_grad():
        y = f(x)
        assert not ember.is_grad_enabled()
    assert y.requires_grad


def test_nested_no_grad():
    with ember.no_grad():
        with ember.no_grad():
            assert not ember.is_grad_enabled()
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    x = leaf([1.0])
    try:
        ember.set_grad_enabled(False)
        assert not ember.is_grad_enabled()
        assert not (x * 2.0).requires_grad
        ember.set_grad_enabled(True)
        assert ember.is_grad_enabled()
        assert (x * 2.0).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
        with ember.set_grad_enabled(True):
            assert ember.is_grad_enabled()
            assert (x * 2.0).requires_grad
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()


# --- autograd.grad and autograd.backward ---


def test_autograd_grad_returns_tuple_and_leaves_grad_alone():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = ember.autograd.grad(y, [x, w])
    np.testing.assert_array_equal(arr(gx), [3.0, 4.0])
    np.testing.assert_array_equal(arr(gw), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    res = ember.autograd.grad((x * x).sum(), x)
    assert isinstance(res, tuple) and len(res) == 1
    np.testing.assert_array_equal(arr(res[0]), [2.0, 4.0])


def test_autograd_grad_outputs_and_intermediates():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    z = y * y
    (gy,) = ember.autograd.grad(z, [y], grad_outputs=[ember.tensor([1.0, 0.5], dtype=F64)])
    np.testing.assert_array_equal(arr(gy), [4.0, 4.0])  # 2y * g
    assert y.grad is None and x.grad is None


def test_autograd_grad_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g1,) = ember.autograd.grad(y, [x], retain_graph=True)
    (g2,) = ember.autograd.grad(y, [x])
    np.testing.assert_array_equal(arr(g1), arr(g2))
    with raises(RuntimeError, "retain_graph"):
        ember.autograd.grad(y, [x])


def test_autograd_grad_allow_unused():
    x = leaf([1.0, 2.0])
    u = leaf([5.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        ember.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = ember.autograd.grad(y, [x, u], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(arr(gx), [2.0, 4.0])


def test_autograd_backward_several_outputs():
    x = leaf([1.0, 2.0])
    a = x * 2.0
    b = (x * x).sum()
    ember.autograd.backward([a, b], [ember.tensor([1.0, 10.0], dtype=F64), ember.tensor(1.0, dtype=F64)])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 2.0, 20.0 + 4.0])


def test_autograd_backward_scalar_and_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * 3.0).sum()
    ember.autograd.backward(y, retain_graph=True)
    ember.autograd.backward([y])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


# --- gradcheck ---


def test_gradcheck_passes_correct_functions():
    rng = np.random.default_rng(1)
    a = ember.from_numpy(rng.standard_normal((2, 3))).requires_grad_()
    b = ember.from_numpy(rng.standard_normal((3,))).requires_grad_()
    assert ember.autograd.gradcheck(lambda a, b: (a * b).exp(), (a, b)) is True
    assert ember.autograd.gradcheck(lambda a, b: (a @ b, a.sum()), (a, b)) is True  # a tuple of outputs


def test_gradcheck_error_names_output_input_position_and_values():
    assert issubclass(ember.autograd.GradcheckError, RuntimeError)
    a = ember.tensor([0.3, -0.7], dtype=F64, requires_grad=True)
    b = ember.tensor([[0.5, 1.0], [-3.0, 0.25]], dtype=F64, requires_grad=True)

    def wrong(a, b):
        # Right in a; in b, x.detach() * x has half the true gradient 2 * b.
        return a.sum() * 2.0, a.sum() + b.detach() * b

    with pytest.raises(ember.autograd.GradcheckError) as info:
        ember.autograd.gradcheck(wrong, (a, b))
    msg = str(info.value)
    assert re.search(r"output\D{0,12}1", msg, re.IGNORECASE), msg
    assert re.search(r"input\D{0,12}1", msg, re.IGNORECASE), msg
    # The worst element: b[1, 0] = -3, numerical -6, analytical -3: position (1, 0) in b, element 2 of b
    # flattened, or entry (2, 2) of the Jacobian.
    assert re.search(r"[(\[]\s*1\s*,\s*0\s*[)\]]|[(\[]\s*2\s*,\s*2\s*[)\]]"
                     r"|(?:index|element|position|entry)\D{0,8}\b2\b", msg, re.IGNORECASE), msg
    assert re.search("numerical", msg, re.IGNORECASE) and re.search("analytical", msg, re.IGNORECASE), msg
    numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?", msg)]
    assert any(abs(v + 6.0) < 1e-4 for v in numbers), msg
    assert any(abs(v + 3.0) < 1e-4 for v in numbers), msg
    assert ember.autograd.gradcheck(wrong, (a, b), raise_exception=False) is False


def test_gradcheck_catches_small_wrong_gradient_and_respects_tolerances():
    x = ember.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=True)

    def off_by_1_percent(x):
        return x.detach() * 0.01 * x + x * 0.995  # true grad 0.02x + 0.995, analytical 0.01x + 0.995

    assert ember.autograd.gradcheck(off_by_1_percent, (x,), raise_exception=False) is False
    assert ember.autograd.gradcheck(off_by_1_percent, (x,), atol=0.1, raise_exception=False) is True


def test_gradcheck_jacobian_matches_numpy_finite_differences():
    """An oracle for gradcheck itself: the analytical Jacobian of a small function, row by row through
    autograd.grad, against central differences computed in NumPy."""
    a0 = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])

    def f_np(a):
        return np.tanh(a) @ a.T

    def f(x):
        return x.tanh() @ x.T

    x = ember.from_numpy(a0.copy()).requires_grad_()
    y = f(x)
    jac = np.zeros((4, 6))
    for k in range(4):
        g = np.zeros(4)
        g[k] = 1.0
        (gx,) = ember.autograd.grad(y, [x], grad_outputs=[ember.from_numpy(g.reshape(2, 2))], retain_graph=True)
        jac[k] = arr(gx).ravel()
    num = np.zeros((4, 6))
    for j in range(6):
        e = np.zeros(6)
        e[j] = 1e-6
        num[:, j] = (f_np(a0 + e.reshape(2, 3)) - f_np(a0 - e.reshape(2, 3))).ravel() / 2e-6
    np.testing.assert_allclose(jac, num, rtol=1e-6, atol=1e-8)
    assert ember.autograd.gradcheck(f, (x,)) is True


# --- custom functions: ember.autograd.Function ---

class _Exp(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class _GradReverse(ember.autograd.Function):  # the domain-adaptation layer: identity forward, -scale * grad back
    @staticmethod
    def forward(x, scale):
        return x.view_as(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.scale = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None


class _MulAdd(ember.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        return a * b + c

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False, True)
        return grad * b, None, grad


def test_custom_function_gradients_match_finite_differences_and_the_graph():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: _Exp.apply(t) * 2, (x,))
    y = _Exp.apply(x)
    assert repr(y.grad_fn) == "<ExpBackward>" and y.requires_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()), rtol=1e-12)
    a, c = ember.randn(2, 3, requires_grad=True), ember.randn(2, 3, requires_grad=True)
    b = ember.randn(2, 3)
    _MulAdd.apply(a, b, c).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.numpy())
    assert c.grad.tolist() == [[1.0] * 3] * 2 and b.grad is None
    with ember.no_grad():
        assert not _Exp.apply(x).requires_grad


def test_custom_function_matches_torch():
    torch = pytest.importorskip("torch")

    class TGradReverse(torch.autograd.Function):
        @staticmethod
        def forward(x, scale):
            return x.view_as(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return -ctx.scale * grad, None

    w0 = np.random.default_rng(0).standard_normal((4, 3))
    xe, xt = ember.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    (_GradReverse.apply(xe, 0.5).tanh() * ember.tensor(w0)).sum().backward()
    (TGradReverse.apply(xt, 0.5).tanh() * torch.tensor(w0)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert xe.grad_fn is None  # forward returned a view of x: the node went on a new tensor, not on x


def test_custom_function_errors_name_the_problem():
    x = ember.randn(3, requires_grad=True)

    class WrongCount(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    class WrongShape(WrongCount):
        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    class NotATensor(WrongCount):
        @staticmethod
        def forward(ctx, x):
            return 3.0

    with pytest.raises(RuntimeError, match=r"\[WrongCount\] backward returned 2 gradients, but forward took 1"):
        WrongCount.apply(x).sum().backward()
    with pytest.raises(ValueError, match=r"invalid gradient at index 0: got shape \(\) but the input has shape \(3,\)"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(TypeError, match=r"\[NotATensor\] forward must return a Tensor or a tuple, got float"):
        NotATensor.apply(x)
    y = _Exp.apply(x * 1.0)
    z = x * 1.0
    saved = _MulAdd.apply(z, ember.ones(3), x)
    z.add_(1.0)
    with pytest.raises(RuntimeError, match="saved tensor 0 .* modified by an in-place operation"):
        saved.sum().backward()
    y.sum().backward()  # the other graph is unaffected


class _SortWithIndices(ember.autograd.Function):  # two outputs, one of them integer (not differentiable)
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, grad_values, grad_idx):
        (idx,) = ctx.saved_tensors
        return ember.zeros_like(grad_values).scatter(-1, idx, grad_values)


class _SinCos(ember.autograd.Function):  # two float outputs of different dtypes
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos().float()

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        (x,) = ctx.saved_tensors
        return g_sin * x.cos() - g_cos.double() * x.sin()


def test_custom_function_with_several_outputs():
    x = ember.randn(2, 5, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: _SortWithIndices.apply(t)[0] * 2, (x,))
    values, idx = _SortWithIndices.apply(x)
    assert values.requires_grad and not idx.requires_grad and idx.dtype == ember.int64
    np.testing.assert_array_equal(values.detach().numpy(), np.sort(x.detach().numpy(), axis=-1))
    s, c = _SinCos.apply(x)
    assert s.dtype == ember.float64 and c.dtype == ember.float32
    np.testing.assert_allclose(c.detach().numpy(), np.cos(x.detach().numpy()), rtol=1e-6)
    assert ember.autograd.gradcheck(lambda t: _SinCos.apply(t)[0] * 3, (x,))  # the unused output gets zeros
    (s.sum() + c.double().sum()).backward()
    xn = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(xn) - np.sin(xn), rtol=1e-6)


def test_custom_function_with_several_outputs_matches_torch():
    torch = pytest.importorskip("torch")

    class TSinCos(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, g_sin, g_cos):
            (x,) = ctx.saved_tensors
            return g_sin * x.cos() - g_cos * x.sin()

    class ESinCos(ember.autograd.Function):
        forward, backward = TSinCos.forward, TSinCos.backward

    x0 = np.random.default_rng(5).standard_normal((3, 2))
    xe, xt = ember.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    for lib, x, fn in ((ember, xe, ESinCos), (torch, xt, TSinCos)):
        a, b = fn.apply(x)
        (a * b.exp()).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
