#pragma once
// oneDNN softmax / log-softmax over contiguous float32 tensors, from a cached primitive.
#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// dst = softmax (log_softmax when log) of src along axis; src and dst are contiguous S (float32).
inline void softmax(const float* src, float* dst, const Shape& shape, int axis, bool log) {
  struct Entry {
    dnnl::softmax_forward prim;
    dnnl::memory::desc md;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(axis).add(log ? 1 : 0).add(shape);
  const Entry e = cache.get(key, [&] {
    auto md = desc<float>(shape, contiguous_strides(shape));
    dnnl::softmax_forward::primitive_desc pd(engine(), dnnl::prop_kind::forward_inference,
                                             log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate,
                                             md, md, axis);
    return Entry{dnnl::softmax_forward(pd), md};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.md, src}, {DNNL_ARG_DST, &e.md, dst}});
}

}  // namespace ember::detail::onednn
