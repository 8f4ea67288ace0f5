#pragma once
// Spatial rearrangements: pixel_shuffle / pixel_unshuffle (reshape + permute), interpolate (nearest,
// nearest-exact, linear, bilinear, area) and pad (constant, reflect, replicate, circular), as PyTorch's.
//
// interpolate and pad are gathers: every output element reads one (pad, nearest) or two per axis
// (linear) input elements with weights, and the backward scatters the gradient back the same way.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/pool.hpp"

namespace ember {

/// Rearranges x (*, C r^2, H, W) into (*, C, H r, W r), r = upscale_factor (sub-pixel convolution).
template <FloatElement T>
Tensor<T> pixel_shuffle(const Tensor<T>& x, std::int64_t upscale_factor) {
  constexpr const char* op = "pixel_shuffle";
  const std::int64_t r = upscale_factor;
  EMBER_CHECK(x.dim() >= 3, op, "expected an input of at least 3 dims (*, C, H, W), got shape ", x.shape());
  EMBER_CHECK(r > 0, op, "upscale_factor must be positive, got ", r);
  const std::int64_t c = x.size(-3), h = x.size(-2), w = x.size(-1);
  EMBER_CHECK(c % (r * r) == 0, op, "the channels of input of shape ", x.shape(),
              " must be divisible by the square of upscale_factor (", r * r, ")");
  Shape lead(x.shape().begin(), x.shape().end() - 3);
  const auto b = static_cast<std::int64_t>(lead.size());
  Shape split = lead, perm, out = lead;
  for (std::int64_t v : {c / (r * r), r, r, h, w}) split.push_back(v);
  for (std::int64_t i = 0; i < b; ++i) perm.push_back(i);
  for (std::int64_t i : {0, 3, 1, 4, 2}) perm.push_back(b + i);
  for (std::int64_t v : {c / (r * r), h * r, w * r}) out.push_back(v);
  return x.reshape(split).permute(perm).reshape(out);
}

/// Rearranges x (*, C, H r, W r) into (*, C r^2, H, W), r = downscale_factor (pixel_shuffle's inverse).
template <FloatElement T>
Tensor<T> pixel_unshuffle(const Tensor<T>& x, std::int64_t downscale_factor) {
  constexpr const char* op = "pixel_unshuffle";
  const std::int64_t r = downscale_factor;
  EMBER_CHECK(x.dim() >= 3, op, "expected an input of at least 3 dims (*, C, H, W), got shape ", x.shape());
  EMBER_CHECK(r > 0, op, "downscale_factor must be positive, got ", r);
  const std::int64_t c = x.size(-3), h = x.size(-2), w = x.size(-1);
  EMBER_CHECK(h % r == 0 && w % r == 0, op, "the height and width of input of shape ", x.shape(),
              " must be divisible by downscale_factor (", r, ")");
  Shape lead(x.shape().begin(), x.shape().end() - 3);
  const auto b = static_cast<std::int64_t>(lead.size());
  Shape split = lead, perm, out = lead;
  for (std::int64_t v : {c, h / r, r, w / r, r}) split.push_back(v);
  for (std::int64_t i = 0; i < b; ++i) perm.push_back(i);
  for (std::int64_t i : {0, 2, 4, 1, 3}) perm.push_back(b + i);
  for (std::int64_t v : {c * r * r, h / r, w / r}) out.push_back(v);
  return x.reshape(split).permute(perm).reshape(out);
}

namespace detail {

/// For each output index along one axis, two taps (input index, weight).
struct AxisTaps {
  std::vector<std::int64_t> i0, i1;
  std::vector<double> w0, w1;

  explicit AxisTaps(std::int64_t out) : i0(out), i1(out), w0(out, 1.0), w1(out, 0.0) {}
};

/// The gather y[q, i, j] = sum over taps of x[q, rows(i), cols(j)] * weights, for x (P, H, W), y (P, OH, OW).
template <class T>
void gather2d(const T* x, T* y, std::int64_t planes, std::int64_t h, std::int64_t w, const AxisTaps& r,
              const AxisTaps& c) {
  const auto oh = static_cast<std::int64_t>(r.i0.size()), ow = static_cast<std::int64_t>(c.i0.size());
#pragma omp parallel for if (planes * oh * ow >= (1 << 16))
  for (std::int64_t q = 0; q < planes; ++q) {
    const T* xp = x + q * h * w;
    for (std::int64_t i = 0; i < oh; ++i) {
      const T* a = xp + r.i0[i] * w;
      const T* b = xp + r.i1[i] * w;
      const T ra = static_cast<T>(r.w0[i]), rb = static_cast<T>(r.w1[i]);
      T* yr = y + (q * oh + i) * ow;
      for (std::int64_t j = 0; j < ow; ++j) {
        const T ca = static_cast<T>(c.w0[j]), cb = static_cast<T>(c.w1[j]);
        yr[j] = ra * (ca * a[c.i0[j]] + cb * a[c.i1[j]]) + rb * (ca * b[c.i0[j]] + cb * b[c.i1[j]]);
      }
    }
  }
}

/// gather2d's backward: dx (P, H, W) = the scatter of dy (P, OH, OW) through the same taps.
template <class T>
void scatter2d(const T* dy, T* dx, std::int64_t planes, std::int64_t h, std::int64_t w, const AxisTaps& r,
               const AxisTaps& c) {
  const auto oh = static_cast<std::int64_t>(r.i0.size()), ow = static_cast<std::int64_t>(c.i0.size());
  std::fill_n(dx, planes * h * w, T(0));
#pragma omp parallel for if (planes * oh * ow >= (1 << 16))
  for (std::int64_t q = 0; q < planes; ++q) {
    T* xp = dx + q * h * w;
    for (std::int64_t i = 0; i < oh; ++i) {
      T* a = xp + r.i0[i] * w;
      T* b = xp + r.i1[i] * w;
      const T ra = static_cast<T>(r.w0[i]), rb = static_cast<T>(r.w1[i]);
      const T* gr = dy + (q * oh + i) * ow;
      for (std::int64_t j = 0; j < ow; ++j) {
        const T ca = static_cast<T>(c.w0[j]), cb = static_cast<T>(c.w1[j]);
        a[c.i0[j]] += ra * ca * gr[j];
        a[c.i1[j]] += ra * cb * gr[j];
        b[c.i0[j]] += rb * ca * gr[j];
        b[c.i1[j]] += rb * cb * gr[j];
      }
    }
  }
}

/// PyTorch's taps along one axis of size `in` resized to `out` (scale: the caller's scale factor, used
/// as 1 / scale when given; otherwise in / out), for mode nearest, nearest-exact or linear (upsample's
/// index formulas, in float for nearest and in T for linear, as PyTorch computes them).
template <class T>
AxisTaps axis_taps(std::int64_t in, std::int64_t out, std::optional<double> scale, std::string_view mode,
                   bool align_corners) {
  AxisTaps t(out);
  if (mode == "nearest" || mode == "nearest-exact") {
    const float s = scale && *scale > 0 ? static_cast<float>(1.0 / *scale)
                                        : static_cast<float>(in) / static_cast<float>(out);
    const float shift = mode == "nearest" ? 0.f : 0.5f;
    for (std::int64_t i = 0; i < out; ++i) {
      std::int64_t k = (mode == "nearest" && out == in)       ? i
                       : (mode == "nearest" && out == 2 * in) ? i >> 1
                                                              : static_cast<std::int64_t>(
                                                                    std::floor((static_cast<float>(i) + shift) * s));
      t.i0[i] = t.i1[i] = std::min(k, in - 1);
    }
    return t;
  }
  using A = T;  // PyTorch's opmath type: float for float, double for double
  const A s = align_corners ? (out > 1 ? static_cast<A>(in - 1) / static_cast<A>(out - 1) : A(0))
                            : (scale && *scale > 0 ? static_cast<A>(1.0 / *scale)
                                                   : static_cast<A>(in) / static_cast<A>(out));
  for (std::int64_t i = 0; i < out; ++i) {
    const A src = align_corners ? s * static_cast<A>(i) : std::max(s * (static_cast<A>(i) + A(0.5)) - A(0.5), A(0));
    const auto k = static_cast<std::int64_t>(src);
    const A l1 = src - static_cast<A>(k);
    t.i0[i] = k;
    t.i1[i] = k + (k < in - 1 ? 1 : 0);
    t.w0[i] = static_cast<double>(A(1) - l1);
    t.w1[i] = static_cast<double>(l1);
  }
  return t;
}

/// Runs gather2d over x viewed as (P, H, W) into shape `out_shape` and records the scatter as backward.
template <FloatElement T>
Tensor<T> gather2d_op(const Tensor<T>& x, const Shape& out_shape, std::int64_t planes, std::int64_t h, std::int64_t w,
                      AxisTaps r, AxisTaps c, const char* op) {
  const Tensor<T> xc = x.contiguous();
  auto y = Tensor<T>::empty(out_shape, x.device());
  gather2d(xc.data(), y.data(), planes, h, w, r, c);
  if (autograd::needs_grad(x))
    autograd::record(op, y, [r = std::move(r), c = std::move(c), planes, h, w, shape = x.shape()](const Tensor<T>& g) {
      const Tensor<T> dy = g.contiguous();
      auto dx = Tensor<T>::empty(shape, g.device());
      scatter2d(dy.data(), dx.data(), planes, h, w, r, c);
      return dx;
    }, x);
  return y;
}

}  // namespace detail

/// interpolate's settings, as torch.nn.functional.interpolate's: exactly one of size (one entry per
/// spatial dim, or one for all) and scale_factor; mode "nearest", "nearest-exact", "linear" (3-d input),
/// "bilinear" (4-d input) or "area"; align_corners only with the linear modes.
struct InterpolateOptions {
  std::vector<std::int64_t> size;
  std::vector<double> scale_factor;
  std::string mode = "nearest";
  std::optional<bool> align_corners;
  std::optional<bool> recompute_scale_factor;
};

/// Resizes the spatial dims of x (N, C, L) or (N, C, H, W) by o.size or o.scale_factor.
template <FloatElement T>
Tensor<T> interpolate(const Tensor<T>& x, const InterpolateOptions& o) {
  constexpr const char* op = "interpolate";
  x.check_cpu(op);
  const std::string& m = o.mode;
  EMBER_CHECK(m == "nearest" || m == "nearest-exact" || m == "linear" || m == "bilinear" || m == "area", op,
              "mode '", m, "' is not supported (nearest, nearest-exact, linear, bilinear, area)");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, op, "expected a 3-d (N, C, L) or 4-d (N, C, H, W) input, got shape ",
              x.shape());
  const bool linear = m == "linear" || m == "bilinear";
  EMBER_CHECK(!o.align_corners || linear, op,
              "align_corners option can only be set with the interpolating modes: linear | bilinear");
  EMBER_CHECK(m != "linear" || x.dim() == 3, op, "mode 'linear' needs a 3-d input, got shape ", x.shape());
  EMBER_CHECK(m != "bilinear" || x.dim() == 4, op, "mode 'bilinear' needs a 4-d input, got shape ", x.shape());
  EMBER_CHECK(o.size.empty() != o.scale_factor.empty(), op, "exactly one of size and scale_factor must be given");
  EMBER_CHECK(o.size.empty() || !o.recompute_scale_factor.value_or(false), op,
              "recompute_scale_factor is not meaningful with an explicit size");
  const std::int64_t k = x.dim() - 2;
  const auto& given = o.size.empty() ? o.scale_factor.size() : o.size.size();
  EMBER_CHECK(given == 1 || static_cast<std::int64_t>(given) == k, op, "input of shape ", x.shape(), " has ", k,
              " spatial dims, but ", o.size.empty() ? "scale_factor" : "size", " has ", given, " entries");
  std::vector<std::int64_t> in(static_cast<std::size_t>(k)), out(in.size());
  std::vector<std::optional<double>> scale(in.size());
  for (std::int64_t i = 0; i < k; ++i) {
    const auto u = static_cast<std::size_t>(i), g = given == 1 ? 0 : u;
    in[u] = x.size(2 + i);
    if (!o.size.empty()) {
      out[u] = o.size[g];
    } else {
      const double s = o.scale_factor[g];
      EMBER_CHECK(s > 0 && std::isfinite(s), op, "scale_factor must be positive and finite, got ", s);
      out[u] = static_cast<std::int64_t>(std::floor(static_cast<double>(in[u]) * s));
      if (!o.recompute_scale_factor.value_or(false)) scale[u] = s;
    }
    EMBER_CHECK(in[u] > 0 && out[u] > 0, op, "input and output sizes should be greater than 0, but got input of shape ",
                x.shape(), " and output size ", out[u]);
  }
  if (m == "area") {
    if (k == 1) return adaptive_avg_pool2d(x.unsqueeze(-2), {1, out[0]}).squeeze(-2);
    return adaptive_avg_pool2d(x, {out[0], out[1]});
  }
  const bool ac = o.align_corners.value_or(false);
  const std::int64_t h = k == 2 ? in[0] : 1, w = in.back();
  detail::AxisTaps rows = k == 2 ? detail::axis_taps<T>(in[0], out[0], scale[0], m, ac) : detail::AxisTaps(1);
  if (k == 1) rows.i0[0] = rows.i1[0] = 0;
  detail::AxisTaps cols = detail::axis_taps<T>(w, out.back(), scale.back(), m, ac);
  Shape shape = x.shape();
  for (std::int64_t i = 0; i < k; ++i) shape[static_cast<std::size_t>(2 + i)] = out[static_cast<std::size_t>(i)];
  return detail::gather2d_op(x, shape, x.size(0) * x.size(1), h, w, std::move(rows), std::move(cols), op);
}

namespace detail {

/// The source index of output index i (in [-before, in + after)) along an axis of size in, or -1 for a
/// constant fill.
inline std::int64_t pad_source(std::int64_t i, std::int64_t in, std::string_view mode) {
  if (mode == "constant") return i >= 0 && i < in ? i : -1;
  if (mode == "replicate") return std::clamp<std::int64_t>(i, 0, in - 1);
  if (mode == "circular") return ((i % in) + in) % in;
  if (in == 1) return 0;  // reflect
  const std::int64_t period = 2 * (in - 1);
  std::int64_t j = ((i % period) + period) % period;
  return j < in ? j : period - j;
}

}  // namespace detail

/// Pads the last len(pad) / 2 dims of x: pad = (left, right) for the last dim, then (top, bottom) for the
/// one before, ...; mode "constant" (filled with value; negative sizes crop), "reflect", "replicate" or
/// "circular" (PyTorch's restrictions: 1-3 padded dims on an input with one or two more dims).
template <FloatElement T>
Tensor<T> pad(const Tensor<T>& x, const std::vector<std::int64_t>& pad, std::string_view mode = "constant",
              double value = 0.0) {
  constexpr const char* op = "pad";
  x.check_cpu(op);
  EMBER_CHECK(mode == "constant" || mode == "reflect" || mode == "replicate" || mode == "circular", op,
              "mode '", mode, "' is not supported (constant, reflect, replicate, circular)");
  EMBER_CHECK(pad.size() % 2 == 0, op, "padding length must be divisible by 2, got ", pad.size());
  const auto k = static_cast<std::int64_t>(pad.size() / 2);
  EMBER_CHECK(k <= x.dim(), op, "padding length ", pad.size(), " is too large for input of shape ", x.shape());
  if (mode != "constant") {
    EMBER_CHECK(k >= 1 && k <= 3 && (x.dim() == k + 1 || x.dim() == k + 2), op, "mode '", mode, "' pads 1 to 3 dims ",
                "of an input with one or two more dims (batch, channel), got ", pad.size(),
                " padding values for input of shape ", x.shape());
    EMBER_CHECK(value == 0.0, op, "padding value ", value, " only applies to mode 'constant', got mode '", mode, "'");
  }
  Shape out = x.shape();
  const std::int64_t first = x.dim() - k;
  for (std::int64_t d = 0; d < k; ++d) {
    const std::int64_t before = pad[static_cast<std::size_t>(2 * (k - 1 - d))];
    const std::int64_t after = pad[static_cast<std::size_t>(2 * (k - 1 - d) + 1)];
    const std::int64_t in = x.size(first + d);
    if (mode == "reflect")
      EMBER_CHECK(before < in && after < in, op, "padding (", before, ", ", after, ") at dimension ", first + d,
                  " of input of shape ", x.shape(), " must be smaller than that dimension for mode 'reflect'");
    if (mode == "circular")
      EMBER_CHECK(before <= in && after <= in, op, "padding (", before, ", ", after, ") at dimension ", first + d,
                  " of input of shape ", x.shape(), " must be at most that dimension for mode 'circular'");
    if (mode != "constant") EMBER_CHECK(in > 0, op, "input of shape ", x.shape(), " has an empty padded dimension");
    out[static_cast<std::size_t>(first + d)] = in + before + after;
    EMBER_CHECK(out[static_cast<std::size_t>(first + d)] >= (mode == "constant" ? 0 : 1), op, "input of shape ",
                x.shape(), " padded by (", before, ", ", after, ") at dimension ", first + d,
                " gives a negative or empty size");
  }
  // The source offset (within one trailing block of x) of every element of one trailing block of y.
  std::int64_t inner_in = 1, inner_out = 1;
  for (std::int64_t d = first; d < x.dim(); ++d) inner_in *= x.size(d), inner_out *= out[static_cast<std::size_t>(d)];
  std::vector<std::int64_t> src(static_cast<std::size_t>(inner_out));
  for (std::int64_t j = 0; j < inner_out; ++j) {
    std::int64_t rest = j, off = 0, mul = 1;
    for (std::int64_t d = x.dim() - 1; d >= first && off >= 0; --d) {
      const std::int64_t od = out[static_cast<std::size_t>(d)], in = x.size(d);
      const std::int64_t before = pad[static_cast<std::size_t>(2 * (x.dim() - 1 - d))];
      const std::int64_t s = detail::pad_source(rest % od - before, in, mode);
      rest /= od;
      off = s < 0 ? -1 : off + s * mul;
      mul *= in;
    }
    src[static_cast<std::size_t>(j)] = off;
  }
  const Tensor<T> xc = x.contiguous();
  auto y = Tensor<T>::empty(out, x.device());
  const std::int64_t blocks = inner_out == 0 ? 0 : y.numel() / inner_out;
  const T* xp = xc.data();
  T* yp = y.data();
  const T fill = static_cast<T>(value);
  for (std::int64_t b = 0; b < blocks; ++b)
    for (std::int64_t j = 0; j < inner_out; ++j) {
      const std::int64_t s = src[static_cast<std::size_t>(j)];
      yp[b * inner_out + j] = s < 0 ? fill : xp[b * inner_in + s];
    }
  if (autograd::needs_grad(x))
    autograd::record(op, y, [src = std::move(src), blocks, inner_in, inner_out, shape = x.shape()](const Tensor<T>& g) {
      const Tensor<T> dy = g.contiguous();
      auto dx = Tensor<T>::empty(shape, g.device());
      T* d = dx.data();
      std::fill_n(d, dx.numel(), T(0));
      const T* gp = dy.data();
      for (std::int64_t b = 0; b < blocks; ++b)
        for (std::int64_t j = 0; j < inner_out; ++j) {
          const std::int64_t s = src[static_cast<std::size_t>(j)];
          if (s >= 0) d[b * inner_in + s] += gp[b * inner_out + j];
        }
      return dx;
    }, x);
  return y;
}

}  // namespace ember
