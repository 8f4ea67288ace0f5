#pragma once
// The oneDNN CPU engine and per-thread stream, and conversions from ember's types to oneDNN's.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <new>

#include "ember/core/dtype.hpp"
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
/// A per-thread buffer (slot `which`: 0 scratchpad, 1 and 2 reordered operands) of at least
/// nbytes, grown as needed and never shrunk.
inline void* thread_buffer(int which, std::size_t nbytes) {
  struct Buffer {
    void* p = nullptr;
    std::size_t n = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buffers[3];
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

/// This thread's scratchpad memory for a primitive whose scratchpad is described by md.
inline dnnl::memory thread_scratchpad(const dnnl::memory::desc& md) {
  return dnnl::memory(md, engine(), thread_buffer(0, md.get_size()));
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

}  // namespace ember::detail::onednn
