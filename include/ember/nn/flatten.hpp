#pragma once
// Flatten<T>: merges dims start_dim..end_dim into one (by default all but the batch dim).
#include <cstdint>
#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/view.hpp"

namespace ember::nn {

/// x (N, *) -> (N, prod(*)) by default, as torch.nn.Flatten.
template <FloatElement T = float>
class Flatten : public Module<T> {
 public:
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module<T>("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return flatten(x, start_dim, end_dim); }
  std::string extra_repr() const override {
    return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
  }
  std::int64_t start_dim, end_dim;
};

}  // namespace ember::nn
