"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, ``rnn`` (packed sequences), the
``weight_norm`` / ``spectral_norm`` reparametrisations (hook forms), and ``parametrize`` / ``parametrizations``,
as ``torch.nn.utils``."""
from __future__ import annotations

import math
from typing import Iterable

from ... import _core
from ..._core import Tensor
from ...autograd import no_grad
from . import parametrizations, parametrize, rnn
from .weight_norm import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "parametrizations", "parametrize",
           "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm", "vector_to_parameters", "weight_norm"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(t: Tensor, norm_type: float) -> Tensor:
    if norm_type == math.inf:
        return t.abs().amax() if t.numel() else _core.zeros((), dtype=t.dtype)
    if norm_type == -math.inf:
        return t.abs().amin()
    if norm_type == 2.0:
        return (t * t).sum().sqrt()
    if norm_type == 1.0:
        return t.abs().sum()
    return t.abs().pow(norm_type).sum().pow(1.0 / norm_type)


@no_grad()
def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scales the gradients of ``parameters`` in place so that their total norm (the norm of the
    per-parameter norms) is at most ``max_norm``; returns the total norm before clipping (a 0-d tensor).

    As in PyTorch the scale is ``min(1, max_norm / (total_norm + 1e-6))``; ``norm_type`` may be
    ``math.inf``. With ``error_if_nonfinite`` a nan or inf total norm raises RuntimeError.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return _core.tensor(0.0)
    norms = [_norm(g, norm_type) for g in grads]
    dtype = norms[0].dtype
    total = _norm(_core.stack([n.to(dtype) for n in norms]), norm_type)
    value = total.item()
    if error_if_nonfinite and (math.isnan(value) or math.isinf(value)):
        raise RuntimeError(
            f"[clip_grad_norm_] the total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (value + 1e-6), 1.0)
    for g in grads:
        g.mul_(coef)
    return total


@no_grad()
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamps every gradient of ``parameters`` in place to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.copy_(g.clamp(-clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one 1-d tensor."""
    return _core.cat([p.reshape(-1) for p in parameters])


@no_grad()
def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of the 1-d ``vec`` into ``parameters`` (the inverse of
    ``parameters_to_vector``)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"[vector_to_parameters] expected a 1-d Tensor, got {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise ValueError(f"[vector_to_parameters] vector has {vec.numel()} elements, the parameters {total}")
    offset = 0
    for p in params:
        n = p.numel()
        p.copy_(vec[offset:offset + n].reshape(p.shape))
        offset += n
