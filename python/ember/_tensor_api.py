"""The parts of PyTorch's tensor API that only adapt a calling convention to ember's ops, with no math of
their own: module-level forms of tensor methods (``ember.flatten(x)``), ``view_as``/``reshape_as``/
``type_as``, the ``new_*`` methods, the random ``*_like`` functions and in-place fills, the shape
adapters (``movedim``, ``unflatten``, ``broadcast_to``, the ``*stack`` family, ``atleast_*d``) and the
in-place forms of ops that have no kernel of their own (``clamp_``, ``unsqueeze_``...). Each is a line or
two over a method or op of ``_core``, so export traces the op it calls."""
from __future__ import annotations

import math
from typing import Any, Sequence

from . import _core
from ._core import Tensor
from ._size import Size


def _like(input: Tensor, dtype: Any, device: Any) -> dict[str, Any]:
    return {"dtype": input.dtype if dtype is None else dtype, "device": input.device if device is None else device}


# --- Tensor.new_*: a new tensor with this tensor's dtype and device unless given ---

def _new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given size, with this tensor's dtype and device unless given."""
    return _core.zeros(*size, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of the given size, with this tensor's dtype and device unless given."""
    return _core.ones(*size, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given size, with this tensor's dtype and device unless given."""
    return _core.empty(*size, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """fill_value in the given size, with this tensor's dtype and device unless given."""
    return _core.full(size, fill_value, **_like(self, dtype, device), requires_grad=requires_grad)


def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A copy of data (a tensor, array or nested lists), with this tensor's dtype and device unless given."""
    if isinstance(data, Tensor):
        data = data.detach().cpu().numpy()
    return _core.tensor(data, **_like(self, dtype, device), requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """data as a tensor, without a copy where it can: a tensor comes back itself (converted when dtype or device
    differ), a NumPy array shares its memory (unless converted); anything else is copied, as ember.tensor."""
    if isinstance(data, Tensor):
        return data if dtype is None and device is None else data.to(*[a for a in (device, dtype) if a is not None])
    from ._np import is_ndarray
    if is_ndarray(data) and data.dtype.kind in "biuf" and data.dtype.itemsize > 2:
        return _core.from_numpy(data).to(*[a for a in (device, dtype) if a is not None])
    return _core.tensor(data, dtype=dtype, device=device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std^2), as torch.normal: mean and std numbers (then size= is the shape) or tensors (the
    result has their broadcast shape). Drawn from ember's generator; no gradient flows to mean or std."""
    from . import no_grad
    tensors = [a for a in (mean, std) if isinstance(a, Tensor)]
    if not tensors and size is None:
        raise TypeError("[normal] with a number mean and std, give size= (the shape of the result)")
    if tensors and size is not None:
        shape = tuple(broadcast_shapes(*[tuple(t.shape) for t in tensors]))
        if tuple(size) != shape:
            raise ValueError(f"[normal] size {tuple(size)} does not match the shape {shape} of mean and std")
    if isinstance(std, Tensor):
        if bool((std < 0).any()):
            raise ValueError("[normal] std must be >= 0")
    elif std < 0:
        raise ValueError(f"[normal] std must be >= 0, got {std}")
    shape = tuple(size) if not tensors else tuple(broadcast_shapes(*[tuple(t.shape) for t in tensors]))
    dt = dtype if dtype is not None else (tensors[0].dtype if tensors else None)
    with no_grad():
        z = _core.randn(shape, generator=generator, dtype=dt, device=device)
        out = z * std + mean
    return out.requires_grad_(requires_grad) if requires_grad else out


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """input where condition holds, else other (broadcast); where(condition) alone is
    nonzero(condition, as_tuple=True)."""
    if input is None and other is None:
        return _core.nonzero(condition, as_tuple=True)
    return _core.where(condition, input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; rounding_mode "trunc" rounds the quotient toward zero and "floor" down (integer inputs then
    give integers), as torch.div. Rounded quotients have no gradient."""
    if rounding_mode is None:
        return _core.div(input, other)
    if rounding_mode == "floor":
        return _core.floor_divide(input, other)
    if rounding_mode == "trunc":
        ints = all(not (isinstance(a, float) or (isinstance(a, Tensor) and a.is_floating_point()))
                   for a in (input, other))
        if not ints:
            return _core.div(input, other).trunc()
        q = _core.floor_divide(input, other)
        return q + ((q * other != input) & (q < 0)).to(q.dtype)  # floor rounds a negative inexact quotient down
    raise ValueError(f"[div] rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


divide = div


def _div_method(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """self / other, with torch.div's rounding_mode."""
    return _tensor_div(self, other) if rounding_mode is None else div(self, other, rounding_mode=rounding_mode)


_tensor_div = Tensor.div


def _pin_memory(self: Tensor, device: Any = None) -> Tensor:
    """self: ember's CPU tensors need no pinning for copies to a GPU (as DataLoader's pin_memory)."""
    return self


def _is_pinned(self: Tensor, device: Any = None) -> bool:
    """False: ember does not page-lock host memory."""
    return False


for _name, _fn in [("div", _div_method), ("divide", _div_method), ("pin_memory", _pin_memory),
                   ("is_pinned", _is_pinned)]:
    setattr(Tensor, _name, _fn)


class _LegacyTensorType(type):
    """torch.FloatTensor and its kin: FloatTensor(2, 3) is an uninitialised tensor of that shape, FloatTensor(data)
    a copy of a list or array in the type's dtype, and isinstance(x, FloatTensor) checks a CPU tensor's dtype."""

    def __call__(cls, *args: Any) -> Tensor:
        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            data = args[0]
            if isinstance(data, Tensor):
                return data.to(cls.dtype)
            return _core.tensor(data, dtype=cls.dtype)
        return _core.empty(*args, dtype=cls.dtype) if args else _core.empty(0, dtype=cls.dtype)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and not obj.is_cuda


def _legacy(name: str, dtype: Any) -> type:
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": f"The legacy constructor of {dtype} tensors."})


FloatTensor = _legacy("FloatTensor", _core.float32)
DoubleTensor = _legacy("DoubleTensor", _core.float64)
BFloat16Tensor = _legacy("BFloat16Tensor", _core.bfloat16)
LongTensor = _legacy("LongTensor", _core.int64)
IntTensor = _legacy("IntTensor", _core.int32)
ByteTensor = _legacy("ByteTensor", _core.uint8)
CharTensor = _legacy("CharTensor", _core.int8)
BoolTensor = _legacy("BoolTensor", _core.bool)


# --- Tensor.*_as: the op with other's shape or dtype (written over the methods, so export traces them) ---

def _view_as(self: Tensor, other: Tensor) -> Tensor:
    """view() with other's shape."""
    return self.view(*other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """reshape() to other's shape."""
    return self.reshape(*other.shape)


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    """Converts to other's dtype."""
    return self.to(other.dtype)


for _name, _fn in [("view_as", _view_as), ("reshape_as", _reshape_as), ("type_as", _type_as),
                   ("new_zeros", _new_zeros), ("new_ones", _new_ones), ("new_empty", _new_empty),
                   ("new_full", _new_full), ("new_tensor", _new_tensor)]:
    setattr(Tensor, _name, _fn)


# --- random tensors shaped like input ---

def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) with input's shape, dtype and device."""
    return _core.rand(*input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with input's shape, dtype and device."""
    return _core.randn(*input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Uniform integers in [low, high) (or [0, low) without high) with input's shape, dtype and device."""
    low, high = (0, low) if high is None else (low, high)
    return _core.randint(low, high, tuple(input.shape), **_like(input, dtype, device), requires_grad=requires_grad)


# --- module-level forms of tensor methods (torch.flatten(x, 1) is x.flatten(1)) ---

def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims start_dim..end_dim (a view when possible)."""
    return input.flatten(start_dim, end_dim)


def reshape(input: Tensor, shape: Any) -> Tensor:
    """view() when possible, else a contiguous copy with the new shape."""
    return input.reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swaps two dims (a view)."""
    return input.transpose(dim0, dim1)


swapaxes = swapdims = transpose


def permute(input: Tensor, dims: Any) -> Tensor:
    """Reorders the dims (a view)."""
    return input.permute(dims)


def squeeze(input: Tensor, dim: int | None = None) -> Tensor:
    """Removes dims of extent 1 (a view)."""
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dim of extent 1 (a view)."""
    return input.unsqueeze(dim)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """length elements from start along dim (a view)."""
    return input.narrow(dim, start, length)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at index along dim, with dim removed (a view)."""
    return input.select(dim, index)


def t(input: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    return input.t()


def clone(input: Tensor) -> Tensor:
    """A contiguous copy that shares no memory (the gradient flows back to input)."""
    return input.clone()


def detach(input: Tensor) -> Tensor:
    """input without autograd history (shares its elements)."""
    return input.detach()


def numel(input: Tensor) -> int:
    """Number of elements."""
    return input.numel()


def is_tensor(obj: Any) -> bool:
    """Whether obj is an ember Tensor (or a subclass, as nn.Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """True for float32 and float64 tensors."""
    return input.is_floating_point()


# --- shape adapters ---

def _dims(dims: Any) -> list[int]:
    return [dims] if isinstance(dims, int) else list(dims)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """The dims at source moved to destination (ints or sequences of ints), the others keeping their order
    (a view)."""
    src, dst = _dims(source), _dims(destination)
    n = input.dim()
    if len(src) != len(dst):
        raise ValueError(f"[movedim] source and destination must have the same number of dims, got {src} and {dst}")
    m = max(n, 1)  # a 0-d tensor has dims -1 and 0, as in PyTorch
    for d in src + dst:
        if not -m <= d < m:
            raise IndexError(f"[movedim] dimension out of range (expected to be in range of [{-m}, {m - 1}], "
                             f"got {d}) for shape {tuple(input.shape)}")
    if n == 0:
        return input.view(())
    src = [d + n if d < 0 else d for d in src]
    dst = [d + n if d < 0 else d for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"[movedim] repeated dim in source {list(source)} or destination {list(destination)}")
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return input.permute([o if o is not None else next(rest) for o in order])


moveaxis = movedim


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Dim dim split into sizes (one may be -1), as nn.Unflatten (a view when possible)."""
    return input.reshape(_core._unflatten_shape(input.shape, dim, tuple(sizes)))


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """input expanded to size by broadcasting (-1 keeps a dim; a view)."""
    return input.expand(*size)


def broadcast_shapes(*shapes: Any) -> Any:
    """The shape that tensors of the given shapes broadcast to."""
    out: list[int] = []
    for shape in shapes:
        shape = [shape] if isinstance(shape, int) else list(shape)
        for i, s in enumerate(reversed(shape)):
            if i == len(out):
                out.insert(0, s)
            elif out[-1 - i] == 1:
                out[-1 - i] = s
            elif s not in (1, out[-1 - i]):
                raise RuntimeError(f"[broadcast_shapes] shapes {list(shapes)} cannot be broadcast: {s} against "
                                   f"{out[-1 - i]} at dim {-1 - i}")
    return Size(out)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views)."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(*shape) for t in tensors)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least one dim (a 0-d one becomes 1-d); one tensor in, one out."""
    return _each(tensors, lambda t: t.reshape(1) if t.dim() == 0 else t)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least two dims (a 1-d one becomes a row)."""
    return _each(tensors, lambda t: t.reshape(1, -1) if t.dim() < 2 else t)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least three dims: 0-d (1, 1, 1), 1-d (1, n, 1), 2-d (m, n, 1)."""
    def three(t: Tensor) -> Tensor:
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        if t.dim() == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.dim() == 2 else t
    return _each(tensors, three)


def _each(tensors: Sequence[Any], f: Any) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = tuple(f(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenation along the columns: dim 0 for 1-d tensors, else dim 1."""
    ts = [atleast_1d(t) for t in tensors]
    return _core.cat(ts, 0 if ts and ts[0].dim() == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenation along the rows, 1-d tensors made rows first."""
    return _core.cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenation along the third dim, after atleast_3d."""
    return _core.cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """The 0-d and 1-d tensors as columns, concatenated with the 2-d ones along dim 1."""
    return _core.cat([t.reshape(-1, 1) if t.dim() < 2 else t for t in tensors], 1)


# --- forms of existing ops under other PyTorch names ---

def clamp_min(input: Tensor, min: Any) -> Tensor:
    """clamp(input, min=min)."""
    return input.clamp(min, None)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """clamp(input, max=max)."""
    return input.clamp(None, max)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """The sum of products over the last dims of input and other (a product when either is 0-d)."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    return _core.tensordot(input, other, ([-1], [-1]))


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast)."""
    return (input - other).norm(p)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    exponents = _core.linspace(start, end, steps, dtype=_core.float64, device=device)
    from ._settings import get_default_dtype
    out = (base ** exponents).to(dtype if dtype is not None else get_default_dtype())
    return out.requires_grad_() if requires_grad else out


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of the elements of the 1-D tensors, one per row (a 1-D tensor for one input)."""
    for t in tensors:
        if t.dim() != 1:
            raise ValueError(f"[cartesian_prod] expected 1-D tensors, got one of shape {tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = _core.meshgrid(*tensors, indexing="ij")
    return _core.stack([g.reshape(-1) for g in grids], 1)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when input and other have the same shape and equal elements (NaN equals nothing)."""
    return tuple(input.shape) == tuple(other.shape) and bool((input == other).all())


def heaviside(input: Tensor, values: Any) -> Tensor:
    """0 where input < 0, 1 where input > 0, values where input == 0 (not differentiable)."""
    step = (input > 0).to(input.dtype)
    return _core.where(input == 0, values, step)


for _name, _fn in [("clamp_min", clamp_min), ("clamp_max", clamp_max), ("inner", inner), ("dist", dist),
                   ("equal", equal), ("heaviside", heaviside)]:
    setattr(Tensor, _name, _fn)


# --- in-place forms of ops without an in-place kernel; Tensor.<op>_ returns the tensor ---

def _refuse_grad(self: Tensor, op: str) -> None:
    if self.requires_grad:
        raise RuntimeError(f"[{op}] changes the shape of a tensor that requires grad (shape {tuple(self.shape)}), "
                           f"which its gradient could not follow; use the out-of-place {op[:-1]}()")


def _set_view(self: Tensor, op: str, view: Tensor) -> Tensor:
    _refuse_grad(self, op)
    self.data = view
    return self


def _uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills the tensor with samples of U(a, b)."""
    from .nn import init
    return init.uniform_(self, a, b, generator=generator)


def _normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills the tensor with samples of N(mean, std^2)."""
    from .nn import init
    return init.normal_(self, mean, std, generator=generator)


def _fill_from_uniform(self: Tensor, op: str, inverse_cdf: Any, generator: Any) -> Tensor:
    """Fills self with inverse_cdf(u) for u ~ U[0, 1) drawn in float64 (ember's generator), cast to self's dtype."""
    if not self.is_floating_point():
        raise TypeError(f"[{op}] expected a floating tensor, got dtype {self.dtype} (shape {tuple(self.shape)})")
    from . import no_grad
    with no_grad():
        u = _core.rand(tuple(self.shape), generator=generator, dtype=_core.float64)
        self.copy_(inverse_cdf(u))
    return self


def _exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills the tensor with samples of the exponential distribution of rate lambd."""
    if not lambd > 0:
        raise ValueError(f"[exponential_] lambd must be positive, got {lambd}")
    return _fill_from_uniform(self, "exponential_", lambda u: -(-u).log1p() / lambd, generator)


def _geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fills the tensor with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p <= 1:
        raise ValueError(f"[geometric_] p must be in (0, 1], got {p}")
    if p == 1:
        return self.fill_(1)
    return _fill_from_uniform(self, "geometric_", lambda u: ((-u).log1p() / math.log1p(-p)).floor() + 1, generator)


def _cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills the tensor with samples of the Cauchy distribution (median, scale sigma)."""
    return _fill_from_uniform(self, "cauchy_", lambda u: median + sigma * (math.pi * (u - 0.5)).tan(), generator)


def _log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
    """Fills the tensor with exp(N(mean, std^2)) samples."""
    if not std > 0:
        raise ValueError(f"[log_normal_] std must be positive, got {std}")
    from . import no_grad
    with no_grad():
        self.copy_((_core.randn(tuple(self.shape), generator=generator, dtype=_core.float64) * std + mean).exp())
    return self


def _random_(self: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None) -> Tensor:
    """Fills the tensor with integers drawn uniformly from [low, high) (random_(high) is [0, high)); with no
    bound, from [0, 2**mantissa] for floats and [0, max] for integers, as PyTorch."""
    if high is None and low == 0:
        import numpy as np
        if self.dtype == _core.bool:
            high = 2
        elif self.is_floating_point():
            high = 2 ** (np.finfo(np.float64 if self.dtype == _core.float64 else np.float32).nmant + 1) + 1
        else:
            high = int(np.iinfo(str(self.dtype).removeprefix("ember.")).max) + 1
    elif high is None:
        low, high = 0, low
    if not low < high:
        raise ValueError(f"[random_] expects low < high, got low={low}, high={high}")
    from . import no_grad
    with no_grad():
        self.copy_(_core.randint(low, high, tuple(self.shape), generator=generator))
    return self


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """1 with probability input (or p) at each element, else 0, in input's dtype."""
    prob = input if p is None else _core.full_like(input, p)
    if not input.is_floating_point():
        raise TypeError(f"[bernoulli] expected a floating input, got dtype {input.dtype}")
    bad = (prob < 0) | (prob > 1) | prob.isnan()
    if bool(bad.any()):
        raise ValueError("[bernoulli] probabilities must be in [0, 1]")
    u = _core.rand(tuple(input.shape), generator=generator, dtype=input.dtype)
    return (u < prob).to(input.dtype)


def _bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fills the tensor with 1 with probability p (a number or a tensor), else 0."""
    from . import no_grad
    with no_grad():
        probs = p if isinstance(p, Tensor) else _core.full_like(self, p, dtype=_core.float64)
        self.copy_(bernoulli(probs.double().expand(*self.shape), generator=generator))
    return self


def _half(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """float16 is not an ember dtype: a TypeError pointing at bfloat16."""
    raise TypeError(f"[half] ember has no float16 dtype (tensor of shape {tuple(self.shape)}); use .bfloat16() for "
                    "16-bit floats, which oneDNN runs natively")


def _unsqueeze_(self: Tensor, dim: int) -> Tensor:
    """The tensor itself made unsqueeze(dim) (not for tensors that require grad)."""
    return _set_view(self, "unsqueeze_", self.detach().unsqueeze(dim))


def _squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    """The tensor itself made squeeze(dim) (not for tensors that require grad)."""
    return _set_view(self, "squeeze_", self.detach().squeeze(dim))


def _t_(self: Tensor) -> Tensor:
    """The tensor itself made t() (not for tensors that require grad)."""
    return _set_view(self, "t_", self.detach().t())


def _transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """The tensor itself made transpose(dim0, dim1) (not for tensors that require grad)."""
    return _set_view(self, "transpose_", self.detach().transpose(dim0, dim1))


def _nelement(self: Tensor) -> int:
    """The number of elements (numel)."""
    return self.numel()


def _ndimension(self: Tensor) -> int:
    """The number of dims (dim)."""
    return self.dim()


def _is_complex(self: Tensor) -> bool:
    """False: ember has no complex dtypes."""
    return False


for _name, _fn in [
        ("movedim", movedim), ("moveaxis", movedim), ("unflatten", unflatten), ("broadcast_to", broadcast_to),
        ("unsqueeze_", _unsqueeze_), ("squeeze_", _squeeze_), ("t_", _t_), ("transpose_", _transpose_),
        ("uniform_", _uniform_), ("normal_", _normal_), ("bernoulli", bernoulli), ("bernoulli_", _bernoulli_),
        ("exponential_", _exponential_), ("geometric_", _geometric_), ("cauchy_", _cauchy_),
        ("log_normal_", _log_normal_), ("random_", _random_),
        ("half", _half), ("nelement", _nelement), ("ndimension", _ndimension), ("is_complex", _is_complex)]:
    setattr(Tensor, _name, _fn)


__all__ = ["movedim", "moveaxis", "unflatten", "broadcast_to", "broadcast_shapes", "broadcast_tensors",
           "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack", "column_stack",
           "bernoulli", "clamp_min", "clamp_max", "inner", "dist", "logspace", "cartesian_prod", "equal",
           "heaviside",
           "rand_like", "randn_like", "randint_like", "flatten", "reshape", "transpose", "swapaxes", "swapdims",
           "permute", "squeeze", "unsqueeze", "narrow", "select", "t", "clone", "detach", "numel", "is_tensor",
           "is_floating_point", "as_tensor", "normal", "where", "div", "divide", "FloatTensor", "DoubleTensor",
           "BFloat16Tensor", "LongTensor", "IntTensor", "ByteTensor", "CharTensor", "BoolTensor"]
