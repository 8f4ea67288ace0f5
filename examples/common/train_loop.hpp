#pragma once
// The training loop, evaluation and checkpoint writing shared by examples/train_digits and
// examples/train_fashion (their CMakeLists add this folder to the include path).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <ember/ember.hpp>

namespace example {

// Trains `model` for `epochs` passes over `loader` (batches of (images, labels)) with cross-entropy, calling
// before_step(step) ahead of each optimizer step (to set a schedule's learning rate), and prints the mean
// training loss and the elapsed time after each epoch.
template <class Optimizer, class Loader, class BeforeStep>
void fit(ember::nn::Sequential<float>& model, Optimizer& opt, Loader& loader, int epochs, BeforeStep&& before_step) {
  const auto start = std::chrono::steady_clock::now();
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double loss_sum = 0;
    std::int64_t seen = 0;
    for (auto [x, y] : loader) {
      before_step(step++);
      opt.zero_grad();
      ember::Tensor<float> loss = ember::nn::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      loss_sum += static_cast<double>(loss.item()) * static_cast<double>(y.size(0));
      seen += y.size(0);
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %2d/%d  train loss %.4f  (%.1f s)\n", epoch, epochs, loss_sum / static_cast<double>(seen),
                elapsed);
    std::fflush(stdout);
  }
}

template <class Optimizer, class Loader>
void fit(ember::nn::Sequential<float>& model, Optimizer& opt, Loader& loader, int epochs) {
  fit(model, opt, loader, epochs, [](std::int64_t) {});
}

// How many of the images x the model (in eval mode, no autograd) classifies as y, `batch` images at a time.
inline std::int64_t count_correct(ember::nn::Sequential<float>& model, const ember::Tensor<float>& x,
                                  const ember::Tensor<std::int64_t>& y, std::int64_t batch = 1000) {
  model.eval();
  ember::NoGradGuard no_grad;
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < x.size(0); i += batch) {
    const std::int64_t n = std::min(batch, x.size(0) - i);
    const ember::Tensor<std::int64_t> pred = model(x.narrow(0, i, n)).argmax(1);
    correct += static_cast<std::int64_t>(pred.eq(y.narrow(0, i, n)).sum().item());
  }
  return correct;
}

// Saves the model's weights and batch-norm statistics under the state dict names of the Python model (an
// nn.Sequential: "0.weight", "1.running_mean", ...), when `path` is not empty.
inline void save_checkpoint(const ember::nn::Sequential<float>& model, const std::string& path) {
  if (path.empty()) return;
  const ember::nn::StateDict state = model.state_dict();
  ember::io::save_safetensors(path, std::vector<std::pair<std::string, ember::AnyTensor>>(state.begin(), state.end()));
  std::printf("saved %zu tensors to %s\n", state.size(), path.c_str());
}

}  // namespace example
