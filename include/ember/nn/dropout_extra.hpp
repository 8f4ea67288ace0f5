#pragma once
// Dropout1d<T> and Dropout2d<T>: channel dropout (ops/channel_dropout.hpp) in training mode, the identity
// in eval mode, as torch.nn.
#include <sstream>
#include <string>

#include "ember/core/random.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/channel_dropout.hpp"

namespace ember::nn {

/// Zeroes whole channels of (N, C, L) or (C, L) input during training; gen draws the masks (it must
/// outlive the module; the default generator when null). inplace is accepted for PyTorch's signature;
/// the result is always a new tensor, as ember::nn::Dropout.
template <FloatElement T = float>
class Dropout1d : public Module<T> {
 public:
  explicit Dropout1d(double p = 0.5, bool inplace = false, Generator* gen = nullptr)
      : Module<T>("Dropout1d"), p(p), inplace(inplace), gen_(gen) {
    check_dropout_probability(p, "Dropout1d");
  }
  Tensor<T> forward(const Tensor<T>& x) override { return dropout1d(x, p, this->is_training(), gen_); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "p=" << p << ", inplace=" << (inplace ? "True" : "False");
    return os.str();
  }
  double p;
  bool inplace;

 private:
  Generator* gen_;
};

/// Zeroes whole channels of (N, C, H, W) input during training (a 3-d input is taken as (N, C, L), as
/// PyTorch does); otherwise as Dropout1d.
template <FloatElement T = float>
class Dropout2d : public Module<T> {
 public:
  explicit Dropout2d(double p = 0.5, bool inplace = false, Generator* gen = nullptr)
      : Module<T>("Dropout2d"), p(p), inplace(inplace), gen_(gen) {
    check_dropout_probability(p, "Dropout2d");
  }
  Tensor<T> forward(const Tensor<T>& x) override { return dropout2d(x, p, this->is_training(), gen_); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "p=" << p << ", inplace=" << (inplace ? "True" : "False");
    return os.str();
  }
  double p;
  bool inplace;

 private:
  Generator* gen_;
};

}  // namespace ember::nn
