#pragma once
// Ops that reorder or repeat elements: flip / fliplr / flipud, roll, rot90, repeat, tile,
// repeat_interleave, and the splitting views unbind and tensor_split. Only flip has a kernel (a strided
// copy with negated strides); the others compose differentiable views and copies (narrow, cat, expand,
// reshape, index_select), so their gradients come from those ops.
#include <cstdint>
#include <optional>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/shape.hpp"
#include "ember/ops/view.hpp"

namespace ember {

namespace detail {

// dims normalized against ndim, each at most once; `op` names the caller in errors.
inline Shape unique_dims(const Shape& dims, std::int64_t ndim, const char* op) {
  Shape out;
  for (auto d : dims) {
    const std::int64_t n = normalize_dim(d, ndim, op);
    for (auto e : out) EMBER_CHECK(e != n, op, "dim ", n, " appears multiple times in the list of dims ", dims);
    out.push_back(n);
  }
  return out;
}

}  // namespace detail

/// x with the order of its elements reversed along each of dims (a copy, as torch.flip).
template <Element T>
Tensor<T> flip(const Tensor<T>& x, const Shape& dims) {
  detail::check_cpu("flip", x, x);
  const Shape ds = detail::unique_dims(dims, x.dim(), "flip");
  Tensor<T> out = Tensor<T>::empty(x.shape(), x.device());
  if (out.numel() > 0) {
    Shape st = detail::byte_strides<T>(x.strides());
    char* src = reinterpret_cast<char*>(x.data());
    for (auto d : ds) {
      if (x.dim() == 0) break;
      src += (x.shape()[d] - 1) * st[d];
      st[d] = -st[d];
    }
    detail::for_each_strided<2>(x.shape(), {reinterpret_cast<char*>(out.data()), src},
                                {detail::byte_strides<T>(out.strides()), st},
                                [](char** p, const std::int64_t* s, std::int64_t m) {
                                  for (std::int64_t i = 0; i < m; ++i)
                                    *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const T*>(p[1] + i * s[1]);
                                });
  }
  if constexpr (GradElement<T>)
    if (autograd::needs_grad(x))
      autograd::record("flip", out, [ds](const Tensor<T>& g) { return flip(g, ds); }, x);
  return out;
}

/// flip along dim 1 (left/right); x must be at least 2-D.
template <Element T>
Tensor<T> fliplr(const Tensor<T>& x) {
  EMBER_CHECK(x.dim() >= 2, "fliplr", "input must be >= 2-d, got shape ", x.shape());
  return flip(x, Shape{1});
}

/// flip along dim 0 (up/down); x must be at least 1-D.
template <Element T>
Tensor<T> flipud(const Tensor<T>& x) {
  EMBER_CHECK(x.dim() >= 1, "flipud", "input must be >= 1-d, got shape ", x.shape());
  return flip(x, Shape{0});
}

/// x's elements shifted by shifts[i] positions along dims[i], wrapping around; with no dims, x is
/// flattened, rolled and reshaped back.
template <Element T>
Tensor<T> roll(const Tensor<T>& x, const Shape& shifts, const Shape& dims = {}) {
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, "roll", "shifts ", shifts, " must have one entry when no dims are given");
    return roll(x.flatten(), shifts, Shape{0}).reshape(x.shape());
  }
  EMBER_CHECK(shifts.size() == dims.size(), "roll", "shifts ", shifts, " and dims ", dims,
              " must have the same length");
  Tensor<T> y = x;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::int64_t d = normalize_dim(dims[i], x.dim(), "roll");
    const std::int64_t n = x.dim() == 0 ? 0 : x.shape()[d];
    if (n == 0) continue;
    const std::int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    y = cat({y.narrow(d, n - s, s), y.narrow(d, 0, n - s)}, d);
  }
  return y.storage() == x.storage() ? x.clone() : y;
}

/// x rotated by 90 degrees k times in the plane of dims (from dims[0] towards dims[1]).
template <Element T>
Tensor<T> rot90(const Tensor<T>& x, std::int64_t k = 1, const Shape& dims = {0, 1}) {
  EMBER_CHECK(dims.size() == 2, "rot90", "expected total rotation dims == 2, got dims ", dims);
  EMBER_CHECK(x.dim() >= 2, "rot90", "expected total dims >= 2, got shape ", x.shape());
  const std::int64_t d0 = normalize_dim(dims[0], x.dim(), "rot90"), d1 = normalize_dim(dims[1], x.dim(), "rot90");
  EMBER_CHECK(d0 != d1, "rot90", "rotation dims must differ, got dims ", dims);
  switch (((k % 4) + 4) % 4) {
    case 1: return flip(x, Shape{d1}).transpose(d0, d1);
    case 2: return flip(x, Shape{d0, d1});
    case 3: return flip(x, Shape{d0}).transpose(d0, d1);
    default: return x.clone();
  }
}

/// x repeated sizes[i] times along each dim (sizes may add leading dims): a new tensor of shape
/// x.shape * sizes, as torch.Tensor.repeat.
template <Element T>
Tensor<T> repeat(const Tensor<T>& x, const Shape& sizes) {
  EMBER_CHECK(static_cast<std::int64_t>(sizes.size()) >= x.dim(), "repeat", "number of dimensions of repeat dims (",
              sizes.size(), ") can not be smaller than number of dimensions of tensor (", x.dim(), "); shape ",
              x.shape(), ", repeats ", sizes);
  const std::size_t lead = sizes.size() - static_cast<std::size_t>(x.dim());
  Shape inter, expanded, out;  // x as (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...)
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EMBER_CHECK(sizes[i] >= 0, "repeat", "repeats must be non-negative, got ", sizes);
    const std::int64_t s = i < lead ? 1 : x.shape()[i - lead];
    inter.push_back(1);
    inter.push_back(s);
    expanded.push_back(sizes[i]);
    expanded.push_back(s);
    out.push_back(sizes[i] * s);
  }
  Tensor<T> y = x.reshape(inter).expand(expanded);
  Tensor<T> r = y.reshape(out);  // copies unless every repeat is 1
  return r.storage() == x.storage() ? r.clone() : r;
}

/// repeat with dims padded by leading 1s to x's rank (torch.tile).
template <Element T>
Tensor<T> tile(const Tensor<T>& x, const Shape& dims) {
  Shape sizes;
  for (std::int64_t i = static_cast<std::int64_t>(dims.size()); i < x.dim(); ++i) sizes.push_back(1);
  for (auto d : dims) sizes.push_back(d);
  return repeat(x, sizes);
}

/// The positions 0, 1, ... each repeated repeats[i] times (torch.repeat_interleave(repeats)).
inline Tensor<std::int64_t> repeat_interleave(const Tensor<std::int64_t>& repeats,
                                              std::optional<std::int64_t> output_size = std::nullopt) {
  EMBER_CHECK(repeats.dim() <= 1, "repeat_interleave", "repeats must be 0-d or 1-d, got shape ", repeats.shape());
  const Tensor<std::int64_t> r = repeats.contiguous();
  std::int64_t total = 0;
  for (std::int64_t i = 0; i < r.numel(); ++i) {
    EMBER_CHECK(r.data()[i] >= 0, "repeat_interleave", "repeats can not be negative, got ", r.data()[i],
                " at position ", i);
    total += r.data()[i];
  }
  EMBER_CHECK(!output_size || *output_size == total, "repeat_interleave", "output_size ", output_size.value_or(0),
              " does not match the sum of repeats ", total);
  Tensor<std::int64_t> out = Tensor<std::int64_t>::empty(Shape{total});
  std::int64_t at = 0;
  for (std::int64_t i = 0; i < r.numel(); ++i)
    for (std::int64_t j = 0; j < r.data()[i]; ++j) out.data()[at++] = i;
  return out;
}

/// Each element of x repeated `repeats` times along dim (x flattened when dim is not given).
template <Element T>
Tensor<T> repeat_interleave(const Tensor<T>& x, std::int64_t repeats, std::optional<std::int64_t> dim = std::nullopt,
                            std::optional<std::int64_t> output_size = std::nullopt) {
  EMBER_CHECK(repeats >= 0, "repeat_interleave", "repeats can not be negative, got ", repeats);
  EMBER_CHECK_INDEX(!dim || x.dim() > 0, "repeat_interleave", "dimension ", *dim,
                    " is out of range for a 0-d input (pass dim=None to repeat its element)");
  const Tensor<T> y = dim ? x : x.flatten();
  const std::int64_t d = normalize_dim(dim.value_or(0), y.dim(), "repeat_interleave");
  EMBER_CHECK(!output_size || *output_size == y.shape()[d] * repeats, "repeat_interleave", "output_size ",
              output_size.value_or(0), " does not match ", y.shape()[d], " elements repeated ", repeats, " times");
  Shape e = y.unsqueeze(d + 1).shape();
  e[d + 1] = repeats;
  Shape out = y.shape();
  out[d] *= repeats;
  Tensor<T> r = y.unsqueeze(d + 1).expand(e).reshape(out);
  return r.storage() == x.storage() ? r.clone() : r;
}

/// Each slice of x along dim repeated repeats[i] times (repeats 1-D with x.size(dim) entries, or one entry).
template <Element T>
Tensor<T> repeat_interleave(const Tensor<T>& x, const Tensor<std::int64_t>& repeats,
                            std::optional<std::int64_t> dim = std::nullopt,
                            std::optional<std::int64_t> output_size = std::nullopt) {
  EMBER_CHECK(repeats.dim() <= 1, "repeat_interleave", "repeats must be 0-d or 1-d, got shape ", repeats.shape());
  if (repeats.numel() == 1) return repeat_interleave(x, repeats.contiguous().data()[0], dim, output_size);
  const Tensor<T> y = dim ? x : x.flatten();
  const std::int64_t d = normalize_dim(dim.value_or(0), y.dim(), "repeat_interleave");
  EMBER_CHECK(y.dim() > 0 && repeats.numel() == y.shape()[d], "repeat_interleave", "repeats must have the same size ",
              "as input along dim ", d, ": repeats of shape ", repeats.shape(), ", input of shape ", y.shape());
  return index_select(y, d, repeat_interleave(repeats, output_size));
}

/// Views of x's slices along dim, that dim removed.
template <Element T>
std::vector<Tensor<T>> unbind(const Tensor<T>& x, std::int64_t dim = 0) {
  EMBER_CHECK(x.dim() > 0, "unbind", "dimension specified as ", dim, " but tensor has no dimensions");
  const std::int64_t d = normalize_dim(dim, x.dim(), "unbind");
  std::vector<Tensor<T>> out;
  for (std::int64_t i = 0; i < x.shape()[d]; ++i) out.push_back(x.select(d, i));
  return out;
}

/// `sections` views along dim whose sizes differ by at most one (the first size % sections get one more).
template <Element T>
std::vector<Tensor<T>> tensor_split(const Tensor<T>& x, std::int64_t sections, std::int64_t dim = 0) {
  EMBER_CHECK(x.dim() > 0, "tensor_split", "expected at least a 1-dimensional tensor, got shape ", x.shape());
  EMBER_CHECK(sections > 0, "tensor_split", "number of sections must be larger than 0, got ", sections);
  const std::int64_t d = normalize_dim(dim, x.dim(), "tensor_split");
  const std::int64_t n = x.shape()[d], q = n / sections, rem = n % sections;
  std::vector<Tensor<T>> out;
  std::int64_t at = 0;
  for (std::int64_t i = 0; i < sections; ++i) {
    const std::int64_t len = q + (i < rem ? 1 : 0);
    out.push_back(x.slice(d, at, at + len));
    at += len;
  }
  return out;
}

/// Views of x split along dim before each of indices (as x[:i0], x[i0:i1], ..., x[ik:], Python slice rules).
template <Element T>
std::vector<Tensor<T>> tensor_split(const Tensor<T>& x, const std::vector<std::int64_t>& indices, std::int64_t dim = 0) {
  EMBER_CHECK(x.dim() > 0, "tensor_split", "expected at least a 1-dimensional tensor, got shape ", x.shape());
  const std::int64_t d = normalize_dim(dim, x.dim(), "tensor_split");
  const std::int64_t n = x.shape()[d];
  auto clampi = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
  std::vector<Tensor<T>> out;
  std::int64_t at = 0;
  for (auto i : indices) {
    const std::int64_t e = std::max(at, clampi(i));
    out.push_back(x.slice(d, at, e));
    at = clampi(i);
  }
  out.push_back(x.slice(d, std::min(at, n), n));
  return out;
}

}  // namespace ember
