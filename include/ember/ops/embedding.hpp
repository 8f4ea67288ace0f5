#pragma once
// embedding: rows of a (num_embeddings, embedding_dim) table picked by integer indices.
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"

namespace ember {

/// Rows of weight (num_embeddings, embedding_dim) picked by the integer indices (any shape, int64 or
/// int32): out (*indices.shape, embedding_dim). The row at padding_idx (negative counts from the end)
/// receives no gradient. Indices outside [0, num_embeddings) raise std::out_of_range naming them.
template <FloatElement T, Element I>
  requires(std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>)
Tensor<T> embedding(const Tensor<I>& indices, const Tensor<T>& weight,
                    std::optional<std::int64_t> padding_idx = std::nullopt) {
  constexpr const char* op = "embedding";
  EMBER_CHECK(weight.dim() == 2, op, "weight must be 2-d (num_embeddings, embedding_dim), got shape ",
              weight.shape());
  const std::int64_t num = weight.size(0), dim = weight.size(1);
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -num && *padding_idx < num, op, "padding_idx must be within num_embeddings (", num,
                "), got ", *padding_idx);
    if (*padding_idx < 0) *padding_idx += num;
  }
  const Tensor<I> flat = indices.reshape({-1}).contiguous();
  {
    const I* p = flat.data();
    for (std::int64_t i = 0; i < flat.numel(); ++i)
      if (p[i] < 0 || p[i] >= num) [[unlikely]]
        detail::fail<std::out_of_range>(
            op, "index out of range: ",
            detail::bad_values(std::span<const I>(p, static_cast<std::size_t>(flat.numel())),
                               [num](std::int64_t v) { return v >= 0 && v < num; }),
            " not in [0, ", num - 1, "] (num_embeddings=", num, ")");
  }
  Shape shape = indices.shape();
  shape.push_back(dim);
  Tensor<T> out = index_select(weight.detach(), 0, flat).reshape(shape);
  if (autograd::needs_grad(weight)) {
    // dweight[idx[i]] += g[i] for every i whose index is not padding_idx
    Tensor<bool> pad_rows;
    if (padding_idx) pad_rows = flat.eq(*padding_idx).unsqueeze(1);
    autograd::record(op, out, [si = autograd::Saved<I>(flat, op), pad_rows, num, dim](const Tensor<T>& g) {
      const Tensor<I>& idx = si.get();
      Tensor<T> g2 = g.reshape({idx.numel(), dim});
      if (pad_rows.defined()) g2 = where(pad_rows, T(0), g2);
      const Shape idx_strides{idx.dim() == 1 ? idx.strides()[0] : 0, 0};
      return detail::scatter_add_grad(Shape{num, dim}, idx.data(), idx_strides, g2, 0);
    }, weight);
  }
  return out;
}

}  // namespace ember
