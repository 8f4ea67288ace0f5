#pragma once
// float32 2-d convolution on oneDNN: forward, backward-data and backward-weights primitives, each
// fetched from ember's primitive cache. Tensors are plain contiguous NCHW / OIHW (GOIHW with groups),
// as ember stores them, so no reorders run around the primitive. Geometry legend: backend/eigen/conv.hpp.
#include <oneapi/dnnl/dnnl.hpp>

#include "ember/backend/eigen/conv.hpp"
#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

/// The memory descriptors and convolution parameters of geometry p, in oneDNN's terms.
struct ConvDescs {
  dnnl::memory::desc x, w, b, y;
  dnnl::memory::dims stride, dilation, pad_l, pad_r;

  explicit ConvDescs(const ConvGeometry& p) {
    using tag = dnnl::memory::format_tag;
    const auto f32 = dnnl::memory::data_type::f32;
    x = dnnl::memory::desc({p.n, p.c, p.h, p.w}, f32, tag::nchw);
    w = p.g == 1 ? dnnl::memory::desc({p.o, p.c, p.kh, p.kw}, f32, tag::oihw)
                 : dnnl::memory::desc({p.g, p.o_per_group(), p.c_per_group(), p.kh, p.kw}, f32, tag::goihw);
    b = dnnl::memory::desc({p.o}, f32, tag::x);
    y = dnnl::memory::desc({p.n, p.o, p.oh, p.ow}, f32, tag::nchw);
    stride = {p.stride[0], p.stride[1]};
    dilation = {p.dilation[0] - 1, p.dilation[1] - 1};  // oneDNN counts the gaps: 0 is no dilation
    pad_l = {p.padding[0], p.padding[1]};
    // The right padding that makes oneDNN's size formula give exactly (OH, OW); it may be smaller
    // than the left one when the stride skips the last rows.
    pad_r = {(p.oh - 1) * p.stride[0] + (p.kh - 1) * p.dilation[0] + 1 - p.h - p.padding[0],
             (p.ow - 1) * p.stride[1] + (p.kw - 1) * p.dilation[1] + 1 - p.w - p.padding[1]};
  }

  /// Attributes asking for a caller-provided scratchpad (engine.hpp: scratchpad_arg).
  static dnnl::primitive_attr user_scratchpad() {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return a;
  }

  dnnl::convolution_forward::primitive_desc forward(bool bias) const {
    const auto prop = dnnl::prop_kind::forward_training;
    const auto alg = dnnl::algorithm::convolution_direct;
    return bias ? dnnl::convolution_forward::primitive_desc(engine(), prop, alg, x, w, b, y, stride, dilation, pad_l,
                                                            pad_r, user_scratchpad())
                : dnnl::convolution_forward::primitive_desc(engine(), prop, alg, x, w, y, stride, dilation, pad_l,
                                                            pad_r, user_scratchpad());
  }
};

/// The cache key of geometry p for primitive kind `kind` (0 forward, 1 backward data, 2 backward weights).
inline Key conv_key(int kind, const ConvGeometry& p, bool bias) {
  Key k;
  k.add(100 + kind).add(bias ? 1 : 0).add(p.n).add(p.c).add(p.h).add(p.w).add(p.o).add(p.g).add(p.kh).add(p.kw);
  for (int i = 0; i < 2; ++i) k.add(p.stride[i]).add(p.padding[i]).add(p.dilation[i]);
  return k;
}

/// y = conv(x, w) + b (b may be null).
inline void conv2d_forward(const float* x, const float* w, const float* b, float* y, const ConvGeometry& p) {
  struct Entry {
    dnnl::convolution_forward prim;
    ConvDescs d;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(conv_key(0, p, b != nullptr), [&] {
    ConvDescs d(p);
    const auto pd = d.forward(b != nullptr);
    return Entry{dnnl::convolution_forward(pd), d, pd.scratchpad_desc()};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.d.x, x},
                   {DNNL_ARG_WEIGHTS, &e.d.w, w},
                   {DNNL_ARG_BIAS, &e.d.b, b},
                   {DNNL_ARG_DST, &e.d.y, y},
                   scratchpad_arg(e.scratch)});
}

/// dx = the gradient of the convolution with respect to its input, given dy.
inline void conv2d_backward_data(const float* dy, const float* w, float* dx, const ConvGeometry& p) {
  struct Entry {
    dnnl::convolution_backward_data prim;
    ConvDescs d;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(conv_key(1, p, false), [&] {
    ConvDescs d(p);
    dnnl::convolution_backward_data::primitive_desc pd(engine(), dnnl::algorithm::convolution_direct, d.x, d.w, d.y,
                                                       d.stride, d.dilation, d.pad_l, d.pad_r, d.forward(false),
                                                       ConvDescs::user_scratchpad());
    return Entry{dnnl::convolution_backward_data(pd), d, pd.scratchpad_desc()};
  });
  execute(e.prim, {{DNNL_ARG_DIFF_DST, &e.d.y, dy},
                   {DNNL_ARG_WEIGHTS, &e.d.w, w},
                   {DNNL_ARG_DIFF_SRC, &e.d.x, dx},
                   scratchpad_arg(e.scratch)});
}

/// dw (and db when not null) = the gradients of the convolution with respect to its weights and bias.
inline void conv2d_backward_weights(const float* x, const float* dy, float* dw, float* db, const ConvGeometry& p) {
  struct Entry {
    dnnl::convolution_backward_weights prim;
    ConvDescs d;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const bool bias = db != nullptr;
  const Entry e = cache.get(conv_key(2, p, bias), [&] {
    ConvDescs d(p);
    const auto alg = dnnl::algorithm::convolution_direct;
    auto pd = bias ? dnnl::convolution_backward_weights::primitive_desc(engine(), alg, d.x, d.w, d.b, d.y, d.stride,
                                                                         d.dilation, d.pad_l, d.pad_r, d.forward(true),
                                                                         ConvDescs::user_scratchpad())
                   : dnnl::convolution_backward_weights::primitive_desc(engine(), alg, d.x, d.w, d.y, d.stride,
                                                                         d.dilation, d.pad_l, d.pad_r, d.forward(false),
                                                                         ConvDescs::user_scratchpad());
    return Entry{dnnl::convolution_backward_weights(pd), d, pd.scratchpad_desc()};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.d.x, x},
                   {DNNL_ARG_DIFF_DST, &e.d.y, dy},
                   {DNNL_ARG_DIFF_WEIGHTS, &e.d.w, dw},
                   {DNNL_ARG_DIFF_BIAS, &e.d.b, db},
                   scratchpad_arg(e.scratch)});
}

}  // namespace ember::detail::onednn
