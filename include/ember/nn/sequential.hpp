#pragma once
// Sequential<T>: modules applied one after another, registered as "0", "1", ... (as torch.nn.Sequential,
// so the state dict names match a PyTorch or ember Python model built the same way).
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/nn/module.hpp"

namespace ember::nn {

/// A chain of modules with forward(Tensor<T>): `Sequential<float> net(Linear<float>(4, 8), ReLU<float>());`.
template <FloatElement T = float>
class Sequential : public Module<T> {
 public:
  Sequential() : Module<T>("Sequential") {}
  /// Takes the modules (by value or as shared_ptr) in order.
  template <class... Ms>
    requires(sizeof...(Ms) > 0 && !(sizeof...(Ms) == 1 && (std::is_same_v<std::decay_t<Ms>, Sequential> && ...)))
  explicit Sequential(Ms&&... modules) : Sequential() {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  /// Appends a module (shared with the caller) under the next index.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    static_assert(std::is_base_of_v<Module<T>, M>, "Sequential<T> holds Module<T> layers of the same element type");
    this->register_module(std::to_string(modules_.size()), module);
    modules_.push_back(module);
    return module;
  }
  /// Appends a module (moved or copied into the sequence) under the next index; returns it.
  template <class M>
    requires std::is_base_of_v<Module<T>, std::decay_t<M>>
  std::decay_t<M>& push_back(M&& module) {
    return *push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }

  /// Each module's forward, in order.
  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> y = x;
    for (const auto& m : modules_) y = m->forward(y);
    return y;
  }

  /// Number of modules.
  std::size_t size() const { return modules_.size(); }
  /// Module i.
  Module<T>& operator[](std::size_t i) const {
    EMBER_CHECK_INDEX(i < modules_.size(), "Sequential", "index ", i, " is out of range for ", modules_.size(),
                      " modules");
    return *modules_[i];
  }
  /// Module i as layer type M (TypeError when it is another type).
  template <class M>
  M& at(std::size_t i) const {
    auto* p = dynamic_cast<M*>(&(*this)[i]);
    EMBER_CHECK_TYPE(p != nullptr, "Sequential", "module ", i, " is a ", (*this)[i].type_name(),
                     ", not the type asked for");
    return *p;
  }

 private:
  std::vector<std::shared_ptr<Module<T>>> modules_;
};

}  // namespace ember::nn
