// Transposed and 1-d convolution, 1-d and adaptive max pooling, pixel shuffle, interpolate, pad, grid_sample
// and affine_grid, as
// ember.<name> (ember.nn.functional adapts PyTorch's arguments to them), and the ConvTranspose layer checks
// that ember.nn's constructors and forwards share with ember::nn.
#include "common.hpp"
#include "ember/nn/conv1d.hpp"
#include "ember/nn/conv_transpose.hpp"
#include "ember/nn/spatial.hpp"
#include "ember/ops/conv1d.hpp"
#include "ember/ops/conv_transpose.hpp"
#include "ember/ops/grid_sample.hpp"
#include "ember/ops/spatial.hpp"

namespace ember::python {

namespace {

using OptTensor = std::optional<AnyTensor>;
using Pair = std::array<std::int64_t, 2>;

/// An int or a 1-tuple of ints (a 1-d op's size argument).
std::int64_t single_arg(py::handle h, const char* op, const char* name) {
  if (py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h)) {
    const auto s = py::reinterpret_borrow<py::sequence>(h);
    EMBER_CHECK(s.size() == 1, op, name, " must be an int or a 1-tuple of ints, got ", s.size(), " values");
    return int64_from_py(s[0], op);
  }
  return int64_from_py(h, op);
}

template <class F>
AnyTensor float_op(const AnyTensor& input, const char* op, F&& f) {
  MaybeReleaseGil g(input.numel());
  return visit_float(input, op, [&](const auto& x) { return AnyTensor(f(x)); });
}

}  // namespace

void bind_spatial(py::module_& m) {
  m.def(
      "conv_transpose2d",
      [](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias, py::handle stride, py::handle padding,
         py::handle output_padding, std::int64_t groups, py::handle dilation) {
        constexpr const char* op = "conv_transpose2d";
        const ConvTranspose2dOptions o{pair_from_py(stride, op, "stride"), pair_from_py(padding, op, "padding"),
                                       pair_from_py(output_padding, op, "output_padding"), groups,
                                       pair_from_py(dilation, op, "dilation")};
        return float_op(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return conv_transpose2d(x, *optional_arg<T>(weight, op, "weight"), optional_arg<T>(bias, op, "bias"), o);
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1,
      "2-d transposed convolution of input (N, C_in, H, W) or (C_in, H, W) with weight (C_in, C_out/groups, kH, kW), "
      "plus bias (C_out).");

  m.def(
      "conv_transpose1d",
      [](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias, py::handle stride, py::handle padding,
         py::handle output_padding, std::int64_t groups, py::handle dilation) {
        constexpr const char* op = "conv_transpose1d";
        const ConvTranspose1dOptions o{single_arg(stride, op, "stride"), single_arg(padding, op, "padding"),
                                       single_arg(output_padding, op, "output_padding"), groups,
                                       single_arg(dilation, op, "dilation")};
        return float_op(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return conv_transpose1d(x, *optional_arg<T>(weight, op, "weight"), optional_arg<T>(bias, op, "bias"), o);
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1,
      "1-d transposed convolution of input (N, C_in, L) or (C_in, L) with weight (C_in, C_out/groups, k), "
      "plus bias (C_out).");

  m.def(
      "_conv_transpose_output_padding",
      [](Pair in, std::vector<std::int64_t> output_size, Pair kernel, Pair stride, Pair padding, Pair dilation,
         int spatial_dims, const std::string& op) {
        const ConvTranspose2dOptions o{stride, padding, {0, 0}, 1, dilation};
        return conv_transpose_output_padding(in, output_size, kernel, o, spatial_dims, op.c_str());
      },
      "The output_padding that gives a ConvTranspose layer's output the size output_size (torch's forward(x, "
      "output_size)).");

  m.def(
      "_check_conv_transpose_layer",
      [](std::int64_t in, std::int64_t out, Pair kernel, Pair stride, Pair padding, Pair output_padding,
         std::int64_t groups, Pair dilation, const std::string& padding_mode, const std::string& op) {
        nn::check_conv_transpose_layer(in, out, kernel,
                                       {stride, padding, output_padding, groups, true, dilation, padding_mode},
                                       op.c_str());
      },
      "ember::nn::ConvTranspose1d/2d's constructor checks.");

  m.def(
      "_check_conv1d_layer",
      [](std::int64_t in, std::int64_t out, py::handle kernel, py::handle stride, py::handle padding,
         py::handle dilation, std::int64_t groups, const std::string& padding_mode) {
        constexpr const char* op = "Conv1d";
        nn::Conv1dOptions o{single_arg(stride, op, "stride"), {}, single_arg(dilation, op, "dilation"), groups, true,
                            padding_mode};
        o.padding = py::isinstance<py::str>(padding) ? Conv2dPadding(padding.cast<std::string>())
                                                     : Conv2dPadding(single_arg(padding, op, "padding"));
        nn::check_conv1d_layer(in, out, single_arg(kernel, op, "kernel_size"), o);
      },
      "ember::nn::Conv1d's constructor checks.");

  m.def(
      "conv1d",
      [](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias, py::handle stride, py::handle padding,
         py::handle dilation, std::int64_t groups) {
        constexpr const char* op = "conv1d";
        Conv1dOptions o{single_arg(stride, op, "stride"), {}, single_arg(dilation, op, "dilation"), groups};
        o.padding = py::isinstance<py::str>(padding) ? Conv2dPadding(padding.cast<std::string>())
                                                     : Conv2dPadding(0, single_arg(padding, op, "padding"));
        return float_op(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return conv1d(x, *optional_arg<T>(weight, op, "weight"), optional_arg<T>(bias, op, "bias"), o);
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1,
      "1-d convolution of input (N, C, L) or (C, L) with weight (O, C/groups, k), plus bias (O); padding is an int, "
      "'same' or 'valid'.");

  m.def(
      "max_pool1d",
      [](const AnyTensor& input, py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation,
         bool ceil_mode) {
        constexpr const char* op = "max_pool1d";
        Pool1dOptions o{single_arg(kernel_size, op, "kernel_size"), std::nullopt, single_arg(padding, op, "padding"),
                        single_arg(dilation, op, "dilation"), ceil_mode, true};
        if (!stride.is_none()) o.stride = single_arg(stride, op, "stride");
        return float_op(input, op, [&](const auto& x) { return max_pool1d(x, o); });
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false,
      "The maximum over each kernel_size window of input (N, C, L) or (C, L); stride defaults to kernel_size.");

  m.def(
      "avg_pool1d",
      [](const AnyTensor& input, py::handle kernel_size, py::handle stride, py::handle padding, bool ceil_mode,
         bool count_include_pad) {
        constexpr const char* op = "avg_pool1d";
        Pool1dOptions o{single_arg(kernel_size, op, "kernel_size"), std::nullopt, single_arg(padding, op, "padding"),
                        1, ceil_mode, count_include_pad};
        if (!stride.is_none()) o.stride = single_arg(stride, op, "stride");
        return float_op(input, op, [&](const auto& x) { return avg_pool1d(x, o); });
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
      "The mean over each kernel_size window of input (N, C, L) or (C, L); stride defaults to kernel_size.");

  m.def(
      "adaptive_avg_pool1d",
      [](const AnyTensor& input, py::handle output_size) {
        const std::int64_t s = single_arg(output_size, "adaptive_avg_pool1d", "output_size");
        return float_op(input, "adaptive_avg_pool1d", [&](const auto& x) { return adaptive_avg_pool1d(x, s); });
      },
      py::arg("input"), py::arg("output_size"),
      "The mean over output_size windows that tile input (N, C, L) or (C, L) as evenly as possible.");

  m.def(
      "adaptive_max_pool1d",
      [](const AnyTensor& input, py::handle output_size) {
        const std::int64_t s = single_arg(output_size, "adaptive_max_pool1d", "output_size");
        return float_op(input, "adaptive_max_pool1d", [&](const auto& x) { return adaptive_max_pool1d(x, s); });
      },
      py::arg("input"), py::arg("output_size"),
      "The maximum over output_size windows that tile input (N, C, L) or (C, L) as evenly as possible.");

  m.def(
      "adaptive_max_pool2d",
      [](const AnyTensor& input, py::handle output_size) {
        const Pair s = pair_from_py(output_size, "adaptive_max_pool2d", "output_size");
        return float_op(input, "adaptive_max_pool2d", [&](const auto& x) { return adaptive_max_pool2d(x, s); });
      },
      py::arg("input"), py::arg("output_size"),
      "The maximum over output_size windows that tile input (N, C, H, W) or (C, H, W) as evenly as possible.");

  m.def(
      "pixel_shuffle",
      [](const AnyTensor& input, std::int64_t r) {
        return float_op(input, "pixel_shuffle", [&](const auto& x) { return pixel_shuffle(x, r); });
      },
      py::arg("input"), py::arg("upscale_factor"), "Rearranges ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``.");

  m.def(
      "pixel_unshuffle",
      [](const AnyTensor& input, std::int64_t r) {
        return float_op(input, "pixel_unshuffle", [&](const auto& x) { return pixel_unshuffle(x, r); });
      },
      py::arg("input"), py::arg("downscale_factor"), "Rearranges ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)``.");

  m.def(
      "_interpolate",
      [](const AnyTensor& input, std::vector<std::int64_t> size, std::vector<double> scale_factor,
         const std::string& mode, std::optional<bool> align_corners, std::optional<bool> recompute_scale_factor) {
        const InterpolateOptions o{std::move(size), std::move(scale_factor), mode, align_corners,
                                   recompute_scale_factor};
        return float_op(input, "interpolate", [&](const auto& x) { return interpolate(x, o); });
      },
      py::arg("input"), py::arg("size"), py::arg("scale_factor"), py::arg("mode") = "nearest",
      py::arg("align_corners") = py::none(), py::arg("recompute_scale_factor") = py::none(),
      "Resizes the spatial dims of input (N, C, L) or (N, C, H, W) (ember.nn.functional.interpolate).");

  m.def(
      "_pad",
      [](const AnyTensor& input, std::vector<std::int64_t> pad_sizes, const std::string& mode, double value) {
        return float_op(input, "pad", [&](const auto& x) { return pad(x, pad_sizes, mode, value); });
      },
      py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = 0.0,
      "Pads the last len(pad) / 2 dims of input (ember.nn.functional.pad).");

  m.def(
      "_grid_sample",
      [](const AnyTensor& input, const AnyTensor& grid, const std::string& mode, const std::string& padding_mode,
         bool align_corners) {
        constexpr const char* op = "grid_sample";
        return float_op(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return grid_sample(x, *optional_arg<T>(grid, op, "grid"), mode, padding_mode, align_corners);
        });
      },
      py::arg("input"), py::arg("grid"), py::arg("mode") = "bilinear", py::arg("padding_mode") = "zeros",
      py::arg("align_corners") = false,
      "Samples input (N, C, H, W) at grid (N, H_out, W_out, 2) (ember.nn.functional.grid_sample).");

  m.def(
      "_affine_grid",
      [](const AnyTensor& theta, std::vector<std::int64_t> size, bool align_corners) {
        return float_op(theta, "affine_grid", [&](const auto& t) { return affine_grid(t, size, align_corners); });
      },
      py::arg("theta"), py::arg("size"), py::arg("align_corners") = false,
      "The sampling grid (N, H, W, 2) of affine maps theta (N, 2, 3) (ember.nn.functional.affine_grid).");
}

}  // namespace ember::python
