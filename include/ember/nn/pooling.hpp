#pragma once
// Pooling layers over (N, C, H, W) or unbatched (C, H, W): MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
#include <array>
#include <cstdint>
#include <sstream>

#include "ember/nn/module.hpp"
#include "ember/ops/pool.hpp"

namespace ember::nn {

namespace detail {

inline std::string pool_repr(const Pool2dOptions& o, bool max) {
  std::ostringstream os;
  auto pair = [&](const std::array<std::int64_t, 2>& a) { os << '(' << a[0] << ", " << a[1] << ')'; };
  os << "kernel_size=";
  pair(o.kernel);
  os << ", stride=";
  pair(o.stride.value_or(o.kernel));
  os << ", padding=";
  pair(o.padding);
  if (max) {
    os << ", dilation=";
    pair(o.dilation);
  }
  os << ", ceil_mode=" << (o.ceil_mode ? "True" : "False");
  if (!max) os << ", count_include_pad=" << (o.count_include_pad ? "True" : "False");
  return os.str();
}

}  // namespace detail

/// The maximum over each kernel window of (N, C, H, W) or (C, H, W), as torch.nn.MaxPool2d (stride
/// defaults to the kernel; return_indices is not supported): `MaxPool2d<float>({.kernel = {3, 3},
/// .stride = {{2, 2}}, .padding = {1, 1}, .ceil_mode = true})`.
template <FloatElement T = float>
class MaxPool2d : public Module<T> {
 public:
  explicit MaxPool2d(Pool2dOptions options) : Module<T>("MaxPool2d"), options(options) {}
  /// A kernel_size x kernel_size window moved by kernel_size.
  explicit MaxPool2d(std::int64_t kernel_size) : MaxPool2d(Pool2dOptions{.kernel = {kernel_size, kernel_size}}) {}
  Tensor<T> forward(const Tensor<T>& x) override { return max_pool2d(x, options); }
  std::string extra_repr() const override { return detail::pool_repr(options, true); }
  Pool2dOptions options;
};

/// The mean over each kernel window of (N, C, H, W) or (C, H, W), as torch.nn.AvgPool2d (stride defaults to
/// the kernel; options.dilation must stay 1; divisor_override is not supported).
template <FloatElement T = float>
class AvgPool2d : public Module<T> {
 public:
  explicit AvgPool2d(Pool2dOptions options) : Module<T>("AvgPool2d"), options(options) {}
  /// A kernel_size x kernel_size window moved by kernel_size.
  explicit AvgPool2d(std::int64_t kernel_size) : AvgPool2d(Pool2dOptions{.kernel = {kernel_size, kernel_size}}) {}
  Tensor<T> forward(const Tensor<T>& x) override { return avg_pool2d(x, options); }
  std::string extra_repr() const override { return detail::pool_repr(options, false); }
  Pool2dOptions options;
};

/// The mean over windows chosen so that the output is output_size (H', W'), as torch.nn.AdaptiveAvgPool2d.
template <FloatElement T = float>
class AdaptiveAvgPool2d : public Module<T> {
 public:
  explicit AdaptiveAvgPool2d(std::array<std::int64_t, 2> output_size)
      : Module<T>("AdaptiveAvgPool2d"), output_size(output_size) {}
  /// A square output_size x output_size output.
  explicit AdaptiveAvgPool2d(std::int64_t output_size) : AdaptiveAvgPool2d({output_size, output_size}) {}
  Tensor<T> forward(const Tensor<T>& x) override { return adaptive_avg_pool2d(x, output_size); }
  std::string extra_repr() const override {
    return "output_size=(" + std::to_string(output_size[0]) + ", " + std::to_string(output_size[1]) + ")";
  }
  std::array<std::int64_t, 2> output_size;
};

}  // namespace ember::nn
