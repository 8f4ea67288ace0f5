#pragma once
// The oneDNN CPU engine and per-thread stream, and conversions from ember's types to oneDNN's.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <initializer_list>
#include <new>
#include <unordered_map>

#include "ember/core/dtype.hpp"
#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"

namespace ember::detail::onednn {

/// Below this many elements an elementwise or reduction op runs ember's own loop: a oneDNN primitive
/// call costs a few microseconds of fixed overhead, more than the work itself.
inline constexpr std::int64_t kMinElements = 1 << 15;

/// The process-wide CPU engine.
inline dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

/// A stream per thread (oneDNN streams are not meant to be shared between threads).
inline dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

// Cached primitives run with scratchpad_mode::user and this thread's scratchpad: with oneDNN's
// library-managed scratchpad, threads executing primitives at once share one buffer (wrong results
// or crashes in concurrent matmuls and convolutions).
/// A per-thread buffer (slot `which`: 0 scratchpad, 1 to 3 reordered operands) of at least
/// nbytes, grown as needed and never shrunk.
inline void* thread_buffer(int which, std::size_t nbytes) {
  struct Buffer {
    void* p = nullptr;
    std::size_t n = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buffers[4];
  Buffer& b = buffers[which];
  const std::size_t need = (nbytes + 63) / 64 * 64;
  if (need > b.n) {
    std::free(b.p);
    b.p = std::aligned_alloc(64, need);
    b.n = b.p ? need : 0;
    if (!b.p) throw std::bad_alloc();
  }
  return b.p;
}

/// One argument of a primitive execution: data at p described by *md, a descriptor that a cached
/// primitive entry holds (its address names it in the per-thread pool of memory objects). A null p
/// leaves the argument out (an absent bias).
struct Arg {
  int arg;
  const dnnl::memory::desc* md;
  const void* p;
};

// Creating a dnnl::memory costs about a microsecond (oneDNN allocates it and clones its descriptor):
// a few of them per primitive call were most of the per-call time of small convolutions and matmuls.
// Each thread keeps one memory object per (descriptor, argument) and only swaps its data pointer.
/// This thread's memory objects, by (descriptor address, argument).
class MemoryPool {
 public:
  /// Frees every object when fewer than n more fit (what evicted cache entries left behind); call it
  /// before taking the objects of one execution, which must all stay valid until it ran.
  void make_room(std::size_t n) {
    if (slots_.size() + n > kMaxSlots) slots_.clear();
  }

  /// The memory object for a, pointing at a.p.
  dnnl_memory_t get(const Arg& a) {
    const Key key{a.md->get(), a.arg};
    auto it = slots_.find(key);
    if (it == slots_.end())
      it = slots_.emplace(key, Slot{*a.md, dnnl::memory(*a.md, engine(), const_cast<void*>(a.p))}).first;
    else if (it->second.m.get_data_handle() != a.p)
      it->second.m.set_data_handle(const_cast<void*>(a.p));
    return it->second.m.get();
  }

 private:
  static constexpr std::size_t kMaxSlots = 4096;
  using Key = std::pair<const void*, int>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return std::hash<const void*>()(k.first) * 31 + static_cast<std::size_t>(k.second);
    }
  };
  struct Slot {
    dnnl::memory::desc md;  // keeps the descriptor alive, so that its address stays its name
    dnnl::memory m;
  };
  std::unordered_map<Key, Slot, KeyHash> slots_;
};

/// Runs prim on this thread's stream and waits for it. The memory objects come from this thread's
/// pool, and the arguments go to oneDNN's C API as an array (the C++ API builds a hash map per call).
inline void execute(const dnnl::primitive& prim, std::initializer_list<Arg> args) {
  constexpr std::size_t kMaxArgs = 24;
  EMBER_CHECK(args.size() <= kMaxArgs, "onednn", "a primitive call with ", args.size(), " arguments");
  thread_local MemoryPool pool;
  pool.make_room(args.size());
  dnnl_exec_arg_t c_args[kMaxArgs];
  int n = 0;
  for (const Arg& a : args)
    if (a.p) c_args[n++] = {a.arg, pool.get(a)};
  const dnnl_status_t status = dnnl_primitive_execute(prim.get(), stream().get(), n, c_args);
  EMBER_CHECK(status == dnnl_success, "onednn", "primitive execution failed with status ", static_cast<int>(status));
  stream().wait();
}

/// The scratchpad argument of a primitive whose scratchpad is described by md: this thread's buffer.
inline Arg scratchpad_arg(const dnnl::memory::desc& md) {
  return {DNNL_ARG_SCRATCHPAD, &md, thread_buffer(0, md.get_size())};
}

/// oneDNN's data type for element type T (f32 and s32/u8/s8 are what CPU primitives support).
template <Element T>
constexpr dnnl::memory::data_type data_type() {
  if constexpr (std::is_same_v<T, float>) return dnnl::memory::data_type::f32;
  else if constexpr (std::is_same_v<T, std::int32_t>) return dnnl::memory::data_type::s32;
  else if constexpr (std::is_same_v<T, std::uint8_t> || std::is_same_v<T, bool>) return dnnl::memory::data_type::u8;
  else if constexpr (std::is_same_v<T, double>) return dnnl::memory::data_type::f64;
  else return dnnl::memory::data_type::undef;
}

/// ember dims/strides to oneDNN's (a 0-d tensor becomes shape (1,)).
inline dnnl::memory::dims dims(const Shape& s) {
  if (s.empty()) return {1};
  return dnnl::memory::dims(s.begin(), s.end());
}

/// A memory descriptor for a strided view of element type T.
template <Element T>
dnnl::memory::desc desc(const Shape& shape, const Shape& strides) {
  return dnnl::memory::desc(dims(shape), data_type<T>(), dims(strides));
}

/// A oneDNN memory object over ember's buffer p (oneDNN takes non-const pointers, inputs included).
inline dnnl::memory mem(const dnnl::memory::desc& md, const float* p) {
  return dnnl::memory(md, engine(), const_cast<float*>(p));
}

/// Whether any of the n floats at x is NaN, in one vectorised pass. oneDNN's max (pooling, reductions, the relu
/// post-op: vmaxps) keeps the other operand of a NaN, where PyTorch's answer is NaN: callers check and take their
/// own loop.
inline bool any_nan(const float* x, std::int64_t n) {
  bool nan = false;
  for (std::int64_t i = 0; i < n; ++i) nan |= x[i] != x[i];
  return nan;
}

/// Whether any of the n values at x is NaN or infinite (an infinity times a zero weight makes a NaN).
template <class T>
bool any_nonfinite(const T* x, std::int64_t n) {
  bool bad = false;
  for (std::int64_t i = 0; i < n; ++i) bad |= !(x[i] - x[i] == T(0));  // x - x is NaN for NaN and +-inf
  return bad;
}

}  // namespace ember::detail::onednn
