"""Autograd's error cases, the version counter, in-place ops on tensors that require grad, and a memory
test over many training steps (the API itself is in test_autograd.py)."""
from __future__ import annotations

import gc
import os
import re

import numpy as np
import pytest

import ember

from _autograd_helpers import F32, F64, arr, leaf, raises


# --- errors ---


def test_backward_non_scalar_without_gradient():
    y = leaf([1.0, 2.0]) * 2.0
    with raises(RuntimeError, "scalar"):
        y.backward()


def test_backward_on_tensor_not_requiring_grad():
    with raises(RuntimeError, "does not require grad"):
        ember.ones(2, dtype=F64).sum().backward()
    x = leaf([1.0])
    with ember.no_grad():
        y = (x * 2.0).sum()
    with raises(RuntimeError, "does not require grad"):
        y.backward()


def test_backward_gradient_of_wrong_shape():
    y = ember.ones(2, 3, dtype=F64, requires_grad=True) * 2.0
    with raises(ValueError, re.escape("(2, 3)"), re.escape("(3, 2)")):
        y.backward(ember.ones(3, 2, dtype=F64))
    with raises(ValueError, re.escape("(2, 3)"), re.escape("(6,)")):
        ember.autograd.backward([y], [ember.ones(6, dtype=F64)])


def test_backward_gradient_of_wrong_dtype():
    y = ember.ones(2, dtype=F64, requires_grad=True) * 2.0
    with raises(TypeError, "float32|float64"):
        y.backward(ember.ones(2, dtype=F32))


def test_modified_saved_tensor_is_detected():
    w = leaf([1.0, 2.0, 3.0])
    c = ember.tensor([4.0, 5.0, 6.0], dtype=F64)  # saved by mul for w's gradient
    y = (w * c).sum()
    v0 = c._version
    c.mul_(2.0)
    c.add_(1.0)
    assert c._version == v0 + 2
    with raises(RuntimeError, "modified by an inplace operation", "version", str(v0), str(v0 + 2)):
        y.backward()


def test_modified_leaf_under_no_grad_is_detected():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()  # saves x
    with ember.no_grad():
        x.add_(1.0)
    with raises(RuntimeError, "modified by an inplace operation"):
        y.backward()


def test_unsaved_modification_is_fine():
    x = leaf([1.0, 2.0])
    c = ember.tensor([3.0, 4.0], dtype=F64)
    y = (x + c).sum()  # add saves neither operand
    c.mul_(10.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


INPLACE = [
    ("add_", lambda t: t.add_(1.0)),
    ("sub_", lambda t: t.sub_(1.0)),
    ("mul_", lambda t: t.mul_(2.0)),
    ("div_", lambda t: t.div_(2.0)),
    ("copy_", lambda t: t.copy_(ember.zeros(2, 2, dtype=F64))),
    ("fill_", lambda t: t.fill_(3.0)),
    ("zero_", lambda t: t.zero_()),
    ("masked_fill_", lambda t: t.masked_fill_(ember.tensor([True, False]), 9.0)),
    ("index_put_", lambda t: t.index_put_((ember.tensor([0]),), ember.full((1, 2), 2.0, dtype=F64))),
    ("setitem", lambda t: t.__setitem__(0, 5.0)),
    ("setitem-mask", lambda t: t.__setitem__(ember.tensor([[True, False], [False, True]]), 5.0)),
    ("iadd", lambda t: t.__iadd__(1.0)),
    ("imul", lambda t: t.__imul__(2.0)),
    ("isub", lambda t: t.__isub__(1.0)),
    ("itruediv", lambda t: t.__itruediv__(2.0)),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_bumps_version(name, op):
    t = ember.ones(2, 2, dtype=F64)
    v = t._version
    assert isinstance(v, int)
    op(t)
    assert t._version > v


@pytest.mark.parametrize("name,op", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_on_leaf_requiring_grad(name, op):
    t = ember.ones(2, 2, dtype=F64, requires_grad=True)
    with raises(RuntimeError, "leaf"):
        op(t)
    np.testing.assert_array_equal(arr(t), np.ones((2, 2)))  # refused before writing
    with ember.no_grad():
        op(t)  # allowed: e.g. an optimizer step
    assert t.requires_grad and t.is_leaf
    assert not np.array_equal(arr(t), np.ones((2, 2)))


ARITHMETIC = {"add_", "sub_", "mul_", "div_", "iadd", "isub", "imul", "itruediv"}


@pytest.mark.parametrize("name,op", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_on_non_leaf_requiring_grad(name, op):
    x = ember.full((2, 2), 3.0, dtype=F64, requires_grad=True)
    y = x * 2.0
    if name in ARITHMETIC:  # recorded: y's history now ends with the in-place op
        before = arr(y).copy()
        op(y)
        assert not np.array_equal(arr(y), before)
        y.sum().backward()
        scale = {"mul_": 2.0, "imul": 2.0, "div_": 0.5, "itruediv": 0.5}.get(name, 1.0)
        np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 2.0 * scale))
    else:  # the other in-place ops refuse a tensor that requires grad
        with raises(RuntimeError, "in-place"):
            op(y)


def test_inplace_arithmetic_matches_torch(torch):
    a = np.random.default_rng(1).standard_normal((3, 4))
    w_np = np.random.default_rng(2).standard_normal((4,))

    def run(lib, mk):
        x = mk(a)
        w = mk(w_np)
        h = (x * 2.0).sin()  # sin saves its input, not h
        h += x              # a residual
        h *= w              # saves the old h (a copy) for w's gradient
        h -= 1.0
        h /= (w * w + 1.0)
        acc = lib.zeros(3, 4, dtype=lib.float64)
        acc += h * h        # accumulating into a tensor that did not require grad
        acc.sum().backward()
        return x.grad.numpy(), w.grad.numpy()

    ge = run(ember, lambda v: ember.tensor(v, dtype=F64, requires_grad=True))
    gt = run(torch, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    for e, t in zip(ge, gt):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)


def test_inplace_arithmetic_on_views_is_refused():
    x = ember.ones(2, 3, dtype=F64, requires_grad=True)
    y = x * 2.0
    with raises(RuntimeError, "view"):
        y[0].add_(1.0)
    with raises(RuntimeError, "view"):
        y.T.mul_(2.0)
    z = x * 3.0
    v = z.reshape(6)  # z now has a recorded view: changing z would make v's gradient stale
    with raises(RuntimeError, "views"):
        z.add_(1.0)
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))


def test_inplace_arithmetic_after_save_is_caught_at_backward():
    x = ember.tensor([0.5, 1.0], dtype=F64, requires_grad=True)
    y = x * 2.0
    z = y.exp()  # exp saves its output, not y, but y * y below saves y
    s = (y * y).sum() + z.sum()
    y.add_(1.0)
    with raises(RuntimeError, "modified by an inplace operation"):
        s.backward()


def test_inplace_on_view_of_leaf_requiring_grad():
    x = ember.ones(2, 3, dtype=F64, requires_grad=True)
    with pytest.raises(RuntimeError):
        x[0].add_(1.0)
    with pytest.raises(RuntimeError):
        x.T.mul_(2.0)
    np.testing.assert_array_equal(arr(x), np.ones((2, 3)))


def test_inplace_on_tensors_without_grad_is_allowed_in_grad_mode():
    t = ember.ones(2, dtype=F64)
    t.add_(1.0)
    t[0] = 5.0
    np.testing.assert_array_equal(t.numpy(), [5.0, 2.0])


# --- memory: a training loop does not grow the process ---


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_training_loop_memory_is_flat():
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs /proc/self/statm (Linux)")
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal((16, 8)))
    w = ember.from_numpy(rng.standard_normal((8, 32)) * 0.3).requires_grad_()
    b = ember.from_numpy(np.zeros(32)).requires_grad_()
    w2 = ember.from_numpy(rng.standard_normal((32, 4)) * 0.3).requires_grad_()
    labels = ember.tensor(rng.integers(0, 4, 16))
    rows = ember.arange(16)
    params = (w, b, w2)

    def step():
        loss = -((x @ w + b).relu() @ w2).log_softmax(-1)[rows, labels].sum()
        loss.backward()
        with ember.no_grad():
            for p in params:
                p.sub_(p.grad * 1e-3)
                p.grad = None
        probe = (x @ w).sum()  # a graph that is dropped without backward
        del probe
        return loss

    first = step().item()
    for _ in range(200):
        step()
    gc.collect()
    before = rss_bytes()
    for _ in range(10_000):
        last = step()
    gc.collect()
    grown = rss_bytes() - before
    assert grown < 64 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 10,000 steps"
    assert np.isfinite(last.item()) and last.item() < first  # the steps did train
