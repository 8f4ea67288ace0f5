#pragma once
// group_norm, instance_norm and rms_norm, as torch.nn.functional: each composed from differentiable
// reductions and elementwise ops, so that autograd derives the backward (float32 and float64, any device
// those ops run on). Statistics are biased (divide by the count), as PyTorch's normalizations.
#include <cstdint>
#include <limits>
#include <optional>

#include "ember/autograd/grad_mode.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/normalization.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"

namespace ember {

namespace detail {

/// The shape (1, C, 1, ..., 1) of a per-channel tensor broadcast against an input of `ndim` dims.
inline Shape norm_channel_shape(std::int64_t channels, std::int64_t ndim) {
  Shape s(static_cast<std::size_t>(ndim), 1);
  s[1] = channels;
  return s;
}

/// y * weight + bias with per-channel weight and bias (C) over x of shape (N, C, *).
template <FloatElement T>
Tensor<T> norm_channel_affine(Tensor<T> y, const OptionalTensor<T>& weight, const OptionalTensor<T>& bias) {
  const Shape s = norm_channel_shape(y.shape()[1], y.dim());
  if (weight) y = y * weight->reshape(s);
  if (bias) y = y + bias->reshape(s);
  return y;
}

}  // namespace detail

/// Group normalization of x (N, C, *): the C channels split into num_groups groups, each group of
/// each sample normalized to zero mean and unit (biased) variance, then per-channel weight (C) and bias (C).
template <FloatElement T>
Tensor<T> group_norm(const Tensor<T>& x, std::int64_t num_groups, const OptionalTensor<T>& weight = std::nullopt,
                     const OptionalTensor<T>& bias = std::nullopt, double eps = 1e-5) {
  constexpr const char* op = "group_norm";
  EMBER_CHECK(x.dim() >= 2, op, "expected an input of at least 2 dims (N, C, *), got shape ", x.shape());
  const std::int64_t n = x.shape()[0], c = x.shape()[1];
  EMBER_CHECK(num_groups > 0 && c % num_groups == 0, op, "expected the number of channels ", c,
              " (input shape ", x.shape(), ") to be divisible by num_groups, got num_groups ", num_groups);
  detail::check_feature_tensor(weight, Shape{c}, "weight", op, x.device());
  detail::check_feature_tensor(bias, Shape{c}, "bias", op, x.device());
  std::int64_t spatial = 1;
  for (std::int64_t d = 2; d < x.dim(); ++d) spatial *= x.shape()[static_cast<std::size_t>(d)];
  // PyTorch's check, on (N * C / num_groups) * spatial rather than on the group size
  EMBER_CHECK(n * c / num_groups * spatial != 1, op, "expected more than 1 value per channel when training, got "
              "input of shape ", x.shape(), " with num_groups ", num_groups);
  const Tensor<T> g = x.reshape({n, num_groups, -1});
  const Tensor<T> y = ((g - g.mean(-1, true)) * rsqrt(g.var(-1, 0, true) + static_cast<T>(eps))).reshape(x.shape());
  return detail::norm_channel_affine(y, weight, bias);
}

/// Instance normalization of x (N, C, *): each channel of each sample normalized over its remaining
/// dims, then per-channel weight (C) and bias (C). With use_input_stats the statistics come from x, and
/// running_mean / running_var (C), when given, move towards their batch averages by momentum (the variance
/// unbiased), in place; without, the running statistics normalize.
template <FloatElement T>
Tensor<T> instance_norm(const Tensor<T>& x, const OptionalTensor<T>& running_mean = std::nullopt,
                        const OptionalTensor<T>& running_var = std::nullopt,
                        const OptionalTensor<T>& weight = std::nullopt, const OptionalTensor<T>& bias = std::nullopt,
                        bool use_input_stats = true, double momentum = 0.1, double eps = 1e-5) {
  constexpr const char* op = "instance_norm";
  EMBER_CHECK(x.dim() >= 3, op, "expected an input of at least 3 dims (N, C, *), got shape ", x.shape());
  const std::int64_t c = x.shape()[1];
  for (const auto* t : {&running_mean, &running_var, &weight, &bias})
    detail::check_feature_tensor(*t, Shape{c}, "a per-channel tensor", op, x.device());
  EMBER_CHECK(running_mean.has_value() == running_var.has_value(), op,
              "running_mean and running_var must be given together");
  EMBER_CHECK(use_input_stats || running_mean, op, "expected running_mean and running_var when use_input_stats is False");
  Shape dims;
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  const Shape cs = detail::norm_channel_shape(c, x.dim());
  Tensor<T> y;
  if (use_input_stats) {
    std::int64_t count = 1;
    for (std::int64_t d = 2; d < x.dim(); ++d) count *= x.shape()[static_cast<std::size_t>(d)];
    EMBER_CHECK(count > 1, op, "expected more than 1 spatial element when training, got input of shape ", x.shape());
    const Tensor<T> mean = x.mean(dims, true), var = x.var(dims, 0, true);
    y = (x - mean) * rsqrt(var + static_cast<T>(eps));
    if (running_mean) {
      NoGradGuard no_grad;
      const T m = static_cast<T>(momentum);
      const Tensor<T> batch_mean = mean.detach().reshape({x.shape()[0], c}).mean(0);
      const Tensor<T> batch_var =
          (var.detach() * static_cast<T>(static_cast<double>(count) / static_cast<double>(count - 1)))
              .reshape({x.shape()[0], c})
              .mean(0);
      running_mean->mul_(T(1) - m).add_(batch_mean * m);
      running_var->mul_(T(1) - m).add_(batch_var * m);
    }
  } else {
    y = (x - running_mean->reshape(cs)) * rsqrt(running_var->reshape(cs) + static_cast<T>(eps));
  }
  return detail::norm_channel_affine(y, weight, bias);
}

/// Root-mean-square normalization over the last dims of x given by normalized_shape:
/// x / sqrt(mean(x^2) + eps) * weight (normalized_shape); eps unset is the dtype's machine epsilon.
template <FloatElement T>
Tensor<T> rms_norm(const Tensor<T>& x, const Shape& normalized_shape, const OptionalTensor<T>& weight = std::nullopt,
                   std::optional<double> eps = std::nullopt) {
  constexpr const char* op = "rms_norm";
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1 && x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape, op,
              "input of shape ", x.shape(), " does not end with normalized_shape ", normalized_shape);
  detail::check_feature_tensor(weight, normalized_shape, "weight", op, x.device());
  Shape dims;
  for (std::int64_t d = -k; d < 0; ++d) dims.push_back(d);
  const T e = static_cast<T>(eps.value_or(std::numeric_limits<T>::epsilon()));
  Tensor<T> y = x * rsqrt((x * x).mean(dims, true) + e);
  if (weight) y = y * *weight;
  return y;
}

}  // namespace ember
