#pragma once
// float32 2-d max and average pooling on oneDNN (forward and backward), from ember's primitive cache.
// Geometry legend: backend/eigen/pool.hpp. Max pooling's backward needs the workspace (where each
// maximum was) that the training forward wrote; the caller keeps it between the two.
#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <vector>

#include "ember/backend/eigen/pool.hpp"
#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// Which pooling: max, or average with the divisor counting padding or not.
enum class PoolKind { max, avg_include_pad, avg_exclude_pad };

/// The descriptors of one pooling, in oneDNN's terms; the right padding is what makes oneDNN's
/// size formula give exactly (OH, OW), which is how ceil_mode is expressed.
struct PoolDescs {
  dnnl::algorithm alg;
  dnnl::memory::desc x, y;
  dnnl::memory::dims stride, kernel, dilation, pad_l, pad_r;

  PoolDescs(const PoolGeometry& p, PoolKind kind, std::int64_t n) {
    using tag = dnnl::memory::format_tag;
    const auto f32 = dnnl::memory::data_type::f32;
    alg = kind == PoolKind::max               ? dnnl::algorithm::pooling_max
          : kind == PoolKind::avg_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                              : dnnl::algorithm::pooling_avg_exclude_padding;
    const std::int64_t c = p.planes / n;
    x = dnnl::memory::desc({n, c, p.h, p.w}, f32, tag::nchw);
    y = dnnl::memory::desc({n, c, p.oh, p.ow}, f32, tag::nchw);
    stride = {p.stride[0], p.stride[1]};
    kernel = {p.kernel[0], p.kernel[1]};
    dilation = {p.dilation[0] - 1, p.dilation[1] - 1};
    pad_l = {p.padding[0], p.padding[1]};
    pad_r = {(p.oh - 1) * p.stride[0] + (p.kernel[0] - 1) * p.dilation[0] + 1 - p.h - p.padding[0],
             (p.ow - 1) * p.stride[1] + (p.kernel[1] - 1) * p.dilation[1] + 1 - p.w - p.padding[1]};
  }

  dnnl::pooling_forward::primitive_desc forward(bool training) const {
    return {engine(), training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference, alg, x, y,
            stride, kernel, dilation, pad_l, pad_r};
  }
};

inline Key pool_key(int kind, PoolKind pk, const PoolGeometry& p, std::int64_t n) {
  Key k;
  k.add(200 + kind).add(static_cast<std::int64_t>(pk)).add(n).add(p.planes).add(p.h).add(p.w).add(p.oh).add(p.ow);
  for (int i = 0; i < 2; ++i) k.add(p.kernel[i]).add(p.stride[i]).add(p.padding[i]).add(p.dilation[i]);
  return k;
}

/// Bytes that oneDNN keeps between a training forward and the backward of max pooling.
using PoolWorkspace = std::shared_ptr<std::vector<std::uint8_t>>;

/// y = pool(x) for x (N, C, H, W) with p.planes = N * C; returns the workspace when training (max only).
inline PoolWorkspace pool2d_forward(const float* x, float* y, const PoolGeometry& p, PoolKind kind, std::int64_t n,
                                    bool training) {
  struct Entry {
    dnnl::pooling_forward prim;
    dnnl::memory::desc x, y, ws;
  };
  static PrimitiveCache<Entry> cache;
  training = training && kind == PoolKind::max;
  const Entry e = cache.get(pool_key(training ? 1 : 0, kind, p, n), [&] {
    PoolDescs d(p, kind, n);
    auto pd = d.forward(training);
    return Entry{dnnl::pooling_forward(pd), d.x, d.y, pd.workspace_desc()};
  });
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, dnnl::memory(e.x, engine(), const_cast<float*>(x))},
                                             {DNNL_ARG_DST, dnnl::memory(e.y, engine(), y)}};
  PoolWorkspace ws;
  if (training) {
    ws = std::make_shared<std::vector<std::uint8_t>>(e.ws.get_size());
    args.emplace(DNNL_ARG_WORKSPACE, dnnl::memory(e.ws, engine(), ws->data()));
  }
  e.prim.execute(stream(), args);
  stream().wait();
  return ws;
}

/// dx = the gradient of the pooling given dy (and, for max pooling, the forward's workspace).
inline void pool2d_backward(const float* dy, float* dx, const PoolGeometry& p, PoolKind kind, std::int64_t n,
                            const PoolWorkspace& ws) {
  struct Entry {
    dnnl::pooling_backward prim;
    dnnl::memory::desc x, y, ws;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(pool_key(2, kind, p, n), [&] {
    PoolDescs d(p, kind, n);
    auto fwd = d.forward(true);
    dnnl::pooling_backward::primitive_desc pd(engine(), d.alg, d.x, d.y, d.stride, d.kernel, d.dilation, d.pad_l,
                                              d.pad_r, fwd);
    return Entry{dnnl::pooling_backward(pd), d.x, d.y, fwd.workspace_desc()};
  });
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DIFF_DST, dnnl::memory(e.y, engine(), const_cast<float*>(dy))},
                                             {DNNL_ARG_DIFF_SRC, dnnl::memory(e.x, engine(), dx)}};
  if (kind == PoolKind::max) args.emplace(DNNL_ARG_WORKSPACE, dnnl::memory(e.ws, engine(), ws->data()));
  e.prim.execute(stream(), args);
  stream().wait();
}

}  // namespace ember::detail::onednn
