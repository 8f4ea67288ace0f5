"""``weight_norm`` and ``spectral_norm``, as ``torch.nn.utils``' hook forms: the weight of a layer becomes a
function of new parameters, recomputed before each forward by a forward pre-hook, under PyTorch's state-dict
names (``weight_g``/``weight_v``; ``weight_orig`` with the ``weight_u``/``weight_v`` buffers), so that a
PyTorch checkpoint of such a model loads."""
from __future__ import annotations

from typing import Any

from ... import _core
from ...autograd import no_grad
from ..parameter import Parameter

__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]


def _norm_except_dim(v: Any, dim: int | None) -> Any:
    """The 2-norm of v over every dimension but dim, shaped to broadcast against v (dim None: one norm)."""
    if dim is None:
        return v.norm()
    keep = [1] * v.dim()
    keep[dim] = v.shape[dim]
    return v.transpose(0, dim).reshape(v.shape[dim], -1).norm(dim=1).reshape(keep)


def _take_parameter(module: Any, name: str, kind: str) -> Any:
    for hook, _ in module.__dict__.get("_ember_hooks", {}).get("forward_pre", {}).values():
        if isinstance(hook, (_WeightNorm, _SpectralNorm)) and hook.name == name:
            raise RuntimeError(f"[{kind}] cannot register two weight_norm/spectral_norm hooks on the same "
                               f"parameter {name!r}")
    weight = module._parameters.get(name) if "_parameters" in module.__dict__ else None
    if weight is None:
        raise ValueError(f"[{kind}] {type(module).__name__} has no parameter named {name!r}")
    del module._parameters[name]
    return weight


def _remove(module: Any, name: str, cls: type, kind: str) -> Any:
    for key, (hook, _) in list(module.__dict__.get("_ember_hooks", {}).get("forward_pre", {}).items()):
        if isinstance(hook, cls) and hook.name == name:
            with no_grad():
                weight = hook.compute(module, power_iteration=False)
            for suffix in hook.names:
                delattr(module, name + suffix)
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight.detach().clone()))
            del module.__dict__["_ember_hooks"]["forward_pre"][key]
            return module
    raise ValueError(f"[{kind}] {kind[len('remove_'):]} of {name!r} not found in {type(module).__name__}")


class _WeightNorm:
    names = ("_g", "_v")

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def compute(self, module: Any, power_iteration: bool = True) -> Any:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Any, inputs: Any) -> None:
        module.__dict__[self.name] = self.compute(module)


def weight_norm(module: Any, name: str = "weight", dim: int | None = 0) -> Any:
    """Reparametrises ``module.<name>`` as ``g * v / ||v||`` (the norm over every dimension but ``dim``; all of
    them with ``dim=None``), with parameters ``<name>_g`` and ``<name>_v``; returns the module."""
    weight = _take_parameter(module, name, "weight_norm")
    if dim is not None:
        if not -weight.dim() <= dim < weight.dim():
            raise IndexError(f"[weight_norm] dim {dim} is out of range for {name!r} of shape {tuple(weight.shape)}")
        dim %= weight.dim()
    fn = _WeightNorm(name, dim)
    with no_grad():
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).clone()))
        module.register_parameter(name + "_v", Parameter(weight.detach().clone()))
    fn(module, None)
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Any, name: str = "weight") -> Any:
    """Folds the weight norm of ``name`` back into a plain parameter; returns the module."""
    return _remove(module, name, _WeightNorm, "remove_weight_norm")


def _normalize(t: Any, eps: float) -> Any:
    from ..functional import normalize
    return normalize(t, dim=0, eps=eps)


def _spectral_matrix(weight: Any, dim: int) -> Any:
    """weight as the matrix whose spectral norm is taken: dim first, the other dimensions (in order) flattened."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.dim()) if d != dim))
    return weight.reshape(weight.shape[0], -1)


class _SpectralNorm:
    names = ("_orig", "_u", "_v")

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute(self, module: Any, power_iteration: bool) -> Any:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = _spectral_matrix(weight, self.dim)
        if power_iteration:
            # PyTorch's order: v then u, in place in the buffers, then copies for the graph below
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(_normalize(w.detach().t() @ u, self.eps))
                    u.copy_(_normalize(w.detach() @ v, self.eps))
            u, v = u.clone(), v.clone()
        sigma = (u * (w @ v)).sum()
        return weight / sigma

    def __call__(self, module: Any, inputs: Any) -> None:
        module.__dict__[self.name] = self.compute(module, power_iteration=module.training)


def spectral_norm(module: Any, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Any:
    """Divides ``module.<name>`` by its spectral norm, estimated by ``n_power_iterations`` steps of power
    iteration per training forward (SN-GAN), from the parameter ``<name>_orig`` and the buffers ``<name>_u``
    and ``<name>_v``; ``dim`` is the output dimension (1 for the ConvTranspose layers, else 0 by default)."""
    if n_power_iterations < 0:
        raise ValueError(f"[spectral_norm] expected n_power_iterations >= 0, got {n_power_iterations}")
    weight = _take_parameter(module, name, "spectral_norm")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    if not -weight.dim() <= dim < weight.dim():
        module.register_parameter(name, weight)
        raise IndexError(f"[spectral_norm] dim {dim} is out of range for {name!r} of shape {tuple(weight.shape)}")
    fn = _SpectralNorm(name, n_power_iterations, dim % weight.dim(), eps)
    with no_grad():
        w = _spectral_matrix(weight, fn.dim)
        h, width = w.shape
        u = _normalize(_core.randn(h, dtype=weight.dtype), eps)
        v = _normalize(_core.randn(width, dtype=weight.dtype), eps)
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.__dict__[name] = weight.detach()
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Any, name: str = "weight") -> Any:
    """Folds the spectral norm of ``name`` back into a plain parameter; returns the module."""
    return _remove(module, name, _SpectralNorm, "remove_spectral_norm")
