#pragma once
// Neural-network functions: linear, softmax and log_softmax. Convolution, pooling and normalization
// have their own headers (conv.hpp, pool.hpp, normalization.hpp).
#include <cstdint>
#include <optional>

#include "ember/autograd/node.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"
#include "ember/backend/eigen/reduce.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/softmax.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

namespace detail {

/// softmax / log_softmax of x along dim: oneDNN for large contiguous float32, composed kernels on CUDA,
/// else the loop.
template <Element T>
Tensor<T> softmax_impl(const Tensor<T>& x, std::int64_t dim, bool log, const char* op) {
  if constexpr (!FloatElement<T>) {
    fail<TypeError>(op, "expected a floating point tensor, got dtype ", dtype_name(x.dtype()), " (shape ",
                    x.shape(), "); convert it with to<float>() first");
  } else {
    const std::int64_t d = normalize_dim(dim, x.dim(), op);
    if (x.device().is_cuda()) {  // composed from the device kernels; the caller records the backward
      NoGradGuard no_grad;
      const Tensor<T> shifted = x - (x.numel() == 0 ? x : amax(x, d, true));
      const Tensor<T> e = exp(shifted);
      return log ? shifted - ember::log(sum(e, d, true)) : e / sum(e, d, true);
    }
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

/// y[..., o] = sum_ij x1[..., i] w[o, i, j] x2[..., j] + b[o], as torch.nn.functional.bilinear: x1 (*, in1) and
/// x2 (*, in2) with the same leading dims, w (out, in1, in2), b (out). Two matrix products (x1 against w as an
/// (in1, out * in2) matrix, then each row's (out, in2) block against x2), so differentiable in all four.
template <FloatElement T>
Tensor<T> bilinear(const Tensor<T>& x1, const Tensor<T>& x2, const Tensor<T>& w,
                   const OptionalTensor<T>& b = std::nullopt) {
  constexpr const char* op = "bilinear";
  EMBER_CHECK(w.dim() == 3, op, "expected a 3-d weight (out_features, in1_features, in2_features), got shape ",
              w.shape());
  const std::int64_t out = w.size(0), in1 = w.size(1), in2 = w.size(2);
  EMBER_CHECK(x1.dim() >= 1 && x1.size(-1) == in1, op, "input1 of shape ", x1.shape(), " does not match weight of shape ",
              w.shape(), ": expected the last dim to be ", in1);
  EMBER_CHECK(x2.dim() >= 1 && x2.size(-1) == in2, op, "input2 of shape ", x2.shape(), " does not match weight of shape ",
              w.shape(), ": expected the last dim to be ", in2);
  const Shape lead(x1.shape().begin(), x1.shape().end() - 1);
  EMBER_CHECK(lead == Shape(x2.shape().begin(), x2.shape().end() - 1), op, "input1 of shape ", x1.shape(),
              " and input2 of shape ", x2.shape(), " must have the same leading dims");
  if (b)
    EMBER_CHECK(b->dim() == 1 && b->size(0) == out, op, "expected a bias of shape ", Shape{out}, ", got shape ",
                b->shape());
  std::int64_t rows = 1;
  for (const auto d : lead) rows *= d;
  const Tensor<T> t = matmul(x1.reshape({rows, in1}), permute(w, {1, 0, 2}).reshape({in1, out * in2}));
  Tensor<T> y = matmul(t.reshape({rows, out, in2}), x2.reshape({rows, in2, 1})).reshape({rows, out});
  if (b) y = add(y, *b);
  Shape shape = lead;
  shape.push_back(out);
  return y.reshape(shape);
}

/// x @ w^T + b for x (*, in), w (out, in) and b (out): y (*, out). One autograd node, the product on
/// oneDNN's matmul for float32.
template <FloatElement T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const OptionalTensor<T>& b = std::nullopt) {
  constexpr const char* op = "linear";
  EMBER_CHECK(w.dim() == 2, op, "expected a 2-d weight (out_features, in_features), got shape ", w.shape());
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == w.size(1), op, "input of shape ", x.shape(),
              " does not match weight of shape ", w.shape(), ": expected the last dim to be ", w.size(1));
  if (b)
    EMBER_CHECK(b->dim() == 1 && b->size(0) == w.size(0), op, "expected a bias of shape ", Shape{w.size(0)},
                ", got shape ", b->shape());
  Tensor<T> y = detail::matmul_forward(x, w.mT(), op);
  if (b) y.add_(b->detach());
  const bool need_b = b && b->requires_grad();
  if (autograd::needs_grad(x, w) || (need_b && is_grad_enabled())) {
    const bool need_x = x.requires_grad(), need_w = w.requires_grad();
    auto backward = [sx = autograd::Saved<T>(need_w ? x : Tensor<T>(), op),
                     sw = autograd::Saved<T>(need_x ? w : Tensor<T>(), op), need_x, need_w, need_b,
                     has_b = b.has_value(), x_shape = x.shape()](const Tensor<T>& g) {
      // With g2 = g as (rows, out) and x2 = x as (rows, in): dx = g w, dw = g2^T x2, db = sum of g2's rows.
      autograd::Grads grads(has_b ? 3 : 2);
      const std::int64_t out = g.size(-1);
      const Tensor<T> g2 = g.reshape({-1, out});
      if (need_x) grads[0] = detail::matmul_forward(g2, sw.get(), op).reshape(x_shape);
      if (need_w) {
        const Tensor<T>& xv = sx.get();
        grads[1] = detail::matmul_forward(g2.mT(), xv.reshape({-1, xv.size(-1)}), op);
      }
      if (need_b) grads[2] = sum(g2, 0);
      return grads;
    };
    if (b) autograd::record(op, y, std::move(backward), x, w, *b);
    else autograd::record(op, y, std::move(backward), x, w);
  }
  return y;
}

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
