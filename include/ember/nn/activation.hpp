#pragma once
// Activations as modules (ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax), as torch.nn:
// each forwards to its op, which makes every check.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/activation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/nn_functional.hpp"

namespace ember::nn {

/// max(x, 0); with inplace, written into x (relu_).
template <FloatElement T = float>
class ReLU : public Module<T> {
 public:
  explicit ReLU(bool inplace = false) : Module<T>("ReLU"), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? relu_(x) : relu(x); }
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  bool inplace;
};

/// x where positive, negative_slope * x elsewhere; with inplace, written into x (leaky_relu_).
template <FloatElement T = float>
class LeakyReLU : public Module<T> {
 public:
  explicit LeakyReLU(double negative_slope = 0.01, bool inplace = false)
      : Module<T>("LeakyReLU"), negative_slope(negative_slope), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return inplace ? leaky_relu_(x, negative_slope) : leaky_relu(x, negative_slope);
  }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "negative_slope=" << negative_slope << (inplace ? ", inplace=True" : "");
    return os.str();
  }
  double negative_slope;
  bool inplace;
};

/// x * Phi(x) (approximate = "tanh" uses the tanh approximation); gelu checks approximate.
template <FloatElement T = float>
class GELU : public Module<T> {
 public:
  explicit GELU(std::string approximate = "none") : Module<T>("GELU"), approximate(std::move(approximate)) {}
  Tensor<T> forward(const Tensor<T>& x) override { return gelu(x, approximate); }
  std::string extra_repr() const override { return "approximate='" + approximate + "'"; }
  std::string approximate;
};

/// x * sigmoid(x) (inplace is accepted, as in ember.nn.SiLU; the result is a new tensor).
template <FloatElement T = float>
class SiLU : public Module<T> {
 public:
  explicit SiLU(bool inplace = false) : Module<T>("SiLU"), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return silu(x); }
  std::string extra_repr() const override { return inplace ? "inplace=True" : ""; }
  bool inplace;
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

/// softmax along dim (unset: implicit_softmax_dim of the input, PyTorch's deprecated default).
template <FloatElement T = float>
class Softmax : public Module<T> {
 public:
  explicit Softmax(std::optional<std::int64_t> dim = std::nullopt) : Module<T>("Softmax"), dim(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return softmax(x, dim.value_or(implicit_softmax_dim(x.dim()))); }
  std::string extra_repr() const override { return "dim=" + (dim ? std::to_string(*dim) : std::string("None")); }
  std::optional<std::int64_t> dim;
};

/// log_softmax along dim (unset: implicit_softmax_dim of the input).
template <FloatElement T = float>
class LogSoftmax : public Module<T> {
 public:
  explicit LogSoftmax(std::optional<std::int64_t> dim = std::nullopt) : Module<T>("LogSoftmax"), dim(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return log_softmax(x, dim.value_or(implicit_softmax_dim(x.dim())));
  }
  std::string extra_repr() const override { return "dim=" + (dim ? std::to_string(*dim) : std::string("None")); }
  std::optional<std::int64_t> dim;
};

}  // namespace ember::nn
