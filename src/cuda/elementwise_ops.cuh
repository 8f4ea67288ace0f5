#pragma once
// Device functors of the elementwise ops: each mirrors the struct of the same name in
// ember/ops/elementwise.hpp or ember/ops/compare.hpp (f, and for unary ops df(g, v), where v is the
// output when the CPU struct's kGradFromOutput is set, else the input).
#include <cuda_runtime.h>

namespace ember::cuda::ops {

template <class T>
__device__ T sigmoid_of(T x) { return T(1) / (T(1) + exp(-x)); }

template <class T>
__device__ T gelu_tanh_grad(T x) {
  const T k = T(0.79788456080286535588), c = T(0.044715);
  const T t = tanh(k * (x + c * x * x * x));
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
}

#define EMBER_CUDA_UNARY(Name, expr, dexpr)                          \
  struct Name {                                                      \
    template <class T> __device__ static T f(T x) { return expr; }    \
    template <class T> __device__ static T df(T g, T v) { return dexpr; } \
  };
EMBER_CUDA_UNARY(NegOp, -x, -g)
EMBER_CUDA_UNARY(AbsOp, x < T(0) ? -x : x, v > T(0) ? g : v < T(0) ? -g : T(0))
EMBER_CUDA_UNARY(ReluOp, x > T(0) ? x : T(0), v > T(0) ? g : T(0))
EMBER_CUDA_UNARY(ExpOp, exp(x), g * v)
EMBER_CUDA_UNARY(LogOp, log(x), g / v)
EMBER_CUDA_UNARY(Log1pOp, log1p(x), g / (T(1) + v))
EMBER_CUDA_UNARY(SqrtOp, sqrt(x), g / (T(2) * v))
EMBER_CUDA_UNARY(RsqrtOp, T(1) / sqrt(x), T(-0.5) * g * v * v * v)
EMBER_CUDA_UNARY(SinOp, sin(x), g * cos(v))
EMBER_CUDA_UNARY(CosOp, cos(x), -g * sin(v))
EMBER_CUDA_UNARY(TanhOp, tanh(x), g * (T(1) - v * v))
EMBER_CUDA_UNARY(SigmoidOp, sigmoid_of(x), g * v * (T(1) - v))
EMBER_CUDA_UNARY(SiluOp, x * sigmoid_of(x), g * sigmoid_of(v) * (T(1) + v * (T(1) - sigmoid_of(v))))
EMBER_CUDA_UNARY(GeluOp, T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440))),
                 g * (T(0.5) * (T(1) + erf(v * T(0.70710678118654752440))) +
                      v * T(0.39894228040143267794) * exp(T(-0.5) * v * v)))
EMBER_CUDA_UNARY(GeluTanhOp, T(0.5) * x * (T(1) + tanh(T(0.79788456080286535588) * (x + T(0.044715) * x * x * x))),
                 g * gelu_tanh_grad(v))
#undef EMBER_CUDA_UNARY
struct NotOp {
  template <class T> __device__ static bool f(T x) { return x == T(0); }
};

#define EMBER_CUDA_BINARY(Name, expr)                                          \
  struct Name {                                                                \
    template <class T> __device__ static auto f(T a, T b) { return expr; }     \
  };
EMBER_CUDA_BINARY(AddOp, a + b)
EMBER_CUDA_BINARY(SubOp, a - b)
EMBER_CUDA_BINARY(MulOp, a * b)
EMBER_CUDA_BINARY(DivOp, a / b)
EMBER_CUDA_BINARY(MaxOp, (a > b || a != a) ? a : b)
EMBER_CUDA_BINARY(MinOp, (a < b || a != a) ? a : b)
EMBER_CUDA_BINARY(PowOp, pow(a, b))
EMBER_CUDA_BINARY(EqOp, a == b)
EMBER_CUDA_BINARY(NeOp, a != b)
EMBER_CUDA_BINARY(LtOp, a < b)
EMBER_CUDA_BINARY(LeOp, a <= b)
EMBER_CUDA_BINARY(GtOp, a > b)
EMBER_CUDA_BINARY(GeOp, a >= b)
EMBER_CUDA_BINARY(AndOp, a != T(0) && b != T(0))
EMBER_CUDA_BINARY(OrOp, a != T(0) || b != T(0))
EMBER_CUDA_BINARY(XorOp, (a != T(0)) != (b != T(0)))
#undef EMBER_CUDA_BINARY

/// True for the ops whose result is bool (comparisons and logical ops).
template <class Op>
inline constexpr bool kBoolResult = false;
#define EMBER_CUDA_BOOL_RESULT(Name) template <> inline constexpr bool kBoolResult<Name> = true;
EMBER_CUDA_BOOL_RESULT(NotOp) EMBER_CUDA_BOOL_RESULT(EqOp) EMBER_CUDA_BOOL_RESULT(NeOp) EMBER_CUDA_BOOL_RESULT(LtOp)
EMBER_CUDA_BOOL_RESULT(LeOp) EMBER_CUDA_BOOL_RESULT(GtOp) EMBER_CUDA_BOOL_RESULT(GeOp) EMBER_CUDA_BOOL_RESULT(AndOp)
EMBER_CUDA_BOOL_RESULT(OrOp) EMBER_CUDA_BOOL_RESULT(XorOp)
#undef EMBER_CUDA_BOOL_RESULT

}  // namespace ember::cuda::ops
