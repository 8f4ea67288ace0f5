"""Helpers shared by the autograd tests."""
from __future__ import annotations

import contextlib
import re

import pytest

import ember

F64 = ember.float64
F32 = ember.float32


def leaf(values, dtype=F64):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def arr(t):
    return t.detach().numpy()


@contextlib.contextmanager
def raises(exc, *patterns):
    """pytest.raises for an ember error: type exc, a message in the "[op] ..." format that matches each
    pattern (a regular expression, case-insensitive)."""
    with pytest.raises(exc) as info:
        yield info
    msg = str(info.value)
    assert re.match(r"\[[\w.]+\] ", msg), f"message not in the '[op] ...' format: {msg!r}"
    for pat in patterns:
        assert re.search(pat, msg, re.IGNORECASE), f"{pat!r} not in {msg!r}"
