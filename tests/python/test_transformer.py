"""nn.Transformer and its encoder/decoder layers against PyTorch: the same weights (PyTorch's state_dict
loaded into ember's), the same inputs and masks, then outputs and gradients in float64; causal-mask
detection; options; errors. The C++ twins are compared by the layer parity cases."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")

F64 = ember.float64


def copy_weights(ours, theirs):
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    assert set(ours.state_dict()) == set(theirs.state_dict())


def pair(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    return ember.tensor(x, dtype=F64, requires_grad=True), torch.tensor(x, requires_grad=True)


def mask_pair(mask):
    return (None, None) if mask is None else (ember.tensor(mask), torch.tensor(mask))


def check(ours, theirs, inputs, tol=1e-10):
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(9).standard_normal(tuple(theirs.shape))
    ours.backward(ember.tensor(g, dtype=F64))
    theirs.backward(torch.tensor(g))
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)


def causal(n, kind):
    if kind == "bool":
        return np.triu(np.ones((n, n), dtype=bool), 1)
    return np.triu(np.full((n, n), -np.inf), 1)


ENCODER_CASES = [
    dict(),
    dict(norm_first=True),
    dict(batch_first=True, activation="gelu"),
    dict(bias=False, layer_norm_eps=1e-3),
    dict(activation=ember.nn.functional.gelu, norm_first=True, batch_first=True),
]


@pytest.mark.parametrize("opts", ENCODER_CASES, ids=[str(o) for o in ENCODER_CASES])
@pytest.mark.parametrize("mask", [None, "bool", "float"])
def test_encoder_layer_matches_torch(opts, mask):
    torch_opts = dict(opts)
    if callable(opts.get("activation")):
        torch_opts["activation"] = torch.nn.functional.gelu
    ours = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=F64, **opts)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64, **torch_opts)
    copy_weights(ours, theirs)
    x, tx = pair((2, 5, 8) if opts.get("batch_first") else (5, 2, 8), 0)
    m, tm = mask_pair(None if mask is None else causal(5, mask))
    padding = np.zeros((2, 5), dtype=bool)
    padding[1, 3:] = True
    kp, tkp = mask_pair(padding)
    check(ours(x, src_mask=m, src_key_padding_mask=kp), theirs(tx, src_mask=tm, src_key_padding_mask=tkp), [(x, tx)])


@pytest.mark.parametrize("opts", [dict(), dict(norm_first=True, batch_first=True, activation="gelu")])
def test_decoder_layer_matches_torch(opts):
    ours = nn.TransformerDecoderLayer(8, 4, 12, dropout=0.0, dtype=F64, **opts)
    theirs = torch.nn.TransformerDecoderLayer(8, 4, 12, dropout=0.0, dtype=torch.float64, **opts)
    copy_weights(ours, theirs)
    tgt, ttgt = pair((3, 4, 8), 1)
    mem, tmem = pair((3, 6, 8), 2)
    m, tm = mask_pair(causal(4, "float"))
    mp = np.zeros((3, 6), dtype=bool)
    mp[0, 4:] = True
    kp, tkp = mask_pair(mp)
    if not opts.get("batch_first"):
        tgt, ttgt = pair((4, 3, 8), 1)
        mem, tmem = pair((6, 3, 8), 2)
    check(ours(tgt, mem, tgt_mask=m, memory_key_padding_mask=kp, tgt_is_causal=True),
          theirs(ttgt, tmem, tgt_mask=tm, memory_key_padding_mask=tkp, tgt_is_causal=True), [(tgt, ttgt), (mem, tmem)])


def test_encoder_stack_and_transformer_match_torch():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=F64)
    ours = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8, dtype=F64))
    tlayer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64)
    theirs = torch.nn.TransformerEncoder(tlayer, 3, norm=torch.nn.LayerNorm(8, dtype=torch.float64),
                                         enable_nested_tensor=False)
    copy_weights(ours, theirs)
    assert ours.layers[0].self_attn.in_proj_weight is not ours.layers[1].self_attn.in_proj_weight  # copies
    x, tx = pair((6, 2, 8), 3)
    mask = nn.Transformer.generate_square_subsequent_mask(6, dtype=F64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
    np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    check(ours(x, mask=mask), theirs(tx, mask=tmask), [(x, tx)])

    model = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=True, dtype=F64)
    tmodel = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=True, dtype=torch.float64)
    copy_weights(model, tmodel)
    src, tsrc = pair((2, 7, 8), 4)
    tgt, ttgt = pair((2, 5, 8), 5)
    tm = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    check(model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=F64)),
          tmodel(tsrc, ttgt, tgt_mask=tm), [(src, tsrc), (tgt, ttgt)])


def test_transformer_init_and_eval_mode_in_float32():
    ember.manual_seed(0)
    model = nn.Transformer(16, 4, 1, 1, 32)
    w = model.encoder.layers[0].linear1.weight.numpy()
    bound = np.sqrt(6 / (16 + 32))  # xavier_uniform_ over every matrix
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    tmodel = torch.nn.Transformer(16, 4, 1, 1, 32)
    copy_weights(model, tmodel)
    model.eval(), tmodel.eval()
    src, tgt = np.random.default_rng(0).standard_normal((2, 9, 3, 16)).astype(np.float32)
    with ember.no_grad():
        out = model(ember.tensor(src), ember.tensor(tgt[:4]))
    with torch.no_grad():
        ref = tmodel(torch.tensor(src), torch.tensor(tgt[:4]))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)


def test_causal_detection_and_dropout_in_training():
    assert ember._core._detect_is_causal_mask(nn.Transformer.generate_square_subsequent_mask(4), None, None)
    assert ember._core._detect_is_causal_mask(ember.tensor(causal(4, "bool")), None, None)
    assert not ember._core._detect_is_causal_mask(ember.zeros(4, 4), None, None)
    assert not ember._core._detect_is_causal_mask(None, None, None)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ember.randn(4, 2, 8)
    layer.train()
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_errors():
    with pytest.raises(ValueError, match=r"\[TransformerEncoderLayer\] activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"embed_dim 8 must be divisible by num_heads 3"):
        nn.TransformerDecoderLayer(8, 3)
    with pytest.raises(ValueError, match=r"d_model, nhead and dim_feedforward must be positive, got 8, 2 and 0"):
        nn.TransformerEncoderLayer(8, 2, 0)
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(ValueError, match=r"the batch number of src and tgt must be equal, got shapes \(5, 2, 8\) "
                                         r"and \(4, 3, 8\)"):
        model(ember.randn(5, 2, 8), ember.randn(4, 3, 8))
    with pytest.raises(ValueError, match=r"must be equal to d_model 8"):
        model(ember.randn(5, 2, 6), ember.randn(4, 2, 6))
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"expected a query of shape \(L, N, E\) or \(L, E\) with E = 8, got shape "
                                         r"\(5, 2, 7\)"):
        layer(ember.randn(5, 2, 7))
    with pytest.raises(ValueError, match=r"sz must be >= 0, got -2"):
        nn.Transformer.generate_square_subsequent_mask(-2)
