#pragma once
// Loop kernels for 2-d pooling (max, average, adaptive average), forward and backward, parallel over
// planes. They serve every dtype: on ember's plain NCHW memory oneDNN 3.2 only has its simple_nchw
// pooling, which measured 5-10x slower than these loops on the demo CNN's shapes (see README).
//
// Legend: P = N * C independent planes, H W input height and width, OH OW output height and width.
// All tensors are contiguous: x and dx (P, H, W), y and dy (P, OH, OW), argmax (P, OH, OW) holding
// each window's winning offset y * W + x within its input plane.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace ember::detail {

/// The geometry of one pooling (window, stride, padding and dilation per axis).
struct PoolGeometry {
  std::int64_t planes, h, w, oh, ow;
  std::array<std::int64_t, 2> kernel, stride, padding, dilation;
};

/// Runs f(q) for every plane q, on OpenMP threads when the work is large enough to pay for a team.
template <class F>
void for_each_plane(const PoolGeometry& p, F&& f) {
  if (p.planes > 1 && p.planes * p.h * p.w >= (1 << 15)) {
#pragma omp parallel for
    for (std::int64_t q = 0; q < p.planes; ++q) f(q);
    return;
  }
  for (std::int64_t q = 0; q < p.planes; ++q) f(q);
}

/// The kernel taps [lo, hi) of a window starting at `start` (stride `dilation` between taps) that
/// fall inside [0, size).
inline std::array<std::int64_t, 2> taps_inside(std::int64_t start, std::int64_t kernel, std::int64_t dilation,
                                               std::int64_t size) {
  const std::int64_t lo = start < 0 ? (-start + dilation - 1) / dilation : 0;
  const std::int64_t hi = std::min(kernel, start < size ? (size - start + dilation - 1) / dilation : 0);
  return {lo, std::max(lo, hi)};
}

/// Whether p is the common 2x2 window with stride 2, no padding and no dilation, which has a faster loop.
inline bool is_pool2x2(const PoolGeometry& p) {
  return p.kernel == std::array<std::int64_t, 2>{2, 2} && p.stride == std::array<std::int64_t, 2>{2, 2} &&
         p.padding == std::array<std::int64_t, 2>{0, 0} && p.dilation == std::array<std::int64_t, 2>{1, 1} &&
         2 * p.oh <= p.h && 2 * p.ow <= p.w;
}

/// A key whose integer order is x's order, every NaN above +inf: max_pool2x2_forward compares keys
/// without branches (on random data a compare-and-branch mispredicts about every other window).
template <class T>
std::int64_t pool_order_key(T x) {
  if constexpr (sizeof(T) == 4) {
    std::int32_t b;
    std::memcpy(&b, &x, 4);
    const std::int32_t key = b ^ ((b >> 31) & 0x7FFFFFFF);
    return x != x ? std::numeric_limits<std::int32_t>::max() : key;
  } else {
    std::int64_t b;
    std::memcpy(&b, &x, 8);
    const std::int64_t key = b ^ ((b >> 63) & 0x7FFFFFFFFFFFFFFF);
    return x != x ? std::numeric_limits<std::int64_t>::max() : key;
  }
}

/// max_pool2d_forward_loop for is_pool2x2 geometries: the same winners (the first NaN, else the first
/// maximum), branch-free, 4-6x faster than the general loop.
template <class T>
void max_pool2x2_forward(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& p) {
  for_each_plane(p, [&](std::int64_t q) {
    const T* xp = x + q * p.h * p.w;
    T* yq = y + q * p.oh * p.ow;
    std::int64_t* aq = argmax + q * p.oh * p.ow;
    for (std::int64_t oy = 0; oy < p.oh; ++oy) {
      const std::int64_t k0 = 2 * oy * p.w;
      const std::int64_t offsets[4] = {k0, k0 + 1, k0 + p.w, k0 + p.w + 1};
      for (std::int64_t ox = 0; ox < p.ow; ++ox) {
        const T* v = xp + k0 + 2 * ox;
        if constexpr (sizeof(T) == 4) {
          // (key, 3 - tap) packed in 64 bits: the largest is the first tap holding the largest key.
          std::int64_t best = (pool_order_key(v[0]) << 2) | 3;
          best = std::max(best, (pool_order_key(v[1]) << 2) | 2);
          best = std::max(best, (pool_order_key(v[p.w]) << 2) | 1);
          best = std::max(best, pool_order_key(v[p.w + 1]) << 2);
          const std::int64_t tap = 3 - (best & 3);
          aq[oy * p.ow + ox] = offsets[tap] + 2 * ox;
          yq[oy * p.ow + ox] = xp[offsets[tap] + 2 * ox];
        } else {
          const T vals[4] = {v[0], v[1], v[p.w], v[p.w + 1]};
          std::int64_t tap = 0, key = pool_order_key(vals[0]);
          for (int t = 1; t < 4; ++t) {
            const std::int64_t kt = pool_order_key(vals[t]);
            tap = kt > key ? t : tap;
            key = std::max(key, kt);
          }
          aq[oy * p.ow + ox] = offsets[tap] + 2 * ox;
          yq[oy * p.ow + ox] = vals[tap];
        }
      }
    }
  });
}

/// y = the maximum of each window (NaN wins, as in PyTorch), argmax = where it was.
template <class T>
void max_pool2d_forward_loop(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& p) {
  if (is_pool2x2(p)) return max_pool2x2_forward(x, y, argmax, p);
  for_each_plane(p, [&](std::int64_t q) {
    const T* xp = x + q * p.h * p.w;
    for (std::int64_t oy = 0; oy < p.oh; ++oy) {
      const std::int64_t y0 = oy * p.stride[0] - p.padding[0];
      const auto ti = taps_inside(y0, p.kernel[0], p.dilation[0], p.h);
      for (std::int64_t ox = 0; ox < p.ow; ++ox) {
        const std::int64_t x0 = ox * p.stride[1] - p.padding[1];
        const auto tj = taps_inside(x0, p.kernel[1], p.dilation[1], p.w);
        T best = -INFINITY;
        std::int64_t at = -1;
        for (std::int64_t i = ti[0]; i < ti[1]; ++i) {
          const std::int64_t row = (y0 + i * p.dilation[0]) * p.w + x0;
          for (std::int64_t j = tj[0]; j < tj[1]; ++j) {
            const std::int64_t k = row + j * p.dilation[1];
            const T v = xp[k];
            if (at < 0 || v > best || (v != v && best == best)) best = v, at = k;  // the first NaN wins
          }
        }
        const std::int64_t o = (q * p.oh + oy) * p.ow + ox;
        y[o] = best;
        argmax[o] = at;
      }
    }
  });
}

/// dx = dy routed to each window's argmax (summed where windows overlap); dx is overwritten.
template <class T>
void max_pool2d_backward_loop(const T* dy, const std::int64_t* argmax, T* dx, const PoolGeometry& p) {
  if (is_pool2x2(p) && p.h == 2 * p.oh && p.w == 2 * p.ow) {  // windows tile x: each dx is its dy or 0
    for_each_plane(p, [&](std::int64_t q) {
      T* dxp = dx + q * p.h * p.w;
      const T* dyq = dy + q * p.oh * p.ow;
      const std::int64_t* aq = argmax + q * p.oh * p.ow;
      for (std::int64_t oy = 0; oy < p.oh; ++oy)
        for (std::int64_t ox = 0; ox < p.ow; ++ox) {
          const std::int64_t o = oy * p.ow + ox, k = 2 * oy * p.w + 2 * ox, at = aq[o];
          // g where the tap won, else +0: by bit mask, without branches
          using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
          Bits g;
          std::memcpy(&g, dyq + o, sizeof(T));
          const Bits taps[4] = {g & -Bits(at == k), g & -Bits(at == k + 1), g & -Bits(at == k + p.w),
                                g & -Bits(at == k + p.w + 1)};
          std::memcpy(dxp + k, taps, 2 * sizeof(T));
          std::memcpy(dxp + k + p.w, taps + 2, 2 * sizeof(T));
        }
    });
    return;
  }
  for_each_plane(p, [&](std::int64_t q) {
    T* dxp = dx + q * p.h * p.w;
    std::fill(dxp, dxp + p.h * p.w, T(0));
    for (std::int64_t k = 0; k < p.oh * p.ow; ++k) {
      const std::int64_t at = argmax[q * p.oh * p.ow + k];
      if (at >= 0) dxp[at] += dy[q * p.oh * p.ow + k];
    }
  });
}

/// The window of output (oy, ox) of an average pooling, clipped to the input, and its divisor:
/// PyTorch's rule (the padded window size when count_include_pad, else the clipped one).
struct AvgWindow {
  std::int64_t y0, y1, x0, x1, divisor;
};

inline AvgWindow avg_window(const PoolGeometry& p, std::int64_t oy, std::int64_t ox, bool count_include_pad) {
  std::int64_t y0 = oy * p.stride[0] - p.padding[0], x0 = ox * p.stride[1] - p.padding[1];
  std::int64_t y1 = std::min(y0 + p.kernel[0], p.h + p.padding[0]);
  std::int64_t x1 = std::min(x0 + p.kernel[1], p.w + p.padding[1]);
  const std::int64_t padded = (y1 - y0) * (x1 - x0);
  y0 = std::max<std::int64_t>(y0, 0), x0 = std::max<std::int64_t>(x0, 0);
  y1 = std::min(y1, p.h), x1 = std::min(x1, p.w);
  const std::int64_t inside = (y1 - y0) * (x1 - x0);
  return {y0, y1, x0, x1, count_include_pad ? padded : inside};
}

/// y = the mean of each window.
template <class T>
void avg_pool2d_forward_loop(const T* x, T* y, const PoolGeometry& p, bool count_include_pad) {
  for_each_plane(p, [&](std::int64_t q) {
    for (std::int64_t oy = 0; oy < p.oh; ++oy)
      for (std::int64_t ox = 0; ox < p.ow; ++ox) {
        const AvgWindow a = avg_window(p, oy, ox, count_include_pad);
        T s = 0;
        for (std::int64_t iy = a.y0; iy < a.y1; ++iy)
          for (std::int64_t ix = a.x0; ix < a.x1; ++ix) s += x[(q * p.h + iy) * p.w + ix];
        y[(q * p.oh + oy) * p.ow + ox] = a.divisor > 0 ? s / T(a.divisor) : T(0);
      }
  });
}

/// dx = dy spread evenly over each window; dx is overwritten.
template <class T>
void avg_pool2d_backward_loop(const T* dy, T* dx, const PoolGeometry& p, bool count_include_pad) {
  std::fill(dx, dx + p.planes * p.h * p.w, T(0));
  for_each_plane(p, [&](std::int64_t q) {
    for (std::int64_t oy = 0; oy < p.oh; ++oy)
      for (std::int64_t ox = 0; ox < p.ow; ++ox) {
        const AvgWindow a = avg_window(p, oy, ox, count_include_pad);
        if (a.divisor <= 0) continue;
        const T g = dy[(q * p.oh + oy) * p.ow + ox] / T(a.divisor);
        for (std::int64_t iy = a.y0; iy < a.y1; ++iy)
          for (std::int64_t ix = a.x0; ix < a.x1; ++ix) dx[(q * p.h + iy) * p.w + ix] += g;
      }
  });
}

/// Adaptive pooling's window along one axis: [floor(i L / O), ceil((i + 1) L / O)).
inline std::array<std::int64_t, 2> adaptive_range(std::int64_t i, std::int64_t in, std::int64_t out) {
  return {(i * in) / out, ((i + 1) * in + out - 1) / out};
}

/// y = the mean of each adaptive window (when backward, dx = dy spread over them instead).
template <class T, bool kBackward>
void adaptive_avg_pool2d_loop(const T* src, T* dst, const PoolGeometry& p) {
  if constexpr (kBackward) std::fill(dst, dst + p.planes * p.h * p.w, T(0));
  for (std::int64_t q = 0; q < p.planes; ++q)
    for (std::int64_t oy = 0; oy < p.oh; ++oy) {
      const auto ry = adaptive_range(oy, p.h, p.oh);
      for (std::int64_t ox = 0; ox < p.ow; ++ox) {
        const auto rx = adaptive_range(ox, p.w, p.ow);
        const T n = T((ry[1] - ry[0]) * (rx[1] - rx[0]));
        const std::int64_t k = (q * p.oh + oy) * p.ow + ox;
        if constexpr (kBackward) {
          const T g = src[k] / n;
          for (std::int64_t iy = ry[0]; iy < ry[1]; ++iy)
            for (std::int64_t ix = rx[0]; ix < rx[1]; ++ix) dst[(q * p.h + iy) * p.w + ix] += g;
        } else {
          T s = 0;
          for (std::int64_t iy = ry[0]; iy < ry[1]; ++iy)
            for (std::int64_t ix = rx[0]; ix < rx[1]; ++ix) s += src[(q * p.h + iy) * p.w + ix];
          dst[k] = s / n;
        }
      }
    }
}

}  // namespace ember::detail
