#pragma once
// tril and triu: the lower / upper triangle of the last two dims, the rest zero.
#include <cstdint>

#include "ember/core/tensor.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/elementwise.hpp"

namespace ember {

namespace detail {

/// (m, n) bool on device: true where column - row <= diagonal (lower) or >= diagonal (upper).
inline Tensor<bool> triangle_mask(std::int64_t m, std::int64_t n, std::int64_t diagonal, bool lower, Device device) {
  Tensor<bool> mask = Tensor<bool>::empty({m, n});
  bool* p = mask.data();
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) p[i * n + j] = lower ? j - i <= diagonal : j - i >= diagonal;
  return device.is_cuda() ? mask.to(device) : mask;
}

template <Element T>
Tensor<T> triangle(const Tensor<T>& x, std::int64_t diagonal, bool lower, const char* op) {
  EMBER_CHECK(x.dim() >= 2, op, "expected a tensor with 2 or more dimensions, got shape ", x.shape());
  return where(triangle_mask(x.size(-2), x.size(-1), diagonal, lower, x.device()), x, T(0));
}

}  // namespace detail

/// The lower triangle of the last two dims of x (*, m, n): elements with column - row <= diagonal kept,
/// the rest zero. The gradient passes where the element is kept.
template <Element T>
Tensor<T> tril(const Tensor<T>& x, std::int64_t diagonal = 0) { return detail::triangle(x, diagonal, true, "tril"); }
/// The upper triangle of the last two dims of x (*, m, n): elements with column - row >= diagonal kept.
template <Element T>
Tensor<T> triu(const Tensor<T>& x, std::int64_t diagonal = 0) { return detail::triangle(x, diagonal, false, "triu"); }

/// tril written into x.
template <Element T>
const Tensor<T>& tril_(const Tensor<T>& x, std::int64_t diagonal = 0) {
  return detail::assign_inplace(x, "tril_", [&](const Tensor<T>& s) { return detail::triangle(s, diagonal, true, "tril_"); });
}
/// triu written into x.
template <Element T>
const Tensor<T>& triu_(const Tensor<T>& x, std::int64_t diagonal = 0) {
  return detail::assign_inplace(x, "triu_", [&](const Tensor<T>& s) { return detail::triangle(s, diagonal, false, "triu_"); });
}

template <Element T> Tensor<T> Tensor<T>::tril(std::int64_t diagonal) const { return ember::tril(*this, diagonal); }
template <Element T> Tensor<T> Tensor<T>::triu(std::int64_t diagonal) const { return ember::triu(*this, diagonal); }

}  // namespace ember
