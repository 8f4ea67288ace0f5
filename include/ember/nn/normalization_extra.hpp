#pragma once
// GroupNorm, InstanceNorm1d / InstanceNorm2d and RMSNorm, as torch.nn, over the ops of
// ops/normalization_extra.hpp.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "ember/nn/module.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/normalization_extra.hpp"

namespace ember::nn {

/// GroupNorm's constructor check (also Python's, through _core._check_group_norm).
inline void check_group_norm_options(std::int64_t num_groups, std::int64_t num_channels) {
  EMBER_CHECK(num_groups > 0 && num_channels % num_groups == 0, "GroupNorm",
              "num_channels must be divisible by num_groups, got num_channels ", num_channels, " and num_groups ",
              num_groups);
}

/// Group normalization of (N, C, *) input: num_channels split into num_groups groups, with a per-channel
/// affine weight (ones) and bias (zeros) unless affine is false (bias = false keeps the weight only).
template <FloatElement T = float>
class GroupNorm : public Module<T> {
 public:
  GroupNorm(std::int64_t num_groups, std::int64_t num_channels, double eps = 1e-5, bool affine = true,
            bool bias = true)
      : Module<T>("GroupNorm"), num_groups(num_groups), num_channels(num_channels), eps(eps), affine(affine) {
    check_group_norm_options(num_groups, num_channels);
    if (affine) {
      weight = this->register_parameter("weight", ones<T>({num_channels}));
      if (bias) this->bias = this->register_parameter("bias", zeros<T>({num_channels}));
    }
  }
  /// x (N, C, *) -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override {
    return group_norm(x, num_groups, if_defined(weight), if_defined(bias), eps);
  }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << num_groups << ", " << num_channels << ", eps=" << eps << ", affine=" << (affine ? "True" : "False")
       << ", bias=" << (bias.defined() ? "True" : "False");
    return os.str();
  }
  std::int64_t num_groups, num_channels;
  double eps;
  bool affine;
  Tensor<T> weight, bias;  // (num_channels) each, undefined when not affine
};

/// Checks the input of InstanceNorm1d ((C, L) or (N, C, L)) or InstanceNorm2d ((C, H, W) or (N, C, H, W)):
/// its dims, and with affine weights, C = num_features (ember.nn's InstanceNorm1d/2d call this too).
/// Returns whether the input is unbatched.
inline bool check_instance_norm_input(const Shape& shape, std::int64_t num_features, bool affine,
                                      std::string_view layer) {
  const std::int64_t unbatched = layer == "InstanceNorm1d" ? 2 : 3;
  const auto n = static_cast<std::int64_t>(shape.size());
  const std::string name(layer);
  EMBER_CHECK(n == unbatched || n == unbatched + 1, name.c_str(), "expected ", unbatched, "D or ", unbatched + 1,
              "D input (got ", n, "D input of shape ", shape, ")");
  const std::int64_t c = shape[static_cast<std::size_t>(n == unbatched ? 0 : 1)];
  EMBER_CHECK(!affine || c == num_features, name.c_str(), "expected input's size at dim=", n == unbatched ? 0 : 1,
              " to match num_features (", num_features, "), but got: ", c, " (input shape ", shape, ")");
  return n == unbatched;
}

/// Instance normalization (InstanceNorm1d and InstanceNorm2d, which differ in the input dims they take):
/// each channel of each sample normalized over its spatial dims; affine weight (ones) and bias (zeros)
/// when affine; with track_running_stats, running_mean / running_var (and num_batches_tracked, kept for
/// PyTorch's state_dict and never incremented, as PyTorch) updated in training and used in eval. bias =
/// false keeps the affine weight only.
template <FloatElement T = float>
class InstanceNorm : public Module<T> {
 public:
  InstanceNorm(std::string name, std::int64_t num_features, double eps, std::optional<double> momentum, bool affine,
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
    const bool unbatched = check_instance_norm_input(x.shape(), num_features, affine, this->type_name());
    const Tensor<T> in = unbatched ? unsqueeze(x, 0) : x;
    const Tensor<T> y = instance_norm(in, if_defined(running_mean), if_defined(running_var), if_defined(weight),
                                      if_defined(bias), this->is_training() || !track_running_stats,
                                      momentum.value_or(0.0), eps);
    return unbatched ? squeeze(y, 0) : y;
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
  Tensor<T> weight, bias;                    // (C) each, undefined when not affine
  Tensor<T> running_mean, running_var;       // (C) each, undefined when not tracking
  Tensor<std::int64_t> num_batches_tracked;  // 0-d
};

/// Instance normalization over (N, C, L) or (C, L), as torch.nn.InstanceNorm1d.
template <FloatElement T = float>
class InstanceNorm1d : public InstanceNorm<T> {
 public:
  explicit InstanceNorm1d(std::int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                          bool affine = false, bool track_running_stats = false, bool bias = true)
      : InstanceNorm<T>("InstanceNorm1d", num_features, eps, momentum, affine, track_running_stats, bias) {}
};

/// Instance normalization over (N, C, H, W) or (C, H, W), as torch.nn.InstanceNorm2d.
template <FloatElement T = float>
class InstanceNorm2d : public InstanceNorm<T> {
 public:
  explicit InstanceNorm2d(std::int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                          bool affine = false, bool track_running_stats = false, bool bias = true)
      : InstanceNorm<T>("InstanceNorm2d", num_features, eps, momentum, affine, track_running_stats, bias) {}
};

/// Root-mean-square normalization over the trailing dims normalized_shape, with an elementwise weight
/// (ones) unless elementwise_affine is false; eps unset is the dtype's machine epsilon.
template <FloatElement T = float>
class RMSNorm : public Module<T> {
 public:
  explicit RMSNorm(Shape normalized_shape, std::optional<double> eps = std::nullopt, bool elementwise_affine = true)
      : Module<T>("RMSNorm"), normalized_shape(std::move(normalized_shape)), eps(eps),
        elementwise_affine(elementwise_affine) {
    if (elementwise_affine) weight = this->register_parameter("weight", ones<T>(this->normalized_shape));
  }
  /// A layer over the last dim, of size normalized_shape.
  explicit RMSNorm(std::int64_t normalized_shape, std::optional<double> eps = std::nullopt,
                   bool elementwise_affine = true)
      : RMSNorm(Shape{normalized_shape}, eps, elementwise_affine) {}
  /// x (*, normalized_shape) -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override { return rms_norm(x, normalized_shape, if_defined(weight), eps); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << normalized_shape << ", eps=";
    if (eps) os << *eps;
    else os << "None";
    os << ", elementwise_affine=" << (elementwise_affine ? "True" : "False");
    return os.str();
  }
  Shape normalized_shape;
  std::optional<double> eps;
  bool elementwise_affine;
  Tensor<T> weight;  // normalized_shape, undefined when not elementwise_affine
};

}  // namespace ember::nn
