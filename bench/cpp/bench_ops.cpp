// C++ micro-benchmarks of ember's fixed costs and its matmul: the primitive-cache lookup, tensor
// creation, views, and matmul at a few sizes beside oneDNN's own sgemm.
//   cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_BENCH=ON
//   ninja -C build/bench bench_ops && ./build/bench/bench/cpp/bench_ops
#include <benchmark/benchmark.h>

#include "ember/ember.hpp"

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

// ember::matmul on float32 (n, n) @ (n, n); counters give GFLOP/s.
static void BM_Matmul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<float>({n, n}), b = randn<float>({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Matmul)->Arg(4)->Arg(64)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMicrosecond)->UseRealTime();

// ember::matmul with a transposed operand (passed to oneDNN as strides, no copy).
static void BM_MatmulTransposed(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<float>({n, n}), b = randn<float>({n, n}).mT();
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MatmulTransposed)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();

// oneDNN's dnnl_sgemm on the same operands: the peak ember's matmul is compared with.
static void BM_Sgemm(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<float>({n, n}), b = randn<float>({n, n});
  for (auto _ : state) {
    auto c = Tensor<float>::empty({n, n});
    detail::onednn::sgemm(a.data(), b.data(), c.data(), n, n, n);
    benchmark::DoNotOptimize(c);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sgemm)->Arg(4)->Arg(64)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMicrosecond)->UseRealTime();

// float64 matmul (Eigen).
static void BM_MatmulF64(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<double>({n, n}), b = randn<double>({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MatmulF64)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();
