#pragma once
// The parameterised and piecewise activations of torch.nn.functional beyond ops/activation.hpp: elu,
// selu, celu, softplus, mish, hardswish, hardsigmoid, hardtanh, relu6, prelu, logsigmoid, softsign,
// tanhshrink, softmin, hardshrink, softshrink, threshold, glu, and the in-place forms of those that
// PyTorch gives an `inplace` flag. Each forward runs without recording; its backward is written out so
// that the values at the kinks are PyTorch's (hardtanh's gradient is 0 at its bounds, elu's is alpha at 0).
#include <cmath>
#include <cstdint>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/view.hpp"
#include "ember/ops/where.hpp"

namespace ember {

namespace detail {

/// y = fwd(x) computed without recording, with backward dx = bwd(g, x) recorded on x.
template <FloatElement T, class F, class B>
Tensor<T> pointwise_activation(const char* op, const Tensor<T>& x, F fwd, B bwd) {
  Tensor<T> y;
  {
    NoGradGuard no_grad;
    y = fwd(x);
  }
  if (autograd::needs_grad(x))
    autograd::record(op, y, [sx = autograd::Saved<T>(x, op), bwd](const Tensor<T>& g) { return bwd(g, sx.get()); },
                     x);
  return y;
}

/// exp(x) - 1 for x <= 0, accurate near 0: 2 tanh(x/2) / (1 - tanh(x/2)), on oneDNN's vectorized tanh (the
/// expm1 kernel calls libm's scalar expm1, several times slower).
template <FloatElement T>
Tensor<T> expm1_of(const Tensor<T>& x) {
  const Tensor<T> t = tanh(x * T(0.5));
  return where(ge(x, T(88)), exp(x) - T(1), t * T(2) / (T(1) - t));
}

/// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <FloatElement T>
Tensor<T> softplus_of(const Tensor<T>& x) {
  return relu(x) + log1p(exp(-abs(x)));
}

/// elu's shared form (PyTorch's elu kernel): x <= 0 ? neg_coef * (exp(x * neg_input_coef) - 1) : pos_coef * x.
template <FloatElement T>
Tensor<T> elu_family(const char* op, const Tensor<T>& x, double neg_coef, double pos_coef, double neg_input_coef) {
  const T nc = static_cast<T>(neg_coef), pc = static_cast<T>(pos_coef), ni = static_cast<T>(neg_input_coef);
  return pointwise_activation(
      op, x, [=](const Tensor<T>& v) { return where(le(v, T(0)), expm1_of(v * ni) * nc, v * pc); },
      // dx = g * neg_coef * neg_input_coef * exp(x * neg_input_coef) where x <= 0 (at 0 too), else g * pos_coef
      [=](const Tensor<T>& g, const Tensor<T>& v) { return where(le(v, T(0)), g * exp(v * ni) * (nc * ni), g * pc); });
}

inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace detail

/// x where x > 0, alpha * (exp(x) - 1) elsewhere, as torch.nn.functional.elu.
template <FloatElement T>
Tensor<T> elu(const Tensor<T>& x, double alpha = 1.0) {
  return detail::elu_family("elu", x, alpha, 1.0, 1.0);
}

/// scale * elu(x, alpha) with SELU's fixed alpha and scale (self-normalizing networks).
template <FloatElement T>
Tensor<T> selu(const Tensor<T>& x) {
  return detail::elu_family("selu", x, detail::kSeluAlpha * detail::kSeluScale, detail::kSeluScale, 1.0);
}

/// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); alpha must be nonzero.
template <FloatElement T>
Tensor<T> celu(const Tensor<T>& x, double alpha = 1.0) {
  EMBER_CHECK(alpha != 0.0, "celu", "ZeroDivisionError: alpha cannot be 0 for CELU");
  return detail::elu_family("celu", x, alpha, 1.0, 1.0 / alpha);
}

/// log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as PyTorch, for stability).
template <FloatElement T>
Tensor<T> softplus(const Tensor<T>& x, double beta = 1.0, double threshold = 20.0) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  return detail::pointwise_activation(
      "softplus", x,
      [=](const Tensor<T>& v) {
        const Tensor<T> bx = v * b;
        return where(gt(bx, th), v, detail::softplus_of(bx) / b);
      },
      // dx = g * sigmoid(beta x) below the threshold, g above
      [=](const Tensor<T>& g, const Tensor<T>& v) {
        const Tensor<T> bx = v * b;
        return where(gt(bx, th), g, g * sigmoid(bx));
      });
}

/// x * tanh(softplus(x)).
template <FloatElement T>
Tensor<T> mish(const Tensor<T>& x) {
  return detail::pointwise_activation(
      "mish", x, [](const Tensor<T>& v) { return v * tanh(detail::softplus_of(v)); },
      // dx = g * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2))
      [](const Tensor<T>& g, const Tensor<T>& v) {
        const Tensor<T> t = tanh(detail::softplus_of(v));
        return g * (t + v * sigmoid(v) * (T(1) - t * t));
      });
}

/// x * relu6(x + 3) / 6.
template <FloatElement T>
Tensor<T> hardswish(const Tensor<T>& x) {
  return detail::pointwise_activation(
      "hardswish", x, [](const Tensor<T>& v) { return v * clamp(v + T(3), T(0), T(6)) / T(6); },
      // dx = 0 for x <= -3, g (x / 3 + 1/2) for -3 < x < 3, g from 3 up (and for NaN), as PyTorch
      [](const Tensor<T>& g, const Tensor<T>& v) {
        return where(le(v, T(-3)), T(0), where(lt(v, T(3)), g * (v / T(3) + T(0.5)), g));
      });
}

/// relu6(x + 3) / 6.
template <FloatElement T>
Tensor<T> hardsigmoid(const Tensor<T>& x) {
  return detail::pointwise_activation(
      "hardsigmoid", x, [](const Tensor<T>& v) { return clamp(v + T(3), T(0), T(6)) / T(6); },
      // dx = g / 6 strictly inside (-3, 3), 0 elsewhere
      [](const Tensor<T>& g, const Tensor<T>& v) {
        return where(logical_and(gt(v, T(-3)), lt(v, T(3))), g / T(6), T(0));
      });
}

/// x clamped to [min_val, max_val] (NaN stays NaN); the gradient is 0 at and beyond the bounds.
template <FloatElement T>
Tensor<T> hardtanh(const Tensor<T>& x, double min_val = -1.0, double max_val = 1.0) {
  EMBER_CHECK(min_val <= max_val, "hardtanh", "min_val cannot be greater than max_val, got min_val ", min_val,
              " and max_val ", max_val);
  const T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
  return detail::pointwise_activation(
      "hardtanh", x, [=](const Tensor<T>& v) { return clamp(v, lo, hi); },
      [=](const Tensor<T>& g, const Tensor<T>& v) { return where(logical_or(le(v, lo), ge(v, hi)), T(0), g); });
}

/// min(max(x, 0), 6): hardtanh(x, 0, 6), so the gradient is 0 at 0 and at 6 (as PyTorch).
template <FloatElement T>
Tensor<T> relu6(const Tensor<T>& x) {
  return hardtanh(x, 0.0, 6.0);
}

/// x where x > 0, weight * x elsewhere; weight holds one slope, or one per channel (dim 1 of x; an input
/// of fewer than 2 dims has one channel, as PyTorch). Differentiable in x and weight.
template <FloatElement T>
Tensor<T> prelu(const Tensor<T>& x, const Tensor<T>& weight) {
  constexpr const char* op = "prelu";
  EMBER_CHECK(weight.dim() <= 1, op, "weight must be a scalar or a 1-d tensor, got shape ", weight.shape());
  const std::int64_t n = weight.numel();
  Tensor<T> w = weight.reshape({n});
  if (n != 1) {
    const std::int64_t channels = x.dim() >= 2 ? x.shape()[1] : 1;
    EMBER_CHECK(n == channels, op, "mismatch of parameter numbers and input channel size: weight has ", n,
                " elements, input of shape ", x.shape(), " has ", channels, " channels");
    Shape s(static_cast<std::size_t>(std::max<std::int64_t>(x.dim() - 1, 1)), 1);
    s[0] = n;
    w = w.reshape(s);
  } else if (x.dim() == 0) {
    w = w.reshape({});
  }
  return where(gt(x, T(0)), x, x * w);
}

/// min(x, 0) - log(1 + exp(-|x|)) = log(sigmoid(x)), computed stably.
template <FloatElement T>
Tensor<T> logsigmoid(const Tensor<T>& x) {
  return detail::pointwise_activation(
      "log_sigmoid", x, [](const Tensor<T>& v) { return -detail::softplus_of(-v); },
      [](const Tensor<T>& g, const Tensor<T>& v) { return g * sigmoid(-v); });
}

/// x / (1 + |x|) (composed, so its gradient is autograd's of that formula, as PyTorch's).
template <FloatElement T>
Tensor<T> softsign(const Tensor<T>& x) {
  return x / (abs(x) + T(1));
}

/// x - tanh(x).
template <FloatElement T>
Tensor<T> tanhshrink(const Tensor<T>& x) {
  return x - tanh(x);
}

/// softmax(-x, dim).
template <FloatElement T>
Tensor<T> softmin(const Tensor<T>& x, std::int64_t dim) {
  return softmax(-x, dim);
}

/// 0 where -lambd <= x <= lambd, x elsewhere.
template <FloatElement T>
Tensor<T> hardshrink(const Tensor<T>& x, double lambd = 0.5) {
  const T l = static_cast<T>(lambd);
  auto inside = [l](const Tensor<T>& v) { return logical_and(ge(v, -l), le(v, l)); };
  return detail::pointwise_activation(
      "hardshrink", x, [=](const Tensor<T>& v) { return where(inside(v), T(0), v); },
      [=](const Tensor<T>& g, const Tensor<T>& v) { return where(inside(v), T(0), g); });
}

/// x - lambd above lambd, x + lambd below -lambd, 0 between (NaN stays NaN); lambd must be >= 0.
template <FloatElement T>
Tensor<T> softshrink(const Tensor<T>& x, double lambd = 0.5) {
  EMBER_CHECK(lambd >= 0, "softshrink", "lambda must be greater or equal to 0, but found to be ", lambd);
  const T l = static_cast<T>(lambd);
  auto inside = [l](const Tensor<T>& v) { return logical_and(ge(v, -l), le(v, l)); };
  return detail::pointwise_activation(
      "softshrink", x,
      [=](const Tensor<T>& v) { return where(gt(v, l), v - l, where(lt(v, -l), v + l, v * T(0))); },
      [=](const Tensor<T>& g, const Tensor<T>& v) { return where(inside(v), T(0), g); });
}

/// value where x <= threshold, x elsewhere (NaN stays NaN).
template <FloatElement T>
Tensor<T> threshold(const Tensor<T>& x, double threshold, double value) {
  const T th = static_cast<T>(threshold), val = static_cast<T>(value);
  return detail::pointwise_activation(
      "threshold", x, [=](const Tensor<T>& v) { return where(le(v, th), val, v); },
      [=](const Tensor<T>& g, const Tensor<T>& v) { return where(le(v, th), T(0), g); });
}

/// a * sigmoid(b), where a and b are the two halves of x along dim (which must have an even size).
template <FloatElement T>
Tensor<T> glu(const Tensor<T>& x, std::int64_t dim = -1) {
  constexpr const char* op = "glu";
  EMBER_CHECK(x.dim() > 0, op, "glu does not support scalars because halving size must be even");
  const std::int64_t d = normalize_dim(dim, x.dim(), op);
  const std::int64_t size = x.shape()[static_cast<std::size_t>(d)];
  EMBER_CHECK(size % 2 == 0, op, "Halving dimension must be even, but dimension ", d, " is size ", size,
              " (input shape ", x.shape(), ")");
  return narrow(x, d, 0, size / 2) * sigmoid(narrow(x, d, size / 2, size / 2));
}

// --- in place: each writes its out-of-place result into x ---

/// elu(x, alpha) written into x.
template <FloatElement T>
const Tensor<T>& elu_(const Tensor<T>& x, double alpha = 1.0) {
  return detail::assign_inplace(x, "elu_", [=](const Tensor<T>& s) { return elu(s, alpha); });
}
/// selu(x) written into x.
template <FloatElement T>
const Tensor<T>& selu_(const Tensor<T>& x) {
  return detail::assign_inplace(x, "selu_", [](const Tensor<T>& s) { return selu(s); });
}
/// celu(x, alpha) written into x.
template <FloatElement T>
const Tensor<T>& celu_(const Tensor<T>& x, double alpha = 1.0) {
  return detail::assign_inplace(x, "celu_", [=](const Tensor<T>& s) { return celu(s, alpha); });
}
/// mish(x) written into x.
template <FloatElement T>
const Tensor<T>& mish_(const Tensor<T>& x) {
  return detail::assign_inplace(x, "mish_", [](const Tensor<T>& s) { return mish(s); });
}
/// hardswish(x) written into x.
template <FloatElement T>
const Tensor<T>& hardswish_(const Tensor<T>& x) {
  return detail::assign_inplace(x, "hardswish_", [](const Tensor<T>& s) { return hardswish(s); });
}
/// hardsigmoid(x) written into x.
template <FloatElement T>
const Tensor<T>& hardsigmoid_(const Tensor<T>& x) {
  return detail::assign_inplace(x, "hardsigmoid_", [](const Tensor<T>& s) { return hardsigmoid(s); });
}
/// hardtanh(x, min_val, max_val) written into x.
template <FloatElement T>
const Tensor<T>& hardtanh_(const Tensor<T>& x, double min_val = -1.0, double max_val = 1.0) {
  return detail::assign_inplace(x, "hardtanh_", [=](const Tensor<T>& s) { return hardtanh(s, min_val, max_val); });
}
/// relu6(x) written into x.
template <FloatElement T>
const Tensor<T>& relu6_(const Tensor<T>& x) {
  return detail::assign_inplace(x, "relu6_", [](const Tensor<T>& s) { return relu6(s); });
}
/// threshold(x, threshold, value) written into x.
template <FloatElement T>
const Tensor<T>& threshold_(const Tensor<T>& x, double threshold_value, double value) {
  return detail::assign_inplace(x, "threshold_",
                                    [=](const Tensor<T>& s) { return threshold(s, threshold_value, value); });
}

}  // namespace ember
