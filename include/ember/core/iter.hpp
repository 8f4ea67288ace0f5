#pragma once
// The strided loop that every elementwise kernel, copy and cast runs on: N operands of one shape,
// each with its own byte strides (0 for a broadcast dim), walked in one pass with the innermost
// run handed to a kernel as (pointers, strides, length).
#include <array>
#include <cstdint>

#include "ember/core/shape.hpp"

namespace ember::detail {

/// Walks `shape` once over N operands. `ptrs` point at element 0 of each operand, `strides` are in
/// bytes. `inner(ptrs, strides, n)` processes one run of n elements along the innermost dim.
/// Dims of extent 1 are dropped and adjacent dims that are contiguous for every operand are merged,
/// so contiguous operands become a single run.
template <std::size_t N, class F>
void for_each_strided(const Shape& shape, std::array<char*, N> ptrs,
                      const std::array<Shape, N>& strides, F&& inner) {
  const std::size_t nd = shape.size();
  for (std::size_t d = 0; d < nd; ++d)
    if (shape[d] == 0) return;
  // Coalesced dims, innermost first.
  Shape ext;
  std::array<Shape, N> st;
  for (std::size_t d = nd; d-- > 0;) {
    if (shape[d] == 1) continue;
    bool merge = !ext.empty();
    for (std::size_t k = 0; merge && k < N; ++k)
      merge = strides[k][d] == st[k].back() * ext.back();
    if (merge) {
      ext.back() *= shape[d];
    } else {
      ext.push_back(shape[d]);
      for (std::size_t k = 0; k < N; ++k) st[k].push_back(strides[k][d]);
    }
  }
  if (ext.empty()) {  // a single element
    std::array<std::int64_t, N> zero{};
    inner(ptrs.data(), zero.data(), std::int64_t{1});
    return;
  }
  const std::size_t m = ext.size();
  std::array<std::int64_t, N> inner_strides;
  for (std::size_t k = 0; k < N; ++k) inner_strides[k] = st[k][0];
  Shape counter(m, 0);
  for (;;) {
    inner(ptrs.data(), inner_strides.data(), ext[0]);
    std::size_t d = 1;
    for (; d < m; ++d) {
      for (std::size_t k = 0; k < N; ++k) ptrs[k] += st[k][d];
      if (++counter[d] < ext[d]) break;
      for (std::size_t k = 0; k < N; ++k) ptrs[k] -= st[k][d] * ext[d];
      counter[d] = 0;
    }
    if (d == m) return;
  }
}

/// Element strides to byte strides.
template <class T>
Shape byte_strides(const Shape& strides) {
  Shape out(strides.size());
  for (std::size_t i = 0; i < strides.size(); ++i) out[i] = strides[i] * static_cast<std::int64_t>(sizeof(T));
  return out;
}

}  // namespace ember::detail
