#pragma once
// NAdam (Adam with Nesterov momentum and momentum decay; L2 or decoupled weight decay), as torch.optim.NAdam.
#include <array>
#include <cmath>

#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One NAdam update of param (P) in place from grad (P). exp_avg and exp_avg_sq (P) are state, zeros before
/// the first step; step counts this one (1 first); mu_product is the running product of the momentum
/// coefficients (1 before the first step). Returns the new mu_product.
template <FloatElement T>
double nadam_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& exp_avg, const Tensor<T>& exp_avg_sq,
                  std::int64_t step, double mu_product, double lr, double beta1, double beta2, double eps,
                  double weight_decay, double momentum_decay, bool decoupled_weight_decay, bool maximize) {
  constexpr const char* op = "nadam_step";
  detail::check_param(op, param);
  const Tensor<T> g_t = detail::checked_grad(op, param, grad);
  detail::check_buffer(op, "exp_avg", param, exp_avg);
  detail::check_buffer(op, "exp_avg_sq", param, exp_avg_sq);
  EMBER_CHECK(step >= 1, op, "step must be >= 1 (it counts this step), got ", step);
  // The scalars as torch computes them in Python (double). torch keeps mu_product in a tensor of its default
  // dtype (float32) and multiplies it by mu in float32, so it is done in float here too, to follow torch.
  const double s = static_cast<double>(step);
  const double bias_correction2 = 1 - std::pow(beta2, s);
  const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, s * momentum_decay));
  const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (s + 1) * momentum_decay));
  mu_product = static_cast<float>(mu_product) * static_cast<float>(mu);
  const double mu_product_next = mu_product * mu_next;
  const T grad_scale = T(-lr * (1.0 - mu) / (1.0 - mu_product));
  const T avg_scale = T(-lr * mu_next / (1.0 - mu_product_next));
  const T bc2 = T(bias_correction2), decay = T(1 - lr * weight_decay), wd = T(weight_decay), w1 = T(1 - beta1);
  const T b2 = T(beta2), w2 = T(1 - beta2), e = T(eps), sign = maximize ? T(-1) : T(1);
  const bool decay_param = weight_decay != 0.0 && decoupled_weight_decay;
  const bool decay_grad = weight_decay != 0.0 && !decoupled_weight_decay;
  T* p = param.data();
  const T* gr = g_t.data();
  T* m = exp_avg.data();
  T* v = exp_avg_sq.data();
  // torch: g = -grad if maximize; p *= 1 - lr*wd (decoupled) or g = g + wd*p; m = lerp(m, g, 1-b1);
  // v = v*b2 + (1-b2)*g*g; denom = sqrt(v / bc2) + eps; p += grad_scale*g/denom; p += avg_scale*m/denom.
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {  // Eigen: see adam_step
    Eigen::Map<Array> P(p + i, n), M(m + i, n), V(v + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (decay_param) P *= decay;
    if (decay_grad) g += wd * P;
    detail::lerp_into(M, g, w1);
    V = V * b2 + w2 * g * g;
    Scratch denom;
    detail::sqrt_into(denom, Scratch(V / bc2));
    denom += e;
    P += grad_scale * g / denom;
    P += avg_scale * M / denom;
  });
  param.storage()->bump_version();
  return mu_product;
}

/// NAdam's hyperparameters (torch.optim.NAdam's defaults).
struct NAdamOptions {
  double lr = 2e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum_decay = 4e-3;
  bool decoupled_weight_decay = false;
  bool maximize = false;
};

/// NAdam over a list of parameters: `NAdam<float> opt(params, {.lr = 2e-3}); opt.step();`.
template <FloatElement T>
class NAdam : public Optimizer<T> {
 public:
  NAdam(std::vector<Tensor<T>> params, NAdamOptions options = {})
      : Optimizer<T>(std::move(params), "NAdam"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.eps, "epsilon value");
    for (int k = 0; k < 2; ++k)
      EMBER_CHECK(options_.betas[k] >= 0.0 && options_.betas[k] < 1.0, this->name_, "invalid beta parameter at index ",
                  k, ": ", options_.betas[k], " (must be in [0, 1))");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    this->check_nonnegative(options_.momentum_decay, "momentum_decay value");
    state_.resize(this->params_.size());
  }

  void step() override {
    const NAdamOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.exp_avg.defined()) {
        s.exp_avg = zeros_like(p.detach());
        s.exp_avg_sq = zeros_like(p.detach());
        s.mu_product = ones<T>({});
      }
      ++s.step;
      const double mu_product = nadam_step(p, g, s.exp_avg, s.exp_avg_sq, s.step, double(s.mu_product.item()), o.lr,
                                           o.betas[0], o.betas[1], o.eps, o.weight_decay, o.momentum_decay,
                                           o.decoupled_weight_decay, o.maximize);
      s.mu_product.fill_(T(mu_product));
    }
  }

  /// Per parameter state: steps taken, the moment estimates and the momentum product (0-d), undefined
  /// before the first step.
  struct State {
    std::int64_t step = 0;
    Tensor<T> exp_avg, exp_avg_sq, mu_product;
  };

  /// The hyperparameters (lr may be changed between steps).
  NAdamOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    State& s = state_[i];
    return {{"exp_avg", &s.exp_avg, true},
            {"exp_avg_sq", &s.exp_avg_sq, true},
            {"mu_product", &s.mu_product, true, true}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

 private:
  NAdamOptions options_;
  std::vector<State> state_;
};

}  // namespace ember::optim
