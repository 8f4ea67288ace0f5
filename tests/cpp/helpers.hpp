#pragma once
// Shared by the C++ tests.
#include <exception>
#include <string>

namespace ember::testing {

/// The message of the exception of type E that f throws, or "<no exception>".
template <class E = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace ember::testing
