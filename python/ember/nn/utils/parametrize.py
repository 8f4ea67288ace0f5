"""``ember.nn.utils.parametrize``, as ``torch.nn.utils.parametrize``: a parameter or buffer of a module becomes the
output of a small module (a parametrization) applied to the tensors it keeps under
``module.parametrizations.<name>.original`` (``original0``, ``original1``... when the parametrization's
``right_inverse`` returns several), recomputed at each access, or once per ``cached()`` block. Assigning
``module.<name> = value`` stores ``right_inverse(value)``. State-dict keys are PyTorch's."""
from __future__ import annotations

import contextlib
import copy
from collections.abc import Sequence
from typing import Any, Iterator

from ..._core import Tensor
from ...autograd import no_grad
from ..container import ModuleDict, ModuleList
from ..module import Module
from ..parameter import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "type_before_parametrizations"]

_cache_depth = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Within the block each parametrized tensor is computed once, at its first access."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _register(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _store(holder: Module, name: str, value: Tensor, what: str) -> None:
    """Writes value into holder.<name> in place, keeping the tensor object (optimizers hold it); a new shape,
    which only ``unsafe`` parametrizations make, replaces the object."""
    current = getattr(holder, name)
    if value.dtype != current.dtype:
        raise ValueError(f"[parametrize] {what} has dtype {value.dtype} while `{name}` has dtype {current.dtype}")
    with no_grad():
        if tuple(value.shape) == tuple(current.shape):
            current.copy_(value)
        elif isinstance(current, Parameter):
            holder.register_parameter(name, Parameter(value.detach().clone(), current.requires_grad))
        else:
            holder.register_buffer(name, value.detach().clone())


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the ``original`` tensor(s) they start from."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("[parametrize] ParametrizationList requires one or more modules")
        super().__init__(modules)
        self.unsafe = unsafe
        new: Any = original
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        self.is_tensor = isinstance(new, Tensor)
        if not self.is_tensor and not isinstance(new, Sequence):
            raise ValueError("[parametrize] 'right_inverse' must return a Tensor or a sequence of tensors, got "
                             f"{type(new).__name__}")
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype != original.dtype:
                raise ValueError("[parametrize] when `right_inverse` returns one tensor it may not change the dtype: "
                                 f"original {original.dtype}, right_inverse(original) {new.dtype}")
            _register(self, "original", original)
            if new is not original:
                _store(self, "original", new, "right_inverse(original)")
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(f"[parametrize] 'right_inverse' must return tensors; element {i} is "
                                     f"{type(t).__name__}")
                t = t.detach().clone()
                _register(self, f"original{i}",
                          Parameter(t, original.requires_grad) if isinstance(original, Parameter) else t)
        if not unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"[parametrize] a parametrization must return a tensor, got {type(z).__name__}")
            if z.dtype != original.dtype:
                raise ValueError("[parametrize] registering a parametrization may not change the dtype of the tensor "
                                 f"(unless unsafe=True): unparametrized {original.dtype}, parametrized {z.dtype}")
            if tuple(z.shape) != tuple(original.shape):
                raise ValueError("[parametrize] registering a parametrization may not change the shape of the tensor "
                                 f"(unless unsafe=True): unparametrized {tuple(original.shape)}, "
                                 f"parametrized {tuple(z.shape)}")

    def right_inverse(self, value: Tensor) -> None:
        """Sets the original tensor(s) so that the parametrizations give ``value``."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"[parametrize] parametrization {type(module).__name__} does not implement "
                                       "right_inverse")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"[parametrize] `right_inverse` should return a tensor, got {type(value).__name__}")
                _store(self, "original", value, "the tensor returned by `right_inverse`")
                return
            if not isinstance(value, Sequence) or len(value) != self.ntensors:
                raise ValueError(f"[parametrize] 'right_inverse' must return a sequence of {self.ntensors} tensors, "
                                 f"got {type(value).__name__}")
            for i, t in enumerate(value):
                _store(self, f"original{i}", t, f"tensor {i} returned by `right_inverse`")

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _inject_class(module: Module) -> None:
    """Gives module a class of its own (``Parametrized<Class>``), to carry the tensors' properties."""
    cls = type(module)

    def getstate(self: Any) -> None:
        raise RuntimeError("[parametrize] serialization of parametrized modules is only supported through "
                           "state_dict()")

    def deepcopy(self: Any, memo: dict) -> Any:
        # __getstate__ refuses pickling, which copy.deepcopy would otherwise go through
        if id(self) in memo:
            return memo[id(self)]
        replica = self.__new__(type(self))
        memo[id(self)] = replica
        replica.__dict__ = copy.deepcopy(self.__dict__, memo)
        return replica

    members: dict[str, Any] = {"__getstate__": getstate}
    if not hasattr(cls, "__deepcopy__"):
        members["__deepcopy__"] = deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), members)


def _inject_property(module: Module, name: str) -> None:
    def get(self: Any) -> Tensor:
        parametrization = self.parametrizations[name]
        if not _cache_depth:
            return parametrization()
        key = (id(self), name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_(self: Any, value: Tensor) -> None:
        self.parametrizations[name].right_inverse(value)

    setattr(type(module), name, property(get, set_))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Makes ``module.<tensor_name>`` the output of ``parametrization`` (a module whose forward maps the stored
    tensor(s) to the tensor used); a second registration on the same name chains after the first. With
    ``unsafe=False`` the parametrization may not change the tensor's shape or dtype. Returns module."""
    if not isinstance(parametrization, Module):
        raise TypeError(f"[parametrize] a parametrization must be an nn.Module, got {type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor):
                raise ValueError(f"[parametrize] a parametrization must return a tensor, got {type(x).__name__}")
            if x.dtype != y.dtype or tuple(x.shape) != tuple(y.shape):
                raise ValueError(f"[parametrize] registering a parametrization may not change module.{tensor_name} "
                                 f"(unless unsafe=True): {tuple(y.shape)} {y.dtype} became {tuple(x.shape)} {x.dtype}")
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(f"[parametrize] {type(module).__name__}.{tensor_name} is None: nothing to parametrize")
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"[parametrize] {type(module).__name__} has no parameter, buffer or parametrized tensor "
                         f"named {tensor_name!r}")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether module has a parametrization (on ``tensor_name``, when given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Removes the parametrizations of ``tensor_name``: it becomes a plain parameter (or buffer) again, holding the
    parametrized value (``leave_parametrized=True``) or the original one. Returns module."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"[parametrize] {type(module).__name__} has no parametrization on {tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            if tuple(value.shape) == tuple(original.shape) and value.dtype == original.dtype:
                with no_grad():
                    original.copy_(value)
            else:
                original = Parameter(value.detach().clone(), original.requires_grad) \
                    if isinstance(original, Parameter) else value.detach().clone()
    else:
        if not leave_parametrized:
            raise ValueError("[parametrize] cannot leave the tensor unparametrized (leave_parametrized=False) when "
                             "its parametrization keeps several original tensors")
        with no_grad():
            value = getattr(module, tensor_name).detach().clone()
        first = plist.original0
        original = Parameter(value, first.requires_grad) if isinstance(first, Parameter) else value
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The class of module before any parametrization was registered on it."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)
