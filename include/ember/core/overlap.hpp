#pragma once
// Memory overlap, for ops that write in place: whether a layout reaches one element twice, and how
// the memory of a tensor an op reads meets the memory of the tensor it writes.
#include <cstdint>
#include <utility>

#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

/// Whether two different indices of a (shape, strides) layout can reach the same element. Dims are
/// taken by increasing stride, and each stride must exceed the reach of all smaller ones: true for a
/// broadcast (stride-0) dim, false for every view that permute, slice and select make of dense memory.
/// A layout that fails this without overlapping (only NumPy's stride tricks make one) counts as overlapping.
inline bool has_internal_overlap(const Shape& shape, const Shape& strides) {
  std::int64_t st[64], sz[64];
  std::size_t n = 0;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return false;
    if (shape[i] == 1) continue;
    if (n == 64) return true;  // more non-trivial dims than any real tensor has: refuse rather than guess
    std::size_t j = n++;
    for (; j > 0 && st[j - 1] > strides[i]; --j) st[j] = st[j - 1], sz[j] = sz[j - 1];
    st[j] = strides[i], sz[j] = shape[i];
  }
  std::int64_t reach = 0;  // the largest offset the dims so far reach
  for (std::size_t i = 0; i < n; ++i) {
    if (st[i] <= reach) return true;
    if (__builtin_mul_overflow(st[i], sz[i] - 1, &st[i]) || __builtin_add_overflow(reach, st[i], &reach)) return true;
  }
  return false;
}

namespace detail {

/// The bytes [begin, end) that t's elements span (strides are never negative).
template <Element T>
std::pair<std::uintptr_t, std::uintptr_t> byte_span(const Tensor<T>& t) {
  std::int64_t last = 0;
  for (std::size_t i = 0; i < t.shape().size(); ++i) last += t.strides()[i] * (t.shape()[i] - 1);
  const auto begin = reinterpret_cast<std::uintptr_t>(t.data());
  return {begin, begin + static_cast<std::uintptr_t>(last + 1) * sizeof(T)};
}

/// What an op that writes dst in place should read for src: src itself when their memory is apart or
/// they are the same view, else a copy, so that the result is always as if src were read first:
/// NumPy's answer for "a[1:] = a[:-1]" (PyTorch refuses the dense cases).
template <Element T, Element U>
Tensor<U> inplace_source(const Tensor<T>& dst, const Tensor<U>& src) {
  if (dst.numel() == 0 || src.numel() == 0 || dst.device() != src.device()) return src;
  const auto [db, de] = byte_span(dst);
  const auto [sb, se] = byte_span(src);
  if (de <= sb || se <= db) return src;
  if (sizeof(T) == sizeof(U) && db == sb && dst.shape() == src.shape() && dst.strides() == src.strides()) return src;
  return src.clone();
}

}  // namespace detail
}  // namespace ember
