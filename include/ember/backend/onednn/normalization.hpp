#pragma once
// float32 batch and layer normalization on oneDNN (forward and backward), from ember's primitive cache.
//
// Legend: batch normalization normalizes x (N, C, *) per channel C over N and *; layer normalization
// normalizes each row of x viewed as (R, C) over its C elements. scale and shift have C elements; mean
// and var (biased) have C (batch) or R (layer) elements. All buffers are contiguous.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/operand.hpp"

namespace ember::detail::onednn {

enum class NormKind { batch, layer };

/// The memory descriptors of one normalization of x of shape `shape` ((R, C) for layer norm): x in
/// ember's plain layout and in the one the primitive runs in, scale/shift, mean/var.
struct NormDescs {
  dnnl::memory::desc x, run, scale, stat;

  NormDescs(NormKind kind, const Shape& shape) {
    const auto f32 = dnnl::memory::data_type::f32;
    const auto tag = dnnl::memory::format_tag::x;
    x = run = desc<float>(shape, contiguous_strides(shape));
    const std::int64_t c = shape[1];  // channels (batch) or row length (layer)
    scale = dnnl::memory::desc({c}, f32, tag);
    stat = dnnl::memory::desc({kind == NormKind::batch ? c : shape[0]}, f32, tag);
  }
};

/// The channel-blocked layouts (block 16, then 8) that batch normalization of a 3- to 5-d input with
/// at least 16 channels may run in. On the plain layout oneDNN has only its reference-like ncsp
/// kernel: fwd + bwd of 32x64x16x16 took 1.5 ms there and 0.6 ms blocked, reorders in and out included.
inline std::vector<dnnl::memory::desc> blocked_norm_layouts(NormKind kind, const Shape& shape) {
  using tag = dnnl::memory::format_tag;
  if (kind != NormKind::batch || shape.size() < 3 || shape.size() > 5 || shape[1] < 16) return {};
  const tag t16[] = {tag::nCw16c, tag::nChw16c, tag::nCdhw16c}, t8[] = {tag::nCw8c, tag::nChw8c, tag::nCdhw8c};
  const dnnl::memory::dims d(shape.begin(), shape.end());
  const auto f32 = dnnl::memory::data_type::f32;
  return {dnnl::memory::desc(d, f32, t16[shape.size() - 3]), dnnl::memory::desc(d, f32, t8[shape.size() - 3])};
}

/// Attributes asking for a caller-provided scratchpad (engine.hpp: scratchpad_arg).
inline dnnl::primitive_attr norm_attr() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

inline Key norm_key(int op, NormKind kind, const Shape& shape, float eps) {
  std::int32_t bits;
  std::memcpy(&bits, &eps, sizeof(bits));
  Key k;
  k.add(300 + op).add(static_cast<std::int64_t>(kind)).add(bits).add(shape);
  return k;
}

template <NormKind kKind>
using NormForward = std::conditional_t<kKind == NormKind::batch, dnnl::batch_normalization_forward,
                                       dnnl::layer_normalization_forward>;
template <NormKind kKind>
using NormBackward = std::conditional_t<kKind == NormKind::batch, dnnl::batch_normalization_backward,
                                        dnnl::layer_normalization_backward>;

inline const dnnl::normalization_flags kScaleShift =
    dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

template <NormKind kKind>
typename NormForward<kKind>::primitive_desc norm_forward_pd(const NormDescs& d, float eps, bool global_stats) {
  const auto prop = global_stats ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
  const auto flags = global_stats ? kScaleShift | dnnl::normalization_flags::use_global_stats : kScaleShift;
  if constexpr (kKind == NormKind::batch) return {engine(), prop, d.run, d.run, eps, flags, norm_attr()};
  else return {engine(), prop, d.run, d.run, d.stat, eps, flags, norm_attr()};
}

/// The descriptors of a normalization of shape: in the first blocked layout that a jit kernel runs
/// (blocked_norm_layouts), else plain.
template <NormKind kKind>
NormDescs norm_descs(const Shape& shape, float eps, bool global_stats) {
  NormDescs d(kKind, shape);
  for (const auto& blocked : blocked_norm_layouts(kKind, shape)) {
    NormDescs b = d;
    b.run = blocked;
    const std::string impl = norm_forward_pd<kKind>(b, eps, global_stats).impl_info_str();
    if (impl.find("jit") != std::string::npos) return b;
  }
  return d;
}

/// y = (x - mean) / sqrt(var + eps) * scale + shift. With global_stats (batch only), mean and var are
/// read (running statistics); otherwise x's statistics are computed and written to them.
template <NormKind kKind>
void norm_forward(const float* x, const float* scale, const float* shift, float* y, float* mean, float* var,
                  const Shape& shape, float eps, bool global_stats) {
  struct Entry {
    NormForward<kKind> prim;
    NormDescs d;
    Operand x, y;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(norm_key(global_stats ? 1 : 0, kKind, shape, eps), [&] {
    const NormDescs d = norm_descs<kKind>(shape, eps, global_stats);
    const auto pd = norm_forward_pd<kKind>(d, eps, global_stats);
    return Entry{NormForward<kKind>(pd), d, Operand(d.x, d.run, true), Operand(d.x, d.run, false),
                 pd.scratchpad_desc()};
  });
  void* out = e.y.out(y, 3);
  execute(e.prim, {{DNNL_ARG_SRC, &e.d.run, e.x.in(x, 1)}, {DNNL_ARG_DST, &e.d.run, out},
                   {DNNL_ARG_SCALE, &e.d.scale, scale}, {DNNL_ARG_SHIFT, &e.d.scale, shift},
                   {DNNL_ARG_MEAN, &e.d.stat, mean}, {DNNL_ARG_VARIANCE, &e.d.stat, var},
                   scratchpad_arg(e.scratch)});
  e.y.finish(out, y);
}

/// dx, dscale, dshift: the gradients of a training-mode norm_forward (with the mean and var it wrote).
template <NormKind kKind>
void norm_backward(const float* x, const float* dy, const float* scale, const float* shift, const float* mean,
                   const float* var, float* dx, float* dscale, float* dshift, const Shape& shape, float eps) {
  struct Entry {
    NormBackward<kKind> prim;
    NormDescs d;
    Operand in, out;
    dnnl::memory::desc scratch;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(norm_key(2, kKind, shape, eps), [&] {
    const NormDescs d = norm_descs<kKind>(shape, eps, false);
    const auto hint = norm_forward_pd<kKind>(d, eps, false);
    const auto prop = dnnl::prop_kind::backward;
    typename NormBackward<kKind>::primitive_desc pd;
    if constexpr (kKind == NormKind::batch)
      pd = {engine(), prop, d.run, d.run, d.run, eps, kScaleShift, hint, norm_attr()};
    else
      pd = {engine(), prop, d.run, d.run, d.run, d.stat, eps, kScaleShift, hint, norm_attr()};
    return Entry{NormBackward<kKind>(pd), d, Operand(d.x, d.run, true), Operand(d.x, d.run, false),
                 pd.scratchpad_desc()};
  });
  // oneDNN 3.2's layer normalization backward counts the shift among its inputs (it does not read it).
  const float* shift_in = kKind == NormKind::layer ? shift : nullptr;
  void* out = e.out.out(dx, 3);
  execute(e.prim, {{DNNL_ARG_SRC, &e.d.run, e.in.in(x, 1)},   {DNNL_ARG_DIFF_DST, &e.d.run, e.in.in(dy, 2)},
                   {DNNL_ARG_SCALE, &e.d.scale, scale},      {DNNL_ARG_MEAN, &e.d.stat, mean},
                   {DNNL_ARG_VARIANCE, &e.d.stat, var},      {DNNL_ARG_DIFF_SRC, &e.d.run, out},
                   {DNNL_ARG_DIFF_SCALE, &e.d.scale, dscale}, {DNNL_ARG_DIFF_SHIFT, &e.d.scale, dshift},
                   {DNNL_ARG_SHIFT, &e.d.scale, shift_in},   scratchpad_arg(e.scratch)});
  e.out.finish(out, dx);
}

}  // namespace ember::detail::onednn
