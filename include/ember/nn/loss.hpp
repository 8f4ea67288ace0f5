#pragma once
// Losses composed from differentiable ops: cross_entropy (class indices, ignore_index,
// label_smoothing) and mse_loss, as torch.nn.functional.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "ember/nn/module.hpp"
#include "ember/ops/compare.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/index.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/reduce.hpp"

namespace ember::nn {

/// How a loss reduces its per-sample values: their mean, their sum, or none (one value per sample).
enum class Reduction { Mean, Sum, None };

/// Cross-entropy between logits (N, C) and class indices target (N) (int64): mean over the samples
/// whose target is not ignore_index of -log_softmax(logits)[i, target[i]], with label_smoothing e
/// mixing in e/C of the loss against every class. A target out of [0, C) throws std::out_of_range.
template <FloatElement T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<std::int64_t>& target, std::int64_t ignore_index = -100,
                        double label_smoothing = 0.0, Reduction reduction = Reduction::Mean) {
  EMBER_CHECK(logits.dim() == 2 && target.dim() == 1 && target.size(0) == logits.size(0), "cross_entropy",
              "expected logits of shape (N, C) and target of shape (N,), got ", logits.shape(), " and ", target.shape());
  ember::detail::same_device("cross_entropy", logits, target);
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, "cross_entropy",
              "label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  const std::int64_t n = logits.size(0), c = logits.size(1);
  std::int64_t count = 0;
  for (std::int64_t t : target.to_vector()) {
    if (t == ignore_index) continue;
    EMBER_CHECK_INDEX(t >= 0 && t < c, "cross_entropy", "target ", t, " is out of bounds for ", c, " classes");
    ++count;
  }
  const Tensor<T> logp = log_softmax(logits, 1);                                   // (N, C)
  const Tensor<bool> valid = ne(target, ignore_index);                              // (N)
  const Tensor<std::int64_t> safe = target.masked_fill(logical_not(valid), 0);      // ignored -> class 0
  Tensor<T> loss = -gather(logp, 1, safe.unsqueeze(1)).squeeze(1);                 // (N)
  if (label_smoothing > 0.0)  // (1 - e) * nll + e * mean over classes of -logp
    loss = loss * static_cast<T>(1.0 - label_smoothing) -
           sum(logp, 1) * static_cast<T>(label_smoothing / static_cast<double>(c));
  if (count < n) loss = loss * valid.template to<T>();
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Sum: return sum(loss);
    case Reduction::Mean:
    default:
      if (count == 0) return sum(loss) * std::numeric_limits<T>::quiet_NaN();
      return sum(loss) / static_cast<T>(count);
  }
}

/// Mean squared error between input and target of the same shape.
template <FloatElement T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean) {
  EMBER_CHECK(input.shape() == target.shape(), "mse_loss", "input and target must have the same shape, got ",
              input.shape(), " and ", target.shape());
  const Tensor<T> d = input - target;
  const Tensor<T> sq = d * d;
  switch (reduction) {
    case Reduction::None: return sq;
    case Reduction::Sum: return sum(sq);
    case Reduction::Mean:
    default: return mean(sq);
  }
}

}  // namespace ember::nn
