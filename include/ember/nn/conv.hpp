#pragma once
// Conv2d<T>: 2-D convolution over (N, C, H, W), as torch.nn.Conv2d (weight (O, C/groups, kH, kW), bias (O)).
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/conv.hpp"

namespace ember::nn {

/// Conv2d's settings besides the channels and kernel size (torch.nn.Conv2d's names and defaults; padding
/// is `1`, `{1, 2}`, "same" or "valid"; padding_mode "zeros" is the only one supported).
struct Conv2dOptions {
  std::array<std::int64_t, 2> stride{1, 1};
  Conv2dPadding padding{};
  std::array<std::int64_t, 2> dilation{1, 1};
  std::int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
};

/// Checks Conv2d's constructor arguments (the Python ember.nn.Conv2d calls this too).
inline void check_conv2d_layer(std::int64_t in_channels, std::int64_t out_channels,
                               std::array<std::int64_t, 2> kernel_size, const Conv2dOptions& o) {
  constexpr const char* op = "Conv2d";
  const std::int64_t g = o.groups;
  EMBER_CHECK(in_channels > 0 && out_channels > 0, op, "in_channels and out_channels must be positive, got ",
              in_channels, " and ", out_channels);
  EMBER_CHECK(kernel_size[0] > 0 && kernel_size[1] > 0, op, "kernel_size must be positive, got (", kernel_size[0],
              ", ", kernel_size[1], ")");
  EMBER_CHECK(g > 0 && in_channels % g == 0 && out_channels % g == 0, op, "in_channels (", in_channels,
              ") and out_channels (", out_channels, ") must be divisible by groups (", g, ")");
  EMBER_CHECK(o.padding_mode == "zeros", op, "padding_mode '", o.padding_mode,
              "' is not supported (only 'zeros'; PyTorch also has 'reflect', 'replicate' and 'circular')");
  ember::detail::check_conv2d_options({o.stride, o.padding, o.dilation, o.groups}, op);
}

/// A 2-D convolution layer: x (N, in_channels, H, W) (or unbatched (C, H, W)) -> (N, out_channels, H', W'),
/// initialised as PyTorch does (kaiming_uniform_ with a = sqrt(5), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
/// `Conv2d<float>(1, 16, 3, {.padding = 1})`, `Conv2d<float>(4, 8, {3, 2}, {.padding = "same", .groups = 2})`.
template <FloatElement T = float>
class Conv2d : public Module<T> {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::array<std::int64_t, 2> kernel_size,
         Conv2dOptions options = {}, Generator& gen = default_generator())
      : Module<T>("Conv2d"), in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size),
        options(options) {
    check_conv2d_layer(in_channels, out_channels, kernel_size, options);
    weight = this->register_parameter(
        "weight", Tensor<T>::empty({out_channels, in_channels / options.groups, kernel_size[0], kernel_size[1]}));
    if (options.bias) bias = this->register_parameter("bias", Tensor<T>::empty({out_channels}));
    reset_parameters(gen);
  }
  /// A square kernel_size x kernel_size convolution.
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv2dOptions options = {},
         Generator& gen = default_generator())
      : Conv2d(in_channels, out_channels, {kernel_size, kernel_size}, options, gen) {}

  /// Draws fresh initial values, as the constructor does.
  void reset_parameters(Generator& gen = default_generator()) {
    init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
    if (bias.defined()) {
      const auto fan_in = init::calculate_fan_in_and_fan_out(weight).first;
      init::uniform_(bias, -1.0 / std::sqrt(static_cast<double>(fan_in)), 1.0 / std::sqrt(static_cast<double>(fan_in)),
                     gen);
    }
  }

  /// x (N, C, H, W) or (C, H, W) -> (N, O, H', W') or (O, H', W').
  Tensor<T> forward(const Tensor<T>& x) override {
    return conv2d(x, weight, if_defined(bias),
                  ember::Conv2dOptions{options.stride, options.padding, options.dilation, options.groups});
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    auto pair = [&](const std::array<std::int64_t, 2>& a) { os << '(' << a[0] << ", " << a[1] << ')'; };
    os << in_channels << ", " << out_channels << ", kernel_size=";
    pair(kernel_size);
    os << ", stride=";
    pair(options.stride);
    if (options.padding.mode != Conv2dPadding::Mode::explicit_) os << ", padding=" << options.padding.str();
    else if (options.padding.size != std::array<std::int64_t, 2>{0, 0}) os << ", padding=", pair(options.padding.size);
    if (options.dilation != std::array<std::int64_t, 2>{1, 1}) os << ", dilation=", pair(options.dilation);
    if (options.groups != 1) os << ", groups=" << options.groups;
    if (!bias.defined()) os << ", bias=False";
    if (options.padding_mode != "zeros") os << ", padding_mode='" << options.padding_mode << "'";
    return os.str();
  }

  std::int64_t in_channels, out_channels;
  std::array<std::int64_t, 2> kernel_size;
  Conv2dOptions options;
  Tensor<T> weight;  // (out_channels, in_channels / groups, kH, kW)
  Tensor<T> bias;    // (out_channels), undefined without bias
};

}  // namespace ember::nn
