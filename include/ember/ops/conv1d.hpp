#pragma once
// 1-d convolution and pooling over (N, C, L) or unbatched (C, L) tensors, composed from the 2-d ops on a
// height-1 input (x.unsqueeze(-2)), and adaptive max pooling (1-d and 2-d) with its own loop kernel.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "ember/autograd/node.hpp"
#include "ember/backend/eigen/pool.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/conv.hpp"
#include "ember/ops/pool.hpp"

namespace ember {

/// Stride, zero padding (a size, or "same" / "valid" as conv2d's), dilation and groups of conv1d.
struct Conv1dOptions {
  std::int64_t stride = 1;
  Conv2dPadding padding{};  // an explicit size is taken from its width entry
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
};

namespace detail {

/// Checks that x is a 1-d op's input, (N, C, L) or (C, L).
template <FloatElement T>
void check_1d_input(const Tensor<T>& x, const char* op) {
  x.check_cpu(op);
  EMBER_CHECK(x.dim() == 3 || x.dim() == 2, op, "expected a 2-d (C, L) or 3-d (N, C, L) input, got shape ",
              x.shape());
}

}  // namespace detail

/// 1-d convolution of x (N, C, L) (or (C, L)) with w (O, C/groups, k), plus bias b (O): y (N, O, L') with
/// L' = (L + 2 padding - dilation (k - 1) - 1) / stride + 1, as PyTorch.
template <FloatElement T>
Tensor<T> conv1d(const Tensor<T>& x, const Tensor<T>& w, const OptionalTensor<T>& b = std::nullopt,
                 const Conv1dOptions& o = {}) {
  detail::check_1d_input(x, "conv1d");
  EMBER_CHECK(w.dim() == 3, "conv1d", "expected a 3-d weight (O, C/groups, k), got shape ", w.shape());
  // conv2d's shape checks in 1-d terms, so that errors show the caller's shapes.
  EMBER_CHECK(o.groups >= 1 && o.stride >= 1 && o.dilation >= 1, "conv1d",
              "groups, stride and dilation must be positive, got groups=", o.groups, ", stride=", o.stride,
              ", dilation=", o.dilation);
  EMBER_CHECK(w.size(0) % o.groups == 0, "conv1d", "weight of shape ", w.shape(), " has ", w.size(0),
              " output channels, which groups=", o.groups, " does not divide");
  EMBER_CHECK(x.size(-2) == w.size(1) * o.groups, "conv1d", "input of shape ", x.shape(), " has ", x.size(-2),
              " channels, but weight of shape ", w.shape(), " with groups=", o.groups, " expects ",
              w.size(1) * o.groups);
  if (o.padding.mode == Conv2dPadding::Mode::explicit_ && o.padding.size[1] >= 0 && o.padding.size[1] <= (1 << 30)) {
    const auto reach = static_cast<__int128>(o.dilation) * (w.size(2) - 1) + 1;
    EMBER_CHECK(x.size(-1) + 2 * o.padding.size[1] >= reach, "conv1d", "input of shape ", x.shape(),
                " padded by ", o.padding.size[1], " is shorter than the dilated kernel (", static_cast<double>(reach),
                ")");
  }
  Conv2dPadding pad = o.padding;
  if (pad.mode == Conv2dPadding::Mode::explicit_) pad.size = {0, pad.size[1]};
  return conv2d(x.unsqueeze(-2), w.unsqueeze(-2), b, Conv2dOptions{{1, o.stride}, pad, {1, o.dilation}, o.groups})
      .squeeze(-2);
}

/// Window size, stride (unset: the window size), zero padding, dilation, ceil_mode and
/// count_include_pad of the 1-d poolings (as Pool2dOptions').
struct Pool1dOptions {
  std::int64_t kernel = 1;
  std::optional<std::int64_t> stride;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  bool ceil_mode = false;
  bool count_include_pad = true;

  /// The same pooling over a height-1 plane.
  Pool2dOptions as_2d() const {
    return {{1, kernel}, std::array<std::int64_t, 2>{1, stride.value_or(kernel)}, {0, padding}, {1, dilation},
            ceil_mode, count_include_pad};
  }
};

namespace detail {

/// The checks of pool2d_geometry in 1-d terms, so that errors show the caller's sizes.
template <FloatElement T>
void check_pool1d(const Tensor<T>& x, const Pool1dOptions& o, const char* op) {
  check_1d_input(x, op);
  const std::int64_t stride = o.stride.value_or(o.kernel);
  EMBER_CHECK(o.kernel >= 1 && stride >= 1 && o.dilation >= 1, op,
              "kernel_size, stride and dilation must be positive, got kernel_size=", o.kernel, ", stride=", stride,
              ", dilation=", o.dilation);
  EMBER_CHECK(o.padding >= 0 && o.padding <= o.kernel / 2, op,
              "padding must be non-negative and at most half the kernel size, got padding ", o.padding,
              " for kernel_size ", o.kernel);
  if (o.dilation <= (std::int64_t{1} << 31) && o.kernel <= (std::int64_t{1} << 31)) {
    const std::int64_t out = pool_out_size(x.size(-1), o.kernel, stride, o.padding, o.dilation, o.ceil_mode);
    EMBER_CHECK(out >= 1, op, "input of shape ", x.shape(), " is too small for kernel_size ", o.kernel,
                ": the output length would be ", out);
  }
}

}  // namespace detail

/// The maximum over each window of x (N, C, L) or (C, L); NaN propagates.
template <FloatElement T>
Tensor<T> max_pool1d(const Tensor<T>& x, const Pool1dOptions& o) {
  detail::check_pool1d(x, o, "max_pool1d");
  return max_pool2d(x.unsqueeze(-2), o.as_2d()).squeeze(-2);
}

/// The mean over each window of x (N, C, L) or (C, L).
template <FloatElement T>
Tensor<T> avg_pool1d(const Tensor<T>& x, const Pool1dOptions& o) {
  EMBER_CHECK(o.dilation == 1, "avg_pool1d", "dilation is not supported, got ", o.dilation);
  detail::check_pool1d(x, o, "avg_pool1d");
  return avg_pool2d(x.unsqueeze(-2), o.as_2d()).squeeze(-2);
}

/// The mean over output_size windows that tile x (N, C, L) or (C, L) as evenly as possible.
template <FloatElement T>
Tensor<T> adaptive_avg_pool1d(const Tensor<T>& x, std::int64_t output_size) {
  detail::check_1d_input(x, "adaptive_avg_pool1d");
  EMBER_CHECK(output_size >= 1, "adaptive_avg_pool1d", "output_size must be positive, got ", output_size);
  EMBER_CHECK(x.size(-1) >= 1, "adaptive_avg_pool1d", "input of shape ", x.shape(), " has an empty length");
  return adaptive_avg_pool2d(x.unsqueeze(-2), {1, output_size}).squeeze(-2);
}

namespace detail {

/// Adaptive max pooling of x (P, H, W) into y (P, OH, OW): window i along an axis of size n covers
/// [floor(i n / out), ceil((i + 1) n / out)); argmax gets each window's winner (offset in its plane).
template <class T>
void adaptive_max_pool2d_loop(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& p) {
  for_each_plane(p, [&](std::int64_t q) {
    const T* xp = x + q * p.h * p.w;
    for (std::int64_t i = 0; i < p.oh; ++i) {
      const std::int64_t h0 = i * p.h / p.oh, h1 = ((i + 1) * p.h + p.oh - 1) / p.oh;
      for (std::int64_t j = 0; j < p.ow; ++j) {
        const std::int64_t w0 = j * p.w / p.ow, w1 = ((j + 1) * p.w + p.ow - 1) / p.ow;
        std::int64_t best = h0 * p.w + w0;
        for (std::int64_t a = h0; a < h1; ++a)
          for (std::int64_t b = w0; b < w1; ++b) {
            const T v = xp[a * p.w + b];
            if (v > xp[best] || std::isnan(v)) {
              best = a * p.w + b;
              if (std::isnan(v)) a = h1, b = w1;  // NaN wins, as PyTorch
            }
          }
        y[(q * p.oh + i) * p.ow + j] = xp[best];
        argmax[(q * p.oh + i) * p.ow + j] = best;
      }
    }
  });
}

}  // namespace detail

/// The maximum over output_size (OH, OW) windows that tile x (N, C, H, W) or (C, H, W) as evenly as possible.
template <FloatElement T>
Tensor<T> adaptive_max_pool2d(const Tensor<T>& x, std::array<std::int64_t, 2> output_size,
                              const char* op = "adaptive_max_pool2d") {
  detail::check_pool_input(x, op);
  EMBER_CHECK(output_size[0] >= 1 && output_size[1] >= 1, op, "output_size must be positive, got (", output_size[0],
              ", ", output_size[1], ")");
  EMBER_CHECK(x.size(-2) >= 1 && x.size(-1) >= 1, op, "input of shape ", x.shape(), " has an empty spatial dim");
  const std::int64_t planes = x.dim() == 4 ? x.size(0) * x.size(1) : x.size(0);
  const detail::PoolGeometry p{planes, x.size(-2), x.size(-1), output_size[0], output_size[1], {}, {}, {}, {}};
  const Tensor<T> xc = x.contiguous();
  auto y = Tensor<T>::empty(detail::pooled_shape(x.shape(), p.oh, p.ow), x.device());
  auto argmax = Tensor<std::int64_t>::empty(y.shape(), x.device());
  detail::adaptive_max_pool2d_loop(xc.data(), y.data(), argmax.data(), p);
  if (autograd::needs_grad(x))
    autograd::record(op, y, [argmax, p, shape = x.shape()](const Tensor<T>& g) {
      const Tensor<T> dy = g.contiguous();
      auto dx = Tensor<T>::empty(shape, g.device());
      T* d = dx.data();
      std::fill_n(d, dx.numel(), T(0));
      const std::int64_t* am = argmax.data();
      const T* gp = dy.data();
      for (std::int64_t q = 0; q < p.planes; ++q)
        for (std::int64_t k = 0; k < p.oh * p.ow; ++k) d[q * p.h * p.w + am[q * p.oh * p.ow + k]] += gp[q * p.oh * p.ow + k];
      return dx;
    }, x);
  return y;
}

/// The maximum over output_size windows that tile x (N, C, L) or (C, L) as evenly as possible.
template <FloatElement T>
Tensor<T> adaptive_max_pool1d(const Tensor<T>& x, std::int64_t output_size) {
  detail::check_1d_input(x, "adaptive_max_pool1d");
  EMBER_CHECK(output_size >= 1, "adaptive_max_pool1d", "output_size must be positive, got ", output_size);
  EMBER_CHECK(x.size(-1) >= 1, "adaptive_max_pool1d", "input of shape ", x.shape(), " has an empty length");
  return adaptive_max_pool2d(x.unsqueeze(-2), {1, output_size}, "adaptive_max_pool1d").squeeze(-2);
}

}  // namespace ember
