#pragma once
// Transposed convolution (PyTorch's conv_transpose1d/2d, the gradient of conv with respect to its
// input): oneDNN's deconvolution primitives for float32, conv2d's loop kernels run backwards for
// float64. Geometry: the adjoint convolution's (backend/onednn/deconvolution.hpp says how).
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/backend/eigen/conv.hpp"
#include "ember/backend/onednn/deconvolution.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/conv.hpp"

namespace ember {

/// Stride, zero padding (taken off the output), output_padding (added to one side of the output),
/// groups and dilation per spatial axis (height, width), as torch.nn.functional.conv_transpose2d.
struct ConvTranspose2dOptions {
  std::array<std::int64_t, 2> stride{1, 1};
  std::array<std::int64_t, 2> padding{0, 0};
  std::array<std::int64_t, 2> output_padding{0, 0};
  std::int64_t groups = 1;
  std::array<std::int64_t, 2> dilation{1, 1};
};

namespace detail {

/// Checks the arguments of conv_transpose2d (x (N, Cin, H, W) or (Cin, H, W), w (Cin, Cout/groups, kH, kW))
/// and returns the geometry of the adjoint convolution.
template <FloatElement T>
ConvGeometry conv_transpose2d_geometry(const Tensor<T>& x, const Tensor<T>& w, const std::optional<Tensor<T>>& b,
                                       const ConvTranspose2dOptions& o, const char* op = "conv_transpose2d") {
  detail::check_cpu(op, x, w);
  EMBER_CHECK(x.dim() == 4 || x.dim() == 3, op, "expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape ",
              x.shape());
  EMBER_CHECK(w.dim() == 4, op, "expected a 4-d weight (C_in, C_out/groups, kH, kW), got shape ", w.shape());
  EMBER_CHECK(o.groups >= 1, op, "groups must be positive, got ", o.groups);
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(o.stride[i] >= 1, op, "stride must be positive, got (", o.stride[0], ", ", o.stride[1], ")");
    EMBER_CHECK(o.dilation[i] >= 1, op, "dilation must be positive, got (", o.dilation[0], ", ", o.dilation[1], ")");
    EMBER_CHECK(o.padding[i] >= 0 && o.padding[i] <= (std::int64_t{1} << 31), op,
                "padding must be non-negative and at most 2^31, got (", o.padding[0], ", ", o.padding[1], ")");
    EMBER_CHECK(o.output_padding[i] >= 0 && (o.output_padding[i] < o.stride[i] || o.output_padding[i] < o.dilation[i]),
                op, "output_padding must be smaller than either stride or dilation, got output_padding (",
                o.output_padding[0], ", ", o.output_padding[1], "), stride (", o.stride[0], ", ", o.stride[1],
                "), dilation (", o.dilation[0], ", ", o.dilation[1], ")");
  }
  const std::int64_t cin = x.size(-3);
  EMBER_CHECK(w.size(0) == cin, op, "input of shape ", x.shape(), " has ", cin, " channels, but weight of shape ",
              w.shape(), " expects ", w.size(0));
  EMBER_CHECK(cin % o.groups == 0, op, "weight of shape ", w.shape(), " has ", cin,
              " input channels, which groups=", o.groups, " does not divide");
  EMBER_CHECK(cin > 0 && x.size(-2) > 0 && x.size(-1) > 0, op, "input of shape ", x.shape(),
              " has an empty channel or spatial dimension");
  ConvGeometry p{x.dim() == 4 ? x.size(0) : 1, w.size(1) * o.groups, 0, 0, cin, o.groups, w.size(2), w.size(3),
                 x.size(-2), x.size(-1), o.stride, o.padding, o.dilation};
  using I = __int128;
  std::array<I, 2> out{};
  const std::array<std::int64_t, 2> in{p.oh, p.ow}, k{p.kh, p.kw};
  for (int i = 0; i < 2; ++i)
    out[i] = (I(in[i]) - 1) * o.stride[i] - 2 * I(o.padding[i]) + I(o.dilation[i]) * (I(k[i]) - 1) +
             o.output_padding[i] + 1;
  EMBER_CHECK(out[0] >= 1 && out[1] >= 1 && out[0] < (I(1) << 62) && out[1] < (I(1) << 62), op, "input of shape ",
              x.shape(), " with weight of shape ", w.shape(), " gives an output size (", static_cast<double>(out[0]),
              ", ", static_cast<double>(out[1]), ") that is too small or too large");
  p.h = static_cast<std::int64_t>(out[0]);
  p.w = static_cast<std::int64_t>(out[1]);
  if (b) {
    detail::check_cpu(op, x, *b);
    EMBER_CHECK(b->dim() == 1 && b->size(0) == p.c, op, "expected a bias of shape ", Shape{p.c}, ", got shape ",
                b->shape());
  }
  return p;
}

/// y = conv_transpose(x, w) + b on contiguous operands (shapes: the adjoint geometry p); x_kept as
/// conv2d_forward's.
template <FloatElement T>
void conv_transpose2d_forward(const T* x, const T* w, const T* b, T* y, const ConvGeometry& p,
                              onednn::Kept* x_kept = nullptr) {
  if constexpr (std::is_same_v<T, float>)
    if (!conv_empty(p)) return onednn::conv_transpose2d_forward(x, w, b, y, p, x_kept);
  conv2d_backward_data_loop(x, w, y, p);
  if (!b) return;
  const std::int64_t plane = p.h * p.w;
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t c = 0; c < p.c; ++c)
      for (std::int64_t k = 0; k < plane; ++k) y[(n * p.c + c) * plane + k] += b[c];
}

/// The gradients of conv_transpose2d for the inputs that need them (dx, dw, db; undefined otherwise); x_kept
/// and dy's one reorder as conv2d_backward's.
template <FloatElement T>
autograd::Grads conv_transpose2d_backward(const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& w, bool need_x,
                                          bool need_w, bool need_b, bool has_b, const ConvGeometry& p,
                                          const Shape& x_shape, onednn::Kept x_kept = {}) {
  const Tensor<T> dy = g.contiguous();
  autograd::Grads grads(has_b ? 3 : 2);
  const bool fast = std::is_same_v<T, float> && !conv_empty(p);
  onednn::Kept dy_kept;
  if (need_x) {
    auto dx = Tensor<T>::empty(x_shape, g.device());
    if constexpr (std::is_same_v<T, float>)
      if (fast) onednn::conv_transpose2d_backward_data(dy.data(), w.data(), dx.data(), p, need_w ? &dy_kept : nullptr);
    if (!fast) conv2d_forward_loop(dy.data(), w.data(), static_cast<const T*>(nullptr), dx.data(), p);
    grads[0] = std::move(dx);
  }
  if (need_w || need_b) {
    auto dw = need_w ? Tensor<T>::empty({p.o, p.c_per_group(), p.kh, p.kw}, g.device()) : Tensor<T>();
    Tensor<T> db = need_b ? Tensor<T>::empty({p.c}, g.device()) : Tensor<T>();
    bool db_done = false;  // x is saved only when w needs a gradient: db alone is a plain sum of dy
    if (need_w) {
      if constexpr (std::is_same_v<T, float>)
        if (fast) {
          onednn::conv_transpose2d_backward_weights(x.data(), dy.data(), dw.data(), need_b ? db.data() : nullptr, p,
                                                    &x_kept, &dy_kept);
          db_done = true;
        }
      if (!fast) conv2d_backward_weights_loop(dy.data(), x.data(), dw.data(), static_cast<T*>(nullptr), p);
    }
    if (need_b && !db_done) {
      const std::int64_t plane = p.h * p.w;
      for (std::int64_t c = 0; c < p.c; ++c) {
        T s = 0;
        for (std::int64_t n = 0; n < p.n; ++n)
          for (std::int64_t k = 0; k < plane; ++k) s += dy.data()[(n * p.c + c) * plane + k];
        db.data()[c] = s;
      }
    }
    if (need_w) grads[1] = std::move(dw);
    if (need_b) grads[2] = std::move(db);
  }
  return grads;
}

}  // namespace detail

/// The output_padding that makes conv_transpose2d of an input with spatial size `in` give `output_size`
/// (the last two entries of output_size; PyTorch's ConvTranspose forward(x, output_size)); errors when
/// the size is outside the reachable range [min, min + stride - 1].
inline std::array<std::int64_t, 2> conv_transpose_output_padding(std::array<std::int64_t, 2> in,
                                                                 const std::vector<std::int64_t>& output_size,
                                                                 std::array<std::int64_t, 2> kernel,
                                                                 const ConvTranspose2dOptions& o,
                                                                 int spatial_dims = 2,
                                                                 const char* op = "ConvTranspose2d") {
  const auto k = static_cast<std::size_t>(spatial_dims);
  EMBER_CHECK(output_size.size() == k || output_size.size() == k + 1 || output_size.size() == k + 2, op,
              "output_size must have ", k, ", ", k + 1, " or ", k + 2, " elements, got ", output_size.size());
  std::array<std::int64_t, 2> out{0, 0};
  const int first = 2 - spatial_dims;
  for (int i = first; i < 2; ++i) {
    const std::int64_t want = output_size[output_size.size() - 2 + static_cast<std::size_t>(i)];
    const std::int64_t lo = (in[i] - 1) * o.stride[i] - 2 * o.padding[i] + o.dilation[i] * (kernel[i] - 1) + 1;
    const std::int64_t hi = lo + o.stride[i] - 1;
    EMBER_CHECK(want >= lo && want <= hi, op, "requested an output size of ", want, " along spatial dim ",
                i - first, ", but valid sizes range from ", lo, " to ", hi, " (for an input of size ", in[i], ")");
    out[i] = want - lo;
  }
  return out;
}

/// 2-d transposed convolution of x (N, Cin, H, W) (or unbatched (Cin, H, W)) with w (Cin, Cout/groups, kH, kW),
/// plus bias b (Cout): y (N, Cout, OH, OW) with OH = (H - 1) stride - 2 padding + dilation (kH - 1) +
/// output_padding + 1, as PyTorch.
template <FloatElement T>
Tensor<T> conv_transpose2d(const Tensor<T>& x, const Tensor<T>& w, const OptionalTensor<T>& b = std::nullopt,
                           const ConvTranspose2dOptions& o = {}) {
  const detail::ConvGeometry p = detail::conv_transpose2d_geometry(x, w, b, o);
  const Tensor<T> xc = x.contiguous(), wc = w.contiguous();
  const std::optional<Tensor<T>> bc = b ? std::optional<Tensor<T>>(b->contiguous()) : std::nullopt;
  auto y = x.dim() == 4 ? Tensor<T>::empty({p.n, p.c, p.h, p.w}, x.device())
                        : Tensor<T>::empty({p.c, p.h, p.w}, x.device());
  const bool need_b = b && b->requires_grad();
  const bool record = autograd::needs_grad(x, w) || (need_b && is_grad_enabled());
  const bool need_x = x.requires_grad(), need_w = w.requires_grad();
  detail::onednn::Kept x_kept;  // x as the forward reordered it, read again by backward-weights
  detail::conv_transpose2d_forward(xc.data(), wc.data(), bc ? bc->data() : nullptr, y.data(), p,
                                   record && need_w ? &x_kept : nullptr);

  if (record) {
    auto backward = [sx = autograd::Saved<T>(need_w ? xc : Tensor<T>(), "conv_transpose2d"),
                     sw = autograd::Saved<T>(need_x ? wc : Tensor<T>(), "conv_transpose2d"), need_x, need_w, need_b,
                     has_b = b.has_value(), p, x_shape = x.shape(), x_kept](const Tensor<T>& g) {
      return detail::conv_transpose2d_backward(g, sx.get(), sw.get(), need_x, need_w, need_b, has_b, p, x_shape,
                                               x_kept);
    };
    if (b) autograd::record("conv_transpose2d", y, std::move(backward), x, w, *b);
    else autograd::record("conv_transpose2d", y, std::move(backward), x, w);
  }
  return y;
}

/// Stride, padding, output_padding, groups and dilation of conv_transpose1d (the 1-d forms).
struct ConvTranspose1dOptions {
  std::int64_t stride = 1, padding = 0, output_padding = 0, groups = 1, dilation = 1;
};

/// 1-d transposed convolution of x (N, Cin, L) (or (Cin, L)) with w (Cin, Cout/groups, k), plus b (Cout):
/// conv_transpose2d over a height-1 input.
template <FloatElement T>
Tensor<T> conv_transpose1d(const Tensor<T>& x, const Tensor<T>& w, const OptionalTensor<T>& b = std::nullopt,
                           const ConvTranspose1dOptions& o = {}) {
  constexpr const char* op = "conv_transpose1d";
  EMBER_CHECK(x.dim() == 3 || x.dim() == 2, op, "expected a 2-d (C, L) or 3-d (N, C, L) input, got shape ",
              x.shape());
  EMBER_CHECK(w.dim() == 3, op, "expected a 3-d weight (C_in, C_out/groups, k), got shape ", w.shape());
  // The checks of conv_transpose2d in 1-d terms, so that errors show the caller's shapes.
  EMBER_CHECK(o.groups >= 1 && o.stride >= 1 && o.dilation >= 1 && o.padding >= 0, op,
              "groups, stride and dilation must be positive and padding non-negative, got groups=", o.groups,
              ", stride=", o.stride, ", dilation=", o.dilation, ", padding=", o.padding);
  EMBER_CHECK(o.output_padding >= 0 && (o.output_padding < o.stride || o.output_padding < o.dilation), op,
              "output_padding must be smaller than either stride or dilation, got output_padding ", o.output_padding,
              ", stride ", o.stride, ", dilation ", o.dilation);
  EMBER_CHECK(w.size(0) == x.size(-2), op, "input of shape ", x.shape(), " has ", x.size(-2),
              " channels, but weight of shape ", w.shape(), " expects ", w.size(0));
  EMBER_CHECK(x.size(-2) % o.groups == 0, op, "weight of shape ", w.shape(), " has ", x.size(-2),
              " input channels, which groups=", o.groups, " does not divide");
  const auto len = (static_cast<__int128>(x.size(-1)) - 1) * o.stride - 2 * static_cast<__int128>(o.padding) +
                   static_cast<__int128>(o.dilation) * (w.size(2) - 1) + o.output_padding + 1;
  EMBER_CHECK(x.size(-1) == 0 || len >= 1, op, "input of shape ", x.shape(), " with weight of shape ", w.shape(),
              " gives an output length ", static_cast<double>(len), " that is too small");
  const ConvTranspose2dOptions o2{{1, o.stride}, {0, o.padding}, {0, o.output_padding}, o.groups, {1, o.dilation}};
  return conv_transpose2d(x.unsqueeze(-2), w.unsqueeze(-2), b, o2).squeeze(-2);
}

}  // namespace ember
