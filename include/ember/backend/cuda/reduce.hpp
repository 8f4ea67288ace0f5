#pragma once
// Reduction kernels: sums (and means) over any set of dims, accumulated in float64.
#include <cstdint>

#include "ember/backend/cuda/api.hpp"
#include "ember/backend/cuda/strided.hpp"

namespace ember::cuda {

/// out[k] = scale * sum of x over the dims set in `mask`, for x of `shape` (float32 or float64); out is
/// contiguous with x's shape where reduced dims have extent 1, and of x's dtype.
EMBER_CUDA_FN(void sum(int index, const Shape& shape, const Strided& x, std::uint64_t mask, void* out, double scale))

}  // namespace ember::cuda
