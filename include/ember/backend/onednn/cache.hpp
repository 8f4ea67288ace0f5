#pragma once
// ember's primitive cache: a hash map from a compact key (op, shapes, strides, dtypes, attributes)
// to a ready primitive. oneDNN's own global cache costs microseconds per hit; this costs tens of
// nanoseconds, and creating a primitive per call is a bug that the hit counters expose.
#include <omp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>

#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"

namespace ember::detail::onednn {

/// A fixed-capacity list of integers identifying one primitive configuration.
struct Key {
  static constexpr std::size_t kCapacity = 96;
  std::array<std::int64_t, kCapacity> v;
  std::size_t n = 0;

  Key& add(std::int64_t x) {
    EMBER_CHECK(n < kCapacity, "primitive cache", "key too long");
    v[n++] = x;
    return *this;
  }
  Key& add(const Shape& s) {
    add(static_cast<std::int64_t>(s.size()));
    for (auto x : s) add(x);
    return *this;
  }
  friend bool operator==(const Key& a, const Key& b) {
    return a.n == b.n && std::memcmp(a.v.data(), b.v.data(), a.n * sizeof(std::int64_t)) == 0;
  }
};

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ULL ^ k.n;
    for (std::size_t i = 0; i < k.n; ++i) h = (h ^ static_cast<std::uint64_t>(k.v[i])) * 1099511628211ULL;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

/// Counters shared by every cache, for tests and benchmarks.
struct CacheStats {
  std::atomic<std::int64_t> hits{0};
  std::atomic<std::int64_t> misses{0};
};

inline CacheStats& cache_stats() {
  static CacheStats s;
  return s;
}

/// An LRU map from Key to a primitive (or a struct holding one); thread-safe. The calling thread's
/// OpenMP thread count is part of every key: oneDNN sizes a primitive's work split for the threads
/// it was created with and forks that many when it runs, whatever the caller asks for then.
template <class Value>
class PrimitiveCache {
 public:
  explicit PrimitiveCache(std::size_t capacity = 1024) : capacity_(capacity) {}

  /// The value cached for key, made by make() on a miss.
  template <class Make>
  Value get(Key key, Make&& make) {
    key.add(omp_get_max_threads());
    {
      std::lock_guard lock(mutex_);
      if (auto it = map_.find(key); it != map_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        cache_stats().hits.fetch_add(1, std::memory_order_relaxed);
        return it->second->second;
      }
    }
    Value value = make();  // outside the lock: creating a primitive can take milliseconds
    cache_stats().misses.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (map_.find(key) == map_.end()) {
      lru_.emplace_front(key, value);
      map_.emplace(key, lru_.begin());
      if (map_.size() > capacity_) {
        map_.erase(lru_.back().first);
        lru_.pop_back();
      }
    }
    return value;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return map_.size();
  }

 private:
  using Entry = std::pair<Key, Value>;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;
  std::unordered_map<Key, typename std::list<Entry>::iterator, KeyHash> map_;
};

}  // namespace ember::detail::onednn
