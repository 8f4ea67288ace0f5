#pragma once
// Host memory for large tensors, kept for reuse when they die.
//
// A fresh multi-megabyte buffer comes from mmap, and its first write page-faults every 4 KiB page:
// a 64 MiB elementwise result spent ~70 % of its time in the kernel zeroing pages, and a training
// step re-faults the same activations every iteration. Freed blocks of at least kMinBlock bytes are
// therefore cached (up to kCapacity bytes in all) and handed to the next request of about the same
// size; smaller ones stay with malloc, whose own free lists already serve them.
#include <cstddef>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

namespace ember::detail {

class HostBlockCache {
 public:
  static constexpr std::size_t kMinBlock = std::size_t{1} << 20;
  static constexpr std::size_t kCapacity = std::size_t{256} << 20;
  static constexpr std::size_t kGranule = std::size_t{64} << 10;

  /// The process's cache; never destroyed, since tensors may outlive static destruction.
  static HostBlockCache& instance() {
    static auto* cache = new HostBlockCache;
    return *cache;
  }

  /// A 64-byte aligned block of at least nbytes (>= kMinBlock); its size goes to *block_size, to be
  /// passed back to release().
  void* allocate(std::size_t nbytes, std::size_t* block_size) {
    const std::size_t size = (nbytes + kGranule - 1) / kGranule * kGranule;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A cached block at most a quarter larger than asked for.
      if (auto it = free_.lower_bound(size); it != free_.end() && it->first <= size + size / 4) {
        *block_size = it->first;
        void* p = it->second;
        cached_ -= it->first;
        free_.erase(it);
        return p;
      }
    }
    void* p = std::aligned_alloc(64, size);
    if (!p) {  // the cached blocks may be what is missing
      clear();
      p = std::aligned_alloc(64, size);
      if (!p) throw std::bad_alloc();
    }
    *block_size = size;
    return p;
  }

  /// Takes back a block from allocate(): cached while the cache has room, freed otherwise.
  void release(void* p, std::size_t block_size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + block_size <= kCapacity) {
        free_.emplace(block_size, p);
        cached_ += block_size;
        return;
      }
    }
    std::free(p);
  }

  /// Frees every cached block.
  void clear() {
    std::multimap<std::size_t, void*> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks.swap(free_);
      cached_ = 0;
    }
    for (auto& [size, p] : blocks) std::free(p);
  }

  /// Bytes held in cached (unused) blocks.
  std::size_t cached_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  HostBlockCache() = default;
  mutable std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;  // block size -> block
  std::size_t cached_ = 0;
};

}  // namespace ember::detail
