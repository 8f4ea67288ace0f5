// The low-precision hardware ceiling: plain oneDNN matmul primitives (no ember tensor in between) in
// float32, bfloat16 (bf16 x bf16 -> f32) and int8 (s8 x s8 -> s32). Issue 25's bf16/int8 speed rows are
// judged against these; the label names the ISA oneDNN dispatched to (ONEDNN_MAX_CPU_ISA caps it).
// Also the int8 inference convolution of the deploy program (backend/onednn/quantized.hpp) against the
// float32 one (inference.hpp) on the Fashion-MNIST CNN's largest conv, 32->64 3x3 pad 1 on 14x14, batch 256,
// bias and ReLU fused, f32 NCHW in and out (the quantizing reorder and the output reorder included).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "ember/backend/onednn/cpu_info.hpp"
#include "ember/backend/onednn/inference.hpp"
#include "ember/backend/onednn/quantized.hpp"

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

ember::detail::ConvGeometry fashion_conv2(std::int64_t batch) {
  ember::detail::ConvGeometry p{};
  p.n = batch, p.c = 32, p.h = 14, p.w = 14, p.o = 64, p.g = 1, p.kh = 3, p.kw = 3, p.oh = 14, p.ow = 14;
  p.stride = {1, 1};
  p.padding = {1, 1};
  p.dilation = {1, 1};
  return p;
}

// kind: 0 float32 conv2d_inference, 1 quantized_conv2d_inference (int8 where the CPU has int8 dot
// products), 2 its float32 path (what CPUs without them run); pool: with the CNN's 2x2 max pooling fused
// (conv2d_pool_inference, quantized_conv2d_pool_inference), as the deploy program runs that block.
void conv_inference(benchmark::State& state, int kind, bool pool = false) {
  namespace dn = ember::detail::onednn;
  const auto p = fashion_conv2(state.range(0));
  std::mt19937 gen(0);
  std::uniform_real_distribution<float> u(0.0f, 2.0f);
  std::vector<float> x(p.n * p.c * p.h * p.w), wf(p.o * p.c * p.kh * p.kw), b(p.o);
  std::vector<float> w_scale(p.o, 0.01f);
  std::vector<float> y(p.n * p.o * p.oh * p.ow);
  for (auto& v : x) v = u(gen);
  for (auto& v : wf) v = u(gen) - 1.0f;
  for (auto& v : b) v = u(gen) - 1.0f;
  std::vector<std::int8_t> wq(wf.size());
  for (std::size_t i = 0; i < wf.size(); ++i) wq[i] = static_cast<std::int8_t>(wf[i] * 127);
  dn::PostOp relu;
  relu.alg = dnnl::algorithm::eltwise_relu;
  dn::PackedWeights packed(wf.data());
  dn::PackedInt8Weights packed_q(wq.data());
  const float x_scale = 2.0f / 255;
  ember::detail::PoolGeometry q{};
  q.planes = p.n * p.o, q.h = p.oh, q.w = p.ow, q.oh = p.oh / 2, q.ow = p.ow / 2;
  q.kernel = q.stride = {2, 2};
  q.padding = {0, 0};
  q.dilation = {1, 1};
  auto run = [&] {
    if (pool && kind == 0)
      dn::conv2d_pool_inference(x.data(), packed, b.data(), y.data(), p, relu, q);
    else if (pool)
      dn::quantized_conv2d_pool_inference(x.data(), packed_q, w_scale.data(), b.data(), y.data(), p, x_scale, true,
                                          relu, q, kind == 1 && dn::int8_dot_native());
    else if (kind == 1)
      dn::quantized_conv2d_inference(x.data(), packed_q, w_scale.data(), b.data(), y.data(), p, x_scale, true, relu);
    else if (kind == 2)
      dn::quantized_conv2d_f32(x.data(), packed_q, w_scale.data(), b.data(), y.data(), p, x_scale, true, relu);
    else
      dn::conv2d_inference(x.data(), packed, b.data(), y.data(), p, relu);
  };
  run();  // warm-up, untimed: primitive creation, weight packing, JIT
  for (auto _ : state) run();
  const double ops = 2.0 * p.n * p.o * p.oh * p.ow * p.c * p.kh * p.kw * static_cast<double>(state.iterations());
  const char* unit = kind == 1 && dn::int8_dot_native() ? "GOP/s" : "GFLOP/s";
  state.counters[unit] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(ember::cpu_info().isa);
}

void BM_LowpConvInferenceF32(benchmark::State& state) { conv_inference(state, 0); }
void BM_LowpConvInferenceInt8(benchmark::State& state) { conv_inference(state, 1); }
void BM_LowpConvInferenceInt8F32Path(benchmark::State& state) { conv_inference(state, 2); }
void BM_LowpConvPoolInferenceF32(benchmark::State& state) { conv_inference(state, 0, true); }
void BM_LowpConvPoolInferenceInt8(benchmark::State& state) { conv_inference(state, 1, true); }

}  // namespace

BENCHMARK(BM_LowpConvInferenceF32)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpConvInferenceInt8)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpConvInferenceInt8F32Path)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpConvPoolInferenceF32)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpConvPoolInferenceInt8)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpMatmulF32)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpMatmulBF16)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LowpMatmulInt8)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
