#pragma once
// 2-d pooling over (N, C, H, W) or unbatched (C, H, W) tensors: max_pool2d, avg_pool2d, adaptive_avg_pool2d, with PyTorch's
// output sizes (ceil_mode, count_include_pad). Kernels: backend/eigen/pool.hpp (the legend there, and
// why not oneDNN).
#include <array>
#include <cstdint>
#include <optional>

#include "ember/autograd/node.hpp"
#include "ember/backend/eigen/pool.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

/// Window size, stride (unset: the window size), zero padding and dilation per spatial axis
/// (height, width); ceil_mode rounds the output size up; count_include_pad (average pooling) divides
/// by the padded window size.
struct Pool2dOptions {
  std::array<std::int64_t, 2> kernel{1, 1};
  std::optional<std::array<std::int64_t, 2>> stride;
  std::array<std::int64_t, 2> padding{0, 0};
  std::array<std::int64_t, 2> dilation{1, 1};
  bool ceil_mode = false;
  bool count_include_pad = true;
};

namespace detail {

/// PyTorch's pooling output size along one axis (pooling_output_shape): floor, or with ceil_mode ceil,
/// of (in + 2 pad - d (k - 1) - 1) / s, plus 1; with ceil_mode the last window must start inside the
/// input or its left padding. At most 0 when no window fits. In 128 bits: the sizes are unbounded.
inline std::int64_t pool_out_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t pad, std::int64_t d,
                                  bool ceil_mode) {
  using I = __int128;
  const I num = I(in) + 2 * I(pad) - I(d) * (I(k) - 1) - 1 + (ceil_mode ? I(s) - 1 : 0);
  I out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;  // floor division
  if (ceil_mode && (out - 1) * s >= I(in) + pad) --out;
  return out < 0 ? 0 : static_cast<std::int64_t>(out);
}

/// Checks that x is a pooling input, (N, C, H, W) or (C, H, W).
template <FloatElement T>
void check_pool_input(const Tensor<T>& x, const char* op) {
  x.check_cpu(op);
  EMBER_CHECK(x.dim() == 4 || x.dim() == 3, op, "expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape ",
              x.shape());
}

/// x's shape with the spatial (last two) dims replaced by (oh, ow).
inline Shape pooled_shape(const Shape& x, std::int64_t oh, std::int64_t ow) {
  Shape s = x;
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

/// Checks the options of a pooling of an input of shape x ((N, C, H, W) or (C, H, W), checked by the
/// caller), and returns the geometry.
inline PoolGeometry pool2d_geometry(const Shape& x, const Pool2dOptions& o, const char* op) {
  const auto stride = o.stride.value_or(o.kernel);
  const auto d = static_cast<std::int64_t>(x.size());
  const std::int64_t planes = d == 4 ? x[0] * x[1] : x[0];
  PoolGeometry p{planes, x[d - 2], x[d - 1], 0, 0, o.kernel, stride, o.padding, o.dilation};
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(p.kernel[i] >= 1, op, "kernel_size must be positive, got (", o.kernel[0], ", ", o.kernel[1], ")");
    EMBER_CHECK(p.stride[i] >= 1, op, "stride must be positive, got (", stride[0], ", ", stride[1], ")");
    EMBER_CHECK(p.dilation[i] >= 1, op, "dilation must be positive, got (", o.dilation[0], ", ", o.dilation[1], ")");
    std::int64_t reach = 0;  // the window's extent beyond its first element
    EMBER_CHECK(!__builtin_mul_overflow(p.dilation[i], p.kernel[i] - 1, &reach), op, "kernel_size (", o.kernel[0],
                ", ", o.kernel[1], ") with dilation (", o.dilation[0], ", ", o.dilation[1], ") overflows int64");
    EMBER_CHECK(p.padding[i] >= 0 && p.padding[i] <= p.kernel[i] / 2, op,
                "padding must be non-negative and at most half the kernel size, got padding (", o.padding[0], ", ",
                o.padding[1], ") for kernel_size (", o.kernel[0], ", ", o.kernel[1], ")");
  }
  p.oh = pool_out_size(p.h, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0], o.ceil_mode);
  p.ow = pool_out_size(p.w, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1], o.ceil_mode);
  EMBER_CHECK(p.oh >= 1 && p.ow >= 1, op, "input of shape ", x, " is too small for kernel_size (",
              o.kernel[0], ", ", o.kernel[1], "): the output would be (", p.oh, ", ", p.ow, ")");
  return p;
}

/// Checks a pooling input and the options, and returns the geometry.
template <FloatElement T>
PoolGeometry pool2d_geometry(const Tensor<T>& x, const Pool2dOptions& o, const char* op) {
  check_pool_input(x, op);
  return pool2d_geometry(x.shape(), o, op);
}

}  // namespace detail

/// The maximum over each window of x (N, C, H, W) or (C, H, W); NaN propagates.
template <FloatElement T>
Tensor<T> max_pool2d(const Tensor<T>& x, const Pool2dOptions& o) {
  const detail::PoolGeometry p = detail::pool2d_geometry(x, o, "max_pool2d");
  const Tensor<T> xc = x.contiguous();
  auto y = Tensor<T>::empty(detail::pooled_shape(x.shape(), p.oh, p.ow), x.device());
  auto argmax = Tensor<std::int64_t>::empty(y.shape(), x.device());
  detail::max_pool2d_forward_loop(xc.data(), y.data(), argmax.data(), p);
  if (autograd::needs_grad(x))
    autograd::record("max_pool2d", y, [argmax, p, shape = x.shape()](const Tensor<T>& g) {
      const Tensor<T> dy = g.contiguous();
      auto dx = Tensor<T>::empty(shape, g.device());
      detail::max_pool2d_backward_loop(dy.data(), argmax.data(), dx.data(), p);
      return dx;
    }, x);
  return y;
}

/// The mean over each window of x (N, C, H, W) or (C, H, W) (dilation is not used by average pooling).
template <FloatElement T>
Tensor<T> avg_pool2d(const Tensor<T>& x, const Pool2dOptions& o) {
  EMBER_CHECK(o.dilation[0] == 1 && o.dilation[1] == 1, "avg_pool2d", "dilation is not supported, got (",
              o.dilation[0], ", ", o.dilation[1], ")");
  const detail::PoolGeometry p = detail::pool2d_geometry(x, o, "avg_pool2d");
  const Tensor<T> xc = x.contiguous();
  auto y = Tensor<T>::empty(detail::pooled_shape(x.shape(), p.oh, p.ow), x.device());
  detail::avg_pool2d_forward_loop(xc.data(), y.data(), p, o.count_include_pad);
  if (autograd::needs_grad(x))
    autograd::record("avg_pool2d", y, [p, inc = o.count_include_pad, shape = x.shape()](const Tensor<T>& g) {
      const Tensor<T> dy = g.contiguous();
      auto dx = Tensor<T>::empty(shape, g.device());
      detail::avg_pool2d_backward_loop(dy.data(), dx.data(), p, inc);
      return dx;
    }, x);
  return y;
}

/// The mean over output_size (OH, OW) windows that tile x (N, C, H, W) or (C, H, W) as evenly as possible.
template <FloatElement T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& x, std::array<std::int64_t, 2> output_size) {
  constexpr const char* op = "adaptive_avg_pool2d";
  detail::check_pool_input(x, op);
  EMBER_CHECK(output_size[0] >= 1 && output_size[1] >= 1, op, "output_size must be positive, got (", output_size[0],
              ", ", output_size[1], ")");
  EMBER_CHECK(x.size(-2) >= 1 && x.size(-1) >= 1, op, "input of shape ", x.shape(), " has an empty spatial dim");
  const std::int64_t planes = x.dim() == 4 ? x.size(0) * x.size(1) : x.size(0);
  const detail::PoolGeometry p{planes, x.size(-2), x.size(-1), output_size[0], output_size[1], {}, {}, {}, {}};
  const Tensor<T> xc = x.contiguous();
  auto y = Tensor<T>::empty(detail::pooled_shape(x.shape(), p.oh, p.ow), x.device());
  detail::adaptive_avg_pool2d_loop<T, false>(xc.data(), y.data(), p);
  if (autograd::needs_grad(x))
    autograd::record(op, y, [p, shape = x.shape()](const Tensor<T>& g) {
      const Tensor<T> dy = g.contiguous();
      auto dx = Tensor<T>::empty(shape, g.device());
      detail::adaptive_avg_pool2d_loop<T, true>(dy.data(), dx.data(), p);
      return dx;
    }, x);
  return y;
}

}  // namespace ember
