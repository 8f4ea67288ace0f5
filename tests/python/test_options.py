"""The options table (docs/options.md): every PyTorch option that ember does not implement raises
NotImplementedError naming the option and the layer (or function); none is silently ignored. Each row
below is one line of that table; test_table_matches_the_doc keeps the two in step."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import ember
from ember import nn, optim
from ember.nn import functional as F

DOC = Path(__file__).resolve().parents[2] / "docs" / "options.md"


def _x(*shape):
    return ember.randn(*shape)


# (layer or function as the doc names it, option as the doc names it, a call that passes the option)
OPTIONS = [
    ("Embedding", "max_norm", lambda: nn.Embedding(5, 3, max_norm=1.0)),
    ("Embedding", "scale_grad_by_freq", lambda: nn.Embedding(5, 3, scale_grad_by_freq=True)),
    ("Embedding", "sparse", lambda: nn.Embedding(5, 3, sparse=True)),
    ("F.embedding", "max_norm", lambda: F.embedding(ember.tensor([0]), _x(5, 3), max_norm=1.0)),
    ("EmbeddingBag", "max_norm", lambda: nn.EmbeddingBag(5, 3, max_norm=1.0)),
    ("EmbeddingBag", "scale_grad_by_freq", lambda: nn.EmbeddingBag(5, 3, scale_grad_by_freq=True)),
    ("EmbeddingBag", "sparse", lambda: nn.EmbeddingBag(5, 3, sparse=True)),
    ("F.embedding_bag", "max_norm", lambda: F.embedding_bag(ember.tensor([[0]]), _x(5, 3), max_norm=1.0)),
    ("MaxPool2d", "return_indices", lambda: nn.MaxPool2d(2, return_indices=True)),
    ("F.max_pool2d", "return_indices", lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, return_indices=True)),
    ("AvgPool2d", "divisor_override", lambda: nn.AvgPool2d(2, divisor_override=3)),
    ("F.avg_pool2d", "divisor_override", lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=3)),
    ("MultiheadAttention", "add_bias_kv", lambda: nn.MultiheadAttention(4, 2, add_bias_kv=True)),
    ("MultiheadAttention", "add_zero_attn", lambda: nn.MultiheadAttention(4, 2, add_zero_attn=True)),
    ("F.scaled_dot_product_attention", "enable_gqa",
     lambda: F.scaled_dot_product_attention(_x(1, 2, 3), _x(1, 2, 3), _x(1, 2, 3), enable_gqa=True)),
    ("F.huber_loss", "weight", lambda: F.huber_loss(_x(3), _x(3), weight=_x(3))),
    ("Module.load_state_dict", "assign", lambda: nn.Linear(2, 2).load_state_dict({}, assign=True)),
    ("autograd.grad", "create_graph",
     lambda: ember.autograd.grad(_x(2).requires_grad_().sum(), [], create_graph=True)),
    ("set_default_dtype", "float64", lambda: ember.set_default_dtype(ember.float64)),
    ("DataParallel", "device_ids", lambda: nn.DataParallel(nn.Linear(2, 2), device_ids=[0, 1])),
    ("DistributedDataParallel", "gradient_as_bucket_view",
     lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2), gradient_as_bucket_view=True)),
    ("MaxPool1d", "return_indices", lambda: nn.MaxPool1d(2, return_indices=True)),
    ("AdaptiveMaxPool1d", "return_indices", lambda: nn.AdaptiveMaxPool1d(2, return_indices=True)),
    ("AdaptiveMaxPool2d", "return_indices", lambda: nn.AdaptiveMaxPool2d(2, return_indices=True)),
    ("F.interpolate", "antialias", lambda: F.interpolate(_x(1, 1, 4, 4), scale_factor=2, mode="bilinear",
                                                         antialias=True)),
    ("F.interpolate", "mode", lambda: F.interpolate(_x(1, 1, 4, 4), scale_factor=2, mode="bicubic")),
    ("LSTM", "proj_size", lambda: nn.LSTM(4, 8, proj_size=2)),
    ("Adam", "fused", lambda: optim.Adam([nn.Parameter(_x(2))], fused=True)),
    ("AdamW", "foreach", lambda: optim.AdamW([nn.Parameter(_x(2))], foreach=True)),
    ("SGD", "differentiable", lambda: optim.SGD([nn.Parameter(_x(2))], lr=0.1, differentiable=True)),
    ("RMSprop", "capturable", lambda: optim.RMSprop([nn.Parameter(_x(2))], capturable=True)),
    ("Adadelta", "foreach", lambda: optim.Adadelta([nn.Parameter(_x(2))], foreach=True)),
    ("Adagrad", "fused", lambda: optim.Adagrad([nn.Parameter(_x(2))], fused=True)),
    ("Adamax", "capturable", lambda: optim.Adamax([nn.Parameter(_x(2))], capturable=True)),
    ("NAdam", "foreach", lambda: optim.NAdam([nn.Parameter(_x(2))], foreach=True)),
    ("RAdam", "differentiable", lambda: optim.RAdam([nn.Parameter(_x(2))], differentiable=True)),
]


@pytest.mark.parametrize("layer,option,call", OPTIONS, ids=[f"{layer}-{option}" for layer, option, _ in OPTIONS])
def test_unimplemented_option_raises_naming_it(layer, option, call):
    with pytest.raises(NotImplementedError) as info:
        call()
    message = str(info.value)
    short = layer.split(".")[-1]
    assert short in message and option in message, message


def test_table_matches_the_doc():
    rows = set(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", DOC.read_text(), flags=re.M))
    listed = {(layer, option) for layer, option, _ in OPTIONS}
    assert rows == listed, f"in the doc only: {sorted(rows - listed)}; in the test only: {sorted(listed - rows)}"
