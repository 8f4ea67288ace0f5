#pragma once
// Neural-network functions: softmax and log_softmax (more join with the nn module).
#include <cstdint>

#include "ember/autograd/node.hpp"
#include "ember/backend/eigen/reduce.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/softmax.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

namespace detail {

/// softmax / log_softmax of x along dim: oneDNN for large contiguous float32, else the loop.
template <Element T>
Tensor<T> softmax_impl(const Tensor<T>& x, std::int64_t dim, bool log, const char* op) {
  x.check_cpu(op);
  if constexpr (!FloatElement<T>) {
    fail<TypeError>(op, "expected a floating point tensor, got dtype ", dtype_name(x.dtype()), " (shape ",
                    x.shape(), "); convert it with to<float>() first");
  } else {
    const std::int64_t d = normalize_dim(dim, x.dim(), op);
    auto out = Tensor<T>::empty(x.shape(), x.device());
    if constexpr (std::is_same_v<T, float>) {
      if (x.numel() >= onednn::kMinElements && x.is_contiguous()) {
        onednn::softmax(x.data(), out.data(), x.shape(), static_cast<int>(d), log);
        return out;
      }
    }
    softmax_loop(x, d, out, log);
    return out;
  }
}

}  // namespace detail

/// exp(x) / sum(exp(x)) along dim, computed as exp(x - max) for stability (floating types only).
template <Element T>
Tensor<T> softmax(const Tensor<T>& x, std::int64_t dim) {
  Tensor<T> y = detail::softmax_impl(x, dim, false, "softmax");
  if constexpr (FloatElement<T>)  // dx = y * (g - sum(g * y, dim))
    if (autograd::needs_grad(x))
      autograd::record("softmax", y, [sy = autograd::Saved<T>(y, "softmax"), d = normalize_dim(dim, x.dim(), "softmax")](
                                         const Tensor<T>& g) {
        const Tensor<T>& yv = sy.get();
        return yv * (g - sum(g * yv, d, true));
      }, x);
  return y;
}

/// x - logsumexp(x) along dim, computed stably (floating types only).
template <Element T>
Tensor<T> log_softmax(const Tensor<T>& x, std::int64_t dim) {
  Tensor<T> y = detail::softmax_impl(x, dim, true, "log_softmax");
  if constexpr (FloatElement<T>)  // dx = g - exp(y) * sum(g, dim)
    if (autograd::needs_grad(x))
      autograd::record("log_softmax", y, [sy = autograd::Saved<T>(y, "log_softmax"),
                                          d = normalize_dim(dim, x.dim(), "log_softmax")](const Tensor<T>& g) {
        return g - exp(sy.get()) * sum(g, d, true);
      }, x);
  return y;
}

template <Element T>
Tensor<T> Tensor<T>::softmax(std::int64_t dim) const { return ember::softmax(*this, dim); }
template <Element T>
Tensor<T> Tensor<T>::log_softmax(std::int64_t dim) const { return ember::log_softmax(*this, dim); }

}  // namespace ember
