// Parity cases of the transposed / 1-d convolutions, 1-d and adaptive max pooling and the spatial layers and
// functions (pixel shuffle, interpolate, pad): each builds the C++ twin from the same options.
#include <ember/nn/conv1d.hpp>
#include <ember/nn/conv_transpose.hpp>
#include <ember/nn/spatial.hpp>

#include "parity.hpp"

namespace {
using namespace parity;

template <class M>
void unary(Run& r, M m) {
  r.out(r.module(std::move(m)).forward(r.x("x")));
}

/// conv1d's padding option: an int or 'same' / 'valid'.
Conv2dPadding padding1d(const Run& r) {
  if (r.s("padding", "0") == "same" || r.s("padding", "0") == "valid") return Conv2dPadding(r.s("padding", ""));
  return Conv2dPadding(r.i("padding", 0));
}

Pool1dOptions pool1d(const Run& r) {
  return {r.i("kernel_size", 1), r.oi("stride"), r.i("padding", 0), r.i("dilation", 1), r.b("ceil_mode", false),
          r.b("count_include_pad", true)};
}

InterpolateOptions interp(const Run& r, std::string mode, std::optional<bool> align_corners) {
  InterpolateOptions o;
  if (r.has("size")) o.size = r.ints("size");
  if (r.has("scale_factor")) o.scale_factor = {r.f("scale_factor", 1.0)};
  o.mode = r.s("mode", mode);
  o.align_corners = r.has("align_corners") ? std::optional(r.b("align_corners", false)) : align_corners;
  return o;
}

/// A padding layer's sizes: an int (the same on all k sides) or a k-tuple.
template <std::size_t K>
std::array<std::int64_t, K> pads(const Run& r) {
  const auto v = r.ints("padding");
  std::array<std::int64_t, K> out{};
  for (std::size_t i = 0; i < K; ++i) out[i] = v.size() == 1 ? v[0] : v[i];
  return out;
}

}  // namespace

PARITY_CASE("ConvTranspose2d", r) {
  unary(r, nn::ConvTranspose2d<T>(r.i("in_channels", 0), r.i("out_channels", 0), r.pair("kernel_size", {1, 1}),
                                  {.stride = r.pair("stride", {1, 1}), .padding = r.pair("padding", {0, 0}),
                                   .output_padding = r.pair("output_padding", {0, 0}), .groups = r.i("groups", 1),
                                   .bias = r.b("bias", true), .dilation = r.pair("dilation", {1, 1})}));
}
PARITY_CASE("ConvTranspose1d", r) {
  unary(r, nn::ConvTranspose1d<T>(r.i("in_channels", 0), r.i("out_channels", 0), r.i("kernel_size", 1),
                                  {.stride = r.i("stride", 1), .padding = r.i("padding", 0),
                                   .output_padding = r.i("output_padding", 0), .groups = r.i("groups", 1),
                                   .bias = r.b("bias", true), .dilation = r.i("dilation", 1)}));
}
PARITY_CASE("Conv1d", r) {
  unary(r, nn::Conv1d<T>(r.i("in_channels", 0), r.i("out_channels", 0), r.i("kernel_size", 1),
                         {.stride = r.i("stride", 1), .padding = padding1d(r), .dilation = r.i("dilation", 1),
                          .groups = r.i("groups", 1), .bias = r.b("bias", true),
                          .padding_mode = r.s("padding_mode", "zeros")}));
}
PARITY_CASE("MaxPool1d", r) { unary(r, nn::MaxPool1d<T>(pool1d(r))); }
PARITY_CASE("AvgPool1d", r) { unary(r, nn::AvgPool1d<T>(pool1d(r))); }
PARITY_CASE("AdaptiveAvgPool1d", r) { unary(r, nn::AdaptiveAvgPool1d<T>(r.i("output_size", 1))); }
PARITY_CASE("AdaptiveMaxPool1d", r) { unary(r, nn::AdaptiveMaxPool1d<T>(r.i("output_size", 1))); }
PARITY_CASE("AdaptiveMaxPool2d", r) { unary(r, nn::AdaptiveMaxPool2d<T>(r.pair("output_size", {1, 1}))); }
PARITY_CASE("PixelShuffle", r) { unary(r, nn::PixelShuffle<T>(r.i("upscale_factor", 1))); }
PARITY_CASE("PixelUnshuffle", r) { unary(r, nn::PixelUnshuffle<T>(r.i("downscale_factor", 1))); }
PARITY_CASE("Upsample", r) { unary(r, nn::Upsample<T>(interp(r, "nearest", std::nullopt))); }
PARITY_CASE("UpsamplingNearest2d", r) { unary(r, nn::Upsample<T>(interp(r, "nearest", std::nullopt))); }
PARITY_CASE("UpsamplingBilinear2d", r) { unary(r, nn::Upsample<T>(interp(r, "bilinear", true))); }
PARITY_CASE("ZeroPad1d", r) { unary(r, nn::ZeroPad1d<T>(pads<2>(r))); }
PARITY_CASE("ZeroPad2d", r) { unary(r, nn::ZeroPad2d<T>(pads<4>(r))); }
PARITY_CASE("ConstantPad1d", r) { unary(r, nn::ConstantPad1d<T>(pads<2>(r), r.f("value", 0.0))); }
PARITY_CASE("ConstantPad2d", r) { unary(r, nn::ConstantPad2d<T>(pads<4>(r), r.f("value", 0.0))); }
PARITY_CASE("ReflectionPad1d", r) { unary(r, nn::ReflectionPad1d<T>(pads<2>(r))); }
PARITY_CASE("ReflectionPad2d", r) { unary(r, nn::ReflectionPad2d<T>(pads<4>(r))); }
PARITY_CASE("ReplicationPad1d", r) { unary(r, nn::ReplicationPad1d<T>(pads<2>(r))); }
PARITY_CASE("ReplicationPad2d", r) { unary(r, nn::ReplicationPad2d<T>(pads<4>(r))); }
PARITY_CASE("CircularPad1d", r) { unary(r, nn::CircularPad1d<T>(pads<2>(r))); }
PARITY_CASE("CircularPad2d", r) { unary(r, nn::CircularPad2d<T>(pads<4>(r))); }

PARITY_CASE("F.conv_transpose2d", r) {
  r.out(conv_transpose2d(r.x("input"), r.x("weight"), r.ox("bias"),
                         {r.pair("stride", {1, 1}), r.pair("padding", {0, 0}), r.pair("output_padding", {0, 0}),
                          r.i("groups", 1), r.pair("dilation", {1, 1})}));
}
PARITY_CASE("F.conv_transpose1d", r) {
  r.out(conv_transpose1d(r.x("input"), r.x("weight"), r.ox("bias"),
                         {r.i("stride", 1), r.i("padding", 0), r.i("output_padding", 0), r.i("groups", 1),
                          r.i("dilation", 1)}));
}
PARITY_CASE("F.conv1d", r) {
  r.out(conv1d(r.x("input"), r.x("weight"), r.ox("bias"),
               {r.i("stride", 1), padding1d(r), r.i("dilation", 1), r.i("groups", 1)}));
}
PARITY_CASE("F.max_pool1d", r) { r.out(max_pool1d(r.x("input"), pool1d(r))); }
PARITY_CASE("F.avg_pool1d", r) { r.out(avg_pool1d(r.x("input"), pool1d(r))); }
PARITY_CASE("F.adaptive_avg_pool1d", r) { r.out(adaptive_avg_pool1d(r.x("input"), r.i("output_size", 1))); }
PARITY_CASE("F.adaptive_max_pool1d", r) { r.out(adaptive_max_pool1d(r.x("input"), r.i("output_size", 1))); }
PARITY_CASE("F.adaptive_max_pool2d", r) { r.out(adaptive_max_pool2d(r.x("input"), r.pair("output_size", {1, 1}))); }
PARITY_CASE("F.pixel_shuffle", r) { r.out(pixel_shuffle(r.x("input"), r.i("upscale_factor", 1))); }
PARITY_CASE("F.pixel_unshuffle", r) { r.out(pixel_unshuffle(r.x("input"), r.i("downscale_factor", 1))); }
PARITY_CASE("F.interpolate", r) { r.out(interpolate(r.x("input"), interp(r, "nearest", std::nullopt))); }
PARITY_CASE("F.upsample", r) { r.out(interpolate(r.x("input"), interp(r, "nearest", std::nullopt))); }
/// UnfoldOptions from the case's kernel_size, dilation, padding and stride.
inline UnfoldOptions unfold_opts(const ::parity::Run& r) {
  return {r.pair("kernel_size", {1, 1}), r.pair("dilation", {1, 1}), r.pair("padding", {0, 0}), r.pair("stride", {1, 1})};
}
PARITY_CASE("Unfold", r) { unary(r, nn::Unfold<T>(unfold_opts(r))); }
PARITY_CASE("Fold", r) { unary(r, nn::Fold<T>(r.pair("output_size", {1, 1}), unfold_opts(r))); }
PARITY_CASE("F.unfold", r) { r.out(unfold(r.x("input"), unfold_opts(r))); }
PARITY_CASE("F.fold", r) { r.out(fold(r.x("input"), r.pair("output_size", {1, 1}), unfold_opts(r))); }
PARITY_CASE("F.pad", r) { r.out(pad(r.x("input"), r.ints("pad"), r.s("mode", "constant"), r.f("value", 0.0))); }
PARITY_CASE("F.grid_sample", r) {
  r.out(grid_sample(r.x("input"), r.x("grid"), r.s("mode", "bilinear"), r.s("padding_mode", "zeros"),
                    r.b("align_corners", false)));
}
PARITY_CASE("F.affine_grid", r) { r.out(affine_grid(r.x("theta"), r.ints("size"), r.b("align_corners", false))); }
