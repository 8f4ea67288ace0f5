#pragma once
// Where a tensor's memory lives: a runtime value, because CUDA is discovered at run time.
#include <cstdint>
#include <ostream>
#include <string>

#include "ember/core/error.hpp"

namespace ember {

/// A device: the CPU, or CUDA device `index`.
struct Device {
  enum class Type : std::uint8_t { CPU, CUDA };
  Type type = Type::CPU;
  int index = 0;

  static constexpr Device cpu() { return {Type::CPU, 0}; }
  static constexpr Device cuda(int index = 0) { return {Type::CUDA, index}; }
  bool is_cpu() const { return type == Type::CPU; }
  bool is_cuda() const { return type == Type::CUDA; }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
  friend bool operator==(const Device&, const Device&) = default;

  /// Parses "cpu", "cpu:0", "cuda", "cuda:1".
  static Device parse(const std::string& s) {
    if (s == "cpu" || s == "cpu:0") return cpu();
    if (s == "cuda") return cuda(0);
    // at most 9 digits: an index that fits int (no device has more)
    if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.size() <= 14 &&
        s.find_first_not_of("0123456789", 5) == std::string::npos)
      return cuda(std::stoi(s.substr(5)));
    detail::fail<std::invalid_argument>("device", "unknown device '", s,
                                        "': expected 'cpu', 'cuda' or 'cuda:N'");
  }
};

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace ember
