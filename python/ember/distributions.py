"""``ember.distributions``: the probability distributions model code samples from and scores, as
``torch.distributions`` (written with ember's ops, so ``rsample`` and ``log_prob`` are differentiable):
``Normal``, ``Uniform``, ``Bernoulli``, ``Categorical``, ``Exponential``, ``Laplace``, ``MultivariateNormal`` and
``Independent``, each with ``sample``, ``log_prob``, ``entropy``, ``mean``, ``variance``, ``stddev``,
``batch_shape`` and ``event_shape``; ``kl_divergence`` for the pairs PyTorch has in closed form. Parameters are
checked as PyTorch's ``validate_args`` does: an invalid one is a ValueError naming it and its shape."""
from __future__ import annotations

import math
from typing import Any, Sequence

from . import _core
from ._core import Tensor
from ._tensor_api import bernoulli, broadcast_shapes, broadcast_tensors
from ._dtype_info import finfo
from .autograd import no_grad

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent", "Laplace", "MultivariateNormal",
           "Normal", "Uniform", "kl_divergence", "register_kl"]


def _tensor(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    from ._settings import get_default_dtype
    return _core.tensor(float(x), dtype=like.dtype if like is not None else get_default_dtype())


def _check(ok: Tensor, name: str, value: Tensor, constraint: str) -> None:
    if not bool(ok.all()):
        raise ValueError(f"[distributions] expected parameter {name} (shape {tuple(value.shape)}) to satisfy the "
                         f"constraint {constraint}, but found invalid values")


def _check_support(dist: "Distribution", ok: Tensor, value: Tensor, support: str) -> None:
    if dist._validate and not bool(ok.all()):
        raise ValueError(f"[distributions] expected value (shape {tuple(value.shape)}) to be within the support "
                         f"({support}) of {type(dist).__name__}, but found invalid values (validate_args=False "
                         "scores them instead)")


class Distribution:
    """The interface every distribution here implements (``sample``, ``rsample`` where differentiable,
    ``log_prob``, ``entropy``)."""

    has_rsample = False

    def __init__(self, batch_shape: Sequence[int] = (), event_shape: Sequence[int] = (),
                 validate_args: bool = True) -> None:
        self._validate = validate_args
        self.batch_shape = tuple(batch_shape)
        self.event_shape = tuple(event_shape)

    def _extended(self, sample_shape: Sequence[int]) -> tuple[int, ...]:
        return tuple(sample_shape) + self.batch_shape + self.event_shape

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """A sample of shape ``sample_shape + batch_shape + event_shape``, not differentiable."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        raise NotImplementedError(f"[distributions] {type(self).__name__} has no reparameterized sample")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}: {tuple(v.shape) if v.dim() else v.item()}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self) -> dict:
        return {}


class _LocScale(Distribution):
    """A location-scale family: loc and scale broadcast, scale > 0, the mean is loc."""

    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool = True) -> None:
        loc = _tensor(loc)
        self.loc, self.scale = broadcast_tensors(loc, _tensor(scale, loc))
        if validate_args:
            _check(self.scale > 0, "scale", self.scale, "GreaterThan(lower_bound=0.0)")
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _params(self) -> dict:
        return {"loc": self.loc, "scale": self.scale}

    @property
    def mean(self) -> Tensor:
        return self.loc


class Normal(_LocScale):
    """N(loc, scale^2), loc and scale broadcast; ``rsample`` is loc + scale * eps."""

    @property
    def variance(self) -> Tensor:
        return self.scale * self.scale

    @property
    def stddev(self) -> Tensor:
        return self.scale

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        eps = _core.randn(*self._extended(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        value = _tensor(value, self.loc)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Uniform(Distribution):
    """U[low, high), low and high broadcast; ``rsample`` is low + (high - low) * u."""

    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool = True) -> None:
        low = _tensor(low)
        high = _tensor(high, low)
        self.low, self.high = broadcast_tensors(low, high)
        if validate_args:
            _check(self.low < self.high, "high", self.high, "greater than low")
        super().__init__(self.low.shape, validate_args=validate_args)

    def _params(self) -> dict:
        return {"low": self.low, "high": self.high}

    @property
    def mean(self) -> Tensor:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        u = _core.rand(*self._extended(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        value = _tensor(value, self.low)
        inside = (value >= self.low) & (value < self.high)
        _check_support(self, inside, value, "[low, high)")
        return _core.where(inside, -(self.high - self.low).log(), float("-inf"))

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


def _probs_and_logits(probs: Any, logits: Any, name: str) -> tuple[Tensor | None, Tensor | None]:
    if (probs is None) == (logits is None):
        raise ValueError(f"[distributions] {name} takes either probs or logits, not both and not neither")
    return (None if probs is None else _tensor(probs)), (None if logits is None else _tensor(logits))


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0."""

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool = True) -> None:
        p, lg = _probs_and_logits(probs, logits, "Bernoulli")
        if p is not None:
            if validate_args:
                _check((p >= 0) & (p <= 1), "probs", p, "UnitInterval()")
            self.probs = p
            eps = finfo(p.dtype).eps
            clamped = p.clamp(eps, 1 - eps)
            self.logits = clamped.log() - (-clamped).log1p()
        else:
            self.logits = lg
            self.probs = lg.sigmoid()
        super().__init__(self.probs.shape, validate_args=validate_args)

    def _params(self) -> dict:
        return {"probs": self.probs}

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        with no_grad():
            return bernoulli(self.probs.expand(*self._extended(sample_shape)))

    def log_prob(self, value: Any) -> Tensor:
        from .nn import functional as F
        logits, value = broadcast_tensors(self.logits, _tensor(value, self.logits).to(self.logits.dtype))
        _check_support(self, (value == 0) | (value == 1), value, "0 or 1")
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        from .nn import functional as F
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")


class Categorical(Distribution):
    """One of K categories (the last dim of ``probs`` or ``logits``, normalized), as an int64 index."""

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool = True) -> None:
        p, lg = _probs_and_logits(probs, logits, "Categorical")
        source = p if p is not None else lg
        if source.dim() < 1:
            raise ValueError(f"[distributions] Categorical expects probs or logits with at least one dim, got shape "
                             f"{tuple(source.shape)}")
        if p is not None:
            if validate_args:
                _check((p >= 0).all() & (p.sum(-1) > 0).all(), "probs", p, "Simplex() (non-negative, positive sum)")
            self.probs = p / p.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(min=finfo(p.dtype).tiny).log()
        else:
            self.logits = lg - lg.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = source.shape[-1]
        super().__init__(source.shape[:-1], validate_args=validate_args)

    def _params(self) -> dict:
        return {"probs": self.probs}

    @property
    def mean(self) -> Tensor:
        return _core.full(self.batch_shape, float("nan"), dtype=self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return _core.full(self.batch_shape, float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        with no_grad():
            n = math.prod(sample_shape)
            flat = self.probs.reshape(-1, self._num_events)
            draws = _core.multinomial(flat, max(n, 1), replacement=True)[:, :n]  # (batch, n)
            return draws.T.reshape(*tuple(sample_shape), *self.batch_shape)

    def log_prob(self, value: Any) -> Tensor:
        value = value if isinstance(value, Tensor) else _core.tensor(value)
        _check_support(self, (value >= 0) & (value < self._num_events) & (value == value.long()), value,
                       f"integers in [0, {self._num_events})")
        value = value.long()
        shape = broadcast_shapes(tuple(value.shape), self.batch_shape)
        logits = self.logits.expand(*shape, self._num_events)
        return logits.gather(-1, value.expand(*shape).unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)


class Exponential(Distribution):
    """The exponential distribution of rate ``rate`` (mean 1 / rate) on [0, inf)."""

    has_rsample = True

    def __init__(self, rate: Any, validate_args: bool = True) -> None:
        self.rate = _tensor(rate)
        if validate_args:
            _check(self.rate > 0, "rate", self.rate, "GreaterThan(lower_bound=0.0)")
        super().__init__(self.rate.shape, validate_args=validate_args)

    def _params(self) -> dict:
        return {"rate": self.rate}

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        u = _core.rand(*self._extended(sample_shape), dtype=self.rate.dtype)
        return -(-u).log1p() / self.rate  # -log(1 - u): u in [0, 1) never gives log(0)

    def log_prob(self, value: Any) -> Tensor:
        value = _tensor(value, self.rate)
        _check_support(self, value >= 0, value, "[0, inf)")
        return self.rate.log() - self.rate * value

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()


class Laplace(_LocScale):
    """The Laplace distribution: density ``exp(-abs(x - loc) / scale) / (2 * scale)``; loc and scale broadcast."""

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale * self.scale

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        eps = finfo(self.loc.dtype).eps
        u = _core.rand(*self._extended(sample_shape), dtype=self.loc.dtype) * (2 - eps) - (1 - eps)  # (-1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value: Any) -> Tensor:
        value = _tensor(value, self.loc)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()


def _batch_mv(matrix: Tensor, vector: Tensor) -> Tensor:
    return (matrix @ vector.unsqueeze(-1)).squeeze(-1)


def _half_log_det(scale_tril: Tensor) -> Tensor:
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """N(loc, Sigma) over vectors of the last dim of ``loc``, with Sigma given by exactly one of
    ``covariance_matrix``, ``precision_matrix`` (its inverse) or ``scale_tril`` (its lower-triangular Cholesky
    factor L, Sigma = L L^T); batch dims broadcast. ``rsample`` is loc + L eps."""

    has_rsample = True

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None, scale_tril: Any = None,
                 validate_args: bool = True) -> None:
        from . import linalg
        loc = _tensor(loc)
        if loc.dim() < 1:
            raise ValueError("[distributions] MultivariateNormal: loc must be at least one-dimensional, got shape ()")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("[distributions] MultivariateNormal takes exactly one of covariance_matrix, "
                             f"precision_matrix or scale_tril, got {len(given)}")
        name, matrix = given[0][0], _tensor(given[0][1], loc)
        n = loc.shape[-1]
        if matrix.dim() < 2 or tuple(matrix.shape[-2:]) != (n, n):
            raise ValueError(f"[distributions] MultivariateNormal: {name} must be (..., {n}, {n}) for loc of shape "
                             f"{tuple(loc.shape)}, got {tuple(matrix.shape)}")
        if name == "scale_tril":
            if validate_args:
                _check((matrix.diagonal(dim1=-2, dim2=-1) > 0).all() & (matrix.triu(1) == 0).all(), name, matrix,
                       "LowerCholesky()")
            tril = matrix.tril()  # only the lower triangle is read, as PyTorch's triangular solves: no gradient above
        else:
            if validate_args:
                _check((matrix == matrix.mT).all(), name, matrix, "PositiveDefinite() (symmetric)")
            try:
                tril = linalg.cholesky(matrix if name == "covariance_matrix" else linalg.inv(matrix))
            except linalg.LinAlgError as e:
                raise ValueError(f"[distributions] expected parameter {name} (shape {tuple(matrix.shape)}) to satisfy "
                                 f"the constraint PositiveDefinite(), but found invalid values ({e})") from None
        batch = broadcast_shapes(tuple(loc.shape[:-1]), tuple(matrix.shape[:-2]))
        self.loc = loc.expand(*batch, n)
        self.scale_tril = tril.expand(*batch, n, n)
        self._given = name, matrix.expand(*batch, n, n)
        super().__init__(batch, (n,), validate_args=validate_args)

    def _params(self) -> dict:
        return {"loc": self.loc, self._given[0]: self._given[1]}

    @property
    def covariance_matrix(self) -> Tensor:
        return self._given[1] if self._given[0] == "covariance_matrix" else self.scale_tril @ self.scale_tril.mT

    @property
    def precision_matrix(self) -> Tensor:
        from . import linalg
        return self._given[1] if self._given[0] == "precision_matrix" else linalg.inv(self.covariance_matrix)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self.scale_tril * self.scale_tril).sum(-1)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        eps = _core.randn(*self._extended(sample_shape), dtype=self.loc.dtype)
        return self.loc + _batch_mv(self.scale_tril, eps)

    def log_prob(self, value: Any) -> Tensor:
        from . import linalg
        diff = _tensor(value, self.loc) - self.loc
        z = linalg.solve(self.scale_tril, diff.unsqueeze(-1)).squeeze(-1)  # L^-1 (x - loc)
        n = self.event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + (z * z).sum(-1)) - _half_log_det(self.scale_tril)

    def entropy(self) -> Tensor:
        n = self.event_shape[0]
        return 0.5 * n * (1.0 + math.log(2 * math.pi)) + _half_log_det(self.scale_tril)


class Independent(Distribution):
    """Reinterprets the last ``reinterpreted_batch_ndims`` batch dims of ``base_distribution`` as event dims:
    ``log_prob`` and ``entropy`` sum over them (a diagonal Normal over vectors: ``Independent(Normal(m, s), 1)``)."""

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool = True) -> None:
        k = int(reinterpreted_batch_ndims)
        if not 0 <= k <= len(base_distribution.batch_shape):
            raise ValueError(f"[distributions] Independent: reinterpreted_batch_ndims {k} must be in [0, "
                             f"{len(base_distribution.batch_shape)}] (the base's batch shape is "
                             f"{base_distribution.batch_shape})")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, k
        shape = base_distribution.batch_shape + base_distribution.event_shape
        cut = len(base_distribution.batch_shape) - k
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)
        self.has_rsample = base_distribution.has_rsample

    def _params(self) -> dict:
        return self.base_dist._params()

    def _sum(self, t: Tensor) -> Tensor:
        return t.sum(tuple(range(-self.reinterpreted_batch_ndims, 0))) if self.reinterpreted_batch_ndims else t

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        return self._sum(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum(self.base_dist.entropy())


# --- KL divergence: closed forms by the pair of types, as torch.distributions.kl ---

_KL: dict[tuple[type, type], Any] = {}


def register_kl(type_p: type, type_q: type) -> Any:
    """Decorator: ``@register_kl(P, Q)`` makes ``fn(p, q)`` the KL divergence of a P from a Q (subclasses
    included; the most specific pair wins)."""
    def decorate(fn: Any) -> Any:
        _KL[(type_p, type_q)] = fn
        return fn
    return decorate


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), batched over the two distributions' broadcast batch shape, in closed form for the registered
    pairs; NotImplementedError for the others (as PyTorch)."""
    matches = [(tp, tq) for tp, tq in _KL if isinstance(p, tp) and isinstance(q, tq)]
    if not matches:
        raise NotImplementedError(f"[distributions] no KL divergence of {type(p).__name__} from {type(q).__name__} "
                                  "(register one with register_kl)")
    tp, tq = max(matches, key=lambda pq: (len(pq[0].__mro__), len(pq[1].__mro__)))  # the most derived pair
    return _KL[(tp, tq)](p, q)


@register_kl(Normal, Normal)
def _kl_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    from .nn import functional as F
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = _core.where(q.probs == 0, _core.full((), float("inf"), dtype=t.dtype), t)
    return _core.where(p.probs == 0, _core.zeros((), dtype=t.dtype), t).sum(-1)


@register_kl(Exponential, Exponential)
def _kl_exponential(p: Exponential, q: Exponential) -> Tensor:
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Laplace, Laplace)
def _kl_laplace(p: Laplace, q: Laplace) -> Tensor:
    ratio = p.scale / q.scale
    diff = (p.loc - q.loc).abs()
    return -ratio.log() + diff / q.scale + ratio * (-diff / p.scale).exp() - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    from . import linalg
    if p.event_shape != q.event_shape:
        raise ValueError(f"[distributions] KL between MultivariateNormals of event shapes {p.event_shape} and "
                         f"{q.event_shape}")
    n = p.event_shape[0]
    term1 = _half_log_det(q.scale_tril) - _half_log_det(p.scale_tril)
    m = linalg.solve(q.scale_tril, p.scale_tril)  # Lq^-1 Lp: its squared norm is tr(Sq^-1 Sp)
    z = linalg.solve(q.scale_tril, (q.loc - p.loc).unsqueeze(-1)).squeeze(-1)
    return term1 + 0.5 * ((m * m).sum((-2, -1)) + (z * z).sum(-1) - n)


@register_kl(Independent, Independent)
def _kl_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("[distributions] KL between Independents of different reinterpreted_batch_ndims")
    return p._sum(kl_divergence(p.base_dist, q.base_dist))
