"""``ember.distributions``: the probability distributions model code samples from and scores, as
``torch.distributions`` (written with ember's ops, so ``rsample`` and ``log_prob`` are differentiable):
``Normal``, ``Uniform``, ``Bernoulli`` and ``Categorical``, each with ``sample``, ``log_prob``, ``entropy``,
``mean``, ``variance``, ``stddev``, ``batch_shape`` and ``event_shape``. Parameters are checked as PyTorch's
``validate_args`` does: an invalid one is a ValueError naming it and its shape."""
from __future__ import annotations

import math
from typing import Any, Sequence

from . import _core
from ._core import Tensor
from ._tensor_api import bernoulli, broadcast_shapes, broadcast_tensors
from ._dtype_info import finfo
from .autograd import no_grad

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform"]


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


class Normal(Distribution):
    """N(loc, scale^2), loc and scale broadcast; ``rsample`` is loc + scale * eps."""

    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool = True) -> None:
        loc = _tensor(loc)
        scale = _tensor(scale, loc)
        self.loc, self.scale = broadcast_tensors(loc, scale)
        if validate_args:
            _check(self.scale > 0, "scale", self.scale, "GreaterThan(lower_bound=0.0)")
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _params(self) -> dict:
        return {"loc": self.loc, "scale": self.scale}

    @property
    def mean(self) -> Tensor:
        return self.loc

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
