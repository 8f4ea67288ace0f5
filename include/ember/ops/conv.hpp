#pragma once
// 2-d convolution (cross-correlation, as PyTorch's conv2d): oneDNN for float32, the loop kernels of
// backend/eigen/conv.hpp for float64. Shape legend: backend/eigen/conv.hpp.
#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ember/autograd/node.hpp"
#include "ember/backend/eigen/conv.hpp"
#include "ember/backend/onednn/conv.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

/// conv2d's zero padding: explicit (height, width) sizes (`1`, `{1, 2}`), or "valid" (none) or "same"
/// (the output keeps the input's size; stride 1 only; an odd total puts the extra row / column at the
/// bottom / right, as PyTorch).
struct Conv2dPadding {
  enum class Mode { explicit_, valid, same };
  Mode mode = Mode::explicit_;
  std::array<std::int64_t, 2> size{0, 0};  // explicit_ only

  Conv2dPadding() = default;
  template <std::integral I>
  Conv2dPadding(I p) : size{static_cast<std::int64_t>(p), static_cast<std::int64_t>(p)} {}
  Conv2dPadding(std::int64_t h, std::int64_t w) : size{h, w} {}
  Conv2dPadding(std::array<std::int64_t, 2> hw) : size(hw) {}
  /// "valid" or "same" (ValueError otherwise).
  Conv2dPadding(std::string_view m) : mode(m == "same" ? Mode::same : Mode::valid) {
    EMBER_CHECK(m == "same" || m == "valid", "conv2d", "invalid padding string '", m,
                "', should be one of {'valid', 'same'}");
  }
  Conv2dPadding(const char* m) : Conv2dPadding(std::string_view(m)) {}
  Conv2dPadding(const std::string& m) : Conv2dPadding(std::string_view(m)) {}
  bool operator==(const Conv2dPadding&) const = default;
  /// "(h, w)", or "same" / "valid" (as repr shows it).
  std::string str() const {
    if (mode == Mode::same) return "same";
    if (mode == Mode::valid) return "valid";
    return "(" + std::to_string(size[0]) + ", " + std::to_string(size[1]) + ")";
  }
};

/// Stride, zero padding and dilation per spatial axis (height, width), and the number of groups.
struct Conv2dOptions {
  std::array<std::int64_t, 2> stride{1, 1};
  Conv2dPadding padding{};
  std::array<std::int64_t, 2> dilation{1, 1};
  std::int64_t groups = 1;
};

namespace detail {

/// Checks stride, dilation, groups and padding (the checks that need no tensor), for op.
inline void check_conv2d_options(const Conv2dOptions& o, const char* op) {
  EMBER_CHECK(o.groups >= 1, op, "groups must be positive, got ", o.groups);
  const auto& pad = o.padding.size;
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(o.stride[i] >= 1, op, "stride must be positive, got (", o.stride[0], ", ", o.stride[1], ")");
    EMBER_CHECK(o.dilation[i] >= 1, op, "dilation must be positive, got (", o.dilation[0], ", ", o.dilation[1], ")");
    EMBER_CHECK(pad[i] >= 0 && pad[i] <= (std::int64_t{1} << 31), op,
                "padding must be non-negative and at most 2^31, got (", pad[0], ", ", pad[1], ")");
  }
  const bool unit_stride = o.stride[0] == 1 && o.stride[1] == 1;
  EMBER_CHECK(o.padding.mode != Conv2dPadding::Mode::same || unit_stride, op,
              "padding='same' is not supported for strided convolutions, got stride (", o.stride[0], ", ",
              o.stride[1], ")");
}

/// The symmetric zero padding that conv2d computes with for kernel (kh, kw), and per axis whether the
/// first output row / column is then dropped: "same" with an odd total d (k - 1) pads (total + 1) / 2
/// on both sides and drops the first, which leaves the extra padding at the end, as PyTorch.
inline std::pair<std::array<std::int64_t, 2>, std::array<bool, 2>> conv2d_padding(const Conv2dOptions& o,
                                                                                  std::int64_t kh, std::int64_t kw) {
  if (o.padding.mode == Conv2dPadding::Mode::explicit_) return {o.padding.size, {false, false}};
  if (o.padding.mode == Conv2dPadding::Mode::valid) return {{0, 0}, {false, false}};
  const std::int64_t th = o.dilation[0] * (kh - 1), tw = o.dilation[1] * (kw - 1);
  return {{(th + 1) / 2, (tw + 1) / 2}, {th % 2 == 1, tw % 2 == 1}};
}

/// Checks the arguments of conv2d (x (N, C, H, W) or unbatched (C, H, W)) and returns the geometry of
/// the convolution, with the padding of conv2d_padding.
template <FloatElement T>
ConvGeometry conv2d_geometry(const Tensor<T>& x, const Tensor<T>& w, const std::optional<Tensor<T>>& b,
                             const Conv2dOptions& o) {
  constexpr const char* op = "conv2d";
  detail::check_cpu(op, x, w);
  EMBER_CHECK(x.dim() == 4 || x.dim() == 3, op, "expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape ",
              x.shape());
  EMBER_CHECK(w.dim() == 4, op, "expected a 4-d weight (O, C/groups, kH, kW), got shape ", w.shape());
  check_conv2d_options(o, op);
  const auto padding = conv2d_padding(o, w.size(2), w.size(3)).first;
  ConvGeometry p{x.dim() == 4 ? x.size(0) : 1, x.size(-3), x.size(-2), x.size(-1), w.size(0), o.groups, w.size(2),
                 w.size(3), 0, 0, o.stride, padding, o.dilation};
  EMBER_CHECK(p.o % p.g == 0, op, "weight of shape ", w.shape(), " has ", p.o,
              " output channels, which groups=", p.g, " does not divide");
  EMBER_CHECK(p.c == w.size(1) * p.g, op, "input of shape ", x.shape(), " has ", p.c, " channels, but weight of shape ",
              w.shape(), " with groups=", p.g, " expects ", w.size(1) * p.g);
  EMBER_CHECK(p.c > 0 && p.h > 0 && p.w > 0, op, "input of shape ", x.shape(),
              " has an empty channel or spatial dimension");
  // In 128 bits: kernel, dilation and padding are unbounded numbers from the caller.
  using I = __int128;
  const I eh = (I(p.kh) - 1) * p.dilation[0] + 1, ew = (I(p.kw) - 1) * p.dilation[1] + 1;
  EMBER_CHECK(I(p.h) + 2 * I(p.padding[0]) >= eh && I(p.w) + 2 * I(p.padding[1]) >= ew, op, "input of shape ", x.shape(),
              " padded by (", p.padding[0], ", ", p.padding[1], ") is smaller than the dilated kernel (",
              static_cast<double>(eh), ", ", static_cast<double>(ew), ")");
  const auto ext_h = static_cast<std::int64_t>(eh), ext_w = static_cast<std::int64_t>(ew);  // <= padded input
  p.oh = (p.h + 2 * p.padding[0] - ext_h) / p.stride[0] + 1;
  p.ow = (p.w + 2 * p.padding[1] - ext_w) / p.stride[1] + 1;
  if (b) {
    detail::check_cpu(op, x, *b);
    EMBER_CHECK(b->dim() == 1 && b->size(0) == p.o, op, "expected a bias of shape ", Shape{p.o}, ", got shape ",
                b->shape());
  }
  return p;
}

/// True when the convolution has no elements to compute (oneDNN rejects zero-sized dims).
inline bool conv_empty(const ConvGeometry& p) { return p.n * p.c * p.o * p.oh * p.ow == 0; }

/// y = conv(x, w) + b on contiguous operands; x_kept (when not null) keeps oneDNN's reordered x for the
/// backward (float32).
template <FloatElement T>
void conv2d_forward(const T* x, const T* w, const T* b, T* y, const ConvGeometry& p,
                    onednn::Kept* x_kept = nullptr) {
  if constexpr (std::is_same_v<T, float>)
    if (!conv_empty(p)) return onednn::conv2d_forward(x, w, b, y, p, x_kept);
  conv2d_forward_loop(x, w, b, y, p);
}

/// The gradients of conv2d for the inputs that need them (dx, dw, db; undefined otherwise). x_kept: the
/// forward's reordered x; dy is reordered once for both backward primitives.
template <FloatElement T>
autograd::Grads conv2d_backward(const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& w, bool need_x,
                                bool need_w, bool need_b, bool has_b, const ConvGeometry& p, const Shape& x_shape,
                                onednn::Kept x_kept = {}) {
  const Tensor<T> dy = g.contiguous();
  autograd::Grads grads(has_b ? 3 : 2);
  onednn::Kept dy_kept;
  const bool both = need_x && (need_w || need_b);
  if (need_x) {
    auto dx = Tensor<T>::empty(x_shape, g.device());
    const T* wp = w.data();
    if constexpr (std::is_same_v<T, float>) {
      if (!conv_empty(p)) onednn::conv2d_backward_data(dy.data(), wp, dx.data(), p, both ? &dy_kept : nullptr);
      else conv2d_backward_data_loop(dy.data(), wp, dx.data(), p);
    } else {
      conv2d_backward_data_loop(dy.data(), wp, dx.data(), p);
    }
    grads[0] = std::move(dx);
  }
  if (need_w || need_b) {
    auto dw = Tensor<T>::empty({p.o, p.c_per_group(), p.kh, p.kw}, g.device());  // w is unsaved without need_x
    Tensor<T> db = need_b ? Tensor<T>::empty({p.o}, g.device()) : Tensor<T>();
    T* dbp = need_b ? db.data() : nullptr;
    if constexpr (std::is_same_v<T, float>) {
      if (!conv_empty(p)) onednn::conv2d_backward_weights(x.data(), dy.data(), dw.data(), dbp, p, &x_kept, &dy_kept);
      else conv2d_backward_weights_loop(x.data(), dy.data(), dw.data(), dbp, p);
    } else {
      conv2d_backward_weights_loop(x.data(), dy.data(), dw.data(), dbp, p);
    }
    if (need_w) grads[1] = std::move(dw);
    if (need_b) grads[2] = std::move(db);
  }
  return grads;
}

}  // namespace detail

/// 2-d convolution of x (N, C, H, W) (or unbatched (C, H, W)) with w (O, C/groups, kH, kW), plus bias
/// b (O) when given: y (N, O, OH, OW) (or (O, OH, OW)) with OH = (H + 2 padding - dilation (kH - 1) - 1)
/// / stride + 1 (floored), as PyTorch; padding "same" gives OH = H.
template <FloatElement T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const OptionalTensor<T>& b = std::nullopt,
                 const Conv2dOptions& o = {}) {
  const detail::ConvGeometry p = detail::conv2d_geometry(x, w, b, o);
  const Tensor<T> xc = x.contiguous(), wc = w.contiguous();
  const std::optional<Tensor<T>> bc = b ? std::optional<Tensor<T>>(b->contiguous()) : std::nullopt;
  auto y = x.dim() == 4 ? Tensor<T>::empty({p.n, p.o, p.oh, p.ow}, x.device())
                        : Tensor<T>::empty({p.o, p.oh, p.ow}, x.device());
  const bool need_b = b && b->requires_grad();
  const bool record = autograd::needs_grad(x, w) || (need_b && is_grad_enabled());
  const bool need_x = x.requires_grad(), need_w = w.requires_grad();
  detail::onednn::Kept x_kept;  // x as the forward reordered it, read again by backward-weights
  detail::conv2d_forward(xc.data(), wc.data(), bc ? bc->data() : nullptr, y.data(), p,
                         record && (need_w || need_b) ? &x_kept : nullptr);

  if (record) {
    auto backward = [sx = autograd::Saved<T>(need_w || need_b ? xc : Tensor<T>(), "conv2d"),
                     sw = autograd::Saved<T>(need_x ? wc : Tensor<T>(), "conv2d"), need_x, need_w, need_b,
                     has_b = b.has_value(), p, x_shape = x.shape(), x_kept](const Tensor<T>& g) {
      return detail::conv2d_backward(g, sx.get(), sw.get(), need_x, need_w, need_b, has_b, p, x_shape, x_kept);
    };
    if (b) autograd::record("conv2d", y, std::move(backward), x, w, *b);
    else autograd::record("conv2d", y, std::move(backward), x, w);
  }
  const auto crop = detail::conv2d_padding(o, p.kh, p.kw).second;  // "same" with an odd total
  if (crop[0]) y = y.narrow(-2, 1, p.oh - 1);
  if (crop[1]) y = y.narrow(-1, 1, p.ow - 1);
  return crop[0] || crop[1] ? y.contiguous() : y;
}

}  // namespace ember
