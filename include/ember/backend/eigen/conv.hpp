#pragma once
// Loop kernels for 2-d convolution: the readable reference that the oneDNN path is tested against,
// and the path for float64.
//
// Legend: N batch, C input channels, H W input height and width, O output channels, G groups
// (C and O split into G equal parts), kH kW kernel size, OH OW output height and width.
// All tensors are contiguous: x (N, C, H, W), w (O, C/G, kH, kW), y and dy (N, O, OH, OW).
#include <array>
#include <cstdint>

namespace ember::detail {

/// The geometry of one convolution (dims as in the legend; strides, paddings, dilations per axis).
struct ConvGeometry {
  std::int64_t n, c, h, w, o, g, kh, kw, oh, ow;
  std::array<std::int64_t, 2> stride, padding, dilation;

  std::int64_t c_per_group() const { return c / g; }
  std::int64_t o_per_group() const { return o / g; }
};

/// Visits every (input index, weight index, output index) triple that the convolution multiplies:
/// f(x_offset, w_offset, y_offset), in an order that keeps the innermost loop on the output row.
template <class F>
void conv_for_each(const ConvGeometry& p, F&& f) {
  const std::int64_t cg = p.c_per_group(), og = p.o_per_group();
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t o = 0; o < p.o; ++o) {
      const std::int64_t grp = o / og;
      for (std::int64_t c = 0; c < cg; ++c) {
        const std::int64_t ci = grp * cg + c;
        for (std::int64_t i = 0; i < p.kh; ++i)
          for (std::int64_t j = 0; j < p.kw; ++j) {
            const std::int64_t w_off = ((o * cg + c) * p.kh + i) * p.kw + j;
            for (std::int64_t oy = 0; oy < p.oh; ++oy) {
              const std::int64_t iy = oy * p.stride[0] - p.padding[0] + i * p.dilation[0];
              if (iy < 0 || iy >= p.h) continue;
              for (std::int64_t ox = 0; ox < p.ow; ++ox) {
                const std::int64_t ix = ox * p.stride[1] - p.padding[1] + j * p.dilation[1];
                if (ix < 0 || ix >= p.w) continue;
                f(((n * p.c + ci) * p.h + iy) * p.w + ix, w_off, ((n * p.o + o) * p.oh + oy) * p.ow + ox);
              }
            }
          }
      }
    }
}

/// y = conv(x, w) + b (b may be null); y is overwritten.
template <class T>
void conv2d_forward_loop(const T* x, const T* w, const T* b, T* y, const ConvGeometry& p) {
  const std::int64_t plane = p.oh * p.ow;
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t o = 0; o < p.o; ++o)
      for (std::int64_t k = 0; k < plane; ++k) y[(n * p.o + o) * plane + k] = b ? b[o] : T(0);
  conv_for_each(p, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { y[yi] += x[xi] * w[wi]; });
}

/// dx = the gradient of conv(x, w) with respect to x, given dy; dx is overwritten.
template <class T>
void conv2d_backward_data_loop(const T* dy, const T* w, T* dx, const ConvGeometry& p) {
  for (std::int64_t i = 0; i < p.n * p.c * p.h * p.w; ++i) dx[i] = T(0);
  conv_for_each(p, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { dx[xi] += w[wi] * dy[yi]; });
}

/// dw (and db when not null) = the gradients of conv(x, w) + b with respect to w and b; overwritten.
template <class T>
void conv2d_backward_weights_loop(const T* x, const T* dy, T* dw, T* db, const ConvGeometry& p) {
  for (std::int64_t i = 0; i < p.o * p.c_per_group() * p.kh * p.kw; ++i) dw[i] = T(0);
  conv_for_each(p, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { dw[wi] += x[xi] * dy[yi]; });
  if (!db) return;
  const std::int64_t plane = p.oh * p.ow;
  for (std::int64_t o = 0; o < p.o; ++o) {
    T s = 0;
    for (std::int64_t n = 0; n < p.n; ++n)
      for (std::int64_t k = 0; k < plane; ++k) s += dy[(n * p.o + o) * plane + k];
    db[o] = s;
  }
}

}  // namespace ember::detail
