#pragma once
// Spatial layers, as torch.nn's: PixelShuffle, PixelUnshuffle, Upsample, and the padding layers
// (ZeroPad1d/2d, ConstantPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d, CircularPad1d/2d), Unfold and Fold.
#include <array>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ember/nn/module.hpp"
#include "ember/ops/spatial.hpp"
#include "ember/ops/unfold.hpp"

namespace ember::nn {

/// (*, C r^2, H, W) -> (*, C, H r, W r), as torch.nn.PixelShuffle.
template <FloatElement T = float>
class PixelShuffle : public Module<T> {
 public:
  explicit PixelShuffle(std::int64_t upscale_factor) : Module<T>("PixelShuffle"), upscale_factor(upscale_factor) {}
  Tensor<T> forward(const Tensor<T>& x) override { return pixel_shuffle(x, upscale_factor); }
  std::string extra_repr() const override { return "upscale_factor=" + std::to_string(upscale_factor); }
  std::int64_t upscale_factor;
};

/// (*, C, H r, W r) -> (*, C r^2, H, W), as torch.nn.PixelUnshuffle.
template <FloatElement T = float>
class PixelUnshuffle : public Module<T> {
 public:
  explicit PixelUnshuffle(std::int64_t downscale_factor)
      : Module<T>("PixelUnshuffle"), downscale_factor(downscale_factor) {}
  Tensor<T> forward(const Tensor<T>& x) override { return pixel_unshuffle(x, downscale_factor); }
  std::string extra_repr() const override { return "downscale_factor=" + std::to_string(downscale_factor); }
  std::int64_t downscale_factor;
};

/// Resizes (N, C, L) or (N, C, H, W) by interpolate with fixed options, as torch.nn.Upsample:
/// `Upsample<float>({.scale_factor = {2}, .mode = "bilinear", .align_corners = false})`.
template <FloatElement T = float>
class Upsample : public Module<T> {
 public:
  explicit Upsample(InterpolateOptions options) : Module<T>("Upsample"), options(std::move(options)) {}
  Tensor<T> forward(const Tensor<T>& x) override { return interpolate(x, options); }
  std::string extra_repr() const override {
    std::ostringstream os;
    auto list = [&](const auto& v) {
      if (v.size() == 1) return void(os << v[0]);
      os << '(';
      for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
      os << ')';
    };
    if (!options.size.empty()) os << "size=", list(options.size);
    else os << "scale_factor=", list(options.scale_factor);
    os << ", mode='" << options.mode << "'";
    return os.str();
  }
  InterpolateOptions options;
};

/// A padding layer: pad(x, padding, mode, value) with fixed arguments. `name` is the torch.nn class name;
/// padding is (left, right) for the 1-d layers and (left, right, top, bottom) for the 2-d ones.
template <FloatElement T = float>
class Pad : public Module<T> {
 public:
  Pad(const char* name, std::vector<std::int64_t> padding, std::string mode, double value = 0.0)
      : Module<T>(name), padding(std::move(padding)), mode(std::move(mode)), value(value) {}
  Tensor<T> forward(const Tensor<T>& x) override { return pad(x, padding, mode, value); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << '(';
    for (std::size_t i = 0; i < padding.size(); ++i) os << (i ? ", " : "") << padding[i];
    os << ')';
    if (mode == "constant" && this->type_name().rfind("Zero", 0) != 0) os << ", value=" << value;
    return os.str();
  }
  std::vector<std::int64_t> padding;
  std::string mode;
  double value;
};

namespace detail {
/// A size-k padding tuple from one int (the same on every side) or k ints.
inline std::vector<std::int64_t> pad_sizes(std::int64_t p, std::size_t k) { return std::vector<std::int64_t>(k, p); }
}  // namespace detail

// The torch.nn padding layers: `ReflectionPad2d<float>(1)`, `ConstantPad1d<double>({2, 1}, 3.5)`.
#define EMBER_PAD_LAYER(Name, mode, k)                                                                          \
  template <FloatElement T = float>                                                                             \
  class Name : public Pad<T> {                                                                                  \
   public:                                                                                                      \
    explicit Name(std::int64_t p) : Pad<T>(#Name, detail::pad_sizes(p, k), mode) {}                             \
    explicit Name(std::array<std::int64_t, k> p) : Pad<T>(#Name, {p.begin(), p.end()}, mode) {}                \
  };
#define EMBER_CONSTANT_PAD_LAYER(Name, k)                                                                       \
  template <FloatElement T = float>                                                                             \
  class Name : public Pad<T> {                                                                                  \
   public:                                                                                                      \
    Name(std::int64_t p, double value) : Pad<T>(#Name, detail::pad_sizes(p, k), "constant", value) {}          \
    Name(std::array<std::int64_t, k> p, double value) : Pad<T>(#Name, {p.begin(), p.end()}, "constant", value) {} \
  };
EMBER_PAD_LAYER(ZeroPad1d, "constant", 2)
EMBER_PAD_LAYER(ZeroPad2d, "constant", 4)
EMBER_PAD_LAYER(ReflectionPad1d, "reflect", 2)
EMBER_PAD_LAYER(ReflectionPad2d, "reflect", 4)
EMBER_PAD_LAYER(ReplicationPad1d, "replicate", 2)
EMBER_PAD_LAYER(ReplicationPad2d, "replicate", 4)
EMBER_PAD_LAYER(CircularPad1d, "circular", 2)
EMBER_PAD_LAYER(CircularPad2d, "circular", 4)
EMBER_CONSTANT_PAD_LAYER(ConstantPad1d, 2)
EMBER_CONSTANT_PAD_LAYER(ConstantPad2d, 4)
#undef EMBER_PAD_LAYER
#undef EMBER_CONSTANT_PAD_LAYER

namespace detail {
/// "kernel_size=(2, 3), dilation=(1, 1), padding=(0, 0), stride=(1, 1)", as torch.nn.Unfold's repr.
inline std::string unfold_repr(const UnfoldOptions& o) {
  std::ostringstream os;
  auto pair = [&](const char* name, const std::array<std::int64_t, 2>& v, bool last = false) {
    os << name << "=(" << v[0] << ", " << v[1] << ')' << (last ? "" : ", ");
  };
  pair("kernel_size", o.kernel_size), pair("dilation", o.dilation), pair("padding", o.padding);
  pair("stride", o.stride, true);
  return os.str();
}
}  // namespace detail

/// The sliding blocks of (N, C, H, W) as columns (N, C kh kw, L), as torch.nn.Unfold:
/// `Unfold<float>({.kernel_size = {3, 3}, .padding = {1, 1}})`.
template <FloatElement T = float>
class Unfold : public Module<T> {
 public:
  explicit Unfold(UnfoldOptions options) : Module<T>("Unfold"), options(options) {
    ::ember::detail::check_unfold_options(options, "Unfold");
  }
  Tensor<T> forward(const Tensor<T>& x) override { return unfold(x, options); }
  std::string extra_repr() const override { return detail::unfold_repr(options); }
  UnfoldOptions options;
};

/// Columns (N, C kh kw, L) back into blocks of (N, C, H, W) with (H, W) = output_size, overlaps summed, as
/// torch.nn.Fold.
template <FloatElement T = float>
class Fold : public Module<T> {
 public:
  Fold(std::array<std::int64_t, 2> output_size, UnfoldOptions options)
      : Module<T>("Fold"), output_size(output_size), options(options) {
    ::ember::detail::check_unfold_options(options, "Fold");
  }
  Tensor<T> forward(const Tensor<T>& x) override { return fold(x, output_size, options); }
  std::string extra_repr() const override {
    return "output_size=(" + std::to_string(output_size[0]) + ", " + std::to_string(output_size[1]) + "), " +
           detail::unfold_repr(options);
  }
  std::array<std::int64_t, 2> output_size;
  UnfoldOptions options;
};

}  // namespace ember::nn
