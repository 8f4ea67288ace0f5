#pragma once
// Elementwise ops: unary math, broadcasting binary arithmetic with type promotion, clamp, in-place
// arithmetic and the C++ operators; with ops/compare.hpp (comparisons, logical ops, where), which it
// includes, the header to include for any elementwise op.
//
// Each op is a struct of ops/elementwise_formulas.hpp (its scalar function f and beside it its
// derivative, shared by the CPU loops and the CUDA kernels) and one public function here that checks
// its arguments and runs the machinery of ops/elementwise_impl.hpp, which also records the backward.
#include <optional>
#include <string_view>
#include <type_traits>

#include "ember/core/tensor.hpp"
#include "ember/ops/compare.hpp"  // where, eq, gt...: the gradients of maximum, minimum and pow
#include "ember/ops/elementwise_impl.hpp"

namespace ember {

// --- unary ---
/// -x elementwise (TypeError for bool: use logical_not).
template <Element T> Tensor<T> neg(const Tensor<T>& x) { return detail::unary<detail::NegOp>(x); }
/// |x| elementwise.
template <Element T> Tensor<T> abs(const Tensor<T>& x) { return detail::unary<detail::AbsOp>(x); }
/// max(x, 0) elementwise; NaN stays NaN, as in PyTorch.
template <Element T> Tensor<T> relu(const Tensor<T>& x) { return detail::unary<detail::ReluOp>(x); }
/// e^x elementwise (integer inputs give float32).
template <Element T> Tensor<float_t_of<T>> exp(const Tensor<T>& x) { return detail::unary<detail::ExpOp>(x); }
/// Natural logarithm elementwise.
template <Element T> Tensor<float_t_of<T>> log(const Tensor<T>& x) { return detail::unary<detail::LogOp>(x); }
/// log(1 + x) elementwise, accurate for small x.
template <Element T> Tensor<float_t_of<T>> log1p(const Tensor<T>& x) { return detail::unary<detail::Log1pOp>(x); }
/// Square root elementwise.
template <Element T> Tensor<float_t_of<T>> sqrt(const Tensor<T>& x) { return detail::unary<detail::SqrtOp>(x); }
/// 1 / sqrt(x) elementwise.
template <Element T> Tensor<float_t_of<T>> rsqrt(const Tensor<T>& x) { return detail::unary<detail::RsqrtOp>(x); }
/// Sine elementwise.
template <Element T> Tensor<float_t_of<T>> sin(const Tensor<T>& x) { return detail::unary<detail::SinOp>(x); }
/// Cosine elementwise.
template <Element T> Tensor<float_t_of<T>> cos(const Tensor<T>& x) { return detail::unary<detail::CosOp>(x); }
/// Hyperbolic tangent elementwise.
template <Element T> Tensor<float_t_of<T>> tanh(const Tensor<T>& x) { return detail::unary<detail::TanhOp>(x); }
/// 1 / (1 + e^-x) elementwise.
template <Element T> Tensor<float_t_of<T>> sigmoid(const Tensor<T>& x) { return detail::unary<detail::SigmoidOp>(x); }
/// x * sigmoid(x) elementwise (SiLU, swish).
template <Element T> Tensor<float_t_of<T>> silu(const Tensor<T>& x) { return detail::unary<detail::SiluOp>(x); }
/// GELU elementwise: the exact erf form ("none") or the tanh approximation ("tanh"), as PyTorch.
template <Element T>
Tensor<float_t_of<T>> gelu(const Tensor<T>& x, std::string_view approximate = "none") {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", "gelu",
              "approximate must be 'none' or 'tanh', got '", approximate, "'");
  return approximate == "tanh" ? detail::unary<detail::GeluTanhOp>(x) : detail::unary<detail::GeluOp>(x);
}

// --- binary: Tensor op Tensor, Tensor op scalar and scalar op Tensor (EMBER_BINARY_FN) ---
/// Elementwise a + b with broadcasting and type promotion (bool + bool is logical or).
EMBER_BINARY_FN(add, AddOp)
/// Elementwise a - b with broadcasting and type promotion.
EMBER_BINARY_FN(sub, SubOp)
/// Elementwise a * b with broadcasting and type promotion.
EMBER_BINARY_FN(mul, MulOp)
/// Elementwise true division a / b: integer operands give float32.
EMBER_BINARY_FN(div, DivOp)
/// Elementwise maximum of a and b; NaN propagates.
EMBER_BINARY_FN(maximum, MaxOp)
/// Elementwise minimum of a and b; NaN propagates.
EMBER_BINARY_FN(minimum, MinOp)

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
  return detail::binary_scalar<detail::PowOp>(detail::promoted<P>(a), static_cast<P>(e), false);
}
/// The scalar b raised to the powers in e.
template <Scalar S, Element T>
Tensor<scalar_promote_t<T, S>> pow(S b, const Tensor<T>& e) {
  using P = scalar_promote_t<T, S>;
  return detail::binary_scalar<detail::PowOp>(detail::promoted<P>(e), static_cast<P>(b), true);
}

/// x with every element limited to [min, max] (either bound optional; min > max gives max).
template <Element T>
Tensor<T> clamp(const Tensor<T>& x, std::type_identity_t<std::optional<T>> min,
                std::type_identity_t<std::optional<T>> max = std::nullopt) {
  EMBER_CHECK(min || max, "clamp", "at least one of min and max must be given");
  x.check_cpu("clamp");
  Tensor<T> out = Tensor<T>::empty(x.shape());
  const T lo = min ? *min : T(0), hi = max ? *max : T(0);
  const bool has_lo = min.has_value(), has_hi = max.has_value();
  detail::unary_kernel(out, x, [=](T v) {
    if (has_lo && !(v >= lo) && v == v) v = lo;
    if (has_hi && !(v <= hi) && v == v) v = hi;
    return v;
  });
  if constexpr (FloatElement<T>) {
    // The gradient passes where min <= x <= max (bounds included, as PyTorch).
    if (autograd::needs_grad(x))
      autograd::record("clamp", out, [sx = autograd::Saved<T>(x, "clamp"), lo, hi, has_lo, has_hi](const Tensor<T>& g) {
        Tensor<T> dx = Tensor<T>::empty(g.shape());
        detail::binary_kernel(dx, g, sx.get(), [=](T gi, T v) {
          return (!has_lo || v >= lo) && (!has_hi || v <= hi) ? gi : T(0);
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

// --- Tensor methods ---
template <Element T> Tensor<T> Tensor<T>::neg() const { return ember::neg(*this); }
template <Element T> Tensor<T> Tensor<T>::abs() const { return ember::abs(*this); }
template <Element T> Tensor<T> Tensor<T>::relu() const { return ember::relu(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::exp() const { return ember::exp(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::log() const { return ember::log(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::log1p() const { return ember::log1p(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::sqrt() const { return ember::sqrt(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::rsqrt() const { return ember::rsqrt(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::sin() const { return ember::sin(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::cos() const { return ember::cos(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::tanh() const { return ember::tanh(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::sigmoid() const { return ember::sigmoid(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::silu() const { return ember::silu(*this); }
template <Element T> Tensor<float_t_of<T>> Tensor<T>::gelu(std::string_view approximate) const {
  return ember::gelu(*this, approximate);
}
#define EMBER_BINARY_METHOD(fn)                                                                       \
  template <Element T> template <Element U> auto Tensor<T>::fn(const Tensor<U>& other) const {        \
    return ember::fn(*this, other);                                                                   \
  }                                                                                                   \
  template <Element T> template <Scalar S> auto Tensor<T>::fn(S other) const { return ember::fn(*this, other); }
EMBER_BINARY_METHOD(add)
EMBER_BINARY_METHOD(sub)
EMBER_BINARY_METHOD(mul)
EMBER_BINARY_METHOD(div)
EMBER_BINARY_METHOD(pow)
EMBER_BINARY_METHOD(maximum)
EMBER_BINARY_METHOD(minimum)
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

