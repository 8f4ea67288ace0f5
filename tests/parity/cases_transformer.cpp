// Parity cases of the Transformer layers (include/ember/nn/transformer.hpp): each builds the C++ twin from the
// options the Python case gave; the stacks are built as the Python cases' build functions build them.
#include "parity.hpp"

namespace {
using namespace parity;

nn::TransformerLayerOptions layer_options(const Run& r) {
  nn::TransformerLayerOptions o;
  o.d_model = r.i("d_model", 512), o.nhead = r.i("nhead", 8), o.dim_feedforward = r.i("dim_feedforward", 2048);
  o.dropout = r.f("dropout", 0.1), o.activation = r.s("activation", "relu");
  o.layer_norm_eps = r.f("layer_norm_eps", 1e-5), o.batch_first = r.b("batch_first", false);
  o.norm_first = r.b("norm_first", false), o.bias = r.b("bias", true);
  return o;
}

/// The stacks' layers in the Python cases: d_model 8, 2 heads, feed-forward 16, no dropout.
nn::TransformerLayerOptions stack_layer() {
  nn::TransformerLayerOptions o;
  o.d_model = 8, o.nhead = 2, o.dim_feedforward = 16, o.dropout = 0.0;
  return o;
}

PARITY_CASE("TransformerEncoderLayer", r) {
  auto& m = r.module(nn::TransformerEncoderLayer<T>(layer_options(r)));
  r.out(m.forward(r.x("src"), r.mask("src_mask"), r.mask("src_key_padding_mask"), r.b("is_causal", false)));
}

PARITY_CASE("TransformerDecoderLayer", r) {
  auto& m = r.module(nn::TransformerDecoderLayer<T>(layer_options(r)));
  r.out(m.forward(r.x("tgt"), r.x("memory"), r.mask("tgt_mask"), r.mask("memory_mask"),
                  r.mask("tgt_key_padding_mask"), r.mask("memory_key_padding_mask"), r.b("tgt_is_causal", false)));
}

PARITY_CASE("TransformerEncoder", r) {
  auto& m = r.module(nn::TransformerEncoder<T>(stack_layer(), 2, std::make_shared<nn::LayerNorm<T>>(Shape{8})));
  r.out(m.forward(r.x("src"), r.mask("mask")));
}

PARITY_CASE("TransformerDecoder", r) {
  auto& m = r.module(nn::TransformerDecoder<T>(stack_layer(), 2));
  r.out(m.forward(r.x("tgt"), r.x("memory"), r.mask("tgt_mask")));
}

PARITY_CASE("Transformer", r) {
  auto& m = r.module(nn::Transformer<T>(layer_options(r), r.i("num_encoder_layers", 6), r.i("num_decoder_layers", 6)));
  r.out(m.forward(r.x("src"), r.x("tgt"), {}, r.mask("tgt_mask")));
}

}  // namespace
