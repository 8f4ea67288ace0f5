#pragma once
// The machinery behind the elementwise ops: it runs an op struct of ops/elementwise_formulas.hpp on
// the CPU loops (backend/eigen/elementwise.hpp), on oneDNN for large float32 tensors, or on CUDA;
// broadcasts and promotes the operands of binary ops; and records their backward with autograd. The
// public functions built on it are in ops/elementwise.hpp and ops/where.hpp.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ember/autograd/node.hpp"
#include "ember/backend/cuda/elementwise.hpp"
#include "ember/backend/eigen/elementwise.hpp"
#include "ember/backend/onednn/binary.hpp"
#include "ember/backend/onednn/eltwise.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise_formulas.hpp"

namespace ember {

/// The kind (bool < int < float) of a C++ scalar operand, for promote_with_scalar.
template <Scalar S>
inline constexpr ScalarKind scalar_kind_v = std::is_same_v<S, bool>   ? ScalarKind::Bool
                                            : std::is_integral_v<S> ? ScalarKind::Int
                                                                    : ScalarKind::Float;

/// The element type of `Tensor<T> op scalar S` (a scalar only promotes to a higher kind).
template <Element T, Scalar S>
using scalar_promote_t = element_t<promote_with_scalar(dtype_of<T>, scalar_kind_v<S>)>;

/// True when a value of dtype `from` may be written into a tensor of dtype `to` by an in-place op
/// (PyTorch's canCast: never float -> integer, never non-bool -> bool).
constexpr bool can_cast(DType from, DType to) {
  auto kind = [](DType d) { return is_floating(d) ? 2 : d == DType::Bool ? 0 : 1; };
  return kind(from) <= kind(to);
}

namespace detail {

// x as a Tensor<P>: x itself when it already is one, else a converted copy. Ops call this rather
// than to<P>(), whose same-type copy of the handle costs two atomic reference-count updates per
// operand on every small op. The result is a temporary: use it within the calling expression.
template <Element P, Element T>
decltype(auto) promoted(const Tensor<T>& x) {
  if constexpr (std::is_same_v<P, T>) return (x);
  else return x.template to<P>();
}

// --- which ops oneDNN runs ---
struct NoOneDnn {
  static constexpr bool kOneDnn = false, kOneDnnBackward = false;
  static constexpr auto alg = dnnl::algorithm::undef;
  static constexpr float alpha = 0, beta = 0;
};
// Backward = false keeps a unary op's gradient on the loop: oneDNN computes the masked gradients of
// relu and abs as g * 0 where PyTorch (and the loop) select 0, which turns a NaN or inf gradient
// into NaN where the unit is off.
template <dnnl::algorithm A, int Alpha = 0, int Beta = 0, bool Backward = true>
struct OneDnn {
  static constexpr bool kOneDnn = true, kOneDnnBackward = Backward;
  static constexpr auto alg = A;
  static constexpr float alpha = Alpha, beta = Beta;
};
/// The oneDNN algorithm that runs Op on large contiguous float32 tensors; by default none (the loop).
template <class Op> struct OneDnnOf : NoOneDnn {};
template <> struct OneDnnOf<NegOp> : OneDnn<dnnl::algorithm::eltwise_linear, -1, 0> {};
template <> struct OneDnnOf<AbsOp> : OneDnn<dnnl::algorithm::eltwise_abs, 0, 0, false> {};
// Not relu: oneDNN's maps NaN to 0 where PyTorch (and the loop, and CUDA) keep it.
template <> struct OneDnnOf<ExpOp> : OneDnn<dnnl::algorithm::eltwise_exp> {};
template <> struct OneDnnOf<LogOp> : OneDnn<dnnl::algorithm::eltwise_log> {};
template <> struct OneDnnOf<SqrtOp> : OneDnn<dnnl::algorithm::eltwise_sqrt> {};
template <> struct OneDnnOf<TanhOp> : OneDnn<dnnl::algorithm::eltwise_tanh> {};
template <> struct OneDnnOf<SigmoidOp> : OneDnn<dnnl::algorithm::eltwise_logistic> {};
template <> struct OneDnnOf<SiluOp> : OneDnn<dnnl::algorithm::eltwise_swish, 1> {};  // x * sigmoid(alpha * x)
template <> struct OneDnnOf<GeluOp> : OneDnn<dnnl::algorithm::eltwise_gelu_erf> {};
template <> struct OneDnnOf<GeluTanhOp> : OneDnn<dnnl::algorithm::eltwise_gelu_tanh> {};
template <> struct OneDnnOf<AddOp> : OneDnn<dnnl::algorithm::binary_add> {};
template <> struct OneDnnOf<SubOp> : OneDnn<dnnl::algorithm::binary_sub> {};
template <> struct OneDnnOf<MulOp> : OneDnn<dnnl::algorithm::binary_mul> {};
template <> struct OneDnnOf<DivOp> : OneDnn<dnnl::algorithm::binary_div> {};
// Not maximum and minimum: oneDNN's drop a NaN operand where PyTorch (and the loop, and CUDA) return it.
// Ops whose time is memory traffic: where their output is large enough to stream (stream_output),
// they skip oneDNN for the loop that streams it.
template <class Op>
constexpr bool kMemoryBound = false;
template <> inline constexpr bool kMemoryBound<NegOp> = true;
template <> inline constexpr bool kMemoryBound<AbsOp> = true;
template <> inline constexpr bool kMemoryBound<ReluOp> = true;
template <> inline constexpr bool kMemoryBound<AddOp> = true;
template <> inline constexpr bool kMemoryBound<SubOp> = true;
template <> inline constexpr bool kMemoryBound<MulOp> = true;
template <> inline constexpr bool kMemoryBound<DivOp> = true;
template <> inline constexpr bool kMemoryBound<MaxOp> = true;
template <> inline constexpr bool kMemoryBound<MinOp> = true;
template <class Op>
bool streams_instead_of_onednn(std::int64_t bytes) { return kMemoryBound<Op> && stream_output(bytes); }

/// out = Op(x) for every element, without recording; out has x's shape and device and may be x itself
/// (an in-place op). use_onednn = false forces the reference loop.
template <class Op, Element T, Element R>
void unary_into(const Tensor<R>& out, const Tensor<T>& x, bool use_onednn = true) {
  using C = typename Op::template compute<T>;
  if constexpr (!Op::kBool && std::is_same_v<T, bool>)
    fail<TypeError>(Op::name, "not supported for bool tensors", Op::bool_hint);
  if constexpr (requires { Op::kFloatOnly; } && !std::is_floating_point_v<T>)
    fail<TypeError>(Op::name, "expected a floating point input, got dtype ", dtype_name(dtype_of<T>), " (shape ",
                    x.shape(), ")");
  if (x.device().is_cuda()) {
    check_cuda_dtype<C>(Op::name);
    cuda::unary(x.device().index, cuda::unary_op<Op>(), x.shape(), cuda::strided(out), cuda::strided(promoted<C>(x)));
    return;
  }
  using D = OneDnnOf<Op>;
  if constexpr (D::kOneDnn && std::is_same_v<T, float> && std::is_same_v<R, float>) {
    if (use_onednn && x.numel() >= onednn::kMinElements && x.is_contiguous() && out.is_contiguous() &&
        !streams_instead_of_onednn<Op>(x.numel() * 2 * std::int64_t{sizeof(float)})) {
      onednn::eltwise(D::alg, D::alpha, D::beta, x.data(), out.data(), x.numel());
      return;
    }
  }
  unary_kernel(out, x, [](T v) { return static_cast<R>(Op::f(static_cast<C>(v))); });
}

/// Op applied to every element of x, without recording, into a new tensor.
template <class Op, Element T>
Tensor<typename Op::template result<T>> unary_forward(const Tensor<T>& x, bool use_onednn = true) {
  Tensor<typename Op::template result<T>> out = Tensor<typename Op::template result<T>>::empty(x.shape(), x.device());
  unary_into<Op>(out, x, use_onednn);
  return out;
}

/// Op applied to every element of x, recording dx = Op::df(g, x or y) when x requires grad.
template <class Op, Element T>
Tensor<typename Op::template result<T>> unary(const Tensor<T>& x, bool use_onednn = true) {
  auto y = unary_forward<Op>(x, use_onednn);
  if constexpr (FloatElement<T> && std::is_same_v<decltype(y), Tensor<T>>) {
    if (autograd::needs_grad(x))
      autograd::record(Op::name, y, [v = autograd::Saved<T>(Op::kGradFromOutput ? y : x, Op::name)](
                                        const Tensor<T>& g) {
        Tensor<T> dx = Tensor<T>::empty(g.shape(), g.device());
        const Tensor<T>& vt = v.get();
        // sum()'s backward hands down an expanded (stride-0) g: one copy puts the derivative on the vectorized,
        // threaded paths below (gelu's took 12 ms on a 1M-element g on the strided loop, 1 ms after).
        const Tensor<T> gc = g.device().is_cuda() || g.is_contiguous() || !vt.is_contiguous() ? g : g.contiguous();
        if (g.device().is_cuda()) {
          cuda::unary_backward(g.device().index, cuda::unary_op<Op>(), g.shape(), cuda::strided(dx), cuda::strided(g),
                               cuda::strided(vt));
          return dx;
        }
        using D = OneDnnOf<Op>;
        if constexpr (D::kOneDnnBackward && std::is_same_v<T, float>) {
          static_assert(!Op::kGradFromOutput || onednn::use_dst_for_bwd(D::alg) != dnnl::algorithm::undef,
                        "a gradient from the output needs oneDNN's use_dst_for_bwd variant");
          if (gc.numel() >= onednn::kMinElements && gc.is_contiguous() && vt.is_contiguous() &&
              vt.shape() == gc.shape()) {
            onednn::eltwise_backward(D::alg, Op::kGradFromOutput, D::alpha, D::beta, gc.data(), vt.data(), dx.data(),
                                     gc.numel());
            return dx;
          }
        }
        binary_kernel(dx, gc, vt, [](T gi, T vi) { return Op::df(gi, vi); });
        return dx;
      }, x);
  }
  return y;
}

/// The gradients Op::da and Op::db give, summed to the shapes of a and b, as autograd::Grads.
template <class Op, Element T>
autograd::Grads binary_grads(const Tensor<T>& g, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& y,
                             const Shape& a_shape, const Shape& b_shape, bool want_a, bool want_b) {
  return {want_a ? AnyTensor(sum_to_size(Op::da(g, a, b, y), a_shape)) : AnyTensor(),
          want_b ? AnyTensor(sum_to_size(Op::db(g, a, b, y), b_shape)) : AnyTensor()};
}

/// Records the backward of y = Op(a, b) (a and b already of one dtype) when either requires grad.
template <class Op, Element T>
void record_binary(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& y) {
  if (!autograd::needs_grad(a, b)) return;
  using autograd::Saved;
  const bool want_a = a.requires_grad(), want_b = b.requires_grad();
  autograd::record(Op::name, y,
                   [sa = Op::kSavesInputs ? Saved<T>(a, Op::name) : Saved<T>(),
                    sb = Op::kSavesInputs ? Saved<T>(b, Op::name) : Saved<T>(),
                    sy = Op::kSavesOutput ? Saved<T>(y, Op::name) : Saved<T>(), a_shape = a.shape(),
                    b_shape = b.shape(), want_a, want_b](const Tensor<T>& g) {
                     return binary_grads<Op>(g, sa.get(), sb.get(), sy.get(), a_shape, b_shape, want_a, want_b);
                   },
                   a, b);
}

/// Records the backward of y = Op(a, s) (or Op(s, a) when scalar_first) for a scalar s.
template <class Op, Element T>
void record_binary_scalar(const Tensor<T>& a, T s, bool scalar_first, const Tensor<T>& y) {
  if (!autograd::needs_grad(a)) return;
  using autograd::Saved;
  autograd::record(Op::name, y,
                   [sa = Op::kSavesInputs ? Saved<T>(a, Op::name) : Saved<T>(),
                    sy = Op::kSavesOutput ? Saved<T>(y, Op::name) : Saved<T>(), s,
                    scalar_first](const Tensor<T>& g) {
                     Tensor<T> c = Tensor<T>::empty({}, g.device());
                     c.fill_(s);
                     const Tensor<T>& x = sa.get();
                     return scalar_first ? Op::db(g, c, x, sy.get()) : Op::da(g, x, c, sy.get());
                   },
                   a);
}

// Runs oneDNN binary when the layout allows it (float32 >= kMinElements, src0 = the full-shape
// contiguous operand, src1 contiguous and broadcast); returns false when it does not.
template <class Op>
bool try_onednn_binary(const Tensor<float>& out, const Tensor<float>& a, const Tensor<float>& b) {
  using D = OneDnnOf<Op>;
  if (!D::kOneDnn || out.numel() < onednn::kMinElements || !out.is_contiguous()) return false;
  const Shape& s = out.shape();
  const Tensor<float>* x = &a;
  const Tensor<float>* y = &b;
  if (!(x->shape() == s)) {
    constexpr bool commutes = D::alg == dnnl::algorithm::binary_add || D::alg == dnnl::algorithm::binary_mul ||
                              D::alg == dnnl::algorithm::binary_max || D::alg == dnnl::algorithm::binary_min;
    if (!commutes || !(y->shape() == s)) return false;
    std::swap(x, y);
  }
  if (!x->is_contiguous() || !y->is_contiguous() || y->dim() > out.dim()) return false;
  if (y->shape() == s && streams_instead_of_onednn<Op>(out.numel() * 3 * std::int64_t{sizeof(float)})) return false;
  Shape s1(s.size(), 1);
  for (std::size_t i = 0; i < y->shape().size(); ++i) s1[s.size() - y->shape().size() + i] = y->shape()[i];
  return onednn::binary(D::alg, s, x->data(), s1, y->data(), out.data());
}

/// Refuses a zero in the integer divisor of a division (kIntegerDivisor), before its kernel divides by it.
template <class Op, Element T>
void check_integer_divisor(const Tensor<T>& divisor) {
  if constexpr (kIntegerDivisor<Op> && std::is_integral_v<T>) {
    const Tensor<T> c = divisor.contiguous();
    const T* p = c.data();
    EMBER_CHECK(std::none_of(p, p + c.numel(), [](T v) { return v == T(0); }), Op::name,
                "integer division by zero (the divisor of shape ", divisor.shape(), " holds a 0)");
  }
}

/// Op on two tensors of one dtype, broadcast; use_onednn = false forces the reference loop.
template <class Op, Element T>
Tensor<typename Op::template result<T>> binary(const Tensor<T>& a, const Tensor<T>& b, bool use_onednn = true) {
  using R = typename Op::template result<T>;
  using C = typename Op::template compute<T>;
  const Device device = same_device(Op::name, a, b);
  if constexpr (!Op::kBool && std::is_same_v<T, bool>)
    fail<TypeError>(Op::name, "not supported for two bool tensors");
  Tensor<R> out = Tensor<R>::empty(a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), Op::name),
                                   device);
  [&] {
    if (device.is_cuda()) {
      check_cuda_dtype<C>(Op::name);
      const Shape& s = out.shape();
      cuda::binary(device.index, cuda::binary_op<Op>(), s, cuda::strided(out),
                   cuda::strided(promoted<C>(a).detach().expand(s)), cuda::strided(promoted<C>(b).detach().expand(s)));
      return;
    }
    if constexpr (std::is_same_v<T, float> && std::is_same_v<R, float>)
      if (use_onednn && try_onednn_binary<Op>(out, a, b)) return;
    check_integer_divisor<Op>(b);
    binary_kernel(out, a, b, [](T x, T y) { return static_cast<R>(Op::f(static_cast<C>(x), static_cast<C>(y))); });
  }();
  if constexpr (FloatElement<T> && std::is_same_v<R, T>) record_binary<Op>(a, b, out);
  return out;
}

/// Op between a tensor and a scalar of its dtype (scalar_first: s op a).
template <class Op, Element T>
Tensor<typename Op::template result<T>> binary_scalar(const Tensor<T>& a, T s, bool scalar_first) {
  using R = typename Op::template result<T>;
  using C = typename Op::template compute<T>;
  if constexpr (!Op::kBool && std::is_same_v<T, bool>)
    fail<TypeError>(Op::name, "not supported for bool operands");
  Tensor<R> out = Tensor<R>::empty(a.shape(), a.device());
  if constexpr (FloatElement<T> && std::is_same_v<R, T>) record_binary_scalar<Op>(a, s, scalar_first, out);
  if (a.device().is_cuda()) {
    check_cuda_dtype<C>(Op::name);
    cuda::binary_scalar(a.device().index, cuda::binary_op<Op>(), a.shape(), cuda::strided(out),
                        cuda::strided(promoted<C>(a)),
                        static_cast<double>(static_cast<C>(s)), scalar_first);
    return out;
  }
  if constexpr (std::is_same_v<T, float> && std::is_same_v<R, float>) {
    // alpha * x + beta covers add, sub and mul; pow with a scalar exponent is alpha * x^beta.
    constexpr auto alg = OneDnnOf<Op>::alg;
    constexpr bool lin = alg == dnnl::algorithm::binary_add || alg == dnnl::algorithm::binary_sub ||
                         alg == dnnl::algorithm::binary_mul;
    const bool is_pow = std::is_same_v<Op, PowOp> && !scalar_first;
    if ((lin || is_pow) && a.numel() >= onednn::kMinElements && a.is_contiguous()) {
      float alpha = 1, beta = 0;
      auto ealg = dnnl::algorithm::eltwise_linear;
      if (is_pow) ealg = dnnl::algorithm::eltwise_pow, beta = s;
      else if (alg == dnnl::algorithm::binary_add) beta = s;
      else if (alg == dnnl::algorithm::binary_sub) alpha = scalar_first ? -1.f : 1.f, beta = scalar_first ? s : -s;
      else alpha = s;
      onednn::eltwise(ealg, alpha, beta, a.data(), out.data(), a.numel());
      return out;
    }
  }
  if (scalar_first) check_integer_divisor<Op>(a);
  else if constexpr (kIntegerDivisor<Op> && std::is_integral_v<T>)
    EMBER_CHECK(s != T(0), Op::name, "integer division by zero (the divisor is the scalar 0)");
  const C c = static_cast<C>(s);
  if (scalar_first)
    unary_kernel(out, a, [c](T x) { return static_cast<R>(Op::f(c, static_cast<C>(x))); });
  else
    unary_kernel(out, a, [c](T x) { return static_cast<R>(Op::f(static_cast<C>(x), c)); });
  return out;
}

/// self = self Op other, other broadcast to self's shape; the result must be castable to T.
template <class Op, Element T, Element U>
const Tensor<T>& binary_inplace(const Tensor<T>& self, const Tensor<U>& other) {
  using P = typename Op::template result<promote_t<T, U>>;
  EMBER_CHECK_TYPE(can_cast(dtype_of<P>, dtype_of<T>), Op::inplace_name, "result type ", dtype_name(dtype_of<P>),
                   " can't be cast to the desired output type ", dtype_name(dtype_of<T>));
  const Device device = same_device(Op::inplace_name, self, other);
  if constexpr (!Op::kBool && std::is_same_v<T, bool>)
    fail<TypeError>(Op::inplace_name, "not supported for bool tensors");
  if (!(other.shape() == self.shape())) {
    const Shape b = broadcast_shapes(self.shape(), other.shape(), Op::inplace_name);
    EMBER_CHECK(b == self.shape(), Op::inplace_name, "output with shape ", self.shape(),
                " doesn't match the broadcast shape ", b);
  }
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(self, other))  // record: self becomes the output of Op(self, other)
      return autograd::rebase_history(self, Op::inplace_name, Op::kSavesInputs, [&](const Tensor<T>& src) {
        return binary<Op>(src, other.template to<T>());
      });
  }
  autograd::check_inplace_source(other, Op::inplace_name);
  autograd::check_inplace(self, Op::inplace_name);
  const Tensor<T> o = inplace_source(self, other.template to<T>());
  if (device.is_cuda()) {
    check_cuda_dtype<T>(Op::inplace_name);
    cuda::binary(device.index, cuda::binary_op<Op>(), self.shape(), cuda::strided(self), cuda::strided(self),
                 cuda::strided(o.detach().expand(self.shape())));
    return self;
  }
  if constexpr (std::is_same_v<T, float>)
    if (self.is_contiguous() && try_onednn_binary<Op>(self, self, o)) return self;
  binary_kernel(self, self, o, [](T x, T y) { return static_cast<T>(Op::f(x, y)); });
  return self;
}

/// self = self Op s (s converted to T); the promoted result must be castable to T.
template <class Op, Element T, Scalar S>
const Tensor<T>& binary_inplace_scalar(const Tensor<T>& self, S s) {
  using P = typename Op::template result<scalar_promote_t<T, S>>;
  EMBER_CHECK_TYPE(can_cast(dtype_of<P>, dtype_of<T>), Op::inplace_name, "result type ", dtype_name(dtype_of<P>),
                   " can't be cast to the desired output type ", dtype_name(dtype_of<T>));
  if constexpr (!Op::kBool && std::is_same_v<T, bool>)
    fail<TypeError>(Op::inplace_name, "not supported for bool tensors");
  const T c = static_cast<T>(s);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(self))
      return autograd::rebase_history(self, Op::inplace_name, Op::kSavesInputs,
                                      [&](const Tensor<T>& src) { return binary_scalar<Op>(src, c, false); });
  }
  autograd::check_inplace(self, Op::inplace_name);
  if (self.device().is_cuda()) {
    check_cuda_dtype<T>(Op::inplace_name);
    cuda::binary_scalar(self.device().index, cuda::binary_op<Op>(), self.shape(), cuda::strided(self),
                        cuda::strided(self),
                        static_cast<double>(c), false);
    return self;
  }
  unary_kernel(self, self, [c](T x) { return static_cast<T>(Op::f(x, c)); });
  return self;
}

}  // namespace detail

}  // namespace ember

// Tensor op Tensor (promote_t), Tensor op scalar and scalar op Tensor (scalar_promote_t): the
// overloads of a public binary function fn running the op struct Op (used by ops/elementwise.hpp).
#define EMBER_BINARY_FN(fn, Op)                                                                       \
  template <Element A, Element B>                                                                     \
  auto fn(const Tensor<A>& a, const Tensor<B>& b) {                                                   \
    using P = promote_t<A, B>;                                                                        \
    return detail::binary<detail::Op>(detail::promoted<P>(a), detail::promoted<P>(b));                \
  }                                                                                                   \
  template <Element T, Scalar S>                                                                      \
  auto fn(const Tensor<T>& a, S s) {                                                                  \
    using P = scalar_promote_t<T, S>;                                                                 \
    return detail::binary_scalar<detail::Op>(detail::promoted<P>(a), static_cast<P>(s), false);       \
  }                                                                                                   \
  template <Scalar S, Element T>                                                                      \
  auto fn(S s, const Tensor<T>& a) {                                                                  \
    using P = scalar_promote_t<T, S>;                                                                 \
    return detail::binary_scalar<detail::Op>(detail::promoted<P>(a), static_cast<P>(s), true);        \
  }
