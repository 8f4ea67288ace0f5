#pragma once
// Sampling from categorical distributions: multinomial, and gumbel_softmax (a differentiable sample),
// drawing from ember's Generator (core/random.hpp), so that ember.manual_seed makes the draws repeatable.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/scatter.hpp"

namespace ember {

/// num_samples category indices (int64) drawn for each row of probs (1-D: (K,) -> (num_samples,);
/// 2-D: (N, K) -> (N, num_samples)) with probabilities proportional to the row's non-negative weights;
/// without replacement a category is drawn at most once per row, zero-weight ones (in order) once the
/// others are used up.
template <Element T>
Tensor<std::int64_t> multinomial(const Tensor<T>& probs, std::int64_t num_samples, bool replacement = false,
                                 Generator& generator = default_generator()) {
  probs.check_cpu("multinomial");
  EMBER_CHECK_TYPE(FloatElement<T>, "multinomial", "only supports floating-point dtypes for input, got ",
                   dtype_name(probs.dtype()));
  EMBER_CHECK(probs.dim() == 1 || probs.dim() == 2, "multinomial", "prob_dist must be 1 or 2 dim, got shape ",
              probs.shape());
  EMBER_CHECK(num_samples > 0, "multinomial", "cannot sample n_sample <= 0 samples, got ", num_samples);
  const std::int64_t k = probs.size(-1), rows = probs.dim() == 1 ? 1 : probs.size(0);
  EMBER_CHECK(replacement || num_samples <= k, "multinomial", "cannot sample n_sample > prob_dist.size(-1) samples ",
              "without replacement: ", num_samples, " > ", k);
  const Tensor<T> p = probs.detach().contiguous();
  // Checked in full before any draw, so that an error leaves the generator untouched.
  for (std::int64_t r = 0; r < rows; ++r) {
    double total = 0;
    for (std::int64_t j = 0; j < k; ++j) {
      const double v = static_cast<double>(p.data()[r * k + j]);
      EMBER_CHECK(std::isfinite(v) && v >= 0, "multinomial", "probability tensor contains either `inf`, `nan` or ",
                  "element < 0 (row ", r, ", column ", j, ": ", v, ")");
      total += v;
    }
    EMBER_CHECK(total > 0, "multinomial", "invalid multinomial distribution (sum of probabilities <= 0) in row ", r);
  }
  auto out = probs.dim() == 1 ? Tensor<std::int64_t>::empty({num_samples})
                              : Tensor<std::int64_t>::empty({rows, num_samples});
  generator.with_engine([&](std::mt19937_64& e) {
    std::vector<double> w(static_cast<std::size_t>(k)), cdf(static_cast<std::size_t>(k));
    std::vector<char> drawn(static_cast<std::size_t>(k));
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t j = 0; j < k; ++j) w[j] = static_cast<double>(p.data()[r * k + j]);
      std::fill(drawn.begin(), drawn.end(), 0);
      std::int64_t* dst = out.data() + r * num_samples;
      for (std::int64_t s = 0; s < num_samples; ++s) {
        // Recomputed per draw without replacement (a drawn weight becomes 0); once with replacement.
        if (s == 0 || !replacement) {
          double acc = 0;
          for (std::int64_t j = 0; j < k; ++j) cdf[j] = acc += w[j];
        }
        std::int64_t j = 0;
        if (cdf[k - 1] > 0) {
          const double u = Generator::uniform01(e) * cdf[k - 1];
          j = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
          while (j >= k || w[j] == 0) --j;  // rounding at the top end: the last category with weight
        } else {
          while (drawn[j]) ++j;  // the weights are used up: zero-weight categories in order, as PyTorch
        }
        dst[s] = j;
        drawn[j] = 1;
        if (!replacement) w[j] = 0;
      }
    }
  });
  return out;
}

/// A sample of the Gumbel-softmax (concrete) distribution over dim: softmax((logits + g) / tau) with g
/// standard Gumbel noise, -log(-log(u)) for u ~ U[0, 1), as torch.nn.functional.gumbel_softmax. With hard,
/// the one-hot of its argmax in the forward and the soft sample's gradient (straight-through).
template <FloatElement T>
Tensor<T> gumbel_softmax(const Tensor<T>& logits, double tau = 1.0, bool hard = false, std::int64_t dim = -1,
                         Generator& generator = default_generator()) {
  constexpr const char* op = "gumbel_softmax";
  EMBER_CHECK(tau > 0, op, "tau must be positive, got ", tau);
  dim = normalize_dim(dim, logits.dim(), op);
  const Tensor<T> gumbels = neg(log(neg(log(rand<T>(logits.shape(), generator, logits.device())))));
  const Tensor<T> y = softmax(div(add(logits, gumbels), static_cast<T>(tau)), dim);
  if (!hard) return y;
  const Tensor<std::int64_t> index = argmax(y.detach(), dim, true);
  const Tensor<T> y_hard = scatter(zeros<T>(y.shape(), y.device()), dim, index, 1.0);
  return add(sub(y_hard, y.detach()), y);
}

}  // namespace ember
