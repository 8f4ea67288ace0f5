#pragma once
// dropout: zeroes each element with probability p and scales the rest by 1 / (1 - p).
#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"

namespace ember {

/// Checks a dropout probability p in [0, 1] (the op, ember::nn::Dropout and ember.nn.Dropout call this).
inline void check_dropout_probability(double p, const char* op) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, op, "dropout probability has to be between 0 and 1, but got ", p);
}

/// In training, x with each element zeroed with probability p (the mask drawn from gen, the default
/// generator when null) and the rest scaled by 1 / (1 - p); x itself when !training or p == 0.
/// The gradient is the same mask times 1 / (1 - p).
template <FloatElement T>
Tensor<T> dropout(const Tensor<T>& x, double p = 0.5, bool training = true, Generator* gen = nullptr) {
  check_dropout_probability(p, "dropout");
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * T(0);
  // scale = (u < 1 - p) / (1 - p) for u ~ U(0, 1): a fresh tensor, so the in-place scaling records nothing
  Tensor<T> scale = rand<T>(x.shape(), gen ? *gen : default_generator(), x.device())
                        .lt(static_cast<T>(1.0 - p))
                        .template to<T>();
  scale.mul_(static_cast<T>(1.0 / (1.0 - p)));
  return x * scale;
}

}  // namespace ember
