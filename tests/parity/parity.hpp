#pragma once
// The cross-language parity harness: each case builds one C++ layer (or calls one functional op) the way
// the Python test built its ember.nn twin, from the same options, state_dict and inputs, and hands back
// its outputs; main.cpp then runs backward and writes outputs, gradients and the state_dict.
//
// A case file (safetensors) holds "input.<name>" tensors, "state.<key>" tensors (loaded strictly into the
// module), "grad_output.<i>" tensors and metadata "case" (the registry key) and "opt.<name>" (constructor
// options as Python literals: 3, 0.5, True, None, 'same', (2, 3)).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ember/ember.hpp>

namespace parity {

using namespace ember;
using T = double;  // both sides run in float64, so the comparison is tight

class Run {
 public:
  explicit Run(io::SafeTensors file) : file_(std::move(file)) {}

  // --- options (metadata "opt.<name>") ---
  bool has(const std::string& name) const {
    auto it = file_.metadata.find("opt." + name);
    return it != file_.metadata.end() && it->second != "None";
  }
  std::int64_t i(const std::string& name, std::int64_t dflt) const { return has(name) ? std::stoll(raw(name)) : dflt; }
  std::optional<std::int64_t> oi(const std::string& name) const {
    return has(name) ? std::optional<std::int64_t>(std::stoll(raw(name))) : std::nullopt;
  }
  double f(const std::string& name, double dflt) const { return has(name) ? std::stod(raw(name)) : dflt; }
  bool b(const std::string& name, bool dflt) const { return has(name) ? raw(name) == "True" : dflt; }
  std::string s(const std::string& name, const std::string& dflt) const {
    if (!has(name)) return dflt;
    std::string v = raw(name);
    return v.size() >= 2 && (v.front() == '\'' || v.front() == '"') ? v.substr(1, v.size() - 2) : v;
  }
  /// An int or a pair "(a, b)".
  std::array<std::int64_t, 2> pair(const std::string& name, std::array<std::int64_t, 2> dflt) const {
    if (!has(name)) return dflt;
    std::string v = raw(name);
    if (v.front() != '(' && v.front() != '[') return {std::stoll(v), std::stoll(v)};
    const auto comma = v.find(',');
    return {std::stoll(v.substr(1, comma - 1)), std::stoll(v.substr(comma + 1))};
  }
  std::vector<std::int64_t> ints(const std::string& name) const {
    std::vector<std::int64_t> out;
    std::string v = raw(name), num;
    for (char c : v) {
      if ((c >= '0' && c <= '9') || c == '-') num += c;
      else if (!num.empty()) out.push_back(std::stoll(num)), num.clear();
    }
    if (!num.empty()) out.push_back(std::stoll(num));
    return out;
  }

  // --- inputs ("input.<name>"); float inputs require grad ---
  bool has_input(const std::string& name) const { return file_.contains("input." + name); }
  Tensor<T> x(const std::string& name) {
    Tensor<T> t = file_.at("input." + name).get<T>("parity").detach();
    t.requires_grad_(true);
    inputs_.emplace_back(name, t);
    return t;
  }
  std::optional<Tensor<T>> ox(const std::string& name) {
    return has_input(name) ? std::optional<Tensor<T>>(x(name)) : std::nullopt;
  }
  template <Element U>
  Tensor<U> get(const std::string& name) const { return file_.at("input." + name).get<U>("parity"); }
  template <Element U>
  std::optional<Tensor<U>> oget(const std::string& name) const {
    return has_input(name) ? std::optional<Tensor<U>>(get<U>(name)) : std::nullopt;
  }
  /// The input as any dtype (integer targets, masks).
  const AnyTensor& any(const std::string& name) const { return file_.at("input." + name); }
  /// An optional attention mask input: bool, or float (additive); absent -> none.
  AttentionMask<T> mask(const std::string& name) const {
    if (!has_input(name)) return {};
    if (any(name).dtype() == DType::Bool) return get<bool>(name);
    return get<T>(name);
  }
  /// Conv2d's padding option: an int, a pair or 'same' / 'valid'.
  Conv2dPadding padding(const std::string& name) const {
    if (!has(name)) return {};
    const std::string v = raw(name);
    if (v.front() == '\'' || v.front() == '"') return Conv2dPadding(s(name, ""));
    return Conv2dPadding(pair(name, {0, 0}));
  }
  /// Pooling options (kernel_size, stride, padding, dilation, ceil_mode, count_include_pad).
  Pool2dOptions pool() const {
    const auto kernel = pair("kernel_size", {1, 1});
    return Pool2dOptions{.kernel = kernel,
                         .stride = has("stride") ? std::optional(pair("stride", kernel)) : std::nullopt,
                         .padding = pair("padding", {0, 0}),
                         .dilation = pair("dilation", {1, 1}),
                         .ceil_mode = b("ceil_mode", false),
                         .count_include_pad = b("count_include_pad", true)};
  }
  /// The case file's state_dict entry key (a loss's weight buffer, given to its constructor), if any.
  OptionalTensor<T> state(const std::string& key) const {
    if (!file_.contains("state." + key)) return std::nullopt;
    return file_.at("state." + key).get<T>("parity");
  }
  Reduction reduction() const { return parse_reduction(s("reduction", "mean"), "parity"); }

  // --- the module (kept until the results are written): its state_dict comes from the file, strictly ---
  template <class M>
  M& module(M built) {
    auto owned = std::make_shared<M>(std::move(built));
    M& m = *owned;
    module_ = owned;
    nn::StateDict state;
    for (const auto& [key, t] : file_.tensors)
      if (key.rfind("state.", 0) == 0) state.emplace(key.substr(6), t);
    m.load_state_dict(state);
    m.train(b("training", true));
    state_ = [&m] { return m.state_dict(); };
    params_ = [&m] { return m.named_parameters(); };
    return m;
  }

  // --- results ---
  void out(const Tensor<T>& t) { outputs_.push_back(t); }
  void out(const AnyTensor& t) { other_outputs_.push_back(t); }

  /// outputs, backward of sum(output_i * grad_output.<i>), gradients of inputs and parameters, state.
  std::vector<std::pair<std::string, AnyTensor>> results() {
    std::vector<std::pair<std::string, AnyTensor>> res;
    std::optional<Tensor<T>> total;
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
      res.emplace_back("output." + std::to_string(k), AnyTensor(outputs_[k].detach()));
      const std::string g = "grad_output." + std::to_string(k);
      if (outputs_[k].requires_grad() && file_.contains(g)) {
        Tensor<T> term = sum(outputs_[k] * file_.at(g).get<T>("parity"));
        total = total ? *total + term : term;
      }
    }
    for (std::size_t k = 0; k < other_outputs_.size(); ++k)
      res.emplace_back("output." + std::to_string(outputs_.size() + k), other_outputs_[k]);
    if (total) total->backward();
    for (const auto& [name, t] : inputs_)
      if (t.grad().defined()) res.emplace_back("grad.input." + name, AnyTensor(t.grad()));
    if (params_)
      for (const auto& [name, p] : params_())
        if (p.grad().defined()) res.emplace_back("grad.param." + name, AnyTensor(p.grad()));
    if (state_)
      for (const auto& [key, t] : state_()) res.emplace_back("state." + key, t);
    return res;
  }

 private:
  std::string raw(const std::string& name) const { return file_.metadata.at("opt." + name); }

  io::SafeTensors file_;
  std::vector<std::pair<std::string, Tensor<T>>> inputs_;
  std::vector<Tensor<T>> outputs_;
  std::vector<AnyTensor> other_outputs_;
  std::shared_ptr<void> module_;
  std::function<nn::StateDict()> state_;
  std::function<std::vector<std::pair<std::string, Tensor<T>>>()> params_;
};

/// name -> case; the names are the Python class ("Linear") or functional function ("F.linear").
using Registry = std::map<std::string, std::function<void(Run&)>>;
Registry& registry();

struct Register {
  Register(const char* name, std::function<void(Run&)> f) { registry().emplace(name, std::move(f)); }
};

}  // namespace parity

#define PARITY_CAT2(a, b) a##b
#define PARITY_CAT(a, b) PARITY_CAT2(a, b)
/// PARITY_CASE("Linear", r) { ... } registers a case body taking Run& r.
#define PARITY_CASE(name, r)                                                                   \
  static void PARITY_CAT(parity_case_, __LINE__)(::parity::Run&);                              \
  static ::parity::Register PARITY_CAT(parity_reg_, __LINE__)(name, PARITY_CAT(parity_case_, __LINE__)); \
  static void PARITY_CAT(parity_case_, __LINE__)(::parity::Run & r)
