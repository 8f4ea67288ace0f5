#pragma once
// oneDNN eltwise forward and backward on contiguous float32 buffers, with primitives from ember's cache.
#include <bit>
#include <cstdint>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// The cache key and the descriptor shared by the forward and backward primitives of alg over n elements.
inline Key eltwise_key(dnnl::algorithm alg, float alpha, float beta, std::int64_t n) {
  Key key;
  key.add(static_cast<std::int64_t>(alg)).add(std::bit_cast<std::int32_t>(alpha)).add(std::bit_cast<std::int32_t>(beta)).add(n);
  return key;
}
inline dnnl::memory::desc eltwise_md(std::int64_t n) {
  return dnnl::memory::desc({n}, dnnl::memory::data_type::f32, dnnl::memory::dims{1});
}

/// dst[i] = alg(alpha, beta; src[i]) over n elements. src and dst are contiguous float32 of (n); dst may be src.
inline void eltwise(dnnl::algorithm alg, float alpha, float beta, const float* src, float* dst, std::int64_t n) {
  struct Entry {
    dnnl::eltwise_forward prim;
    dnnl::memory::desc md;
  };
  static PrimitiveCache<Entry> cache;
  Entry e = cache.get(eltwise_key(alg, alpha, beta, n), [&] {
    const auto md = eltwise_md(n);
    dnnl::eltwise_forward::primitive_desc pd(engine(), dnnl::prop_kind::forward_inference, alg, md, md, alpha, beta);
    return Entry{dnnl::eltwise_forward(pd), md};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.md, src}, {DNNL_ARG_DST, &e.md, dst}});
}

/// The variant of alg whose backward reads the forward's output instead of its input, for the
/// algorithms that have one (undef otherwise).
constexpr dnnl::algorithm use_dst_for_bwd(dnnl::algorithm alg) {
  using A = dnnl::algorithm;
  switch (alg) {
    case A::eltwise_relu: return A::eltwise_relu_use_dst_for_bwd;
    case A::eltwise_tanh: return A::eltwise_tanh_use_dst_for_bwd;
    case A::eltwise_logistic: return A::eltwise_logistic_use_dst_for_bwd;
    case A::eltwise_exp: return A::eltwise_exp_use_dst_for_bwd;
    case A::eltwise_sqrt: return A::eltwise_sqrt_use_dst_for_bwd;
    default: return A::undef;
  }
}

/// diff_src[i] = diff_dst[i] * alg'(x[i]) over n elements, all contiguous float32 of (n), for the forward
/// algorithm alg; data is the forward's input x, or its output when from_output (then alg must have a
/// use_dst_for_bwd variant).
inline void eltwise_backward(dnnl::algorithm alg, bool from_output, float alpha, float beta, const float* diff_dst,
                             const float* data, float* diff_src, std::int64_t n) {
  struct Entry {
    dnnl::eltwise_backward prim;
    dnnl::memory::desc md;
  };
  static PrimitiveCache<Entry> cache;
  const auto bwd_alg = from_output ? use_dst_for_bwd(alg) : alg;
  Entry e = cache.get(eltwise_key(bwd_alg, alpha, beta, n), [&] {
    const auto md = eltwise_md(n);
    dnnl::eltwise_forward::primitive_desc hint(engine(), dnnl::prop_kind::forward_training, bwd_alg, md, md, alpha,
                                               beta);
    dnnl::eltwise_backward::primitive_desc pd(engine(), bwd_alg, md, md, md, alpha, beta, hint);
    return Entry{dnnl::eltwise_backward(pd), md};
  });
  execute(e.prim, {{DNNL_ARG_DIFF_DST, &e.md, diff_dst},
                   {from_output ? DNNL_ARG_DST : DNNL_ARG_SRC, &e.md, data},
                   {DNNL_ARG_DIFF_SRC, &e.md, diff_src}});
}

}  // namespace ember::detail::onednn
