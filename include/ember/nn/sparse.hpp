#pragma once
// Embedding<T>: a lookup table over ember::embedding, as torch.nn.Embedding; EmbeddingBag<T>: sums, means
// or maxima of bags of its rows over ember::embedding_bag, as torch.nn.EmbeddingBag.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "ember/autograd/grad_mode.hpp"
#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/embedding.hpp"

namespace ember::nn {

/// Checks Embedding's sizes and padding_idx; returns padding_idx counted from the start (a negative one
/// counts from the end). The Python ember.nn.Embedding calls this too.
inline std::optional<std::int64_t> embedding_padding_idx(std::int64_t num_embeddings, std::int64_t embedding_dim,
                                                         std::optional<std::int64_t> padding_idx) {
  EMBER_CHECK(num_embeddings >= 0 && embedding_dim >= 0, "Embedding",
              "num_embeddings and embedding_dim must be >= 0, got ", num_embeddings, " and ", embedding_dim);
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings, "Embedding", "padding_idx ",
                *padding_idx, " must be within num_embeddings ", num_embeddings);
    if (*padding_idx < 0) *padding_idx += num_embeddings;
  }
  return padding_idx;
}

/// Checks from_pretrained's embeddings shape (rows, dim) (the Python ember.nn.Embedding calls this too).
inline void check_pretrained_embeddings(const Shape& shape) {
  EMBER_CHECK(shape.size() == 2, "Embedding", "embeddings parameter is expected to be 2-dimensional, got shape ",
              shape);
}

/// Integer ids (*) -> rows of weight (num_embeddings, embedding_dim): (*, embedding_dim). The weight
/// starts as N(0, 1) with the row at padding_idx zero; that row receives no gradient.
template <FloatElement T = float>
class Embedding : public Module<T> {
 public:
  /// A negative padding_idx counts from the end (it is stored non-negative, as PyTorch does).
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim,
            std::optional<std::int64_t> padding_idx = std::nullopt, Generator& gen = default_generator())
      : Module<T>("Embedding"),
        num_embeddings(num_embeddings),
        embedding_dim(embedding_dim),
        padding_idx(embedding_padding_idx(num_embeddings, embedding_dim, padding_idx)) {
    weight = this->register_parameter("weight", Tensor<T>::empty({num_embeddings, embedding_dim}));
    reset_parameters(gen);
  }

  /// An Embedding whose weight is embeddings (rows, dim) itself (shared), frozen (no gradient) unless !freeze.
  static Embedding from_pretrained(const Tensor<T>& embeddings, bool freeze = true,
                                   std::optional<std::int64_t> padding_idx = std::nullopt) {
    check_pretrained_embeddings(embeddings.shape());
    return Embedding(embeddings, freeze, padding_idx);
  }

  /// Draws weight from N(0, 1) again, with the padding row zero.
  void reset_parameters(Generator& gen = default_generator()) {
    init::normal_(weight, 0.0, 1.0, gen);
    if (padding_idx) {
      NoGradGuard guard;
      weight.detach().select(0, *padding_idx).fill_(T(0));
    }
  }

  /// ids (*) of int64 -> (*, embedding_dim).
  Tensor<T> forward(const Tensor<std::int64_t>& ids) { return lookup(ids); }
  /// ids (*) of int32 -> (*, embedding_dim).
  Tensor<T> forward(const Tensor<std::int32_t>& ids) { return lookup(ids); }
  /// Floating ids are refused (TypeError), as in Python.
  Tensor<T> forward(const Tensor<T>& ids) override {
    ::ember::detail::fail<TypeError>("Embedding", this->repr(), ": [embedding] expected integer indices (int64 or int32), got ",
                                     dtype_name(ids.dtype()));
  }
  using Module<T>::operator();
  Tensor<T> operator()(const Tensor<std::int64_t>& ids) { return forward(ids); }
  Tensor<T> operator()(const Tensor<std::int32_t>& ids) { return forward(ids); }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << num_embeddings << ", " << embedding_dim;
    if (padding_idx) os << ", padding_idx=" << *padding_idx;
    return os.str();
  }

  std::int64_t num_embeddings, embedding_dim;
  std::optional<std::int64_t> padding_idx;
  Tensor<T> weight;  // (num_embeddings, embedding_dim)

 private:
  Embedding(const Tensor<T>& embeddings, bool freeze, std::optional<std::int64_t> pad)
      : Module<T>("Embedding"),
        num_embeddings(embeddings.size(0)),
        embedding_dim(embeddings.size(1)),
        padding_idx(embedding_padding_idx(num_embeddings, embedding_dim, pad)) {
    weight = this->register_parameter("weight", embeddings);
    weight.requires_grad_(!freeze);
  }

  /// embedding(), its errors prefixed with this layer ("[Embedding] Embedding(5, 2): [embedding] ...").
  template <class I>
  Tensor<T> lookup(const Tensor<I>& ids) {
    try {
      return embedding(ids, weight, padding_idx);
    } catch (const std::out_of_range& e) {
      ::ember::detail::fail<std::out_of_range>("Embedding", this->repr(), ": ", e.what());
    }
  }
};

/// Bags of integer ids -> the sum, mean or max of their rows of weight (num_embeddings, embedding_dim):
/// (bags, embedding_dim). A 2-d input is a bag per row; a 1-d input takes offsets (where each bag starts).
/// The weight starts as N(0, 1) with the row at padding_idx zero; ids equal to padding_idx are left out.
template <FloatElement T = float>
class EmbeddingBag : public Module<T> {
 public:
  EmbeddingBag(std::int64_t num_embeddings, std::int64_t embedding_dim, std::string_view mode = "mean",
               bool include_last_offset = false, std::optional<std::int64_t> padding_idx = std::nullopt,
               Generator& gen = default_generator())
      : Module<T>("EmbeddingBag"),
        num_embeddings(num_embeddings),
        embedding_dim(embedding_dim),
        mode((parse_bag_mode(mode), std::string(mode))),
        include_last_offset(include_last_offset),
        padding_idx(embedding_padding_idx(num_embeddings, embedding_dim, padding_idx)) {
    weight = this->register_parameter("weight", Tensor<T>::empty({num_embeddings, embedding_dim}));
    reset_parameters(gen);
  }

  /// Draws weight from N(0, 1) again, with the padding row zero.
  void reset_parameters(Generator& gen = default_generator()) {
    init::normal_(weight, 0.0, 1.0, gen);
    if (padding_idx) {
      NoGradGuard guard;
      weight.detach().select(0, *padding_idx).fill_(T(0));
    }
  }

  /// ids (bags, n), or (n) with offsets (bags) -> (bags, embedding_dim); per_sample_weights (ids' shape)
  /// scale the rows in mode "sum".
  Tensor<T> forward(const Tensor<std::int64_t>& ids, const std::optional<Tensor<std::int64_t>>& offsets = std::nullopt,
                    const OptionalTensor<T>& per_sample_weights = std::nullopt) {
    return embedding_bag(ids, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx);
  }
  Tensor<T> forward(const Tensor<std::int32_t>& ids, const std::optional<Tensor<std::int32_t>>& offsets = std::nullopt,
                    const OptionalTensor<T>& per_sample_weights = std::nullopt) {
    return embedding_bag(ids, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx);
  }
  /// Floating ids are refused (TypeError), as in Python.
  Tensor<T> forward(const Tensor<T>& ids) override {
    ::ember::detail::fail<TypeError>("EmbeddingBag", this->repr(),
                                     ": [embedding_bag] expected integer indices (int64 or int32), got ",
                                     dtype_name(ids.dtype()));
  }
  using Module<T>::operator();
  Tensor<T> operator()(const Tensor<std::int64_t>& ids) { return forward(ids); }
  Tensor<T> operator()(const Tensor<std::int32_t>& ids) { return forward(ids); }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << num_embeddings << ", " << embedding_dim << ", mode='" << mode << "'";
    if (include_last_offset) os << ", include_last_offset=True";
    if (padding_idx) os << ", padding_idx=" << *padding_idx;
    return os.str();
  }

  std::int64_t num_embeddings, embedding_dim;
  std::string mode;
  bool include_last_offset;
  std::optional<std::int64_t> padding_idx;
  Tensor<T> weight;  // (num_embeddings, embedding_dim)
};

}  // namespace ember::nn
