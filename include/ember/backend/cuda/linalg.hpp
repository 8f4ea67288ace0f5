#pragma once
// Matrix products on cuBLAS.
#include <cstdint>

#include "ember/backend/cuda/api.hpp"
#include "ember/core/dtype.hpp"

namespace ember::cuda {

/// One operand of a batched product: `batch` row-major matrices (or their transposes, when
/// `transposed`: then element (i, j) lies at i + j * ld) spaced batch_stride elements apart.
struct GemmOperand {
  const void* data;
  bool transposed;
  std::int64_t ld;
  std::int64_t batch_stride;
};

/// Loads cuBLAS (libcublas.so.N, found beside the nvidia-cublas wheel or the toolkit) if it is not
/// loaded yet: the first product does it, so that importing ember costs nothing for CPU-only work.
/// Throws DeviceError naming the library when it cannot be loaded.
EMBER_CUDA_FN(void load_cublas())

/// c[p] = a[p] @ b[p] for p < batch: a (m, k), b (k, n), c (m, n) row-major contiguous, of `dtype`
/// (float32 or float64), on device `index`.
EMBER_CUDA_FN(void gemm(int index, DType dtype, std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
                        const GemmOperand& a, const GemmOperand& b, void* c))

}  // namespace ember::cuda
