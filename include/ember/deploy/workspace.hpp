#pragma once
// Per-thread output buffers of a deployed model's fused primitives, kept from one forward call to
// the next so that a steady stream of same-shaped inputs allocates no intermediate tensors.
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "ember/core/tensor.hpp"

namespace ember::deploy::detail {

/// The buffers of one model on one thread, by value slot.
class Workspace {
 public:
  /// A float32 tensor of the given shape for value slot `slot`: last call's buffer when it has this
  /// shape and nothing outside the workspace still holds it, else a new one.
  Tensor<float> buffer(std::size_t slot, const Shape& shape) {
    if (slot >= buffers_.size()) buffers_.resize(slot + 1);
    Tensor<float>& b = buffers_[slot];
    if (!b.defined() || b.shape() != shape || !b.is_unique()) b = Tensor<float>::empty(shape);
    return b;
  }

  /// True when t's memory is one of this workspace's buffers (a later call would overwrite it).
  bool holds(const AnyTensor& t) const {
    const Storage* s = t.visit_any([](const auto& x) { return x.defined() ? x.storage().get() : nullptr; });
    for (const auto& b : buffers_)
      if (b.defined() && b.storage().get() == s) return true;
    return false;
  }

 private:
  std::vector<Tensor<float>> buffers_;
};

/// This thread's workspace for the model with id `model`; the few most recently used models keep
/// theirs (a thread serving more models at once reallocates, which is correct, only slower).
inline Workspace& workspace_for(std::uint64_t model) {
  constexpr std::size_t kModelsPerThread = 8;
  thread_local std::vector<std::pair<std::uint64_t, std::unique_ptr<Workspace>>> spaces;
  for (std::size_t i = 0; i < spaces.size(); ++i)
    if (spaces[i].first == model) {
      if (i) std::swap(spaces[i], spaces[0]);
      return *spaces[0].second;
    }
  if (spaces.size() == kModelsPerThread) spaces.pop_back();
  spaces.insert(spaces.begin(), {model, std::make_unique<Workspace>()});
  return *spaces[0].second;
}

}  // namespace ember::deploy::detail
