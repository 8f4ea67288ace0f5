// Parity cases of ember.nn.functional: the C++ op of the same name, called with the same arguments.
#include "parity.hpp"

namespace {
using namespace parity;


/// The target input: int64 class indices, or float (probabilities / BCE targets) that take a gradient.
template <class F>
void with_target(Run& r, F f) {
  if (r.any("target").dtype() == DType::Float64) r.out(f(r.x("target")));
  else r.out(f(r.get<std::int64_t>("target")));
}

// activations
PARITY_CASE("F.relu", r) { r.out(relu(r.x("input"))); }
PARITY_CASE("F.leaky_relu", r) { r.out(leaky_relu(r.x("input"), r.f("negative_slope", 0.01))); }
PARITY_CASE("F.gelu", r) { r.out(gelu(r.x("input"), r.s("approximate", "none"))); }
PARITY_CASE("F.silu", r) { r.out(silu(r.x("input"))); }
PARITY_CASE("F.tanh", r) { r.out(tanh(r.x("input"))); }
PARITY_CASE("F.sigmoid", r) { r.out(sigmoid(r.x("input"))); }
PARITY_CASE("F.softmax", r) { r.out(softmax(r.x("input"), r.i("dim", -1))); }
PARITY_CASE("F.log_softmax", r) { r.out(log_softmax(r.x("input"), r.i("dim", -1))); }

// layers
PARITY_CASE("F.linear", r) { r.out(linear(r.x("input"), r.x("weight"), r.ox("bias"))); }
PARITY_CASE("F.bilinear", r) {
  r.out(bilinear(r.x("input1"), r.x("input2"), r.x("weight"), r.ox("bias")));
}
PARITY_CASE("F.conv2d", r) {
  r.out(conv2d(r.x("input"), r.x("weight"), r.ox("bias"),
               Conv2dOptions{r.pair("stride", {1, 1}), r.padding("padding"), r.pair("dilation", {1, 1}),
                             r.i("groups", 1)}));
}
PARITY_CASE("F.max_pool2d", r) { r.out(max_pool2d(r.x("input"), r.pool())); }
PARITY_CASE("F.avg_pool2d", r) { r.out(avg_pool2d(r.x("input"), r.pool())); }
PARITY_CASE("F.adaptive_avg_pool2d", r) { r.out(adaptive_avg_pool2d(r.x("input"), r.pair("output_size", {1, 1}))); }
PARITY_CASE("F.batch_norm", r) {
  r.out(batch_norm(r.x("input"), r.oget<T>("running_mean"), r.oget<T>("running_var"), r.ox("weight"), r.ox("bias"),
                   r.b("training", false), r.f("momentum", 0.1), r.f("eps", 1e-5)));
}
PARITY_CASE("F.layer_norm", r) {
  const auto dims = r.ints("normalized_shape");
  r.out(layer_norm(r.x("input"), Shape(dims.begin(), dims.end()), r.ox("weight"), r.ox("bias"), r.f("eps", 1e-5)));
}
PARITY_CASE("F.dropout", r) { r.out(dropout(r.x("input"), r.f("p", 0.5), r.b("training", true))); }
PARITY_CASE("F.embedding", r) {
  r.out(embedding(r.get<std::int64_t>("input"), r.x("weight"), r.oi("padding_idx")));
}
PARITY_CASE("F.embedding_bag", r) {
  r.out(embedding_bag(r.get<std::int64_t>("input"), r.x("weight"), r.oget<std::int64_t>("offsets"),
                      r.s("mode", "mean"), r.ox("per_sample_weights"), r.b("include_last_offset", false),
                      r.oi("padding_idx")));
}
PARITY_CASE("F.gumbel_softmax", r) {
  r.out(gumbel_softmax(r.x("logits"), r.f("tau", 1.0), r.b("hard", false), r.i("dim", -1)));
}
PARITY_CASE("F.one_hot", r) {
  r.out(AnyTensor(one_hot(r.get<std::int64_t>("tensor"), r.i("num_classes", -1))));
}
PARITY_CASE("F.flatten", r) { r.out(r.x("input").flatten(r.i("start_dim", 0), r.i("end_dim", -1))); }

// losses
PARITY_CASE("F.mse_loss", r) { r.out(mse_loss(r.x("input"), r.x("target"), r.reduction())); }
PARITY_CASE("F.l1_loss", r) { r.out(l1_loss(r.x("input"), r.x("target"), r.reduction())); }
PARITY_CASE("F.smooth_l1_loss", r) {
  r.out(smooth_l1_loss(r.x("input"), r.x("target"), r.reduction(), r.f("beta", 1.0)));
}
PARITY_CASE("F.huber_loss", r) { r.out(huber_loss(r.x("input"), r.x("target"), r.reduction(), r.f("delta", 1.0))); }
PARITY_CASE("F.nll_loss", r) {
  r.out(nll_loss(r.x("input"), r.get<std::int64_t>("target"),
                 {.weight = r.oget<T>("weight"), .ignore_index = r.i("ignore_index", -100),
                  .reduction = r.reduction()}));
}
PARITY_CASE("F.cross_entropy", r) {
  const Tensor<T> input = r.x("input");
  const CrossEntropyOptions<T> o{.weight = r.oget<T>("weight"), .ignore_index = r.i("ignore_index", -100),
                                 .reduction = r.reduction(), .label_smoothing = r.f("label_smoothing", 0.0)};
  with_target(r, [&](const auto& target) { return cross_entropy(input, target, o); });
}
PARITY_CASE("F.binary_cross_entropy", r) {
  r.out(binary_cross_entropy(r.x("input"), r.x("target"),
                             BCEOptions<T>{.weight = r.oget<T>("weight"), .reduction = r.reduction()}));
}
PARITY_CASE("F.binary_cross_entropy_with_logits", r) {
  r.out(binary_cross_entropy_with_logits(
      r.x("input"), r.x("target"),
      BCEWithLogitsOptions<T>{.weight = r.oget<T>("weight"), .reduction = r.reduction(),
                              .pos_weight = r.oget<T>("pos_weight")}));
}

// attention
PARITY_CASE("F.scaled_dot_product_attention", r) {
  r.out(scaled_dot_product_attention(r.x("query"), r.x("key"), r.x("value"), r.mask("attn_mask"), 0.0,
                                     r.b("is_causal", false),
                                     r.has("scale") ? std::optional(r.f("scale", 1.0)) : std::nullopt));
}
PARITY_CASE("F.multi_head_attention_forward", r) {
  MultiHeadAttentionOptions<T> o;
  o.training = r.b("training", true);
  o.key_padding_mask = r.mask("key_padding_mask");
  o.need_weights = r.b("need_weights", true);
  o.attn_mask = r.mask("attn_mask");
  o.average_attn_weights = r.b("average_attn_weights", true);
  o.is_causal = r.b("is_causal", false);
  auto [out, weights] = multi_head_attention_forward(
      r.x("query"), r.x("key"), r.x("value"), r.i("embed_dim_to_check", 0), r.i("num_heads", 1),
      r.ox("in_proj_weight"), r.ox("in_proj_bias"), r.f("dropout_p", 0.0), r.x("out_proj_weight"),
      r.ox("out_proj_bias"), o);
  r.out(out);
  if (weights) r.out(*weights);
}

}  // namespace
