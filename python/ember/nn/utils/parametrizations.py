"""``ember.nn.utils.parametrizations``, as ``torch.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm``
registered through ``parametrize`` (PyTorch's current forms; the older hook forms are ``nn.utils.weight_norm`` /
``spectral_norm``). State-dict keys are PyTorch's: ``parametrizations.weight.original0`` / ``original1`` (g, v)
and ``parametrizations.weight.original`` with ``parametrizations.weight.0._u`` / ``_v``."""
from __future__ import annotations

from typing import Any

from ... import _core
from ..._core import Tensor
from ...autograd import no_grad
from ..module import Module
from . import parametrize
from .weight_norm import _norm_except_dim, _normalize, _spectral_matrix

__all__ = ["spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrises ``module.<name>`` as ``g * v / ||v||`` (the norm over every dimension but ``dim``; all of
    them with ``dim=None``), with ``g`` and ``v`` as ``parametrizations.<name>.original0`` / ``original1``. A
    state dict of the hook form (``<name>_g`` / ``<name>_v``) still loads. Returns the module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"[weight_norm] {type(module).__name__} has no parameter or buffer named {name!r}")
    if dim == -1:
        dim = None  # PyTorch's spelling of "the whole tensor" here
    if dim is not None:
        if not -weight.dim() <= dim < weight.dim():
            raise IndexError(f"[weight_norm] dim {dim} is out of range for {name!r} of shape {tuple(weight.shape)}")
        dim %= weight.dim()
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def hook_form_keys(state_dict: dict, prefix: str, *_: Any) -> None:
        g, v = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g in state_dict and v in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v)

    module._register_load_state_dict_pre_hook(hook_form_keys)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.dim()
        if not -ndim <= dim < ndim:
            raise IndexError(f"[spectral_norm] dim {dim} is out of range for a weight of shape {tuple(weight.shape)}")
        if n_power_iterations <= 0:
            raise ValueError(f"[spectral_norm] expected n_power_iterations > 0, got {n_power_iterations}")
        self.dim, self.eps = dim % ndim, eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                h, w = _spectral_matrix(weight, self.dim).shape
                self.register_buffer("_u", _normalize(_core.randn(h, dtype=weight.dtype), eps))
                self.register_buffer("_v", _normalize(_core.randn(w, dtype=weight.dtype), eps))
            self._power_method(_spectral_matrix(weight, self.dim), 15)

    def _power_method(self, w: Tensor, n: int) -> None:
        # PyTorch's order here: u then v, in place in the buffers
        with no_grad():
            w = w.detach()
            for _ in range(n):
                self._u.copy_(_normalize(w @ self._v, self.eps))
                self._v.copy_(_normalize(w.t() @ self._u, self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.dim() == 1:
            return _normalize(weight, self.eps)
        w = _spectral_matrix(weight, self.dim)
        if self.training:
            self._power_method(w, self.n_power_iterations)
        sigma = (self._u.clone() * (w @ self._v.clone())).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divides ``module.<name>`` by its spectral norm, estimated by power iteration (15 steps at registration,
    ``n_power_iterations`` per training access) in the buffers ``parametrizations.<name>.0._u`` / ``_v``;
    ``dim`` is the output dimension (1 for the ConvTranspose layers, else 0 by default). Returns the module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"[spectral_norm] {type(module).__name__} has no parameter or buffer named {name!r}")
    if dim is None:
        dim = 1 if parametrize.type_before_parametrizations(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
