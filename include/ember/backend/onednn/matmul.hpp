#pragma once
// float32 matrix products on oneDNN's matmul primitive, fetched from ember's primitive cache, and their
// bfloat16 form under autocast (core/autocast.hpp).
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <limits>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/cpu_info.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/operand.hpp"
#include "ember/core/autocast.hpp"

namespace ember::detail::onednn {

/// Below this many multiply-adds (batch * M * N * K) a float32 product runs on Eigen: a oneDNN
/// call costs about a microsecond of fixed overhead, more than a small product itself.
inline constexpr std::int64_t kMinMatmulWork = 32 * 32 * 32;

/// A ready matmul primitive with the memory descriptors it was made for.
struct MatmulEntry {
  dnnl::matmul prim;
  dnnl::memory::desc a_md, b_md, out_md, scratch;
  bool reference = false;  // oneDNN chose its reference loop: these strides have no fast kernel
};

/// True when oneDNN can run a matrix product of rank r (it has at most DNNL_MAX_NDIMS dims).
inline bool matmul_supported(std::size_t rank) { return rank >= 2 && rank <= DNNL_MAX_NDIMS; }

/// out = a @ b, batched. With the dim letters B (batch), M, K, N, all shapes have the same rank r:
/// a is (Ba..., M, K), b is (Bb..., K, N), out is (B..., M, N) and contiguous, and every batch dim
/// of a and b is either out's or 1 (broadcast, which oneDNN does itself). Strides are in elements
/// and may be anything oneDNN accepts (a transposed view runs without a copy).
/// Returns false, doing nothing, when oneDNN only has its slow reference loop for these strides and
/// allow_reference is false: the caller then passes contiguous copies.
template <Element T>
bool matmul(const T* a, const Shape& a_shape, const Shape& a_strides, const T* b, const Shape& b_shape,
            const Shape& b_strides, T* out, const Shape& out_shape, bool allow_reference) {
  static_assert(std::is_same_v<T, float>, "oneDNN matmul runs float32 here");
  Key key;
  key.add(1).add(static_cast<std::int64_t>(dtype_of<T>));
  key.add(a_shape).add(a_strides).add(b_shape).add(b_strides).add(out_shape);
  static PrimitiveCache<MatmulEntry> cache;
  const MatmulEntry e = cache.get(key, [&] {
    MatmulEntry m;
    m.a_md = desc<T>(a_shape, a_strides);
    m.b_md = desc<T>(b_shape, b_strides);
    m.out_md = desc<T>(out_shape, contiguous_strides(out_shape));
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::matmul::primitive_desc pd(engine(), m.a_md, m.b_md, m.out_md, attr);
    m.scratch = pd.scratchpad_desc();
    m.reference = std::strncmp(pd.impl_info_str(), "ref", 3) == 0;
    m.prim = dnnl::matmul(pd);
    return m;
  });
  if (e.reference && !allow_reference) return false;
  execute(e.prim, {{DNNL_ARG_SRC, &e.a_md, a},
                   {DNNL_ARG_WEIGHTS, &e.b_md, b},
                   {DNNL_ARG_DST, &e.out_md, out},
                   scratchpad_arg(e.scratch)});
  return true;
}

/// Whether this thread's float32 products and convolutions run in bfloat16: autocast asks for it and
/// the CPU has bfloat16 dot products (elsewhere oneDNN would emulate them, slower than float32).
inline bool bf16_products() {
  if (autocast_precision() != MatmulPrecision::BFloat16) return false;
  static const bool native = cpu_info().bf16_native;
  return native;
}

/// out (float32) = a @ b with a and b rounded to bfloat16 and the products summed in float32, on
/// oneDNN's bfloat16 matmul (autocast). The layout contract is matmul's; each operand is reordered
/// into the bfloat16 layout the primitive chose (which also packs any strides). Returns false, doing
/// nothing, where oneDNN has no bfloat16 kernel for these shapes: the caller runs float32 instead.
inline bool matmul_bf16(const float* a, const Shape& a_shape, const Shape& a_strides, const float* b,
                        const Shape& b_shape, const Shape& b_strides, float* out, const Shape& out_shape) {
  struct Entry {
    dnnl::matmul prim;
    Operand a, b;
    dnnl::memory::desc out, scratch;
    bool ok = false;
  };
  Key key;
  key.add(a_shape).add(a_strides).add(b_shape).add(b_strides).add(out_shape);
  static PrimitiveCache<Entry> cache;
  const Entry e = cache.get(key, [&] {
    Entry m;
    const auto bf16 = dnnl::memory::data_type::bf16;
    const auto any = dnnl::memory::format_tag::any;
    m.out = desc<float>(out_shape, contiguous_strides(out_shape));
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    try {
      dnnl::matmul::primitive_desc pd(engine(), dnnl::memory::desc(dims(a_shape), bf16, any),
                                      dnnl::memory::desc(dims(b_shape), bf16, any), m.out, attr);
      if (std::strncmp(pd.impl_info_str(), "ref", 3) == 0) return m;  // a reference loop: float32 is faster
      m.a = Operand(desc<float>(a_shape, a_strides), pd.src_desc(), true);
      m.b = Operand(desc<float>(b_shape, b_strides), pd.weights_desc(), true);
      m.scratch = pd.scratchpad_desc();
      m.prim = dnnl::matmul(pd);
      m.ok = true;
    } catch (const dnnl::error&) {  // no bfloat16 matmul on this ISA: cached as "not ok"
    }
    return m;
  });
  if (!e.ok) return false;
  execute(e.prim, {{DNNL_ARG_SRC, &e.a.chosen, e.a.in(a, 1)},
                   {DNNL_ARG_WEIGHTS, &e.b.chosen, e.b.in(b, 2)},
                   {DNNL_ARG_DST, &e.out, out},
                   scratchpad_arg(e.scratch)});
  return true;
}

/// The oneDNN implementation chosen for a product of these layouts ("brg:avx512_core", "ref:any"...),
/// for tests and benchmarks.
inline std::string matmul_impl_name(const Shape& a_shape, const Shape& a_strides, const Shape& b_shape,
                                    const Shape& b_strides, const Shape& out_shape) {
  dnnl::matmul::primitive_desc pd(engine(), desc<float>(a_shape, a_strides), desc<float>(b_shape, b_strides),
                                  desc<float>(out_shape, contiguous_strides(out_shape)));
  return pd.impl_info_str();
}

/// Products of at least this many multiply-adds (M * N * K) with no batch run on oneDNN's sgemm rather
/// than its matmul primitive: on x86-64 the jit sgemm measured 2-10 % faster from 256^3 up, with or
/// without transposed operands (README: matmul benchmark). Elsewhere (AArch64) dnnl_sgemm is a
/// reference loop, so the primitive keeps every product.
#if defined(__x86_64__) || defined(_M_X64)
inline constexpr std::int64_t kMinSgemmWork = std::int64_t{256} * 256 * 256;
#else
inline constexpr std::int64_t kMinSgemmWork = std::numeric_limits<std::int64_t>::max();
#endif

/// One operand of a plain matrix product: row-major, or transposed (column-major), with leading dim ld.
struct GemmLayout {
  bool transposed = false;
  std::int64_t ld = 1;
};

/// C (M, N, row-major, leading dim N) = A (M, K) @ B (K, N) by oneDNN's dnnl_sgemm.
inline void sgemm(const float* a, GemmLayout la, const float* b, GemmLayout lb, float* c, std::int64_t m,
                  std::int64_t n, std::int64_t k) {
  const dnnl_status_t s = dnnl_sgemm(la.transposed ? 'T' : 'N', lb.transposed ? 'T' : 'N', m, n, k, 1.0f, a, la.ld,
                                     b, lb.ld, 0.0f, c, std::max<std::int64_t>(n, 1));
  EMBER_CHECK(s == dnnl_success, "sgemm", "dnnl_sgemm failed with status ", static_cast<int>(s), " for (", m, ", ",
              k, ") @ (", k, ", ", n, ")");
}

/// C = A @ B by oneDNN's sgemm for contiguous row-major A (M, K) and B (K, N): the peak that
/// benchmarks compare ember's matmul with.
inline void sgemm(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n, std::int64_t k) {
  sgemm(a, {false, std::max<std::int64_t>(k, 1)}, b, {false, std::max<std::int64_t>(n, 1)}, c, m, n, k);
}

}  // namespace ember::detail::onednn
