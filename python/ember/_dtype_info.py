"""``ember.finfo`` / ``ember.iinfo``: the numeric limits of ember's dtypes, as ``torch.finfo`` / ``torch.iinfo``
(from NumPy's, and ml_dtypes' for bfloat16; both imported on first use so that ``import ember`` stays fast); and
``ember.float16`` / ``ember.half``, the name of a dtype ember has no tensors of."""
from __future__ import annotations

import math
from typing import Any

from . import _core


def _name(dtype: Any) -> str:
    if not isinstance(dtype, _core.dtype):
        raise TypeError(f"expected an ember dtype (ember.float32, ...), got {type(dtype).__name__}")
    return str(dtype).split(".")[-1]


class finfo:
    """The limits of a floating dtype (the default dtype when none is given): ``bits``, ``eps``, ``max``,
    ``min``, ``tiny`` (= ``smallest_normal``), ``resolution`` and ``dtype`` (its name)."""

    def __init__(self, type: Any = None) -> None:
        if type is None:
            from ._settings import get_default_dtype
            type = get_default_dtype()
        name = _name(type)
        if not type.is_floating_point:
            raise TypeError(f"[finfo] expected a floating dtype, got ember.{name} (use ember.iinfo for integers)")
        import numpy as np
        if name == "bfloat16":
            import ml_dtypes
            info = ml_dtypes.finfo(ml_dtypes.bfloat16)
        else:
            info = np.finfo(np.dtype(name))
        self.dtype = name
        self.bits = int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))  # PyTorch's (bfloat16: 0.01)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype: ``bits``, ``min``, ``max`` and ``dtype`` (its name)."""

    def __init__(self, type: Any) -> None:
        name = _name(type)
        if type.is_floating_point or name == "bool":
            raise TypeError(f"[iinfo] expected an integer dtype, got ember.{name}"
                            + (" (use ember.finfo for floating dtypes)" if type.is_floating_point else ""))
        import numpy as np
        info = np.iinfo(np.dtype(name))
        self.dtype, self.bits, self.min, self.max = name, int(info.bits), int(info.min), int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"


class _UnsupportedDType:
    """A PyTorch dtype that ember has no tensors of. It exists so that code naming it (a table of dtypes, a
    comparison) runs; making or converting a tensor with it raises TypeError naming it (python/src/bind_tensor.cpp
    reads ``_ember_unsupported_dtype``)."""

    def __init__(self, name: str, itemsize: int, hint: str) -> None:
        self._name, self.itemsize = name, itemsize
        self._ember_unsupported_dtype = f"ember has no {name} tensors: {hint}"

    is_floating_point = True
    is_complex = False
    is_signed = True

    def __repr__(self) -> str:
        return f"ember.{self._name}"

    def __reduce__(self) -> str:
        return self._name  # pickles as the module attribute ember.<name>


float16 = half = _UnsupportedDType("float16", 2, "use ember.bfloat16 (16 bits, float32's range, which oneDNN "
                                   "runs natively) or ember.float32")
