#pragma once
// Channel dropout (dropout1d, dropout2d, and feature_dropout under both): whole channels of x (N, C, *)
// zeroed with probability p, the others scaled by 1 / (1 - p), with ember::dropout's RNG and checks.
#include <cstdint>

#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/dropout.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// In training, x (N, C, *) with each (sample, channel) slice zeroed with probability p (one draw per
/// slice, from gen, the default generator when null) and the rest scaled by 1 / (1 - p); x itself when
/// !training or p == 0. The gradient is the same mask times 1 / (1 - p).
template <FloatElement T>
Tensor<T> feature_dropout(const Tensor<T>& x, double p = 0.5, bool training = true, Generator* gen = nullptr,
                          const char* op = "feature_dropout") {
  check_dropout_probability(p, op);
  EMBER_CHECK(x.dim() >= 2, op, "expected an input of at least 2 dims (N, C, *), got shape ", x.shape());
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * T(0);
  Shape s(static_cast<std::size_t>(x.dim()), 1);
  s[0] = x.shape()[0];
  s[1] = x.shape()[1];
  Tensor<T> scale =
      rand<T>(s, gen ? *gen : default_generator(), x.device()).lt(static_cast<T>(1.0 - p)).template to<T>();
  scale.mul_(static_cast<T>(1.0 / (1.0 - p)));
  return x * scale;
}

/// Channel dropout of x (N, C, L), or unbatched (C, L), as torch.nn.functional.dropout1d.
template <FloatElement T>
Tensor<T> dropout1d(const Tensor<T>& x, double p = 0.5, bool training = true, Generator* gen = nullptr) {
  constexpr const char* op = "dropout1d";
  EMBER_CHECK(x.dim() == 2 || x.dim() == 3, op, "expected a 2-d (C, L) or 3-d (N, C, L) input, got shape ",
              x.shape(), "; dropout1d zeroes whole channels of inputs with 1 spatial dimension");
  if (x.dim() == 2) return squeeze(feature_dropout(unsqueeze(x, 0), p, training, gen, op), 0);
  return feature_dropout(x, p, training, gen, op);
}

/// Channel dropout of x (N, C, H, W), as torch.nn.functional.dropout2d; a 3-d input is taken as
/// (N, C, L) (PyTorch's behaviour, which it warns about).
template <FloatElement T>
Tensor<T> dropout2d(const Tensor<T>& x, double p = 0.5, bool training = true, Generator* gen = nullptr) {
  return feature_dropout(x, p, training, gen, "dropout2d");
}

}  // namespace ember
