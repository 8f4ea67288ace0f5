// One training step (forward, cross-entropy, zero_grad, backward, optimizer step) at batch 64, as
// bench/python/bench_train.py times it from Python: the digits MLP (Flatten, Linear(64, 256), ReLU,
// Linear(256, 10)) with Adam or SGD, and the demo CNN (examples/demo.py) with Adam. Inputs are
// random 8x8 images and labels (the step's cost does not depend on the values); items/s = samples/s.
#include <benchmark/benchmark.h>

#include "ember/autograd/engine.hpp"
#include "ember/nn/activation.hpp"
#include "ember/nn/conv.hpp"
#include "ember/nn/flatten.hpp"
#include "ember/nn/linear.hpp"
#include "ember/nn/loss.hpp"
#include "ember/nn/normalization.hpp"
#include "ember/nn/pooling.hpp"
#include "ember/nn/sequential.hpp"
#include "ember/optim/adam.hpp"
#include "ember/optim/sgd.hpp"

using namespace ember;

static constexpr std::int64_t kBatch = 64;

// The MLP of bench_train.py.
static nn::Sequential<float> mlp(Generator& gen) {
  nn::Sequential<float> m;
  m.push_back(nn::Flatten<float>());
  m.push_back(nn::Linear<float>(64, 256, true, gen));
  m.push_back(nn::ReLU<float>());
  m.push_back(nn::Linear<float>(256, 10, true, gen));
  return m;
}

// The demo CNN (examples/train_digits builds the same layers).
static nn::Sequential<float> cnn(Generator& gen) {
  nn::Sequential<float> m;
  m.push_back(nn::Conv2d<float>(1, 16, 3, {.padding = {1, 1}}, gen));
  m.push_back(nn::BatchNorm2d<float>(16));
  m.push_back(nn::ReLU<float>());
  m.push_back(nn::Conv2d<float>(16, 32, 3, {.padding = {1, 1}}, gen));
  m.push_back(nn::BatchNorm2d<float>(32));
  m.push_back(nn::ReLU<float>());
  m.push_back(nn::MaxPool2d<float>(2));
  m.push_back(nn::Flatten<float>());
  m.push_back(nn::Linear<float>(32 * 4 * 4, 64, true, gen));
  m.push_back(nn::ReLU<float>());
  m.push_back(nn::Linear<float>(64, 10, true, gen));
  return m;
}

// Times steps of `model` trained by `opt` on one random batch of digits-shaped images.
template <class Optimizer>
static void train_step(benchmark::State& state, nn::Sequential<float>& model, Optimizer& opt, Generator& gen) {
  const auto x = randn<float>({kBatch, 1, 8, 8}, gen);
  const auto y = randint<std::int64_t>(0, 10, {kBatch}, gen);
  model.train();
  const auto step = [&] {
    Tensor<float> loss = nn::cross_entropy(model(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss);
  };
  step();  // warm-up, untimed: primitives, the optimizer's state
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * kBatch);
}

static void BM_TrainStepMlpAdam(benchmark::State& state) {
  Generator gen(0);
  auto model = mlp(gen);
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
  train_step(state, model, opt, gen);
}
BENCHMARK(BM_TrainStepMlpAdam)->Unit(benchmark::kMicrosecond);

static void BM_TrainStepMlpSgd(benchmark::State& state) {
  Generator gen(0);
  auto model = mlp(gen);
  optim::SGD<float> opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  train_step(state, model, opt, gen);
}
BENCHMARK(BM_TrainStepMlpSgd)->Unit(benchmark::kMicrosecond);

static void BM_TrainStepCnnAdam(benchmark::State& state) {
  Generator gen(0);
  auto model = cnn(gen);
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
  train_step(state, model, opt, gen);
}
BENCHMARK(BM_TrainStepCnnAdam)->Unit(benchmark::kMicrosecond);
