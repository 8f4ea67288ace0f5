#pragma once
// Pooling layers over (N, C, H, W) or unbatched (C, H, W): MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
#include <array>
#include <cstdint>
#include <sstream>

#include "ember/nn/module.hpp"
#include "ember/ops/pool.hpp"

namespace ember::nn {

namespace detail {

/// Checks that x is (N, C, H, W) or (C, H, W) for layer `op`.
template <FloatElement T>
void check_image_input(const Tensor<T>& x, const char* op) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, op, "expected input of shape (N, C, H, W) or (C, H, W), got shape ",
              x.shape());
}

/// f(x) on a 4-d view of x (an unbatched 3-d input gets a batch dim of 1 and loses it after).
template <FloatElement T, class F>
Tensor<T> batched(const Tensor<T>& x, F&& f) {
  if (x.dim() == 3) return f(x.unsqueeze(0)).squeeze(0);
  return f(x);
}

inline std::string pool_repr(const Pool2dOptions& o) {
  std::ostringstream os;
  auto pair = [&](const std::array<std::int64_t, 2>& a) { os << '(' << a[0] << ", " << a[1] << ')'; };
  os << "kernel_size=";
  pair(o.kernel);
  os << ", stride=";
  pair(o.stride.value_or(o.kernel));
  os << ", padding=";
  pair(o.padding);
  return os.str();
}

}  // namespace detail

/// The maximum over each kernel window, as torch.nn.MaxPool2d (stride defaults to the kernel).
template <FloatElement T = float>
class MaxPool2d : public Module<T> {
 public:
  explicit MaxPool2d(Pool2dOptions options) : Module<T>("MaxPool2d"), options(options) {}
  /// A kernel_size x kernel_size window moved by kernel_size.
  explicit MaxPool2d(std::int64_t kernel_size) : MaxPool2d(Pool2dOptions{.kernel = {kernel_size, kernel_size}}) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    detail::check_image_input(x, "MaxPool2d");
    return detail::batched(x, [&](const Tensor<T>& v) { return max_pool2d(v, options); });
  }
  std::string extra_repr() const override { return detail::pool_repr(options); }
  Pool2dOptions options;
};

/// The mean over each kernel window, as torch.nn.AvgPool2d (stride defaults to the kernel).
template <FloatElement T = float>
class AvgPool2d : public Module<T> {
 public:
  explicit AvgPool2d(Pool2dOptions options) : Module<T>("AvgPool2d"), options(options) {}
  /// A kernel_size x kernel_size window moved by kernel_size.
  explicit AvgPool2d(std::int64_t kernel_size) : AvgPool2d(Pool2dOptions{.kernel = {kernel_size, kernel_size}}) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    detail::check_image_input(x, "AvgPool2d");
    return detail::batched(x, [&](const Tensor<T>& v) { return avg_pool2d(v, options); });
  }
  std::string extra_repr() const override { return detail::pool_repr(options); }
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
  Tensor<T> forward(const Tensor<T>& x) override {
    detail::check_image_input(x, "AdaptiveAvgPool2d");
    return detail::batched(x, [&](const Tensor<T>& v) { return adaptive_avg_pool2d(v, output_size); });
  }
  std::string extra_repr() const override {
    return "output_size=(" + std::to_string(output_size[0]) + ", " + std::to_string(output_size[1]) + ")";
  }
  std::array<std::int64_t, 2> output_size;
};

}  // namespace ember::nn
