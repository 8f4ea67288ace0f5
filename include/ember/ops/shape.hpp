#pragma once
// Shape-joining and -splitting ops: cat, stack, split, chunk. split and chunk return views; cat and
// stack copy each input once into its slab of the output (detail::copy_cast: contiguous fast path,
// else the strided loop).
#include <initializer_list>
#include <span>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/any_tensor.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

namespace detail {

// torch's legacy rule: 1-D tensors of shape (0,) are skipped by cat whatever the other shapes are.
inline bool cat_skipped(const Shape& s) { return s.size() == 1 && s[0] == 0; }

// Checks the shapes of cat's inputs (shape_of(i) for i < n) and returns the output shape; `dim` is
// normalized in place against the first tensor that is not skipped.
template <class ShapeOf>
Shape cat_shape(std::size_t n, ShapeOf&& shape_of, std::int64_t& dim, const char* op) {
  EMBER_CHECK(n > 0, op, "expected a non-empty list of tensors");
  std::size_t ref = n;
  for (std::size_t i = 0; i < n; ++i) {
    const Shape& s = shape_of(i);
    EMBER_CHECK(!s.empty(), op, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    if (ref == n && !cat_skipped(s)) ref = i;
  }
  if (ref == n) {  // every input is (0,): the result is (0,) too, whatever dim is (as PyTorch)
    dim = 0;
    return Shape{0};
  }
  const Shape& r = shape_of(ref);
  dim = normalize_dim(dim, static_cast<std::int64_t>(r.size()), op);
  Shape out = r;
  out[dim] = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Shape& s = shape_of(i);
    if (cat_skipped(s)) continue;
    EMBER_CHECK(s.size() == r.size(), op, "tensors must have the same number of dimensions: tensor ", ref,
                " has shape ", r, " but tensor ", i, " has shape ", s);
    for (std::size_t d = 0; d < s.size(); ++d)
      EMBER_CHECK(static_cast<std::int64_t>(d) == dim || s[d] == r[d], op,
                  "sizes of tensors must match except in dimension ", dim, ": tensor ", ref, " has shape ", r,
                  " but tensor ", i, " has shape ", s, " (mismatch at dimension ", d, ")");
    out[dim] += s[dim];
  }
  return out;
}

// Copies input (any element type, already checked by cat_shape) into out[..., at:at+n, ...] along dim.
template <Element T, Element U>
void cat_copy(const Tensor<T>& out, const Tensor<U>& input, std::int64_t dim, std::int64_t& at) {
  if (cat_skipped(input.shape())) return;
  const std::int64_t len = input.shape()[dim];
  if (len == 0) return;
  copy_cast(out.slice(dim, at, at + len), input);
  at += len;
}

// split's piece sizes for an extent of n.
inline std::vector<std::int64_t> split_sizes(std::int64_t n, std::int64_t split_size, const char* op) {
  EMBER_CHECK(split_size >= 0, op, "split_size must be non-negative, got ", split_size);
  EMBER_CHECK(split_size > 0 || n == 0, op, "split_size can only be 0 if dimension size is 0, but got dimension size ",
              n);
  const std::int64_t pieces = split_size == 0 ? 1 : std::max<std::int64_t>((n + split_size - 1) / split_size, 1);
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(pieces), split_size);
  sizes.back() = split_size - (split_size * pieces - n);
  return sizes;
}

}  // namespace detail

/// Joins tensors along an existing dim; all shapes must match except in dim (1-D empty tensors are skipped).
template <Element T>
Tensor<T> cat(std::span<const Tensor<T>> tensors, std::int64_t dim = 0) {
  const Shape shape = detail::cat_shape(
      tensors.size(), [&](std::size_t i) -> const Shape& { return tensors[i].shape(); }, dim, "cat");
  for (const auto& t : tensors) detail::check_cpu("cat", tensors[0], t);
  Tensor<T> out = Tensor<T>::empty(shape, tensors[0].device());
  std::int64_t at = 0;
  for (const auto& t : tensors) detail::cat_copy(out, t, dim, at);
  if constexpr (GradElement<T>) {
    bool any = false;
    for (const auto& t : tensors) any = any || t.requires_grad();
    if (any && is_grad_enabled()) {
      // Each input's gradient is its slab of g (a skipped (0,) input gets an empty one).
      std::vector<Shape> shapes;
      for (const auto& t : tensors) shapes.push_back(t.shape());
      autograd::record_list("cat", out, [shapes, dim](const Tensor<T>& g) {
        autograd::Grads grads;
        std::int64_t at = 0;
        for (const auto& s : shapes) {
          if (detail::cat_skipped(s)) {
            grads.push_back(Tensor<T>::empty(s));
            continue;
          }
          grads.push_back(g.narrow(dim, at, s[dim]));
          at += s[dim];
        }
        return grads;
      }, std::vector<Tensor<T>>(tensors.begin(), tensors.end()));
    }
  }
  return out;
}
template <Element T>
Tensor<T> cat(const std::vector<Tensor<T>>& tensors, std::int64_t dim = 0) {
  return cat(std::span<const Tensor<T>>(tensors), dim);
}
template <Element T>
Tensor<T> cat(std::initializer_list<Tensor<T>> tensors, std::int64_t dim = 0) {
  return cat(std::span<const Tensor<T>>(tensors.begin(), tensors.size()), dim);
}

/// cat of tensors of mixed dtypes: the result has their promoted dtype (as torch.cat).
template <class = void>  // compiled only where called: see AnyTensor::to
AnyTensor cat(std::span<const AnyTensor> tensors, std::int64_t dim = 0) {
  const Shape shape = detail::cat_shape(
      tensors.size(), [&](std::size_t i) -> const Shape& { return tensors[i].shape(); }, dim, "cat");
  DType d = tensors[0].dtype();
  for (const auto& t : tensors) {
    d = promote_types(d, t.dtype());
    EMBER_CHECK_DEVICE(t.device().is_cpu(), "cat", "expected CPU tensors, got one on ", t.device().str());
  }
  return dispatch_any_dtype(d, [&](auto tag) -> AnyTensor {
    using T = decltype(tag);
    if constexpr (GradElement<T>) {
      bool any = false;
      for (const auto& t : tensors) any = any || t.requires_grad();
      if (any && is_grad_enabled()) {  // convert (a recorded op) and join with the typed cat
        std::vector<Tensor<T>> typed;
        for (const auto& t : tensors) typed.push_back(t.template as<T>());
        return cat(typed, dim);
      }
    }
    Tensor<T> out = Tensor<T>::empty(shape);
    std::int64_t at = 0;
    for (const auto& t : tensors) t.visit_any([&](const auto& x) { detail::cat_copy(out, x, dim, at); });
    return out;
  });
}

/// Joins equally shaped tensors along a new dim inserted at position dim.
template <Element T>
Tensor<T> stack(std::span<const Tensor<T>> tensors, std::int64_t dim = 0) {
  EMBER_CHECK(!tensors.empty(), "stack", "expected a non-empty list of tensors");
  const Shape& s0 = tensors[0].shape();
  dim = normalize_dim(dim, static_cast<std::int64_t>(s0.size()) + 1, "stack");
  std::vector<Tensor<T>> parts;
  parts.reserve(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].shape() == s0, "stack", "expects each tensor to be equal size, but got ", s0,
                " at entry 0 and ", tensors[i].shape(), " at entry ", i);
    parts.push_back(tensors[i].unsqueeze(dim));
  }
  return cat(std::span<const Tensor<T>>(parts), dim);
}
template <Element T>
Tensor<T> stack(const std::vector<Tensor<T>>& tensors, std::int64_t dim = 0) {
  return stack(std::span<const Tensor<T>>(tensors), dim);
}
template <Element T>
Tensor<T> stack(std::initializer_list<Tensor<T>> tensors, std::int64_t dim = 0) {
  return stack(std::span<const Tensor<T>>(tensors.begin(), tensors.size()), dim);
}

/// stack of tensors of mixed dtypes: the result has their promoted dtype.
template <class = void>  // compiled only where called: see AnyTensor::to
AnyTensor stack(std::span<const AnyTensor> tensors, std::int64_t dim = 0) {
  EMBER_CHECK(!tensors.empty(), "stack", "expected a non-empty list of tensors");
  const Shape& s0 = tensors[0].shape();
  dim = normalize_dim(dim, static_cast<std::int64_t>(s0.size()) + 1, "stack");
  std::vector<AnyTensor> parts;
  parts.reserve(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].shape() == s0, "stack", "expects each tensor to be equal size, but got ", s0,
                " at entry 0 and ", tensors[i].shape(), " at entry ", i);
    parts.push_back(tensors[i].visit_any([&](const auto& x) -> AnyTensor { return x.unsqueeze(dim); }));
  }
  return cat(std::span<const AnyTensor>(parts), dim);
}

/// Views of pieces with the given sizes along dim; the sizes must add up to the dim's extent.
template <Element T>
std::vector<Tensor<T>> split_with_sizes(const Tensor<T>& input, std::span<const std::int64_t> sizes,
                                        std::int64_t dim = 0) {
  EMBER_CHECK(input.dim() > 0, "split", "cannot split a 0-d tensor");
  dim = normalize_dim(dim, input.dim(), "split");
  const std::int64_t n = input.shape()[dim];
  std::int64_t total = 0;
  for (auto s : sizes) {
    EMBER_CHECK(s >= 0, "split", "split sizes must be non-negative, got ", Shape(sizes));
    total += s;
  }
  EMBER_CHECK(total == n, "split", "split sizes ", Shape(sizes), " add up to ", total, " but dimension ", dim,
              " of shape ", input.shape(), " has size ", n);
  std::vector<Tensor<T>> out;
  out.reserve(sizes.size());
  std::int64_t at = 0;
  for (auto s : sizes) {
    out.push_back(input.slice(dim, at, at + s));
    at += s;
  }
  return out;
}

/// Views of consecutive pieces of split_size elements along dim (the last may be smaller).
template <Element T>
std::vector<Tensor<T>> split(const Tensor<T>& input, std::int64_t split_size, std::int64_t dim = 0) {
  EMBER_CHECK(input.dim() > 0, "split", "cannot split a 0-d tensor");
  dim = normalize_dim(dim, input.dim(), "split");
  const auto sizes = detail::split_sizes(input.shape()[dim], split_size, "split");
  return split_with_sizes(input, std::span<const std::int64_t>(sizes), dim);
}

/// split_with_sizes for a vector of sizes.
template <Element T>
std::vector<Tensor<T>> split(const Tensor<T>& input, const std::vector<std::int64_t>& sizes, std::int64_t dim = 0) {
  return split_with_sizes(input, std::span<const std::int64_t>(sizes), dim);
}

/// At most `chunks` views along dim, each of ceil(size / chunks) elements (the last may be smaller).
template <Element T>
std::vector<Tensor<T>> chunk(const Tensor<T>& input, std::int64_t chunks, std::int64_t dim = 0) {
  EMBER_CHECK(input.dim() > 0, "chunk", "cannot chunk a 0-d tensor");
  EMBER_CHECK(chunks > 0, "chunk", "number of chunks must be greater than 0, got ", chunks);
  dim = normalize_dim(dim, input.dim(), "chunk");
  const std::int64_t n = input.shape()[dim];
  if (n == 0) {  // torch: `chunks` empty pieces
    std::vector<Tensor<T>> out(static_cast<std::size_t>(chunks), input);
    return out;
  }
  return split(input, (n + chunks - 1) / chunks, dim);
}

template <Element T>
std::vector<Tensor<T>> Tensor<T>::split(std::int64_t split_size, std::int64_t dim) const {
  return ember::split(*this, split_size, dim);
}
template <Element T>
std::vector<Tensor<T>> Tensor<T>::split(const std::vector<std::int64_t>& sizes, std::int64_t dim) const {
  return ember::split(*this, sizes, dim);
}
template <Element T>
std::vector<Tensor<T>> Tensor<T>::chunk(std::int64_t chunks, std::int64_t dim) const {
  return ember::chunk(*this, chunks, dim);
}

}  // namespace ember
