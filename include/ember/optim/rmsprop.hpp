#pragma once
// RMSprop (optionally centered, with momentum and L2 weight decay), as torch.optim.RMSprop.
#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One RMSprop update of param (P) in place from grad (P). square_avg (P) is state, zeros before the
/// first step; grad_avg (P) is used when centered and momentum_buffer (P) when momentum > 0 (both zeros
/// at first; otherwise they may be undefined).
template <FloatElement T>
void rmsprop_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& square_avg, const Tensor<T>& grad_avg,
                  const Tensor<T>& momentum_buffer, double lr, double alpha, double eps, double weight_decay,
                  double momentum, bool centered, bool maximize) {
  detail::check_param("rmsprop_step", param);
  const Tensor<T> g_t = detail::checked_grad("rmsprop_step", param, grad);
  detail::check_buffer("rmsprop_step", "square_avg", param, square_avg);
  if (centered) detail::check_buffer("rmsprop_step", "grad_avg", param, grad_avg);
  if (momentum > 0) detail::check_buffer("rmsprop_step", "momentum_buffer", param, momentum_buffer);
  T* p = param.data();
  const T* gr = g_t.data();
  T* sq = square_avg.data();
  T* ga = centered ? grad_avg.data() : nullptr;
  T* buf = momentum > 0 ? momentum_buffer.data() : nullptr;
  const T wd = T(weight_decay), a = T(alpha), w = T(1 - alpha), e = T(eps), mom = T(momentum), neg_lr = T(-lr);
  // torch: g = -grad if maximize; g = g + wd*p; sq = sq*alpha + (1-alpha)*g*g; ga = lerp(ga, g, 1-alpha);
  // avg = sqrt(sq + (-1)*ga*ga) (centered) or sqrt(sq), + eps; buf = buf*mom + g/avg, p = p + (-lr)*buf
  // (momentum) or p = p + (-lr)*(g/avg).
  const T sign = maximize ? T(-1) : T(1);
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {  // Eigen: see adam_step
    Eigen::Map<Array> P(p + i, n), SQ(sq + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (weight_decay != 0.0) g += wd * P;
    SQ = SQ * a + w * g * g;
    Scratch avg;
    if (ga) {
      Eigen::Map<Array> GA(ga + i, n);
      detail::lerp_into(GA, g, w);
      detail::sqrt_into(avg, SQ + T(-1) * GA * GA);
    } else {
      detail::sqrt_into(avg, SQ);
    }
    avg += e;
    if (buf) {
      Eigen::Map<Array> B(buf + i, n);
      B = B * mom + g / avg;
      P += neg_lr * B;
    } else {
      P += neg_lr * (g / avg);
    }
  });
  param.storage()->bump_version();
}

/// RMSprop's hyperparameters (torch.optim.RMSprop's defaults).
struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  bool maximize = false;
};

/// RMSprop over a list of parameters: `RMSprop<float> opt(params, {.lr = 1e-2}); opt.step();`.
template <FloatElement T>
class RMSprop : public Optimizer<T> {
 public:
  RMSprop(std::vector<Tensor<T>> params, RMSpropOptions options = {})
      : Optimizer<T>(std::move(params), "RMSprop"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.eps, "epsilon value");
    this->check_nonnegative(options_.momentum, "momentum value");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    this->check_nonnegative(options_.alpha, "alpha value");
    state_.resize(this->params_.size());
  }

  void step() override {
    const RMSpropOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.square_avg.defined()) {
        s.square_avg = zeros_like(p.detach());
        if (o.centered) s.grad_avg = zeros_like(p.detach());
        if (o.momentum > 0) s.momentum_buffer = zeros_like(p.detach());
      }
      ++s.step;
      rmsprop_step(p, g, s.square_avg, s.grad_avg, s.momentum_buffer, o.lr, o.alpha, o.eps, o.weight_decay, o.momentum,
                   o.centered, o.maximize);
    }
  }

  /// Per parameter state: steps taken and the running averages (undefined before the first step).
  struct State {
    std::int64_t step = 0;
    Tensor<T> square_avg, grad_avg, momentum_buffer;
  };

  /// The hyperparameters (lr may be changed between steps).
  RMSpropOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    State& s = state_[i];
    return {{"square_avg", &s.square_avg, true}, {"grad_avg", &s.grad_avg, options_.centered},
            {"momentum_buffer", &s.momentum_buffer, options_.momentum > 0}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

 private:
  RMSpropOptions options_;
  std::vector<State> state_;
};

}  // namespace ember::optim
