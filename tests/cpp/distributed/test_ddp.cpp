// ember::distributed::DistributedDataParallel under mpirun: N ranks on shards of a batch end with the weights
// of one process on the whole batch (SGD with momentum, float64), no_sync, and the structure check.
#include <gtest/gtest.h>

#include <string>

#include "ember/distributed/ddp.hpp"

namespace dist = ember::distributed;
using namespace ember;

namespace {

std::shared_ptr<nn::Sequential<double>> make_model(std::uint64_t seed, std::int64_t hidden = 8) {
  Generator gen(seed);
  return std::make_shared<nn::Sequential<double>>(nn::Linear<double>(5, hidden, true, gen), nn::Tanh<double>(),
                                                  nn::Linear<double>(hidden, 3, true, gen));
}

Tensor<double> rows(const Tensor<double>& t, std::int64_t from, std::int64_t to) {
  return t.slice(0, from, to).contiguous();
}

double max_diff(const std::vector<Tensor<double>>& a, const std::vector<Tensor<double>>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = a[i].to_vector(), y = b[i].to_vector();
    for (std::size_t k = 0; k < x.size(); ++k) m = std::max(m, std::abs(x[k] - y[k]));
  }
  return m;
}

}  // namespace

TEST(DDP, ShardsMatchOneProcess) {
  const int rank = dist::get_rank(), world = dist::get_world_size();
  dist::DistributedDataParallel<double> ddp(make_model(10 + rank), {.bucket_cap_mb = 0.0003});
  EXPECT_GT(ddp.num_buckets(), 1u);
  auto ref = make_model(10);
  optim::SGD<double> opt(ddp.parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::SGD<double> ref_opt(ref->parameters(), {.lr = 0.1, .momentum = 0.9});
  const std::int64_t batch = 12, per = batch / world;
  for (int step = 0; step < 4; ++step) {
    Generator gen(100 + step);
    auto x = randn<double>({batch, 5}, gen), y = randn<double>({batch, 3}, gen);
    opt.zero_grad();
    auto out = ddp(rows(x, rank * per, (rank + 1) * per));
    mse_loss(out, rows(y, rank * per, (rank + 1) * per)).backward();
    opt.step();
    ref_opt.zero_grad();
    mse_loss((*ref)(x), y).backward();
    ref_opt.step();
  }
  EXPECT_LE(max_diff(ddp.parameters(), ref->parameters()), 1e-12);
}

TEST(DDP, NoSyncAccumulatesLocally) {
  const int rank = dist::get_rank(), world = dist::get_world_size();
  dist::DistributedDataParallel<double> ddp(make_model(10 + rank));
  auto ref = make_model(10);
  const std::int64_t batch = 24, per = batch / world, half = per / 2;  // equal halves for 2, 3, 4 ranks
  Generator gen(7);
  auto x = randn<double>({batch, 5}, gen), y = randn<double>({batch, 3}, gen);
  const std::int64_t lo = rank * per;
  {
    auto guard = ddp.no_sync();
    (mse_loss(ddp(rows(x, lo, lo + half)), rows(y, lo, lo + half)) * 0.5).backward();
  }
  (mse_loss(ddp(rows(x, lo + half, lo + per)), rows(y, lo + half, lo + per)) * 0.5).backward();
  mse_loss((*ref)(x), y).backward();
  std::vector<Tensor<double>> g, rg;
  for (auto& p : ddp.parameters()) g.push_back(p.grad());
  for (auto& p : ref->parameters()) rg.push_back(p.grad());
  EXPECT_LE(max_diff(g, rg), 1e-12);
}

TEST(DDP, DifferentModelsAreRefused) {
  const int rank = dist::get_rank();
  try {
    dist::DistributedDataParallel<double> ddp(make_model(1, rank == 0 ? 8 : 9));
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rank 0 has parameter '0.weight' float64 (8, 5) but rank 1 has parameter "
                                         "'0.weight' float64 (9, 5)"),
              std::string::npos)
        << e.what();
  }
}

TEST(DDP, UnusedParameterIsNamedAtNextForward) {
  dist::DistributedDataParallel<double> ddp(make_model(1));
  Generator gen(3);
  auto x = randn<double>({4, 5}, gen);
  (void)ddp(x);
  auto w = ddp.parameters()[2];  // a loss of 2.weight alone: the other parameters get no gradient
  mse_loss(w, zeros<double>(w.shape())).backward();
  try {
    (void)ddp(x);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("parameters 0.weight, 0.bias, 2.bias received no gradient"), std::string::npos)
        << e.what();
  }
  (void)ddp(x);  // the error disarmed the reducer: the next forward runs
}

TEST(DDP, ReducerStartsEachBucketWhenItIsReady) {
  const int rank = dist::get_rank(), world = dist::get_world_size();
  // three 4-element float64 parameters, one per bucket: buckets [2], [1], [0] in launch order
  dist::Reducer reducer({{"a", DType::Float64, 4}, {"b", DType::Float64, 4}, {"c", DType::Float64, 4}}, 1e-6);
  ASSERT_EQ(reducer.num_buckets(), 3u);
  std::vector<std::vector<double>> g(3);
  for (int i = 0; i < 3; ++i) g[i].assign(4, rank + 10.0 * i);
  reducer.prepare(true);
  EXPECT_FALSE(reducer.mark_ready(2, g[2].data()));
  EXPECT_EQ(reducer.buckets_started(), 1u);  // bucket 0 is in flight while "backward" goes on
  EXPECT_FALSE(reducer.mark_ready(0, g[0].data()));
  EXPECT_EQ(reducer.buckets_started(), 1u);  // bucket 2 waits for bucket 1: the same order on every rank
  EXPECT_TRUE(reducer.mark_ready(1, g[1].data()));
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(g[i][3], (world - 1) / 2.0 + 10.0 * i);
  EXPECT_FALSE(reducer.armed());
  EXPECT_FALSE(reducer.mark_ready(0, g[0].data()));  // not armed: ignored
}
