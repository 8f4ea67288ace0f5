"""Argument helpers shared by the functional wrappers."""
from __future__ import annotations

from typing import Any



def _pair(value: Any, name: str, arg: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"[{name}] {arg} must be an int or a pair of ints, got {value}")
    return (int(value[0]), int(value[1]))

