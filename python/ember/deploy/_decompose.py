"""Attention as export records it. ``ember.nn.functional.scaled_dot_product_attention`` and
``multi_head_attention_forward`` run eagerly as one C++ op each (include/ember/ops/attention.hpp),
which neither the deploy runtime nor ONNX has. While a model is traced, the op first runs as itself
(its checks and errors), then as this composition of ops both targets have (linear, matmul, softmax,
reshape...), each recorded by the tracer. The deploy and ONNX tests check the two against each other.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from .. import _core
from .._core import Tensor
from ..nn.functional import linear
from ._graph import ExportError

_NEG_INF = float("-inf")


def _no_dropout(dropout_p: float) -> None:
    if dropout_p > 0.0:
        raise ExportError("[deploy.export] attention dropout in training mode cannot be exported; export uses "
                          "model.eval(), so this is a functional call with dropout_p > 0")


def _float_mask(mask: Tensor | None, dtype: Any, hidden_when: bool) -> Tensor | None:
    """mask as an additive mask: -inf where a bool mask equals hidden_when; a float mask as dtype."""
    if mask is None or mask.dtype != _core.bool:
        return None if mask is None else mask.to(dtype)
    return _core.zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask if hidden_when else mask.logical_not(),
                                                                     _NEG_INF)


def _causal(l: int, s: int, dtype: Any) -> Tensor:
    return _float_mask(_core.arange(s).unsqueeze(0) > _core.arange(l).unsqueeze(1), dtype, True)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    _no_dropout(dropout_p)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    mask = _causal(query.shape[-2], key.shape[-2], query.dtype) if is_causal else \
        _float_mask(attn_mask, query.dtype, False)
    return (scores if mask is None else scores + mask).softmax(-1).matmul(value)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Any, bias_v: Any, add_zero_attn: bool,
    dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
    key_padding_mask: Tensor | None = None, need_weights: bool = True, attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None, static_k: Any = None, static_v: Any = None,
    average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    _no_dropout(dropout_p if training else 0.0)
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len, head_dim = key.shape[0], embed_dim // num_heads
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    if use_separate_proj_weight:
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), linear(value, v_proj_weight, b_v)
    elif query is key and key is value:
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    mask = _float_mask(attn_mask, q.dtype, True)
    if mask is not None and mask.ndim == 2:
        mask = mask.unsqueeze(0)
    elif mask is None and is_causal:
        mask = _causal(tgt_len, src_len, q.dtype).unsqueeze(0)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    if key_padding_mask is not None:
        kpm = _float_mask(key_padding_mask, q.dtype, True).reshape(bsz, 1, 1, src_len)
        kpm = kpm.expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    scores = (q * (1.0 / math.sqrt(head_dim))).bmm(k.transpose(1, 2))
    weights = (scores if mask is None else scores + mask).softmax(-1)
    out = weights.bmm(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    return out, weights if batched else weights.squeeze(0)


def _record(fn: Callable) -> Callable:
    """A tracer entry (as ``_recorders.NN_FUNCTIONS``): the op itself validates, then fn records its ops."""
    def record(tr: Any, orig: Callable, *args: Any, **kwargs: Any) -> Any:
        tr.run(orig, *args, **kwargs)
        return fn(*args, **kwargs)
    return record


RECORDERS: dict[str, Callable] = {
    "scaled_dot_product_attention": _record(scaled_dot_product_attention),
    "multi_head_attention_forward": _record(multi_head_attention_forward),
}
