#pragma once
// MultiheadAttention<T>: multi-head attention over ember::multi_head_attention_forward, with
// torch.nn.MultiheadAttention's parameters (and state_dict keys).
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "ember/nn/init.hpp"
#include "ember/nn/linear.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/attention.hpp"

namespace ember::nn {

/// Checks MultiheadAttention's embed_dim and num_heads (the Python ember.nn.MultiheadAttention calls this too).
inline void check_multihead_attention_layer(std::int64_t embed_dim, std::int64_t num_heads) {
  constexpr const char* op = "MultiheadAttention";
  EMBER_CHECK(embed_dim > 0 && num_heads > 0, op, "embed_dim and num_heads must be greater than 0, got ", embed_dim,
              " and ", num_heads);
  EMBER_CHECK(embed_dim % num_heads == 0, op, "embed_dim ", embed_dim, " must be divisible by num_heads ", num_heads);
}

/// Checks the query's shape for MultiheadAttention(embed_dim, num_heads): (L, N, E), (N, L, E) with
/// batch_first, or (L, E) (a shape, so that export does not trace it; Python calls this too).
inline void check_multihead_attention_query(const Shape& query, std::int64_t embed_dim, std::int64_t num_heads,
                                            bool batch_first) {
  EMBER_CHECK((query.size() == 2 || query.size() == 3) && query[query.size() - 1] == embed_dim, "MultiheadAttention",
              "MultiheadAttention(embed_dim=", embed_dim, ", num_heads=", num_heads, ") expected a query of shape ",
              batch_first ? "(N, L, E)" : "(L, N, E)", " or (L, E) with E = ", embed_dim, ", got shape ", query);
}

/// Multi-head attention, as torch.nn.MultiheadAttention (without add_bias_kv and add_zero_attn).
/// Parameters: in_proj_weight (3E, E) when kdim == vdim == E, else q_proj_weight (E, E), k_proj_weight
/// (E, kdim) and v_proj_weight (E, vdim); in_proj_bias (3E) and out_proj.bias (E) with bias;
/// out_proj.weight (E, E). Inputs are (L, N, E) (or (N, L, E) with batch_first), or unbatched (L, E).
template <FloatElement T = float>
class MultiheadAttention : public Module<T> {
 public:
  /// What forward returns: the output and, with need_weights, the attention weights.
  using Output = std::pair<Tensor<T>, OptionalTensor<T>>;

  MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads, double dropout = 0.0, bool bias = true,
                     std::optional<std::int64_t> kdim = std::nullopt, std::optional<std::int64_t> vdim = std::nullopt,
                     bool batch_first = false, Generator& gen = default_generator())
      : Module<T>("MultiheadAttention"),
        embed_dim(embed_dim),
        num_heads(num_heads),
        kdim(kdim.value_or(embed_dim)),
        vdim(vdim.value_or(embed_dim)),
        dropout(dropout),
        batch_first(batch_first) {
    check_multihead_attention_layer(embed_dim, num_heads);
    head_dim = embed_dim / num_heads;
    if (qkv_same_embed_dim()) {
      in_proj_weight = this->register_parameter("in_proj_weight", Tensor<T>::empty({3 * embed_dim, embed_dim}));
    } else {
      q_proj_weight = this->register_parameter("q_proj_weight", Tensor<T>::empty({embed_dim, embed_dim}));
      k_proj_weight = this->register_parameter("k_proj_weight", Tensor<T>::empty({embed_dim, this->kdim}));
      v_proj_weight = this->register_parameter("v_proj_weight", Tensor<T>::empty({embed_dim, this->vdim}));
    }
    if (bias) in_proj_bias = this->register_parameter("in_proj_bias", Tensor<T>::empty({3 * embed_dim}));
    out_proj = this->register_module("out_proj", std::make_shared<Linear<T>>(embed_dim, embed_dim, bias, gen));
    reset_parameters(gen);
  }

  /// True when key and value have the query's size E (one packed in_proj_weight).
  bool qkv_same_embed_dim() const { return kdim == embed_dim && vdim == embed_dim; }

  /// The projections xavier_uniform_, the biases zero (out_proj.weight keeps Linear's initialisation).
  void reset_parameters(Generator& gen = default_generator()) {
    if (qkv_same_embed_dim()) {
      init::xavier_uniform_(in_proj_weight, 1.0, gen);
    } else {
      init::xavier_uniform_(q_proj_weight, 1.0, gen);
      init::xavier_uniform_(k_proj_weight, 1.0, gen);
      init::xavier_uniform_(v_proj_weight, 1.0, gen);
    }
    if (in_proj_bias.defined()) {
      init::zeros_(in_proj_bias);
      init::zeros_(out_proj->bias);
    }
  }

  using Module<T>::forward;
  /// Attends from query to key/value: query (L, N, E) (or (N, L, E) with batch_first, or (L, E)), key
  /// (S, N, kdim), value (S, N, vdim). key_padding_mask (N, S) and attn_mask ((L, S) or (N * h, L, S))
  /// are bool (true = masked out) or additive float. Returns (output like query, weights (N, L, S)
  /// averaged over heads or (N, h, L, S); nullopt without need_weights).
  Output forward(const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value,
                 const AttentionMask<T>& key_padding_mask = {}, bool need_weights = true,
                 const AttentionMask<T>& attn_mask = {}, bool average_attn_weights = true, bool is_causal = false) {
    const bool batched = query.dim() == 3;
    check_multihead_attention_query(query.shape(), embed_dim, num_heads, batch_first);
    Tensor<T> q = query, k = key, v = value;
    if (batch_first && batched) {  // keep self-attention's q, k, v one tensor (it projects them at once)
      q = query.transpose(1, 0);
      k = key.is_same(query) ? q : key.transpose(1, 0);
      v = value.is_same(key) ? k : value.transpose(1, 0);
    }
    MultiHeadAttentionOptions<T> o;
    o.training = this->is_training();
    o.key_padding_mask = key_padding_mask;
    o.need_weights = need_weights;
    o.attn_mask = attn_mask;
    o.use_separate_proj_weight = !qkv_same_embed_dim();
    o.q_proj_weight = if_defined(q_proj_weight);
    o.k_proj_weight = if_defined(k_proj_weight);
    o.v_proj_weight = if_defined(v_proj_weight);
    o.average_attn_weights = average_attn_weights;
    o.is_causal = is_causal;
    auto [out, weights] =
        multi_head_attention_forward(q, k, v, embed_dim, num_heads, if_defined(in_proj_weight), if_defined(in_proj_bias),
                                     dropout, out_proj->weight, if_defined(out_proj->bias), o);
    if (batch_first && batched) out = out.transpose(1, 0);
    return {out, weights};
  }
  /// forward(query, key, value, ...).
  template <class... Args>
  Output operator()(const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value, Args&&... args) {
    return forward(query, key, value, std::forward<Args>(args)...);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << "embed_dim=" << embed_dim << ", num_heads=" << num_heads;
    return os.str();
  }

  std::int64_t embed_dim, num_heads, kdim, vdim, head_dim = 0;
  double dropout;
  bool batch_first;
  Tensor<T> in_proj_weight;                              // (3E, E), when qkv_same_embed_dim()
  Tensor<T> q_proj_weight, k_proj_weight, v_proj_weight;  // (E, E), (E, kdim), (E, vdim) otherwise
  Tensor<T> in_proj_bias;                                // (3E), with bias
  std::shared_ptr<Linear<T>> out_proj;                   // (E, E) weight and (E) bias
};

}  // namespace ember::nn
