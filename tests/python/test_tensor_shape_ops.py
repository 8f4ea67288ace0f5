"""flip / fliplr / flipud / roll / rot90 / repeat / tile / repeat_interleave / unbind / tensor_split, the scatter
family (scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill, masked_scatter and the in-place
forms), einsum and meshgrid: values against torch (and NumPy) on 0-d, empty, non-contiguous and integer
inputs, gradients against torch, and the errors."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
DTYPES = [np.float32, np.float64, np.int64, np.int32]


def _arr(shape, dtype=np.float64):
    a = np.asarray(rng.standard_normal(shape) * 3)
    return a.astype(dtype) if np.issubdtype(dtype, np.floating) else np.round(a).astype(dtype)


def _lib_tensor(lib, a):
    return ember.from_numpy(np.ascontiguousarray(a)) if lib is ember else torch.from_numpy(np.ascontiguousarray(a))


def _out(x):
    if isinstance(x, (tuple, list)):
        return [_out(y) for y in x]
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def same(fn, *arrays, atol=1e-6):
    """fn(lib, *tensors) gives the same values, shapes and dtypes in ember and torch."""
    want = _out(fn(torch, *[_lib_tensor(torch, a) for a in arrays]))
    got = _out(fn(ember, *[_lib_tensor(ember, a) for a in arrays]))
    if isinstance(want, list):
        assert len(got) == len(want)
        pairs = zip(got, want)
    else:
        pairs = [(got, want)]
    for g, w in pairs:
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, atol=atol, rtol=1e-6)


# --- reordering ---

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", [((2, 3), (0,)), ((2, 3, 4), (-1, 0)), ((), ()), ((0, 3), (1,)),
                                        ((3, 1, 2), (1, 2))])
def test_flip(shape, dims, dtype):
    a = _arr(shape, dtype)
    same(lambda L, x: L.flip(x, dims), a)
    same(lambda L, x: x.flip(*dims) if dims else x.flip(()), a)
    if len(shape) >= 2:
        same(lambda L, x: L.flip(x.transpose(0, 1), dims), a)  # non-contiguous input
        same(lambda L, x: (L.fliplr(x), x.flipud()), a)


def test_flip_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\[flip\].*multiple times"):
        ember.flip(x, (0, 0))
    with pytest.raises(IndexError, match="dimension out of range"):
        ember.flip(x, (2,))
    with pytest.raises(ValueError, match=r"\[fliplr\]"):
        ember.fliplr(ember.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,shifts,dims", [((5,), 2, None), ((2, 3), -1, None), ((2, 3), 4, 1),
                                               ((2, 3, 4), (1, -2), (0, -1)), ((0, 3), 1, 0), ((3,), 0, 0)])
def test_roll(shape, shifts, dims, dtype):
    a = _arr(shape, dtype)
    same(lambda L, x: L.roll(x, shifts, dims), a)
    same(lambda L, x: x.roll(shifts, dims=dims), a)
    if len(shape) >= 2:
        same(lambda L, x: x.mT.roll(shifts, dims), a)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, 0), (0, 2)])
def test_rot90(k, dims):
    a = _arr((2, 3, 4))
    same(lambda L, x: L.rot90(x, k, dims), a)
    same(lambda L, x: x.rot90(k, dims), a)


def test_rot90_errors():
    with pytest.raises(ValueError, match=r"\[rot90\]"):
        ember.rot90(ember.zeros(3))
    with pytest.raises(ValueError, match=r"\[rot90\]"):
        ember.rot90(ember.zeros(2, 2), 1, (0, 0))
    with pytest.raises(ValueError, match=r"\[rot90\]"):
        ember.rot90(ember.zeros(2, 2), 1, (0, 1, 2))


@pytest.mark.parametrize("dtype", DTYPES + [np.bool_])
@pytest.mark.parametrize("shape,reps", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (2, 1, 3)), ((), (2, 2)),
                                        ((0, 2), (2, 2)), ((2, 3), (0, 1)), ((2, 3), (1, 1))])
def test_repeat_and_tile(shape, reps, dtype):
    a = _arr(shape, np.float64).astype(dtype)
    same(lambda L, x: x.repeat(*reps), a)
    same(lambda L, x: x.repeat(reps), a)
    same(lambda L, x: L.tile(x, reps[1:]), a)
    same(lambda L, x: x.tile(reps), a)
    if len(shape) >= 2:
        same(lambda L, x: x.mT.repeat(*reps), a)


def test_repeat_is_a_copy_and_errors():
    x = ember.zeros(3)
    y = x.repeat(1)
    y[0] = 5.0
    assert float(x[0]) == 0.0
    with pytest.raises(ValueError, match=r"\[repeat\].*can not be smaller"):
        ember.zeros(2, 3).repeat(2)
    with pytest.raises(ValueError, match=r"\[repeat\]"):
        ember.zeros(2).repeat(-1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_interleave(dtype):
    a = _arr((2, 3), dtype)
    same(lambda L, x: L.repeat_interleave(x, 2), a)
    same(lambda L, x: x.repeat_interleave(3, dim=1), a)
    same(lambda L, x: x.repeat_interleave(0, dim=-2), a)
    same(lambda L, x: x.mT.repeat_interleave(L.tensor([1, 0, 2]), dim=0), a)
    same(lambda L, x: x.repeat_interleave(L.tensor([2]), dim=1), a)
    same(lambda L, x: L.repeat_interleave(x, L.tensor([1, 3]), dim=0, output_size=4), a)
    same(lambda L, x: L.repeat_interleave(x, 2), _arr((), dtype))
    same(lambda L, r: L.repeat_interleave(r), np.array([2, 0, 3]))
    with pytest.raises(ValueError, match=r"\[repeat_interleave\].*same size"):
        ember.repeat_interleave(ember.zeros(2, 3), ember.tensor([1, 2]), dim=1)
    with pytest.raises(ValueError, match=r"\[repeat_interleave\].*negative"):
        ember.repeat_interleave(ember.zeros(3), ember.tensor([1, -2, 1]), dim=0)
    with pytest.raises(ValueError, match=r"\[repeat_interleave\].*output_size"):
        ember.repeat_interleave(ember.zeros(3), 2, dim=0, output_size=5)


@pytest.mark.parametrize("shape,dim", [((2, 3), 0), ((2, 3), -1), ((0, 3), 1), ((4,), 0)])
def test_unbind(shape, dim):
    a = _arr(shape)
    same(lambda L, x: L.unbind(x, dim), a)
    same(lambda L, x: x.unbind(dim), a)
    with pytest.raises(ValueError, match=r"\[unbind\]"):
        ember.unbind(ember.tensor(1.0))


@pytest.mark.parametrize("arg", [3, 1, 5, [1, 4], [2, 2], [4, 1], [-1], [0, 10], []])
@pytest.mark.parametrize("dim", [0, -1])
def test_tensor_split(arg, dim):
    a = _arr((7, 4))
    same(lambda L, x: L.tensor_split(x, arg, dim), a)
    same(lambda L, x: x.tensor_split(arg, dim=dim), a)
    if not isinstance(arg, int) and arg:
        same(lambda L, x: L.tensor_split(x, L.tensor(arg), dim), a)
    same(lambda L, x: L.tensor_split(x, L.tensor(3), dim), a)
    with pytest.raises(ValueError, match=r"\[tensor_split\]"):
        ember.tensor_split(ember.zeros(3), 0)


# --- scatter family ---

def _index(shape, size):
    return rng.integers(0, size, shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ishape,dim", [((3, 4), (2, 3), 1), ((3, 4), (3, 4), 0), ((3, 4), (2, 2), -1),
                                              ((2, 3, 4), (2, 1, 3), 2), ((5,), (7,), 0), ((3, 4), (0, 2), 1),
                                              ((), (), 0)])
def test_scatter_family(shape, ishape, dim, dtype):
    a = _arr(shape, dtype)
    size = shape[dim] if shape else 1
    idx = _index(ishape, size)
    src = _arr(tuple(s + 1 for s in ishape), dtype)  # larger than index: only the index's part is used
    same(lambda L, x, i, s: L.scatter_add(x, dim, i, s), a, idx, src)
    same(lambda L, x, i, s: x.scatter_add(dim, i, s), a, idx, src)
    same(lambda L, x, i, s: x.clone().scatter_add_(dim, i, s), a, idx, src)
    same(lambda L, x, i: L.scatter(x, dim, i, 7), a, idx)
    same(lambda L, x, i: x.scatter(dim, i, value=2, reduce="multiply"), a, idx)
    same(lambda L, x, i, s: x.scatter(dim, i, s, reduce="add"), a, idx, src)
    for reduce in ["sum", "prod", "amax", "amin"] + (["mean"] if np.issubdtype(dtype, np.floating) else []):
        for inc in (True, False):
            same(lambda L, x, i, s: L.scatter_reduce(x, dim, i, s, reduce, include_self=inc), a, idx, src)
            same(lambda L, x, i, s: x.clone().scatter_reduce_(dim, i, s, reduce, include_self=inc), a, idx, src)
    # plain scatter with unique indices along dim (torch leaves duplicates unspecified)
    if shape and ishape and 0 not in ishape and ishape[dim] <= size:
        perm = np.argsort(rng.random(tuple(ishape[:dim if dim >= 0 else len(ishape) + dim]) + (size,)
                                     + tuple(ishape[(dim if dim >= 0 else len(ishape) + dim) + 1:])), axis=dim)
        u = np.take(perm, np.arange(ishape[dim]), axis=dim)
        u = u[tuple(slice(0, k) for k in ishape)]
        same(lambda L, x, i, s: L.scatter(x, dim, i, s), a, u, src)
        same(lambda L, x, i, s: x.clone().scatter_(dim, i, s), a, u, src)


def test_scatter_non_contiguous_inputs():
    a, idx, src = _arr((4, 3)), _index((3, 2), 4), _arr((2, 3))
    same(lambda L, x, i, s: L.scatter_add(x.mT, 1, i, s.mT), a, idx, src)
    same(lambda L, x, i, s: L.scatter_reduce(x.mT, 1, i.mT.contiguous().mT, s.mT, "amax"), a, idx, src)


def test_scatter_mean_integer_rounds_down():
    same(lambda L, x, i, s: L.scatter_reduce(x, 0, i, s, "mean"), np.array([0, 5]), np.array([0, 0, 1]),
         np.array([-3, 0, 2]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim,index", [((4, 3), 0, [1, 3, 1]), ((4, 3), -1, [2, 0]), ((5,), 0, [4, 4, 0]),
                                             ((4, 3), 1, []), ((2, 3, 2), 1, [0])])
def test_index_ops(shape, dim, index, dtype):
    a = _arr(shape, dtype)
    idx = np.array(index, dtype=np.int64)
    sshape = list(shape)
    sshape[dim] = len(index)
    src = _arr(tuple(sshape), dtype)
    same(lambda L, x, i, s: L.index_add(x, dim, i, s), a, idx, src)
    same(lambda L, x, i, s: x.index_add(dim, i, s, alpha=2), a, idx, src)
    same(lambda L, x, i, s: x.clone().index_add_(dim, i.int(), s), a, idx, src)
    same(lambda L, x, i: L.index_fill(x, dim, i, 3), a, idx)
    same(lambda L, x, i: x.clone().index_fill_(dim, i, L.tensor(-1)), a, idx)
    uniq = np.unique(idx)
    usrc = src[(slice(None),) * (dim % len(shape)) + (slice(0, len(uniq)),)]
    same(lambda L, x, i, s: L.index_copy(x, dim, i, s), a, uniq, usrc)
    same(lambda L, x, i, s: x.clone().index_copy_(dim, i, s), a, uniq, usrc)


def test_index_fill_takes_negative_indices_and_repeat_interleave_refuses_a_0d_dim():
    same(lambda L, x: L.index_fill(x, 1, L.tensor([-1, 0]), 2.5), _arr((2, 3)))
    same(lambda L, x: L.index_fill(x, 0, L.tensor([], dtype=L.int64), 2.5), _arr(()))
    with pytest.raises(IndexError, match=r"\[index_fill\] index -4 is out of bounds for dimension 1 with size 3"):
        ember.index_fill(ember.zeros(2, 3), 1, ember.tensor([-4]), 1.0)
    with pytest.raises(IndexError, match=r"\[index_add\] index -1 is out of bounds"):
        ember.index_add(ember.zeros(2, 3), 1, ember.tensor([-1]), ember.ones(2, 1))
    with pytest.raises(IndexError, match=r"\[repeat_interleave\] dimension 0 is out of range for a 0-d input"):
        ember.repeat_interleave(ember.tensor(1.0), 2, dim=0)


def test_index_ops_0d():
    same(lambda L, x, s: L.index_add(x, 0, L.tensor([0]), s), np.array(2.0), np.array(3.0))
    same(lambda L, x: L.index_fill(x, 0, L.tensor([0]), 5), np.array(2.0))
    same(lambda L, x, s: L.index_copy(x, 0, L.tensor([0]), s), np.array(2.0), np.array(3.0))


@pytest.mark.parametrize("dtype", DTYPES + [np.bool_])
@pytest.mark.parametrize("shape,mshape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (3, 4)), ((0, 2), (2,)), ((), ())])
def test_masked_scatter(shape, mshape, dtype):
    a = _arr(shape, np.float64).astype(dtype)
    mask = rng.random(mshape) < 0.5
    src = _arr((13,), np.float64).astype(dtype)
    same(lambda L, x, m, s: L.masked_scatter(x, m, s), a, mask, src)
    if np.broadcast_shapes(shape, mshape) == shape:
        same(lambda L, x, m, s: x.clone().masked_scatter_(m, s), a, mask, src)


def test_scatter_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match=r"\[scatter_add\] index 4 is out of bounds for dimension 1 with size 4"):
        ember.scatter_add(x, 1, ember.tensor([[0, 4]]), ember.ones(1, 2))
    with pytest.raises(IndexError, match=r"\[scatter_\] index -1 is out of bounds"):
        x.scatter_(0, ember.tensor([[-1]]), 1.0)
    assert float(x.abs().sum()) == 0.0  # nothing written
    with pytest.raises(IndexError, match=r"\[index_add\] index 3 is out of bounds for dimension 0 with size 3"):
        ember.index_add(x, 0, ember.tensor([3]), ember.ones(1, 4))
    with pytest.raises(IndexError, match=r"\[index_fill_\] index 7 is out of bounds"):
        x.index_fill_(1, ember.tensor([7]), 1.0)
    with pytest.raises(IndexError, match=r"\[index_copy\] index 5"):
        ember.index_copy(x, 0, ember.tensor([5]), ember.ones(1, 4))
    with pytest.raises(ValueError, match=r"\[scatter\] index tensor must have the same number of dimensions"):
        ember.scatter(x, 0, ember.tensor([0]), ember.ones(1))
    with pytest.raises(ValueError, match=r"\[scatter_add\] expected index"):
        ember.scatter_add(x, 1, ember.zeros(4, 1, dtype=ember.int64), ember.ones(4, 1))
    with pytest.raises(TypeError, match=r"\[scatter_add\] expected dtype int64 for index"):
        ember.scatter_add(x, 1, ember.zeros(1, 1), ember.ones(1, 1))
    with pytest.raises(TypeError, match=r"\[scatter\] expected self and src to have the same dtype"):
        ember.scatter(x, 1, ember.tensor([[0]]), ember.ones(1, 1, dtype=ember.float64))
    with pytest.raises(ValueError, match=r"\[scatter_reduce\] reduce argument must be"):
        ember.scatter_reduce(x, 1, ember.tensor([[0]]), ember.ones(1, 1), "max")
    with pytest.raises(ValueError, match=r"\[scatter\] reduce argument must be either add or multiply"):
        ember.scatter(x, 1, ember.tensor([[0]]), ember.ones(1, 1), reduce="sum")
    with pytest.raises(ValueError, match=r"\[index_add\] source of shape"):
        ember.index_add(x, 0, ember.tensor([0, 1]), ember.ones(1, 4))
    with pytest.raises(ValueError, match=r"\[masked_scatter\] number of elements in source"):
        ember.masked_scatter(x, ember.ones(3, 4, dtype=ember.bool), ember.ones(5))
    with pytest.raises(ValueError, match=r"\[masked_scatter_\] mask of shape"):
        ember.zeros(4).masked_scatter_(ember.ones(2, 4, dtype=ember.bool), ember.ones(8))


# --- gradients against torch ---

def _grads(lib, fn, arrays):
    ts = [_lib_tensor(lib, a) for a in arrays]
    for t in ts:
        if t.dtype in (torch.float64, ember.float64):
            t.requires_grad_(True)
    out = fn(lib, *ts)
    w = _lib_tensor(lib, np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape)))
    (out * w).sum().backward()
    return [_out(t.grad) for t in ts if t.requires_grad]


@pytest.mark.parametrize("name,fn", [
    ("scatter", lambda L, x, s: L.scatter(x, 1, L.tensor([[2, 0], [1, 3]]), s)),
    ("scatter_add", lambda L, x, s: L.scatter_add(x, 1, L.tensor([[2, 2], [1, 2]]), s)),
    ("scatter_reduce-sum", lambda L, x, s: L.scatter_reduce(x, 1, L.tensor([[2, 2], [1, 2]]), s, "sum")),
    ("scatter_reduce-mean-noself", lambda L, x, s: L.scatter_reduce(x, 1, L.tensor([[2, 2], [1, 2]]), s, "mean",
                                                                    include_self=False)),
    ("scatter_reduce-prod", lambda L, x, s: L.scatter_reduce(x, 1, L.tensor([[2, 2], [1, 2]]), s, "prod")),
    ("scatter_reduce-amax-ties", lambda L, x, s: L.scatter_reduce(x, 1, L.tensor([[2, 2], [1, 2]]), s, "amax")),
    ("scatter_reduce-amin-noself", lambda L, x, s: L.scatter_reduce(x, 1, L.tensor([[2, 2], [1, 2]]), s, "amin",
                                                                    include_self=False)),
    ("index_add", lambda L, x, s: L.index_add(x, 1, L.tensor([3, 3]), s, alpha=-2.0)),
    ("index_copy", lambda L, x, s: L.index_copy(x, 1, L.tensor([3, 0]), s)),
    ("masked_scatter", lambda L, x, s: L.masked_scatter(x, L.tensor([True, False, False, True]), s.flatten())),
])
def test_scatter_gradients_match_torch(name, fn):
    a, s = _arr((2, 4)), _arr((2, 2))
    a[0, 1] = 0.0  # a zero factor for prod
    if "ties" in name:
        a, s = np.round(a / 3), np.round(s / 3)
    for g, w in zip(_grads(ember, fn, [a, s]), _grads(torch, fn, [a, s])):
        np.testing.assert_allclose(g, w, atol=1e-12)


def test_inplace_scatter_records_and_refuses_leaves():
    x = ember.zeros(2, 3, dtype=ember.float64, requires_grad=True)
    s = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
    y = x * 2.0
    y.scatter_add_(1, ember.tensor([[0, 0, 1], [2, 2, 2]]), s)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    np.testing.assert_array_equal(s.grad.numpy(), np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="leaf"):
        x.index_fill_(0, ember.tensor([0]), 1.0)


def test_reorder_gradients_match_torch():
    fns = [lambda L, x: L.flip(x, (0, 2)), lambda L, x: L.roll(x, (1, -1), (0, 1)), lambda L, x: L.rot90(x, 3, (2, 0)),
           lambda L, x: x.repeat(2, 1, 1, 2), lambda L, x: L.tile(x, (2,)),
           lambda L, x: L.repeat_interleave(x, L.tensor([2, 0, 1]), dim=1), lambda L, x: x.repeat_interleave(2),
           lambda L, x: L.stack(L.unbind(x, 1)[::-1], 0), lambda L, x: L.tensor_split(x, [1], 2)[1] * 3.0]
    a = _arr((2, 3, 4))
    for fn in fns:
        np.testing.assert_allclose(_grads(ember, fn, [a])[0], _grads(torch, fn, [a])[0], atol=1e-12)


# --- einsum, meshgrid ---

@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(5,), (5,)]), ("i,j->ij", [(2,), (3,)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),
    ("b...,b->...", [(2, 3, 4), (2,)]), ("...", [(2, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ab,cd->", [(2, 3), (4, 5)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("Ab,bA->A", [(2, 3), (3, 2)]), ("i j , j -> i", [(2, 3), (3,)]), ("ij,jk->ik", [(2, 0), (0, 3)]),
    ("ij,j->i", [(2, 1), (3,)]), ("ba", [(2, 3)]),
])
def test_einsum(eq, shapes):
    arrays = [_arr(s) for s in shapes]
    same(lambda L, *ts: L.einsum(eq, *ts), *arrays, atol=1e-10)
    same(lambda L, *ts: L.einsum(eq, list(ts)), *arrays, atol=1e-10)
    fn = lambda L, *ts: L.einsum(eq, *ts) * 1.0  # noqa: E731
    for g, w in zip(_grads(ember, fn, arrays), _grads(torch, fn, arrays)):
        np.testing.assert_allclose(g, w, atol=1e-10)


def test_einsum_int_noncontiguous_and_errors():
    same(lambda L, x, y: L.einsum("ij,kj->ik", x.mT, y), _arr((3, 2), np.int64), _arr((4, 3), np.int64))
    same(lambda L, x, y: L.einsum("ij,jk->ik", x, y), _arr((2, 3), np.float32), _arr((3, 4), np.float32), atol=1e-5)
    a = ember.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\[einsum\] operand 0 of shape \(2, 3\) has 2 dimensions"):
        ember.einsum("ijk", a)
    with pytest.raises(ValueError, match=r"\[einsum\].*operands do not broadcast"):
        ember.einsum("ij,ij->i", a, ember.zeros(3, 3))
    with pytest.raises(ValueError, match=r"\[einsum\] output subscript 'k'"):
        ember.einsum("ij->k", a)
    with pytest.raises(ValueError, match=r"\[einsum\].*2 operands"):
        ember.einsum("ij", a, a)
    with pytest.raises(ValueError, match=r"\[einsum\] invalid subscript"):
        ember.einsum("i1", a)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(2,), (3,), (4,)], [(3,)], [(), (2,)], [(0,), (2,)]])
def test_meshgrid(shapes, indexing):
    arrays = [_arr(s) for s in shapes]
    same(lambda L, *ts: L.meshgrid(*ts, indexing=indexing), *arrays)
    same(lambda L, *ts: L.meshgrid(list(ts), indexing=indexing), *arrays)
    want = np.meshgrid(*[a.reshape(-1) for a in arrays], indexing=indexing)
    for g, w in zip(ember.meshgrid(*[ember.from_numpy(a) for a in arrays], indexing=indexing), want):
        np.testing.assert_array_equal(np.asarray(g), w)
    with pytest.raises(ValueError, match=r"\[meshgrid\]"):
        ember.meshgrid(ember.zeros(2, 2))
