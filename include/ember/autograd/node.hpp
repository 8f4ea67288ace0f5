#pragma once
// The autograd graph: a tensor's autograd state (Meta), the graph node an op records (Node), the
// tensors a node saves (Saved), and record(), which ops call right after their forward.
//
// Ownership: an op's output holds its node; a node holds the nodes of its inputs (next) and its
// saved tensors as detached handles, so there is no cycle and a graph dies with its last output.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/core/autocast.hpp"
#include "ember/core/any_tensor.hpp"
#include "ember/core/overlap.hpp"

namespace ember::autograd {

struct Node;
using NodePtr = std::shared_ptr<Node>;
/// Gradients a node returns, one per input (an undefined tensor where an input gets none).
using Grads = std::vector<AnyTensor>;

/// Gradient hooks (hooks.hpp): a tensor hook maps the gradient w.r.t. a tensor to a replacement
/// (undefined: keep it); a post-accumulate hook runs after a leaf's .grad was accumulated.
using GradHook = std::function<AnyTensor(const AnyTensor&)>;
using PostAccumulateHook = std::function<void()>;
template <class F>
struct HookList {
  std::vector<std::pair<std::uint64_t, F>> hooks;  // in registration order, by id
};

/// Autograd state of one tensor; only tensors that require grad (or once did, and hold .grad) have one.
struct Meta {
  bool requires_grad = false;        // a leaf the user marked
  bool retains_grad = false;         // a non-leaf whose .grad backward should fill (retain_grad())
  bool is_view = false;              // made by a view op: shares memory with its input
  NodePtr grad_fn;                   // the op that made this tensor; null for leaves
  std::weak_ptr<Node> accumulator;   // leaves: the node that writes .grad, shared by every graph using it
  AnyTensor grad;                    // accumulated gradient (undefined until a backward reaches it)
  std::shared_ptr<HookList<GradHook>> grad_hooks;                     // leaves: run before accumulating
  std::shared_ptr<HookList<PostAccumulateHook>> post_accumulate_hooks;  // leaves: run after
};

namespace detail {
/// buf += g, for a node whose output (so gradient) has dtype T. Defined in engine.hpp, like the other
/// gradient arithmetic: nodes are typed, so a program compiles it only for the dtypes it differentiates.
template <Element T>
void add_grad(AnyTensor& buf, const AnyTensor& g);
/// Adds g into m.grad, the .grad of a tensor of dtype T (engine.hpp).
template <Element T>
void accumulate_grad(Meta& m, const AnyTensor& g);
}  // namespace detail

/// One recorded op: its backward rule maps the gradient of its output to gradients of its inputs.
struct Node {
  explicit Node(const char* op) : name(op) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;

  /// Gradients for next[i] from the gradient of this node's output.
  virtual Grads apply(const AnyTensor& grad) = 0;
  /// Drops what the backward rule saved (after a backward without retain_graph).
  virtual void release() { released = true; }
  /// grad += g (a gradient of this node's output) during a backward pass.
  virtual void add_grad(const AnyTensor& g) = 0;
  /// Adds g (this node's output gradient) into the .grad that m holds (retain_grad(), leaves).
  virtual void accumulate(Meta& m, const AnyTensor& g) const = 0;
  /// A leaf's AccumulateGrad: the leaf's meta (null when the leaf is gone or for other nodes).
  virtual std::shared_ptr<Meta> leaf_meta() const { return nullptr; }

  const char* name;                  // the op, e.g. "mul"
  std::vector<NodePtr> next;         // per input: the node its gradient goes to (null: needs none)
  AnyTensor grad;                    // gradient summed during a backward pass
  std::weak_ptr<Meta> retained;      // output meta to fill for retain_grad()
  bool released = false;
  bool is_accumulator = false;       // a leaf's AccumulateGrad
  MatmulPrecision precision = autocast_precision();  // the forward's autocast state, restored for apply()
  std::shared_ptr<HookList<GradHook>> grad_hooks;  // hooks of the non-leaf tensor this node made
};

/// A node whose output, so gradient, has dtype T: the gradient arithmetic for T.
template <Element T>
struct TypedNode : Node {
  using Node::Node;
  void add_grad(const AnyTensor& g) override { detail::add_grad<T>(grad, g); }
  void accumulate(Meta& m, const AnyTensor& g) const override { detail::accumulate_grad<T>(m, g); }
};

/// A node whose backward rule is the lambda f(const Tensor<R>& grad) of the op that recorded it.
template <Element R, class F>
struct FnNode final : TypedNode<R> {
  FnNode(const char* op, F f) : TypedNode<R>(op), fn(std::move(f)) {}

  Grads apply(const AnyTensor& grad) override {
    EMBER_CHECK_AUTOGRAD(fn.has_value(), this->name,
                         "trying to backward through the graph a second time: its saved tensors were freed by the "
                         "first backward; pass retain_graph=True to the first backward() to call it again");
    using Out = std::invoke_result_t<F&, const Tensor<R>&>;
    if constexpr (std::is_same_v<Out, Grads>) return (*fn)(grad.get<R>(this->name));
    else return Grads{AnyTensor((*fn)(grad.get<R>(this->name)))};
  }
  void release() override {
    fn.reset();
    this->released = true;
  }

  std::optional<F> fn;
};

/// A leaf's node (for a leaf of dtype T): adds the incoming gradient into the leaf's .grad.
template <Element T>
struct AccumulateGrad final : TypedNode<T> {
  explicit AccumulateGrad(std::weak_ptr<Meta> m) : TypedNode<T>("AccumulateGrad"), leaf(std::move(m)) {
    this->is_accumulator = true;
  }
  Grads apply(const AnyTensor& g) override {
    if (auto m = leaf.lock()) {
      this->accumulate(*m, g);
      if (m->post_accumulate_hooks) {
        auto hooks = m->post_accumulate_hooks->hooks;  // a copy: a hook may remove itself
        for (auto& h : hooks) h.second();
      }
    }
    return {};
  }
  std::shared_ptr<Meta> leaf_meta() const override { return leaf.lock(); }
  std::weak_ptr<Meta> leaf;
};

/// The node that x's gradient flows into: its grad_fn, or (for a leaf) its AccumulateGrad; null
/// when x does not require grad.
template <Element T>
NodePtr edge_of(const Tensor<T>& x) {
  if (!x.requires_grad()) return nullptr;
  const auto& m = x.autograd_meta();
  if (m->grad_fn) return m->grad_fn;
  if (auto a = m->accumulator.lock()) return a;
  auto a = std::make_shared<AccumulateGrad<T>>(m);
  m->accumulator = a;
  return a;
}
template <class = void>  // compiled only where called: see AnyTensor::to
NodePtr edge_of(const AnyTensor& x) {
  return x.visit_any([](const auto& t) { return edge_of(t); });
}

/// True when an op on these inputs must record its backward (grad mode on, some input requires grad).
template <class... In>
bool needs_grad(const In&... inputs) {
  return is_grad_enabled() && (inputs.requires_grad() || ...);
}

/// Makes `out` (a tensor the op just created) the output of a node with backward rule f, whose
/// gradients go to `inputs` in order. f(const Tensor<R>& grad) returns a Tensor (one input) or Grads.
template <Element R, class F, class... In>
void record(const char* op, const Tensor<R>& out, F&& f, const In&... inputs) {
  auto node = std::make_shared<FnNode<R, std::decay_t<F>>>(op, std::forward<F>(f));
  node->next.reserve(sizeof...(In));
  (node->next.push_back(edge_of(inputs)), ...);
  auto& meta = out.autograd_meta_ref();
  if (!meta) meta = std::make_shared<Meta>();
  meta->grad_fn = std::move(node);
}

/// record() for an op with a list of inputs (cat, stack).
template <Element R, class F, class In>
void record_list(const char* op, const Tensor<R>& out, F&& f, const std::vector<In>& inputs) {
  auto node = std::make_shared<FnNode<R, std::decay_t<F>>>(op, std::forward<F>(f));
  node->next.reserve(inputs.size());
  for (const auto& x : inputs) node->next.push_back(edge_of(x));
  auto& meta = out.autograd_meta_ref();
  if (!meta) meta = std::make_shared<Meta>();
  meta->grad_fn = std::move(node);
}

/// Marks out as a recorded view of x (after record()): see rebase_history.
template <Element T>
void mark_view(const Tensor<T>& out, const Tensor<T>& x) {
  if (const auto& m = out.autograd_meta(); m && m->grad_fn) {
    m->is_view = true;
    x.storage()->mark_autograd_view();
  }
}

/// A tensor a backward rule needs, saved with its version: get() refuses it when an in-place op has
/// changed it since (a silent wrong gradient otherwise).
template <Element T>
class Saved {
 public:
  Saved() = default;
  Saved(const Tensor<T>& t, const char* op)
      : t_(t.defined() ? t.detach() : Tensor<T>()), version_(t.defined() ? t.version() : 0), op_(op) {}

  const Tensor<T>& get() const {
    if (t_.defined())
      EMBER_CHECK_AUTOGRAD(t_.version() == version_, op_,
                           "one of the tensors needed for gradient computation has been modified by an inplace "
                           "operation: a tensor of shape ",
                           t_.shape(), " and dtype ", dtype_name(t_.dtype()), " is at version ", t_.version(),
                           "; expected version ", version_,
                           ". Modify a clone() instead, or do the in-place update after backward()");
    return t_;
  }

 private:
  Tensor<T> t_;
  std::uint64_t version_ = 0;
  const char* op_ = "";
};

/// Throws when several elements of self share memory (an expanded view): an in-place write would
/// update each shared element once per alias (PyTorch refuses these writes too).
template <Element T>
void check_no_internal_overlap(const Tensor<T>& self, const char* op) {
  EMBER_CHECK(!has_internal_overlap(self.shape(), self.strides()), op,
              "unsupported operation: more than one element of the written-to tensor (shape ", self.shape(),
              ", strides ", self.strides(), ") refers to a single memory location; clone() it first");
}

/// Throws unless an in-place op may write into self: never into a tensor whose elements share memory
/// (unless the op checks the part it writes itself: check_overlap false), nor into one that requires
/// grad while grad mode is on. Marks the write in self's version counter.
template <Element T>
void check_inplace(const Tensor<T>& self, const char* op, bool check_overlap = true) {
  if (check_overlap) check_no_internal_overlap(self, op);
  if (is_grad_enabled() && self.requires_grad()) {
    EMBER_CHECK_AUTOGRAD(!self.is_leaf(), op, "a leaf tensor that requires grad (shape ", self.shape(),
                         ") cannot be modified in place; do the update inside ember.no_grad() (as optimizers do)");
    ember::detail::fail<AutogradError>(op, "in-place modification of a tensor that requires grad (shape ", self.shape(),
                                ", made by '", self.autograd_meta()->grad_fn->name,
                                "') is not supported: write the out-of-place form instead (y = y + x)");
  }
  self.storage()->bump_version();
}

/// An in-place op on self that records its gradient: r = compute(src) out of place, where src is self
/// (or a recorded copy of it when saves_self, since the op's backward needs self's old values),
/// then r's values are written into self, and self's history becomes r's. Refused for leaves that
/// require grad, for views, and for tensors with recorded views (whose gradients would go stale).
template <Element T, class F>
const Tensor<T>& rebase_history(const Tensor<T>& self, const char* op, bool saves_self, F compute) {
  check_no_internal_overlap(self, op);
  if (self.requires_grad()) {
    EMBER_CHECK_AUTOGRAD(!self.is_leaf(), op, "a leaf tensor that requires grad (shape ", self.shape(),
                         ") cannot be modified in place; do the update inside ember.no_grad() (as optimizers do)");
    EMBER_CHECK_AUTOGRAD(!self.autograd_meta()->is_view, op, "in-place modification of a view (shape ",
                         self.shape(), ") of a tensor that requires grad is not supported; write the out-of-place "
                         "form instead (y = y + x)");
  }
  EMBER_CHECK_AUTOGRAD(!self.storage()->has_autograd_views(), op, "the tensor (shape ", self.shape(),
                       ") has views recorded by autograd, whose gradients an in-place change would make wrong; "
                       "write the out-of-place form instead (y = y + x)");
  const Tensor<T> r = compute(saves_self ? self.clone() : self);
  {
    NoGradGuard no_grad;
    ember::detail::copy_cast(self, r);
  }
  self.storage()->bump_version();
  auto& m = self.autograd_meta_ref();
  if (!m) m = std::make_shared<Meta>();
  NodePtr node = r.autograd_meta()->grad_fn;
  if (m->retains_grad) {
    if (m->grad_fn) m->grad_fn->retained.reset();
    node->retained = m;
  }
  m->grad_fn = std::move(node);
  return self;
}

/// Throws when the value an in-place op writes requires grad: in-place ops do not record gradients.
template <class V>
void check_inplace_source(const V& value, const char* op) {
  EMBER_CHECK_AUTOGRAD(!(is_grad_enabled() && value.requires_grad()), op,
                       "the value written in place (shape ", value.shape(),
                       ") requires grad, but in-place ops do not record gradients; use an out-of-place op (where, "
                       "masked_fill, cat, index_put) or write value.detach()");
}

}  // namespace ember::autograd

namespace ember {

template <Element T>
bool Tensor<T>::requires_grad() const {
  if (!impl_) return false;
  const auto& m = impl_->autograd;
  return m && (m->requires_grad || m->grad_fn);
}

template <Element T>
const Tensor<T>& Tensor<T>::requires_grad_(bool requires_grad) const {
  auto& m = autograd_meta_ref();
  if (m && m->grad_fn) {
    EMBER_CHECK_AUTOGRAD(requires_grad, "requires_grad_",
                         "you can only change requires_grad flags of leaf tensors; this one was made by '",
                         m->grad_fn->name, "' (use detach() to get a leaf)");
    return *this;
  }
  if (requires_grad) {
    EMBER_CHECK_TYPE(GradElement<T>, "requires_grad_", "only floating point tensors can require gradients, got dtype ",
                     dtype_name(dtype()), " (shape ", shape(), ")");
    if (!m) m = std::make_shared<autograd::Meta>();
  }
  if (m) m->requires_grad = requires_grad;
  return *this;
}

template <Element T>
bool Tensor<T>::is_leaf() const {
  const auto& m = autograd_meta();
  return !m || !m->grad_fn;
}

template <Element T>
Tensor<T> Tensor<T>::grad() const {
  const auto& m = autograd_meta();
  if (!m || !m->grad.defined()) return Tensor();
  return m->grad.template get<T>("grad");
}

template <Element T>
void Tensor<T>::set_grad(const Tensor& g) const {
  auto& m = autograd_meta_ref();
  if (!g.defined()) {
    if (m) m->grad = AnyTensor();
    return;
  }
  EMBER_CHECK(g.shape() == shape(), "grad", "assigned grad has shape ", g.shape(),
              " but the tensor has shape ", shape());
  EMBER_CHECK_DEVICE(g.device() == device(), "grad", "assigned grad is on ", g.device().str(),
                     " but the tensor is on ", device().str());
  if (!m) m = std::make_shared<autograd::Meta>();
  m->grad = g.detach();
}

template <Element T>
void Tensor<T>::retain_grad() const {
  EMBER_CHECK_AUTOGRAD(requires_grad(), "retain_grad", "can't retain_grad on a tensor (shape ", shape(),
                       ") that does not require grad");
  const auto& m = autograd_meta();
  if (!m->grad_fn || m->retains_grad) return;  // a leaf keeps its grad anyway
  m->retains_grad = true;
  m->grad_fn->retained = m;
}

template <Element T>
bool Tensor<T>::retains_grad() const {
  const auto& m = autograd_meta();
  return m && m->grad_fn && m->retains_grad;
}

template <Element T>
std::shared_ptr<autograd::Node> Tensor<T>::grad_fn() const {
  const auto& m = autograd_meta();
  return m ? m->grad_fn : nullptr;
}

}  // namespace ember
