"""Scaled dot-product attention and multi-head attention, as ``torch.nn.functional``: thin over
``ember._core`` (the math and the checks live in C++, include/ember/ops/attention.hpp)."""
from __future__ import annotations

from ... import _core
from ..._core import Tensor


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``: query ``(*, L, E)``, key ``(*, S, E)``,
    value ``(*, S, Ev)``.

    A bool ``attn_mask`` marks with True the positions that take part; a float one is added to the
    scores; ``is_causal`` masks keys after each query. ``scale`` defaults to ``1 / sqrt(E)``.
    """
    if enable_gqa:
        raise NotImplementedError("[scaled_dot_product_attention] enable_gqa=True is not supported")
    return _core.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)


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
    if bias_k is not None or bias_v is not None or add_zero_attn or static_k is not None or static_v is not None:
        raise NotImplementedError("[multi_head_attention_forward] bias_k/bias_v, add_zero_attn and "
                                  "static_k/static_v are not supported")
    return _core.multi_head_attention_forward(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, dropout_p,
        out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
        use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, average_attn_weights, is_causal)
