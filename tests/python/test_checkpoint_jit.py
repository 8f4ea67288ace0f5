"""ember.utils.checkpoint (activation checkpointing: the same values and gradients as without it, dropout's
mask replayed, parameters reached when no input requires grad) and ember.jit's eager pass-throughs."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.checkpoint import checkpoint, checkpoint_sequential


def _model(seed=0, p=0.0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Dropout(p), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))


def _grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gives_the_same_values_and_gradients(use_reentrant):
    x0 = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    plain, ckpt = _model(), _model()
    xp, xc = ember.tensor(x0, requires_grad=True), ember.tensor(x0, requires_grad=True)
    yp = plain(xp)
    yc = checkpoint(ckpt, xc, use_reentrant=use_reentrant)
    np.testing.assert_array_equal(yc.detach().numpy(), yp.detach().numpy())
    (yp ** 2).sum().backward()
    (yc ** 2).sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xp.grad.numpy(), rtol=1e-6)
    for a, b in zip(_grads(ckpt), _grads(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_checkpoint_reaches_parameters_when_no_input_requires_grad_and_replays_dropout():
    x = ember.randn(16, 6)
    plain, ckpt = _model(1, p=0.5), _model(1, p=0.5)
    ember.manual_seed(7)
    yp = plain(x)
    ember.manual_seed(7)
    yc = checkpoint(ckpt, x, use_reentrant=False)
    np.testing.assert_array_equal(yc.detach().numpy(), yp.detach().numpy())  # the same dropout mask
    ember.rand(3)
    yp.sum().backward()
    yc.sum().backward()  # recomputes under the forward's random state, then restores the current one
    for a, b in zip(_grads(ckpt), _grads(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    after_backward = ember.rand(3).numpy()
    ember.manual_seed(7)
    plain(x)
    ember.rand(3)
    np.testing.assert_array_equal(ember.rand(3).numpy(), after_backward)  # the sequence goes on as before


def test_checkpoint_with_several_outputs_kwargs_and_gradcheck():
    w = ember.randn(3, 3, dtype=ember.float64, requires_grad=True)

    def f(a, b, scale=1.0):
        return (a @ w).tanh() * scale, (b * a).sum(dim=1)

    a = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    b = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: checkpoint(f, a, b, scale=2.0, use_reentrant=False)[0], (a, b))
    assert ember.autograd.gradcheck(lambda a, b: checkpoint(f, a, b)[1], (a, b))
    y1, y2 = checkpoint(f, a, b, scale=2.0)
    (y1.sum() + y2.sum()).backward()
    assert w.grad is not None and a.grad is not None and b.grad is not None


def test_checkpoint_sequential_and_no_grad():
    x0 = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    plain, ckpt = _model(2), _model(2)
    yp = plain(ember.tensor(x0))
    yc = checkpoint_sequential(ckpt, 3, ember.tensor(x0), use_reentrant=False)
    np.testing.assert_array_equal(yc.detach().numpy(), yp.detach().numpy())
    yp.sum().backward()
    yc.sum().backward()
    for a, b in zip(_grads(ckpt), _grads(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with ember.no_grad():
        assert checkpoint(ckpt, ember.tensor(x0)).grad_fn is None
    with pytest.raises(ValueError, match="segments must be a positive int"):
        checkpoint_sequential(ckpt, 0, ember.tensor(x0))
    with pytest.raises(TypeError, match="must return a Tensor or a tuple of them, got int"):
        checkpoint(lambda t: 3, ember.tensor(x0))
    with pytest.raises(NotImplementedError, match="context_fn"):
        checkpoint(ckpt, ember.tensor(x0), context_fn=lambda: None)


def test_jit_decorators_run_eagerly():
    @ember.jit.script
    def fused_gelu(x):
        return x * 0.5 * (1.0 + (x / 1.41421).erf())

    x = ember.randn(5)
    np.testing.assert_allclose(fused_gelu(x).numpy(), nn.functional.gelu(x).numpy(), rtol=1e-4, atol=1e-6)
    model = nn.Linear(3, 2)
    assert ember.jit.trace(model, ember.randn(1, 3)) is model and ember.jit.script(model) is model
    assert ember.jit.ignore(fused_gelu) is fused_gelu and ember.jit.unused()(fused_gelu) is fused_gelu
    assert ember.jit.is_scripting() is False and ember.jit.annotate(int, 3) == 3
    with pytest.raises(NotImplementedError, match="ember.deploy.export"):
        ember.jit.save(model, "m.pt")
