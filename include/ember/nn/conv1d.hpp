#pragma once
// 1-d layers over (N, C, L) or unbatched (C, L): Conv1d, MaxPool1d, AvgPool1d, AdaptiveAvgPool1d,
// AdaptiveMaxPool1d, and AdaptiveMaxPool2d over (N, C, H, W), as torch.nn's.
#include <array>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/conv1d.hpp"
#include "ember/ops/spatial.hpp"

namespace ember::nn {

/// Conv1d's settings besides the channels and kernel size (torch.nn.Conv1d's names and defaults; padding is
/// a size, "same" or "valid"; padding_mode "zeros", "reflect", "replicate" or "circular").
struct Conv1dOptions {
  std::int64_t stride = 1;
  Conv2dPadding padding{};  // an explicit size: both entries hold it
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
};

/// Checks Conv1d's constructor arguments (the Python ember.nn.Conv1d calls this too).
inline void check_conv1d_layer(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                               const Conv1dOptions& o) {
  constexpr const char* op = "Conv1d";
  EMBER_CHECK(in_channels > 0 && out_channels > 0, op, "in_channels and out_channels must be positive, got ",
              in_channels, " and ", out_channels);
  EMBER_CHECK(kernel_size > 0, op, "kernel_size must be positive, got ", kernel_size);
  EMBER_CHECK(o.groups > 0 && in_channels % o.groups == 0 && out_channels % o.groups == 0, op, "in_channels (",
              in_channels, ") and out_channels (", out_channels, ") must be divisible by groups (", o.groups, ")");
  const auto& m = o.padding_mode;
  EMBER_CHECK(m == "zeros" || m == "reflect" || m == "replicate" || m == "circular", op,
              "padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got '", m, "'");
  Conv2dPadding pad = o.padding;
  if (pad.mode == Conv2dPadding::Mode::explicit_) pad.size = {0, pad.size[1]};
  ember::detail::check_conv2d_options({{1, o.stride}, pad, {1, o.dilation}, o.groups}, op);
}

/// A 1-D convolution layer: x (N, in_channels, L) (or (C, L)) -> (N, out_channels, L'), weight
/// (out_channels, in_channels / groups, k), initialised as PyTorch does. `Conv1d<float>(4, 8, 3, {.padding = 1})`.
template <FloatElement T = float>
class Conv1d : public Module<T> {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv1dOptions options = {},
         Generator& gen = default_generator())
      : Module<T>("Conv1d"), in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size),
        options(options) {
    check_conv1d_layer(in_channels, out_channels, kernel_size, options);
    weight = this->register_parameter("weight",
                                      Tensor<T>::empty({out_channels, in_channels / options.groups, kernel_size}));
    if (options.bias) bias = this->register_parameter("bias", Tensor<T>::empty({out_channels}));
    reset_parameters(gen);
  }

  /// Draws fresh initial values, as the constructor does.
  void reset_parameters(Generator& gen = default_generator()) {
    init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
    if (bias.defined()) {
      const auto fan_in = static_cast<double>(init::calculate_fan_in_and_fan_out(weight).first);
      init::uniform_(bias, -1.0 / std::sqrt(fan_in), 1.0 / std::sqrt(fan_in), gen);
    }
  }

  /// x (N, C, L) or (C, L) -> (N, O, L') or (O, L'); a non-zero padding_mode pads with pad() first, as PyTorch.
  Tensor<T> forward(const Tensor<T>& x) override {
    const auto& pad_opt = options.padding;
    if (options.padding_mode != "zeros" && pad_opt.mode != Conv2dPadding::Mode::valid) {
      std::int64_t l = pad_opt.size[1], r = pad_opt.size[1];
      if (pad_opt.mode == Conv2dPadding::Mode::same) {
        const std::int64_t total = options.dilation * (kernel_size - 1);
        l = total / 2, r = total - total / 2;
      }
      return conv1d(pad(x, {l, r}, options.padding_mode), weight, if_defined(bias),
                    ember::Conv1dOptions{options.stride, Conv2dPadding(0), options.dilation, options.groups});
    }
    return conv1d(x, weight, if_defined(bias),
                  ember::Conv1dOptions{options.stride, pad_opt, options.dilation, options.groups});
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << in_channels << ", " << out_channels << ", kernel_size=(" << kernel_size << ",), stride=(" << options.stride
       << ",)";
    if (options.padding.mode != Conv2dPadding::Mode::explicit_) os << ", padding=" << options.padding.str();
    else if (options.padding.size[1] != 0) os << ", padding=(" << options.padding.size[1] << ",)";
    if (options.dilation != 1) os << ", dilation=(" << options.dilation << ",)";
    if (options.groups != 1) os << ", groups=" << options.groups;
    if (!bias.defined()) os << ", bias=False";
    if (options.padding_mode != "zeros") os << ", padding_mode=" << options.padding_mode;
    return os.str();
  }

  std::int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions options;
  Tensor<T> weight;  // (out_channels, in_channels / groups, k)
  Tensor<T> bias;    // (out_channels), undefined without bias
};

/// The maximum over each window of (N, C, L) or (C, L), as torch.nn.MaxPool1d:
/// `MaxPool1d<float>({.kernel = 3, .stride = 2, .padding = 1})`.
template <FloatElement T = float>
class MaxPool1d : public Module<T> {
 public:
  explicit MaxPool1d(Pool1dOptions options) : Module<T>("MaxPool1d"), options(options) {}
  explicit MaxPool1d(std::int64_t kernel_size) : MaxPool1d(Pool1dOptions{.kernel = kernel_size}) {}
  Tensor<T> forward(const Tensor<T>& x) override { return max_pool1d(x, options); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "kernel_size=" << options.kernel << ", stride=" << options.stride.value_or(options.kernel)
       << ", padding=" << options.padding << ", dilation=" << options.dilation
       << ", ceil_mode=" << (options.ceil_mode ? "True" : "False");
    return os.str();
  }
  Pool1dOptions options;
};

/// The mean over each window of (N, C, L) or (C, L), as torch.nn.AvgPool1d.
template <FloatElement T = float>
class AvgPool1d : public Module<T> {
 public:
  explicit AvgPool1d(Pool1dOptions options) : Module<T>("AvgPool1d"), options(options) {}
  explicit AvgPool1d(std::int64_t kernel_size) : AvgPool1d(Pool1dOptions{.kernel = kernel_size}) {}
  Tensor<T> forward(const Tensor<T>& x) override { return avg_pool1d(x, options); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "kernel_size=(" << options.kernel << ",), stride=(" << options.stride.value_or(options.kernel)
       << ",), padding=(" << options.padding << ",)";
    return os.str();
  }
  Pool1dOptions options;
};

/// Average pooling of (N, C, L) or (C, L) to output_size, as torch.nn.AdaptiveAvgPool1d.
template <FloatElement T = float>
class AdaptiveAvgPool1d : public Module<T> {
 public:
  explicit AdaptiveAvgPool1d(std::int64_t output_size) : Module<T>("AdaptiveAvgPool1d"), output_size(output_size) {}
  Tensor<T> forward(const Tensor<T>& x) override { return adaptive_avg_pool1d(x, output_size); }
  std::string extra_repr() const override { return "output_size=" + std::to_string(output_size); }
  std::int64_t output_size;
};

/// Max pooling of (N, C, L) or (C, L) to output_size, as torch.nn.AdaptiveMaxPool1d.
template <FloatElement T = float>
class AdaptiveMaxPool1d : public Module<T> {
 public:
  explicit AdaptiveMaxPool1d(std::int64_t output_size) : Module<T>("AdaptiveMaxPool1d"), output_size(output_size) {}
  Tensor<T> forward(const Tensor<T>& x) override { return adaptive_max_pool1d(x, output_size); }
  std::string extra_repr() const override { return "output_size=" + std::to_string(output_size); }
  std::int64_t output_size;
};

/// Max pooling of (N, C, H, W) or (C, H, W) to output_size (OH, OW), as torch.nn.AdaptiveMaxPool2d.
template <FloatElement T = float>
class AdaptiveMaxPool2d : public Module<T> {
 public:
  explicit AdaptiveMaxPool2d(std::array<std::int64_t, 2> output_size)
      : Module<T>("AdaptiveMaxPool2d"), output_size(output_size) {}
  explicit AdaptiveMaxPool2d(std::int64_t output_size) : AdaptiveMaxPool2d({output_size, output_size}) {}
  Tensor<T> forward(const Tensor<T>& x) override { return adaptive_max_pool2d(x, output_size); }
  std::string extra_repr() const override {
    return "output_size=(" + std::to_string(output_size[0]) + ", " + std::to_string(output_size[1]) + ")";
  }
  std::array<std::int64_t, 2> output_size;
};

}  // namespace ember::nn
