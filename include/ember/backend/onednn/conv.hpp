#pragma once
// float32 2-d convolution on oneDNN: forward, backward-data and backward-weights primitives, each
// fetched from ember's primitive cache (bfloat16 inputs, float32 outputs under autocast: core/autocast.hpp).
// ember stores tensors plain (contiguous NCHW / OIHW, GOIHW with groups); oneDNN's direct kernels want
// blocked layouts (nChw16c...), and on plain ones it falls back to im2col + gemm, 2-4x slower for 8+
// channels (the digits CNN's 16->32 layer: 420 us forward plain, 130 us blocked with the reorders). So
// ungrouped convolutions let the primitive choose its layouts (format_tag::any) and reorder their
// operands in and out around it, with reorders cached alongside.
// Geometry legend: backend/eigen/conv.hpp.
#include <oneapi/dnnl/dnnl.hpp>

#include "ember/backend/eigen/conv.hpp"
#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/matmul.hpp"
#include "ember/backend/onednn/operand.hpp"

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

/// Whether primitives of geometry p choose their layouts (`backward_data`: for the backward-data
/// primitive). Grouped convolutions stay plain; so does backward-data with fewer than 8 input
/// channels, where the blocked kernel pads them to 16 (3 channels: 3.6 ms blocked, 1.0 ms plain).
inline bool chooses_layouts(const ConvGeometry& p, bool backward_data) {
  return p.g == 1 && (!backward_data || p.c >= 8);
}

/// The descriptors of geometry p that a primitive is created with: ember's plain ones, or any-layout
/// ones (choose). bf16 (autocast): the primitive's inputs in bfloat16 and its output `out` (the member it
/// writes: y forward, x backward-data, w backward-weights) in float32; the operands' reorders convert.
inline ConvDescs creation_descs(const ConvGeometry& p, bool choose, bool bf16 = false,
                                dnnl::memory::desc ConvDescs::*out = &ConvDescs::y) {
  ConvDescs d(p);
  for (dnnl::memory::desc ConvDescs::*m : {&ConvDescs::x, &ConvDescs::w, &ConvDescs::y}) {
    const bool low = bf16 && m != out;
    const auto dt = low ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
    const dnnl::memory::desc plain = d.*m;
    if (choose) d.*m = dnnl::memory::desc(plain.get_dims(), dt, dnnl::memory::format_tag::any);
    else if (low) d.*m = dnnl::memory::desc(plain.get_dims(), dt, plain.get_strides());
  }
  return d;
}

/// make(bf16) builds a primitive descriptor; under autocast (bf16_products()) its bfloat16 form,
/// unless oneDNN has none or only a reference loop for it, then the float32 one.
template <class Make>
auto bf16_or_f32(Make make) {
  if (bf16_products()) {
    try {
      auto pd = make(true);
      if (std::strncmp(pd.impl_info_str(), "ref", 3) != 0) return pd;
    } catch (const dnnl::error&) {
    }
  }
  return make(false);
}

/// The cache key of geometry p for primitive kind `kind` (0 forward, 1 backward data, 2 backward weights).
inline Key conv_key(int kind, const ConvGeometry& p, bool bias) {
  Key k;
  k.add(100 + kind).add(bias ? 1 : 0).add(p.n).add(p.c).add(p.h).add(p.w).add(p.o).add(p.g).add(p.kh).add(p.kw);
  for (int i = 0; i < 2; ++i) k.add(p.stride[i]).add(p.padding[i]).add(p.dilation[i]);
  return k;
}

/// k for this thread's autocast state (bf16_or_f32 primitives).
inline Key with_autocast(Key k) { return k.add(bf16_products() ? 1 : 0); }

// The reordered copies of a call's operands live in this thread's buffers 1-3 (engine.hpp), or in a
// Kept (operand.hpp) that a later primitive of the same convolution reads again.
/// y = conv(x, w) + b (b may be null); x_kept (when not null) keeps x as reordered, for backward-weights.
inline void conv2d_forward(const float* x, const float* w, const float* b, float* y, const ConvGeometry& p,
                           Kept* x_kept = nullptr) {
  struct Entry {
    dnnl::convolution_forward prim;
    Operand x, w, y;
    dnnl::memory::desc b, scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(with_autocast(conv_key(0, p, b != nullptr)), [&] {
    const ConvDescs plain(p);
    const auto pd = bf16_or_f32([&](bool bf16) {
      return creation_descs(p, chooses_layouts(p, false), bf16).forward(b != nullptr);
    });
    return Entry{dnnl::convolution_forward(pd), Operand(plain.x, pd.src_desc(), true),
                 Operand(plain.w, pd.weights_desc(), true), Operand(plain.y, pd.dst_desc(), false), plain.b,
                 pd.scratchpad_desc()};
  });
  void* out = e.y.out(y, 3);
  execute(e.prim, {{DNNL_ARG_SRC, &e.x.chosen, e.x.in(x, 1, x_kept)},
                   {DNNL_ARG_WEIGHTS, &e.w.chosen, e.w.in(w, 2)},
                   {DNNL_ARG_BIAS, &e.b, b},
                   {DNNL_ARG_DST, &e.y.chosen, out},
                   scratchpad_arg(e.scratch)});
  e.y.finish(out, y);
}

/// dx = the gradient of the convolution with respect to its input, given dy (dy_kept: as the forward's x_kept).
inline void conv2d_backward_data(const float* dy, const float* w, float* dx, const ConvGeometry& p,
                                 Kept* dy_kept = nullptr) {
  struct Entry {
    dnnl::convolution_backward_data prim;
    Operand dy, w, dx;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(with_autocast(conv_key(1, p, false)), [&] {
    const ConvDescs plain(p);
    const bool choose = chooses_layouts(p, true);
    const auto pd = bf16_or_f32([&](bool bf16) {
      const ConvDescs d = creation_descs(p, choose, bf16, &ConvDescs::x);
      return dnnl::convolution_backward_data::primitive_desc(
          engine(), dnnl::algorithm::convolution_direct, d.x, d.w, d.y, d.stride, d.dilation, d.pad_l, d.pad_r,
          creation_descs(p, choose, bf16).forward(false), ConvDescs::user_scratchpad());
    });
    return Entry{dnnl::convolution_backward_data(pd), Operand(plain.y, pd.diff_dst_desc(), true),
                 Operand(plain.w, pd.weights_desc(), true), Operand(plain.x, pd.diff_src_desc(), false),
                 pd.scratchpad_desc()};
  });
  void* out = e.dx.out(dx, 3);
  execute(e.prim, {{DNNL_ARG_DIFF_DST, &e.dy.chosen, e.dy.in(dy, 1, dy_kept)},
                   {DNNL_ARG_WEIGHTS, &e.w.chosen, e.w.in(w, 2)},
                   {DNNL_ARG_DIFF_SRC, &e.dx.chosen, out},
                   scratchpad_arg(e.scratch)});
  e.dx.finish(out, dx);
}

/// dw (and db when not null) = the gradients of the convolution with respect to its weights and bias
/// (x_kept, dy_kept: the copies the forward and backward-data kept, reused when in this primitive's layouts).
inline void conv2d_backward_weights(const float* x, const float* dy, float* dw, float* db, const ConvGeometry& p,
                                    Kept* x_kept = nullptr, Kept* dy_kept = nullptr) {
  struct Entry {
    dnnl::convolution_backward_weights prim;
    Operand x, dy, dw;
    dnnl::memory::desc db, scratch;
  };
  static PrimitiveCache<Entry> cache;
  const bool bias = db != nullptr;
  const Entry e = cache.get(with_autocast(conv_key(2, p, bias)), [&] {
    const ConvDescs plain(p);
    const bool choose = chooses_layouts(p, false);
    const auto alg = dnnl::algorithm::convolution_direct;
    const auto pd = bf16_or_f32([&](bool bf16) {
      const ConvDescs d = creation_descs(p, choose, bf16, &ConvDescs::w);
      const auto hint = creation_descs(p, choose, bf16).forward(bias);
      return bias ? dnnl::convolution_backward_weights::primitive_desc(engine(), alg, d.x, d.w, d.b, d.y, d.stride,
                                                                        d.dilation, d.pad_l, d.pad_r, hint,
                                                                        ConvDescs::user_scratchpad())
                  : dnnl::convolution_backward_weights::primitive_desc(engine(), alg, d.x, d.w, d.y, d.stride,
                                                                        d.dilation, d.pad_l, d.pad_r, hint,
                                                                        ConvDescs::user_scratchpad());
    });
    return Entry{dnnl::convolution_backward_weights(pd), Operand(plain.x, pd.src_desc(), true),
                 Operand(plain.y, pd.diff_dst_desc(), true), Operand(plain.w, pd.diff_weights_desc(), false),
                 plain.b, pd.scratchpad_desc()};
  });
  void* out = e.dw.out(dw, 3);
  execute(e.prim, {{DNNL_ARG_SRC, &e.x.chosen, e.x.in(x, 1, x_kept)},
                   {DNNL_ARG_DIFF_DST, &e.dy.chosen, e.dy.in(dy, 2, dy_kept)},
                   {DNNL_ARG_DIFF_WEIGHTS, &e.dw.chosen, out},
                   {DNNL_ARG_DIFF_BIAS, &e.db, db},
                   scratchpad_arg(e.scratch)});
  e.dw.finish(out, dw);
}

}  // namespace ember::detail::onednn
