#pragma once
// Activations beyond the elementwise unary ops: leaky_relu (a parameterised unary op), the in-place
// leaky_relu_ (relu_ is generated with the unary ops), and the dim that softmax picks when none is given. relu, gelu, silu, tanh and
// sigmoid live in elementwise.hpp; softmax and log_softmax in nn_functional.hpp.
#include <cstdint>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/elementwise.hpp"

namespace ember {

namespace detail {
/// The elementwise leaky_relu with slope s, branch-free (see select).
template <class T>
auto leaky_of(T s) {
  return [s](T v) { return select(v > T(0), v, v * s); };
}
}  // namespace detail

/// x where x > 0, negative_slope * x elsewhere (NaN stays NaN), as torch.nn.functional.leaky_relu. One pass
/// over memory each way on the CPU (composed from where/gt/mul it was 9x PyTorch's time in a DCGAN step).
template <FloatElement T>
Tensor<T> leaky_relu(const Tensor<T>& x, double negative_slope = 0.01) {
  constexpr const char* op = "leaky_relu";
  const T s = static_cast<T>(negative_slope);
  Tensor<T> y;
  {
    NoGradGuard no_grad;
    if (x.device().is_cuda()) {
      y = where(gt(x, T(0)), x, x * s);
    } else {
      y = Tensor<T>::empty(x.shape());
      detail::unary_kernel(y, x, detail::leaky_of(s));
    }
  }
  if (autograd::needs_grad(x))  // dx = g where x > 0, else negative_slope * g (at 0 too, as PyTorch)
    autograd::record(op, y, [sx = autograd::Saved<T>(x, op), s](const Tensor<T>& g) {
      const Tensor<T>& xv = sx.get();
      if (g.device().is_cuda()) return where(gt(xv, T(0)), g, g * s);
      Tensor<T> dx = Tensor<T>::empty(g.shape());
      detail::binary_kernel(dx, g, xv, [s](T gi, T xi) { return detail::select(xi > T(0), gi, gi * s); });
      return dx;
    }, x);
  return y;
}

/// leaky_relu(x, negative_slope) written into x; recorded by autograd when x requires grad.
template <FloatElement T>
const Tensor<T>& leaky_relu_(const Tensor<T>& x, double negative_slope = 0.01) {
  if (autograd::needs_grad(x))
    return autograd::rebase_history(x, "leaky_relu_", true,
                                    [&](const Tensor<T>& src) { return leaky_relu(src, negative_slope); });
  autograd::check_inplace(x, "leaky_relu_");
  NoGradGuard no_grad;
  if (x.device().is_cuda()) {
    detail::copy_cast(x, leaky_relu(x, negative_slope));
  } else {
    detail::unary_kernel(x, x, detail::leaky_of(static_cast<T>(negative_slope)));  // element for element
  }
  return x;
}

/// The dim softmax uses when the caller gives none (PyTorch's deprecated implicit choice): 0 for a
/// 0-, 1- or 3-d input, else 1.
inline std::int64_t implicit_softmax_dim(std::int64_t ndim) {
  return ndim == 0 || ndim == 1 || ndim == 3 ? 0 : 1;
}

}  // namespace ember
