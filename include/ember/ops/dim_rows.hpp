#pragma once
// Rows along one dim: the layout shared by the loop kernels of sort, scan, sampling (ops that walk a
// dim from start to end). A tensor is copied into (outer, n) rows with the dim last, processed row by
// row, and the result is moved back.
#include <cstdint>

#include "ember/core/tensor.hpp"

namespace ember::detail {

/// x detached, with dim d (normalised) moved last and made contiguous: rows of x.size(d) elements.
/// A 0-d tensor is one row of one element.
template <Element T>
Tensor<T> rows_along(const Tensor<T>& x, std::int64_t d) {
  Tensor<T> v = x.detach();
  if (v.dim() == 0) return v.reshape({1}).contiguous();
  return v.transpose(d, v.dim() - 1).contiguous();
}

/// The shape of rows_along(x, d) with the row length set to n.
inline Shape rows_shape(const Shape& shape, std::int64_t d, std::int64_t n) {
  if (shape.empty()) return {n};
  Shape s = shape;
  std::swap(s[d], s.back());
  s.back() = n;
  return s;
}

/// r (laid out as rows_along of an input of `ndim` dims) moved back so that its last dim is dim d,
/// contiguous. For a 0-d input (ndim 0) with rows of one element, a 0-d tensor.
template <Element T>
Tensor<T> rows_back(const Tensor<T>& r, std::int64_t d, std::int64_t ndim) {
  if (ndim == 0) return r.numel() == 1 ? r.reshape({}) : r;
  return r.transpose(d, ndim - 1).contiguous();
}

}  // namespace ember::detail
