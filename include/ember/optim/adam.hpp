#pragma once
// Adam (with AMSGrad and L2 weight decay) and AdamW (decoupled weight decay), as torch.optim.Adam/AdamW.
#include <array>
#include <cmath>

#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One Adam update of param (P) in place from grad (P). exp_avg, exp_avg_sq and (with amsgrad)
/// max_exp_avg_sq are (P) state, zeros before the first step; step counts this one (1 first).
/// decoupled_weight_decay gives AdamW: p *= 1 - lr*weight_decay instead of g += weight_decay*p.
template <FloatElement T>
void adam_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& exp_avg, const Tensor<T>& exp_avg_sq,
               const Tensor<T>& max_exp_avg_sq, std::int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool amsgrad, bool decoupled_weight_decay, bool maximize) {
  detail::check_param("adam_step", param);
  const Tensor<T> g_t = detail::checked_grad("adam_step", param, grad);
  detail::check_buffer("adam_step", "exp_avg", param, exp_avg);
  detail::check_buffer("adam_step", "exp_avg_sq", param, exp_avg_sq);
  if (amsgrad) detail::check_buffer("adam_step", "max_exp_avg_sq", param, max_exp_avg_sq);
  EMBER_CHECK(step >= 1, "adam_step", "step must be >= 1 (it counts this step), got ", step);
  // The scalars as torch computes them in Python (double), then used at the tensor's precision.
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const T neg_step_size = T(-(lr / bias_correction1));
  const T bc2_sqrt = T(std::pow(bias_correction2, 0.5));
  const T decay = T(1 - lr * weight_decay), wd = T(weight_decay), w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2);
  const T e = T(eps);
  T* p = param.data();
  const T* gr = g_t.data();
  T* m = exp_avg.data();
  T* v = exp_avg_sq.data();
  T* vmax = amsgrad ? max_exp_avg_sq.data() : nullptr;
  const bool decay_param = weight_decay != 0.0 && decoupled_weight_decay;
  const bool decay_grad = weight_decay != 0.0 && !decoupled_weight_decay;
  const T sign = maximize ? T(-1) : T(1);
  // torch: g = -grad if maximize; p *= 1 - lr*wd (AdamW) or g = g + wd*p; m = lerp(m, g, 1-b1);
  // v = v*b2 + (1-b2)*g*g; denom = sqrt(max(vmax, v) or v) / sqrt(bc2) + eps; p = p + (-lr/bc1) * (m / denom).
  // Eigen's arrays over blocks, not a loop per element: g++ kept that loop scalar (std::sqrt's errno
  // path and the branches), where Eigen's vector arithmetic is a few instructions per 4-16 elements.
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {
    Eigen::Map<Array> P(p + i, n), M(m + i, n), V(v + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (decay_param) P *= decay;
    if (decay_grad) g += wd * P;
    detail::lerp_into(M, g, w1);
    V = V * b2 + w2 * g * g;
    Scratch denom;
    if (vmax) {
      Eigen::Map<Array> Vmax(vmax + i, n);
      Vmax = (Vmax < V).select(V, Vmax);  // std::max(vmax, v)
      detail::sqrt_into(denom, Vmax);
    } else {
      detail::sqrt_into(denom, V);
    }
    P += neg_step_size * (M / (denom / bc2_sqrt + e));
  });
  param.storage()->bump_version();
}

/// Adam's hyperparameters (torch.optim.Adam's defaults).
struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  bool maximize = false;
};

/// AdamW's hyperparameters (torch.optim.AdamW's defaults: weight_decay 1e-2).
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

/// Adam over a list of parameters: `Adam<float> opt(params, {.lr = 1e-3}); opt.step();`.
template <FloatElement T>
class Adam : public Optimizer<T> {
 public:
  Adam(std::vector<Tensor<T>> params, AdamOptions options = {}) : Adam(std::move(params), options, false, "Adam") {}

  void step() override {
    const AdamOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.exp_avg.defined()) {
        s.exp_avg = zeros_like(p.detach());
        s.exp_avg_sq = zeros_like(p.detach());
        if (o.amsgrad) s.max_exp_avg_sq = zeros_like(p.detach());
      }
      ++s.step;
      adam_step(p, g, s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq, s.step, o.lr, o.betas[0], o.betas[1], o.eps,
                o.weight_decay, o.amsgrad, decoupled_, o.maximize);
    }
  }

  /// Per parameter state: steps taken and the moment estimates (undefined before the first step).
  struct State {
    std::int64_t step = 0;
    Tensor<T> exp_avg, exp_avg_sq, max_exp_avg_sq;
  };

  /// The hyperparameters (lr may be changed between steps).
  AdamOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    State& s = state_[i];
    return {{"exp_avg", &s.exp_avg, true}, {"exp_avg_sq", &s.exp_avg_sq, true},
            {"max_exp_avg_sq", &s.max_exp_avg_sq, options_.amsgrad}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

  Adam(std::vector<Tensor<T>> params, AdamOptions options, bool decoupled, const char* name)
      : Optimizer<T>(std::move(params), name), options_(options), decoupled_(decoupled) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.eps, "epsilon value");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    for (int k = 0; k < 2; ++k)
      EMBER_CHECK(options_.betas[k] >= 0.0 && options_.betas[k] < 1.0, name, "invalid beta parameter at index ", k, ": ",
                  options_.betas[k], " (must be in [0, 1))");
    state_.resize(this->params_.size());
  }

 private:
  AdamOptions options_;
  bool decoupled_;
  std::vector<State> state_;
};

/// Adam with decoupled weight decay (p *= 1 - lr*weight_decay before the Adam update).
template <FloatElement T>
class AdamW : public Adam<T> {
 public:
  AdamW(std::vector<Tensor<T>> params, AdamWOptions o = {})
      : Adam<T>(std::move(params), AdamOptions{o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad, o.maximize}, true,
                "AdamW") {}
};

}  // namespace ember::optim
