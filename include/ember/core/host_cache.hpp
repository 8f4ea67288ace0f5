#pragma once
// Host memory for large tensors, kept for reuse when they die.
//
// A fresh multi-megabyte buffer comes from mmap, and its first write page-faults every 4 KiB page:
// a 64 MiB elementwise result spent ~70 % of its time in the kernel zeroing pages, and a training
// step re-faults the same activations every iteration. Freed blocks of at least kMinBlock bytes are
// therefore cached (up to kCapacity bytes in all, the least recently cached evicted first) and handed
// to the next request of about the same size; smaller ones stay with malloc, whose own free lists
// already serve them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "ember/core/sanitizer.hpp"

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
        void* p = it->second.p;
        cached_ -= it->first;
        free_.erase(it);
        asan_unpoison(p, nbytes);  // the rest of the block stays poisoned: past the tensor's end
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
    asan_poison(static_cast<char*>(p) + nbytes, size - nbytes);
    return p;
  }

  /// Takes back a block from allocate(): cached, after freeing the least recently cached blocks when
  /// the cache is full (so that sizes no longer asked for make room for current ones).
  void release(void* p, std::size_t block_size) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (block_size > kCapacity) {
        evicted.push_back(p);
      } else {
        while (cached_ + block_size > kCapacity) {  // at most kCapacity / kMinBlock blocks to scan
          auto oldest = free_.begin();
          for (auto it = free_.begin(); it != free_.end(); ++it)
            if (it->second.order < oldest->second.order) oldest = it;
          cached_ -= oldest->first;
          evicted.push_back(oldest->second.p);
          free_.erase(oldest);
        }
        asan_poison(p, block_size);  // a cached block is dead memory until allocate() hands it out again
        free_.emplace(block_size, Cached{p, next_order_++});
        cached_ += block_size;
      }
    }
    for (void* q : evicted) std::free(q);  // free() ignores poisoning: ASan's allocator owns the block again
  }

  /// Frees every cached block.
  void clear() {
    std::multimap<std::size_t, Cached> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks.swap(free_);
      cached_ = 0;
    }
    for (auto& [size, block] : blocks) std::free(block.p);
  }

  /// Bytes held in cached (unused) blocks.
  std::size_t cached_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  HostBlockCache() = default;
  mutable std::mutex mutex_;
  struct Cached {
    void* p;
    std::uint64_t order;  // when it was cached
  };
  std::multimap<std::size_t, Cached> free_;  // block size -> block
  std::size_t cached_ = 0;
  std::uint64_t next_order_ = 0;
};

}  // namespace ember::detail
