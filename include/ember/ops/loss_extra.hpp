#pragma once
// More losses, as torch.nn.functional: kl_div, cosine_embedding_loss, margin_ranking_loss,
// triplet_margin_loss, poisson_nll_loss, gaussian_nll_loss, multilabel_soft_margin_loss; and the distances
// two of them use, cosine_similarity and pairwise_distance. Each is composed from differentiable ops, so
// autograd derives its backward (to every input that requires grad, targets included).
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <string_view>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/ops/activation_extra.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/loss.hpp"
#include "ember/ops/norm.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"
#include "ember/ops/where.hpp"

namespace ember {

namespace detail {

/// max(v, 0) whose gradient passes where v >= 0 (PyTorch's clamp_min: the boundary included).
template <FloatElement T>
Tensor<T> clamp_min_zero(const Tensor<T>& v) {
  return where(ge(v.detach(), T(0)), v, T(0));
}

/// v with the values of clamp(v, min = lo) and the gradient of v (PyTorch's in-place clamp under no_grad).
template <FloatElement T>
Tensor<T> clamp_min_values(const Tensor<T>& v, double lo) {
  const Tensor<T> d = v.detach();
  const T low = static_cast<T>(lo);
  return where(lt(d, low), v - d + low, v);  // (v + (clamp(d) - d) turned an infinite v into inf - inf = NaN)
}

/// The Euclidean norm of x along dim (kept), whose gradient is 0 where the norm is 0 (PyTorch's).
template <FloatElement T>
Tensor<T> l2_norm_keepdim(const Tensor<T>& x, std::int64_t dim) {
  constexpr const char* op = "linalg_vector_norm";
  Tensor<T> y;
  {
    NoGradGuard no_grad;
    y = sqrt(sum(x * x, dim, true));
  }
  if (autograd::needs_grad(x))
    autograd::record(op, y, [sx = autograd::Saved<T>(x, op), sy = autograd::Saved<T>(y, op)](const Tensor<T>& g) {
      const Tensor<T>& n = sy.get();
      return where(eq(n, T(0)), T(0), g / n) * sx.get();
    }, x);
  return y;
}

/// The p-norm of x along its last dim (p > 0, or infinity), kept when keepdim.
template <FloatElement T>
Tensor<T> pnorm_last_dim(const Tensor<T>& x, double p, bool keepdim) {
  if (std::isinf(p)) return amax(abs(x), -1, keepdim);
  if (p == 2.0) {
    const Tensor<T> n = l2_norm_keepdim(x, -1);
    return keepdim ? n : squeeze(n, -1);
  }
  if (p == 1.0) return sum(abs(x), -1, keepdim);
  return pow(sum(pow(abs(x), static_cast<T>(p)), -1, keepdim), static_cast<T>(1.0 / p));
}


}  // namespace detail

/// Cosine similarity of x1 and x2 (broadcast together) along dim: sum(x1 / |x1| * x2 / |x2|), each norm
/// clamped below at eps, as torch.nn.functional.cosine_similarity.
template <FloatElement T>
Tensor<T> cosine_similarity(const Tensor<T>& x1, const Tensor<T>& x2, std::int64_t dim = 1, double eps = 1e-8) {
  constexpr const char* op = "cosine_similarity";
  const Shape s = broadcast_shapes(x1.shape(), x2.shape(), op);
  const Tensor<T> a = x1.shape() == s ? x1 : expand(x1, s), b = x2.shape() == s ? x2 : expand(x2, s);
  const std::int64_t d = normalize_dim(dim, static_cast<std::int64_t>(s.size()), op);
  const Tensor<T> na = detail::clamp_min_values(detail::l2_norm_keepdim(a, d), eps);
  const Tensor<T> nb = detail::clamp_min_values(detail::l2_norm_keepdim(b, d), eps);
  return sum((a / na) * (b / nb), d);
}

/// x divided by its p-norm along dim, the norm clamped below at eps (torch.nn.functional.normalize).
template <FloatElement T>
Tensor<T> normalize(const Tensor<T>& x, double p = 2.0, std::int64_t dim = 1, double eps = 1e-12) {
  const std::int64_t d = normalize_dim(dim, std::max<std::int64_t>(x.dim(), 1), "normalize");
  const Tensor<T> n = p == 2.0 ? detail::l2_norm_keepdim(x, d) : vector_norm(x, p, {d}, true);
  return x / clamp(n, static_cast<T>(eps), std::nullopt);  // PyTorch's clamp_min: no gradient below eps
}

/// The p-norm of x1 - x2 + eps along the last dim (inputs broadcast together), as
/// torch.nn.functional.pairwise_distance; p > 0 or infinity.
template <FloatElement T>
Tensor<T> pairwise_distance(const Tensor<T>& x1, const Tensor<T>& x2, double p = 2.0, double eps = 1e-6,
                            bool keepdim = false) {
  constexpr const char* op = "pairwise_distance";
  EMBER_CHECK(p > 0, op, "p must be > 0, got ", p);
  const Shape s = broadcast_shapes(x1.shape(), x2.shape(), op);
  EMBER_CHECK(!s.empty(), op, "expected inputs of at least 1 dim, got shapes ", x1.shape(), " and ", x2.shape());
  return detail::pnorm_last_dim(x1 - x2 + static_cast<T>(eps), p, keepdim);
}

/// Kullback-Leibler divergence of target from input (a log-probability): target (log(target) - input), or
/// exp(target) (target - input) with log_target; reduction "mean" (over every element), "batchmean" (the
/// sum over the first dim's size: the divergence's definition), "sum" or "none".
template <FloatElement T>
Tensor<T> kl_div(const Tensor<T>& input, const Tensor<T>& target, std::string_view reduction = "mean",
                 bool log_target = false) {
  constexpr const char* op = "kl_div";
  EMBER_CHECK(detail::broadcastable(input.shape(), target.shape()), op, "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  const bool batchmean = reduction == "batchmean";
  const Reduction r = batchmean ? Reduction::Sum : parse_reduction(reduction, op);
  Tensor<T> loss;
  if (log_target) {
    loss = exp(target) * (target - input);
  } else {
    // xlogy(target, target): 0 where target is 0 (with a finite gradient there), NaN below 0
    const Tensor<T> safe = where(eq(target.detach(), T(0)), T(1), target);
    loss = target * log(safe) - target * input;
  }
  Tensor<T> out = detail::reduce_loss(loss, r);
  if (batchmean && input.dim() != 0) out = out / static_cast<T>(input.shape()[0]);
  return out;
}

/// 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1 (0 elsewhere), for
/// input1 and input2 (N, D) or (D) and target (N) or (), as torch.nn.functional.cosine_embedding_loss.
template <FloatElement T>
Tensor<T> cosine_embedding_loss(const Tensor<T>& input1, const Tensor<T>& input2, const Tensor<T>& target,
                                double margin = 0.0, Reduction reduction = Reduction::Mean) {
  constexpr const char* op = "cosine_embedding_loss";
  EMBER_CHECK(input1.dim() == 1 || input1.dim() == 2, op, "expected 1D or 2D input1 and input2, got shapes ",
              input1.shape(), " and ", input2.shape());
  EMBER_CHECK(input1.shape() == input2.shape(), op, "input1 of shape ", input1.shape(), " and input2 of shape ",
              input2.shape(), " must have the same shape");
  EMBER_CHECK(target.dim() == input1.dim() - 1 && (target.dim() == 0 || target.shape()[0] == input1.shape()[0]), op,
              "expected a target of shape ", input1.dim() == 2 ? "(N,)" : "()", " for inputs of shape ",
              input1.shape(), ", got target of shape ", target.shape());
  constexpr double kEps = 1e-12;
  const std::int64_t d = input1.dim() - 1;
  const Tensor<T> prod = sum(input1 * input2, d);
  const Tensor<T> mag1 = sum(input1 * input1, d) + static_cast<T>(kEps);
  const Tensor<T> mag2 = sum(input2 * input2, d) + static_cast<T>(kEps);
  const Tensor<T> cos = prod / sqrt(mag1 * mag2);
  const Tensor<T> t = target.detach();
  const Tensor<T> loss = where(eq(t, T(1)), T(1) - cos, T(0)) +
                         where(eq(t, T(-1)), detail::clamp_min_zero(cos - static_cast<T>(margin)), T(0));
  return detail::reduce_loss(loss, reduction);
}

/// max(0, -target (input1 - input2) + margin), all three of the same number of dims (broadcast
/// together), as torch.nn.functional.margin_ranking_loss.
template <FloatElement T>
Tensor<T> margin_ranking_loss(const Tensor<T>& input1, const Tensor<T>& input2, const Tensor<T>& target,
                              double margin = 0.0, Reduction reduction = Reduction::Mean) {
  constexpr const char* op = "margin_ranking_loss";
  EMBER_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(), op,
              "all input tensors should have the same number of dims, got shapes input1: ", input1.shape(),
              ", input2: ", input2.shape(), ", target: ", target.shape());
  return detail::reduce_loss(detail::clamp_min_zero(-target * (input1 - input2) + static_cast<T>(margin)), reduction);
}

/// max(0, margin + d(anchor, positive) - d(anchor, negative)) with d pairwise_distance(p, eps) (with swap,
/// the negative's distance is the smaller of its distances to the anchor and to the positive), as
/// torch.nn.functional.triplet_margin_loss.
template <FloatElement T>
Tensor<T> triplet_margin_loss(const Tensor<T>& anchor, const Tensor<T>& positive, const Tensor<T>& negative,
                              double margin = 1.0, double p = 2.0, double eps = 1e-6, bool swap = false,
                              Reduction reduction = Reduction::Mean) {
  constexpr const char* op = "triplet_margin_loss";
  EMBER_CHECK(margin > 0, op, "margin must be greater than 0, got ", margin);
  EMBER_CHECK(anchor.dim() == positive.dim() && anchor.dim() == negative.dim(), op,
              "the anchor, positive, and negative tensors are expected to have the same number of dimensions, "
              "but got: anchor ", anchor.shape(), ", positive ", positive.shape(), " and negative ",
              negative.shape());
  const Tensor<T> dist_pos = pairwise_distance(anchor, positive, p, eps);
  Tensor<T> dist_neg = pairwise_distance(anchor, negative, p, eps);
  if (swap) dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps));
  return detail::reduce_loss(detail::clamp_min_zero(dist_pos - dist_neg + static_cast<T>(margin)), reduction);
}

/// Poisson negative log likelihood of target given input: exp(input) - target input (log_input), or
/// input - target log(input + eps); full adds Stirling's term where target > 1. Broadcast together.
template <FloatElement T>
Tensor<T> poisson_nll_loss(const Tensor<T>& input, const Tensor<T>& target, bool log_input = true, bool full = false,
                           double eps = 1e-8, Reduction reduction = Reduction::Mean) {
  constexpr const char* op = "poisson_nll_loss";
  EMBER_CHECK(detail::broadcastable(input.shape(), target.shape()), op, "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  Tensor<T> loss = log_input ? exp(input) - target * input : input - target * log(input + static_cast<T>(eps));
  if (full) {
    const Tensor<bool> small = le(target.detach(), T(1));
    const Tensor<T> t = where(small, T(2), target);  // the masked values never reach a log
    const Tensor<T> stirling = t * log(t) - t + log(t * static_cast<T>(2 * std::numbers::pi)) * T(0.5);
    loss = loss + where(small, T(0), stirling);
  }
  return detail::reduce_loss(loss, reduction);
}

/// Gaussian negative log likelihood of target given mean input and variance var: 0.5 (log(var) +
/// (input - target)^2 / var) (+ 0.5 log(2 pi) with full), var clamped below at eps (with var's gradient
/// passing through, as PyTorch). var has the input's shape, or that shape with one dim of size 1, or
/// without its last dim.
template <FloatElement T>
Tensor<T> gaussian_nll_loss(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& var, bool full = false,
                            double eps = 1e-6, Reduction reduction = Reduction::Mean) {
  constexpr const char* op = "gaussian_nll_loss";
  Tensor<T> v = var;
  if (var.shape() != input.shape()) {
    const Shape& is = input.shape();
    const Shape& vs = var.shape();
    std::int64_t mismatched = 0;
    if (is.size() == vs.size())
      for (std::size_t i = 0; i < is.size(); ++i)
        if (is[i] != vs[i]) mismatched += vs[i];
    if (!is.empty() && Shape(is.begin(), is.end() - 1) == vs) {
      v = unsqueeze(var, -1);
    } else {
      EMBER_CHECK(is.size() == vs.size() && mismatched == 1, op, "var is of incorrect size: var of shape ", vs,
                  " for input of shape ", is, " (expected the input's shape, one dim of it 1, or it without its "
                  "last dim)");
    }
  }
  EMBER_CHECK(!any(lt(var.detach(), T(0))).item(), op, "var has negative entry/entries");
  EMBER_CHECK(detail::broadcastable(input.shape(), target.shape()), op, "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  v = detail::clamp_min_values(v, eps);
  const Tensor<T> d = input - target;
  Tensor<T> loss = (log(v) + d * d / v) * T(0.5);
  if (full) loss = loss + static_cast<T>(0.5 * std::log(2 * std::numbers::pi));
  return detail::reduce_loss(loss, reduction);
}

/// -(target log(sigmoid(input)) + (1 - target) log(sigmoid(-input))) (times weight), averaged over the
/// class dim (the last), for input and target (N, C) or (C), as
/// torch.nn.functional.multilabel_soft_margin_loss.
template <FloatElement T>
Tensor<T> multilabel_soft_margin_loss(const Tensor<T>& input, const Tensor<T>& target,
                                      const OptionalTensor<T>& weight = std::nullopt,
                                      Reduction reduction = Reduction::Mean) {
  constexpr const char* op = "multilabel_soft_margin_loss";
  EMBER_CHECK(input.dim() >= 1, op, "expected an input of shape (N, C) or (C), got shape ", input.shape());
  EMBER_CHECK(detail::broadcastable(input.shape(), target.shape()), op, "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  Tensor<T> loss = -(target * logsigmoid(input) + (T(1) - target) * logsigmoid(-input));
  if (weight) {
    EMBER_CHECK(detail::broadcastable(loss.shape(), weight->shape()), op, "weight of shape ", weight->shape(),
                " does not broadcast to the loss's shape ", loss.shape());
    loss = loss * *weight;
  }
  const std::int64_t class_dim = input.dim() - 1;
  loss = sum(loss, class_dim) / static_cast<T>(input.shape()[static_cast<std::size_t>(class_dim)]);
  return detail::reduce_loss(loss, reduction);
}

}  // namespace ember
