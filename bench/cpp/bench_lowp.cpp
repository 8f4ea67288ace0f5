// The low-precision hardware ceiling: plain oneDNN matmul primitives (no ember tensor in between) in
// float32, bfloat16 (bf16 x bf16 -> f32) and int8 (s8 x s8 -> s32). Issue 25's bf16/int8 speed rows are
// judged against these; the label names the ISA oneDNN dispatched to (ONEDNN_MAX_CPU_ISA caps it).
#include <benchmark/benchmark.h>

#include "ember/backend/onednn/cpu_info.hpp"

namespace {

void lowp_matmul(benchmark::State& state, const char* dtype) {
  const std::int64_t n = state.range(0);
  std::optional<ember::detail::onednn::MatmulProbe> probe;
  try {
    probe.emplace(dtype, n);
  } catch (const dnnl::error&) {
    state.SkipWithError("oneDNN has no kernel for this dtype on this ISA");
    return;
  }
  probe->run();  // warm-up, untimed: first touch, JIT
  for (auto _ : state) probe->run();
  const double ops = 2.0 * n * n * n * static_cast<double>(state.iterations());
  state.counters[std::string(dtype) == "int8" ? "GOP/s" : "GFLOP/s"] =
      benchmark::Counter(ops / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(ember::cpu_info().isa);
}

void BM_LowpMatmulF32(benchmark::State& state) { lowp_matmul(state, "float32"); }
void BM_LowpMatmulBF16(benchmark::State& state) { lowp_matmul(state, "bfloat16"); }
void BM_LowpMatmulInt8(benchmark::State& state) { lowp_matmul(state, "int8"); }

}  // namespace

BENCHMARK(BM_LowpMatmulF32)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpMatmulBF16)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpMatmulInt8)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
