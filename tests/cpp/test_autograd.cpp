// Autograd from C++: backward, accumulation, NoGradGuard, grad(), gradcheck and the error cases.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::leaf;

namespace {

}  // namespace

TEST(Autograd, MlpGradientsMatchHandDerivation) {
  // loss = sum(relu(x @ w + b)); dL/dw = x^T (mask), dL/db = sum over rows of mask.
  auto x = leaf({3, 4}, 1);
  auto w = leaf({4, 2}, 2);
  auto b = leaf({2}, 3);
  auto h = x.matmul(w) + b;
  auto loss = h.relu().sum();
  loss.backward();
  Tensor<double> mask = h.detach().gt(0.0).to<double>();
  auto dw = x.detach().T_().matmul(mask);
  auto db = mask.sum(0);
  auto dx = mask.matmul(w.detach().T_());
  for (std::int64_t i = 0; i < dw.numel(); ++i) EXPECT_NEAR(w.grad().to_vector()[i], dw.to_vector()[i], 1e-12);
  for (std::int64_t i = 0; i < db.numel(); ++i) EXPECT_NEAR(b.grad().to_vector()[i], db.to_vector()[i], 1e-12);
  for (std::int64_t i = 0; i < dx.numel(); ++i) EXPECT_NEAR(x.grad().to_vector()[i], dx.to_vector()[i], 1e-12);
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  auto x = leaf({5}, 4);
  (x * 3.0).sum().backward();
  (x * 3.0).sum().backward();
  for (double g : x.grad().to_vector()) EXPECT_DOUBLE_EQ(g, 6.0);
  x.set_grad(Tensor<double>());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradGuardStopsRecording) {
  auto x = leaf({2, 2}, 5);
  {
    NoGradGuard guard;
    EXPECT_FALSE(is_grad_enabled());
    auto y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    {
      EnableGradGuard enable;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
    x.add_(1.0);  // allowed on a leaf under no_grad
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2.0).requires_grad());
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE((x * 2.0).is_leaf());
}

TEST(Autograd, GradDoesNotTouchDotGrad) {
  auto x = leaf({3}, 6);
  auto y = (x * x).sum();
  const AnyTensor out(y), in(x);
  auto g = autograd::grad(std::span<const AnyTensor>(&out, 1), std::span<const AnyTensor>(&in, 1));
  EXPECT_FALSE(x.grad().defined());
  auto gv = g[0].get<double>().to_vector();
  auto xv = x.to_vector();
  for (std::size_t i = 0; i < gv.size(); ++i) EXPECT_NEAR(gv[i], 2 * xv[i], 1e-12);
}

TEST(Autograd, GradcheckPassesAndNamesTheWorstElement) {
  auto x = leaf({2, 3}, 7);
  auto w = leaf({3}, 8);
  autograd::TensorFunction f = [](const std::vector<AnyTensor>& in) {
    const auto& a = in[0].get<double>();
    const auto& b = in[1].get<double>();
    return std::vector<AnyTensor>{(a * b).tanh().logsumexp(1)};
  };
  EXPECT_TRUE(autograd::gradcheck(f, {x, w}));
  autograd::TensorFunction wrong = [](const std::vector<AnyTensor>& in) {
    const auto& a = in[0].get<double>();
    return std::vector<AnyTensor>{a.detach() * a};  // misses half of d(a^2)
  };
  const auto msg = error_of<autograd::GradcheckError>([&] { autograd::gradcheck(wrong, {x}); });
  EXPECT_NE(msg.find("Jacobian mismatch for output 0 with respect to input 0"), std::string::npos) << msg;
}

TEST(Autograd, ErrorsNameTheProblem) {
  auto x = leaf({2, 3}, 9);
  auto y = x * 2.0;
  EXPECT_NE(error_of<AutogradError>([&] { y.backward(); }).find("only for scalar outputs"), std::string::npos);
  EXPECT_NE(error_of<AutogradError>([&] { Tensor<double>::empty({1}).backward(); }).find("does not require grad"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { y.backward(ones<double>({3})); }).find("(3,)"), std::string::npos);
  auto s = (x * x).sum();
  s.backward();
  EXPECT_NE(error_of<AutogradError>([&] { s.backward(); }).find("retain_graph"), std::string::npos);
  EXPECT_NE(error_of<AutogradError>([&] { x.add_(1.0); }).find("leaf"), std::string::npos);
  EXPECT_NE(error_of<TypeError>([&] { zeros<std::int64_t>({2}).requires_grad_(); }).find("floating point"),
            std::string::npos);
}

TEST(Autograd, InPlaceChangeOfASavedTensorIsCaught) {
  auto x = leaf({3}, 10);
  auto c = ones<double>({3});
  auto y = (x * c).sum();  // mul saves c
  c.mul_(2.0);
  EXPECT_NE(error_of<AutogradError>([&] { y.backward(); }).find("modified by an inplace operation"),
            std::string::npos);
}

TEST(Autograd, GraphDiesWithItsLastOutput) {
  auto x = leaf({4}, 11);
  std::weak_ptr<autograd::Node> node;
  {
    auto y = x.exp();
    node = y.grad_fn();
    EXPECT_FALSE(node.expired());
  }
  EXPECT_TRUE(node.expired());
}

TEST(Autograd, ViewsSendGradientsToTheRightElements) {
  auto x = leaf({3, 4}, 12);
  auto y = x.T_().slice(0, 1, 3).select(1, 2);  // x[2, 1:3]
  y.sum().backward();
  auto g = x.grad().to_vector();
  for (std::int64_t i = 0; i < 12; ++i) EXPECT_DOUBLE_EQ(g[i], (i == 9 || i == 10) ? 1.0 : 0.0) << i;
}

TEST(Autograd, InPlaceArithmeticOnANonLeafIsRecorded) {
  auto x = leaf({3}, 13);
  auto h = x * 2.0;
  h.add_(x);     // h = 3x
  h.mul_(x);     // h = 3x^2: the recorded op saves a copy of the old h
  h.sum().backward();
  auto g = x.grad().to_vector();
  auto xv = x.to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], 6 * xv[i], 1e-12);
  auto y = x * 2.0;
  auto v = y.reshape({3});
  EXPECT_NE(error_of<AutogradError>([&] { y.add_(1.0); }).find("views"), std::string::npos);
  EXPECT_NE(error_of<AutogradError>([&] { v.add_(1.0); }).find("view"), std::string::npos);
}

TEST(Autograd, AnomalyDetectionNamesTheOpWhoseGradientIsNaN) {
  auto x = tensor<double>({0.0, 4.0}).requires_grad_();
  auto loss = [&] { return sum(mul(sqrt(x), 0.0)); };  // sqrt's backward: 0 / (2 sqrt(0)) is NaN
  loss().backward();
  EXPECT_TRUE(std::isnan(x.grad().to_vector()[0]));  // off: NaN flows on, as in PyTorch
  x.set_grad(Tensor<double>());
  set_detect_anomaly(true);
  struct Off {
    ~Off() { set_detect_anomaly(false); }
  } off;
  EXPECT_EQ(error_of<AutogradError>([&] { loss().backward(); }),
            "[autograd] Function 'sqrt' returned nan values in its 0th output (anomaly detection)");
  EXPECT_FALSE(x.grad().defined());
  sum(mul(sqrt(x), 1.0)).backward();  // an infinite gradient is not an anomaly; only NaN is
  EXPECT_TRUE(std::isinf(x.grad().to_vector()[0]));
}
