"""Tensor.register_hook and Tensor.register_post_accumulate_grad_hook against PyTorch: call order,
replaced gradients, removal, hooks on non-leaves, post-accumulate hooks seeing the new .grad."""
import numpy as np
import pytest
import torch

import ember
from ember import nn

X = [1.0, -2.0, 3.0]


def both(f):
    """f(lib, tensor_factory) run with ember and with torch: the results must match."""
    ours = f(ember, lambda v: ember.tensor(v, dtype=ember.float64).requires_grad_())
    theirs = f(torch, lambda v: torch.tensor(v, dtype=torch.float64).requires_grad_())
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, torch.Tensor):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-12)
        else:
            assert a == b


def test_order_and_replacement():
    def f(lib, t):
        x, calls = t(X), []
        x.register_hook(lambda g: calls.append(("a", g.tolist())) or g * 10)
        x.register_hook(lambda g: calls.append(("b", g.tolist())))
        x.register_hook(lambda g: g + 1)
        (x * 2).sum().backward()
        return [calls, x.grad]
    both(f)


def test_removal_and_context():
    def f(lib, t):
        x, calls = t(X), []
        h = x.register_hook(lambda g: calls.append("a") or g * 3)
        (x * 1).sum().backward()
        h.remove()
        h.remove()
        (x * 1).sum().backward()
        return [calls, x.grad]
    both(f)


def test_non_leaf_hook_and_retain_grad():
    def f(lib, t):
        x = t(X)
        y = x * x
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
        z = y * 3
        z.register_hook(lambda g: g + 1)
        z.sum().backward()
        return [seen, x.grad, y.grad]
    both(f)


def test_hook_with_autograd_grad_and_retain_graph():
    def f(lib, t):
        x, n = t(X), []
        x.register_hook(lambda g: n.append(1) or g * 2)
        y = (x ** 2).sum()
        (gx,) = lib.autograd.grad(y, [x], retain_graph=True)
        y.backward(retain_graph=True)
        y.backward()
        return [gx, x.grad, len(n)]
    both(f)


def test_post_accumulate_grad_hook():
    def f(lib, t):
        x, seen = t(X), []
        x.grad = x.detach() * 0 + 5
        h = x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
        x.register_hook(lambda g: g * 2)
        (x * 1).sum().backward()
        (x * 3).sum().backward()
        h.remove()
        (x * 1).sum().backward()
        return [seen, x.grad]
    both(f)


def test_post_accumulate_hook_gets_the_parameter():
    p = nn.Parameter(ember.tensor(X, dtype=ember.float64))
    got = []
    p.register_post_accumulate_grad_hook(got.append)
    (p * 2).sum().backward()
    assert got[0] is p
    q = ember.tensor(X).requires_grad_()  # a plain tensor: a handle sharing its .grad
    seen = []
    q.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (q * 2).sum().backward()
    assert seen == [[2.0, 2.0, 2.0]]


def test_errors():
    x = ember.tensor(X)
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.register_hook(lambda g: g)
    y = ember.tensor(X).requires_grad_()
    with pytest.raises(RuntimeError, match="non-leaf"):
        (y * 2).register_post_accumulate_grad_hook(lambda t: None)
    y.register_hook(lambda g: g[:2])
    with pytest.raises(Exception, match="hook returned a gradient of shape"):
        (y * 2).sum().backward()
    z = ember.tensor(X).requires_grad_()
    z.register_hook(lambda g: "no")
    with pytest.raises(TypeError, match="must return a Tensor or None"):
        z.sum().backward()
    w = ember.tensor(X).requires_grad_()

    def boom(g):
        raise ValueError("from the hook")
    w.register_hook(boom)
    with pytest.raises(ValueError, match="from the hook"):
        (w * 1).sum().backward()
