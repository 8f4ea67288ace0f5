#pragma once
// A device-tagged buffer shared by a tensor and all its views.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "ember/backend/cuda/allocator.hpp"
#include "ember/backend/cuda/runtime.hpp"
#include "ember/core/device.hpp"
#include "ember/core/error.hpp"
#include "ember/core/host_cache.hpp"

namespace ember {

/// Owns (or borrows, with a release callback) one contiguous buffer of bytes on a device.
class Storage {
 public:
  /// Called once when the storage dies, to free memory it does not own (NumPy, DLPack).
  using Release = void (*)(void* data, void* context);

  static constexpr std::size_t kAlignment = 64;

  /// Allocates nbytes of 64-byte aligned, uninitialised memory on device (from the caching allocator
  /// on a CUDA device, and from the host block cache for large CPU tensors).
  static std::shared_ptr<Storage> allocate(std::size_t nbytes, Device device = Device::cpu()) {
    if (device.is_cuda()) {
      cuda::check_device(device.index, "cuda allocate");  // names the device, in CPU-only builds too
      void* block = cuda::allocate(nbytes, device.index);
      return wrap(block, nbytes, device, [](void* p, void* index) {
        cuda::deallocate(p, static_cast<int>(reinterpret_cast<std::intptr_t>(index)));
      }, reinterpret_cast<void*>(static_cast<std::intptr_t>(device.index)));
    }
    if (nbytes >= detail::HostBlockCache::kMinBlock) {
      auto& cache = detail::HostBlockCache::instance();
      std::size_t block_size = 0;
      void* block = cache.allocate(nbytes, &block_size);
      try {
        return wrap(block, nbytes, device, [](void* p, void* size) {
          detail::HostBlockCache::instance().release(p, reinterpret_cast<std::uintptr_t>(size));
        }, reinterpret_cast<void*>(static_cast<std::uintptr_t>(block_size)));
      } catch (...) {
        cache.release(block, block_size);
        throw;
      }
    }
    // One malloc holds the shared_ptr control block, this Storage and the bytes (see
    // TrailingBytesAllocator): a small tensor then costs one allocation from glibc's per-thread
    // cache, where aligned_alloc took the slower memalign path and a separate block for the bytes.
    void* data = nullptr;
    auto s = std::allocate_shared<Storage>(TrailingBytesAllocator<Storage>{nbytes, &data}, nullptr, nbytes, device,
                                           nullptr, nullptr);
    s->data_ = data;
    return s;
  }

  /// Wraps memory owned elsewhere; release(data, context) runs when the last view dies.
  static std::shared_ptr<Storage> wrap(void* data, std::size_t nbytes, Device device, Release release,
                                       void* context) {
    return std::make_shared<Storage>(data, nbytes, device, release, context);
  }

  Storage(void* data, std::size_t nbytes, Device device, Release release, void* context)
      : data_(data), nbytes_(nbytes), device_(device), release_(release), context_(context) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (release_) release_(data_, context_);
  }

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  /// Counts in-place writes (shared by every view), so that autograd can detect a saved tensor
  /// that changed before backward.
  std::uint64_t version() const { return version_; }
  void bump_version() { ++version_; }
  /// Whether a view of this memory was recorded by autograd: an in-place op that rewrites a tensor's
  /// history (add_ on a non-leaf) is then refused, since the views' gradients would go stale.
  bool has_autograd_views() const { return autograd_views_; }
  void mark_autograd_view() { autograd_views_ = true; }

 private:
  // An allocator for std::allocate_shared that appends `extra` bytes, kAlignment-aligned, to the one
  // block it allocates (the control block holding the Storage) and writes their address to *at.
  // Rebound copies share the state; `at` is only read inside allocate_shared's single allocation.
  template <class T>
  struct TrailingBytesAllocator {
    using value_type = T;
    std::size_t extra;
    void** at;

    TrailingBytesAllocator(std::size_t e, void** a) : extra(e), at(a) {}
    template <class U>
    TrailingBytesAllocator(const TrailingBytesAllocator<U>& o) : extra(o.extra), at(o.at) {}  // NOLINT

    T* allocate(std::size_t n) {
      const std::size_t head = n * sizeof(T);
      char* p = static_cast<char*>(std::malloc(head + kAlignment - 1 + extra));
      if (!p) throw std::bad_alloc();
      const auto bytes = (reinterpret_cast<std::uintptr_t>(p) + head + kAlignment - 1) & ~(kAlignment - 1);
      *at = reinterpret_cast<void*>(bytes);
      // The padding on either side of the tensor's bytes: ASan then sees their ends (no-ops without ASan).
      detail::asan_poison(p + head, bytes - reinterpret_cast<std::uintptr_t>(p + head));
      detail::asan_poison(reinterpret_cast<char*>(bytes) + extra,
                          reinterpret_cast<std::uintptr_t>(p + head + kAlignment - 1 + extra) - bytes - extra);
      return reinterpret_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t) { std::free(p); }
    template <class U>
    bool operator==(const TrailingBytesAllocator<U>&) const { return true; }
  };

  void* data_;
  std::size_t nbytes_;
  Device device_;
  Release release_;
  void* context_;
  std::uint64_t version_ = 0;
  bool autograd_views_ = false;
};

}  // namespace ember
