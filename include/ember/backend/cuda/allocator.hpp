#pragma once
// The caching device allocator and the copies between host and devices. Freed blocks go back to a
// per-device cache keyed by their rounded size and are reused before asking the driver for more;
// an allocation that fails releases the cache and retries before throwing OutOfMemoryError.
#include <cstddef>

#include "ember/backend/cuda/api.hpp"

namespace ember::cuda {

/// nbytes (rounded up to the allocator's block size) of memory on device `index`.
EMBER_CUDA_FN(void* allocate(std::size_t nbytes, int index))
/// Returns a block from allocate() to the cache of device `index` (the driver keeps it reserved).
EMBER_CUDA_FN(void deallocate(void* ptr, int index))
/// Bytes held by live allocations on device `index`.
EMBER_CUDA_FN(std::size_t memory_allocated(int index))
/// Bytes obtained from the driver on device `index` (live blocks and the cache).
EMBER_CUDA_FN(std::size_t memory_reserved(int index))
/// Gives the cached (unused) blocks of every device back to the driver.
EMBER_CUDA_FN(void empty_cache())

/// Copies nbytes from host memory to device `index`, queued on its default stream.
EMBER_CUDA_FN(void copy_to_device(void* dst, const void* src, std::size_t nbytes, int index))
/// Copies nbytes from device `index` to host memory, waiting for the device's queued work first.
EMBER_CUDA_FN(void copy_to_host(void* dst, const void* src, std::size_t nbytes, int index))
/// Copies nbytes between device buffers (dst on dst_index, src on src_index).
EMBER_CUDA_FN(void copy_between_devices(void* dst, int dst_index, const void* src, int src_index,
                                        std::size_t nbytes))

}  // namespace ember::cuda
