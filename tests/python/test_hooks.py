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


# --- module hooks: forward pre-hooks, forward hooks, full backward hooks ---


def _linear_pair(seed=0):
    w = np.random.default_rng(seed).standard_normal((3, 4))
    pair = []
    for lib in (ember, torch):
        layer = lib.nn.Linear(4, 3, bias=False).double()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w, dtype=lib.float64))
        pair.append(layer)
    return pair


def test_module_forward_hooks_match_torch():
    x0 = np.random.default_rng(1).standard_normal((2, 4))

    def f(lib, layer):
        calls = []
        pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        post = layer.register_forward_hook(lambda m, args, out: calls.append(tuple(out.shape)) or out + 1)
        first = layer.register_forward_hook(lambda m, args, out: calls.append("first"), prepend=True)
        kw = layer.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] - 1,), kwargs), with_kwargs=True)
        y1 = layer(lib.tensor(x0, dtype=lib.float64))
        for h in (pre, post, first, kw):
            h.remove()
        y2 = layer(lib.tensor(x0, dtype=lib.float64))
        return y1.detach().numpy(), y2.detach().numpy(), calls

    (e1, e2, ecalls), (t1, t2, tcalls) = (f(lib, layer) for lib, layer in zip((ember, torch), _linear_pair()))
    np.testing.assert_allclose(e1, t1, rtol=1e-12)
    np.testing.assert_allclose(e2, t2, rtol=1e-12)
    assert ecalls == tcalls == ["first", (2, 3)]


def test_forward_hook_captures_features_and_always_call():
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    features = {}
    with model[1].register_forward_hook(lambda m, a, out: features.__setitem__("relu", out.detach())):
        y = model(ember.randn(3, 4))
    assert tuple(features["relu"].shape) == (3, 5) and tuple(y.shape) == (3, 2)
    features.clear()
    model(ember.randn(3, 4))
    assert not features  # removed by the with block
    seen = []
    model[2].register_forward_hook(lambda m, a, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError):
        model[2](ember.randn(3, 7))
    assert seen == [None]


def test_full_backward_hooks_match_torch():
    x0 = np.random.default_rng(2).standard_normal((2, 4))

    def f(lib, layer):
        seen = []

        def hook(m, grad_input, grad_output):
            seen.append((grad_input[0].numpy().copy(), grad_output[0].numpy().copy()))
            return (grad_input[0] * 3,)

        def pre(m, grad_output):
            return (grad_output[0] * 2,)

        layer.register_full_backward_hook(hook)
        layer.register_full_backward_pre_hook(pre)
        x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
        (layer(x).tanh() * lib.tensor(x0[:, :3], dtype=lib.float64)).sum().backward()
        return x.grad.numpy(), layer.weight.grad.numpy(), seen

    (ex, ew, eseen), (tx, tw, tseen) = (f(lib, layer) for lib, layer in zip((ember, torch), _linear_pair()))
    np.testing.assert_allclose(ex, tx, rtol=1e-12)
    np.testing.assert_allclose(ew, tw, rtol=1e-12)
    assert len(eseen) == len(tseen) == 1
    for a, b in zip(eseen[0], tseen[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_backward_hook_on_an_input_without_grad_gets_none():
    layer = nn.Linear(4, 3)
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, tuple(go[0].shape))))
    layer(ember.randn(2, 4)).sum().backward()
    assert seen == [((None,), (2, 3))] and layer.weight.grad is not None


def test_a_module_with_its_own_hooks_attribute_still_calls_forward():
    class Net(nn.Module):  # user code often keeps its own hook handles under this name
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self._hooks = [self.fc.register_forward_hook(lambda m, a, out: out * 0)]

        def forward(self, x):
            return self.fc(x)

    assert Net()(ember.ones(1, 2)).tolist() == [[0.0, 0.0]]


def test_module_hook_errors():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="expected a callable hook"):
        layer.register_forward_hook(3)
    layer.register_forward_pre_hook(lambda m, a, k: "bad", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple \(args, kwargs\)"):
        layer(ember.randn(1, 2))


# --- weight_norm / spectral_norm (nn.utils), on the forward pre-hooks ---


def test_weight_norm_matches_torch_and_loads_its_state_dict():
    for dim in (0, 1, None):
        t = torch.nn.utils.weight_norm(torch.nn.Conv2d(3, 4, 3).double(), dim=dim)
        e = nn.utils.weight_norm(nn.Conv2d(3, 4, 3).double(), dim=dim)
        e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
        assert sorted(e.state_dict()) == sorted(t.state_dict()) == ["bias", "weight_g", "weight_v"]
        x0 = np.random.default_rng(3).standard_normal((2, 3, 6, 6))
        xe, xt = ember.tensor(x0), torch.tensor(x0)
        (e(xe) ** 2).sum().backward()
        (t(xt) ** 2).sum().backward()
        for name in ("weight_g", "weight_v", "bias"):
            np.testing.assert_allclose(getattr(e, name).grad.numpy(), getattr(t, name).grad.numpy(), rtol=1e-10,
                                       err_msg=f"dim={dim} {name}")
    nn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert sorted(e.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-12)


def test_spectral_norm_matches_torch_in_train_and_eval():
    for make in (lambda lib: lib.nn.Linear(5, 4), lambda lib: lib.nn.ConvTranspose2d(3, 2, 3)):
        t = torch.nn.utils.spectral_norm(make(torch).double(), n_power_iterations=2)
        e = nn.utils.spectral_norm(make(ember).double(), n_power_iterations=2)
        e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
        assert sorted(e.state_dict()) == sorted(t.state_dict())
        shape = (2, 5) if isinstance(t, torch.nn.Linear) else (2, 3, 4, 4)
        x0 = np.random.default_rng(4).standard_normal(shape)
        for step in range(3):
            ye, yt = e(ember.tensor(x0)), t(torch.tensor(x0))
            np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-9, err_msg=f"step {step}")
        (ye ** 2).sum().backward()
        (yt ** 2).sum().backward()
        np.testing.assert_allclose(e.weight_orig.grad.numpy(), t.weight_orig.grad.numpy(), rtol=1e-8)
        np.testing.assert_allclose(e.weight_u.numpy(), t.weight_u.numpy(), rtol=1e-10)
        e.eval(), t.eval()
        np.testing.assert_allclose(e(ember.tensor(x0)).detach().numpy(), t(torch.tensor(x0)).detach().numpy(),
                                   rtol=1e-9)
        u = e.weight_u.numpy().copy()
        e(ember.tensor(x0))
        np.testing.assert_array_equal(e.weight_u.numpy(), u)  # no power iteration in eval mode


def test_weight_and_spectral_norm_errors():
    with pytest.raises(ValueError, match="has no parameter named 'kernel'"):
        nn.utils.weight_norm(nn.Linear(2, 2), name="kernel")
    layer = nn.utils.weight_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="two weight_norm/spectral_norm hooks"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(nn.Linear(2, 2))
    with pytest.raises(IndexError, match=r"dim 3 is out of range for 'weight' of shape \(2, 2\)"):
        nn.utils.weight_norm(nn.Linear(2, 2), dim=3)
