#pragma once
// Adamax (Adam over the infinity norm, with L2 weight decay), as torch.optim.Adamax.
#include <array>
#include <cmath>

#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One Adamax update of param (P) in place from grad (P). exp_avg and exp_inf (P) are state, zeros
/// before the first step; step counts this one (1 first).
template <FloatElement T>
void adamax_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& exp_avg, const Tensor<T>& exp_inf,
                 std::int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                 bool maximize) {
  detail::check_param("adamax_step", param);
  const Tensor<T> g_t = detail::checked_grad("adamax_step", param, grad);
  detail::check_buffer("adamax_step", "exp_avg", param, exp_avg);
  detail::check_buffer("adamax_step", "exp_inf", param, exp_inf);
  EMBER_CHECK(step >= 1, "adamax_step", "step must be >= 1 (it counts this step), got ", step);
  // torch computes clr in Python (double), then uses it at the tensor's precision.
  const T neg_clr = T(-(lr / (1 - std::pow(beta1, static_cast<double>(step)))));
  const T wd = T(weight_decay), w1 = T(1 - beta1), b2 = T(beta2), e = T(eps);
  T* p = param.data();
  const T* gr = g_t.data();
  T* m = exp_avg.data();
  T* u = exp_inf.data();
  // torch: g = -grad if maximize; g = g + wd*p; m = lerp(m, g, 1-b1); u = maximum(u*b2, |g| + eps)
  // (NaN if either is); p = p + (-lr/(1-b1^step)) * m / u.
  const T sign = maximize ? T(-1) : T(1);
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {  // Eigen: see adam_step
    Eigen::Map<Array> P(p + i, n), M(m + i, n), U(u + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (weight_decay != 0.0) g += wd * P;
    detail::lerp_into(M, g, w1);
    const Scratch decayed = U * b2, norm = g.abs() + e;
    U = (decayed < norm || norm != norm).select(norm, decayed);
    P += neg_clr * M / U;
  });
  param.storage()->bump_version();
}

/// Adamax's hyperparameters (torch.optim.Adamax's defaults).
struct AdamaxOptions {
  double lr = 2e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool maximize = false;
};

/// Adamax over a list of parameters: `Adamax<float> opt(params, {.lr = 2e-3}); opt.step();`.
template <FloatElement T>
class Adamax : public Optimizer<T> {
 public:
  Adamax(std::vector<Tensor<T>> params, AdamaxOptions options = {})
      : Optimizer<T>(std::move(params), "Adamax"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.eps, "epsilon value");
    for (int k = 0; k < 2; ++k)
      EMBER_CHECK(options_.betas[k] >= 0.0 && options_.betas[k] < 1.0, this->name_, "invalid beta parameter at index ",
                  k, ": ", options_.betas[k], " (must be in [0, 1))");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    state_.resize(this->params_.size());
  }

  void step() override {
    const AdamaxOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.exp_avg.defined()) {
        s.exp_avg = zeros_like(p.detach());
        s.exp_inf = zeros_like(p.detach());
      }
      ++s.step;
      adamax_step(p, g, s.exp_avg, s.exp_inf, s.step, o.lr, o.betas[0], o.betas[1], o.eps, o.weight_decay, o.maximize);
    }
  }

  /// Per parameter state: steps taken and the moment estimates (undefined before the first step).
  struct State {
    std::int64_t step = 0;
    Tensor<T> exp_avg, exp_inf;
  };

  /// The hyperparameters (lr may be changed between steps).
  AdamaxOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    State& s = state_[i];
    return {{"exp_avg", &s.exp_avg, true}, {"exp_inf", &s.exp_inf, true}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

 private:
  AdamaxOptions options_;
  std::vector<State> state_;
};

}  // namespace ember::optim
