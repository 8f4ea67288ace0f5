#pragma once
// Tensor<T>: a cheap shared handle to (storage, shape, strides, offset). Views share storage and
// never copy. Op methods are declared here and defined beside their free function in ops/<family>.hpp,
// so include "ember/ember.hpp" to use them.
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <type_traits>
#include <span>
#include <vector>

#include <Eigen/Core>  // Eigen::bfloat16, the element type ember::bfloat16

#include "ember/backend/cuda/copy.hpp"
#include "ember/core/device.hpp"
#include "ember/core/dtype.hpp"
#include "ember/core/error.hpp"
#include "ember/core/iter.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/storage.hpp"
#include "ember/ops/elementwise_formulas.hpp"  // the op lists that declare the elementwise methods

namespace ember {

template <Element T>
class Tensor;

namespace autograd {
struct Meta;
struct Node;
}  // namespace autograd

/// Scalar type an op accepts beside a tensor of T (a C++ number of any arithmetic type).
template <class S>
concept Scalar = std::is_arithmetic_v<S>;

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

template <Element T>
class Tensor {
 public:
  using value_type = T;
  static constexpr DType kDType = dtype_of<T>;

  /// An undefined tensor (no storage); defined() is false.
  Tensor() = default;
  /// A view of `storage` with the given shape, element strides and element offset.
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, std::int64_t offset = 0)
      : impl_(std::make_shared<Impl>(Impl{std::move(storage), std::move(shape), std::move(strides), offset, {}})) {}

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
  std::int64_t size(std::int64_t d) const { return impl().shape[checked_dim(d, "size")]; }
  std::int64_t stride(std::int64_t d) const { return impl().strides[checked_dim(d, "stride")]; }
  constexpr DType dtype() const { return kDType; }
  Device device() const { return impl().storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  /// Pointer to element 0 of this view (not necessarily contiguous: see strides()).
  T* data() const { return static_cast<T*>(impl().storage->data()) + impl().offset; }
  /// True when nothing else refers to this tensor or its memory (no other handle, view or owner), so
  /// that it may be taken over instead of copied.
  bool is_unique() const { return impl_.use_count() == 1 && impl().storage.use_count() == 1; }
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
    if (device().is_cuda()) return cpu().item();
    return *data();
  }
  /// Copies the elements, in row-major order, into a vector (from any device).
  std::vector<T> to_vector() const {
    Tensor c = device().is_cpu() ? contiguous() : cpu();
    return std::vector<T>(c.data(), c.data() + c.numel());
  }

  // --- views: share storage, never copy (defined in ops/view.hpp) ---
  /// A view with a new shape (one dim may be -1); fails when the strides cannot express it.
  Tensor view(const Shape& new_shape) const;
  /// view() when the strides allow it, else a contiguous copy with the new shape.
  Tensor reshape(const Shape& new_shape) const;
  /// Swaps dims d0 and d1.
  Tensor transpose(std::int64_t d0, std::int64_t d1) const;
  /// Reorders the dims: dim i of the result is dim dims[i] of this.
  Tensor permute(const Shape& dims) const;
  /// All dims reversed (NumPy's .T).
  Tensor T_() const;
  /// The last two dims swapped (a batch of transposed matrices).
  Tensor mT() const;
  /// Elements start, start+step, ... below stop along dim (Python slice semantics, step > 0).
  Tensor slice(std::int64_t d, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
               std::int64_t step = 1) const;
  /// The length elements from start along dim.
  Tensor narrow(std::int64_t d, std::int64_t start, std::int64_t length) const;
  /// The sub-tensor at `index` along dim, with that dim removed.
  Tensor select(std::int64_t d, std::int64_t index) const;
  /// All dims of extent 1 removed.
  Tensor squeeze() const;
  /// Dim d removed if its extent is 1 (else unchanged, as in PyTorch).
  Tensor squeeze(std::int64_t d) const;
  /// A new dim of extent 1 inserted at position d (in [-dim-1, dim]).
  Tensor unsqueeze(std::int64_t d) const;
  /// A broadcast view of this tensor with the given shape (-1 keeps a dim); stride 0 where expanded.
  Tensor expand(const Shape& target) const;
  /// expand() to other's shape.
  template <Element U>
  Tensor expand_as(const Tensor<U>& other) const { return expand(other.shape()); }
  /// Dims start..end merged into one (a view when possible, as reshape).
  Tensor flatten(std::int64_t start = 0, std::int64_t end = -1) const;
  /// This tensor if already contiguous, else a contiguous copy.
  Tensor contiguous() const {
    if (is_contiguous()) return *this;
    return clone();
  }

  // --- copies and fills (defined in ops/copy.hpp) ---
  /// A copy on `device` (this tensor itself when it is already there); differentiable.
  Tensor to(Device device) const;
  /// to(Device::cuda(index)).
  Tensor cuda(int index = 0) const { return to(Device::cuda(index)); }
  /// to(Device::cpu()).
  Tensor cpu() const { return to(Device::cpu()); }
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

  // --- autograd (defined in autograd/node.hpp; backward in autograd/engine.hpp) ---
  /// True when gradients flow to this tensor: a leaf marked by requires_grad_(), or an op's output on one.
  bool requires_grad() const;
  /// Marks a leaf (floating point only) as needing its gradient; returns this tensor.
  const Tensor& requires_grad_(bool requires_grad = true) const;
  /// True for tensors no recorded op made (every tensor that does not require grad, and marked leaves).
  bool is_leaf() const;
  /// The gradient backward() accumulated (an undefined tensor until then).
  Tensor grad() const;
  /// Replaces the gradient (an undefined tensor clears it); it must have this tensor's shape.
  void set_grad(const Tensor& grad) const;
  /// Sums d(this)/d(leaf) * gradient into every leaf's grad(); gradient may be omitted for one element.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  /// Makes backward() fill grad() of this non-leaf tensor too.
  void retain_grad() const;
  /// True when backward() fills grad() of this non-leaf tensor.
  bool retains_grad() const;
  /// The node that made this tensor (null for leaves).
  std::shared_ptr<autograd::Node> grad_fn() const;
  /// The same elements (shared memory) cut from the graph: requires_grad() is false.
  Tensor detach() const { return Tensor(storage(), shape(), strides(), offset()); }
  /// Makes this tensor (and every handle sharing it) view other's elements, keeping its autograd state,
  /// as PyTorch's `t.data = other`; other must have this dtype and device.
  void set_data(const Tensor& other) const {
    impl();
    EMBER_CHECK_DEVICE(other.device() == device(), "data", "cannot set the data of a tensor on ", device().str(),
                       " to a tensor on ", other.device().str());
    impl_->storage = other.storage();
    impl_->shape = other.shape();
    impl_->strides = other.strides();
    impl_->offset = other.offset();
  }
  /// Number of in-place writes to this tensor's storage so far (autograd checks saved tensors by it).
  std::uint64_t version() const { return impl().storage->version(); }
  /// The autograd state (null for tensors that never required grad); for ember's own code.
  const std::shared_ptr<autograd::Meta>& autograd_meta() const { return impl().autograd; }
  std::shared_ptr<autograd::Meta>& autograd_meta_ref() const {
    impl();
    return impl_->autograd;
  }

  // --- elementwise methods (defined in ops/elementwise.hpp) ---
  /// ember::fn(*this) for each unary op of EMBER_UNARY_API (ops/elementwise_formulas.hpp: neg, exp...).
#define EMBER_UNARY_METHOD(Op, fn, doc) Tensor<detail::op_result_t<detail::Op, T>> fn() const;
  EMBER_UNARY_API(EMBER_UNARY_METHOD)
#undef EMBER_UNARY_METHOD
  /// ember::fn_(*this), in place, for each math op of EMBER_UNARY_MATH_API (exp_, abs_, sigmoid_...).
#define EMBER_UNARY_INPLACE_METHOD(Op, fn, doc) const Tensor& fn##_() const;
  EMBER_UNARY_MATH_API(EMBER_UNARY_INPLACE_METHOD)
#undef EMBER_UNARY_INPLACE_METHOD
  Tensor<float_t_of<T>> gelu(std::string_view approximate = "none") const;
  /// ember::fn(*this, other) for each binary op of EMBER_BINARY_API and pow (other: a tensor or a scalar).
#define EMBER_BINARY_METHOD(Op, fn, doc)                    \
  template <Element U> auto fn(const Tensor<U>& other) const; \
  template <Scalar S> auto fn(S other) const;
  EMBER_BINARY_API(EMBER_BINARY_METHOD)
  EMBER_BINARY_METHOD(PowOp, pow, "")
#undef EMBER_BINARY_METHOD
  /// ember::tril / ember::triu of this (ops/triangular.hpp).
  Tensor tril(std::int64_t diagonal = 0) const;
  Tensor triu(std::int64_t diagonal = 0) const;
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
  /// The dims a reduction runs over (one type for every element type: ember::Dims).
  using Dims = ember::Dims;
  /// Element type of sum/prod: T for floating types, int64 for bool and integers.
  using sum_type = std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, bfloat16>, T, std::int64_t>;

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



  // --- shape and indexing methods (defined in ops/shape.hpp, ops/gather.hpp and ops/subscript.hpp) ---
  // (`class TensorIndex` below declares ember::TensorIndex, defined in ops/subscript.hpp.)
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

  /// Throws DeviceError unless the tensor is on the CPU: guards the ops that have no CUDA kernel yet,
  /// which would otherwise read device memory from the host.
  void check_cpu(const char* op) const {
    EMBER_CHECK_DEVICE(device().is_cpu(), op, "not implemented on cuda yet (got a tensor on ", device().str(),
                       "; move it with .cpu())");
  }

 private:
  /// d normalised for a tensor that must have that dim (a 0-d tensor has none, unlike for reductions).
  std::size_t checked_dim(std::int64_t d, const char* op) const {
    EMBER_CHECK_INDEX(dim() > 0, op, "dimension specified as ", d, " but tensor has no dimensions");
    return static_cast<std::size_t>(normalize_dim(d, dim(), op));
  }

  struct Impl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    Shape strides;
    std::int64_t offset = 0;
    std::shared_ptr<autograd::Meta> autograd;  // null unless the tensor requires grad
  };

  const Impl& impl() const {
    EMBER_CHECK(impl_ != nullptr, "tensor", "use of an undefined tensor");
    return *impl_;
  }

  std::shared_ptr<Impl> impl_;
};

namespace detail {

/// The device of the first tensor; DeviceError naming both devices when another tensor is elsewhere.
template <Element T, class... Rest>
Device same_device(const char* op, const Tensor<T>& first, const Rest&... rest) {
  const Device d = first.device();
  auto check = [&](const auto& t) {
    EMBER_CHECK_DEVICE(t.device() == d, op, "expected all tensors on the same device, got ", d.str(), " and ",
                       t.device().str());
  };
  (check(rest), ...);
  return d;
}

/// same_device(), then DeviceError unless that device is the CPU (ops with no CUDA kernel yet).
template <Element T, class... Rest>
void check_cpu(const char* op, const Tensor<T>& first, const Rest&... rest) {
  same_device(op, first, rest...);
  first.check_cpu(op);
}

/// dst[i] = U->T cast of src[i] over dst's shape; src must already have dst's shape (expand it).
template <Element T, Element U>
void copy_cast(const Tensor<T>& dst, const Tensor<U>& src) {
  if (dst.device().is_cuda()) {
    cuda::copy(dst.device().index, dst.shape(), cuda::strided(dst), cuda::strided(src));
    return;
  }
  const std::int64_t n = dst.numel();
  if (dst.is_contiguous() && src.is_contiguous()) {
    T* o = dst.data();
    const U* s = src.data();
    if constexpr (std::is_same_v<T, bfloat16> || std::is_same_v<U, bfloat16>) {
      // bfloat16 operands are widened and rounded around every op that computes on them: use the threads
#pragma omp parallel for schedule(static) if (n >= (std::int64_t{1} << 16))
      for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(s[i]);
      return;
    }
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

/// f(x) for a rule whose arithmetic ember computes in float32 only: a bfloat16 x is widened and the result
/// rounded back once, as every op on bfloat16 does (so autograd differentiates through both casts); other
/// dtypes call f directly. f takes any floating tensor (a generic lambda).
template <Element T, class F>
Tensor<T> via_float32(const Tensor<T>& x, F&& f) {
  if constexpr (std::is_same_v<T, bfloat16>) return f(x.template to<float>()).template to<bfloat16>();
  else return f(x);
}

}  // namespace detail

/// An optional tensor argument (a bias, running statistics): a Tensor<T> or std::nullopt converts to
/// it, and it takes no part in deducing T (so conv2d(x, w, b) compiles with a plain tensor b).
template <Element T>
using OptionalTensor = std::type_identity_t<std::optional<Tensor<T>>>;

/// t as an OptionalTensor: empty when t is undefined (a layer without bias, a norm without running stats).
template <Element T>
OptionalTensor<T> if_defined(const Tensor<T>& t) {
  return t.defined() ? OptionalTensor<T>(t) : std::nullopt;
}

}  // namespace ember
