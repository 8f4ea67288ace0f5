"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList`` and ``ParameterDict``, as in
``torch.nn``."""
from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

from .module import Module, _addindent

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]


def _index(idx: Any, size: int, kind: str) -> int:
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"[{kind}] index {idx} is out of range for a {kind} of length {size}")
    return idx % size


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))``.

    The children are named ``"0"``, ``"1"``... or, given an ``OrderedDict``, by its keys. Supports
    ``len``, iteration, indexing (a slice gives a ``Sequential``) and ``append``.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), "Sequential")]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx: Any) -> None:
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(self), "Sequential")]]):
            del self._modules[key]
        # Keep the numbering contiguous, as PyTorch does.
        items = list(self._modules.items())
        self._modules.clear()
        for i, (key, module) in enumerate(items):
            self._modules[str(i) if key.isdigit() else key] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Adds ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Appends each of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Inserts ``module`` before position ``index``; returns self."""
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"[Sequential] index {index} is out of range for a Sequential of length {n}")
        mods = list(self._modules.values())
        mods.insert(index % (n + 1) if index < 0 else index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)
        return self

    def forward(self, input: Any) -> Any:
        """Passes ``input`` through each module in turn."""
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules whose parameters are registered (children ``"0"``, ``"1"``...); it has no
    ``forward``: iterate over it in the parent's ``forward``."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx: Any) -> None:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[_index(idx, len(self), "ModuleList")]
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __repr__(self) -> str:
        # As PyTorch: runs of identical children print once, as "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        blocks: list[list] = []
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = [_addindent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2) for a, b, r in blocks]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return type(self)(list(self) + list(other))

    def append(self, module: Module) -> ModuleList:
        """Adds ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Appends each of ``modules``; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Inserts ``module`` before position ``index``."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)


class _DictContainer(Module):
    """The dict methods of ModuleDict and ParameterDict, over the registry `_store` names (``"_modules"`` or
    ``"_parameters"``); each subclass registers an entry its own way (``__setitem__``)."""

    _store = "_modules"
    _entry = "module"

    def __init__(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if entries is not None:
            self.update(entries)

    def _entries(self) -> dict:
        return self.__dict__[self._store]

    def __getitem__(self, key: str) -> Any:
        return self._entries()[key]

    def __delitem__(self, key: str) -> None:
        del self._entries()[key]

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries())

    def __contains__(self, key: object) -> bool:
        return key in self._entries()

    def keys(self) -> Any:
        """The keys, in insertion order."""
        return self._entries().keys()

    def items(self) -> Any:
        """The ``(key, entry)`` pairs, in insertion order."""
        return self._entries().items()

    def values(self) -> Any:
        """The entries, in insertion order."""
        return self._entries().values()

    def get(self, key: str, default: Any = None) -> Any:
        """The entry under ``key``, or ``default``."""
        return self._entries().get(key, default)

    def pop(self, key: str) -> Any:
        """Removes ``key`` and returns its entry."""
        return self._entries().pop(key)

    def clear(self) -> None:
        """Removes every entry."""
        self._entries().clear()

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Adds (or replaces) entries from a mapping or an iterable of ``(key, entry)`` pairs."""
        items = entries.items() if hasattr(entries, "items") else entries
        for j, item in enumerate(items):
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise ValueError(f"[{type(self).__name__}] update sequence element #{j} should be a (key, "
                                 f"{self._entry}) pair")
            self[item[0]] = item[1]


class ModuleDict(_DictContainer):
    """A dict of modules whose parameters are registered under their keys, in insertion order."""

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)


def _as_parameter(value: Any) -> Any:
    """A tensor as a Parameter (PyTorch's containers wrap plain tensors); a Parameter or None as it is."""
    from .parameter import Parameter
    from .._core import Tensor
    if value is None or isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"cannot register '{type(value).__name__}' as a parameter (ember.nn.Parameter or a tensor "
                    "required)")


def _parameter_line(p: Any) -> str:
    if p is None:
        return "None"
    size = "x".join(str(s) for s in p.shape)
    return f"Parameter containing: [ember.{str(p.dtype).split('.')[-1]} of size {size}]"


class ParameterList(Module):
    """A list of parameters registered as ``"0"``, ``"1"``... (plain tensors are made Parameters)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._parameters.values())[idx])
        return self._parameters[str(_index(idx, len(self), "ParameterList"))]

    def __setitem__(self, idx: int, value: Any) -> None:
        self.register_parameter(str(_index(idx, len(self), "ParameterList")), _as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._parameters.values())

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Adds ``value`` at the end; returns self."""
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Appends each of ``values``; returns self."""
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_parameter_line(p)}" for k, p in self._parameters.items())


class ParameterDict(_DictContainer):
    """A dict of parameters registered under their keys, in insertion order (plain tensors are made Parameters)."""

    _store = "_parameters"
    _entry = "parameter"

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter(value))

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_parameter_line(p)}" for k, p in self._parameters.items())
