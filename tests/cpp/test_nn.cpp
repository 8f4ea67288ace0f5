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
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::GELU<float>("fast")(zeros<float>({2})); }),
            "[gelu] approximate must be 'none' or 'tanh', got 'fast'");  // gelu's check, the only one
  EXPECT_EQ(nn::GELU<float>().repr(), "GELU(approximate='none')");
  EXPECT_EQ(nn::Flatten<double>()(zeros<double>({2, 3, 4, 5})).shape(), (Shape{2, 60}));
  EXPECT_EQ(nn::Flatten<double>(0, 1)(zeros<double>({2, 3, 4})).shape(), (Shape{6, 4}));
  EXPECT_NE(error_of<std::out_of_range>([] { nn::Flatten<double>()(zeros<double>({5})); }).find("[flatten]"),
            std::string::npos);

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
            "[cross_entropy] target 3 is out of bounds for 3 classes: targets must be in [0, 2] or equal ignore_index "
            "(-100)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { nn::cross_entropy(logits, tensor<std::int64_t>({1, 0, 1})); }),
            "[cross_entropy] expected target of shape (2,) for input of shape (2, 3), got target of shape (3,)");
}

TEST(NnLoss, MseLoss) {
  auto a = tensor<double>({1.0, 2.0, 4.0}), b = tensor<double>({0.0, 2.0, 1.0});
  EXPECT_DOUBLE_EQ(nn::mse_loss(a, b).item(), 10.0 / 3);
  EXPECT_DOUBLE_EQ(nn::mse_loss(a, b, nn::Reduction::Sum).item(), 10.0);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { nn::mse_loss(a, zeros<double>({2})); }),
            "[mse_loss] input of shape (3,) and target of shape (2,) do not match (and do not broadcast)");
}

// --- layers on the functional ops ---

TEST(NnLinear, ForwardMatchesHandComputationAndInitIsPyTorchs) {
  nn::Linear<double> fc(2, 3);
  EXPECT_EQ(names_of(fc.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(fc.weight.shape(), (Shape{3, 2}));
  for (double w : fc.weight.to_vector()) EXPECT_LE(std::abs(w), 1 / std::sqrt(2.0));  // kaiming_uniform_(a=sqrt 5)
  for (double b : fc.bias.to_vector()) EXPECT_LE(std::abs(b), 1 / std::sqrt(2.0));
  fc.weight.detach().copy_(tensor<double>({1, 2, 3, 4, 5, 6}).reshape({3, 2}));
  fc.bias.detach().copy_(tensor<double>({0.5, -1, 0}));
  auto y = fc(tensor<double>({1, 1, 2, -1}).reshape({2, 2}));  // x W^T + b
  EXPECT_EQ(y.to_vector(), (std::vector<double>{3.5, 6, 11, 0.5, 1, 4}));
  EXPECT_EQ(fc(zeros<double>({4, 5, 2})).shape(), (Shape{4, 5, 3}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { fc(zeros<double>({4, 3})); }),
            "[linear] input of shape (4, 3) does not match weight of shape (3, 2): expected the last dim to be 2");
  nn::Linear<float> nobias(4, 2, false);
  EXPECT_EQ(names_of(nobias.named_parameters()), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(nobias.repr(), "Linear(in_features=4, out_features=2, bias=False)");
  Generator g1(7), g2(7);
  EXPECT_EQ(nn::Linear<float>(8, 4, true, g1).weight.to_vector(), nn::Linear<float>(8, 4, true, g2).weight.to_vector());
}

TEST(NnConv2d, ForwardMatchesHandComputation) {
  nn::Conv2d<double> conv(1, 1, 2, {.padding = {1, 1}});
  EXPECT_EQ(conv.weight.shape(), (Shape{1, 1, 2, 2}));
  for (double w : conv.weight.to_vector()) EXPECT_LE(std::abs(w), 0.5);  // 1/sqrt(fan_in = 4)
  conv.weight.detach().copy_(tensor<double>({1, 0, 0, -1}).reshape({1, 1, 2, 2}));
  conv.bias.detach().fill_(0.5);
  // x = 1..9 as 3x3; out[i][j] = xp[i][j] - xp[i+1][j+1] + 0.5 over the zero-padded input (4x4 output)
  auto x = arange<double>(1, 10).reshape({1, 1, 3, 3});
  auto y = conv(x);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  const auto v = y.to_vector();
  EXPECT_DOUBLE_EQ(v[0], 0 - 1 + 0.5);   // only x[0][0] under w[1][1]
  EXPECT_DOUBLE_EQ(v[5], 1 - 5 + 0.5);   // interior: x[0][0] - x[1][1]
  EXPECT_DOUBLE_EQ(v[15], 9 - 0 + 0.5);  // only x[2][2] under w[0][0]
  EXPECT_EQ(conv(x.reshape({1, 3, 3})).shape(), (Shape{1, 4, 4}));  // unbatched input
  nn::Conv2d<double> strided(1, 1, 2, {.stride = {2, 2}, .padding = {1, 1}, .bias = false});
  strided.weight.detach().copy_(tensor<double>({1, 0, 0, -1}).reshape({1, 1, 2, 2}));
  EXPECT_EQ(strided(x).to_vector(), (std::vector<double>{-1, -3, -7, -4}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { conv(zeros<double>({2, 3, 4, 4})); }),
            "[conv2d] input of shape (2, 3, 4, 4) has 3 channels, but weight of shape (1, 1, 2, 2) with groups=1 "
            "expects 1");
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::Conv2d<float>(3, 4, 3, {.groups = 2}); }),
            "[Conv2d] in_channels (3) and out_channels (4) must be divisible by groups (2)");
  nn::Conv2d<float> c(16, 32, 3, {.padding = {1, 1}});
  EXPECT_EQ(c.repr(), "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  EXPECT_EQ(c.state_dict().at("weight").shape(), (Shape{32, 16, 3, 3}));
}

TEST(NnPooling, MaxAvgAndAdaptive) {
  auto x = arange<double>(0, 16).reshape({1, 1, 4, 4});
  EXPECT_EQ(nn::MaxPool2d<double>(2)(x).to_vector(), (std::vector<double>{5, 7, 13, 15}));
  EXPECT_EQ(nn::AvgPool2d<double>(2)(x).to_vector(), (std::vector<double>{2.5, 4.5, 10.5, 12.5}));
  auto a = nn::AdaptiveAvgPool2d<double>(1)(x);
  EXPECT_EQ(a.shape(), (Shape{1, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(a.item(), 7.5);
  EXPECT_EQ(nn::MaxPool2d<double>(2)(x.reshape({1, 4, 4})).shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { nn::MaxPool2d<double>(2)(zeros<double>({4, 4})); }),
            "[max_pool2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (4, 4)");
  EXPECT_EQ(nn::MaxPool2d<float>(2).repr(),
            "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)");
  // Every option of torch.nn.MaxPool2d / AvgPool2d but return_indices and divisor_override.
  auto y = arange<double>(0, 25).reshape({1, 5, 5});
  nn::MaxPool2d<double> mp({.kernel = {3, 3}, .stride = {{2, 2}}, .padding = {1, 1}, .ceil_mode = true});
  EXPECT_EQ(mp(y).to_vector(), max_pool2d(y.reshape({1, 1, 5, 5}), mp.options).to_vector());
  EXPECT_EQ(mp(y).shape(), (Shape{1, 3, 3}));
  nn::AvgPool2d<double> ap({.kernel = {2, 2}, .stride = {{1, 1}}, .padding = {1, 1}, .count_include_pad = false});
  EXPECT_EQ(ap(y).shape(), (Shape{1, 6, 6}));
  EXPECT_DOUBLE_EQ(ap(y).index({0, 0, 0}).item(), 0.0);
  EXPECT_EQ(ap.repr(), "AvgPool2d(kernel_size=(2, 2), stride=(1, 1), padding=(1, 1), ceil_mode=False, "
                       "count_include_pad=False)");
  EXPECT_EQ(nn::AdaptiveAvgPool2d<double>({1, 2})(y).shape(), (Shape{1, 1, 2}));
}

TEST(NnNormalization, BatchNorm2dTrainsRunningStatsAndEvalUsesThem) {
  nn::BatchNorm2d<double> bn(2);
  EXPECT_EQ(names_of(bn.state_dict()), (std::vector<std::string>{"bias", "num_batches_tracked", "running_mean",
                                                                 "running_var", "weight"}));
  EXPECT_TRUE(bn.state_dict().at("num_batches_tracked").is<std::int64_t>());
  Generator gen(1);
  auto x = randn<double>({8, 2, 3, 3}, gen) * 2.0 + 3.0;
  auto y = bn(x);
  const auto m = y.mean({0, 2, 3}).to_vector();
  EXPECT_NEAR(m[0], 0, 1e-12);
  EXPECT_NEAR(y.var({0, 2, 3}, 0).to_vector()[1], 1, 1e-3);
  EXPECT_EQ(*bn.num_batches_tracked.data(), 1);
  const auto batch_mean = x.mean({0, 2, 3}).to_vector();
  EXPECT_NEAR(bn.running_mean.to_vector()[0], 0.1 * batch_mean[0], 1e-12);
  bn.eval();  // (x - running_mean) / sqrt(running_var + eps)
  auto z = bn(x);
  const double rm = bn.running_mean.to_vector()[0], rv = bn.running_var.to_vector()[0];
  EXPECT_NEAR(z.to_vector()[0], (x.to_vector()[0] - rm) / std::sqrt(rv + 1e-5), 1e-12);
  EXPECT_EQ(*bn.num_batches_tracked.data(), 1);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { bn(zeros<double>({2, 3, 4, 4})); }),
            "[BatchNorm2d] expected a 4-d (N, C, H, W) input with C = 2, got shape (2, 3, 4, 4)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { bn(zeros<double>({2, 2})); }),
            "[BatchNorm2d] expected a 4-d (N, C, H, W) input with C = 2, got shape (2, 2)");
  EXPECT_EQ(bn.repr(), "BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)");
}

TEST(NnNormalization, LayerNorm) {
  nn::LayerNorm<double> ln({4});
  auto x = tensor<double>({1, 2, 3, 4, -1, 0, 0, 5}).reshape({2, 4});
  auto y = ln(x);
  const auto v = y.to_vector();
  const double sd = std::sqrt(1.25 + 1e-5);
  EXPECT_NEAR(v[0], -1.5 / sd, 1e-12);
  EXPECT_NEAR(y.mean(1).to_vector()[1], 0.0, 1e-12);
  EXPECT_EQ(names_of(ln.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { ln(zeros<double>({4, 3})); }),
            "[layer_norm] input of shape (4, 3) does not end with normalized_shape (4,)");
  nn::LayerNorm<double> plain(Shape{2, 4}, 1e-3, false);
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_EQ(plain(x.reshape({1, 2, 4})).shape(), (Shape{1, 2, 4}));
  nn::LayerNorm<float> nobias(4, 1e-5, true, false);
  EXPECT_EQ(names_of(nobias.named_parameters()), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(nobias.repr(), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)");
}

TEST(NnTraining, AdamLowersTheLossOfASmallNetwork) {
  // Two Gaussian blobs per class in 2-D, classified by Linear -> Tanh -> Linear with cross-entropy.
  Generator gen(0);
  const std::int64_t n = 128;
  auto x = randn<float>({n, 2}, gen);
  auto label = tensor<std::int64_t>(std::vector<std::int64_t>(n, 0));
  {
    auto lv = label.data();
    auto xv = x.data();
    for (std::int64_t i = 0; i < n; ++i) {
      lv[i] = i % 2;
      xv[2 * i] += lv[i] ? 2.0f : -2.0f;  // the class decides the side
      xv[2 * i + 1] *= 0.5f;
    }
  }
  nn::Sequential<float> model;
  model.push_back(nn::Linear<float>(2, 16, true, gen));
  model.push_back(nn::Tanh<float>());
  model.push_back(nn::Linear<float>(16, 2, true, gen));
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-2});
  float first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    opt.zero_grad();
    auto loss = nn::cross_entropy(model(x), label);
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  EXPECT_LT(last, 0.2f * first);
  NoGradGuard g;
  const double acc = static_cast<double>(model(x).argmax(1).eq(label).sum().item()) / n;
  EXPECT_GT(acc, 0.95);
}

TEST(NnTraining, GradientsReachEveryLayerOfACnn) {
  Generator gen(2);
  nn::Sequential<float> cnn;
  cnn.push_back(nn::Conv2d<float>(1, 4, 3, {.padding = {1, 1}}, gen));
  cnn.push_back(nn::ReLU<float>());
  cnn.push_back(nn::MaxPool2d<float>(2));
  cnn.push_back(nn::Flatten<float>());
  cnn.push_back(nn::Linear<float>(4 * 4 * 4, 3, true, gen));
  auto x = randn<float>({5, 1, 8, 8}, gen);
  auto loss = nn::cross_entropy(cnn(x), tensor<std::int64_t>({0, 1, 2, 0, 1}));
  loss.backward();
  for (const auto& [name, p] : cnn.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(p.grad().abs().sum().item(), 0.0f) << name;
  }
  EXPECT_EQ(names_of(cnn.state_dict()), (std::vector<std::string>{"0.bias", "0.weight", "4.bias", "4.weight"}));
}

TEST(NnLayers, LeakyReluSoftmaxIdentityAndInplace) {
  auto x = tensor<double>({-2.0, 0.0, 3.0});
  EXPECT_EQ(nn::LeakyReLU<double>()(x).to_vector(), (std::vector<double>{-0.02, 0.0, 3.0}));
  nn::LeakyReLU<double> leaky(0.5);
  EXPECT_EQ(leaky(x).to_vector(), (std::vector<double>{-1.0, 0.0, 3.0}));
  EXPECT_EQ(leaky.repr(), "LeakyReLU(negative_slope=0.5)");
  auto v = x.clone();
  nn::LeakyReLU<double>(0.5, true)(v);  // in place: v itself changes
  EXPECT_EQ(v.to_vector(), (std::vector<double>{-1.0, 0.0, 3.0}));
  auto r = x.clone();
  nn::ReLU<double> relu_inplace(true);
  EXPECT_EQ(relu_inplace.repr(), "ReLU(inplace=True)");
  relu_inplace(r);
  EXPECT_EQ(r.to_vector(), (std::vector<double>{0.0, 0.0, 3.0}));

  auto m = tensor<double>({1.0, 2.0, 3.0, 4.0}).reshape({2, 2});
  EXPECT_EQ(nn::Softmax<double>(1)(m).to_vector(), softmax(m, 1).to_vector());
  EXPECT_EQ(nn::Softmax<double>()(m).to_vector(), softmax(m, 1).to_vector());  // implicit: dim 1 of a 2-d input
  EXPECT_EQ(nn::Softmax<double>()(x).to_vector(), softmax(x, 0).to_vector());
  EXPECT_EQ(nn::LogSoftmax<double>(0)(m).to_vector(), log_softmax(m, 0).to_vector());
  EXPECT_EQ(nn::LogSoftmax<double>(-1).repr(), "LogSoftmax(dim=-1)");
  EXPECT_EQ(nn::Softmax<double>().repr(), "Softmax(dim=None)");
  EXPECT_THROW(nn::Softmax<double>(2)(m), std::out_of_range);

  nn::Identity<double> id(3, "ignored", 0.5);
  EXPECT_TRUE(id(m).is_same(m));
  EXPECT_TRUE(id.state_dict().empty());
  nn::Sequential<double> seq(nn::Identity<double>(), nn::LeakyReLU<double>(0.1), nn::Softmax<double>(-1));
  EXPECT_EQ(seq(m).shape(), (Shape{2, 2}));
}

TEST(NnLayers, ActivationModulesRecordGradients) {
  auto x = tensor<double>({-2.0, 0.5, 3.0});
  x.requires_grad_(true);
  nn::LeakyReLU<double> leaky(0.25);
  leaky(x).sum().backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0.25, 1.0, 1.0}));
  x.set_grad(Tensor<double>());
  auto h = x * 1.0;  // not a leaf: relu_ may write into it
  nn::ReLU<double>(true)(h).sum().backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0.0, 1.0, 1.0}));
  EXPECT_EQ(h.to_vector(), (std::vector<double>{0.0, 0.5, 3.0}));
  EXPECT_NE(error_of<AutogradError>([&] { nn::ReLU<double>(true)(x); }).find("[relu_] a leaf tensor"),
            std::string::npos);
}

TEST(NnConv2d, SameAndValidPaddingAndOptions) {
  Generator gen(5);
  auto x = randn<double>({2, 4, 7, 6}, gen);
  // "same" with kernel (3, 2): height pads 1 and 1, width 0 and 1 (the odd extra at the end, as PyTorch).
  nn::Conv2d<double> same(4, 8, {3, 2}, {.padding = "same", .groups = 2}, gen);
  const auto y = same(x);
  EXPECT_EQ(y.shape(), (Shape{2, 8, 7, 6}));
  const auto full = conv2d(x, same.weight, same.bias, {.padding = {1, 1}, .groups = 2});  // (2, 8, 7, 7)
  EXPECT_EQ(y.to_vector(), full.narrow(3, 1, 6).contiguous().to_vector());
  EXPECT_EQ(same.repr(), "Conv2d(4, 8, kernel_size=(3, 2), stride=(1, 1), padding=same, groups=2)");
  EXPECT_EQ(same(x.index({0})).shape(), (Shape{8, 7, 6}));  // unbatched
  nn::Conv2d<double> valid(4, 2, 3, {.padding = "valid", .dilation = {2, 1}, .bias = false}, gen);
  EXPECT_EQ(valid(x).shape(), (Shape{2, 2, 3, 4}));
  EXPECT_EQ(names_of(valid.state_dict()), (std::vector<std::string>{"weight"}));
  nn::Conv2d<double> one(4, 2, 3, {.padding = 1}, gen);
  EXPECT_EQ(one(x).shape(), (Shape{2, 2, 7, 6}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::Conv2d<float>(1, 1, 3, {.stride = {2, 2}, .padding = "same"}); }),
            "[Conv2d] padding='same' is not supported for strided convolutions, got stride (2, 2)");
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::Conv2d<float>(1, 1, 3, {.padding = "full"}); }),
            "[conv2d] invalid padding string 'full', should be one of {'valid', 'same'}");
  EXPECT_NE(error_of<std::invalid_argument>([] { nn::Conv2d<float>(1, 1, 3, {.padding_mode = "reflect"}); })
                .find("[Conv2d] padding_mode 'reflect' is not supported"),
            std::string::npos);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { one(zeros<double>({7, 6})); }),
            "[conv2d] expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape (7, 6)");
}

TEST(NnNormalization, BatchNorm1dOptionsAndStateDict) {
  nn::BatchNorm1d<double> bn(3);
  EXPECT_EQ(names_of(bn.state_dict()), (std::vector<std::string>{"bias", "num_batches_tracked", "running_mean",
                                                                 "running_var", "weight"}));
  Generator gen(2);
  auto x2 = randn<double>({6, 3}, gen), x3 = randn<double>({4, 3, 5}, gen);
  auto y = bn(x2);
  EXPECT_NEAR(y.mean(0).to_vector()[2], 0.0, 1e-12);
  bn(x3);
  EXPECT_EQ(*bn.num_batches_tracked.data(), 2);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { bn(zeros<double>({2, 3, 4, 4})); }),
            "[BatchNorm1d] expected a 2-d (N, C) or 3-d (N, C, L) input with C = 3, got shape (2, 3, 4, 4)");

  // momentum unset: the running mean is the plain average of the batch means.
  nn::BatchNorm1d<double> avg(3, 1e-5, std::nullopt);
  avg(x2);
  avg(x3);
  const auto m2 = x2.mean(0).to_vector(), m3 = x3.mean({0, 2}).to_vector();
  EXPECT_NEAR(avg.running_mean.to_vector()[1], (m2[1] + m3[1]) / 2, 1e-12);
  EXPECT_EQ(avg.repr(), "BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)");

  nn::BatchNorm1d<double> bare(3, 1e-5, 0.1, false, false);
  EXPECT_TRUE(bare.state_dict().empty());
  bare.eval();  // no running statistics: the batch's, in eval too
  EXPECT_NEAR(bare(x2).mean(0).to_vector()[0], 0.0, 1e-12);
  nn::BatchNorm2d<double> nobias(2, 1e-5, 0.1, true, true, false);
  EXPECT_EQ(names_of(nobias.named_parameters()), (std::vector<std::string>{"weight"}));
}

namespace {

TEST(NnContainers, ModuleListAndModuleDictRegisterTheirMembersByIndexAndKey) {
  nn::ModuleList<double> list;
  list.push_back(nn::Linear<double>(4, 3));
  auto shared = std::make_shared<nn::Linear<double>>(3, 2, false);
  list.push_back(shared);
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(&list.at<nn::Linear<double>>(1), shared.get());
  std::vector<std::string> names;
  for (const auto& [n, p] : list.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight"}));
  EXPECT_NE(error_of<std::out_of_range>([&] { list[2]; }).find("index 2 is out of range for 2 modules"),
            std::string::npos);
  EXPECT_NE(error_of<TypeError>([&] { list.at<nn::ReLU<double>>(0); }).find("module 0 is a Linear"), std::string::npos);

  nn::ModuleDict<double> dict;
  dict.insert("encode", nn::Linear<double>(4, 3));
  dict.insert("act", nn::ReLU<double>());
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"encode", "act"}));
  EXPECT_TRUE(dict.contains("act"));
  EXPECT_EQ(dict.state_dict().count("encode.weight"), 1u);
  EXPECT_NE(error_of<std::invalid_argument>([&] { dict.insert("act", nn::Tanh<double>()); }).find("already registered"),
            std::string::npos);
  EXPECT_NE(error_of<std::out_of_range>([&] { dict["head"]; }).find("no module under key 'head'"), std::string::npos);
}

}  // namespace

TEST(NnInit, StructuredInitialisers) {
  auto w = Tensor<double>::empty({3, 5});
  nn::init::orthogonal_(w, 1.5);
  const auto gram = matmul(w, w.transpose(0, 1)).to_vector();  // rows orthonormal (3 <= 5), times gain^2
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(gram[i * 3 + j], i == j ? 2.25 : 0.0, 1e-12);
  auto conv = Tensor<float>::empty({4, 2, 3});
  nn::init::dirac_(conv, 2);
  const auto d = conv.to_vector();
  for (std::int64_t o = 0; o < 4; ++o)
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t k = 0; k < 3; ++k)
        EXPECT_EQ(d[(o * 2 + i) * 3 + k], (k == 1 && i == o % 2) ? 1.0f : 0.0f) << o << i << k;
  auto s = Tensor<double>::empty({6, 4});
  nn::init::sparse_(s, 0.5, 1.0);
  const auto sv = s.to_vector();
  for (int c = 0; c < 4; ++c) {
    int zeros_in_column = 0;
    for (int r = 0; r < 6; ++r) zeros_in_column += sv[r * 4 + c] == 0.0;
    EXPECT_EQ(zeros_in_column, 3);
  }
  auto t = Tensor<double>::empty({1000});
  nn::init::trunc_normal_(t, 0.0, 1.0, -0.5, 0.25);
  for (double v : t.to_vector()) EXPECT_TRUE(v >= -0.5 && v <= 0.25) << v;
  auto e = Tensor<float>::empty({2, 3});
  EXPECT_EQ(nn::init::eye_(e).to_vector(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_NE(error_of([] { nn::init::orthogonal_(Tensor<float>::empty({4})); }).find("2 or more dimensions"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::init::dirac_(Tensor<float>::empty({3, 2, 3}), 2); })
                .find("dim 0 (3) must be divisible by groups (2)"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::init::sparse_(Tensor<float>::empty({3, 2}), 1.5); }).find("sparsity must be in [0, 1]"),
            std::string::npos);
}
