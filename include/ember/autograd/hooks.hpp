#pragma once
// Gradient hooks, as PyTorch's Tensor.register_hook and register_post_accumulate_grad_hook: the
// engine (engine.hpp) runs a tensor's hooks on the gradient w.r.t. it before that gradient goes on
// (into .grad for a leaf, into the backward rule of the op that made a non-leaf), and a leaf's
// post-accumulate hooks after its .grad was accumulated (where DistributedDataParallel starts its
// all-reduce). Hooks live as long as the tensor's autograd state (a non-leaf's: its grad_fn node).
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "ember/autograd/engine.hpp"
#include "ember/autograd/node.hpp"

namespace ember {

/// Removes one hook; removing twice, or after the tensor is gone, does nothing.
class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(std::function<void()> remove) : remove_(std::move(remove)) {}
  void remove() {
    if (remove_) std::exchange(remove_, nullptr)();
  }

 private:
  std::function<void()> remove_;
};

namespace autograd::detail {

template <class F>
HookHandle add_hook(std::shared_ptr<HookList<F>>& list, F fn) {
  static std::uint64_t next_id = 0;  // under the GIL in Python; C++ callers register from one thread
  if (!list) list = std::make_shared<HookList<F>>();
  const std::uint64_t id = ++next_id;
  list->hooks.emplace_back(id, std::move(fn));
  return HookHandle([weak = std::weak_ptr<HookList<F>>(list), id] {
    if (auto l = weak.lock())
      std::erase_if(l->hooks, [id](const auto& h) { return h.first == id; });
  });
}

}  // namespace autograd::detail

/// register_hook for an AnyTensor and a hook on AnyTensors (the Python binding's form).
inline HookHandle register_hook_any(const AnyTensor& t, autograd::GradHook fn) {
  return t.visit_any([&](const auto& x) -> HookHandle {
    EMBER_CHECK_AUTOGRAD(x.requires_grad(), "register_hook", "cannot register a hook on a tensor (shape ", x.shape(),
                         ") that does not require grad");
    const auto& m = x.autograd_meta();
    if (m->grad_fn) return autograd::detail::add_hook(m->grad_fn->grad_hooks, std::move(fn));
    return autograd::detail::add_hook(m->grad_hooks, std::move(fn));
  });
}

/// Registers fn(grad) -> replacement gradient (an undefined tensor keeps grad), called each time the
/// gradient w.r.t. t is computed in a backward pass (also by autograd::grad), in registration order.
template <Element T>
HookHandle register_hook(const Tensor<T>& t, std::function<Tensor<T>(const Tensor<T>&)> fn) {
  return register_hook_any(AnyTensor(t), [fn = std::move(fn)](const AnyTensor& g) -> AnyTensor {
    Tensor<T> r = fn(g.get<T>("hook"));
    return r.defined() ? AnyTensor(std::move(r)) : AnyTensor();
  });
}

/// Registers fn(t) on a leaf t, called after backward accumulated the gradient into t.grad(). fn gets a
/// handle sharing t's memory and autograd state (its grad(), requires_grad), made at the call.
template <Element T>
HookHandle register_post_accumulate_grad_hook(const Tensor<T>& t, std::function<void(const Tensor<T>&)> fn) {
  EMBER_CHECK_AUTOGRAD(t.requires_grad(), "register_post_accumulate_grad_hook",
                       "cannot register a hook on a tensor (shape ", t.shape(), ") that does not require grad");
  EMBER_CHECK_AUTOGRAD(t.is_leaf(), "register_post_accumulate_grad_hook",
                       "post accumulate grad hooks cannot be registered on non-leaf tensors (shape ", t.shape(), ")");
  auto& m = t.autograd_meta_ref();
  // Not t itself: t's state holds the hook, so capturing t would keep it alive forever.
  auto hook = [fn = std::move(fn), storage = t.storage(), shape = t.shape(), strides = t.strides(),
               offset = t.offset(), meta = std::weak_ptr<autograd::Meta>(m)] {
    Tensor<T> h(storage, shape, strides, offset);
    h.autograd_meta_ref() = meta.lock();
    fn(h);
  };
  return autograd::detail::add_hook(m->post_accumulate_hooks, autograd::PostAccumulateHook(std::move(hook)));
}

/// register_post_accumulate_grad_hook for an AnyTensor.
inline HookHandle register_post_accumulate_grad_hook_any(const AnyTensor& t, std::function<void(const AnyTensor&)> fn) {
  return t.visit_any([&](const auto& x) -> HookHandle {
    using T = typename std::decay_t<decltype(x)>::value_type;
    return register_post_accumulate_grad_hook<T>(x, [fn](const Tensor<T>& h) { fn(AnyTensor(h)); });
  });
}

}  // namespace ember
