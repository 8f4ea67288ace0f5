#pragma once
// Elementwise ops: unary math, broadcasting binary arithmetic with type promotion, clamp, in-place
// arithmetic and the C++ operators. Comparisons, logical ops and where live in ops/compare.hpp.
//
// Each op is a small struct in ember::detail (its name, its scalar function f and beside it its
// derivative, the types it computes in and returns, and the oneDNN algorithm that runs it on large
// float32 tensors) and one public function that checks its arguments and runs the shared
// unary/binary machinery below, which also records the backward.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "ember/autograd/node.hpp"
#include "ember/backend/cuda/elementwise.hpp"
#include "ember/backend/eigen/elementwise.hpp"
#include "ember/backend/onednn/binary.hpp"
#include "ember/backend/onednn/eltwise.hpp"
#include "ember/core/tensor.hpp"

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

/// TypeError naming op unless the CUDA elementwise kernels take C (float32 and float64; bool for the
/// logical ops and comparisons).
template <Element C>
void check_cuda_dtype(const char* op) {
  if constexpr (!FloatElement<C> && !std::is_same_v<C, bool>)
    fail<TypeError>(op, "not implemented on cuda for ", dtype_name(dtype_of<C>), " yet");
}

// --- op descriptions ---
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
// Ops whose time is memory traffic (specialised below): where their output is large enough to stream
// (stream_output), they skip oneDNN for the loop that streams it.
template <class Op>
constexpr bool kMemoryBound = false;
template <class Op>
bool streams_instead_of_onednn(std::int64_t bytes) { return kMemoryBound<Op> && stream_output(bytes); }
struct AllowBool { static constexpr bool kBool = true; };
struct NoBool { static constexpr bool kBool = false; };

template <class T>
constexpr T sigmoid_of(T x) { return T(1) / (T(1) + std::exp(-x)); }

template <class T>
T gelu_tanh_grad(T x) {
  constexpr T k = T(0.79788456080286535588), c = T(0.044715);
  const T t = std::tanh(k * (x + c * x * x * x));
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
}

// Unary ops' derivatives: df(g, v) is the gradient of x given the output's gradient g and v, which
// is the output y when kGradFromOutput, else the input x.
struct NegOp : SameType, OneDnn<dnnl::algorithm::eltwise_linear, -1, 0>, NoBool {
  static constexpr auto kCuda = cuda::UnaryOp::NegOp;
  static constexpr const char* name = "neg";
  static constexpr const char* bool_hint = "; use ~ or logical_not() to invert a mask";
  static constexpr bool kGradFromOutput = false;
  template <class T> static T f(T x) { return static_cast<T>(-x); }
  template <class T> static T df(T g, T) { return -g; }
};
struct AbsOp : SameType, OneDnn<dnnl::algorithm::eltwise_abs, 0, 0, false>, NoBool {
  static constexpr auto kCuda = cuda::UnaryOp::AbsOp;
  static constexpr const char* name = "abs";
  static constexpr const char* bool_hint = "";
  static constexpr bool kGradFromOutput = false;
  template <class T> static T f(T x) {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < 0 ? static_cast<T>(-x) : x;
  }
  template <class T> static T df(T g, T x) { return x > 0 ? g : x < 0 ? -g : T(0); }
};
struct ReluOp : SameType, OneDnn<dnnl::algorithm::eltwise_relu, 0, 0, false>, NoBool {
  static constexpr auto kCuda = cuda::UnaryOp::ReluOp;
  static constexpr const char* name = "relu";
  static constexpr const char* bool_hint = "";
  static constexpr bool kGradFromOutput = true;
  // NaN stays NaN, and passes its gradient on, as in PyTorch.
  template <class T> static T f(T x) { return x > T(0) || x != x ? x : T(0); }
  template <class T> static T df(T g, T y) { return y > T(0) || y != y ? g : T(0); }
};
using SwishOneDnn = OneDnn<dnnl::algorithm::eltwise_swish, 1>;  // x * sigmoid(alpha * x)
// A float op: f(x) = expr, and df(g, v) = dexpr, where v is y when from_output, else x.
#define EMBER_FLOAT_UNARY(Name, str, onednn, expr, from_output, dexpr) \
  struct Name : FloatType, onednn, AllowBool {                        \
    static constexpr const char* name = str;                          \
    static constexpr const char* bool_hint = "";                      \
    static constexpr bool kGradFromOutput = from_output;              \
    static constexpr auto kCuda = cuda::UnaryOp::Name;                \
    template <class T> static T f(T x) { return expr; }               \
    template <class T> static T df(T g, T v) { return dexpr; }        \
  };
EMBER_FLOAT_UNARY(ExpOp, "exp", OneDnn<dnnl::algorithm::eltwise_exp>, std::exp(x), true, g * v)
EMBER_FLOAT_UNARY(LogOp, "log", OneDnn<dnnl::algorithm::eltwise_log>, std::log(x), false, g / v)
EMBER_FLOAT_UNARY(Log1pOp, "log1p", NoOneDnn, std::log1p(x), false, g / (T(1) + v))
EMBER_FLOAT_UNARY(SqrtOp, "sqrt", OneDnn<dnnl::algorithm::eltwise_sqrt>, std::sqrt(x), true, g / (T(2) * v))
EMBER_FLOAT_UNARY(RsqrtOp, "rsqrt", NoOneDnn, T(1) / std::sqrt(x), true, T(-0.5) * g * v * v * v)
EMBER_FLOAT_UNARY(SinOp, "sin", NoOneDnn, std::sin(x), false, g * std::cos(v))
EMBER_FLOAT_UNARY(CosOp, "cos", NoOneDnn, std::cos(x), false, -g * std::sin(v))
EMBER_FLOAT_UNARY(TanhOp, "tanh", OneDnn<dnnl::algorithm::eltwise_tanh>, std::tanh(x), true, g * (T(1) - v * v))
EMBER_FLOAT_UNARY(SigmoidOp, "sigmoid", OneDnn<dnnl::algorithm::eltwise_logistic>, sigmoid_of(x), true,
                  g * v * (T(1) - v))
EMBER_FLOAT_UNARY(SiluOp, "silu", SwishOneDnn, x * sigmoid_of(x), false,
                  g * sigmoid_of(v) * (T(1) + v * (T(1) - sigmoid_of(v))))
// d/dx x * Phi(x) = Phi(x) + x * phi(x), with phi the standard normal density.
EMBER_FLOAT_UNARY(GeluOp, "gelu", OneDnn<dnnl::algorithm::eltwise_gelu_erf>,
                  T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))), false,
                  g * (T(0.5) * (T(1) + std::erf(v * T(0.70710678118654752440))) +
                       v * T(0.39894228040143267794) * std::exp(T(-0.5) * v * v)))
// 0.5 x (1 + tanh(u)), u = k (x + 0.044715 x^3): derivative 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2).
EMBER_FLOAT_UNARY(GeluTanhOp, "gelu", OneDnn<dnnl::algorithm::eltwise_gelu_tanh>,
                  T(0.5) * x * (T(1) + std::tanh(T(0.79788456080286535588) * (x + T(0.044715) * x * x * x))), false,
                  g * gelu_tanh_grad(v))
#undef EMBER_FLOAT_UNARY

/// Op applied to every element of x, without recording; use_onednn = false forces the reference loop.
template <class Op, Element T>
Tensor<typename Op::template result<T>> unary_forward(const Tensor<T>& x, bool use_onednn = true) {
  using R = typename Op::template result<T>;
  using C = typename Op::template compute<T>;
  if constexpr (!Op::kBool && std::is_same_v<T, bool>)
    fail<TypeError>(Op::name, "not supported for bool tensors", Op::bool_hint);
  if (x.device().is_cuda()) {
    check_cuda_dtype<C>(Op::name);
    Tensor<R> out = Tensor<R>::empty(x.shape(), x.device());
    cuda::unary(x.device().index, Op::kCuda, x.shape(), cuda::strided(out), cuda::strided(promoted<C>(x)));
    return out;
  }
  Tensor<R> out = Tensor<R>::empty(x.shape());
  if constexpr (Op::kOneDnn && std::is_same_v<T, float>) {
    if (use_onednn && x.numel() >= onednn::kMinElements && x.is_contiguous() &&
        !streams_instead_of_onednn<Op>(x.numel() * 2 * std::int64_t{sizeof(float)})) {
      onednn::eltwise(Op::alg, Op::alpha, Op::beta, x.data(), out.data(), x.numel());
      return out;
    }
  }
  unary_kernel(out, x, [](T v) { return static_cast<R>(Op::f(static_cast<C>(v))); });
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
        if (g.device().is_cuda()) {
          cuda::unary_backward(g.device().index, Op::kCuda, g.shape(), cuda::strided(dx), cuda::strided(g),
                               cuda::strided(vt));
          return dx;
        }
        if constexpr (Op::kOneDnnBackward && std::is_same_v<T, float>) {
          static_assert(!Op::kGradFromOutput || onednn::use_dst_for_bwd(Op::alg) != dnnl::algorithm::undef,
                        "a gradient from the output needs oneDNN's use_dst_for_bwd variant");
          if (g.numel() >= onednn::kMinElements && g.is_contiguous() && vt.is_contiguous() && vt.shape() == g.shape()) {
            onednn::eltwise_backward(Op::alg, Op::kGradFromOutput, Op::alpha, Op::beta, g.data(), vt.data(), dx.data(),
                                     g.numel());
            return dx;
          }
        }
        binary_kernel(dx, g, vt, [](T gi, T vi) { return Op::df(gi, vi); });
        return dx;
      }, x);
  }
  return y;
}

// Integer power by squaring; a negative exponent gives 1/base^-e truncated (PyTorch's result).
template <class T>
constexpr T int_pow(T base, T e) {
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

/// Gradients of a binary op's two operands, at the output's shape (undefined where not wanted).
template <Element T>
struct GradPair {
  Tensor<T> a, b;
};

// Binary ops' derivatives: df(g, a, b, y, want_a, want_b) gives the gradients of a and b at the
// output's shape (the caller sums them back over broadcast dims); it reads a and b only when
// kSavesInputs and y only when kSavesOutput.
#define EMBER_BINARY(Name, str, types, onednn, has_bool, expr, saves_inputs, saves_output, da, db) \
  struct Name : types, onednn {                                                                \
    static constexpr const char* name = str;                                                   \
    static constexpr const char* inplace_name = str "_";                                       \
    static constexpr bool kBool = has_bool;                                                    \
    static constexpr auto kCuda = cuda::BinaryOp::Name;                                        \
    static constexpr bool kSavesInputs = saves_inputs, kSavesOutput = saves_output;            \
    template <class T> static auto f(T a, T b) { return expr; }                                \
    template <class T>                                                                         \
    static GradPair<T> df(const Tensor<T>& g, const Tensor<T>& a, const Tensor<T>& b,          \
                          const Tensor<T>& y, bool want_a, bool want_b) {                      \
      (void)a, (void)b, (void)y;                                                               \
      return {want_a ? Tensor<T>(da) : Tensor<T>(), want_b ? Tensor<T>(db) : Tensor<T>()};     \
    }                                                                                          \
  };
EMBER_BINARY(AddOp, "add", SameType, OneDnn<dnnl::algorithm::binary_add>, true, a + b, false, false, g, g)
EMBER_BINARY(SubOp, "sub", SameType, OneDnn<dnnl::algorithm::binary_sub>, false, a - b, false, false, g, -g)
EMBER_BINARY(MulOp, "mul", SameType, OneDnn<dnnl::algorithm::binary_mul>, true, a * b, true, false, g * b, g * a)
// d(a / b) = g / b, -g a / b^2 = -g y / b
EMBER_BINARY(DivOp, "div", FloatType, OneDnn<dnnl::algorithm::binary_div>, true, a / b, true, true, g / b,
             -(g * y) / b)
// Ties split the gradient in half between a and b, as PyTorch does.
EMBER_BINARY(MaxOp, "maximum", SameType, OneDnn<dnnl::algorithm::binary_max>, true, (a > b || a != a) ? a : b, true,
             false, where(gt(a, b), g, where(eq(a, b), g * T(0.5), T(0))),
             where(gt(b, a), g, where(eq(a, b), g * T(0.5), T(0))))
EMBER_BINARY(MinOp, "minimum", SameType, OneDnn<dnnl::algorithm::binary_min>, true, (a < b || a != a) ? a : b, true,
             false, where(lt(a, b), g, where(eq(a, b), g * T(0.5), T(0))),
             where(lt(b, a), g, where(eq(a, b), g * T(0.5), T(0))))
#undef EMBER_BINARY
template <> inline constexpr bool kMemoryBound<NegOp> = true;
template <> inline constexpr bool kMemoryBound<AbsOp> = true;
template <> inline constexpr bool kMemoryBound<ReluOp> = true;
template <> inline constexpr bool kMemoryBound<AddOp> = true;
template <> inline constexpr bool kMemoryBound<SubOp> = true;
template <> inline constexpr bool kMemoryBound<MulOp> = true;
template <> inline constexpr bool kMemoryBound<DivOp> = true;
template <> inline constexpr bool kMemoryBound<MaxOp> = true;
template <> inline constexpr bool kMemoryBound<MinOp> = true;

struct PowOp : SameType, NoOneDnn {
  static constexpr const char* name = "pow";
  static constexpr const char* inplace_name = "pow_";
  static constexpr auto kCuda = cuda::BinaryOp::PowOp;
  static constexpr bool kBool = false;
  static constexpr bool kSavesInputs = true, kSavesOutput = true;
  template <class T> static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) return std::pow(a, b);
    else return int_pow(a, b);
  }
  // d(a^b) = g b a^(b-1) (0 where b == 0), g y log(a) (0 where a == 0 and b >= 0, as PyTorch).
  template <class T>
  static GradPair<T> df(const Tensor<T>& g, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& y,
                        bool want_a, bool want_b) {
    GradPair<T> r;
    if (want_a) r.a = where(eq(b, T(0)), T(0), g * b * pow(a, b - T(1)));
    if (want_b) r.b = where(logical_and(eq(a, T(0)), ge(b, T(0))), T(0), g * y * log(a));
    return r;
  }
};

/// The gradients df gives, summed to the shapes of a and b, as autograd::Grads.
template <class Op, Element T>
autograd::Grads binary_grads(const Tensor<T>& g, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& y,
                             const Shape& a_shape, const Shape& b_shape, bool want_a, bool want_b) {
  GradPair<T> r = Op::df(g, a, b, y, want_a, want_b);
  return {want_a ? AnyTensor(sum_to_size(r.a, a_shape)) : AnyTensor(),
          want_b ? AnyTensor(sum_to_size(r.b, b_shape)) : AnyTensor()};
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
                     return scalar_first ? Op::df(g, c, x, sy.get(), false, true).b
                                         : Op::df(g, x, c, sy.get(), true, false).a;
                   },
                   a);
}

// Runs oneDNN binary when the layout allows it (float32 >= kMinElements, src0 = the full-shape
// contiguous operand, src1 contiguous and broadcast); returns false when it does not.
template <class Op>
bool try_onednn_binary(const Tensor<float>& out, const Tensor<float>& a, const Tensor<float>& b) {
  if (!Op::kOneDnn || out.numel() < onednn::kMinElements || !out.is_contiguous()) return false;
  const Shape& s = out.shape();
  const Tensor<float>* x = &a;
  const Tensor<float>* y = &b;
  if (!(x->shape() == s)) {
    constexpr bool commutes = Op::alg == dnnl::algorithm::binary_add || Op::alg == dnnl::algorithm::binary_mul ||
                              Op::alg == dnnl::algorithm::binary_max || Op::alg == dnnl::algorithm::binary_min;
    if (!commutes || !(y->shape() == s)) return false;
    std::swap(x, y);
  }
  if (!x->is_contiguous() || !y->is_contiguous() || y->dim() > out.dim()) return false;
  if (y->shape() == s && streams_instead_of_onednn<Op>(out.numel() * 3 * std::int64_t{sizeof(float)})) return false;
  Shape s1(s.size(), 1);
  for (std::size_t i = 0; i < y->shape().size(); ++i) s1[s.size() - y->shape().size() + i] = y->shape()[i];
  onednn::binary(Op::alg, s, x->data(), s1, y->data(), out.data());
  return true;
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
      cuda::binary(device.index, Op::kCuda, s, cuda::strided(out),
                   cuda::strided(promoted<C>(a).detach().expand(s)), cuda::strided(promoted<C>(b).detach().expand(s)));
      return;
    }
    if constexpr (std::is_same_v<T, float> && std::is_same_v<R, float>)
      if (use_onednn && try_onednn_binary<Op>(out, a, b)) return;
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
    cuda::binary_scalar(a.device().index, Op::kCuda, a.shape(), cuda::strided(out), cuda::strided(promoted<C>(a)),
                        static_cast<double>(static_cast<C>(s)), scalar_first);
    return out;
  }
  if constexpr (std::is_same_v<T, float> && std::is_same_v<R, float>) {
    // alpha * x + beta covers add, sub and mul; pow with a scalar exponent is alpha * x^beta.
    constexpr auto alg = Op::alg;
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
    cuda::binary(device.index, Op::kCuda, self.shape(), cuda::strided(self), cuda::strided(self),
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
    cuda::binary_scalar(self.device().index, Op::kCuda, self.shape(), cuda::strided(self), cuda::strided(self),
                        static_cast<double>(c), false);
    return self;
  }
  unary_kernel(self, self, [c](T x) { return static_cast<T>(Op::f(x, c)); });
  return self;
}

}  // namespace detail

// --- unary ---
/// -x elementwise (TypeError for bool: use logical_not).
template <Element T> Tensor<T> neg(const Tensor<T>& x) { return detail::unary<detail::NegOp>(x); }
/// |x| elementwise.
template <Element T> Tensor<T> abs(const Tensor<T>& x) { return detail::unary<detail::AbsOp>(x); }
/// max(x, 0) elementwise.
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

// --- binary: Tensor op Tensor (promote_t), Tensor op scalar and scalar op Tensor (scalar_promote_t) ---
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

#include "ember/ops/compare.hpp"
#undef EMBER_BINARY_FN
