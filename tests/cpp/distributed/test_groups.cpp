// new_group (collectives over a subset of the ranks, ranks named in the default group's numbering) and recv
// from any source (kAnySource, the sender from Work::source_rank()), under mpirun with 2 or more ranks.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "ember/ember.hpp"
#include "ember/distributed/ddp.hpp"
#include "ember/distributed/tensor_collectives.hpp"

namespace dist = ember::distributed;
using namespace ember;

TEST(Groups, CollectivesInASubgroup) {
  const int n = dist::get_world_size(), r = dist::get_rank(), last = n - 1;
  auto g = dist::new_group({last, 0});  // sorted: group rank 0 is rank 0, group rank 1 is rank n-1
  const bool member = r == 0 || r == last;
  ASSERT_EQ(g != nullptr, member);
  if (member) {
    EXPECT_EQ(dist::get_world_size(g), 2);
    EXPECT_EQ(dist::get_rank(g), r == 0 ? 0 : 1);
    EXPECT_EQ(dist::get_global_rank(g, 1), last);
    EXPECT_EQ(dist::get_group_rank(g, last), 1);
    auto t = ember::full<double>({3}, r + 1.0);
    dist::all_reduce(t, dist::ReduceOp::SUM, false, g);
    EXPECT_DOUBLE_EQ(t.data()[2], 1.0 + n);
    auto b = ember::full<double>({2}, static_cast<double>(r));
    dist::broadcast(b, last, false, g);  // a default-group rank
    EXPECT_DOUBLE_EQ(b.data()[1], last);
    auto parts = dist::all_gather(ember::full<double>({1}, static_cast<double>(r)), g);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_DOUBLE_EQ(parts[1].data()[0], last);
    if (n > 2) {
      try {
        dist::broadcast(b, 1, false, g);
        FAIL() << "rank 1 is not a member";
      } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("source rank 1 is not in the group (its ranks: 0, " + std::to_string(last)),
                  std::string::npos)
            << e.what();
      }
    }
  }
  // the default group goes on, beside the subgroup
  auto all = ember::full<double>({1}, 1.0);
  dist::all_reduce(all);
  EXPECT_DOUBLE_EQ(all.data()[0], n);
  try {
    dist::new_group({0, 0});
    FAIL() << "a duplicate rank was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rank 0 is listed twice"), std::string::npos) << e.what();
  }
}

TEST(Groups, RecvFromAnySource) {
  const int n = dist::get_world_size(), r = dist::get_rank();
  for (bool async_op : {false, true}) {
    if (r == 0) {
      std::set<int> senders;
      for (int k = 1; k < n; ++k) {
        auto t = ember::zeros<std::int64_t>({2});
        auto w = dist::recv(t, dist::kAnySource, 5, async_op);
        w->wait();
        EXPECT_EQ(t.data()[0], w->source_rank());
        EXPECT_EQ(t.data()[1], 10 * w->source_rank());
        senders.insert(w->source_rank());
      }
      EXPECT_EQ(static_cast<int>(senders.size()), n - 1);
      EXPECT_EQ(*senders.begin(), 1);
    } else {
      auto t = ember::zeros<std::int64_t>({2});
      t.data()[0] = r;
      t.data()[1] = 10 * r;
      dist::send(t, 0, 5);
    }
    dist::barrier();
  }
}

TEST(Groups, DDPInAProcessGroup) {
  const int n = dist::get_world_size(), r = dist::get_rank(), last = n - 1;
  auto g = dist::new_group({0, last});
  if (!g) return;
  auto model = [](std::uint64_t seed) {
    Generator gen(seed);
    return std::make_shared<nn::Sequential<double>>(nn::Linear<double>(5, 6, true, gen), nn::Tanh<double>(),
                                                    nn::Linear<double>(6, 3, true, gen));
  };
  dist::DistributedDataParallel<double> ddp(model(20 + r), {.bucket_cap_mb = 0.0001, .process_group = g});
  auto ref = model(20);  // rank 0 is the group's first rank
  optim::SGD<double> opt(ddp.parameters(), {.lr = 0.1}), ref_opt(ref->parameters(), {.lr = 0.1});
  const int k = dist::get_rank(g), size = dist::get_world_size(g);
  const std::int64_t per = 4;
  for (int step = 0; step < 3; ++step) {
    Generator gen(200 + step);
    auto x = randn<double>({per * size, 5}, gen), y = randn<double>({per * size, 3}, gen);
    opt.zero_grad();
    mse_loss(ddp(x.slice(0, k * per, (k + 1) * per).contiguous()), y.slice(0, k * per, (k + 1) * per).contiguous())
        .backward();
    opt.step();
    ref_opt.zero_grad();
    mse_loss((*ref)(x), y).backward();
    ref_opt.step();
  }
  auto a = ddp.parameters(), b = ref->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto u = a[i].to_vector(), v = b[i].to_vector();
    for (std::size_t j = 0; j < u.size(); ++j) EXPECT_NEAR(u[j], v[j], 1e-12);
  }
}
