#pragma once
// Normalization layers: BatchNorm1d and BatchNorm2d (per-channel batch statistics with running
// estimates) and LayerNorm (over the trailing dims), as torch.nn.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/normalization.hpp"

namespace ember::nn {

/// Checks the input of layer BatchNorm1d ((N, C) or (N, C, L)) or BatchNorm2d ((N, C, H, W)) with
/// C = num_features (the Python ember.nn.BatchNorm1d/2d call this too).
inline void check_batch_norm_input(const Shape& shape, std::int64_t num_features, std::string_view layer) {
  const bool one_d = layer == "BatchNorm1d";
  const auto n = shape.size();
  const bool ok = (one_d ? n == 2 || n == 3 : n == 4) && shape[1] == num_features;
  EMBER_CHECK(ok, std::string(layer).c_str(), "expected a ",
              one_d ? "2-d (N, C) or 3-d (N, C, L)" : "4-d (N, C, H, W)", " input with C = ", num_features,
              ", got shape ", shape);
}

/// Batch normalization per channel C (BatchNorm1d and BatchNorm2d, which differ in the input dims they
/// take): in training, each channel is normalised by the batch's statistics, which update the running
/// estimates by momentum (unset: a cumulative average over num_batches_tracked); in eval mode the running
/// estimates are used (the batch's when track_running_stats is false). Parameters weight and bias,
/// buffers running_mean, running_var and num_batches_tracked, as torch.nn.
template <FloatElement T = float>
class BatchNorm : public Module<T> {
 public:
  BatchNorm(std::string name, std::int64_t num_features, double eps, std::optional<double> momentum, bool affine,
            bool track_running_stats, bool bias)
      : Module<T>(std::move(name)), num_features(num_features), eps(eps), momentum(momentum), affine(affine),
        track_running_stats(track_running_stats) {
    EMBER_CHECK(num_features > 0, this->type_name().c_str(), "num_features must be positive, got ", num_features);
    if (affine) {
      weight = this->register_parameter("weight", ones<T>({num_features}));
      if (bias) this->bias = this->register_parameter("bias", zeros<T>({num_features}));
    }
    if (track_running_stats) {
      running_mean = this->register_buffer("running_mean", zeros<T>({num_features}));
      running_var = this->register_buffer("running_var", ones<T>({num_features}));
      num_batches_tracked = this->register_buffer("num_batches_tracked", zeros<std::int64_t>({}));
    }
  }

  /// x -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override {
    check_batch_norm_input(x.shape(), num_features, this->type_name());
    const bool training = this->is_training(), tracking = running_mean.defined();
    double factor = momentum.value_or(0.0);
    if (training && tracking) {
      const std::int64_t tracked = ++*num_batches_tracked.data();
      if (!momentum) factor = 1.0 / static_cast<double>(tracked);
    }
    // In training without tracking no statistics are updated; in eval without them the batch's are used.
    const bool use_stats = !training || tracking;
    return batch_norm(x, use_stats ? if_defined(running_mean) : std::nullopt,
                      use_stats ? if_defined(running_var) : std::nullopt, if_defined(weight), if_defined(bias),
                      training || !tracking, factor, eps);
  }

  /// Running mean 0, running variance 1, no batches tracked.
  void reset_running_stats() {
    if (!running_mean.defined()) return;
    NoGradGuard no_grad;
    running_mean.fill_(T(0));
    running_var.fill_(T(1));
    num_batches_tracked.fill_(0);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << num_features << ", eps=" << eps << ", momentum=";
    if (momentum) os << *momentum;
    else os << "None";
    os << ", affine=" << (affine ? "True" : "False") << ", bias=" << (bias.defined() ? "True" : "False")
       << ", track_running_stats=" << (track_running_stats ? "True" : "False");
    return os.str();
  }

  std::int64_t num_features;
  double eps;
  std::optional<double> momentum;
  bool affine, track_running_stats;
  Tensor<T> weight, bias;                     // (C) each, undefined when not affine
  Tensor<T> running_mean, running_var;        // (C) each, undefined when not tracking
  Tensor<std::int64_t> num_batches_tracked;   // 0-d
};

/// Batch normalization over (N, C) or (N, C, L), per channel C, as torch.nn.BatchNorm1d (bias = false
/// keeps weight only, as ember.nn.BatchNorm1d's keyword).
template <FloatElement T = float>
class BatchNorm1d : public BatchNorm<T> {
 public:
  explicit BatchNorm1d(std::int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, bool bias = true)
      : BatchNorm<T>("BatchNorm1d", num_features, eps, momentum, affine, track_running_stats, bias) {}
};

/// Batch normalization over (N, C, H, W), per channel C, as torch.nn.BatchNorm2d.
template <FloatElement T = float>
class BatchNorm2d : public BatchNorm<T> {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, bool bias = true)
      : BatchNorm<T>("BatchNorm2d", num_features, eps, momentum, affine, track_running_stats, bias) {}
};

/// Layer normalization over the trailing dims normalized_shape, with an elementwise affine map.
template <FloatElement T = float>
class LayerNorm : public Module<T> {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true)
      : Module<T>("LayerNorm"), normalized_shape(std::move(normalized_shape)), eps(eps),
        elementwise_affine(elementwise_affine) {
    if (elementwise_affine) {
      weight = this->register_parameter("weight", ones<T>(this->normalized_shape));
      if (bias) this->bias = this->register_parameter("bias", zeros<T>(this->normalized_shape));
    }
  }

  /// A layer over the last dim, of size normalized_shape.
  explicit LayerNorm(std::int64_t normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     bool bias = true)
      : LayerNorm(Shape{normalized_shape}, eps, elementwise_affine, bias) {}

  /// x (*, normalized_shape) -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override {
    return layer_norm(x, normalized_shape, if_defined(weight), if_defined(bias), eps);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << normalized_shape << ", eps=" << eps << ", elementwise_affine=" << (elementwise_affine ? "True" : "False")
       << ", bias=" << (bias.defined() ? "True" : "False");
    return os.str();
  }

  Shape normalized_shape;
  double eps;
  bool elementwise_affine;
  Tensor<T> weight, bias;  // normalized_shape each, undefined without the affine map
};

}  // namespace ember::nn
