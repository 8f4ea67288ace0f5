#pragma once
// How the CUDA backend's declarations reach the core: plain C++ (no CUDA header), defined in the
// ember_cuda library when ember is built with CUDA, else inline functions that throw the reason.
#include "ember/core/error.hpp"

namespace ember::cuda::detail {

/// Throws the DeviceError of a build without CUDA.
[[noreturn]] inline void not_built() {
  throw DeviceError("[cuda] ember was built without CUDA support (no CUDA toolkit found at build time)");
}

}  // namespace ember::cuda::detail

#if defined(EMBER_WITH_CUDA) && EMBER_WITH_CUDA
/// Declares a backend function that the ember_cuda library defines.
#define EMBER_CUDA_FN(...) __VA_ARGS__;
#else
/// Defines a backend function of a CPU-only build: it throws "built without CUDA support".
#define EMBER_CUDA_FN(...) \
  [[noreturn]] inline __VA_ARGS__ { ::ember::cuda::detail::not_built(); }
#endif
