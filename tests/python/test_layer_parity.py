"""One definition, two languages: every public layer of ``ember.nn`` and function of
``ember.nn.functional`` has a C++ counterpart, and both give the same outputs, gradients and state_dict.

tests/parity/ is a C++ program built against the installed package. For each case below this test builds
the Python layer, runs it forward and backward, writes its options, state_dict, inputs and output
gradients to a safetensors file, and has the C++ twin (registered under the same name in
tests/parity/cases_*.cpp) do the same from that file. Both run in float64.
"""
from __future__ import annotations

import inspect
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn import functional as F
from _cpp_examples import build_example

PARITY = Path(__file__).resolve().parents[1] / "parity"

# Public names of ember.nn whose C++ counterpart is not a layer with a parity case: the C++ name.
STRUCTURAL = {
    "Module": "ember::nn::Module<T>, the base of every case below (tests/cpp/test_nn.cpp)",
    "Parameter": "Module<T>::register_parameter: a C++ parameter is a registered leaf Tensor<T>",
    "DataParallel": "a Python wrapper that calls its module on one device; C++ calls the module itself",
    "ParameterList": "Module<T>::register_parameter(\"0\", ...): C++ modules name their parameters directly",
    "ParameterDict": "Module<T>::register_parameter(key, ...)",
}


@dataclass
class Case:
    name: str                      # the ember.nn class ("Linear") or "F.<function>"
    opts: dict = field(default_factory=dict)      # constructor (or functional keyword) arguments
    inputs: dict = field(default_factory=dict)    # name -> shape (float64 randn) or a numpy array
    train: bool = True             # the module's mode
    call: dict = field(default_factory=dict)      # extra keyword arguments of forward (both languages)
    # the inputs passed positionally, in order (repeats allowed: self-attention's x, x, x); the others go by
    # keyword. None: all of them positionally to a module, all by keyword to a function.
    args: tuple | None = None
    fixed: tuple = ()              # float inputs that take no gradient (running statistics, class weights, masks)
    build: Any = None              # containers: builds the Python module (in float64)
    forward: Any = None            # containers: forward(module, *inputs)

    @property
    def id(self) -> str:
        shown = {**self.opts, **self.call, **{k: tuple(v.shape) for k, v in self.inputs.items()
                                              if isinstance(v, np.ndarray)}}
        return self.name + "(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _linear(i, o):
    return nn.Linear(i, o, dtype=ember.float64)


def _encoder_layer():
    return nn.TransformerEncoderLayer(8, 2, 16, 0.0, dtype=ember.float64)


CAUSAL5 = np.triu(np.full((5, 5), -np.inf), 1)


def _ints(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


T4 = _ints((4,), 3)                     # class indices for (4, 3) scores
T4[2] = -100                            # one ignored target
T2x5 = _ints((2, 5), 3, seed=1)         # for (2, 3, 5) scores
PROBS = np.random.default_rng(2).dirichlet(np.ones(3), size=4)  # class-probability targets (4, 3)
UNIT = np.random.default_rng(3).uniform(0.05, 0.95, size=(4, 3))  # BCE inputs and targets in (0, 1)
W3 = np.array([0.5, 1.0, 2.0])
CAUSAL_OK = np.tril(np.ones((5, 5), dtype=bool))        # SDPA's bool mask: True takes part
PAD = np.array([[False, False, False, True, True], [False] * 5])  # MHA's key_padding_mask: True is masked out
E, H = 8, 2
MHA_W = {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,), "out_proj_weight": (E, E), "out_proj_bias": (E,)}
MHA_OPTS = {"embed_dim_to_check": E, "num_heads": H, "bias_k": None, "bias_v": None, "add_zero_attn": False,
            "dropout_p": 0.0}

CASES = [
    # activations
    Case("ReLU", inputs={"x": (3, 4)}),
    Case("LeakyReLU", {"negative_slope": 0.2}, {"x": (3, 4)}),
    Case("GELU", inputs={"x": (3, 4)}),
    Case("GELU", {"approximate": "tanh"}, {"x": (3, 4)}),
    Case("Tanh", inputs={"x": (3, 4)}),
    Case("Sigmoid", inputs={"x": (3, 4)}),
    Case("SiLU", inputs={"x": (3, 4)}),
    Case("Softmax", {"dim": 1}, {"x": (3, 4)}),
    Case("LogSoftmax", {"dim": 0}, {"x": (3, 4)}),
    Case("Identity", inputs={"x": (3, 4)}),
    Case("Flatten", inputs={"x": (2, 3, 4)}),
    Case("Flatten", {"start_dim": 0, "end_dim": 1}, {"x": (2, 3, 4)}),
    Case("Dropout", {"p": 0.3}, {"x": (3, 4)}, train=False),
    Case("Dropout", {"p": 0.0}, {"x": (3, 4)}),
    # layers with parameters
    Case("Linear", {"in_features": 4, "out_features": 3}, {"x": (5, 4)}),
    Case("Linear", {"in_features": 4, "out_features": 3, "bias": False}, {"x": (2, 5, 4)}),
    Case("Bilinear", {"in1_features": 4, "in2_features": 3, "out_features": 2}, {"input1": (5, 4), "input2": (5, 3)}),
    Case("Bilinear", {"in1_features": 2, "in2_features": 3, "out_features": 4, "bias": False},
         {"input1": (2, 3, 2), "input2": (2, 3, 3)}),
    Case("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, {"x": (2, 2, 6, 5)}),
    Case("Conv2d", {"in_channels": 4, "out_channels": 2, "kernel_size": (3, 2), "stride": 2, "padding": 1,
                    "groups": 2, "bias": False}, {"x": (1, 4, 7, 6)}),
    Case("Conv2d", {"in_channels": 2, "out_channels": 2, "kernel_size": 4, "padding": "same"}, {"x": (2, 6, 5)}),
    Case("BatchNorm1d", {"num_features": 3}, {"x": (4, 3)}),
    Case("BatchNorm1d", {"num_features": 3, "affine": False}, {"x": (4, 3, 5)}, train=False),
    Case("BatchNorm2d", {"num_features": 3}, {"x": (4, 3, 2, 2)}),
    Case("BatchNorm2d", {"num_features": 3, "momentum": 0.3}, {"x": (4, 3, 2, 2)}, train=False),
    Case("LayerNorm", {"normalized_shape": (4,)}, {"x": (3, 4)}),
    Case("LayerNorm", {"normalized_shape": (3, 4), "elementwise_affine": False}, {"x": (2, 3, 4)}),
    Case("MaxPool2d", {"kernel_size": 2}, {"x": (2, 3, 4, 4)}),
    Case("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, {"x": (3, 7, 6)}),
    Case("AvgPool2d", {"kernel_size": 2}, {"x": (2, 3, 4, 6)}),
    Case("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, {"x": (1, 2, 5, 5)}),
    Case("AdaptiveAvgPool2d", {"output_size": (2, 3)}, {"x": (2, 3, 5, 7)}),
    Case("Embedding", {"num_embeddings": 6, "embedding_dim": 3}, {"ids": _ints((2, 4), 6)}),
    Case("EmbeddingBag", {"num_embeddings": 6, "embedding_dim": 3}, {"ids": _ints((2, 4), 6)}),
    Case("EmbeddingBag", {"num_embeddings": 6, "embedding_dim": 3, "mode": "sum", "include_last_offset": True,
                          "padding_idx": 1},
         {"ids": _ints((7,), 6, seed=2), "offsets": np.array([0, 3, 3, 7]), "per_sample_weights": (7,)}),
    Case("Embedding", {"num_embeddings": 6, "embedding_dim": 3, "padding_idx": 1},
         {"ids": np.array([[1, 2, 1], [0, 5, 1]])}),
    Case("MultiheadAttention", {"embed_dim": E, "num_heads": H}, {"query": (5, 2, E)},
         args=("query", "query", "query")),
    Case("MultiheadAttention", {"embed_dim": E, "num_heads": H, "batch_first": True, "kdim": 6, "vdim": 4},
         {"query": (2, 5, E), "key": (2, 5, 6), "value": (2, 5, 4), "key_padding_mask": PAD},
         call={"average_attn_weights": False}, args=("query", "key", "value")),
    Case("MultiheadAttention", {"embed_dim": E, "num_heads": H, "bias": False},
         {"query": (5, 2, E), "key": (5, 2, E), "value": (5, 2, E), "attn_mask": (5, 5)},
         call={"need_weights": False}, args=("query", "key", "value"), fixed=("attn_mask",)),
    # Transformer layers (tests/parity/cases_transformer.cpp; the stacks are built there as here)
    Case("TransformerEncoderLayer", {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0},
         {"src": (5, 2, 8), "src_mask": CAUSAL5}, fixed=("src_mask",), args=("src",)),
    Case("TransformerEncoderLayer", {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0,
                                     "norm_first": True, "batch_first": True, "activation": "gelu", "bias": False},
         {"src": (2, 5, 8), "src_key_padding_mask": PAD}, args=("src",)),
    Case("TransformerDecoderLayer", {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0},
         {"tgt": (5, 2, 8), "memory": (4, 2, 8), "tgt_mask": CAUSAL5}, fixed=("tgt_mask",), args=("tgt", "memory"),
         call={"tgt_is_causal": True}),
    Case("TransformerEncoder", inputs={"src": (5, 2, 8), "mask": CAUSAL5}, fixed=("mask",), args=("src",),
         build=lambda: nn.TransformerEncoder(_encoder_layer(), 2, norm=nn.LayerNorm(8, dtype=ember.float64))),
    Case("TransformerDecoder", inputs={"tgt": (5, 2, 8), "memory": (3, 2, 8), "tgt_mask": CAUSAL5},
         fixed=("tgt_mask",), args=("tgt", "memory"),
         build=lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, 0.0, dtype=ember.float64), 2)),
    Case("Transformer", {"d_model": 8, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 2,
                         "dim_feedforward": 16, "dropout": 0.0, "norm_first": True},
         {"src": (6, 2, 8), "tgt": (5, 2, 8), "tgt_mask": CAUSAL5}, fixed=("tgt_mask",), args=("src", "tgt")),
    # containers (their C++ twins are built the same way in tests/parity/cases_layers.cpp)
    Case("Sequential", inputs={"x": (5, 4)},
         build=lambda: nn.Sequential(_linear(4, 3), nn.ReLU(), _linear(3, 2))),
    Case("ModuleList", inputs={"x": (5, 4)}, build=lambda: nn.ModuleList([_linear(4, 3), _linear(3, 2)]),
         forward=lambda m, x: m[1](m[0](x))),
    Case("ModuleDict", inputs={"x": (5, 4)},
         build=lambda: nn.ModuleDict({"encode": _linear(4, 3), "head": _linear(3, 2)}),
         forward=lambda m, x: m["head"](m["encode"](x))),
    # losses
    Case("MSELoss", inputs={"input": (4, 3), "target": (4, 3)}),
    Case("L1Loss", {"reduction": "sum"}, {"input": (4, 3), "target": (4, 3)}),
    Case("SmoothL1Loss", {"beta": 0.7}, {"input": (4, 3), "target": (4, 3)}),
    Case("HuberLoss", {"delta": 0.6, "reduction": "sum"}, {"input": (4, 3), "target": (4, 3)}),
    Case("NLLLoss", {"weight": W3}, {"input": (4, 3), "target": T4}),
    Case("CrossEntropyLoss", inputs={"input": (4, 3), "target": T4}),
    Case("CrossEntropyLoss", {"weight": W3, "label_smoothing": 0.1, "reduction": "none", "ignore_index": 1},
         {"input": (2, 3, 5), "target": T2x5}),
    Case("CrossEntropyLoss", {"label_smoothing": 0.2}, {"input": (4, 3), "target": PROBS}),
    Case("BCELoss", {"weight": W3}, {"input": UNIT, "target": UNIT[::-1].copy()}),
    Case("BCEWithLogitsLoss", {"pos_weight": W3}, {"input": (4, 3), "target": UNIT}),
    # ember.nn.functional
    Case("F.relu", inputs={"input": (3, 4)}),
    Case("F.leaky_relu", {"negative_slope": 0.1}, {"input": (3, 4)}),
    Case("F.gelu", {"approximate": "tanh"}, {"input": (3, 4)}),
    Case("F.silu", inputs={"input": (3, 4)}),
    Case("F.tanh", inputs={"input": (3, 4)}),
    Case("F.sigmoid", inputs={"input": (3, 4)}),
    Case("F.softmax", {"dim": 1}, {"input": (3, 4)}),
    Case("F.log_softmax", {"dim": 0}, {"input": (3, 4)}),
    Case("F.linear", inputs={"input": (3, 4), "weight": (2, 4), "bias": (2,)}),
    Case("F.bilinear", inputs={"input1": (3, 4), "input2": (3, 2), "weight": (5, 4, 2), "bias": (5,)}),
    Case("F.conv2d", {"stride": 1, "padding": "same", "dilation": 2}, {"input": (1, 2, 6, 6), "weight": (3, 2, 3, 3)}),
    Case("F.max_pool2d", {"kernel_size": 2, "stride": 1}, {"input": (1, 2, 4, 4)}),
    Case("F.avg_pool2d", {"kernel_size": (2, 3)}, {"input": (2, 4, 6)}),
    Case("F.adaptive_avg_pool2d", {"output_size": 3}, {"input": (1, 2, 7, 5)}),
    Case("F.batch_norm", {"training": True, "momentum": 0.2},
         {"input": (4, 3, 2), "running_mean": np.zeros(3), "running_var": np.ones(3), "weight": (3,), "bias": (3,)},
         fixed=("running_mean", "running_var")),
    Case("F.layer_norm", {"normalized_shape": (4,)}, {"input": (3, 4), "weight": (4,), "bias": (4,)}),
    Case("F.dropout", {"p": 0.4, "training": False}, {"input": (3, 4)}),
    Case("F.embedding", {"padding_idx": 0}, {"input": np.array([[0, 2], [3, 0]]), "weight": (4, 3)}),
    Case("F.embedding_bag", {"mode": "sum", "padding_idx": 2},
         {"input": np.array([0, 2, 3, 3, 1]), "weight": (4, 3), "offsets": np.array([0, 2, 2]),
          "per_sample_weights": (5,)}),
    Case("F.embedding_bag", {"mode": "max"}, {"input": np.array([[0, 2], [3, 1]]), "weight": (4, 3)}),
    Case("F.gumbel_softmax", {"tau": 0.5, "hard": True}, {"logits": (3, 4)}),
    Case("F.gumbel_softmax", {"tau": 2.0, "dim": 0}, {"logits": (3, 4)}),
    Case("F.one_hot", {"num_classes": 5}, {"tensor": np.array([0, 3, 1, 4])}),
    Case("F.flatten", {"start_dim": 1}, {"input": (2, 3, 4)}),
    Case("F.mse_loss", {"reduction": "none"}, {"input": (4, 3), "target": (4, 3)}),
    Case("F.l1_loss", inputs={"input": (4, 3), "target": (4, 3)}),
    Case("F.smooth_l1_loss", {"beta": 0.5, "reduction": "none"}, {"input": (4, 3), "target": (4, 3)}),
    Case("F.huber_loss", {"delta": 1.5}, {"input": (4, 3), "target": (4, 3)}),
    Case("F.nll_loss", {"ignore_index": 0, "reduction": "sum"}, {"input": (4, 3), "target": _ints((4,), 3, seed=5)}),
    Case("F.cross_entropy", {"label_smoothing": 0.3}, {"input": (4, 3), "target": T4, "weight": W3}, fixed=("weight",)),
    Case("F.cross_entropy", {}, {"input": (4, 3), "target": PROBS}),
    Case("F.binary_cross_entropy", {}, {"input": UNIT, "target": UNIT[::-1].copy(), "weight": W3},
         fixed=("weight",)),
    Case("F.binary_cross_entropy_with_logits", {"reduction": "sum"},
         {"input": (4, 3), "target": UNIT, "pos_weight": W3}, fixed=("pos_weight",)),
    Case("F.scaled_dot_product_attention", {}, {"query": (2, 5, 4), "key": (2, 5, 4), "value": (2, 5, 3),
                                                "attn_mask": CAUSAL_OK}),
    Case("F.scaled_dot_product_attention", {"is_causal": True, "scale": 0.3},
         {"query": (2, 5, 4), "key": (2, 5, 4), "value": (2, 5, 3)}),
    Case("F.multi_head_attention_forward", {**MHA_OPTS, "training": False},
         {"query": (5, 2, E), "key": (5, 2, E), "value": (5, 2, E), **MHA_W, "key_padding_mask": PAD}),
    # issue 21: activations, normalization, channel dropout, Unflatten, losses (tests/parity/cases_extra.cpp)
    Case("ELU", {"alpha": 0.7}, {"x": (3, 4)}),
    Case("SELU", inputs={"x": (3, 4)}),
    Case("CELU", {"alpha": 1.5}, {"x": (3, 4)}),
    Case("Softplus", {"beta": 2.0, "threshold": 1.0}, {"x": (3, 4)}),
    Case("Mish", inputs={"x": (3, 4)}),
    Case("Hardswish", inputs={"x": (3, 4)}),
    Case("Hardsigmoid", inputs={"x": (3, 4)}),
    Case("Hardtanh", {"min_val": -0.5, "max_val": 0.8}, {"x": (3, 4)}),
    Case("ReLU6", inputs={"x": (3, 4)}),
    Case("PReLU", {"num_parameters": 3, "init": 0.1}, {"x": (2, 3, 4)}),
    Case("LogSigmoid", inputs={"x": (3, 4)}),
    Case("Softsign", inputs={"x": (3, 4)}),
    Case("Tanhshrink", inputs={"x": (3, 4)}),
    Case("Softmin", {"dim": 1}, {"x": (3, 4)}),
    Case("Hardshrink", {"lambd": 0.3}, {"x": (3, 4)}),
    Case("Softshrink", {"lambd": 0.3}, {"x": (3, 4)}),
    Case("Threshold", {"threshold": 0.1, "value": -2.0}, {"x": (3, 4)}),
    Case("GLU", {"dim": 0}, {"x": (4, 3)}),
    Case("GroupNorm", {"num_groups": 2, "num_channels": 4}, {"x": (3, 4, 5)}),
    Case("GroupNorm", {"num_groups": 1, "num_channels": 4, "bias": False}, {"x": (3, 4)}),
    Case("InstanceNorm1d", {"num_features": 3, "affine": True, "track_running_stats": True}, {"x": (2, 3, 5)}),
    Case("InstanceNorm2d", {"num_features": 3, "track_running_stats": True}, {"x": (2, 3, 3, 2)}, train=False),
    Case("InstanceNorm2d", {"num_features": 3}, {"x": (3, 3, 2)}),
    Case("RMSNorm", {"normalized_shape": (3, 4)}, {"x": (2, 3, 4)}),
    Case("RMSNorm", {"normalized_shape": (4,), "eps": 1e-3, "elementwise_affine": False}, {"x": (3, 4)}),
    Case("Dropout1d", {"p": 0.3}, {"x": (2, 3, 4)}, train=False),
    Case("Dropout2d", {"p": 0.0}, {"x": (2, 3, 2, 2)}),
    Case("Unflatten", {"dim": 1, "unflattened_size": (2, -1)}, {"x": (3, 6)}),
    Case("KLDivLoss", {"reduction": "batchmean"}, {"input": (4, 3), "target": UNIT}),
    Case("KLDivLoss", {"reduction": "none", "log_target": True}, {"input": (4, 3), "target": (4, 3)}),
    Case("CosineEmbeddingLoss", {"margin": 0.2}, {"input1": (4, 3), "input2": (4, 3),
                                                  "target": np.array([1.0, -1.0, -1.0, 1.0])}, fixed=("target",)),
    Case("MarginRankingLoss", {"margin": 0.1, "reduction": "sum"},
         {"input1": (5,), "input2": (5,), "target": np.array([1.0, -1.0, 1.0, 1.0, -1.0])}, fixed=("target",)),
    Case("TripletMarginLoss", {"margin": 1.5, "p": 1.5, "swap": True}, {"anchor": (4, 3), "positive": (4, 3),
                                                                         "negative": (4, 3)}),
    Case("PoissonNLLLoss", {"log_input": True, "full": True}, {"input": (4, 3), "target": UNIT * 4}),
    Case("GaussianNLLLoss", {"full": True}, {"input": (4, 3), "target": (4, 3), "var": UNIT}),
    Case("MultiLabelSoftMarginLoss", {"weight": W3}, {"input": (4, 3), "target": UNIT.round()}),
    Case("F.elu", {"alpha": 1.2}, {"input": (3, 4)}),
    Case("F.selu", inputs={"input": (3, 4)}),
    Case("F.celu", {"alpha": 0.5}, {"input": (3, 4)}),
    Case("F.softplus", {"beta": 0.5}, {"input": (3, 4)}),
    Case("F.mish", inputs={"input": (3, 4)}),
    Case("F.hardswish", inputs={"input": (3, 4)}),
    Case("F.hardsigmoid", inputs={"input": (3, 4)}),
    Case("F.hardtanh", {"min_val": -0.3, "max_val": 0.3}, {"input": (3, 4)}),
    Case("F.relu6", inputs={"input": (3, 4)}),
    Case("F.prelu", inputs={"input": (2, 3, 4), "weight": (3,)}),
    Case("F.logsigmoid", inputs={"input": (3, 4)}),
    Case("F.softsign", inputs={"input": (3, 4)}),
    Case("F.tanhshrink", inputs={"input": (3, 4)}),
    Case("F.softmin", {"dim": 0}, {"input": (3, 4)}),
    Case("F.hardshrink", {"lambd": 0.4}, {"input": (3, 4)}),
    Case("F.softshrink", {"lambd": 0.4}, {"input": (3, 4)}),
    Case("F.threshold", {"threshold": -0.2, "value": 3.0}, {"input": (3, 4)}),
    Case("F.glu", {"dim": -1}, {"input": (3, 4)}),
    Case("F.group_norm", {"num_groups": 3}, {"input": (2, 6, 4), "weight": (6,), "bias": (6,)}),
    Case("F.instance_norm", {"momentum": 0.2},
         {"input": (2, 3, 4), "running_mean": np.zeros(3), "running_var": np.ones(3), "weight": (3,), "bias": (3,)},
         fixed=("running_mean", "running_var")),
    Case("F.rms_norm", {"normalized_shape": (4,), "eps": 1e-5}, {"input": (3, 4), "weight": (4,)}),
    Case("F.dropout1d", {"p": 0.4, "training": False}, {"input": (2, 3, 4)}),
    Case("F.dropout2d", {"p": 0.4, "training": False}, {"input": (2, 3, 2, 2)}),
    Case("F.kl_div", {"reduction": "sum"}, {"input": (4, 3), "target": UNIT}),
    Case("F.cosine_similarity", {"dim": -1}, {"x1": (4, 3), "x2": (1, 3)}),
    Case("F.pairwise_distance", {"p": 3.0, "keepdim": True}, {"x1": (4, 3), "x2": (4, 3)}),
    Case("F.cosine_embedding_loss", {"reduction": "none"},
         {"input1": (4, 3), "input2": (4, 3), "target": np.array([1.0, -1.0, -1.0, 1.0])}, fixed=("target",)),
    Case("F.margin_ranking_loss", {"margin": 0.2},
         {"input1": (5,), "input2": (5,), "target": np.array([1.0, -1.0, 1.0, 1.0, -1.0])}, fixed=("target",)),
    Case("F.triplet_margin_loss", {"p": 2.0}, {"anchor": (4, 3), "positive": (4, 3), "negative": (4, 3)}),
    Case("F.poisson_nll_loss", {"log_input": False}, {"input": UNIT, "target": UNIT[::-1] * 3}),
    Case("F.gaussian_nll_loss", {"reduction": "sum"}, {"input": (4, 3), "target": (4, 3), "var": UNIT[:, :1].copy()}),
    Case("F.multilabel_soft_margin_loss", {}, {"input": (4, 3), "target": UNIT.round(), "weight": W3},
         fixed=("weight",)),
    # transposed / 1-d convolution, 1-d and adaptive max pooling, spatial layers (issue 21)
    Case("ConvTranspose2d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1,
                             "output_padding": 1, "groups": 2}, {"x": (2, 4, 3, 4)}),
    Case("ConvTranspose2d", {"in_channels": 2, "out_channels": 3, "kernel_size": (2, 3), "dilation": 2,
                             "bias": False}, {"x": (2, 3, 4)}),
    Case("ConvTranspose1d", {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1},
         {"x": (2, 3, 5)}),
    Case("Conv1d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1, "groups": 2},
         {"x": (2, 4, 9)}),
    Case("Conv1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 4, "padding": "same",
                    "padding_mode": "reflect"}, {"x": (2, 2, 7)}),
    Case("Conv1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 2,
                    "padding_mode": "circular"}, {"x": (2, 2, 7)}),
    Case("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, {"x": (2, 3, 8)}),
    Case("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, {"x": (2, 3, 8)}),
    Case("AdaptiveAvgPool1d", {"output_size": 3}, {"x": (2, 3, 7)}),
    Case("AdaptiveMaxPool1d", {"output_size": 3}, {"x": (2, 3, 7)}),
    Case("AdaptiveMaxPool2d", {"output_size": (2, 3)}, {"x": (2, 3, 5, 7)}),
    Case("PixelShuffle", {"upscale_factor": 2}, {"x": (2, 8, 3, 2)}),
    Case("PixelUnshuffle", {"downscale_factor": 2}, {"x": (2, 2, 4, 6)}),
    Case("Upsample", {"scale_factor": 2.0}, {"x": (2, 3, 3, 4)}),
    Case("Upsample", {"size": (5, 7), "mode": "bilinear", "align_corners": False}, {"x": (2, 3, 3, 4)}),
    Case("UpsamplingNearest2d", {"size": (5, 7)}, {"x": (1, 2, 3, 4)}),
    Case("UpsamplingBilinear2d", {"scale_factor": 2.0}, {"x": (1, 2, 3, 4)}),
    Case("ZeroPad1d", {"padding": (1, 2)}, {"x": (2, 3, 4)}),
    Case("ZeroPad2d", {"padding": 1}, {"x": (2, 3, 4, 5)}),
    Case("ConstantPad1d", {"padding": 2, "value": 1.5}, {"x": (2, 3, 4)}),
    Case("ConstantPad2d", {"padding": (1, 0, 2, 1), "value": -1.0}, {"x": (2, 3, 4, 5)}),
    Case("ReflectionPad1d", {"padding": (3, 1)}, {"x": (2, 3, 4)}),
    Case("ReflectionPad2d", {"padding": 2}, {"x": (2, 3, 4, 5)}),
    Case("ReplicationPad1d", {"padding": (3, 1)}, {"x": (2, 3, 4)}),
    Case("ReplicationPad2d", {"padding": (1, 2, 0, 3)}, {"x": (3, 4, 5)}),
    Case("CircularPad1d", {"padding": (3, 1)}, {"x": (2, 3, 4)}),
    Case("CircularPad2d", {"padding": 1}, {"x": (2, 3, 4, 5)}),
    Case("F.conv_transpose2d", {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2},
         {"input": (2, 3, 3, 4), "weight": (3, 2, 3, 3), "bias": (2,)}),
    Case("F.conv_transpose1d", {"stride": 3, "groups": 2}, {"input": (2, 4, 5), "weight": (4, 1, 3)}),
    Case("F.conv1d", {"stride": 2, "padding": 1, "dilation": 2}, {"input": (2, 3, 9), "weight": (4, 3, 3),
                                                                   "bias": (4,)}),
    Case("F.max_pool1d", {"kernel_size": 2, "stride": 1}, {"input": (2, 3, 6)}),
    Case("F.avg_pool1d", {"kernel_size": 3, "padding": 1}, {"input": (3, 7)}),
    Case("F.adaptive_avg_pool1d", {"output_size": 4}, {"input": (2, 3, 9)}),
    Case("F.adaptive_max_pool1d", {"output_size": 4}, {"input": (2, 3, 9)}),
    Case("F.adaptive_max_pool2d", {"output_size": 3}, {"input": (1, 2, 7, 5)}),
    Case("F.pixel_shuffle", {"upscale_factor": 3}, {"input": (1, 9, 2, 3)}),
    Case("F.pixel_unshuffle", {"downscale_factor": 3}, {"input": (1, 1, 6, 3)}),
    Case("F.interpolate", {"size": (5, 3), "mode": "bilinear", "align_corners": True}, {"input": (2, 2, 3, 4)}),
    Case("F.interpolate", {"scale_factor": 2.5, "mode": "linear"}, {"input": (2, 2, 5)}),
    Case("F.upsample", {"scale_factor": 2.0}, {"input": (2, 2, 3, 3)}),
    Case("F.unfold", {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)},
         {"input": (2, 3, 5, 6)}),
    Case("F.fold", {"output_size": (4, 5), "kernel_size": 2, "padding": 1, "stride": 2}, {"input": (2, 8, 9)}),
    Case("Unfold", {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}, {"x": (2, 2, 5, 6)}),
    Case("Fold", {"output_size": (4, 5), "kernel_size": 2, "padding": 1, "stride": 2}, {"x": (2, 8, 9)}),
    Case("F.normalize", {"p": 3.0, "dim": 0}, {"input": (4, 3)}),
    Case("F.pad", {"pad": (1, 2, 2, 1), "mode": "reflect"}, {"input": (2, 3, 4, 5)}),
    Case("F.pad", {"pad": (1, -1), "value": 2.5}, {"input": (2, 3, 4)}),
    Case("F.grid_sample", {"mode": "bilinear", "padding_mode": "reflection", "align_corners": True},
         {"input": (2, 3, 5, 4), "grid": (2, 6, 3, 2)}),
    Case("F.grid_sample", {"mode": "nearest", "padding_mode": "border"}, {"input": (2, 3, 5, 4), "grid": (2, 2, 3, 2)}),
    Case("F.affine_grid", {"size": (2, 3, 4, 5)}, {"theta": (2, 2, 3)}),
    # recurrent layers (C++ twins in tests/parity/cases_rnn.cpp): outputs flattened to output, h_n[, c_n]
    Case("LSTM", {"input_size": 4, "hidden_size": 3, "num_layers": 2, "bidirectional": True},
         {"x": (5, 2, 4), "h0": (4, 2, 3), "c0": (4, 2, 3)},
         forward=lambda m, x, h0, c0: (lambda o: (o[0], *o[1]))(m(x, (h0, c0)))),
    Case("LSTM", {"input_size": 4, "hidden_size": 3, "batch_first": True}, {"x": (2, 5, 4)},
         forward=lambda m, x: (lambda o: (o[0], *o[1]))(m(x))),
    Case("GRU", {"input_size": 4, "hidden_size": 3, "num_layers": 2}, {"x": (5, 2, 4), "h0": (2, 2, 3)}),
    Case("RNN", {"input_size": 4, "hidden_size": 3, "nonlinearity": "relu", "bidirectional": True, "bias": False},
         {"x": (5, 2, 4)}),
    Case("RNN", {"input_size": 4, "hidden_size": 3}, {"x": (5, 4)}),
    Case("RNNCell", {"input_size": 4, "hidden_size": 3}, {"x": (2, 4), "h": (2, 3)}),
    Case("LSTMCell", {"input_size": 4, "hidden_size": 3}, {"x": (2, 4)}),
    Case("GRUCell", {"input_size": 4, "hidden_size": 3, "bias": False}, {"x": (4,), "h": (3,)}),
]


@pytest.fixture(scope="module")
def parity_exe(tmp_path_factory) -> Path:
    if os.environ.get("EMBER_PARITY_EXE"):  # a build of tests/parity to reuse while editing the cases
        return Path(os.environ["EMBER_PARITY_EXE"])
    build = build_example(PARITY, tmp_path_factory.mktemp("parity") / "build")
    return build / "layer_parity"


def _registered(exe: Path) -> set[str]:
    out = subprocess.run([exe, "--list"], capture_output=True, text=True, timeout=60, check=True).stdout
    return set(out.split())


def test_every_public_layer_and_function_has_a_cpp_counterpart(parity_exe):
    registered = _registered(parity_exe)
    classes = {n for n in nn.__all__ if inspect.isclass(getattr(nn, n))}
    missing = sorted(classes - registered - set(STRUCTURAL))
    assert not missing, f"ember.nn classes without a C++ counterpart (tests/parity/cases_*.cpp): {missing}"
    missing_f = sorted(f"F.{n}" for n in F.__all__ if f"F.{n}" not in registered)
    assert not missing_f, f"ember.nn.functional functions without a C++ counterpart: {missing_f}"
    # and the census is not hollow: every registered case runs below
    untested = sorted(registered - {c.name for c in CASES})
    assert not untested, f"C++ parity cases that no Python case runs: {untested}"


def _literal(v: Any) -> str:
    return repr(tuple(v)) if isinstance(v, list) else repr(v)


def _python_run(case: Case, arrays: dict[str, np.ndarray]):
    """(module or None, its state_dict before the forward as numpy, the inputs, the outputs)."""
    inputs = {}
    for k, a in arrays.items():
        t = ember.tensor(a)
        if t.is_floating_point() and k not in case.fixed:
            t.requires_grad_(True)
        inputs[k] = t
    module, initial = None, {}
    functional = case.name.startswith("F.")
    names = case.args if case.args is not None else (() if functional else tuple(inputs))
    args = [inputs[k] for k in names]
    kwargs = {k: t for k, t in inputs.items() if k not in names}
    opts = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.opts.items()}
    if functional:
        outs = getattr(F, case.name[2:])(*args, **kwargs, **opts, **case.call)
    else:
        cls = getattr(nn, case.name)
        takes_dtype = "dtype" in inspect.signature(cls.__init__).parameters
        if case.build is not None:
            module = case.build()
        else:
            module = cls(**opts, dtype=ember.float64) if takes_dtype else cls(**opts).double()
        module.train(case.train)
        initial = {k: np.array(v.detach().numpy(), order="C", copy=True) for k, v in module.state_dict().items()}
        outs = (case.forward or (lambda m, *a, **k: m(*a, **k)))(module, *args, **kwargs, **case.call)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    return module, initial, inputs, outs


def _check(name: str, got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape, f"{name}: C++ shape {got.shape}, Python shape {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cpp_and_python_layers_agree(case, parity_exe, tmp_path):
    from safetensors.numpy import load_file, save_file

    rng = np.random.default_rng(0)
    arrays = {k: (rng.standard_normal(v) if isinstance(v, tuple) else v) for k, v in case.inputs.items()}
    ember.manual_seed(0)  # as the C++ runner seeds: random functions (gumbel_softmax) draw the same noise
    module, initial, inputs, outs = _python_run(case, arrays)
    grads_out = [rng.standard_normal(tuple(o.shape)) if o is not None and o.is_floating_point() else None
                 for o in outs]
    total = None
    for o, g in zip(outs, grads_out):
        if o is not None and o.requires_grad:
            term = (o * ember.tensor(g)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()

    tensors = {f"input.{k}": a for k, a in arrays.items()}
    tensors.update({f"grad_output.{i}": g for i, g in enumerate(grads_out) if g is not None})
    tensors.update({f"state.{k}": v for k, v in initial.items()})
    meta = {"case": case.name, **{f"opt.{k}": _literal(v) for k, v in {**case.opts, **case.call}.items()
                                  if not isinstance(v, np.ndarray)}}
    if module is not None:
        meta["opt.training"] = repr(case.train)
    save_file(tensors, str(tmp_path / "case.safetensors"), metadata=meta)

    run = subprocess.run([parity_exe, tmp_path / "case.safetensors", tmp_path / "out.safetensors"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"C++ {case.name} failed: {run.stderr}"
    res = load_file(str(tmp_path / "out.safetensors"))

    for i, o in enumerate(outs):
        if o is not None:
            _check(f"output {i}", res[f"output.{i}"], o.detach().numpy())
    for k, t in inputs.items():
        if t.is_floating_point() and t.grad is not None:
            _check(f"grad of input {k}", res[f"grad.input.{k}"], t.grad.numpy())
    if module is not None:
        for k, p in module.named_parameters():
            if p.grad is not None:
                _check(f"grad of {k}", res[f"grad.param.{k}"], p.grad.numpy())
        cpp_state = {k[6:]: v for k, v in res.items() if k.startswith("state.")}
        assert sorted(cpp_state) == sorted(module.state_dict()), "state_dict keys differ"
        for k, v in module.state_dict().items():
            _check(f"state {k}", cpp_state[k].astype(np.float64), np.asarray(v.detach().numpy(), dtype=np.float64))
