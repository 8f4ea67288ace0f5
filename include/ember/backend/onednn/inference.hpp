#pragma once
// float32 inference primitives for deployed models: convolution (prop_kind::forward_inference) and
// linear (a matmul with the bias inside), each with an optional eltwise post-op (ReLU, GELU, ...)
// fused into the same primitive. Primitives come from ember's primitive cache, keyed by geometry
// and post-op. Geometry legend: backend/eigen/conv.hpp.
// The primitives run with a user scratchpad from the calling thread: oneDNN's library-managed
// scratchpad belongs to the primitive, so two threads running one cached primitive would share it.
#include <oneapi/dnnl/dnnl.hpp>

#include <bit>
#include <cstdlib>
#include <new>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/conv.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// An eltwise activation applied to a primitive's output: alg undef means none.
struct PostOp {
  dnnl::algorithm alg = dnnl::algorithm::undef;
  float alpha = 0;
  float beta = 0;

  bool empty() const { return alg == dnnl::algorithm::undef; }
  /// Appends this post-op to a cache key.
  void add_to(Key& k) const {
    k.add(static_cast<std::int64_t>(alg)).add(std::bit_cast<std::uint32_t>(alpha)).add(std::bit_cast<std::uint32_t>(beta));
  }
  /// The primitive attributes that apply it, with a user-provided scratchpad.
  dnnl::primitive_attr attr() const {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (!empty()) {
      dnnl::post_ops ops;
      ops.append_eltwise(alg, alpha, beta);
      a.set_post_ops(ops);
    }
    return a;
  }
};

/// This thread's scratchpad memory for primitive descriptor md (grown as needed, never shrunk).
inline dnnl::memory thread_scratchpad(const dnnl::memory::desc& md) {
  struct Buffer {
    void* p = nullptr;
    std::size_t n = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer b;
  const std::size_t need = (md.get_size() + 63) / 64 * 64;
  if (need > b.n) {
    std::free(b.p);
    b.p = std::aligned_alloc(64, need);
    b.n = b.p ? need : 0;
    if (!b.p) throw std::bad_alloc();
  }
  return dnnl::memory(md, engine(), b.p);
}

/// y = act(conv(x, w) + b) for inference; x (N, C, H, W), w (O, C/groups, kH, kW) contiguous, b (O)
/// or null, y (N, O, OH, OW).
inline void conv2d_inference(const float* x, const float* w, const float* b, float* y, const ConvGeometry& p,
                             const PostOp& post) {
  struct Entry {
    dnnl::convolution_forward prim;
    ConvDescs d;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  Key key = conv_key(3, p, b != nullptr);
  post.add_to(key);
  const Entry e = cache.get(key, [&] {
    ConvDescs d(p);
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto alg = dnnl::algorithm::convolution_direct;
    auto pd = b ? dnnl::convolution_forward::primitive_desc(engine(), prop, alg, d.x, d.w, d.b, d.y, d.stride,
                                                            d.dilation, d.pad_l, d.pad_r, post.attr())
                : dnnl::convolution_forward::primitive_desc(engine(), prop, alg, d.x, d.w, d.y, d.stride, d.dilation,
                                                            d.pad_l, d.pad_r, post.attr());
    return Entry{dnnl::convolution_forward(pd), d, pd.scratchpad_desc()};
  });
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, mem(e.d.x, x)},
      {DNNL_ARG_WEIGHTS, mem(e.d.w, w)},
      {DNNL_ARG_DST, mem(e.d.y, y)},
      {DNNL_ARG_SCRATCHPAD, thread_scratchpad(e.scratch)}};
  if (b) args.emplace(DNNL_ARG_BIAS, mem(e.d.b, b));
  e.prim.execute(stream(), args);
  stream().wait();
}

/// y = act(x @ w^T + b) for inference: x (M, K), w (out=N, K) and y (M, N) contiguous, b (N) or null.
inline void linear_inference(const float* x, const float* w, const float* b, float* y, std::int64_t m,
                             std::int64_t k, std::int64_t n, const PostOp& post) {
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory::desc x, w, b, y, scratch;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(200).add(b ? 1 : 0).add(m).add(k).add(n);
  post.add_to(key);
  const Entry e = cache.get(key, [&] {
    const auto f32 = dnnl::memory::data_type::f32;
    Entry en;
    en.x = dnnl::memory::desc({m, k}, f32, dnnl::memory::dims{k, 1});
    en.w = dnnl::memory::desc({k, n}, f32, dnnl::memory::dims{1, k});  // w^T, read in place
    en.b = dnnl::memory::desc({1, n}, f32, dnnl::memory::dims{n, 1});
    en.y = dnnl::memory::desc({m, n}, f32, dnnl::memory::dims{n, 1});
    auto pd = b ? dnnl::matmul::primitive_desc(engine(), en.x, en.w, en.b, en.y, post.attr())
                : dnnl::matmul::primitive_desc(engine(), en.x, en.w, en.y, post.attr());
    en.prim = dnnl::matmul(pd);
    en.scratch = pd.scratchpad_desc();
    return en;
  });
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, mem(e.x, x)},
      {DNNL_ARG_WEIGHTS, mem(e.w, w)},
      {DNNL_ARG_DST, mem(e.y, y)},
      {DNNL_ARG_SCRATCHPAD, thread_scratchpad(e.scratch)}};
  if (b) args.emplace(DNNL_ARG_BIAS, mem(e.b, b));
  e.prim.execute(stream(), args);
  stream().wait();
}

}  // namespace ember::detail::onednn
