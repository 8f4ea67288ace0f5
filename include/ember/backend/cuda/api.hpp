#pragma once
// How the CUDA backend's declarations reach the core: plain C++ (no CUDA header), defined in the
// ember_cuda library when ember is built with CUDA, else inline functions that throw the reason.
#include "ember/core/error.hpp"

namespace ember::cuda::detail {

/// Why a build without CUDA has none (also ember::cuda::unavailable_reason() there).
inline constexpr const char* kNotBuilt =
    "ember was built without CUDA support (EMBER_WITH_CUDA off, or no CUDA toolkit at build time; the binary "
    "wheel is CPU-only)";

/// Throws the DeviceError of a build without CUDA.
[[noreturn]] inline void not_built() { throw DeviceError(std::string("[cuda] ") + kNotBuilt); }

}  // namespace ember::cuda::detail

#if defined(EMBER_WITH_CUDA) && EMBER_WITH_CUDA
/// Declares a backend function that the ember_cuda library defines.
#define EMBER_CUDA_FN(...) __VA_ARGS__;
#else
/// Defines a backend function of a CPU-only build: it throws "built without CUDA support".
#define EMBER_CUDA_FN(...) \
  [[noreturn]] inline __VA_ARGS__ { ::ember::cuda::detail::not_built(); }
#endif
