#pragma once
// Optimizer<T>: the parameter list, its checks and zero_grad shared by SGD, Adam, AdamW and RMSprop.
// The update rules themselves are free functions (sgd_step, adam_step, rmsprop_step) over one parameter.
#include <cmath>
#include <string>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"

namespace ember::optim {

namespace detail {

/// Above this many elements an update loop runs on OpenMP threads.
inline constexpr std::int64_t kParallelUpdate = 1 << 17;

/// Calls f(i) for i in [0, n), on threads when n is large.
template <class F>
void for_each_element(std::int64_t n, F f) {
  // A separate branch, not `omp parallel for if(...)`: that still opens a team when false.
  if (n >= kParallelUpdate) {
#pragma omp parallel for
    for (std::int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

/// PyTorch's lerp: a + w * (b - a), computed from the nearer end for accuracy.
template <class T>
inline T lerp(T a, T b, T w) {
  return std::abs(w) < T(0.5) ? a + w * (b - a) : b - (b - a) * (T(1) - w);
}

/// Checks that param is a contiguous CPU tensor and that `buffer` (optimizer state) matches it.
template <FloatElement T>
void check_param(const char* op, const Tensor<T>& param) {
  EMBER_CHECK(param.defined(), op, "undefined parameter");
  param.check_cpu(op);
  EMBER_CHECK(param.is_contiguous(), op, "the parameter (shape ", param.shape(), ") must be contiguous");
}

/// Checks a state buffer (same shape as param, contiguous) named `what`.
template <FloatElement T>
void check_buffer(const char* op, const char* what, const Tensor<T>& param, const Tensor<T>& buf) {
  EMBER_CHECK(buf.defined(), op, what, " is undefined");
  EMBER_CHECK(buf.shape() == param.shape() && buf.is_contiguous(), op, what, " must be a contiguous tensor of the ",
              "parameter's shape ", param.shape(), ", got shape ", buf.shape());
  buf.check_cpu(op);
}

/// grad as a contiguous tensor of param's shape (a copy only when grad is a strided view).
template <FloatElement T>
Tensor<T> checked_grad(const char* op, const Tensor<T>& param, const Tensor<T>& grad) {
  EMBER_CHECK(grad.defined(), op, "undefined gradient");
  EMBER_CHECK(grad.shape() == param.shape(), op, "gradient shape ", grad.shape(), " does not match parameter shape ",
              param.shape());
  grad.check_cpu(op);
  return grad.contiguous();
}

}  // namespace detail

/// The parameters an optimizer updates, checked once: each a contiguous CPU leaf that requires grad.
template <FloatElement T>
class Optimizer {
 public:
  Optimizer(std::vector<Tensor<T>> params, const char* name) : params_(std::move(params)), name_(name) {
    EMBER_CHECK(!params_.empty(), name_, "optimizer got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Tensor<T>& p = params_[i];
      EMBER_CHECK(p.defined(), name_, "parameter ", i, " is an undefined tensor");
      EMBER_CHECK(p.requires_grad(), name_, "parameter ", i, " (shape ", p.shape(),
                  ") does not require grad: call requires_grad_() on it or leave it out");
      EMBER_CHECK(p.is_leaf(), name_, "parameter ", i, " (shape ", p.shape(),
                  ") is not a leaf tensor: an optimizer can only update tensors no recorded op made");
      EMBER_CHECK(p.is_contiguous(), name_, "parameter ", i, " (shape ", p.shape(), ") is not contiguous");
      p.check_cpu(name_);
    }
  }
  Optimizer(const Optimizer&) = default;
  Optimizer& operator=(const Optimizer&) = default;
  virtual ~Optimizer() = default;

  /// Updates every parameter that has a gradient (parameters whose grad is undefined are skipped).
  virtual void step() = 0;

  /// Clears the gradients: undefined when set_to_none, else filled with zeros.
  void zero_grad(bool set_to_none = true) {
    for (const Tensor<T>& p : params_) {
      Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      if (set_to_none)
        p.set_grad(Tensor<T>());
      else
        g.zero_();
    }
  }

  /// The parameters, in the order given.
  const std::vector<Tensor<T>>& params() const { return params_; }

 protected:
  /// Throws unless x >= 0, naming the hyperparameter.
  void check_nonnegative(double x, const char* what) const {
    EMBER_CHECK(x >= 0.0, name_, "invalid ", what, ": ", x, " (must be >= 0)");
  }

  std::vector<Tensor<T>> params_;
  const char* name_;
};

}  // namespace ember::optim
