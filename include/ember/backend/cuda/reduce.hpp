#pragma once
// Reduction kernels: sums (and means), maxima and minima over any set of dims, accumulated in float64.
#include <cstdint>

#include "ember/backend/cuda/api.hpp"
#include "ember/backend/cuda/strided.hpp"

namespace ember::cuda {

/// How a reduction combines elements: Max and Min propagate NaN.
enum class ReduceOp { Sum, Max, Min };

/// out[k] = scale * op over the elements of x in the dims set in `mask`, for x of `shape` (float32 or
/// float64); out is contiguous with x's shape where reduced dims have extent 1, and of x's dtype.
EMBER_CUDA_FN(void reduce(int index, ReduceOp op, const Shape& shape, const Strided& x, std::uint64_t mask, void* out,
                          double scale))

}  // namespace ember::cuda
