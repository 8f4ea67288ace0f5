#pragma once
// RAdam (Adam with the variance of the adaptive rate rectified; L2 or decoupled weight decay), as
// torch.optim.RAdam.
#include <array>
#include <cmath>

#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One RAdam update of param (P) in place from grad (P). exp_avg and exp_avg_sq (P) are state, zeros before
/// the first step; step counts this one (1 first).
template <FloatElement T>
void radam_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& exp_avg, const Tensor<T>& exp_avg_sq,
                std::int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                bool decoupled_weight_decay, bool maximize) {
  constexpr const char* op = "radam_step";
  detail::check_param(op, param);
  const Tensor<T> g_t = detail::checked_grad(op, param, grad);
  detail::check_buffer(op, "exp_avg", param, exp_avg);
  detail::check_buffer(op, "exp_avg_sq", param, exp_avg_sq);
  EMBER_CHECK(step >= 1, op, "step must be >= 1 (it counts this step), got ", step);
  // The scalars as torch computes them in Python (double).
  const double s = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(beta1, s), bias_correction2 = 1 - std::pow(beta2, s);
  const double rho_inf = 2 / (1 - beta2) - 1;
  const double rho_t = rho_inf - 2 * s * std::pow(beta2, s) / bias_correction2;
  const bool rectify = rho_t > 5.0;
  const double rect =
      rectify ? std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5) : 0.0;
  const T bc1 = T(bias_correction1), bc2_sqrt = T(std::pow(bias_correction2, 0.5)), lr_t = T(lr), rect_t = T(rect);
  const T decay = T(1 - lr * weight_decay), wd = T(weight_decay), w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2);
  const T e = T(eps), sign = maximize ? T(-1) : T(1);
  const bool decay_param = weight_decay != 0.0 && decoupled_weight_decay;
  const bool decay_grad = weight_decay != 0.0 && !decoupled_weight_decay;
  T* p = param.data();
  const T* gr = g_t.data();
  T* m = exp_avg.data();
  T* v = exp_avg_sq.data();
  // torch: g = -grad if maximize; p *= 1 - lr*wd (decoupled) or g = g + wd*p; m = lerp(m, g, 1-b1);
  // v = v*b2 + (1-b2)*g*g; m_hat = m / bc1; p -= m_hat*lr*(sqrt(bc2) / (sqrt(v) + eps))*rect when
  // rho_t > 5, else p -= m_hat*lr.
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {  // Eigen: see adam_step
    Eigen::Map<Array> P(p + i, n), M(m + i, n), V(v + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (decay_param) P *= decay;
    if (decay_grad) g += wd * P;
    detail::lerp_into(M, g, w1);
    V = V * b2 + w2 * g * g;
    if (rectify) {
      Scratch adaptive;
      detail::sqrt_into(adaptive, V);
      adaptive = bc2_sqrt / (adaptive + e);
      P -= M / bc1 * lr_t * adaptive * rect_t;
    } else {
      P -= M / bc1 * lr_t;
    }
  });
  param.storage()->bump_version();
}

/// RAdam's hyperparameters (torch.optim.RAdam's defaults).
struct RAdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;
  bool maximize = false;
};

/// RAdam over a list of parameters: `RAdam<float> opt(params, {.lr = 1e-3}); opt.step();`.
template <FloatElement T>
class RAdam : public Optimizer<T> {
 public:
  RAdam(std::vector<Tensor<T>> params, RAdamOptions options = {})
      : Optimizer<T>(std::move(params), "RAdam"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.eps, "epsilon value");
    for (int k = 0; k < 2; ++k)
      EMBER_CHECK(options_.betas[k] >= 0.0 && options_.betas[k] < 1.0, this->name_, "invalid beta parameter at index ",
                  k, ": ", options_.betas[k], " (must be in [0, 1))");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    state_.resize(this->params_.size());
  }

  void step() override {
    const RAdamOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.exp_avg.defined()) {
        s.exp_avg = zeros_like(p.detach());
        s.exp_avg_sq = zeros_like(p.detach());
      }
      ++s.step;
      radam_step(p, g, s.exp_avg, s.exp_avg_sq, s.step, o.lr, o.betas[0], o.betas[1], o.eps, o.weight_decay,
                 o.decoupled_weight_decay, o.maximize);
    }
  }

  /// Per parameter state: steps taken and the moment estimates (undefined before the first step).
  struct State {
    std::int64_t step = 0;
    Tensor<T> exp_avg, exp_avg_sq;
  };

  /// The hyperparameters (lr may be changed between steps).
  RAdamOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    State& s = state_[i];
    return {{"exp_avg", &s.exp_avg, true}, {"exp_avg_sq", &s.exp_avg_sq, true}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

 private:
  RAdamOptions options_;
  std::vector<State> state_;
};

}  // namespace ember::optim
