#pragma once
// float32 batch and layer normalization on oneDNN (forward and backward), from ember's primitive cache.
//
// Legend: batch normalization normalizes x (N, C, *) per channel C over N and *; layer normalization
// normalizes each row of x viewed as (R, C) over its C elements. scale and shift have C elements; mean
// and var (biased) have C (batch) or R (layer) elements. All buffers are contiguous.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"

namespace ember::detail::onednn {

enum class NormKind { batch, layer };

/// The memory descriptors of one normalization of x of shape `shape` ((R, C) for layer norm).
struct NormDescs {
  dnnl::memory::desc x, scale, stat;

  NormDescs(NormKind kind, const Shape& shape) {
    const auto f32 = dnnl::memory::data_type::f32;
    const auto tag = dnnl::memory::format_tag::x;
    x = desc<float>(shape, contiguous_strides(shape));
    const std::int64_t c = shape[1];  // channels (batch) or row length (layer)
    scale = dnnl::memory::desc({c}, f32, tag);
    stat = dnnl::memory::desc({kind == NormKind::batch ? c : shape[0]}, f32, tag);
  }
};

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
  if constexpr (kKind == NormKind::batch) return {engine(), prop, d.x, d.x, eps, flags};
  else return {engine(), prop, d.x, d.x, d.stat, eps, flags};
}

/// y = (x - mean) / sqrt(var + eps) * scale + shift. With global_stats (batch only), mean and var are
/// read (running statistics); otherwise x's statistics are computed and written to them.
template <NormKind kKind>
void norm_forward(const float* x, const float* scale, const float* shift, float* y, float* mean, float* var,
                  const Shape& shape, float eps, bool global_stats) {
  struct Entry {
    NormForward<kKind> prim;
    NormDescs d;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(norm_key(global_stats ? 1 : 0, kKind, shape, eps), [&] {
    NormDescs d(kKind, shape);
    return Entry{NormForward<kKind>(norm_forward_pd<kKind>(d, eps, global_stats)), d};
  });
  execute(e.prim, {{DNNL_ARG_SRC, &e.d.x, x}, {DNNL_ARG_DST, &e.d.x, y},
                   {DNNL_ARG_SCALE, &e.d.scale, scale}, {DNNL_ARG_SHIFT, &e.d.scale, shift},
                   {DNNL_ARG_MEAN, &e.d.stat, mean}, {DNNL_ARG_VARIANCE, &e.d.stat, var}});
}

/// dx, dscale, dshift: the gradients of a training-mode norm_forward (with the mean and var it wrote).
template <NormKind kKind>
void norm_backward(const float* x, const float* dy, const float* scale, const float* shift, const float* mean,
                   const float* var, float* dx, float* dscale, float* dshift, const Shape& shape, float eps) {
  struct Entry {
    NormBackward<kKind> prim;
    NormDescs d;
  };
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(norm_key(2, kKind, shape, eps), [&] {
    NormDescs d(kKind, shape);
    const auto hint = norm_forward_pd<kKind>(d, eps, false);
    const auto prop = dnnl::prop_kind::backward;
    if constexpr (kKind == NormKind::batch)
      return Entry{NormBackward<kKind>({engine(), prop, d.x, d.x, d.x, eps, kScaleShift, hint}), d};
    else
      return Entry{NormBackward<kKind>({engine(), prop, d.x, d.x, d.x, d.stat, eps, kScaleShift, hint}), d};
  });
  // oneDNN 3.2's layer normalization backward counts the shift among its inputs (it does not read it).
  const float* shift_in = kKind == NormKind::layer ? shift : nullptr;
  execute(e.prim, {{DNNL_ARG_SRC, &e.d.x, x},           {DNNL_ARG_DIFF_DST, &e.d.x, dy},
                   {DNNL_ARG_SCALE, &e.d.scale, scale}, {DNNL_ARG_MEAN, &e.d.stat, mean},
                   {DNNL_ARG_VARIANCE, &e.d.stat, var}, {DNNL_ARG_DIFF_SRC, &e.d.x, dx},
                   {DNNL_ARG_DIFF_SCALE, &e.d.scale, dscale}, {DNNL_ARG_DIFF_SHIFT, &e.d.scale, dshift},
                   {DNNL_ARG_SHIFT, &e.d.scale, shift_in}});
}

}  // namespace ember::detail::onednn
