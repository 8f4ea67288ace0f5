"""nn.utils.parametrize and nn.utils.parametrizations against PyTorch in float64: the state-dict keys, values and
gradients after loading PyTorch's state dict, the power iteration of spectral_norm step by step, chained and
cached parametrizations, assignment through right_inverse, removal, and the errors."""
import copy

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn.utils import parametrize as P

rng = np.random.default_rng(0)


def load_from(module, reference):
    module.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()})


def close(a, b, atol=1e-12):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=atol)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    t = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv2d(3, 4, 3).double(), dim=dim)
    e = nn.utils.parametrizations.weight_norm(nn.Conv2d(3, 4, 3).double(), dim=dim)
    assert sorted(e.state_dict()) == sorted(t.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    load_from(e, t)
    x = rng.standard_normal((2, 3, 6, 6))
    yt, ye = t(torch.tensor(x)), e(ember.tensor(x))
    close(ye, yt)
    (yt * yt).sum().backward()
    (ye * ye).sum().backward()
    names = [n for n, _ in e.named_parameters()]
    assert names == [n for n, _ in t.named_parameters()]
    for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        close(pe.grad, pt.grad, atol=1e-10)
    assert type(e).__name__ == "ParametrizedConv2d" and P.type_before_parametrizations(e) is nn.Conv2d


def test_weight_norm_loads_the_hook_form_keys():
    old = torch.nn.utils.weight_norm(torch.nn.Linear(5, 3).double())
    e = nn.utils.parametrizations.weight_norm(nn.Linear(5, 3).double())
    load_from(e, old)  # weight_g / weight_v become original0 / original1
    close(e.weight, old.weight)


@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(6, 4), lambda lib: lib.nn.ConvTranspose2d(3, 5, 3),
                                  lambda lib: lib.nn.Conv2d(2, 3, 3)])
def test_spectral_norm_matches_torch_step_by_step(make):
    t = torch.nn.utils.parametrizations.spectral_norm(make(torch).double(), n_power_iterations=2)
    e = nn.utils.parametrizations.spectral_norm(make(ember).double(), n_power_iterations=2)
    assert sorted(e.state_dict()) == sorted(t.state_dict())
    load_from(e, t)
    shape = (3, 6) if isinstance(t, torch.nn.Linear) else (2, t.in_channels, 5, 5)
    x = rng.standard_normal(shape)
    for _ in range(3):  # each training access runs the power iteration in the buffers
        yt, ye = t(torch.tensor(x)), e(ember.tensor(x))
        close(ye, yt, atol=1e-11)
        close(e.parametrizations.weight[0]._u, t.parametrizations.weight[0]._u, atol=1e-11)
    yt.sum().backward()
    ye.sum().backward()
    close(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, atol=1e-10)
    t.eval(), e.eval()
    close(e(ember.tensor(x)), t(torch.tensor(x)), atol=1e-11)


def test_spectral_norm_hook_form_with_a_middle_dim():
    # the matrix is (dim, the other dims in order), as PyTorch's, so its u / v buffers load
    t = torch.nn.utils.spectral_norm(torch.nn.Conv2d(2, 3, 3).double(), dim=2)
    e = nn.utils.spectral_norm(nn.Conv2d(2, 3, 3).double(), dim=2)
    load_from(e, t)
    t.eval(), e.eval()  # no power iteration: sigma comes from the loaded u and v
    x = rng.standard_normal((1, 2, 5, 5))
    close(e(ember.tensor(x)), t(torch.tensor(x)), atol=1e-11)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)


class Double(nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, X):
        return X / 2


def test_custom_chained_cached_assigned_and_removed():
    m = nn.Linear(3, 3).double()
    P.register_parametrization(m, "weight", Symmetric())
    P.register_parametrization(m, "weight", Double())
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    assert isinstance(m.parametrizations.weight[1], Double) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias")
    with P.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    with pytest.raises(RuntimeError, match="Symmetric does not implement right_inverse"):
        m.weight = ember.ones(3, 3, dtype=ember.float64)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)


def test_assignment_goes_through_right_inverse_into_the_same_parameter():
    m = nn.Linear(3, 3).double()
    P.register_parametrization(m, "weight", Double())
    original = m.parametrizations.weight.original
    m.weight = ember.ones(3, 3, dtype=ember.float64)
    np.testing.assert_array_equal(original.detach().numpy(), np.full((3, 3), 0.5))
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((3, 3)))
    P.remove_parametrizations(m, "weight")
    assert m.weight is original and isinstance(m.weight, nn.Parameter)  # the optimizer's tensor stays
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((3, 3)))


def test_remove_leave_parametrized_false_keeps_the_original():
    m = nn.Linear(2, 2).double()
    P.register_parametrization(m, "weight", Double())
    stored = m.parametrizations.weight.original.detach().numpy().copy()
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(m.weight.detach().numpy(), stored)


def test_deepcopy_and_training_a_parametrized_model():
    m = nn.utils.parametrizations.weight_norm(nn.Linear(4, 2).double())
    m2 = copy.deepcopy(m)
    assert type(m2) is type(m)
    assert m2.parametrizations.weight.original0 is not m.parametrizations.weight.original0
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    x = ember.tensor(rng.standard_normal((8, 4)))
    before = m(x).pow(2).mean().item()
    for _ in range(5):
        opt.zero_grad()
        m(x).pow(2).mean().backward()
        opt.step()
    assert m(x).pow(2).mean().item() < before
    close(m2(x), m2(x))


def test_errors():
    with pytest.raises(ValueError, match="no parameter, buffer or parametrized tensor named 'nope'"):
        P.register_parametrization(nn.Linear(2, 2), "nope", Double())

    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]

    lin = nn.Linear(3, 3)
    with pytest.raises(ValueError, match=r"may not change the shape.*\(3, 3\).*\(1, 3\)"):
        P.register_parametrization(lin, "weight", Shrink())
    assert type(lin) is nn.Linear and "weight" in lin._parameters  # left as it was
    with pytest.raises(TypeError, match="must be an nn.Module"):
        P.register_parametrization(lin, "weight", lambda w: w)
    with pytest.raises(ValueError, match="has no parametrization on 'weight'"):
        P.remove_parametrizations(lin, "weight")
    with pytest.raises(ValueError, match="n_power_iterations > 0"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        nn.utils.parametrizations.weight_norm(nn.Linear(2, 2), dim=3)
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        import pickle
        pickle.dumps(nn.utils.parametrizations.weight_norm(nn.Linear(2, 2)))
