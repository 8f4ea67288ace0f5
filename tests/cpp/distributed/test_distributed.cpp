// ember::distributed under mpirun (ctest runs it with `mpirun -n 2`): each collective on Buffers and on
// Tensor<T>, AVG, async Work, the local errors. Every rank runs every test in the same order.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "ember/ember.hpp"
#include "ember/distributed/tensor_collectives.hpp"

namespace dist = ember::distributed;

namespace {

int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

TEST(Distributed, AllReduceBufferOps) {
  const int n = world(), r = rank();
  std::vector<double> x{1.0 + r, 2.0 * (r + 1), -1.0 * r};
  dist::Buffer b{x.data(), ember::DType::Float64, {3}};
  dist::all_reduce(b, dist::ReduceOp::SUM);
  const double s = n * (n - 1) / 2.0;
  EXPECT_DOUBLE_EQ(x[0], n + s);
  EXPECT_DOUBLE_EQ(x[1], 2.0 * (n + s));
  EXPECT_DOUBLE_EQ(x[2], -s);
  std::vector<std::int64_t> i{r - 1, 7};
  dist::all_reduce(dist::Buffer{i.data(), ember::DType::Int64, {2}}, dist::ReduceOp::AVG);
  EXPECT_EQ(i[0], static_cast<std::int64_t>(std::floor((s - n) / n)));  // floor division
  EXPECT_EQ(i[1], 7);
  std::vector<float> m{static_cast<float>(r)};
  dist::all_reduce(dist::Buffer{m.data(), ember::DType::Float32, {1}}, dist::ReduceOp::MAX);
  EXPECT_EQ(m[0], n - 1);
}

TEST(Distributed, TensorCollectives) {
  const int n = world(), r = rank();
  auto t = ember::full<float>({2, 3}, static_cast<float>(r + 1));
  dist::all_reduce(t, dist::ReduceOp::AVG);
  EXPECT_FLOAT_EQ(t.contiguous().data()[5], (n + 1) / 2.0f);
  auto b = ember::full<double>({4}, static_cast<double>(r));
  dist::broadcast(b, n - 1);
  EXPECT_DOUBLE_EQ(b.data()[3], n - 1);
  auto parts = dist::all_gather(ember::full<std::int64_t>({2}, r * 10));
  ASSERT_EQ(static_cast<int>(parts.size()), n);
  for (int k = 0; k < n; ++k) EXPECT_EQ(parts[k].contiguous().data()[1], k * 10);
  auto in = ember::ones<float>({n * 2});
  auto out = ember::empty<float>({2});
  dist::reduce_scatter_tensor(out, in);
  EXPECT_FLOAT_EQ(out.data()[0], static_cast<float>(n));
  auto mine = ember::full<double>({2}, static_cast<double>(r));
  auto all = ember::empty<double>({n, 2});
  dist::gather(mine, r == 0 ? &all : nullptr, 0);
  if (r == 0) {
    for (int k = 0; k < n; ++k) EXPECT_DOUBLE_EQ(all.data()[2 * k + 1], k);
  }
  auto blocks = ember::arange<double>(0, 2 * n);
  auto got = ember::empty<double>({2});
  dist::scatter(got, r == 1 % n ? &blocks : nullptr, 1 % n);
  EXPECT_DOUBLE_EQ(got.data()[1], 2 * r + 1);
}

TEST(Distributed, ThreadLevel) {
  auto& g = dynamic_cast<dist::MpiProcessGroup&>(dist::default_process_group());
  const char* level = std::getenv("EMBER_MPI_THREAD_LEVEL");
  EXPECT_EQ(g.thread_multiple(), level == nullptr) << g.thread_level_name();
}

TEST(Distributed, AsyncWork) {
  std::vector<float> x(1 << 16, 1.0f);
  auto w = dist::all_reduce(dist::Buffer{x.data(), ember::DType::Float32, {1 << 16}}, dist::ReduceOp::SUM, true);
  auto bw = dist::barrier(true);
  w->wait();
  bw->wait();
  EXPECT_TRUE(w->is_completed());
  EXPECT_FLOAT_EQ(x.back(), static_cast<float>(world()));
}

TEST(Distributed, SendRecv) {
  const int n = world(), r = rank();
  std::vector<std::int32_t> msg{r, r * r}, got(2);
  auto sw = dist::send(dist::Buffer{msg.data(), ember::DType::Int32, {2}}, (r + 1) % n, 3, true);
  dist::recv(dist::Buffer{got.data(), ember::DType::Int32, {2}}, (r + n - 1) % n, 3);
  sw->wait();
  EXPECT_EQ(got[0], (r + n - 1) % n);
}

TEST(Distributed, Errors) {
  const int n = world();
  std::vector<float> in(3), out(3 * n + 1);
  EXPECT_THROW(dist::all_gather_into_tensor(dist::Buffer{out.data(), ember::DType::Float32, {3 * n + 1}},
                                            dist::Buffer{in.data(), ember::DType::Float32, {3}}),
               std::invalid_argument);
  EXPECT_THROW(dist::broadcast(dist::Buffer{in.data(), ember::DType::Float32, {3}}, n), std::out_of_range);
  auto nc = ember::ones<float>({2, 3}).transpose(0, 1);
  try {
    dist::all_reduce(nc);
    FAIL() << "a non-contiguous tensor was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[all_reduce]"), std::string::npos) << e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  try {
    dist::get_rank();
    return 2;  // must not be reached: no group yet
  } catch (const dist::DistributedError&) {
  }
  dist::init_process_group("mpi");
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (rank() != 0) delete listeners.Release(listeners.default_result_printer());  // one rank reports
  const int rc = RUN_ALL_TESTS();
  // A failure on any rank fails the run on every rank.
  int all = rc;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  dist::destroy_process_group();
  return all;
}
