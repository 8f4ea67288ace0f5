// The caching device allocator and host/device copies (see ember/backend/cuda/allocator.hpp).
// Every kernel and copy runs on the device's default stream, so a freed block can be handed out again
// at once: work that used it is queued before any work of its next owner.
#include <iomanip>
#include <map>
#include <sstream>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common.cuh"
#include "ember/backend/cuda/allocator.hpp"
#include "ember/backend/cuda/runtime.hpp"

namespace ember::cuda {

namespace {

// Small blocks round to 512 bytes, large ones (>= 1 MiB) to 2 MiB, so that similar requests share
// a size class.
std::size_t round_size(std::size_t n) {
  constexpr std::size_t kSmall = 512, kLarge = 2u << 20, kLargeFrom = 1u << 20;
  if (n == 0) n = 1;
  const std::size_t unit = n < kLargeFrom ? kSmall : kLarge;
  return (n + unit - 1) / unit * unit;
}

struct DeviceCache {
  std::map<std::size_t, std::vector<void*>> free_blocks;  // size class -> cached blocks
  std::unordered_map<void*, std::size_t> live;            // block -> size class
  std::size_t allocated = 0, reserved = 0;
};

class CachingAllocator {
 public:
  void* allocate(std::size_t nbytes, int index) {
    check_device(index, "cuda allocate");
    const std::size_t size = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    DeviceCache& dc = caches_[index];
    void* p = nullptr;
    if (auto it = dc.free_blocks.find(size); it != dc.free_blocks.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    } else {
      detail::DeviceGuard guard(index);
      if (cudaMalloc(&p, size) != cudaSuccess) {
        cudaGetLastError();
        release_cached(index, dc);  // retry with the cache given back to the driver
        if (cudaMalloc(&p, size) != cudaSuccess) {
          cudaGetLastError();
          std::size_t free = 0, total = 0;
          cudaMemGetInfo(&free, &total);
          std::ostringstream msg;
          msg << "[cuda] out of memory on cuda:" << index << ": tried to allocate " << nbytes << " bytes ("
              << format_bytes(nbytes) << "); " << format_bytes(free) << " free of " << format_bytes(total)
              << ", " << format_bytes(dc.allocated) << " allocated by ember";
          throw OutOfMemoryError(msg.str(), nbytes, free);
        }
      }
      dc.reserved += size;
    }
    dc.live.emplace(p, size);
    dc.allocated += size;
    return p;
  }

  void deallocate(void* p, int index) {
    std::lock_guard<std::mutex> lock(mutex_);
    DeviceCache& dc = caches_[index];
    auto it = dc.live.find(p);
    if (it == dc.live.end()) return;
    dc.allocated -= it->second;
    dc.free_blocks[it->second].push_back(p);
    dc.live.erase(it);
  }

  std::size_t allocated(int index) {
    std::lock_guard<std::mutex> lock(mutex_);
    return caches_[index].allocated;
  }
  std::size_t reserved(int index) {
    std::lock_guard<std::mutex> lock(mutex_);
    return caches_[index].reserved;
  }
  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [index, dc] : caches_) release_cached(index, dc);
  }

 private:
  static std::string format_bytes(std::size_t n) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(2);
    if (n >= (std::size_t{1} << 30)) os << static_cast<double>(n) / (1 << 30) << " GiB";
    else os << static_cast<double>(n) / (1 << 20) << " MiB";
    return os.str();
  }
  static void release_cached(int index, DeviceCache& dc) {
    detail::DeviceGuard guard(index);
    cudaDeviceSynchronize();  // a cached block may still be read by queued work of its last owner
    for (auto& [size, blocks] : dc.free_blocks) {
      for (void* p : blocks) {
        cudaFree(p);
        dc.reserved -= size;
      }
      blocks.clear();
    }
  }

  std::mutex mutex_;
  std::unordered_map<int, DeviceCache> caches_;
};

// Never destroyed: tensors that outlive main() may still give their blocks back.
CachingAllocator& allocator() {
  static auto* a = new CachingAllocator();
  return *a;
}

}  // namespace

void* allocate(std::size_t nbytes, int index) { return allocator().allocate(nbytes, index); }
void deallocate(void* ptr, int index) { allocator().deallocate(ptr, index); }
std::size_t memory_allocated(int index) { return allocator().allocated(index); }
std::size_t memory_reserved(int index) { return allocator().reserved(index); }
void empty_cache() { allocator().empty_cache(); }

void copy_to_device(void* dst, const void* src, std::size_t nbytes, int index) {
  if (nbytes == 0) return;
  detail::DeviceGuard guard(index);
  detail::check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, cudaStreamLegacy), "to");
}

void copy_to_host(void* dst, const void* src, std::size_t nbytes, int index) {
  if (nbytes == 0) return;
  detail::DeviceGuard guard(index);
  detail::check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, cudaStreamLegacy), "to");
  detail::check(cudaStreamSynchronize(cudaStreamLegacy), "to");
}

void copy_between_devices(void* dst, int dst_index, const void* src, int src_index, std::size_t nbytes) {
  if (nbytes == 0) return;
  detail::DeviceGuard guard(dst_index);
  if (dst_index == src_index)
    detail::check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, cudaStreamLegacy), "to");
  else
    detail::check(cudaMemcpyPeerAsync(dst, dst_index, src, src_index, nbytes, cudaStreamLegacy), "to");
}

}  // namespace ember::cuda
