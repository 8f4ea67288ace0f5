// embedding, embedding_bag, dropout, scaled_dot_product_attention and multi_head_attention_forward as ember._core.<name>
// (ember.nn.functional adapts PyTorch's arguments to them). Argument conversion only.
#include "common.hpp"

namespace ember::python {

namespace {

using OptTensor = std::optional<AnyTensor>;

/// A mask argument: None, a bool tensor, or a floating one (converted to T); TypeError for other dtypes.
template <FloatElement T>
AttentionMask<T> mask_arg(const OptTensor& m, const char* op) {
  if (!m) return {};
  if (m->dtype() == DType::Bool) return m->template get<bool>(op);
  EMBER_CHECK_TYPE(is_floating(m->dtype()), op, "only bool and floating types of masks are supported, got ",
                   dtype_name(m->dtype()));
  return m->template as<T>();
}

}  // namespace

void bind_attention(py::module_& m, TensorClass&) {
  m.def(
      "embedding",
      [](const AnyTensor& input, const AnyTensor& weight, std::optional<std::int64_t> padding_idx) {
        return input.visit([&](const auto& ids) -> AnyTensor {
          using I = typename std::decay_t<decltype(ids)>::value_type;
          if constexpr (std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>) {
            MaybeReleaseGil g(ids.numel());
            return visit_float(weight, "embedding",
                               [&](const auto& w) { return AnyTensor(ember::embedding(ids, w, padding_idx)); });
          } else {
            detail::fail<TypeError>("embedding", "expected integer indices (int64 or int32), got ",
                                    dtype_name(ids.dtype()));
          }
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none(),
      "Rows of weight (num_embeddings, embedding_dim) picked by the integer input: ``(*input.shape, embedding_dim)``; "
      "the row at padding_idx gets no gradient.");

  m.def(
      "_embedding_bag",
      [](const AnyTensor& input, const AnyTensor& weight, const OptTensor& offsets, const std::string& mode,
         const OptTensor& per_sample_weights, bool include_last_offset, std::optional<std::int64_t> padding_idx) {
        constexpr const char* op = "embedding_bag";
        return input.visit([&](const auto& ids) -> AnyTensor {
          using I = typename std::decay_t<decltype(ids)>::value_type;
          if constexpr (std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>) {
            std::optional<Tensor<I>> off;
            if (offsets) {
              EMBER_CHECK_TYPE(offsets->dtype() == DType::Int64 || offsets->dtype() == DType::Int32, op,
                               "offsets must be int64 or int32, got ", dtype_name(offsets->dtype()));
              off = offsets->template as<I>();
            }
            MaybeReleaseGil g(ids.numel());
            return visit_float(weight, op, [&](const auto& w) {
              using T = typename std::decay_t<decltype(w)>::value_type;
              OptionalTensor<T> psw;
              if (per_sample_weights) {
                EMBER_CHECK_TYPE(per_sample_weights->dtype() == weight.dtype(), op, "per_sample_weights of dtype ",
                                 dtype_name(per_sample_weights->dtype()), " must have the weight's dtype ",
                                 dtype_name(weight.dtype()));
                psw = per_sample_weights->template as<T>();  // (bfloat16 computes in float32)
              }
              return AnyTensor(ember::embedding_bag(ids, w, off, mode, psw, include_last_offset, padding_idx));
            });
          } else {
            detail::fail<TypeError>(op, "expected integer indices (int64 or int32), got ", dtype_name(ids.dtype()));
          }
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("offsets") = py::none(), py::arg("mode") = "mean",
      py::arg("per_sample_weights") = py::none(), py::arg("include_last_offset") = false,
      py::arg("padding_idx") = py::none(),
      "The sum, mean or max of bags of rows of weight picked by input (2-d: a bag per row; 1-d: bags start at "
      "offsets): ``(bags, embedding_dim)``.");

  m.def(
      "dropout",
      [](const py::object& input, double p, bool training) -> py::object {
        const AnyTensor& x = input.cast<const AnyTensor&>();
        MaybeReleaseGil g(x.numel());
        auto out = visit_float(x, "dropout", [&](const auto& t) -> std::optional<AnyTensor> {
          auto y = ember::dropout(t, p, training);
          if (y.is_same(t)) return std::nullopt;
          return AnyTensor(std::move(y));
        });
        if (!out) return input;  // the identity (eval mode, p = 0) returns the input object itself
        return py::cast(std::move(*out));
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      "In training, zeroes each element with probability p (ember's RNG) and scales the rest by 1 / (1 - p); "
      "else returns input.");

  m.def(
      "scaled_dot_product_attention",
      [](const AnyTensor& query, const AnyTensor& key, const AnyTensor& value, const OptTensor& attn_mask,
         double dropout_p, bool is_causal, std::optional<double> scale) {
        constexpr const char* op = "scaled_dot_product_attention";
        MaybeReleaseGil g(query.numel() * 16);
        return visit_float(query, op, [&](const auto& q) {
          using T = typename std::decay_t<decltype(q)>::value_type;
          return AnyTensor(ember::scaled_dot_product_attention(q, *optional_arg<T>(key, op, "key"),
                                                               *optional_arg<T>(value, op, "value"),
                                                               mask_arg<T>(attn_mask, op), dropout_p, is_causal, scale));
        });
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
      py::arg("dropout_p") = 0.0, py::arg("is_causal") = false, py::arg("scale") = py::none(),
      "``softmax(query @ key^T * scale + mask) @ value`` for query ``(*, L, E)``, key ``(*, S, E)``, value "
      "``(*, S, Ev)``; a bool "
      "attn_mask marks with True the positions that take part.");

  m.def(
      "multi_head_attention_forward",
      [](const AnyTensor& query, const AnyTensor& key, const AnyTensor& value, std::int64_t embed_dim_to_check,
         std::int64_t num_heads, const OptTensor& in_proj_weight, const OptTensor& in_proj_bias, double dropout_p,
         const AnyTensor& out_proj_weight, const OptTensor& out_proj_bias, bool training,
         const OptTensor& key_padding_mask, bool need_weights, const OptTensor& attn_mask,
         bool use_separate_proj_weight, const OptTensor& q_proj_weight, const OptTensor& k_proj_weight,
         const OptTensor& v_proj_weight, bool average_attn_weights, bool is_causal) {
        constexpr const char* op = "multi_head_attention_forward";
        MaybeReleaseGil g(query.numel() * 16);
        return visit_float(query, op, [&](const auto& q) -> std::pair<AnyTensor, OptTensor> {
          using T = typename std::decay_t<decltype(q)>::value_type;
          MultiHeadAttentionOptions<T> o;
          o.training = training;
          o.key_padding_mask = mask_arg<T>(key_padding_mask, op);
          o.need_weights = need_weights;
          o.attn_mask = mask_arg<T>(attn_mask, op);
          o.use_separate_proj_weight = use_separate_proj_weight;
          o.q_proj_weight = optional_arg<T>(q_proj_weight, op, "q_proj_weight");
          o.k_proj_weight = optional_arg<T>(k_proj_weight, op, "k_proj_weight");
          o.v_proj_weight = optional_arg<T>(v_proj_weight, op, "v_proj_weight");
          o.average_attn_weights = average_attn_weights;
          o.is_causal = is_causal;
          auto [out, weights] = ember::multi_head_attention_forward(
              q, *optional_arg<T>(key, op, "key"), *optional_arg<T>(value, op, "value"), embed_dim_to_check,
              num_heads, optional_arg<T>(in_proj_weight, op, "in_proj_weight"),
              optional_arg<T>(in_proj_bias, op, "in_proj_bias"), dropout_p,
              *optional_arg<T>(out_proj_weight, op, "out_proj_weight"),
              optional_arg<T>(out_proj_bias, op, "out_proj_bias"), o);
          if (!weights) return {AnyTensor(std::move(out)), std::nullopt};
          return {AnyTensor(std::move(out)), AnyTensor(std::move(*weights))};
        });
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("embed_dim_to_check"), py::arg("num_heads"),
      py::arg("in_proj_weight"), py::arg("in_proj_bias"), py::arg("dropout_p"), py::arg("out_proj_weight"),
      py::arg("out_proj_bias"), py::arg("training") = true, py::arg("key_padding_mask") = py::none(),
      py::arg("need_weights") = true, py::arg("attn_mask") = py::none(), py::arg("use_separate_proj_weight") = false,
      py::arg("q_proj_weight") = py::none(), py::arg("k_proj_weight") = py::none(),
      py::arg("v_proj_weight") = py::none(), py::arg("average_attn_weights") = true, py::arg("is_causal") = false,
      "Multi-head attention over query (L, N, E) or (L, E), key/value ``(S, N, *)``: (output, weights or None), as "
      "torch.nn.functional.multi_head_attention_forward without bias_k/bias_v, add_zero_attn and static_k/v.");
}

}  // namespace ember::python
