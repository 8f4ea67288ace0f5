#pragma once
// Device copies with dtype conversion, and fills.
#include "ember/backend/cuda/api.hpp"
#include "ember/backend/cuda/strided.hpp"

namespace ember::cuda {

/// dst[i] = src[i] converted to dst's dtype over `shape` (both on device `index`; src broadcast by
/// stride 0 where needed).
EMBER_CUDA_FN(void copy(int index, const Shape& shape, const Strided& dst, const Strided& src))
/// Sets every element of dst (over `shape`) to *value, a host pointer to one element of dst's dtype.
EMBER_CUDA_FN(void fill(int index, const Shape& shape, const Strided& dst, const void* value))

}  // namespace ember::cuda
