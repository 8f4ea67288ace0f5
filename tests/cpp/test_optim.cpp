// Optimizers from C++: steps of each rule against a hand computation or a reference loop, convergence on
// a quadratic, state dicts, zero_grad, and the constructor checks.
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

namespace {

// Runs `steps` Adam steps of sum((p - 1)^2 * w) from the parameters' current values.
template <class Opt>
void run_steps(Opt& opt, const std::vector<Tensor<double>>& params, int steps) {
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    Tensor<double> loss = zeros<double>({});
    for (std::size_t k = 0; k < params.size(); ++k) loss = loss + ((params[k] - 1.0).pow(2.0) * double(k + 1)).sum();
    loss.backward();
    opt.step();
  }
}

std::vector<Tensor<double>> fresh_params() {
  return {tensor<double>({0.5, -1.0, 2.0}).requires_grad_(), tensor<double>({3.0, 0.0}).requires_grad_()};
}

std::vector<Tensor<double>> copies(const std::vector<Tensor<double>>& ps) {
  std::vector<Tensor<double>> out;
  for (const auto& p : ps) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

}  // namespace

TEST(Optim, StateDictResumesTrainingExactly) {
  auto a = fresh_params();
  optim::Adam<double> opt(a, {.lr = 0.05, .amsgrad = true});
  run_steps(opt, a, 3);
  const auto state = opt.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, v] : state) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                                            "state.0.step", "state.1.exp_avg", "state.1.exp_avg_sq",
                                            "state.1.max_exp_avg_sq", "state.1.step"}));
  EXPECT_EQ(state.at("state.1.step").get<std::int64_t>().item(), 3);
  // a second optimizer over copies of the parameters, loaded with the state, continues identically
  auto b = copies(a);
  optim::Adam<double> resumed(b, {.lr = 0.05, .amsgrad = true});
  resumed.load_state_dict(state);
  run_steps(opt, a, 4);
  run_steps(resumed, b, 4);
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].to_vector(), b[k].to_vector());
  EXPECT_EQ(resumed.state()[0].step, 7);
  // the loaded state is a copy: the source optimizer's buffers were not shared
  EXPECT_FALSE(resumed.state()[0].exp_avg.storage() == opt.state()[0].exp_avg.storage());
}

TEST(Optim, SgdAndRmspropStateDicts) {
  auto a = fresh_params();
  optim::SGD<double> sgd(a, {.lr = 0.01, .momentum = 0.9});
  EXPECT_TRUE(sgd.state_dict().empty());  // no state before the first step
  run_steps(sgd, a, 2);
  auto b = copies(a);
  optim::SGD<double> sgd2(b, {.lr = 0.01, .momentum = 0.9});
  sgd2.load_state_dict(sgd.state_dict());
  EXPECT_EQ(sgd.state_dict().size(), 2u);
  run_steps(sgd, a, 2);
  run_steps(sgd2, b, 2);
  EXPECT_EQ(a[0].to_vector(), b[0].to_vector());

  auto c = fresh_params();
  optim::RMSprop<double> rms(c, {.lr = 0.01, .momentum = 0.5, .centered = true});
  run_steps(rms, c, 2);
  auto d = copies(c);
  optim::RMSprop<double> rms2(d, {.lr = 0.01, .momentum = 0.5, .centered = true});
  rms2.load_state_dict(rms.state_dict());
  run_steps(rms, c, 3);
  run_steps(rms2, d, 3);
  EXPECT_EQ(c[1].to_vector(), d[1].to_vector());
}

TEST(Optim, LoadStateDictErrorsChangeNothing) {
  auto a = fresh_params();
  optim::Adam<double> opt(a, {.lr = 0.05});
  run_steps(opt, a, 1);
  const auto good = opt.state_dict();
  auto b = fresh_params();
  optim::Adam<double> other(b);
  auto bad = good;
  bad["state.1.exp_avg"] = AnyTensor(zeros<double>({3}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { other.load_state_dict(bad); }),
            "[Adam.load_state_dict] 'state.1.exp_avg' has shape (3,) but parameter 1 has shape (2,)");
  bad = good;
  bad.erase("state.0.exp_avg_sq");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { other.load_state_dict(bad); }),
            "[Adam.load_state_dict] the state of parameter 0 lacks 'exp_avg_sq'");
  bad = good;
  bad["state.5.exp_avg"] = AnyTensor(zeros<double>({3}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { other.load_state_dict(bad); }),
            "[Adam.load_state_dict] key 'state.5.exp_avg' refers to parameter 5 but the optimizer has 2 parameters");
  bad = good;
  bad["state.0.momentum_buffer"] = AnyTensor(zeros<double>({3}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { other.load_state_dict(bad); }),
            "[Adam.load_state_dict] unexpected key 'state.0.momentum_buffer' for Adam");
  bad = good;
  bad["lr"] = AnyTensor(zeros<double>({}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { other.load_state_dict(bad); }),
            "[Adam.load_state_dict] unexpected key 'lr': expected 'state.<index>.<name>'");
  EXPECT_FALSE(other.state()[0].exp_avg.defined());  // nothing was loaded
  EXPECT_EQ(other.state()[0].step, 0);
}

namespace {

// The gradient of step k (1, 2, 3, ...) for the two elements of param_with_grad(): signs change, one is 0.
std::vector<double> grad_at(int k) { return {0.5 * k, 1.5 - 0.5 * k * k + 0.5 * (k == 2)}; }

// Runs `steps` steps of opt over p with the gradients grad_at(1..steps), and the same steps of
// `reference(k, p)` (one element's update, written as torch's docs state the rule) over plain doubles;
// the two agree to rounding.
template <class Opt, class Ref>
void expect_follows_reference(Opt& opt, const Tensor<double>& p, int steps, Ref reference) {
  std::vector<double> expected = p.to_vector();
  for (int k = 1; k <= steps; ++k) {
    p.set_grad(tensor<double>(grad_at(k)));
    opt.step();
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = reference(k, i, expected[i], grad_at(k)[i]);
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(p.to_vector()[i], expected[i], 1e-14) << k;
  }
}

}  // namespace

TEST(Optim, AdadeltaFollowsItsRule) {
  auto p = param_with_grad();
  const double lr = 0.5, rho = 0.8, eps = 1e-6, wd = 0.1;
  optim::Adadelta<double> opt({p}, {.lr = lr, .rho = rho, .eps = eps, .weight_decay = wd, .maximize = true});
  double sq[2] = {0, 0}, acc[2] = {0, 0};
  expect_follows_reference(opt, p, 4, [&](int, std::size_t i, double x, double grad) {
    const double g = -grad + wd * x;
    sq[i] = rho * sq[i] + (1 - rho) * g * g;
    const double delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * g;
    acc[i] = rho * acc[i] + (1 - rho) * delta * delta;
    return x - lr * delta;
  });
  EXPECT_EQ(opt.state()[0].step, 4);
  EXPECT_NEAR(opt.state()[0].acc_delta.to_vector()[1], acc[1], 1e-15);
}

TEST(Optim, AdagradFollowsItsRule) {
  auto p = param_with_grad();
  const double lr = 0.1, lr_decay = 0.05, wd = 0.2, init = 0.3, eps = 1e-10;
  optim::Adagrad<double> opt({p}, {.lr = lr, .lr_decay = lr_decay, .weight_decay = wd,
                                   .initial_accumulator_value = init});
  EXPECT_EQ(opt.state()[0].sum.to_vector(), (std::vector<double>{init, init}));  // state from construction
  double sum[2] = {init, init};
  expect_follows_reference(opt, p, 4, [&](int k, std::size_t i, double x, double grad) {
    const double g = grad + wd * x;
    sum[i] += g * g;
    return x - lr / (1 + (k - 1) * lr_decay) * g / (std::sqrt(sum[i]) + eps);
  });
  EXPECT_EQ(opt.state()[0].step, 4);
}

TEST(Optim, AdamaxFollowsItsRule) {
  auto p = param_with_grad();
  const double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-8, wd = 0.1;
  optim::Adamax<double> opt({p}, {.lr = lr, .betas = {b1, b2}, .weight_decay = wd});
  double m[2] = {0, 0}, u[2] = {0, 0};
  expect_follows_reference(opt, p, 4, [&](int k, std::size_t i, double x, double grad) {
    const double g = grad + wd * x;
    m[i] = b1 * m[i] + (1 - b1) * g;
    u[i] = std::max(b2 * u[i], std::abs(g) + eps);
    return x - lr / (1 - std::pow(b1, k)) * m[i] / u[i];
  });
  EXPECT_NEAR(opt.state()[0].exp_inf.to_vector()[0], u[0], 1e-15);
}

TEST(Optim, AdadeltaAdagradAdamaxMinimiseAQuadraticAndResumeFromStateDicts) {
  {
    auto p = zeros<float>({3}).requires_grad_();
    optim::Adagrad<float> opt({p}, {.lr = 0.5});
    EXPECT_LT(minimise_quadratic(opt, p, 300), 1e-2);
    auto q = zeros<float>({3}).requires_grad_();
    optim::Adamax<float> opt2({q}, {.lr = 0.1});
    EXPECT_LT(minimise_quadratic(opt2, q, 300), 1e-2);
  }
  auto a = fresh_params();
  optim::Adadelta<double> ada(a, {.lr = 0.5, .weight_decay = 0.1});
  EXPECT_TRUE(ada.state_dict().empty());
  run_steps(ada, a, 2);
  auto b = copies(a);
  optim::Adadelta<double> ada2(b, {.lr = 0.5, .weight_decay = 0.1});
  ada2.load_state_dict(ada.state_dict());
  run_steps(ada, a, 3);
  run_steps(ada2, b, 3);
  EXPECT_EQ(a[1].to_vector(), b[1].to_vector());

  auto c = fresh_params();
  optim::Adagrad<double> ag(c, {.lr = 0.1, .lr_decay = 0.01, .initial_accumulator_value = 0.1});
  std::vector<std::string> keys;
  for (const auto& [k, v] : ag.state_dict()) keys.push_back(k);  // torch's: every parameter, from the start
  EXPECT_EQ(keys, (std::vector<std::string>{"state.0.step", "state.0.sum", "state.1.step", "state.1.sum"}));
  run_steps(ag, c, 2);
  auto d = copies(c);
  optim::Adagrad<double> ag2(d, {.lr = 0.1, .lr_decay = 0.01});
  ag2.load_state_dict(ag.state_dict());
  run_steps(ag, c, 3);
  run_steps(ag2, d, 3);
  EXPECT_EQ(c[0].to_vector(), d[0].to_vector());

  auto e = fresh_params();
  optim::Adamax<double> am(e, {.lr = 0.05, .maximize = true});
  run_steps(am, e, 2);
  auto f = copies(e);
  optim::Adamax<double> am2(f, {.lr = 0.05, .maximize = true});
  am2.load_state_dict(am.state_dict());
  EXPECT_EQ(am2.state()[1].step, 2);
  run_steps(am, e, 3);
  run_steps(am2, f, 3);
  EXPECT_EQ(e[1].to_vector(), f[1].to_vector());
}

TEST(Optim, AdadeltaAdagradAdamaxConstructorErrors) {
  auto p = param_with_grad();
  EXPECT_EQ(error_of([&] { optim::Adadelta<double>({p}, {.rho = 1.5}); }),
            "[Adadelta] invalid rho value: 1.5 (must be in [0, 1])");
  EXPECT_EQ(error_of([&] { optim::Adadelta<double>({p}, {.lr = -1.0}); }),
            "[Adadelta] invalid learning rate: -1 (must be >= 0)");
  EXPECT_EQ(error_of([&] { optim::Adagrad<double>({p}, {.lr_decay = -0.5}); }),
            "[Adagrad] invalid lr_decay value: -0.5 (must be >= 0)");
  EXPECT_EQ(error_of([&] { optim::Adagrad<double>({p}, {.initial_accumulator_value = -1.0}); }),
            "[Adagrad] invalid initial_accumulator_value value: -1 (must be >= 0)");
  EXPECT_EQ(error_of([&] { optim::Adamax<double>({p}, {.betas = {1.0, 0.9}}); }),
            "[Adamax] invalid beta parameter at index 0: 1 (must be in [0, 1))");
  EXPECT_EQ(error_of([&] { optim::Adamax<double>({p}, {.eps = -1.0}); }),
            "[Adamax] invalid epsilon value: -1 (must be >= 0)");
  Tensor<double> none;
  EXPECT_NE(error_of([&] { optim::adamax_step(p, p.grad(), zeros<double>({2}), none, 1, 0.1, 0.9, 0.99, 1e-8, 0.0,
                                              false); })
                .find("[adamax_step] exp_inf is undefined"),
            std::string::npos);
}

TEST(Optim, NAdamFollowsItsRule) {
  auto p = param_with_grad();
  const double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-8, wd = 0.1, psi = 0.004;
  optim::NAdam<double> opt({p}, {.lr = lr, .betas = {b1, b2}, .weight_decay = wd});
  double m[2] = {0, 0}, v[2] = {0, 0}, mu_product = 1;
  expect_follows_reference(opt, p, 4, [&](int k, std::size_t i, double x, double grad) {
    const double g = grad + wd * x;
    const double mu = b1 * (1 - 0.5 * std::pow(0.96, k * psi)), mu_next = b1 * (1 - 0.5 * std::pow(0.96, (k + 1) * psi));
    if (i == 0) mu_product = static_cast<float>(mu_product) * static_cast<float>(mu);  // float32, as torch
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    const double denom = std::sqrt(v[i] / (1 - std::pow(b2, k))) + eps;
    return x - lr * (1 - mu) / (1 - mu_product) * g / denom - lr * mu_next / (1 - mu_product * mu_next) * m[i] / denom;
  });
  EXPECT_NEAR(opt.state()[0].mu_product.item(), mu_product, 1e-15);
}

TEST(Optim, RAdamFollowsItsRuleOnBothSidesOfTheRectification) {
  auto p = param_with_grad();
  const double lr = 0.01, b1 = 0.8, b2 = 0.9, eps = 1e-8;  // rho_t > 5 from step 4 on with beta2 = 0.9
  optim::RAdam<double> opt({p}, {.lr = lr, .betas = {b1, b2}, .weight_decay = 0.2, .decoupled_weight_decay = true});
  double m[2] = {0, 0}, v[2] = {0, 0};
  expect_follows_reference(opt, p, 6, [&](int k, std::size_t i, double x, double g) {
    x *= 1 - lr * 0.2;
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    const double bc1 = 1 - std::pow(b1, k), bc2 = 1 - std::pow(b2, k);
    const double rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 * k * std::pow(b2, k) / bc2;
    if (rho_t <= 5) return x - m[i] / bc1 * lr;
    const double rect = std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
    return x - m[i] / bc1 * lr * std::sqrt(bc2) / (std::sqrt(v[i]) + eps) * rect;
  });
}

TEST(Optim, NAdamRAdamResumeFromStateDictsAndCheckTheirOptions) {
  auto a = fresh_params();
  optim::NAdam<double> na(a, {.lr = 0.05, .decoupled_weight_decay = true, .maximize = true});
  run_steps(na, a, 2);
  auto b = copies(a);
  optim::NAdam<double> na2(b, {.lr = 0.05, .decoupled_weight_decay = true, .maximize = true});
  const auto saved = na.state_dict();
  ASSERT_TRUE(saved.count("state.1.mu_product"));
  EXPECT_EQ(saved.at("state.1.mu_product").shape(), Shape{});
  na2.load_state_dict(saved);
  run_steps(na, a, 3);
  run_steps(na2, b, 3);
  EXPECT_EQ(a[1].to_vector(), b[1].to_vector());
  auto wrong = saved;
  wrong.insert_or_assign("state.0.mu_product", AnyTensor(zeros<double>({2})));
  EXPECT_NE(error_of([&] { na2.load_state_dict(wrong); }).find("'state.0.mu_product' must hold one number, got shape (2,)"),
            std::string::npos);

  auto c = fresh_params();
  optim::RAdam<double> ra(c, {.lr = 0.05});
  run_steps(ra, c, 2);
  auto d = copies(c);
  optim::RAdam<double> ra2(d, {.lr = 0.05});
  ra2.load_state_dict(ra.state_dict());
  run_steps(ra, c, 6);
  run_steps(ra2, d, 6);
  EXPECT_EQ(c[0].to_vector(), d[0].to_vector());

  auto p = param_with_grad();
  EXPECT_EQ(error_of([&] { optim::NAdam<double>({p}, {.momentum_decay = -1.0}); }),
            "[NAdam] invalid momentum_decay value: -1 (must be >= 0)");
  EXPECT_EQ(error_of([&] { optim::RAdam<double>({p}, {.betas = {0.9, 1.0}}); }),
            "[RAdam] invalid beta parameter at index 1: 1 (must be in [0, 1))");
  EXPECT_NE(error_of([&] { optim::radam_step(p, p.grad(), zeros<double>({2}), zeros<double>({2}), 0, 0.1, 0.9, 0.99,
                                             1e-8, 0.0, false, false); })
                .find("[radam_step] step must be >= 1"),
            std::string::npos);
}
