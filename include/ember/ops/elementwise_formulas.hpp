#pragma once
// The elementwise formulas, each written once: the CPU loops (ops/elementwise_impl.hpp) and the CUDA
// kernels (src/cuda/elementwise.cu) both call these structs' f and df, so the CPU tests test the
// formulas the GPU runs. This header must stay plain enough for nvcc: no Tensor, no oneDNN.
//
// A unary op is a struct with its name, the types it computes in and returns (SameType, FloatType,
// BoolResult), whether it takes bool tensors, its scalar function f and beside it its derivative
// df(g, v): the gradient of x given the output's gradient g and v, which is the output y when
// kGradFromOutput, else the input x. A binary op has f(a, b) and its derivatives da and db, tensor
// expressions in the output's gradient g, a, b and the output y (the caller sums them back over
// broadcast dims); they read a and b only when kSavesInputs and y only when kSavesOutput. Every op
// is listed at the bottom, in EMBER_UNARY_OPS or EMBER_BINARY_OPS, which gives it its CUDA kernel, and (for
// most ops) in EMBER_UNARY_API or EMBER_BINARY_API, which generates its public functions and bindings.
#include <cmath>
#include <type_traits>

#include "ember/core/dtype.hpp"
#include "ember/core/host_device.hpp"

namespace ember::detail {

struct SameType {
  template <class T> using compute = T;
  template <class T> using result = T;
};
struct FloatType {
  template <class T> using compute = float_t_of<T>;
  template <class T> using result = float_t_of<T>;
};
struct BoolResult {
  template <class T> using compute = T;
  template <class T> using result = bool;
};
/// The element type op Op returns for inputs of type T.
template <class Op, class T> using op_result_t = typename Op::template result<T>;

struct AllowBool { static constexpr bool kBool = true; };
struct NoBool { static constexpr bool kBool = false; };

template <class T>
EMBER_HOST_DEVICE T sigmoid_of(T x) { return T(1) / (T(1) + std::exp(-x)); }

// 0.5 x (1 + tanh(u)), u = k (x + 0.044715 x^3): derivative 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2).
template <class T>
EMBER_HOST_DEVICE T gelu_tanh_grad(T x) {
  constexpr T k = T(0.79788456080286535588), c = T(0.044715);
  const T t = std::tanh(k * (x + c * x * x * x));
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
}

// Integer power by squaring; a negative exponent gives 1/base^-e truncated (PyTorch's result).
template <class T>
EMBER_HOST_DEVICE constexpr T int_pow(T base, T e) {
  if constexpr (std::is_signed_v<T>) {
    if (e < 0) return base == 1 ? T(1) : base == -1 ? (e % 2 ? T(-1) : T(1)) : T(0);
  }
  T r = 1;
  while (e) {
    if (e & 1) r = static_cast<T>(r * base);
    base = static_cast<T>(base * base);
    e = static_cast<T>(e >> 1);
  }
  return r;
}
template <class T>
EMBER_HOST_DEVICE constexpr bool is_negative(T x) {
  if constexpr (std::is_signed_v<T>) return x < T(0);
  else return false;  // (unsigned and bool: a comparison that is always false would warn)
}
template <class T>
EMBER_HOST_DEVICE T pow_of(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return std::pow(a, b);
  else return int_pow(a, b);
}


// Integer division for fmod, remainder and floor_divide: a zero divisor is refused before the kernel runs
// (kIntegerDivisor), and -1 is spelled out, because the most negative a over -1 overflows (a trap on
// x86); the quotient wraps as PyTorch's does.
template <class T>
EMBER_HOST_DEVICE T wrapping_neg(T a) {
  if constexpr (std::is_signed_v<T>) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));
  else return static_cast<T>(-a);
}
template <class T>
EMBER_HOST_DEVICE T fmod_of(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else {
    if (b == T(0)) return T(0);
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return T(0);
    return static_cast<T>(a % b);
  }
}
// Python's modulo: the sign of b (PyTorch's remainder).
template <class T>
EMBER_HOST_DEVICE T remainder_of(T a, T b) {
  const T r = fmod_of(a, b);
  return r != T(0) && is_negative(r) != is_negative(b) ? static_cast<T>(r + b) : r;
}
// floor(a / b), computed as PyTorch's div_floor so the results agree to the last bit.
template <class T>
EMBER_HOST_DEVICE T floor_divide_of(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b == T(0)) return a / b;
    const T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != T(0) && (b < T(0)) != (mod < T(0))) div -= T(1);
    if (div == T(0)) return std::copysign(T(0), a / b);
    T floordiv = std::floor(div);
    if (div - floordiv > T(0.5)) floordiv += T(1);
    return floordiv;
  } else {
    if (b == T(0)) return T(0);
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return wrapping_neg(a);
    const T q = static_cast<T>(a / b);
    return is_negative(a) != is_negative(b) && static_cast<T>(a % b) != T(0) ? static_cast<T>(q - 1) : q;
  }
}
template <class T>
EMBER_HOST_DEVICE T logaddexp_of(T a, T b) {
  if (std::isinf(a) && a == b) return a;
  const T m = (a > b || a != a) ? a : b;
  return m + std::log1p(std::exp(-std::abs(a - b)));
}
// x * log(y), 0 where x == 0 unless y is NaN (PyTorch's xlogy).
template <class T>
EMBER_HOST_DEVICE T xlogy_of(T x, T y) {
  if (y != y) return y;
  return x == T(0) ? T(0) : x * std::log(y);
}

// --- unary ---
struct NegOp : SameType, NoBool {
  static constexpr const char* name = "neg";
  static constexpr const char* bool_hint = "; use ~ or logical_not() to invert a mask";
  static constexpr bool kGradFromOutput = false;
  template <class T> EMBER_HOST_DEVICE static T f(T x) { return static_cast<T>(-x); }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T) { return -g; }
};
struct AbsOp : SameType, NoBool {
  static constexpr const char* name = "abs";
  static constexpr const char* bool_hint = "";
  static constexpr bool kGradFromOutput = false;
  template <class T> EMBER_HOST_DEVICE static T f(T x) {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return select(x < 0, static_cast<T>(-x), x);
  }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T x) { return select(x > 0, g, select(x < 0, -g, T(0))); }
};
struct ReluOp : SameType, NoBool {
  static constexpr const char* name = "relu";
  static constexpr const char* bool_hint = "";
  static constexpr bool kGradFromOutput = true;
  // NaN stays NaN, and passes its gradient on, as in PyTorch.
  template <class T> EMBER_HOST_DEVICE static T f(T x) { return select(x > T(0) || x != x, x, T(0)); }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T y) { return select(y > T(0) || y != y, g, T(0)); }
};
// A float op (integer inputs compute in float32): f(x) = expr, and df(g, v) = dexpr, where v is y
// when from_output, else x.
#define EMBER_FLOAT_UNARY(Name, str, expr, from_output, dexpr)                     \
  struct Name : FloatType, AllowBool {                                             \
    static constexpr const char* name = str;                                       \
    static constexpr const char* bool_hint = "";                                   \
    static constexpr bool kGradFromOutput = from_output;                           \
    template <class T> EMBER_HOST_DEVICE static T f(T x) { return expr; }          \
    template <class T> EMBER_HOST_DEVICE static T df(T g, T v) { return dexpr; }   \
  };
EMBER_FLOAT_UNARY(ExpOp, "exp", std::exp(x), true, g * v)
EMBER_FLOAT_UNARY(LogOp, "log", std::log(x), false, g / v)
EMBER_FLOAT_UNARY(Log1pOp, "log1p", std::log1p(x), false, g / (T(1) + v))
EMBER_FLOAT_UNARY(SqrtOp, "sqrt", std::sqrt(x), true, g / (T(2) * v))
EMBER_FLOAT_UNARY(RsqrtOp, "rsqrt", T(1) / std::sqrt(x), true, T(-0.5) * g * v * v * v)
EMBER_FLOAT_UNARY(SinOp, "sin", std::sin(x), false, g * std::cos(v))
EMBER_FLOAT_UNARY(CosOp, "cos", std::cos(x), false, -g * std::sin(v))
EMBER_FLOAT_UNARY(TanhOp, "tanh", std::tanh(x), true, g * (T(1) - v * v))
EMBER_FLOAT_UNARY(SigmoidOp, "sigmoid", sigmoid_of(x), true, g * v * (T(1) - v))
EMBER_FLOAT_UNARY(SiluOp, "silu", x * sigmoid_of(x), false, g * sigmoid_of(v) * (T(1) + v * (T(1) - sigmoid_of(v))))
// d/dx x * Phi(x) = Phi(x) + x * phi(x), with phi the standard normal density.
EMBER_FLOAT_UNARY(GeluOp, "gelu", T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))), false,
                  g * (T(0.5) * (T(1) + std::erf(v * T(0.70710678118654752440))) +
                       v * T(0.39894228040143267794) * std::exp(T(-0.5) * v * v)))
EMBER_FLOAT_UNARY(GeluTanhOp, "gelu",
                  T(0.5) * x * (T(1) + std::tanh(T(0.79788456080286535588) * (x + T(0.044715) * x * x * x))), false,
                  g * gelu_tanh_grad(v))
EMBER_FLOAT_UNARY(Expm1Op, "expm1", std::expm1(x), true, g * (v + T(1)))
EMBER_FLOAT_UNARY(Exp2Op, "exp2", std::exp2(x), true, g * v * T(0.69314718055994530942))
EMBER_FLOAT_UNARY(Log2Op, "log2", std::log2(x), false, g / (v * T(0.69314718055994530942)))
EMBER_FLOAT_UNARY(Log10Op, "log10", std::log10(x), false, g / (v * T(2.30258509299404568402)))
EMBER_FLOAT_UNARY(ReciprocalOp, "reciprocal", T(1) / x, true, -g * v * v)
EMBER_FLOAT_UNARY(TanOp, "tan", std::tan(x), true, g * (T(1) + v * v))
EMBER_FLOAT_UNARY(AsinOp, "asin", std::asin(x), false, g / std::sqrt(T(1) - v * v))
EMBER_FLOAT_UNARY(AcosOp, "acos", std::acos(x), false, -g / std::sqrt(T(1) - v * v))
EMBER_FLOAT_UNARY(AtanOp, "atan", std::atan(x), false, g / (T(1) + v * v))
EMBER_FLOAT_UNARY(SinhOp, "sinh", std::sinh(x), false, g * std::cosh(v))
EMBER_FLOAT_UNARY(CoshOp, "cosh", std::cosh(x), false, g * std::sinh(v))
EMBER_FLOAT_UNARY(AsinhOp, "asinh", std::asinh(x), false, g / std::sqrt(v * v + T(1)))
EMBER_FLOAT_UNARY(AcoshOp, "acosh", std::acosh(x), false, g / std::sqrt(v * v - T(1)))
EMBER_FLOAT_UNARY(AtanhOp, "atanh", std::atanh(x), false, g / (T(1) - v * v))
// d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
EMBER_FLOAT_UNARY(ErfOp, "erf", std::erf(x), false, g * T(1.12837916709551257390) * std::exp(-v * v))
EMBER_FLOAT_UNARY(ErfcOp, "erfc", std::erfc(x), false, -g * T(1.12837916709551257390) * std::exp(-v * v))
// outside [0, 1] the gradient is NaN (the function is), as PyTorch's
EMBER_FLOAT_UNARY(LogitOp, "logit", std::log(x / (T(1) - x)), false,
                  v < T(0) || v > T(1) ? T(NAN) : g / (v * (T(1) - v)))
EMBER_FLOAT_UNARY(Deg2radOp, "deg2rad", x * T(0.01745329251994329577), false, g * T(0.01745329251994329577))
EMBER_FLOAT_UNARY(Rad2degOp, "rad2deg", x * T(57.2957795130823208768), false, g * T(57.2957795130823208768))
#undef EMBER_FLOAT_UNARY
// x - trunc(x); float inputs only (as PyTorch).
struct FracOp : SameType, NoBool {
  static constexpr const char* name = "frac";
  static constexpr const char* bool_hint = "";
  static constexpr bool kFloatOnly = true;
  static constexpr bool kGradFromOutput = false;
  template <class T> EMBER_HOST_DEVICE static T f(T x) { return x - std::trunc(x); }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T) { return g; }
};
struct SquareOp : SameType, NoBool {
  static constexpr const char* name = "square";
  static constexpr const char* bool_hint = "; convert it first, as in x.long().square()";
  static constexpr bool kGradFromOutput = false;
  template <class T> EMBER_HOST_DEVICE static T f(T x) { return static_cast<T>(x * x); }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T x) { return T(2) * g * x; }
};
// sign (0 for 0 and NaN, as PyTorch) and the roundings: piecewise constant, so a zero gradient; integer
// inputs keep their dtype.
struct SignOp : SameType, AllowBool {
  static constexpr const char* name = "sign";
  static constexpr const char* bool_hint = "";
  static constexpr bool kGradFromOutput = false;
  template <class T> EMBER_HOST_DEVICE static T f(T x) {
    if constexpr (std::is_same_v<T, bool>) return x;
    else return static_cast<T>((T(0) < x) - is_negative(x));
  }
  template <class T> EMBER_HOST_DEVICE static T df(T, T) { return T(0); }
};
#define EMBER_ROUNDING(Name, str, fn)                                                   \
  struct Name : SameType, NoBool {                                                      \
    static constexpr const char* name = str;                                            \
    static constexpr const char* bool_hint = "";                                        \
    static constexpr bool kGradFromOutput = false;                                      \
    template <class T> EMBER_HOST_DEVICE static T f(T x) {                              \
      if constexpr (std::is_floating_point_v<T>) return fn(x);                          \
      else return x;                                                                    \
    }                                                                                   \
    template <class T> EMBER_HOST_DEVICE static T df(T, T) { return T(0); }             \
  };
EMBER_ROUNDING(FloorOp, "floor", std::floor)
EMBER_ROUNDING(CeilOp, "ceil", std::ceil)
EMBER_ROUNDING(TruncOp, "trunc", std::trunc)
EMBER_ROUNDING(RoundOp, "round", std::nearbyint)  // halves to even, in the default rounding mode
#undef EMBER_ROUNDING

// --- predicates: bool results, any input dtype, no gradient ---
#define EMBER_PREDICATE(Name, str, expr, int_value)                                      \
  struct Name : BoolResult, AllowBool {                                                  \
    static constexpr const char* name = str;                                             \
    static constexpr const char* bool_hint = "";                                         \
    template <class T> EMBER_HOST_DEVICE static bool f(T x) {                            \
      if constexpr (std::is_floating_point_v<T>) return expr;                            \
      else return int_value;                                                             \
    }                                                                                    \
  };
EMBER_PREDICATE(NotOp, "logical_not", x == T(0), x == T(0))
EMBER_PREDICATE(IsnanOp, "isnan", x != x, false)
EMBER_PREDICATE(IsinfOp, "isinf", std::isinf(x), false)
EMBER_PREDICATE(IsfiniteOp, "isfinite", std::isfinite(x), true)
EMBER_PREDICATE(SignbitOp, "signbit", std::signbit(x), is_negative(x))
#undef EMBER_PREDICATE

// --- binary ---
// f(a, b) = expr; da and db are tensor expressions in g, a, b, y (T is their element type).
#define EMBER_BINARY(Name, str, types, has_bool, expr, saves_inputs, saves_output, da_expr, db_expr) \
  struct Name : types {                                                                            \
    static constexpr const char* name = str;                                                       \
    static constexpr const char* inplace_name = str "_";                                           \
    static constexpr bool kBool = has_bool;                                                        \
    static constexpr bool kSavesInputs = saves_inputs, kSavesOutput = saves_output;                \
    template <class T> EMBER_HOST_DEVICE static auto f(T a, T b) { return expr; }                  \
    template <class G> static G da(const G& g, const G& a, const G& b, const G& y) {               \
      using T = typename G::value_type;                                                            \
      (void)a, (void)b, (void)y;                                                                   \
      return da_expr;                                                                              \
    }                                                                                              \
    template <class G> static G db(const G& g, const G& a, const G& b, const G& y) {               \
      using T = typename G::value_type;                                                            \
      (void)a, (void)b, (void)y;                                                                   \
      return db_expr;                                                                              \
    }                                                                                              \
  };
EMBER_BINARY(AddOp, "add", SameType, true, a + b, false, false, g, g)
EMBER_BINARY(SubOp, "sub", SameType, false, a - b, false, false, g, -g)
EMBER_BINARY(MulOp, "mul", SameType, true, a * b, true, false, g * b, g * a)
// d(a / b) = g / b, -g a / b^2 = -g y / b
EMBER_BINARY(DivOp, "div", FloatType, true, a / b, true, true, g / b, -(g * y) / b)
// NaN propagates; ties split the gradient in half between a and b, as PyTorch does.
EMBER_BINARY(MaxOp, "maximum", SameType, true, select(a > b || a != a, a, b), true, false,
             where(gt(a, b), g, where(eq(a, b), g * T(0.5), T(0))),
             where(gt(b, a), g, where(eq(a, b), g * T(0.5), T(0))))
EMBER_BINARY(MinOp, "minimum", SameType, true, select(a < b || a != a, a, b), true, false,
             where(lt(a, b), g, where(eq(a, b), g * T(0.5), T(0))),
             where(lt(b, a), g, where(eq(a, b), g * T(0.5), T(0))))
// d(a^b) = g b a^(b-1) (0 where b == 0), g y log(a) (0 where a == 0 and b >= 0, as PyTorch).
EMBER_BINARY(PowOp, "pow", SameType, false, pow_of(a, b), true, true,
             where(eq(b, T(0)), T(0), g * b * pow(a, b - T(1))),
             where(logical_and(eq(a, T(0)), ge(b, T(0))), T(0), g * y * log(a)))
EMBER_BINARY(Atan2Op, "atan2", FloatType, true, std::atan2(a, b), true, false, g * b / (a * a + b * b),
             -(g * a) / (a * a + b * b))
EMBER_BINARY(HypotOp, "hypot", FloatType, true, std::hypot(a, b), true, true, g * a / y, g * b / y)
EMBER_BINARY(LogaddexpOp, "logaddexp", FloatType, true, logaddexp_of(a, b), true, true, g * exp(a - y), g * exp(b - y))
// d/dx x log y = log y (0 where x == 0), d/dy = x / y
EMBER_BINARY(XlogyOp, "xlogy", FloatType, true, xlogy_of(a, b), true, false, where(eq(a, T(0)), T(0), g * log(b)),
             g * a / b)
// |a| with b's sign: d/da = y / a (0 at a == 0); none for b
EMBER_BINARY(CopysignOp, "copysign", FloatType, true, std::copysign(a, b), true, true,
             where(eq(a, T(0)), T(0), g * y / a), g * T(0))
// The divisions: d/db fmod = -g trunc(a / b), d/db remainder = -g floor(a / b); floor_divide is piecewise
// constant. A zero integer divisor is refused before their kernels run (kIntegerDivisor).
EMBER_BINARY(FmodOp, "fmod", SameType, false, fmod_of(a, b), true, false, g, -g * trunc(a / b))
EMBER_BINARY(RemainderOp, "remainder", SameType, false, remainder_of(a, b), true, false, g, -g * floor(a / b))
EMBER_BINARY(FloorDivideOp, "floor_divide", SameType, false, floor_divide_of(a, b), false, false, g * T(0), g * T(0))
#undef EMBER_BINARY
template <class Op> inline constexpr bool kIntegerDivisor = false;
template <> inline constexpr bool kIntegerDivisor<FmodOp> = true;
template <> inline constexpr bool kIntegerDivisor<RemainderOp> = true;
template <> inline constexpr bool kIntegerDivisor<FloorDivideOp> = true;

// --- comparisons and logical ops: bool results, any input dtype, no gradient ---
#define EMBER_COMPARE(Name, str, expr)                                       \
  struct Name : BoolResult {                                                 \
    static constexpr const char* name = str;                                 \
    static constexpr bool kBool = true;                                      \
    template <class T> EMBER_HOST_DEVICE static bool f(T a, T b) { return expr; } \
  };
EMBER_COMPARE(EqOp, "eq", a == b)
EMBER_COMPARE(NeOp, "ne", a != b)
EMBER_COMPARE(LtOp, "lt", a < b)
EMBER_COMPARE(LeOp, "le", a <= b)
EMBER_COMPARE(GtOp, "gt", a > b)
EMBER_COMPARE(GeOp, "ge", a >= b)
EMBER_COMPARE(AndOp, "logical_and", a != T(0) && b != T(0))
EMBER_COMPARE(OrOp, "logical_or", a != T(0) || b != T(0))
EMBER_COMPARE(XorOp, "logical_xor", (a != T(0)) != (b != T(0)))
#undef EMBER_COMPARE

}  // namespace ember::detail

// The op lists, X(Op, fn, doc) per struct above. Every op in EMBER_UNARY_OPS / EMBER_BINARY_OPS gets
// its CUDA kernel (backend/cuda/elementwise.hpp). The ops in EMBER_UNARY_API / EMBER_BINARY_API also get
// every public entry point generated from their line: ember::fn and the Tensor method (ops/elementwise.hpp,
// core/tensor.hpp), and ember.fn / Tensor.fn with `doc` in Python (python/src/bind_elementwise.cpp).
// gelu (an `approximate` argument) and pow (integer exponent checks) are written out.
/// Unary ops with generated ember::fn(x), Tensor::fn() and bindings: the math ops, which also get the in-place
/// ember::fn_(x) and Tensor::fn_(), and the predicates (bool results).
#define EMBER_UNARY_API(X) EMBER_UNARY_MATH_API(X) EMBER_UNARY_PREDICATE_API(X)
#define EMBER_UNARY_MATH_API(X)                                                                   \
  X(NegOp, neg, "-input elementwise (TypeError for bool: use ~ or logical_not).")                \
  X(AbsOp, abs, "``|input|`` elementwise.")                                                      \
  X(ReluOp, relu, "max(input, 0) elementwise; NaN stays NaN.")                                   \
  X(ExpOp, exp, "e**input elementwise (integer inputs give float32).")                           \
  X(Expm1Op, expm1, "exp(input) - 1 elementwise, accurate for small input.")                     \
  X(Exp2Op, exp2, "2**input elementwise.")                                                       \
  X(LogOp, log, "Natural logarithm elementwise.")                                                \
  X(Log1pOp, log1p, "log(1 + input) elementwise, accurate for small input.")                     \
  X(Log2Op, log2, "Base-2 logarithm elementwise.")                                               \
  X(Log10Op, log10, "Base-10 logarithm elementwise.")                                            \
  X(SqrtOp, sqrt, "Square root elementwise.")                                                    \
  X(RsqrtOp, rsqrt, "1 / sqrt(input) elementwise.")                                              \
  X(SquareOp, square, "input * input elementwise (integers stay integers).")                     \
  X(ReciprocalOp, reciprocal, "1 / input elementwise (integer inputs give float32).")            \
  X(SinOp, sin, "Sine elementwise.")                                                             \
  X(CosOp, cos, "Cosine elementwise.")                                                           \
  X(TanOp, tan, "Tangent elementwise.")                                                          \
  X(AsinOp, asin, "Arcsine elementwise.")                                                        \
  X(AcosOp, acos, "Arccosine elementwise.")                                                      \
  X(AtanOp, atan, "Arctangent elementwise.")                                                     \
  X(SinhOp, sinh, "Hyperbolic sine elementwise.")                                                \
  X(CoshOp, cosh, "Hyperbolic cosine elementwise.")                                              \
  X(TanhOp, tanh, "Hyperbolic tangent elementwise.")                                             \
  X(AsinhOp, asinh, "Inverse hyperbolic sine elementwise.")                                      \
  X(AcoshOp, acosh, "Inverse hyperbolic cosine elementwise.")                                    \
  X(AtanhOp, atanh, "Inverse hyperbolic tangent elementwise.")                                   \
  X(SigmoidOp, sigmoid, "1 / (1 + exp(-input)) elementwise.")                                    \
  X(SiluOp, silu, "input * sigmoid(input) elementwise.")                                         \
  X(ErfOp, erf, "The error function elementwise.")                                               \
  X(ErfcOp, erfc, "1 - erf(input) elementwise, accurate for large input.")                       \
  X(LogitOp, logit, "log(input / (1 - input)) elementwise, the inverse of sigmoid.")            \
  X(Deg2radOp, deg2rad, "Degrees to radians elementwise.")                                       \
  X(Rad2degOp, rad2deg, "Radians to degrees elementwise.")                                       \
  X(SignOp, sign, "-1, 0 or 1 by the sign of input (0 for NaN); gradient 0.")                    \
  X(FloorOp, floor, "Largest integer <= input elementwise; gradient 0.")                         \
  X(CeilOp, ceil, "Smallest integer >= input elementwise; gradient 0.")                          \
  X(TruncOp, trunc, "input rounded toward zero elementwise; gradient 0.")                        \
  X(RoundOp, round, "input rounded to the nearest integer, halves to even; gradient 0.")         \
  X(FracOp, frac, "input - trunc(input) elementwise (float inputs only).")
#define EMBER_UNARY_PREDICATE_API(X)                                                              \
  X(NotOp, logical_not, "Elementwise input == 0, as a bool tensor.")                             \
  X(IsnanOp, isnan, "Elementwise: is input NaN, as a bool tensor.")                              \
  X(IsinfOp, isinf, "Elementwise: is input +inf or -inf, as a bool tensor.")                     \
  X(IsfiniteOp, isfinite, "Elementwise: is input neither inf nor NaN, as a bool tensor.")        \
  X(SignbitOp, signbit, "Elementwise: is the sign bit of input set (true for -0.0), as a bool tensor.")
/// Every unary op: each gets a CUDA kernel.
#define EMBER_UNARY_OPS(X)                                                                   \
  EMBER_UNARY_API(X)                                                                         \
  X(GeluOp, gelu, "") X(GeluTanhOp, gelu, "")
/// Binary ops with generated ember::fn(a, b) (tensor or scalar on either side), Tensor::fn(other) and
/// bindings.
#define EMBER_BINARY_API(X)                                                                                 \
  X(AddOp, add, "input + other, broadcast and type-promoted (bool + bool is logical or).")                 \
  X(SubOp, sub, "input - other, broadcast and type-promoted.")                                             \
  X(MulOp, mul, "input * other, broadcast and type-promoted.")                                             \
  X(DivOp, div, "input / other (true division: integers give float32), broadcast.")                        \
  X(MaxOp, maximum, "Elementwise maximum (NaN propagates), broadcast and type-promoted.")                   \
  X(MinOp, minimum, "Elementwise minimum (NaN propagates), broadcast and type-promoted.")                   \
  X(EqOp, eq, "input == other elementwise, as a bool tensor.")                                             \
  X(NeOp, ne, "input != other elementwise, as a bool tensor.")                                             \
  X(LtOp, lt, "input < other elementwise, as a bool tensor.")                                              \
  X(LeOp, le, "input <= other elementwise, as a bool tensor.")                                             \
  X(GtOp, gt, "input > other elementwise, as a bool tensor.")                                              \
  X(GeOp, ge, "input >= other elementwise, as a bool tensor.")                                             \
  X(AndOp, logical_and, "(input != 0) and (other != 0) elementwise, as a bool tensor.")                    \
  X(OrOp, logical_or, "(input != 0) or (other != 0) elementwise, as a bool tensor.")                       \
  X(XorOp, logical_xor, "(input != 0) xor (other != 0) elementwise, as a bool tensor.")                    \
  X(Atan2Op, atan2, "Arctangent of input / other elementwise, in the quadrant of (other, input).")          \
  X(HypotOp, hypot, "sqrt(input**2 + other**2) elementwise, without overflow.")                            \
  X(LogaddexpOp, logaddexp, "log(exp(input) + exp(other)) elementwise, without overflow.")                 \
  X(XlogyOp, xlogy, "input * log(other) elementwise, 0 where input == 0 (unless other is NaN).")           \
  X(CopysignOp, copysign, "abs(input) with the sign of other elementwise (float results).")                \
  X(FmodOp, fmod, "C's remainder of input / other (the sign of input); integer division by zero raises.")   \
  X(RemainderOp, remainder, "Python's input % other (the sign of other); integer division by zero raises.") \
  X(FloorDivideOp, floor_divide, "floor(input / other) (Python's //); integer division by zero raises.")
/// Every binary op: each gets a CUDA kernel.
#define EMBER_BINARY_OPS(X) EMBER_BINARY_API(X) X(PowOp, pow, "")
