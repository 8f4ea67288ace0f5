// Memory bandwidth of ember's large elementwise ops and reductions on 16M float32 elements (64 MiB per
// array, far beyond the caches), beside a STREAM-style triad written as a plain OpenMP loop: the
// reference for what this machine's memory sustains (bench/python/bench_bandwidth.py's workloads).
// Bytes per second count the arrays each op reads and writes once (STREAM's count: no write-allocate
// traffic); ember's ops allocate their output on every call, as users write them.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/reduce.hpp"

using namespace ember;

static constexpr std::int64_t kElements = std::int64_t{1} << 24;

// Sets the bytes-per-second counter for `arrays` arrays of kElements floats moved per iteration.
static void set_bytes(benchmark::State& state, int arrays) {
  state.SetBytesProcessed(state.iterations() * arrays * kElements * static_cast<std::int64_t>(sizeof(float)));
}

// a + b out of place: reads two arrays, writes one.
static void BM_Add(benchmark::State& state) {
  auto a = randn<float>({kElements}), b = randn<float>({kElements});
  benchmark::DoNotOptimize(a + b);  // warm-up, untimed
  for (auto _ : state) benchmark::DoNotOptimize(a + b);
  set_bytes(state, 3);
}
BENCHMARK(BM_Add)->Unit(benchmark::kMillisecond)->UseRealTime();

// relu(a) out of place: reads one array, writes one.
static void BM_Relu(benchmark::State& state) {
  auto a = randn<float>({kElements});
  benchmark::DoNotOptimize(relu(a));  // warm-up, untimed
  for (auto _ : state) benchmark::DoNotOptimize(relu(a));
  set_bytes(state, 2);
}
BENCHMARK(BM_Relu)->Unit(benchmark::kMillisecond)->UseRealTime();

// sum(a) to a scalar: reads one array.
static void BM_Sum(benchmark::State& state) {
  auto a = randn<float>({kElements});
  benchmark::DoNotOptimize(sum(a));  // warm-up, untimed
  for (auto _ : state) benchmark::DoNotOptimize(sum(a));
  set_bytes(state, 1);
}
BENCHMARK(BM_Sum)->Unit(benchmark::kMillisecond)->UseRealTime();

// The STREAM triad c = a + s * b into a preallocated c, with OpenMP's threads (OMP_NUM_THREADS, the
// same pool oneDNN uses): reads two arrays, writes one.
static void BM_TriadReference(benchmark::State& state) {
  std::vector<float> a(kElements), b(kElements), c(kElements);
  const float s = 3.0f;
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < kElements; ++i) a[i] = 1.0f, b[i] = 2.0f, c[i] = 0.0f;  // first touch per thread
  for (auto _ : state) {
    float* cp = c.data();
    const float *ap = a.data(), *bp = b.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < kElements; ++i) cp[i] = ap[i] + s * bp[i];
    benchmark::ClobberMemory();
  }
  set_bytes(state, 3);
}
BENCHMARK(BM_TriadReference)->Unit(benchmark::kMillisecond)->UseRealTime();
