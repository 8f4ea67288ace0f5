#pragma once
// Elementwise ops, the header to include for any of them: unary math, broadcasting binary arithmetic
// and comparisons with type promotion, logical ops, clamp, in-place arithmetic, the C++ operators, and
// (through ops/where.hpp) where.
//
// Each op is a struct of ops/elementwise_formulas.hpp (its scalar function f and beside it its
// derivative, shared by the CPU loops and the CUDA kernels). The ops listed there in EMBER_UNARY_API and
// EMBER_BINARY_API get their public function and Tensor method generated here from their list line;
// each runs the machinery of ops/elementwise_impl.hpp, which checks the operands and records the backward.
#include <cmath>
#include <optional>
#include <string_view>
#include <type_traits>

#include "ember/core/tensor.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/where.hpp"  // the gradients of maximum, minimum and pow
#include "ember/ops/elementwise_impl.hpp"

namespace ember {

// --- unary: ember::fn(x) and Tensor::fn() for each op of EMBER_UNARY_API (its doc is there) ---
#define EMBER_UNARY_API_FN(Op, fn, doc)                                                                \
  template <Element T>                                                                                \
  Tensor<detail::op_result_t<detail::Op, T>> fn(const Tensor<T>& x) {                            \
    return detail::unary<detail::Op>(x);                                                              \
  }                                                                                                   \
  template <Element T>                                                                                \
  Tensor<detail::op_result_t<detail::Op, T>> Tensor<T>::fn() const {                             \
    return ember::fn(*this);                                                                          \
  }
EMBER_UNARY_API(EMBER_UNARY_API_FN)
#undef EMBER_UNARY_API_FN

namespace detail {
/// Op's result written into x, recorded by autograd when x requires grad (and is not a leaf); a result
/// dtype that x cannot hold (exp_ of an integer tensor) is a TypeError.
template <class Op, Element T>
const Tensor<T>& unary_inplace(const Tensor<T>& x, const char* op) {
  using R = op_result_t<Op, T>;
  if constexpr (!std::is_same_v<R, T>) {
    fail<TypeError>(op, "result type ", dtype_name(dtype_of<R>), " can't be cast to the desired output type ",
                    dtype_name(dtype_of<T>), " (shape ", x.shape(), ")");
  } else {
    if constexpr (FloatElement<T>)
      if (autograd::needs_grad(x))
        return autograd::rebase_history(x, op, true, [](const Tensor<T>& src) { return unary<Op>(src); });
    autograd::check_inplace(x, op);
    unary_into<Op>(x, x);  // element for element: x may be its own output
  }
  return x;
}
}  // namespace detail

// --- in place: ember::fn_(x) and Tensor::fn_() for each op of EMBER_UNARY_MATH_API ---
#define EMBER_UNARY_INPLACE_FN(Op, fn, doc)                                                           \
  template <Element T>                                                                                \
  const Tensor<T>& fn##_(const Tensor<T>& x) {                                                        \
    return detail::unary_inplace<detail::Op>(x, #fn "_");                                             \
  }                                                                                                   \
  template <Element T>                                                                                \
  const Tensor<T>& Tensor<T>::fn##_() const {                                                         \
    return ember::fn##_(*this);                                                                       \
  }
EMBER_UNARY_MATH_API(EMBER_UNARY_INPLACE_FN)
#undef EMBER_UNARY_INPLACE_FN
/// GELU elementwise: the exact erf form ("none") or the tanh approximation ("tanh"), as PyTorch.
template <Element T>
Tensor<float_t_of<T>> gelu(const Tensor<T>& x, std::string_view approximate = "none") {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", "gelu",
              "approximate must be 'none' or 'tanh', got '", approximate, "'");
  return approximate == "tanh" ? detail::unary<detail::GeluTanhOp>(x) : detail::unary<detail::GeluOp>(x);
}

// --- binary: ember::fn(a, b) (Tensor op Tensor, Tensor op scalar, scalar op Tensor) and Tensor::fn(other)
// for each op of EMBER_BINARY_API (its doc is there) ---
#define EMBER_BINARY_METHOD(fn)                                                                       \
  template <Element T> template <Element U> auto Tensor<T>::fn(const Tensor<U>& other) const {        \
    return ember::fn(*this, other);                                                                   \
  }                                                                                                   \
  template <Element T> template <Scalar S> auto Tensor<T>::fn(S other) const { return ember::fn(*this, other); }
#define EMBER_BINARY_API_FN(Op, fn, doc) EMBER_BINARY_FN(fn, Op) EMBER_BINARY_METHOD(fn)
EMBER_BINARY_API(EMBER_BINARY_API_FN)
#undef EMBER_BINARY_API_FN

/// x rounded to `decimals` decimal places (negative: to tens, hundreds, ...), halves to even, as
/// torch.round(x, decimals=); the gradient is 0.
template <FloatElement T>
Tensor<T> round(const Tensor<T>& x, std::int64_t decimals) {
  if (decimals == 0) return round(x);
  const T scale = static_cast<T>(std::pow(10.0, static_cast<double>(decimals < 0 ? -decimals : decimals)));
  return decimals > 0 ? round(x * scale) / scale : round(x / scale) * scale;
}

/// logit of x clamped to [eps, 1 - eps] (torch.logit with eps): a zero gradient outside that range.
template <FloatElement T>
Tensor<T> logit(const Tensor<T>& x, double eps) {
  return logit(clamp(x, static_cast<T>(eps), static_cast<T>(1 - eps)));
}

/// a raised to the power b elementwise, broadcast and promoted (integers stay integers).
template <Element A, Element B>
Tensor<promote_t<A, B>> pow(const Tensor<A>& a, const Tensor<B>& b) {
  using P = promote_t<A, B>;
  return detail::binary<detail::PowOp>(detail::promoted<P>(a), detail::promoted<P>(b));
}
/// a raised to the scalar power e; a negative integer power of an integer tensor is an error.
template <Element T, Scalar S>
Tensor<scalar_promote_t<T, S>> pow(const Tensor<T>& a, S e) {
  using P = scalar_promote_t<T, S>;
  if constexpr (std::is_integral_v<P> && std::is_signed_v<S>)
    EMBER_CHECK(e >= 0, "pow", "integers to negative integer powers are not allowed (exponent ", e, ")");
  // PyTorch's (and NumPy's) sqrt forms of a scalar exponent: pow(-inf, 0.5) is NaN, not C's +inf
  if constexpr (std::is_floating_point_v<P> && std::is_floating_point_v<S>) {
    if (e == S(0.5)) return sqrt(detail::promoted<P>(a));
    if (e == S(-0.5)) return rsqrt(detail::promoted<P>(a));
  }
  return detail::binary_scalar<detail::PowOp>(detail::promoted<P>(a), static_cast<P>(e), false);
}
/// The scalar b raised to the powers in e.
template <Scalar S, Element T>
Tensor<scalar_promote_t<T, S>> pow(S b, const Tensor<T>& e) {
  using P = scalar_promote_t<T, S>;
  return detail::binary_scalar<detail::PowOp>(detail::promoted<P>(e), static_cast<P>(b), true);
}

namespace detail {
/// The elementwise clamp to [min, max] (either bound optional, NaN kept), branch-free.
template <class T>
auto clamp_of(std::optional<T> min, std::optional<T> max) {
  const T lo = min ? *min : T(0), hi = max ? *max : T(0);
  const bool has_lo = min.has_value(), has_hi = max.has_value();
  return [=](T v) {
    v = select(has_lo && !(v >= lo) && v == v, lo, v);
    return select(has_hi && !(v <= hi) && v == v, hi, v);
  };
}
}  // namespace detail

/// x with every element limited to [min, max] (either bound optional; min > max gives max).
template <Element T>
Tensor<T> clamp(const Tensor<T>& x, std::type_identity_t<std::optional<T>> min,
                std::type_identity_t<std::optional<T>> max = std::nullopt) {
  EMBER_CHECK(min || max, "clamp", "at least one of min and max must be given");
  x.check_cpu("clamp");
  Tensor<T> out = Tensor<T>::empty(x.shape());
  detail::unary_kernel(out, x, detail::clamp_of(min, max));
  if constexpr (FloatElement<T>) {
    // The gradient passes where min <= x <= max (bounds included, as PyTorch).
    const T lo = min ? *min : T(0), hi = max ? *max : T(0);
    const bool has_lo = min.has_value(), has_hi = max.has_value();
    if (autograd::needs_grad(x))
      autograd::record("clamp", out, [sx = autograd::Saved<T>(x, "clamp"), lo, hi, has_lo, has_hi](const Tensor<T>& g) {
        Tensor<T> dx = Tensor<T>::empty(g.shape());
        detail::binary_kernel(dx, g, sx.get(), [=](T gi, T v) {
          return detail::select((!has_lo || v >= lo) && (!has_hi || v <= hi), gi, T(0));
        });
        return dx;
      }, x);
  }
  return out;
}
/// x limited elementwise by tensor bounds (broadcast; an undefined Tensor() means no bound).
template <Element T>
Tensor<T> clamp(const Tensor<T>& x, const Tensor<T>& min, const Tensor<T>& max) {
  EMBER_CHECK(min.defined() || max.defined(), "clamp", "at least one of min and max must be given");
  Tensor<T> r = min.defined() ? detail::binary<detail::MaxOp>(x, min) : x;
  return max.defined() ? detail::binary<detail::MinOp>(r, max) : r;
}
/// clamp written into x (straight into its memory when no gradient is recorded).
template <Element T>
const Tensor<T>& clamp_(const Tensor<T>& x, std::type_identity_t<std::optional<T>> min,
                        std::type_identity_t<std::optional<T>> max = std::nullopt) {
  EMBER_CHECK(min || max, "clamp_", "at least one of min and max must be given");
  x.check_cpu("clamp_");
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(x))
      return autograd::rebase_history(x, "clamp_", true, [&](const Tensor<T>& src) { return clamp(src, min, max); });
  autograd::check_inplace(x, "clamp_");
  detail::unary_kernel(x, x, detail::clamp_of(min, max));  // element for element
  return x;
}
/// clamp by tensor bounds written into x (the bounds broadcast to x's shape).
template <Element T>
const Tensor<T>& clamp_(const Tensor<T>& x, const Tensor<T>& min, const Tensor<T>& max) {
  for (const Tensor<T>* b : {&min, &max})
    if (b->defined() && !(b->shape() == x.shape()))
      EMBER_CHECK(broadcast_shapes(x.shape(), b->shape(), "clamp_") == x.shape(), "clamp_", "output with shape ",
                  x.shape(), " doesn't match the broadcast shape ", broadcast_shapes(x.shape(), b->shape(), "clamp_"));
  return detail::assign_inplace(x, "clamp_", [&](const Tensor<T>& src) { return clamp(src, min, max); });
}

// --- in-place: self op= other (broadcast to self's shape; result castable to self's dtype) ---
#define EMBER_INPLACE_FN(fn, Op)                                                                      \
  template <Element T, Element U>                                                                     \
  const Tensor<T>& fn(const Tensor<T>& self, const Tensor<U>& other) {                                \
    return detail::binary_inplace<detail::Op>(self, other);                                           \
  }                                                                                                   \
  template <Element T, Scalar S>                                                                      \
  const Tensor<T>& fn(const Tensor<T>& self, S s) {                                                   \
    return detail::binary_inplace_scalar<detail::Op>(self, s);                                        \
  }
/// In-place self += other.
EMBER_INPLACE_FN(add_, AddOp)
/// In-place self -= other.
EMBER_INPLACE_FN(sub_, SubOp)
/// In-place self *= other.
EMBER_INPLACE_FN(mul_, MulOp)
/// In-place self /= other (TypeError for integer self: true division gives floats).
EMBER_INPLACE_FN(div_, DivOp)
#undef EMBER_INPLACE_FN
/// In-place self = self ** other (other broadcast to self's shape).
template <Element T, Element U>
const Tensor<T>& pow_(const Tensor<T>& self, const Tensor<U>& other) {
  return detail::binary_inplace<detail::PowOp>(self, other);
}
/// In-place self = self ** e; a negative integer power of an integer tensor is an error.
template <Element T, Scalar S>
const Tensor<T>& pow_(const Tensor<T>& self, S e) {
  if constexpr (std::is_integral_v<T> && std::is_integral_v<S> && std::is_signed_v<S>)
    EMBER_CHECK(e >= 0, "pow_", "integers to negative integer powers are not allowed (exponent ", e, ")");
  if constexpr (std::is_floating_point_v<T> && std::is_floating_point_v<S>) {  // as pow: the sqrt forms
    if (e == S(0.5)) return sqrt_(self);
    if (e == S(-0.5)) return rsqrt_(self);
  }
  return detail::binary_inplace_scalar<detail::PowOp>(self, e);
}

// --- operators: thin wrappers over the named functions ---
/// -x (neg).
template <Element T> Tensor<T> operator-(const Tensor<T>& x) { return neg(x); }
#define EMBER_OPERATOR(sym, fn)                                                                       \
  template <Element A, Element B> auto operator sym(const Tensor<A>& a, const Tensor<B>& b) { return fn(a, b); } \
  template <Element T, Scalar S> auto operator sym(const Tensor<T>& a, S s) { return fn(a, s); }     \
  template <Scalar S, Element T> auto operator sym(S s, const Tensor<T>& a) { return fn(s, a); }
EMBER_OPERATOR(+, add)
EMBER_OPERATOR(-, sub)
EMBER_OPERATOR(*, mul)
EMBER_OPERATOR(/, div)
#undef EMBER_OPERATOR

// --- Tensor methods written out ---
template <Element T> Tensor<float_t_of<T>> Tensor<T>::gelu(std::string_view approximate) const {
  return ember::gelu(*this, approximate);
}
EMBER_BINARY_METHOD(pow)
#undef EMBER_BINARY_METHOD
#define EMBER_INPLACE_METHOD(fn)                                                                      \
  template <Element T> template <Element U> const Tensor<T>& Tensor<T>::fn(const Tensor<U>& other) const { \
    return ember::fn(*this, other);                                                                   \
  }                                                                                                   \
  template <Element T> template <Scalar S> const Tensor<T>& Tensor<T>::fn(S other) const {            \
    return ember::fn(*this, other);                                                                   \
  }
EMBER_INPLACE_METHOD(add_)
EMBER_INPLACE_METHOD(sub_)
EMBER_INPLACE_METHOD(mul_)
EMBER_INPLACE_METHOD(div_)
#undef EMBER_INPLACE_METHOD
template <Element T>
Tensor<T> Tensor<T>::clamp(std::optional<T> min, std::optional<T> max) const { return ember::clamp(*this, min, max); }

}  // namespace ember

