"""RNN, LSTM, GRU and the cells against PyTorch with the same weights (a torch state_dict loaded into ember):
outputs, final states and gradients in float64 and float32, every option (layers, bidirectional,
batch_first, bias, initial states, unbatched input), packed sequences, finite-difference gradchecks,
reprs and error messages; and ember.nn.utils.rnn against torch.nn.utils.rnn."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import rnn as ru

torch = pytest.importorskip("torch")
tru = torch.nn.utils.rnn

DTYPES = {"float64": (ember.float64, torch.float64, 1e-10), "float32": (ember.float32, torch.float32, 2e-5)}
LAYERS = {"LSTM": ("LSTM", {}), "GRU": ("GRU", {}), "RNN_TANH": ("RNN", {}),
          "RNN_RELU": ("RNN", {"nonlinearity": "relu"})}
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False, "num_layers": 2},
]


def E(t, requires_grad=False):
    """An ember copy of a torch tensor."""
    e = ember.tensor(t.detach().numpy().copy())
    return e.requires_grad_() if requires_grad else e


def close(got, want, tol, what=""):
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=tol, atol=tol, err_msg=what)


def pair(kind, dtype, I=4, H=5, **cfg):
    """(torch layer, ember layer with the torch layer's state_dict)."""
    name, extra = LAYERS[kind]
    edt, tdt, _ = DTYPES[dtype]
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(I, H, **extra, **cfg).to(tdt)
    em = getattr(nn, name)(I, H, **extra, **cfg, dtype=edt)
    em.load_state_dict({k: E(v) for k, v in tm.state_dict().items()})
    return tm, em


def run_both(tm, em, x, hx, lstm):
    """Outputs (output, h_n[, c_n]) of both layers, as flat lists."""
    ex = E(x, True)
    if lstm:
        eh = None if hx is None else (E(hx[0], True), E(hx[1], True))
        to, (th, tc) = tm(x, hx)
        eo, (eh_n, ec_n) = em(ex, eh)
        return ex, eh, [to, th, tc], [eo, eh_n, ec_n]
    eh = None if hx is None else E(hx, True)
    to, th = tm(x, hx)
    eo, eh_n = em(ex, eh)
    return ex, eh, [to, th], [eo, eh_n]


def backward_both(touts, eouts):
    g = torch.Generator().manual_seed(1)
    tl, el = 0, 0
    for t, e in zip(touts, eouts):
        w = torch.randn(t.shape, generator=g, dtype=t.dtype)
        tl = tl + (t * w).sum()
        el = el + (e * E(w)).sum()
    tl.backward()
    el.backward()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "h0"])
def test_layer_matches_torch(kind, cfg, dtype, with_state):
    tol = DTYPES[dtype][2]
    tm, em = pair(kind, dtype, **cfg)
    lstm = kind == "LSTM"
    T, B, D, L = 6, 3, 2 if cfg.get("bidirectional") else 1, cfg.get("num_layers", 1)
    shape = (B, T, 4) if cfg.get("batch_first") else (T, B, 4)
    x = torch.randn(shape, dtype=DTYPES[dtype][1], requires_grad=True)
    hx = None
    if with_state:
        mk = lambda: torch.randn(L * D, B, 5, dtype=DTYPES[dtype][1], requires_grad=True)  # noqa: E731
        hx = (mk(), mk()) if lstm else mk()
    ex, eh, touts, eouts = run_both(tm, em, x, hx, lstm)
    for i, (t, e) in enumerate(zip(touts, eouts)):
        assert tuple(e.shape) == tuple(t.shape)
        close(e, t, tol, f"output {i}")
    backward_both(touts, eouts)
    close(ex.grad, x.grad, tol * 10, "grad x")
    if with_state:
        for e, t in (zip(eh, hx) if lstm else [(eh, hx)]):
            close(e.grad, t.grad, tol * 10, "grad h0")
    tp = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        close(p.grad, tp[name].grad, tol * 10, f"grad {name}")


@pytest.mark.parametrize("kind", LAYERS)
def test_unbatched_input(kind):
    tm, em = pair(kind, "float64", num_layers=2, bidirectional=True)
    lstm = kind == "LSTM"
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    h = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    hx = (h, torch.randn(4, 5, dtype=torch.float64)) if lstm else h
    ex, eh, touts, eouts = run_both(tm, em, x, hx, lstm)
    for t, e in zip(touts, eouts):
        close(e, t, 1e-10)
    backward_both(touts, eouts)
    close(ex.grad, x.grad, 1e-9)


def test_torch_lstm_state_dict_loads_and_matches():
    torch.manual_seed(3)
    tm = torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)
    em = nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)
    assert sorted(em.state_dict()) == sorted(tm.state_dict())
    for k, v in em.state_dict().items():
        assert tuple(v.shape) == tuple(tm.state_dict()[k].shape), k
    result = em.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    x = torch.randn(4, 7, 8)
    to, (th, tc) = tm(x)
    eo, (eh, ec) = em(E(x))
    close(eo, to, 2e-5)
    close(eh, th, 2e-5)
    close(ec, tc, 2e-5)


def test_init_and_parameter_layout():
    em = nn.GRU(3, 10, num_layers=2, bidirectional=True)
    names = [n for n, _ in em.named_parameters()]
    tm = torch.nn.GRU(3, 10, num_layers=2, bidirectional=True)
    assert names == [n for n, _ in tm.named_parameters()]
    k = 1 / np.sqrt(10)
    for _, p in em.named_parameters():
        a = p.detach().numpy()
        assert a.min() >= -k and a.max() <= k and a.std() > k / 4
    assert em.weight_ih_l1.shape == (30, 20)
    assert len(em.all_weights) == 4 and len(em.all_weights[0]) == 4
    em.flatten_parameters()


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_packed_sequence_matches_torch(kind, dtype):
    tol = DTYPES[dtype][2]
    tm, em = pair(kind, dtype, num_layers=2, bidirectional=True)
    lstm = kind == "LSTM"
    lengths = [3, 6, 2, 5]
    x = torch.randn(6, 4, 4, dtype=DTYPES[dtype][1], requires_grad=True)
    h = torch.randn(4, 4, 5, dtype=DTYPES[dtype][1], requires_grad=True)
    hx = (h, torch.randn(4, 4, 5, dtype=DTYPES[dtype][1])) if lstm else h
    tp = tru.pack_padded_sequence(x, lengths, enforce_sorted=False)
    ex = E(x, True)
    ep = ru.pack_padded_sequence(ex, lengths, enforce_sorted=False)
    close(ep.data, tp.data, 0)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.sorted_indices.tolist() == tp.sorted_indices.tolist()
    assert ep.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    if lstm:
        to, (th, tc) = tm(tp, hx)
        eo, (eh, ec) = em(ep, (E(h, True), E(hx[1])))
        touts, eouts = [th, tc], [eh, ec]
    else:
        to, th = tm(tp, hx)
        eo, eh = em(ep, E(h, True))
        touts, eouts = [th], [eh]
    assert isinstance(eo, ru.PackedSequence)
    tpad, tlen = tru.pad_packed_sequence(to, batch_first=True)
    epad, elen = ru.pad_packed_sequence(eo, batch_first=True)
    assert elen.tolist() == tlen.tolist() == lengths
    for t, e in zip([tpad] + touts, [epad] + eouts):
        close(e, t, tol)
    backward_both([tpad] + touts, [epad] + eouts)
    close(ex.grad, x.grad, tol * 10, "grad x")
    tparams = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        close(p.grad, tparams[name].grad, tol * 10, f"grad {name}")


def test_pack_pad_utilities_match_torch():
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in (4, 2, 5)]
    eseqs = [E(s) for s in seqs]
    for bf in (False, True):
        for side in ("right", "left"):
            close(ru.pad_sequence(eseqs, batch_first=bf, padding_value=-1.0, padding_side=side),
                  tru.pad_sequence(seqs, batch_first=bf, padding_value=-1.0, padding_side=side), 0)
    tp = tru.pack_sequence(seqs, enforce_sorted=False)
    ep = ru.pack_sequence(eseqs, enforce_sorted=False)
    close(ep.data, tp.data, 0)
    tpad, _ = tru.pad_packed_sequence(tp, padding_value=7.0, total_length=8)
    epad, _ = ru.pad_packed_sequence(ep, padding_value=7.0, total_length=8)
    close(epad, tpad, 0)
    for e, t in zip(ru.unpack_sequence(ep), seqs):
        close(e, t, 0)
    # batch_first packing, sorted lengths
    x = torch.randn(3, 5, 2, dtype=torch.float64)
    tp = tru.pack_padded_sequence(x, torch.tensor([5, 3, 1]), batch_first=True)
    ep = ru.pack_padded_sequence(E(x), ember.tensor([5, 3, 1]), batch_first=True)
    close(ep.data, tp.data, 0)
    assert ep.sorted_indices is None and ep.unsorted_indices is None
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    with pytest.raises(ValueError, match="total_length"):
        ru.pad_packed_sequence(ep, total_length=2)


def test_pack_errors():
    x = ember.zeros((5, 3, 2))
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        ru.pack_padded_sequence(x, [2, 5, 1])
    with pytest.raises(ValueError, match="greater than 0"):
        ru.pack_padded_sequence(x, [5, 2, 0])
    with pytest.raises(ValueError, match="exceeds"):
        ru.pack_padded_sequence(x, [6, 2, 1])
    with pytest.raises(ValueError, match="batch_size"):
        ru.pack_padded_sequence(x, [5, 2])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["RNNCell", "RNNCell-relu", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, dtype, batched):
    edt, tdt, tol = DTYPES[dtype]
    cls, extra = (name.split("-")[0], {"nonlinearity": "relu"}) if "relu" in name else (name, {})
    for bias in (True, False):
        torch.manual_seed(0)
        tm = getattr(torch.nn, cls)(4, 5, bias=bias, **extra).to(tdt)
        em = getattr(nn, cls)(4, 5, bias=bias, **extra, dtype=edt)
        em.load_state_dict({k: E(v) for k, v in tm.state_dict().items()})
        shape = (3, 4) if batched else (4,)
        x = torch.randn(shape, dtype=tdt, requires_grad=True)
        h = torch.randn(shape[:-1] + (5,), dtype=tdt, requires_grad=True)
        ex, eh = E(x, True), E(h, True)
        if cls == "LSTMCell":
            c = torch.randn(shape[:-1] + (5,), dtype=tdt)
            touts, eouts = list(tm(x, (h, c))), list(em(ex, (eh, E(c))))
            close(em(ex)[1], tm(x)[1], tol)  # zero states
        else:
            touts, eouts = [tm(x, h)], [em(ex, eh)]
            close(em(ex), tm(x), tol)
        for t, e in zip(touts, eouts):
            close(e, t, tol)
        backward_both(touts, eouts)
        close(ex.grad, x.grad, tol * 10)
        close(eh.grad, h.grad, tol * 10)
        tparams = dict(tm.named_parameters())
        for n, p in em.named_parameters():
            close(p.grad, tparams[n].grad, tol * 10, n)


def _leaf(*shape, seed=0):
    return ember.from_numpy(np.random.default_rng(seed).standard_normal(shape)).requires_grad_()


@pytest.mark.parametrize("cell", ["_rnn_tanh_cell", "_gru_cell", "_lstm_cell"])
def test_cell_gradcheck(cell):
    G = {"_rnn_tanh_cell": 1, "_gru_cell": 3, "_lstm_cell": 4}[cell]
    x, h, c = _leaf(2, 3, seed=1), _leaf(2, 4, seed=2), _leaf(2, 4, seed=3)
    w = [_leaf(G * 4, 3, seed=4), _leaf(G * 4, 4, seed=5), _leaf(G * 4, seed=6), _leaf(G * 4, seed=7)]
    f = getattr(ember._core, cell)
    if cell == "_lstm_cell":
        assert ember.autograd.gradcheck(lambda *a: f(*a), [x, h, c, *w])
    else:
        assert ember.autograd.gradcheck(lambda *a: f(*a), [x, h, *w])


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_layer_gradcheck(mode):
    G = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1}[mode]
    x, h, c = _leaf(3, 2, 2, seed=1), _leaf(2, 2, 3, seed=2), _leaf(2, 2, 3, seed=3)
    w = [_leaf(G * 3, 2, seed=4), _leaf(G * 3, 3, seed=5), _leaf(G * 3, seed=6), _leaf(G * 3, seed=7),
         _leaf(G * 3, 2, seed=8), _leaf(G * 3, 3, seed=9), _leaf(G * 3, seed=10), _leaf(G * 3, seed=11)]

    def f(x, h, c, *w):
        out, hn, cn = ember._core._rnn(mode, x, h, c if mode == "LSTM" else None, list(w), True, 1, 0.0, True, True,
                                       False)
        return (out, hn, cn) if mode == "LSTM" else (out, hn)

    assert ember.autograd.gradcheck(f, [x, h, c, *w])


def test_packed_gradcheck():
    x, h = _leaf(6, 2, seed=1), _leaf(1, 3, 3, seed=2)
    w = [_leaf(9, 2, seed=4), _leaf(9, 3, seed=5), _leaf(9, seed=6), _leaf(9, seed=7)]

    def f(x, h, *w):
        out, hn, _ = ember._core._rnn_packed("GRU", x, [3, 2, 1], h, None, list(w), True, 1, 0.0, True, False)
        return out, hn

    assert ember.autograd.gradcheck(f, [x, h, *w])


def test_dropout_between_layers():
    em = nn.LSTM(4, 5, num_layers=2, dropout=0.5)
    x = ember.randn((6, 3, 4))
    em.eval()
    a = em(x)[0].numpy()
    assert np.array_equal(a, em(x)[0].numpy())
    em.train()
    ember.manual_seed(1)
    b = em(x)[0].numpy()
    ember.manual_seed(1)
    assert np.array_equal(b, em(x)[0].numpy())
    assert not np.allclose(a, b)
    with pytest.warns(UserWarning, match="dropout"):
        nn.GRU(4, 5, dropout=0.2)


@pytest.mark.parametrize("make", [
    lambda m: m.LSTM(4, 8), lambda m: m.LSTM(4, 8, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True),
    lambda m: m.GRU(4, 8, bias=False), lambda m: m.RNN(4, 8, nonlinearity="relu"),
    lambda m: m.RNNCell(3, 2, nonlinearity="relu"), lambda m: m.LSTMCell(3, 2, bias=False), lambda m: m.GRUCell(3, 2),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_errors():
    lstm = nn.LSTM(4, 8, num_layers=2)
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(ember.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size. Expected 4, got 5"):
        lstm(ember.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"Expected hidden\[0\] size \(2, 3, 8\), got \[1, 3, 8\]"):
        lstm(ember.zeros((2, 3, 4)), (ember.zeros((1, 3, 8)), ember.zeros((2, 3, 8))))
    with pytest.raises(ValueError, match=r"Expected hidden\[1\] size"):
        lstm(ember.zeros((2, 3, 4)), (ember.zeros((2, 3, 8)), ember.zeros((2, 2, 8))))
    with pytest.raises(ValueError, match="hx and cx should also be 3-D"):
        lstm(ember.zeros((2, 3, 4)), (ember.zeros((2, 8)), ember.zeros((2, 8))))
    gru = nn.GRU(4, 8)
    with pytest.raises(ValueError, match=r"Expected hidden size \(1, 3, 8\), got \[1, 2, 8\]"):
        gru(ember.zeros((2, 3, 4)), ember.zeros((1, 2, 8)))
    with pytest.raises(ValueError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        gru(ember.zeros((2, 4)), ember.zeros((1, 1, 8)))
    with pytest.raises(TypeError):
        gru(ember.zeros((2, 3, 4), dtype=ember.float64))
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(4, 8, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(4, 8, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(4, 8, dropout=1.5)
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D"):
        nn.GRUCell(4, 8)(ember.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="inconsistent input_size"):
        nn.LSTMCell(4, 8)(ember.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-increasing"):
        ember._core._rnn_packed("GRU", ember.zeros((4, 4)), [1, 3], None, None, gru._flat_weights, True, 1, 0.0,
                                False, False)


def test_export_records_recurrent_layers(tmp_path):
    # the recurrent layers export as one node each (every configuration: tests/python/test_deploy_rnn.py)
    graph = ember.deploy.export(nn.LSTM(4, 3), ember.zeros((5, 2, 4)), tmp_path / "lstm.ember")
    assert [n.op for n in graph.nodes].count("rnn") == 1
