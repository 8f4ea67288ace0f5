#pragma once
// The Transformer layers of torch.nn (TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder,
// TransformerDecoder, Transformer), composed from MultiheadAttention, Linear, LayerNorm and Dropout under
// PyTorch's submodule names, so that state dicts line up with PyTorch's and with ember.nn's.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "ember/nn/attention.hpp"
#include "ember/nn/container.hpp"
#include "ember/nn/dropout.hpp"
#include "ember/nn/init.hpp"
#include "ember/nn/linear.hpp"
#include "ember/nn/normalization.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/triangular.hpp"

namespace ember::nn {

/// An additive causal mask (sz, sz): -inf above the diagonal, 0 elsewhere, as
/// torch.nn.Transformer.generate_square_subsequent_mask.
template <FloatElement T = float>
Tensor<T> generate_square_subsequent_mask(std::int64_t sz, Device device = Device::cpu()) {
  EMBER_CHECK(sz >= 0, "generate_square_subsequent_mask", "sz must be >= 0, got ", sz);
  return triu(full<T>({sz, sz}, -std::numeric_limits<T>::infinity(), device), 1);
}

/// Whether a layer should treat `mask` as causal: `is_causal` when given; otherwise whether the mask equals
/// the causal mask of its size (bool: true above the diagonal; float: -inf above, 0 elsewhere), as PyTorch's
/// TransformerEncoder/Decoder decide (so a causal mask takes the causal attention path).
template <FloatElement T>
bool detect_is_causal_mask(const AttentionMask<T>& mask, std::optional<bool> is_causal = std::nullopt,
                           std::optional<std::int64_t> size = std::nullopt) {
  if (is_causal) return *is_causal;
  auto matches = [&](const auto& m, auto causal) {
    const Shape& s = m.shape();
    if (s.size() != 2 || s[0] != s[1] || (size && *size != s[0])) return false;
    NoGradGuard no_grad;
    return eq(m, causal).all().item();
  };
  if (const auto* b = std::get_if<Tensor<bool>>(&mask)) {
    const std::int64_t n = b->dim() >= 2 ? b->shape()[b->dim() - 2] : 0;
    return matches(*b, triu(ones<bool>({n, n}, b->device()), 1));
  }
  if (const auto* f = std::get_if<Tensor<T>>(&mask)) {
    const std::int64_t n = f->dim() >= 2 ? f->shape()[f->dim() - 2] : 0;
    return matches(*f, generate_square_subsequent_mask<T>(n, f->device()));
  }
  return false;
}

/// The options of TransformerEncoderLayer / TransformerDecoderLayer (and Transformer), with PyTorch's defaults.
struct TransformerLayerOptions {
  std::int64_t d_model = 512;
  std::int64_t nhead = 8;
  std::int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  ///< "relu" or "gelu" (or a custom one through the layer's `activation`)
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;  ///< pre-norm (LayerNorm before attention and feed-forward) instead of post-norm
  bool bias = true;         ///< biases of the Linear and LayerNorm layers
};

namespace detail {

template <FloatElement T>
std::function<Tensor<T>(const Tensor<T>&)> transformer_activation(const std::string& name, const char* layer) {
  if (name == "relu") return [](const Tensor<T>& x) { return relu(x); };
  if (name == "gelu") return [](const Tensor<T>& x) { return gelu(x); };
  ::ember::detail::fail<std::invalid_argument>(layer, "activation should be relu/gelu, not ", name);  // checked before
}

/// The parts both layers share: the feed-forward block and the options; registered in PyTorch's order.
template <FloatElement T>
struct FeedForward {
  void build(Module<T>& self, const TransformerLayerOptions& o, Generator& gen) {
    linear1 = self.register_module("linear1", std::make_shared<Linear<T>>(o.d_model, o.dim_feedforward, o.bias, gen));
    dropout = self.register_module("dropout", std::make_shared<Dropout<T>>(o.dropout));
    linear2 = self.register_module("linear2", std::make_shared<Linear<T>>(o.dim_feedforward, o.d_model, o.bias, gen));
  }
  Tensor<T> operator()(const Tensor<T>& x, const std::function<Tensor<T>(const Tensor<T>&)>& activation) const {
    return linear2->forward(dropout->forward(activation(linear1->forward(x))));
  }
  std::shared_ptr<Linear<T>> linear1, linear2;
  std::shared_ptr<Dropout<T>> dropout;
};

}  // namespace detail

/// Checks a Transformer layer's options (sizes positive, activation "relu" or "gelu"); `layer` names it in
/// errors. The Python layers call this too.
inline void check_transformer_layer(const TransformerLayerOptions& o, const char* layer) {
  EMBER_CHECK(o.d_model > 0 && o.nhead > 0 && o.dim_feedforward > 0, layer,
              "d_model, nhead and dim_feedforward must be positive, got ", o.d_model, ", ", o.nhead, " and ",
              o.dim_feedforward);
  EMBER_CHECK(o.activation == "relu" || o.activation == "gelu", layer, "activation should be relu/gelu, not ",
              o.activation);
}

/// Self-attention then a feed-forward network, each with a residual connection and LayerNorm (after, or
/// before with norm_first), as torch.nn.TransformerEncoderLayer. Submodules: self_attn, linear1, dropout,
/// linear2, norm1, norm2, dropout1, dropout2.
template <FloatElement T = float>
class TransformerEncoderLayer : public Module<T> {
 public:
  explicit TransformerEncoderLayer(TransformerLayerOptions o, Generator& gen = default_generator())
      : Module<T>("TransformerEncoderLayer"), options(std::move(o)) {
    check_transformer_layer(options, "TransformerEncoderLayer");
    activation = detail::transformer_activation<T>(options.activation, "TransformerEncoderLayer");
    self_attn = this->register_module("self_attn", std::make_shared<MultiheadAttention<T>>(
        options.d_model, options.nhead, options.dropout, options.bias, std::nullopt, std::nullopt, options.batch_first,
        gen));
    ff.build(*this, options, gen);
    norm1 = this->register_module("norm1", std::make_shared<LayerNorm<T>>(Shape{options.d_model},
                                                                          options.layer_norm_eps, true, options.bias));
    norm2 = this->register_module("norm2", std::make_shared<LayerNorm<T>>(Shape{options.d_model},
                                                                          options.layer_norm_eps, true, options.bias));
    dropout1 = this->register_module("dropout1", std::make_shared<Dropout<T>>(options.dropout));
    dropout2 = this->register_module("dropout2", std::make_shared<Dropout<T>>(options.dropout));
  }

  using Module<T>::forward;
  /// src (S, N, E) (or (N, S, E) with batch_first, or (S, E)); src_mask (S, S) or (N * nhead, S, S) and
  /// src_key_padding_mask (N, S), bool (true = masked out) or additive. Returns a tensor shaped like src.
  Tensor<T> forward(const Tensor<T>& src, const AttentionMask<T>& src_mask,
                    const AttentionMask<T>& src_key_padding_mask = {}, bool is_causal = false) {
    auto sa = [&](const Tensor<T>& x) {
      return dropout1->forward(self_attn->forward(x, x, x, src_key_padding_mask, false, src_mask, true, is_causal).first);
    };
    auto ffb = [&](const Tensor<T>& x) { return dropout2->forward(ff(x, activation)); };
    Tensor<T> x = src;
    if (options.norm_first) {
      x = x + sa(norm1->forward(x));
      return x + ffb(norm2->forward(x));
    }
    x = norm1->forward(x + sa(x));
    return norm2->forward(x + ffb(x));
  }
  Tensor<T> forward(const Tensor<T>& src) override { return forward(src, {}, {}, false); }

  TransformerLayerOptions options;
  std::function<Tensor<T>(const Tensor<T>&)> activation;  ///< relu, gelu or any callable
  std::shared_ptr<MultiheadAttention<T>> self_attn;
  detail::FeedForward<T> ff;
  std::shared_ptr<LayerNorm<T>> norm1, norm2;
  std::shared_ptr<Dropout<T>> dropout1, dropout2;
};

/// Self-attention, attention over the encoder's memory, then a feed-forward network, each with a residual
/// connection and LayerNorm, as torch.nn.TransformerDecoderLayer. Submodules: self_attn, multihead_attn,
/// linear1, dropout, linear2, norm1-3, dropout1-3.
template <FloatElement T = float>
class TransformerDecoderLayer : public Module<T> {
 public:
  explicit TransformerDecoderLayer(TransformerLayerOptions o, Generator& gen = default_generator())
      : Module<T>("TransformerDecoderLayer"), options(std::move(o)) {
    check_transformer_layer(options, "TransformerDecoderLayer");
    activation = detail::transformer_activation<T>(options.activation, "TransformerDecoderLayer");
    auto attention = [&] {
      return std::make_shared<MultiheadAttention<T>>(options.d_model, options.nhead, options.dropout, options.bias,
                                                     std::nullopt, std::nullopt, options.batch_first, gen);
    };
    self_attn = this->register_module("self_attn", attention());
    multihead_attn = this->register_module("multihead_attn", attention());
    ff.build(*this, options, gen);
    for (auto* norm : {&norm1, &norm2, &norm3})
      *norm = std::make_shared<LayerNorm<T>>(Shape{options.d_model}, options.layer_norm_eps, true, options.bias);
    this->register_module("norm1", norm1), this->register_module("norm2", norm2);
    this->register_module("norm3", norm3);
    dropout1 = this->register_module("dropout1", std::make_shared<Dropout<T>>(options.dropout));
    dropout2 = this->register_module("dropout2", std::make_shared<Dropout<T>>(options.dropout));
    dropout3 = this->register_module("dropout3", std::make_shared<Dropout<T>>(options.dropout));
  }

  using Module<T>::forward;
  /// tgt (T, N, E) and memory (S, N, E) (batch first with batch_first); tgt_mask (T, T), memory_mask (T, S),
  /// the key padding masks (N, T) and (N, S). Returns a tensor shaped like tgt.
  Tensor<T> forward(const Tensor<T>& tgt, const Tensor<T>& memory, const AttentionMask<T>& tgt_mask = {},
                    const AttentionMask<T>& memory_mask = {}, const AttentionMask<T>& tgt_key_padding_mask = {},
                    const AttentionMask<T>& memory_key_padding_mask = {}, bool tgt_is_causal = false,
                    bool memory_is_causal = false) {
    auto sa = [&](const Tensor<T>& x) {
      return dropout1->forward(
          self_attn->forward(x, x, x, tgt_key_padding_mask, false, tgt_mask, true, tgt_is_causal).first);
    };
    auto mha = [&](const Tensor<T>& x) {
      return dropout2->forward(multihead_attn->forward(x, memory, memory, memory_key_padding_mask, false, memory_mask,
                                                       true, memory_is_causal).first);
    };
    auto ffb = [&](const Tensor<T>& x) { return dropout3->forward(ff(x, activation)); };
    Tensor<T> x = tgt;
    if (options.norm_first) {
      x = x + sa(norm1->forward(x));
      x = x + mha(norm2->forward(x));
      return x + ffb(norm3->forward(x));
    }
    x = norm1->forward(x + sa(x));
    x = norm2->forward(x + mha(x));
    return norm3->forward(x + ffb(x));
  }

  TransformerLayerOptions options;
  std::function<Tensor<T>(const Tensor<T>&)> activation;  ///< relu, gelu or any callable
  std::shared_ptr<MultiheadAttention<T>> self_attn, multihead_attn;
  detail::FeedForward<T> ff;
  std::shared_ptr<LayerNorm<T>> norm1, norm2, norm3;
  std::shared_ptr<Dropout<T>> dropout1, dropout2, dropout3;
};

/// num_layers encoder layers in sequence (submodule `layers`), then an optional final `norm`, as
/// torch.nn.TransformerEncoder. Each layer starts from its own initialisation (PyTorch deep-copies one
/// layer instead; load a state dict to get identical layers).
template <FloatElement T = float>
class TransformerEncoder : public Module<T> {
 public:
  TransformerEncoder(const TransformerLayerOptions& layer, std::int64_t num_layers,
                     std::shared_ptr<LayerNorm<T>> norm = nullptr, Generator& gen = default_generator())
      : Module<T>("TransformerEncoder"), num_layers(num_layers) {
    EMBER_CHECK(num_layers >= 0, "TransformerEncoder", "num_layers must be >= 0, got ", num_layers);
    layers = this->register_module("layers", std::make_shared<ModuleList<T>>());
    for (std::int64_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerEncoderLayer<T>>(layer, gen));
    if (norm) this->norm = this->register_module("norm", std::move(norm));
  }

  using Module<T>::forward;
  /// Runs every layer on src with the same masks; `is_causal` unset means: detect it from `mask`.
  Tensor<T> forward(const Tensor<T>& src, const AttentionMask<T>& mask,
                    const AttentionMask<T>& src_key_padding_mask = {}, std::optional<bool> is_causal = std::nullopt) {
    const bool causal = detect_is_causal_mask<T>(mask, is_causal);
    Tensor<T> x = src;
    for (std::size_t i = 0; i < layers->size(); ++i)
      x = layers->template at<TransformerEncoderLayer<T>>(i).forward(x, mask, src_key_padding_mask, causal);
    return norm ? norm->forward(x) : x;
  }
  Tensor<T> forward(const Tensor<T>& src) override { return forward(src, {}, {}, std::nullopt); }

  std::int64_t num_layers;
  std::shared_ptr<ModuleList<T>> layers;
  std::shared_ptr<LayerNorm<T>> norm;
};

/// num_layers decoder layers in sequence (submodule `layers`), then an optional final `norm`, as
/// torch.nn.TransformerDecoder.
template <FloatElement T = float>
class TransformerDecoder : public Module<T> {
 public:
  TransformerDecoder(const TransformerLayerOptions& layer, std::int64_t num_layers,
                     std::shared_ptr<LayerNorm<T>> norm = nullptr, Generator& gen = default_generator())
      : Module<T>("TransformerDecoder"), num_layers(num_layers) {
    EMBER_CHECK(num_layers >= 0, "TransformerDecoder", "num_layers must be >= 0, got ", num_layers);
    layers = this->register_module("layers", std::make_shared<ModuleList<T>>());
    for (std::int64_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerDecoderLayer<T>>(layer, gen));
    if (norm) this->norm = this->register_module("norm", std::move(norm));
  }

  using Module<T>::forward;
  /// Runs every layer on (tgt, memory); `tgt_is_causal` unset means: detect it from `tgt_mask`.
  Tensor<T> forward(const Tensor<T>& tgt, const Tensor<T>& memory, const AttentionMask<T>& tgt_mask = {},
                    const AttentionMask<T>& memory_mask = {}, const AttentionMask<T>& tgt_key_padding_mask = {},
                    const AttentionMask<T>& memory_key_padding_mask = {},
                    std::optional<bool> tgt_is_causal = std::nullopt, bool memory_is_causal = false) {
    const bool causal = detect_is_causal_mask<T>(tgt_mask, tgt_is_causal);
    Tensor<T> x = tgt;
    for (std::size_t i = 0; i < layers->size(); ++i)
      x = layers->template at<TransformerDecoderLayer<T>>(i).forward(x, memory, tgt_mask, memory_mask,
                                                                      tgt_key_padding_mask, memory_key_padding_mask,
                                                                      causal, memory_is_causal);
    return norm ? norm->forward(x) : x;
  }

  std::int64_t num_layers;
  std::shared_ptr<ModuleList<T>> layers;
  std::shared_ptr<LayerNorm<T>> norm;
};

/// Checks Transformer's src and tgt shapes: same batch size, last dim d_model (Python's Transformer calls this).
inline void check_transformer_inputs(const Shape& src, const Shape& tgt, std::int64_t d_model, bool batch_first) {
  constexpr const char* op = "Transformer";
  EMBER_CHECK(src.size() == tgt.size() && (src.size() == 2 || src.size() == 3), op,
              "src and tgt must both be 2-d (unbatched) or 3-d, got shapes ", src, " and ", tgt);
  if (src.size() == 3) {
    const std::size_t b = batch_first ? 0 : 1;
    EMBER_CHECK(src[b] == tgt[b], op, "the batch number of src and tgt must be equal, got shapes ", src, " and ", tgt,
                batch_first ? " (batch_first)" : "");
  }
  EMBER_CHECK(src.back() == d_model && tgt.back() == d_model, op,
              "the feature number of src and tgt must be equal to d_model ", d_model, ", got shapes ", src, " and ",
              tgt);
}

/// The encoder-decoder Transformer of "Attention Is All You Need", as torch.nn.Transformer: an encoder and a
/// decoder, each ending with a LayerNorm; every parameter of more than one dimension xavier_uniform_.
template <FloatElement T = float>
class Transformer : public Module<T> {
 public:
  explicit Transformer(TransformerLayerOptions o = {}, std::int64_t num_encoder_layers = 6,
                       std::int64_t num_decoder_layers = 6, Generator& gen = default_generator())
      : Module<T>("Transformer"), options(std::move(o)) {
    auto final_norm = [&] {
      return std::make_shared<LayerNorm<T>>(Shape{options.d_model}, options.layer_norm_eps, true, options.bias);
    };
    encoder = this->register_module(
        "encoder", std::make_shared<TransformerEncoder<T>>(options, num_encoder_layers, final_norm(), gen));
    decoder = this->register_module(
        "decoder", std::make_shared<TransformerDecoder<T>>(options, num_decoder_layers, final_norm(), gen));
    for (auto& [name, p] : this->named_parameters())
      if (p.dim() > 1) init::xavier_uniform_(p, 1.0, gen);
  }

  using Module<T>::forward;
  /// src (S, N, E) and tgt (T, N, E) (batch first with batch_first, or unbatched); masks as the layers take
  /// them. Returns the decoder's output, shaped like tgt.
  Tensor<T> forward(const Tensor<T>& src, const Tensor<T>& tgt, const AttentionMask<T>& src_mask = {},
                    const AttentionMask<T>& tgt_mask = {}, const AttentionMask<T>& memory_mask = {},
                    const AttentionMask<T>& src_key_padding_mask = {},
                    const AttentionMask<T>& tgt_key_padding_mask = {},
                    const AttentionMask<T>& memory_key_padding_mask = {},
                    std::optional<bool> src_is_causal = std::nullopt, std::optional<bool> tgt_is_causal = std::nullopt,
                    bool memory_is_causal = false) {
    check_transformer_inputs(src.shape(), tgt.shape(), options.d_model, options.batch_first);
    const Tensor<T> memory = encoder->forward(src, src_mask, src_key_padding_mask, src_is_causal);
    return decoder->forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                            tgt_is_causal, memory_is_causal);
  }

  std::string extra_repr() const override { return ""; }

  TransformerLayerOptions options;
  std::shared_ptr<TransformerEncoder<T>> encoder;
  std::shared_ptr<TransformerDecoder<T>> decoder;
};

}  // namespace ember::nn
