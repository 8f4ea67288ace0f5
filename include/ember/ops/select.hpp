#pragma once
// Selection by value or by flat position: nonzero (argwhere), masked_select, take, take_along_dim, isin
// and count_nonzero. The differentiable ones are composed from index_select and gather, whose backward
// scatters the gradient back.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/sort.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// The index of every nonzero element of x in row-major order: an int64 (N, x.dim()) tensor (torch.nonzero,
/// and torch.argwhere).
template <Element T>
Tensor<std::int64_t> nonzero(const Tensor<T>& x) {
  if (x.device().is_cuda()) return nonzero(x.to(Device::cpu())).to(x.device());
  const Tensor<T> c = x.contiguous();
  const T* p = c.data();
  const std::int64_t n = c.numel(), nd = x.dim();
  const auto count = std::count_if(p, p + n, [](T v) { return v != T(0); });
  Tensor<std::int64_t> out = Tensor<std::int64_t>::empty({static_cast<std::int64_t>(count), nd});
  std::int64_t* o = out.data();
  std::vector<std::int64_t> at(nd, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    if (p[i] != T(0)) o = std::copy(at.begin(), at.end(), o);
    for (std::int64_t d = nd - 1; d >= 0; --d) {  // the next position, row-major
      if (++at[d] < x.shape()[d]) break;
      at[d] = 0;
    }
  }
  return out;
}

/// The elements of x where mask is true (x and mask broadcast together), as a 1-D tensor in row-major order.
template <Element T>
Tensor<T> masked_select(const Tensor<T>& x, const Tensor<bool>& mask) {
  const Shape s = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  const Tensor<std::int64_t> where = nonzero(mask.expand(s).reshape({-1})).reshape({-1});
  return index_select(x.expand(s).reshape({-1}), 0, where);
}

namespace detail {

/// index with negative entries counted from the end of an extent n, each checked to lie in [-n, n); of what.
inline Tensor<std::int64_t> wrapped_indices(const Tensor<std::int64_t>& index, std::int64_t n, const char* op,
                                            const Shape& of) {
  Tensor<std::int64_t> flat = index.to(Device::cpu()).reshape({-1}).clone();
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    std::int64_t& v = flat.data()[i];
    EMBER_CHECK_INDEX(v >= -n && v < n, op, "index ", v, " is out of bounds for an extent of ", n, " (input shape ", of,
                      ")");
    if (v < 0) v += n;
  }
  return flat.reshape(index.shape()).to(index.device());
}

}  // namespace detail

/// The elements of x at the flat (row-major) positions in index (negative counts from the end); the result
/// has index's shape (torch.take).
template <Element T>
Tensor<T> take(const Tensor<T>& x, const Tensor<std::int64_t>& index) {
  const Tensor<std::int64_t> flat = detail::wrapped_indices(index, x.numel(), "take", x.shape()).reshape({-1});
  return index_select(x.reshape({-1}), 0, flat).reshape(index.shape());
}

/// The elements of x at indices along dim (negative counts from the end; x and indices broadcast over the
/// other dims), as gather; without dim, take over the flattened x with the flattened indices
/// (torch.take_along_dim).
template <Element T>
Tensor<T> take_along_dim(const Tensor<T>& x, const Tensor<std::int64_t>& indices,
                         std::optional<std::int64_t> dim = std::nullopt) {
  if (!dim) return take(x.reshape({-1}), indices.reshape({-1}));
  EMBER_CHECK_INDEX(x.dim() > 0, "take_along_dim", "dimension specified as ", *dim, " but the input is 0-d");
  EMBER_CHECK(x.dim() == indices.dim(), "take_along_dim", "input and indices should have the same number of "
              "dimensions, got shapes ", x.shape(), " and ", indices.shape());
  const std::int64_t d = normalize_dim(*dim, x.dim(), "take_along_dim");
  Shape sx = x.shape(), si = indices.shape();
  sx[d] = si[d] = 1;
  Shape b = broadcast_shapes(sx, si, "take_along_dim");
  Shape bx = b, bi = b;
  bx[d] = x.shape()[d];
  bi[d] = indices.shape()[d];
  const Tensor<std::int64_t> idx = detail::wrapped_indices(indices, x.shape()[d], "take_along_dim", x.shape());
  return gather(x.expand(bx), d, idx.expand(bi));
}

/// For each element of elements: is it equal to some element of test_elements (negated when invert)? A
/// bool tensor of elements' shape; NaN is in nothing. Sorts test_elements once, then a binary search each.
template <Element T>
Tensor<bool> isin(const Tensor<T>& elements, const Tensor<T>& test_elements, bool invert = false) {
  const Tensor<T> t = test_elements.to(Device::cpu()).contiguous();
  std::vector<T> sorted(t.data(), t.data() + t.numel());
  std::sort(sorted.begin(), sorted.end(), detail::nan_last_less<T>);
  const Tensor<T> e = elements.to(Device::cpu()).contiguous();
  Tensor<bool> out = Tensor<bool>::empty(elements.shape());
  for (std::int64_t i = 0; i < e.numel(); ++i) {
    const T v = e.data()[i];
    const bool found = v == v && std::binary_search(sorted.begin(), sorted.end(), v, detail::nan_last_less<T>);
    out.data()[i] = found != invert;
  }
  return out.to(elements.device());
}

/// The number of nonzero elements of x over dims (all when empty), as int64.
template <Element T>
Tensor<std::int64_t> count_nonzero(const Tensor<T>& x, typename Tensor<T>::Dims dims = {}) {
  return sum(ne(x, T(0)), std::move(dims)).template to<std::int64_t>();
}

}  // namespace ember
