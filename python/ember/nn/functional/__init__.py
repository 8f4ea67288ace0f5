"""``ember.nn.functional``: the stateless forms of the layers, activations and losses, as
``torch.nn.functional`` (import it as ``F``).

Every function is thin over one C++ op of ember's core (``ember._core``, the same op the C++
``ember::nn`` layers call), which holds the math, the backward and the checks; the wrappers here only
adapt PyTorch's Python-side arguments (legacy ``size_average``/``reduce``, ``inplace``, ``None``
sizes). Errors name the op: ``[cross_entropy] target 7 is out of bounds ...``. One file per concern:
``_layers`` (linear, convolution, pooling, normalization, dropout, embedding, one_hot, flatten),
``_activations``, ``_losses``, ``_attention``.
"""
from __future__ import annotations

from ._layers import (
    adaptive_avg_pool2d, avg_pool2d, batch_norm, bilinear, conv2d, dropout, embedding, flatten, layer_norm, linear,
    max_pool2d, one_hot,
)
from ._activations import gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, tanh
from ._losses import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss,
    smooth_l1_loss,
)
from ._attention import multi_head_attention_forward, scaled_dot_product_attention
from ._losses import _reduction  # noqa: F401 - the loss modules' legacy size_average/reduce
# issue 21: activations, normalization, channel dropout, losses (bind_nn_extra.cpp)
from ._activations import (
    celu, elu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, prelu, relu6, selu, softmin,
    softplus, softshrink, softsign, tanhshrink, threshold,
)
from ._layers import dropout1d, dropout2d, embedding_bag, group_norm, gumbel_softmax, instance_norm, rms_norm
from ._losses import (
    cosine_embedding_loss, cosine_similarity, gaussian_nll_loss, kl_div, margin_ranking_loss,
    multilabel_soft_margin_loss, normalize, pairwise_distance, poisson_nll_loss, triplet_margin_loss,
)

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "embedding", "flatten",
    "gelu", "huber_loss", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss",
    "multi_head_attention_forward", "nll_loss", "one_hot", "relu", "scaled_dot_product_attention",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "tanh",
    # issue 21: activations, normalization, channel dropout, losses
    "celu", "elu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "prelu",
    "relu6", "selu", "softmin", "softplus", "softshrink", "softsign", "tanhshrink", "threshold",
    "dropout1d", "dropout2d", "embedding_bag", "group_norm", "gumbel_softmax", "instance_norm", "rms_norm",
    "cosine_embedding_loss", "cosine_similarity", "gaussian_nll_loss", "kl_div", "margin_ranking_loss",
    "multilabel_soft_margin_loss", "normalize", "pairwise_distance", "poisson_nll_loss", "triplet_margin_loss",
]

# transposed / 1-d convolution, 1-d and adaptive max pooling, pixel shuffle, interpolate, pad, grid_sample
# (issue 21)
from ._spatial import (
    adaptive_avg_pool1d, adaptive_max_pool1d, adaptive_max_pool2d, affine_grid, avg_pool1d, conv1d, conv_transpose1d,
    conv_transpose2d, fold, grid_sample, interpolate, max_pool1d, pad, pixel_shuffle, pixel_unshuffle, unfold,
    upsample,
)

__all__ += [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "adaptive_max_pool2d", "affine_grid", "avg_pool1d", "conv1d",
    "conv_transpose1d", "conv_transpose2d", "fold", "grid_sample", "interpolate", "max_pool1d", "pad",
    "pixel_shuffle", "pixel_unshuffle", "unfold", "upsample",
]
