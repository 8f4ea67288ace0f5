// Optimizers from C++: one step of each rule against a hand computation, convergence on a quadratic,
// zero_grad, and the constructor checks.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

namespace {

// p = [1, -2] (a leaf) with grad g = [0.5, 1.5] set by hand.
Tensor<double> param_with_grad() {
  auto p = tensor<double>({1.0, -2.0}).requires_grad_();
  p.set_grad(tensor<double>({0.5, 1.5}));
  return p;
}

// Minimises sum((p - target)^2) for `steps` steps and returns the final distance to target.
template <class Opt>
double minimise_quadratic(Opt& opt, const Tensor<float>& p, int steps) {
  const auto target = tensor<float>({3.0f, -1.0f, 0.5f});
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    auto loss = (p - target).pow(2.0f).sum();
    loss.backward();
    opt.step();
  }
  return std::sqrt((p.detach() - target).pow(2.0f).sum().item());
}

}  // namespace

TEST(Optim, SgdStepMatchesHandComputation) {
  auto p = param_with_grad();
  optim::SGD<double> opt({p}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  opt.step();  // g = grad + 0.01 p; buf = g; p -= 0.1 g
  const double g0 = 0.5 + 0.01 * 1.0, g1 = 1.5 + 0.01 * -2.0;
  EXPECT_DOUBLE_EQ(p.to_vector()[0], 1.0 - 0.1 * g0);
  EXPECT_DOUBLE_EQ(p.to_vector()[1], -2.0 - 0.1 * g1);
  opt.step();  // second step: buf = 0.9 buf + g
  const double q0 = 1.0 - 0.1 * g0, h0 = 0.5 + 0.01 * q0;
  EXPECT_NEAR(p.to_vector()[0], q0 - 0.1 * (0.9 * g0 + h0), 1e-15);
  EXPECT_EQ(opt.momentum_buffers()[0].numel(), 2);
}

TEST(Optim, AdamStepMatchesHandComputation) {
  auto p = param_with_grad();
  optim::Adam<double> opt({p}, {.lr = 0.01});
  opt.step();  // step 1: m = 0.1 g, v = 0.001 g^2, m/(1-0.9) = g, sqrt(v/(1-0.999)) = |g|
  for (int i = 0; i < 2; ++i) {
    const double g = i == 0 ? 0.5 : 1.5, p0 = i == 0 ? 1.0 : -2.0;
    const double m = 0.1 * g, v = 0.001 * g * g;
    const double expected = p0 - (0.01 / 0.1) * m / (std::sqrt(v) / std::sqrt(0.001) + 1e-8);
    EXPECT_NEAR(p.to_vector()[i], expected, 1e-15);
  }
  EXPECT_EQ(opt.state()[0].step, 1);
}

TEST(Optim, AdamWDecaysTheParameterFirst) {
  auto p = param_with_grad();
  optim::AdamW<double> opt({p}, {.lr = 0.01, .weight_decay = 0.5});
  opt.step();  // p *= 1 - lr*wd, then the Adam step of size about lr * sign(g)
  const double p0 = 1.0 * (1 - 0.005), m = 0.05, v = 0.001 * 0.25;
  EXPECT_NEAR(p.to_vector()[0], p0 - 0.1 * m / (std::sqrt(v) / std::sqrt(0.001) + 1e-8), 1e-15);
}

TEST(Optim, RmspropStepMatchesHandComputation) {
  auto p = param_with_grad();
  optim::RMSprop<double> opt({p}, {.lr = 0.01, .alpha = 0.9, .centered = true});
  opt.step();  // sq = 0.1 g^2, ga = 0.1 g, avg = sqrt(sq - ga^2) + eps
  const double g = 0.5, sq = 0.1 * g * g, ga = 0.1 * g;
  EXPECT_NEAR(p.to_vector()[0], 1.0 - 0.01 * g / (std::sqrt(sq - ga * ga) + 1e-8), 1e-15);
}

TEST(Optim, EveryOptimizerMinimisesAQuadratic) {
  auto fresh = [] { return zeros<float>({3}).requires_grad_(); };
  {
    auto p = fresh();
    optim::SGD<float> opt({p}, {.lr = 0.1, .momentum = 0.5, .nesterov = true});
    EXPECT_LT(minimise_quadratic(opt, p, 100), 1e-4);
  }
  {
    auto p = fresh();
    optim::Adam<float> opt({p}, {.lr = 0.1, .amsgrad = true});
    EXPECT_LT(minimise_quadratic(opt, p, 300), 1e-2);
  }
  {
    auto p = fresh();
    optim::AdamW<float> opt({p}, {.lr = 0.1, .weight_decay = 0.0});
    EXPECT_LT(minimise_quadratic(opt, p, 300), 1e-2);
  }
  {
    auto p = fresh();
    optim::RMSprop<float> opt({p}, {.lr = 0.01, .momentum = 0.5});
    EXPECT_LT(minimise_quadratic(opt, p, 500), 5e-2);
  }
}

TEST(Optim, ZeroGradAndSkippedParameters) {
  auto p = param_with_grad();
  auto q = tensor<double>({4.0}).requires_grad_();  // no grad: step leaves it alone
  optim::SGD<double> opt({p, q}, {.lr = 0.1});
  opt.step();
  EXPECT_EQ(q.to_vector()[0], 4.0);
  const auto before = p.version();
  opt.step();
  EXPECT_GT(p.version(), before);  // the update counts as an in-place write
  opt.zero_grad(false);
  ASSERT_TRUE(p.grad().defined());
  EXPECT_EQ(p.grad().to_vector()[1], 0.0);
  opt.zero_grad();
  EXPECT_FALSE(p.grad().defined());
}

TEST(Optim, ConstructorErrors) {
  auto p = param_with_grad();
  EXPECT_EQ(error_of([] { optim::SGD<double>({}); }), "[SGD] optimizer got an empty parameter list");
  EXPECT_EQ(error_of([&] { optim::SGD<double>({p}, {.lr = -0.1}); }), "[SGD] invalid learning rate: -0.1 (must be >= 0)");
  EXPECT_NE(error_of([&] { optim::SGD<double>({p}, {.lr = 0.1, .nesterov = true}); }).find("Nesterov"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { optim::Adam<double>({p}, {.betas = {0.9, 1.0}}); }),
            "[Adam] invalid beta parameter at index 1: 1 (must be in [0, 1))");
  auto frozen = tensor<double>({1.0});
  EXPECT_NE(error_of([&] { optim::AdamW<double>({p, frozen}); }).find("[AdamW] parameter 1 (shape (1,)) does not require grad"),
            std::string::npos);
  auto non_leaf = p * 2.0;
  EXPECT_NE(error_of([&] { optim::RMSprop<double>({non_leaf}); }).find("[RMSprop] parameter 0 (shape (2,)) is not a leaf"),
            std::string::npos);
  auto q = param_with_grad();
  q.set_grad(tensor<double>({1.0, 2.0}));
  Tensor<double> no_buffer;
  EXPECT_NE(error_of([&] { optim::sgd_step(q, tensor<double>({1.0}), no_buffer, 0.1, 0.0, 0.0, 0.0, false, false); })
                .find("gradient shape"),
            std::string::npos);
}
