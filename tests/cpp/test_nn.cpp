// ember::nn from C++: module registration and dotted names, state_dict / load_state_dict (and its
// errors), train/eval, init bounds, Sequential, Dropout, Flatten, the losses against hand computations.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

namespace {

// A hand-written layer as a user would subclass Module: y = x w + b, with a buffer and a child.
struct Affine : nn::Module<double> {
  Affine(std::int64_t in, std::int64_t out) : nn::Module<double>("Affine") {
    w = register_parameter("w", zeros<double>({in, out}));
    b = register_parameter("b", zeros<double>({out}));
    calls = register_buffer("calls", zeros<std::int64_t>({}));
  }
  Tensor<double> forward(const Tensor<double>& x) override { return x.matmul(w) + b; }
  Tensor<double> w, b;
  Tensor<std::int64_t> calls;
};

struct Net : nn::Module<double> {
  Net() : nn::Module<double>("Net") {
    first = register_module("first", std::make_shared<Affine>(3, 2));
    scale = register_parameter("scale", ones<double>({1}));
    second = register_module("second", std::make_shared<Affine>(2, 1));
  }
  Tensor<double> forward(const Tensor<double>& x) override { return second->forward(first->forward(x) * scale); }
  std::shared_ptr<Affine> first, second;
  Tensor<double> scale;
};

std::vector<std::string> names_of(const auto& named) {
  std::vector<std::string> out;
  for (const auto& [n, t] : named) out.push_back(n);
  return out;
}

}  // namespace

TEST(NnModule, NamedParametersHaveDottedNamesInRegistrationOrder) {
  Net net;
  EXPECT_EQ(names_of(net.named_parameters()),
            (std::vector<std::string>{"scale", "first.w", "first.b", "second.w", "second.b"}));
  EXPECT_EQ(names_of(net.named_parameters(false)), (std::vector<std::string>{"scale"}));
  EXPECT_EQ(names_of(net.named_buffers()), (std::vector<std::string>{"first.calls", "second.calls"}));
  const auto params = net.parameters();
  ASSERT_EQ(params.size(), 5u);
  EXPECT_TRUE(params[1].is_same(net.first->w));  // handles to the layer's own tensors
  for (const auto& p : params) EXPECT_TRUE(p.requires_grad() && p.is_leaf());
  EXPECT_EQ(net.num_parameters(), 1 + 6 + 2 + 2 + 1);
  EXPECT_EQ(names_of(net.named_children()), (std::vector<std::string>{"first", "second"}));
}

TEST(NnModule, RegistrationErrors) {
  Affine a(2, 2);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { a.register_parameter("w", zeros<double>({1})); }),
            "[register_parameter] 'w' is already registered in Affine");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { a.register_buffer("a.b", zeros<double>({1})); }),
            "[register_buffer] the name 'a.b' must not contain '.'");
  auto x = ones<double>({2}).requires_grad_();
  EXPECT_NE(error_of<std::invalid_argument>([&] { a.register_parameter("y", x * 2.0); }).find("must be a leaf"),
            std::string::npos);
  EXPECT_FALSE(a.register_parameter("none", Tensor<double>()).defined());  // an absent bias registers nothing
  EXPECT_EQ(a.named_parameters().size(), 2u);
  EXPECT_EQ(error_of<std::logic_error>([&] { nn::Module<double>().forward(x); }),
            "[Module] this module has no forward(Tensor): override it in the subclass");
}

TEST(NnModule, TrainEvalAndZeroGradReachEverySubmodule) {
  Net net;
  EXPECT_TRUE(net.is_training() && net.first->is_training());
  net.eval();
  EXPECT_FALSE(net.is_training() || net.first->is_training() || net.second->is_training());
  net.train();
  EXPECT_TRUE(net.second->is_training());
  auto loss = net(ones<double>({4, 3})).sum();
  loss.backward();
  EXPECT_TRUE(net.first->b.grad().defined());
  net.zero_grad(false);
  EXPECT_EQ(net.first->b.grad().to_vector(), (std::vector<double>{0, 0}));
  net.zero_grad();
  for (const auto& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(NnModule, StateDictRoundTrip) {
  Net a, b;
  nn::init::normal_(a.first->w, 0, 1);
  *a.first->calls.data() = 7;
  const nn::StateDict sd = a.state_dict();
  EXPECT_EQ(names_of(sd), (std::vector<std::string>{"first.b", "first.calls", "first.w", "scale", "second.b",
                                                    "second.calls", "second.w"}));
  EXPECT_TRUE(sd.at("first.calls").is<std::int64_t>());
  EXPECT_FALSE(sd.at("scale").requires_grad());  // detached, but sharing memory
  const auto res = b.load_state_dict(sd);
  EXPECT_TRUE(res.missing_keys.empty() && res.unexpected_keys.empty());
  EXPECT_EQ(b.first->w.to_vector(), a.first->w.to_vector());
  EXPECT_EQ(*b.first->calls.data(), 7);
  EXPECT_TRUE(b.first->w.requires_grad());  // still the same trainable leaf
  // a float32 state dict (dtypes convert, as torch's copy_) from io::load_safetensors-style pairs
  std::vector<std::pair<std::string, AnyTensor>> pairs;
  for (const auto& [n, t] : sd) pairs.emplace_back(n, t.to(DType::Float32));
  pairs[0].second = AnyTensor(full<float>({2}, 0.5f));  // first.b
  b.load_state_dict(pairs);
  EXPECT_EQ(b.first->b.to_vector(), (std::vector<double>{0.5, 0.5}));
}

TEST(NnModule, LoadStateDictErrorsNameEveryKeyAndChangeNothing) {
  Net net;
  const auto before = net.first->w.to_vector();
  nn::StateDict sd = Net().state_dict();
  for (auto& [n, t] : sd) t = AnyTensor(t.as<double>() + 1.0);
  sd.erase("second.b");
  sd.emplace("third.w", AnyTensor(zeros<double>({1})));
  sd["first.w"] = AnyTensor(zeros<double>({2, 3}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { net.load_state_dict(sd); }),
            "[load_state_dict] error(s) in loading state_dict for Net: missing keys: 'second.b'; unexpected keys: "
            "'third.w'; size mismatch for 'first.w': copying a param with shape (2, 3) from checkpoint, the shape in "
            "current model is (3, 2)");
  EXPECT_EQ(net.first->w.to_vector(), before);
  EXPECT_EQ(net.scale.to_vector(), (std::vector<double>{1.0}));  // not half loaded
  // strict = false: missing and unexpected keys are reported, a shape mismatch is still an error
  EXPECT_EQ(error_of<std::invalid_argument>([&] { net.load_state_dict(sd, false); }),
            "[load_state_dict] error(s) in loading state_dict for Net: size mismatch for 'first.w': copying a param "
            "with shape (2, 3) from checkpoint, the shape in current model is (3, 2)");
  sd.erase("first.w");
  const auto res = net.load_state_dict(sd, false);
  EXPECT_EQ(res.missing_keys, (std::vector<std::string>{"first.w", "second.b"}));
  EXPECT_EQ(res.unexpected_keys, (std::vector<std::string>{"third.w"}));
  EXPECT_EQ(net.scale.to_vector(), (std::vector<double>{2.0}));
  EXPECT_EQ(net.first->w.to_vector(), before);
}

TEST(NnInit, GainsAndFans) {
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("leaky_relu", std::sqrt(5.0)), std::sqrt(2.0 / 6.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("conv2d"), 1.0);
  auto w = empty<float>({16, 8, 3, 3});
  EXPECT_EQ(nn::init::calculate_fan_in_and_fan_out(w), (std::pair<std::int64_t, std::int64_t>{72, 144}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::init::xavier_uniform_(empty<float>({5})); }),
            "[xavier_uniform_] fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got "
            "shape (5,)");
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::init::calculate_gain("softsign"); }),
            "[calculate_gain] unsupported nonlinearity 'softsign'");
}

TEST(NnInit, UniformInitialisersStayWithinTheirBounds) {
  Generator gen(0);
  auto check = [](const Tensor<float>& t, double bound) {
    const auto v = t.to_vector();
    double mx = 0;
    for (float x : v) mx = std::max(mx, std::abs(static_cast<double>(x)));
    EXPECT_LE(mx, bound);
    EXPECT_GT(mx, 0.95 * bound);  // 20000 draws reach close to the bound
  };
  auto w = empty<float>({200, 100});
  nn::init::kaiming_uniform_(w, std::sqrt(5.0), "fan_in", "leaky_relu", gen);  // Linear's: 1/sqrt(fan_in)
  check(w, 0.1);
  nn::init::kaiming_uniform_(w, 0.0, "fan_out", "relu", gen);
  check(w, std::sqrt(6.0 / 200));
  nn::init::xavier_uniform_(w, 1.0, gen);
  check(w, std::sqrt(6.0 / 300));
  nn::init::uniform_(w, -0.5, 0.5, gen);
  check(w, 0.5);
  auto d = empty<double>({100, 100});
  nn::init::normal_(d, 2.0, 0.5, gen);
  EXPECT_NEAR(d.mean().item(), 2.0, 0.02);
  EXPECT_NEAR(d.std().item(), 0.5, 0.02);
  nn::init::ones_(d);
  EXPECT_EQ(d.sum().item(), 10000.0);
  nn::init::zeros_(d);
  EXPECT_EQ(d.abs().sum().item(), 0.0);
  // the same seed draws the same values
  Generator g1(5), g2(5);
  auto a = empty<float>({4, 4}), b = empty<float>({4, 4});
  nn::init::kaiming_uniform_(a, 0.0, "fan_in", "leaky_relu", g1);
  nn::init::kaiming_uniform_(b, 0.0, "fan_in", "leaky_relu", g2);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  // on a parameter: no graph is recorded and it stays a leaf
  auto p = zeros<float>({3, 3}).requires_grad_();
  nn::init::xavier_normal_(p);
  EXPECT_TRUE(p.is_leaf() && p.requires_grad());
}

TEST(NnSequential, ChainsModulesAndNamesThemByIndex) {
  nn::Sequential<double> seq(Affine(3, 2), nn::ReLU<double>(), nn::Tanh<double>(), Affine(2, 1));
  EXPECT_EQ(seq.size(), 4u);
  EXPECT_EQ(names_of(seq.named_parameters()), (std::vector<std::string>{"0.w", "0.b", "3.w", "3.b"}));
  auto& first = seq.at<Affine>(0);
  nn::init::ones_(first.w);
  nn::init::ones_(seq.at<Affine>(3).w);
  first.b.detach().copy_(tensor<double>({-10.0, 0.25}));
  // x = [1, 1, 1]: affine -> [-7, 3.25], relu -> [0, 3.25], tanh, sum
  auto y = seq(ones<double>({1, 3}));
  EXPECT_NEAR(y.item(), std::tanh(3.25), 1e-12);
  EXPECT_EQ(seq[1].type_name(), "ReLU");
  EXPECT_EQ(error_of<TypeError>([&] { seq.at<Affine>(1); }), "[Sequential] module 1 is a ReLU, not the type asked for");
  EXPECT_EQ(error_of<std::out_of_range>([&] { seq[4]; }), "[Sequential] index 4 is out of range for 4 modules");
  auto shared = std::make_shared<nn::Sigmoid<double>>();
  seq.push_back(shared);
  EXPECT_EQ(&seq[4], shared.get());
  EXPECT_EQ(seq.repr().substr(0, 30), "Sequential(\n  (0): Affine()\n  ");
}

TEST(NnLayers, ActivationsFlattenAndDropout) {
  auto x = tensor<double>({-1.0, 0.5, 2.0});
  EXPECT_EQ(nn::ReLU<double>()(x).to_vector(), (std::vector<double>{0.0, 0.5, 2.0}));
  EXPECT_NEAR(nn::Sigmoid<double>()(x).to_vector()[0], 1 / (1 + std::exp(1.0)), 1e-15);
  EXPECT_NEAR(nn::SiLU<double>()(x).to_vector()[2], 2 / (1 + std::exp(-2.0)), 1e-15);
  EXPECT_NEAR(nn::GELU<double>()(x).to_vector()[1], 0.5 * 0.5 * (1 + std::erf(0.5 / std::sqrt(2.0))), 1e-12);
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::GELU<float>("fast"); }),
            "[GELU] approximate must be 'none' or 'tanh', got 'fast'");
  EXPECT_EQ(nn::Flatten<double>()(zeros<double>({2, 3, 4, 5})).shape(), (Shape{2, 60}));
  EXPECT_EQ(nn::Flatten<double>(0, 1)(zeros<double>({2, 3, 4})).shape(), (Shape{6, 4}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::Flatten<double>()(zeros<double>({5})); }),
            "[Flatten] expected an input with dims 1 and -1, got shape (5,)");

  Generator gen(3);
  nn::Dropout<double> drop(0.25, &gen);
  const auto v = drop(ones<double>({4000})).to_vector();
  std::set<double> values(v.begin(), v.end());
  EXPECT_EQ(values, (std::set<double>{0.0, 1.0 / 0.75}));
  const auto zeros_n = std::count(v.begin(), v.end(), 0.0);
  EXPECT_NEAR(static_cast<double>(zeros_n) / 4000, 0.25, 0.03);
  drop.eval();
  EXPECT_EQ(drop(ones<double>({3})).to_vector(), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::Dropout<float>(1.5); }),
            "[Dropout] dropout probability has to be between 0 and 1, but got 1.5");
}

TEST(NnLoss, CrossEntropyMatchesHandComputation) {
  auto logits = tensor<double>({1.0, 2.0, 3.0, 1.0, 1.0, 1.0}).reshape({2, 3}).detach().requires_grad_();
  auto target = tensor<std::int64_t>({2, 0});
  const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), lse1 = 1.0 + std::log(3.0);
  const double l0 = lse0 - 3.0, l1 = lse1 - 1.0;
  auto loss = nn::cross_entropy(logits, target);
  EXPECT_NEAR(loss.item(), (l0 + l1) / 2, 1e-12);
  loss.backward();  // (softmax - onehot) / N
  const auto g = logits.grad().to_vector();
  EXPECT_NEAR(g[2], (std::exp(3.0 - lse0) - 1) / 2, 1e-12);
  EXPECT_NEAR(g[4], (1.0 / 3) / 2, 1e-12);
  // ignore_index drops sample 1 from the sum and the count
  EXPECT_NEAR(nn::cross_entropy(logits, tensor<std::int64_t>({2, -100})).item(), l0, 1e-12);
  EXPECT_NEAR(nn::cross_entropy(logits, tensor<std::int64_t>({2, 7}), 7).item(), l0, 1e-12);
  EXPECT_TRUE(std::isnan(nn::cross_entropy(logits, tensor<std::int64_t>({-100, -100})).item()));
  // label smoothing e: (1 - e) * nll + e / C * sum_c(-log p_c)
  const double smooth0 = 3 * lse0 - 6.0, smooth1 = 3 * lse1 - 3.0;
  EXPECT_NEAR(nn::cross_entropy(logits, target, -100, 0.1).item(),
              (0.9 * l0 + 0.1 / 3 * smooth0 + 0.9 * l1 + 0.1 / 3 * smooth1) / 2, 1e-12);
  EXPECT_NEAR(nn::cross_entropy(logits, target, -100, 0.0, nn::Reduction::Sum).item(), l0 + l1, 1e-12);
  EXPECT_EQ(nn::cross_entropy(logits, target, -100, 0.0, nn::Reduction::None).shape(), (Shape{2}));
  EXPECT_EQ(error_of<std::out_of_range>([&] { nn::cross_entropy(logits, tensor<std::int64_t>({3, 0})); }),
            "[cross_entropy] target 3 is out of bounds for 3 classes");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { nn::cross_entropy(logits, tensor<std::int64_t>({1, 0, 1})); }),
            "[cross_entropy] expected logits of shape (N, C) and target of shape (N,), got (2, 3) and (3,)");
}

TEST(NnLoss, MseLoss) {
  auto a = tensor<double>({1.0, 2.0, 4.0}), b = tensor<double>({0.0, 2.0, 1.0});
  EXPECT_DOUBLE_EQ(nn::mse_loss(a, b).item(), 10.0 / 3);
  EXPECT_DOUBLE_EQ(nn::mse_loss(a, b, nn::Reduction::Sum).item(), 10.0);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { nn::mse_loss(a, zeros<double>({2})); }),
            "[mse_loss] input and target must have the same shape, got (3,) and (2,)");
}
