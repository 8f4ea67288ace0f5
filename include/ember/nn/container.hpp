#pragma once
// ModuleList<T> and ModuleDict<T>: submodules held by index or by key, registered under "0", "1", ... or
// under their keys (as torch.nn.ModuleList / ModuleDict), so that state_dict names match the Python
// model. Neither has a forward: the module that owns one calls its members.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/nn/module.hpp"

namespace ember::nn {

namespace detail {

/// The module (shared with the caller, or moved / copied into a new shared_ptr) as a shared_ptr.
template <FloatElement T, class M>
auto shared_module(M&& module) {
  using D = std::decay_t<M>;
  if constexpr (requires { typename D::element_type; }) {
    static_assert(std::is_base_of_v<Module<T>, typename D::element_type>,
                  "a container of Module<T> holds layers of the same element type");
    return D(std::forward<M>(module));
  } else {
    static_assert(std::is_base_of_v<Module<T>, D>, "a container of Module<T> holds layers of the same element type");
    return std::make_shared<D>(std::forward<M>(module));
  }
}

}  // namespace detail

/// Modules by position: `ModuleList<float> blocks; blocks.push_back(Linear<float>(4, 4));` registers "0", ...
template <FloatElement T = float>
class ModuleList : public Module<T> {
 public:
  ModuleList() : Module<T>("ModuleList") {}

  /// Appends a module (a shared_ptr, or a layer moved / copied in) under the next index; returns it.
  template <class M>
  auto& push_back(M&& module) {
    auto shared = detail::shared_module<T>(std::forward<M>(module));
    this->register_module(std::to_string(modules_.size()), shared);
    modules_.push_back(shared);
    return *shared;
  }

  std::size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  /// Module i (IndexError past the end).
  Module<T>& operator[](std::size_t i) const {
    EMBER_CHECK_INDEX(i < modules_.size(), "ModuleList", "index ", i, " is out of range for ", modules_.size(),
                      " modules");
    return *modules_[i];
  }
  /// Module i as layer type M (TypeError when it is another type).
  template <class M>
  M& at(std::size_t i) const {
    auto* p = dynamic_cast<M*>(&(*this)[i]);
    EMBER_CHECK_TYPE(p != nullptr, "ModuleList", "module ", i, " is a ", (*this)[i].type_name(),
                     ", not the type asked for");
    return *p;
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module<T>>> modules_;
};

/// Modules by key, in insertion order: `ModuleDict<float> heads; heads.insert("cls", Linear<float>(8, 3));`.
template <FloatElement T = float>
class ModuleDict : public Module<T> {
 public:
  ModuleDict() : Module<T>("ModuleDict") {}

  /// Adds a module under key (a key already taken is an error, as any repeated name); returns it.
  template <class M>
  auto& insert(const std::string& key, M&& module) {
    auto shared = detail::shared_module<T>(std::forward<M>(module));
    this->register_module(key, shared);
    index_.emplace(key, shared);
    keys_.push_back(key);
    return *shared;
  }

  std::size_t size() const { return keys_.size(); }
  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  /// The keys in insertion order.
  const std::vector<std::string>& keys() const { return keys_; }
  /// The module under key (KeyError-like std::out_of_range when there is none).
  Module<T>& operator[](const std::string& key) const {
    auto it = index_.find(key);
    EMBER_CHECK_INDEX(it != index_.end(), "ModuleDict", "no module under key '", key, "'");
    return *it->second;
  }
  /// The module under key as layer type M (TypeError when it is another type).
  template <class M>
  M& at(const std::string& key) const {
    auto* p = dynamic_cast<M*>(&(*this)[key]);
    EMBER_CHECK_TYPE(p != nullptr, "ModuleDict", "module '", key, "' is a ", (*this)[key].type_name(),
                     ", not the type asked for");
    return *p;
  }

 private:
  std::map<std::string, std::shared_ptr<Module<T>>> index_;
  std::vector<std::string> keys_;
};

}  // namespace ember::nn
