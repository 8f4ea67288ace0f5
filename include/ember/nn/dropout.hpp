#pragma once
// Dropout<T>: in training, zeroes each element with probability p and scales the rest by 1/(1-p);
// the identity in eval mode.
#include <sstream>
#include <string>

#include "ember/core/random.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/compare.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"

namespace ember::nn {

/// Randomly zeroes elements during training, as torch.nn.Dropout; gen draws the masks (it must
/// outlive the module; the default generator when null).
template <FloatElement T = float>
class Dropout : public Module<T> {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr)
      : Module<T>("Dropout"), p(p), gen_(gen ? gen : &default_generator()) {
    EMBER_CHECK(p >= 0.0 && p <= 1.0, "Dropout", "dropout probability has to be between 0 and 1, but got ", p);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    if (!this->is_training() || p == 0.0) return x;
    if (p == 1.0) return x * T(0);
    // mask / (1 - p), with mask 1 where a uniform draw is >= p
    const Tensor<T> keep = ge(rand<T>(x.shape(), *gen_), static_cast<T>(p)).template to<T>();
    return x * (keep * static_cast<T>(1.0 / (1.0 - p)));
  }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "p=" << p;
    return os.str();
  }
  double p;

 private:
  Generator* gen_;
};

}  // namespace ember::nn
