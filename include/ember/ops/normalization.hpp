#pragma once
// Normalization: batch_norm and layer_norm. float32 in training runs oneDNN's forward and backward
// primitives (backend/onednn/normalization.hpp); float64, and batch_norm in evaluation, are composed
// from differentiable ops (mean, var, rsqrt and broadcast arithmetic), the reference for the oneDNN path.
#include <cstdint>
#include <optional>

#include "ember/autograd/grad_mode.hpp"
#include "ember/backend/onednn/normalization.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/reduce.hpp"

namespace ember {

namespace detail {

/// Checks that an optional per-feature tensor (weight, bias, running statistics) has shape `shape`
/// and lies on the input's device.
template <FloatElement T>
void check_feature_tensor(const std::optional<Tensor<T>>& t, const Shape& shape, const char* what, const char* op,
                          Device device) {
  if (!t) return;
  EMBER_CHECK_DEVICE(t->device() == device, op, "expected all tensors on the same device, got ", device.str(),
                     " and ", t->device().str());
  EMBER_CHECK(t->shape() == shape, op, "expected ", what, " of shape ", shape, ", got shape ", t->shape());
}

/// Normalization of float32 x viewed as `shape` on oneDNN, with statistics computed from x (written
/// to mean and var, biased): y, recording dx, dweight, dbias when an input requires grad.
template <onednn::NormKind kKind>
Tensor<float> onednn_norm(const Tensor<float>& x, const Shape& shape, const OptionalTensor<float>& weight,
                          const OptionalTensor<float>& bias, const Tensor<float>& mean, const Tensor<float>& var,
                          double eps, const char* op) {
  const std::int64_t c = shape[1];
  const Tensor<float> xc = x.contiguous();
  const Tensor<float> scale = weight ? weight->contiguous() : ones<float>({c});
  const Tensor<float> shift = bias ? bias->contiguous() : zeros<float>({c});
  auto y = Tensor<float>::empty(x.shape(), x.device());
  onednn::norm_forward<kKind>(xc.data(), scale.data(), shift.data(), y.data(), mean.data(), var.data(), shape,
                              static_cast<float>(eps), false);
  const bool need_w = weight && weight->requires_grad(), need_b = bias && bias->requires_grad();
  if (autograd::needs_grad(x) || ((need_w || need_b) && is_grad_enabled())) {
    auto backward = [sx = autograd::Saved<float>(xc, op), scale, shift, mean, var, shape, eps, has_w = weight.has_value(),
                     has_b = bias.has_value()](const Tensor<float>& g) {
      const Tensor<float> dy = g.contiguous();
      const Tensor<float>& xv = sx.get();
      auto dx = Tensor<float>::empty(xv.shape(), g.device());
      auto dscale = Tensor<float>::empty(scale.shape(), g.device());
      auto dshift = Tensor<float>::empty(scale.shape(), g.device());
      onednn::norm_backward<kKind>(xv.data(), dy.data(), scale.data(), shift.data(), mean.data(), var.data(), dx.data(),
                                   dscale.data(), dshift.data(), shape, static_cast<float>(eps));
      autograd::Grads grads{AnyTensor(dx)};
      if (has_w) grads.push_back(AnyTensor(dscale));
      if (has_b) grads.push_back(AnyTensor(dshift));
      return grads;
    };
    if (weight && bias) autograd::record(op, y, std::move(backward), x, *weight, *bias);
    else if (weight) autograd::record(op, y, std::move(backward), x, *weight);
    else if (bias) autograd::record(op, y, std::move(backward), x, *bias);
    else autograd::record(op, y, std::move(backward), x);
  }
  return y;
}

/// Whether oneDNN can normalize a float32 tensor of this shape (not empty, at most 5 dims).
inline bool onednn_norm_ok(const Shape& shape) {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n > 0 && shape.size() <= 5;
}

}  // namespace detail

/// Batch normalization of x (N, C, *) per channel C: (x - mean) / sqrt(var + eps) * weight + bias.
/// In training the statistics are the batch's (biased variance), and running_mean/running_var, when
/// given, move toward them by `momentum` (with the unbiased variance, as PyTorch); in evaluation the
/// running statistics are used.
template <FloatElement T>
Tensor<T> batch_norm(const Tensor<T>& x, const OptionalTensor<T>& running_mean, const OptionalTensor<T>& running_var,
                     const OptionalTensor<T>& weight, const OptionalTensor<T>& bias, bool training, double momentum,
                     double eps) {
  constexpr const char* op = "batch_norm";
  EMBER_CHECK(x.dim() >= 2, op, "expected an input of shape (N, C, *), got shape ", x.shape());
  const std::int64_t c = x.size(1);
  for (const auto* t : {&running_mean, &running_var, &weight, &bias})
    detail::check_feature_tensor(*t, Shape{c}, "a per-channel tensor", op, x.device());
  x.check_cpu(op);
  EMBER_CHECK(running_mean.has_value() == running_var.has_value(), op,
              "running_mean and running_var must be given together");
  EMBER_CHECK(training || running_mean, op, "evaluation mode needs running_mean and running_var");
  Shape dims{0}, bshape(x.dim(), 1);  // reduced dims, and the shape that broadcasts a (C) tensor
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  bshape[1] = c;
  const std::int64_t per_channel = c ? x.numel() / c : 0;
  if (!training) {
    Tensor<T> y = (x - running_mean->reshape(bshape)) * rsqrt(running_var->reshape(bshape) + T(eps));
    if (weight) y = y * weight->reshape(bshape);
    if (bias) y = y + bias->reshape(bshape);
    return y;
  }
  EMBER_CHECK(per_channel > 1, op, "expected more than 1 value per channel when training, got input of shape ",
              x.shape());
  Tensor<T> y, mean, var;  // mean and var: the batch's, biased, shape (C)
  if constexpr (std::is_same_v<T, float>) {
    if (detail::onednn_norm_ok(x.shape())) {
      mean = Tensor<T>::empty({c}, x.device());
      var = Tensor<T>::empty({c}, x.device());
      y = detail::onednn_norm<detail::onednn::NormKind::batch>(x, x.shape(), weight, bias, mean, var, eps, op);
    }
  }
  if (!y.defined()) {
    const Tensor<T> mean_b = x.mean(dims, true), var_b = x.var(dims, 0, true);
    y = (x - mean_b) * rsqrt(var_b + T(eps));
    if (weight) y = y * weight->reshape(bshape);
    if (bias) y = y + bias->reshape(bshape);
    mean = mean_b.detach().reshape({c});
    var = var_b.detach().reshape({c});
  }
  if (running_mean) {
    NoGradGuard no_grad;
    const T m = T(momentum), unbias = T(per_channel) / T(per_channel - 1);
    running_mean->mul_(T(1) - m).add_(mean * m);
    running_var->mul_(T(1) - m).add_(var * (m * unbias));
  }
  return y;
}

/// Layer normalization over the last dims of x given by normalized_shape:
/// (x - mean) / sqrt(var + eps) * weight + bias, with weight and bias of shape normalized_shape.
template <FloatElement T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const OptionalTensor<T>& weight,
                     const OptionalTensor<T>& bias, double eps) {
  constexpr const char* op = "layer_norm";
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1 && x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape, op,
              "input of shape ", x.shape(), " does not end with normalized_shape ", normalized_shape);
  detail::check_feature_tensor(weight, normalized_shape, "weight", op, x.device());
  detail::check_feature_tensor(bias, normalized_shape, "bias", op, x.device());
  x.check_cpu(op);
  if constexpr (std::is_same_v<T, float>) {
    std::int64_t cols = 1;
    for (auto s : normalized_shape) cols *= s;
    const std::int64_t rows = cols ? x.numel() / cols : 0;
    if (rows * cols > 0) {
      const Shape shape{rows, cols};
      // oneDNN wants weight and bias flat; a 1-d normalized_shape needs no (recorded) reshape.
      auto flat = [&](const OptionalTensor<T>& t) {
        return t && k > 1 ? OptionalTensor<T>(t->reshape({cols})) : t;
      };
      auto mean = Tensor<T>::empty({rows}, x.device()), var = Tensor<T>::empty({rows}, x.device());
      return detail::onednn_norm<detail::onednn::NormKind::layer>(x, shape, flat(weight), flat(bias), mean, var, eps,
                                                                  op);
    }
  }
  Shape dims;
  for (std::int64_t d = -k; d < 0; ++d) dims.push_back(d);
  Tensor<T> y = (x - x.mean(dims, true)) * rsqrt(x.var(dims, 0, true) + T(eps));
  if (weight) y = y * *weight;
  if (bias) y = y + *bias;
  return y;
}

}  // namespace ember
