// linear, conv2d, pooling and normalization from C++: the float32 oneDNN path against the float64
// loop reference, hand-computed values, gradcheck of every op, and the error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ember/ember.hpp>

#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::leaf;

namespace {

void expect_close(const Tensor<float>& a, const Tensor<double>& b, double tol) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto av = a.contiguous().to_vector();
  const auto bv = b.contiguous().to_vector();
  for (std::size_t i = 0; i < av.size(); ++i) EXPECT_NEAR(av[i], bv[i], tol) << "element " << i;
}

autograd::TensorFunction conv_fn(Conv2dOptions o) {
  return [o](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{conv2d(in[0].get<double>(), in[1].get<double>(), in[2].get<double>(), o)};
  };
}

}  // namespace

TEST(Conv2d, HandComputedValues) {
  // A 3x3 input of 1..9 with a 2x2 kernel of ones sums each 2x2 block; bias adds 0.5.
  auto x = arange<float>(1, 10).reshape({1, 1, 3, 3});
  auto w = ones<float>({1, 1, 2, 2});
  auto y = conv2d(x, w, tensor<float>({0.5f}));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{12.5f, 16.5f, 24.5f, 28.5f}));
}

TEST(Conv2d, OneDnnMatchesTheLoopReference) {
  // 4 channels: plain layouts for backward-data; 16: blocked layouts and reorders everywhere.
  for (std::int64_t c : {4, 16})
  for (auto o : {Conv2dOptions{}, Conv2dOptions{{2, 1}, {1, 2}, {1, 1}, 1}, Conv2dOptions{{1, 1}, {2, 2}, {2, 2}, 1},
                 Conv2dOptions{{2, 2}, {1, 1}, {1, 1}, 2}}) {
    auto x = randn<double>({2, c, 9, 7}).detach();
    auto w = randn<double>({6, c / o.groups, 3, 3}).detach();
    auto b = randn<double>({6}).detach();
    auto ref = conv2d(x, w, b, o);
    auto got = conv2d(x.to<float>(), w.to<float>(), b.to<float>(), o);
    expect_close(got, ref, 1e-4);
    // Backward: the gradients of sum(y * r) for a random r, from both paths.
    auto r = randn<double>(ref.shape());
    auto xf = x.to<float>(), wf = w.to<float>(), bf = b.to<float>();
    for (auto* t : {&xf, &wf, &bf}) t->requires_grad_(true);
    (conv2d(xf, wf, bf, o) * r.to<float>()).sum().backward();
    auto xd = x.clone(), wd = w.clone(), bd = b.clone();
    for (auto* t : {&xd, &wd, &bd}) t->requires_grad_(true);
    (conv2d(xd, wd, std::optional(bd), o) * r).sum().backward();
    expect_close(xf.grad(), xd.grad(), 1e-3);
    expect_close(wf.grad(), wd.grad(), 1e-3);
    expect_close(bf.grad(), bd.grad(), 1e-3);
  }
}

TEST(Conv2d, Gradcheck) {
  EXPECT_TRUE(autograd::gradcheck(conv_fn({}), {leaf({2, 2, 5, 4}, 1), leaf({3, 2, 2, 3}, 2), leaf({3}, 3)}));
  EXPECT_TRUE(autograd::gradcheck(conv_fn({{2, 1}, {1, 1}, {2, 1}, 2}),
                                  {leaf({1, 4, 6, 5}, 4), leaf({2, 2, 2, 2}, 5), leaf({2}, 6)}));
}

TEST(Conv2d, Errors) {
  auto x = zeros<float>({1, 3, 8, 8});
  EXPECT_NE(error_of<std::invalid_argument>([&] { conv2d(x, zeros<float>({4, 2, 3, 3})); })
                .find("[conv2d] input of shape (1, 3, 8, 8) has 3 channels, but weight of shape (4, 2, 3, 3) with "
                      "groups=1 expects 2"),
            std::string::npos);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv2d(zeros<float>({8, 8}), zeros<float>({4, 3, 3, 3})); }),
            "[conv2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (8, 8)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv2d(x, zeros<float>({4, 3, 3, 3}), std::nullopt, {.stride = {1, 2},
                                                                                              .padding = "same"}); }),
            "[conv2d] padding='same' is not supported for strided convolutions, got stride (1, 2)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv2d(x, zeros<float>({4, 3, 3, 3}), std::nullopt, {.padding = "x"}); }),
            "[conv2d] invalid padding string 'x', should be one of {'valid', 'same'}");
  EXPECT_NE(error_of<std::invalid_argument>([&] { conv2d(x, zeros<float>({4, 3, 9, 9})); })
                .find("is smaller than the dilated kernel (9, 9)"),
            std::string::npos);
}

TEST(Pool2d, HandComputedValues) {
  auto x = arange<float>(0, 16).reshape({1, 1, 4, 4});
  EXPECT_EQ(max_pool2d(x, {.kernel = {2, 2}}).to_vector(), (std::vector<float>{5, 7, 13, 15}));
  EXPECT_EQ(avg_pool2d(x, {.kernel = {2, 2}}).to_vector(), (std::vector<float>{2.5f, 4.5f, 10.5f, 12.5f}));
  EXPECT_EQ(adaptive_avg_pool2d(x, {1, 1}).to_vector(), (std::vector<float>{7.5f}));
  // ceil_mode keeps a last, partial window; count_include_pad=false divides by the cells inside.
  EXPECT_EQ(max_pool2d(x, {.kernel = {3, 3}, .stride = {{2, 2}}, .ceil_mode = true}).shape(), (Shape{1, 1, 2, 2}));
  auto a = avg_pool2d(x, {.kernel = {2, 2}, .stride = {{1, 1}}, .padding = {1, 1}, .count_include_pad = false});
  EXPECT_EQ(a.index({0, 0, 0, 0}).item(), 0.0f);
  EXPECT_EQ(a.index({0, 0, 0, 1}).item(), 0.5f);
}

TEST(Pool2d, Gradcheck) {
  auto f = [](auto op) {
    return autograd::TensorFunction([op](const std::vector<AnyTensor>& in) {
      return std::vector<AnyTensor>{op(in[0].get<double>())};
    });
  };
  EXPECT_TRUE(autograd::gradcheck(f([](const Tensor<double>& x) {
    return max_pool2d(x, {.kernel = {2, 3}, .stride = {{1, 2}}, .padding = {1, 1}, .dilation = {1, 1}});
  }), {leaf({2, 2, 5, 6}, 7)}));
  EXPECT_TRUE(autograd::gradcheck(f([](const Tensor<double>& x) {
    return avg_pool2d(x, {.kernel = {3, 3}, .stride = {{2, 2}}, .padding = {1, 1}, .ceil_mode = true,
                          .count_include_pad = false});
  }), {leaf({1, 2, 6, 5}, 8)}));
  EXPECT_TRUE(autograd::gradcheck(f([](const Tensor<double>& x) { return adaptive_avg_pool2d(x, {3, 2}); }),
                                  {leaf({2, 1, 7, 5}, 9)}));
}

TEST(Conv2d, UnbatchedAndSamePadding) {
  // Unbatched (C, H, W) is the batch of one without its batch dim, forward and backward.
  auto x = leaf({3, 6, 5}, 20), w = leaf({4, 3, 3, 2}, 21), b = leaf({4}, 22);
  const auto y = conv2d(x, w, b);
  EXPECT_EQ(y.shape(), (Shape{4, 4, 4}));
  EXPECT_EQ(y.to_vector(), conv2d(x.unsqueeze(0), w, b).to_vector());
  EXPECT_TRUE(autograd::gradcheck(conv_fn({}), {x, w, b}));
  // "same" keeps H x W for every kernel and dilation; an odd total pads one more at the bottom / right.
  for (auto o : {Conv2dOptions{.padding = "same"}, Conv2dOptions{.padding = "same", .dilation = {2, 3}}}) {
    const auto s = conv2d(x, w, b, o);
    EXPECT_EQ(s.shape(), (Shape{4, 6, 5}));
    EXPECT_TRUE(autograd::gradcheck(conv_fn(o), {x, w, b}));
  }
  // kernel (3, 2), dilation 1: pad rows by 1 and 1, columns by 0 and 1: the explicit (1, 1) output less its first column.
  const auto same = conv2d(x, w, b, {.padding = "same"});
  EXPECT_EQ(same.to_vector(), conv2d(x, w, b, {.padding = {1, 1}}).narrow(2, 1, 5).contiguous().to_vector());
  EXPECT_EQ(conv2d(x, w, b, {.padding = "valid"}).to_vector(), y.to_vector());
  // float32 (oneDNN) agrees with the float64 loops on "same".
  expect_close(conv2d(x.to<float>().detach(), w.to<float>().detach(), b.to<float>().detach(), {.padding = "same"}),
               same, 1e-4);
}

TEST(Pool2d, Unbatched) {
  auto x = leaf({2, 5, 6}, 23);
  const Pool2dOptions o{.kernel = {2, 3}, .stride = {{2, 1}}, .padding = {1, 1}};
  EXPECT_EQ(max_pool2d(x, o).to_vector(), max_pool2d(x.unsqueeze(0), o).to_vector());
  EXPECT_EQ(max_pool2d(x, o).shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(avg_pool2d(x, o).to_vector(), avg_pool2d(x.unsqueeze(0), o).to_vector());
  EXPECT_EQ(adaptive_avg_pool2d(x, {2, 4}).shape(), (Shape{2, 2, 4}));
  auto f = [](auto op) {
    return autograd::TensorFunction([op](const std::vector<AnyTensor>& in) {
      return std::vector<AnyTensor>{op(in[0].get<double>())};
    });
  };
  EXPECT_TRUE(autograd::gradcheck(f([&](const Tensor<double>& v) { return max_pool2d(v, o); }), {x}));
  EXPECT_TRUE(autograd::gradcheck(f([&](const Tensor<double>& v) { return avg_pool2d(v, o); }), {x}));
  EXPECT_TRUE(autograd::gradcheck(f([](const Tensor<double>& v) { return adaptive_avg_pool2d(v, {3, 4}); }), {x}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { avg_pool2d(zeros<float>({5}), {.kernel = {1, 1}}); }),
            "[avg_pool2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (5,)");
  EXPECT_EQ(error_of<std::invalid_argument>([] { adaptive_avg_pool2d(zeros<float>({1, 1, 1, 2, 2}), {1, 1}); }),
            "[adaptive_avg_pool2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (1, 1, 1, 2, 2)");
}

TEST(Activation, LeakyReluValuesGradcheckAndInplace) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto y = leaky_relu(tensor<double>({-2.0, -0.0, 0.0, 1.5, nan}), 0.1).to_vector();
  EXPECT_EQ(std::vector<double>(y.begin(), y.begin() + 4), (std::vector<double>{-0.2, 0.0, 0.0, 1.5}));
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(leaky_relu(tensor<float>({-100.0f})).item(), -1.0f);  // default slope 0.01
  EXPECT_EQ(leaky_relu(zeros<double>({0, 3})).shape(), (Shape{0, 3}));
  auto t = leaf({3, 4}, 24);
  const auto fn = [](double s) {
    return autograd::TensorFunction([s](const std::vector<AnyTensor>& in) {
      return std::vector<AnyTensor>{leaky_relu(in[0].get<double>(), s)};
    });
  };
  EXPECT_TRUE(autograd::gradcheck(fn(0.01), {t}));
  EXPECT_TRUE(autograd::gradcheck(fn(-2.0), {t}));
  EXPECT_TRUE(autograd::gradcheck(fn(0.3), {leaf({4, 3}, 25).mT()}));  // a non-contiguous view
  // Gradient at 0 is negative_slope, as PyTorch.
  auto z = zeros<double>({1});
  z.requires_grad_(true);
  leaky_relu(z, 0.2).sum().backward();
  EXPECT_EQ(z.grad().item(), 0.2);

  auto a = tensor<double>({-1.0, 2.0});
  EXPECT_TRUE(relu_(a).is_same(a));
  EXPECT_EQ(a.to_vector(), (std::vector<double>{0.0, 2.0}));
  auto i = tensor<std::int64_t>({-3, 4});
  relu_(i);
  EXPECT_EQ(i.to_vector(), (std::vector<std::int64_t>{0, 4}));
  auto l = tensor<float>({-1.0f, 2.0f});
  leaky_relu_(l, 0.5);
  EXPECT_EQ(l.to_vector(), (std::vector<float>{-0.5f, 2.0f}));
  // In place on a tensor that requires grad: recorded like the out-of-place op.
  auto p = leaf({5}, 26);
  auto h = p * 2.0;
  leaky_relu_(h, 0.5);
  h.sum().backward();
  const auto pv = p.to_vector(), gv = p.grad().to_vector();
  for (std::size_t k = 0; k < pv.size(); ++k) EXPECT_EQ(gv[k], pv[k] > 0 ? 2.0 : 1.0);
  EXPECT_NE(error_of<std::invalid_argument>([] { relu_(zeros<float>({1}).expand({3})); }).find("[relu_]"),
            std::string::npos);
  EXPECT_EQ(implicit_softmax_dim(0), 0);
  EXPECT_EQ(implicit_softmax_dim(2), 1);
  EXPECT_EQ(implicit_softmax_dim(3), 0);
  EXPECT_EQ(implicit_softmax_dim(4), 1);
}

TEST(Pool2d, Errors) {
  EXPECT_NE(error_of<std::invalid_argument>([] { max_pool2d(zeros<float>({1, 1, 2, 2}), {.kernel = {3, 3}}); })
                .find("[max_pool2d] input of shape (1, 1, 2, 2) is too small for kernel_size (3, 3)"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([] {
              max_pool2d(zeros<float>({1, 1, 4, 4}), {.kernel = {2, 2}, .padding = {2, 2}});
            }).find("at most half the kernel size"),
            std::string::npos);
}

TEST(Linear, MatchesMatmulAndGradchecks) {
  auto x = leaf({2, 3, 4}, 10), w = leaf({5, 4}, 11), b = leaf({5}, 12);
  auto y = linear(x, w, b);
  auto ref = matmul(x.detach(), w.detach().mT()) + b.detach();
  expect_close(y.to<float>(), ref, 1e-6);
  EXPECT_TRUE(autograd::gradcheck([](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{linear(in[0].get<double>(), in[1].get<double>(), in[2].get<double>())};
  }, {x, w, b}));
  EXPECT_TRUE(autograd::gradcheck([](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{linear(in[0].get<double>(), in[1].get<double>())};
  }, {leaf({4}, 13), w}));
  EXPECT_NE(error_of<std::invalid_argument>([] { linear(zeros<float>({2, 3}), zeros<float>({5, 4})); })
                .find("[linear] input of shape (2, 3) does not match weight of shape (5, 4)"),
            std::string::npos);
}

TEST(Normalization, BatchNormTrainsRunningStatsAndGradchecks) {
  auto x = randn<double>({4, 3, 2, 2}).detach();
  auto rm = zeros<double>({3}), rv = ones<double>({3});
  auto y = batch_norm(x, rm, rv, std::nullopt, std::nullopt, true, 0.1, 1e-5);
  // Each channel of y has mean 0 and biased variance 1 (up to eps).
  auto m = y.mean({0, 2, 3}).to_vector();
  auto v = y.var({0, 2, 3}, 0).to_vector();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(m[c], 0.0, 1e-12);
    EXPECT_NEAR(v[c], 1.0, 1e-3);
  }
  auto batch_mean = x.mean({0, 2, 3}).to_vector(), batch_var = x.var({0, 2, 3}, 1).to_vector();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(rm.to_vector()[c], 0.1 * batch_mean[c], 1e-12);
    EXPECT_NEAR(rv.to_vector()[c], 0.9 + 0.1 * batch_var[c], 1e-12);
  }
  EXPECT_TRUE(autograd::gradcheck([](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{batch_norm(in[0].get<double>(), std::nullopt, std::nullopt, in[1].get<double>(),
                                             in[2].get<double>(), true, 0.1, 1e-5)};
  }, {leaf({3, 2, 4}, 14), leaf({2}, 15), leaf({2}, 16)}));
  EXPECT_NE(error_of<std::invalid_argument>([] {
              batch_norm(zeros<float>({1, 3}), std::nullopt, std::nullopt, std::nullopt, std::nullopt, true, 0.1, 1e-5);
            }).find("expected more than 1 value per channel when training"),
            std::string::npos);
}

TEST(Normalization, LayerNormGradchecks) {
  EXPECT_TRUE(autograd::gradcheck([](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{layer_norm(in[0].get<double>(), {3, 4}, in[1].get<double>(), in[2].get<double>(),
                                             1e-5)};
  }, {leaf({2, 3, 4}, 17), leaf({3, 4}, 18), leaf({3, 4}, 19)}));
  EXPECT_NE(error_of<std::invalid_argument>([] {
              layer_norm(zeros<float>({2, 5}), {4}, std::nullopt, std::nullopt, 1e-5);
            }).find("[layer_norm] input of shape (2, 5) does not end with normalized_shape (4,)"),
            std::string::npos);
}

TEST(Normalization, OneDnnMatchesTheComposedReference) {
  // float32 training runs oneDNN's primitives; float64 is composed from ops: same values and gradients.
  auto x = randn<double>({6, 3, 4, 5}).detach();
  auto w = randn<double>({3}).detach(), b = randn<double>({3}).detach();
  auto r = randn<double>(x.shape());
  auto run = [&](auto xv, auto wv, auto bv, auto rv, auto rm, auto rvar) {
    for (auto* t : {&xv, &wv, &bv}) t->requires_grad_(true);
    auto y = batch_norm(xv, rm, rvar, wv, bv, true, 0.1, 1e-5);
    (y * rv).sum().backward();
    return std::tuple{y.detach(), xv.grad(), wv.grad(), bv.grad()};
  };
  auto rm32 = zeros<float>({3}), rv32 = ones<float>({3});
  auto rm64 = zeros<double>({3}), rv64 = ones<double>({3});
  auto [y32, dx32, dw32, db32] = run(x.to<float>(), w.to<float>(), b.to<float>(), r.to<float>(), rm32, rv32);
  auto [y64, dx64, dw64, db64] = run(x.clone(), w.clone(), b.clone(), r, rm64, rv64);
  expect_close(y32, y64, 1e-4);
  expect_close(dx32, dx64, 1e-3);
  expect_close(dw32, dw64, 1e-3);
  expect_close(db32, db64, 1e-3);
  expect_close(rm32, rm64, 1e-5);
  expect_close(rv32, rv64, 1e-5);

  auto lx = randn<double>({4, 3, 8}).detach(), lw = randn<double>({3, 8}).detach(), lb = randn<double>({3, 8}).detach();
  auto lr = randn<double>(lx.shape());
  auto lrun = [&](auto xv, auto wv, auto bv, auto rv) {
    for (auto* t : {&xv, &wv, &bv}) t->requires_grad_(true);
    auto y = layer_norm(xv, {3, 8}, wv, bv, 1e-5);
    (y * rv).sum().backward();
    return std::tuple{y.detach(), xv.grad(), wv.grad(), bv.grad()};
  };
  auto [ly32, ldx32, ldw32, ldb32] = lrun(lx.to<float>(), lw.to<float>(), lb.to<float>(), lr.to<float>());
  auto [ly64, ldx64, ldw64, ldb64] = lrun(lx.clone(), lw.clone(), lb.clone(), lr);
  expect_close(ly32, ly64, 1e-4);
  expect_close(ldx32, ldx64, 1e-3);
  expect_close(ldw32, ldw64, 1e-3);
  expect_close(ldb32, ldb64, 1e-3);
}

TEST(NnFunctional, BilinearMatchesLoopsGradcheckAndErrors) {
  const Tensor<double> x1 = randn<double>({2, 3, 4}), x2 = randn<double>({2, 3, 2}), w = randn<double>({5, 4, 2}),
                       b = randn<double>({5});
  const Tensor<double> y = bilinear(x1, x2, w, b);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  const auto yv = y.to_vector(), av = x1.to_vector(), cv = x2.to_vector(), wv = w.to_vector(), bv = b.to_vector();
  for (std::int64_t r = 0; r < 6; ++r)
    for (std::int64_t o = 0; o < 5; ++o) {
      double want = bv[o];
      for (std::int64_t i = 0; i < 4; ++i)
        for (std::int64_t j = 0; j < 2; ++j) want += av[r * 4 + i] * wv[(o * 4 + i) * 2 + j] * cv[r * 2 + j];
      EXPECT_NEAR(yv[r * 5 + o], want, 1e-12);
    }
  const auto f = [](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{bilinear(in[0].get<double>(), in[1].get<double>(), in[2].get<double>(),
                                           OptionalTensor<double>(in[3].get<double>()))};
  };
  EXPECT_TRUE(autograd::gradcheck(f, {leaf({3, 4}, 1), leaf({3, 2}, 2), leaf({5, 4, 2}, 3), leaf({5}, 4)}));
  nn::Bilinear<float> layer(4, 2, 3);
  EXPECT_EQ(layer(randn<float>({7, 4}), randn<float>({7, 2})).shape(), (Shape{7, 3}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { bilinear(x1, randn<double>({3, 2}), w); }),
            "[bilinear] input1 of shape (2, 3, 4) and input2 of shape (3, 2) must have the same leading dims");
  EXPECT_NE(error_of<std::invalid_argument>([&] { bilinear(x1, x2, randn<double>({5, 3, 2})); }).find(
                "input1 of shape (2, 3, 4) does not match weight of shape (5, 3, 2)"),
            std::string::npos);
}
