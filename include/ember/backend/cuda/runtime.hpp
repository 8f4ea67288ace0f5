#pragma once
// CUDA devices: how many there are (and why none), the current device, synchronisation. Kernels run
// asynchronously on each device's default stream; copies to the host synchronise.
#include <string>

#include "ember/backend/cuda/api.hpp"

namespace ember::cuda {

#if defined(EMBER_WITH_CUDA) && EMBER_WITH_CUDA
/// Whether this build has the CUDA backend (it may still find no device at run time).
inline constexpr bool kBuilt = true;
/// Number of usable CUDA devices (0 without a driver or a device).
int device_count();
/// Why no CUDA device can be used ("" when one can): no toolkit at build time, no driver, no device.
std::string unavailable_reason();
#else
inline constexpr bool kBuilt = false;
inline int device_count() { return 0; }
inline std::string unavailable_reason() { return detail::kNotBuilt; }
#endif

/// The device that kernels and allocations use when none is named.
EMBER_CUDA_FN(int current_device())
/// Makes `index` the current device (DeviceError when it does not exist).
EMBER_CUDA_FN(void set_device(int index))
/// Waits until every kernel and copy queued on device `index` has finished.
EMBER_CUDA_FN(void synchronize(int index))

/// Throws DeviceError, with the reason, unless CUDA device `index` exists.
inline void check_device(int index, const char* op) {
  const int n = device_count();
  if (n == 0) ember::detail::fail<DeviceError>(op, "cuda:", index, " is not available: ", unavailable_reason());
  EMBER_CHECK_DEVICE(index >= 0 && index < n, op, "cuda:", index, " does not exist: this machine has ", n,
                     " CUDA device", n == 1 ? "" : "s");
}

}  // namespace ember::cuda
