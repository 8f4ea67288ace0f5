// Transposed convolution, 1-d convolution and pooling, and the spatial ops (pixel shuffle, interpolate,
// pad) from C++: values against direct loop references, the oneDNN path against float64, gradchecks, errors.
#include <gtest/gtest.h>

#include <vector>

#include "ember/ops/conv_transpose.hpp"
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
