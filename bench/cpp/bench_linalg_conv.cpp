// The compute-bound kernels: float32 matmul beside oneDNN's own sgemm on the same operands (the
// peak ember's matmul is held to), and conv2d forward and forward + backward at the digits CNN's
// sizes and a CIFAR-sized layer (bench/python/bench_conv.py's shapes). Counters give GFLOP/s.
#include <benchmark/benchmark.h>

#include "ember/autograd/engine.hpp"
#include "ember/ops/conv.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"

using namespace ember;

// A GFLOP/s counter for `flops` floating-point operations per iteration.
static benchmark::Counter gflops(const benchmark::State& state, double flops) {
  return benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// ember::matmul on float32 (n, n) @ (n, n).
static void BM_Matmul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<float>({n, n}), b = randn<float>({n, n});
  benchmark::DoNotOptimize(matmul(a, b));  // warm-up, untimed: primitive creation, first touch
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOP/s"] = gflops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_Matmul)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMicrosecond)->UseRealTime();

// ember::matmul with a transposed operand (passed to oneDNN as strides, no copy).
static void BM_MatmulTransposed(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<float>({n, n}), b = randn<float>({n, n}).mT();
  benchmark::DoNotOptimize(matmul(a, b));  // warm-up, untimed: primitive creation, first touch
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOP/s"] = gflops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_MatmulTransposed)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();

// oneDNN's dnnl_sgemm on the same operands, into a new output each call as matmul does.
static void BM_Sgemm(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<float>({n, n}), b = randn<float>({n, n}), warm_up = Tensor<float>::empty({n, n});
  detail::onednn::sgemm(a.data(), b.data(), warm_up.data(), n, n, n);
  for (auto _ : state) {
    auto c = Tensor<float>::empty({n, n});
    detail::onednn::sgemm(a.data(), b.data(), c.data(), n, n, n);
    benchmark::DoNotOptimize(c);
  }
  state.counters["GFLOP/s"] = gflops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_Sgemm)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMicrosecond)->UseRealTime();

// float64 matmul (Eigen).
static void BM_MatmulF64(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  auto a = randn<double>({n, n}), b = randn<double>({n, n});
  benchmark::DoNotOptimize(matmul(a, b));  // warm-up, untimed: first touch
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOP/s"] = gflops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_MatmulF64)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

// A 3x3 convolution with padding 1 of x (N, C, HW, HW) to O channels: args {N, C, HW, O}.
struct ConvProblem {
  std::int64_t n, c, hw, o;
  Tensor<float> x, w, b;
  explicit ConvProblem(const benchmark::State& state)
      : n(state.range(0)), c(state.range(1)), hw(state.range(2)), o(state.range(3)),
        x(randn<float>({n, c, hw, hw})), w(randn<float>({o, c, 3, 3})), b(randn<float>({o})) {}
  /// Floating-point operations of the forward: N O HW^2 C 9 multiply-adds, 2 each.
  double forward_flops() const { return 2.0 * n * o * hw * hw * c * 9; }
};

// The digits CNN's two convolutions at batch 64, and a CIFAR-sized layer.
static void conv_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "C", "HW", "O"})->Unit(benchmark::kMicrosecond)->UseRealTime();
  b->Args({64, 1, 8, 16})->Args({64, 16, 8, 32})->Args({32, 64, 32, 64});
}

// conv2d forward (inputs do not require grad: no autograd recording).
static void BM_Conv2dForward(benchmark::State& state) {
  const ConvProblem p(state);
  benchmark::DoNotOptimize(conv2d(p.x, p.w, p.b, {.padding = {1, 1}}));  // warm-up, untimed
  for (auto _ : state) benchmark::DoNotOptimize(conv2d(p.x, p.w, p.b, {.padding = {1, 1}}));
  state.counters["GFLOP/s"] = gflops(state, p.forward_flops());
}
BENCHMARK(BM_Conv2dForward)->Apply(conv_shapes);

// conv2d(x, w, b).sum().backward() with x, w and b requiring grad, gradients cleared after each step
// (as bench_conv.py does); GFLOP/s counts the forward's work three times (forward, dx, dw).
static void BM_Conv2dForwardBackward(benchmark::State& state) {
  const ConvProblem p(state);
  for (const auto& t : {p.x, p.w, p.b}) t.requires_grad_();
  const auto step = [&p] {
    conv2d(p.x, p.w, p.b, {.padding = {1, 1}}).sum().backward();
    benchmark::DoNotOptimize(p.w.grad());
    for (const auto& t : {p.x, p.w, p.b}) t.set_grad(Tensor<float>());
  };
  step();  // warm-up, untimed
  for (auto _ : state) step();
  state.counters["GFLOP/s"] = gflops(state, 3 * p.forward_flops());
}
BENCHMARK(BM_Conv2dForwardBackward)->Apply(conv_shapes);
