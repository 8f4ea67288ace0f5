#pragma once
// oneDNN eltwise forward on contiguous float32 buffers, with primitives from ember's cache.
#include <bit>
#include <cstdint>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// dst[i] = alg(alpha, beta; src[i]) over n elements. src and dst are contiguous float32 of (n); dst may be src.
inline void eltwise(dnnl::algorithm alg, float alpha, float beta, const float* src, float* dst, std::int64_t n) {
  struct Entry {
    dnnl::eltwise_forward prim;
    dnnl::memory::desc md;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(static_cast<std::int64_t>(alg)).add(std::bit_cast<std::int32_t>(alpha)).add(std::bit_cast<std::int32_t>(beta)).add(n);
  Entry e = cache.get(key, [&] {
    dnnl::memory::desc md({n}, dnnl::memory::data_type::f32, dnnl::memory::dims{1});
    dnnl::eltwise_forward::primitive_desc pd(engine(), dnnl::prop_kind::forward_inference, alg, md, md, alpha, beta);
    return Entry{dnnl::eltwise_forward(pd), md};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.md, src}, {DNNL_ARG_DST, &e.md, dst}});
}

}  // namespace ember::detail::onednn
