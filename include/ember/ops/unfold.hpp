#pragma once
// unfold (im2col) and fold (col2im), as torch.nn.functional.unfold / fold. unfold is a grouped
// convolution whose one-hot weights copy each element of a kernel-sized patch to its own channel, and
// fold is the transposed convolution with the same weights (which sums overlapping patches), so both run
// on oneDNN's convolution primitives and take their gradients from them: fold is unfold's adjoint.
#include <array>
#include <cstdint>

#include "ember/ops/conv.hpp"
#include "ember/ops/conv_transpose.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// Kernel size, dilation, padding and stride of unfold / fold, per spatial axis (height, width).
struct UnfoldOptions {
  std::array<std::int64_t, 2> kernel_size{1, 1};
  std::array<std::int64_t, 2> dilation{1, 1};
  std::array<std::int64_t, 2> padding{0, 0};
  std::array<std::int64_t, 2> stride{1, 1};
};

namespace detail {

inline void check_unfold_options(const UnfoldOptions& o, const char* op) {
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(o.kernel_size[i] > 0, op, "kernel_size must be positive, got (", o.kernel_size[0], ", ",
                o.kernel_size[1], ")");
    EMBER_CHECK(o.dilation[i] > 0, op, "dilation must be positive, got (", o.dilation[0], ", ", o.dilation[1], ")");
    EMBER_CHECK(o.padding[i] >= 0, op, "padding must be non-negative, got (", o.padding[0], ", ", o.padding[1], ")");
    EMBER_CHECK(o.stride[i] > 0, op, "stride must be positive, got (", o.stride[0], ", ", o.stride[1], ")");
  }
}

/// (channels * kh * kw, 1, kh, kw): output channel c * kh * kw + i of a convolution with `channels` groups
/// copies element i of the patch of input channel c.
template <FloatElement T>
Tensor<T> patch_weights(std::int64_t channels, const std::array<std::int64_t, 2>& kernel, Device device) {
  const std::int64_t k = kernel[0] * kernel[1];
  Tensor<T> w = zeros<T>({channels * k, 1, kernel[0], kernel[1]});
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t i = 0; i < k; ++i) w.data()[(c * k + i) * k + i] = T(1);
  return device.is_cuda() ? w.to(device) : w;
}

/// The number of patch positions along one axis of extent n.
inline std::int64_t patch_count(std::int64_t n, const UnfoldOptions& o, int axis) {
  return (n + 2 * o.padding[axis] - o.dilation[axis] * (o.kernel_size[axis] - 1) - 1) / o.stride[axis] + 1;
}

}  // namespace detail

/// The sliding kernel-sized blocks of x (N, C, H, W) or (C, H, W), each flattened into a column:
/// (N, C * kh * kw, L) with L the number of block positions, channel-major as PyTorch lays them out.
template <FloatElement T>
Tensor<T> unfold(const Tensor<T>& x, const UnfoldOptions& o) {
  detail::check_unfold_options(o, "unfold");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, "unfold", "expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape ",
              x.shape());
  const Tensor<T> x4 = x.dim() == 3 ? unsqueeze(x, 0) : x;
  const std::int64_t n = x4.shape()[0], c = x4.shape()[1];
  const std::int64_t oh = detail::patch_count(x4.shape()[2], o, 0), ow = detail::patch_count(x4.shape()[3], o, 1);
  EMBER_CHECK(oh > 0 && ow > 0, "unfold", "the kernel (", o.kernel_size[0], ", ", o.kernel_size[1], ") with dilation (",
              o.dilation[0], ", ", o.dilation[1], ") and padding (", o.padding[0], ", ", o.padding[1],
              ") does not fit the input of shape ", x.shape());
  const Tensor<T> w = detail::patch_weights<T>(c, o.kernel_size, x.device());
  const Tensor<T> y = conv2d(x4, w, std::nullopt, Conv2dOptions{o.stride, Conv2dPadding(o.padding), o.dilation, c});
  const Tensor<T> cols = reshape(y, {n, c * o.kernel_size[0] * o.kernel_size[1], oh * ow});
  return x.dim() == 3 ? squeeze(cols, 0) : cols;
}

/// The inverse arrangement of unfold: the columns of x (N, C * kh * kw, L) or (C * kh * kw, L) put back as
/// blocks of an (N, C, H, W) output of output_size (H, W), overlapping blocks summed.
template <FloatElement T>
Tensor<T> fold(const Tensor<T>& x, const std::array<std::int64_t, 2>& output_size, const UnfoldOptions& o) {
  detail::check_unfold_options(o, "fold");
  EMBER_CHECK(x.dim() == 2 || x.dim() == 3, "fold", "expected a 2-d (C * kh * kw, L) or 3-d (N, C * kh * kw, L) "
              "input, got shape ", x.shape());
  const Tensor<T> x3 = x.dim() == 2 ? unsqueeze(x, 0) : x;
  const std::int64_t k = o.kernel_size[0] * o.kernel_size[1];
  EMBER_CHECK(x3.shape()[1] % k == 0, "fold", "expected size of input's dim 1 to be divisible by the product of "
              "kernel_size (", k, "), got shape ", x.shape());
  const std::int64_t oh = detail::patch_count(output_size[0], o, 0), ow = detail::patch_count(output_size[1], o, 1);
  EMBER_CHECK(oh > 0 && ow > 0 && x3.shape()[2] == oh * ow, "fold", "given output_size (", output_size[0], ", ",
              output_size[1], "), kernel_size (", o.kernel_size[0], ", ", o.kernel_size[1], "), dilation, padding and "
              "stride, expected input's dim 2 to be ", std::max<std::int64_t>(oh, 0) * std::max<std::int64_t>(ow, 0),
              ", got shape ", x.shape());
  const std::int64_t n = x3.shape()[0], c = x3.shape()[1] / k;
  ConvTranspose2dOptions t{o.stride, o.padding, {0, 0}, c, o.dilation};
  for (int i = 0; i < 2; ++i)  // the rows and columns that no block reaches, added back at the end
    t.output_padding[i] = output_size[i] - ((i ? ow : oh) - 1) * o.stride[i] + 2 * o.padding[i] -
                          o.dilation[i] * (o.kernel_size[i] - 1) - 1;
  const Tensor<T> w = detail::patch_weights<T>(c, o.kernel_size, x.device());
  const Tensor<T> y = conv_transpose2d(reshape(x3, {n, c * k, oh, ow}), w, std::nullopt, t);
  return x.dim() == 2 ? squeeze(y, 0) : y;
}

}  // namespace ember
