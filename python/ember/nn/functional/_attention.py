"""Scaled dot-product attention and multi-head attention, as ``torch.nn.functional``."""
from __future__ import annotations

import math
from typing import Any

from ... import _core
from ..._core import Tensor
from ._layers import dropout, linear

_NEG_INF = float("-inf")



def _causal_mask(l: int, s: int) -> Tensor:
    """(L, S) bool, True where query i may attend to key j (j <= i)."""
    return _core.arange(l).unsqueeze(1) >= _core.arange(s).unsqueeze(0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``: query (*, L, E), key (*, S, E), value (*, S, Ev).

    A bool ``attn_mask`` marks with True the positions that take part; a float one is added to the
    scores; ``is_causal`` masks keys after each query. ``scale`` defaults to ``1 / sqrt(E)``.
    """
    if enable_gqa:
        raise NotImplementedError("[scaled_dot_product_attention] enable_gqa=True is not supported")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2 or query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(
            "[scaled_dot_product_attention] expected query (*, L, E), key (*, S, E) and value (*, S, Ev), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    l, s = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal and attn_mask is not None:
        raise ValueError("[scaled_dot_product_attention] pass either attn_mask or is_causal=True, not both")
    if is_causal:
        scores = scores.masked_fill(_causal_mask(l, s).logical_not(), _NEG_INF)
    if attn_mask is not None:
        if attn_mask.dtype == _core.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), _NEG_INF)
        else:
            scores = scores + attn_mask
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _float_mask(mask: Tensor | None, dtype: Any, name: str) -> Tensor | None:
    """A bool mask (True = not allowed) as an additive float mask with -inf; float masks unchanged."""
    if mask is None:
        return None
    if mask.dtype == _core.bool:
        return _core.zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, _NEG_INF)
    if not mask.is_floating_point():
        raise TypeError(f"[{name}] only bool and floating types of masks are supported, got {mask.dtype}")
    return mask.to(dtype)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None, bias_v: Tensor | None,
    add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
    training: bool = True, key_padding_mask: Tensor | None = None, need_weights: bool = True,
    attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention over sequence-first inputs: query (L, N, E) or (L, E), key/value (S, N, E)
    or (S, E). Returns the output (L, N, E) and, with ``need_weights``, the attention weights (N, L, S)
    averaged over heads (or (N, heads, L, S)). ``attn_mask`` (L, S) or (N * heads, L, S) and
    ``key_padding_mask`` (N, S) are bool (True = masked out) or additive float masks."""
    name = "multi_head_attention_forward"
    if bias_k is not None or bias_v is not None or add_zero_attn or static_k is not None or static_v is not None:
        raise NotImplementedError(f"[{name}] bias_k/bias_v, add_zero_attn and static_k/static_v are not supported")
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(
            f"[{name}] expected query, key and value all (L, N, E) or all unbatched (L, E), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"[{name}] expected query of embedding size {embed_dim_to_check}, got shape {tuple(query.shape)}")
    if key.shape[:2] != value.shape[:2] or key.shape[1] != bsz:
        raise ValueError(f"[{name}] key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)} / batch {bsz}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"[{name}] embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    if query is key and key is value and not use_separate_proj_weight:
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    dtype = q.dtype
    mask = _float_mask(attn_mask, dtype, name)
    if mask is not None:
        if mask.ndim == 2:
            if tuple(mask.shape) != (tgt_len, src_len):
                raise ValueError(f"[{name}] the shape of the 2-d attn_mask is {tuple(mask.shape)}, but should be {(tgt_len, src_len)}")
            mask = mask.unsqueeze(0)
        elif tuple(mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise ValueError(
                f"[{name}] the shape of the 3-d attn_mask is {tuple(mask.shape)}, but should be {(bsz * num_heads, tgt_len, src_len)}"
            )
    elif is_causal:
        mask = _float_mask(_causal_mask(tgt_len, src_len).logical_not(), dtype, name).unsqueeze(0)
    # (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise ValueError(f"[{name}] expected key_padding_mask of shape {(bsz, src_len)}, got {tuple(key_padding_mask.shape)}")
        kpm = _float_mask(key_padding_mask, dtype, name).reshape(bsz, 1, 1, src_len)
        kpm = kpm.expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    if not training:
        dropout_p = 0.0
    scores = (q * (1.0 / math.sqrt(head_dim))).bmm(k.transpose(1, 2))
    if mask is not None:
        scores = scores + mask
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = weights.bmm(v)  # (N * heads, L, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights
