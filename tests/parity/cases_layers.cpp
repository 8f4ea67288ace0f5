// Parity cases of the layers: each builds the C++ twin of an ember.nn class from the same options.
#include "parity.hpp"

namespace {
using namespace parity;

/// Runs an elementwise/shape layer without parameters on input "x".
template <class M>
void unary(Run& r, M m) {
  r.out(r.module(std::move(m)).forward(r.x("x")));
}

PARITY_CASE("ReLU", r) { unary(r, nn::ReLU<T>()); }
PARITY_CASE("GELU", r) { unary(r, nn::GELU<T>(r.s("approximate", "none"))); }
PARITY_CASE("Tanh", r) { unary(r, nn::Tanh<T>()); }
PARITY_CASE("Sigmoid", r) { unary(r, nn::Sigmoid<T>()); }
PARITY_CASE("SiLU", r) { unary(r, nn::SiLU<T>()); }
PARITY_CASE("Flatten", r) { unary(r, nn::Flatten<T>(r.i("start_dim", 1), r.i("end_dim", -1))); }

PARITY_CASE("Linear", r) {
  auto& m = r.module(nn::Linear<T>(r.i("in_features", 0), r.i("out_features", 0), r.b("bias", true)));
  r.out(m.forward(r.x("x")));
}

PARITY_CASE("Conv2d", r) {
  auto& m = r.module(nn::Conv2d<T>(r.i("in_channels", 0), r.i("out_channels", 0), r.pair("kernel_size", {1, 1}),
                  nn::Conv2dOptions{.stride = r.pair("stride", {1, 1}), .padding = r.pair("padding", {0, 0}),
                                    .dilation = r.pair("dilation", {1, 1}), .groups = r.i("groups", 1),
                                    .bias = r.b("bias", true)}));
  r.out(m.forward(r.x("x")));
}

PARITY_CASE("BatchNorm2d", r) {
  auto& m = r.module(nn::BatchNorm2d<T>(r.i("num_features", 0), r.f("eps", 1e-5), r.f("momentum", 0.1), r.b("affine", true)));
  r.out(m.forward(r.x("x")));
}

PARITY_CASE("LayerNorm", r) {
  const auto dims = r.ints("normalized_shape");
  auto& m = r.module(nn::LayerNorm<T>(Shape(dims.begin(), dims.end()), r.f("eps", 1e-5), r.b("elementwise_affine", true),
                     r.b("bias", true)));
  r.out(m.forward(r.x("x")));
}

PARITY_CASE("MaxPool2d", r) {
  auto& m = r.module(nn::MaxPool2d<T>(Pool2dOptions{.kernel = r.pair("kernel_size", {1, 1})}));
  r.out(m.forward(r.x("x")));
}
PARITY_CASE("AvgPool2d", r) {
  auto& m = r.module(nn::AvgPool2d<T>(Pool2dOptions{.kernel = r.pair("kernel_size", {1, 1})}));
  r.out(m.forward(r.x("x")));
}
PARITY_CASE("AdaptiveAvgPool2d", r) {
  auto& m = r.module(nn::AdaptiveAvgPool2d<T>(r.pair("output_size", {1, 1})));
  r.out(m.forward(r.x("x")));
}

}  // namespace
