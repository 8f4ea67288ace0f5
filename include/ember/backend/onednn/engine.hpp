#pragma once
// The oneDNN CPU engine and per-thread stream, and conversions from ember's types to oneDNN's.
#include <oneapi/dnnl/dnnl.hpp>

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
