"""The calling conventions of PyTorch's tensor API that ember adapts without new math (ember/_tensor_api.py
and the bindings): module-level forms of methods, *_as, new_*, the random *_like, .data, __format__,
the device predicates, randint(high, size=), ember.Size, indexing with range, add/sub with alpha,
ember.accelerator and ember.backends. Each against torch."""
import pickle

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def both(fn):
    """fn(lib, x) for ember and torch, as NumPy arrays (or plain values)."""
    out = []
    for lib in (ember, torch):
        r = fn(lib, lib.tensor(X))
        out.append(r.detach().numpy() if isinstance(r, (ember.Tensor, torch.Tensor)) else r)
    return out


@pytest.mark.parametrize("call", [
    lambda L, x: L.flatten(x), lambda L, x: L.flatten(x, 1), lambda L, x: L.flatten(x, 0, 1),
    lambda L, x: L.reshape(x, (4, -1)), lambda L, x: L.transpose(x, 0, 2), lambda L, x: L.swapaxes(x, 1, 2),
    lambda L, x: L.swapdims(x, 0, 1), lambda L, x: L.permute(x, (2, 0, 1)), lambda L, x: L.squeeze(x[:1]),
    lambda L, x: L.squeeze(x[:1], 0), lambda L, x: L.unsqueeze(x, -1), lambda L, x: L.narrow(x, 2, 1, 2),
    lambda L, x: L.select(x, 1, -1), lambda L, x: L.t(x[0]), lambda L, x: L.clone(x), lambda L, x: L.detach(x),
    lambda L, x: L.numel(x), lambda L, x: L.is_tensor(x), lambda L, x: L.is_tensor(X),
    lambda L, x: L.is_floating_point(x), lambda L, x: x.view_as(L.zeros(6, 4)), lambda L, x: x.reshape_as(L.zeros(24)),
    lambda L, x: x.type_as(L.zeros(1, dtype=L.int64)), lambda L, x: x.new_zeros(2, 3), lambda L, x: x.new_ones((3,)),
    lambda L, x: x.new_full((2, 2), 7.5), lambda L, x: x.new_tensor([1, 2]), lambda L, x: x.new_empty(0, 2),
    lambda L, x: x.long().new_zeros(2), lambda L, x: x.new_zeros(2, dtype=L.float64),
], ids=lambda f: "")
def test_matches_torch(call):
    ours, theirs = both(call)
    if isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


def test_errors_name_the_problem():
    x = ember.tensor(X)
    with pytest.raises(ValueError, match=r"\[view\]"):
        x.view_as(ember.zeros(5))
    with pytest.raises(ValueError, match=r"\[reshape\]"):
        ember.reshape(x, (5, -1))
    with pytest.raises(IndexError):
        ember.select(x, 3, 0)


def test_random_like_has_input_shape_dtype_device_and_follows_the_seed():
    x = ember.zeros(3, 4, dtype=ember.float64)
    for fn in (ember.rand_like, ember.randn_like):
        ember.manual_seed(5)
        a = fn(x)
        ember.manual_seed(5)
        b = fn(x)
        assert a.shape == (3, 4) and a.dtype == ember.float64 and a.device == x.device
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ember.rand_like(x, dtype=ember.float32).dtype == ember.float32
    r = ember.randint_like(ember.zeros(1000, dtype=ember.int64), 3, 6)
    assert r.dtype == ember.int64 and set(np.unique(r.numpy())) == {3, 4, 5}
    assert set(np.unique(ember.randint_like(x, 2).numpy())) <= {0.0, 1.0}
    assert ember.randn_like(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        ember.randn_like(ember.zeros(2, dtype=ember.int64))


def test_randint_with_size_keyword():
    for r in (ember.randint(5, size=(200,)), ember.randint(5, (200,)), ember.randint(2, 5, (200,)),
              ember.randint(2, 5, size=(200,))):
        assert r.shape == (200,) and r.dtype == ember.int64
    assert set(np.unique(ember.randint(2, 5, size=(400,)).numpy())) == {2, 3, 4}
    with pytest.raises(TypeError, match="size"):
        ember.randint(5)


def test_data_is_a_detached_alias_and_can_be_replaced():
    p = ember.ones(3, requires_grad=True)
    d = p.data
    assert not d.requires_grad and d.is_leaf
    p.data.mul_(2.0)  # the PyTorch idiom for updates outside autograd
    np.testing.assert_array_equal(p.detach().numpy(), [2, 2, 2])
    (p * 3.0).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [3, 3, 3])
    p.data = ember.arange(4.0)  # re-pointed: new elements and shape, still a leaf that requires grad
    assert p.shape == (4,) and p.requires_grad and p.is_leaf
    np.testing.assert_array_equal(p.detach().numpy(), [0, 1, 2, 3])
    with pytest.raises(TypeError, match=r"\[data\] cannot set the data of a float32 tensor to a float64 tensor"):
        p.data = ember.zeros(4, dtype=ember.float64)
    with pytest.raises(TypeError):
        p.data = [1.0, 2.0]


def test_data_of_a_parameter_in_an_sgd_loop_matches_torch():
    w0 = np.array([1.0, -2.0, 0.5])
    results = []
    for lib in (ember, torch):
        w = lib.tensor(w0, requires_grad=True)
        for _ in range(3):
            loss = (w * w).sum()
            loss.backward()
            w.data = w.data - 0.1 * w.grad.data
            w.grad.zero_()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_format_spec_on_a_0d_tensor_as_torch():
    for spec in (".2f", ".3e", "", ">10.1f"):
        assert format(ember.tensor(3.14159), spec) == format(torch.tensor(3.14159), spec)
    assert f"{ember.tensor(7):d}" == "7"
    assert "{:.1f}".format(ember.tensor([2.25]).sum()) == "2.2"
    assert f"{ember.zeros(2)}" == str(ember.zeros(2))
    with pytest.raises(TypeError, match=r"\[format\] .*needs a 0-d tensor, got shape \(2,\)"):
        f"{ember.zeros(2):.2f}"


def test_device_predicates():
    x = ember.zeros(2)
    assert x.is_cpu and not x.is_cuda and not x.is_xpu and not x.is_mps and not x.is_meta


def test_accelerator_and_backends_answer_as_pytorch_scripts_expect():
    acc = ember.accelerator
    if ember.cuda.is_available():
        assert acc.is_available() and acc.current_accelerator() == ember.device("cuda") and acc.device_count() >= 1
    else:
        assert not acc.is_available() and acc.current_accelerator() is None and acc.device_count() == 0
        assert acc.current_device_index() == -1
        acc.synchronize()  # nothing to wait for
    device = acc.current_accelerator() if acc.is_available() else ember.device("cpu")  # the PyTorch 2.x idiom
    assert ember.zeros(2, device=device).device == device
    b = ember.backends
    b.cudnn.benchmark = True
    b.cudnn.deterministic = True
    assert not b.cudnn.is_available() and not b.mps.is_available() and b.mkldnn.is_available()
    assert b.cuda.is_built() in (True, False)
    b.cuda.matmul.allow_tf32 = True


def test_module_forms_and_as_methods_export(tmp_path):
    nn = ember.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(12, 4)

        def forward(self, x):
            y = ember.flatten(x, 1)
            z = self.fc(y).view_as(ember.zeros(x.shape[0], 2, 2))
            return ember.transpose(z, 1, 2).reshape_as(ember.zeros(x.shape[0], 4)).type_as(y)

    model = Model().eval()
    ember.deploy.export(model, ember.randn(3, 3, 4), tmp_path / "m.ember")
    x = ember.randn(5, 3, 4)
    np.testing.assert_allclose(ember.deploy.load(tmp_path / "m.ember")(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_size_is_a_tuple_with_numel_as_torch_size():
    x = ember.zeros(2, 3, 4)
    t = torch.zeros(2, 3, 4)
    for ours, theirs in [(x.shape, t.shape), (x.size(), t.size()), (x[0].shape, t[0].shape), (ember.tensor(1.0).shape, t[0, 0, 0].shape)]:
        assert isinstance(ours, ember.Size) and isinstance(ours, tuple)
        assert ours == tuple(theirs) and ours.numel() == theirs.numel()
    assert isinstance(x.shape[1:], ember.Size) and x.shape[1:] == (3, 4) and x.shape[-1] == 4
    assert isinstance(x.shape + (5,), ember.Size) and x.shape + (5,) == (2, 3, 4, 5)
    assert repr(x.shape) == "ember.Size([2, 3, 4])"
    assert pickle.loads(pickle.dumps(x.shape)) == x.shape
    assert ember.zeros(x.shape).shape == x.shape and np.zeros(x.shape).shape == (2, 3, 4)
    assert ember.Size([2, 5]).numel() == 10 and ember.Size().numel() == 1


@pytest.mark.parametrize("index", [range(2), (slice(None), range(0, 3, 2)), range(0), (slice(None), range(2, 0, -1)),
                                   (range(1), 0), (0, range(1, 3), slice(1, None))])
def test_indexing_with_a_range_as_torch(index):
    ours, theirs = both(lambda L, x: x[index])
    np.testing.assert_array_equal(ours, theirs)


def test_indexing_with_a_range_out_of_bounds():
    with pytest.raises(IndexError):
        ember.zeros(2, 3)[range(3)]


@pytest.mark.parametrize("call", [
    lambda L, a, b: L.add(a, b, alpha=2), lambda L, a, b: L.sub(a, b, alpha=0.5), lambda L, a, b: a.add(b, alpha=-1.5),
    lambda L, a, b: a.sub(b, alpha=3), lambda L, a, b: a.clone().add_(b, alpha=0.25), lambda L, a, b: a.clone().sub_(b, alpha=2),
    lambda L, a, b: a.clone().add_(2.0, alpha=3), lambda L, a, b: L.add(a.long(), b.long(), alpha=2),
], ids=lambda f: "")
def test_add_sub_with_alpha_as_torch(call):
    a, b = np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 3)
    ours = call(ember, ember.tensor(a), ember.tensor(b))
    theirs = call(torch, torch.tensor(a), torch.tensor(b))
    assert ours.dtype == getattr(ember, str(theirs.dtype).split(".")[1])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_add_with_alpha_gradient_and_errors():
    a, b = (ember.randn(3, dtype=ember.float64, requires_grad=True) for _ in range(2))
    ember.add(a, b, alpha=3.0).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [3.0, 3.0, 3.0])
    assert ember.autograd.gradcheck(lambda x, y: x.sub(y, alpha=0.5), (a, b))
    with pytest.raises(TypeError, match=r"\[add\] for integral input tensors, argument alpha must not be a floating"):
        ember.add(ember.ones(2, dtype=ember.int64), ember.ones(2, dtype=ember.int64), alpha=0.5)
    with pytest.raises(ValueError, match=r"\[add_\]"):
        ember.ones(2).add_(ember.ones(3), alpha=2)


def test_random_like_in_a_traced_forward_is_refused_not_baked_in(tmp_path):
    class Noisy(ember.nn.Module):
        def forward(self, x):
            return x + ember.randn_like(x)

    with pytest.raises(ember.deploy.ExportError, match=r"ember.randn_like is not supported by ember.deploy"):
        ember.deploy.export(Noisy(), ember.zeros(2, 3), tmp_path / "noisy.ember")
    assert ember.randn_like(ember.zeros(2)).shape == (2,)  # the trace restores it


def test_process_switches_that_scripts_set_at_the_top():
    ember.set_float32_matmul_precision("high")
    assert ember.get_float32_matmul_precision() == "high"
    ember.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match=r"expected 'highest', 'high' or 'medium', got 'fast'"):
        ember.set_float32_matmul_precision("fast")
    ember.use_deterministic_algorithms(True)
    assert ember.are_deterministic_algorithms_enabled()
    ember.use_deterministic_algorithms(False)
    model = ember.nn.Linear(2, 2)
    assert ember.compile(model) is model and ember.compile(mode="max-autotune")(model) is model
    assert ember.get_default_dtype() == ember.float32
    ember.set_default_dtype(ember.float32)
    with pytest.raises(NotImplementedError, match=r"only ember.float32 is supported as the default dtype"):
        ember.set_default_dtype(ember.float64)


def test_inference_mode_as_context_and_decorator():
    x = ember.ones(2, requires_grad=True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.inference_mode(False):
        assert (x * 2).requires_grad

    @ember.inference_mode()
    def f():
        return (x * 2).requires_grad

    @ember.inference_mode
    def g():
        return (x * 2).requires_grad

    assert not f() and not g() and (x * 2).requires_grad
