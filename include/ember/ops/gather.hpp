#pragma once
// Ops that take an index tensor: gather, index_select, masked_fill / masked_fill_. Plain loops (these are memory-bound
// gathers): a contiguous fast path, then detail::for_each_strided with the indexed dim restrided to 0
// so that one walk over the output shape visits output, index and input together.
// Python-style t[...] indexing lives in ops/subscript.hpp.
#include <cstring>
#include <type_traits>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/subscript.hpp"  // t[...] indexing, part of this family

namespace ember {

namespace detail {

// The byte strides of `input` restrided to `shape` for a gather along dim: input's own strides,
// except 0 along dim (the index supplies that coordinate). A 0-d input gives an empty list.
template <Element T>
Shape gather_input_strides(const Tensor<T>& input, std::int64_t dim, std::size_t ndim) {
  Shape st(ndim, 0);
  for (std::size_t d = 0; d < ndim && d < input.strides().size(); ++d)
    st[d] = static_cast<std::int64_t>(d) == dim ? 0 : input.strides()[d] * static_cast<std::int64_t>(sizeof(T));
  return st;
}

/// out[p] = input[p with coordinate `dim` replaced by index[p]] over out's shape.
/// out and idx have shape S; idx_strides are idx's element strides over S (0 where broadcast);
/// input has S's rank, with input.size(d) >= S[d] for d != dim (or is 0-d).
template <Element T, class I>
void gather_kernel(const Tensor<T>& out, const I* idx, const Shape& idx_strides, const Tensor<T>& input,
                   std::int64_t dim, const char* op) {
  const bool scalar = input.dim() == 0;
  const std::int64_t n = scalar ? 1 : input.shape()[dim];
  const std::int64_t dim_bytes = scalar ? 0 : input.strides()[dim] * static_cast<std::int64_t>(sizeof(T));
  const Shape in_st = gather_input_strides(input, dim, out.shape().size());
  for_each_strided<3>(
      out.shape(),
      {reinterpret_cast<char*>(out.data()), reinterpret_cast<char*>(const_cast<I*>(idx)),
       reinterpret_cast<char*>(input.data())},
      {byte_strides<T>(out.strides()), byte_strides<I>(idx_strides), in_st},
      [&](char** p, const std::int64_t* s, std::int64_t m) {
        for (std::int64_t i = 0; i < m; ++i) {
          const auto v = static_cast<std::int64_t>(*reinterpret_cast<const I*>(p[1] + i * s[1]));
          EMBER_CHECK_INDEX(v >= 0 && v < n, op, "index ", v, " is out of bounds for dimension ", dim,
                            " with size ", n);
          *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const T*>(p[2] + i * s[2] + v * dim_bytes);
        }
      });
}

/// dst[p with coordinate `dim` replaced by idx[p]] += src[p] over src's shape: the adjoint of
/// gather_kernel (repeated indices add up). The forward gather has checked the indices.
template <Element T, class I>
void scatter_add_kernel(const Tensor<T>& dst, const I* idx, const Shape& idx_strides, const Tensor<T>& src,
                        std::int64_t dim) {
  const std::int64_t dim_bytes = dst.dim() == 0 ? 0 : dst.strides()[dim] * static_cast<std::int64_t>(sizeof(T));
  for_each_strided<3>(
      src.shape(),
      {reinterpret_cast<char*>(src.data()), reinterpret_cast<char*>(const_cast<I*>(idx)),
       reinterpret_cast<char*>(dst.data())},
      {byte_strides<T>(src.strides()), byte_strides<I>(idx_strides), gather_input_strides(dst, dim, src.shape().size())},
      [&](char** p, const std::int64_t* s, std::int64_t m) {
        for (std::int64_t i = 0; i < m; ++i) {
          const auto v = static_cast<std::int64_t>(*reinterpret_cast<const I*>(p[1] + i * s[1]));
          *reinterpret_cast<T*>(p[2] + i * s[2] + v * dim_bytes) += *reinterpret_cast<const T*>(p[0] + i * s[0]);
        }
      });
}

/// A zero tensor of `shape` into which scatter_add_kernel(…, src = g, …) has added g: the gradient of
/// a gather-like op.
template <Element T, class I>
Tensor<T> scatter_add_grad(const Shape& shape, const I* idx, const Shape& idx_strides, const Tensor<T>& g,
                           std::int64_t dim) {
  Tensor<T> dx = Tensor<T>::empty(shape, g.device());
  dx.fill_(T(0));
  if (g.numel() > 0) scatter_add_kernel(dx, idx, idx_strides, g, dim);
  return dx;
}

}  // namespace detail

/// out[i][j][k] = input[i][index[i][j][k]][k] for dim 1 (and likewise for any dim); out has index's shape.
template <Element T>
Tensor<T> gather(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index) {
  detail::check_cpu("gather", input, index);
  dim = normalize_dim(dim, input.dim(), "gather");
  const bool scalar_ok = input.dim() == 0 && index.numel() <= 1 && index.dim() <= 1;
  EMBER_CHECK(index.dim() == input.dim() || scalar_ok, "gather", "index tensor must have the same number of ",
              "dimensions as input tensor: index shape ", index.shape(), ", input shape ", input.shape());
  for (std::int64_t d = 0; d < input.dim(); ++d)
    EMBER_CHECK(d == dim || index.shape()[d] <= input.shape()[d], "gather", "size does not match at dimension ", d,
                ": expected index of shape ", index.shape(), " to be no larger than input of shape ", input.shape(),
                " apart from dimension ", dim);
  Tensor<T> out = Tensor<T>::empty(index.shape(), input.device());
  if (out.numel() == 0) return out;
  EMBER_CHECK_INDEX(input.numel() > 0, "gather", "index is out of bounds for dimension ", dim,
                    " with size 0 (input shape ", input.shape(), ")");
  detail::gather_kernel(out, index.data(), index.strides(), input, dim, "gather");
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input))
      autograd::record("gather", out, [shape = input.shape(), si = autograd::Saved<std::int64_t>(index, "gather"),
                                       dim](const Tensor<T>& g) {
        const auto& idx = si.get();
        return detail::scatter_add_grad(shape, idx.data(), idx.strides(), g, dim);
      }, input);
  return out;
}

/// The entries of input at positions index (1-D, int64 or int32) along dim; that dim gets index's length.
template <Element T, Element I>
  requires(std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>)
Tensor<T> index_select(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index) {
  detail::check_cpu("index_select", input, index);
  dim = normalize_dim(dim, input.dim(), "index_select");
  EMBER_CHECK_INDEX(index.dim() <= 1, "index_select", "index must be 1-D (or 0-d), got shape ", index.shape());
  const std::int64_t k = index.numel();
  Shape shape = input.shape();
  if (input.dim() > 0) shape[dim] = k;
  else EMBER_CHECK_INDEX(k == 1, "index_select", "index of a 0-d input must have one element, got shape ",
                         index.shape());
  Tensor<T> out = Tensor<T>::empty(shape, input.device());
  const std::int64_t istride = index.dim() == 1 ? index.strides()[0] : 0;
  if constexpr (GradElement<T>)
    if (autograd::needs_grad(input))
      autograd::record("index_select", out, [in_shape = input.shape(), si = autograd::Saved<I>(index, "index_select"),
                                             dim](const Tensor<T>& g) {
        const auto& idx = si.get();
        Shape idx_strides(g.shape().size(), 0);  // index runs along dim only
        if (!idx_strides.empty() && idx.dim() == 1) idx_strides[dim] = idx.strides()[0];
        return detail::via_float32(g, [&](const auto& h) {
          return detail::scatter_add_grad(in_shape, idx.data(), idx_strides, h, dim);
        });
      }, input);
  const std::int64_t n = input.dim() > 0 ? input.shape()[dim] : 1;
  const I* idx = index.data();
  for (std::int64_t j = 0; j < k; ++j) {  // also when the result is empty: a bad index is an error anyway
    const auto v = static_cast<std::int64_t>(idx[j * istride]);
    EMBER_CHECK_INDEX(v >= 0 && v < n, "index_select", "index ", v, " is out of bounds for dimension ", dim,
                      " with size ", n);
  }
  if (out.numel() == 0) return out;
  if (input.is_contiguous()) {
    // input is (outer, n, inner), out is (outer, k, inner): copy runs of `inner` elements.
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t d = 0; d < dim; ++d) outer *= input.shape()[d];
    for (std::int64_t d = dim + 1; d < input.dim(); ++d) inner *= input.shape()[d];
    const T* src = input.data();
    T* dst = out.data();
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t j = 0; j < k; ++j) {
        const auto v = static_cast<std::int64_t>(idx[j * istride]);
        const T* s = src + (o * n + v) * inner;
        T* d = dst + (o * k + j) * inner;
        if (inner == 1) *d = *s;
        else std::memcpy(d, s, static_cast<std::size_t>(inner) * sizeof(T));
      }
    return out;
  }
  Shape idx_strides(shape.size(), 0);
  if (input.dim() > 0) idx_strides[dim] = istride;
  detail::gather_kernel(out, idx, idx_strides, input, dim, "index_select");
  return out;
}

/// Sets input's elements to value where mask (bool, broadcast to input's shape) is true, in place.
template <Element T, Scalar S>
const Tensor<T>& masked_fill_(const Tensor<T>& input, const Tensor<bool>& mask, S value) {
  detail::check_cpu("masked_fill_", input, mask);
  const Shape b = broadcast_shapes(mask.shape(), input.shape(), "masked_fill_");
  EMBER_CHECK(b == input.shape(), "masked_fill_", "mask of shape ", mask.shape(),
              " cannot be broadcast to the input's shape ", input.shape());
  autograd::check_inplace(input, "masked_fill_");
  const T v = static_cast<T>(value);
  if (input.is_contiguous() && mask.is_contiguous() && mask.shape() == input.shape()) {
    T* o = input.data();
    const bool* m = mask.data();
    const std::int64_t n = input.numel();
    for (std::int64_t i = 0; i < n; ++i) o[i] = m[i] ? v : o[i];
    return input;
  }
  detail::for_each_strided<2>(
      input.shape(), {reinterpret_cast<char*>(input.data()), reinterpret_cast<char*>(mask.data())},
      {detail::byte_strides<T>(input.strides()),
       detail::byte_strides<bool>(broadcast_strides(mask.shape(), mask.strides(), input.shape()))},
      [v](char** p, const std::int64_t* s, std::int64_t m) {
        for (std::int64_t i = 0; i < m; ++i)
          if (*reinterpret_cast<const bool*>(p[1] + i * s[1])) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      });
  return input;
}

/// masked_fill_ with a 0-d tensor value.
template <Element T, Element U>
const Tensor<T>& masked_fill_(const Tensor<T>& input, const Tensor<bool>& mask, const Tensor<U>& value) {
  EMBER_CHECK(value.dim() == 0, "masked_fill_", "only supports a 0-dimensional value tensor, but got a tensor of shape ",
              value.shape());
  autograd::check_inplace_source(value, "masked_fill_");
  return masked_fill_(input, mask, value.item());
}

/// A copy of input (broadcast with mask) with value where mask is true.
template <Element T, Scalar S>
Tensor<T> masked_fill(const Tensor<T>& input, const Tensor<bool>& mask, S value) {
  const Shape b = broadcast_shapes(input.shape(), mask.shape(), "masked_fill");
  Tensor<T> out = Tensor<T>::empty(b, input.device());
  detail::copy_cast(out, input.detach().expand(b));
  {
    NoGradGuard no_grad;  // out is new: filling it is part of this op
    masked_fill_(out, mask, value);
  }
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input))
      autograd::record("masked_fill", out, [shape = input.shape(), sm = autograd::Saved<bool>(mask, "masked_fill")](
                                               const Tensor<T>& g) { return sum_to_size(where(sm.get(), T(0), g), shape); },
                       input);
  return out;
}

/// masked_fill with a 0-d tensor value.
template <Element T, Element U>
Tensor<T> masked_fill(const Tensor<T>& input, const Tensor<bool>& mask, const Tensor<U>& value) {
  EMBER_CHECK(value.dim() == 0, "masked_fill", "only supports a 0-dimensional value tensor, but got a tensor of shape ",
              value.shape());
  if (autograd::needs_grad(value)) {  // a differentiable fill value: where() records both gradients
    return where(mask, value.template to<T>(), input);
  }
  return masked_fill(input, mask, value.item());
}

template <Element T>
Tensor<T> Tensor<T>::gather(std::int64_t dim, const Tensor<std::int64_t>& index) const {
  return ember::gather(*this, dim, index);
}
template <Element T>
Tensor<T> Tensor<T>::index_select(std::int64_t dim, const Tensor<std::int64_t>& index) const {
  return ember::index_select(*this, dim, index);
}
template <Element T>
Tensor<T> Tensor<T>::masked_fill(const Tensor<bool>& mask, T value) const {
  return ember::masked_fill(*this, mask, value);
}
template <Element T>
const Tensor<T>& Tensor<T>::masked_fill_(const Tensor<bool>& mask, T value) const {
  return ember::masked_fill_(*this, mask, value);
}

}  // namespace ember
