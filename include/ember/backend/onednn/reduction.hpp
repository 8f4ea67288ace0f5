#pragma once
// oneDNN reduction (sum, mean, mul, max, min) over contiguous float32 tensors, from a cached primitive.
#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// dst = alg applied over the dims where dst_shape has extent 1 and src_shape does not.
/// src is contiguous S (float32); dst is contiguous K (S with the reduced dims set to 1).
inline void reduction(dnnl::algorithm alg, const float* src, const Shape& src_shape, float* dst,
                      const Shape& dst_shape) {
  struct Entry {
    dnnl::reduction prim;
    dnnl::memory::desc src_md, dst_md;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(static_cast<std::int64_t>(alg)).add(src_shape).add(dst_shape);
  const Entry e = cache.get(key, [&] {
    auto src_md = desc<float>(src_shape, contiguous_strides(src_shape));
    auto dst_md = desc<float>(dst_shape, contiguous_strides(dst_shape));
    dnnl::reduction::primitive_desc pd(engine(), alg, src_md, dst_md, 0.f, 0.f);
    return Entry{dnnl::reduction(pd), src_md, dst_md};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.src_md, src}, {DNNL_ARG_DST, &e.dst_md, dst}});
}

}  // namespace ember::detail::onednn
