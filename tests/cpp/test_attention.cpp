// embedding, embedding_bag, gumbel_softmax, dropout, scaled_dot_product_attention and
// multi_head_attention_forward from C++, and the Embedding, EmbeddingBag, Dropout and MultiheadAttention modules: values against loop references, masks, the
// padding row's gradient, gradcheck, error messages and state_dict keys.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include <ember/ember.hpp>

#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::expect_near;
using ember::testing::leaf;

namespace {

/// softmax(q k^T * scale + mask) v by loops for q (L, E), k (S, E), v (S, Ev); mask (L, S) additive.
Tensor<double> attention_loop(const Tensor<double>& q, const Tensor<double>& k, const Tensor<double>& v,
                              const Tensor<double>& mask, double scale) {
  const std::int64_t l = q.size(0), s = k.size(0), e = q.size(1), ev = v.size(1);
  const auto qv = q.contiguous().to_vector(), kv = k.contiguous().to_vector(), vv = v.contiguous().to_vector();
  const auto mv = mask.defined() ? mask.contiguous().to_vector() : std::vector<double>(l * s, 0.0);
  std::vector<double> out(l * ev, 0.0);
  for (std::int64_t i = 0; i < l; ++i) {
    std::vector<double> w(s);
    double mx = -std::numeric_limits<double>::infinity(), total = 0;
    for (std::int64_t j = 0; j < s; ++j) {
      double d = 0;
      for (std::int64_t c = 0; c < e; ++c) d += qv[i * e + c] * kv[j * e + c];
      w[j] = d * scale + mv[i * s + j];
      mx = std::max(mx, w[j]);
    }
    for (auto& x : w) total += (x = std::exp(x - mx));
    for (std::int64_t j = 0; j < s; ++j)
      for (std::int64_t c = 0; c < ev; ++c) out[i * ev + c] += w[j] / total * vv[j * ev + c];
  }
  return tensor<double>(out).reshape({l, ev});
}

autograd::TensorFunction fn1(std::function<Tensor<double>(const std::vector<Tensor<double>>&)> f) {
  return [f](const std::vector<AnyTensor>& in) {
    std::vector<Tensor<double>> t;
    for (const auto& a : in) t.push_back(a.get<double>());
    return std::vector<AnyTensor>{f(t)};
  };
}

}  // namespace

// --- embedding ---

TEST(EmbeddingOp, PicksRowsAndRoutesTheGradientAroundThePaddingRow) {
  auto w = arange<double>(0, 12).reshape({4, 3}).detach().requires_grad_();
  auto ids = tensor<std::int64_t>({2, 0, 2, 3}).reshape({2, 2});
  auto y = embedding(ids, w);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(y.contiguous().to_vector(), (std::vector<double>{6, 7, 8, 0, 1, 2, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(embedding(tensor<std::int32_t>({1}), w).to_vector(), (std::vector<double>{3, 4, 5}));
  EXPECT_EQ(embedding(scalar_tensor<std::int64_t>(3), w).shape(), (Shape{3}));  // 0-d ids
  EXPECT_EQ(embedding(zeros<std::int64_t>({0, 2}), w).shape(), (Shape{0, 2, 3}));

  embedding(ids, w, -2).sum().backward();  // padding_idx -2 is row 2: it appears twice but gets nothing
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1}));
  w.set_grad(Tensor<double>());
  embedding(ids.transpose(0, 1), w).sum().backward();  // a non-contiguous view of the ids
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{1, 1, 1, 0, 0, 0, 2, 2, 2, 1, 1, 1}));
  EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& t) { return embedding(ids, t[0]); }), {leaf({4, 3}, 1)}));
}

TEST(EmbeddingOp, ErrorsNameTheBadValues) {
  auto w = zeros<float>({5, 2});
  EXPECT_EQ(error_of<std::out_of_range>([&] { embedding(tensor<std::int64_t>({1, 10, -1, 10}), w); }),
            "[embedding] index out of range: -1, 10 not in [0, 4] (num_embeddings=5)");
  EXPECT_EQ(error_of<std::out_of_range>([&] { embedding(tensor<std::int64_t>({5, 6, 7, 8, 9, 10}), w); }),
            "[embedding] index out of range: 5, 6, 7, 8, 9, ... not in [0, 4] (num_embeddings=5)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding(tensor<std::int64_t>({0}), zeros<float>({5})); }),
            "[embedding] weight must be 2-d (num_embeddings, embedding_dim), got shape (5,)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding(tensor<std::int64_t>({0}), w, 5); }),
            "[embedding] padding_idx must be within num_embeddings (5), got 5");
}

TEST(EmbeddingModule, InitFromPretrainedAndErrors) {
  Generator gen(1);
  nn::Embedding<double> emb(6, 3, -1, gen);
  EXPECT_EQ(emb.padding_idx, 5);
  EXPECT_EQ(emb.weight.select(0, 5).to_vector(), (std::vector<double>{0, 0, 0}));
  EXPECT_NE(emb.weight.select(0, 0).to_vector(), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(emb.repr(), "Embedding(6, 3, padding_idx=5)");
  std::set<std::string> keys;
  for (const auto& [k, v] : emb.state_dict()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"weight"}));
  EXPECT_EQ(emb(tensor<std::int32_t>({5, 0})).shape(), (Shape{2, 3}));
  EXPECT_EQ(error_of<std::out_of_range>([&] { emb(tensor<std::int64_t>({6})); }),
            "[Embedding] Embedding(6, 3, padding_idx=5): [embedding] index out of range: 6 not in [0, 5] "
            "(num_embeddings=6)");
  EXPECT_EQ(error_of<TypeError>([&] { emb(tensor<double>({1.0})); }),
            "[Embedding] Embedding(6, 3, padding_idx=5): [embedding] expected integer indices (int64 or int32), "
            "got float64");
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::Embedding<float>(5, 2, 5); }),
            "[Embedding] padding_idx 5 must be within num_embeddings 5");
  auto frozen = nn::Embedding<float>::from_pretrained(ones<float>({4, 2}));
  EXPECT_FALSE(frozen.weight.requires_grad());
  EXPECT_EQ(frozen(tensor<std::int64_t>({3})).to_vector(), (std::vector<float>{1, 1}));
}

TEST(EmbeddingBagOp, SumMeanMaxAgainstLoopsAndTheirGradients) {
  auto w = arange<double>(0, 12).reshape({4, 3}).detach().requires_grad_();
  const auto ids = tensor<std::int64_t>({2, 0, 2, 3, 1});
  const std::optional<Tensor<std::int64_t>> off = tensor<std::int64_t>({0, 3, 3});  // bags {2, 0, 2}, {}, {3, 1}
  EXPECT_EQ(embedding_bag(ids, w, off, "sum").to_vector(),
            (std::vector<double>{12, 15, 18, 0, 0, 0, 12, 14, 16}));
  EXPECT_EQ(embedding_bag(ids, w, off, "mean").to_vector(), (std::vector<double>{4, 5, 6, 0, 0, 0, 6, 7, 8}));
  EXPECT_EQ(embedding_bag(ids, w, off, "max").to_vector(), (std::vector<double>{6, 7, 8, 0, 0, 0, 9, 10, 11}));
  // include_last_offset: the offsets are CSR row pointers; padding_idx 2 is left out of sum and count
  const std::optional<Tensor<std::int64_t>> csr = tensor<std::int64_t>({0, 3, 5});
  EXPECT_EQ(embedding_bag(ids, w, csr, "mean", std::nullopt, true, 2).to_vector(),
            (std::vector<double>{0, 1, 2, 6, 7, 8}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids, w, off, "sum", std::nullopt, true); }),
            "[embedding_bag] with include_last_offset the last offset must equal the number of indices (5), got 3");
  EXPECT_EQ(embedding_bag(ids.reshape({1, 5}), w, std::nullopt, "sum").shape(), (Shape{1, 3}));

  embedding_bag(ids, w, off, "mean").sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{1. / 3, 1. / 3, 1. / 3, .5, .5, .5, 2. / 3, 2. / 3, 2. / 3,
                                                       .5, .5, .5}));
  w.set_grad(Tensor<double>());
  embedding_bag(ids, w, off, "max").sum().backward();  // each maximum's gradient goes to the row it came from
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));
  auto s = leaf({5}, 2);
  EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& t) { return embedding_bag(ids, t[0], off, "sum", t[1]); }),
                                  {leaf({4, 3}, 1), s}));
}

TEST(EmbeddingBagOp, ErrorsNameTheProblem) {
  const auto w = zeros<float>({5, 2});
  const auto ids = tensor<std::int64_t>({1, 2, 3});
  using Off = std::optional<Tensor<std::int64_t>>;
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids, w); }),
            "[embedding_bag] a 1-d input of shape (3,) needs offsets (where each bag starts)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids, w, Off(tensor<std::int64_t>({1}))); }),
            "[embedding_bag] offsets[0] must be 0 (the first bag starts at the first index), got 1");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids, w, Off(tensor<std::int64_t>({0, 2, 1}))); }),
            "[embedding_bag] offsets must not decrease, got offsets[1] = 2 > offsets[2] = 1");
  EXPECT_EQ(error_of<std::out_of_range>([&] { embedding_bag(ids, w, Off(tensor<std::int64_t>({0, 4}))); }),
            "[embedding_bag] offsets[1] = 4 is past the end of the input (3 indices)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids.reshape({1, 3}), w, Off(tensor<std::int64_t>({0}))); }),
            "[embedding_bag] offsets must be None for a 2-d input (each row is a bag), got offsets of shape (1,)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids.reshape({1, 3}), w, Off(), "avg"); }),
            "[embedding_bag] mode must be 'sum', 'mean' or 'max', got 'avg'");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              embedding_bag(ids.reshape({1, 3}), w, Off(), "mean", ones<float>({1, 3}));
            }),
            "[embedding_bag] per_sample_weights are only supported for mode='sum', got mode='mean'");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { embedding_bag(ids.reshape({1, 3}), w, Off(), "sum", ones<float>({3})); }),
            "[embedding_bag] per_sample_weights of shape (3,) must have the input's shape (1, 3)");
  EXPECT_EQ(error_of<std::out_of_range>([&] { embedding_bag(tensor<std::int64_t>({7}).reshape({1, 1}), w); }),
            "[embedding_bag] index out of range: 7 not in [0, 4] (num_embeddings=5)");
}

TEST(EmbeddingBagModule, ReprStateAndForward) {
  Generator gen(3);
  nn::EmbeddingBag<double> bag(6, 3, "max", false, -1, gen);
  EXPECT_EQ(bag.repr(), "EmbeddingBag(6, 3, mode='max', padding_idx=5)");
  EXPECT_EQ(bag.weight.select(0, 5).to_vector(), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(bag(tensor<std::int32_t>({0, 1, 2, 3}).reshape({2, 2})).shape(), (Shape{2, 3}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::EmbeddingBag<float>(5, 2, "median"); }),
            "[embedding_bag] mode must be 'sum', 'mean' or 'max', got 'median'");
  EXPECT_EQ(error_of<TypeError>([&] { bag(tensor<double>({1.0})); }),
            "[EmbeddingBag] EmbeddingBag(6, 3, mode='max', padding_idx=5): [embedding_bag] expected integer indices "
            "(int64 or int32), got float64");
}

TEST(GumbelSoftmax, SamplesAreDistributionsOrOneHotAndRepeatWithTheSeed) {
  auto logits = leaf({4, 5}, 7);
  default_generator().manual_seed(2);
  const auto soft = gumbel_softmax(logits, 0.5);
  default_generator().manual_seed(2);
  const auto hard = gumbel_softmax(logits, 0.5, true);
  expect_near(sum(soft, 1), ones<double>({4}), 1e-12);
  const auto h = hard.to_vector(), s = soft.to_vector();
  for (int r = 0; r < 4; ++r) {  // the one-hot sits at the soft sample's argmax
    int ones_at = -1, best = 0;
    for (int c = 0; c < 5; ++c) {
      if (h[r * 5 + c] == 1.0) ones_at = c;
      else EXPECT_EQ(h[r * 5 + c], 0.0);
      if (s[r * 5 + c] > s[r * 5 + best]) best = c;
    }
    EXPECT_EQ(ones_at, best);
  }
  // straight-through: hard's gradient is the soft sample's
  const auto g = leaf({4, 5}, 8).detach();
  default_generator().manual_seed(2);
  sum(mul(gumbel_softmax(logits, 0.5), g)).backward();
  const auto ds = logits.grad().clone();
  logits.set_grad(Tensor<double>());
  default_generator().manual_seed(2);
  sum(mul(gumbel_softmax(logits, 0.5, true), g)).backward();
  expect_near(logits.grad(), ds, 1e-12);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { gumbel_softmax(logits, 0.0); }),
            "[gumbel_softmax] tau must be positive, got 0");
}

// --- dropout ---

TEST(DropoutOp, MasksScalesAndPassesThrough) {
  Generator gen(3);
  auto x = ones<double>({4000}).requires_grad_();
  auto y = dropout(x, 0.25, true, &gen);
  const auto v = y.to_vector();
  EXPECT_EQ(std::set<double>(v.begin(), v.end()), (std::set<double>{0.0, 1.0 / 0.75}));
  EXPECT_NEAR(static_cast<double>(std::count(v.begin(), v.end(), 0.0)) / 4000, 0.25, 0.03);
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector(), v);  // the gradient is the mask / (1 - p)
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0).is_same(x));
  EXPECT_EQ(dropout(x, 1.0).sum().item(), 0.0);
  Generator g1(7), g2(7);
  EXPECT_EQ(dropout(x, 0.5, true, &g1).to_vector(), dropout(x, 0.5, true, &g2).to_vector());
  EXPECT_EQ(error_of<std::invalid_argument>([&] { dropout(x, 1.5); }),
            "[dropout] dropout probability has to be between 0 and 1, but got 1.5");
  nn::Dropout<double> layer(0.5, true);
  EXPECT_EQ(layer.repr(), "Dropout(p=0.5, inplace=true)");
  layer.eval();
  EXPECT_TRUE(layer(x).is_same(x));
}

// --- scaled_dot_product_attention ---

TEST(ScaledDotProductAttention, MatchesTheLoopWithMasks) {
  Generator gen(2);
  auto q = randn<double>({4, 3}, gen), k = randn<double>({5, 3}, gen), v = randn<double>({5, 2}, gen);
  const double scale = 1 / std::sqrt(3.0);
  expect_near(scaled_dot_product_attention(q, k, v), attention_loop(q, k, v, {}, scale));
  expect_near(scaled_dot_product_attention(q, k, v, {}, 0.0, false, 0.5), attention_loop(q, k, v, {}, 0.5));
  auto fm = randn<double>({4, 5}, gen);
  expect_near(scaled_dot_product_attention(q, k, v, fm), attention_loop(q, k, v, fm, scale));
  // bool: true takes part; the causal mask hides j > i
  auto allowed = rand<double>({4, 5}, gen).lt(0.6).logical_or(arange<double>(0, 5).eq(0.0));
  auto hidden = masked_fill(zeros<double>({4, 5}), allowed.logical_not(), -INFINITY);
  expect_near(scaled_dot_product_attention(q, k, v, allowed), attention_loop(q, k, v, hidden, scale));
  auto causal = masked_fill(zeros<double>({4, 5}),
                            arange<double>(0, 5).unsqueeze(0).gt(arange<double>(0, 4).unsqueeze(1)), -INFINITY);
  expect_near(scaled_dot_product_attention(q, k, v, {}, 0.0, true), attention_loop(q, k, v, causal, scale));
  // leading dims broadcast
  auto qb = randn<double>({2, 4, 3}, gen);
  auto ob = scaled_dot_product_attention(qb, k, v);
  expect_near(ob.select(0, 1), attention_loop(qb.select(0, 1), k, v, {}, scale));

  EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& t) {
    return scaled_dot_product_attention(t[0], t[1], t[2], fm);
  }), {leaf({2, 4, 3}, 3), leaf({2, 5, 3}, 4), leaf({2, 5, 2}, 5)}));
  EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& t) {
    return scaled_dot_product_attention(t[0], t[1], t[2], {}, 0.0, true);
  }), {leaf({4, 3}, 6), leaf({5, 3}, 7), leaf({5, 2}, 8)}));
}

TEST(ScaledDotProductAttention, Errors) {
  auto q = zeros<float>({4, 3}), k = zeros<float>({5, 3}), v = zeros<float>({5, 2});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { scaled_dot_product_attention(q, zeros<float>({5, 2}), v); }),
            "[scaled_dot_product_attention] expected query (*, L, E), key (*, S, E) and value (*, S, Ev), got "
            "(4, 3), (5, 2) and (5, 2)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              scaled_dot_product_attention(q, k, v, ones<bool>({4, 5}), 0.0, true);
            }),
            "[scaled_dot_product_attention] pass either attn_mask or is_causal=True, not both");
}

// --- multi_head_attention_forward ---

TEST(MultiHeadAttentionForward, MatchesPerHeadAttention) {
  Generator gen(4);
  const std::int64_t e = 4, h = 2, l = 3, s = 5, n = 2;
  auto w_in = randn<double>({3 * e, e}, gen), b_in = randn<double>({3 * e}, gen);
  auto w_out = randn<double>({e, e}, gen), b_out = randn<double>({e}, gen);
  auto query = randn<double>({l, n, e}, gen), key = randn<double>({s, n, e}, gen), value = randn<double>({s, n, e}, gen);
  auto kpm = tensor<bool>({false, false, true, false, true, false, false, false, false, true}).reshape({n, s});
  auto am = randn<double>({l, s}, gen);
  MultiHeadAttentionOptions<double> o;
  o.key_padding_mask = kpm;
  o.attn_mask = am;
  o.average_attn_weights = false;
  auto [out, weights] = multi_head_attention_forward(query, key, value, e, h, w_in, b_in, 0.0, w_out, b_out, o);
  ASSERT_EQ(out.shape(), (Shape{l, n, e}));
  ASSERT_EQ(weights->shape(), (Shape{n, h, l, s}));
  auto w = chunk(w_in, 3), b = chunk(b_in, 3);
  for (std::int64_t bi = 0; bi < n; ++bi) {
    auto q = linear(query.select(1, bi), w[0], b[0]), k = linear(key.select(1, bi), w[1], b[1]),
         v = linear(value.select(1, bi), w[2], b[2]);
    auto mask = am + masked_fill(zeros<double>({s}), kpm.select(0, bi), -INFINITY);
    std::vector<Tensor<double>> heads;
    for (std::int64_t hi = 0; hi < h; ++hi)
      heads.push_back(attention_loop(q.narrow(1, hi * 2, 2), k.narrow(1, hi * 2, 2), v.narrow(1, hi * 2, 2), mask,
                                     1 / std::sqrt(2.0)));
    expect_near(out.select(1, bi), linear(cat(heads, 1), w_out, b_out));
  }
  // the weights sum to one per query, zero on padded keys; averaged, they are the mean over heads
  expect_near(weights->sum(-1), ones<double>({n, h, l}));
  EXPECT_EQ(weights->select(0, 0).select(2, 2).abs().sum().item(), 0.0);
  o.average_attn_weights = true;
  expect_near(*multi_head_attention_forward(query, key, value, e, h, w_in, b_in, 0.0, w_out, b_out, o).second,
              weights->mean(1));
  o.need_weights = false;
  EXPECT_FALSE(multi_head_attention_forward(query, key, value, e, h, w_in, b_in, 0.0, w_out, b_out, o).second);

  // bool masks (true = masked out) equal their -inf float forms; unbatched equals a batch of one
  MultiHeadAttentionOptions<double> ob, of;
  auto am_bool = rand<double>({l, s}, gen).lt(0.3);
  ob.attn_mask = am_bool;
  of.attn_mask = masked_fill(zeros<double>({l, s}), am_bool, -INFINITY);
  expect_near(multi_head_attention_forward(query, key, value, e, h, w_in, b_in, 0.0, w_out, b_out, ob).first,
              multi_head_attention_forward(query, key, value, e, h, w_in, b_in, 0.0, w_out, b_out, of).first);
  MultiHeadAttentionOptions<double> ou;
  ou.key_padding_mask = kpm.select(0, 0);
  auto [o1, w1] = multi_head_attention_forward(query.select(1, 0), key.select(1, 0), value.select(1, 0), e, h, w_in,
                                               b_in, 0.0, w_out, b_out, ou);
  MultiHeadAttentionOptions<double> o1b;
  o1b.key_padding_mask = kpm.select(0, 0).unsqueeze(0);
  auto [o1_batched, w1_batched] = multi_head_attention_forward(
      query.narrow(1, 0, 1), key.narrow(1, 0, 1), value.narrow(1, 0, 1), e, h, w_in, b_in, 0.0, w_out, b_out, o1b);
  expect_near(o1, o1_batched.squeeze(1));
  expect_near(*w1, w1_batched->squeeze(0));
  // causal self-attention through the packed projection equals the separate weights path
  MultiHeadAttentionOptions<double> oc, os;
  oc.is_causal = true;
  os.is_causal = true;
  os.use_separate_proj_weight = true;
  os.q_proj_weight = w[0], os.k_proj_weight = w[1], os.v_proj_weight = w[2];
  expect_near(multi_head_attention_forward(query, query, query, e, h, w_in, b_in, 0.0, w_out, b_out, oc).first,
              multi_head_attention_forward(query, query, query, e, h, std::nullopt, b_in, 0.0, w_out, b_out, os).first);

  EXPECT_TRUE(autograd::gradcheck(fn1([&](const auto& t) {
    MultiHeadAttentionOptions<double> og;
    og.key_padding_mask = kpm;
    return multi_head_attention_forward(t[0], t[1], t[1], e, h, t[2], t[3], 0.0, t[4], t[5], og).first;
  }), {leaf({l, n, e}, 1), leaf({s, n, e}, 2), leaf({3 * e, e}, 3), leaf({3 * e}, 4), leaf({e, e}, 5), leaf({e}, 6)}));
}

TEST(MultiHeadAttentionForward, Errors) {
  auto x = zeros<float>({3, 2, 4}), w_in = zeros<float>({12, 4}), w_out = zeros<float>({4, 4});
  auto call = [&](const Tensor<float>& q, const Tensor<float>& k, std::int64_t e, std::int64_t h,
                  MultiHeadAttentionOptions<float> o = {}) {
    multi_head_attention_forward(q, k, k, e, h, w_in, std::nullopt, 0.0, w_out, std::nullopt, o);
  };
  const std::string p = "[multi_head_attention_forward] ";
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, zeros<float>({3, 4}), 4, 2); }),
            p + "expected query, key and value all (L, N, E) or all unbatched (L, E), got (3, 2, 4), (3, 4) and (3, 4)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, x, 8, 2); }),
            p + "expected query of embedding size 8, got shape (3, 2, 4)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, zeros<float>({3, 3, 4}), 4, 2); }),
            p + "key shape (3, 3, 4) does not match value shape (3, 3, 4) / batch 2");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, x, 4, 3); }), p + "embed_dim 4 not divisible by num_heads 3");
  MultiHeadAttentionOptions<float> o;
  o.attn_mask = zeros<float>({3, 4});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, x, 4, 2, o); }),
            p + "the shape of the 2-d attn_mask is (3, 4), but should be (3, 3)");
  o.attn_mask = ones<bool>({2, 3, 3});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, x, 4, 2, o); }),
            p + "the shape of the 3-d attn_mask is (2, 3, 3), but should be (4, 3, 3)");
  MultiHeadAttentionOptions<float> ok;
  ok.key_padding_mask = zeros<bool>({3, 2});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { call(x, x, 4, 2, ok); }),
            p + "expected key_padding_mask of shape (2, 3), got (3, 2)");
}

// --- the MultiheadAttention module ---

TEST(MultiheadAttentionModule, ParametersInitBatchFirstAndErrors) {
  Generator gen(5);
  nn::MultiheadAttention<double> mha(4, 2, 0.0, true, std::nullopt, std::nullopt, false, gen);
  std::vector<std::string> names;
  for (const auto& [k, v] : mha.named_parameters()) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(mha.in_proj_weight.shape(), (Shape{12, 4}));
  EXPECT_EQ(mha.in_proj_bias.abs().sum().item(), 0.0);
  EXPECT_EQ(mha.out_proj->bias.abs().sum().item(), 0.0);
  const double bound = std::sqrt(6.0 / (4 + 12));  // xavier_uniform_ on (3E, E)
  EXPECT_LE(mha.in_proj_weight.abs().amax().item(), bound);

  nn::MultiheadAttention<double> cross(6, 3, 0.1, false, 4, 5);
  names.clear();
  for (const auto& [k, v] : cross.state_dict()) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"k_proj_weight", "out_proj.weight", "q_proj_weight", "v_proj_weight"}));
  cross.eval();
  auto [co, cw] = cross(randn<double>({3, 6}), randn<double>({5, 4}), randn<double>({5, 5}));
  EXPECT_EQ(co.shape(), (Shape{3, 6}));
  EXPECT_EQ(cw->shape(), (Shape{3, 5}));

  // batch_first: (N, L, E) in and out, the same numbers as sequence-first
  nn::MultiheadAttention<double> bf(4, 2, 0.0, true, std::nullopt, std::nullopt, true);
  bf.load_state_dict(mha.state_dict());
  auto x = randn<double>({2, 3, 4}, gen);
  auto [yb, wb] = bf(x, x, x);
  auto [ys, ws] = mha(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1));
  expect_near(yb, ys.transpose(0, 1));
  expect_near(*wb, *ws);
  auto [yc, wc] = bf.forward(x, x, x, {}, false, {}, true, true);
  EXPECT_FALSE(wc);
  EXPECT_EQ(yc.shape(), (Shape{2, 3, 4}));

  EXPECT_EQ(error_of<std::invalid_argument>([&] { bf(zeros<double>({2, 3, 5}), x, x); }),
            "[MultiheadAttention] MultiheadAttention(embed_dim=4, num_heads=2) expected a query of shape (N, L, E) "
            "or (L, E) with E = 4, got shape (2, 3, 5)");
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::MultiheadAttention<float>(5, 2); }),
            "[MultiheadAttention] embed_dim 5 must be divisible by num_heads 2");
  EXPECT_EQ(error_of<std::invalid_argument>([] { nn::MultiheadAttention<float>(0, 2); }),
            "[MultiheadAttention] embed_dim and num_heads must be greater than 0, got 0 and 2");
}
