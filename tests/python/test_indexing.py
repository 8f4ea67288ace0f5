"""t[key] and t[key] = value against NumPy (and torch for a few), views, 0-d and empty cases, errors."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

A4 = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
MASK4 = A4 % 3 == 0
MASK2 = np.array([[True, False, True], [False, False, True]])

GET_KEYS = [
    0,
    -1,
    (1, -2),
    (slice(None), 1),
    (Ellipsis, 2),
    (None, 0, Ellipsis, None),
    (slice(1, None, 2),),
    (slice(None, None, 3), slice(1, 3), Ellipsis, slice(None, None, 2)),
    (0, None, slice(None), None, -1),
    (slice(-3, -1), slice(10, 20)),
    (slice(-100, 100),),
    [1, 0],
    ([1, 0], [2, -3]),                                       # adjacent, at the front
    (slice(None), [0, 2], [1, 3]),                           # adjacent, after a slice
    ([0, 1], slice(None), [1, 2]),                           # separated: broadcast dims first
    (slice(None), 0, slice(None), [0, 1]),                   # an int counts as an advanced index
    (np.array([[0], [1]]), slice(None), np.array([0, 2, 3])),  # broadcast to (2, 3), separated
    (slice(None), np.array([[0, 1], [2, 0]]), Ellipsis),
    (Ellipsis, [0, 4]),
    (Ellipsis, None, [-1]),
    (None, [1], Ellipsis, [0, 1, 2]),
    MASK4,
    MASK2,
    (slice(None), np.array([True, False, True])),
    (1, [True, False, True]),
    (MASK2, [0, 3, 1]),
    (slice(None), [True, False, True], slice(1, 3), [0, 1]),
    np.array([1, 0], dtype=np.int32),
    np.array([1, 0], dtype=np.uint8),
    (),
    Ellipsis,
    (True,),
    (False, 0),
]


def _t(a):
    return ember.tensor(a)


def _np(t):
    return np.asarray(t)


@pytest.mark.parametrize("key", GET_KEYS, ids=[repr(k)[:40] for k in GET_KEYS])
def test_getitem_matches_numpy(key):
    t = _t(A4)
    expect = A4[key]
    got = t[key]
    assert isinstance(got, ember.Tensor)
    assert got.shape == np.shape(expect)
    np.testing.assert_array_equal(_np(got), expect)


@pytest.mark.parametrize("key", GET_KEYS[:22], ids=[repr(k)[:40] for k in GET_KEYS[:22]])
def test_getitem_non_contiguous(key):
    base = np.ascontiguousarray(A4.transpose(3, 1, 0, 2)).copy()
    t = _t(base).permute(2, 1, 3, 0)  # strided view with A4's values
    assert not t.is_contiguous()
    np.testing.assert_array_equal(_np(t), A4)
    np.testing.assert_array_equal(_np(t[key]), A4[key])


def test_getitem_with_ember_and_torch_style_index_tensors():
    t = _t(A4)
    i = ember.tensor([1, 0])
    np.testing.assert_array_equal(_np(t[i, :, ember.tensor([3, 3])]), A4[[1, 0], :, [3, 3]])
    np.testing.assert_array_equal(_np(t[ember.tensor(MASK2)]), A4[MASK2])
    np.testing.assert_array_equal(_np(t[i.int()]), A4[[1, 0]])
    np.testing.assert_array_equal(_np(t[np.int64(1), np.int32(-1)]), A4[1, -1])
    np.testing.assert_array_equal(_np(t[ember.tensor(1)]), A4[1])
    # torch agrees with NumPy here (the int is not mixed with advanced indices)
    tt = torch.from_numpy(A4)
    np.testing.assert_array_equal(_np(t[:, [0, 2], 1:3]), tt[:, [0, 2], 1:3].numpy())
    np.testing.assert_array_equal(_np(t[torch.from_numpy(MASK4).numpy()]), tt[torch.from_numpy(MASK4)].numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int32, np.uint8, np.bool_])
def test_getitem_dtypes(dtype):
    a = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    t = _t(a)
    for key in [(1, slice(None, None, 2)), ([1, 0], Ellipsis, [3, 0]), a.astype(bool), (None, Ellipsis, 0)]:
        got = t[key]
        assert got.dtype == t.dtype
        np.testing.assert_array_equal(_np(got), a[key])


def test_basic_index_is_a_view_advanced_is_a_copy():
    t = ember.tensor(A4.copy())
    v = t[1, :, ::2, None]
    assert v.data_ptr() != 0 and not v.is_contiguous()
    v.fill_(-1.0)
    expect = A4.copy()
    expect[1, :, ::2] = -1
    np.testing.assert_array_equal(_np(t), expect)
    w = t[..., 0]
    w[0, 0] = 100.0
    assert t[0, 0, 0, 0].item() == 100.0
    c = t[[0, 1]]
    c.fill_(7.0)
    assert t[0, 0, 0, 0].item() == 100.0
    m = t[ember.tensor(MASK4)]
    m.zero_()
    assert t[0, 0, 0, 0].item() == 100.0


def test_zero_d_tensor():
    t = ember.tensor(3.5)
    for key in [(), Ellipsis, (Ellipsis,)]:
        r = t[key]
        assert r.shape == ()
        assert r.item() == 3.5
    assert t[None].shape == (1,)
    assert t[None, ..., None].shape == (1, 1)
    assert t[True].shape == (1,)
    assert t[False].shape == (0,)
    t[()] = 5
    assert t.item() == 5.0
    t[...] = ember.tensor(7.0, dtype=ember.float64)
    assert t.item() == 7.0
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 0"):
        t[0]


def test_empty_results():
    t = _t(A4)
    for key in [slice(2, 2), (slice(None), slice(5, None)), [], (Ellipsis, []), A4 > 1e9, (0, slice(3, 1))]:
        np.testing.assert_array_equal(_np(t[key]), A4[key])
        assert t[key].shape == A4[key].shape
    e = ember.zeros(0, 3)
    assert e[:, 1].shape == (0,)
    assert e[[], 0].shape == (0,)
    assert e[e.bool()].shape == (0,)
    e[:, 1] = 5.0  # writes nothing


SET_CASES = [
    (0, 1.5),
    ((1, slice(None), 2), -2),
    ((Ellipsis, slice(None, None, 2)), True),
    ((slice(None), None, 1), np.arange(5, dtype=np.float32)),          # broadcast a row
    ((0, 1), np.arange(20, dtype=np.float64).reshape(4, 5)),          # NumPy array, converted
    ([1, 0], np.arange(60, dtype=np.float32).reshape(3, 4, 5) * -1),
    (([0, 1], slice(None), [1, 2]), np.arange(10, dtype=np.float32).reshape(2, 1, 5)),  # separated: (2, 3, 5)
    ((slice(None), [0, 2], [1, 3]), 9.0),
    (MASK4, -3.0),
    ([1, 0, 1], 4.0),                                                   # whole blocks filled
    ((Ellipsis, [0, 0]), np.float64(2.5)),
    (MASK2, np.arange(5, dtype=np.float32)),
    ((slice(None), np.array([True, False, True])), [[1], [2], [3], [4]]),
    (([1, 1, 0], [2, 2, 2]), np.arange(60, dtype=np.float32).reshape(3, 4, 5) + 100),  # duplicates
]


@pytest.mark.parametrize("key,value", SET_CASES, ids=[repr(k)[:30] for k, _ in SET_CASES])
def test_setitem_matches_numpy(key, value):
    a = A4.copy()
    t = ember.tensor(A4.copy())
    a[key] = value
    t[key] = value
    np.testing.assert_array_equal(_np(t), a)


def test_setitem_tensor_values_and_conversion():
    t = ember.zeros(3, 4, dtype=ember.int64)
    t[1] = ember.tensor([1.7, 2.2, -3.9, 4.0])  # float -> int64 truncates, as torch
    assert t[1].tolist() == [1, 2, -3, 4]
    t[:, 0] = ember.tensor([[7]], dtype=ember.int32)[0]
    assert t[:, 0].tolist() == [7, 7, 7]
    t[ember.tensor([[True, False, False, False]] * 3)] = 9
    assert t[:, 0].tolist() == [9, 9, 9]
    b = ember.zeros(2, 3, dtype=ember.bool)
    b[0, [0, 2]] = True
    assert b.tolist() == [[True, False, True], [False, False, False]]


def test_setitem_overlapping_source():
    t = ember.arange(6)
    t[1:] = t[:-1]
    assert t.tolist() == [0, 0, 1, 2, 3, 4]


def test_setitem_duplicates_last_write_wins_like_torch():
    idx = [0, 2, 0, 1, 2]
    vals = np.array([1, 2, 3, 4, 5], dtype=np.float32)
    t = ember.zeros(3)
    t[idx] = vals
    tt = torch.zeros(3)
    tt[idx] = torch.from_numpy(vals)
    np.testing.assert_array_equal(_np(t), tt.numpy())
    t2 = ember.zeros(4, 3)
    t2[[3, 0, 3], 1:] = ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    tt2 = torch.zeros(4, 3)
    tt2[[3, 0, 3], 1:] = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(_np(t2), tt2.numpy())


def test_large_gather_and_scatter_release_the_gil():
    a = np.random.default_rng(1).standard_normal((400, 300)).astype(np.float32)
    idx = np.random.default_rng(2).integers(-400, 400, size=500)
    t = ember.tensor(a)
    np.testing.assert_array_equal(_np(t[idx]), a[idx])
    np.testing.assert_array_equal(_np(t[:, idx[idx >= -300] % 300]), a[:, idx[idx >= -300] % 300])
    b = a.copy()
    b[a > 0.5] = 0.0
    t[t.numpy() > 0.5] = 0.0
    np.testing.assert_array_equal(_np(t), b)


def test_index_put_method():
    t = ember.zeros(3, 3)
    t.index_put_((ember.tensor([0, 2]), ember.tensor([1, 1])), ember.tensor([5.0, 6.0]))
    assert t[0, 1].item() == 5.0 and t[2, 1].item() == 6.0


def test_iteration_stops():
    t = ember.arange(6).reshape(3, 2)
    rows = list(t)
    assert len(rows) == 3
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    assert [x.item() for x in ember.arange(4)] == [0, 1, 2, 3]
    assert list(ember.zeros(0)) == []


# --- errors ---

def test_index_out_of_range():
    t = ember.zeros(2, 3)
    with pytest.raises(IndexError, match=r"\[index\] index 2 is out of bounds for dimension 0 with size 2"):
        t[2]
    with pytest.raises(IndexError, match=r"index -4 is out of bounds for dimension 1 with size 3"):
        t[0, -4]
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for dimension 1 with size 3"):
        t[:, [0, 3]]
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 2"):
        t[ember.tensor([5])] = 1.0
    with pytest.raises(IndexError, match=r"index 2 is out of bounds"):
        t[2] = 1.0


def test_too_many_indices():
    t = ember.zeros(2, 3)
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match=r"too many indices"):
        t[ember.tensor([[[True]]])]
    with pytest.raises(IndexError, match=r"single ellipsis"):
        t[..., ...]


def test_bad_mask_shape():
    t = ember.zeros(2, 3)
    with pytest.raises(IndexError, match=r"\[index\] the shape of the mask \(2, 2\) at index 0 does not match the "
                                         r"shape of the indexed tensor \(2, 3\)"):
        t[np.ones((2, 2), dtype=bool)]
    with pytest.raises(IndexError, match=r"shape of the mask \(2,\)"):
        t[:, ember.tensor([True, False])] = 0.0


def test_float_index_tensor():
    t = ember.zeros(4)
    with pytest.raises(IndexError, match=r"tensors used as indices must be long, int, byte or bool tensors, got float32"):
        t[ember.tensor([1.0])]
    with pytest.raises(IndexError, match=r"must be long, int, byte or bool"):
        t[np.array([1.0])]
    with pytest.raises(IndexError, match=r"valid indices \(got str\)"):
        t["a"]
    with pytest.raises(IndexError, match=r"valid indices \(got float\)"):
        t[1.0]


def test_bad_steps():
    t = ember.zeros(4)
    with pytest.raises(ValueError, match=r"step must be greater than zero, got -1"):
        t[::-1]
    with pytest.raises(ValueError, match=r"slice step cannot be zero"):
        t[::0]


def test_unbroadcastable_indices_and_values():
    t = ember.zeros(3, 4)
    with pytest.raises(IndexError, match=r"could not be broadcast together with shapes \(2,\), \(3,\)"):
        t[[0, 1], [0, 1, 2]]
    with pytest.raises(ValueError, match=r"\[index_put_\] shape mismatch: value tensor of shape \(3,\) cannot be "
                                         r"broadcast to indexing result of shape \(4,\)"):
        t[0] = ember.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"value tensor of shape \(2, 2\).*result of shape \(3,\)"):
        t[[0, 1, 2], 0] = np.ones((2, 2), dtype=np.float32)
