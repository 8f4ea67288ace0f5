"""PyTorch-style printing of tensors, with ``set_printoptions`` as torch's."""
from __future__ import annotations

import sys
from typing import Any

_DEFAULT_DTYPES = {"float32", "int64", "bool"}
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)}
_options: dict[str, Any] = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print, as ``torch.set_printoptions``: digits after the point (``precision``), the element
    count above which a tensor is summarised (``threshold``) showing ``edgeitems`` at each end, the line width,
    a ``profile`` ("default", "short", "full") that resets the others, and ``sci_mode`` (True: scientific
    notation; False: never; None: when the values need it)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"[set_printoptions] profile must be 'default', 'short' or 'full', got {profile!r}")
        _options.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"[set_printoptions] {key} must be a non-negative number, got {value!r}")
            _options[key] = value
    _options["sci_mode"] = sci_mode


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
        sci = big if _options["sci_mode"] is None else _options["sci_mode"]
        opts = dict(precision=int(_options["precision"]), floatmode="maxprec" if integral else "fixed",
                    suppress_small=not sci)
        if _options["sci_mode"] is True:
            opts["formatter"] = {"float_kind": lambda v: f"{v:.{int(_options['precision'])}e}"}
    else:
        opts = {}
    if arr.size == 0:
        body = "[]" if arr.ndim == 1 else "[]"
        suffix = f", size={tuple(arr.shape)}" if arr.ndim != 1 else ""
    else:
        threshold = _options["threshold"]
        body = np.array2string(arr, separator=", ", prefix=prefix,
                               threshold=sys.maxsize if threshold == float("inf") else int(threshold),
                               edgeitems=int(_options["edgeitems"]), max_line_width=int(_options["linewidth"]), **opts)
        if arr.dtype == np.bool_:
            body = body.replace("True", "True").replace("False", "False")
        suffix = ""
    dtype = str(t.dtype).removeprefix("ember.")
    if dtype not in _DEFAULT_DTYPES:
        suffix += f", dtype=ember.{dtype}"
    if t.is_cuda:
        suffix += f", device='{t.device.type}:{t.device.index}'"
    return f"{prefix}{body}{suffix})"
