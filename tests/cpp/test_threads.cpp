// The README's thread-safety guarantees, one test each: separate tensors and autograd graphs on
// separate threads (sharing read-only inputs, the primitive caches and grad mode), and the default
// generator. (A loaded deploy::Model from several threads: Deploy.ConcurrentForwardMatchesSequential.)
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "ember/ember.hpp"

using namespace ember;

namespace {

/// One training-like step on its own graph: forward through shared, read-only x, backward into w.
std::vector<float> step(const Tensor<float>& x, std::uint64_t seed) {
  Generator gen(seed);
  auto w = randn<float>({16, 8}, gen).requires_grad_();
  auto y = matmul(x, w).relu();
  auto loss = (y * y).mean() + ember::sum(w.tanh());
  loss.backward();
  auto out = w.grad().to_vector();
  out.push_back(loss.item());
  return out;
}

}  // namespace

TEST(Threads, SeparateGraphsOnSeparateThreadsMatchSequentialRuns) {
  const auto x = randn<float>({64, 16});  // read by every thread at once
  constexpr int kThreads = 6;
  std::vector<std::vector<float>> expect(kThreads), got(kThreads);
  for (int i = 0; i < kThreads; ++i) expect[i] = step(x, 100 + i);
  for (int round = 0; round < 5; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        if (i % 2) {  // grad mode is per thread: this thread's no_grad must not leak into the others
          NoGradGuard no_grad;
          (void)matmul(x, x.mT()).sum();
        }
        got[i] = step(x, 100 + i);
      });
    for (auto& t : threads) t.join();
    for (int i = 0; i < kThreads; ++i) EXPECT_EQ(got[i], expect[i]) << "thread " << i << ", round " << round;
  }
  EXPECT_TRUE(is_grad_enabled());
}

TEST(Threads, DefaultGeneratorDrawsFromSeveralThreads) {
  manual_seed(7);
  std::vector<Tensor<float>> draws(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { draws[i] = randn<float>({10000}); });
  for (auto& t : threads) t.join();
  // Every draw is a whole, distinct block of the one stream: no two threads got the same numbers.
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) EXPECT_NE(draws[i].to_vector(), draws[j].to_vector());
}
