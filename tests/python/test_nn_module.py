"""ember.nn.Module and the containers: registration by attribute, the recursive walks, state dicts
(with every error of load_state_dict, which leaves the module unchanged), repr, modes, dtype
conversion, initialization statistics, gradient clipping, and a training loop that follows PyTorch's
step for step."""
from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn

from _autograd_helpers import F32, F64, raises


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm_scale = nn.Parameter(ember.ones(4))
        self.register_buffer("count", ember.zeros(1))
        self.register_buffer("scratch", ember.zeros(2), persistent=False)
        self.plain = ember.zeros(5)  # a tensor attribute, not registered

    def forward(self, x):
        return self.fc(x).relu() * self.norm_scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2))

    def forward(self, x):
        return self.layers(self.block(x))


# --- registration and walks ---


def test_attributes_register_parameters_buffers_and_modules():
    net = Net()
    assert list(dict(net.named_parameters())) == [
        "block.norm_scale", "block.fc.weight", "block.fc.bias",
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
    ]
    assert [name for name, _ in net.named_buffers()] == ["block.count", "block.scratch"]
    assert [name for name, _ in net.named_children()] == ["block", "layers"]
    assert [name for name, _ in net.named_modules()] == [
        "", "block", "block.fc", "layers", "layers.0", "layers.1", "layers.2"
    ]
    assert len(list(net.modules())) == 7 and len(list(net.children())) == 2
    assert len(list(net.block.parameters(recurse=False))) == 1
    assert isinstance(net.block.fc.weight, nn.Parameter)
    assert "plain" not in dict(net.block.named_buffers()) and isinstance(net.block.plain, ember.Tensor)
    assert {"block", "layers", "training"} <= set(dir(net))
    assert "fc" in dir(net.block) and "norm_scale" in dir(net.block)


def test_parameters_keep_their_identity_and_shared_ones_count_once():
    net = Net()
    first = list(net.parameters())
    net(ember.randn(2, 3))
    assert all(a is b for a, b in zip(first, net.parameters()))
    assert net.block.fc.weight is net.block.fc.weight
    shared = nn.Sequential(net.layers[0], net.layers[0])
    assert len(list(shared.parameters())) == 2
    assert len(list(shared.named_parameters(remove_duplicate=False))) == 4


def test_setattr_rules_as_pytorch():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = ember.zeros(2, 2)
    m.bias = None
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    m.extra = nn.Parameter(ember.zeros(3))
    assert "extra" in dict(m.named_parameters())
    del m.extra
    assert "extra" not in dict(m.named_parameters())
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ember.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer"):
        m.register_buffer("b", 3)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_add_module_register_module_and_get_submodule():
    m = nn.Module()
    m.add_module("a", nn.Linear(2, 3))
    m.register_module("b", nn.ReLU())
    assert [n for n, _ in m.named_children()] == ["a", "b"]
    assert m.get_submodule("a") is m.a and m.get_parameter("a.bias") is m.a.bias
    with pytest.raises(TypeError, match="is not a Module"):
        m.add_module("c", 3)


def test_forward_unimplemented_raises_as_pytorch():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match='Module \\[NoForward\\] is missing the required "forward" function'):
        NoForward()(ember.zeros(1))
    with pytest.raises(NotImplementedError, match="ModuleList"):
        nn.ModuleList([nn.ReLU()])(ember.zeros(1))


# --- containers ---


def test_sequential_indexing_slicing_and_ordered_dict():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    x = ember.randn(5, 3)
    np.testing.assert_allclose(seq(x).numpy(), seq[2](seq[1](seq[0](x))).numpy())
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and "3.weight" not in seq.state_dict()
    with raises(IndexError, "index 7 is out of range"):
        seq[7]
    named = nn.Sequential(OrderedDict([("conv", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["conv.weight", "conv.bias"] and named.act is named[1]
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]


def test_module_list_and_module_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    assert len(layers) == 4 and isinstance(layers[-1], nn.ReLU) and len(layers[1:]) == 3
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers][:2] == ["Identity", "Linear"] and len(layers) == 6
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    d["dec"] = nn.Linear(3, 2)
    assert list(d.keys()) == ["enc", "act", "dec"] and "act" in d and len(d) == 3
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert d.pop("act").__class__ is nn.ReLU and list(d) == ["enc", "dec"]


# --- state dicts ---


def test_state_dict_keys_values_and_persistence():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "block.norm_scale", "block.count", "block.fc.weight", "block.fc.bias",
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
    ]
    assert not sd["block.fc.weight"].requires_grad and not isinstance(sd["block.fc.weight"], nn.Parameter)
    # The values share memory with the module, as PyTorch's.
    with ember.no_grad():
        net.block.fc.weight.fill_(2.0)
    assert float(sd["block.fc.weight"][0, 0]) == 2.0
    assert net.state_dict(keep_vars=True)["block.fc.weight"] is net.block.fc.weight


def test_load_state_dict_round_trip_and_strict_false():
    src, dst = Net(), Net()
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = ember.randn(4, 3)
    np.testing.assert_array_equal(dst(x).detach().numpy(), src(x).detach().numpy())
    partial = {k: v for k, v in src.state_dict().items() if not k.startswith("layers")}
    partial["extra.key"] = ember.zeros(1)
    missing, unexpected = Net().load_state_dict(partial, strict=False)
    assert missing == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert unexpected == ["extra.key"]


def snapshot(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("case", ["missing", "unexpected", "shape", "all"])
def test_failed_load_state_dict_names_every_problem_and_changes_nothing(case):
    net = Net()
    before = snapshot(net)
    sd = {k: ember.randn(*v.shape) for k, v in Net().state_dict().items()}
    if case in ("missing", "all"):
        del sd["layers.2.bias"]
    if case in ("unexpected", "all"):
        sd["layers.9.weight"] = ember.zeros(2)
    if case in ("shape", "all"):
        sd["block.fc.weight"] = ember.zeros(5, 3)
    with raises(RuntimeError, "Error\\(s\\) in loading state_dict for Net") as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    if case in ("missing", "all"):
        assert 'Missing key(s) in state_dict: "layers.2.bias"' in msg
    if case in ("unexpected", "all"):
        assert 'Unexpected key(s) in state_dict: "layers.9.weight"' in msg
    if case in ("shape", "all"):
        assert ("size mismatch for block.fc.weight: copying a param with shape (5, 3) from checkpoint, "
                "the shape in current model is (4, 3)") in msg
    after = snapshot(net)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_load_state_dict_rejects_non_tensors_and_shape_mismatch_even_when_not_strict():
    net = nn.Linear(2, 2)
    with raises(RuntimeError, 'parameter named "bias".*received str'):
        net.load_state_dict({"weight": ember.zeros(2, 2), "bias": "zeros"})
    with raises(RuntimeError, "size mismatch for bias"):
        net.load_state_dict({"bias": ember.zeros(3)}, strict=False)


def test_load_state_dict_casts_to_the_parameter_dtype_and_accepts_numpy():
    net = nn.Linear(2, 3)
    w = np.arange(6, dtype=np.float64).reshape(3, 2)
    net.load_state_dict({"weight": w, "bias": ember.ones(3, dtype=F64)})
    assert net.weight.dtype == F32 and net.weight.requires_grad
    np.testing.assert_array_equal(net.weight.detach().numpy(), w.astype(np.float32))


# --- repr, modes, conversions ---


def test_repr_is_nested_like_pytorch(torch):
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Dropout(0.2), nn.Linear(4, 2, bias=False)))
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                               torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(4, 2, bias=False)))
    assert repr(net) == repr(tnet)
    for ours, theirs in [
        (nn.BatchNorm2d(8), torch.nn.BatchNorm2d(8)),
        (nn.LayerNorm(5), torch.nn.LayerNorm(5)),
        (nn.Embedding(10, 3, padding_idx=0), torch.nn.Embedding(10, 3, padding_idx=0)),
        (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
        (nn.Conv2d(1, 16, 3, padding=1), torch.nn.Conv2d(1, 16, 3, padding=1)),
        (nn.Conv2d(4, 8, (3, 5), stride=2, dilation=2, groups=2, bias=False),
         torch.nn.Conv2d(4, 8, (3, 5), stride=2, dilation=2, groups=2, bias=False)),
        (nn.Conv2d(1, 2, 3, padding="same"), torch.nn.Conv2d(1, 2, 3, padding="same")),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (nn.AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1))),
        (nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)),
        (nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Sequential(nn.Tanh()), nn.Sequential(nn.Tanh())]),
         torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU(),
                              torch.nn.Sequential(torch.nn.Tanh()), torch.nn.Sequential(torch.nn.Tanh())])),
        (nn.ModuleList(), torch.nn.ModuleList()),
        (nn.ModuleDict({"a": nn.ReLU()}), torch.nn.ModuleDict({"a": torch.nn.ReLU()})),
        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()),
    ]:
        assert repr(ours) == repr(theirs)
    p = nn.Parameter(ember.zeros(2))
    assert repr(p).startswith("Parameter containing:\ntensor(") and str(p) == repr(p)


def test_train_and_eval_reach_every_submodule():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    x = ember.randn(4, 2)
    np.testing.assert_array_equal(net[1](x).numpy(), x.numpy())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_to_float64_converts_parameters_and_buffers_only_floating():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = snapshot(net)
    assert net.to(ember.float64) is net
    assert all(p.dtype == F64 and isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net[1].running_mean.dtype == F64 and net[1].num_batches_tracked.dtype == ember.int64
    after = snapshot(net)
    assert all(np.array_equal(before[k].astype(after[k].dtype), after[k]) for k in before)
    assert net[0](ember.randn(2, 3, dtype=F64)).dtype == F64
    net.float()
    assert net[0].weight.dtype == F32
    same = list(net.parameters())
    assert net.to("cpu") is net and net.to(ember.float32, "cpu") is net and net.cpu() is net
    assert all(a is b for a, b in zip(same, net.parameters()))  # no conversion, no new objects
    net.double()
    assert net[0].bias.dtype == F64
    with raises(TypeError, "floating point dtypes"):
        net.to(ember.int64)
    if not ember.cuda.is_available():
        with raises(RuntimeError, "cuda:0 is not available"):
            net.to("cuda")


def test_zero_grad_requires_grad_apply_and_deepcopy():
    net = nn.Linear(3, 2)
    net(ember.randn(4, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.weight.grad is not None and not net.weight.grad.numpy().any()
    net.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    model = nn.Sequential(net, nn.ReLU())
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Sequential"]
    twin = copy.deepcopy(model)
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight is not net.weight
    np.testing.assert_array_equal(twin[0].weight.numpy(), net.weight.numpy())
    assert isinstance(copy.copy(net.weight), nn.Parameter)


def test_a_module_subclass_trains_with_ember_optim():
    ember.manual_seed(0)
    net = Net()
    opt = ember.optim.SGD(net.parameters(), lr=0.1)
    x, y = ember.randn(16, 3), ember.randn(16, 2)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


# --- init ---


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(50, 400), 50),
    (lambda: nn.Conv2d(6, 300, 3), 54),
])
def test_default_init_bounds_match_fan_in(make, fan_in):
    ember.manual_seed(1)
    layer = make()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) on the weight, U(-k, k) on the bias
    w = layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.05 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.8 * bound


def test_init_functions_statistics_and_reproducibility():
    from ember.nn import init

    w = ember.empty(200, 300)
    init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 300)
    assert np.abs(w.numpy()).max() <= bound and abs(w.numpy().std() - bound / math.sqrt(3)) < 0.02 * bound
    init.kaiming_normal_(w, mode="fan_out")
    assert abs(w.numpy().std() - math.sqrt(2.0 / 200) / 1.0 * math.sqrt(1 / 1.0001)) < 0.03 * math.sqrt(2 / 200)
    init.xavier_uniform_(w, gain=init.calculate_gain("tanh"))
    xb = 5 / 3 * math.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= xb and np.abs(w.numpy()).max() > 0.99 * xb
    init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.03 * math.sqrt(2 / 500)
    init.normal_(w, 3.0, 0.5)
    assert abs(w.numpy().mean() - 3.0) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    init.trunc_normal_(w, std=1.0, a=-1.0, b=0.5)
    assert w.numpy().min() >= -1.0 and w.numpy().max() <= 0.5
    init.uniform_(w, -2.0, 3.0)
    assert w.numpy().min() >= -2.0 and w.numpy().max() <= 3.0 and abs(w.numpy().mean() - 0.5) < 0.02
    assert init.constant_(w, 0.25) is w and np.all(w.numpy() == 0.25)
    init.zeros_(w), init.ones_(w)
    assert np.all(w.numpy() == 1.0)
    init.eye_(w)
    np.testing.assert_array_equal(w.numpy(), np.eye(200, 300, dtype=np.float32))
    ember.manual_seed(7)
    a = nn.Linear(4, 4).weight.numpy().copy()
    ember.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.numpy(), a)
    # In place on a parameter that requires grad, without recording.
    p = nn.Parameter(ember.zeros(3, 3))
    init.kaiming_uniform_(p)
    assert p.requires_grad and p.grad_fn is None and p.numpy().any()
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init._calculate_fan_in_and_fan_out(ember.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (8, 2, 3, 3)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns(shape):
    from ember.nn import init

    w = ember.empty(*shape, dtype=F64, requires_grad=True)
    assert init.orthogonal_(w, gain=2.0) is w and w.grad_fn is None
    m = w.detach().numpy().reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-12)
    ember.manual_seed(3)
    a = init.orthogonal_(ember.empty(*shape)).numpy().copy()
    ember.manual_seed(3)
    np.testing.assert_array_equal(init.orthogonal_(ember.empty(*shape)).numpy(), a)
    with pytest.raises(ValueError, match=r"\[orthogonal_\] only tensors with 2 or more dimensions are supported, "
                                         r"got shape \(5,\)"):
        init.orthogonal_(ember.empty(5))


def test_sparse_dirac_and_trunc_normal_init_match_torchs_structure(torch):
    from ember.nn import init

    w = init.sparse_(ember.empty(10, 7, dtype=F64), sparsity=0.3, std=0.5)
    zeros_per_column = (w.numpy() == 0).sum(axis=0)
    np.testing.assert_array_equal(zeros_per_column, np.full(7, 3))  # ceil(0.3 * 10)
    for shape, groups in [((4, 4, 3), 1), ((6, 2, 3, 3), 3), ((4, 3, 3, 3, 3), 2)]:
        ours = init.dirac_(ember.empty(*shape), groups=groups).numpy()
        theirs = torch.nn.init.dirac_(torch.empty(*shape), groups=groups).numpy()
        np.testing.assert_array_equal(ours, theirs)
    x = init.trunc_normal_(ember.empty(20000, dtype=F64), mean=1.0, std=2.0, a=0.0, b=3.0).numpy()
    ref = torch.nn.init.trunc_normal_(torch.empty(20000, dtype=torch.float64), mean=1.0, std=2.0, a=0.0, b=3.0).numpy()
    assert x.min() >= 0.0 and x.max() <= 3.0
    assert abs(x.mean() - ref.mean()) < 0.05 and abs(x.std() - ref.std()) < 0.05
    with pytest.raises(ValueError, match=r"only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ember.empty(3, 3))
    with pytest.raises(ValueError, match=r"dim 0 \(4\) must be divisible by groups \(3\)"):
        init.dirac_(ember.empty(4, 2, 3), groups=3)
    with pytest.raises(ValueError, match=r"\[sparse_\] only tensors with 2 dimensions are supported"):
        init.sparse_(ember.empty(2, 3, 4), 0.1)
    with pytest.raises(ValueError, match=r"\[eye_\] only 2-d tensors are supported, got shape \(2, 3, 4\)"):
        init.eye_(ember.empty(2, 3, 4))


# --- gradient clipping ---


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = [ember.zeros(*g.shape, dtype=F64, requires_grad=True) for g in grads]
    theirs = [torch.zeros(*g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = ember.tensor(g, dtype=F64), torch.tensor(g)
    extra = ember.zeros(2, dtype=F64, requires_grad=True)  # no grad: skipped
    total = nn.utils.clip_grad_norm_(ours + [extra], max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_nonfinite_norm():
    p = ember.zeros(4, dtype=F64, requires_grad=True)
    p.grad = ember.tensor([-3.0, -0.5, 0.5, 3.0], dtype=F64)
    nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, -0.5, 0.5, 1.0])
    p.grad = ember.tensor([float("inf"), 1.0, 0.0, 0.0], dtype=F64)
    with raises(RuntimeError, "non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    vec = nn.utils.parameters_to_vector([ember.ones(2, 2), ember.zeros(3)])
    assert vec.shape == (7,)
    q = [ember.zeros(2, 2), ember.zeros(3)]
    nn.utils.vector_to_parameters(ember.arange(7, dtype=F32), q)
    np.testing.assert_array_equal(q[1].numpy(), [4, 5, 6])


# --- a training loop against PyTorch ---


def test_mlp_training_loop_matches_torch_in_float64(torch):
    """30 SGD steps (momentum) of the same MLP on the same data, started from the same weights, agree."""
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((32, 8)), rng.integers(0, 4, 32)
    torch.manual_seed(0)  # the twin's initial weights: a fixed start, so that the final loss bound holds
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4)).double()
    twin = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.Tanh(),
                               torch.nn.Linear(16, 4)).double()
    model.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    xe, ye = ember.tensor(x, dtype=F64), ember.tensor(y)
    xt, yt = torch.tensor(x), torch.tensor(y)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(30):
        opt.zero_grad()
        loss = loss_fn(model(xe), ye)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = tloss_fn(twin(xt), yt)
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), abs=1e-6)
    theirs = twin.state_dict()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), theirs[k].numpy(), atol=1e-6)
    assert loss.item() < 0.8 * math.log(4)


def test_data_parallel_wraps_one_device_and_ddp_says_what_it_needs(torch):
    ours = nn.DataParallel(nn.Linear(3, 2))
    theirs = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight", "module.bias"]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert nn.parallel.DataParallel is nn.DataParallel
    with pytest.raises(NotImplementedError, match=r"\[DataParallel\] splitting a batch over several devices"):
        nn.DataParallel(nn.Linear(3, 2), device_ids=[0, 1])
    with pytest.raises(TypeError, match=r"expected an ember.nn.Module, got function"):
        nn.DataParallel(lambda x: x)
    import ember.distributed as dist
    if not dist.is_initialized():  # DDP itself: tests/python/test_ddp.py
        with pytest.raises(RuntimeError, match=r"\[DistributedDataParallel\].*not initialized"):
            nn.parallel.DistributedDataParallel(nn.Linear(3, 2))


def test_parameter_list_and_dict_register_their_parameters():
    class Mixture(nn.Module):
        def __init__(self):
            super().__init__()
            self.centres = nn.ParameterList([ember.randn(2) for _ in range(3)])  # plain tensors become Parameters
            self.scales = nn.ParameterDict({"a": nn.Parameter(ember.ones(2)), "b": ember.full((2,), 2.0)})

        def forward(self, x):
            return sum(c * x for c in self.centres) * self.scales["a"] + self.scales["b"]

    m = Mixture()
    assert [n for n, _ in m.named_parameters()] == ["centres.0", "centres.1", "centres.2", "scales.a", "scales.b"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())
    m(ember.ones(2)).sum().backward()
    assert m.centres[1].grad.tolist() == [1.0, 1.0] and m.scales["b"].grad.tolist() == [1.0, 1.0]
    # state dicts round-trip, optimizers see every parameter, the containers behave as list / dict
    m2 = Mixture()
    m2.load_state_dict(m.state_dict())
    assert all(a.tolist() == b.tolist() for a, b in zip(m.parameters(), m2.parameters()))
    assert len(ember.optim.SGD(m.parameters(), lr=0.1).param_groups[0]["params"]) == 5
    m.centres.append(ember.zeros(2))
    m.centres[0] = ember.full((2,), 7.0)
    assert len(m.centres) == 4 and m.centres[-1].tolist() == [0.0, 0.0] and m.centres[0].tolist() == [7.0, 7.0]
    assert len(m.centres[1:3]) == 2 and "b" in m.scales and list(m.scales.keys()) == ["a", "b"]
    assert m.scales.pop("a") is not None and len(m.scales) == 1
    assert "(0): Parameter containing: [ember.float32 of size 2]" in repr(m.centres)
    with raises(IndexError, "out of range"):
        m.centres[9]
    with pytest.raises(TypeError, match="cannot register 'int'"):
        m.centres.append(3)
    with raises(ValueError, "should be a \\(key, parameter\\) pair"):
        nn.ParameterDict([("x",)])
