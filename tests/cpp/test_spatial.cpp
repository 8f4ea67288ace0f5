// Transposed convolution, 1-d convolution and pooling, and the spatial ops (pixel shuffle, interpolate,
// pad, grid_sample, affine_grid) from C++: values against direct loop references, the oneDNN path against float64, gradchecks, errors.
#include <gtest/gtest.h>

#include <vector>

#include "ember/nn/conv1d.hpp"
#include "ember/nn/conv_transpose.hpp"
#include "ember/nn/spatial.hpp"
#include "ember/ops/conv1d.hpp"
#include "ember/ops/conv_transpose.hpp"
#include "ember/ops/grid_sample.hpp"
#include "ember/ops/spatial.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::leaf;

namespace {

void expect_close(const Tensor<float>& got, const Tensor<double>& ref, double tol) {
  ASSERT_EQ(got.shape(), ref.shape());
  const auto g = got.to_vector();
  const auto r = ref.to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], r[i], tol * (1 + std::abs(r[i]))) << "at " << i;
}

/// The transposed convolution by its definition: each input element scatters w times itself into y.
Tensor<double> conv_transpose_reference(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b,
                                        const ConvTranspose2dOptions& o) {
  const auto n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const auto cog = w.size(1), kh = w.size(2), kw = w.size(3), g = o.groups, cout = cog * g, cig = cin / g;
  const auto oh = (h - 1) * o.stride[0] - 2 * o.padding[0] + o.dilation[0] * (kh - 1) + o.output_padding[0] + 1;
  const auto ow = (wd - 1) * o.stride[1] - 2 * o.padding[1] + o.dilation[1] * (kw - 1) + o.output_padding[1] + 1;
  std::vector<double> y(static_cast<std::size_t>(n * cout * oh * ow));
  const auto xv = x.contiguous().to_vector(), wv = w.contiguous().to_vector(), bv = b.to_vector();
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t co = 0; co < cout; ++co)
      for (std::int64_t i = 0; i < oh * ow; ++i) y[static_cast<std::size_t>((in * cout + co) * oh * ow + i)] = bv[co];
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t ci = 0; ci < cin; ++ci)
      for (std::int64_t iy = 0; iy < h; ++iy)
        for (std::int64_t ix = 0; ix < wd; ++ix)
          for (std::int64_t c = 0; c < cog; ++c)
            for (std::int64_t a = 0; a < kh; ++a)
              for (std::int64_t bb = 0; bb < kw; ++bb) {
                const auto oy = iy * o.stride[0] - o.padding[0] + a * o.dilation[0];
                const auto ox = ix * o.stride[1] - o.padding[1] + bb * o.dilation[1];
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                const auto co = (ci / cig) * cog + c;
                y[static_cast<std::size_t>(((in * cout + co) * oh + oy) * ow + ox)] +=
                    xv[static_cast<std::size_t>(((in * cin + ci) * h + iy) * wd + ix)] *
                    wv[static_cast<std::size_t>(((ci * cog + c) * kh + a) * kw + bb)];
              }
  return tensor<double>(y).reshape({n, cout, oh, ow});
}

}  // namespace

TEST(ConvTranspose2d, MatchesTheDefinitionInBothDtypes) {
  const std::vector<ConvTranspose2dOptions> opts{
      {}, {{2, 2}, {1, 1}, {1, 1}, 1, {1, 1}}, {{2, 3}, {0, 1}, {1, 2}, 2, {1, 1}}, {{1, 1}, {1, 0}, {0, 0}, 1, {2, 1}},
      {{3, 2}, {2, 1}, {1, 0}, 4, {2, 2}}};
  for (std::int64_t c : {4, 16})
    for (const auto& o : opts) {
      auto x = randn<double>({2, c, 5, 4}).detach();
      auto w = randn<double>({c, 8 / o.groups, 3, 2}).detach();
      auto b = randn<double>({8}).detach();
      auto ref = conv_transpose_reference(x, w, b, o);
      auto got = conv_transpose2d(x, w, b, o);
      expect_close(got.to<float>(), ref, 1e-6);
      expect_close(conv_transpose2d(x.to<float>(), w.to<float>(), b.to<float>(), o), ref, 1e-4);
      // Backward: the float32 (oneDNN) gradients of sum(y * r) against the float64 (loop) ones.
      auto r = randn<double>(ref.shape());
      auto xf = x.to<float>(), wf = w.to<float>(), bf = b.to<float>();
      for (auto* t : {&xf, &wf, &bf}) t->requires_grad_(true);
      (conv_transpose2d(xf, wf, bf, o) * r.to<float>()).sum().backward();
      auto xd = x.clone(), wd = w.clone(), bd = b.clone();
      for (auto* t : {&xd, &wd, &bd}) t->requires_grad_(true);
      (conv_transpose2d(xd, wd, std::optional(bd), o) * r).sum().backward();
      expect_close(xf.grad(), xd.grad(), 1e-3);
      expect_close(wf.grad(), wd.grad(), 1e-3);
      expect_close(bf.grad(), bd.grad(), 1e-3);
    }
}

TEST(ConvTranspose2d, Gradcheck) {
  for (const auto& o : {ConvTranspose2dOptions{}, ConvTranspose2dOptions{{2, 1}, {1, 0}, {1, 0}, 2, {1, 2}}}) {
    auto f = [o](const std::vector<AnyTensor>& in) {
      return std::vector<AnyTensor>{conv_transpose2d(in[0].get<double>(), in[1].get<double>(), in[2].get<double>(), o)};
    };
    EXPECT_TRUE(autograd::gradcheck(f, {leaf({2, 4, 3, 3}, 1), leaf({4, 2, 2, 3}, 2), leaf({2 * o.groups}, 3)}));
  }
}

TEST(ConvTranspose2d, UnbatchedOneDimensionalAndEmpty) {
  auto x = randn<float>({3, 5, 4});
  auto w = randn<float>({3, 2, 3, 3});
  auto y = conv_transpose2d(x, w, std::nullopt, {.stride = {2, 2}});
  EXPECT_EQ(y.shape(), (Shape{2, 11, 9}));
  expect_close(y, conv_transpose2d(x.unsqueeze(0), w, std::nullopt, {.stride = {2, 2}}).squeeze(0).to<double>(), 1e-6);
  auto y1 = conv_transpose1d(randn<float>({2, 3, 7}), randn<float>({3, 4, 3}), std::nullopt,
                             {.stride = 2, .padding = 1, .output_padding = 1});
  EXPECT_EQ(y1.shape(), (Shape{2, 4, 14}));
  EXPECT_EQ(conv_transpose2d(zeros<float>({0, 3, 5, 4}), w).shape(), (Shape{0, 2, 7, 6}));
}

TEST(ConvTranspose2d, Errors) {
  auto x = zeros<float>({1, 3, 4, 4});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv_transpose2d(x, zeros<float>({4, 2, 3, 3})); }),
            "[conv_transpose2d] input of shape (1, 3, 4, 4) has 3 channels, but weight of shape (4, 2, 3, 3) expects 4");
  EXPECT_NE(error_of<std::invalid_argument>(
                [&] { conv_transpose2d(x, zeros<float>({3, 2, 3, 3}), std::nullopt, {.output_padding = {1, 0}}); })
                .find("output_padding must be smaller than either stride or dilation"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>(
                [&] { conv_transpose2d(x, zeros<float>({3, 2, 1, 1}), std::nullopt, {.padding = {3, 3}}); })
                .find("too small"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>(
                [&] { conv_transpose_output_padding({4, 4}, {20, 20}, {3, 3}, {.stride = {2, 2}}); })
                .find("[ConvTranspose2d] requested an output size of 20"),
            std::string::npos);
  EXPECT_EQ(conv_transpose_output_padding({4, 4}, {1, 3, 10, 9}, {3, 3}, {.stride = {2, 2}}),
            (std::array<std::int64_t, 2>{1, 0}));
}

TEST(ConvTranspose2d, ModuleShapesAndOutputSize) {
  nn::ConvTranspose2d<float> up(8, 4, 4, {.stride = {2, 2}, .padding = {1, 1}});
  EXPECT_EQ(up.weight.shape(), (Shape{8, 4, 4, 4}));
  EXPECT_EQ(up.forward(randn<float>({2, 8, 5, 5})).shape(), (Shape{2, 4, 10, 10}));
  nn::ConvTranspose2d<float> odd(8, 4, 3, {.stride = {2, 2}, .padding = {1, 1}});
  EXPECT_EQ(odd.forward(randn<float>({2, 8, 5, 5}), std::vector<std::int64_t>{10, 10}).shape(), (Shape{2, 4, 10, 10}));
  nn::ConvTranspose1d<double> one(3, 6, 3, {.stride = 2, .groups = 3});
  EXPECT_EQ(one.forward(randn<double>({2, 3, 5}), std::vector<std::int64_t>{12}).shape(), (Shape{2, 6, 12}));
  EXPECT_EQ(up.extra_repr(), "8, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)");
  EXPECT_NE(error_of<std::invalid_argument>([] { nn::ConvTranspose2d<float>(3, 4, 3, {.padding_mode = "reflect"}); })
                .find("[ConvTranspose2d] only 'zeros' padding mode is supported"),
            std::string::npos);
}

TEST(Conv1d, IsConv2dOnAHeightOneInput) {
  auto x = randn<double>({2, 4, 9});
  auto w = randn<double>({6, 2, 3});
  auto b = randn<double>({6});
  auto y = conv1d(x, w, b, {.stride = 2, .padding = 1, .dilation = 2, .groups = 2});
  auto ref = conv2d(x.unsqueeze(2), w.unsqueeze(2), b, Conv2dOptions{{1, 2}, {0, 1}, {1, 2}, 2}).squeeze(2);
  EXPECT_EQ(y.shape(), (Shape{2, 6, 4}));
  expect_close(y.to<float>(), ref, 1e-6);
  EXPECT_EQ(conv1d(x, w.narrow(1, 0, 2).contiguous().narrow(0, 0, 6), std::nullopt, {.padding = "same", .groups = 2})
                .shape(),
            (Shape{2, 6, 9}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv1d(x, randn<double>({6, 2, 3, 3})); }),
            "[conv1d] expected a 3-d weight (O, C/groups, k), got shape (6, 2, 3, 3)");
}

TEST(Pool1d, ValuesAndAdaptiveMax) {
  auto x = tensor<double>({1, 5, 2, 4, 3, 0, 7}).reshape({1, 1, 7});
  EXPECT_EQ(max_pool1d(x, {.kernel = 2}).to_vector(), (std::vector<double>{5, 4, 3}));
  EXPECT_EQ(max_pool1d(x, {.kernel = 3, .stride = 2, .padding = 1}).to_vector(), (std::vector<double>{5, 5, 4, 7}));
  EXPECT_EQ(avg_pool1d(x, {.kernel = 2}).to_vector(), (std::vector<double>{3, 3, 1.5}));
  EXPECT_EQ(adaptive_avg_pool1d(x, 2).to_vector(), (std::vector<double>{3, 3.5}));
  EXPECT_EQ(adaptive_max_pool1d(x, 3).to_vector(), (std::vector<double>{5, 4, 7}));
  auto m = arange<double>(0, 20).reshape({1, 4, 5});
  EXPECT_EQ(adaptive_max_pool2d(m, {3, 2}).to_vector(), (std::vector<double>{7, 9, 12, 14, 17, 19}));
  auto f = [](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{adaptive_max_pool2d(in[0].get<double>(), {2, 3})};
  };
  EXPECT_TRUE(autograd::gradcheck(f, {leaf({2, 3, 5, 7}, 4)}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { max_pool1d(m.reshape({20}), {.kernel = 2}); }),
            "[max_pool1d] expected a 2-d (C, L) or 3-d (N, C, L) input, got shape (20,)");
}

TEST(Spatial, PixelShuffleRoundTrip) {
  auto x = arange<double>(0, 2 * 8 * 3 * 2).reshape({2, 8, 3, 2});
  auto y = pixel_shuffle(x, 2);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 6, 4}));
  // y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w]
  EXPECT_EQ(y.select(0, 1).select(0, 1).select(0, 3).select(0, 2).item(), x.select(0, 1).select(0, 6).select(0, 1).select(0, 1).item());
  expect_close(pixel_unshuffle(y, 2).to<float>(), x, 0);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { pixel_shuffle(x, 3); }),
            "[pixel_shuffle] the channels of input of shape (2, 8, 3, 2) must be divisible by the square of "
            "upscale_factor (9)");
}

TEST(Spatial, InterpolateValues) {
  auto x = tensor<double>({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  InterpolateOptions o{.scale_factor = {2}};
  EXPECT_EQ(interpolate(x, o).to_vector(),
            (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  o.mode = "bilinear";
  o.align_corners = true;
  o.scale_factor.clear();
  o.size = {3, 3};
  EXPECT_EQ(interpolate(x, o).to_vector(), (std::vector<double>{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}));
  o.align_corners = false;
  o.size = {4, 4};
  // Half-pixel centers: row 0 of the output reads row 0, column positions -0.25 (clamped), 0.25, 0.75, 1.25.
  auto y = interpolate(x, o).to_vector();
  EXPECT_DOUBLE_EQ(y[0], 1);
  EXPECT_DOUBLE_EQ(y[1], 1.25);
  EXPECT_DOUBLE_EQ(y[2], 1.75);
  EXPECT_DOUBLE_EQ(y[3], 2);
  auto f = [](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{interpolate(in[0].get<double>(), {.size = {5, 3}, .mode = "bilinear"})};
  };
  EXPECT_TRUE(autograd::gradcheck(f, {leaf({2, 2, 3, 4}, 5)}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { interpolate(x, {.size = {3}, .mode = "linear"}); }),
            "[interpolate] mode 'linear' needs a 3-d input, got shape (1, 1, 2, 2)");
}

TEST(Spatial, PadModes) {
  auto x = tensor<double>({1, 2, 3}).reshape({1, 1, 3});
  EXPECT_EQ(pad(x, {2, 1}).to_vector(), (std::vector<double>{0, 0, 1, 2, 3, 0}));
  EXPECT_EQ(pad(x, {2, 1}, "constant", 9).to_vector(), (std::vector<double>{9, 9, 1, 2, 3, 9}));
  EXPECT_EQ(pad(x, {2, 2}, "reflect").to_vector(), (std::vector<double>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(pad(x, {2, 1}, "replicate").to_vector(), (std::vector<double>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(pad(x, {2, 3}, "circular").to_vector(), (std::vector<double>{2, 3, 1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(pad(x, {-1, 0}).to_vector(), (std::vector<double>{2, 3}));
  auto m = arange<double>(0, 6).reshape({1, 2, 3});
  EXPECT_EQ(pad(m, {1, 0, 0, 1}, "replicate").to_vector(), (std::vector<double>{0, 0, 1, 2, 3, 3, 4, 5, 3, 3, 4, 5}));
  for (const char* mode : {"constant", "reflect", "replicate", "circular"}) {
    auto f = [mode](const std::vector<AnyTensor>& in) {
      return std::vector<AnyTensor>{pad(in[0].get<double>(), {1, 2, 2, 1}, mode)};
    };
    EXPECT_TRUE(autograd::gradcheck(f, {leaf({2, 3, 4}, 6)})) << mode;
  }
  EXPECT_NE(error_of<std::invalid_argument>([&] { pad(x, {3, 0}, "reflect"); }).find("must be smaller"),
            std::string::npos);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { pad(x, {1}); }), "[pad] padding length must be divisible by 2, got 1");
}

TEST(SpatialModules, ShapesAndReprs) {
  nn::Conv1d<float> conv(4, 6, 3, {.padding = 1, .padding_mode = "circular"});
  EXPECT_EQ(conv.forward(randn<float>({2, 4, 7})).shape(), (Shape{2, 6, 7}));
  nn::Conv1d<float> same(4, 6, 4, {.padding = "same", .dilation = 2, .padding_mode = "reflect"});
  EXPECT_EQ(same.forward(randn<float>({2, 4, 9})).shape(), (Shape{2, 6, 9}));
  EXPECT_EQ(conv.extra_repr(), "4, 6, kernel_size=(3,), stride=(1,), padding=(1,), padding_mode=circular");
  EXPECT_EQ(nn::MaxPool1d<float>({.kernel = 3, .stride = 2}).forward(randn<float>({2, 3, 9})).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(nn::AvgPool1d<double>(2).forward(randn<double>({3, 9})).shape(), (Shape{3, 4}));
  EXPECT_EQ(nn::AdaptiveAvgPool1d<float>(5).forward(randn<float>({2, 3, 9})).shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(nn::AdaptiveMaxPool1d<float>(5).forward(randn<float>({2, 3, 9})).shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(nn::AdaptiveMaxPool2d<float>(2).forward(randn<float>({2, 3, 9, 5})).shape(), (Shape{2, 3, 2, 2}));
  EXPECT_EQ(nn::PixelShuffle<float>(2).forward(randn<float>({2, 8, 3, 3})).shape(), (Shape{2, 2, 6, 6}));
  EXPECT_EQ(nn::PixelUnshuffle<float>(3).forward(randn<float>({2, 1, 6, 3})).shape(), (Shape{2, 9, 2, 1}));
  nn::Upsample<float> up({.scale_factor = {2}, .mode = "bilinear"});
  EXPECT_EQ(up.forward(randn<float>({1, 2, 3, 4})).shape(), (Shape{1, 2, 6, 8}));
  EXPECT_EQ(up.extra_repr(), "scale_factor=2, mode='bilinear'");
  EXPECT_EQ(nn::ReflectionPad2d<float>(1).forward(randn<float>({1, 2, 3, 4})).shape(), (Shape{1, 2, 5, 6}));
  nn::ConstantPad1d<double> cp({2, 1}, 3.5);
  EXPECT_EQ(cp.forward(zeros<double>({1, 1, 1})).to_vector(), (std::vector<double>{3.5, 3.5, 0, 3.5}));
  EXPECT_EQ(cp.extra_repr(), "(2, 1), value=3.5");
  EXPECT_EQ(nn::ZeroPad2d<float>({1, 0, 0, 1}).extra_repr(), "(1, 0, 0, 1)");
  EXPECT_EQ(nn::ReplicationPad1d<float>(2).forward(randn<float>({1, 3})).shape(), (Shape{1, 7}));
  EXPECT_EQ(nn::CircularPad2d<float>(1).forward(randn<float>({1, 3, 3})).shape(), (Shape{1, 5, 5}));
}

TEST(ConvTranspose2d, BiasGradientWithAFrozenWeight) {
  // Only the bias takes a gradient: the weight's gradient (and x) are neither computed nor saved.
  auto x = randn<float>({2, 8, 3, 3});
  auto w = randn<float>({8, 4, 3, 3});
  auto b = zeros<float>({4});
  b.requires_grad_(true);
  conv_transpose2d(x, w, b, {.stride = {2, 2}}).sum().backward();
  for (float v : b.grad().to_vector()) EXPECT_FLOAT_EQ(v, 2 * 7 * 7);
}

TEST(Spatial, OneDimensionalErrorsNameTheCallersShapes) {
  auto x = zeros<float>({2, 3, 5});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv1d(x, zeros<float>({4, 2, 3})); }),
            "[conv1d] input of shape (2, 3, 5) has 3 channels, but weight of shape (4, 2, 3) with groups=1 expects 2");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv1d(x, zeros<float>({4, 3, 9})); }),
            "[conv1d] input of shape (2, 3, 5) padded by 0 is shorter than the dilated kernel (9)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv_transpose1d(x, zeros<float>({4, 2, 3})); }),
            "[conv_transpose1d] input of shape (2, 3, 5) has 3 channels, but weight of shape (4, 2, 3) expects 4");
  EXPECT_EQ(error_of<std::invalid_argument>(
                [&] { conv_transpose1d(x, zeros<float>({3, 2, 3}), std::nullopt, {.output_padding = 1}); }),
            "[conv_transpose1d] output_padding must be smaller than either stride or dilation, got output_padding 1, "
            "stride 1, dilation 1");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { max_pool1d(x, {.kernel = 6}); }),
            "[max_pool1d] input of shape (2, 3, 5) is too small for kernel_size 6: the output length would be 0");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { avg_pool1d(x, {.kernel = 2, .padding = 2}); }),
            "[avg_pool1d] padding must be non-negative and at most half the kernel size, got padding 2 for "
            "kernel_size 2");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { adaptive_max_pool1d(x, 0); }),
            "[adaptive_max_pool1d] output_size must be positive, got 0");
}

namespace {

/// The gradients (dx, dw) of sum(op(x, w)^2) for the inputs flagged, from the same values.
template <class Op>
std::pair<std::vector<float>, std::vector<float>> conv_grads(Op op, const Tensor<float>& x0, const Tensor<float>& w0,
                                                             bool need_x, bool need_w) {
  auto x = x0.clone(), w = w0.clone();
  x.requires_grad_(need_x);
  w.requires_grad_(need_w);
  auto y = op(x, w);
  (y * y).sum().backward();  // dy = 2y: a dy that depends on the forward
  return {need_x ? x.grad().to_vector() : std::vector<float>{}, need_w ? w.grad().to_vector() : std::vector<float>{}};
}

}  // namespace

TEST(Conv2d, ReorderedOperandsKeptForTheBackwardGiveTheSameGradients) {
  // With 16 channels the primitives run in blocked layouts: the forward keeps x as reordered for
  // backward-weights, and dy is reordered once for both backward primitives when both run. The gradients
  // must be bitwise those of the calls that reorder for themselves (one input needing a gradient).
  auto x = randn<float>({4, 16, 9, 9});
  for (int transposed = 0; transposed < 2; ++transposed) {
    SCOPED_TRACE(transposed ? "conv_transpose2d" : "conv2d");
    const auto w = transposed ? randn<float>({16, 32, 3, 3}) * 0.1f : randn<float>({32, 16, 3, 3}) * 0.1f;
    auto op = [&](const Tensor<float>& a, const Tensor<float>& b) {
      return transposed ? conv_transpose2d(a, b, std::nullopt, {.stride = {2, 2}, .padding = {1, 1}})
                        : conv2d(a, b, std::nullopt, {.stride = {2, 2}, .padding = 1});
    };
    const auto both = conv_grads(op, x, w, true, true);
    EXPECT_EQ(both.first, conv_grads(op, x, w, true, false).first);
    EXPECT_EQ(both.second, conv_grads(op, x, w, false, true).second);
    // A second backward over one graph reuses what the forward kept: the gradient doubles exactly.
    auto wr = w.clone();
    wr.requires_grad_(true);
    auto y = op(x, wr);
    auto loss = (y * y).sum();
    loss.backward(Tensor<float>(), /*retain_graph=*/true);
    const auto first = wr.grad().to_vector();
    loss.backward();
    const auto twice = wr.grad().to_vector();
    for (std::size_t i = 0; i < first.size(); ++i) ASSERT_EQ(twice[i], 2 * first[i]) << "at " << i;
  }
  // Under autocast the forward and the backward (which runs in the forward's autocast state) both read x in
  // bfloat16: backward-weights reads the forward's copy, and dw stays within bfloat16 rounding of float32's.
  const auto w = randn<float>({32, 16, 3, 3}) * 0.1f;
  auto wa = w.clone(), wb = w.clone();
  wa.requires_grad_(true);
  wb.requires_grad_(true);
  {
    AutocastGuard guard(MatmulPrecision::BFloat16);
    auto y = conv2d(x, wa);
    (y * y).sum().backward();
  }
  auto y = conv2d(x, wb);
  (y * y).sum().backward();
  const auto ga = wa.grad().to_vector(), gb = wb.grad().to_vector();
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < ga.size(); ++i) {
    err = std::max(err, double(std::abs(ga[i] - gb[i])));
    scale = std::max(scale, double(std::abs(gb[i])));
  }
  EXPECT_LT(err, 3e-2 * scale);
}

TEST(Spatial, UnfoldDimIsAWindowView) {
  auto x = arange<float>(0, 10).reshape({2, 5});
  auto w = unfold_dim(x, 1, 3, 2);  // windows [0..2], [2..4] of each row
  EXPECT_EQ(w.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(w.contiguous().to_vector(), (std::vector<float>{0, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 9}));
  EXPECT_EQ(w.storage().get(), x.storage().get());  // a view
  EXPECT_EQ(unfold_dim(x, 0, 2, 1).shape(), (Shape{1, 5, 2}));
  EXPECT_EQ(unfold_dim(full<float>({}, 7.0f), 0, 1, 1).shape(), (Shape{1}));
  // Overlapping windows: the gradient counts each element once per window holding it.
  auto v = arange<double>(0, 6);
  v.requires_grad_(true);
  unfold_dim(v, 0, 3, 1).sum().backward();
  EXPECT_EQ(v.grad().to_vector(), (std::vector<double>{1, 2, 3, 3, 2, 1}));
  auto f = [](const std::vector<AnyTensor>& in) {
    const auto w = unfold_dim(in[0].get<double>(), -1, 2, 1);
    return std::vector<AnyTensor>{w * w};
  };
  EXPECT_TRUE(autograd::gradcheck(f, {leaf({3, 4}, 5)}));
  // Errors name the sizes.
  EXPECT_NE(error_of<std::invalid_argument>([&] { unfold_dim(x, 1, 6, 1); })
                .find("maximum size for tensor at dimension 1 is 5 but size is 6"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { unfold_dim(x, 1, 2, 0); }).find("step is 0"), std::string::npos);
  // Writing into overlapping windows is refused; non-overlapping ones write through to x.
  EXPECT_THROW(unfold_dim(x, 1, 3, 1).add_(1.0f), std::invalid_argument);
  unfold_dim(x, 1, 2, 2).mul_(0.0f);
  EXPECT_EQ(x.to_vector(), (std::vector<float>{0, 0, 0, 0, 4, 0, 0, 0, 0, 9}));
}

TEST(SpatialModules, UnfoldAndFoldModules) {
  nn::Unfold<float> unfold_layer({.kernel_size = {2, 3}, .padding = {1, 0}});
  nn::Fold<float> fold_layer({4, 5}, {.kernel_size = {2, 3}, .padding = {1, 0}});
  auto x = randn<float>({2, 3, 4, 5});
  const auto cols = unfold_layer.forward(x);
  EXPECT_EQ(cols.shape(), (Shape{2, 18, 15}));
  EXPECT_EQ(fold_layer.forward(cols).shape(), x.shape());
  EXPECT_EQ(unfold_layer.repr(), "Unfold(kernel_size=(2, 3), dilation=(1, 1), padding=(1, 0), stride=(1, 1))");
  EXPECT_THROW(nn::Unfold<float>({.kernel_size = {0, 1}}), std::invalid_argument);
}

TEST(Spatial, GridSampleOfTheIdentityGridIsTheInput) {
  auto x = arange<double>(0, 2 * 3 * 4 * 5).reshape({2, 3, 4, 5});
  auto identity = tensor<double>({1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0}).reshape({2, 2, 3});
  for (bool ac : {false, true})
    for (const char* mode : {"bilinear", "nearest"}) {
      auto y = grid_sample(x, affine_grid(identity, {2, 3, 4, 5}, ac), mode, "zeros", ac);
      const auto got = y.to_vector(), want = x.to_vector();
      for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12) << mode << " " << ac;
    }
  // A point between four pixels (the centre of a 2x2 input) averages them; one outside reads zeros, or the
  // border, or the reflection.
  auto small = tensor<double>({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  auto points = tensor<double>({0, 0, 1.5, 0}).reshape({1, 1, 2, 2});
  EXPECT_EQ(grid_sample(small, points, "bilinear", "zeros", true).to_vector(), (std::vector<double>{2.5, 2.25}));
  EXPECT_EQ(grid_sample(small, points, "bilinear", "border", true).to_vector(), (std::vector<double>{2.5, 3}));
  EXPECT_EQ(grid_sample(small, points, "bilinear", "reflection", true).to_vector(), (std::vector<double>{2.5, 2.75}));
}

TEST(Spatial, GridSampleAndAffineGridGradcheck) {
  for (const char* padding : {"zeros", "border", "reflection"})
    for (bool ac : {false, true}) {
      auto f = [&](const std::vector<AnyTensor>& in) {
        const auto grid = affine_grid(in[1].get<double>(), {2, 3, 4, 3}, ac);
        return std::vector<AnyTensor>{grid_sample(in[0].get<double>(), grid, "bilinear", padding, ac)};
      };
      auto theta = tensor<double>({0.913, 0.217, 0.0531, -0.121, 1.093, 0.117, 1.187, -0.311, -0.219, 0.263, 0.807, 0.1571})
                       .reshape({2, 2, 3});
      EXPECT_TRUE(autograd::gradcheck(f, {leaf({2, 3, 5, 4}, 7), theta.requires_grad_()})) << padding << " " << ac;
    }
  auto x = tensor<double>({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { grid_sample(x, zeros<double>({1, 3, 3, 3})); }),
            "[grid_sample] expected a grid of shape (N, H_out, W_out, 2) for a 4-d input, got shape (1, 3, 3, 3)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { grid_sample(x, zeros<double>({2, 3, 3, 2})); }),
            "[grid_sample] the grid and the input must have the same batch size, got input of shape (1, 1, 2, 2) "
            "and grid of shape (2, 3, 3, 2)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { grid_sample(x, zeros<double>({1, 3, 3, 2}), "bicubic"); }),
            "[grid_sample] mode must be 'bilinear' or 'nearest', got 'bicubic'");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { affine_grid(zeros<double>({1, 3, 3}), {1, 1, 2, 2}); }),
            "[affine_grid] expected theta of shape (N, 2, 3) = (1, 2, 3) for size (1, 1, 2, 2), got shape (1, 3, 3)");
}
