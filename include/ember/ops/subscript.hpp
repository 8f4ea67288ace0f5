#pragma once
// Python-style indexing for C++ and Python: t.index({0, Slice(1, None), None, Ellipsis, idx}) is t[0, 1:, None,
// ..., idx], and t.index_put_({...}, v) is t[...] = v. NumPy's rules: ints, slices (step > 0), None and
// Ellipsis make a view; integer tensors and bool masks are advanced indices that broadcast together
// and copy. With an advanced index present, ints count as 0-d advanced indices (as in NumPy); the
// broadcast index dims replace the indexed dims in place when all advanced indices are adjacent, and
// go first otherwise. Assignment through advanced indices is a scatter where the last write wins.
#include <algorithm>
#include <concepts>
#include <cstring>
#include <optional>
#include <span>
#include <sstream>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/any_tensor.hpp"
#include "ember/ops/creation.hpp"

namespace ember {

namespace indexing {

/// A new axis of extent 1 (Python's None); also an open end in Slice(None, 3).
inline constexpr std::nullopt_t None = std::nullopt;

/// The type of Ellipsis.
struct EllipsisIndexType {
  explicit constexpr EllipsisIndexType() = default;
};
/// All the dims not named by the other indices (Python's `...`).
inline constexpr EllipsisIndexType Ellipsis{};

/// start:stop:step with Python's meaning (clamped, negative start/stop count from the end); step > 0.
struct Slice {
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;
  explicit Slice(std::optional<std::int64_t> start_ = std::nullopt, std::optional<std::int64_t> stop_ = std::nullopt,
                 std::int64_t step_ = 1)
      : start(start_), stop(stop_), step(step_) {}
};

}  // namespace indexing

/// One item of an index: an int, a Slice, None, Ellipsis, or a tensor (integer indices or a bool mask).
class TensorIndex {
 public:
  enum class Kind : std::uint8_t { Int, Slice, None, Ellipsis, Tensor };

  /// An int selects one entry and removes the dim; a bool is a 0-d mask (NumPy: a new dim of extent 1 or 0).
  template <std::integral I>
  TensorIndex(I i) {  // NOLINT: implicit by design, as in libtorch
    if constexpr (std::is_same_v<I, bool>) {
      kind_ = Kind::Tensor;
      tensor_ = scalar_tensor<bool>(i);
    } else {
      kind_ = Kind::Int;
      int_ = static_cast<std::int64_t>(i);
    }
  }
  TensorIndex(indexing::Slice s) : kind_(Kind::Slice), slice_(s) {}           // NOLINT
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}                          // NOLINT
  TensorIndex(indexing::EllipsisIndexType) : kind_(Kind::Ellipsis) {}         // NOLINT
  TensorIndex(AnyTensor t) : kind_(Kind::Tensor), tensor_(std::move(t)) {}    // NOLINT
  template <Element T>
  TensorIndex(Tensor<T> t) : kind_(Kind::Tensor), tensor_(std::move(t)) {}    // NOLINT

  Kind kind() const { return kind_; }
  std::int64_t integer() const { return int_; }
  const indexing::Slice& slice() const { return slice_; }
  const AnyTensor& tensor() const { return tensor_; }
  /// True for a bool tensor (a mask), which indexes as many dims as it has.
  bool is_mask() const { return kind_ == Kind::Tensor && tensor_.dtype() == DType::Bool; }

 private:
  Kind kind_ = Kind::None;
  std::int64_t int_ = 0;
  indexing::Slice slice_;
  AnyTensor tensor_;
};

namespace detail {

/// An index resolved against a tensor: the basic-index view (shape, strides, offset relative to the
/// tensor's data()) and the advanced indices on some of that view's dims.
struct IndexPlan {
  Shape shape, strides;
  std::int64_t offset = 0;
  std::vector<std::int64_t> dims;             // view dims indexed by tensors, ascending
  std::vector<Tensor<std::int64_t>> indices;  // one per entry of dims, values checked in range
  Shape bshape;                               // the indices' broadcast shape
  bool in_place = true;                       // adjacent advanced dims: bshape replaces them in place
  bool advanced() const { return !dims.empty(); }
};

/// The view dims that no tensor indexes, in order.
inline std::vector<std::int64_t> plain_dims(const IndexPlan& p) {
  std::vector<std::int64_t> r;
  std::size_t j = 0;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(p.shape.size()); ++d) {
    if (j < p.dims.size() && p.dims[j] == d) ++j;
    else r.push_back(d);
  }
  return r;
}

/// Shape of the result of an advanced index, and the permutation that orders its dims as
/// (broadcast dims, plain dims): perm[i] is the result dim that comes i-th.
inline Shape advanced_result(const IndexPlan& p, Shape* perm) {
  const auto plain = plain_dims(p);
  const std::size_t nb = p.bshape.size();
  Shape out;
  std::size_t lead = 0;  // plain dims before the broadcast dims in the result
  if (p.in_place)
    while (lead < plain.size() && plain[lead] < p.dims[0]) ++lead;
  for (std::size_t i = 0; i < lead; ++i) out.push_back(p.shape[plain[i]]);
  for (auto b : p.bshape) out.push_back(b);
  for (std::size_t i = lead; i < plain.size(); ++i) out.push_back(p.shape[plain[i]]);
  if (perm) {
    perm->resize(0);
    for (std::size_t i = 0; i < nb; ++i) perm->push_back(static_cast<std::int64_t>(lead + i));
    for (std::size_t i = 0; i < lead; ++i) perm->push_back(static_cast<std::int64_t>(i));
    for (std::size_t i = lead; i < plain.size(); ++i) perm->push_back(static_cast<std::int64_t>(nb + i));
  }
  return out;
}

/// The coordinates of the true entries of mask (row-major order), one int64 tensor per dim of mask.
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<Tensor<std::int64_t>> nonzero_coords(const Tensor<bool>& mask) {
  const Tensor<bool> m = mask.contiguous();
  const bool* p = m.data();
  const std::int64_t n = m.numel();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < n; ++i) count += p[i];
  std::vector<Tensor<std::int64_t>> out;
  for (std::int64_t d = 0; d < m.dim(); ++d) out.push_back(Tensor<std::int64_t>::empty({count}));
  Shape coord(static_cast<std::size_t>(m.dim()), 0);
  std::int64_t k = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (p[i]) {
      for (std::int64_t d = 0; d < m.dim(); ++d) out[d].data()[k] = coord[d];
      ++k;
    }
    for (std::int64_t d = m.dim() - 1; d >= 0; --d) {
      if (++coord[d] < m.shape()[d]) break;
      coord[d] = 0;
    }
  }
  return out;
}

/// Resolves items against a tensor of (shape, strides); throws IndexError/ValueError for bad items.
inline IndexPlan plan_index(const Shape& shape, const Shape& strides, std::span<const TensorIndex> items,
                            const char* op) {
  const auto ndim = static_cast<std::int64_t>(shape.size());
  std::int64_t consumed = 0, ellipses = 0;
  bool advanced = false;
  for (const auto& it : items) {
    switch (it.kind()) {
      case TensorIndex::Kind::Int: case TensorIndex::Kind::Slice: ++consumed; break;
      case TensorIndex::Kind::Ellipsis: ++ellipses; break;
      case TensorIndex::Kind::None: break;
      case TensorIndex::Kind::Tensor: {
        const DType d = it.tensor().dtype();
        EMBER_CHECK_INDEX(is_integral(d), op, "tensors used as indices must be long, int, byte or bool tensors, got ",
                          dtype_name(d));
        EMBER_CHECK_DEVICE(it.tensor().device().is_cpu(), op, "index tensors must be on the CPU");
        consumed += it.is_mask() ? it.tensor().dim() : 1;
        advanced = true;
        break;
      }
    }
  }
  EMBER_CHECK_INDEX(ellipses <= 1, op, "an index can only have a single ellipsis ('...')");
  EMBER_CHECK_INDEX(consumed <= ndim, op, "too many indices for tensor of dimension ", ndim, " (got ", consumed,
                    " indices for shape ", shape, ")");
  IndexPlan p;
  std::vector<std::int64_t> src_dims;  // for each advanced index, the first dim of the tensor it indexes
  std::int64_t src = 0;
  auto keep = [&](std::int64_t d) {
    p.shape.push_back(shape[d]);
    p.strides.push_back(strides[d]);
  };
  auto add_index = [&](Tensor<std::int64_t> t, std::int64_t d) {
    p.dims.push_back(static_cast<std::int64_t>(p.shape.size()) - 1);
    p.indices.push_back(std::move(t));
    src_dims.push_back(d);
  };
  for (const auto& it : items) {
    switch (it.kind()) {
      case TensorIndex::Kind::Int: {
        const std::int64_t n = shape[src], i = it.integer();
        EMBER_CHECK_INDEX(i >= -n && i < n, op, "index ", i, " is out of bounds for dimension ", src, " with size ", n);
        if (advanced) {
          keep(src);
          add_index(scalar_tensor<std::int64_t>(i), src);
        } else {
          p.offset += (i < 0 ? i + n : i) * strides[src];
        }
        ++src;
        break;
      }
      case TensorIndex::Kind::Slice: {
        const auto& s = it.slice();
        EMBER_CHECK(s.step > 0, op, "step must be greater than zero, got ", s.step);
        const std::int64_t n = shape[src];
        auto clampi = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
        const std::int64_t b = s.start ? clampi(*s.start) : 0;
        const std::int64_t e = std::max(b, s.stop ? clampi(*s.stop) : n);
        p.shape.push_back((e - b + s.step - 1) / s.step);
        p.strides.push_back(strides[src] * s.step);
        p.offset += b * strides[src];
        ++src;
        break;
      }
      case TensorIndex::Kind::None:
        p.shape.push_back(1);
        p.strides.push_back(src < ndim ? shape[src] * strides[src] : 1);
        break;
      case TensorIndex::Kind::Ellipsis:
        for (std::int64_t k = 0; k < ndim - consumed; ++k) keep(src++);
        break;
      case TensorIndex::Kind::Tensor: {
        const AnyTensor& t = it.tensor();
        if (!it.is_mask()) {
          keep(src);
          add_index(t.as<std::int64_t>(), src);
          ++src;
          break;
        }
        const Tensor<bool>& mask = t.get<bool>();
        if (mask.dim() == 0) {  // a new dim of extent 1, indexed by [0] (true) or [] (false)
          p.shape.push_back(1);
          p.strides.push_back(0);
          add_index(zeros<std::int64_t>({mask.item() ? 1 : 0}), src);
          break;
        }
        for (std::int64_t d = 0; d < mask.dim(); ++d)
          EMBER_CHECK_INDEX(mask.shape()[d] == shape[src + d], op, "the shape of the mask ", mask.shape(),
                            " at index ", src, " does not match the shape of the indexed tensor ", shape,
                            " at dimension ", src + d);
        auto coords = nonzero_coords(mask);
        for (std::int64_t d = 0; d < mask.dim(); ++d) {
          keep(src);
          add_index(std::move(coords[d]), src);
          ++src;
        }
        break;
      }
    }
  }
  if (ellipses == 0)
    while (src < ndim) keep(src++);
  if (!p.advanced()) return p;
  for (std::size_t j = 0; j < p.indices.size(); ++j) {
    const Shape& s = p.indices[j].shape();
    if (j == 0) {
      p.bshape = s;
      continue;
    }
    bool ok = true;
    try {
      p.bshape = broadcast_shapes(p.bshape, s, op);
    } catch (const std::invalid_argument&) {
      ok = false;
    }
    if (!ok) {
      std::ostringstream os;
      for (std::size_t k = 0; k < p.indices.size(); ++k) os << (k ? ", " : "") << p.indices[k].shape();
      fail<std::out_of_range>(op, "shape mismatch: indexing tensors could not be broadcast together with shapes ",
                              os.str());
    }
  }
  for (std::size_t j = 0; j < p.indices.size(); ++j) {
    const std::int64_t n = p.shape[p.dims[j]];
    const Tensor<std::int64_t> c = p.indices[j].contiguous();
    const std::int64_t* v = c.data();
    for (std::int64_t i = 0; i < c.numel(); ++i)
      EMBER_CHECK_INDEX(v[i] >= -n && v[i] < n, op, "index ", v[i], " is out of bounds for dimension ", src_dims[j],
                        " with size ", n);
  }
  for (std::size_t j = 1; j < p.dims.size(); ++j)
    if (p.dims[j] != p.dims[j - 1] + 1) p.in_place = false;
  return p;
}

/// Walks the broadcast index shape: for each position calls f(view_offset, other_offset), where
/// view_offset is the element offset into the basic view (from p.offset) and other_offset advances by
/// other_strides (element strides over p.bshape of the other operand).
template <class F>
void for_each_index(const IndexPlan& p, const Shape& other_strides, F&& f) {
  const std::size_t nb = p.bshape.size(), k = p.indices.size();
  if (numel_of(p.bshape) == 0) return;
  std::vector<const std::int64_t*> ptr(k);
  std::vector<Shape> ist(k);
  std::vector<std::int64_t> vstride(k), extent(k);
  for (std::size_t j = 0; j < k; ++j) {
    ptr[j] = p.indices[j].data();
    ist[j] = broadcast_strides(p.indices[j].shape(), p.indices[j].strides(), p.bshape);
    vstride[j] = p.strides[p.dims[j]];
    extent[j] = p.shape[p.dims[j]];
  }
  Shape counter(nb, 0);
  std::int64_t other = 0;
  for (;;) {
    std::int64_t off = p.offset;
    for (std::size_t j = 0; j < k; ++j) {
      const std::int64_t v = *ptr[j];
      off += (v < 0 ? v + extent[j] : v) * vstride[j];
    }
    f(off, other);
    std::size_t d = nb;
    for (; d-- > 0;) {
      for (std::size_t j = 0; j < k; ++j) ptr[j] += ist[j][d];
      other += other_strides[d];
      if (++counter[d] < p.bshape[d]) break;
      for (std::size_t j = 0; j < k; ++j) ptr[j] -= ist[j][d] * p.bshape[d];
      other -= other_strides[d] * p.bshape[d];
      counter[d] = 0;
    }
    if (d == static_cast<std::size_t>(-1)) return;
  }
}

/// Copies one block of shape rshape from src to dst (converting S to D); contiguous runs use a flat loop.
template <Element D, Element S>
void copy_block(D* dst, const Shape& dst_strides, const S* src, const Shape& src_strides, const Shape& rshape,
                bool flat, std::int64_t flat_n) {
  if (flat) {
    if constexpr (std::is_same_v<D, S>) {
      if (flat_n == 1) *dst = *src;
      else std::memcpy(dst, src, static_cast<std::size_t>(flat_n) * sizeof(D));
    } else {
      for (std::int64_t i = 0; i < flat_n; ++i) dst[i] = static_cast<D>(src[i]);
    }
    return;
  }
  for_each_strided<2>(rshape, {reinterpret_cast<char*>(dst), reinterpret_cast<char*>(const_cast<S*>(src))},
                      {byte_strides<D>(dst_strides), byte_strides<S>(src_strides)},
                      [](char** q, const std::int64_t* s, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i)
                          *reinterpret_cast<D*>(q[0] + i * s[0]) =
                              static_cast<D>(*reinterpret_cast<const S*>(q[1] + i * s[1]));
                      });
}

/// dst[...] += src[...] over one block of shape rshape.
template <Element T>
void add_block(T* dst, const Shape& dst_strides, const T* src, const Shape& src_strides, const Shape& rshape) {
  for_each_strided<2>(rshape, {reinterpret_cast<char*>(dst), reinterpret_cast<char*>(const_cast<T*>(src))},
                      {byte_strides<T>(dst_strides), byte_strides<T>(src_strides)},
                      [](char** q, const std::int64_t* s, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i)
                          *reinterpret_cast<T*>(q[0] + i * s[0]) += *reinterpret_cast<const T*>(q[1] + i * s[1]);
                      });
}

/// Splits strides over (bshape + rshape) into the B part and the R part.
inline void split_strides(const Shape& st, std::size_t nb, Shape& bst, Shape& rst) {
  bst = Shape(st.begin(), st.begin() + static_cast<std::ptrdiff_t>(nb));
  rst = Shape(st.begin() + static_cast<std::ptrdiff_t>(nb), st.end());
}

inline bool row_major(const Shape& shape, const Shape& st) {
  std::int64_t expected = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

/// The index tensors among items with their versions, to refuse a backward after they changed.
struct SavedIndex {
  std::vector<TensorIndex> items;
  std::vector<std::uint64_t> versions;

  explicit SavedIndex(std::span<const TensorIndex> it) : items(it.begin(), it.end()) {
    for (const auto& i : items)
      if (i.kind() == TensorIndex::Kind::Tensor) versions.push_back(i.tensor().visit_any([](const auto& t) { return t.version(); }));
  }
  std::span<const TensorIndex> get() const {
    std::size_t k = 0;
    for (const auto& i : items)
      if (i.kind() == TensorIndex::Kind::Tensor)
        EMBER_CHECK_AUTOGRAD(i.tensor().visit_any([](const auto& t) { return t.version(); }) == versions[k++], "index",
                             "an index tensor of shape ", i.tensor().shape(),
                             " was modified by an inplace operation after it was used; index with a clone()");
    return items;
  }
};

/// The gradient of self[items] for self of `shape`: zeros, with g added at the indexed positions
/// (repeated indices add up).
template <Element T>
Tensor<T> index_backward(const Shape& shape, std::span<const TensorIndex> items, const Tensor<T>& g) {
  Tensor<T> dx = Tensor<T>::empty(shape, g.device());
  dx.fill_(T(0));
  const IndexPlan p = plan_index(shape, contiguous_strides(shape), items, "index");
  if (!p.advanced()) {
    copy_cast(Tensor<T>(dx.storage(), p.shape, p.strides, p.offset), g);
    return dx;
  }
  if (g.numel() == 0) return dx;
  Shape perm;
  advanced_result(p, &perm);
  const Tensor<T> gp = g.permute(perm);  // (B, R) order
  Shape bst, gst, vst, rshape;
  split_strides(gp.strides(), p.bshape.size(), bst, gst);
  for (auto d : plain_dims(p)) {
    rshape.push_back(p.shape[d]);
    vst.push_back(p.strides[d]);
  }
  T* dst = dx.data();
  const T* src = gp.data();
  for_each_index(p, bst, [&](std::int64_t voff, std::int64_t goff) { add_block(dst + voff, vst, src + goff, gst, rshape); });
  return dx;
}

template <Element T>
Tensor<T> index_forward(const Tensor<T>& self, std::span<const TensorIndex> items);

}  // namespace detail

/// self[items] as Python writes it: a view for ints, slices, None and Ellipsis; a copy with advanced indices.
template <Element T>
Tensor<T> index(const Tensor<T>& self, std::span<const TensorIndex> items) {
  Tensor<T> out = detail::index_forward(self, items);
  if constexpr (GradElement<T>)
    if (autograd::needs_grad(self))
      autograd::record("index", out, [shape = self.shape(), saved = detail::SavedIndex(items)](const Tensor<T>& g) {
        return detail::via_float32(g, [&](const auto& h) { return detail::index_backward(shape, saved.get(), h); });
      }, self);
  if (out.storage() == self.storage()) autograd::mark_view(out, self);  // basic indexing gives a view
  return out;
}

namespace detail {

template <Element T>
Tensor<T> index_forward(const Tensor<T>& self, std::span<const TensorIndex> items) {
  const detail::IndexPlan p = detail::plan_index(self.shape(), self.strides(), items, "index");
  if (!p.advanced()) return Tensor<T>(self.storage(), p.shape, p.strides, self.offset() + p.offset);
  self.check_cpu("index");
  Shape perm;
  const Shape rshape_out = detail::advanced_result(p, &perm);
  Tensor<T> out = Tensor<T>::empty(rshape_out, self.device());
  if (out.numel() == 0) return out;
  const Tensor<T> o = out.permute(perm);  // (B, R) order
  Shape bst, ost, vst;
  detail::split_strides(o.strides(), p.bshape.size(), bst, ost);
  Shape rshape;
  for (auto d : detail::plain_dims(p)) {
    rshape.push_back(p.shape[d]);
    vst.push_back(p.strides[d]);
  }
  const bool flat = detail::row_major(rshape, ost) && detail::row_major(rshape, vst);
  const std::int64_t rn = numel_of(rshape);
  T* dst = out.data();
  const T* src = self.data();
  detail::for_each_index(p, bst, [&](std::int64_t voff, std::int64_t ooff) {
    detail::copy_block(dst + ooff, ost, src + voff, vst, rshape, flat, rn);
  });
  return out;
}

}  // namespace detail

/// self[items] = value: value (any dtype, broadcast to the indexed shape) is converted to T and written in
/// place; with advanced indices a scatter in which the last write to a repeated position wins.
template <Element T, Element U>
const Tensor<T>& index_put_(const Tensor<T>& self, std::span<const TensorIndex> items, const Tensor<U>& value) {
  self.check_cpu("index_put_");
  const detail::IndexPlan p = detail::plan_index(self.shape(), self.strides(), items, "index_put_");
  autograd::check_inplace_source(value, "index_put_");
  // Basic indexing writes one view of self, which alone must not overlap itself; advanced indexing may
  // write anywhere in self.
  const Tensor<T> written = p.advanced() ? self : Tensor<T>(self.storage(), p.shape, p.strides, self.offset() + p.offset);
  autograd::check_no_internal_overlap(written, "index_put_");
  autograd::check_inplace(self, "index_put_", /*check_overlap=*/false);
  Tensor<U> v = detail::inplace_source(written, value);
  Shape perm;
  const Shape target = p.advanced() ? detail::advanced_result(p, &perm) : p.shape;
  while (v.dim() > static_cast<std::int64_t>(target.size()) && v.shape()[0] == 1) v = v.squeeze(0);  // as PyTorch
  bool ok = true;
  try {
    ok = broadcast_shapes(v.shape(), target, "index_put_") == target;
  } catch (const std::invalid_argument&) {
    ok = false;
  }
  EMBER_CHECK(ok, "index_put_", "shape mismatch: value tensor of shape ", v.shape(),
              " cannot be broadcast to indexing result of shape ", target);
  if (!p.advanced()) {
    detail::copy_cast(written, v.expand(target));
    return self;
  }
  if (numel_of(target) == 0) return self;
  const Tensor<U> vp = v.expand(target).permute(perm);  // (B, R) order
  Shape bst, sst, vst;
  detail::split_strides(vp.strides(), p.bshape.size(), bst, sst);
  Shape rshape;
  for (auto d : detail::plain_dims(p)) {
    rshape.push_back(p.shape[d]);
    vst.push_back(p.strides[d]);
  }
  const bool flat = detail::row_major(rshape, sst) && detail::row_major(rshape, vst);
  const bool fill = detail::row_major(rshape, vst) && std::all_of(sst.begin(), sst.end(), [](auto s) { return s == 0; });
  const std::int64_t rn = numel_of(rshape);
  T* dst = self.data();
  const U* src = vp.data();
  if (fill && !flat) {  // one value per index position (t[idx] = 0): fill a contiguous block
    detail::for_each_index(p, bst, [&](std::int64_t voff, std::int64_t soff) {
      std::fill_n(dst + voff, rn, static_cast<T>(src[soff]));
    });
    return self;
  }
  detail::for_each_index(p, bst, [&](std::int64_t voff, std::int64_t soff) {
    detail::copy_block(dst + voff, vst, src + soff, sst, rshape, flat, rn);
  });
  return self;
}

/// self[items] = value for a number value.
template <Element T, Scalar S>
const Tensor<T>& index_put_(const Tensor<T>& self, std::span<const TensorIndex> items, S value) {
  return index_put_(self, items, scalar_tensor<T>(static_cast<T>(value)));
}

template <Element T>
Tensor<T> Tensor<T>::index(std::initializer_list<TensorIndex> items) const {
  return ember::index(*this, std::span<const TensorIndex>(items.begin(), items.size()));
}
template <Element T>
Tensor<T> Tensor<T>::index(const std::vector<TensorIndex>& items) const {
  return ember::index(*this, std::span<const TensorIndex>(items));
}
template <Element T>
template <class V>
const Tensor<T>& Tensor<T>::index_put_(std::initializer_list<TensorIndex> items, const V& value) const {
  return ember::index_put_(*this, std::span<const TensorIndex>(items.begin(), items.size()), value);
}
template <Element T>
template <class V>
const Tensor<T>& Tensor<T>::index_put_(const std::vector<TensorIndex>& items, const V& value) const {
  return ember::index_put_(*this, std::span<const TensorIndex>(items), value);
}

}  // namespace ember
