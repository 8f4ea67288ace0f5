#pragma once
// ConvTranspose1d<T> / ConvTranspose2d<T>: transposed convolution layers, as torch.nn.ConvTranspose1d/2d
// (weight (in_channels, out_channels / groups, kH, kW), bias (out_channels), PyTorch's initialization).
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/conv_transpose.hpp"

namespace ember::nn {

/// ConvTranspose2d's settings besides the channels and kernel size (torch.nn.ConvTranspose2d's names
/// and defaults; padding_mode "zeros" is the only one PyTorch supports too).
struct ConvTranspose2dOptions {
  std::array<std::int64_t, 2> stride{1, 1};
  std::array<std::int64_t, 2> padding{0, 0};
  std::array<std::int64_t, 2> output_padding{0, 0};
  std::int64_t groups = 1;
  bool bias = true;
  std::array<std::int64_t, 2> dilation{1, 1};
  std::string padding_mode = "zeros";
};

/// Checks a ConvTranspose layer's constructor arguments (the Python ember.nn.ConvTranspose1d/2d call this too).
inline void check_conv_transpose_layer(std::int64_t in_channels, std::int64_t out_channels,
                                       std::array<std::int64_t, 2> kernel_size, const ConvTranspose2dOptions& o,
                                       const char* op = "ConvTranspose2d") {
  const std::int64_t g = o.groups;
  EMBER_CHECK(in_channels > 0 && out_channels > 0, op, "in_channels and out_channels must be positive, got ",
              in_channels, " and ", out_channels);
  EMBER_CHECK(kernel_size[0] > 0 && kernel_size[1] > 0, op, "kernel_size must be positive, got (", kernel_size[0],
              ", ", kernel_size[1], ")");
  EMBER_CHECK(g > 0 && in_channels % g == 0 && out_channels % g == 0, op, "in_channels (", in_channels,
              ") and out_channels (", out_channels, ") must be divisible by groups (", g, ")");
  EMBER_CHECK(o.padding_mode == "zeros", op, "only 'zeros' padding mode is supported, got padding_mode '",
              o.padding_mode, "'");
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(o.stride[i] >= 1 && o.dilation[i] >= 1 && o.padding[i] >= 0, op,
                "stride and dilation must be positive and padding non-negative");
    EMBER_CHECK(o.output_padding[i] >= 0 && (o.output_padding[i] < o.stride[i] || o.output_padding[i] < o.dilation[i]),
                op, "output_padding must be smaller than either stride or dilation, got output_padding (",
                o.output_padding[0], ", ", o.output_padding[1], "), stride (", o.stride[0], ", ", o.stride[1],
                "), dilation (", o.dilation[0], ", ", o.dilation[1], ")");
  }
}

/// A 2-D transposed convolution layer: x (N, in_channels, H, W) (or (C, H, W)) -> (N, out_channels, H', W'),
/// initialised as PyTorch does. `ConvTranspose2d<float>(64, 32, 4, {.stride = {2, 2}, .padding = {1, 1}})`.
template <FloatElement T = float>
class ConvTranspose2d : public Module<T> {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, std::array<std::int64_t, 2> kernel_size,
                  ConvTranspose2dOptions options = {}, Generator& gen = default_generator())
      : ConvTranspose2d(in_channels, out_channels, kernel_size, options, gen, "ConvTranspose2d") {}
  /// A square kernel_size x kernel_size kernel.
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                  ConvTranspose2dOptions options = {}, Generator& gen = default_generator())
      : ConvTranspose2d(in_channels, out_channels, {kernel_size, kernel_size}, options, gen) {}

  /// Draws fresh initial values, as the constructor does (Conv2d's rule on this weight layout).
  void reset_parameters(Generator& gen = default_generator()) {
    init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
    if (bias.defined()) {
      const auto fan_in = static_cast<double>(init::calculate_fan_in_and_fan_out(weight).first);
      init::uniform_(bias, -1.0 / std::sqrt(fan_in), 1.0 / std::sqrt(fan_in), gen);
    }
  }

  /// x (N, C, H, W) or (C, H, W) -> (N, O, H', W') or (O, H', W').
  Tensor<T> forward(const Tensor<T>& x) override { return forward(x, std::nullopt); }
  /// As forward(x), with the output padding chosen so that the output's spatial size is output_size's
  /// last two entries (torch's forward(input, output_size)).
  Tensor<T> forward(const Tensor<T>& x, const std::optional<std::vector<std::int64_t>>& output_size) {
    ember::ConvTranspose2dOptions o{options.stride, options.padding, options.output_padding, options.groups,
                                    options.dilation};
    if (output_size && x.dim() >= 2)
      o.output_padding = conv_transpose_output_padding({x.size(-2), x.size(-1)}, *output_size, kernel_size, o, 2,
                                                       this->type_name().c_str());
    return conv_transpose2d(x, weight, if_defined(bias), o);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    auto pair = [&](const std::array<std::int64_t, 2>& a) { os << '(' << a[0] << ", " << a[1] << ')'; };
    os << in_channels << ", " << out_channels << ", kernel_size=";
    pair(kernel_size);
    os << ", stride=";
    pair(options.stride);
    if (options.padding != std::array<std::int64_t, 2>{0, 0}) os << ", padding=", pair(options.padding);
    if (options.output_padding != std::array<std::int64_t, 2>{0, 0})
      os << ", output_padding=", pair(options.output_padding);
    if (options.dilation != std::array<std::int64_t, 2>{1, 1}) os << ", dilation=", pair(options.dilation);
    if (options.groups != 1) os << ", groups=" << options.groups;
    if (!bias.defined()) os << ", bias=False";
    return os.str();
  }

  std::int64_t in_channels, out_channels;
  std::array<std::int64_t, 2> kernel_size;
  ConvTranspose2dOptions options;
  Tensor<T> weight;  // (in_channels, out_channels / groups, kH, kW)
  Tensor<T> bias;    // (out_channels), undefined without bias

 protected:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, std::array<std::int64_t, 2> kernel_size,
                  ConvTranspose2dOptions options, Generator& gen, const char* name)
      : Module<T>(name), in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size),
        options(options) {
    check_conv_transpose_layer(in_channels, out_channels, kernel_size, options, name);
    weight = this->register_parameter(
        "weight", Tensor<T>::empty({in_channels, out_channels / options.groups, kernel_size[0], kernel_size[1]}));
    if (options.bias) bias = this->register_parameter("bias", Tensor<T>::empty({out_channels}));
    reset_parameters(gen);
  }
};

/// ConvTranspose1d's settings (torch.nn.ConvTranspose1d's names and defaults).
struct ConvTranspose1dOptions {
  std::int64_t stride = 1, padding = 0, output_padding = 0, groups = 1;
  bool bias = true;
  std::int64_t dilation = 1;
  std::string padding_mode = "zeros";
};

/// A 1-D transposed convolution layer: x (N, in_channels, L) (or (C, L)) -> (N, out_channels, L'), with
/// weight (in_channels, out_channels / groups, k). `ConvTranspose1d<float>(16, 8, 3, {.stride = 2})`.
template <FloatElement T = float>
class ConvTranspose1d : public Module<T> {
 public:
  ConvTranspose1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                  ConvTranspose1dOptions options = {}, Generator& gen = default_generator())
      : Module<T>("ConvTranspose1d"), in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size),
        options(options) {
    check_conv_transpose_layer(in_channels, out_channels, {1, kernel_size}, as_2d(), "ConvTranspose1d");
    weight = this->register_parameter("weight",
                                      Tensor<T>::empty({in_channels, out_channels / options.groups, kernel_size}));
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

  Tensor<T> forward(const Tensor<T>& x) override { return forward(x, std::nullopt); }
  /// As forward(x), with the output padding that gives output_size's last entry as the length.
  Tensor<T> forward(const Tensor<T>& x, const std::optional<std::vector<std::int64_t>>& output_size) {
    ember::ConvTranspose1dOptions o{options.stride, options.padding, options.output_padding, options.groups,
                                    options.dilation};
    if (output_size && x.dim() >= 1) {
      const auto op = conv_transpose_output_padding({1, x.size(-1)}, *output_size, {1, kernel_size},
                                                    ember::ConvTranspose2dOptions{{1, o.stride}, {0, o.padding}, {0, 0},
                                                                                  o.groups, {1, o.dilation}},
                                                    1, "ConvTranspose1d");
      o.output_padding = op[1];
    }
    return conv_transpose1d(x, weight, if_defined(bias), o);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << in_channels << ", " << out_channels << ", kernel_size=(" << kernel_size << ",), stride=(" << options.stride
       << ",)";
    if (options.padding != 0) os << ", padding=(" << options.padding << ",)";
    if (options.output_padding != 0) os << ", output_padding=(" << options.output_padding << ",)";
    if (options.dilation != 1) os << ", dilation=(" << options.dilation << ",)";
    if (options.groups != 1) os << ", groups=" << options.groups;
    if (!bias.defined()) os << ", bias=False";
    return os.str();
  }

  std::int64_t in_channels, out_channels, kernel_size;
  ConvTranspose1dOptions options;
  Tensor<T> weight;  // (in_channels, out_channels / groups, k)
  Tensor<T> bias;    // (out_channels), undefined without bias

 private:
  ConvTranspose2dOptions as_2d() const {
    return {{1, options.stride}, {0, options.padding}, {0, options.output_padding}, options.groups, options.bias,
            {1, options.dilation}, options.padding_mode};
  }
};

}  // namespace ember::nn
