#pragma once
// Adadelta (with L2 weight decay), as torch.optim.Adadelta.
#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One Adadelta update of param (P) in place from grad (P). square_avg and acc_delta (P) are state,
/// zeros before the first step.
template <FloatElement T>
void adadelta_step(const Tensor<T>& param, const Tensor<T>& grad, const Tensor<T>& square_avg,
                   const Tensor<T>& acc_delta, double lr, double rho, double eps, double weight_decay, bool maximize) {
  detail::check_param("adadelta_step", param);
  const Tensor<T> g_t = detail::checked_grad("adadelta_step", param, grad);
  detail::check_buffer("adadelta_step", "square_avg", param, square_avg);
  detail::check_buffer("adadelta_step", "acc_delta", param, acc_delta);
  T* p = param.data();
  const T* gr = g_t.data();
  T* sq = square_avg.data();
  T* acc = acc_delta.data();
  const T wd = T(weight_decay), r = T(rho), w = T(1 - rho), e = T(eps), neg_lr = T(-lr);
  // torch: g = -grad if maximize; g = g + wd*p; sq = sq*rho + (1-rho)*g*g; std = sqrt(sq + eps);
  // delta = sqrt(acc + eps) / std * g; acc = acc*rho + (1-rho)*delta*delta; p = p + (-lr)*delta.
  const T sign = maximize ? T(-1) : T(1);
  using Array = detail::UpdateArray<T>;
  using Scratch = detail::UpdateScratch<T>;
  detail::for_each_block(param.numel(), [&](std::int64_t i, std::int64_t n) {  // Eigen: see adam_step
    Eigen::Map<Array> P(p + i, n), SQ(sq + i, n), ACC(acc + i, n);
    Scratch g = Eigen::Map<const Array>(gr + i, n) * sign;
    if (weight_decay != 0.0) g += wd * P;
    SQ = SQ * r + w * g * g;
    Scratch std_dev, delta;
    detail::sqrt_into(std_dev, SQ + e);
    detail::sqrt_into(delta, ACC + e);
    delta = delta / std_dev * g;
    ACC = ACC * r + w * delta * delta;
    P += neg_lr * delta;
  });
  param.storage()->bump_version();
}

/// Adadelta's hyperparameters (torch.optim.Adadelta's defaults).
struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool maximize = false;
};

/// Adadelta over a list of parameters: `Adadelta<float> opt(params, {.lr = 1.0}); opt.step();`.
template <FloatElement T>
class Adadelta : public Optimizer<T> {
 public:
  Adadelta(std::vector<Tensor<T>> params, AdadeltaOptions options = {})
      : Optimizer<T>(std::move(params), "Adadelta"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    EMBER_CHECK(options_.rho >= 0.0 && options_.rho <= 1.0, this->name_, "invalid rho value: ", options_.rho,
                " (must be in [0, 1])");
    this->check_nonnegative(options_.eps, "epsilon value");
    this->check_nonnegative(options_.weight_decay, "weight_decay value");
    state_.resize(this->params_.size());
  }

  void step() override {
    const AdadeltaOptions& o = options_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      State& s = state_[i];
      if (!s.square_avg.defined()) {
        s.square_avg = zeros_like(p.detach());
        s.acc_delta = zeros_like(p.detach());
      }
      ++s.step;
      adadelta_step(p, g, s.square_avg, s.acc_delta, o.lr, o.rho, o.eps, o.weight_decay, o.maximize);
    }
  }

  /// Per parameter state: steps taken and the running averages (undefined before the first step).
  struct State {
    std::int64_t step = 0;
    Tensor<T> square_avg, acc_delta;
  };

  /// The hyperparameters (lr may be changed between steps).
  AdadeltaOptions& options() { return options_; }
  /// The state of each parameter, in parameter order.
  const std::vector<State>& state() const { return state_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    State& s = state_[i];
    return {{"square_avg", &s.square_avg, true}, {"acc_delta", &s.acc_delta, true}};
  }
  std::int64_t* state_step(std::size_t i) override { return &state_[i].step; }

 private:
  AdadeltaOptions options_;
  std::vector<State> state_;
};

}  // namespace ember::optim
