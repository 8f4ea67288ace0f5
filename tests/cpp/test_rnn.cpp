// ember/ops/rnn.hpp and ember/nn/rnn.hpp: the layer op against a hand loop of the cells (values and
// gradients), packed sequences against each sequence run alone, gradcheck, the modules' parameter names,
// shapes and error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/ember.hpp"
#include "ember/nn/rnn.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

namespace {

double max_diff(const Tensor<double>& a, const Tensor<double>& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor<double> d = a - b;
  return std::sqrt((d * d).max().item());
}

// The hand loop: one direction, one layer, cells step by step. x (T, B, I); returns (outputs (T, B, H), h, c).
std::vector<Tensor<double>> cell_loop(RnnMode m, const Tensor<double>& x, Tensor<double> h, Tensor<double> c,
                                      const std::vector<Tensor<double>>& p, bool reverse) {
  std::vector<Tensor<double>> outs(static_cast<std::size_t>(x.size(0)));
  for (std::int64_t s = 0; s < x.size(0); ++s) {
    const std::int64_t t = reverse ? x.size(0) - 1 - s : s;
    const Tensor<double> xt = x.select(0, t);
    if (m == RnnMode::Lstm) std::tie(h, c) = lstm_cell(xt, h, c, p[0], p[1], p[2], p[3]);
    else if (m == RnnMode::Gru) h = gru_cell(xt, h, p[0], p[1], p[2], p[3]);
    else if (m == RnnMode::Tanh) h = rnn_tanh_cell(xt, h, p[0], p[1], p[2], p[3]);
    else h = rnn_relu_cell(xt, h, p[0], p[1], p[2], p[3]);
    outs[static_cast<std::size_t>(t)] = h;
  }
  return {stack(outs, 0), h, c};
}

std::vector<Tensor<double>> params_for(RnnMode m, std::int64_t I, std::int64_t H, std::uint64_t seed) {
  const std::int64_t G = rnn_gate_count(m);
  return {leaf({G * H, I}, seed), leaf({G * H, H}, seed + 1), leaf({G * H}, seed + 2), leaf({G * H}, seed + 3)};
}

void check_mode(RnnMode m) {
  const std::int64_t T = 5, B = 3, I = 4, H = 6;
  auto x = leaf({T, B, I}, 1), h0 = leaf({2, B, H}, 2), c0 = leaf({2, B, H}, 3);
  auto p = params_for(m, I, H, 10);
  auto pr = params_for(m, I, H, 20);
  std::vector<Tensor<double>> flat = p;
  flat.insert(flat.end(), pr.begin(), pr.end());
  const bool lstm = m == RnnMode::Lstm;
  auto r = rnn(m, x, h0, lstm ? c0 : Tensor<double>(), std::span<const Tensor<double>>(flat), true, 1, 0.0, true, true,
               false);
  auto f = cell_loop(m, x, h0.select(0, 0), c0.select(0, 0), p, false);
  auto b = cell_loop(m, x, h0.select(0, 1), c0.select(0, 1), pr, true);
  EXPECT_LT(max_diff(r.output, cat(std::vector<Tensor<double>>{f[0], b[0]}, 2)), 1e-12);
  EXPECT_LT(max_diff(r.h_n, stack(std::vector<Tensor<double>>{f[1], b[1]}, 0)), 1e-12);
  if (lstm) {
    EXPECT_LT(max_diff(r.c_n, stack(std::vector<Tensor<double>>{f[2], b[2]}, 0)), 1e-12);
  }
  // gradients: the same loss through both paths
  auto loss_of = [&](const Tensor<double>& out, const Tensor<double>& hn, const Tensor<double>& cn) {
    Tensor<double> l = (out * out).sum() + (hn * 3.0).sum();
    if (lstm) l = l + (cn * cn).sum();
    return l;
  };
  std::vector<Tensor<double>> leaves{x, h0, p[0], p[1], p[2], p[3], pr[0], pr[1], pr[2], pr[3]};
  if (lstm) leaves.push_back(c0);
  auto grads = [&](const Tensor<double>& l) {
    for (auto& t : leaves) t.set_grad(Tensor<double>());
    l.backward();
    std::vector<Tensor<double>> g;
    for (auto& t : leaves) g.push_back(t.grad().clone());
    return g;
  };
  auto g1 = grads(loss_of(r.output, r.h_n, r.c_n));
  auto g2 = grads(loss_of(cat(std::vector<Tensor<double>>{f[0], b[0]}, 2),
                          stack(std::vector<Tensor<double>>{f[1], b[1]}, 0),
                          lstm ? stack(std::vector<Tensor<double>>{f[2], b[2]}, 0) : Tensor<double>()));
  for (std::size_t i = 0; i < g1.size(); ++i) EXPECT_LT(max_diff(g1[i], g2[i]), 1e-10) << "leaf " << i;
}

}  // namespace

TEST(Rnn, LstmMatchesCellLoop) { check_mode(RnnMode::Lstm); }
TEST(Rnn, GruMatchesCellLoop) { check_mode(RnnMode::Gru); }
TEST(Rnn, TanhMatchesCellLoop) { check_mode(RnnMode::Tanh); }
TEST(Rnn, ReluMatchesCellLoop) { check_mode(RnnMode::Relu); }

TEST(Rnn, PackedMatchesEachSequenceAlone) {
  // lengths 4, 2, 1: step t holds the sequences still running
  const std::int64_t I = 3, H = 4;
  for (RnnMode m : {RnnMode::Lstm, RnnMode::Gru}) {
    auto p = params_for(m, I, H, 5), pr = params_for(m, I, H, 7);
    std::vector<Tensor<double>> flat = p;
    flat.insert(flat.end(), pr.begin(), pr.end());
    const std::vector<std::int64_t> lengths{4, 2, 1}, bs{3, 2, 1, 1};
    std::vector<Tensor<double>> seqs;
    for (std::size_t i = 0; i < lengths.size(); ++i) seqs.push_back(leaf({lengths[i], 1, I}, 30 + i));
    std::vector<Tensor<double>> rows;
    for (std::int64_t t = 0; t < 4; ++t)
      for (std::int64_t b = 0; b < bs[static_cast<std::size_t>(t)]; ++b) rows.push_back(seqs[b].select(0, t));
    const Tensor<double> data = cat(rows, 0);  // (7, I)
    auto r = rnn_packed(m, data, bs, Tensor<double>(), Tensor<double>(), std::span<const Tensor<double>>(flat), true,
                        1, 0.0, false, true);
    EXPECT_EQ(r.output.shape(), Shape({7, 2 * H}));
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      auto one = rnn(m, seqs[i], Tensor<double>(), Tensor<double>(), std::span<const Tensor<double>>(flat), true, 1,
                     0.0, false, true, false);
      EXPECT_LT(max_diff(r.h_n.select(1, static_cast<std::int64_t>(i)), one.h_n.select(1, 0)), 1e-12);
      std::int64_t row = static_cast<std::int64_t>(i);
      for (std::int64_t t = 0; t < lengths[i]; ++t) {
        EXPECT_LT(max_diff(r.output.select(0, row), one.output.select(0, t).select(0, 0)), 1e-12);
        row += t + 1 < 4 ? bs[static_cast<std::size_t>(t)] : 0;
      }
    }
  }
}

TEST(Rnn, Float32MatchesFloat64) {
  // float32 takes the sgemm path per step; float64 Eigen's
  for (RnnMode m : {RnnMode::Lstm, RnnMode::Gru, RnnMode::Relu}) {
    auto x = leaf({7, 3, 5}, 1), h0 = leaf({4, 3, 6}, 2), c0 = leaf({4, 3, 6}, 3);
    std::vector<Tensor<double>> w;
    for (int k = 0; k < 4; ++k) {
      auto p = params_for(m, k < 2 ? 5 : 12, 6, 10 * k);
      w.insert(w.end(), p.begin(), p.end());
    }
    const bool lstm = m == RnnMode::Lstm;
    auto r64 = rnn(m, x, h0, lstm ? c0 : Tensor<double>(), std::span<const Tensor<double>>(w), true, 2, 0.0, true, true,
                   false);
    std::vector<Tensor<float>> wf;
    for (auto& t : w) wf.push_back(t.detach().to<float>().requires_grad_());
    auto xf = x.detach().to<float>().requires_grad_();
    auto r32 = rnn(m, xf, h0.detach().to<float>(), lstm ? c0.detach().to<float>() : Tensor<float>(),
                   std::span<const Tensor<float>>(wf), true, 2, 0.0, true, true, false);
    auto rel = [](const Tensor<float>& a, const Tensor<double>& b) {
      return max_diff(a.to<double>(), b) / std::sqrt((b * b).max().item());
    };
    EXPECT_LT(rel(r32.output, r64.output), 1e-5) << rnn_mode_name(m);
    EXPECT_LT(rel(r32.h_n, r64.h_n), 1e-5) << rnn_mode_name(m);
    (r64.output * r64.output).sum().backward();
    (r32.output * r32.output).sum().backward();
    EXPECT_LT(rel(xf.grad(), x.grad()), 1e-4) << rnn_mode_name(m);
    EXPECT_LT(rel(wf[1].grad(), w[1].grad()), 1e-4) << rnn_mode_name(m);
  }
}

TEST(Rnn, Gradcheck) {
  for (RnnMode m : {RnnMode::Lstm, RnnMode::Gru, RnnMode::Tanh}) {
    auto x = leaf({3, 2, 2}, 1), h0 = leaf({2, 2, 3}, 2), c0 = leaf({2, 2, 3}, 3);
    auto p = params_for(m, 2, 3, 4), p1 = params_for(m, 3, 3, 8);
    const bool lstm = m == RnnMode::Lstm;
    std::vector<AnyTensor> in{x, h0, c0, p[0], p[1], p[2], p[3], p1[0], p1[1], p1[2], p1[3]};
    EXPECT_TRUE(autograd::gradcheck(
        [&](const std::vector<AnyTensor>& v) {
          std::vector<Tensor<double>> w;
          for (std::size_t i = 3; i < v.size(); ++i) w.push_back(v[i].get<double>());
          auto r = rnn(m, v[0].get<double>(), v[1].get<double>(), lstm ? v[2].get<double>() : Tensor<double>(),
                       std::span<const Tensor<double>>(w), true, 2, 0.0, true, false, false);
          std::vector<AnyTensor> out{r.output, r.h_n};
          if (lstm) out.push_back(r.c_n);
          return out;
        },
        in))
        << rnn_mode_name(m);
  }
}

TEST(Rnn, ModulesNamesShapesAndErrors) {
  nn::LSTM<float> lstm(4, 8, {.num_layers = 2, .bidirectional = true});
  const auto names = lstm.state_dict();
  for (const char* n : {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                        "weight_ih_l1", "bias_hh_l1_reverse"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_EQ(names.at("weight_ih_l1").shape(), Shape({32, 16}));
  auto r = lstm.forward_full(randn<float>({5, 3, 4}));
  EXPECT_EQ(r.output.shape(), Shape({5, 3, 16}));
  EXPECT_EQ(r.h_n.shape(), Shape({4, 3, 8}));
  EXPECT_EQ(r.c_n.shape(), Shape({4, 3, 8}));
  EXPECT_EQ(lstm.forward_full(randn<float>({5, 4})).h_n.shape(), Shape({4, 8}));  // unbatched
  EXPECT_EQ(lstm.extra_repr(), "4, 8, num_layers=2, bidirectional=True");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { lstm.forward_full(randn<float>({5, 3, 5})); }),
            "[LSTM] input.size(-1) must be equal to input_size. Expected 4, got 5");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { lstm.forward_full(randn<float>({1, 5, 3, 4})); }),
            "[LSTM] LSTM: Expected input to be 2D or 3D, got 4D instead");
  EXPECT_EQ(error_of<std::invalid_argument>(
                [&] { lstm.forward_full(randn<float>({5, 3, 4}), zeros<float>({2, 3, 8}), zeros<float>({4, 3, 8})); }),
            "[LSTM] Expected hidden[0] size (4, 3, 8), got [2, 3, 8]");
  nn::GRU<float> gru(4, 8, {.batch_first = true});
  EXPECT_EQ(gru.forward_full(randn<float>({3, 5, 4})).output.shape(), Shape({3, 5, 8}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] { gru.forward_full(randn<float>({3, 5, 4}), zeros<float>({3, 8})); }),
            "[GRU] For batched 3-D input, hx should also be 3-D but got 2-D tensor");
  nn::LSTMCell<float> cell(4, 8);
  EXPECT_EQ(cell.forward_full(randn<float>({3, 4})).second.shape(), Shape({3, 8}));
  nn::GRUCell<double> gcell(4, 8);
  EXPECT_EQ(gcell.forward(randn<double>({4})).shape(), Shape({8}));
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              rnn_packed(RnnMode::Gru, randn<float>({4, 4}), {1, 3}, Tensor<float>(), Tensor<float>(),
                         std::span<const Tensor<float>>(gru.flat_weights), true, 1, 0.0, false, false);
            }),
            "[GRU] batch_sizes must be positive and non-increasing, got (1, 3)");
}

// float32 padded sequences run on oneDNN's RNN primitives; ember's own loop (the path of packed sequences and
// float64) is the reference: values and every gradient, each mode, both directions, with and without biases,
// with and without recording (forward_inference).
TEST(Rnn, OneDnnPrimitivesMatchTheLoop) {
  for (RnnMode m : {RnnMode::Tanh, RnnMode::Relu, RnnMode::Lstm, RnnMode::Gru})
    for (bool bidirectional : {false, true})
      for (bool biases : {true, false}) {
        SCOPED_TRACE(std::string(rnn_mode_name(m)) + (bidirectional ? " bidirectional" : "") +
                     (biases ? "" : " no bias"));
        const std::int64_t D = bidirectional ? 2 : 1, H = 6;
        const bool lstm = m == RnnMode::Lstm;
        std::vector<Tensor<float>> w;
        for (std::int64_t l = 0; l < 2; ++l)
          for (std::int64_t d = 0; d < D; ++d) {
            auto p = params_for(m, l == 0 ? 5 : D * H, H, 10 * l + d);
            for (std::size_t k = 0; k < (biases ? 4u : 2u); ++k) w.push_back(p[k].detach().to<float>());
          }
        Generator g(4);
        const auto x = randn<float>({7, 3, 5}, g), h0 = randn<float>({2 * D, 3, H}, g), c0 = randn<float>({2 * D, 3, H}, g);
        std::vector<std::vector<float>> got[2];
        for (int path = 0; path < 2; ++path) {
          detail::rnn_onednn_enabled() = path == 0;
          {  // inference: no workspace
            NoGradGuard no_grad;
            auto r = rnn(m, x, h0, lstm ? c0 : Tensor<float>(), std::span<const Tensor<float>>(w), biases, 2, 0.0,
                         false, bidirectional, false);
            got[path].push_back(r.output.contiguous().to_vector());
          }
          std::vector<Tensor<float>> leaves{x.clone().requires_grad_(), h0.clone().requires_grad_(),
                                            c0.clone().requires_grad_()};
          for (const auto& t : w) leaves.push_back(t.clone().requires_grad_());
          auto r = rnn(m, leaves[0], leaves[1], lstm ? leaves[2] : Tensor<float>(),
                       std::span<const Tensor<float>>(leaves.data() + 3, w.size()), biases, 2, 0.0, true,
                       bidirectional, false);
          auto loss = (r.output * r.output).sum() + (r.h_n * 0.5f).sum();
          if (lstm) loss = loss + (r.c_n * r.c_n).sum();
          loss.backward();
          got[path].push_back(r.output.contiguous().to_vector());
          got[path].push_back(r.h_n.contiguous().to_vector());
          if (lstm) got[path].push_back(r.c_n.contiguous().to_vector());
          for (std::size_t k = 0; k < leaves.size(); ++k)
            if (k != 2 || lstm) got[path].push_back(leaves[k].grad().to_vector());
        }
        detail::rnn_onednn_enabled() = true;
        ASSERT_EQ(got[0].size(), got[1].size());
        for (std::size_t i = 0; i < got[0].size(); ++i)
          for (std::size_t j = 0; j < got[0][i].size(); ++j)
            ASSERT_NEAR(got[0][i][j], got[1][i][j], 5e-4 * (1 + std::abs(got[1][i][j]))) << "tensor " << i << " at " << j;
      }
}

// The oneDNN backward reads the forward's outputs: an in-place change to them is refused, as for saved inputs.
TEST(Rnn, OneDnnOutputModifiedBeforeBackwardIsRefused) {
  auto p = params_for(RnnMode::Gru, 2, 3, 1);
  std::vector<Tensor<float>> w;
  for (auto& t : p) w.push_back(t.detach().to<float>().requires_grad_());
  Generator g(2);
  auto r = rnn(RnnMode::Gru, randn<float>({4, 2, 2}, g), Tensor<float>(), Tensor<float>(),
               std::span<const Tensor<float>>(w), true, 1, 0.0, true, false, false);
  auto loss = r.output.sum();
  {
    NoGradGuard no_grad;
    r.output.mul_(2.0f);
  }
  EXPECT_THROW(loss.backward(), AutogradError);
}
