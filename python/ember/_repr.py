"""PyTorch-style printing of tensors."""
from __future__ import annotations

_DEFAULT_DTYPES = {"float32", "int64", "bool"}


def tensor_repr(t) -> str:
    import numpy as np

    arr = np.asarray(t.cpu())
    if arr.dtype.name == "bfloat16":  # ml_dtypes: printed as PyTorch does, through float32
        arr = arr.astype(np.float32)
    prefix = "tensor("
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size > 0 and (np.abs(finite).max() >= 1e8 or
                                   (np.abs(finite[finite != 0]).min(initial=1.0) < 1e-4))
        opts = dict(precision=4, floatmode="maxprec" if integral else "fixed", suppress_small=not big)
    else:
        opts = {}
    if arr.size == 0:
        body = "[]" if arr.ndim == 1 else "[]"
        suffix = f", size={tuple(arr.shape)}" if arr.ndim != 1 else ""
    else:
        body = np.array2string(arr, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                               max_line_width=80, **opts)
        if arr.dtype == np.bool_:
            body = body.replace("True", "True").replace("False", "False")
        suffix = ""
    dtype = str(t.dtype).removeprefix("ember.")
    if dtype not in _DEFAULT_DTYPES:
        suffix += f", dtype=ember.{dtype}"
    if t.is_cuda:
        suffix += f", device='{t.device.type}:{t.device.index}'"
    return f"{prefix}{body}{suffix})"
