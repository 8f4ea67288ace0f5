#pragma once
// Module<T>: the base of every layer, as torch.nn.Module. A module registers its parameters (leaf
// tensors that require grad), buffers (state such as running statistics) and submodules under names;
// named_parameters() and state_dict() walk them with dotted names ("0.weight", "block.fc.bias"), and
// load_state_dict() checks a whole state dict before it copies anything.
//
// Parameters and buffers are tensor handles: a layer's public members (Linear::weight) and the
// registry refer to the same tensors, and copying a module shares them (as copying a Tensor does).
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/core/any_tensor.hpp"
#include "ember/core/error.hpp"
#include "ember/ops/copy.hpp"

namespace ember::nn {

/// Named tensors of a module (parameters and buffers), as torch's state_dict; keys are dotted paths.
using StateDict = std::map<std::string, AnyTensor>;

/// What a non-strict load_state_dict() left out: model keys the state dict lacked, and keys it had
/// that the model does not.
struct LoadStateDictResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

/// The base of every layer: parameters, buffers and submodules registered by name, train/eval mode,
/// zero_grad, and state_dict/load_state_dict. Layers of element type T (float or double).
template <FloatElement T = float>
class Module {
 public:
  using value_type = T;

  /// type_name is the layer's class name ("Linear"), used in repr() and error messages.
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  Module(const Module&) = default;
  Module(Module&&) noexcept = default;
  Module& operator=(const Module&) = default;
  Module& operator=(Module&&) noexcept = default;
  virtual ~Module() = default;

  /// The layer's computation on one input; modules without a single-tensor forward throw.
  virtual Tensor<T> forward(const Tensor<T>& x) {
    (void)x;
    ::ember::detail::fail<std::logic_error>(type_name_.c_str(), "this module has no forward(Tensor): override it in ",
                                   "the subclass");
  }
  /// forward(x).
  Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

  /// The layer's class name ("Linear").
  const std::string& type_name() const { return type_name_; }
  /// The layer's settings for repr() ("in_features=4, out_features=2, bias=true").
  virtual std::string extra_repr() const { return ""; }
  /// A readable description of the module tree, as PyTorch prints it.
  std::string repr() const {
    std::ostringstream os;
    os << type_name_ << '(' << extra_repr();
    if (!children_.empty()) {
      os << '\n';
      for (const auto& [name, child] : children_) {
        std::string sub = child->repr(), indented;
        for (char c : sub) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
        os << "  (" << name << "): " << indented << '\n';
      }
    }
    os << ')';
    return os.str();
  }

  // --- registration ---
  /// Registers t as parameter `name` (marking it requires_grad) and returns it; an undefined t
  /// (an absent bias) registers nothing.
  Tensor<T> register_parameter(const std::string& name, Tensor<T> t) {
    check_new_name(name, "register_parameter");
    if (!t.defined()) return t;
    EMBER_CHECK(t.is_leaf(), "register_parameter", "parameter '", name, "' (shape ", t.shape(),
                ") must be a leaf tensor: pass a tensor no recorded op made (detach() it)");
    if (!t.requires_grad()) t.requires_grad_(true);
    params_.emplace_back(name, t);
    return t;
  }
  /// Registers t as buffer `name` (state that is saved but not trained, such as running statistics).
  template <Element U>
  Tensor<U> register_buffer(const std::string& name, Tensor<U> t) {
    check_new_name(name, "register_buffer");
    if (t.defined()) buffers_.emplace_back(name, AnyTensor(t));
    return t;
  }
  /// Registers m as submodule `name`; its parameters appear as "name.<param>". Returns m.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    static_assert(std::is_base_of_v<Module<T>, M>, "register_module expects a Module<T> of the same element type");
    check_new_name(name, "register_module");
    EMBER_CHECK(m != nullptr, "register_module", "submodule '", name, "' is null");
    children_.emplace_back(name, std::static_pointer_cast<Module<T>>(m));
    return m;
  }

  // --- walking the tree ---
  /// (dotted name, parameter) of this module and (with recurse) every submodule, in registration order.
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters(bool recurse = true) const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    walk("", recurse, [&](const std::string& prefix, const Module& m) {
      for (const auto& [n, p] : m.params_) out.emplace_back(prefix + n, p);
    });
    return out;
  }
  /// The parameters, in the order of named_parameters() (what an optimizer takes).
  std::vector<Tensor<T>> parameters(bool recurse = true) const {
    std::vector<Tensor<T>> out;
    for (auto& [n, p] : named_parameters(recurse)) out.push_back(p);
    return out;
  }
  /// (dotted name, buffer) of this module and (with recurse) every submodule.
  std::vector<std::pair<std::string, AnyTensor>> named_buffers(bool recurse = true) const {
    std::vector<std::pair<std::string, AnyTensor>> out;
    walk("", recurse, [&](const std::string& prefix, const Module& m) {
      for (const auto& [n, b] : m.buffers_) out.emplace_back(prefix + n, b);
    });
    return out;
  }
  /// (name, submodule) of the direct children.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }
  /// The total number of parameter elements.
  std::int64_t num_parameters() const {
    std::int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
  }

  // --- modes and gradients ---
  /// Sets training mode (dropout active, batch norm on batch statistics) on this module and its children.
  Module& train(bool mode = true) {
    training_ = mode;
    for (auto& [n, c] : children_) c->train(mode);
    return *this;
  }
  /// train(false): evaluation mode.
  Module& eval() { return train(false); }
  /// True in training mode (the default).
  bool is_training() const { return training_; }
  /// Clears every parameter's gradient: undefined when set_to_none, else zeros.
  void zero_grad(bool set_to_none = true) {
    for (const auto& p : parameters()) {
      Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      if (set_to_none) p.set_grad(Tensor<T>());
      else g.zero_();
    }
  }

  // --- state dicts ---
  /// Parameters and buffers by dotted name (detached handles sharing memory with the module).
  StateDict state_dict() const {
    StateDict out;
    for (auto& [n, p] : named_parameters()) out.emplace(n, AnyTensor(p.detach()));
    for (auto& [n, b] : named_buffers()) out.emplace(n, b);
    return out;
  }

  /// Copies state into the module's parameters and buffers (converting dtypes). Shapes must match;
  /// with strict, the keys must be exactly the model's. On any error nothing is copied and
  /// std::invalid_argument lists every missing, unexpected and mis-shaped key.
  LoadStateDictResult load_state_dict(const StateDict& state, bool strict = true) {
    const StateDict own = state_dict();
    LoadStateDictResult result;
    std::vector<std::string> problems;
    for (const auto& [name, dst] : own) {
      auto it = state.find(name);
      if (it == state.end()) {
        result.missing_keys.push_back(name);
        continue;
      }
      const AnyTensor& src = it->second;
      if (!src.defined()) {
        problems.push_back("'" + name + "' is an undefined tensor");
      } else if (src.shape() != dst.shape()) {
        std::ostringstream os;
        os << "size mismatch for '" << name << "': copying a param with shape " << src.shape()
           << " from checkpoint, the shape in current model is " << dst.shape();
        problems.push_back(os.str());
      }
    }
    for (const auto& [name, src] : state)
      if (!own.count(name)) result.unexpected_keys.push_back(name);
    auto quoted = [](const std::vector<std::string>& keys) {
      std::string s;
      for (const auto& k : keys) s += (s.empty() ? "" : ", ") + ("'" + k + "'");
      return s;
    };
    if (strict) {
      std::vector<std::string> keys;
      if (!result.missing_keys.empty()) keys.push_back("missing keys: " + quoted(result.missing_keys));
      if (!result.unexpected_keys.empty()) keys.push_back("unexpected keys: " + quoted(result.unexpected_keys));
      problems.insert(problems.begin(), keys.begin(), keys.end());
    }
    if (!problems.empty()) {
      std::string msg;
      for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
      ::ember::detail::fail<std::invalid_argument>("load_state_dict", "error(s) in loading state_dict for ", type_name_, ": ",
                                          msg);
    }
    NoGradGuard guard;
    for (const auto& [name, dst] : own) {
      auto it = state.find(name);
      if (it == state.end()) continue;
      dst.visit_any([&](const auto& d) { it->second.visit_any([&](const auto& s) { d.detach().copy_(s); }); });
    }
    return result;
  }
  /// load_state_dict from (name, tensor) pairs, as io::load_safetensors(path).tensors holds them.
  LoadStateDictResult load_state_dict(const std::vector<std::pair<std::string, AnyTensor>>& state,
                                      bool strict = true) {
    StateDict m;
    for (const auto& [n, t] : state) {
      EMBER_CHECK(m.emplace(n, t).second, "load_state_dict", "key '", n, "' appears twice");
    }
    return load_state_dict(m, strict);
  }

 private:
  void check_new_name(const std::string& name, const char* op) const {
    EMBER_CHECK(!name.empty(), op, "the name must not be empty");
    EMBER_CHECK(name.find('.') == std::string::npos, op, "the name '", name, "' must not contain '.'");
    auto taken = [&](const auto& list) {
      for (const auto& [n, x] : list)
        if (n == name) return true;
      return false;
    };
    EMBER_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), op, "'", name, "' is already registered in ",
                type_name_);
  }

  /// Calls f(prefix, module) for this module and (with recurse) every submodule, depth first.
  template <class F>
  void walk(const std::string& prefix, bool recurse, F&& f) const {
    f(prefix, *this);
    if (!recurse) return;
    for (const auto& [n, c] : children_) c->walk(prefix + n + ".", true, f);
  }

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor<T>>> params_;
  std::vector<std::pair<std::string, AnyTensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace ember::nn
