#pragma once
// Dropout<T>: ember::dropout in training mode, the identity in eval mode.
#include <sstream>
#include <string>

#include "ember/core/random.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/dropout.hpp"

namespace ember::nn {

/// Randomly zeroes elements during training, as torch.nn.Dropout; gen draws the masks (it must
/// outlive the module; the default generator when null). inplace is accepted for PyTorch's signature
/// and, as in ember.nn.Dropout, the result is always a new tensor.
template <FloatElement T = float>
class Dropout : public Module<T> {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr) : Dropout(p, false, gen) {}
  Dropout(double p, bool inplace, Generator* gen = nullptr)
      : Module<T>("Dropout"), p(p), inplace(inplace), gen_(gen) {
    check_dropout_probability(p, "Dropout");
  }
  /// x (any shape) -> the same shape.
  Tensor<T> forward(const Tensor<T>& x) override { return dropout(x, p, this->is_training(), gen_); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "p=" << p << ", inplace=" << (inplace ? "true" : "false");
    return os.str();
  }
  double p;
  bool inplace;

 private:
  Generator* gen_;
};

}  // namespace ember::nn
