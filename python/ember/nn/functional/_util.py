"""Argument helpers shared by the functional wrappers."""
from __future__ import annotations

from typing import Any

from ..._core import Tensor


def _pair(value: Any, name: str, arg: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"[{name}] {arg} must be an int or a pair of ints, got {value}")
    return (int(value[0]), int(value[1]))


def _check_dims(input: Tensor, dims: tuple[int, ...], name: str, layout: str) -> int:
    ndim = input.ndim
    if ndim not in dims:
        raise ValueError(f"[{name}] expected a {layout} input, got shape {tuple(input.shape)}")
    return ndim
