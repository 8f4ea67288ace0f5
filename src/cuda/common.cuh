#pragma once
// Shared by the CUDA sources: error checks, the device guard, strided indexing and launch sizes.
#include <cuda_runtime.h>

#include <array>
#include <cstdint>

#include "ember/backend/cuda/strided.hpp"
#include "ember/core/error.hpp"

namespace ember::cuda::detail {

/// Throws DeviceError "[op] <CUDA's message>" when status is an error.
inline void check(cudaError_t status, const char* op) {
  if (status != cudaSuccess) [[unlikely]]
    ember::detail::fail<DeviceError>(op, cudaGetErrorName(status), ": ", cudaGetErrorString(status));
}

/// Makes device `index` current for the scope.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    check(cudaGetDevice(&previous_), "cuda");
    if (previous_ != index) check(cudaSetDevice(index), "cuda");
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  ~DeviceGuard() {
    int now = previous_;
    cudaGetDevice(&now);
    if (now != previous_) cudaSetDevice(previous_);
  }

 private:
  int previous_ = 0;
};

/// Element offsets of N operands for a linear index over a shape whose dims were merged (innermost
/// first): contiguous launches skip it.
template <int N>
struct Indexer {
  int nd = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[N][kMaxDims] = {};

  __device__ void offsets(std::int64_t i, std::int64_t (&off)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = 0; d < nd; ++d) {
      const std::int64_t c = i % sizes[d];
      i /= sizes[d];
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += c * strides[k][d];
    }
  }
};

/// The indexer of `shape` over the operands' element strides: dims of extent 1 dropped, neighbours
/// that are contiguous for every operand merged; `contiguous` is set when every operand is one plain run.
template <int N>
Indexer<N> make_indexer(const Shape& shape, const std::array<const Shape*, N>& strides, bool& contiguous,
                        const char* op) {
  Indexer<N> ix;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 1) continue;
    bool merge = ix.nd > 0;
    for (int k = 0; merge && k < N; ++k)
      merge = (*strides[k])[d] == ix.strides[k][ix.nd - 1] * ix.sizes[ix.nd - 1];
    if (merge) {
      ix.sizes[ix.nd - 1] *= shape[d];
      continue;
    }
    EMBER_CHECK(ix.nd < kMaxDims, op, "CUDA kernels index at most ", kMaxDims,
                " dims that cannot be merged, got shape ", shape);
    ix.sizes[ix.nd] = shape[d];
    for (int k = 0; k < N; ++k) ix.strides[k][ix.nd] = (*strides[k])[d];
    ++ix.nd;
  }
  contiguous = ix.nd == 0;
  if (ix.nd == 1) {
    contiguous = true;
    for (int k = 0; k < N; ++k) contiguous = contiguous && ix.strides[k][0] == 1;
  }
  return ix;
}

inline constexpr int kThreads = 256;

/// Blocks of kThreads that cover n elements with a grid-stride loop (capped; the loop does the rest).
inline unsigned blocks_for(std::int64_t n) {
  const std::int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 * 8 ? b : 65535 * 8);
}

/// Throws the launch error of the last kernel, if any.
inline void check_launch(const char* op) { check(cudaGetLastError(), op); }

// Calls f(offsets) for each of n elements; offsets are element offsets of the N operands.
template <int N, bool kContiguous, class F>
__global__ void for_each_kernel(std::int64_t n, Indexer<N> ix, F f) {
  const std::int64_t step = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    std::int64_t off[N];
    if constexpr (kContiguous) {
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = i;
    } else {
      ix.offsets(i, off);
    }
    f(off);
  }
}

/// Runs f(offsets) over every element of `shape` for N operands with the given element strides, on
/// the current device's default stream.
template <int N, class F>
void for_each(const char* op, const Shape& shape, const std::array<const Shape*, N>& strides, F f) {
  const std::int64_t n = numel_of(shape);
  if (n == 0) return;
  bool contiguous = false;
  const Indexer<N> ix = make_indexer<N>(shape, strides, contiguous, op);
  if (contiguous) for_each_kernel<N, true><<<blocks_for(n), kThreads>>>(n, ix, f);
  else for_each_kernel<N, false><<<blocks_for(n), kThreads>>>(n, ix, f);
  check_launch(op);
}

/// Calls f(T{}) with T the C++ type of dtype d.
template <class F>
void visit_dtype(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(bool{});
    case DType::UInt8: return f(std::uint8_t{});
    case DType::Int32: return f(std::int32_t{});
    case DType::Int64: return f(std::int64_t{});
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    default: break;
  }
  ember::detail::fail<TypeError>("cuda", "no CUDA kernels for ", dtype_name(d), " tensors yet");
}

/// Calls f(T{}) for float32 and float64; TypeError naming op for other dtypes.
template <class F>
void visit_float(DType d, const char* op, F&& f) {
  if (d == DType::Float32) return f(float{});
  if (d == DType::Float64) return f(double{});
  ember::detail::fail<TypeError>(op, "not implemented on cuda for ", dtype_name(d), " yet");
}

}  // namespace ember::cuda::detail
