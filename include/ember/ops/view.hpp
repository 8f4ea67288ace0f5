#pragma once
// Views: reshape, transpose, permute, slice, select, squeeze/unsqueeze, expand, flatten. Each shares
// the input's storage (never copies, except reshape when the strides cannot express the new shape)
// and records a backward that maps the view's gradient back to the input's shape.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

namespace detail {

/// s with one -1 replaced by the extent that keeps numel; checks the element count.
inline Shape infer_shape(const Shape& s, std::int64_t n, const Shape& from, const char* op) {
  Shape out = s;
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, op, "only one dimension can be inferred in shape ", s);
      infer = static_cast<std::int64_t>(i);
    } else {
      EMBER_CHECK(out[i] >= 0, op, "invalid shape dimension ", out[i], " in ", s);
      EMBER_CHECK(!__builtin_mul_overflow(known, out[i], &known), op, "shape ", s,
                  " has more elements than int64 can count");
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && n % known == 0, op, "shape ", s, " is invalid for input of size ", n);
    out[infer] = n / known;
  } else {
    EMBER_CHECK(known == n, op, "shape ", s, " is invalid for input of size ", n, " (shape ", from, ")");
  }
  return out;
}

/// Strides that express shape `sh` over memory laid out as (old_sh, old_st), if any (PyTorch's computeStride).
inline std::optional<Shape> view_strides(const Shape& old_sh, const Shape& old_st, const Shape& sh) {
  if (old_sh.empty()) return Shape(sh.size(), 1);
  if (numel_of(old_sh) == 0) return contiguous_strides(sh);
  Shape st(sh.size());
  std::int64_t view_d = static_cast<std::int64_t>(sh.size()) - 1;
  std::int64_t chunk_base_stride = old_st.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t td = static_cast<std::int64_t>(old_sh.size()) - 1; td >= 0; --td) {
    tensor_numel *= old_sh[td];
    if (td == 0 || (old_sh[td - 1] != 1 && old_st[td - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || sh[view_d] == 1)) {
        st[view_d] = view_numel * chunk_base_stride;
        view_numel *= sh[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (td > 0) {
        chunk_base_stride = old_st[td - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}

/// A view of x's storage with the given geometry.
template <Element T>
Tensor<T> make_view(const Tensor<T>& x, Shape shape, Shape strides, std::int64_t offset) {
  return Tensor<T>(x.storage(), std::move(shape), std::move(strides), offset);
}

/// Records the backward of a view that reshapes (same elements, same order): grad.reshape(x's shape).
template <Element T>
Tensor<T> record_reshape(const Tensor<T>& out, const Tensor<T>& x, const char* op) {
  if (autograd::needs_grad(x)) {
    autograd::record(op, out, [shape = x.shape()](const Tensor<T>& g) { return g.reshape(shape); }, x);
    autograd::mark_view(out, x);
  }
  return out;
}

/// Records the backward of a view that picks some of x's elements (slice, select): the gradient is
/// zero except in those elements, which `pick(zeros)` addresses.
template <Element T, class Pick>
Tensor<T> record_pick(const Tensor<T>& out, const Tensor<T>& x, const char* op, Pick pick) {
  if (autograd::needs_grad(x))
    autograd::record(op, out, [shape = x.shape(), pick](const Tensor<T>& g) {
      Tensor<T> dx = Tensor<T>::empty(shape);
      dx.fill_(T(0));
      pick(dx).copy_(g);
      return dx;
    }, x);
  autograd::mark_view(out, x);
  return out;
}

}  // namespace detail

/// A view of x with a new shape (one dim may be -1); fails when x's strides cannot express it.
template <Element T>
Tensor<T> view(const Tensor<T>& x, const Shape& shape) {
  Shape sh = detail::infer_shape(shape, x.numel(), x.shape(), "view");
  auto st = detail::view_strides(x.shape(), x.strides(), sh);
  EMBER_CHECK(st.has_value(), "view", "view size is not compatible with input tensor's size and stride (shape ",
              x.shape(), ", strides ", x.strides(), " to shape ", sh, "); use reshape(...) instead");
  return detail::record_reshape(detail::make_view(x, std::move(sh), std::move(*st), x.offset()), x, "view");
}

/// x with a new shape: a view when x's strides allow it, else a contiguous copy.
template <Element T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape) {
  Shape sh = detail::infer_shape(shape, x.numel(), x.shape(), "reshape");
  if (auto st = detail::view_strides(x.shape(), x.strides(), sh))
    return detail::record_reshape(detail::make_view(x, std::move(sh), std::move(*st), x.offset()), x, "reshape");
  return view(x.contiguous(), sh);
}

/// x with dims d0 and d1 swapped.
template <Element T>
Tensor<T> transpose(const Tensor<T>& x, std::int64_t d0, std::int64_t d1) {
  d0 = normalize_dim(d0, x.dim(), "transpose");
  d1 = normalize_dim(d1, x.dim(), "transpose");
  if (x.dim() == 0) return x;
  Shape sh = x.shape(), st = x.strides();
  std::swap(sh[d0], sh[d1]);
  std::swap(st[d0], st[d1]);
  Tensor<T> out = detail::make_view(x, std::move(sh), std::move(st), x.offset());
  if (autograd::needs_grad(x))
    autograd::record("transpose", out, [d0, d1](const Tensor<T>& g) { return g.transpose(d0, d1); }, x);
  autograd::mark_view(out, x);
  return out;
}

/// x with its dims reordered: dim i of the result is dim dims[i] of x.
template <Element T>
Tensor<T> permute(const Tensor<T>& x, const Shape& dims) {
  EMBER_CHECK(static_cast<std::int64_t>(dims.size()) == x.dim(), "permute", "number of dims ", dims.size(),
              " in ", dims, " does not match the tensor's ", x.dim(), " dims (shape ", x.shape(), ")");
  Shape sh(dims.size()), st(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto d = normalize_dim(dims[i], x.dim(), "permute");
    EMBER_CHECK(!seen[d], "permute", "repeated dim ", dims[i], " in ", dims);
    seen[d] = true;
    sh[i] = x.shape()[d];
    st[i] = x.strides()[d];
    inverse[d] = static_cast<std::int64_t>(i);
  }
  Tensor<T> out = detail::make_view(x, std::move(sh), std::move(st), x.offset());
  if (autograd::needs_grad(x))
    autograd::record("permute", out, [inverse](const Tensor<T>& g) { return g.permute(inverse); }, x);
  autograd::mark_view(out, x);
  return out;
}

/// Elements start, start+step, ... below stop along dim d (Python slice semantics, step > 0).
template <Element T>
Tensor<T> slice(const Tensor<T>& x, std::int64_t d, std::optional<std::int64_t> start,
                std::optional<std::int64_t> stop, std::int64_t step = 1) {
  d = normalize_dim(d, x.dim(), "slice");
  EMBER_CHECK(x.dim() > 0, "slice", "cannot slice a 0-d tensor");
  EMBER_CHECK(step > 0, "slice", "step must be greater than zero, got ", step);
  const std::int64_t n = x.shape()[d];
  auto clampi = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
  const std::int64_t b = start ? clampi(*start) : 0;
  const std::int64_t e = std::max(b, stop ? clampi(*stop) : n);
  Shape sh = x.shape(), st = x.strides();
  sh[d] = e == b ? 0 : (e - b - 1) / step + 1;  // no overflow for any step
  if (sh[d] > 1) st[d] *= step;               // step < n here, so the stride stays within the storage
  Tensor<T> out = detail::make_view(x, std::move(sh), std::move(st), x.offset() + b * x.strides()[d]);
  return detail::record_pick(out, x, "slice", [d, b, e, step](const Tensor<T>& z) { return z.slice(d, b, e, step); });
}

/// The length elements from start along dim d.
template <Element T>
Tensor<T> narrow(const Tensor<T>& x, std::int64_t d, std::int64_t start, std::int64_t length) {
  d = normalize_dim(d, x.dim(), "narrow");
  const std::int64_t n = x.shape()[d];
  if (start < 0) start += n;
  EMBER_CHECK_INDEX(start >= 0 && length >= 0 && length <= n - start, "narrow", "start ", start, " + length ",
                    length, " exceeds dimension ", d, " of size ", n, " (shape ", x.shape(), ")");
  return slice(x, d, start, start + length, 1);
}

/// The sub-tensor at `index` along dim d, with that dim removed.
template <Element T>
Tensor<T> select(const Tensor<T>& x, std::int64_t d, std::int64_t index) {
  EMBER_CHECK_INDEX(x.dim() > 0, "select", "invalid index of a 0-dim tensor");
  d = normalize_dim(d, x.dim(), "select");
  const std::int64_t n = x.shape()[d];
  EMBER_CHECK_INDEX(index >= -n && index < n, "select", "index ", index, " is out of bounds for dimension ", d,
                    " with size ", n);
  if (index < 0) index += n;
  Shape sh = x.shape(), st = x.strides();
  sh.erase(d);
  st.erase(d);
  Tensor<T> out = detail::make_view(x, std::move(sh), std::move(st), x.offset() + index * x.strides()[d]);
  return detail::record_pick(out, x, "select", [d, index](const Tensor<T>& z) { return z.select(d, index); });
}

/// x with all dims of extent 1 removed.
template <Element T>
Tensor<T> squeeze(const Tensor<T>& x) {
  Shape sh, st;
  for (std::int64_t i = 0; i < x.dim(); ++i)
    if (x.shape()[i] != 1) {
      sh.push_back(x.shape()[i]);
      st.push_back(x.strides()[i]);
    }
  return detail::record_reshape(detail::make_view(x, std::move(sh), std::move(st), x.offset()), x, "squeeze");
}

/// x with dim d removed if its extent is 1 (else x itself, as in PyTorch).
template <Element T>
Tensor<T> squeeze(const Tensor<T>& x, std::int64_t d) {
  d = normalize_dim(d, x.dim(), "squeeze");
  if (x.dim() == 0 || x.shape()[d] != 1) return x;
  Shape sh = x.shape(), st = x.strides();
  sh.erase(d);
  st.erase(d);
  return detail::record_reshape(detail::make_view(x, std::move(sh), std::move(st), x.offset()), x, "squeeze");
}

/// x with a new dim of extent 1 at position d (in [-dim-1, dim]).
template <Element T>
Tensor<T> unsqueeze(const Tensor<T>& x, std::int64_t d) {
  d = normalize_dim(d, x.dim() + 1, "unsqueeze");
  Shape sh = x.shape(), st = x.strides();
  const std::int64_t s = d < x.dim() ? x.shape()[d] * x.strides()[d] : 1;
  sh.insert(d, 1);
  st.insert(d, s);
  return detail::record_reshape(detail::make_view(x, std::move(sh), std::move(st), x.offset()), x, "unsqueeze");
}

/// A broadcast view of x with the given shape (-1 keeps a dim): stride 0 where a dim is expanded.
template <Element T>
Tensor<T> expand(const Tensor<T>& x, const Shape& target) {
  EMBER_CHECK(target.size() >= x.shape().size(), "expand", "the number of sizes provided (", target.size(),
              ") must be greater or equal to the number of dimensions in the tensor (", x.dim(), "); shape ",
              x.shape(), " to ", target);
  const std::size_t lead = target.size() - x.shape().size();
  Shape sh(target.size()), st(target.size(), 0);
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (i < lead) {
      EMBER_CHECK(target[i] >= 0, "expand", "the expanded size ", target[i],
                  " is not allowed in a leading, non-existing dimension ", i);
      sh[i] = target[i];
      continue;
    }
    const std::int64_t have = x.shape()[i - lead];
    const std::int64_t want = target[i] == -1 ? have : target[i];
    EMBER_CHECK(want >= 0, "expand", "the expanded size ", target[i], " at dimension ", i,
                " is invalid: sizes must be non-negative, or -1 to keep the existing size (shape ", x.shape(),
                " to ", target, ")");
    EMBER_CHECK(want == have || have == 1, "expand", "the expanded size of the tensor (", want,
                ") must match the existing size (", have, ") at non-singleton dimension ", i, ": shape ",
                x.shape(), " to ", target);
    sh[i] = want;
    st[i] = want == have ? x.strides()[i - lead] : 0;
  }
  numel_of(sh);  // throws when the expanded shape has more elements than int64 can count
  Tensor<T> out = detail::make_view(x, std::move(sh), std::move(st), x.offset());
  if (autograd::needs_grad(x))
    autograd::record("expand", out, [shape = x.shape()](const Tensor<T>& g) { return sum_to_size(g, shape); }, x);
  autograd::mark_view(out, x);
  return out;
}

/// x with dims start..end merged into one (a view when possible, as reshape).
template <Element T>
Tensor<T> flatten(const Tensor<T>& x, std::int64_t start = 0, std::int64_t end = -1) {
  start = normalize_dim(start, x.dim(), "flatten");
  end = normalize_dim(end, x.dim(), "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  EMBER_CHECK(start <= end, "flatten", "start_dim ", start, " cannot come after end_dim ", end);
  Shape sh;
  for (std::int64_t i = 0; i < start; ++i) sh.push_back(x.shape()[i]);
  std::int64_t m = 1;
  for (std::int64_t i = start; i <= end; ++i) m *= x.shape()[i];
  sh.push_back(m);
  for (std::int64_t i = end + 1; i < x.dim(); ++i) sh.push_back(x.shape()[i]);
  return reshape(x, sh);
}

template <Element T> Tensor<T> Tensor<T>::view(const Shape& s) const { return ember::view(*this, s); }
template <Element T> Tensor<T> Tensor<T>::reshape(const Shape& s) const { return ember::reshape(*this, s); }
template <Element T> Tensor<T> Tensor<T>::transpose(std::int64_t d0, std::int64_t d1) const {
  return ember::transpose(*this, d0, d1);
}
template <Element T> Tensor<T> Tensor<T>::permute(const Shape& dims) const { return ember::permute(*this, dims); }
template <Element T> Tensor<T> Tensor<T>::T_() const {
  Shape dims(static_cast<std::size_t>(dim()));
  for (std::int64_t i = 0; i < dim(); ++i) dims[i] = dim() - 1 - i;
  return ember::permute(*this, dims);
}
template <Element T> Tensor<T> Tensor<T>::mT() const {
  EMBER_CHECK(dim() >= 2, "mT", "tensor of shape ", shape(), " has fewer than 2 dimensions");
  return ember::transpose(*this, -2, -1);
}
template <Element T>
Tensor<T> Tensor<T>::slice(std::int64_t d, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                           std::int64_t step) const {
  return ember::slice(*this, d, start, stop, step);
}
template <Element T> Tensor<T> Tensor<T>::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
  return ember::narrow(*this, d, start, length);
}
template <Element T> Tensor<T> Tensor<T>::select(std::int64_t d, std::int64_t index) const {
  return ember::select(*this, d, index);
}
template <Element T> Tensor<T> Tensor<T>::squeeze() const { return ember::squeeze(*this); }
template <Element T> Tensor<T> Tensor<T>::squeeze(std::int64_t d) const { return ember::squeeze(*this, d); }
template <Element T> Tensor<T> Tensor<T>::unsqueeze(std::int64_t d) const { return ember::unsqueeze(*this, d); }
template <Element T> Tensor<T> Tensor<T>::expand(const Shape& s) const { return ember::expand(*this, s); }
template <Element T> Tensor<T> Tensor<T>::flatten(std::int64_t start, std::int64_t end) const {
  return ember::flatten(*this, start, end);
}

}  // namespace ember
