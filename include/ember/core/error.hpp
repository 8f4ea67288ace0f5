#pragma once
// One error format for every user-facing check: "[op] what is wrong, with the values".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember {

/// A dtype that an op does not accept (Python TypeError).
class TypeError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Operands on different devices, or a device that does not exist (Python RuntimeError).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Misuse of autograd: a second backward through a freed graph, a saved tensor modified in place,
/// backward on a tensor that does not require grad (Python RuntimeError).
class AutogradError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A device allocation that failed even after the allocator released its cached blocks (Python
/// ember.cuda.OutOfMemoryError, a MemoryError); the allocator stays usable.
class OutOfMemoryError : public DeviceError {
 public:
  OutOfMemoryError(const std::string& what, std::size_t requested, std::size_t free)
      : DeviceError(what), requested_(requested), free_(free) {}
  /// Bytes the failed allocation asked for.
  std::size_t requested() const { return requested_; }
  /// Bytes the device reported free after the retry.
  std::size_t free() const { return free_; }

 private:
  std::size_t requested_, free_;
};

namespace detail {

template <class E, class... Args>
[[noreturn]] void fail(const char* op, const Args&... args) {
  std::ostringstream os;
  os << '[' << op << "] ";
  (os << ... << args);
  throw E(os.str());
}

/// Up to five distinct values of `values` that fail ok, sorted and comma-separated ("7, 9, ..." past five).
template <class R, class F>
std::string bad_values(const R& values, F&& ok) {
  std::vector<std::int64_t> bad;
  for (auto x : values)
    if (!ok(static_cast<std::int64_t>(x))) bad.push_back(static_cast<std::int64_t>(x));
  std::sort(bad.begin(), bad.end());
  bad.erase(std::unique(bad.begin(), bad.end()), bad.end());
  std::ostringstream os;
  for (std::size_t i = 0; i < bad.size() && i < 5; ++i) os << (i ? ", " : "") << bad[i];
  if (bad.size() > 5) os << ", ...";
  return os.str();
}

}  // namespace detail

}  // namespace ember

/// Throws std::invalid_argument (Python ValueError) unless cond holds.
#define EMBER_CHECK(cond, op, ...) \
  do { if (!(cond)) [[unlikely]] ::ember::detail::fail<std::invalid_argument>(op, __VA_ARGS__); } while (0)
/// Throws std::out_of_range (Python IndexError) unless cond holds.
#define EMBER_CHECK_INDEX(cond, op, ...) \
  do { if (!(cond)) [[unlikely]] ::ember::detail::fail<std::out_of_range>(op, __VA_ARGS__); } while (0)
/// Throws ember::TypeError (Python TypeError) unless cond holds.
#define EMBER_CHECK_TYPE(cond, op, ...) \
  do { if (!(cond)) [[unlikely]] ::ember::detail::fail<::ember::TypeError>(op, __VA_ARGS__); } while (0)
/// Throws ember::DeviceError (Python RuntimeError) unless cond holds.
#define EMBER_CHECK_DEVICE(cond, op, ...) \
  do { if (!(cond)) [[unlikely]] ::ember::detail::fail<::ember::DeviceError>(op, __VA_ARGS__); } while (0)
/// Throws ember::AutogradError (Python RuntimeError) unless cond holds.
#define EMBER_CHECK_AUTOGRAD(cond, op, ...) \
  do { if (!(cond)) [[unlikely]] ::ember::detail::fail<::ember::AutogradError>(op, __VA_ARGS__); } while (0)
