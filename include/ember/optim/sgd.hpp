#pragma once
// SGD with momentum, dampening, Nesterov momentum and L2 weight decay, as torch.optim.SGD.
#include "ember/optim/optimizer.hpp"

namespace ember::optim {

/// One SGD update of param (P) in place from grad (P); momentum_buffer (P) is created on the first
/// step (undefined in, a copy of the first update direction out) when momentum != 0.
template <FloatElement T>
void sgd_step(const Tensor<T>& param, const Tensor<T>& grad, Tensor<T>& momentum_buffer, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool maximize) {
  detail::check_param("sgd_step", param);
  const Tensor<T> g_t = detail::checked_grad("sgd_step", param, grad);
  const bool first = momentum != 0.0 && !momentum_buffer.defined();
  if (first) momentum_buffer = Tensor<T>::empty(param.shape(), param.device());
  if (momentum != 0.0) detail::check_buffer("sgd_step", "momentum_buffer", param, momentum_buffer);
  T* p = param.data();
  const T* gr = g_t.data();
  T* buf = momentum != 0.0 ? momentum_buffer.data() : nullptr;
  const T wd = T(weight_decay), mom = T(momentum), keep = T(1.0 - dampening), neg_lr = T(-lr);
  // torch: g = -grad if maximize; g = g + wd*p; buf = g (first step) or buf*mom + (1-dampening)*g;
  // g = g + mom*buf (nesterov) or buf; p = p + (-lr)*g.
  detail::for_each_element(param.numel(), [&](std::int64_t i) {
    T g = maximize ? -gr[i] : gr[i];
    if (weight_decay != 0.0) g = g + wd * p[i];
    if (buf) {
      buf[i] = first ? g : buf[i] * mom + keep * g;
      g = nesterov ? g + mom * buf[i] : buf[i];
    }
    p[i] = p[i] + neg_lr * g;
  });
  param.storage()->bump_version();
}

/// SGD's hyperparameters (torch.optim.SGD's defaults).
struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;
};

/// Stochastic gradient descent over a list of parameters: `SGD<float> opt(params, {.lr = 0.1}); opt.step();`.
template <FloatElement T>
class SGD : public Optimizer<T> {
 public:
  SGD(std::vector<Tensor<T>> params, SGDOptions options = {}) : Optimizer<T>(std::move(params), "SGD"), options_(options) {
    this->check_nonnegative(options_.lr, "learning rate");
    this->check_nonnegative(options_.momentum, "momentum");
    this->check_nonnegative(options_.weight_decay, "weight_decay");
    EMBER_CHECK(!options_.nesterov || (options_.momentum > 0 && options_.dampening == 0), "SGD",
                "Nesterov momentum requires a momentum and zero dampening");
    buffers_.resize(this->params_.size());
  }

  void step() override {
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T>& p = this->params_[i];
      const Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      sgd_step(p, g, buffers_[i], options_.lr, options_.momentum, options_.dampening, options_.weight_decay,
               options_.nesterov, options_.maximize);
    }
  }

  /// The hyperparameters (lr may be changed between steps).
  SGDOptions& options() { return options_; }
  /// Per parameter momentum buffers (undefined before a parameter's first step or without momentum).
  const std::vector<Tensor<T>>& momentum_buffers() const { return buffers_; }

 protected:
  std::vector<typename Optimizer<T>::Slot> state_slots(std::size_t i) override {
    return {{"momentum_buffer", &buffers_[i], false}};
  }

 private:
  SGDOptions options_;
  std::vector<Tensor<T>> buffers_;
};

}  // namespace ember::optim
