// Fixed costs of ember's C++ API: the primitive-cache lookup every cached oneDNN call pays, tensor
// creation and views, and tiny ops (a + b, relu, sum on 4 floats, a 4x4 matmul) where the per-call
// overhead is all there is, with and without autograd recording.
#include <benchmark/benchmark.h>

#include "ember/autograd/engine.hpp"
#include "ember/backend/onednn/cache.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"

using namespace ember;

// A hit in ember's primitive cache: what every cached oneDNN call pays before executing.
static void BM_PrimitiveCacheHit(benchmark::State& state) {
  detail::onednn::PrimitiveCache<int> cache;
  detail::onednn::Key key;
  key.add(1).add(Shape{64, 128, 256}).add(Shape{32768, 256, 1}).add(Shape{64, 128, 256});
  cache.get(key, [] { return 42; });
  for (auto _ : state) benchmark::DoNotOptimize(cache.get(key, [] { return 0; }));
}
BENCHMARK(BM_PrimitiveCacheHit);

// Building the key itself (shapes and strides of a 2-D matmul).
static void BM_PrimitiveCacheKey(benchmark::State& state) {
  const Shape a{512, 512}, st{512, 1};
  for (auto _ : state) {
    detail::onednn::Key key;
    key.add(1).add(4).add(a).add(st).add(a).add(st).add(a);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_PrimitiveCacheKey);

// zeros(n): allocation plus fill, for a tiny and a large tensor.
static void BM_Zeros(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(zeros<float>({n}));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Zeros)->Arg(4)->Arg(1 << 20);

// transpose: a view, no copy.
static void BM_Transpose(benchmark::State& state) {
  auto t = zeros<float>({64, 64});
  for (auto _ : state) benchmark::DoNotOptimize(t.transpose(0, 1));
}
BENCHMARK(BM_Transpose);

// transpose + contiguous: the copy that a transposed view costs when a kernel needs row-major data.
static void BM_TransposeContiguous(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto t = zeros<float>({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(t.transpose(0, 1).contiguous());
  state.SetBytesProcessed(state.iterations() * n * n * static_cast<std::int64_t>(sizeof(float)));
}
BENCHMARK(BM_TransposeContiguous)->Arg(64)->Arg(1024);

// The tiny ops of bench/python/bench_ops.py's per-op overhead rows, one call per iteration (items/s
// = calls per second). range(0) = 1: the operands require grad, so each call also records its node.
template <class Op>
static void tiny_op(benchmark::State& state, const Shape& shape, Op op) {
  const bool record = state.range(0) != 0;
  auto a = randn<float>(shape), b = randn<float>(shape);
  a.requires_grad_(record);
  b.requires_grad_(record);
  benchmark::DoNotOptimize(op(a, b));  // warm-up: creates and caches the oneDNN primitive
  for (auto _ : state) benchmark::DoNotOptimize(op(a, b));
  state.SetItemsProcessed(state.iterations());
}

static void BM_TinyAdd(benchmark::State& state) {
  tiny_op(state, {4}, [](const auto& a, const auto& b) { return a + b; });
}
BENCHMARK(BM_TinyAdd)->ArgName("grad")->Arg(0)->Arg(1);

static void BM_TinyRelu(benchmark::State& state) {
  tiny_op(state, {4}, [](const auto& a, const auto&) { return relu(a); });
}
BENCHMARK(BM_TinyRelu)->ArgName("grad")->Arg(0)->Arg(1);

static void BM_TinySum(benchmark::State& state) {
  tiny_op(state, {4}, [](const auto& a, const auto&) { return sum(a); });
}
BENCHMARK(BM_TinySum)->ArgName("grad")->Arg(0)->Arg(1);

static void BM_TinyMatmul(benchmark::State& state) {
  tiny_op(state, {4, 4}, [](const auto& a, const auto& b) { return matmul(a, b); });
}
BENCHMARK(BM_TinyMatmul)->ArgName("grad")->Arg(0)->Arg(1);

// Forward and backward of a tiny graph (sum(a * b) on 4 floats): the autograd engine's fixed cost.
static void BM_TinyBackward(benchmark::State& state) {
  auto a = randn<float>({4}).requires_grad_(), b = randn<float>({4}).requires_grad_();
  for (auto _ : state) {
    sum(a * b).backward();
    a.set_grad(Tensor<float>());
    b.set_grad(Tensor<float>());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TinyBackward);
