#pragma once
// Normalization layers: BatchNorm2d (per-channel batch statistics with running estimates) and
// LayerNorm (over the trailing dims), as torch.nn.
#include <cstdint>
#include <optional>
#include <sstream>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/normalization.hpp"

namespace ember::nn {

/// Batch normalization over (N, C, H, W): in training, each channel is normalised by the batch's
/// statistics, which update the running estimates (momentum); in eval mode the running estimates are used.
template <FloatElement T = float>
class BatchNorm2d : public Module<T> {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
                       bool track_running_stats = true)
      : Module<T>("BatchNorm2d"), num_features(num_features), eps(eps), momentum(momentum) {
    EMBER_CHECK(num_features > 0, "BatchNorm2d", "num_features must be positive, got ", num_features);
    if (affine) {
      weight = this->register_parameter("weight", ones<T>({num_features}));
      bias = this->register_parameter("bias", zeros<T>({num_features}));
    }
    if (track_running_stats) {
      running_mean = this->register_buffer("running_mean", zeros<T>({num_features}));
      running_var = this->register_buffer("running_var", ones<T>({num_features}));
      num_batches_tracked = this->register_buffer("num_batches_tracked", zeros<std::int64_t>({}));
    }
  }

  /// x (N, C, H, W) -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override {
    EMBER_CHECK(x.dim() == 4 && x.size(1) == num_features, "BatchNorm2d", "expected input of shape (N, ", num_features,
                ", H, W), got shape ", x.shape());
    const bool tracking = running_mean.defined();
    if (this->is_training() && tracking) *num_batches_tracked.data() += 1;
    return batch_norm(x, if_defined(running_mean), if_defined(running_var), if_defined(weight), if_defined(bias),
                      this->is_training() || !tracking, momentum, eps);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << num_features << ", eps=" << eps << ", momentum=" << momentum << ", affine=" << (weight.defined() ? "true" : "false")
       << ", track_running_stats=" << (running_mean.defined() ? "true" : "false");
    return os.str();
  }

  std::int64_t num_features;
  double eps, momentum;
  Tensor<T> weight, bias;                     // (C) each, undefined when not affine
  Tensor<T> running_mean, running_var;        // (C) each, undefined when not tracking
  Tensor<std::int64_t> num_batches_tracked;   // 0-d
};

/// Layer normalization over the trailing dims normalized_shape, with an elementwise affine map.
template <FloatElement T = float>
class LayerNorm : public Module<T> {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true)
      : Module<T>("LayerNorm"), normalized_shape(std::move(normalized_shape)), eps(eps) {
    EMBER_CHECK(!this->normalized_shape.empty(), "LayerNorm", "normalized_shape must not be empty");
    if (elementwise_affine) {
      weight = this->register_parameter("weight", ones<T>(this->normalized_shape));
      if (bias) this->bias = this->register_parameter("bias", zeros<T>(this->normalized_shape));
    }
  }

  /// x (*, normalized_shape) -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override {
    const auto k = static_cast<std::int64_t>(normalized_shape.size());
    bool ok = x.dim() >= k;
    for (std::int64_t i = 0; ok && i < k; ++i) ok = x.size(x.dim() - k + i) == normalized_shape[i];
    EMBER_CHECK(ok, "LayerNorm", "expected input whose trailing dims are ", normalized_shape, ", got shape ",
                x.shape());
    return layer_norm(x, normalized_shape, if_defined(weight), if_defined(bias), eps);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << normalized_shape << ", eps=" << eps << ", elementwise_affine=" << (weight.defined() ? "true" : "false");
    return os.str();
  }

  Shape normalized_shape;
  double eps;
  Tensor<T> weight, bias;  // normalized_shape each, undefined without the affine map
};

}  // namespace ember::nn
