"""Zero-copy exchange with NumPy (both ways) and DLPack (PyTorch, NumPy, JAX when installed)."""
import numpy as np
import pytest

import ember

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.uint8, np.int8, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_numpy_is_zero_copy(dtype):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    t = ember.from_numpy(a)
    assert t.data_ptr() == a.ctypes.data and t.shape == (3, 4)
    a[1, 1] = 0
    assert t.numpy()[1, 1] == 0
    back = t.numpy()
    assert np.shares_memory(back, a) and back.dtype == a.dtype


def test_from_numpy_non_contiguous_and_lifetime():
    a = np.arange(24.0).reshape(4, 6)[::2, 1::2]
    t = ember.from_numpy(a)
    assert t.stride() == (12, 2) and not t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), a)
    del a
    import gc

    gc.collect()
    assert t.numpy()[1, 2] == 17.0  # the tensor keeps the array alive


def test_numpy_views_keep_tensor_memory_alive():
    arr = ember.arange(5.0).numpy()
    import gc

    gc.collect()
    np.testing.assert_array_equal(arr, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(np.asarray(ember.arange(6).reshape(2, 3).T), np.arange(6).reshape(2, 3).T)
    assert np.asarray(ember.zeros(2), dtype=np.float64).dtype == np.float64
    assert memoryview(ember.ones(3)).shape == (3,)


def test_from_numpy_rejects_unsupported():
    with pytest.raises(TypeError, match=r"\[from_numpy\].*complex128"):
        ember.from_numpy(np.zeros(2, dtype=np.complex128))
    with pytest.raises(ValueError, match=r"\[from_numpy\].*negative"):
        ember.from_numpy(np.arange(4.0)[::-1])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "int8", "bool"])
def test_dlpack_with_torch_both_ways(torch, dtype):
    src = torch.arange(12).reshape(3, 4).to(getattr(torch, dtype))
    t = ember.from_dlpack(src)
    assert t.shape == (3, 4) and t.dtype == getattr(ember, dtype)
    assert t.data_ptr() == src.data_ptr()
    back = torch.from_dlpack(t.T)
    assert back.data_ptr() == t.data_ptr() and back.stride() == (1, 4)
    np.testing.assert_array_equal(back.numpy(), src.numpy().T)
    assert ember.from_dlpack(src[:, 1:]).stride() == (4, 1)


def test_dlpack_with_numpy():
    t = ember.arange(6.0).reshape(2, 3)
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.numpy())
    e = ember.from_dlpack(np.arange(4, dtype=np.int32))
    assert e.tolist() == [0, 1, 2, 3] and e.__dlpack_device__() == (1, 0)


def test_dlpack_with_jax():
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.arange(6.0, dtype=jnp.float32).reshape(2, 3)
    t = ember.from_dlpack(x)
    np.testing.assert_array_equal(t.numpy(), np.asarray(x))
    np.testing.assert_array_equal(np.asarray(jnp.from_dlpack(ember.ones(3))), np.ones(3))


def test_dlpack_capsule_is_single_use():
    cap = ember.ones(2).__dlpack__()
    ember.from_dlpack(cap)
    with pytest.raises(TypeError, match=r"\[from_dlpack\]"):
        ember.from_dlpack(cap)
