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
EMBER_HOST_DEVICE T pow_of(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return std::pow(a, b);
  else return int_pow(a, b);
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
    else return x < 0 ? static_cast<T>(-x) : x;
  }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T x) { return x > 0 ? g : x < 0 ? -g : T(0); }
};
struct ReluOp : SameType, NoBool {
  static constexpr const char* name = "relu";
  static constexpr const char* bool_hint = "";
  static constexpr bool kGradFromOutput = true;
  // NaN stays NaN, and passes its gradient on, as in PyTorch.
  template <class T> EMBER_HOST_DEVICE static T f(T x) { return x > T(0) || x != x ? x : T(0); }
  template <class T> EMBER_HOST_DEVICE static T df(T g, T y) { return y > T(0) || y != y ? g : T(0); }
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
#undef EMBER_FLOAT_UNARY
struct NotOp : BoolResult, AllowBool {
  static constexpr const char* name = "logical_not";
  static constexpr const char* bool_hint = "";
  template <class T> EMBER_HOST_DEVICE static bool f(T x) { return x == T(0); }
};

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
EMBER_BINARY(MaxOp, "maximum", SameType, true, (a > b || a != a) ? a : b, true, false,
             where(gt(a, b), g, where(eq(a, b), g * T(0.5), T(0))),
             where(gt(b, a), g, where(eq(a, b), g * T(0.5), T(0))))
EMBER_BINARY(MinOp, "minimum", SameType, true, (a < b || a != a) ? a : b, true, false,
             where(lt(a, b), g, where(eq(a, b), g * T(0.5), T(0))),
             where(lt(b, a), g, where(eq(a, b), g * T(0.5), T(0))))
// d(a^b) = g b a^(b-1) (0 where b == 0), g y log(a) (0 where a == 0 and b >= 0, as PyTorch).
EMBER_BINARY(PowOp, "pow", SameType, false, pow_of(a, b), true, true,
             where(eq(b, T(0)), T(0), g * b * pow(a, b - T(1))),
             where(logical_and(eq(a, T(0)), ge(b, T(0))), T(0), g * y * log(a)))
#undef EMBER_BINARY

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
/// Unary ops with generated ember::fn(x), Tensor::fn() and bindings.
#define EMBER_UNARY_API(X)                                                                   \
  X(NegOp, neg, "-input elementwise (TypeError for bool: use ~ or logical_not).")           \
  X(AbsOp, abs, "``|input|`` elementwise.")                                                 \
  X(ReluOp, relu, "max(input, 0) elementwise; NaN stays NaN.")                              \
  X(ExpOp, exp, "e**input elementwise (integer inputs give float32).")                      \
  X(LogOp, log, "Natural logarithm elementwise.")                                           \
  X(Log1pOp, log1p, "log(1 + input) elementwise, accurate for small input.")                \
  X(SqrtOp, sqrt, "Square root elementwise.")                                               \
  X(RsqrtOp, rsqrt, "1 / sqrt(input) elementwise.")                                         \
  X(SinOp, sin, "Sine elementwise.")                                                        \
  X(CosOp, cos, "Cosine elementwise.")                                                      \
  X(TanhOp, tanh, "Hyperbolic tangent elementwise.")                                        \
  X(SigmoidOp, sigmoid, "1 / (1 + exp(-input)) elementwise.")                               \
  X(SiluOp, silu, "input * sigmoid(input) elementwise.")                                    \
  X(NotOp, logical_not, "Elementwise input == 0, as a bool tensor.")
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
  X(XorOp, logical_xor, "(input != 0) xor (other != 0) elementwise, as a bool tensor.")
/// Every binary op: each gets a CUDA kernel.
#define EMBER_BINARY_OPS(X) EMBER_BINARY_API(X) X(PowOp, pow, "")
