#pragma once
// Loss modules, as torch.nn: MSELoss, L1Loss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss, BCELoss,
// BCEWithLogitsLoss.
// Each holds its options (the ops' options structs of ember/ops/loss.hpp) and calls the op;
// weight and pos_weight are buffers (in state_dict) when given. Called as loss(input, target).
#include <cstdint>
#include <sstream>
#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/loss.hpp"

namespace ember::nn {

namespace detail {
inline const char* reduction_name(Reduction r) {
  return r == Reduction::Mean ? "mean" : r == Reduction::Sum ? "sum" : "none";
}
}  // namespace detail

/// Mean squared error (input - target)^2: loss(input, target) with target of input's shape.
template <FloatElement T = float>
class MSELoss : public Module<T> {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : Module<T>("MSELoss"), reduction(reduction) {}
  /// The loss of input against target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) { return mse_loss(input, target, reduction); }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }

  Reduction reduction;
};

/// Mean absolute error |input - target|: loss(input, target) with target of input's shape.
template <FloatElement T = float>
class L1Loss : public Module<T> {
 public:
  explicit L1Loss(Reduction reduction = Reduction::Mean) : Module<T>("L1Loss"), reduction(reduction) {}
  /// The loss of input against target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) { return l1_loss(input, target, reduction); }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }

  Reduction reduction;
};

/// Smooth L1 (quadratic below beta, linear above), as torch.nn.SmoothL1Loss.
template <FloatElement T = float>
class SmoothL1Loss : public Module<T> {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::Mean, double beta = 1.0)
      : Module<T>("SmoothL1Loss"), reduction(reduction), beta(beta) {}
  /// The loss of input against target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) {
    return smooth_l1_loss(input, target, reduction, beta);
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }

  Reduction reduction;
  double beta;
};

/// Huber (quadratic below delta, delta-scaled linear above), as torch.nn.HuberLoss.
template <FloatElement T = float>
class HuberLoss : public Module<T> {
 public:
  explicit HuberLoss(Reduction reduction = Reduction::Mean, double delta = 1.0)
      : Module<T>("HuberLoss"), reduction(reduction), delta(delta) {}
  /// The loss of input against target.
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) { return huber_loss(input, target, reduction, delta); }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }

  Reduction reduction;
  double delta;
};

/// Negative log likelihood of class indices given log-probabilities (C), (N, C) or (N, C, d1, ...):
/// NLLLoss<float> loss({.weight = w, .ignore_index = 0}); loss(logp, target).
template <FloatElement T = float>
class NLLLoss : public Module<T> {
 public:
  explicit NLLLoss(const NLLLossOptions<T>& options = {})
      : Module<T>("NLLLoss"), ignore_index(options.ignore_index), reduction(options.reduction) {
    if (options.weight) weight = this->register_buffer("weight", *options.weight);
  }
  /// The loss of log-probabilities input against integer class indices target.
  template <Element I>
  Tensor<T> forward(const Tensor<T>& input, const Tensor<I>& target) {
    return nll_loss(input, target, NLLLossOptions<T>{if_defined(weight), ignore_index, reduction});
  }
  template <Element I>
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<I>& target) { return forward(input, target); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "ignore_index=" << ignore_index << ", reduction=" << detail::reduction_name(reduction);
    return os.str();
  }

  Tensor<T> weight;  // (C), undefined when not given
  std::int64_t ignore_index;
  Reduction reduction;
};

/// Cross entropy of logits (C), (N, C) or (N, C, d1, ...) against integer class indices or class
/// probabilities of the input's shape: CrossEntropyLoss<float> loss({.label_smoothing = 0.1}).
template <FloatElement T = float>
class CrossEntropyLoss : public Module<T> {
 public:
  explicit CrossEntropyLoss(const CrossEntropyOptions<T>& options = {})
      : Module<T>("CrossEntropyLoss"),
        ignore_index(options.ignore_index),
        reduction(options.reduction),
        label_smoothing(options.label_smoothing) {
    if (options.weight) weight = this->register_buffer("weight", *options.weight);
  }
  /// The loss of logits input against target: integer class indices, or probabilities (Tensor<T>).
  template <Element I>
  Tensor<T> forward(const Tensor<T>& input, const Tensor<I>& target) {
    return cross_entropy(input, target,
                         CrossEntropyOptions<T>{if_defined(weight), ignore_index, reduction, label_smoothing});
  }
  template <Element I>
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<I>& target) { return forward(input, target); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "ignore_index=" << ignore_index << ", reduction=" << detail::reduction_name(reduction)
       << ", label_smoothing=" << label_smoothing;
    return os.str();
  }

  Tensor<T> weight;  // (C), undefined when not given
  std::int64_t ignore_index;
  Reduction reduction;
  double label_smoothing;
};

/// Binary cross entropy of probabilities against targets in [0, 1] of the same shape (logs clamped at -100).
template <FloatElement T = float>
class BCELoss : public Module<T> {
 public:
  explicit BCELoss(const BCEOptions<T>& options = {}) : Module<T>("BCELoss"), reduction(options.reduction) {
    if (options.weight) weight = this->register_buffer("weight", *options.weight);
  }
  /// The loss of probabilities input against target.
  template <Element U>
  Tensor<T> forward(const Tensor<T>& input, const Tensor<U>& target) {
    return binary_cross_entropy(input, target, BCEOptions<T>{if_defined(weight), reduction});
  }
  template <Element U>
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<U>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }

  Tensor<T> weight;  // broadcast to the input's shape, undefined when not given
  Reduction reduction;
};

/// Binary cross entropy of sigmoid(input) against targets in [0, 1], computed stably from the logits;
/// pos_weight weighs the positive term: BCEWithLogitsLoss<float> loss({.pos_weight = pw}).
template <FloatElement T = float>
class BCEWithLogitsLoss : public Module<T> {
 public:
  explicit BCEWithLogitsLoss(const BCEWithLogitsOptions<T>& options = {})
      : Module<T>("BCEWithLogitsLoss"), reduction(options.reduction) {
    if (options.weight) weight = this->register_buffer("weight", *options.weight);
    if (options.pos_weight) pos_weight = this->register_buffer("pos_weight", *options.pos_weight);
  }
  /// The loss of logits input against target.
  template <Element U>
  Tensor<T> forward(const Tensor<T>& input, const Tensor<U>& target) {
    return binary_cross_entropy_with_logits(
        input, target, BCEWithLogitsOptions<T>{if_defined(weight), reduction, if_defined(pos_weight)});
  }
  template <Element U>
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<U>& target) { return forward(input, target); }
  std::string extra_repr() const override { return std::string("reduction=") + detail::reduction_name(reduction); }

  Tensor<T> weight, pos_weight;  // undefined when not given
  Reduction reduction;
};

}  // namespace ember::nn
