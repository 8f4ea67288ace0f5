#pragma once
// The backward pass: a topological sort of the graph below the roots and one reverse loop that
// calls each node's backward rule and sums the gradients into its inputs' nodes (micrograd's
// engine with saved-tensor checks), plus backward() and grad() built on it.
#include <algorithm>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/backend/cuda/elementwise.hpp"
#include "ember/backend/eigen/elementwise.hpp"
#include "ember/core/tensor.hpp"

namespace ember::autograd {

namespace detail {

/// a + b for gradients of one shape and device, into `into` (a new tensor, or a itself). Not
/// ember::add: gradient sums need no broadcasting and no recording (backward rules run without it),
/// and add's own backward rule would be compiled into every program that records any op.
template <Element T>
void sum_grads(const Tensor<T>& into, const Tensor<T>& a, const Tensor<T>& b) {
  EMBER_CHECK(a.shape() == b.shape() && a.device() == b.device(), "backward", "gradients of shape ", a.shape(), " on ",
              a.device(), " and ", b.shape(), " on ", b.device(), " cannot be summed");
  if (into.device().is_cuda()) {
    ember::detail::check_cuda_dtype<T>("backward");
    cuda::binary(into.device().index, cuda::BinaryOp::AddOp, into.shape(), cuda::strided(into),
                 cuda::strided(a), cuda::strided(b));
    return;
  }
  ember::detail::binary_kernel(into, a, b, [](T x, T y) { return static_cast<T>(x + y); });
}

template <Element T>
void add_grad(AnyTensor& buf, const AnyTensor& g) {
  const Tensor<T>& t = g.get<T>("backward");
  if (!buf.defined()) {
    buf = g;
    return;
  }
  // Out of place: buf may alias a gradient another node still holds.
  const Tensor<T>& cur = buf.get<T>("backward");
  auto sum = Tensor<T>::empty(cur.shape(), cur.device());
  sum_grads(sum, cur, t);
  buf = AnyTensor(std::move(sum));
}

/// The first gradient is taken over when nothing else refers to it, else copied (it may be a broadcast
/// view, or shared with other nodes); later ones are added in place, as PyTorch does.
template <Element T>
void accumulate_grad(Meta& m, const AnyTensor& g) {
  const Tensor<T>& t = g.get<T>("backward");
  if (!m.grad.defined() || m.grad.dtype() != g.dtype()) {
    if (t.is_contiguous() && t.is_unique()) {
      m.grad = g;
    } else {
      auto copy = Tensor<T>::empty(t.shape(), t.device());
      ember::detail::copy_cast(copy, t);
      m.grad = AnyTensor(std::move(copy));
    }
  } else {
    const Tensor<T>& cur = m.grad.get<T>();
    EMBER_CHECK(cur.shape() == t.shape(), "backward", "gradient of shape ", t.shape(),
                " does not match the shape ", cur.shape(), " of the accumulated grad");
    cur.storage()->bump_version();
    sum_grads(cur, cur, t);
  }
}

/// g after the hooks (in registration order), each given the result of the one before.
inline AnyTensor run_grad_hooks(const std::shared_ptr<HookList<GradHook>>& list, AnyTensor g) {
  if (!list || list->hooks.empty()) return g;
  auto hooks = list->hooks;  // a copy: a hook may remove itself
  for (auto& [id, h] : hooks) {
    AnyTensor r = h(g);
    if (!r.defined()) continue;
    EMBER_CHECK(r.shape() == g.shape(), "backward", "hook returned a gradient of shape ", r.shape(),
                " for a gradient of shape ", g.shape());
    EMBER_CHECK_TYPE(r.dtype() == g.dtype(), "backward", "hook returned a gradient of dtype ", dtype_name(r.dtype()),
                     " for a gradient of dtype ", dtype_name(g.dtype()));
    g = std::move(r);
  }
  return g;
}

}  // namespace detail

/// Where a backward pass starts: a node and the gradient of its output.
struct Root {
  NodePtr node;
  AnyTensor grad;
};

/// True when g (a gradient) holds a NaN; CUDA gradients are read on the host.
template <class = void>  // compiled only where called: see AnyTensor::to
bool holds_nan(const AnyTensor& g) {
  return g.visit_any([](const auto& t) {
    using T = typename std::decay_t<decltype(t)>::value_type;
    if constexpr (FloatElement<T> || std::is_same_v<T, bfloat16>) {
      const Tensor<T> c = (t.device().is_cpu() ? t : t.to(Device::cpu())).contiguous();
      const T* p = c.data();
      for (std::int64_t i = 0; i < c.numel(); ++i)
        if (p[i] != p[i]) return true;
    }
    return false;
  });
}

/// Anomaly mode's check of the gradients that node n returned.
template <class = void>
void check_anomaly(const Node& n, const Grads& grads) {
  for (std::size_t i = 0; i < grads.size(); ++i)
    EMBER_CHECK_AUTOGRAD(!grads[i].defined() || !holds_nan(grads[i]), "autograd", "Function '", n.name,
                         "' returned nan values in its ", i, "th output (anomaly detection)");
}

/// Runs backward from roots. With accumulate, leaves' (and retained non-leaves') .grad receive
/// their gradients; gradients reaching the nodes in `capture` are returned in that order
/// (undefined where none arrived). Without retain_graph the saved tensors are freed afterwards.
inline std::vector<AnyTensor> run_backward(std::span<const Root> roots, bool retain_graph, bool accumulate,
                                           std::span<const NodePtr> capture = {}) {
  NoGradGuard no_grad;  // backward rules do not record (no higher-order gradients)

  // Post-order DFS over `next`, in input order: deterministic, and parents end up after children.
  std::vector<Node*> order;
  {
    std::vector<std::pair<Node*, std::size_t>> stack;
    std::vector<Node*> seen;  // sorted, for membership tests
    auto visit = [&](Node* n) {
      auto it = std::lower_bound(seen.begin(), seen.end(), n);
      if (it != seen.end() && *it == n) return false;
      seen.insert(it, n);
      stack.emplace_back(n, 0);
      return true;
    };
    for (const auto& r : roots) {
      visit(r.node.get());
      while (!stack.empty()) {
        auto& [n, i] = stack.back();
        if (i < n->next.size()) {
          Node* child = n->next[i++].get();
          if (child) visit(child);
        } else {
          order.push_back(n);
          stack.pop_back();
        }
      }
    }
  }

  // Gradient buffers are cleared whatever happens, so that a failed pass leaves nothing behind.
  struct ClearBuffers {
    std::vector<Node*>& nodes;
    ~ClearBuffers() {
      for (Node* n : nodes) n->grad = AnyTensor();
    }
  } clear{order};

  for (const auto& r : roots) r.node->add_grad(r.grad);
  std::vector<AnyTensor> captured(capture.size());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* n = *it;
    AnyTensor g = std::move(n->grad);
    n->grad = AnyTensor();
    if (!g.defined()) continue;
    if (n->is_accumulator) {
      if (auto m = n->leaf_meta()) g = detail::run_grad_hooks(m->grad_hooks, std::move(g));
    } else {
      g = detail::run_grad_hooks(n->grad_hooks, std::move(g));
    }
    for (std::size_t k = 0; k < capture.size(); ++k)
      if (capture[k].get() == n) captured[k] = g;
    if (n->is_accumulator) {
      if (accumulate) n->apply(g);
      continue;
    }
    if (accumulate)
      if (auto m = n->retained.lock()) n->accumulate(*m, g);
    Grads grads;
    {
      const AutocastGuard precision(n->precision);  // the backward computes as its forward did
      grads = n->apply(g);
    }
    if (is_anomaly_enabled()) check_anomaly(*n, grads);
    for (std::size_t i = 0; i < n->next.size() && i < grads.size(); ++i)
      if (n->next[i] && grads[i].defined()) n->next[i]->add_grad(grads[i]);
  }
  if (!retain_graph)
    for (Node* n : order)
      if (!n->is_accumulator) n->release();
  return captured;
}

/// The root for backward from `out`: checks that it requires grad and that gradient fits it.
template <Element T>
Root root_of(const Tensor<T>& out, const Tensor<T>& gradient, const char* op, std::size_t index = 0) {
  EMBER_CHECK_AUTOGRAD(out.requires_grad(), op, "element ", index, " of tensors (shape ", out.shape(),
                       ") does not require grad and does not have a grad_fn; call requires_grad_() on the "
                       "leaves to differentiate");
  Tensor<T> g = gradient;
  if (!g.defined()) {
    EMBER_CHECK_AUTOGRAD(out.numel() == 1, op, "grad can be implicitly created only for scalar outputs, got a tensor "
                         "of shape ", out.shape(), "; pass a gradient of that shape");
    g = Tensor<T>::empty(out.shape(), out.device());
    NoGradGuard no_grad;
    g.fill_(T(1));
  }
  EMBER_CHECK(g.shape() == out.shape(), op, "gradient has shape ", g.shape(), " but the tensor has shape ",
              out.shape());
  return Root{edge_of(out), AnyTensor(g.detach())};
}

/// AnyTensor form of root_of (the gradient, when given, must have out's dtype).
template <class = void>  // compiled only where called: see AnyTensor::to
Root root_of(const AnyTensor& out, const AnyTensor& gradient, const char* op, std::size_t index = 0) {
  return out.visit_any([&](const auto& o) -> Root {
    using T = typename std::decay_t<decltype(o)>::value_type;
    if constexpr (!GradElement<T>) {
      return root_of(o, Tensor<T>(), op, index);  // fails: integer tensors never require grad
    } else {
      if (!gradient.defined()) return root_of(o, Tensor<T>(), op, index);
      EMBER_CHECK_TYPE(gradient.dtype() == o.dtype(), op, "gradient has dtype ", dtype_name(gradient.dtype()),
                       " but the tensor has dtype ", dtype_name(o.dtype()));
      return root_of(o, gradient.get<T>(), op, index);
    }
  });
}

/// The roots for outputs and their gradients (none given: implicit ones for one-element outputs).
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<Root> roots_of(std::span<const AnyTensor> outputs, std::span<const AnyTensor> grad_outputs,
                           const char* op) {
  EMBER_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), op, "got ", outputs.size(),
              " outputs but ", grad_outputs.size(), " gradients");
  std::vector<Root> roots;
  for (std::size_t i = 0; i < outputs.size(); ++i)
    roots.push_back(root_of(outputs[i], grad_outputs.empty() ? AnyTensor() : grad_outputs[i], op, i));
  return roots;
}

/// Sums the gradients of outputs (weighted by grad_outputs; omitted for one-element outputs) into
/// every leaf's .grad.
template <class = void>  // compiled only where called: see AnyTensor::to
void backward(std::span<const AnyTensor> outputs, std::span<const AnyTensor> grad_outputs = {},
              bool retain_graph = false) {
  run_backward(roots_of(outputs, grad_outputs, "backward"), retain_graph, true);
}

/// d(outputs)/d(inputs) weighted by grad_outputs, without touching any .grad. An input the outputs
/// do not depend on gives an undefined tensor with allow_unused, else an error.
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<AnyTensor> grad(std::span<const AnyTensor> outputs, std::span<const AnyTensor> inputs,
                            std::span<const AnyTensor> grad_outputs = {}, bool retain_graph = false,
                            bool allow_unused = false) {
  const std::vector<Root> roots = roots_of(outputs, grad_outputs, "grad");
  std::vector<NodePtr> capture;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK_AUTOGRAD(inputs[i].requires_grad(), "grad", "input ", i, " (shape ", inputs[i].shape(),
                         ") does not require grad");
    capture.push_back(edge_of(inputs[i]));
  }
  auto grads = run_backward(roots, retain_graph, false, capture);
  for (std::size_t i = 0; i < grads.size(); ++i)
    EMBER_CHECK_AUTOGRAD(allow_unused || grads[i].defined(), "grad", "input ", i, " (shape ", inputs[i].shape(),
                         ") appears to not have been used in the graph; pass allow_unused=True if this is intended");
  return grads;
}

}  // namespace ember::autograd

namespace ember {

template <Element T>
void Tensor<T>::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::Root root = autograd::root_of(*this, gradient, "backward");
  autograd::run_backward(std::span<const autograd::Root>(&root, 1), retain_graph, true);
}

}  // namespace ember
