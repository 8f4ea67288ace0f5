#pragma once
// int8 inference primitives for the quantized deploy ops (docs/deploy-format.md: quantized_conv2d,
// quantized_linear). The float32 input is quantized by oneDNN reorders (xq = saturate(round(x / x_scale))
// to u8 or s8, in the layout the primitive wants); the convolution or matmul multiplies it by the s8
// weights in int32 and scales the sum at run time (oneDNN v3 scales: src scale x_scale, per-output-
// channel weight scales), then adds the f32 bias and applies the eltwise post-op, writing f32:
//   y = act(sum(xq * wq) * x_scale * w_scale[o] + bias[o])
// Scales are run-time arguments, so one cached primitive serves every calibration.
// Only with int8 dot products in hardware (VNNI, AMX) are oneDNN's int8 kernels exact: without them (AVX2,
// AVX-512 before VNNI) they sum pairs of u8*s8 products in saturating int16 (vpmaddubsw), and for int8
// inputs halve the weights to avoid it (oneDNN's "scale_adjust"); with full-range weights most outputs
// differ. There the same semantics run as float32 primitives on the integer values (xq and w as floats:
// products and sums are exact below 2^24) with the scales, bias and activation as post-ops.
// Geometry legend: backend/eigen/conv.hpp.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/conv.hpp"
#include "ember/backend/onednn/cpu_info.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/inference.hpp"

namespace ember::detail::onednn {

/// int8 weights packed once per layout: PackedWeights (inference.hpp) serves both element types.
using PackedInt8Weights = PackedWeights;

/// The f32 -> u8/s8 reorder that quantizes an input, dst = saturate(round(src / scale)) with the scale
/// given at run time, into the layout `dst`: in src's own layout first, then (when dst is another) a
/// second reorder of the 8-bit values. The Fashion-MNIST CNN's 32-channel input at batch 256, one
/// thread: 1.5 ms for one quantizing NCHW -> NHWC reorder, 0.32 + 0.34 ms for the two.
struct Quantize {
  dnnl::reorder prim;
  dnnl::memory::desc src, plain, dst, scale, scratch;
  std::optional<dnnl::reorder> to_dst;

  Quantize(const dnnl::memory::desc& src_md, const dnnl::memory::desc& dst_md)
      : src(src_md),
        plain(src_md.get_dims(), dst_md.get_data_type(), src_md.get_strides()),
        dst(dst_md),
        scale({1}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x) {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    attr.set_scales_mask(DNNL_ARG_DST, 0);  // oneDNN reorders divide by the destination scale
    dnnl::reorder::primitive_desc pd(engine(), src, engine(), plain, attr);
    prim = dnnl::reorder(pd);
    scratch = pd.scratchpad_desc();
    if (plain != dst) to_dst = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), plain, engine(), dst));
  }

  /// Quantizes x (layout src) into this thread's buffer 1 (layout dst, through buffer 3); returns it.
  void* run(const float* x, const float& x_scale) const {
    void* q = thread_buffer(to_dst ? 3 : 1, plain.get_size());
    execute(prim, {{DNNL_ARG_SRC, &src, x},
                   {DNNL_ARG_DST, &plain, q},
                   {DNNL_ARG_ATTR_SCALES | DNNL_ARG_DST, &scale, &x_scale},
                   scratchpad_arg(scratch)});
    if (!to_dst) return q;
    void* out = thread_buffer(1, dst.get_size());
    execute(*to_dst, {{DNNL_ARG_SRC, &plain, q}, {DNNL_ARG_DST, &dst, out}});
    return out;
  }
};

/// The attributes of an int8 primitive: user scratchpad, post-op, a common src scale and per-output-
/// channel weight scales (w_mask: the weights dims that index the output channel).
inline dnnl::primitive_attr int8_attr(const PostOp& post, int w_mask) {
  dnnl::primitive_attr a = post.attr();
  a.set_scales_mask(DNNL_ARG_SRC, 0);
  a.set_scales_mask(DNNL_ARG_WEIGHTS, w_mask);
  return a;
}

/// An int8 inference convolution in the layouts oneDNN prefers, with the quantizing reorder in front
/// and the reorder of its f32 output back to NCHW.
struct QuantizedConvInference {
  dnnl::convolution_forward prim;
  std::optional<Quantize> x_in;
  dnnl::memory::desc w_plain, w, b, y_plain, y, x_scale, w_scale, scratch;
  std::optional<dnnl::reorder> y_out;
};

/// The cached int8 inference convolution of geometry p.
inline QuantizedConvInference quantized_conv2d_primitive(const ConvGeometry& p, bool x_unsigned, bool bias,
                                                         const PostOp& post) {
  static PrimitiveCache<QuantizedConvInference> cache;
  Key key = conv_key(10, p, bias);
  key.add(x_unsigned ? 1 : 0);
  post.add_to(key);
  return cache.get(key, [&] {
    using dt = dnnl::memory::data_type;
    const auto any = dnnl::memory::format_tag::any;
    const ConvDescs d(p);
    QuantizedConvInference e;
    e.w_plain = p.g == 1 ? dnnl::memory::desc(d.w.get_dims(), dt::s8, dnnl::memory::format_tag::oihw)
                         : dnnl::memory::desc(d.w.get_dims(), dt::s8, dnnl::memory::format_tag::goihw);
    e.b = d.b;
    e.y_plain = d.y;
    e.x_scale = dnnl::memory::desc({1}, dt::f32, dnnl::memory::format_tag::x);
    e.w_scale = dnnl::memory::desc({p.o}, dt::f32, dnnl::memory::format_tag::x);
    const dnnl::memory::desc x(d.x.get_dims(), x_unsigned ? dt::u8 : dt::s8, any), w(d.w.get_dims(), dt::s8, any),
        y(d.y.get_dims(), dt::f32, any);
    const auto attr = int8_attr(post, p.g == 1 ? 1 << 0 : (1 << 0) | (1 << 1));
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto alg = dnnl::algorithm::convolution_direct;
    dnnl::convolution_forward::primitive_desc pd;
    try {
      pd = bias ? dnnl::convolution_forward::primitive_desc(engine(), prop, alg, x, w, d.b, y, d.stride, d.dilation,
                                                            d.pad_l, d.pad_r, attr)
                : dnnl::convolution_forward::primitive_desc(engine(), prop, alg, x, w, y, d.stride, d.dilation,
                                                            d.pad_l, d.pad_r, attr);
    } catch (const dnnl::error& err) {
      fail<std::invalid_argument>("quantized_conv2d", "oneDNN has no int8 convolution for input (", p.n, ", ", p.c,
                                  ", ", p.h, ", ", p.w, ") ", x_unsigned ? "uint8" : "int8", ", weight (", p.o, ", ",
                                  p.c_per_group(), ", ", p.kh, ", ", p.kw, "), groups ", p.g, ": ", err.what());
    }
    e.prim = dnnl::convolution_forward(pd);
    e.x_in.emplace(d.x, pd.src_desc());
    e.w = pd.weights_desc();
    e.y = pd.dst_desc();
    e.scratch = pd.scratchpad_desc();
    if (e.y != e.y_plain) e.y_out = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), e.y, engine(), e.y_plain));
    return e;
  });
}

/// Runs the int8 convolution e on plain x, writing `out` in e's output layout e.y.
inline void run_quantized_conv(const QuantizedConvInference& e, const float* x, PackedInt8Weights& packed,
                               const float* w_scale, const float* b, float x_scale, void* out) {
  const void* xq = e.x_in->run(x, x_scale);
  execute(e.prim, {{DNNL_ARG_SRC, &e.x_in->dst, xq},
                   {DNNL_ARG_WEIGHTS, &e.w, packed.get(e.w, e.w_plain)},
                   {DNNL_ARG_BIAS, &e.b, b},
                   {DNNL_ARG_DST, &e.y, out},
                   {DNNL_ARG_ATTR_SCALES | DNNL_ARG_SRC, &e.x_scale, &x_scale},
                   {DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, &e.w_scale, w_scale},
                   scratchpad_arg(e.scratch)});
}

/// quantized_conv2d_inference on oneDNN's int8 convolution (exact only where int8_dot_native()):
/// y = act(conv(xq, w) * x_scale * w_scale[o] + b[o]) for inference, xq = x quantized with x_scale to
/// uint8 (x_unsigned) or int8: x (N, C, H, W) f32, w (O, C/groups, kH, kW) int8 contiguous (its packed
/// copies in `packed`), w_scale (O), b (O) or null, y (N, O, OH, OW) f32.
inline void quantized_conv2d_int8(const float* x, PackedInt8Weights& packed, const float* w_scale, const float* b,
                                  float* y, const ConvGeometry& p, float x_scale, bool x_unsigned,
                                  const PostOp& post) {
  const QuantizedConvInference e = quantized_conv2d_primitive(p, x_unsigned, b != nullptr, post);
  void* out = e.y_out ? thread_buffer(2, e.y.get_size()) : y;
  run_quantized_conv(e, x, packed, w_scale, b, x_scale, out);
  if (e.y_out) execute(*e.y_out, {{DNNL_ARG_SRC, &e.y, out}, {DNNL_ARG_DST, &e.y_plain, y}});
}

/// quantized_linear_inference on oneDNN's int8 matmul (exact only where int8_dot_native()):
/// y = act((xq @ w^T) * x_scale * w_scale[j] + b[j]) for inference, xq = x quantized with x_scale to
/// uint8 (x_unsigned) or int8: x (M, K) f32, w (out=N, K) int8 contiguous (its packed copies in
/// `packed`), w_scale (N), b (N) or null, y (M, N) f32.
inline void quantized_linear_int8(const float* x, PackedInt8Weights& packed, const float* w_scale, const float* b,
                                  float* y, std::int64_t m, std::int64_t k, std::int64_t n, float x_scale,
                                  bool x_unsigned, const PostOp& post) {
  struct Entry {
    dnnl::matmul prim;
    std::optional<Quantize> x_in;
    dnnl::memory::desc w_plain, w, b, y, x_scale, w_scale, scratch;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(220).add(b ? 1 : 0).add(x_unsigned ? 1 : 0).add(m).add(k).add(n);
  post.add_to(key);
  const Entry e = cache.get(key, [&] {
    using dt = dnnl::memory::data_type;
    Entry en;
    const dnnl::memory::desc x_plain({m, k}, dt::f32, dnnl::memory::dims{k, 1}),
        xq({m, k}, x_unsigned ? dt::u8 : dt::s8, dnnl::memory::dims{k, 1});
    en.w_plain = dnnl::memory::desc({k, n}, dt::s8, dnnl::memory::dims{1, k});  // w^T as stored
    en.b = dnnl::memory::desc({1, n}, dt::f32, dnnl::memory::dims{n, 1});
    en.y = dnnl::memory::desc({m, n}, dt::f32, dnnl::memory::dims{n, 1});
    en.x_scale = dnnl::memory::desc({1}, dt::f32, dnnl::memory::format_tag::x);
    en.w_scale = dnnl::memory::desc({n}, dt::f32, dnnl::memory::format_tag::x);
    const dnnl::memory::desc w_any({k, n}, dt::s8, dnnl::memory::format_tag::any);
    const auto attr = int8_attr(post, 1 << 1);
    dnnl::matmul::primitive_desc pd;
    try {
      pd = b ? dnnl::matmul::primitive_desc(engine(), xq, w_any, en.b, en.y, attr)
             : dnnl::matmul::primitive_desc(engine(), xq, w_any, en.y, attr);
    } catch (const dnnl::error& err) {
      fail<std::invalid_argument>("quantized_linear", "oneDNN has no int8 matmul for input (", m, ", ", k, ") ",
                                  x_unsigned ? "uint8" : "int8", ", weight (", n, ", ", k, "): ", err.what());
    }
    en.prim = dnnl::matmul(pd);
    en.x_in.emplace(x_plain, xq);
    en.w = pd.weights_desc();
    en.scratch = pd.scratchpad_desc();
    return en;
  });
  const void* xq = e.x_in->run(x, x_scale);
  execute(e.prim, {{DNNL_ARG_SRC, &e.x_in->dst, xq},
                   {DNNL_ARG_WEIGHTS, &e.w, packed.get(e.w, e.w_plain)},
                   {DNNL_ARG_BIAS, &e.b, b},
                   {DNNL_ARG_DST, &e.y, y},
                   {DNNL_ARG_ATTR_SCALES | DNNL_ARG_SRC, &e.x_scale, &x_scale},
                   {DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, &e.w_scale, w_scale},
                   scratchpad_arg(e.scratch)});
}

/// Whether oneDNN runs int8 dot products in hardware (VNNI or AMX), where its int8 kernels are exact.
inline bool int8_dot_native() {
  static const bool native = cpu_info().int8_native;
  return native;
}

/// Quantizes x like Quantize, then converts the integers back to float32 in layout `dst`.
struct QuantizeToFloat {
  Quantize q;
  dnnl::memory::desc dst;
  dnnl::reorder to_float;

  QuantizeToFloat(const dnnl::memory::desc& src, bool x_unsigned, const dnnl::memory::desc& dst_md)
      : q(src, dnnl::memory::desc(src.get_dims(),
                                  x_unsigned ? dnnl::memory::data_type::u8 : dnnl::memory::data_type::s8,
                                  src.get_strides())),
        dst(dst_md),
        to_float(dnnl::reorder::primitive_desc(engine(), q.dst, engine(), dst)) {}

  /// xq as floats in this thread's buffer 3.
  void* run(const float* x, const float& x_scale) const {
    const void* q8 = q.run(x, x_scale);
    void* out = thread_buffer(3, dst.get_size());
    execute(to_float, {{DNNL_ARG_SRC, &q.dst, q8}, {DNNL_ARG_DST, &dst, out}});
    return out;
  }
};

/// The post-ops of the float32 path: * scale[o] (x_scale * w_scale[o]), + bias[o], then the activation;
/// per-channel operands described by md.
inline dnnl::primitive_attr f32_path_attr(const dnnl::memory::desc& md, bool bias, const PostOp& post) {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops ops;
  ops.append_binary(dnnl::algorithm::binary_mul, md);
  if (bias) ops.append_binary(dnnl::algorithm::binary_add, md);
  if (!post.empty()) ops.append_eltwise(post.alg, post.alpha, post.beta);
  a.set_post_ops(ops);
  return a;
}

/// x_scale * w_scale[o] for the n channels, in this thread's scale buffer.
inline const float* channel_scales(float x_scale, const float* w_scale, std::int64_t n) {
  thread_local std::vector<float> s;
  s.resize(n);
  for (std::int64_t i = 0; i < n; ++i) s[i] = x_scale * w_scale[i];
  return s.data();
}

/// The float32-path convolution of quantized_conv2d_inference, with its quantizing reorders in front and
/// the reorder of its output back to NCHW.
struct QuantizedConvF32 {
  dnnl::convolution_forward prim;
  std::optional<QuantizeToFloat> x_in;
  dnnl::memory::desc w_plain, w, channel, y_plain, y, scratch;
  std::optional<dnnl::reorder> y_out;
};

/// The cached float32-path convolution of geometry p.
inline QuantizedConvF32 quantized_conv2d_f32_primitive(const ConvGeometry& p, bool x_unsigned, bool bias,
                                                       const PostOp& post) {
  static PrimitiveCache<QuantizedConvF32> cache;
  Key key = conv_key(11, p, bias);
  key.add(x_unsigned ? 1 : 0);
  post.add_to(key);
  return cache.get(key, [&] {
    using dt = dnnl::memory::data_type;
    const auto any = dnnl::memory::format_tag::any;
    const ConvDescs d(p);
    QuantizedConvF32 e;
    e.y_plain = d.y;
    e.w_plain = p.g == 1 ? dnnl::memory::desc(d.w.get_dims(), dt::s8, dnnl::memory::format_tag::oihw)
                         : dnnl::memory::desc(d.w.get_dims(), dt::s8, dnnl::memory::format_tag::goihw);
    e.channel = dnnl::memory::desc({1, p.o, 1, 1}, dt::f32, dnnl::memory::format_tag::nchw);
    const dnnl::memory::desc xa(d.x.get_dims(), dt::f32, any), wa(d.w.get_dims(), dt::f32, any),
        ya(d.y.get_dims(), dt::f32, any);
    dnnl::convolution_forward::primitive_desc pd;
    try {
      pd = dnnl::convolution_forward::primitive_desc(engine(), dnnl::prop_kind::forward_inference,
                                                     dnnl::algorithm::convolution_direct, xa, wa, ya, d.stride,
                                                     d.dilation, d.pad_l, d.pad_r,
                                                     f32_path_attr(e.channel, bias, post));
    } catch (const dnnl::error& err) {
      fail<std::invalid_argument>("quantized_conv2d", "oneDNN has no convolution for input (", p.n, ", ", p.c, ", ",
                                  p.h, ", ", p.w, "), weight (", p.o, ", ", p.c_per_group(), ", ", p.kh, ", ", p.kw,
                                  "), groups ", p.g, ": ", err.what());
    }
    e.prim = dnnl::convolution_forward(pd);
    e.x_in.emplace(d.x, x_unsigned, pd.src_desc());
    e.w = pd.weights_desc();
    e.y = pd.dst_desc();
    e.scratch = pd.scratchpad_desc();
    if (e.y != e.y_plain) e.y_out = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), e.y, engine(), e.y_plain));
    return e;
  });
}

/// Runs the float32-path convolution e on plain x, writing `out` in e's output layout e.y.
inline void run_quantized_conv(const QuantizedConvF32& e, const float* x, PackedInt8Weights& packed,
                               const float* w_scale, const float* b, float x_scale, void* out) {
  const void* xq = e.x_in->run(x, x_scale);
  const float* scales = channel_scales(x_scale, w_scale, e.channel.get_dims()[1]);
  execute(e.prim, {{DNNL_ARG_SRC, &e.x_in->dst, xq},
                   {DNNL_ARG_WEIGHTS, &e.w, packed.get(e.w, e.w_plain)},
                   {DNNL_ARG_DST, &e.y, out},
                   {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, &e.channel, scales},
                   {DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, &e.channel, b},
                   scratchpad_arg(e.scratch)});
}

/// quantized_conv2d_inference as a float32 convolution of the integer values (exact on every ISA).
inline void quantized_conv2d_f32(const float* x, PackedInt8Weights& packed, const float* w_scale, const float* b,
                                 float* y, const ConvGeometry& p, float x_scale, bool x_unsigned,
                                 const PostOp& post) {
  const QuantizedConvF32 e = quantized_conv2d_f32_primitive(p, x_unsigned, b != nullptr, post);
  void* out = e.y_out ? thread_buffer(2, e.y.get_size()) : y;
  run_quantized_conv(e, x, packed, w_scale, b, x_scale, out);
  if (e.y_out) execute(*e.y_out, {{DNNL_ARG_SRC, &e.y, out}, {DNNL_ARG_DST, &e.y_plain, y}});
}

/// quantized_linear_inference as a float32 matmul of the integer values (exact on every ISA).
inline void quantized_linear_f32(const float* x, PackedInt8Weights& packed, const float* w_scale, const float* b,
                                 float* y, std::int64_t m, std::int64_t k, std::int64_t n, float x_scale,
                                 bool x_unsigned, const PostOp& post) {
  struct Entry {
    dnnl::matmul prim;
    std::optional<QuantizeToFloat> x_in;
    dnnl::memory::desc x, w_plain, w, channel, y, scratch;
  };
  static PrimitiveCache<Entry> cache;
  Key key;
  key.add(221).add(b ? 1 : 0).add(x_unsigned ? 1 : 0).add(m).add(k).add(n);
  post.add_to(key);
  const Entry e = cache.get(key, [&] {
    using dt = dnnl::memory::data_type;
    Entry en;
    en.x = dnnl::memory::desc({m, k}, dt::f32, dnnl::memory::dims{k, 1});
    en.w_plain = dnnl::memory::desc({k, n}, dt::s8, dnnl::memory::dims{1, k});  // w^T as stored
    en.channel = dnnl::memory::desc({1, n}, dt::f32, dnnl::memory::dims{n, 1});
    en.y = dnnl::memory::desc({m, n}, dt::f32, dnnl::memory::dims{n, 1});
    const dnnl::memory::desc w_any({k, n}, dt::f32, dnnl::memory::format_tag::any);
    dnnl::matmul::primitive_desc pd;
    try {
      pd = dnnl::matmul::primitive_desc(engine(), en.x, w_any, en.y, f32_path_attr(en.channel, b != nullptr, post));
    } catch (const dnnl::error& err) {
      fail<std::invalid_argument>("quantized_linear", "oneDNN has no matmul for input (", m, ", ", k, "), weight (",
                                  n, ", ", k, "): ", err.what());
    }
    en.prim = dnnl::matmul(pd);
    en.x_in.emplace(en.x, x_unsigned, en.x);
    en.w = pd.weights_desc();
    en.scratch = pd.scratchpad_desc();
    return en;
  });
  const void* xq = e.x_in->run(x, x_scale);
  const float* scales = channel_scales(x_scale, w_scale, n);
  execute(e.prim, {{DNNL_ARG_SRC, &e.x, xq},
                   {DNNL_ARG_WEIGHTS, &e.w, packed.get(e.w, e.w_plain)},
                   {DNNL_ARG_DST, &e.y, y},
                   {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, &e.channel, scales},
                   {DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, &e.channel, b},
                   scratchpad_arg(e.scratch)});
}

/// y = act(conv(xq, w) * x_scale * w_scale[o] + b[o]) for inference, xq = clamp(round_half_to_even(x /
/// x_scale)) to uint8 (x_unsigned) or int8: x (N, C, H, W) f32, w (O, C/groups, kH, kW) int8 contiguous
/// (its packed copies in `packed`), w_scale (O), b (O) or null, y (N, O, OH, OW) f32. oneDNN's int8
/// convolution where the CPU has int8 dot products, else the float32 path (see the top of this file).
inline void quantized_conv2d_inference(const float* x, PackedInt8Weights& packed, const float* w_scale,
                                       const float* b, float* y, const ConvGeometry& p, float x_scale,
                                       bool x_unsigned, const PostOp& post) {
  if (int8_dot_native())
    quantized_conv2d_int8(x, packed, w_scale, b, y, p, x_scale, x_unsigned, post);
  else
    quantized_conv2d_f32(x, packed, w_scale, b, y, p, x_scale, x_unsigned, post);
}

/// y = act((xq @ w^T) * x_scale * w_scale[j] + b[j]) for inference, xq as in quantized_conv2d_inference:
/// x (M, K) f32, w (out=N, K) int8 contiguous (its packed copies in `packed`), w_scale (N), b (N) or null,
/// y (M, N) f32. oneDNN's int8 matmul where the CPU has int8 dot products, else the float32 path.
inline void quantized_linear_inference(const float* x, PackedInt8Weights& packed, const float* w_scale,
                                       const float* b, float* y, std::int64_t m, std::int64_t k, std::int64_t n,
                                       float x_scale, bool x_unsigned, const PostOp& post) {
  if (int8_dot_native())
    quantized_linear_int8(x, packed, w_scale, b, y, m, k, n, x_scale, x_unsigned, post);
  else
    quantized_linear_f32(x, packed, w_scale, b, y, m, k, n, x_scale, x_unsigned, post);
}

/// quantized_conv2d_inference followed by max pooling of geometry q, the pooling run on the convolution's
/// own (blocked) output so that only the pooled output is reordered back to NCHW (as conv2d_pool_inference);
/// y is (N, O, QH, QW). Returns false, doing nothing, when oneDNN cannot pool q (pool_pad_r). int8: run
/// the int8 convolution (by default where it is exact) or the float32 path.
inline bool quantized_conv2d_pool_inference(const float* x, PackedInt8Weights& packed, const float* w_scale,
                                            const float* b, float* y, const ConvGeometry& p, float x_scale,
                                            bool x_unsigned, const PostOp& post, const PoolGeometry& q,
                                            bool int8 = int8_dot_native()) {
  const auto pad_r = pool_pad_r(q);
  if (!pad_r) return false;
  auto conv_then_pool = [&](const auto& e) {
    void* conv_out = thread_buffer(2, e.y.get_size());
    run_quantized_conv(e, x, packed, w_scale, b, x_scale, conv_out);
    run_pool_inference(max_pool2d_inference_primitive(e.y, q, *pad_r), conv_out, y);
  };
  if (int8)
    conv_then_pool(quantized_conv2d_primitive(p, x_unsigned, b != nullptr, post));
  else
    conv_then_pool(quantized_conv2d_f32_primitive(p, x_unsigned, b != nullptr, post));
  return true;
}

}  // namespace ember::detail::onednn
