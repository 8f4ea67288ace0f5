// ember/ops/loss.hpp and the loss modules of ember/nn/loss.hpp: values against hand computations for
// every option and layout, gradients by gradcheck (and the fused cross-entropy backward against the
// composed one), the modules' buffers and forward overloads, and every error message.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

namespace {

Tensor<double> logits23() { return tensor<double>({1.0, 2.0, 3.0, 1.0, 1.0, 1.0}).reshape({2, 3}); }
const double kLse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), kLse1 = 1.0 + std::log(3.0);

bool grad_ok(const std::function<Tensor<double>(const Tensor<double>&)>& f, const Tensor<double>& x) {
  auto leaf = x.detach().clone().requires_grad_();
  return autograd::gradcheck([&](const std::vector<AnyTensor>& in) { return std::vector<AnyTensor>{f(in[0].get<double>())}; },
                   {AnyTensor(leaf)});
}

}  // namespace

TEST(Loss, ReductionParsesOnePlace) {
  EXPECT_EQ(parse_reduction("mean", "op"), Reduction::Mean);
  EXPECT_EQ(parse_reduction("sum", "op"), Reduction::Sum);
  EXPECT_EQ(parse_reduction("none", "op"), Reduction::None);
  EXPECT_EQ(error_of<std::invalid_argument>([] { parse_reduction("avg", "cross_entropy"); }),
            "[cross_entropy] 'avg' is not a valid value for reduction (use 'mean', 'sum' or 'none')");
  static_assert(std::is_same_v<nn::Reduction, ember::Reduction>);
}

TEST(Loss, CrossEntropyClassIndices) {
  auto x = logits23();
  auto t = tensor<std::int64_t>({2, 0});
  const double l0 = kLse0 - 3.0, l1 = kLse1 - 1.0;
  EXPECT_NEAR(cross_entropy(x, t).item(), (l0 + l1) / 2, 1e-12);
  EXPECT_NEAR(cross_entropy(x, t, {.reduction = Reduction::Sum}).item(), l0 + l1, 1e-12);
  const auto none = cross_entropy(x, t, {.reduction = Reduction::None});
  EXPECT_EQ(none.shape(), (Shape{2}));
  EXPECT_NEAR(none.to_vector()[1], l1, 1e-12);
  // weight: 'mean' divides by the summed weight of the counted targets
  auto w = tensor<double>({0.5, 1.0, 2.0});
  EXPECT_NEAR(cross_entropy(x, t, {.weight = w}).item(), (2.0 * l0 + 0.5 * l1) / 2.5, 1e-12);
  // ignore_index drops a sample from the sum and the count; all ignored: NaN ('mean'), 0 ('sum')
  EXPECT_NEAR(cross_entropy(x, tensor<std::int64_t>({2, -100})).item(), l0, 1e-12);
  EXPECT_NEAR(cross_entropy(x, tensor<std::int64_t>({2, 1}), {.ignore_index = 1}).item(), l0, 1e-12);
  EXPECT_TRUE(std::isnan(cross_entropy(x, tensor<std::int64_t>({-100, -100})).item()));
  EXPECT_EQ(cross_entropy(x, tensor<std::int64_t>({-100, -100}), {.reduction = Reduction::Sum}).item(), 0.0);
  // label smoothing e: (1 - e) * nll + e / C * sum_c(-w_c log p_c)
  const double s0 = 3 * kLse0 - 6.0, s1 = 3 * kLse1 - 3.0;
  EXPECT_NEAR(cross_entropy(x, t, {.label_smoothing = 0.1}).item(),
              (0.9 * l0 + 0.1 / 3 * s0 + 0.9 * l1 + 0.1 / 3 * s1) / 2, 1e-12);
  const double ws0 = 0.5 * (kLse0 - 1) + 1.0 * (kLse0 - 2) + 2.0 * (kLse0 - 3);
  EXPECT_NEAR(cross_entropy(x, tensor<std::int64_t>({2, -100}), {.weight = w, .label_smoothing = 0.2}).item(),
              0.8 * l0 + 0.2 / 3 * ws0 / 2.0, 1e-12);
  // int32 / uint8 targets, and the positional form kept from ember::nn
  EXPECT_NEAR(cross_entropy(x, tensor<std::int32_t>({2, 0})).item(), (l0 + l1) / 2, 1e-12);
  EXPECT_NEAR(cross_entropy(x, tensor<std::uint8_t>({2, 0})).item(), (l0 + l1) / 2, 1e-12);
  EXPECT_NEAR(nn::cross_entropy(x, t, -100, 0.0, nn::Reduction::Sum).item(), l0 + l1, 1e-12);
}

TEST(Loss, CrossEntropyLayouts) {
  // (C,) with a 0-d target, and (N, C, d) equal to the rows moved to (N * d, C)
  auto x = logits23();
  EXPECT_NEAR(cross_entropy(x.select(0, 0), scalar_tensor<std::int64_t>(2)).item(), kLse0 - 3.0, 1e-12);
  EXPECT_EQ(cross_entropy(x.select(0, 0), scalar_tensor<std::int64_t>(2), {.reduction = Reduction::None}).dim(), 0);
  auto x3 = randn<double>({2, 3, 4});
  auto t3 = tensor<std::int64_t>({0, 1, 2, 1, 2, 2, 0, 1}).reshape({2, 4});
  auto rows = x3.permute({0, 2, 1}).reshape({8, 3});
  EXPECT_NEAR(cross_entropy(x3, t3).item(), cross_entropy(rows, t3.reshape({8})).item(), 1e-12);
  const auto none = cross_entropy(x3, t3, {.reduction = Reduction::None, .label_smoothing = 0.3});
  EXPECT_EQ(none.shape(), (Shape{2, 4}));
  EXPECT_NEAR(none.sum().item(),
              cross_entropy(rows, t3.reshape({8}), {.reduction = Reduction::Sum, .label_smoothing = 0.3}).item(), 1e-12);
  // a non-contiguous input
  EXPECT_NEAR(cross_entropy(x.mT().contiguous().mT(), tensor<std::int64_t>({2, 0})).item(),
              cross_entropy(x, tensor<std::int64_t>({2, 0})).item(), 1e-12);
}

TEST(Loss, CrossEntropyProbabilityTargets) {
  auto x = logits23();
  auto p = tensor<double>({0.0, 0.0, 1.0, 1.0, 0.0, 0.0}).reshape({2, 3});
  EXPECT_NEAR(cross_entropy(x, p).item(), cross_entropy(x, tensor<std::int64_t>({2, 0})).item(), 1e-12);
  auto w = tensor<double>({0.5, 1.0, 2.0});
  // probabilities: 'mean' divides by N, not by the weights
  EXPECT_NEAR(cross_entropy(x, p, {.weight = w}).item(), (2.0 * (kLse0 - 3) + 0.5 * (kLse1 - 1)) / 2, 1e-12);
  auto smooth = p * 0.7 + 0.1;
  EXPECT_NEAR(cross_entropy(x, p, {.label_smoothing = 0.3}).item(), cross_entropy(x, smooth).item(), 1e-12);
  EXPECT_EQ(cross_entropy(x, p, {.reduction = Reduction::None}).shape(), (Shape{2}));
  EXPECT_NEAR(cross_entropy(x, p.to<float>()).item(), cross_entropy(x, p).item(), 1e-6);  // converted
}

TEST(Loss, NllLoss) {
  auto logp = tensor<double>({-1.0, -2.0, -3.0, -0.5, -1.5, -2.5}).reshape({2, 3});
  auto t = tensor<std::int64_t>({1, 2});
  EXPECT_NEAR(nll_loss(logp, t).item(), (2.0 + 2.5) / 2, 1e-12);
  EXPECT_NEAR(nll_loss(logp, t, {.reduction = Reduction::Sum}).item(), 4.5, 1e-12);
  EXPECT_NEAR(nll_loss(logp, t, {.weight = tensor<double>({1.0, 2.0, 4.0})}).item(), (4.0 + 10.0) / 6.0, 1e-12);
  EXPECT_NEAR(nll_loss(logp, t, {.ignore_index = 2}).item(), 2.0, 1e-12);
  EXPECT_EQ(nll_loss(logp, t, {.reduction = Reduction::None}).to_vector(), (std::vector<double>{2.0, 2.5}));
}

TEST(Loss, BinaryCrossEntropy) {
  auto p = tensor<double>({0.25, 0.5, 1.0}), y = tensor<double>({1.0, 0.0, 0.0});
  const double l0 = -std::log(0.25), l1 = -std::log(0.5), l2 = 100.0;  // log(0) clamped at -100
  EXPECT_NEAR(binary_cross_entropy(p, y).item(), (l0 + l1 + l2) / 3, 1e-12);
  auto w = tensor<double>({2.0, 1.0, 0.5});
  EXPECT_NEAR(binary_cross_entropy(p, y, {.weight = w, .reduction = Reduction::Sum}).item(), 2 * l0 + l1 + 50.0,
              1e-12);
  EXPECT_NEAR(binary_cross_entropy(p, y.to<std::int64_t>()).item(), (l0 + l1 + l2) / 3, 1e-12);  // converted
}

TEST(Loss, BinaryCrossEntropyWithLogits) {
  auto x = tensor<double>({0.0, 2.0, -60.0, 60.0}), y = tensor<double>({1.0, 0.0, 1.0, 0.0});
  auto softplus = [](double v) { return std::log1p(std::exp(-std::abs(v))) + std::max(-v, 0.0); };
  const std::vector<double> want{softplus(0.0), 2.0 + softplus(2.0), softplus(-60.0), 60.0 + softplus(60.0)};
  const auto none = binary_cross_entropy_with_logits(x, y, {.reduction = Reduction::None}).to_vector();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(none[i], want[i], 1e-12);
  EXPECT_NEAR(none[2], 60.0, 1e-12);  // stable: no overflow
  // pos_weight scales the positive term: (1 - t) x + (1 + (pw - 1) t) softplus(-x)
  auto pw = tensor<double>({3.0});
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, y, {.reduction = Reduction::Sum, .pos_weight = pw}).item(),
              3 * want[0] + want[1] + 3 * want[2] + want[3], 1e-9);
  auto w = tensor<double>({1.0, 0.0, 0.0, 0.0});
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, y, {.weight = w}).item(), want[0] / 4, 1e-12);
}

TEST(Loss, RegressionLosses) {
  auto a = tensor<double>({1.0, 2.0, 4.0}), b = tensor<double>({0.0, 2.0, 1.0});
  EXPECT_DOUBLE_EQ(mse_loss(a, b).item(), 10.0 / 3);
  EXPECT_DOUBLE_EQ(mse_loss(a, b, Reduction::Sum).item(), 10.0);
  EXPECT_EQ(mse_loss(a, b, Reduction::None).to_vector(), (std::vector<double>{1.0, 0.0, 9.0}));
  EXPECT_DOUBLE_EQ(mse_loss(a, b, Reduction::Sum, tensor<double>({1.0, 1.0, 2.0})).item(), 19.0);
  EXPECT_DOUBLE_EQ(l1_loss(a, b).item(), 4.0 / 3);
  EXPECT_DOUBLE_EQ(l1_loss(a, b, Reduction::Sum).item(), 4.0);
  EXPECT_EQ(mse_loss(a.reshape({3, 1}), b, Reduction::None).shape(), (Shape{3, 3}));  // broadcast
  EXPECT_DOUBLE_EQ(mse_loss(tensor<double>(std::vector<double>{}), tensor<double>(std::vector<double>{}),
                            Reduction::Sum).item(), 0.0);
}

TEST(Loss, OneHot) {
  auto t = tensor<std::int64_t>({0, 2, 1}).reshape({3});
  EXPECT_EQ(one_hot(t).shape(), (Shape{3, 3}));
  EXPECT_EQ(one_hot(t).to_vector(), (std::vector<std::int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(one_hot(tensor<std::int32_t>({1}), 4).to_vector(), (std::vector<std::int64_t>{0, 1, 0, 0}));
  EXPECT_EQ(one_hot(scalar_tensor<std::int64_t>(1), 2).shape(), (Shape{2}));
  EXPECT_EQ(one_hot(zeros<std::int64_t>({0}), 3).shape(), (Shape{0, 3}));
}

TEST(Loss, GradientsPassGradcheck) {
  auto x = randn<double>({4, 3});
  auto t = tensor<std::int64_t>({0, 2, -100, 1});
  auto w = tensor<double>({0.5, 1.0, 2.0});
  auto y = rand<double>({4, 3});
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    EXPECT_TRUE(grad_ok([&](const auto& v) { return cross_entropy(v, t, {.reduction = r}); }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) { return cross_entropy(v, t, {.weight = w, .reduction = r}); }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) {
      return cross_entropy(v, t, {.weight = w, .reduction = r, .label_smoothing = 0.2});
    }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) { return cross_entropy(v, y, {.weight = w, .reduction = r,
                                                                          .label_smoothing = 0.1}); }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) { return nll_loss(v, t, {.weight = w, .reduction = r}); }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) { return binary_cross_entropy(v.sigmoid(), y, {.weight = w, .reduction = r}); }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) {
      return binary_cross_entropy_with_logits(v, y, {.weight = y, .reduction = r, .pos_weight = w});
    }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) { return mse_loss(v, y, r, w); }, x));
    EXPECT_TRUE(grad_ok([&](const auto& v) { return l1_loss(v, y + 0.5, r); }, x));
  }
  auto x4 = randn<double>({2, 3, 2, 2});
  auto t4 = tensor<std::int64_t>({0, 1, 2, 0, 2, 2, 1, 0}).reshape({2, 2, 2});
  EXPECT_TRUE(grad_ok([&](const auto& v) { return cross_entropy(v, t4, {.weight = w}); }, x4));
  EXPECT_TRUE(grad_ok([&](const auto& v) { return cross_entropy(v.select(0, 0), scalar_tensor<std::int64_t>(1)); },
                      x));
}

TEST(Loss, FusedCrossEntropyBackwardMatchesComposed) {
  // float32 through oneDNN's softmax: (softmax - onehot) / N against log_softmax + gather's backward
  auto x = randn<float>({64, 100}).requires_grad_();
  auto t = randint<std::int64_t>(0, 100, {64});
  cross_entropy(x, t).backward();
  auto x2 = x.detach().clone().requires_grad_();
  (-gather(log_softmax(x2, 1), 1, t.unsqueeze(1)).mean()).backward();
  const auto a = x.grad().to_vector(), b = x2.grad().to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
}

TEST(Loss, ModulesHoldOptionsAndBuffers) {
  auto x = logits23();
  auto t = tensor<std::int64_t>({2, 0});
  auto w = tensor<double>({0.5, 1.0, 2.0});
  nn::CrossEntropyLoss<double> ce({.weight = w, .reduction = Reduction::Sum, .label_smoothing = 0.1});
  EXPECT_NEAR(ce(x, t).item(), cross_entropy(x, t, {.weight = w, .reduction = Reduction::Sum,
                                                     .label_smoothing = 0.1}).item(), 1e-12);
  EXPECT_NEAR(ce(x, t.to<std::int32_t>()).item(), ce(x, t).item(), 1e-12);
  auto p = x.softmax(1).detach();
  EXPECT_NEAR(ce.forward(x, p).item(), cross_entropy(x, p, {.weight = w, .reduction = Reduction::Sum,
                                                              .label_smoothing = 0.1}).item(), 1e-12);
  EXPECT_EQ(ce.state_dict().size(), 1u);
  EXPECT_EQ(ce.state_dict().count("weight"), 1u);
  EXPECT_TRUE(ce.parameters().empty());
  EXPECT_EQ(nn::CrossEntropyLoss<double>().state_dict().size(), 0u);
  EXPECT_EQ(ce.repr(), "CrossEntropyLoss(ignore_index=-100, reduction=sum, label_smoothing=0.1)");

  nn::NLLLoss<double> nll({.weight = w, .ignore_index = 0});
  EXPECT_NEAR(nll(x.log_softmax(1), t).item(), kLse0 - 3.0, 1e-12);
  EXPECT_EQ(nll.state_dict().count("weight"), 1u);

  auto y = rand<double>({2, 3});
  nn::BCEWithLogitsLoss<double> bl({.pos_weight = w});
  EXPECT_NEAR(bl(x, y).item(), binary_cross_entropy_with_logits(x, y, {.pos_weight = w}).item(), 1e-12);
  EXPECT_EQ(bl.state_dict().size(), 1u);
  EXPECT_EQ(bl.state_dict().count("pos_weight"), 1u);
  nn::BCEWithLogitsLoss<double> both({.weight = y, .pos_weight = w});
  EXPECT_EQ(both.state_dict().size(), 2u);
  nn::BCELoss<double> bce({.weight = w, .reduction = Reduction::None});
  EXPECT_EQ(bce(x.sigmoid(), y).shape(), (Shape{2, 3}));
  EXPECT_EQ(bce.state_dict().count("weight"), 1u);
  EXPECT_DOUBLE_EQ(nn::MSELoss<double>(Reduction::Sum)(x, y).item(), mse_loss(x, y, Reduction::Sum).item());
  EXPECT_DOUBLE_EQ(nn::L1Loss<double>()(x, y).item(), l1_loss(x, y).item());
  EXPECT_EQ(nn::L1Loss<double>().repr(), "L1Loss(reduction=mean)");
  // load_state_dict reaches the weight the loss uses
  ce.load_state_dict(nn::StateDict{{"weight", AnyTensor(tensor<double>({1.0, 1.0, 1.0}))}});
  EXPECT_NEAR(ce(x, t).item(), cross_entropy(x, t, {.reduction = Reduction::Sum, .label_smoothing = 0.1}).item(),
              1e-12);
  // a module trains through the loss
  auto logits = x.detach().clone().requires_grad_();
  nn::CrossEntropyLoss<double>()(logits, t).backward();
  EXPECT_TRUE(logits.grad().defined());
}

TEST(Loss, ErrorsNameTheOpShapesAndValues) {
  auto x = randn<float>({4, 5});
  auto t = tensor<std::int64_t>({0, 1, 2, 3});
  EXPECT_EQ(error_of<std::out_of_range>([&] { cross_entropy(x, tensor<std::int64_t>({0, 7, 9, 7})); }),
            "[cross_entropy] target 7, 9 is out of bounds for 5 classes: targets must be in [0, 4] or equal "
            "ignore_index (-100)");
  EXPECT_EQ(error_of<std::out_of_range>([&] { nll_loss(x, tensor<std::int64_t>({0, -1, 1, 2}), {.ignore_index = 1}); }),
            "[nll_loss] target -1 is out of bounds for 5 classes: targets must be in [0, 4] or equal ignore_index (1)");
  EXPECT_EQ(error_of<TypeError>([&] { cross_entropy(x, tensor<float>({0, 1, 2, 3})); }),
            "[cross_entropy] expected class-index targets of an integer dtype (int64) and shape (4,) for input of "
            "shape (4, 5), got float32 targets of shape (4,)");
  EXPECT_EQ(error_of<TypeError>([&] { nll_loss(x, tensor<bool>({true, false, true, false})); }),
            "[nll_loss] expected class-index targets of an integer dtype (int64) and shape (4,) for input of "
            "shape (4, 5), got bool targets of shape (4,)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cross_entropy(x, tensor<std::int64_t>({0, 1, 2})); }),
            "[cross_entropy] expected target of shape (4,) for input of shape (4, 5), got target of shape (3,)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cross_entropy(scalar_tensor<float>(1), scalar_tensor<std::int64_t>(0)); }),
            "[cross_entropy] expected an input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cross_entropy(x, t, {.weight = ones<float>({3})}); }),
            "[cross_entropy] weight should have one entry per class, shape (5,), got shape (3,)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cross_entropy(x, t, {.label_smoothing = 1.5}); }),
            "[cross_entropy] label_smoothing must be between 0.0 and 1.0, got 1.5");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cross_entropy(x, x.softmax(1), {.ignore_index = 1}); }),
            "[cross_entropy] ignore_index (1) is not supported for class-probability targets");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { mse_loss(x, randn<float>({3, 2})); }),
            "[mse_loss] input of shape (4, 5) and target of shape (3, 2) do not match (and do not broadcast)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { l1_loss(x, randn<float>({4})); }),
            "[l1_loss] input of shape (4, 5) and target of shape (4,) do not match (and do not broadcast)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { binary_cross_entropy_with_logits(x, rand<float>({4, 1})); }),
            "[binary_cross_entropy_with_logits] target size (4, 1) must be the same as input size (4, 5)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              binary_cross_entropy_with_logits(zeros<float>({1, 1}), zeros<float>({1, 1}), {.pos_weight = ones<float>({3})});
            }),
            "[binary_cross_entropy_with_logits] pos_weight of shape (3,) does not broadcast to the input's shape (1, 1)");
  EXPECT_EQ(error_of<TypeError>([&] { binary_cross_entropy_with_logits(x, t.reshape({4, 1}).expand({4, 5})); }),
            "[binary_cross_entropy_with_logits] expected floating targets in [0, 1], got int64");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { binary_cross_entropy(tensor<float>({2.0f}), tensor<float>({1.0f})); }),
            "[binary_cross_entropy] all elements of input must be probabilities in [0, 1] (apply sigmoid first, or "
            "use binary_cross_entropy_with_logits); input of shape (1,) has values from 2 to 2");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { binary_cross_entropy(tensor<float>({0.5f}), tensor<float>({-1.0f})); }),
            "[binary_cross_entropy] all elements of target must be probabilities in [0, 1]; target of shape (1,) has "
            "values from -1 to -1");
  EXPECT_NE(error_of<std::invalid_argument>([&] {
              binary_cross_entropy(tensor<float>({NAN}), tensor<float>({0.0f}));
            }), "<no exception>");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              binary_cross_entropy(full<float>({1, 1}, 0.5f), zeros<float>({1, 1}), {.weight = ones<float>({3})});
            }),
            "[binary_cross_entropy] weight of shape (3,) does not broadcast to the input's shape (1, 1)");
  EXPECT_EQ(error_of<TypeError>([&] { one_hot(tensor<float>({1.0f})); }),
            "[one_hot] expected an integer tensor of class indices, got float32");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { one_hot(t, -2); }),
            "[one_hot] num_classes must be -1 (inferred) or non-negative, got -2");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { one_hot(zeros<std::int64_t>({0, 2})); }),
            "[one_hot] cannot infer the number of classes from an empty tensor of shape (0, 2); pass num_classes");
  EXPECT_EQ(error_of<std::out_of_range>([&] { one_hot(tensor<std::int64_t>({-1, 0, -3})); }),
            "[one_hot] class values must be non-negative, got -3, -1");
  EXPECT_EQ(error_of<std::out_of_range>([&] { one_hot(t, 3); }), "[one_hot] class values must be in [0, 2], got 3");
}

TEST(Loss, NegativeIgnoreIndexIsAllowedWithProbabilityTargets) {
  auto x = logits23();
  auto p = x.softmax(1).detach();
  EXPECT_NEAR(cross_entropy(x, p, {.ignore_index = -1}).item(), cross_entropy(x, p).item(), 1e-12);
}

TEST(Loss, SmoothL1AndHuberAreQuadraticThenLinear) {
  auto x = tensor<double>({0.0, 0.5, -2.0, 3.0}), y = zeros<double>({4});
  // smooth L1, beta 1: 0, 0.125, 1.5, 2.5; Huber, delta 2: 0, 0.125, 2, 4
  EXPECT_DOUBLE_EQ(smooth_l1_loss(x, y, Reduction::Sum).item(), 4.125);
  EXPECT_DOUBLE_EQ(huber_loss(x, y, Reduction::Sum, 2.0).item(), 6.125);
  EXPECT_DOUBLE_EQ(smooth_l1_loss(x, y, Reduction::Mean, 0.0).item(), l1_loss(x, y).item());
  EXPECT_DOUBLE_EQ(nn::HuberLoss<double>(Reduction::Mean, 2.0)(x, y).item(), 6.125 / 4);
  EXPECT_DOUBLE_EQ(nn::SmoothL1Loss<double>()(x, y).item(), 4.125 / 4);
  auto w = ember::testing::leaf({3, 4}, 7);
  const auto target = randn<double>({3, 4}) * 0.3;
  EXPECT_TRUE(grad_ok([&](const auto& v) { return huber_loss(v, target, Reduction::Mean, 0.5); }, w));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { smooth_l1_loss(x, y, Reduction::Mean, -1.0); }),
            "[smooth_l1_loss] beta must be >= 0, got -1");
}
