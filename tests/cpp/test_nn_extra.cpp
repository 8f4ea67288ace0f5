// The activations, normalization layers, channel dropout and losses of ops/*_extra.hpp and nn/*_extra.hpp:
// values at known points, gradients by gradcheck in float64, modules against their ops, and error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ember/autograd/gradcheck.hpp"
#include "ember/ember.hpp"
#include "ember/nn/activation_extra.hpp"
#include "ember/nn/dropout_extra.hpp"
#include "ember/nn/loss_extra.hpp"
#include "ember/nn/normalization_extra.hpp"
#include "ember/nn/unflatten.hpp"
#include "ember/ops/activation_extra.hpp"
#include "helpers.hpp"

using namespace ember;

namespace {

Tensor<double> points() { return tensor<double>({-7.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 25.0}); }

autograd::TensorFunction fn1(std::function<Tensor<double>(const std::vector<Tensor<double>>&)> f) {
  return [f](const std::vector<AnyTensor>& in) {
    std::vector<Tensor<double>> t;
    for (const auto& a : in) t.push_back(a.get<double>());
    return std::vector<AnyTensor>{f(t)};
  };
}

/// d(sum(f(x) * w))/dx at x, by backward.
template <class F>
std::vector<double> grad_at(F f, const Tensor<double>& x0) {
  Tensor<double> x = x0.clone().detach().requires_grad_();
  f(x).sum().backward();
  return x.grad().to_vector();
}

}  // namespace

TEST(ActivationExtra, ValuesAtKnownPoints) {
  const auto x = points();
  const auto h = hardtanh(x, -1.0, 1.0).to_vector();
  EXPECT_EQ(h[0], -1.0);
  EXPECT_EQ(h[5], 0.5);
  EXPECT_EQ(h[9], 1.0);
  const auto r6 = relu6(x).to_vector();
  EXPECT_EQ(r6[0], 0.0);
  EXPECT_EQ(r6[9], 6.0);
  EXPECT_NEAR(elu(x).to_vector()[2], std::expm1(-1.0), 1e-15);
  EXPECT_NEAR(selu(x).to_vector()[6], 1.0507009873554805, 1e-15);
  EXPECT_NEAR(celu(x, 2.0).to_vector()[2], 2.0 * std::expm1(-0.5), 1e-15);
  EXPECT_NEAR(softplus(x).to_vector()[4], std::log(2.0), 1e-15);
  EXPECT_EQ(softplus(x).to_vector()[9], 25.0);
  EXPECT_NEAR(mish(x).to_vector()[6], std::tanh(std::log1p(std::exp(1.0))), 1e-15);
  EXPECT_EQ(hardswish(x).to_vector()[7], 3.0);
  EXPECT_EQ(hardsigmoid(x).to_vector()[4], 0.5);
  EXPECT_NEAR(logsigmoid(x).to_vector()[4], -std::log(2.0), 1e-15);
  EXPECT_EQ(softsign(x).to_vector()[6], 0.5);
  EXPECT_EQ(hardshrink(x).to_vector()[5], 0.0);
  EXPECT_EQ(softshrink(x).to_vector()[6], 0.5);
  EXPECT_EQ(threshold(x, 0.5, -9.0).to_vector()[5], -9.0);
  // NaN propagates
  const auto nan = tensor<double>({std::numeric_limits<double>::quiet_NaN()});
  for (auto v : {elu(nan), hardtanh(nan), relu6(nan), hardswish(nan), softplus(nan), mish(nan), softshrink(nan)})
    EXPECT_TRUE(std::isnan(v.to_vector()[0]));
}

TEST(ActivationExtra, GradientsAtKinksArePyTorchs) {
  const auto x = points();
  // hardtanh: 0 at and beyond the bounds
  EXPECT_EQ(grad_at([](const auto& v) { return hardtanh(v); }, x)[2], 0.0);
  EXPECT_EQ(grad_at([](const auto& v) { return hardtanh(v); }, x)[6], 0.0);
  EXPECT_EQ(grad_at([](const auto& v) { return hardtanh(v); }, x)[5], 1.0);
  const auto g6 = grad_at([](const auto& v) { return relu6(v); }, x);
  EXPECT_EQ(g6[4], 0.0);
  EXPECT_EQ(g6[8], 0.0);
  EXPECT_EQ(g6[7], 1.0);
  EXPECT_EQ(grad_at([](const auto& v) { return elu(v, 2.0); }, x)[4], 2.0);
  const auto hs = grad_at([](const auto& v) { return hardswish(v); }, x);
  EXPECT_EQ(hs[1], 0.0);  // PyTorch's one-sided values at -3 and 3
  EXPECT_EQ(hs[7], 1.0);
  EXPECT_EQ(grad_at([](const auto& v) { return hardsigmoid(v); }, x)[1], 0.0);
  EXPECT_EQ(grad_at([](const auto& v) { return softplus(v, 1.0, 1.0); }, x)[7], 1.0);
}

TEST(ActivationExtra, Gradcheck) {
  const auto x = tensor<double>({-2.3, -0.7, 0.2, 0.9, 2.8, 4.1}).reshape({2, 3}).requires_grad_();
  auto check = [&](auto f) {
    EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& in) { return f(in[0]); }), {AnyTensor(x)}));
  };
  check([](const auto& v) { return elu(v, 1.3); });
  check([](const auto& v) { return selu(v); });
  check([](const auto& v) { return celu(v, 0.7); });
  check([](const auto& v) { return softplus(v, 2.0, 3.0); });
  check([](const auto& v) { return mish(v); });
  check([](const auto& v) { return hardswish(v); });
  check([](const auto& v) { return hardsigmoid(v); });
  check([](const auto& v) { return hardtanh(v, -1.5, 2.0); });
  check([](const auto& v) { return relu6(v); });
  check([](const auto& v) { return logsigmoid(v); });
  check([](const auto& v) { return softsign(v); });
  check([](const auto& v) { return tanhshrink(v); });
  check([](const auto& v) { return softmin(v, 1); });
  check([](const auto& v) { return hardshrink(v, 0.5); });
  check([](const auto& v) { return softshrink(v, 0.5); });
  check([](const auto& v) { return threshold(v, 0.5, -1.0); });
  check([](const auto& v) { return glu(v, 0); });
  const auto w = tensor<double>({0.1, -0.3, 0.7}).requires_grad_();
  EXPECT_TRUE(autograd::gradcheck(
      fn1([](const auto& in) { return prelu(in[0], in[1]); }), {AnyTensor(x), AnyTensor(w)}));
}

TEST(ActivationExtra, InPlaceMatchesOutOfPlace) {
  const auto x = points();
  auto a = x.clone();
  elu_(a, 0.5);
  EXPECT_EQ(a.to_vector(), elu(x, 0.5).to_vector());
  auto b = x.clone();
  hardtanh_(b, -2.0, 2.0);
  EXPECT_EQ(b.to_vector(), hardtanh(x, -2.0, 2.0).to_vector());
  // recorded when x requires grad (a non-leaf)
  auto leaf = x.clone().detach().requires_grad_();
  auto y = leaf * 1.0;
  relu6_(y);
  y.sum().backward();
  EXPECT_EQ(leaf.grad().to_vector()[7], 1.0);
  EXPECT_EQ(leaf.grad().to_vector()[8], 0.0);
}

TEST(ActivationExtra, Modules) {
  const auto x = tensor<float>({-2.0f, -0.5f, 0.5f, 2.0f, 7.0f, -9.0f}).reshape({1, 2, 3});
  nn::PReLU<float> p(2, 0.1);
  const auto y = p.forward(x).to_vector();
  EXPECT_FLOAT_EQ(y[0], -0.2f);
  EXPECT_FLOAT_EQ(y[5], -0.9f);
  EXPECT_EQ(p.named_parameters().size(), 1u);
  EXPECT_EQ(nn::ReLU6<float>().forward(x).to_vector()[4], 6.0f);
  EXPECT_EQ(nn::Hardtanh<float>(-1, 1).forward(x).to_vector()[0], -1.0f);
  EXPECT_EQ(nn::GLU<float>(1).forward(x).shape(), (Shape{1, 1, 3}));
  EXPECT_THROW(nn::Hardtanh<float>(1, 1), std::invalid_argument);
  EXPECT_THROW(glu(x, 2), std::invalid_argument);
  EXPECT_THROW(prelu(x, ones<float>({3})), std::invalid_argument);
  EXPECT_THROW(celu(x, 0.0), std::invalid_argument);
}

TEST(NormalizationExtra, GroupNormMatchesLayerNormPerGroup) {
  const auto x = randn<double>({2, 4, 3});
  // one group: layer_norm over (C, L)
  const auto g1 = group_norm(x, 1).to_vector();
  const auto ln = layer_norm(x, Shape{4, 3}, std::nullopt, std::nullopt, 1e-5).to_vector();
  for (std::size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], ln[i], 1e-12);
  // C groups of one channel: instance_norm
  const auto gc = group_norm(x, 4).to_vector();
  const auto in = instance_norm(x).to_vector();
  for (std::size_t i = 0; i < gc.size(); ++i) EXPECT_NEAR(gc[i], in[i], 1e-12);
  EXPECT_THROW(group_norm(x, 3), std::invalid_argument);
  EXPECT_THROW(nn::GroupNorm<double>(3, 4), std::invalid_argument);
}

TEST(NormalizationExtra, Gradcheck) {
  const auto x = randn<double>({2, 4, 3}).requires_grad_();
  const auto w = randn<double>({4}).requires_grad_(), b = randn<double>({4}).requires_grad_();
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) { return group_norm(t[0], 2, t[1], t[2]); }),
                                  {AnyTensor(x), AnyTensor(w), AnyTensor(b)}));
  EXPECT_TRUE(autograd::gradcheck(
      fn1([](const auto& t) { return instance_norm(t[0], std::nullopt, std::nullopt, t[1], t[2]); }),
      {AnyTensor(x), AnyTensor(w), AnyTensor(b)}));
  const auto w3 = randn<double>({3}).requires_grad_();
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) { return rms_norm(t[0], Shape{3}, t[1]); }),
                                  {AnyTensor(x), AnyTensor(w3)}));
}

TEST(NormalizationExtra, InstanceNormRunningStatistics) {
  nn::InstanceNorm1d<double> m(2, 1e-5, 0.1, false, true);
  const auto x = randn<double>({3, 2, 5});
  m.forward(x);
  const auto rm = m.running_mean.to_vector();
  const auto expect = (x.mean({0, 2}) * 0.1).to_vector();
  EXPECT_NEAR(rm[0], expect[0], 1e-12);
  m.eval();
  const auto y = m.forward(x);
  EXPECT_EQ(y.shape(), x.shape());
  EXPECT_EQ(m.forward(randn<double>({2, 5})).shape(), (Shape{2, 5}));  // unbatched
  EXPECT_THROW(m.forward(randn<double>({2, 5, 1, 1})), std::invalid_argument);
  nn::RMSNorm<double> r(3);
  EXPECT_EQ(r.forward(randn<double>({2, 3})).shape(), (Shape{2, 3}));
}

TEST(DropoutExtra, ZeroesWholeChannels) {
  const auto x = ones<double>({4, 6, 5});
  const auto y = dropout1d(x, 0.5).to_vector();
  for (std::size_t c = 0; c < 24; ++c)
    for (std::size_t l = 1; l < 5; ++l) EXPECT_EQ(y[c * 5 + l], y[c * 5]);
  for (double v : y) EXPECT_TRUE(v == 0.0 || v == 2.0);
  EXPECT_EQ(dropout1d(ones<double>({6, 5}), 0.5).shape(), (Shape{6, 5}));
  EXPECT_THROW(dropout1d(ones<double>({6}), 0.5), std::invalid_argument);
  EXPECT_EQ(dropout2d(x, 0.3, false).to_vector(), x.to_vector());
  nn::Dropout2d<double> d(0.5);
  d.eval();
  EXPECT_EQ(d.forward(x).to_vector(), x.to_vector());
}

TEST(UnflattenLayer, SplitsOneDim) {
  nn::Unflatten<float> u(1, Shape{2, -1});
  EXPECT_EQ(u.forward(zeros<float>({3, 6, 2})).shape(), (Shape{3, 2, 3, 2}));
  EXPECT_EQ(nn::unflatten_shape(Shape{3, 6}, -1, Shape{3, 2}), (Shape{3, 3, 2}));
  EXPECT_THROW(nn::unflatten_shape(Shape{3, 6}, 1, Shape{4, 2}), std::invalid_argument);
  EXPECT_THROW(nn::unflatten_shape(Shape{3, 6}, 1, Shape{-1, -1}), std::invalid_argument);
}

TEST(LossExtra, Values) {
  const auto a = tensor<double>({1.0, 0.0, 0.0, 1.0}).reshape({2, 2});
  const auto b = tensor<double>({1.0, 0.0, 1.0, 0.0}).reshape({2, 2});
  const auto cs = cosine_similarity(a, b).to_vector();
  EXPECT_NEAR(cs[0], 1.0, 1e-12);
  EXPECT_NEAR(cs[1], 0.0, 1e-12);
  EXPECT_NEAR(pairwise_distance(a, b, 2.0, 0.0).to_vector()[1], std::sqrt(2.0), 1e-12);
  const auto y = tensor<double>({1.0, -1.0});
  EXPECT_NEAR(cosine_embedding_loss(a, b, y, 0.0, Reduction::Sum).item(), 0.0, 1e-9);
  EXPECT_NEAR(margin_ranking_loss(tensor<double>({1.0}), tensor<double>({2.0}), tensor<double>({1.0}), 0.5).item(), 1.5,
              1e-12);
  const auto p = tensor<double>({0.25, 0.75});
  EXPECT_NEAR(kl_div(log(p), p, "sum").item(), 0.0, 1e-12);
  EXPECT_THROW(kl_div(log(p), p, "avg"), std::invalid_argument);
  EXPECT_THROW(cosine_embedding_loss(a, b, tensor<double>({1.0})), std::invalid_argument);
  EXPECT_THROW(triplet_margin_loss(a, b, tensor<double>({1.0, 2.0})), std::invalid_argument);
  EXPECT_THROW(gaussian_nll_loss(a, b, ones<double>({3})), std::invalid_argument);
  EXPECT_THROW(gaussian_nll_loss(a, b, -ones<double>({2, 2})), std::invalid_argument);
}

TEST(LossExtra, Gradcheck) {
  const auto x1 = randn<double>({3, 4}).requires_grad_(), x2 = randn<double>({3, 4}).requires_grad_();
  const auto x3 = randn<double>({3, 4}).requires_grad_();
  const auto y = tensor<double>({1.0, -1.0, 1.0});
  const auto in = {AnyTensor(x1), AnyTensor(x2)};
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) { return cosine_similarity(t[0], t[1]); }), in));
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) { return pairwise_distance(t[0], t[1], 3.0); }), in));
  EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& t) { return cosine_embedding_loss(t[0], t[1], y, -0.5); }), in));
  EXPECT_TRUE(autograd::gradcheck(
      fn1([](const auto& t) { return triplet_margin_loss(t[0], t[1], t[2], 1.0, 2.0, 1e-6, true); }),
      {AnyTensor(x1), AnyTensor(x2), AnyTensor(x3)}));
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) { return kl_div(t[0], t[1], "batchmean", true); }), in));
  EXPECT_TRUE(autograd::gradcheck(
      fn1([](const auto& t) { return poisson_nll_loss(t[0], abs(t[1]) * 3.0, true, true); }), in));
  EXPECT_TRUE(autograd::gradcheck(
      fn1([](const auto& t) { return gaussian_nll_loss(t[0], t[1], abs(t[2]) + 0.1, true); }),
      {AnyTensor(x1), AnyTensor(x2), AnyTensor(x3)}));
  EXPECT_TRUE(autograd::gradcheck(
      fn1([](const auto& t) { return multilabel_soft_margin_loss(t[0], sigmoid(t[1])); }), in));
  nn::TripletMarginLoss<double> tl;
  EXPECT_GE(tl.forward(x1, x2, x3).item(), 0.0);
}
