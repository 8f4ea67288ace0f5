#pragma once
// oneDNN binary (add, sub, mul, div, max, min) on contiguous float32 buffers, src1 broadcast, with
// primitives from ember's cache.
#include <cstdint>
#include <string>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// dst = alg(src0, src1). src0 and dst are contiguous float32 of shape (S); src1 is contiguous of shape
/// s1, which has S's rank and is 1 wherever it is broadcast. dst may be src0. Returns false, computing
/// nothing, when oneDNN has only its reference kernel for this layout (a 4-d src1 broadcast along the
/// last dim ran ~50x slower than ember's loop): the caller then runs its own loop.
inline bool binary(dnnl::algorithm alg, const Shape& shape, const float* src0, const Shape& s1, const float* src1,
                   float* dst) {
  struct Entry {
    dnnl::binary prim;
    dnnl::memory::desc md0, md1;
    bool reference;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(static_cast<std::int64_t>(alg)).add(shape).add(s1);
  Entry e = cache.get(key, [&] {
    dnnl::memory::desc md0(dims(shape), dnnl::memory::data_type::f32, dims(contiguous_strides(shape)));
    dnnl::memory::desc md1(dims(s1), dnnl::memory::data_type::f32, dims(contiguous_strides(s1)));
    dnnl::binary::primitive_desc pd(engine(), alg, md0, md1, md0);
    const std::string impl = pd.impl_info_str();
    return Entry{dnnl::binary(pd), md0, md1, impl.rfind("ref", 0) == 0};
  });
  if (e.reference) return false;
  execute(e.prim, {{DNNL_ARG_SRC_0, &e.md0, src0}, {DNNL_ARG_SRC_1, &e.md1, src1}, {DNNL_ARG_DST, &e.md0, dst}});
  return true;
}

}  // namespace ember::detail::onednn
