#pragma once
// Linear<T>: y = x W^T + b over the last dim, as torch.nn.Linear (weight (out, in), bias (out)); Bilinear<T>,
// y = x1^T A x2 + b; and Identity<T>, the placeholder layer (as torch.nn, all three in linear).
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <type_traits>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/nn_functional.hpp"

namespace ember::nn {

/// Returns its input unchanged; takes and ignores any constructor arguments, as torch.nn.Identity.
template <FloatElement T = float>
class Identity : public Module<T> {
 public:
  template <class... Args>
    requires(!(sizeof...(Args) == 1 && (std::is_same_v<std::remove_cvref_t<Args>, Identity> && ...)))
  explicit Identity(Args&&...) : Module<T>("Identity") {}
  Tensor<T> forward(const Tensor<T>& x) override { return x; }
};

/// A fully connected layer: x (*, in_features) -> (*, out_features), initialised as PyTorch does
/// (weight kaiming_uniform_ with a = sqrt(5), bias U(-1/sqrt(in), 1/sqrt(in))).
template <FloatElement T = float>
class Linear : public Module<T> {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true, Generator& gen = default_generator())
      : Module<T>("Linear"), in_features(in_features), out_features(out_features) {
    EMBER_CHECK(in_features >= 0 && out_features >= 0, "Linear", "in_features and out_features must be >= 0, got ",
                in_features, " and ", out_features);
    weight = this->register_parameter("weight", Tensor<T>::empty({out_features, in_features}));
    if (bias) this->bias = this->register_parameter("bias", Tensor<T>::empty({out_features}));
    reset_parameters(gen);
  }

  /// Draws fresh initial values, as the constructor does.
  void reset_parameters(Generator& gen = default_generator()) {
    if (in_features > 0 && out_features > 0) init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
    else init::zeros_(weight);
    if (bias.defined()) {
      const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
      init::uniform_(bias, -bound, bound, gen);
    }
  }

  /// x (*, in_features) -> (*, out_features).
  Tensor<T> forward(const Tensor<T>& x) override { return linear(x, weight, if_defined(bias)); }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << "in_features=" << in_features << ", out_features=" << out_features
       << ", bias=" << (bias.defined() ? "True" : "False");
    return os.str();
  }

  std::int64_t in_features, out_features;
  Tensor<T> weight;  // (out_features, in_features)
  Tensor<T> bias;    // (out_features), undefined without bias
};

/// y[..., o] = x1[..., :] . weight[o] . x2[..., :] + bias[o], as torch.nn.Bilinear: x1 (*, in1_features), x2 (*,
/// in2_features) -> (*, out_features); weight and bias start U(-1/sqrt(in1_features), 1/sqrt(in1_features)).
template <FloatElement T = float>
class Bilinear : public Module<T> {
 public:
  Bilinear(std::int64_t in1_features, std::int64_t in2_features, std::int64_t out_features, bool bias = true,
           Generator& gen = default_generator())
      : Module<T>("Bilinear"), in1_features(in1_features), in2_features(in2_features), out_features(out_features) {
    EMBER_CHECK(in1_features >= 0 && in2_features >= 0 && out_features >= 0, "Bilinear",
                "in1_features, in2_features and out_features must be >= 0, got ", in1_features, ", ", in2_features,
                " and ", out_features);
    weight = this->register_parameter("weight", Tensor<T>::empty({out_features, in1_features, in2_features}));
    if (bias) this->bias = this->register_parameter("bias", Tensor<T>::empty({out_features}));
    reset_parameters(gen);
  }

  /// Draws fresh initial values, as the constructor does.
  void reset_parameters(Generator& gen = default_generator()) {
    const double bound = in1_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in1_features)) : 0.0;
    init::uniform_(weight, -bound, bound, gen);
    if (bias.defined()) init::uniform_(bias, -bound, bound, gen);
  }

  /// x1 (*, in1_features) and x2 (*, in2_features) -> (*, out_features).
  Tensor<T> forward(const Tensor<T>& x1, const Tensor<T>& x2) { return bilinear(x1, x2, weight, if_defined(bias)); }
  Tensor<T> operator()(const Tensor<T>& x1, const Tensor<T>& x2) { return forward(x1, x2); }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << "in1_features=" << in1_features << ", in2_features=" << in2_features << ", out_features=" << out_features
       << ", bias=" << (bias.defined() ? "True" : "False");
    return os.str();
  }

  std::int64_t in1_features, in2_features, out_features;
  Tensor<T> weight;  // (out_features, in1_features, in2_features)
  Tensor<T> bias;    // (out_features), undefined without bias
};

}  // namespace ember::nn
