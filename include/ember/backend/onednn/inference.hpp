#pragma once
// float32 inference primitives for deployed models: convolution (prop_kind::forward_inference) and
// linear (a matmul with the bias inside), each with an optional eltwise post-op (ReLU, GELU, ...)
// fused into the same primitive, and max pooling without the argmax that training keeps. Primitives come from ember's primitive cache, keyed by geometry
// and post-op. Geometry legend: backend/eigen/conv.hpp.
// The primitives run with a user scratchpad from the calling thread (engine.hpp: scratchpad_arg).
#include <oneapi/dnnl/dnnl.hpp>

#include <bit>
#include <mutex>
#include <optional>
#include <vector>
#include <cstdlib>
#include <new>

#include "ember/backend/eigen/pool.hpp"
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

/// An inference convolution in the layouts oneDNN prefers (blocked, "any"), with the reorders that
/// bring a plain NCHW input in and the output back to NCHW: 2-3x faster than plain-layout
/// primitives on the digits CNN even with both reorders on every call.
struct ConvInference {
  dnnl::convolution_forward prim;
  ConvDescs plain;                      // NCHW / OIHW, as ember stores tensors
  dnnl::memory::desc x, w, y, scratch;  // what the primitive wants
  std::optional<dnnl::reorder> x_in, y_out;
};

/// The cached inference convolution of geometry p, with or without bias, with post-op post.
inline ConvInference conv2d_inference_primitive(const ConvGeometry& p, bool bias, const PostOp& post) {
  static PrimitiveCache<ConvInference> cache;
  Key key = conv_key(3, p, bias);
  post.add_to(key);
  return cache.get(key, [&] {
    ConvInference e{{}, ConvDescs(p), {}, {}, {}, {}, {}, {}};
    const auto any = dnnl::memory::format_tag::any;
    const auto f32 = dnnl::memory::data_type::f32;
    const dnnl::memory::desc x(e.plain.x.get_dims(), f32, any), y(e.plain.y.get_dims(), f32, any),
        w(e.plain.w.get_dims(), f32, any);
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto alg = dnnl::algorithm::convolution_direct;
    const ConvDescs& d = e.plain;
    auto pd = bias ? dnnl::convolution_forward::primitive_desc(engine(), prop, alg, x, w, d.b, y, d.stride, d.dilation,
                                                               d.pad_l, d.pad_r, post.attr())
                   : dnnl::convolution_forward::primitive_desc(engine(), prop, alg, x, w, y, d.stride, d.dilation,
                                                               d.pad_l, d.pad_r, post.attr());
    e.prim = dnnl::convolution_forward(pd);
    e.x = pd.src_desc();
    e.w = pd.weights_desc();
    e.y = pd.dst_desc();
    e.scratch = pd.scratchpad_desc();
    if (e.x != d.x) e.x_in = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), d.x, engine(), e.x));
    if (e.y != d.y) e.y_out = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), e.y, engine(), d.y));
    return e;
  });
}

/// A layer's weights (float32, or int8 for the quantized primitives) in the layouts its primitives asked for,
/// each reordered once, on first use; thread-safe. oneDNN's s8 weights layouts may carry a compensation
/// buffer after the data (the memory desc's "extra"), which the reorder from the plain layout computes.
/// Holds w's data pointer: the owner keeps w alive and unchanged.
class PackedWeights {
 public:
  explicit PackedWeights(const void* w) : w_(w) {}

  /// The weights in layout want (plain: the descriptor of w as stored).
  const void* get(const dnnl::memory::desc& want, const dnnl::memory::desc& plain) {
    if (want == plain) return w_;
    std::lock_guard lock(mutex_);
    for (const auto& [d, m] : packed_)
      if (d == want) return m.get_data_handle();
    dnnl::memory m(want, engine());
    dnnl::memory src(plain, engine(), const_cast<void*>(w_));
    dnnl::reorder(src, m).execute(stream(), src, m);
    stream().wait();
    packed_.emplace_back(want, m);
    return m.get_data_handle();
  }

 private:
  const void* w_;
  std::mutex mutex_;
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed_;
};

/// Runs the inference convolution e on plain x (reordered into this thread's buffer 1 when e wants
/// another layout), writing `out` in e's output layout e.y.
inline void run_conv_inference(const ConvInference& e, const float* x, PackedWeights& packed, const float* b,
                               void* out) {
  const void* src = x;
  if (e.x_in) {
    void* blocked = thread_buffer(1, e.x.get_size());
    execute(*e.x_in, {{DNNL_ARG_SRC, &e.plain.x, x}, {DNNL_ARG_DST, &e.x, blocked}});
    src = blocked;
  }
  execute(e.prim, {{DNNL_ARG_SRC, &e.x, src},
                   {DNNL_ARG_WEIGHTS, &e.w, packed.get(e.w, e.plain.w)},
                   {DNNL_ARG_BIAS, &e.plain.b, b},
                   {DNNL_ARG_DST, &e.y, out},
                   scratchpad_arg(e.scratch)});
}

/// y = act(conv(x, w) + b) for inference; x (N, C, H, W), w (O, C/groups, kH, kW) contiguous (its
/// packed copies in `packed`), b (O) or null, y (N, O, OH, OW).
inline void conv2d_inference(const float* x, PackedWeights& packed, const float* b, float* y, const ConvGeometry& p,
                             const PostOp& post) {
  const ConvInference e = conv2d_inference_primitive(p, b != nullptr, post);
  void* out = e.y_out ? thread_buffer(2, e.y.get_size()) : y;
  run_conv_inference(e, x, packed, b, out);
  if (e.y_out) execute(*e.y_out, {{DNNL_ARG_SRC, &e.y, out}, {DNNL_ARG_DST, &e.plain.y, y}});
}

/// oneDNN's right padding that makes a pooling of geometry p give exactly (OH, OW); nullopt when the
/// last window stops short of the input's end (oneDNN would need a negative one).
inline std::optional<dnnl::memory::dims> pool_pad_r(const PoolGeometry& p) {
  dnnl::memory::dims pad_r(2);
  for (int i = 0; i < 2; ++i) {
    const std::int64_t in = i ? p.w : p.h, out = i ? p.ow : p.oh;
    pad_r[i] = (out - 1) * p.stride[i] + (p.kernel[i] - 1) * p.dilation[i] + 1 - in - p.padding[i];
    if (pad_r[i] < 0) return std::nullopt;
  }
  return pad_r;
}

/// An inference max pooling over an input in layout x (NCHW, or a convolution's blocked output), its
/// output in the same layout family, and the reorder that brings that output back to NCHW.
struct PoolInference {
  dnnl::pooling_forward prim;
  dnnl::memory::desc x, y, y_plain, scratch;
  std::optional<dnnl::reorder> y_out;
};

/// The cached inference max pooling of geometry p over (N, C, H, W) = x's dims, in x's layout.
inline PoolInference max_pool2d_inference_primitive(const dnnl::memory::desc& x, const PoolGeometry& p,
                                                    const dnnl::memory::dims& pad_r) {
  static PrimitiveCache<PoolInference> cache;
  const auto dims = x.get_dims();
  Key key;
  key.add(300).add(p.oh).add(p.ow);
  for (const auto d : dims) key.add(d);
  for (const auto d : x.get_strides()) key.add(d);
  for (const auto d : x.get_inner_blks()) key.add(d);
  for (const auto d : x.get_inner_idxs()) key.add(d);
  for (int i = 0; i < 2; ++i) key.add(p.kernel[i]).add(p.stride[i]).add(p.padding[i]).add(p.dilation[i]);
  return cache.get(key, [&] {
    const auto f32 = dnnl::memory::data_type::f32;
    const dnnl::memory::dims out{dims[0], dims[1], p.oh, p.ow};
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::pooling_forward::primitive_desc pd(
        engine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, x,
        dnnl::memory::desc(out, f32, dnnl::memory::format_tag::any), {p.stride[0], p.stride[1]},
        {p.kernel[0], p.kernel[1]}, {p.dilation[0] - 1, p.dilation[1] - 1}, {p.padding[0], p.padding[1]}, pad_r, attr);
    PoolInference e{dnnl::pooling_forward(pd), x, pd.dst_desc(), dnnl::memory::desc(out, f32, dnnl::memory::format_tag::nchw),
                    pd.scratchpad_desc(), std::nullopt};
    if (e.y != e.y_plain) e.y_out = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), e.y, engine(), e.y_plain));
    return e;
  });
}

/// Runs pooling e on x (in e's input layout) into y (NCHW), through this thread's buffer 3 when the
/// pooling writes another layout.
inline void run_pool_inference(const PoolInference& e, const void* x, float* y) {
  void* out = e.y_out ? thread_buffer(3, e.y.get_size()) : y;
  execute(e.prim, {{DNNL_ARG_SRC, &e.x, x}, {DNNL_ARG_DST, &e.y, out}, scratchpad_arg(e.scratch)});
  if (e.y_out) execute(*e.y_out, {{DNNL_ARG_SRC, &e.y, out}, {DNNL_ARG_DST, &e.y_plain, y}});
}

/// y = the maximum over each window of x, for inference: x (N, C, H, W) and y (N, C, OH, OW)
/// contiguous, geometry p (p.planes = N * C). Returns false, doing nothing, when oneDNN cannot
/// (pool_pad_r). oneDNN's max ignores NaN, where ember's loops (and PyTorch) propagate it.
inline bool max_pool2d_inference(const float* x, float* y, std::int64_t n, std::int64_t c, const PoolGeometry& p) {
  const auto pad_r = pool_pad_r(p);
  if (!pad_r) return false;
  const dnnl::memory::desc plain({n, c, p.h, p.w}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nchw);
  run_pool_inference(max_pool2d_inference_primitive(plain, p, *pad_r), x, y);
  return true;
}

/// conv2d_inference followed by max pooling of geometry q, the pooling run on the convolution's own
/// (blocked) output so that only the pooled output, a fraction of the size, is reordered back to NCHW
/// (the digits CNN at batch 256: 0.45 ms of its 1.3 ms went to the full-size reorder and a pooling on
/// NCHW). y is (N, O, QH, QW). Returns false, doing nothing, when oneDNN cannot pool q (pool_pad_r).
inline bool conv2d_pool_inference(const float* x, PackedWeights& packed, const float* b, float* y,
                                  const ConvGeometry& p, const PostOp& post, const PoolGeometry& q) {
  const auto pad_r = pool_pad_r(q);
  if (!pad_r) return false;
  const ConvInference e = conv2d_inference_primitive(p, b != nullptr, post);
  void* conv_out = thread_buffer(2, e.y.get_size());
  run_conv_inference(e, x, packed, b, conv_out);
  run_pool_inference(max_pool2d_inference_primitive(e.y, q, *pad_r), conv_out, y);
  return true;
}

/// y = act(x @ w^T + b) for inference: x (M, K), w (out=N, K) and y (M, N) contiguous (w's packed
/// copies in `packed`), b (N) or null. The weights are in the layout oneDNN's matmul prefers, reordered
/// once: from the plain layout, its brgemm kernels would repack them on every call.
inline void linear_inference(const float* x, PackedWeights& packed, const float* b, float* y, std::int64_t m,
                             std::int64_t k, std::int64_t n, const PostOp& post) {
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory::desc x, w_plain, w, b, y, scratch;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(200).add(b ? 1 : 0).add(m).add(k).add(n);
  post.add_to(key);
  const Entry e = cache.get(key, [&] {
    const auto f32 = dnnl::memory::data_type::f32;
    Entry en;
    en.x = dnnl::memory::desc({m, k}, f32, dnnl::memory::dims{k, 1});
    en.w_plain = dnnl::memory::desc({k, n}, f32, dnnl::memory::dims{1, k});  // w^T as stored
    en.b = dnnl::memory::desc({1, n}, f32, dnnl::memory::dims{n, 1});
    en.y = dnnl::memory::desc({m, n}, f32, dnnl::memory::dims{n, 1});
    const dnnl::memory::desc w_any({k, n}, f32, dnnl::memory::format_tag::any);
    auto pd = b ? dnnl::matmul::primitive_desc(engine(), en.x, w_any, en.b, en.y, post.attr())
                : dnnl::matmul::primitive_desc(engine(), en.x, w_any, en.y, post.attr());
    en.prim = dnnl::matmul(pd);
    en.w = pd.weights_desc();
    en.scratch = pd.scratchpad_desc();
    return en;
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.x, x},
                   {DNNL_ARG_WEIGHTS, &e.w, packed.get(e.w, e.w_plain)},
                   {DNNL_ARG_BIAS, &e.b, b},
                   {DNNL_ARG_DST, &e.y, y},
                   scratchpad_arg(e.scratch)});
}

}  // namespace ember::detail::onednn
