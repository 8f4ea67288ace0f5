#pragma once
// Activations as modules (ReLU, GELU, Tanh, Sigmoid, SiLU), for Sequential: each forwards to its op.
#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/elementwise.hpp"

namespace ember::nn {

/// max(x, 0).
template <FloatElement T = float>
class ReLU : public Module<T> {
 public:
  ReLU() : Module<T>("ReLU") {}
  Tensor<T> forward(const Tensor<T>& x) override { return relu(x); }
};

/// x * Phi(x) (approximate = "tanh" uses the tanh approximation).
template <FloatElement T = float>
class GELU : public Module<T> {
 public:
  explicit GELU(std::string approximate = "none") : Module<T>("GELU"), approximate(std::move(approximate)) {
    EMBER_CHECK(this->approximate == "none" || this->approximate == "tanh", "GELU",
                "approximate must be 'none' or 'tanh', got '", this->approximate, "'");
  }
  Tensor<T> forward(const Tensor<T>& x) override { return gelu(x, approximate); }
  std::string extra_repr() const override { return approximate == "none" ? "" : "approximate='" + approximate + "'"; }
  std::string approximate;
};

/// tanh(x).
template <FloatElement T = float>
class Tanh : public Module<T> {
 public:
  Tanh() : Module<T>("Tanh") {}
  Tensor<T> forward(const Tensor<T>& x) override { return tanh(x); }
};

/// 1 / (1 + exp(-x)).
template <FloatElement T = float>
class Sigmoid : public Module<T> {
 public:
  Sigmoid() : Module<T>("Sigmoid") {}
  Tensor<T> forward(const Tensor<T>& x) override { return sigmoid(x); }
};

/// x * sigmoid(x).
template <FloatElement T = float>
class SiLU : public Module<T> {
 public:
  SiLU() : Module<T>("SiLU") {}
  Tensor<T> forward(const Tensor<T>& x) override { return silu(x); }
};

}  // namespace ember::nn
