"""ember.distributions against torch.distributions: log_prob, entropy, moments and their gradients for the same
parameters; samples by their statistics (shapes, support, mean); invalid parameters."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
RNG = np.random.default_rng(7)


def pair(a):
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def close(e, t, tol=1e-10):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["normal", "uniform", "bernoulli_probs", "bernoulli_logits", "categorical_probs",
                                  "categorical_logits"])
def test_scores_and_gradients_match_torch(name):
    if name == "normal":
        (le, lt), (se, st) = pair(RNG.standard_normal((3, 1))), pair(RNG.uniform(0.5, 2, (4,)))
        de, dt = D.Normal(le, se), TD.Normal(lt, st)
        v = RNG.standard_normal((2, 3, 4))
        params = [(le, lt), (se, st)]
    elif name == "uniform":
        (le, lt), (he, ht) = pair(RNG.uniform(-1, 0, (4,))), pair(RNG.uniform(1, 2, (4,)))
        de, dt = D.Uniform(le, he), TD.Uniform(lt, ht)
        v = RNG.uniform(-0.3, 0.9, (5, 4))
        params = [(le, lt), (he, ht)]
    elif name.startswith("bernoulli"):
        a = RNG.uniform(0.1, 0.9, (3, 4)) if name.endswith("probs") else RNG.standard_normal((3, 4))
        (pe, pt) = pair(a)
        key = name.split("_")[1]
        de, dt = D.Bernoulli(**{key: pe}), TD.Bernoulli(**{key: pt})
        v = RNG.integers(0, 2, (2, 3, 4)).astype(np.float64)
        params = [(pe, pt)]
    else:
        a = RNG.uniform(0.1, 1, (3, 5)) if name.endswith("probs") else RNG.standard_normal((3, 5))
        (pe, pt) = pair(a)
        key = name.split("_")[1]
        de, dt = D.Categorical(**{key: pe}), TD.Categorical(**{key: pt})
        v = RNG.integers(0, 5, (2, 3))
        params = [(pe, pt)]
    ve = ember.tensor(v) if v.dtype.kind == "f" else ember.tensor(v.astype(np.int64))
    vt = torch.tensor(v)
    assert de.batch_shape == tuple(dt.batch_shape) and de.event_shape == tuple(dt.event_shape)
    close(de.log_prob(ve), dt.log_prob(vt))
    close(de.entropy(), dt.entropy())
    if not name.startswith("categorical"):
        close(de.mean, dt.mean)
        close(de.variance, dt.variance)
        close(de.stddev, dt.stddev)
    (de.log_prob(ve).sum() + de.entropy().sum()).backward()
    (dt.log_prob(vt).sum() + dt.entropy().sum()).backward()
    for e, t in params:
        close(e.grad, t.grad, 1e-9)


def test_samples_have_the_shape_support_and_mean():
    ember.manual_seed(0)
    n = D.Normal(ember.tensor([0.0, 5.0]), ember.tensor([1.0, 0.1]))
    s = n.sample((4000,))
    assert s.shape == (4000, 2) and not s.requires_grad
    np.testing.assert_allclose(s.mean(0).numpy(), [0, 5], atol=0.1)
    loc = ember.zeros(2, requires_grad=True)
    D.Normal(loc, 1.0).rsample((3,)).sum().backward()  # reparameterized: the gradient reaches loc
    assert loc.grad.tolist() == [3.0, 3.0]
    u = D.Uniform(-1.0, 3.0).sample((2000,))
    assert float(u.min()) >= -1 and float(u.max()) < 3 and abs(float(u.mean()) - 1) < 0.1
    b = D.Bernoulli(probs=ember.tensor([0.0, 1.0, 0.3])).sample((3000,))
    assert b.shape == (3000, 3) and set(np.unique(b.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0).numpy(), [0, 1, 0.3], atol=0.05)
    c = D.Categorical(probs=ember.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]))
    draws = c.sample((500,))
    assert draws.shape == (500, 2) and draws.dtype == ember.int64
    assert (draws[:, 0] == 1).all() and set(np.unique(draws[:, 1].numpy())) == {0, 2}
    assert c.sample().shape == (2,) and D.Categorical(logits=ember.zeros(4)).sample((2, 3)).shape == (2, 3)
    assert float(D.Uniform(0.0, 1.0, validate_args=False).log_prob(ember.tensor(2.0))) == float("-inf")


def test_invalid_parameters_name_them():
    with pytest.raises(ValueError, match=r"parameter scale \(shape \(2,\)\) to satisfy the constraint GreaterThan"):
        D.Normal(ember.zeros(2), ember.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="parameter probs .* UnitInterval"):
        D.Bernoulli(probs=ember.tensor([1.5]))
    with pytest.raises(ValueError, match="either probs or logits"):
        D.Categorical(probs=ember.ones(2), logits=ember.ones(2))
    with pytest.raises(ValueError, match="at least one dim"):
        D.Categorical(logits=ember.tensor(1.0))
    with pytest.raises(ValueError, match="high"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match=r"value \(shape \(\)\) to be within the support \(\[low, high\)\) of Uniform"):
        D.Uniform(0.0, 1.0).log_prob(ember.tensor(2.0))
    with pytest.raises(ValueError, match="support .*integers in \\[0, 3\\)"):
        D.Categorical(logits=ember.zeros(3)).log_prob(ember.tensor(3))
    with pytest.raises(ValueError, match="support \\(0 or 1\\)"):
        D.Bernoulli(probs=ember.tensor(0.5)).log_prob(ember.tensor(0.5))
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"


def _mvn_pair(kind):
    a = RNG.standard_normal((2, 3, 3))
    m = a @ a.transpose(0, 2, 1) + np.eye(3)
    if kind == "scale_tril":
        m = np.linalg.cholesky(m)
    (le, lt), (me, mt) = pair(RNG.standard_normal((2, 3))), pair(m)
    return (D.MultivariateNormal(le, **{kind: me}), TD.MultivariateNormal(lt, **{kind: mt}), [(le, lt), (me, mt)])


@pytest.mark.parametrize("name", ["mvn_covariance_matrix", "mvn_precision_matrix", "mvn_scale_tril", "exponential",
                                  "laplace", "independent_normal"])
def test_more_scores_and_gradients_match_torch(name):
    if name.startswith("mvn"):
        de, dt, params = _mvn_pair(name[4:])
        v = RNG.standard_normal((4, 2, 3))
    elif name == "exponential":
        (re, rt) = pair(RNG.uniform(0.5, 2, (3,)))
        de, dt, params = D.Exponential(re), TD.Exponential(rt), [(re, rt)]
        v = RNG.uniform(0, 3, (2, 3))
    elif name == "laplace":
        (le, lt), (se, st) = pair(RNG.standard_normal((3, 1))), pair(RNG.uniform(0.5, 2, (4,)))
        de, dt, params = D.Laplace(le, se), TD.Laplace(lt, st), [(le, lt), (se, st)]
        v = RNG.standard_normal((2, 3, 4))
    else:
        (le, lt), (se, st) = pair(RNG.standard_normal((2, 3))), pair(RNG.uniform(0.5, 2, (2, 3)))
        de, dt = D.Independent(D.Normal(le, se), 1), TD.Independent(TD.Normal(lt, st), 1)
        params, v = [(le, lt), (se, st)], RNG.standard_normal((5, 2, 3))
    ve, vt = ember.tensor(v), torch.tensor(v)
    assert de.batch_shape == tuple(dt.batch_shape) and de.event_shape == tuple(dt.event_shape)
    close(de.log_prob(ve), dt.log_prob(vt))
    close(de.entropy(), dt.entropy())
    close(de.mean, dt.mean)
    close(de.variance, dt.variance)
    close(de.stddev, dt.stddev)
    if name.startswith("mvn"):
        close(de.covariance_matrix, dt.covariance_matrix)
        close(de.precision_matrix, dt.precision_matrix, 1e-9)
        close(de.scale_tril, dt.scale_tril)
    (de.log_prob(ve).sum() + de.entropy().sum()).backward()
    (dt.log_prob(vt).sum() + dt.entropy().sum()).backward()
    for e, t in params:
        close(e.grad, t.grad, 1e-9)
    assert de.sample((7,)).shape == (7, *de.batch_shape, *de.event_shape)


def test_kl_divergence_matches_torch():
    def both(make):
        return make(D, ember.tensor), make(TD, torch.tensor)

    a, b = RNG.uniform(0.5, 2, (2, 3)), RNG.uniform(0.5, 2, (2, 3))
    m, s = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    cases = [
        lambda L, T: (L.Normal(T(m), T(a)), L.Normal(T(s), T(b))),
        lambda L, T: (L.Independent(L.Normal(T(m), T(a)), 1), L.Independent(L.Normal(T(s), T(b)), 1)),
        lambda L, T: (L.Bernoulli(probs=T(a / 3)), L.Bernoulli(logits=T(s))),
        lambda L, T: (L.Categorical(probs=T(a)), L.Categorical(logits=T(s))),
        lambda L, T: (L.Exponential(T(a)), L.Exponential(T(b))),
        lambda L, T: (L.Laplace(T(m), T(a)), L.Laplace(T(s), T(b))),
    ]
    c1, c2 = (lambda x: x @ x.transpose(0, 2, 1) + np.eye(3))(RNG.standard_normal((2, 3, 3))), np.eye(3) * 2
    cases.append(lambda L, T: (L.MultivariateNormal(T(m), covariance_matrix=T(c1)),
                               L.MultivariateNormal(T(s[0]), scale_tril=T(np.linalg.cholesky(c2)))))
    for make in cases:
        (pe, qe), (pt, qt) = both(make)
        close(D.kl_divergence(pe, qe), TD.kl_divergence(pt, qt), 1e-9)
    with pytest.raises(NotImplementedError, match="no KL divergence of Uniform from Normal"):
        D.kl_divergence(D.Uniform(0.0, 1.0), D.Normal(0.0, 1.0))


def test_mvn_samples_and_invalid_parameters():
    ember.manual_seed(0)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    s = D.MultivariateNormal(ember.tensor([1.0, -1.0]), covariance_matrix=ember.tensor(cov)).sample((20000,))
    np.testing.assert_allclose(np.cov(s.numpy().T), cov, atol=0.08)
    np.testing.assert_allclose(s.mean(0).numpy(), [1, -1], atol=0.05)
    loc = ember.zeros(2, requires_grad=True)
    D.MultivariateNormal(loc, scale_tril=ember.eye(2)).rsample((3,)).sum().backward()
    assert loc.grad.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match=r"covariance_matrix \(shape \(2, 2\)\) to satisfy the constraint "
                                         r"PositiveDefinite\(\).*leading principal minor of order 2"):
        D.MultivariateNormal(ember.zeros(2), covariance_matrix=ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="exactly one of covariance_matrix, precision_matrix or scale_tril, got 2"):
        D.MultivariateNormal(ember.zeros(2), covariance_matrix=ember.eye(2), scale_tril=ember.eye(2))
    with pytest.raises(ValueError, match=r"must be \(\.\.\., 2, 2\) for loc of shape \(2,\), got \(3, 3\)"):
        D.MultivariateNormal(ember.zeros(2), covariance_matrix=ember.eye(3))
    with pytest.raises(ValueError, match="LowerCholesky"):
        D.MultivariateNormal(ember.zeros(2), scale_tril=ember.tensor([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="rate"):
        D.Exponential(ember.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims 2 must be in \[0, 1\]"):
        D.Independent(D.Normal(ember.zeros(3), 1.0), 2)
