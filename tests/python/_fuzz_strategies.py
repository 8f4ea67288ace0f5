"""Hypothesis strategies and the comparison harness of the property fuzzer (test_fuzz_ops.py).

A drawn tensor is a ``TSpec``: native NumPy values plus a layout recipe (contiguous, transposed, expanded,
sliced with steps and an offset, or a NumPy view with negative steps / non-native byte order fed through
``ember.from_numpy``). The same recipe builds the PyTorch and the ember operand, so both libraries see the
same values with the same strides. A drawn call runs in both; ``check`` then demands that ember raises an
ordinary Python exception where PyTorch raises, and otherwise returns PyTorch's shape, dtype and values.
"""
from __future__ import annotations

import faulthandler
import os
import re
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import ml_dtypes
import numpy as np
from hypothesis import assume, strategies as st

import ember
import ember.nn.functional as EF

torch = None  # set by load_torch()
TF = None


def load_torch():
    global torch, TF
    import pytest

    torch = pytest.importorskip("torch")
    import torch.nn.functional as _tf

    TF = _tf
    torch.set_num_threads(1)
    return torch


DTYPES = ["float32", "float64", "int64", "int32", "uint8", "int8", "bool"]
FLOATS = ["float32", "float64"]
INTS = ["int64", "int32", "uint8", "int8"]
NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32, "uint8": np.uint8,
      "int8": np.int8, "bool": np.bool_, "bfloat16": ml_dtypes.bfloat16}

# Exceptions ember may raise for a bad call: the builtins its C++ errors map to, and its own classes
# (CheckpointError is a ValueError, GradcheckError a RuntimeError, cuda.OutOfMemoryError a MemoryError).
OK_ERRORS = (ValueError, TypeError, IndexError, RuntimeError, MemoryError, OverflowError)

# Seconds one call may run before faulthandler dumps every thread's stack (the dump names the call) and
# exits: a hang becomes a failure instead of a stuck CI job.
HANG_S = float(os.environ.get("EMBER_FUZZ_HANG_S", "60"))
# EMBER_FUZZ_COLLECT=path: append every discrepancy to path (one line each) instead of failing, to list all
# the bugs of a long run at once (the hunting mode; the test itself always fails on the first).
COLLECT = os.environ.get("EMBER_FUZZ_COLLECT")

# PyTorch refusals that only say a kernel is missing for a dtype: ember may support more dtypes there.
TORCH_KERNEL_GAP = re.compile(r"not implemented for|\"[a-z_0-9]+\" not implemented|Unsupported dtype|"
                              r"only supports floating-point dtypes|expected scalar type Float|"
                              r"not supported for (Bool|Long|Int|Byte)|must be a floating point|"
                              r"does not support int|Promotion for uint16|input must be floating point",
                              re.I)


# PyTorch errors that are PyTorch's own bugs (ember's answer is right): an index error on an empty select, and
# the backward of dist(p=0) (a zero gradient that PyTorch's formula returns as None).
TORCH_QUIRK = re.compile(r"select\(\): index 0 out of range for tensor of size \[0\]|"
                         r"Expected a proper Tensor but got None \(or an undefined Tensor in C\+\+\) for argument #0")


class Discrepancy(AssertionError):
    pass


# --- dtypes and values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DT:
    """A dtype token: becomes torch.X or ember.X."""

    name: str

    def __repr__(self):
        return f"L.{self.name}"


def values(rng: np.random.Generator, shape: tuple, dtype: str, kind: str) -> np.ndarray:
    n = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        a = rng.random(n) < 0.5
    elif dtype in INTS:
        if kind == "wide":
            info = np.iinfo(NP[dtype])
            a = rng.choice(np.array([info.min, info.max, 0, 1, -1 if info.min < 0 else 2, 7], dtype=NP[dtype]), n)
        elif dtype == "uint8":
            a = rng.integers(0, 10, n)
        elif kind == "positive":
            a = rng.integers(1, 6, n)
        else:
            a = rng.integers(-5, 6, n)
    else:
        if kind == "unit":
            a = rng.random(n)
        elif kind == "positive":
            a = rng.random(n) * 4 + 0.05
        elif kind == "special":
            a = rng.standard_normal(n) * 2
            specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 1.0, -1.0])
            pick = rng.random(n) < 0.3
            a[pick] = rng.choice(specials, int(pick.sum()))
        elif kind == "big":
            a = rng.standard_normal(n) * 1e30
        elif kind == "int":
            a = rng.integers(-4, 5, n).astype(np.float64)
        else:
            a = rng.standard_normal(n) * 2
    return np.asarray(a).astype(NP[dtype]).reshape(shape)


# --- tensors -----------------------------------------------------------------------------------------


@dataclass
class TSpec:
    """Values of shape `shape` laid out by `layout` (see build)."""

    shape: tuple
    dtype: str
    layout: str
    base: np.ndarray  # native, contiguous
    recipe: Any = None
    requires_grad: bool = False
    _built: dict = field(default_factory=dict, repr=False)

    def __repr__(self):
        v = self.numpy()
        vs = np.array2string(v, threshold=12, edgeitems=2, separator=",").replace("\n", "")
        return f"T({self.shape}, {self.dtype}, {self.layout}{'' if self.recipe is None else ':' + str(self.recipe)}, {vs})"

    def numpy(self) -> np.ndarray:
        """The values (a native contiguous copy)."""
        return np.array(self._np_view(), dtype=NP[self.dtype])  # (keeps a 0-d array 0-d)

    def _np_view(self) -> np.ndarray:
        b = self.base
        if self.layout in ("contiguous", "numpy_swapped"):
            return b.reshape(self.shape) if b.shape != self.shape else b
        if self.layout in ("transposed", "numpy_transposed"):
            return np.transpose(b, self.recipe)
        if self.layout == "expanded":
            lead = len(self.shape) - b.ndim
            return np.broadcast_to(b.reshape((1,) * lead + b.shape), self.shape)
        if self.layout in ("sliced", "numpy_negstep"):
            return b[self.recipe] if self.recipe else b[...]
        raise AssertionError(self.layout)

    def build(self, lib: str):
        """The operand for lib ('torch' or 'ember'), and its base (the tensor it views)."""
        if lib in self._built:
            return self._built[lib]
        b = self.base.copy()
        if lib == "torch":
            if self.layout.startswith("numpy"):
                base = torch_from_numpy(self.numpy())
                view = base
            else:
                base = torch_from_numpy(b)
                view = self._apply(base, torch)
        else:
            if self.layout.startswith("numpy"):
                base = view = from_numpy_or_copy(self.np_operand())
            else:
                base = ember.from_numpy(b)
                view = self._apply(base, ember)
        if self.requires_grad:
            view = view.detach().requires_grad_(True) if lib == "torch" else view.detach().requires_grad_(True)
        self._built[lib] = (view, base)
        return view, base

    def np_operand(self) -> np.ndarray:
        """The NumPy array (a view with this layout, or non-native byte order) a numpy_* layout feeds ember."""
        b = self.base.copy()
        if self.layout == "numpy_swapped":
            return b.astype(b.dtype.newbyteorder("S")).reshape(self.shape)
        if self.layout == "numpy_transposed":
            return np.transpose(b, self.recipe)
        return b[self.recipe] if self.recipe else b[...]  # (b[()] of a 0-d array is a NumPy scalar)

    def _apply(self, base, L):
        if self.layout == "contiguous":
            return base.reshape(self.shape) if tuple(base.shape) != self.shape else base
        if self.layout == "transposed":
            return base.permute(*self.recipe)
        if self.layout == "expanded":
            return base.expand(self.shape)
        if self.layout == "sliced":
            return base[self.recipe]
        raise AssertionError(self.layout)


def torch_from_numpy(arr: np.ndarray):
    """torch.from_numpy, and for an ml_dtypes.bfloat16 array (which it does not take) a torch.bfloat16 copy."""
    if arr.dtype == NP["bfloat16"]:
        return torch.from_numpy(arr.astype(np.float32, order="C")).to(torch.bfloat16)
    return torch.from_numpy(arr)


def from_numpy_or_copy(arr: np.ndarray):
    """ember.from_numpy(arr), or ember.tensor(arr) where from_numpy refuses the array (as torch.from_numpy
    refuses negative strides and non-native byte order; test_from_numpy checks those refusals)."""
    try:
        return ember.from_numpy(arr)
    except ValueError:
        try:
            return ember.tensor(arr)
        except ValueError as e:  # torch.tensor refuses negative strides too
            if "negative" not in str(e):
                raise
            return ember.tensor(arr.copy())


LAYOUTS = ["contiguous", "transposed", "expanded", "sliced", "numpy_negstep", "numpy_swapped", "numpy_transposed"]
# Layouts to draw from (EMBER_FUZZ_LAYOUTS=contiguous,sliced narrows a hunt to some of them).
ACTIVE_LAYOUTS = [l for l in os.environ.get("EMBER_FUZZ_LAYOUTS", ",".join(LAYOUTS)).split(",") if l]

small_dim = st.sampled_from([0, 1, 1, 2, 2, 3, 3, 4, 5])


@st.composite
def shapes(draw, min_ndim=0, max_ndim=4, dim=small_dim, max_numel=4096):
    nd = draw(st.integers(min_ndim, max_ndim))
    s = tuple(draw(dim) for _ in range(nd))
    if nd and draw(st.integers(0, 15)) == 0:  # now and then one long dim
        i = draw(st.integers(0, nd - 1))
        s = s[:i] + (draw(st.sampled_from([7, 64, 257, 1000])),) + s[i + 1:]
    assume(int(np.prod(s)) <= max_numel)
    return s


@st.composite
def tensors(draw, shape=None, dtype=None, dtypes=DTYPES, kind=None, layouts=None, min_ndim=0, max_ndim=4):
    if shape is None:
        shape = draw(shapes(min_ndim, max_ndim))
    shape = tuple(shape)
    if dtype is None:
        dtype = draw(st.sampled_from(dtypes))
    if kind is None:
        kind = draw(st.sampled_from(["normal", "normal", "special", "int", "wide"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pool = [l for l in (layouts or ACTIVE_LAYOUTS) if l in ACTIVE_LAYOUTS] or ["contiguous"]
    layout = draw(st.sampled_from(pool))
    nd = len(shape)
    if layout in ("transposed", "numpy_transposed") and nd < 2:
        layout = "contiguous"
    if layout == "contiguous":
        return TSpec(shape, dtype, layout, values(rng, shape, dtype, kind))
    if layout == "numpy_swapped":
        return TSpec(shape, dtype, layout, values(rng, shape, dtype, kind))
    if layout in ("transposed", "numpy_transposed"):
        perm = tuple(draw(st.permutations(range(nd))))
        bshape = [0] * nd
        for i, p in enumerate(perm):
            bshape[p] = shape[i]
        return TSpec(shape, dtype, layout, values(rng, tuple(bshape), dtype, kind), perm)
    if layout == "expanded":
        lead = draw(st.integers(0, nd))
        bshape = tuple(1 if draw(st.booleans()) else s for s in shape[lead:])
        return TSpec(shape, dtype, layout, values(rng, bshape, dtype, kind))
    # sliced (positive steps, an offset) or numpy_negstep (negative steps)
    steps = [draw(st.integers(1, 3)) for _ in shape]
    starts = [draw(st.integers(0, 2)) for _ in shape]
    bshape = tuple(st_ + s * k + draw(st.integers(0, 1)) for st_, s, k in zip(starts, shape, steps))
    if layout == "sliced":
        recipe = tuple(slice(a, a + s * k, k) for a, s, k in zip(starts, shape, steps))
    else:
        recipe = tuple(slice(a + s * k - 1, (a - 1 if a else None), -k) if s and draw(st.booleans())
                       else slice(a, a + s * k, k) for a, s, k in zip(starts, shape, steps))
    base = values(rng, bshape, dtype, kind)
    assert base[recipe].shape == shape, (base.shape, recipe, shape)
    return TSpec(shape, dtype, layout, base, recipe)


def broadcastable_shape(draw, shape, allow_bad=True):
    """A shape that broadcasts with `shape` (now and then one that does not)."""
    nd = len(shape)
    k = draw(st.integers(0, nd))
    out = [1 if draw(st.integers(0, 2)) == 0 else s for s in shape[nd - k:]]
    if draw(st.integers(0, 4)) == 0:
        out = [draw(st.sampled_from([1, 2]))] + out
    if allow_bad and out and draw(st.integers(0, 9)) == 0:
        i = draw(st.integers(0, len(out) - 1))
        out[i] = out[i] + 2
    return tuple(out)


scalars = st.one_of(st.integers(-4, 4), st.sampled_from([0.5, -1.5, 2.0, 0.0, float("nan"), float("inf"), 1e10]),
                    st.booleans())


# --- running a call in both libraries ----------------------------------------------------------------


def convert(obj, lib: str):
    if isinstance(obj, TSpec):
        return obj.build(lib)[0]
    if isinstance(obj, Base):
        return obj.spec.build(lib)[1]
    if isinstance(obj, DT):
        return getattr(torch if lib == "torch" else ember, obj.name)
    if isinstance(obj, tuple):
        return tuple(convert(o, lib) for o in obj)
    if isinstance(obj, list):
        return [convert(o, lib) for o in obj]
    if isinstance(obj, dict):
        return {k: convert(v, lib) for k, v in obj.items()}
    return obj


@dataclass
class Base:
    """The base tensor (storage owner) of a spec's operand: lets an in-place test look at every element."""

    spec: TSpec

    def __repr__(self):
        return f"base_of({self.spec!r})"


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", "call")


def describe(op: str, args, kwargs) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{op}({', '.join(parts)})"


def _guarded(desc: str, fn: Callable, *args):
    """fn(*args) inside a frame named after the call, so that faulthandler's dump on a crash or hang says
    which call it was."""
    name = re.sub(r"[^\w(),.=:\[\]<> +-]", "_", desc)[:400]
    code = _call_through.__code__.replace(co_name=name, co_qualname=name)
    f = types.FunctionType(code, {})
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    try:
        return f(fn, *args)
    finally:
        faulthandler.cancel_dump_traceback_later()


def _call_through(fn, *args):
    return fn(*args)


def _run(lib, fn, args, kwargs, desc):
    L, F = (torch, TF) if lib == "torch" else (ember, EF)
    a = convert(list(args), lib)
    k = convert(dict(kwargs), lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if lib == "ember":
                return _guarded(desc, lambda: fn(L, F, *a, **k)), None
            return fn(L, F, *a, **k), None
        except Exception as e:  # noqa: BLE001 - every outcome is compared
            return None, e


# Random draws that meet a deliberate difference from PyTorch (test_fuzz_ops.DIFFERENCES, where each is
# asserted and explained): (regex over the call and the discrepancy, which difference).
DIFFERENCE_DRAWS: list[tuple[str, str]] = [
    (r"^(all|any)\(T\([^)]*uint8[\s\S]*torch\.uint8[\s\S]*ember\.bool", "all/any always give bool"),
    (r"^sdpa\([\s\S]*ember: [\s\S]*nan", "attention over fully masked rows is NaN"),
    (r"T\(\(\), (int64|float64)[\s\S]*torch: .* torch\.(int32|uint8|float32) [\s\S]*ember: .* ember\.\1 ",
     "a 0-d tensor promotes like any tensor"),
    (r"^pixel_(un)?shuffle\(T\(\((\d+, )*0(, \d+)*\)[\s\S]*!= torch's", "pixel_unshuffle of an empty input"),
    (r"\(([-\d]+, )*-\d+(, [-\d]+)*\), 'circular'[\s\S]*values differ", "circular pad by a negative amount"),
]


def report(desc: str, msg: str):
    text = f"{desc}\n    {msg}"
    if any(re.search(p, text) for p, _ in DIFFERENCE_DRAWS):
        return None
    if COLLECT:
        with open(COLLECT, "a") as f:
            f.write(text.replace("\n", " || ") + "\n")
        return
    raise Discrepancy(text)


def _unreadable(r) -> bool:
    """Whether NumPy cannot hold PyTorch's result either (zeros((0, 2**62)) has no array form)."""
    try:
        compare_results(r, r)
    except Exception:  # noqa: BLE001 - the same failure as ember's
        return True
    return False


def _has_empty(r) -> bool:
    if torch is not None and isinstance(r, torch.Tensor):
        return r.numel() == 0
    return isinstance(r, (tuple, list)) and any(_has_empty(x) for x in r)


def check(op: str, fn: Callable, *args, tol=None, compare="values", gaps=(), strict=False, **kwargs):
    """Runs fn(L, F, *args, **kwargs) with L=torch/F=torch.nn.functional and with ember; see the module doc.

    compare: 'values', 'meta' (shape and dtype only: random results), or a callable(t_res, e_res) -> str|None.
    gaps: regexes of ember error messages that are known, documented gaps (KNOWN_GAPS) for this call.
    strict: off, ember may refuse a call whose PyTorch result is empty (PyTorch skips most argument
    checks when there is nothing to compute: dtypes, index bounds, dilation, statistics' shapes).
    """
    desc = describe(op, args, kwargs)
    t_res, t_exc = _run("torch", fn, args, kwargs, desc)
    e_res, e_exc = _run("ember", fn, args, kwargs, desc)
    if e_exc is not None and not isinstance(e_exc, OK_ERRORS):
        return report(desc, f"ember raised {type(e_exc).__name__}: {e_exc} (not an ordinary error); "
                            f"torch: {'raises ' + type(t_exc).__name__ + ': ' + _short(t_exc) if t_exc else 'ok'}")
    if isinstance(t_exc, AttributeError) and "has no attribute" in str(t_exc):
        return None  # not a PyTorch API (ember's extra alias): nothing to compare with
    if t_exc is not None:
        if e_exc is None:
            if TORCH_KERNEL_GAP.search(str(t_exc)) or TORCH_QUIRK.search(str(t_exc)):
                return None
            for g, _ in EMBER_WIDER:
                if re.search(g, str(t_exc)):
                    return None
            return report(desc, f"torch raises {type(t_exc).__name__}: {_short(t_exc)}; ember returns {_show(e_res)}")
        return None
    if e_exc is not None:
        for g in list(gaps) + [g for g, _ in KNOWN_GAPS]:
            if re.search(g, str(e_exc)):
                return None
        if not strict and _has_empty(t_res):
            return None
        return report(desc, f"ember raised {type(e_exc).__name__}: {_short(e_exc)}; torch returns {_show(t_res)}")
    try:
        if callable(compare):
            msg = compare(t_res, e_res)
        else:
            msg = compare_results(t_res, e_res, tol, meta_only=compare == "meta")
    except Exception as e:  # noqa: BLE001 - e.g. .numpy() of a result with impossible strides
        msg = None if _unreadable(t_res) else f"ember's result cannot be read: {type(e).__name__}: {_short(e)}"
    if msg:
        report(desc, msg + f"\n    torch: {_show(t_res)}\n    ember: {_show(e_res)}")
    return None


def _short(e):
    return str(e).strip().split("\n")[0][:300]


def _show(r):
    if r is None:
        return "None"
    try:
        if isinstance(r, ember.Tensor):
            return f"ember tensor {tuple(r.shape)} {r.dtype} {np.array2string(np.asarray(r.detach().numpy()), threshold=12)}"
        if torch is not None and isinstance(r, torch.Tensor):
            values = r.detach().float() if r.dtype == torch.bfloat16 else r.detach()
            return f"torch tensor {tuple(r.shape)} {r.dtype} {np.array2string(values.numpy(), threshold=12)}"
        if isinstance(r, (tuple, list)):
            return "(" + ", ".join(_show(x) for x in r) + ")"
    except Exception as e:  # noqa: BLE001
        return f"<unprintable {type(r).__name__}: {e}>"
    return repr(r)[:300]


def dtype_name(d) -> str:
    return str(d).replace("torch.", "").replace("ember.", "")


def default_tol(dtype: str):
    return {"float32": (1e-4, 1e-5), "bfloat16": (BF16_RTOL, BF16_RTOL)}.get(dtype, (1e-9, 1e-12))


# bfloat16 results: both libraries compute in float32 and round each op's result once, but their float32 steps
# may differ by an ulp or two (2**-8 relative each; the reference rounds a float32 result once).
BF16_RTOL = 2**-7


def compare_results(t, e, tol=None, meta_only=False, path="") -> str | None:
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            return f"{path}: torch gives a tensor, ember a {type(e).__name__}"
        if tuple(t.shape) != tuple(e.shape):
            return f"{path}: shape {tuple(e.shape)} != torch's {tuple(t.shape)}"
        td, ed = dtype_name(t.dtype), dtype_name(e.dtype)
        if td == "int16" and ed == "int32":  # uint8 with int8: ember has no int16 (core/dtype.hpp)
            t, td = t.to(torch.int32), "int32"
        if td != ed:
            return f"{path}: dtype {ed} != torch's {td}"
        if meta_only:
            return None
        if td == "bfloat16":  # compared as float32 values (NumPy has no bfloat16 arithmetic)
            t, e = t.float(), e.float()
        tn = t.detach().numpy()
        en = np.asarray(e.detach().numpy())
        if td in FLOATS or td == "bfloat16":
            rtol, atol = tol or default_tol(td)
            fin = np.isfinite(tn)
            if td == "bfloat16" and fin.any():  # a few ulps of the result's scale (cancellation rounds at that scale)
                atol = max(atol, rtol * float(np.abs(tn[fin]).max()))
            bad = ~((np.isnan(tn) & np.isnan(en)) | (~fin & (tn == en))
                    | (fin & np.isfinite(en) & (np.abs(en.astype(np.float64) - tn) <= atol + rtol * np.abs(tn))))
            if bad.any():
                i = tuple(int(x) for x in np.argwhere(bad)[0])
                return f"{path}: {int(bad.sum())} of {bad.size} values differ, e.g. at {i}: ember {en[i]!r}, torch {tn[i]!r}"
            return None
        if not np.array_equal(tn, en):
            bad = tn != en
            i = tuple(int(x) for x in np.argwhere(bad)[0]) if bad.ndim else ()
            return f"{path}: {int(np.sum(bad))} values differ, e.g. at {i}: ember {en[i]!r}, torch {tn[i]!r}"
        return None
    if isinstance(t, (tuple, list)):
        if not isinstance(e, (tuple, list)) or len(t) != len(e):
            return f"{path}: torch gives {type(t).__name__} of {len(t)}, ember {_show(e)}"
        for i, (a, b) in enumerate(zip(t, e)):
            m = compare_results(a, b, tol, meta_only, f"{path}[{i}]")
            if m:
                return m
        return None
    if isinstance(t, (bool, int, float)):
        if type(t) is not type(e) and not (isinstance(t, float) and isinstance(e, float)):
            return f"{path}: ember gives {type(e).__name__} {e!r}, torch {type(t).__name__} {t!r}"
        if isinstance(t, float):
            if np.isnan(t) and np.isnan(e):
                return None
            if not (t == e or abs(t - e) <= 1e-5 + 1e-4 * abs(t)):
                return f"{path}: ember {e!r}, torch {t!r}"
            return None
        return None if t == e else f"{path}: ember {e!r}, torch {t!r}"
    if t is None:
        return None if e is None else f"{path}: ember {_show(e)}, torch None"
    return None


# Features ember does not support on purpose (each raises a clear error); a call refused by one of these
# messages while PyTorch succeeds is not counted as a bug. (regex of ember's message, reason)
KNOWN_GAPS: list[tuple[str, str]] = [
    (r"\[square\] not supported for bool tensors", "square of a bool tensor (PyTorch gives int64) asks for the "
     "conversion"),
    (r"expected a float32 or float64 input", "pooling and convolution run on floating tensors only (PyTorch "
     "has integer pooling kernels; ember refuses clearly)"),
    (r"\[bitwise_not\] ~ is only supported on bool|bitwise operators are only supported on bool",
     "bitwise ~ & | ^ on integer tensors are not implemented (bool only)"),
    (r"\[mT\].*fewer than 2 dimensions", "mT of a 0-d/1-d tensor (deprecated in PyTorch) is refused"),
    (r"\[adaptive_avg_pool2d\] output_size must be positive", "adaptive_avg_pool2d to an empty output size "
     "(0 rows or columns) is refused"),
    (r"\[gather\] expected an int64 index tensor", "gather takes int64 indices only (PyTorch also takes int32)"),
    (r"\[adaptive_avg_pool2d\] expected a 3-d \(C, H, W\) or 4-d", "adaptive_avg_pool2d takes 3-d or 4-d "
     "input only (PyTorch also takes some 2-d and 5-d inputs)"),
    (r"label_smoothing must be between 0.0 and 1.0", "cross_entropy refuses label_smoothing outside [0, 1] "
     "(PyTorch documents that range and computes NaN outside it)"),
    (r"expected target of shape \(\) for input of shape \(\d+,\)", "a 1-d (C,) input takes a 0-d target "
     "only (PyTorch also takes a (1,) target)"),
    (r"\[linear\] expected a 2-d weight|\[linear\] expected a bias of shape", "linear takes a 2-d weight and an "
     "(out_features,) bias only (PyTorch also takes a 1-d weight and a broadcasting bias)"),
    (r"an index can only have a single ellipsis", "x[..., ...] is refused as NumPy refuses it (PyTorch takes it)"),
    (r"return_indices=True is not supported|divisor_override is not supported|max_norm, scale_grad_by_freq",
     "options of max_pool2d/avg_pool2d/embedding that ember does not implement"),
    (r"\[adaptive_avg_pool2d\] input of shape .* has an empty spatial dim", "adaptive_avg_pool2d of an empty "
     "input is refused (PyTorch gives NaN)"),
    (r"more than one element of the written-to tensor .* refers to a single memory location",
     "every in-place write into a tensor whose elements share memory is refused, fill_ and t[i] = v too "
     "(test_fuzz_ops.DIFFERENCES)"),
    # debts (issues 21, 22): svd, svdvals, matrix_norm
    (r"\[(svd|svdvals)\] the input contains non-finite values", "the SVD of a matrix holding NaN or inf is refused "
     "(PyTorch refuses NaN too but gives NaN singular values, and vectors, for inf; so do matrix_norm 'nuc', 2, -2)"),
]

# PyTorch refusals where ember accepts more on purpose (a documented extension, not a bug). (regex of
# PyTorch's message, reason)
EMBER_WIDER: list[tuple[str, str]] = [
    (r"step must be nonzero", "embedding_bag of a 2-d input with empty bags (n, 0) gives n zero rows (PyTorch's own "
     "arange of the bag starts fails)"),
    (r"cannot reshape tensor of 0 elements into shape \[-1, 0\]", "bilinear with no input features gives an empty "
     "or bias-only result (PyTorch's own reshape of the empty input fails)"),
    (r"Expected non-zero, positive output size", "affine_grid of an empty batch, channel or spatial size gives an "
     "empty grid (PyTorch refuses them without align_corners only)"),
    (r"heaviside is not yet implemented for tensors with different dtypes",
     "heaviside promotes its two dtypes as every binary op does"),
    (r"quantile\(\) input tensor must be non-empty", "quantile along a dim of an input with no elements gives an "
     "empty result (PyTorch refuses any empty input)"),
    (r"Unsupported input type encountered for isin\(\): Bool", "isin takes bool tensors too"),
    (r"view size is not compatible with input tensor's size and stride",
     "take_along_dim without dim takes a non-contiguous input (PyTorch's calls view() on it and fails)"),
    (r"missing 1 required positional argument|invalid combination of arguments - got \(\)",
     "an empty size list means shape () (ember.zeros(), x.reshape(), x.permute()), as in NumPy"),
    (r"Index put requires the source and destination dtypes match",
     "x[index] = value converts value to x's dtype for advanced indices too, as for basic ones (documented)"),
    (r"expected target dtype to be Long or Byte|one_hot is only applicable to index tensor of type LongTensor",
     "class indices may be int32 too (nll_loss, cross_entropy, one_hot)"),
    (r"(clamp|clip)\(\) received an invalid combination of arguments - got \(Tensor, (int|float|bool)\)",
     "clamp takes a tensor bound and a number bound together"),
    (r"prod\(\): argument 'dim' \(position \d\) must be int, not tuple", "prod reduces over a tuple of dims too"),
    (r"must be Tensor, not (int|float|bool)", "ember's logical_* take a Python number as either operand"),
    (r"some elements of the input tensor and the written-to tensor refer to a single memory location",
     "a source that partly overlaps the destination is read first, giving NumPy's answer (README, Guarantees)"),
    (r"does not support bool input", "argmax/argmin take bool tensors (test_fuzz_ops.DIFFERENCES)"),
    (r"Subtraction, the `-` operator, with (a bool tensor|two bool tensors) is not supported",
     "bool operands count as 0 and 1 in subtraction (test_fuzz_ops.DIFFERENCES)"),
    (r"same dtype|expected scalar type|Found dtype \w+ but expected|expected m1 and m2|expected mat1 and mat2",
     "mixed dtypes promote (DESIGN: one promotion table for every op, matmul and the losses included)"),
    (r"Non-empty \dD data tensor expected", "interpolate of an input with no channels or no batch gives an empty "
     "output (test_fuzz_ops.DIFFERENCES)"),
    (r"non-empty 2D or 4D weight tensor expected|could not create a primitive descriptor for the deconvolution",
     "a transposed convolution with no output channels gives an empty output (PyTorch refuses, or its oneDNN call "
     "fails)"),
    (r"tensor with possibly 0 batch size and other non-zero dimensions for input",
     "reflect/replicate/circular pad of an input with an empty unpadded dim gives an empty output"),
    (r"narrow\(\): length must be non-negative", "a constant pad reaching past the input pads "
     "(test_fuzz_ops.DIFFERENCES)"),
]


# --- fix21 (issue 21): gradients and module weights for the layer fuzzers (test_fuzz_ops, fix21 block) ----


def fwd_bwd(L, f, *xs):
    """(f(*xs), then the gradient of sum(f(*xs) * cos(arange)) for every floating tensor of xs (zeros where
    none flows)): the forward and the backward of one call, both compared with PyTorch. Non-floating and
    None arguments pass through and get no gradient."""
    leaves = [x.detach().requires_grad_() if x is not None and hasattr(x, "is_floating_point")
              and x.is_floating_point() else x for x in xs]
    y = f(*leaves)
    grads = [x for x in leaves if x is not None and getattr(x, "requires_grad", False)]
    out = y if isinstance(y, tuple) else (y,)
    if not grads or not out[0].is_floating_point():
        return out
    loss = 0
    for o in out:
        if o is not None and o.numel():
            loss = loss + (o * L.cos(L.arange(o.numel(), dtype=o.dtype)).reshape(o.shape)).sum()
    if isinstance(loss, int):
        return out
    loss.backward()
    return tuple(o.detach() for o in out) + tuple(L.zeros_like(x) if x.grad is None else x.grad for x in grads)


def set_params(L, module, seed: int):
    """Gives every parameter of module values drawn from a NumPy generator seeded by seed and the parameter's
    name, so that an ember module and a PyTorch one with the same parameter names hold the same weights."""
    with L.no_grad():
        for name, p in module.named_parameters():
            rng = np.random.default_rng([seed, *name.encode()])
            arr = rng.uniform(-0.6, 0.6, tuple(p.shape)).astype(str(p.dtype).split(".")[-1])
            p.copy_(L.from_numpy(arr))
    return module
