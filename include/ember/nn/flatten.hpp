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
  Tensor<T> forward(const Tensor<T>& x) override {
    const std::int64_t n = x.dim() == 0 ? 1 : x.dim();
    EMBER_CHECK(start_dim >= -n && start_dim < n && end_dim >= -n && end_dim < n, "Flatten", "expected an input with ",
                "dims ", start_dim, " and ", end_dim, ", got shape ", x.shape());
    return x.flatten(start_dim, end_dim);
  }
  std::string extra_repr() const override {
    return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
  }
  std::int64_t start_dim, end_dim;
};

}  // namespace ember::nn
