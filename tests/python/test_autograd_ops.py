"""Gradients of every differentiable op: gradcheck in float64 on small random inputs (broadcast shapes,
non-contiguous leaves, negative dims), a census that forces every public op to be declared differentiable
or not, the tie rules of max/min/clamp, and composite expressions compared with torch.autograd."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import ember
import ember.nn.functional as F

# --- how a gradcheck input is made ---


@dataclass(frozen=True)
class In:
    """A float64 leaf requiring grad: `shape`, values of `kind`, memory `layout`.

    kind: "n" standard normal; "p" uniform in [0.5, 2] (for log, sqrt, pow bases, divisors); "u" uniform in
    [-0.8, 0.8] (asin, acos, atanh); "q" uniform in [1.2, 3] (acosh); "h" uniform in [0.1, 0.9] (logit);
    "d" distinct values at least 0.13 from zero and 0.27 from each other (for abs, relu, max, clamp:
    away from kinks and ties); "e" like "d" but on a grid shifted by half a step, so that a "d" and an
    "e" tensor never come within 0.08 of each other (for maximum/minimum of two leaves).
    layout: "c" contiguous; "T" the transpose of a contiguous base (`from_numpy(a).T`); "S" every other
    element of the last dim of a base twice as long (`from_numpy(a)[..., ::2]`).
    values: explicit values instead of random ones (layout "c").
    """

    shape: tuple
    kind: str = "n"
    layout: str = "c"
    values: tuple | None = None

    @property
    def T(self) -> "In":  # noqa: N802 - reads like the tensor attribute it produces
        return In(self.shape, self.kind, "T")

    @property
    def S(self) -> "In":  # noqa: N802
        return In(self.shape, self.kind, "S")

    def array(self, rng, shape) -> np.ndarray:
        size = int(np.prod(shape, dtype=np.int64))
        if self.kind == "n":
            return rng.standard_normal(shape)
        if self.kind == "p":
            return rng.uniform(0.5, 2.0, shape)
        if self.kind == "u":
            return rng.uniform(-0.8, 0.8, shape)
        if self.kind == "q":
            return rng.uniform(1.2, 3.0, shape)
        if self.kind == "h":
            return rng.uniform(0.1, 0.9, shape)
        if self.kind in ("d", "e"):
            k = rng.permutation(size) - size // 2 + (0.5 if self.kind == "d" else 0.0)
            if self.kind == "e":
                k = np.where(k == 0, size - size // 2, k)  # keep "e" values away from 0 as well
            return (k * 0.37 + rng.uniform(-0.05, 0.05, size)).reshape(shape)
        raise ValueError(self.kind)

    def make(self, rng):
        if self.values is not None:
            t = ember.from_numpy(np.array(self.values, dtype=np.float64).reshape(self.shape))
        elif self.layout == "c":
            t = ember.from_numpy(self.array(rng, self.shape))
        elif self.layout == "T":
            t = ember.from_numpy(self.array(rng, self.shape[::-1])).T
        elif self.layout == "S":
            base = self.array(rng, self.shape[:-1] + (2 * self.shape[-1],))
            t = ember.from_numpy(base)[..., ::2]
        else:
            raise ValueError(self.layout)
        assert tuple(t.shape) == tuple(self.shape)
        strided = (sum(k > 1 for k in self.shape) >= 2 if self.layout == "T"
                   else self.layout == "S" and self.shape[-1] > 1)
        if strided:
            assert not t.is_contiguous(), self
        return t.requires_grad_()


def n(*shape):
    return In(shape, "n")


def p(*shape):
    return In(shape, "p")


def d(*shape):
    return In(shape, "d")


def e(*shape):
    return In(shape, "e")


def vals(array):
    a = np.asarray(array, dtype=np.float64)
    return In(a.shape, values=tuple(a.ravel()))


@dataclass
class Case:
    """One gradcheck: `covers` names the public ops it exercises ("ember.add", "Tensor.__add__")."""

    id: str
    covers: tuple
    fn: Callable
    inputs: tuple
    kw: dict = field(default_factory=dict)


CASES: list[Case] = []


def case(id_, covers, fn, *inputs, **kw):
    covers = (covers,) if isinstance(covers, str) else tuple(covers)
    CASES.append(Case(id_, covers, fn, inputs, kw))


# Constant (non-differentiable) arguments.
MASK34 = ember.from_numpy(np.array([[True, False, True, True], [False, False, True, False],
                                    [True, True, False, False]]))
MASK4 = ember.tensor([False, True, True, False])
MASK3 = ember.tensor([True, False, True])
IDX_REP = ember.tensor([2, 0, 2, 2, 1])          # repeated rows: the backward must add, not overwrite
IDX_COL = ember.tensor([3, 1, 3])
GATHER_IDX = ember.tensor([[0, 3, 3, 1, 0], [2, 2, 2, 2, 2], [1, 0, 3, 3, 1]])  # (3, 5) into (3, 4)
GATHER_IDX0 = ember.tensor([[2, 0, 2, 1], [2, 2, 0, 0]])                         # (2, 4) into (3, 4)
F64 = ember.float64
F32 = ember.float32

# --- unary elementwise: function on contiguous, method on a transposed leaf, 0-d, step-sliced ---

UNARY = [("neg", "n"), ("abs", "d"), ("relu", "d"), ("exp", "n"), ("log", "p"), ("log1p", "p"), ("sqrt", "p"),
         ("rsqrt", "p"), ("sin", "n"), ("cos", "n"), ("tanh", "n"), ("sigmoid", "n"), ("silu", "n"),
         ("gelu", "n"), ("expm1", "n"), ("exp2", "n"), ("log2", "p"), ("log10", "p"), ("square", "n"),
         ("reciprocal", "p"), ("tan", "u"), ("asin", "u"), ("acos", "u"), ("atan", "n"), ("sinh", "n"),
         ("cosh", "n"), ("asinh", "n"), ("acosh", "q"), ("atanh", "u"), ("erf", "n"), ("erfc", "n"),
         ("deg2rad", "n"), ("rad2deg", "n"), ("sign", "d"), ("floor", "n"), ("ceil", "n"), ("trunc", "n"),
         ("round", "n"), ("frac", "n"), ("logit", "h")]
UNARY_ALIASES = {"arcsin": "u", "arccos": "u", "arctan": "n", "arcsinh": "n", "arccosh": "q", "arctanh": "u",
                 "absolute": "d", "fix": "n", "sgn": "d"}
for _name, _kind in UNARY_ALIASES.items():
    case(_name, (f"ember.{_name}", f"Tensor.{_name}"), (lambda x, _n=_name: getattr(ember, _n)(x) + getattr(x, _n)()),
         In((2, 3), _kind, "T"))
for _name, _kind in UNARY:
    _f = getattr(ember, _name)
    case(f"{_name}", f"ember.{_name}", _f, In((3, 4), _kind))
    case(f"{_name}-method-T", f"Tensor.{_name}", (lambda x, _n=_name: getattr(x, _n)()), In((3, 4), _kind, "T"))
    case(f"{_name}-0d", f"ember.{_name}", _f, In((), _kind))
    case(f"{_name}-S", f"ember.{_name}", _f, In((2, 3), _kind, "S"))
case("gelu-tanh", "ember.gelu", lambda x: ember.gelu(x, approximate="tanh"), n(3, 4))
case("gelu-tanh-method", "Tensor.gelu", lambda x: x.gelu(approximate="tanh"), n(2, 3).S)
case("gelu-none-method", "Tensor.gelu", lambda x: x.gelu(approximate="none"), n(5))
case("negative", "ember.negative", ember.negative, n(3, 2).T)
case("__neg__", "Tensor.__neg__", lambda x: -x, n(2, 3).S)
case("__abs__", "Tensor.__abs__", lambda x: abs(x), d(3, 4).T)

# --- binary arithmetic: broadcasting, non-contiguous operands, scalars on either side ---

BINARY = {"add": ("add", "n"), "sub": ("sub", "n"), "mul": ("mul", "n"), "div": ("div", "p"),
          "subtract": ("sub", "n"), "multiply": ("mul", "n"), "divide": ("div", "p"),
          "true_divide": ("div", "p")}
for _name, (_base, _kind) in BINARY.items():
    _f = getattr(ember, _name)
    case(f"{_name}-broadcast", f"ember.{_name}", _f, n(3, 4), In((4,), _kind))
    case(f"{_name}-broadcast-both", f"ember.{_name}", _f, n(2, 1, 3).S, In((4, 1), _kind, "T"))
    if hasattr(ember.Tensor, _name):  # ember.divide has no method twin (as torch.Tensor.divide)
        case(f"{_name}-method", f"Tensor.{_name}", (lambda x, y, _n=_name: getattr(x, _n)(y)), n(3, 4).T,
             In((3, 1), _kind))
    case(f"{_name}-scalar", f"ember.{_name}", (lambda x, _f=_f: _f(x, 2.5)), n(2, 3))
case("__add__", "Tensor.__add__", lambda x, y: x + y, n(3, 4).T, n(3, 4))
case("__add__-scalar", "Tensor.__add__", lambda x: x + 2.0, n(3))
case("__radd__", "Tensor.__radd__", lambda x: 1.5 + x, n(2, 3).T)
case("__sub__", "Tensor.__sub__", lambda x, y: x - y, n(2, 3), n(1, 3).S)
case("__rsub__", "Tensor.__rsub__", lambda x: 1.5 - x, n(2, 3).S)
case("__mul__", "Tensor.__mul__", lambda x, y: x * y, n(2, 1, 3), n(4, 1))
case("__rmul__", "Tensor.__rmul__", lambda x: 1.5 * x, n(3, 2).T)
case("__truediv__", "Tensor.__truediv__", lambda x, y: x / y, n(3, 4), p(4).S)
case("__rtruediv__", "Tensor.__rtruediv__", lambda x: 1.5 / x, p(2, 3).T)

# binary math: (kind of input, kind of other); the divisions take divisors away from 0
BINARY_MATH = {"atan2": ("n", "d"), "hypot": ("d", "e"), "logaddexp": ("n", "n"), "xlogy": ("n", "p"),
               "copysign": ("d", "d"), "fmod": ("n", "p"), "remainder": ("n", "p"), "floor_divide": ("n", "p")}
for _name, (_ka, _kb) in BINARY_MATH.items():
    _f = getattr(ember, _name)
    case(f"{_name}-broadcast", f"ember.{_name}", _f, In((3, 4), _ka), In((4,), _kb))
    case(f"{_name}-method", f"Tensor.{_name}", (lambda x, y, _n=_name: getattr(x, _n)(y)), In((3, 4), _ka, "T"),
         In((3, 1), _kb))
    case(f"{_name}-scalar", f"ember.{_name}", (lambda x, _f=_f: _f(x, 1.5) + _f(0.75, x.abs() + 0.5)), In((2, 3), _ka))
case("arctan2", ("ember.arctan2", "Tensor.arctan2"), lambda x, y: ember.arctan2(x, y) + x.arctan2(y), n(2, 3), d(3))
case("__mod__", ("Tensor.__mod__", "Tensor.__rmod__"), lambda x, y: x % y + 2.5 % y, n(3, 4), p(4).S)
case("__floordiv__", ("Tensor.__floordiv__", "Tensor.__rfloordiv__"), lambda x, y: x // y + 2.5 // y + x,
     n(3, 4), p(4).S)

case("pow-tensor-tensor", "ember.pow", ember.pow, p(3, 4), n(4))
case("pow-tensor-scalar", "ember.pow", lambda x: ember.pow(x, 2.5), p(3, 4).T)
case("pow-int-exponent-negative-base", "ember.pow", lambda x: ember.pow(x, 3), n(2, 3))
case("pow-scalar-tensor", "ember.pow", lambda x: ember.pow(2.0, x), n(2, 3).S)
case("pow-method", "Tensor.pow", lambda x, y: x.pow(y), p(2, 3).T, n(2, 3))
case("__pow__-tensor", "Tensor.__pow__", lambda x, y: x ** y, p(4), n(3, 1))
case("__pow__-scalar", "Tensor.__pow__", lambda x: x ** -1.5, p(2, 3))
case("__rpow__", "Tensor.__rpow__", lambda x: 1.7 ** x, n(3, 2).T)

case("maximum", "ember.maximum", ember.maximum, d(3, 4), e(4))
case("maximum-method", "Tensor.maximum", lambda x, y: x.maximum(y), d(3, 4).T, e(3, 4).S)
case("minimum", "ember.minimum", ember.minimum, e(2, 1, 3), d(4, 1))
case("minimum-method", "Tensor.minimum", lambda x, y: x.minimum(y), d(3, 4).S, e(3, 4))
case("max-elementwise", "ember.max", lambda x, y: ember.max(x, y), d(3, 4), e(3, 4).T)
case("min-elementwise", "ember.min", lambda x, y: ember.min(x, y), e(4), d(3, 4))

# clamp: "d" values are 0.185 + k*0.37 +- 0.05, so the bounds -0.4 and 0.7 stay >= 0.09 away from them.
case("clamp", "ember.clamp", lambda x: ember.clamp(x, -0.4, 0.7), d(3, 4))
case("clamp-min-method", "Tensor.clamp", lambda x: x.clamp(min=-0.4), d(3, 4).T)
case("clamp-max-method", "Tensor.clamp", lambda x: x.clamp(max=0.7), d(2, 3).S)
case("clip", "ember.clip", lambda x: ember.clip(x, -0.4, 0.7), d(3, 4).T)
case("clip-method", "Tensor.clip", lambda x: x.clip(-0.4, 0.7), d(3, 4))
case("clamp-tensor-bounds-const", "ember.clamp",
     lambda x: ember.clamp(x, ember.tensor([-0.4, -0.9, 0.0, -2.0], dtype=F64),
                           ember.tensor([0.7, 0.3, 1.0, 2.0], dtype=F64)), d(3, 4))
# Tensor bounds that require grad get the gradient where they clamp (as torch).
case("clamp-tensor-bounds-grad", "ember.clamp", ember.clamp,
     vals([[-1.2, 0.1, 0.6, 2.0], [0.35, -0.3, 1.4, -0.05]]), vals([-0.5, -0.4, 0.0, 0.3]),
     vals([0.5, 0.9, 1.1, 1.7]))

case("where", "ember.where", lambda x, y: ember.where(MASK34, x, y), n(3, 4).T, n(4))
case("where-scalar", "ember.where", lambda x: ember.where(MASK4, x, 0.0), n(3, 4).S)
case("where-scalar-first", "ember.where", lambda y: ember.where(MASK4, 1.5, y), n(3, 4))
case("where-method", "Tensor.where", lambda x, y: x.where(MASK34, y), n(3, 4), n(3, 1).T)

# --- reductions: full, one negative dim, several dims with keepdim, non-contiguous input ---

case("sum-full", "ember.sum", ember.sum, n(2, 3, 4).T)
case("sum-dim", "ember.sum", lambda x: ember.sum(x, -1), n(2, 3, 4))
case("sum-dims-keepdim", "ember.sum", lambda x: ember.sum(x, (0, -1), keepdim=True), n(2, 3, 4).S)
case("sum-method", "Tensor.sum", lambda x: x.sum(dim=-2), n(2, 3, 2).T)
case("sum-0d", "ember.sum", ember.sum, n())
case("mean-full", "ember.mean", ember.mean, n(3, 4).S)
case("mean-dim-keepdim", "Tensor.mean", lambda x: x.mean(-2, keepdim=True), n(2, 3, 4).T)
case("mean-dims", "ember.mean", lambda x: ember.mean(x, (-1, 0)), n(2, 3, 2))
case("prod-full", "ember.prod", ember.prod, p(2, 3))
case("prod-dim-negative-values", "Tensor.prod", lambda x: x.prod(-1), d(3, 4).T)
case("prod-dim-keepdim", "ember.prod", lambda x: ember.prod(x, 0, keepdim=True), d(3, 4).S)
case("var-full", "ember.var", ember.var, n(3, 4))
case("var-dim-correction0", "Tensor.var", lambda x: x.var(-1, correction=0), n(3, 4).T)
case("var-dims-correction2-keepdim", "ember.var", lambda x: ember.var(x, (0, -1), keepdim=True, correction=2),
     n(2, 3, 4).S)
case("var-unbiased-false", "ember.var", lambda x: ember.var(x, 1, unbiased=False), n(3, 4))
case("std-full", "ember.std", ember.std, n(3, 4).S)
case("std-dim-correction0", "Tensor.std", lambda x: x.std(-2, correction=0), n(3, 4))
case("std-dims-keepdim", "ember.std", lambda x: ember.std(x, (0, 2), keepdim=True), n(2, 3, 4).T)
case("logsumexp-dim", "ember.logsumexp", lambda x: ember.logsumexp(x, -1), n(3, 4))
case("logsumexp-dims-keepdim", "Tensor.logsumexp", lambda x: x.logsumexp((0, -1), keepdim=True), n(2, 3, 4).T)
case("logsumexp-full", "ember.logsumexp", ember.logsumexp, n(3, 4).S)
case("amax-full", "ember.amax", ember.amax, d(3, 4))
case("amax-dim", "Tensor.amax", lambda x: x.amax(-1), d(3, 4).T)
case("amax-dims-keepdim", "ember.amax", lambda x: ember.amax(x, (0, -1), keepdim=True), d(2, 3, 4).S)
case("amin-full", "ember.amin", ember.amin, d(3, 4).T)
case("amin-dim", "Tensor.amin", lambda x: x.amin(-2), d(3, 4))
case("amin-dims-keepdim", "ember.amin", lambda x: ember.amin(x, (1, 2), keepdim=True), d(2, 3, 4))
case("max-full", "ember.max", ember.max, d(3, 4).S)
case("max-full-method", "Tensor.max", lambda x: x.max(), d(3, 4).T)
case("max-dim", "ember.max", lambda x: ember.max(x, -1).values, d(3, 4))
case("max-dim-keepdim-method", "Tensor.max", lambda x: x.max(0, keepdim=True)[0], d(3, 4).T)
case("min-full", "ember.min", ember.min, d(3, 4))
case("min-full-method", "Tensor.min", lambda x: x.min(), d(2, 3).S)
case("min-dim", "ember.min", lambda x: ember.min(x, -2).values, d(3, 4).T)
case("min-dim-keepdim-method", "Tensor.min", lambda x: x.min(dim=1, keepdim=True).values, d(3, 4))
case("softmax", "ember.softmax", lambda x: ember.softmax(x, -1), n(3, 4))
case("softmax-method", "Tensor.softmax", lambda x: x.softmax(0), n(3, 4).T)
case("softmax-3d", "ember.softmax", lambda x: ember.softmax(x, -2), n(2, 3, 2).S)
case("log_softmax", "ember.log_softmax", lambda x: ember.log_softmax(x, -1), n(3, 4).S)
case("log_softmax-method", "Tensor.log_softmax", lambda x: x.log_softmax(-2), n(3, 4).T)
case("log_softmax-3d", "ember.log_softmax", lambda x: ember.log_softmax(x, 0), n(2, 3, 2))
case("linear", "ember.linear", lambda x, w, b: ember.linear(x, w, b), n(2, 3, 4), n(5, 4), n(5))
case("linear-nobias-T", "ember.linear", lambda x, w: ember.linear(x, w), n(3, 4).T, n(2, 4).S)
case("conv2d", "ember.conv2d", lambda x, w, b: ember.conv2d(x, w, b, padding=1), n(2, 2, 4, 5), n(3, 2, 3, 3), n(3))
case("conv2d-groups-stride-dilation", "ember.conv2d",
     lambda x, w: ember.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2), n(1, 4, 6, 5),
     n(4, 2, 2, 3))
case("conv2d-data-input", "ember.conv2d", lambda w, b: ember.conv2d(ember.ones(2, 2, 4, 4, dtype=ember.float64), w, b),
     n(3, 2, 2, 2), n(3))
case("linear-data-input", "ember.linear", lambda w: ember.linear(ember.ones(3, 4, dtype=ember.float64), w), n(2, 4))
case("max_pool2d", "ember.max_pool2d", lambda x: ember.max_pool2d(x, 2), d(2, 2, 4, 4))
case("max_pool2d-pad-ceil", "ember.max_pool2d", lambda x: ember.max_pool2d(x, 3, 2, 1, ceil_mode=True), d(1, 2, 6, 5))
case("avg_pool2d", "ember.avg_pool2d", lambda x: ember.avg_pool2d(x, (2, 3), 1, (1, 1)), n(2, 1, 4, 5))
case("avg_pool2d-exclude-pad", "ember.avg_pool2d",
     lambda x: ember.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), n(1, 2, 6, 5))
case("adaptive_avg_pool2d", "ember.adaptive_avg_pool2d", lambda x: ember.adaptive_avg_pool2d(x, (3, 2)), n(2, 1, 7, 5))
case("batch_norm-train", "ember.batch_norm", lambda x, w, b: ember.batch_norm(x, None, None, w, b, training=True),
     n(4, 3, 2), n(3), n(3))
case("batch_norm-eval", "ember.batch_norm",
     lambda x, w: ember.batch_norm(x, ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64), w),
     n(4, 3, 2, 2), n(3))
case("layer_norm", "ember.layer_norm", lambda x, w, b: ember.layer_norm(x, (3, 4), w, b), n(2, 3, 4), n(3, 4), n(3, 4))
case("layer_norm-no-affine", "ember.layer_norm", lambda x: ember.layer_norm(x, 4), n(3, 4).T)
case("leaky_relu", "ember.leaky_relu", lambda x: ember.leaky_relu(x, 0.2), d(3, 4))
case("leaky_relu-negative-slope-T", "ember.leaky_relu", lambda x: ember.leaky_relu(x, -1.5), d(4, 3).T)
case("leaky_relu-default", "ember.leaky_relu", ember.leaky_relu, d(2, 3).S)
case("conv2d-same-unbatched", "ember.conv2d",
     lambda x, w, b: ember.conv2d(x, w, b, padding="same", dilation=(1, 2)), n(2, 5, 4), n(3, 2, 3, 2), n(3))
case("conv2d-valid", "ember.conv2d", lambda x, w: ember.conv2d(x, w, padding="valid"), n(1, 2, 4, 4), n(2, 2, 2, 3))
case("max_pool2d-unbatched", "ember.max_pool2d", lambda x: ember.max_pool2d(x, 2, 1), d(2, 4, 3))
case("avg_pool2d-unbatched", "ember.avg_pool2d", lambda x: ember.avg_pool2d(x, 2, 1, 1), n(2, 3, 4).S)
case("adaptive_avg_pool2d-unbatched", "ember.adaptive_avg_pool2d", lambda x: ember.adaptive_avg_pool2d(x, 2),
     n(1, 5, 3))

# --- losses (include/ember/ops/loss.hpp): the input and the float weights/targets differentiated ---

CE_T = ember.tensor([0, 2, -100, 1])
CE_W = ember.tensor([0.5, 1.0, 2.0], dtype=ember.float64)  # class weights are constants, as in PyTorch
CE_T4 = ember.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])
case("cross_entropy", "ember.cross_entropy", lambda x: ember.cross_entropy(x, CE_T), n(4, 3).T)
case("cross_entropy-weight-smoothing-sum", "ember.cross_entropy",
     lambda x: ember.cross_entropy(x, CE_T, CE_W, reduction="sum", label_smoothing=0.2), n(4, 3))
case("cross_entropy-ignore-none", "ember.cross_entropy",
     lambda x: ember.cross_entropy(x, ember.tensor([0, 2, 1, 1]), ignore_index=1, reduction="none"), n(4, 3).S)
case("cross_entropy-nd-weight", "ember.cross_entropy",
     lambda x: ember.cross_entropy(x, CE_T4, CE_W, label_smoothing=0.1), n(2, 3, 2, 2))
case("cross_entropy-unbatched", "ember.cross_entropy", lambda x: ember.cross_entropy(x, ember.tensor(1)), n(3))
case("cross_entropy-probabilities", "ember.cross_entropy",
     lambda x, t: ember.cross_entropy(x, t, label_smoothing=0.1), n(4, 3), p(4, 3))
case("nll_loss", "ember.nll_loss", lambda x: ember.nll_loss(x, CE_T, CE_W), n(4, 3).T)
case("nll_loss-none", "ember.nll_loss", lambda x: ember.nll_loss(x, CE_T4, reduction="none"), n(2, 3, 2, 2))
case("binary_cross_entropy", "ember.binary_cross_entropy",
     lambda x, t, w: ember.binary_cross_entropy(x.sigmoid(), t.sigmoid(), w), n(4, 3), n(4, 3), p(3))
case("binary_cross_entropy_with_logits", "ember.binary_cross_entropy_with_logits",
     lambda x, t, w, pw: ember.binary_cross_entropy_with_logits(x, t, w, "sum", pw), n(4, 3).T, p(4, 3), p(4, 3), p(3))
case("mse_loss", "ember.mse_loss", lambda x, y: ember.mse_loss(x, y), n(3, 4).S, n(3, 4))
case("mse_loss-broadcast-weight", "ember.mse_loss", lambda x, y, w: ember.mse_loss(x, y, "none", w),
     n(3, 4), n(4), p(3, 1))
case("l1_loss", "ember.l1_loss", lambda x, y: ember.l1_loss(x, y + 5.0, "sum"), n(3, 4).T, n(3, 4))
# |d| spans both sides of beta / delta (the inputs are N(0, 1)), away from the kink by chance only
case("smooth_l1_loss", "ember.smooth_l1_loss", lambda x, y: ember.smooth_l1_loss(x, y * 0.7, "mean", 0.8), n(3, 4), n(3, 4).T)
case("smooth_l1_loss-beta0", "ember.smooth_l1_loss", lambda x, y: ember.smooth_l1_loss(x, y + 5.0, "sum", 0.0), n(3, 4), n(3, 4))
case("huber_loss", "ember.huber_loss", lambda x, y: ember.huber_loss(x, y * 0.5, "none", 0.9), n(3, 4).S, n(3, 4))
# --- embedding, dropout and attention (include/ember/ops/{embedding,dropout,attention}.hpp) ---

EMB_IDS = ember.tensor([[2, 0, 2], [3, 2, 1]])   # repeated rows: the backward must add
KPM = ember.tensor([[False, True, False, False, False], [False, False, False, False, True]])  # (N, S) = (2, 5)
ATTN_MASK = ember.from_numpy(np.linspace(-1.0, 1.0, 15).reshape(3, 5))  # additive (L, S)


def _seeded_dropout(x, p):
    ember.manual_seed(5)  # the same mask at every evaluation
    return ember.dropout(x, p)


def _mha(q, kv, w_in, b_in, w_out, b_out, **kw):
    return ember.multi_head_attention_forward(q, kv, kv, 4, 2, w_in, b_in, 0.0, w_out, b_out, **kw)


case("embedding", "ember.embedding", lambda w: ember.embedding(EMB_IDS, w), n(4, 3).T)
case("embedding-int32", "ember.embedding", lambda w: ember.embedding(EMB_IDS.int(), w, padding_idx=-1), n(5, 2))  # (row 4 unused)
case("dropout", "ember.dropout", lambda x: _seeded_dropout(x, 0.4), n(6, 5).T)
case("sdpa", "ember.scaled_dot_product_attention", ember.scaled_dot_product_attention,
     n(2, 3, 4), n(2, 5, 4).T, n(2, 5, 3))
case("sdpa-float-mask-scale", "ember.scaled_dot_product_attention",
     lambda q, k, v: ember.scaled_dot_product_attention(q, k, v, ATTN_MASK, scale=0.3), n(3, 4), n(5, 4), n(5, 2).S)
case("sdpa-causal", "ember.scaled_dot_product_attention",
     lambda q, k, v: ember.scaled_dot_product_attention(q, k, v, is_causal=True), n(1, 4, 2), n(1, 3, 2), n(1, 3, 2))
case("mha-cross-kpm", "ember.multi_head_attention_forward", lambda *a: _mha(*a, key_padding_mask=KPM)[0],
     n(3, 2, 4), n(5, 2, 4), n(12, 4), n(12), n(4, 4).T, n(4))
case("mha-weights-float-mask", "ember.multi_head_attention_forward",
     lambda *a: _mha(*a, attn_mask=ATTN_MASK, average_attn_weights=False)[1], n(3, 2, 4), n(5, 2, 4), n(12, 4), n(12),
     n(4, 4), n(4))
case("mha-self-causal-unbatched", "ember.multi_head_attention_forward",
     lambda x, w_in, b_in, w_out: ember.multi_head_attention_forward(x, x, x, 4, 2, w_in, b_in, 0.0, w_out, None,
                                                                     is_causal=True)[0], n(3, 4), n(12, 4), n(12), n(4, 4))

# --- linear algebra: every matmul form, broadcasting batches, transposed operands ---

case("matmul-2d", "ember.matmul", ember.matmul, n(3, 4).T, n(4, 2))
case("matmul-1d-1d", "ember.matmul", ember.matmul, n(3), n(3))
case("matmul-1d-nd", "ember.matmul", ember.matmul, n(3), n(2, 3, 2).S)
case("matmul-nd-1d", "ember.matmul", ember.matmul, n(2, 2, 3).T, n(3))
case("matmul-batch-broadcast", "ember.matmul", ember.matmul, n(2, 1, 2, 3), n(3, 3, 2))
case("matmul-2d-3d", "ember.matmul", ember.matmul, n(2, 3), n(2, 3, 2).T)
case("matmul-method", "Tensor.matmul", lambda x, y: x.matmul(y), n(2, 3), n(3, 2).S)
case("__matmul__", "Tensor.__matmul__", lambda x, y: x @ y, n(3, 4).S, n(4, 2).T)
case("__rmatmul__", "Tensor.__rmatmul__", lambda x, y: y.__rmatmul__(x), n(2, 3), n(3, 2))
case("mm", "ember.mm", ember.mm, n(3, 4).T, n(4, 2).S)
case("mm-method", "Tensor.mm", lambda x, y: x.mm(y), n(2, 3), n(3, 3))
case("bmm", "ember.bmm", ember.bmm, n(2, 3, 4), n(2, 4, 2).T)
case("bmm-method", "Tensor.bmm", lambda x, y: x.bmm(y), n(2, 2, 3).S, n(2, 3, 2))
case("dot", "ember.dot", ember.dot, n(5), n(5).S)
case("dot-method", "Tensor.dot", lambda x, y: x.dot(y), n(4).S, n(4))
case("outer", "ember.outer", ember.outer, n(3).S, n(4))
case("outer-method", "Tensor.outer", lambda x, y: x.outer(y), n(2), n(3))

# --- joining and splitting ---

case("tril", "ember.tril", lambda x: ember.tril(x, 1), n(2, 3, 4).T)
case("tril-method", "Tensor.tril", lambda x: x.tril(-1), n(4, 3))
case("triu", "ember.triu", lambda x: ember.triu(x), n(3, 3).S)
case("triu-method", "Tensor.triu", lambda x: x.triu(2), n(2, 5))
case("cat", "ember.cat", lambda a, b, c: ember.cat([a, b, c], -1), n(2, 3).T, n(2, 1), n(2, 2).S)
case("cat-dim0", "ember.cat", lambda a, b: ember.cat([a, b], 0), n(1, 3), n(2, 3).T)
case("cat-same-input-twice", "ember.cat", lambda a: ember.cat([a, a * 2.0], 1), n(2, 2))
case("concat", "ember.concat", lambda a, b: ember.concat([a, b], -2), n(2, 3), n(1, 3).S)
case("concatenate", "ember.concatenate", lambda a, b: ember.concatenate([a, b], 1), n(2, 3).T, n(2, 2))
case("stack", "ember.stack", lambda a, b: ember.stack([a, b], -1), n(2, 3).T, n(2, 3).S)
case("stack-dim1", "ember.stack", lambda a, b, c: ember.stack([a, b, c], 1), n(2, 2), n(2, 2), n(2, 2).T)
case("split-int", "ember.split", lambda x: ember.split(x, 2, 0), n(5, 3).T)
case("split-sizes-method", "Tensor.split", lambda x: x.split([1, 3], -1), n(3, 4).S)
case("split-pieces-unused", "ember.split", lambda x: ember.split(x, [2, 1], -1)[0], n(2, 3))
case("chunk", "ember.chunk", lambda x: ember.chunk(x, 2, -2), n(4, 3))
case("chunk-method", "Tensor.chunk", lambda x: x.chunk(3, 1), n(2, 5).T)
case("chunk-one-piece-used", "Tensor.chunk", lambda x: x.chunk(2, 0)[1] * 3.0, n(4, 2).S)

# --- views and copies ---

case("view", "Tensor.view", lambda x: x.view(3, 4), n(2, 6))
case("view-infer", "Tensor.view", lambda x: x.view(-1, 2), n(2, 3, 2))
case("reshape-noncontiguous", "Tensor.reshape", lambda x: x.reshape(4, -1), n(3, 4).T)
case("reshape-step", "Tensor.reshape", lambda x: x.reshape(-1), n(2, 3).S)
case("transpose", "Tensor.transpose", lambda x: x.transpose(-1, 0), n(2, 3, 4))
case("transpose-T", "Tensor.transpose", lambda x: x.transpose(0, 1), n(2, 3).T)
case("permute", "Tensor.permute", lambda x: x.permute(2, 0, 1), n(2, 3, 2).S)
case("permute-negative", "Tensor.permute", lambda x: x.permute(-1, 0, -2), n(2, 3, 2))
case("T", "Tensor.T", lambda x: x.T, n(3, 4))
case("T-noncontiguous", "Tensor.T", lambda x: x.T * 2.0, n(2, 3).S)
case("mT", "Tensor.mT", lambda x: x.mT, n(2, 3, 4).T)
case("t", "Tensor.t", lambda x: x.t(), n(2, 3).S)
case("squeeze-dim", "Tensor.squeeze", lambda x: x.squeeze(-2), n(3, 1, 2))
case("squeeze-all", "Tensor.squeeze", lambda x: x.squeeze(), n(1, 3, 1, 2).T)
case("unsqueeze", "Tensor.unsqueeze", lambda x: x.unsqueeze(-1), n(2, 3).S)
case("unsqueeze-0", "Tensor.unsqueeze", lambda x: x.unsqueeze(0), n(3))
case("expand", "Tensor.expand", lambda x: x.expand(2, 3, 4), n(3, 1))
case("expand-keep", "Tensor.expand", lambda x: x.expand(-1, 3), n(2, 1).T)
case("expand_as", "Tensor.expand_as", lambda x: x.expand_as(ember.zeros(2, 3, 4, dtype=F64)), n(1, 4).S)
case("flatten", "Tensor.flatten", lambda x: x.flatten(), n(2, 3, 2).T)
case("flatten-range", "Tensor.flatten", lambda x: x.flatten(1, -1), n(2, 2, 3))
case("narrow", "Tensor.narrow", lambda x: x.narrow(-1, 1, 2), n(3, 4).T)
case("select", "Tensor.select", lambda x: x.select(-2, 1), n(2, 3, 2))
case("select-negative-index", "Tensor.select", lambda x: x.select(0, -1), n(3, 4).S)
case("contiguous", "Tensor.contiguous", lambda x: x.contiguous(), n(3, 4).T)
case("clone", "Tensor.clone", lambda x: x.clone(), n(2, 3).S)
# the module-level forms and the *_as methods (ember/_tensor_api.py) over the methods above
case("module-flatten", "ember.flatten", lambda x: ember.flatten(x, 1), n(2, 3, 2).T)
case("module-reshape", "ember.reshape", lambda x: ember.reshape(x, (3, -1)), n(2, 3))
case("module-transpose", ("ember.transpose", "ember.swapaxes", "ember.swapdims"),
     lambda x: ember.transpose(x, 0, 1) + ember.swapaxes(x, 1, 0) * 2.0 + ember.swapdims(x, 0, 1) * 3.0, n(2, 3))
case("module-permute", "ember.permute", lambda x: ember.permute(x, (2, 0, 1)), n(2, 3, 2))
case("module-squeeze-unsqueeze", ("ember.squeeze", "ember.unsqueeze"),
     lambda x: ember.unsqueeze(ember.squeeze(x, 1), 0), n(3, 1, 2))
case("module-narrow-select", ("ember.narrow", "ember.select"),
     lambda x: ember.narrow(x, 1, 1, 2) * ember.select(x, 1, 0).unsqueeze(1), n(3, 4))
case("module-t-clone", ("ember.t", "ember.clone"), lambda x: ember.clone(ember.t(x)), n(2, 3).S)
case("view_as", "Tensor.view_as", lambda x: x.view_as(ember.zeros(3, 2)), n(2, 3))
case("reshape_as", "Tensor.reshape_as", lambda x: x.reshape_as(ember.zeros(6)), n(2, 3).T)
case("type_as", "Tensor.type_as", lambda x: x.type_as(ember.zeros(1, dtype=F64)) * 2.0, n(2, 3))
case("clone-contiguous", "Tensor.clone", lambda x: x.clone(), n(2, 3))
# float64 -> float32 -> float64: the round trip costs precision, so a larger step (the function is linear).
case("to-float32-and-back", ("Tensor.to", "Tensor.double"), lambda x: x.to(F32).double(), p(2, 3).T, eps=1e-3)
case("float-and-back", ("Tensor.float", "Tensor.to"), lambda x: x.float().to(F64) * 3.0, p(3, 2), eps=1e-3)
case("double-of-double", "Tensor.double", lambda x: (x * 2.0).double(), n(2, 3))
case("type-float32-and-back", "Tensor.type", lambda x: x.type(F32).type(F64), p(3), eps=1e-3)
# float64 -> bfloat16 -> float64 on quarters below 4, which bfloat16 holds exactly (so do x +- eps): the cast
# is the identity there, and its backward rounds the gradient to bfloat16 and back.
case("bfloat16-and-back", ("Tensor.bfloat16", "Tensor.to"), lambda x: x.bfloat16().double() * 3.0,
     vals([[0.25, -1.5, 2.0], [3.0, -0.75, 1.25]]), eps=0.25)
case("cpu", "Tensor.cpu", lambda x: (x * 2.0).cpu(), n(2, 2))

# --- indexing ---

case("gather", "ember.gather", lambda x: ember.gather(x, -1, GATHER_IDX), n(3, 4).T)
case("gather-method-dim0", "Tensor.gather", lambda x: x.gather(0, GATHER_IDX0), n(3, 4).S)
case("index_select", "ember.index_select", lambda x: ember.index_select(x, 0, IDX_REP), n(3, 2))
case("index_select-method", "Tensor.index_select", lambda x: x.index_select(-1, IDX_COL), n(2, 4).T)
case("masked_fill", "ember.masked_fill", lambda x: ember.masked_fill(x, MASK4, 0.5), n(3, 4).S)
case("masked_fill-method", "Tensor.masked_fill", lambda x: x.masked_fill(MASK34, -1.0), n(3, 4).T)
case("getitem-int-slice", "Tensor.__getitem__", lambda x: x[1, ::2], n(3, 4))
case("getitem-negative-int", "Tensor.__getitem__", lambda x: x[-1], n(3, 4).T)
case("getitem-none-ellipsis", "Tensor.__getitem__", lambda x: x[None, ..., 1:], n(2, 3, 2).S)
case("getitem-int-tensor-repeated", "Tensor.__getitem__", lambda x: x[IDX_REP], n(3, 2).T)
case("getitem-slice-then-int-tensor", "Tensor.__getitem__", lambda x: x[:, IDX_COL], n(2, 4))
case("getitem-two-int-tensors", "Tensor.__getitem__", lambda x: x[IDX_REP, ember.tensor([0, 1, 1, 0, 1])],
     n(3, 2).S)
case("getitem-bool-mask", "Tensor.__getitem__", lambda x: x[MASK34], n(3, 4).T)
case("getitem-bool-rows", "Tensor.__getitem__", lambda x: x[MASK3] * 2.0, n(3, 2))

# --- reorder, scatter family, einsum (include/ember/ops/{reorder,scatter,einsum}.hpp) ---

SC_IDX = ember.tensor([[2, 2, 0], [1, 3, 1]])     # (2, 3) into (2, 4) along dim 1: repeated positions
SC_UNIQ = ember.tensor([[3, 0, 1], [0, 2, 3]])    # unique per row (scatter: the last write would win)
IX_REP = ember.tensor([3, 0, 3])
case("flip", ("ember.flip", "Tensor.flip"), lambda x: ember.flip(x, (0, -1)) * x.flip(1), n(3, 4).T)
case("fliplr-flipud", ("ember.fliplr", "Tensor.fliplr", "ember.flipud", "Tensor.flipud"),
     lambda x: ember.fliplr(x) + x.fliplr() * 2.0 + ember.flipud(x) * x.flipud(), n(3, 3).S)
case("roll", ("ember.roll", "Tensor.roll"), lambda x: ember.roll(x, (1, -2), (0, 1)) + x.roll(5) * 2.0, n(3, 4).T)
case("rot90", ("ember.rot90", "Tensor.rot90"), lambda x: ember.rot90(x, 1, (1, 2)) * x.rot90(-1, (2, 1)), n(2, 3, 3))
case("repeat-tile", ("Tensor.repeat", "ember.tile", "Tensor.tile"),
     lambda x: x.repeat(2, 1, 3) + ember.tile(x, (2, 1, 3)) * x.tile((1, 3)), n(2, 2).S)
case("repeat_interleave", ("ember.repeat_interleave", "Tensor.repeat_interleave"),
     lambda x: ember.repeat_interleave(x, ember.tensor([2, 0, 1]), dim=0) * 2.0 + x.repeat_interleave(2)[:3], n(3, 1))
case("unbind-tensor_split", ("ember.unbind", "Tensor.unbind", "ember.tensor_split", "Tensor.tensor_split"),
     lambda x: ember.unbind(x, 1)[2] * x.unbind(-1)[0] + ember.tensor_split(x, 2, 1)[1].sum(1)
     + x.tensor_split([1], dim=0)[1].sum(0)[:1], n(3, 3).T)
case("scatter", ("ember.scatter", "Tensor.scatter"),
     lambda x, s: ember.scatter(x, 1, SC_UNIQ, s) + x.scatter(1, SC_IDX, 2.0), n(2, 4), n(2, 4).S)
case("scatter_add", ("ember.scatter_add", "Tensor.scatter_add"),
     lambda x, s: ember.scatter_add(x, -1, SC_IDX, s) * x.scatter_add(1, SC_IDX, s * 2.0), n(2, 4).T, n(3, 3))
for _r, _kind in [("sum", "n"), ("prod", "p"), ("mean", "n"), ("amax", "d"), ("amin", "d")]:
    for _inc in (True, False):
        case(f"scatter_reduce-{_r}-{_inc}", ("ember.scatter_reduce", "Tensor.scatter_reduce"),
             lambda x, s, r=_r, inc=_inc: ember.scatter_reduce(x, 1, SC_IDX, s, r, include_self=inc)
             + x.scatter_reduce(1, SC_IDX, s, r, include_self=inc), In((2, 4), _kind), In((2, 3), _kind))
case("index_add", ("ember.index_add", "Tensor.index_add"),
     lambda x, s: ember.index_add(x, 0, IX_REP, s, alpha=-1.5) + x.index_add(0, IX_REP, s), n(4, 2).T, n(3, 2))
case("index_copy", ("ember.index_copy", "Tensor.index_copy"),
     lambda x, s: ember.index_copy(x, 1, ember.tensor([2, 0]), s) * x.index_copy(-1, ember.tensor([1]), s[:, :1]),
     n(3, 4), n(3, 2).S)
case("index_fill", ("ember.index_fill", "Tensor.index_fill"),
     lambda x: ember.index_fill(x, 1, IX_REP, 0.5) * x.index_fill(0, ember.tensor([1]), -2.0), n(3, 4).T)
case("masked_scatter", ("ember.masked_scatter", "Tensor.masked_scatter"),
     lambda x, s: ember.masked_scatter(x, MASK4, s) + x.masked_scatter(MASK34, s * 3.0), n(3, 4).S, n(14))
case("einsum-matmul-trace-ellipsis", "ember.einsum",
     lambda a, b: ember.einsum("...ij,jk->...ik", a, b) * ember.einsum("ii", b[:, :3]) + ember.einsum("ij->j", b),
     n(2, 2, 3), n(3, 4).T)
case("einsum-three-operands-diagonal", "ember.einsum", lambda a, b, c: ember.einsum("ij,jk,kkl->il", a, b, c),
     n(2, 3), n(3, 2), n(2, 2, 3))
case("meshgrid", "ember.meshgrid", lambda x, y: ember.meshgrid(x, y, indexing="xy")[0] * ember.meshgrid(x, y)[1].mT,
     n(2), n(3))
# --- issue 21: activations, normalization, channel dropout, losses (bind_nn_extra.cpp) ---
# "d" inputs keep away from the kinks (0, +-0.5, +-1, +-3, 6) by at least 0.02 on the grid of 0.37 steps.
_ACT21 = [("elu", {"alpha": 1.3}), ("selu", {}), ("celu", {"alpha": 0.7}), ("softplus", {"beta": 2.0, "threshold": 1.5}),
          ("mish", {}), ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {"min_val": -0.8, "max_val": 1.2}),
          ("relu6", {}), ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}), ("hardshrink", {"lambd": 0.6}),
          ("softshrink", {"lambd": 0.6}), ("threshold", {"threshold": 0.2, "value": -2.0})]
for _name, _kw in _ACT21:
    case(f"{_name}", f"ember.{_name}", (lambda x, _n=_name, _k=_kw: getattr(ember, _n)(x, **_k)), d(4, 5).S)
case("relu6-wide", "ember.relu6", lambda x: ember.relu6(x * 4.0), d(3, 4).T)
case("hardswish-wide", "ember.hardswish", lambda x: ember.hardswish(x * 3.0), d(3, 4))
case("softmin", "ember.softmin", lambda x: ember.softmin(x, -1), n(3, 4).T)
case("glu", "ember.glu", lambda x: ember.glu(x, 0), n(4, 3).S)
case("prelu", "ember.prelu", lambda x, w: ember.prelu(x, w), d(2, 3, 4), n(3))
case("prelu-one", "ember.prelu", lambda x, w: ember.prelu(x, w), d(5).T, n(1))
case("group_norm", "ember.group_norm", lambda x, w, b: ember.group_norm(x, 2, w, b), n(2, 4, 3), n(4), n(4))
case("instance_norm", "ember.instance_norm", lambda x, w, b: ember.instance_norm(x, None, None, w, b), n(2, 3, 4).S,
     n(3), n(3))
case("rms_norm", "ember.rms_norm", lambda x, w: ember.rms_norm(x, (2, 3), w), n(4, 2, 3), n(2, 3))
case("dropout1d-eval", "ember.dropout1d", lambda x: ember.dropout1d(x, 0.5, False) * 2.0, n(2, 3, 4))
case("dropout2d-p0", "ember.dropout2d", lambda x: ember.dropout2d(x, 0.0, True) * 2.0, n(2, 3, 2, 2))
case("kl_div", "ember.kl_div", lambda x, t: ember.kl_div(x, t, "batchmean"), n(3, 4), p(3, 4))
case("kl_div-log-target", "ember.kl_div", lambda x, t: ember.kl_div(x, t, "none", True), n(3, 4).T, n(3, 4))
case("cosine_similarity", "ember.cosine_similarity", lambda a, b: ember.cosine_similarity(a, b, -1), n(3, 4),
     n(1, 4))
case("pairwise_distance", "ember.pairwise_distance", lambda a, b: ember.pairwise_distance(a, b, 3.0), n(3, 4),
     n(3, 4).S)
case("cosine_embedding_loss", "ember.cosine_embedding_loss",
     lambda a, b: ember.cosine_embedding_loss(a, b, ember.tensor([1.0, -1.0, -1.0], dtype=F64), -0.9, "sum"),
     n(3, 4), n(3, 4))
case("margin_ranking_loss", "ember.margin_ranking_loss",
     lambda a, b: ember.margin_ranking_loss(a, b, ember.tensor([1.0, -1.0, 1.0, -1.0], dtype=F64), 0.05, "mean"),
     d(4), n(4))
case("triplet_margin_loss", "ember.triplet_margin_loss",
     lambda a, b, c: ember.triplet_margin_loss(a, b, c, 2.0, 1.5, 1e-6, True, "none"), n(3, 4), n(3, 4), n(3, 4))
case("poisson_nll_loss", "ember.poisson_nll_loss", lambda x, t: ember.poisson_nll_loss(x, t, False, True, 1e-8, "sum"),
     p(3, 4), p(3, 4))
case("gaussian_nll_loss", "ember.gaussian_nll_loss", lambda x, t, v: ember.gaussian_nll_loss(x, t, v, True),
     n(3, 4), n(3, 4), p(3, 1))
case("multilabel_soft_margin_loss", "ember.multilabel_soft_margin_loss",
     lambda x, t: ember.multilabel_soft_margin_loss(x, t, None, "none"), n(3, 4), p(3, 4))
# --- ops1 (issue 21): sort, scan, norm, blas_ext, compare_close (include/ember/ops/{sort,scan,norm,...}.hpp) ---

INF = float("inf")
case("sort", ("ember.sort", "Tensor.sort"), lambda x: ember.sort(x, 0, True).values * x.sort(-1).values, d(3, 4))
case("sort-nd-strided", "ember.sort", lambda x: ember.sort(x, 1).values, d(2, 3, 4).S)
case("msort", ("ember.msort", "Tensor.msort"), lambda x: ember.msort(x) + x.msort(), d(3, 2).T)
case("topk", ("ember.topk", "Tensor.topk"), lambda x: ember.topk(x, 3).values.sum(0) + x.topk(2, 0, False).values.sum(0)[:3],
     d(3, 4))
case("cumsum", ("ember.cumsum", "Tensor.cumsum"), lambda x: ember.cumsum(x, 1) * x.cumsum(-2), n(3, 4).T)
case("cumprod", ("ember.cumprod", "Tensor.cumprod"), lambda x: ember.cumprod(x, 1) + x.cumprod(0), n(3, 4).S)
case("cumprod-zeros", "ember.cumprod", lambda x: ember.cumprod(x, -1),
     vals([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.0, -2.0, 0.0, 0.7]]))
case("diff", ("ember.diff", "Tensor.diff"), lambda x, p: ember.diff(x, 2, 0, prepend=p) + x.diff(dim=0)[1:],
     n(3, 4).T, n(1, 4))
case("norm", ("ember.norm", "Tensor.norm"),
     lambda x: ember.norm(x) + x.norm(3, 1).sum() + x.norm(dim=0, keepdim=True).sum() + x.norm(1), d(3, 4).T)
case("norm-inf", "Tensor.norm", lambda x: x.norm(INF, -1) + x.norm(-INF, 0).sum(), d(3, 4))
case("linalg-vector_norm", (), lambda x: ember.linalg.vector_norm(x, 2, (0, 2)) + ember.linalg.vector_norm(x, 0.5),
     p(2, 3, 2))
case("linalg-matrix_norm", (), lambda x: ember.linalg.matrix_norm(x) + ember.linalg.matrix_norm(x, 1)
     + ember.linalg.matrix_norm(x, -INF) + ember.linalg.norm(x, dim=(0, 2)).sum(), d(2, 3, 2))
case("cdist", "ember.cdist", lambda a, b: ember.cdist(a, b) + ember.cdist(a, b, 1.5) + ember.cdist(a, b, 1.0),
     d(2, 3, 2), e(4, 2))
case("addmm", ("ember.addmm", "Tensor.addmm"),
     lambda i, a, b: ember.addmm(i, a, b, beta=0.5, alpha=2.0) + i.addmm(a, b), n(4), n(3, 2).T, n(2, 4))
case("baddbmm", ("ember.baddbmm", "Tensor.baddbmm"),
     lambda i, a, b: ember.baddbmm(i, a, b, alpha=-1.0) + i.baddbmm(a, b, beta=0.0), n(3, 1), n(2, 3, 2), n(2, 2, 1))
case("addmv-addr", ("ember.addmv", "Tensor.addmv", "ember.addr", "Tensor.addr"),
     lambda i, m, v, w: ember.addmv(i, m, v, beta=0.5, alpha=2.0) + i.addmv(m, v)
     + ember.addr(i.unsqueeze(1), i, w, alpha=-1.5).sum(1) + i.unsqueeze(1).addr(i, w, beta=0.0).sum(1),
     n(3), n(3, 2).T, n(2), n(4))
case("addbmm-vdot", ("ember.addbmm", "Tensor.addbmm", "ember.vdot", "Tensor.vdot"),
     lambda i, a, b, v: ember.addbmm(i, a, b, beta=2.0, alpha=0.5) + i.addbmm(a, b) * ember.vdot(v, v) + v.vdot(v),
     n(3, 1), n(2, 3, 2), n(2, 2, 1), n(4))
case("addcmul", ("ember.addcmul", "Tensor.addcmul"),
     lambda i, a, b: ember.addcmul(i, a, b, value=0.5) + i.addcmul(a, b), n(3, 4), n(4), n(3, 4).T)
case("addcdiv", ("ember.addcdiv", "Tensor.addcdiv"),
     lambda i, a, b: ember.addcdiv(i, a, b, value=-2.0) + i.addcdiv(a, b), n(3, 4), n(3, 1), p(3, 4).S)
case("lerp", ("ember.lerp", "Tensor.lerp"), lambda s, t, w: ember.lerp(s, t, w) + s.lerp(t, 0.25), n(3, 4), n(4), n(3, 4))
case("nan_to_num", ("ember.nan_to_num", "Tensor.nan_to_num"),
     lambda x: ember.nan_to_num(x) + x.nan_to_num(posinf=1.0), n(3, 4).T)
OPS1_DIFFERENTIABLE = set("sort msort topk cumsum cumprod diff norm cdist addmm baddbmm addmv addr addbmm vdot addcmul "
                          "addcdiv lerp "
                          "nan_to_num".split())
OPS1_NOT_DIFFERENTIABLE = set("argsort multinomial bucketize searchsorted unique bincount isclose allclose addcmul_ "
                              "addcdiv_ lerp_".split())

# --- the census: every public op is declared differentiable or not, and each differentiable one is tested ---

# The differentiable ops, and the aliases ember binds for them.
DIFFERENTIABLE = set("""
neg abs relu exp log log1p sqrt rsqrt sin cos tanh sigmoid silu gelu
add sub mul div pow maximum minimum clamp clip where
sum prod mean var std logsumexp amax amin max min softmax log_softmax
linear conv2d max_pool2d avg_pool2d adaptive_avg_pool2d batch_norm layer_norm leaky_relu
cross_entropy nll_loss binary_cross_entropy binary_cross_entropy_with_logits mse_loss l1_loss
smooth_l1_loss huber_loss
embedding dropout scaled_dot_product_attention multi_head_attention_forward
matmul mm bmm dot outer cat concat concatenate stack split chunk
tril triu view reshape transpose swapaxes swapdims permute T mT t squeeze unsqueeze expand expand_as flatten narrow select contiguous clone
to double float bfloat16 gather index_select masked_fill __getitem__ view_as reshape_as type_as
__add__ __sub__ __mul__ __truediv__ __pow__ __matmul__ __neg__
__radd__ __rsub__ __rmul__ __rtruediv__ __rpow__ __rmatmul__
negative subtract multiply divide true_divide __abs__ type cpu
logit expm1 exp2 log2 log10 square reciprocal tan asin acos atan sinh cosh asinh acosh atanh erf erfc deg2rad rad2deg
sign floor ceil trunc round frac arcsin arccos arctan arcsinh arccosh arctanh absolute fix sgn
atan2 arctan2 hypot logaddexp xlogy copysign fmod remainder floor_divide __mod__ __rmod__ __floordiv__ __rfloordiv__
""".split())
# (the last line: aliases and conversions; they share the listed ops' rules)

# Outputs that are bool/int, in-place ops, creation, autograd machinery, attributes and Python protocols.
NOT_DIFFERENTIABLE = set("""
eq ne lt le gt ge logical_and logical_or logical_xor logical_not isnan isinf isfinite signbit argmax argmin all any one_hot
tensor zeros ones full empty rand randn randint randperm arange linspace eye zeros_like ones_like full_like empty_like
rand_like randn_like randint_like new_zeros new_ones new_empty new_full new_tensor is_tensor Size
from_numpy from_dlpack manual_seed get_num_threads set_num_threads promote_types get_include get_cmake_dir
Tensor dtype device Generator Path cuda
no_grad enable_grad set_grad_enabled is_grad_enabled Node GradcheckError
save load CheckpointError DeployedModel
add_ sub_ mul_ div_ copy_ fill_ zero_ masked_fill_ index_put_ leaky_relu_
requires_grad requires_grad_ is_leaf grad grad_fn backward retain_grad retains_grad detach
bool byte char int long shape ndim dim numel size stride storage_offset element_size data_ptr is_contiguous is_cuda
is_floating_point item tolist numpy is_cpu is_xpu is_mps is_meta data __format__
__init__ __repr__ __str__ __hash__ __len__ __iter__ __bool__ __float__ __int__ __index__ __copy__ __deepcopy__
__array__ __dlpack__ __dlpack_device__ __invert__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__
__and__ __rand__ __or__ __ror__ __xor__ __rxor__ __iadd__ __isub__ __imul__ __itruediv__ __ipow__ __setitem__
""".split())
DIFFERENTIABLE |= OPS1_DIFFERENTIABLE  # ops1 (issue 21)
# the in-place unary math ops (generated with them: EMBER_UNARY_MATH_API)
NOT_DIFFERENTIABLE |= {u[0] + "_" for u in UNARY if u[0] != "gelu"}
NOT_DIFFERENTIABLE |= OPS1_NOT_DIFFERENTIABLE
# process switches, the grad-mode context and the causal-mask factory (python/ember/_settings.py, autograd.py)
NOT_DIFFERENTIABLE |= set("""
are_deterministic_algorithms_enabled compile get_default_dtype get_float32_matmul_precision inference_mode
set_default_dtype set_float32_matmul_precision use_deterministic_algorithms generate_square_subsequent_mask
""".split())

# autocast, the mixed-precision context (python/ember/amp.py; tested in test_autocast.py)
NOT_DIFFERENTIABLE |= set("autocast is_autocast_enabled get_autocast_dtype is_autocast_available".split())

# gradient hooks (issue 23, ddp: python/src/bind_hooks.cpp; tested in test_hooks.py)
NOT_DIFFERENTIABLE |= set("register_hook register_post_accumulate_grad_hook RemovableHandle".split())

# reorder, scatter family, einsum (include/ember/ops/{reorder,scatter,einsum}.hpp)
DIFFERENTIABLE |= set("""
flip fliplr flipud roll rot90 repeat tile repeat_interleave unbind tensor_split
scatter scatter_add scatter_reduce index_add index_copy index_fill masked_scatter einsum meshgrid
""".split())
NOT_DIFFERENTIABLE |= set("""
scatter_ scatter_add_ scatter_reduce_ index_add_ index_copy_ index_fill_ masked_scatter_
""".split())


# issue 21: activations, normalization, channel dropout, losses (bind_nn_extra.cpp)
DIFFERENTIABLE |= set("""
elu selu celu softplus mish hardswish hardsigmoid hardtanh relu6 prelu logsigmoid softsign tanhshrink softmin
hardshrink softshrink threshold glu group_norm instance_norm rms_norm dropout1d dropout2d kl_div cosine_similarity
pairwise_distance cosine_embedding_loss margin_ranking_loss triplet_margin_loss poisson_nll_loss gaussian_nll_loss
multilabel_soft_margin_loss
""".split())


# --- the tensor API of matrix.hpp, select.hpp, statistics.hpp, unfold.hpp and the shape adapters (issue 21) ---
DIFFERENTIABLE |= set("""
diagonal diag trace kron cross tensordot masked_select take take_along_dim median nanmedian kthvalue mode quantile
nanquantile cummax cummin logcumsumexp nansum nanmean var_mean std_mean aminmax normalize
movedim moveaxis unflatten broadcast_to broadcast_tensors atleast_1d atleast_2d atleast_3d hstack vstack row_stack
dstack column_stack clamp_min clamp_max mv inner dist cartesian_prod unfold
""".split())
NOT_DIFFERENTIABLE |= set("""
nonzero argwhere isin count_nonzero tril_indices triu_indices fill_diagonal_ broadcast_shapes uniform_ normal_
bernoulli bernoulli_ half nelement ndimension is_complex clamp_ clip_ pow_ tril_ triu_ unsqueeze_ squeeze_ t_
transpose_ clamp_min_ clamp_max_ logspace heaviside equal finfo iinfo get_rng_state set_rng_state initial_seed seed
""".split())
MASK_B = ember.tensor([[True, False, True, True]])
TAKE_IDX = ember.tensor([[0, -1], [5, 3]])
ALONG_IDX = ember.tensor([[2, 0], [1, 1], [3, 0]])
case("diagonal", ("ember.diagonal", "Tensor.diagonal"),
     lambda x: ember.diagonal(x, 1) * 2 + x.diagonal(-1, 0, 2).sum(), n(3, 4, 4).T)
case("diag", ("ember.diag", "Tensor.diag"), lambda x, v: ember.diag(x, -1) + v.diag(1).sum(), n(3, 4).T, n(2))
case("trace", ("ember.trace", "Tensor.trace"), lambda x: ember.trace(x) * x.trace(), n(3, 4).S)
case("kron", ("ember.kron", "Tensor.kron"), lambda a, b: ember.kron(a, b) + a.kron(b), n(2, 3).T, n(2, 1, 2))
case("cross", ("ember.cross", "Tensor.cross"), lambda a, b: ember.cross(a, b, dim=1) + a.cross(b), n(2, 3, 4).S,
     n(1, 3, 1))
case("tensordot", "ember.tensordot", lambda a, b: ember.tensordot(a, b, 1) + ember.tensordot(a, b.T, ([1], [1])).T,
     n(2, 3), n(3, 2))
case("masked_select", ("ember.masked_select", "Tensor.masked_select"),
     lambda x: ember.masked_select(x, MASK_B) * x.masked_select(MASK_B), n(3, 4).T)
case("take", ("ember.take", "Tensor.take"), lambda x: ember.take(x, TAKE_IDX) + x.take(TAKE_IDX), n(2, 3).S)
case("take_along_dim", ("ember.take_along_dim", "Tensor.take_along_dim"),
     lambda x: ember.take_along_dim(x, ALONG_IDX, 1) + x.take_along_dim(ALONG_IDX.flatten()[:2]).sum(), d(3, 4).T)
case("median", ("ember.median", "Tensor.median"), lambda x: ember.median(x) + x.median(1).values.sum(), d(3, 5))
case("nanmedian", ("ember.nanmedian", "Tensor.nanmedian"), lambda x: ember.nanmedian(x, 0, True).values * x.nanmedian(),
     d(4, 3).T)
case("kthvalue", ("ember.kthvalue", "Tensor.kthvalue"), lambda x: ember.kthvalue(x, 2).values + x.kthvalue(3, 0).values[0],
     d(4, 3).S)
case("mode", ("ember.mode", "Tensor.mode"), lambda x: ember.mode(x).values + x.mode(0).values.sum(), d(3, 4))
case("quantile", ("ember.quantile", "Tensor.quantile"),
     lambda x: ember.quantile(x, ember.tensor([0.1, 0.5, 0.75], dtype=ember.float64), dim=1).sum(0)
     + x.quantile(0.3, interpolation="midpoint"), d(3, 5).T)
case("nanquantile", ("ember.nanquantile", "Tensor.nanquantile"),
     lambda x: ember.nanquantile(x, 0.4, dim=0, keepdim=True) * x.nanquantile(0.9), d(4, 3))
case("cummax", ("ember.cummax", "Tensor.cummax"), lambda x: ember.cummax(x, 1).values + x.cummax(0).values, d(3, 4).T)
case("cummin", ("ember.cummin", "Tensor.cummin"), lambda x: ember.cummin(x, -1).values * x.cummin(0).values, d(3, 4))
case("logcumsumexp", ("ember.logcumsumexp", "Tensor.logcumsumexp"),
     lambda x: ember.logcumsumexp(x, 1) + x.logcumsumexp(0), n(3, 4).S)
case("nansum", ("ember.nansum", "Tensor.nansum"), lambda x: ember.nansum(x, 1) + x.nansum(), n(3, 4).T)
case("nanmean", ("ember.nanmean", "Tensor.nanmean"), lambda x: ember.nanmean(x, 0, True) * x.nanmean(), n(3, 4))
case("var_mean", ("ember.var_mean", "Tensor.var_mean"),
     lambda x: ember.var_mean(x, 1)[0] * ember.var_mean(x, 1)[1] + x.var_mean(correction=0)[0], n(3, 4).S)
case("std_mean", ("ember.std_mean", "Tensor.std_mean"),
     lambda x: ember.std_mean(x, 0, keepdim=True)[0] + x.std_mean()[1], n(3, 4).T)
case("aminmax", ("ember.aminmax", "Tensor.aminmax"),
     lambda x: ember.aminmax(x, dim=1).min * x.aminmax().max, d(3, 4))
case("normalize", "ember.normalize", lambda x: ember.normalize(x) + ember.normalize(x, 1.5, 0), n(3, 4).T)
case("unfold-fold", "ember.normalize",  # F.unfold / F.fold: _core._unfold / _fold
     lambda x: F.fold(F.unfold(x, 2, 1, 1, 1) * 2, (3, 4), 2, 1, 1, 1) + ember.normalize(x, dim=2), n(2, 2, 3, 4).S)
case("tensor-unfold", "Tensor.unfold",  # overlapping windows: the gradient sums them
     lambda x: x.unfold(1, 3, 1) * 2 + x.unfold(0, 2, 2).sum(-1, keepdim=True).unfold(2, 1, 2).sum(), n(4, 5).T)
case("logit-eps", "ember.logit", lambda x: ember.logit(x, 0.2) + ember.logit(x), In((3, 4), "h"))
case("movedim", ("ember.movedim", "Tensor.movedim", "ember.moveaxis", "Tensor.moveaxis"),
     lambda x: ember.movedim(x, 0, -1) + x.movedim((1, 2), (0, 1)) + ember.moveaxis(x, 2, 0).movedim(0, 0).moveaxis(0, 2).movedim(2, 0), n(2, 2, 2))
case("unflatten", ("ember.unflatten", "Tensor.unflatten"),
     lambda x: ember.unflatten(x, 1, (2, 2)) + x.unflatten(-1, (-1, 1)).sum(), n(3, 4).T)
case("broadcast", ("ember.broadcast_to", "Tensor.broadcast_to", "ember.broadcast_tensors"),
     lambda x, y: ember.broadcast_to(x, (2, 3, 4)) * x.broadcast_to((3, 4)) + sum(ember.broadcast_tensors(x, y)),
     n(3, 4), n(2, 1, 1))
case("atleast", ("ember.atleast_1d", "ember.atleast_2d", "ember.atleast_3d"),
     lambda x: ember.atleast_1d(x) + ember.atleast_2d(x).sum() + ember.atleast_3d(x).sum(), n(3))
case("clamp_min_max", ("ember.clamp_min", "Tensor.clamp_min", "ember.clamp_max", "Tensor.clamp_max"),
     lambda x: ember.clamp_min(x, -0.5) + x.clamp_min(0.1) + ember.clamp_max(x, 0.3) + x.clamp_max(-0.2), d(3, 4))
case("mv-inner-dist", ("ember.mv", "Tensor.mv", "ember.inner", "Tensor.inner", "ember.dist", "Tensor.dist"),
     lambda a, v: ember.mv(a, v) + a.mv(v) + ember.inner(a, v) + a.inner(a).sum() + ember.dist(a, v) + a.dist(v, 3),
     n(3, 4).T, n(4))
case("cartesian_prod", "ember.cartesian_prod", lambda a, b: ember.cartesian_prod(a, b) * 2, n(3), n(2))
case("stacks", ("ember.hstack", "ember.vstack", "ember.row_stack", "ember.dstack", "ember.column_stack"),
     lambda a, b: ember.hstack([a, b]).sum() + ember.vstack([a, b]).sum(0) + ember.row_stack([a, b])[1]
     + ember.dstack([a, b]).sum() + ember.column_stack([a, b]).sum(1).sum(), n(4), n(4))

# --- transposed / 1-d convolution, 1-d and adaptive max pooling, pixel shuffle (issue 21, conv helper) ---
DIFFERENTIABLE |= set("""
conv_transpose2d conv_transpose1d conv1d max_pool1d avg_pool1d adaptive_avg_pool1d adaptive_max_pool1d
adaptive_max_pool2d pixel_shuffle pixel_unshuffle
""".split())
case("conv_transpose2d", "ember.conv_transpose2d", lambda x, w, b: ember.conv_transpose2d(x, w, b, stride=2, padding=1),
     n(2, 2, 3, 3), n(2, 3, 3, 2), n(3))
case("conv_transpose2d-groups-outpad-dilation", "ember.conv_transpose2d",
     lambda x, w: ember.conv_transpose2d(x, w, stride=(2, 3), padding=(0, 1), output_padding=(1, 2), groups=2,
                                         dilation=(1, 2)), n(1, 4, 3, 2).S, n(4, 1, 2, 3))
case("conv_transpose2d-unbatched", "ember.conv_transpose2d", lambda x, w: ember.conv_transpose2d(x, w), n(2, 3, 3).T,
     n(2, 2, 2, 2))
case("conv_transpose1d", "ember.conv_transpose1d",
     lambda x, w, b: ember.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1), n(2, 3, 4).S, n(3, 2, 3),
     n(2))
case("conv1d", "ember.conv1d", lambda x, w, b: ember.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
     n(2, 4, 7).S, n(4, 2, 3), n(4))
case("conv1d-same-unbatched", "ember.conv1d", lambda x, w: ember.conv1d(x, w, padding="same"), n(2, 6), n(3, 2, 4))
case("max_pool1d", "ember.max_pool1d", lambda x: ember.max_pool1d(x, 3, 2, 1, ceil_mode=True), d(2, 2, 7).S)
case("avg_pool1d", "ember.avg_pool1d", lambda x: ember.avg_pool1d(x, 3, 2, 1, count_include_pad=False), n(2, 7).T)
case("adaptive_avg_pool1d", "ember.adaptive_avg_pool1d", lambda x: ember.adaptive_avg_pool1d(x, 3), n(2, 2, 7).S)
case("adaptive_max_pool1d", "ember.adaptive_max_pool1d", lambda x: ember.adaptive_max_pool1d(x, 3), d(2, 2, 7))
case("adaptive_max_pool2d", "ember.adaptive_max_pool2d", lambda x: ember.adaptive_max_pool2d(x, (2, 3)),
     d(2, 2, 5, 7).S)
case("pixel_shuffle", "ember.pixel_shuffle", lambda x: ember.pixel_shuffle(x, 2), n(2, 8, 2, 3).S)
case("pixel_unshuffle", "ember.pixel_unshuffle", lambda x: ember.pixel_unshuffle(x, 2), n(3, 4, 6).T)

# --- fix21 (issue 21): svd, svdvals and the SVD matrix norms (include/ember/ops/svd.hpp, norm.hpp) ---
# U and Vh enter only through sign-invariant expressions (squares, U diag(f(S)) Vh): finite differences of a
# recomputed SVD may flip a singular vector's sign.
case("linalg-svdvals", (), lambda x: ember.linalg.svdvals(x), n(2, 4, 3).S)
case("linalg-svdvals-wide", (), lambda x: ember.linalg.svdvals(x), n(3, 5).T)
case("linalg-svd-reduced", (), lambda x: tuple(f(t) for f, t in zip(
    (lambda u: u * u, lambda s: s, lambda v: v * v), ember.linalg.svd(x, full_matrices=False))), n(2, 4, 3))
case("linalg-svd-wide-reconstruct", (),
     lambda x: (lambda r: (r.U * (r.S * r.S).unsqueeze(-2)) @ r.Vh)(ember.linalg.svd(x, False)), n(3, 5).S)
case("linalg-svd-square-full", (), lambda x: (lambda r: (r.U * r.U, r.S, r.Vh * r.Vh))(ember.linalg.svd(x)),
     n(3, 3).T)
case("linalg-matrix_norm-svd", (), lambda x: ember.linalg.matrix_norm(x, "nuc") + ember.linalg.matrix_norm(x, 2)
     + ember.linalg.matrix_norm(x, -2, dim=(0, 2)).sum() + ember.linalg.norm(x[0], "nuc")
     + ember.linalg.norm(x, 2, dim=(2, 1), keepdim=True).sum() + x.norm("nuc", dim=(1, 2)), n(2, 3, 4))


# --- issue 21: inv, solve, det, slogdet, logdet, cholesky, eigh, eigvalsh (include/ember/ops/decomposition.hpp) ---
# Symmetric inputs are built as x + x.mT (eigh reads one triangle) and positive-definite ones as x x^T + 3 I, so
# that finite differences perturb what the op reads. Eigenvectors enter squared (their sign is arbitrary).
I3 = ember.eye(3, dtype=F64)
case("linalg-inv", ("Tensor.inverse", "ember.inverse"), lambda x: (ember.linalg.inv(x), x.inverse(),
                                                                   ember.inverse(x[0])), n(2, 3, 3).T)
case("linalg-solve-broadcast", (), lambda a, b: ember.linalg.solve(a, b), n(2, 3, 3), n(3, 2).T)
case("linalg-solve-vector-right", (), lambda a, b, c: (ember.linalg.solve(a, b), ember.linalg.solve(
    a, c, left=False)), n(2, 3, 3).S, n(2, 3), n(4, 3))
case("linalg-det", ("Tensor.det", "ember.det"), lambda x: (ember.linalg.det(x), x.det(), ember.det(x[1])),
     n(2, 3, 3).S)
case("linalg-det-singular", (), lambda x: ember.linalg.det(x), vals([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]))
case("linalg-slogdet-logdet", ("Tensor.slogdet", "ember.slogdet", "Tensor.logdet", "ember.logdet"),
     lambda x: (ember.linalg.slogdet(x).logabsdet, x.slogdet()[1], ember.slogdet(x)[1],
                ember.logdet(x @ x.mT + I3), (x @ x.mT + I3).logdet()), n(2, 3, 3))
case("linalg-cholesky", ("Tensor.cholesky",), lambda x: (ember.linalg.cholesky(x @ x.mT + 3 * I3),
                                                          ember.linalg.cholesky(x @ x.mT + 3 * I3, upper=True),
                                                          (x[0] @ x[0].mT + I3).cholesky()), n(2, 3, 3))
case("linalg-eigh", (), lambda x: (lambda r: (r.eigenvalues, r.eigenvectors * r.eigenvectors))(
    ember.linalg.eigh(x + x.mT)), n(2, 3, 3))
case("linalg-eigh-upper-eigvalsh", (), lambda x: (ember.linalg.eigh(x + x.mT, UPLO="U").eigenvalues,
                                                  ember.linalg.eigvalsh(x + x.mT, "U")),
     n(4, 4).T)
DIFFERENTIABLE |= {"inverse", "det", "slogdet", "logdet", "cholesky"}
case("bilinear", ("ember.bilinear",), lambda a, b, w, c: (ember.bilinear(a, b, w, c), F.bilinear(a[0], b[0], w)),
     n(2, 3, 4), n(2, 3, 2).T, n(5, 4, 2).S, n(5))
DIFFERENTIABLE |= {"bilinear"}
BAG_IDS = ember.tensor([2, 0, 2, 3, 1, 1, 0])   # bags [2, 0, 2], [], [3, 1], [1, 0]: repeats, an empty bag
BAG_OFF = ember.tensor([0, 3, 3, 5])
case("embedding_bag-sum-weights-padding", (),
     lambda w, s: F.embedding_bag(BAG_IDS, w, BAG_OFF, mode="sum", per_sample_weights=s, padding_idx=1),
     n(4, 3).T, n(7))
case("embedding_bag-mean-max-2d", (),
     lambda w: (F.embedding_bag(BAG_IDS, w, BAG_OFF), F.embedding_bag(BAG_IDS, w, BAG_OFF, mode="max"),
                F.embedding_bag(BAG_IDS[:6].view(2, 3), w, mode="max", padding_idx=0),
                F.embedding_bag(BAG_IDS, w, ember.tensor([0, 3, 3, 5, 7]), include_last_offset=True)), d(4, 3))


def _seeded_gumbel(x, **kw):
    ember.manual_seed(11)  # the same noise at every evaluation
    return F.gumbel_softmax(x, **kw)


case("gumbel_softmax", (), lambda x: (_seeded_gumbel(x, tau=0.7), _seeded_gumbel(x, dim=0)), n(3, 4).T)
# PyTorch spellings without gradients: in-place random fills, legacy constructors, as_tensor, printing
NOT_DIFFERENTIABLE |= set("""
exponential_ geometric_ cauchy_ log_normal_ random_ as_tensor set_printoptions FloatTensor DoubleTensor
BFloat16Tensor LongTensor IntTensor ByteTensor CharTensor BoolTensor normal pin_memory is_pinned
""".split())

def public_ops() -> set:
    """Qualified public names: callables of ember, public attributes and operator dunders of ember.Tensor."""
    names = {f"ember.{k}" for k in dir(ember) if not k.startswith("_") and callable(getattr(ember, k))}
    names |= {f"Tensor.{k}" for k in dir(ember.Tensor) if not k.startswith("_")}
    names |= {f"Tensor.{k}" for k, v in vars(ember.Tensor).items()
              if k.startswith("__") and k.endswith("__") and callable(v)}
    return names


def test_differentiable_and_not_are_disjoint_and_exist():
    assert not DIFFERENTIABLE & NOT_DIFFERENTIABLE
    existing = {q.split(".", 1)[1] for q in public_ops()}
    assert DIFFERENTIABLE - existing == set(), "names of the differentiable list that ember lacks"


def test_every_public_op_is_classified():
    unclassified = sorted(q for q in public_ops()
                          if q.split(".", 1)[1] not in DIFFERENTIABLE | NOT_DIFFERENTIABLE)
    assert unclassified == [], ("new public names: add each to DIFFERENTIABLE (with a gradcheck case) or to "
                                "NOT_DIFFERENTIABLE in this file")


def test_every_differentiable_op_has_a_gradcheck_case():
    covered = {c for k in CASES for c in k.covers}
    missing = sorted(q for q in public_ops() if q.split(".", 1)[1] in DIFFERENTIABLE and q not in covered)
    assert missing == []
    assert covered - public_ops() == set(), "cases that name ops ember lacks"


def test_case_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# --- gradcheck of every case ---


def leaves(c: Case):
    rng = np.random.default_rng(zlib.crc32(c.id.encode()))
    xs = tuple(spec.make(rng) for spec in c.inputs)
    for x in xs:
        assert x.requires_grad and x.is_leaf and x.dtype == ember.float64
    return xs


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_gradcheck(c):
    xs = leaves(c)
    assert ember.autograd.gradcheck(c.fn, xs, **c.kw) is True


@pytest.mark.parametrize("c", CASES[::7], ids=lambda c: c.id)
def test_gradcheck_leaves_inputs_and_grads_untouched(c):
    """gradcheck perturbs and restores its inputs, and does not accumulate into .grad."""
    xs = leaves(c)
    before = [x.detach().numpy().copy() for x in xs]
    assert ember.autograd.gradcheck(c.fn, xs, **c.kw)
    for x, b in zip(xs, before):
        np.testing.assert_array_equal(x.detach().numpy(), b)
        assert x.grad is None


# --- tie rules at non-differentiable points (as PyTorch) ---


def grad_of(fn, values, dtype=np.float64):
    x = ember.from_numpy(np.array(values, dtype=dtype)).requires_grad_()
    fn(x).sum().backward()
    return x.grad.numpy()


TIES = [
    # (name, fn, input, expected gradient of fn(x).sum())
    ("amax-full-splits", lambda x: x.amax(), [[1.0, 3.0, 3.0], [2.0, 0.0, 3.0]], [[0, 1 / 3, 1 / 3], [0, 0, 1 / 3]]),
    ("amin-dim-splits", lambda x: x.amin(1), [[1.0, 1.0, 3.0], [2.0, 0.0, 0.5]], [[0.5, 0.5, 0], [0, 1, 0]]),
    ("amax-dim-splits", lambda x: x.amax(-1), [[3.0, 1.0, 3.0]], [[0.5, 0, 0.5]]),
    ("max-full-splits", lambda x: x.max(), [4.0, 4.0, 1.0, 4.0], [1 / 3, 1 / 3, 0, 1 / 3]),
    ("min-full-splits", lambda x: ember.min(x), [[0.0, 2.0], [0.0, 1.0]], [[0.5, 0], [0.5, 0]]),
    ("max-dim-to-index", lambda x: x.max(1).values, [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], [[0, 1, 0], [1, 0, 0]]),
    ("min-dim-to-index", lambda x: ember.min(x, 0).values, [[1.0, 0.0], [1.0, 0.0]], [[1, 1], [0, 0]]),
    ("maximum-halves", lambda x: ember.maximum(x, x.detach().clone()), [1.0, -2.0], [0.5, 0.5]),
    ("minimum-halves", lambda x: ember.minimum(x, ember.tensor([1.0, 0.0], dtype=F64)), [1.0, -2.0], [0.5, 1.0]),
    ("clamp-bounds-inclusive", lambda x: x.clamp(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0], [0, 1, 1, 1, 0]),
    ("clamp-min-only", lambda x: x.clamp(min=0.0), [-1.0, 0.0, 2.0], [0, 1, 1]),
]


@pytest.mark.parametrize("name,fn,x,want", TIES, ids=[t[0] for t in TIES])
def test_tie_rules(name, fn, x, want):
    np.testing.assert_allclose(grad_of(fn, x), np.array(want, dtype=np.float64), rtol=1e-12, atol=1e-12)


def test_maximum_tie_gives_both_operands_half():
    a = ember.tensor([2.0, 1.0], dtype=F64, requires_grad=True)
    b = ember.tensor([2.0, 3.0], dtype=F64, requires_grad=True)
    ember.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0])


def test_float32_grads_are_float32():
    x = ember.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=F32, requires_grad=True)
    (x.exp() @ x).sum().backward()
    assert x.grad.dtype == F32
    xd = x.detach().numpy().astype(np.float64)
    ed = np.exp(xd)
    ones = np.ones((2, 2))
    want = (ones @ xd.T) * ed + ed.T @ ones  # d/dx sum(exp(x) @ x)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5)


# --- composite expressions beside torch.autograd (float64, within 1e-6) ---


class TorchNS:
    """torch, with torch.nn.functional's names (gelu, silu) at the top level as in ember."""

    def __init__(self, torch):
        self._torch = torch

    def __getattr__(self, name):
        t = self._torch
        return getattr(t, name) if hasattr(t, name) else getattr(t.nn.functional, name)


def run_both(torch, expr, *arrays, seed=0):
    """expr(M, *leaves) for M = ember and M = torch: equal outputs and equal gradients of every leaf
    for the same random output gradients (passed through autograd.backward on each side)."""
    et = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    tt = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    eo, to = expr(ember, *et), expr(TorchNS(torch), *tt)
    eo, to = (list(eo), list(to)) if isinstance(to, (tuple, list)) else ([eo], [to])
    assert len(eo) == len(to)
    rng = np.random.default_rng(seed + 1)
    gs = []
    for a, b in zip(eo, to):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-6)
        gs.append(rng.standard_normal(tuple(b.shape)))
    ember.autograd.backward(eo, [ember.from_numpy(g.copy()) for g in gs])
    torch.autograd.backward(to, [torch.from_numpy(g.copy()) for g in gs])
    for i, (a, b) in enumerate(zip(et, tt)):
        assert (a.grad is None) == (b.grad is None), f"input {i}"
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-6,
                                       err_msg=f"gradient of input {i}")


R = np.random.default_rng(7)


def rn(*shape):
    return R.standard_normal(shape)


def rp(*shape):
    return R.uniform(0.5, 2.0, shape)


LABELS = [0, 2, 1, 2, 0]

COMPOSITES = [
    ("mlp-loss-advanced-index",
     lambda M, x, w, b, w2: ((x @ w + b).relu() @ w2).log_softmax(-1)[M.arange(5), M.tensor(LABELS)].sum(),
     (rn(5, 4), rn(4, 6), rn(6), rn(6, 3))),
    ("mlp-loss-gather",
     lambda M, x, w, b, w2: -((x @ w + b).relu() @ w2).log_softmax(dim=1).gather(1, M.tensor(LABELS)[:, None])
     .mean(),
     (rn(5, 4), rn(4, 6), rn(6), rn(6, 3))),
    ("softmax-logsumexp-chain",
     lambda M, x, y: ((x.softmax(-1) * y).sum(0, keepdim=True).exp() + x.logsumexp(0)).log_softmax(1),
     (rn(3, 4), rn(3, 4))),
    ("softmax-of-transposed", lambda M, x: M.softmax(x.T, dim=0) @ x, (rn(3, 4),)),
    ("matmul-1d-nd", lambda M, v, m: v @ m, (rn(3), rn(2, 3, 4))),
    ("matmul-nd-1d", lambda M, m, v: M.matmul(m, v), (rn(2, 3, 4), rn(4))),
    ("matmul-batch-broadcast", lambda M, a, b: a @ b, (rn(2, 1, 3, 4), rn(5, 4, 2))),
    ("matmul-1d-1d-chain", lambda M, a, b, c: (a @ b) * c, (rn(4), rn(4), rn(2, 2))),
    ("index-repeated-rows", lambda M, x: x[M.tensor([0, 2, 0, 0])] * x[M.tensor([1])], (rn(3, 4),)),
    ("index-pairs-repeated", lambda M, x: x[M.tensor([0, 2, 0]), M.tensor([1, 1, 1])], (rn(3, 4),)),
    ("index-bool-mask", lambda M, x: x[x.detach() > 0].exp(), (rn(4, 5),)),
    ("index-bool-rows-then-cols", lambda M, x: x[M.tensor([True, False, True])][:, M.tensor([3, 0, 3])],
     (rn(3, 4),)),
    ("gather-repeated", lambda M, x: M.gather(x, 0, M.tensor([[2, 2, 0], [2, 1, 1]])), (rn(3, 3),)),
    ("index_select-repeated", lambda M, x: M.index_select(x, 1, M.tensor([1, 1, 0, 1])) ** 2, (rn(2, 3),)),
    ("views-then-reductions-keepdim",
     lambda M, x, y: x.T[1:, ::2].unsqueeze(0).sum(-1, keepdim=True) * y.mean((0, 1), keepdim=True),
     (rn(4, 3), rn(2, 3, 4))),
    ("permute-reshape-amax", lambda M, x: x.permute(2, 0, 1).reshape(4, 6).amax(1, keepdim=True) - x.sum(),
     (rn(2, 3, 4),)),
    ("where-clamp-pow-tensor-exponent",
     lambda M, x, y, e: M.where(x.detach() > 0, x.clamp(-0.5, 0.5), y) ** e + y.pow(2.0).clamp(min=0.1),
     (rn(3, 4), rp(3, 4), rn(4))),
    ("pow-scalar-base", lambda M, x: 2.0 ** x + M.pow(x.abs() + 0.5, x), (rn(2, 3),)),
    ("cat-stack-split",
     lambda M, a, b: tuple(s * 2.0 for s in M.split(M.cat([M.stack([a, b], 1).flatten(1), a], -1), [1, 2], 0)),
     (rn(3, 2), rn(3, 2))),
    ("chunk-cat-roundtrip", lambda M, x: M.cat(list(reversed(x.chunk(3, -1))), -1) * M.arange(6, dtype=M.float64),
     (rn(2, 6),)),
    ("var-std-correction",
     lambda M, x: (x.var(1, correction=0), x.std(0, correction=2, keepdim=True), M.var(x), M.std(x, 1)),
     (rn(4, 5),)),
    ("max-dim-values-min-dim", lambda M, x: M.max(x, 1).values * M.min(x, -1, keepdim=True).values.squeeze(-1),
     (rn(3, 5),)),
    ("prod-no-zeros", lambda M, x: (x.prod(0), x.prod(), M.prod(x, 1, keepdim=True)), (rp(3, 4) - 1.25,)),
    ("broadcast-accumulate", lambda M, x, b: (x + b) * (x - b) / (b * b + 1.0) - b.sum(), (rn(2, 3, 4), rn(3, 1))),
    ("gelu-silu-sigmoid-tanh",
     lambda M, x: M.gelu(x) + M.gelu(x, approximate="tanh") * M.silu(x) - x.sigmoid() * x.tanh(), (rn(3, 4),)),
    ("log-sqrt-rsqrt-log1p", lambda M, x: x.log() * x.sqrt() + x.rsqrt() - M.log1p(x) / x, (rp(3, 4),)),
    ("masked_fill-expand-select", lambda M, x: x.expand(3, 2, 4).masked_fill(M.tensor([True, False, True, False]),
                                                                             2.0).select(1, -1) * x[1],
     (rn(2, 4),)),
    ("mse-and-leaf-used-twice", lambda M, x, w: ((x @ w - x.sum(1, keepdim=True)) ** 2).mean(), (rn(4, 3), rn(3, 2))),
    ("addmv-addr-addbmm-vdot",
     lambda M, i, m, v, a, b: M.addmv(i, m, v, beta=0.5, alpha=2.0).sum() + m.addr(i, v, alpha=-1.5).sum()
     + M.addbmm(m, a, b, beta=2.0).sum() * M.vdot(v, v) + i.addmv(m, v).sum() + m.addbmm(a, b).sum() + M.mv(m, v).sum(),
     (rn(3), rn(3, 2), rn(2), rn(4, 3, 5), rn(4, 5, 2))),
    ("tensor-unfold-windows", lambda M, x: (x.unfold(-1, 3, 2) ** 2).sum(-1) + x.T.unfold(0, 2, 1).mean(),
     (rn(3, 7),)),
    ("narrow-transpose-contiguous-view",
     lambda M, x: x.narrow(1, 1, 2).transpose(0, 1).contiguous().view(-1).softmax(0), (rn(3, 4),)),
]


@pytest.mark.parametrize("name,expr,arrays", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_vs_torch(torch, name, expr, arrays):
    run_both(torch, expr, *arrays)
