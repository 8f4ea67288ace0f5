#pragma once
// Normalization: batch_norm and layer_norm, composed from differentiable ops (mean, var, rsqrt and
// broadcast arithmetic), so autograd differentiates them through the batch statistics.
#include <cstdint>
#include <optional>

#include "ember/autograd/grad_mode.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/reduce.hpp"

namespace ember {

namespace detail {

/// Checks that an optional per-feature tensor (weight, bias, running statistics) has shape `shape`.
template <FloatElement T>
void check_feature_tensor(const std::optional<Tensor<T>>& t, const Shape& shape, const char* what, const char* op) {
  if (!t) return;
  t->check_cpu(op);
  EMBER_CHECK(t->shape() == shape, op, "expected ", what, " of shape ", shape, ", got shape ", t->shape());
}

}  // namespace detail

/// Batch normalization of x (N, C, *) per channel C: (x - mean) / sqrt(var + eps) * weight + bias.
/// In training the statistics are the batch's (biased variance), and running_mean/running_var, when
/// given, move toward them by `momentum` (with the unbiased variance, as PyTorch); in evaluation the
/// running statistics are used.
template <FloatElement T>
Tensor<T> batch_norm(const Tensor<T>& x, const OptionalTensor<T>& running_mean,
                     const OptionalTensor<T>& running_var, const OptionalTensor<T>& weight, const OptionalTensor<T>& bias, bool training, double momentum, double eps) {
  constexpr const char* op = "batch_norm";
  x.check_cpu(op);
  EMBER_CHECK(x.dim() >= 2, op, "expected an input of shape (N, C, *), got shape ", x.shape());
  const std::int64_t c = x.size(1);
  for (const auto* t : {&running_mean, &running_var, &weight, &bias})
    detail::check_feature_tensor(*t, Shape{c}, "a per-channel tensor", op);
  EMBER_CHECK(running_mean.has_value() == running_var.has_value(), op,
              "running_mean and running_var must be given together");
  EMBER_CHECK(training || running_mean, op, "evaluation mode needs running_mean and running_var");
  Shape dims{0}, bshape(x.dim(), 1);  // reduced dims, and the shape that broadcasts a (C) tensor
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  bshape[1] = c;
  const std::int64_t per_channel = c ? x.numel() / c : 0;

  Tensor<T> mean_b, var_b;
  if (training) {
    EMBER_CHECK(per_channel > 1, op, "expected more than 1 value per channel when training, got input of shape ",
                x.shape());
    mean_b = x.mean(dims, true);
    var_b = x.var(dims, 0, true);
    if (running_mean) {
      NoGradGuard no_grad;
      const T m = T(momentum);
      const T unbias = T(per_channel) / T(per_channel - 1);
      running_mean->mul_(T(1) - m).add_(mean_b.detach().reshape({c}) * m);
      running_var->mul_(T(1) - m).add_(var_b.detach().reshape({c}) * (m * unbias));
    }
  } else {
    mean_b = running_mean->reshape(bshape);
    var_b = running_var->reshape(bshape);
  }
  Tensor<T> y = (x - mean_b) * rsqrt(var_b + T(eps));
  if (weight) y = y * weight->reshape(bshape);
  if (bias) y = y + bias->reshape(bshape);
  return y;
}

/// Layer normalization over the last dims of x given by normalized_shape:
/// (x - mean) / sqrt(var + eps) * weight + bias, with weight and bias of shape normalized_shape.
template <FloatElement T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const OptionalTensor<T>& weight,
                     const OptionalTensor<T>& bias, double eps) {
  constexpr const char* op = "layer_norm";
  x.check_cpu(op);
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1 && x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape, op,
              "input of shape ", x.shape(), " does not end with normalized_shape ", normalized_shape);
  detail::check_feature_tensor(weight, normalized_shape, "weight", op);
  detail::check_feature_tensor(bias, normalized_shape, "bias", op);
  Shape dims;
  for (std::int64_t d = -k; d < 0; ++d) dims.push_back(d);
  Tensor<T> y = (x - x.mean(dims, true)) * rsqrt(x.var(dims, 0, true) + T(eps));
  if (weight) y = y * *weight;
  if (bias) y = y + *bias;
  return y;
}

}  // namespace ember
