#pragma once
// float32 2-d transposed convolution on oneDNN's deconvolution primitives (forward, backward-data,
// backward-weights), each fetched from ember's primitive cache, with the operand layouts chosen and
// reordered as backend/onednn/conv.hpp does.
//
// A transposed convolution is described by the geometry p of its adjoint convolution (legend:
// backend/eigen/conv.hpp): the transposed convolution's input x (N, Cin, H, W) is that convolution's
// output (p.n, p.o, p.oh, p.ow), its output y (N, Cout, OH, OW) is the convolution's input
// (p.n, p.c, p.h, p.w), and its weight (Cin, Cout/G, kH, kW) (PyTorch's layout) is the convolution's
// (p.o, p.c / G, kH, kW). In oneDNN's terms the weight is (Cout, Cin, kH, kW) stored iohw (giohw with groups).
#include <oneapi/dnnl/dnnl.hpp>

#include "ember/backend/onednn/conv.hpp"

namespace ember::detail::onednn {

/// The memory descriptors and parameters of the transposed convolution adjoint to geometry p.
struct DeconvDescs {
  dnnl::memory::desc x, w, b, y;
  dnnl::memory::dims stride, dilation, pad_l, pad_r;

  DeconvDescs(const ConvGeometry& p, bool choose) {
    using tag = dnnl::memory::format_tag;
    const auto f32 = dnnl::memory::data_type::f32;
    const ConvDescs c(p);
    x = dnnl::memory::desc({p.n, p.o, p.oh, p.ow}, f32, choose ? tag::any : tag::nchw);
    y = dnnl::memory::desc({p.n, p.c, p.h, p.w}, f32, choose ? tag::any : tag::nchw);
    w = p.g == 1 ? dnnl::memory::desc({p.c, p.o, p.kh, p.kw}, f32, choose ? tag::any : tag::iohw)
                 : dnnl::memory::desc({p.g, p.c_per_group(), p.o_per_group(), p.kh, p.kw}, f32,
                                      choose ? tag::any : tag::giohw);
    b = dnnl::memory::desc({p.c}, f32, tag::x);
    stride = c.stride, dilation = c.dilation, pad_l = c.pad_l, pad_r = c.pad_r;
  }

  dnnl::deconvolution_forward::primitive_desc forward(bool bias) const {
    const auto prop = dnnl::prop_kind::forward_training;
    const auto alg = dnnl::algorithm::deconvolution_direct;
    return bias ? dnnl::deconvolution_forward::primitive_desc(engine(), prop, alg, x, w, b, y, stride, dilation, pad_l,
                                                              pad_r, ConvDescs::user_scratchpad())
                : dnnl::deconvolution_forward::primitive_desc(engine(), prop, alg, x, w, y, stride, dilation, pad_l,
                                                              pad_r, ConvDescs::user_scratchpad());
  }
};

/// Whether the transposed convolution's primitives choose their layouts: as conv.hpp's rule, with the
/// forward pass in the role of the convolution's backward-data (few output channels stay plain).
inline bool deconv_chooses_layouts(const ConvGeometry& p, bool forward) { return chooses_layouts(p, forward); }

/// The cache key of geometry p for primitive kind `kind` (0 forward, 1 backward data, 2 backward weights).
inline Key deconv_key(int kind, const ConvGeometry& p, bool bias) {
  Key k = conv_key(kind, p, bias);
  k.add(200);
  return k;
}

/// y = conv_transpose(x, w) + b (b may be null); x_kept as conv2d_forward's.
inline void conv_transpose2d_forward(const float* x, const float* w, const float* b, float* y, const ConvGeometry& p,
                                     Kept* x_kept = nullptr) {
  struct Entry {
    dnnl::deconvolution_forward prim;
    Operand x, w, y;
    dnnl::memory::desc b, scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(deconv_key(0, p, b != nullptr), [&] {
    const DeconvDescs plain(p, false);
    const auto pd = DeconvDescs(p, deconv_chooses_layouts(p, true)).forward(b != nullptr);
    return Entry{dnnl::deconvolution_forward(pd), Operand(plain.x, pd.src_desc(), true),
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

/// dx = the gradient of the transposed convolution with respect to its input, given dy (dy_kept as
/// conv2d_backward_data's).
inline void conv_transpose2d_backward_data(const float* dy, const float* w, float* dx, const ConvGeometry& p,
                                           Kept* dy_kept = nullptr) {
  struct Entry {
    dnnl::deconvolution_backward_data prim;
    Operand dy, w, dx;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(deconv_key(1, p, false), [&] {
    const DeconvDescs plain(p, false);
    const DeconvDescs d(p, deconv_chooses_layouts(p, false));
    dnnl::deconvolution_backward_data::primitive_desc pd(engine(), dnnl::algorithm::deconvolution_direct, d.x, d.w,
                                                         d.y, d.stride, d.dilation, d.pad_l, d.pad_r, d.forward(false),
                                                         ConvDescs::user_scratchpad());
    return Entry{dnnl::deconvolution_backward_data(pd), Operand(plain.y, pd.diff_dst_desc(), true),
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

/// dw (and db when not null) = the gradients of the transposed convolution with respect to w and b (x_kept,
/// dy_kept as conv2d_backward_weights').
inline void conv_transpose2d_backward_weights(const float* x, const float* dy, float* dw, float* db,
                                              const ConvGeometry& p, Kept* x_kept = nullptr,
                                              Kept* dy_kept = nullptr) {
  struct Entry {
    dnnl::deconvolution_backward_weights prim;
    Operand x, dy, dw;
    dnnl::memory::desc db, scratch;
  };
  static PrimitiveCache<Entry> cache;
  const bool bias = db != nullptr;
  const Entry e = cache.get(deconv_key(2, p, bias), [&] {
    const DeconvDescs plain(p, false);
    const DeconvDescs d(p, deconv_chooses_layouts(p, false));
    const auto alg = dnnl::algorithm::deconvolution_direct;
    auto pd = bias ? dnnl::deconvolution_backward_weights::primitive_desc(
                         engine(), alg, d.x, d.w, d.b, d.y, d.stride, d.dilation, d.pad_l, d.pad_r, d.forward(true),
                         ConvDescs::user_scratchpad())
                   : dnnl::deconvolution_backward_weights::primitive_desc(
                         engine(), alg, d.x, d.w, d.y, d.stride, d.dilation, d.pad_l, d.pad_r, d.forward(false),
                         ConvDescs::user_scratchpad());
    return Entry{dnnl::deconvolution_backward_weights(pd), Operand(plain.x, pd.src_desc(), true),
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
