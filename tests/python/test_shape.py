"""cat, stack, split, chunk, tril, triu, gather, index_select, masked_fill against NumPy and torch, with their
errors."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def _np(t):
    return np.asarray(t)


def _rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# --- cat / stack ---

@pytest.mark.parametrize("shapes,dim", [
    ([(3,), (5,)], 0),
    ([(2, 3), (4, 3), (1, 3)], 0),
    ([(2, 3), (2, 1)], 1),
    ([(2, 3), (2, 2)], -1),
    ([(2, 3, 4), (2, 1, 4)], -2),
    ([(2, 3, 4, 5), (2, 3, 4, 1), (2, 3, 4, 2)], 3),
    ([(2, 0, 3), (2, 2, 3)], 1),
])
def test_cat_matches_numpy(shapes, dim):
    arrs = [_rand(*s) for s in shapes]
    got = ember.cat([ember.tensor(a) for a in arrs], dim)
    np.testing.assert_array_equal(_np(got), np.concatenate(arrs, dim))
    np.testing.assert_array_equal(_np(ember.concat(tuple(ember.tensor(a) for a in arrs), dim=dim)),
                                  np.concatenate(arrs, dim))


def test_cat_non_contiguous_and_dtypes():
    a = _rand(4, 3)
    b = _rand(3, 2)
    ta = ember.tensor(a).T  # (3, 4) strided
    tb = ember.tensor(b)
    np.testing.assert_array_equal(_np(ember.cat([ta, tb], 1)), np.concatenate([a.T, b], 1))
    np.testing.assert_array_equal(_np(ember.cat([ta[:, ::2], ta[:, 1::2]], 0)),
                                  np.concatenate([a.T[:, ::2], a.T[:, 1::2]], 0))
    for d in [ember.int64, ember.int32, ember.uint8, ember.bool, ember.float64]:
        x = ember.ones(2, 2, dtype=d)
        assert ember.cat([x, x]).dtype == d


def test_cat_promotes_like_torch():
    pairs = [(ember.int32, torch.int32, ember.bool, torch.bool), (ember.uint8, torch.uint8, ember.int64, torch.int64),
             (ember.int64, torch.int64, ember.float32, torch.float32), (ember.float32, torch.float32, ember.float64,
                                                                      torch.float64)]
    for ea, ta, eb, tb in pairs:
        r = ember.cat([ember.ones(2, dtype=ea), ember.zeros(1, dtype=eb)])
        tr = torch.cat([torch.ones(2, dtype=ta), torch.zeros(1, dtype=tb)])
        assert str(r.dtype).split(".")[1] == str(tr.dtype).split(".")[1]
        np.testing.assert_array_equal(_np(r), tr.numpy())


def test_cat_skips_legacy_empty_1d_like_torch():
    x = _rand(2, 3)
    got = ember.cat([ember.zeros(0), ember.tensor(x), ember.zeros(0)], 1)
    expect = torch.cat([torch.zeros(0), torch.from_numpy(x), torch.zeros(0)], 1)
    np.testing.assert_array_equal(_np(got), expect.numpy())
    assert ember.cat([ember.zeros(0), ember.zeros(0)]).shape == (0,)


def test_cat_errors():
    with pytest.raises(ValueError, match=r"\[cat\] sizes of tensors must match except in dimension 1: tensor 0 has "
                                         r"shape \(2, 3\) but tensor 2 has shape \(3, 3\)"):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 1), ember.zeros(3, 3)], 1)
    with pytest.raises(ValueError, match=r"same number of dimensions: tensor 0 has shape \(2, 3\) but tensor 1 has "
                                         r"shape \(2, 3, 1\)"):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 3, 1)])
    with pytest.raises(ValueError, match=r"\[cat\] expected a non-empty list of tensors"):
        ember.cat([])
    with pytest.raises(ValueError, match=r"zero-dimensional tensor \(at position 1\)"):
        ember.cat([ember.zeros(1), ember.tensor(1.0)])
    with pytest.raises(IndexError, match=r"dimension out of range"):
        ember.cat([ember.zeros(2, 3)], 2)
    with pytest.raises(TypeError, match=r"\[cat\] expected a sequence of tensors, but item 1 is of type int"):
        ember.cat([ember.zeros(2), 3])


@pytest.mark.parametrize("shape,dim", [((), 0), ((3,), 0), ((3,), 1), ((3,), -1), ((2, 3), 1), ((2, 3, 4), -2),
                                       ((2, 3, 4, 5), 4), ((0, 2), 1)])
def test_stack_matches_numpy(shape, dim):
    arrs = [_rand(*shape) for _ in range(3)]
    got = ember.stack([ember.tensor(a) for a in arrs], dim)
    np.testing.assert_array_equal(_np(got), np.stack(arrs, dim))


def test_stack_promotes_and_errors():
    r = ember.stack([ember.ones(2, dtype=ember.int32), ember.ones(2, dtype=ember.float64)])
    assert r.dtype == ember.float64 and r.shape == (2, 2)
    x = ember.tensor(_rand(3, 4)).T
    np.testing.assert_array_equal(_np(ember.stack([x, x], 1)), np.stack([_np(x)] * 2, 1))
    with pytest.raises(ValueError, match=r"\[stack\] expects each tensor to be equal size, but got \(2,\) at entry 0 "
                                         r"and \(3,\) at entry 1"):
        ember.stack([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(ValueError, match=r"\[stack\] expected a non-empty list"):
        ember.stack([])


# --- split / chunk ---

@pytest.mark.parametrize("size_or_sections,dim", [(2, 0), (3, 1), (1, -1), (10, 0), ([1, 4], 0), ([2, 0, 1], 1),
                                                  ((3,), 1)])
def test_split_matches_torch(size_or_sections, dim):
    a = _rand(5, 3)
    got = ember.split(ember.tensor(a), size_or_sections, dim)
    expect = torch.split(torch.from_numpy(a), list(size_or_sections) if isinstance(size_or_sections, tuple)
                         else size_or_sections, dim)
    assert isinstance(got, tuple) and len(got) == len(expect)
    for g, e in zip(got, expect):
        np.testing.assert_array_equal(_np(g), e.numpy())


def test_split_returns_views():
    t = ember.tensor(_rand(6, 4))
    parts = t.split(2, 1)
    parts[1].fill_(0.0)
    assert (_np(t)[:, 2:] == 0).all()
    a, b = t.T.split([1, 3])
    assert not b.is_contiguous()
    b.zero_()
    assert (_np(t)[:, 1:] == 0).all()


def test_split_errors():
    t = ember.zeros(5, 3)
    with pytest.raises(ValueError, match=r"\[split\] split sizes \(1, 2\) add up to 3 but dimension 0 of shape "
                                         r"\(5, 3\) has size 5"):
        ember.split(t, [1, 2])
    with pytest.raises(ValueError, match=r"split_size can only be 0 if dimension size is 0"):
        t.split(0)
    with pytest.raises(ValueError, match=r"cannot split a 0-d tensor"):
        ember.split(ember.tensor(1.0), 1)
    assert len(ember.split(ember.zeros(0), 0)) == 1


@pytest.mark.parametrize("n,chunks", [(6, 4), (5, 3), (6, 3), (1, 5), (0, 3), (7, 1), (10, 4)])
def test_chunk_matches_torch(n, chunks):
    a = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    got = ember.chunk(ember.tensor(a), chunks)
    expect = torch.chunk(torch.from_numpy(a), chunks)
    assert len(got) == len(expect)
    for g, e in zip(got, expect):
        np.testing.assert_array_equal(_np(g), e.numpy())
    got = ember.tensor(a).T.chunk(chunks, -1)
    expect = torch.from_numpy(a).T.chunk(chunks, -1)
    assert [g.shape for g in got] == [tuple(e.shape) for e in expect]


def test_chunk_errors():
    with pytest.raises(ValueError, match=r"\[chunk\] number of chunks must be greater than 0, got 0"):
        ember.zeros(3).chunk(0)


# --- gather / index_select ---

@pytest.mark.parametrize("shape,dim,ishape", [((5,), 0, (7,)), ((3, 4), 1, (3, 6)), ((3, 4), 0, (2, 4)),
                                              ((3, 4), -1, (2, 2)), ((2, 3, 4), 1, (2, 5, 3)), ((2, 3, 4, 2), 2, (1, 3, 4, 2)),
                                              ((3, 4), 1, (3, 0))])
def test_gather_matches_torch(shape, dim, ishape):
    a = _rand(*shape)
    idx = rng.integers(0, shape[dim], size=ishape)
    got = ember.gather(ember.tensor(a), dim, ember.tensor(idx))
    expect = torch.gather(torch.from_numpy(a), dim, torch.from_numpy(idx))
    np.testing.assert_array_equal(_np(got), expect.numpy())
    if ishape == shape:
        np.testing.assert_array_equal(_np(got), np.take_along_axis(a, idx, dim))


def test_gather_non_contiguous_and_0d():
    a = _rand(4, 3)
    idx = rng.integers(0, 4, size=(3, 3))
    t = ember.tensor(a).T  # (3, 4) strided
    i = ember.tensor(np.ascontiguousarray(idx.T)).T  # strided index
    np.testing.assert_array_equal(_np(t.gather(1, i)), np.take_along_axis(a.T, idx, 1))
    assert ember.gather(ember.tensor(2.5), 0, ember.tensor(0)).item() == 2.5


def test_gather_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match=r"\[gather\] index 3 is out of bounds for dimension 1 with size 3"):
        ember.gather(x, 1, ember.tensor([[0, 3]]))
    with pytest.raises(IndexError, match=r"index -1 is out of bounds"):
        x.gather(0, ember.tensor([[-1]]))
    with pytest.raises(ValueError, match=r"\[gather\] index tensor must have the same number of dimensions as input "
                                         r"tensor: index shape \(2,\), input shape \(2, 3\)"):
        ember.gather(x, 1, ember.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"size does not match at dimension 1: expected index of shape \(1, 4\)"):
        ember.gather(x, 0, ember.zeros(1, 4, dtype=ember.int64))
    with pytest.raises(TypeError, match=r"\[gather\] expected an int64 index tensor, got dtype int32"):
        ember.gather(x, 1, ember.zeros(2, 1, dtype=ember.int32))


@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4, 5), 2)])
def test_index_select_matches_numpy(shape, dim):
    a = _rand(*shape)
    idx = rng.integers(0, shape[dim], size=6)
    for t in (ember.tensor(a), ember.tensor(np.ascontiguousarray(a.T)).T if a.ndim > 1 else ember.tensor(a)):
        np.testing.assert_array_equal(_np(ember.index_select(t, dim, ember.tensor(idx))), np.take(a, idx, dim))
        np.testing.assert_array_equal(_np(t.index_select(dim, ember.tensor(idx).int())), np.take(a, idx, dim))
    assert ember.index_select(ember.tensor(a), dim, ember.zeros(0, dtype=ember.int64)).shape == \
        np.take(a, np.zeros(0, dtype=int), dim).shape


def test_index_select_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match=r"\[index_select\] index 3 is out of bounds for dimension 1 with size 3"):
        ember.index_select(x, 1, ember.tensor([0, 3]))
    with pytest.raises(IndexError, match=r"index must be 1-D \(or 0-d\), got shape \(1, 1\)"):
        x.index_select(0, ember.zeros(1, 1, dtype=ember.int64))
    with pytest.raises(TypeError, match=r"\[index_select\] expected an int64 or int32 index tensor, got dtype float32"):
        x.index_select(0, ember.zeros(1))


# --- masked_fill ---

@pytest.mark.parametrize("shape,mshape", [((5,), (5,)), ((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)),
                                          ((2, 3, 4, 5), (2, 1, 4, 5)), ((), ()), ((0, 3), (3,))])
def test_masked_fill_matches_numpy(shape, mshape):
    a = _rand(*shape)
    m = rng.random(mshape) > 0.5
    got = ember.masked_fill(ember.tensor(a), ember.tensor(m), -7.5)
    np.testing.assert_array_equal(_np(got), np.where(m, np.float32(-7.5), a))
    t = ember.tensor(a.copy())
    r = t.masked_fill_(ember.tensor(m), ember.tensor(2.0))
    np.testing.assert_array_equal(_np(t), np.where(m, np.float32(2.0), a))
    assert r.data_ptr() == t.data_ptr()


def test_masked_fill_non_contiguous_dtypes_and_torch():
    a = np.arange(12).reshape(3, 4)
    m = (a % 3 == 0).T
    t = ember.tensor(a.copy()).T
    t.masked_fill_(ember.tensor(np.ascontiguousarray(m)), 1.9)  # float value into int64: truncated as torch
    tt = torch.from_numpy(a.copy()).T
    tt.masked_fill_(torch.from_numpy(np.ascontiguousarray(m)), 1.9)
    np.testing.assert_array_equal(_np(t), tt.numpy())
    b = ember.zeros(3, dtype=ember.bool).masked_fill(ember.tensor([True, False, True]), True)
    assert b.tolist() == [True, False, True]
    r = ember.zeros(3).masked_fill(ember.tensor([[True], [False]]), 1.0)  # out-of-place broadcasts input too
    assert r.shape == (2, 3)


def test_masked_fill_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(TypeError, match=r"\[masked_fill\] expected a bool mask, got dtype int64"):
        x.masked_fill(ember.tensor([1, 0, 1]), 1.0)
    with pytest.raises(ValueError, match=r"\[masked_fill_\] mask of shape \(2, 2, 3\) cannot be broadcast to the "
                                         r"input's shape \(2, 3\)"):
        x.masked_fill_(ember.zeros(2, 2, 3, dtype=ember.bool), 1.0)
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(2, 3\) cannot be broadcast"):
        x.masked_fill_(ember.zeros(2, dtype=ember.bool), 1.0)
    with pytest.raises(ValueError, match=r"only supports a 0-dimensional value tensor, but got a tensor of shape \(1,\)"):
        x.masked_fill(ember.zeros(3, dtype=ember.bool), ember.tensor([1.0]))


# --- tril / triu ---

@pytest.mark.parametrize("fn", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 2), (2, 3, 4), (0, 3), (2, 1, 0, 3)])
@pytest.mark.parametrize("k", [-6, -1, 0, 1, 3])
def test_tril_triu_match_numpy(fn, shape, k):
    x = _rand(*shape)
    expected = getattr(np, fn)(x, k)
    np.testing.assert_array_equal(_np(getattr(ember, fn)(ember.tensor(x), k)), expected)
    np.testing.assert_array_equal(_np(getattr(ember.tensor(x), fn)(diagonal=k)), expected)


def test_tril_triu_dtypes_views_and_causal_mask():
    for dtype in (np.int64, np.int32, np.uint8, np.bool_, np.float64):
        x = (rng.standard_normal((3, 3)) * 3).astype(dtype)
        np.testing.assert_array_equal(_np(ember.tril(ember.tensor(x))), np.tril(x))
        assert ember.triu(ember.tensor(x)).dtype == ember.tensor(x).dtype
    x = _rand(4, 5)
    np.testing.assert_array_equal(_np(ember.tensor(x).t().tril()), np.tril(x.T))  # a strided view
    mask = ember.tril(ember.ones(3, 3)) == 0  # the GPT-style causal mask
    np.testing.assert_array_equal(_np(mask), np.triu(np.ones((3, 3), bool), 1))


@pytest.mark.parametrize("fn", ["tril", "triu"])
def test_tril_triu_errors(fn):
    with pytest.raises(ValueError, match=rf"\[{fn}\] expected a tensor with 2 or more dimensions, got shape \(3,\)"):
        getattr(ember, fn)(ember.zeros(3))
    with pytest.raises(TypeError):
        getattr(ember, fn)(ember.zeros(2, 2), 1.5)
