#pragma once
// Tensor<T>: a cheap shared handle to (storage, shape, strides, offset). Views share storage and
// never copy. Op methods are declared here and defined beside their free function in ops/<family>.hpp,
// so include "ember/ember.hpp" to use them.
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <vector>

#include "ember/core/device.hpp"
#include "ember/core/dtype.hpp"
#include "ember/core/error.hpp"
#include "ember/core/iter.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/storage.hpp"

namespace ember {

template <Element T>
class Tensor;

/// Scalar type an op accepts beside a tensor of T (a C++ number of any arithmetic type).
template <class S>
concept Scalar = std::is_arithmetic_v<S>;

template <Element T>
class Tensor {
 public:
  using value_type = T;
  static constexpr DType kDType = dtype_of<T>;

  /// An undefined tensor (no storage); defined() is false.
  Tensor() = default;
  /// A view of `storage` with the given shape, element strides and element offset.
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, std::int64_t offset = 0)
      : impl_(std::make_shared<Impl>(Impl{std::move(storage), std::move(shape), std::move(strides), offset})) {}

  /// A fresh contiguous tensor with uninitialised elements.
  static Tensor empty(const Shape& shape, Device device = Device::cpu()) {
    for (auto d : shape) EMBER_CHECK(d >= 0, "empty", "negative dimension ", d, " in shape ", shape);
    std::int64_t nbytes = 0;
    EMBER_CHECK(!__builtin_mul_overflow(numel_of(shape), static_cast<std::int64_t>(sizeof(T)), &nbytes), "empty",
                "shape ", shape, " needs more bytes than int64 can count");
    return Tensor(Storage::allocate(static_cast<std::size_t>(nbytes), device), shape, contiguous_strides(shape), 0);
  }

  // --- properties ---
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& sizes() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  std::int64_t offset() const { return impl().offset; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  std::int64_t ndim() const { return dim(); }
  std::int64_t numel() const { return numel_of(impl().shape); }
  /// Extent of dim d (negative counts from the end).
  std::int64_t size(std::int64_t d) const { return impl().shape[normalize_dim(d, dim(), "size")]; }
  std::int64_t stride(std::int64_t d) const { return impl().strides[normalize_dim(d, dim(), "stride")]; }
  constexpr DType dtype() const { return kDType; }
  Device device() const { return impl().storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  /// Pointer to element 0 of this view (not necessarily contiguous: see strides()).
  T* data() const { return static_cast<T*>(impl().storage->data()) + impl().offset; }
  /// True when this handle and `other` are the same tensor object.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  /// True when the elements are laid out row-major with no gaps.
  bool is_contiguous() const {
    std::int64_t expected = 1;
    const Shape& sh = shape();
    const Shape& st = strides();
    for (std::size_t i = sh.size(); i-- > 0;) {
      if (sh[i] == 1) continue;
      if (st[i] != expected) return false;
      expected *= sh[i];
    }
    return true;
  }
  /// The value of a one-element tensor.
  T item() const {
    EMBER_CHECK(numel() == 1, "item", "a tensor with ", numel(), " elements (shape ", shape(),
                ") cannot be converted to a scalar");
    check_cpu("item");
    return *data();
  }
  /// Copies the elements, in row-major order, into a vector.
  std::vector<T> to_vector() const {
    Tensor c = contiguous();
    return std::vector<T>(c.data(), c.data() + c.numel());
  }

  // --- views: share storage, never copy ---
  /// A view with a new shape (one dim may be -1); fails when the strides cannot express it.
  Tensor view(const Shape& new_shape) const {
    Shape sh = infer_shape(new_shape, "view");
    auto st = view_strides(sh);
    EMBER_CHECK(st.has_value(), "view",
                "view size is not compatible with input tensor's size and stride (shape ", shape(),
                ", strides ", strides(), " to shape ", sh, "); use reshape(...) instead");
    return Tensor(storage(), std::move(sh), std::move(*st), offset());
  }
  /// view() when the strides allow it, else a contiguous copy with the new shape.
  Tensor reshape(const Shape& new_shape) const {
    Shape sh = infer_shape(new_shape, "reshape");
    if (auto st = view_strides(sh)) return Tensor(storage(), std::move(sh), std::move(*st), offset());
    return contiguous().view(sh);
  }
  /// Swaps dims d0 and d1.
  Tensor transpose(std::int64_t d0, std::int64_t d1) const {
    d0 = normalize_dim(d0, dim(), "transpose");
    d1 = normalize_dim(d1, dim(), "transpose");
    if (dim() == 0) return *this;
    Shape sh = shape(), st = strides();
    std::swap(sh[d0], sh[d1]);
    std::swap(st[d0], st[d1]);
    return Tensor(storage(), std::move(sh), std::move(st), offset());
  }
  /// Reorders the dims: dim i of the result is dim dims[i] of this.
  Tensor permute(const Shape& dims) const {
    EMBER_CHECK(static_cast<std::int64_t>(dims.size()) == dim(), "permute", "number of dims ",
                dims.size(), " in ", dims, " does not match the tensor's ", dim(), " dims (shape ",
                shape(), ")");
    Shape sh(dims.size()), st(dims.size());
    std::vector<bool> seen(dims.size(), false);
    for (std::size_t i = 0; i < dims.size(); ++i) {
      const auto d = normalize_dim(dims[i], dim(), "permute");
      EMBER_CHECK(!seen[d], "permute", "repeated dim ", dims[i], " in ", dims);
      seen[d] = true;
      sh[i] = shape()[d];
      st[i] = strides()[d];
    }
    return Tensor(storage(), std::move(sh), std::move(st), offset());
  }
  /// All dims reversed (NumPy's .T).
  Tensor T_() const {
    Shape dims(static_cast<std::size_t>(dim()));
    for (std::int64_t i = 0; i < dim(); ++i) dims[i] = dim() - 1 - i;
    return permute(dims);
  }
  /// The last two dims swapped (a batch of transposed matrices).
  Tensor mT() const {
    EMBER_CHECK(dim() >= 2, "mT", "tensor of shape ", shape(), " has fewer than 2 dimensions");
    return transpose(-2, -1);
  }
  /// Elements start, start+step, ... below stop along dim (Python slice semantics, step > 0).
  Tensor slice(std::int64_t d, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
               std::int64_t step = 1) const {
    d = normalize_dim(d, dim(), "slice");
    EMBER_CHECK(dim() > 0, "slice", "cannot slice a 0-d tensor");
    EMBER_CHECK(step > 0, "slice", "step must be greater than zero, got ", step);
    const std::int64_t n = shape()[d];
    auto clampi = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
    const std::int64_t b = start ? clampi(*start) : 0;
    const std::int64_t e = std::max(b, stop ? clampi(*stop) : n);
    Shape sh = shape(), st = strides();
    sh[d] = (e - b + step - 1) / step;
    st[d] *= step;
    return Tensor(storage(), std::move(sh), std::move(st), offset() + b * strides()[d]);
  }
  /// The length elements from start along dim.
  Tensor narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
    d = normalize_dim(d, dim(), "narrow");
    const std::int64_t n = shape()[d];
    if (start < 0) start += n;
    EMBER_CHECK_INDEX(start >= 0 && length >= 0 && start + length <= n, "narrow", "start ", start,
                      " + length ", length, " exceeds dimension ", d, " of size ", n, " (shape ",
                      shape(), ")");
    return slice(d, start, start + length, 1);
  }
  /// The sub-tensor at `index` along dim, with that dim removed.
  Tensor select(std::int64_t d, std::int64_t index) const {
    EMBER_CHECK_INDEX(dim() > 0, "select", "invalid index of a 0-dim tensor");
    d = normalize_dim(d, dim(), "select");
    const std::int64_t n = shape()[d];
    EMBER_CHECK_INDEX(index >= -n && index < n, "select", "index ", index,
                      " is out of bounds for dimension ", d, " with size ", n);
    if (index < 0) index += n;
    Shape sh = shape(), st = strides();
    sh.erase(d);
    st.erase(d);
    return Tensor(storage(), std::move(sh), std::move(st), offset() + index * strides()[d]);
  }
  /// All dims of extent 1 removed.
  Tensor squeeze() const {
    Shape sh, st;
    for (std::int64_t i = 0; i < dim(); ++i)
      if (shape()[i] != 1) {
        sh.push_back(shape()[i]);
        st.push_back(strides()[i]);
      }
    return Tensor(storage(), std::move(sh), std::move(st), offset());
  }
  /// Dim d removed if its extent is 1 (else unchanged, as in PyTorch).
  Tensor squeeze(std::int64_t d) const {
    d = normalize_dim(d, dim(), "squeeze");
    if (dim() == 0 || shape()[d] != 1) return *this;
    Shape sh = shape(), st = strides();
    sh.erase(d);
    st.erase(d);
    return Tensor(storage(), std::move(sh), std::move(st), offset());
  }
  /// A new dim of extent 1 inserted at position d (in [-dim-1, dim]).
  Tensor unsqueeze(std::int64_t d) const {
    d = normalize_dim(d, dim() + 1, "unsqueeze");
    Shape sh = shape(), st = strides();
    const std::int64_t s = d < dim() ? shape()[d] * strides()[d] : 1;
    sh.insert(d, 1);
    st.insert(d, s);
    return Tensor(storage(), std::move(sh), std::move(st), offset());
  }
  /// A broadcast view of this tensor with the given shape (-1 keeps a dim); stride 0 where expanded.
  Tensor expand(const Shape& target) const {
    EMBER_CHECK(target.size() >= shape().size(), "expand", "the number of sizes provided (",
                target.size(), ") must be greater or equal to the number of dimensions in the tensor (",
                dim(), "); shape ", shape(), " to ", target);
    const std::size_t lead = target.size() - shape().size();
    Shape sh(target.size()), st(target.size(), 0);
    for (std::size_t i = 0; i < target.size(); ++i) {
      if (i < lead) {
        EMBER_CHECK(target[i] >= 0, "expand", "the expanded size ", target[i],
                    " is not allowed in a leading, non-existing dimension ", i);
        sh[i] = target[i];
        continue;
      }
      const std::int64_t have = shape()[i - lead];
      const std::int64_t want = target[i] == -1 ? have : target[i];
      EMBER_CHECK(want == have || have == 1, "expand", "the expanded size of the tensor (", want,
                  ") must match the existing size (", have, ") at non-singleton dimension ", i,
                  ": shape ", shape(), " to ", target);
      sh[i] = want;
      st[i] = want == have ? strides()[i - lead] : 0;
    }
    numel_of(sh);  // throws when the expanded shape has more elements than int64 can count
    return Tensor(storage(), std::move(sh), std::move(st), offset());
  }
  /// expand() to other's shape.
  template <Element U>
  Tensor expand_as(const Tensor<U>& other) const { return expand(other.shape()); }
  /// Dims start..end merged into one (a view when possible, as reshape).
  Tensor flatten(std::int64_t start = 0, std::int64_t end = -1) const {
    if (dim() == 0) return reshape({1});
    start = normalize_dim(start, dim(), "flatten");
    end = normalize_dim(end, dim(), "flatten");
    EMBER_CHECK(start <= end, "flatten", "start_dim ", start, " cannot come after end_dim ", end);
    Shape sh;
    for (std::int64_t i = 0; i < start; ++i) sh.push_back(shape()[i]);
    std::int64_t m = 1;
    for (std::int64_t i = start; i <= end; ++i) m *= shape()[i];
    sh.push_back(m);
    for (std::int64_t i = end + 1; i < dim(); ++i) sh.push_back(shape()[i]);
    return reshape(sh);
  }
  /// This tensor if already contiguous, else a contiguous copy.
  Tensor contiguous() const {
    if (is_contiguous()) return *this;
    return clone();
  }
  /// A contiguous copy that shares nothing with this tensor.
  Tensor clone() const;
  /// A copy converted to element type U (this tensor itself when U is T).
  template <Element U>
  Tensor<U> to() const;
  /// Copies src (broadcast to this shape, converted to T) into this tensor's elements.
  template <Element U>
  const Tensor& copy_(const Tensor<U>& src) const;
  /// Sets every element to v.
  const Tensor& fill_(T v) const;
  /// Sets every element to zero.
  const Tensor& zero_() const { return fill_(T(0)); }

  // --- elementwise methods (defined in ops/elementwise.hpp) ---
  /// ember::neg(*this), and likewise for each unary op below (float math ops return float_t_of<T>).
  Tensor neg() const;
  Tensor abs() const;
  Tensor relu() const;
  Tensor<float_t_of<T>> exp() const;
  Tensor<float_t_of<T>> log() const;
  Tensor<float_t_of<T>> log1p() const;
  Tensor<float_t_of<T>> sqrt() const;
  Tensor<float_t_of<T>> rsqrt() const;
  Tensor<float_t_of<T>> sin() const;
  Tensor<float_t_of<T>> cos() const;
  Tensor<float_t_of<T>> tanh() const;
  Tensor<float_t_of<T>> sigmoid() const;
  Tensor<float_t_of<T>> silu() const;
  Tensor<float_t_of<T>> gelu(std::string_view approximate = "none") const;
  /// ember::add(*this, other), and likewise for each binary op below (other: a tensor or a scalar).
  template <Element U> auto add(const Tensor<U>& other) const;
  template <Scalar S> auto add(S other) const;
  template <Element U> auto sub(const Tensor<U>& other) const;
  template <Scalar S> auto sub(S other) const;
  template <Element U> auto mul(const Tensor<U>& other) const;
  template <Scalar S> auto mul(S other) const;
  template <Element U> auto div(const Tensor<U>& other) const;
  template <Scalar S> auto div(S other) const;
  template <Element U> auto pow(const Tensor<U>& other) const;
  template <Scalar S> auto pow(S other) const;
  template <Element U> auto maximum(const Tensor<U>& other) const;
  template <Scalar S> auto maximum(S other) const;
  template <Element U> auto minimum(const Tensor<U>& other) const;
  template <Scalar S> auto minimum(S other) const;
  template <Element U> Tensor<bool> eq(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> eq(S other) const;
  template <Element U> Tensor<bool> ne(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> ne(S other) const;
  template <Element U> Tensor<bool> lt(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> lt(S other) const;
  template <Element U> Tensor<bool> le(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> le(S other) const;
  template <Element U> Tensor<bool> gt(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> gt(S other) const;
  template <Element U> Tensor<bool> ge(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> ge(S other) const;
  template <Element U> Tensor<bool> logical_and(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> logical_and(S other) const;
  template <Element U> Tensor<bool> logical_or(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> logical_or(S other) const;
  template <Element U> Tensor<bool> logical_xor(const Tensor<U>& other) const;
  template <Scalar S> Tensor<bool> logical_xor(S other) const;
  Tensor<bool> logical_not() const;
  /// ember::clamp(*this, min, max).
  Tensor clamp(std::optional<T> min, std::optional<T> max = std::nullopt) const;
  /// In place: ember::add_(*this, other), and likewise sub_, mul_, div_.
  template <Element U> const Tensor& add_(const Tensor<U>& other) const;
  template <Scalar S> const Tensor& add_(S other) const;
  template <Element U> const Tensor& sub_(const Tensor<U>& other) const;
  template <Scalar S> const Tensor& sub_(S other) const;
  template <Element U> const Tensor& mul_(const Tensor<U>& other) const;
  template <Scalar S> const Tensor& mul_(S other) const;
  template <Element U> const Tensor& div_(const Tensor<U>& other) const;
  template <Scalar S> const Tensor& div_(S other) const;

  // --- end elementwise methods ---



  // --- reduction methods (defined in ops/reduce.hpp and ops/nn_functional.hpp) ---
  /// The dims a reduction runs over: all dims (the default, `{}` or std::nullopt), one dim, or a
  /// list of dims (negative dims count from the end; an empty list means all dims, as in PyTorch).
  struct Dims {
    Dims() = default;
    Dims(std::nullopt_t) {}  // NOLINT: implicit by design
    Dims(std::int64_t d) : all(false), list{d} {}  // NOLINT
    Dims(std::initializer_list<std::int64_t> ds) : all(ds.size() == 0), list(ds) {}
    Dims(const Shape& ds) : all(ds.empty()), list(ds) {}  // NOLINT
    bool all = true;
    Shape list;
  };
  /// Element type of sum/prod: T for floating types, int64 for bool and integers.
  using sum_type = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;

  /// Sum over dim (all dims by default); bool/integer sums are int64.
  Tensor<sum_type> sum(Dims dim = {}, bool keepdim = false) const;
  /// Product over dim; bool/integer products are int64.
  Tensor<sum_type> prod(Dims dim = {}, bool keepdim = false) const;
  /// Mean over dim (floating types only).
  Tensor<float_t_of<T>> mean(Dims dim = {}, bool keepdim = false) const;
  /// Variance over dim with divisor N - correction (floating types only).
  Tensor<float_t_of<T>> var(Dims dim = {}, double correction = 1, bool keepdim = false) const;
  /// Standard deviation over dim with divisor N - correction (floating types only).
  Tensor<float_t_of<T>> std(Dims dim = {}, double correction = 1, bool keepdim = false) const;
  /// log(sum(exp(x))) over dim, computed stably; integers are computed in float32.
  Tensor<float_t_of<T>> logsumexp(Dims dim = {}, bool keepdim = false) const;
  /// Largest element over dim (NaN propagates).
  Tensor amax(Dims dim = {}, bool keepdim = false) const;
  /// Smallest element over dim (NaN propagates).
  Tensor amin(Dims dim = {}, bool keepdim = false) const;
  /// Largest element of the whole tensor, as a 0-d tensor.
  Tensor max() const;
  /// (values, indices) of the largest element along dim; ties give the first index.
  std::pair<Tensor, Tensor<std::int64_t>> max(std::int64_t dim, bool keepdim = false) const;
  /// Smallest element of the whole tensor, as a 0-d tensor.
  Tensor min() const;
  /// (values, indices) of the smallest element along dim; ties give the first index.
  std::pair<Tensor, Tensor<std::int64_t>> min(std::int64_t dim, bool keepdim = false) const;
  /// Index of the largest element along dim (of the flattened tensor when dim is nullopt).
  Tensor<std::int64_t> argmax(std::optional<std::int64_t> dim = std::nullopt, bool keepdim = false) const;
  /// Index of the smallest element along dim (of the flattened tensor when dim is nullopt).
  Tensor<std::int64_t> argmin(std::optional<std::int64_t> dim = std::nullopt, bool keepdim = false) const;
  /// Whether every element over dim is non-zero.
  Tensor<bool> all(Dims dim = {}, bool keepdim = false) const;
  /// Whether some element over dim is non-zero.
  Tensor<bool> any(Dims dim = {}, bool keepdim = false) const;
  /// exp(x) / sum(exp(x)) along dim (floating types only).
  Tensor softmax(std::int64_t dim) const;
  /// x - logsumexp(x) along dim (floating types only).
  Tensor log_softmax(std::int64_t dim) const;
  // --- end reduction methods ---



  // --- linear algebra methods (defined in ops/linalg.hpp) ---
  /// Matrix product with NumPy's rules (see ember::matmul).
  template <Element U>
  Tensor<promote_t<T, U>> matmul(const Tensor<U>& other) const;
  /// Product of two 2-D tensors (see ember::mm).
  template <Element U>
  Tensor<promote_t<T, U>> mm(const Tensor<U>& other) const;
  /// Batched product of two 3-D tensors (see ember::bmm).
  template <Element U>
  Tensor<promote_t<T, U>> bmm(const Tensor<U>& other) const;
  /// Dot product of two 1-D tensors (see ember::dot).
  template <Element U>
  Tensor<promote_t<T, U>> dot(const Tensor<U>& other) const;
  /// Outer product of two 1-D tensors (see ember::outer).
  template <Element U>
  Tensor<promote_t<T, U>> outer(const Tensor<U>& other) const;
  // --- end linear algebra methods ---



  // --- shape and indexing methods (defined in ops/shape.hpp, ops/index.hpp and ops/indexing.hpp) ---
  // (`class TensorIndex` below declares ember::TensorIndex, defined in ops/indexing.hpp.)
  /// Views of consecutive pieces of split_size elements along dim (the last may be smaller).
  std::vector<Tensor> split(std::int64_t split_size, std::int64_t dim = 0) const;
  /// Views of pieces with the given sizes along dim.
  std::vector<Tensor> split(const std::vector<std::int64_t>& sizes, std::int64_t dim = 0) const;
  /// At most `chunks` views of ceil(size / chunks) elements along dim.
  std::vector<Tensor> chunk(std::int64_t chunks, std::int64_t dim = 0) const;
  /// out[..i..] = this[..index[..i..]..] along dim; out has index's shape.
  Tensor gather(std::int64_t dim, const Tensor<std::int64_t>& index) const;
  /// The entries at positions index (1-D) along dim.
  Tensor index_select(std::int64_t dim, const Tensor<std::int64_t>& index) const;
  /// A copy with value where mask (broadcast) is true.
  Tensor masked_fill(const Tensor<bool>& mask, T value) const;
  /// Sets the elements where mask (broadcast to this shape) is true to value, in place.
  const Tensor& masked_fill_(const Tensor<bool>& mask, T value) const;
  /// this[items] as Python writes it, e.g. t.index({0, Slice(1, None), None, Ellipsis, idx}).
  Tensor index(std::initializer_list<class TensorIndex> items) const;
  Tensor index(const std::vector<class TensorIndex>& items) const;
  /// this[items] = value (a tensor of any dtype, broadcast, or a number), in place.
  template <class V>
  const Tensor& index_put_(std::initializer_list<class TensorIndex> items, const V& value) const;
  template <class V>
  const Tensor& index_put_(const std::vector<class TensorIndex>& items, const V& value) const;
  // --- end shape and indexing methods ---

  /// Throws DeviceError unless the tensor is on the CPU (for host-only code paths).
  void check_cpu(const char* op) const {
    EMBER_CHECK_DEVICE(device().is_cpu(), op, "expected a CPU tensor, got one on ", device().str());
  }

 private:
  struct Impl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    Shape strides;
    std::int64_t offset = 0;
  };

  const Impl& impl() const {
    EMBER_CHECK(impl_ != nullptr, "tensor", "use of an undefined tensor");
    return *impl_;
  }

  // Replaces one -1 by the extent that keeps numel, and checks the element count.
  Shape infer_shape(const Shape& s, const char* op) const {
    Shape out = s;
    std::int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] == -1) {
        EMBER_CHECK(infer < 0, op, "only one dimension can be inferred in shape ", s);
        infer = static_cast<std::int64_t>(i);
      } else {
        EMBER_CHECK(out[i] >= 0, op, "invalid shape dimension ", out[i], " in ", s);
        known *= out[i];
      }
    }
    const std::int64_t n = numel();
    if (infer >= 0) {
      EMBER_CHECK(known != 0 && n % known == 0, op, "shape ", s, " is invalid for input of size ", n);
      out[infer] = n / known;
    } else {
      EMBER_CHECK(known == n, op, "shape ", s, " is invalid for input of size ", n, " (shape ", shape(), ")");
    }
    return out;
  }

  // Strides that express `sh` over this view's memory, if any (PyTorch's computeStride).
  std::optional<Shape> view_strides(const Shape& sh) const {
    const Shape& old_sh = shape();
    const Shape& old_st = strides();
    if (old_sh.empty()) return Shape(sh.size(), 1);
    if (numel() == 0) return contiguous_strides(sh);
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

  std::shared_ptr<Impl> impl_;
};

namespace detail {

/// dst[i] = U->T cast of src[i] over dst's shape; src must already have dst's shape (expand it).
template <Element T, Element U>
void copy_cast(const Tensor<T>& dst, const Tensor<U>& src) {
  const std::int64_t n = dst.numel();
  if (dst.is_contiguous() && src.is_contiguous()) {
    T* o = dst.data();
    const U* s = src.data();
    for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(s[i]);
    return;
  }
  for_each_strided<2>(dst.shape(), {reinterpret_cast<char*>(dst.data()), reinterpret_cast<char*>(src.data())},
                      {byte_strides<T>(dst.strides()), byte_strides<U>(src.strides())},
                      [](char** p, const std::int64_t* s, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i)
                          *reinterpret_cast<T*>(p[0] + i * s[0]) =
                              static_cast<T>(*reinterpret_cast<const U*>(p[1] + i * s[1]));
                      });
}

}  // namespace detail

template <Element T>
Tensor<T> Tensor<T>::clone() const {
  check_cpu("clone");
  Tensor out = empty(shape(), device());
  detail::copy_cast(out, *this);
  return out;
}

template <Element T>
template <Element U>
Tensor<U> Tensor<T>::to() const {
  if constexpr (std::is_same_v<T, U>) {
    return *this;
  } else {
    check_cpu("to");
    Tensor<U> out = Tensor<U>::empty(shape(), device());
    detail::copy_cast(out, *this);
    return out;
  }
}

template <Element T>
template <Element U>
const Tensor<T>& Tensor<T>::copy_(const Tensor<U>& src) const {
  EMBER_CHECK_DEVICE(device() == src.device(), "copy_", "source on ", src.device().str(),
                     " and destination on ", device().str());
  check_cpu("copy_");
  Shape b = broadcast_shapes(src.shape(), shape(), "copy_");
  EMBER_CHECK(b == shape(), "copy_", "source of shape ", src.shape(),
              " cannot be broadcast to destination of shape ", shape());
  detail::copy_cast(*this, src.expand(shape()));
  return *this;
}

template <Element T>
const Tensor<T>& Tensor<T>::fill_(T v) const {
  check_cpu("fill_");
  if (is_contiguous()) {
    std::fill(data(), data() + numel(), v);
    return *this;
  }
  detail::for_each_strided<1>(shape(), {reinterpret_cast<char*>(data())}, {detail::byte_strides<T>(strides())},
                      [v](char** p, const std::int64_t* s, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
                      });
  return *this;
}

}  // namespace ember
