"""Creation functions against NumPy and PyTorch."""
import numpy as np
import pytest

import ember


@pytest.mark.parametrize("fn,fill", [(ember.zeros, 0), (ember.ones, 1)])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int32, ember.int64, ember.uint8, ember.bool])
def test_zeros_ones(fn, fill, dtype):
    for args in [(2, 3), ((2, 3),), ([4],), ((),), (0, 5)]:
        t = fn(*args, dtype=dtype)
        shape = args[0] if len(args) == 1 and not isinstance(args[0], int) else args
        assert t.shape == tuple(shape) and t.dtype == dtype
        assert (t.numpy() == fill).all()


def test_full_empty_like():
    t = ember.full((2, 2), 2.5)
    assert t.dtype == ember.float32 and (t.numpy() == 2.5).all()
    assert ember.full((3,), 7).dtype == ember.int64 and ember.full((1,), True).dtype == ember.bool
    assert ember.empty(3, 4).shape == (3, 4)
    base = ember.zeros(2, 3, dtype=ember.int32)
    assert ember.ones_like(base).dtype == ember.int32 and (ember.ones_like(base).numpy() == 1).all()
    assert ember.zeros_like(base, dtype=ember.float64).dtype == ember.float64
    assert (ember.full_like(base, 4).numpy() == 4).all() and ember.empty_like(base).shape == (2, 3)


def test_arange_linspace_eye_match_numpy(torch):
    np.testing.assert_array_equal(ember.arange(5).numpy(), np.arange(5))
    assert ember.arange(5).dtype == ember.int64 and ember.arange(5.0).dtype == ember.float32
    np.testing.assert_allclose(ember.arange(1, 2, 0.1).numpy(), torch.arange(1, 2, 0.1).numpy())
    np.testing.assert_array_equal(ember.arange(10, 0, -3).numpy(), np.arange(10, 0, -3))
    assert ember.arange(0).shape == (0,)
    np.testing.assert_allclose(ember.linspace(-1, 1, 7).numpy(), torch.linspace(-1, 1, 7).numpy(), atol=1e-6)
    assert ember.linspace(0, 1, 5).numpy()[-1] == 1.0 and ember.linspace(0, 1, 1).numpy()[0] == 0
    assert ember.linspace(0, 1, 0).shape == (0,)
    np.testing.assert_array_equal(ember.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(ember.eye(2, 4, dtype=ember.int64).numpy(), np.eye(2, 4))


def test_tensor_from_python_data():
    assert ember.tensor([[1.0, 2.0]]).dtype == ember.float32
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor([True]).dtype == ember.bool
    assert ember.tensor(np.zeros(2)).dtype == ember.float64
    a = np.arange(3.0)
    t = ember.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 0  # tensor() copies, from_numpy() does not
    assert ember.tensor([[1, 2], [3, 4]], dtype=ember.float64).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    # Python floats asked for as float64 keep their double value (not rounded through float32 first)
    assert ember.tensor(0.89, dtype=ember.float64).item() == 0.89
    assert ember.tensor([0.1, 1e300], dtype=ember.float64).tolist() == [0.1, 1e300]
    assert ember.tensor(0.1).item() == np.float32(0.1)
    assert ember.tensor([0.1], dtype=ember.float32).tolist() == [np.float32(0.1)]
    with pytest.raises(TypeError, match=r"\[tensor\]"):
        ember.tensor(["a", "b"])


def test_random_is_seeded_and_distributed():
    ember.manual_seed(123)
    a = ember.rand(1000)
    ember.manual_seed(123)
    b = ember.rand(1000)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert 0 <= a.numpy().min() and a.numpy().max() < 1 and abs(a.numpy().mean() - 0.5) < 0.05
    n = ember.randn(20000, dtype=ember.float64).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    g = ember.Generator().manual_seed(7)
    r = ember.randint(3, 9, (1000,), generator=g).numpy()
    assert r.min() == 3 and r.max() == 8 and ember.randint(5, (2, 2)).dtype == ember.int64
    g2 = ember.Generator().manual_seed(7)
    np.testing.assert_array_equal(ember.randint(3, 9, (1000,), generator=g2).numpy(), r)


def test_creation_errors():
    with pytest.raises(ValueError, match=r"\[empty\] negative dimension -1"):
        ember.zeros(2, -1)
    with pytest.raises(TypeError, match="floating point"):
        ember.rand(2, dtype=ember.int64)
    with pytest.raises(ValueError, match=r"\[randint\]"):
        ember.randint(5, 5, (2,))
    with pytest.raises(ValueError, match=r"\[arange\]"):
        ember.arange(0, 10, 0)
    with pytest.raises(ValueError, match=r"\[arange\]"):
        ember.arange(0, 10, -1)
    with pytest.raises(TypeError, match=r"\[dtype\]"):
        ember.zeros(2, dtype="float32")
    with pytest.raises(ValueError, match=r"\[device\] unknown device 'tpu'"):
        ember.zeros(2, device="tpu")
    with pytest.raises(RuntimeError, match=r"cuda:7"):
        ember.zeros(2, device="cuda:7")


def test_rng_state_resumes_the_stream_and_refuses_other_bytes():
    ember.manual_seed(123)
    assert ember.initial_seed() == 123
    ember.rand(7)
    state = ember.get_rng_state()
    assert state.dtype == ember.uint8 and state.dim() == 1
    a = ember.randn(4, 3)
    ember.rand(100)  # moves on
    ember.set_rng_state(state)
    assert ember.randn(4, 3).tolist() == a.tolist()  # the run resumes where the state was taken
    g = ember.Generator().manual_seed(9)
    gs = g.get_state()
    first = ember.rand(5, generator=g).tolist()
    assert g.set_state(gs) is g and ember.rand(5, generator=g).tolist() == first
    h = ember.Generator()
    h.set_state(gs)
    assert h.initial_seed() == 9 and ember.rand(5, generator=h).tolist() == first
    s = ember.seed()
    assert ember.initial_seed() == s and 0 <= s < 2**64
    # what get_rng_state did not write is refused, and the generator stays as it was
    before = ember.get_rng_state()
    broken = state.clone()
    broken[0] = ord("x")
    for bad in [broken, state[: state.numel() // 2], ember.zeros(3, dtype=ember.uint8)]:
        with pytest.raises(ValueError, match=r"\[set_rng_state\] the state is not one that get_rng_state"):
            ember.set_rng_state(bad)
        assert ember.get_rng_state().tolist() == before.tolist()
    with pytest.raises(TypeError, match="expected a uint8 tensor"):
        ember.set_rng_state(ember.zeros(3))
    with pytest.raises(ValueError, match="expected a 1-D CPU tensor"):
        ember.set_rng_state(state.reshape(1, -1))
    with pytest.raises(ValueError, match="set_state"):
        g.set_state(broken)
