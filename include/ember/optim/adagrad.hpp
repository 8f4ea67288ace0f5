#pragma once
// Adagrad (with learning-rate decay and L2 weight decay), as torch.optim.Adagrad (dense gradients).
#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One Adagrad update of param (P) in place from grad (P). sum (P) is state, filled with the initial
/// accumulator value before the first step; step counts this one (1 first).
template <FloatElement T>
void adagrad_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& sum, std::int64_t step, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize) {
  detail::check_param("adagrad_step", param);
  const Tensor<T> g_t = detail::checked_grad("adagrad_step", param, grad);
  detail::check_buffer("adagrad_step", "sum", param, sum);
  EMBER_CHECK(step >= 1, "adagrad_step", "step must be >= 1 (it counts this step), got ", step);
  T* p = param.data();
  const T* gr = g_t.data();
  T* s = sum.data();
  // torch computes clr in Python (double), then uses it at the tensor's precision.
  const T neg_clr = T(-(lr / (1 + static_cast<double>(step - 1) * lr_decay)));
  const T wd = T(weight_decay), e = T(eps);
  // torch: g = -grad if maximize; g = g + wd*p; sum = sum + g*g; p = p + (-clr)*g / (sqrt(sum) + eps).
  const T sign = maximize ? T(-1) : T(1);
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {  // Eigen: see adam_step
    Eigen::Map<Array> P(p + i, n), S(s + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (weight_decay != 0.0) g += wd * P;
    S += g * g;
    Scratch std_dev;
    detail::sqrt_into(std_dev, S);
    P += neg_clr * g / (std_dev + e);
  });
  param.storage()->bump_version();
}

/// Adagrad's hyperparameters (torch.optim.Adagrad's defaults).
struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool maximize = false;
};

/// Adagrad over a list of parameters: `Adagrad<float> opt(params, {.lr = 1e-2}); opt.step();`. As in
/// torch, every parameter's state (sum, step 0) exists from construction.
template <FloatElement T>
class Adagrad : public Optimizer<T> {
 public:
  Adagrad(std::vector<Tensor<T>> params, AdagradOptions options = {})
      : Optimizer<T>(std::move(params), "Adagrad"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.lr_decay, "lr_decay value");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    this->check_nonnegative(options_.initial_accumulator_value, "initial_accumulator_value value");
    this->check_nonnegative(options_.eps, "epsilon value");
    state_.resize(this->params_.size());
    for (std::size_t i = 0; i < this->params_.size(); ++i) state_[i].sum = fresh_sum(i);
  }

  void step() override {
    const AdagradOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.sum.defined()) s.sum = fresh_sum(i);  // a loaded state that lacked this parameter
      ++s.step;
      adagrad_step(p, g, s.sum, s.step, o.lr, o.lr_decay, o.weight_decay, o.eps, o.maximize);
    }
  }

  /// Per parameter state: steps taken and the sum of squared gradients.
  struct State {
    std::int64_t step = 0;
    Tensor<T> sum;
  };

  /// The hyperparameters (lr may be changed between steps).
  AdagradOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    return {{"sum", &state_[i].sum, true}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

 private:
  Tensor<T> fresh_sum(std::size_t i) const {
    return full_like(this->params_[i].detach(), T(options_.initial_accumulator_value));
  }

  AdagradOptions options_;
  std::vector<State> state_;
};

}  // namespace ember::optim
