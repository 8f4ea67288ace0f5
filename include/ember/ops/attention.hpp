#pragma once
// Attention: scaled_dot_product_attention and multi_head_attention_forward, as torch.nn.functional.
// Both are composed of differentiable ember ops (matmul, masked_fill, softmax, dropout, linear), so
// autograd records their backward.
//
// Dimension letters: N batch, L target (query) length, S source (key) length, E embedding size,
// Ev value size, h heads, hd = E / h head size.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/dropout.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/shape.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// An attention mask: none, bool, or additive float (of the attention's element type T). What a bool
/// mask's true means depends on the op: "takes part" for scaled_dot_product_attention (as PyTorch),
/// "masked out" for multi_head_attention_forward (as PyTorch).
template <FloatElement T>
using AttentionMask = std::type_identity_t<std::variant<std::monostate, Tensor<bool>, Tensor<T>>>;

/// Options of multi_head_attention_forward beyond its tensors, as PyTorch's keyword arguments.
template <FloatElement T>
struct MultiHeadAttentionOptions {
  bool training = true;             ///< dropout is applied only in training
  AttentionMask<T> key_padding_mask;  ///< (N, S) or (S) unbatched: bool (true = ignore that key) or additive
  bool need_weights = true;         ///< also return the attention weights
  AttentionMask<T> attn_mask;       ///< (L, S) or (N * h, L, S): bool (true = not allowed) or additive
  bool use_separate_proj_weight = false;  ///< q/k/v_proj_weight instead of in_proj_weight
  OptionalTensor<T> q_proj_weight, k_proj_weight, v_proj_weight;  ///< (E, E), (E, kdim), (E, vdim)
  bool average_attn_weights = true;  ///< weights averaged over heads (N, L, S), else (N, h, L, S)
  bool is_causal = false;            ///< without attn_mask, mask the keys after each query
  Generator* generator = nullptr;    ///< draws the dropout masks (the default generator when null)
};

namespace detail {

/// (L, S) bool, true where key j comes after query i (what a causal mask hides).
template <class = void>
Tensor<bool> causal_hidden(std::int64_t l, std::int64_t s, Device device) {
  Tensor<bool> m = Tensor<bool>::empty({l, s});
  bool* p = m.data();
  for (std::int64_t i = 0; i < l; ++i)
    for (std::int64_t j = 0; j < s; ++j) p[i * s + j] = j > i;
  return device.is_cpu() ? m : m.to(device);
}

/// mask as an additive float mask: a bool one (true = masked out) becomes 0 / -inf; none stays undefined.
template <FloatElement T>
Tensor<T> additive_mask(const AttentionMask<T>& mask, Device device) {
  if (const auto* b = std::get_if<Tensor<bool>>(&mask))
    return masked_fill(zeros<T>(b->shape(), device), *b, -std::numeric_limits<T>::infinity());
  if (const auto* f = std::get_if<Tensor<T>>(&mask)) return *f;
  return Tensor<T>();
}

}  // namespace detail

/// softmax(query @ key^T * scale + mask) @ value for query (*, L, E), key (*, S, E), value (*, S, Ev)
/// (leading dims broadcast): out (*, L, Ev). A bool attn_mask marks with true the positions that take
/// part, a float one is added to the scores (both broadcast to (*, L, S)); is_causal hides the keys
/// after each query. scale defaults to 1 / sqrt(E); dropout_p > 0 drops attention weights (from gen).
/// A query that the mask lets attend to no key gets zeros, as PyTorch's.
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value,
                                       const AttentionMask<T>& attn_mask = {}, double dropout_p = 0.0,
                                       bool is_causal = false, std::optional<double> scale = std::nullopt,
                                       Generator* gen = nullptr) {
  constexpr const char* op = "scaled_dot_product_attention";
  EMBER_CHECK(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2 && query.size(-1) == key.size(-1) &&
                  key.size(-2) == value.size(-2),
              op, "expected query (*, L, E), key (*, S, E) and value (*, S, Ev), got ", query.shape(), ", ",
              key.shape(), " and ", value.shape());
  const bool has_mask = !std::holds_alternative<std::monostate>(attn_mask);
  EMBER_CHECK(!(is_causal && has_mask), op, "pass either attn_mask or is_causal=True, not both");
  const std::int64_t l = query.size(-2), s = key.size(-2);
  const double sc = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(query.size(-1)));
  Tensor<T> scores = matmul(query, key.transpose(-2, -1)) * static_cast<T>(sc);
  constexpr T neg_inf = -std::numeric_limits<T>::infinity();
  if (is_causal) scores = masked_fill(scores, detail::causal_hidden(l, s, query.device()), neg_inf);
  if (const auto* b = std::get_if<Tensor<bool>>(&attn_mask)) scores = masked_fill(scores, b->logical_not(), neg_inf);
  else if (const auto* f = std::get_if<Tensor<T>>(&attn_mask)) scores = scores + *f;
  Tensor<T> weights;
  if (has_mask && s > 0) {
    // A query the mask lets attend to no key (its scores all -inf) gets zeros and no gradient, as in
    // PyTorch: its row is softmaxed from zeros (finite gradients), then cleared.
    const Tensor<bool> attends_none = amax(scores.detach(), {-1}, true).eq(neg_inf);
    if (any(attends_none).item())
      weights = where(attends_none, T(0), softmax(where(attends_none, T(0), scores), -1));
  }
  if (!weights.defined()) weights = softmax(scores, -1);
  if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, gen);
  return matmul(weights, value);
}

/// Multi-head attention over sequence-first inputs, as torch.nn.functional.multi_head_attention_forward
/// (without bias_k/bias_v, add_zero_attn and static_k/v): query (L, N, E) or unbatched (L, E), key
/// (S, N, kdim), value (S, N, vdim). The projections are in_proj_weight (3E, E) with in_proj_bias (3E)
/// (or opts.q/k/v_proj_weight with use_separate_proj_weight), then h heads of scaled dot-product
/// attention, then out_proj_weight (E, E) and out_proj_bias (E). Returns the output (L, N, E) and, with
/// need_weights, the attention weights (N, L, S) averaged over heads (or (N, h, L, S); no N unbatched).
template <FloatElement T>
std::pair<Tensor<T>, OptionalTensor<T>> multi_head_attention_forward(
    const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value, std::int64_t embed_dim_to_check,
    std::int64_t num_heads, const OptionalTensor<T>& in_proj_weight, const OptionalTensor<T>& in_proj_bias,
    double dropout_p, const Tensor<T>& out_proj_weight, const OptionalTensor<T>& out_proj_bias,
    const MultiHeadAttentionOptions<T>& opts = {}) {
  constexpr const char* op = "multi_head_attention_forward";
  const bool batched = query.dim() == 3;
  EMBER_CHECK((query.dim() == 2 || batched) && key.dim() == query.dim() && value.dim() == query.dim(), op,
              "expected query, key and value all (L, N, E) or all unbatched (L, E), got ", query.shape(), ", ",
              key.shape(), " and ", value.shape());
  EMBER_CHECK(num_heads > 0, op, "num_heads must be greater than 0, got ", num_heads);
  // Self-attention (query, key and value the same tensor) projects once with the packed weight.
  const bool self_attention = query.is_same(key) && key.is_same(value);
  Tensor<T> q_in = batched ? query : query.unsqueeze(1), k_in = batched ? key : key.unsqueeze(1),
            v_in = batched ? value : value.unsqueeze(1);
  const std::int64_t tgt_len = q_in.size(0), bsz = q_in.size(1), embed_dim = q_in.size(2), src_len = k_in.size(0);
  EMBER_CHECK(embed_dim == embed_dim_to_check, op, "expected query of embedding size ", embed_dim_to_check,
              ", got shape ", query.shape());
  EMBER_CHECK(k_in.size(0) == v_in.size(0) && k_in.size(1) == v_in.size(1) && k_in.size(1) == bsz, op, "key shape ",
              key.shape(), " does not match value shape ", value.shape(), " / batch ", bsz);
  const std::int64_t head_dim = embed_dim / num_heads;
  EMBER_CHECK(head_dim * num_heads == embed_dim, op, "embed_dim ", embed_dim, " not divisible by num_heads ",
              num_heads);

  // --- projections: q (L, N, E), k (S, N, E), v (S, N, E) ---
  OptionalTensor<T> b_q, b_k, b_v;
  if (in_proj_bias) {
    EMBER_CHECK(in_proj_bias->dim() == 1 && in_proj_bias->size(0) == 3 * embed_dim, op, "expected in_proj_bias of shape ",
                Shape{3 * embed_dim}, ", got shape ", in_proj_bias->shape());
    auto b = chunk(*in_proj_bias, 3);
    b_q = b[0], b_k = b[1], b_v = b[2];
  }
  Tensor<T> q, k, v;
  if (opts.use_separate_proj_weight) {
    EMBER_CHECK(opts.q_proj_weight && opts.k_proj_weight && opts.v_proj_weight, op,
                "use_separate_proj_weight needs q_proj_weight, k_proj_weight and v_proj_weight");
    q = linear(q_in, *opts.q_proj_weight, b_q);
    k = linear(k_in, *opts.k_proj_weight, b_k);
    v = linear(v_in, *opts.v_proj_weight, b_v);
  } else {
    EMBER_CHECK(in_proj_weight.has_value(), op, "in_proj_weight is needed unless use_separate_proj_weight");
    EMBER_CHECK(in_proj_weight->dim() == 2 && in_proj_weight->size(0) == 3 * embed_dim, op,
                "expected in_proj_weight of shape (", 3 * embed_dim, ", E_in), got shape ", in_proj_weight->shape());
    if (self_attention) {
      auto qkv = chunk(linear(q_in, *in_proj_weight, in_proj_bias), 3, -1);
      q = qkv[0], k = qkv[1], v = qkv[2];
    } else {
      auto w = chunk(*in_proj_weight, 3);
      q = linear(q_in, w[0], b_q);
      k = linear(k_in, w[1], b_k);
      v = linear(v_in, w[2], b_v);
    }
  }

  // --- masks: one additive float mask broadcasting to (N * h, L, S) ---
  const Device dev = query.device();
  Tensor<T> mask = detail::additive_mask<T>(opts.attn_mask, dev);
  if (mask.defined()) {
    if (mask.dim() == 2) {
      EMBER_CHECK(mask.shape() == Shape({tgt_len, src_len}), op, "the shape of the 2-d attn_mask is ", mask.shape(),
                  ", but should be ", Shape({tgt_len, src_len}));
      mask = mask.unsqueeze(0);
    } else {
      EMBER_CHECK(mask.shape() == Shape({bsz * num_heads, tgt_len, src_len}), op, "the shape of the 3-d attn_mask is ",
                  mask.shape(), ", but should be ", Shape({bsz * num_heads, tgt_len, src_len}));
    }
  } else if (opts.is_causal) {
    mask = detail::additive_mask<T>(detail::causal_hidden(tgt_len, src_len, dev), dev).unsqueeze(0);
  }
  Tensor<T> kpm = detail::additive_mask<T>(opts.key_padding_mask, dev);
  if (kpm.defined()) {
    if (!batched) kpm = kpm.unsqueeze(0);
    EMBER_CHECK(kpm.shape() == Shape({bsz, src_len}), op, "expected key_padding_mask of shape ", Shape({bsz, src_len}),
                ", got ", kpm.shape());
    kpm = kpm.reshape({bsz, 1, 1, src_len}).expand({bsz, num_heads, 1, src_len}).reshape({bsz * num_heads, 1, src_len});
    mask = mask.defined() ? mask + kpm : kpm;
  }

  // --- h heads of attention: (L, N, E) -> (N * h, L, hd) ---
  q = q.reshape({tgt_len, bsz * num_heads, head_dim}).transpose(0, 1);
  k = k.reshape({src_len, bsz * num_heads, head_dim}).transpose(0, 1);
  v = v.reshape({src_len, bsz * num_heads, head_dim}).transpose(0, 1);
  Tensor<T> scores = bmm(q * static_cast<T>(1.0 / std::sqrt(static_cast<double>(head_dim))), k.transpose(1, 2));
  if (mask.defined()) scores = scores + mask;
  Tensor<T> weights = softmax(scores, -1);
  if (opts.training && dropout_p > 0.0) weights = dropout(weights, dropout_p, true, opts.generator);
  Tensor<T> out = bmm(weights, v);  // (N * h, L, hd)
  out = out.transpose(0, 1).reshape({tgt_len * bsz, embed_dim});
  out = linear(out, out_proj_weight, out_proj_bias).reshape({tgt_len, bsz, embed_dim});
  if (!batched) out = out.squeeze(1);
  if (!opts.need_weights) return {out, std::nullopt};
  weights = weights.reshape({bsz, num_heads, tgt_len, src_len});
  if (opts.average_attn_weights) weights = mean(weights, 1);
  if (!batched) weights = weights.squeeze(0);
  return {out, weights};
}

}  // namespace ember
