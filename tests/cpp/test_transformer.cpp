// The Transformer layers from C++ (include/ember/nn/transformer.hpp): state_dict keys as PyTorch names them,
// post-norm and pre-norm layers against their composition by hand, the causal mask and its detection, and
// the error messages. Values against PyTorch are checked from Python (tests/python/test_transformer.py) and
// by the layer parity cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include <ember/ember.hpp>

#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::expect_near;

namespace {

nn::TransformerLayerOptions small(bool norm_first = false, bool batch_first = false) {
  nn::TransformerLayerOptions o;
  o.d_model = 8, o.nhead = 2, o.dim_feedforward = 16, o.dropout = 0.0;
  o.norm_first = norm_first, o.batch_first = batch_first;
  return o;
}

}  // namespace

TEST(TransformerMask, SquareSubsequentMaskAndCausalDetection) {
  const auto m = nn::generate_square_subsequent_mask<double>(3);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(m.to_vector(), (std::vector<double>{0, -inf, -inf, 0, 0, -inf, 0, 0, 0}));
  EXPECT_TRUE(nn::detect_is_causal_mask<double>(m));
  EXPECT_TRUE(nn::detect_is_causal_mask<double>(m, std::nullopt, 3));
  EXPECT_FALSE(nn::detect_is_causal_mask<double>(m, std::nullopt, 4));
  EXPECT_FALSE(nn::detect_is_causal_mask<double>(zeros<double>({3, 3})));
  EXPECT_FALSE(nn::detect_is_causal_mask<double>(m, false));
  EXPECT_TRUE(nn::detect_is_causal_mask<double>({}, true));
  EXPECT_FALSE(nn::detect_is_causal_mask<double>({}));
  EXPECT_TRUE(nn::detect_is_causal_mask<double>(triu(ones<bool>({4, 4}), 1)));
  EXPECT_FALSE(nn::detect_is_causal_mask<double>(tril(ones<bool>({4, 4}), -1)));
  EXPECT_NE(error_of([] { nn::generate_square_subsequent_mask<float>(-1); }).find("sz must be >= 0, got -1"),
            std::string::npos);
}

TEST(TransformerEncoderLayer, StateDictKeysAndPostNormComposition) {
  manual_seed(0);
  nn::TransformerEncoderLayer<double> layer(small());
  std::set<std::string> keys;
  for (auto& [k, v] : layer.state_dict()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                         "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight",
                                         "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                                         "norm1.bias", "norm2.weight", "norm2.bias"}));
  const auto x = randn<double>({5, 3, 8});
  const auto y = layer.forward(x);
  NoGradGuard no_grad;
  auto h = layer.norm1->forward(x + layer.self_attn->forward(x, x, x, {}, false).first);
  auto expected = layer.norm2->forward(h + layer.ff.linear2->forward(relu(layer.ff.linear1->forward(h))));
  expect_near(y, expected);
}

TEST(TransformerEncoderLayer, PreNormBatchFirstAndCausal) {
  manual_seed(1);
  auto o = small(true, true);
  o.activation = "gelu";
  nn::TransformerEncoderLayer<double> layer(o);
  const auto x = randn<double>({2, 5, 8});
  const auto mask = nn::generate_square_subsequent_mask<double>(5);
  const auto y = layer.forward(x, mask, {}, true);
  NoGradGuard no_grad;
  const auto n1 = layer.norm1->forward(x);
  auto h = x + layer.self_attn->forward(n1, n1, n1, {}, false, mask).first;
  auto expected = h + layer.ff.linear2->forward(gelu(layer.ff.linear1->forward(layer.norm2->forward(h))));
  expect_near(y, expected);
  // the first position attends to itself only: changing later positions leaves it alone
  auto x2 = x.clone();
  x2.narrow(1, 3, 2).fill_(1.0);
  expect_near(layer.forward(x2, mask, {}, true).narrow(1, 0, 3), y.narrow(1, 0, 3));
}

TEST(Transformer, EncoderDecoderShapesKeysAndErrors) {
  manual_seed(2);
  nn::Transformer<double> model(small(), 2, 1);
  std::set<std::string> keys;
  for (auto& [k, v] : model.state_dict()) keys.insert(k);
  EXPECT_TRUE(keys.count("encoder.layers.1.self_attn.in_proj_weight"));
  EXPECT_TRUE(keys.count("encoder.norm.weight"));
  EXPECT_TRUE(keys.count("decoder.layers.0.multihead_attn.out_proj.bias"));
  EXPECT_TRUE(keys.count("decoder.layers.0.norm3.bias"));
  EXPECT_TRUE(keys.count("decoder.norm.bias"));
  EXPECT_FALSE(keys.count("decoder.layers.1.norm1.weight"));
  const auto src = randn<double>({6, 2, 8}), tgt = randn<double>({4, 2, 8});
  const auto y = model.forward(src, tgt, {}, nn::generate_square_subsequent_mask<double>(4));
  EXPECT_EQ(y.shape(), (Shape{4, 2, 8}));
  // the decoder reads the encoder's output: the composition by hand gives the same
  const auto memory = model.encoder->forward(src);
  expect_near(y, model.decoder->forward(tgt, memory, nn::generate_square_subsequent_mask<double>(4)));
  EXPECT_NE(error_of([&] { model.forward(src, randn<double>({4, 3, 8})); })
                .find("the batch number of src and tgt must be equal, got shapes (6, 2, 8) and (4, 3, 8)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model.forward(randn<double>({6, 2, 7}), randn<double>({4, 2, 7})); })
                .find("must be equal to d_model 8"),
            std::string::npos);
  auto bad = small();
  bad.activation = "tanh";
  EXPECT_NE(error_of([&] { nn::TransformerEncoderLayer<float> l(bad); }).find("activation should be relu/gelu, not tanh"),
            std::string::npos);
  bad = small();
  bad.nhead = 3;
  EXPECT_NE(error_of([&] { nn::TransformerDecoderLayer<float> l(bad); }).find("must be divisible by num_heads 3"),
            std::string::npos);
}

TEST(Transformer, BackwardReachesEveryParameter) {
  manual_seed(3);
  nn::TransformerDecoderLayer<double> layer(small(true));
  const auto tgt = randn<double>({3, 2, 8}), memory = randn<double>({5, 2, 8});
  layer.forward(tgt, memory).sum().backward();
  for (auto& [name, p] : layer.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(p.grad().abs().sum().item(), 0.0) << name;
  }
}
