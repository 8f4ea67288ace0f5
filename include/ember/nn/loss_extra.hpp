#pragma once
// The losses of ops/loss_extra.hpp as modules, as torch.nn: KLDivLoss, CosineEmbeddingLoss,
// MarginRankingLoss, TripletMarginLoss, PoissonNLLLoss, GaussianNLLLoss, MultiLabelSoftMarginLoss.
// Each forwards to its op, which makes every check.
#include <sstream>
#include <string>

#include "ember/nn/loss.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/loss_extra.hpp"

namespace ember::nn {

/// Kullback-Leibler divergence (reduction "mean", "batchmean", "sum" or "none"), as torch.nn.KLDivLoss.
template <FloatElement T = float>
class KLDivLoss : public Module<T> {
 public:
  explicit KLDivLoss(std::string reduction = "mean", bool log_target = false)
      : Module<T>("KLDivLoss"), reduction(std::move(reduction)), log_target(log_target) {
    if (this->reduction != "batchmean") parse_reduction(this->reduction, "KLDivLoss");
  }
  /// The divergence of target from log-probabilities input.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return kl_div(input, target, reduction, log_target);
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return "reduction=" + reduction; }
  std::string reduction;
  bool log_target;
};

/// 1 - cos where target is 1, max(0, cos - margin) where it is -1, as torch.nn.CosineEmbeddingLoss.
template <FloatElement T = float>
class CosineEmbeddingLoss : public Module<T> {
 public:
  explicit CosineEmbeddingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : Module<T>("CosineEmbeddingLoss"), margin(margin), reduction(reduction) {}
  /// The loss of input1 and input2 (N, D) or (D) against target (N) or () of 1 and -1.
  Tensor<T> forward(const Tensor<T>& input1, const Tensor<T>& input2, const Tensor<T>& target) {
    return cosine_embedding_loss(input1, input2, target, margin, reduction);
  }
  Tensor<T> operator()(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& t) { return forward(a, b, t); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }
  double margin;
  Reduction reduction;
};

/// max(0, -target (input1 - input2) + margin), as torch.nn.MarginRankingLoss.
template <FloatElement T = float>
class MarginRankingLoss : public Module<T> {
 public:
  explicit MarginRankingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : Module<T>("MarginRankingLoss"), margin(margin), reduction(reduction) {}
  /// The loss of the ranking of input1 and input2 against target (1 or -1).
  Tensor<T> forward(const Tensor<T>& input1, const Tensor<T>& input2, const Tensor<T>& target) {
    return margin_ranking_loss(input1, input2, target, margin, reduction);
  }
  Tensor<T> operator()(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& t) { return forward(a, b, t); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }
  double margin;
  Reduction reduction;
};

/// max(0, margin + d(anchor, positive) - d(anchor, negative)), as torch.nn.TripletMarginLoss.
template <FloatElement T = float>
class TripletMarginLoss : public Module<T> {
 public:
  explicit TripletMarginLoss(double margin = 1.0, double p = 2.0, double eps = 1e-6, bool swap = false,
                             Reduction reduction = Reduction::Mean)
      : Module<T>("TripletMarginLoss"), margin(margin), p(p), eps(eps), swap(swap), reduction(reduction) {}
  /// The loss of the triplets (N, D) or (D).
  Tensor<T> forward(const Tensor<T>& anchor, const Tensor<T>& positive, const Tensor<T>& negative) {
    return triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction);
  }
  Tensor<T> operator()(const Tensor<T>& a, const Tensor<T>& p_, const Tensor<T>& n) { return forward(a, p_, n); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "margin=" << margin << ", p=" << p << ", eps=" << eps << ", swap=" << (swap ? "True" : "False")
       << ", reduction=" << detail::reduction_name(reduction);
    return os.str();
  }
  double margin, p, eps;
  bool swap;
  Reduction reduction;
};

/// Poisson negative log likelihood, as torch.nn.PoissonNLLLoss.
template <FloatElement T = float>
class PoissonNLLLoss : public Module<T> {
 public:
  explicit PoissonNLLLoss(bool log_input = true, bool full = false, double eps = 1e-8,
                          Reduction reduction = Reduction::Mean)
      : Module<T>("PoissonNLLLoss"), log_input(log_input), full(full), eps(eps), reduction(reduction) {}
  /// The loss of rates input (their logs with log_input) against counts target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return poisson_nll_loss(input, target, log_input, full, eps, reduction);
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }
  bool log_input, full;
  double eps;
  Reduction reduction;
};

/// Gaussian negative log likelihood, as torch.nn.GaussianNLLLoss.
template <FloatElement T = float>
class GaussianNLLLoss : public Module<T> {
 public:
  explicit GaussianNLLLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction::Mean)
      : Module<T>("GaussianNLLLoss"), full(full), eps(eps), reduction(reduction) {}
  /// The loss of means input with variances var against target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& var) {
    return gaussian_nll_loss(input, target, var, full, eps, reduction);
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& var) {
    return forward(input, target, var);
  }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }
  bool full;
  double eps;
  Reduction reduction;
};

/// Multi-label one-versus-all logistic loss, as torch.nn.MultiLabelSoftMarginLoss (weight: a buffer).
template <FloatElement T = float>
class MultiLabelSoftMarginLoss : public Module<T> {
 public:
  explicit MultiLabelSoftMarginLoss(const OptionalTensor<T>& weight = std::nullopt,
                                    Reduction reduction = Reduction::Mean)
      : Module<T>("MultiLabelSoftMarginLoss"), reduction(reduction) {
    if (weight) this->weight = this->register_buffer("weight", *weight);
  }
  /// The loss of scores input (N, C) against 0/1 target (N, C).
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return multilabel_soft_margin_loss(input, target, if_defined(weight), reduction);
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }
  Tensor<T> weight;  // (C), undefined when not given
  Reduction reduction;
};

}  // namespace ember::nn
