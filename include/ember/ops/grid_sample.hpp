#pragma once
// grid_sample and affine_grid, as torch.nn.functional's (spatial transformer networks): affine_grid maps
// a batch of 2x3 affine matrices to sampling grids, grid_sample reads the input at the grid's points.
//
// grid_sample computes as PyTorch's CPU kernel (GridSamplerKernel.cpp), rounding included: grid values in
// [-1, 1] address the input's corners (align_corners) or the outer edges of its corner pixels; a point is
// unnormalised, then clipped (padding "border") or reflected and clipped ("reflection"), or left outside
// where taps read zero ("zeros"). Bilinear reads four taps, nearest one (rounded half to even). Its
// backward scatters into the input's gradient and, for bilinear, gives the grid's gradient through the
// taps' weights and the chain of unnormalise / clip / reflect (nearest: zero, as PyTorch).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/linalg.hpp"

namespace ember {

namespace detail {

enum class GridPadding { Zeros, Border, Reflection };

/// The input coordinate of grid value `coord` along an axis of `size` pixels, and (in *grad) its
/// derivative with respect to coord, rounded as PyTorch's vectorised CPU kernel rounds them: a point on a
/// pixel centre then falls on the same side of it, where bilinear sampling's one-sided gradient (from the
/// taps at and right of the point) differs from the other side's. Non-finite or huge results become -100,
/// outside any input.
template <class T>
T grid_source_index(T coord, std::int64_t size, GridPadding padding, bool align_corners, T* grad) {
  const T n = static_cast<T>(size);
  const T scale = align_corners ? (n - 1) / 2 : n / 2;
  // PyTorch's kernel is compiled with fused multiply-adds: (coord + 1) * scale - 0.5 rounds once there.
  T x = align_corners ? (coord + 1) * scale : std::fma(coord + 1, scale, T(-0.5));
  *grad = scale;
  auto clip = [&](T in) {  // into [0, size - 1]; at or beyond a border the point does not move with the grid
    const T lo = std::max(in, T(0)), res = std::min(lo, n - 1);
    if (lo == T(0) || res == n - 1) *grad = 0;
    return res;
  };
  if (padding == GridPadding::Border) {
    x = clip(x);
  } else if (padding == GridPadding::Reflection) {
    const T low = align_corners ? T(0) : T(-0.5), twice_span = align_corners ? 2 * (n - 1) : 2 * n;
    if (twice_span <= 0) {
      x = 0;
      *grad = 0;
    } else {
      const T in = x - low, a = std::fabs(in);
      const T extra = std::fma(-std::trunc(a / twice_span), twice_span, a), reflected = twice_span - extra;
      const bool flip = extra > reflected;
      x = (flip ? reflected : extra) + low;
      if (flip != (in < 0)) *grad = -*grad;
    }
    x = clip(x);
  }
  if (!std::isfinite(x) || std::fabs(x) > T(std::numeric_limits<int>::max() / 2)) return T(-100);
  return x;
}

inline GridPadding grid_padding(std::string_view padding_mode, const char* op) {
  if (padding_mode == "zeros") return GridPadding::Zeros;
  if (padding_mode == "border") return GridPadding::Border;
  EMBER_CHECK(padding_mode == "reflection", op, "padding_mode must be 'zeros', 'border' or 'reflection', got '",
              padding_mode, "'");
  return GridPadding::Reflection;
}

/// One grid point's taps: the input indices (y, x) of its four neighbours and their bilinear weights,
/// or, for nearest, the one index in [0].
template <class T>
struct GridTaps {
  std::int64_t y[4], x[4];
  T w[4];
  T ix, iy, gx_mult, gy_mult;
};

template <class T>
GridTaps<T> grid_taps(T gx, T gy, std::int64_t h, std::int64_t w, GridPadding p, bool ac, bool nearest) {
  GridTaps<T> t{};
  t.ix = grid_source_index(gx, w, p, ac, &t.gx_mult);
  t.iy = grid_source_index(gy, h, p, ac, &t.gy_mult);
  if (nearest) {
    t.x[0] = static_cast<std::int64_t>(std::nearbyint(t.ix));
    t.y[0] = static_cast<std::int64_t>(std::nearbyint(t.iy));
    t.w[0] = 1;
    return t;
  }
  const T x0 = std::floor(t.ix), y0 = std::floor(t.iy);
  const auto xi = static_cast<std::int64_t>(x0), yi = static_cast<std::int64_t>(y0);
  const T dx = t.ix - x0, dy = t.iy - y0;
  // nw, ne, sw, se
  t.y[0] = yi, t.x[0] = xi, t.w[0] = (1 - dx) * (1 - dy);
  t.y[1] = yi, t.x[1] = xi + 1, t.w[1] = dx * (1 - dy);
  t.y[2] = yi + 1, t.x[2] = xi, t.w[2] = (1 - dx) * dy;
  t.y[3] = yi + 1, t.x[3] = xi + 1, t.w[3] = dx * dy;
  return t;
}

}  // namespace detail

/// Samples input (N, C, H, W) at grid (N, Ho, Wo, 2) (x, y in [-1, 1]) into (N, C, Ho, Wo): mode
/// "bilinear" or "nearest", padding_mode "zeros", "border" or "reflection", as
/// torch.nn.functional.grid_sample.
template <FloatElement T>
Tensor<T> grid_sample(const Tensor<T>& input, const Tensor<T>& grid, std::string_view mode = "bilinear",
                      std::string_view padding_mode = "zeros", bool align_corners = false) {
  constexpr const char* op = "grid_sample";
  input.check_cpu(op);
  grid.check_cpu(op);
  EMBER_CHECK(mode == "bilinear" || mode == "nearest", op, "mode must be 'bilinear' or 'nearest', got '", mode, "'");
  const detail::GridPadding padding = detail::grid_padding(padding_mode, op);
  EMBER_CHECK(input.dim() == 4, op, "expected a 4-d input (N, C, H, W), got shape ", input.shape());
  EMBER_CHECK(grid.dim() == 4 && grid.size(3) == 2, op, "expected a grid of shape (N, H_out, W_out, 2) for a 4-d input, "
              "got shape ", grid.shape());
  EMBER_CHECK(grid.size(0) == input.size(0), op, "the grid and the input must have the same batch size, got input of "
              "shape ", input.shape(), " and grid of shape ", grid.shape());
  EMBER_CHECK(input.size(2) > 0 && input.size(3) > 0, op, "expected an input with non-empty spatial dims, got shape ",
              input.shape());
  const std::int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
  const std::int64_t oh = grid.size(1), ow = grid.size(2);
  const bool nearest = mode == "nearest";
  const Tensor<T> x = input.contiguous(), g = grid.contiguous();
  auto y = Tensor<T>::empty({n, c, oh, ow}, input.device());
  {
    const T* xp = x.data();
    const T* gp = g.data();
    T* yp = y.data();
#pragma omp parallel for if (n * oh * ow * c >= (1 << 15))
    for (std::int64_t b = 0; b < n; ++b) {
      for (std::int64_t i = 0; i < oh * ow; ++i) {
        const T* pt = gp + (b * oh * ow + i) * 2;
        const auto t = detail::grid_taps(pt[0], pt[1], h, w, padding, align_corners, nearest);
        for (std::int64_t ch = 0; ch < c; ++ch) {
          const T* plane = xp + (b * c + ch) * h * w;
          T v = 0;
          for (int k = 0; k < (nearest ? 1 : 4); ++k)
            if (t.y[k] >= 0 && t.y[k] < h && t.x[k] >= 0 && t.x[k] < w) v += plane[t.y[k] * w + t.x[k]] * t.w[k];
          yp[(b * c + ch) * oh * ow + i] = v;
        }
      }
    }
  }
  if (autograd::needs_grad(input, grid)) {
    autograd::record(op, y, [sx = autograd::Saved<T>(input, op), sg = autograd::Saved<T>(grid, op), padding,
                             align_corners, nearest](const Tensor<T>& gy) {
      const Tensor<T> x = sx.get().contiguous(), g = sg.get().contiguous(), dy = gy.contiguous();
      const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
      const std::int64_t oh = g.size(1), ow = g.size(2);
      auto dx = zeros<T>(x.shape(), x.device());
      auto dgrid = zeros<T>(g.shape(), g.device());
      const T* xp = x.data();
      const T* gp = g.data();
      const T* dyp = dy.data();
      T* dxp = dx.data();
      T* dgp = dgrid.data();
      // Batches in parallel: each writes only its own planes of dx and its own grid points.
#pragma omp parallel for if (n > 1 && n * oh * ow * c >= (1 << 15))
      for (std::int64_t b = 0; b < n; ++b) {
        for (std::int64_t i = 0; i < oh * ow; ++i) {
          const T* pt = gp + (b * oh * ow + i) * 2;
          const auto t = detail::grid_taps(pt[0], pt[1], h, w, padding, align_corners, nearest);
          bool in[4];
          for (int k = 0; k < 4; ++k) in[k] = t.y[k] >= 0 && t.y[k] < h && t.x[k] >= 0 && t.x[k] < w;
          // distances to the west and north taps (and 1 - them), as PyTorch names them
          const T dw = t.ix - std::floor(t.ix), dn = t.iy - std::floor(t.iy), de = 1 - dw, ds = 1 - dn;
          T gix = 0, giy = 0;
          for (std::int64_t ch = 0; ch < c; ++ch) {
            const T go = dyp[(b * c + ch) * oh * ow + i];
            const T* plane = xp + (b * c + ch) * h * w;
            T* dplane = dxp + (b * c + ch) * h * w;
            T v[4] = {0, 0, 0, 0};  // nw, ne, sw, se; zero outside the input
            for (int k = 0; k < (nearest ? 1 : 4); ++k) {
              if (!in[k]) continue;
              const std::int64_t at = t.y[k] * w + t.x[k];
              dplane[at] += t.w[k] * go;
              v[k] = plane[at];
            }
            if (!nearest) {
              gix += ((v[1] - v[0]) * ds + (v[3] - v[2]) * dn) * go;
              giy += ((v[2] - v[0]) * de + (v[3] - v[1]) * dw) * go;
            }
          }
          dgp[(b * oh * ow + i) * 2] = t.gx_mult * gix;
          dgp[(b * oh * ow + i) * 2 + 1] = t.gy_mult * giy;
        }
      }
      return autograd::Grads{AnyTensor(dx), AnyTensor(dgrid)};
    }, input, grid);
  }
  return y;
}

/// The sampling grid (N, H, W, 2) of the affine maps theta (N, 2, 3) for an output of size (N, C, H, W), as
/// torch.nn.functional.affine_grid: the normalised pixel centres (align_corners: the corners) times theta.
/// Differentiable with respect to theta (a batched matmul).
template <FloatElement T>
Tensor<T> affine_grid(const Tensor<T>& theta, const std::vector<std::int64_t>& size, bool align_corners = false) {
  constexpr const char* op = "affine_grid";
  theta.check_cpu(op);
  EMBER_CHECK(size.size() == 4, op, "only 2-d affine grids are supported: expected size (N, C, H, W), got ",
              size.size(), " values");
  EMBER_CHECK(size[0] >= 0 && size[1] >= 0 && size[2] >= 0 && size[3] >= 0, op, "expected a non-negative size, got (",
              size[0], ", ", size[1], ", ", size[2], ", ", size[3], ")");
  EMBER_CHECK(theta.dim() == 3 && theta.size(0) == size[0] && theta.size(1) == 2 && theta.size(2) == 3, op,
              "expected theta of shape (N, 2, 3) = (", size[0], ", 2, 3) for size (", size[0], ", ", size[1], ", ",
              size[2], ", ", size[3], "), got shape ", theta.shape());
  const std::int64_t h = size[2], w = size[3];
  auto base = Tensor<T>::empty({1, h * w, 3}, theta.device());
  // PyTorch's linspace(-1, 1, n) (from both ends toward the middle, with fused multiply-adds), scaled by
  // (n - 1) / n without align_corners, rounded bit for bit as PyTorch's: an identity map then lands where
  // PyTorch's does, on a pixel centre or one ulp beside it, and the sampling's one-sided gradient there
  // (the taps right of the point) is the same.
  auto line = [&](std::int64_t i, std::int64_t n) {
    if (n == 1) return T(0);
    const T step = T(2) / static_cast<T>(n - 1);
    const T v = i < n / 2 ? std::fma(step, static_cast<T>(i), T(-1))
                          : std::fma(-step, static_cast<T>(n - i - 1), T(1));
    return align_corners ? v : v * static_cast<T>(n - 1) / static_cast<T>(n);
  };
  T* bp = base.data();
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      T* p = bp + (i * w + j) * 3;
      p[0] = line(j, w), p[1] = line(i, h), p[2] = 1;
    }
  return matmul(base, theta.transpose(1, 2)).reshape({size[0], h, w, 2});
}

}  // namespace ember
