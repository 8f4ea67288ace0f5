"""Checkpoints: ``ember.save(obj, path)`` and ``ember.load(path)`` in the safetensors format.

A flat dict of tensors (a state dict) is written as plain safetensors entries under its own keys,
so ``safetensors.torch.load_file`` reads it as the same state dict, and ``ember.load`` reads files
that ``safetensors.torch.save_file`` / ``safetensors.numpy.save_file`` wrote. Any other object, a
nested structure of dicts, lists and tuples holding tensors and plain values (``{"model": ...,
"optimizer": ..., "epoch": 3}``), is stored as its tensors under dotted names ("model.fc.weight")
plus the structure as JSON in the ``__metadata__`` entry "ember", which refers to the tensors by
name. Every file ember writes also records the ember that wrote it (``__metadata__`` "ember.version").
Writes are atomic: a failed or killed save leaves the previous file as it was.
"""
from __future__ import annotations

import json
import os
from typing import Any

from . import _core
from ._core import CheckpointError, Tensor

__all__ = ["save", "load", "CheckpointError"]

_METADATA_KEY = "ember"  # the __metadata__ entry that holds the structure of a nested checkpoint
_FORMAT_VERSION = 1
_VERSION_KEY = "ember.version"  # the __metadata__ entry naming the ember that wrote the file (from 0.2.0)
_PLAIN = (str, int, float, bool, type(None))


def _fspath(path: Any, op: str) -> str:
    if isinstance(path, (str, bytes, os.PathLike)):
        return os.fsdecode(os.fspath(path))
    raise TypeError(f"ember.{op}: expected a file path (str or os.PathLike), got {type(path).__name__}")


def _where(path: tuple) -> str:
    return "".join(f"[{k!r}]" for k in path) or "the top level"


def _is_state_dict(obj: Any) -> bool:
    return (isinstance(obj, dict) and "__metadata__" not in obj
            and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items()))


class _Flattener:
    """Walks a nested object: collects its tensors under unique dotted names and returns its JSON tree."""

    def __init__(self) -> None:
        self.tensors: list[tuple[str, Tensor]] = []
        self.names: set[str] = set()

    def name_for(self, path: tuple) -> str:
        base = ".".join(str(k) for k in path) or "tensor"
        name, n = base, 1
        while name in self.names or name == "__metadata__":
            n += 1
            name = f"{base}#{n}"
        self.names.add(name)
        return name

    def key(self, k: Any, path: tuple) -> Any:
        if isinstance(k, tuple):
            return {"__tuple__": [self.key(x, path) for x in k]}
        if isinstance(k, _PLAIN):
            return k
        raise TypeError(f"ember.save: dict key {k!r} of type {type(k).__name__} at {_where(path)} cannot be saved: "
                        "keys must be str, int, float, bool, None or tuples of those")

    def tree(self, obj: Any, path: tuple) -> Any:
        if isinstance(obj, Tensor):
            name = self.name_for(path)
            self.tensors.append((name, obj))
            return {"__tensor__": name}
        if isinstance(obj, _PLAIN):
            return obj
        if isinstance(obj, list):
            return [self.tree(v, path + (i,)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"__tuple__": [self.tree(v, path + (i,)) for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {"__dict__": {k: self.tree(v, path + (k,)) for k, v in obj.items()}}
            return {"__dict__": [[self.key(k, path), self.tree(v, path + (k,))] for k, v in obj.items()]}
        hint = ""
        if type(obj).__module__.startswith(("numpy", "torch")):
            hint = " (convert arrays with ember.from_numpy or ember.from_dlpack first)"
        raise TypeError(f"ember.save: cannot save a value of type {type(obj).__name__} at {_where(path)}: "
                        f"supported are Tensor, dict, list, tuple, str, int, float, bool and None{hint}")


def save(obj: Any, f: str | os.PathLike) -> None:
    """Saves a state dict, or a nested dict/list/tuple of tensors and plain values, to ``f`` (safetensors).

    The write is atomic: the data goes to a temporary file beside ``f`` that is flushed to disk and
    then renamed over ``f``, so a save that fails or is killed leaves the previous file intact.
    Tensors are stored as data only (``requires_grad`` is not kept).

    >>> ember.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.safetensors")
    """
    path = _fspath(f, "save")
    if _is_state_dict(obj):
        _core._save_safetensors(path, list(obj.items()), {_VERSION_KEY: _core.__version__})
        return
    flat = _Flattener()
    tree = flat.tree(obj, ())
    try:
        text = json.dumps({"version": _FORMAT_VERSION, "tree": tree}, separators=(",", ":"))
    except RecursionError:
        raise ValueError("ember.save: the object is nested too deeply to be saved") from None
    _core._save_safetensors(path, flat.tensors, {_METADATA_KEY: text, _VERSION_KEY: _core.__version__})


def _unflatten(node: Any, tensors: dict[str, Tensor], path: str) -> Any:
    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"[load] {path}: the stored structure is invalid: {what}")

    def key(k: Any) -> Any:
        if isinstance(k, dict):
            if set(k) != {"__tuple__"} or not isinstance(k["__tuple__"], list):
                raise bad(f"unexpected dict key {k!r}")
            return tuple(key(x) for x in k["__tuple__"])
        if isinstance(k, list):
            raise bad("a list cannot be a dict key")
        return k

    def walk(n: Any) -> Any:
        if isinstance(n, list):
            return [walk(v) for v in n]
        if not isinstance(n, dict):
            return n
        if len(n) != 1:
            raise bad(f"unexpected object with keys {sorted(n)!r}")
        (tag, value), = n.items()
        if tag == "__tensor__":
            if not isinstance(value, str) or value not in tensors:
                raise bad(f"it refers to a tensor {value!r} that the file does not hold")
            return tensors[value]
        if tag == "__tuple__" and isinstance(value, list):
            return tuple(walk(v) for v in value)
        if tag == "__dict__" and isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if tag == "__dict__" and isinstance(value, list):
            out = {}
            for item in value:
                if not isinstance(item, list) or len(item) != 2:
                    raise bad("a dict item is not a [key, value] pair")
                try:
                    out[key(item[0])] = walk(item[1])
                except TypeError:
                    raise bad(f"dict key {item[0]!r} is not hashable") from None
            return out
        raise bad(f"unknown tag {tag!r}")

    return walk(node)


def load(f: str | os.PathLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Loads what ``ember.save`` wrote, or any safetensors file (a dict of name -> Tensor).

    The file is validated (header, dtypes, shapes, offsets) before any data is read; a truncated,
    corrupt or hostile file raises ``ember.CheckpointError`` (a ``ValueError``) naming the problem,
    a missing one ``FileNotFoundError``. ``map_location`` (None or "cpu") and ``weights_only``
    are accepted for compatibility with ``torch.load``; ember's files only ever hold data.
    """
    path = _fspath(f, "load")
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(f"ember.load: map_location must be None or 'cpu', got {map_location!r}")
    del weights_only  # ember never unpickles: loading is always data only
    items, metadata = _core._load_safetensors(path)
    tensors = dict(items)
    if _METADATA_KEY not in metadata:
        return tensors
    try:
        stored = json.loads(metadata[_METADATA_KEY])
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"[load] {path}: the __metadata__ entry {_METADATA_KEY!r} is not valid JSON ({e})") from None
    if not isinstance(stored, dict) or "tree" not in stored or not isinstance(stored.get("version"), int):
        raise CheckpointError(f"[load] {path}: the __metadata__ entry {_METADATA_KEY!r} is not an ember structure")
    if stored["version"] > _FORMAT_VERSION:
        writer = f"ember {metadata[_VERSION_KEY]}" if _VERSION_KEY in metadata else "a newer ember"
        raise CheckpointError(f"[load] {path}: written by {writer} (format {stored['version']}); this is ember "
                              f"{_core.__version__}, which reads formats up to {_FORMAT_VERSION}")
    try:
        return _unflatten(stored["tree"], tensors, path)
    except RecursionError:
        raise CheckpointError(f"[load] {path}: the stored structure is nested too deeply") from None
