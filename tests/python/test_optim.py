"""ember.optim against torch.optim: the same 20 steps of every optimizer (and option combinations) from
the same start, on gradients each library's autograd computes, agree in float64; state dicts round-trip
mid-training; every scheduler's learning rates follow torch's; bad arguments raise clear errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import optim

from _autograd_helpers import F32, F64, raises

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
X = RNG.standard_normal((8, 3))
Y = RNG.standard_normal((8, 1))
INIT = [RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal((4, 1)), RNG.standard_normal(1)]
UNUSED = RNG.standard_normal(2)  # a parameter the loss never touches: its grad stays None


class Lib:
    """The pieces of a training loop, written once for ember and once for torch."""

    def __init__(self, mod, dtype):
        self.mod, self.dtype = mod, dtype

    def params(self, values=None):
        vals = INIT + [UNUSED] if values is None else values
        return [self.mod.tensor(np.array(v), dtype=self.dtype, requires_grad=True) for v in vals]

    def loss(self, params):
        w1, b1, w2, b2 = params[:4]
        x = self.mod.tensor(X, dtype=self.dtype)
        y = self.mod.tensor(Y, dtype=self.dtype)
        h = (x.matmul(w1) + b1).tanh().matmul(w2) + b2
        return ((h - y) * (h - y)).mean()

    def train(self, opt, params, steps):
        for _ in range(steps):
            opt.zero_grad()
            self.loss(params).backward()
            opt.step()


EMBER = Lib(ember, F64)
TORCH = Lib(torch, torch.float64)


def values(params):
    return [np.array(p.detach().numpy()) for p in params]


def groups(params, split, second_lr):
    if not split:
        return params
    return [{"params": params[:2]}, {"params": params[2:], "lr": second_lr}]


def assert_close(a, b, tol):
    for x, y in zip(values(a), values(b)):
        np.testing.assert_allclose(x, y, rtol=0, atol=tol)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, amsgrad=True, weight_decay=0.3)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.3, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.02, eps=1e-6, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, eps=1e-6, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.8), eps=1e-6, weight_decay=0.2, decoupled_weight_decay=True,
                   maximize=True)),
]


@pytest.mark.parametrize("split", [False, True], ids=["one_group", "two_groups"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_twenty_steps_match_torch(name, kwargs, split):
    ours, theirs = EMBER.params(), TORCH.params()
    second_lr = kwargs.get("lr", 0.01) / 2
    opt = getattr(optim, name)(groups(ours, split, second_lr), **kwargs)
    ref = getattr(torch.optim, name)(groups(theirs, split, second_lr), **kwargs)
    EMBER.train(opt, ours, 20)
    TORCH.train(ref, theirs, 20)
    assert_close(ours, theirs, 1e-10)  # the brief asks 1e-6; the rules are the same arithmetic
    assert np.array_equal(values(ours)[4], UNUSED)  # grad None: skipped
    # ... and given no state, except by Adagrad, which (as torch's) makes every parameter's at construction
    assert ours[4] not in opt.state or (name == "Adagrad" and opt.state[ours[4]]["step"] == 0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_large_parameters_update_as_small_ones(name, kwargs, dtype):
    # 70001 elements: the update runs on threads, over many blocks and a partial last one. The same values
    # as 70 parameters of about 1000 elements (one block each, on the calling thread; the path the tests
    # above hold against torch) must come out bit for bit.
    rng = np.random.default_rng(11)
    start = rng.standard_normal(70001).astype(dtype)
    big = ember.from_numpy(start.copy()).requires_grad_()
    pieces = [ember.from_numpy(c.copy()).requires_grad_() for c in np.array_split(start, 70)]
    opt_big, opt_pieces = getattr(optim, name)([big], **kwargs), getattr(optim, name)(pieces, **kwargs)
    for _ in range(5):
        grad = rng.standard_normal(start.size).astype(dtype)
        big.grad = ember.from_numpy(grad.copy())
        for piece, g in zip(pieces, np.array_split(grad, 70)):
            piece.grad = ember.from_numpy(g.copy())
        opt_big.step()
        opt_pieces.step()
    np.testing.assert_array_equal(big.detach().numpy(), np.concatenate([p.detach().numpy() for p in pieces]))


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
                                         ("Adadelta", dict(weight_decay=0.1)),
                                         ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)),
                                         ("Adamax", dict(lr=0.01, weight_decay=0.1)),
                                         ("NAdam", dict(lr=0.01, weight_decay=0.1)),
                                         ("RAdam", dict(lr=0.01, betas=(0.9, 0.9)))])
def test_float32_follows_torch(name, kwargs):
    ours, theirs = Lib(ember, F32).params(), Lib(torch, torch.float32).params()
    opt, ref = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    Lib(ember, F32).train(opt, ours, 20)
    Lib(torch, torch.float32).train(ref, theirs, 20)
    assert_close(ours, theirs, 1e-4)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
                                         ("Adadelta", dict(lr=0.5, weight_decay=0.1)),
                                         ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)),
                                         ("Adamax", dict(lr=0.01, maximize=True))])
def test_state_dict_round_trip_mid_training(name, kwargs):
    cls = getattr(optim, name)
    straight = EMBER.params()
    EMBER.train(cls(groups(straight, True, 0.003), **kwargs), straight, 20)

    first = EMBER.params()
    opt = cls(groups(first, True, 0.003), **kwargs)
    EMBER.train(opt, first, 10)
    saved = opt.state_dict()
    # the unused parameter never got state (Adagrad's, as torch's, exists from construction)
    assert sorted(saved["state"]) == ([0, 1, 2, 3, 4] if name == "Adagrad" else [0, 1, 2, 3])
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3, 4]]
    assert saved["param_groups"][1]["lr"] == 0.003

    resumed = EMBER.params(values(first))
    opt2 = cls(groups(resumed, True, 0.5), **kwargs)  # the loaded hyperparameters replace these
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.003 and opt2.param_groups[1]["params"][0] is resumed[2]
    for key, value in opt2.state[resumed[0]].items():  # loading copies the tensors: no aliasing
        assert not isinstance(value, ember.Tensor) or value is not saved["state"][0][key]
    EMBER.train(opt2, resumed, 10)
    for a, b in zip(values(resumed), values(straight)):
        np.testing.assert_array_equal(a, b)


def test_state_dict_layout_matches_torch():
    ours, theirs = EMBER.params(), TORCH.params()
    opt = optim.Adam(groups(ours, True, 0.1), lr=0.01, amsgrad=True)
    ref = torch.optim.Adam(groups(theirs, True, 0.1), lr=0.01, amsgrad=True)
    EMBER.train(opt, ours, 3)
    TORCH.train(ref, theirs, 3)
    a, b = opt.state_dict(), ref.state_dict()
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert a["state"][k].keys() == b["state"][k].keys()
        assert a["state"][k]["step"] == float(b["state"][k]["step"])
        np.testing.assert_allclose(a["state"][k]["exp_avg"].numpy(), b["state"][k]["exp_avg"].numpy(), atol=1e-12)
    for ga, gb in zip(a["param_groups"], b["param_groups"]):
        assert ga["params"] == gb["params"]
        for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay"):
            assert ga[key] == gb[key]


@pytest.mark.parametrize("name,kwargs", [("Adadelta", dict(lr=0.5, weight_decay=0.1)),
                                         ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.2)),
                                         ("Adamax", dict(lr=0.01, betas=(0.8, 0.99)))])
def test_state_dict_of_newer_optimizers_matches_torch(name, kwargs):
    ours, theirs = EMBER.params(), TORCH.params()
    opt = getattr(optim, name)(groups(ours, True, 0.1), **kwargs)
    ref = getattr(torch.optim, name)(groups(theirs, True, 0.1), **kwargs)
    EMBER.train(opt, ours, 3)
    TORCH.train(ref, theirs, 3)
    a, b = opt.state_dict(), ref.state_dict()
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert a["state"][k].keys() == b["state"][k].keys()
        for key, value in a["state"][k].items():
            if key == "step":
                assert value == float(b["state"][k]["step"])
            else:
                np.testing.assert_allclose(value.numpy(), b["state"][k][key].numpy(), rtol=0, atol=1e-12)
    for ga, gb in zip(a["param_groups"], b["param_groups"]):
        assert ga["params"] == gb["params"]
        for key in ga:  # every hyperparameter ember keeps is torch's, with torch's value
            assert ga[key] == gb[key], key
    # torch's state dict loads into ember's optimizer and carries on as torch does
    resumed = EMBER.params(values(theirs))
    opt2 = getattr(optim, name)(groups(resumed, True, 0.1), **kwargs)
    opt2.load_state_dict({"state": {k: {n: v if n == "step" else ember.from_numpy(v.numpy().copy())
                                        for n, v in s.items()} for k, s in b["state"].items()},
                          "param_groups": b["param_groups"]})
    EMBER.train(opt2, resumed, 3)
    TORCH.train(ref, theirs, 3)
    assert_close(resumed, theirs, 1e-10)


def test_zero_grad():
    w = ember.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]  # accumulates into the zeroed gradient
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing to do
    assert w.tolist() == [1.0, 2.0]


def test_step_counts_as_an_in_place_write():
    w = ember.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()  # saves w for backward
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified"):
        loss.backward()


def test_closure_and_add_param_group():
    w = ember.tensor([3.0], dtype=F64, requires_grad=True)
    b = ember.tensor([1.0], dtype=F64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.5

    def closure():
        opt.zero_grad()
        loss = (w * w + b * b).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 10.0
    assert w.tolist() == pytest.approx([3.0 - 0.1 * 6.0]) and b.tolist() == pytest.approx([1.0 - 0.5 * 2.0])
    assert "SGD (" in repr(opt) and "Parameter Group 1" in repr(opt)


# --- schedulers ---

SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 10, 10, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=8)),
    ("OneCycleLR", dict(max_lr=[1.0, 0.2], total_steps=31)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=4, steps_per_epoch=8, anneal_strategy="linear", three_phase=True)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=[0.1, 0.3], step_size_up=4)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2",
                      base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR", dict(base_lr=0.02, max_lr=0.2, step_size_up=6, mode="exp_range", gamma=0.95, cycle_momentum=False)),
    ("CyclicLR", dict(base_lr=0.02, max_lr=0.2, step_size_up=2, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations")),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.95 ** epoch)),
    ("LambdaLR", dict(lr_lambda=[lambda epoch: 1 / (epoch + 1), lambda epoch: 0.5 + epoch % 3])),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.9 if epoch % 2 else 1.05)),
    ("ConstantLR", dict(factor=0.25, total_iters=6)),
    ("PolynomialLR", dict(total_iters=12, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=5)),
]

# schedulers built from other schedulers of the same optimizer: name -> (lambda lib, opt: kwargs)
WRAPPERS = [
    ("SequentialLR", lambda s, o: dict(schedulers=[s.LinearLR(o, start_factor=0.1, total_iters=5),
                                                   s.CosineAnnealingLR(o, T_max=10)], milestones=[5])),
    ("SequentialLR", lambda s, o: dict(schedulers=[s.ConstantLR(o, factor=0.5, total_iters=3),
                                                   s.ExponentialLR(o, gamma=0.9),
                                                   s.StepLR(o, step_size=4, gamma=0.5)], milestones=[4, 12])),
    ("ChainedScheduler", lambda s, o: dict(schedulers=[s.ConstantLR(o, factor=0.1, total_iters=2),
                                                       s.ExponentialLR(o, gamma=0.9)])),
    ("ChainedScheduler", lambda s, o: dict(schedulers=[s.LinearLR(o, start_factor=0.2, total_iters=4),
                                                       s.PolynomialLR(o, total_iters=20)])),
]


def scheduled_optimizers(adam):
    ours, theirs = EMBER.params(), TORCH.params()
    if adam:
        return (optim.Adam(groups(ours, True, 0.01), lr=0.1),
                torch.optim.Adam(groups(theirs, True, 0.01), lr=0.1))
    return (optim.SGD(groups(ours, True, 0.01), lr=0.1, momentum=0.9),
            torch.optim.SGD(groups(theirs, True, 0.01), lr=0.1, momentum=0.9))


def hyper(opt):
    out = []
    for g in opt.param_groups:
        out += [g["lr"], g.get("momentum", 0.0), *g.get("betas", ())]
    return out


@pytest.mark.parametrize("adam", [False, True], ids=["sgd", "adam"])
@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_scheduler_matches_torch(name, kwargs, adam):
    opt, ref = scheduled_optimizers(adam)
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    ref_sched = getattr(torch.optim.lr_scheduler, name)(ref, **kwargs)
    for _ in range(30):
        assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=0, abs=1e-12)
        assert hyper(opt) == pytest.approx(hyper(ref), rel=0, abs=1e-12)
        opt.step()
        ref.step()
        sched.step()
        ref_sched.step()
    assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=0, abs=1e-12)


@pytest.mark.parametrize("adam", [False, True], ids=["sgd", "adam"])
@pytest.mark.parametrize("name,make", WRAPPERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(WRAPPERS)])
def test_wrapping_scheduler_matches_torch(name, make, adam):
    opt, ref = scheduled_optimizers(adam)
    sched = getattr(optim.lr_scheduler, name)(optimizer=opt, **make(optim.lr_scheduler, opt))
    ref_sched = getattr(torch.optim.lr_scheduler, name)(optimizer=ref, **make(torch.optim.lr_scheduler, ref))
    for _ in range(30):
        assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=0, abs=1e-12)
        assert hyper(opt) == pytest.approx(hyper(ref), rel=0, abs=1e-12)
        opt.step()
        ref.step()
        sched.step()
        ref_sched.step()
    assert hyper(opt) == pytest.approx(hyper(ref), rel=0, abs=1e-12)
    state = sched.state_dict()
    assert len(state["_schedulers"]) == len(sched._schedulers) and "optimizer" not in state


@pytest.mark.parametrize("kwargs", [dict(), dict(mode="max", factor=0.5, patience=2, threshold_mode="abs",
                                                 threshold=0.01, cooldown=2, min_lr=[0.02, 0.001])])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    opt, ref = scheduled_optimizers(False)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    ref_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, **kwargs)
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.9, 0.9, 0.89, 0.9] * 4
    for i, m in enumerate(metrics):
        value = m if i % 2 else ember.tensor(m, dtype=F64)  # a 0-d tensor counts as its value
        sched.step(value)
        ref_sched.step(m)
        assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=0, abs=1e-15)
        assert (sched.num_bad_epochs, sched.cooldown_counter, sched.best) == \
            (ref_sched.num_bad_epochs, ref_sched.cooldown_counter, ref_sched.best)
    assert sched.get_last_lr() != [0.1, 0.1]  # the schedule did reduce


def test_lambda_scheduler_state_dict_keeps_callable_objects():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt, _ = scheduled_optimizers(False)
    fn = Decay()
    sched = optim.lr_scheduler.LambdaLR(opt, [fn, lambda e: 1.0])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}, None]
    fn.rate = 0.1
    sched.load_state_dict(saved)
    assert fn.rate == 0.5 and "lr_lambdas" in saved


def test_scheduler_state_dict_resumes():
    opt, _ = scheduled_optimizers(False)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)
    for _ in range(5):
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 5
    expected = []
    for _ in range(5):
        sched.step()
        expected.append(sched.get_last_lr())

    opt2, _ = scheduled_optimizers(False)
    opt2.load_state_dict(opt.state_dict())
    for g, lr in zip(opt2.param_groups, saved["_last_lr"]):
        g["lr"] = lr
    sched2 = optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=12)
    sched2.load_state_dict(saved)
    for lr in expected:
        sched2.step()
        assert sched2.get_last_lr() == lr


# --- errors ---


def test_constructor_errors():
    w = ember.tensor([1.0], dtype=F64, requires_grad=True)
    with raises(ValueError, r"^\[SGD\] optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)
    with raises(ValueError, r"^\[Adam\] optimizer got an empty parameter list$"):
        optim.Adam(iter([]))
    with raises(ValueError, r"^\[SGD\] invalid learning rate: -0.1$"):
        optim.SGD([w], lr=-0.1)
    with raises(ValueError, r"invalid learning rate: -1"):
        optim.SGD([{"params": [w], "lr": -1.0}], lr=0.1)
    with raises(ValueError, r"^\[SGD\] Nesterov momentum requires a momentum and zero dampening$"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with raises(ValueError, r"^\[Adam\] invalid beta parameter at index 1: 1.0"):
        optim.Adam([w], betas=(0.9, 1.0))
    with raises(ValueError, r"^\[AdamW\] invalid beta parameter at index 0: -0.1"):
        optim.AdamW([w], betas=(-0.1, 0.9))
    with raises(ValueError, r"invalid epsilon value"):
        optim.Adam([w], eps=-1e-8)
    with raises(ValueError, r"^\[RMSprop\] invalid alpha value: -0.5$"):
        optim.RMSprop([w], alpha=-0.5)
    with raises(ValueError, r"invalid momentum value"):
        optim.RMSprop([w], momentum=-0.5)
    with raises(TypeError, r"iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with raises(ValueError, r"appear more than once"):
        optim.SGD([w, w], lr=0.1)
    with raises(TypeError, r"parameter 1 is a float"):
        optim.SGD([w, 1.0], lr=0.1)
    with raises(TypeError, r"parameter 0 has dtype .*int64"):
        optim.SGD([ember.tensor([1, 2])], lr=0.1)


def test_newer_optimizers_constructor_errors():
    w = ember.tensor([1.0], dtype=F64, requires_grad=True)
    with raises(ValueError, r"^\[Adadelta\] invalid learning rate: -1.0$"):
        optim.Adadelta([w], lr=-1.0)
    with raises(ValueError, r"^\[Adadelta\] invalid rho value: 1.5$"):
        optim.Adadelta([w], rho=1.5)
    with raises(ValueError, r"^\[Adadelta\] invalid epsilon value: -1e-06$"):
        optim.Adadelta([w], eps=-1e-6)
    with raises(ValueError, r"^\[Adadelta\] invalid weight_decay value: -0.1$"):
        optim.Adadelta([w], weight_decay=-0.1)
    with raises(ValueError, r"^\[Adagrad\] invalid lr_decay value: -0.1$"):
        optim.Adagrad([w], lr_decay=-0.1)
    with raises(ValueError, r"^\[Adagrad\] invalid initial_accumulator_value value: -1.0$"):
        optim.Adagrad([w], initial_accumulator_value=-1.0)
    with raises(ValueError, r"^\[Adagrad\] invalid epsilon value: -1.0$"):
        optim.Adagrad([w], eps=-1.0)
    with raises(ValueError, r"^\[Adagrad\] invalid learning rate: -2.0$"):
        optim.Adagrad([{"params": [w], "lr": -2.0}])
    with raises(ValueError, r"^\[Adamax\] invalid beta parameter at index 1: 1.0 \(must be in \[0, 1\)\)$"):
        optim.Adamax([w], betas=(0.9, 1.0))
    with raises(ValueError, r"^\[Adamax\] invalid beta parameter at index 0: -0.1"):
        optim.Adamax([w], betas=(-0.1, 0.9))
    with raises(ValueError, r"^\[Adamax\] invalid weight_decay value: -1.0$"):
        optim.Adamax([w], weight_decay=-1.0)
    # torch's execution options: the default (or False) is ember's path; anything else is refused by name
    optim.Adadelta([w], foreach=False, capturable=False, differentiable=False)
    optim.Adagrad([w], foreach=None, fused=False)
    with raises(NotImplementedError, r"^\[Adadelta\] foreach=True is not supported"):
        optim.Adadelta([w], foreach=True)
    with raises(NotImplementedError, r"^\[Adadelta\] capturable=True is not supported"):
        optim.Adadelta([w], capturable=True)
    with raises(NotImplementedError, r"^\[Adagrad\] fused=True is not supported"):
        optim.Adagrad([w], fused=True)
    with raises(NotImplementedError, r"^\[Adagrad\] differentiable=True is not supported"):
        optim.Adagrad([w], differentiable=True)
    with raises(NotImplementedError, r"^\[Adamax\] capturable=True is not supported"):
        optim.Adamax([w], capturable=True)
    with pytest.raises(TypeError, match="amsgrad"):  # Python's own error: torch's Adamax has no such option
        optim.Adamax([w], amsgrad=True)
    # nanoGPT-style: AdamW(..., fused=False) where 'fused' is in the signature; the others as torch names them
    optim.AdamW([w], fused=False, foreach=None)
    optim.SGD([w], lr=0.1, foreach=False, fused=None, differentiable=False)
    optim.RMSprop([w], capturable=False, foreach=None)
    with raises(NotImplementedError, r"^\[AdamW\] fused=True is not supported"):
        optim.AdamW([w], fused=True)
    with raises(NotImplementedError, r"^\[SGD\] foreach=True is not supported"):
        optim.SGD([w], lr=0.1, foreach=True)
    with raises(NotImplementedError, r"^\[RMSprop\] capturable=True is not supported"):
        optim.RMSprop([w], capturable=True)
    with raises(ValueError, r"^\[NAdam\] invalid momentum_decay value: -0.5$"):
        optim.NAdam([w], momentum_decay=-0.5)
    with raises(ValueError, r"^\[RAdam\] invalid beta parameter at index 1: 1.0"):
        optim.RAdam([w], betas=(0.9, 1.0))
    with raises(NotImplementedError, r"^\[NAdam\] foreach=True is not supported"):
        optim.NAdam([w], foreach=True)
    with raises(NotImplementedError, r"^\[RAdam\] differentiable=True is not supported"):
        optim.RAdam([w], differentiable=True)


def test_adagrad_parameter_added_later_starts_from_its_groups_accumulator():
    ours, theirs = EMBER.params(), TORCH.params()
    opt = optim.Adagrad(ours[:2], lr=0.05, initial_accumulator_value=0.1)
    opt.add_param_group({"params": ours[2:4], "initial_accumulator_value": 0.3})
    ref = torch.optim.Adagrad(theirs[:2], lr=0.05, initial_accumulator_value=0.1)
    ref.add_param_group({"params": theirs[2:4], "initial_accumulator_value": 0.3})
    for p in theirs[2:4]:  # torch has no state for them (its step would fail): the state ember gives them
        ref.state[p] = {"step": torch.tensor(0.0), "sum": torch.full_like(p, 0.3).detach()}
    EMBER.train(opt, ours, 5)
    TORCH.train(ref, theirs, 5)
    assert_close(ours[:4], theirs[:4], 1e-10)


def test_non_leaf_parameter_is_refused():
    w = ember.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    b = ember.tensor([1.0], dtype=F64, requires_grad=True)
    with raises(ValueError, r"^\[SGD\] parameter 2 \(shape \(2,\)\) is not a leaf tensor"):
        optim.SGD([{"params": [b]}, {"params": [w, w * 2.0]}], lr=0.1)


def test_load_state_dict_mismatch():
    a, b = EMBER.params(), EMBER.params()
    opt = optim.Adam(groups(a, True, 0.1), lr=0.01)
    EMBER.train(opt, a, 2)
    saved = opt.state_dict()
    with raises(ValueError, r"loaded state dict has 2 parameter groups but the optimizer has 1"):
        optim.Adam(b, lr=0.01).load_state_dict(saved)
    with raises(ValueError, r"loaded parameter group 1 has 3 parameters but the optimizer's group 1 has 2"):
        optim.Adam([{"params": b[:2]}, {"params": b[2:4]}], lr=0.01).load_state_dict(saved)
    other = optim.Adam(groups(b, True, 0.1), lr=0.01)
    wrong = {"state": {0: dict(saved["state"][2])}, "param_groups": saved["param_groups"]}
    with raises(ValueError, r"state 'exp_avg' of parameter 0 has shape \(4, 1\) but the parameter has shape \(3, 4\)"):
        other.load_state_dict(wrong)
    with raises(ValueError, r"expected a dict with 'state' and 'param_groups'"):
        other.load_state_dict({"state": {}})
    unknown = {"state": {9: {}}, "param_groups": saved["param_groups"]}
    with raises(ValueError, r"parameter 9, which no group lists"):
        other.load_state_dict(unknown)


def test_scheduler_errors():
    opt, _ = scheduled_optimizers(False)
    with raises(TypeError, r"list is not an Optimizer"):
        optim.lr_scheduler.StepLR([], step_size=2)
    with raises(ValueError, r"start_factor must be in \(0, 1\]"):
        optim.lr_scheduler.LinearLR(opt, start_factor=0.0)
    with raises(ValueError, r"give either total_steps or both epochs and steps_per_epoch"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with raises(ValueError, r"expected 2 values for max_lr, got 3"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    sched.step()
    sched.step()
    with raises(ValueError, r"tried to step 3 times; total_steps is 2"):
        sched.step()
    with raises(ValueError, r"expected 2 lr_lambdas, got 3"):
        optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0] * 3)
    with raises(TypeError, r"lr_lambda should be a function, got float"):
        optim.lr_scheduler.MultiplicativeLR(opt, 0.5)
    with raises(ValueError, r"\[ConstantLR\] factor must be in \[0, 1\], got 2"):
        optim.lr_scheduler.ConstantLR(opt, factor=2)
    with raises(ValueError, r"expected a positive integer T_0, got 0"):
        optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with raises(ValueError, r"factor must be < 1.0, got 1.5"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with raises(ValueError, r"mode must be 'min' or 'max', got 'up'"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, mode="up")
    with raises(ValueError, r"one milestone fewer than schedulers, got 2 schedulers and 2 milestones"):
        optim.lr_scheduler.SequentialLR(opt, [optim.lr_scheduler.StepLR(opt, 2), optim.lr_scheduler.StepLR(opt, 3)],
                                        milestones=[1, 2])
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt)
    with raises(ValueError, r"does not support ReduceLROnPlateau"):
        optim.lr_scheduler.ChainedScheduler([plateau])
    other, _ = scheduled_optimizers(False)
    with raises(ValueError, r"expects all schedulers to belong to the same optimizer"):
        optim.lr_scheduler.SequentialLR(opt, [optim.lr_scheduler.StepLR(other, 2)], milestones=[])


@pytest.mark.parametrize("n", [10, 200_000])  # the loop on the calling thread, and on OpenMP threads
def test_denormal_state_counts_as_zero_and_the_callers_mode_is_restored(n):
    # Updates flush denormals (they would cost a microcode assist per operation): Adam's exp_avg_sq of
    # gradients ~1e-20 underflows to 0 instead of to a denormal, which changes no parameter.
    p = ember.ones(n, dtype=F32).requires_grad_()
    opt = optim.Adam([p], lr=1e-3)
    p.grad = ember.full((n,), 1e-20, dtype=F32)
    opt.step()
    v = opt.state_dict()["state"][0]["exp_avg_sq"].numpy()
    assert np.all(v == 0)  # g * g = 1e-40 is a denormal: flushed
    # The step is lr / 0.1 * m / (sqrt(v / 0.001) + eps) = 1e-2 * 1e-21 / 1e-8 either way: p stays 1.
    np.testing.assert_array_equal(p.detach().numpy(), np.ones(n, np.float32))
    # The caller's floating-point mode is untouched: denormals still come out of arithmetic here.
    assert np.float32(1e-38) / np.float32(10) != 0
    assert (ember.full((4,), 1e-38, dtype=F32) / 10).numpy()[0] != 0


@pytest.mark.parametrize("name", ["Adam", "RMSprop"])
def test_overflowing_square_gives_torch_step_not_nan(name):
    # A float32 gradient of 1e20 squares past float's range (Adam's v is inf; RMSprop's square_avg just
    # below it): the square root must be inf or exact (an approximate one gives NaN for inf), so the
    # update is torch's, finite, for every one of 20000 elements (blocked and threaded).
    start = np.linspace(-1, 1, 20000, dtype=np.float32)
    grad = np.full(20000, 1e20, dtype=np.float32)
    ours = ember.from_numpy(start.copy()).requires_grad_()
    theirs = torch.from_numpy(start.copy()).requires_grad_()
    opt, ref = getattr(optim, name)([ours], lr=0.01), getattr(torch.optim, name)([theirs], lr=0.01)
    ours.grad, theirs.grad = ember.from_numpy(grad.copy()), torch.from_numpy(grad.copy())
    opt.step()
    ref.step()
    assert np.isfinite(ours.detach().numpy()).all()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-6)


# --- L-BFGS (closure-driven; torch's float64 arithmetic, so the runs agree to rounding) ---


def _rosenbrock(lib, w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


@pytest.mark.parametrize("kwargs", [dict(), dict(line_search_fn="strong_wolfe"), dict(history_size=3, max_iter=7),
                                    dict(lr=0.5, line_search_fn="strong_wolfe", tolerance_change=1e-12)])
def test_lbfgs_matches_torch_on_rosenbrock_and_least_squares(kwargs):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    for lib, opt_cls in ((ember, optim.LBFGS), (torch, torch.optim.LBFGS)):
        w = lib.tensor([-1.5, 2.0], dtype=lib.float64, requires_grad=True)
        x = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        c = lib.zeros(1, dtype=lib.float64, requires_grad=True)
        am, bm = lib.tensor(a, dtype=lib.float64), lib.tensor(b, dtype=lib.float64)
        opt = opt_cls([w, x, c], **kwargs)
        losses = []

        def closure():
            opt.zero_grad()
            loss = _rosenbrock(lib, w) + ((am @ x + c - bm) ** 2).sum()
            loss.backward()
            return loss

        for _ in range(4):
            losses.append(float(opt.step(closure).detach()))
        if lib is ember:
            ours = ([t.detach().numpy().copy() for t in (w, x, c)], losses, opt.state[w]["func_evals"],
                    opt.state[w]["n_iter"])
        else:
            theirs = ([t.detach().numpy().copy() for t in (w, x, c)], losses, opt.state[w]["func_evals"],
                      opt.state[w]["n_iter"])
    # the line search and Rosenbrock's valley amplify the order of a dot product's sum: 1e-7, not 1e-12
    for o, t in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(o, t, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-7)
    assert ours[2:] == theirs[2:]
    assert ours[1][-1] < ours[1][0]


def test_lbfgs_errors():
    w = ember.tensor([1.0], dtype=F64, requires_grad=True)
    b = ember.tensor([1.0], dtype=F64, requires_grad=True)
    with raises(ValueError, r"\[LBFGS\] LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [b]}])
    with raises(ValueError, r"only line_search_fn='strong_wolfe' or None is supported, got 'armijo'"):
        optim.LBFGS([w], line_search_fn="armijo")
    with raises(ValueError, r"invalid learning rate: -1"):
        optim.LBFGS([w], lr=-1)
    with raises(ValueError, r"needs a closure"):
        optim.LBFGS([w]).step(None)
