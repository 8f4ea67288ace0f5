#pragma once
// What the CPU can do for low precision: the ISA oneDNN dispatches to, the capabilities that ISA gives
// (bfloat16, int8 VNNI, float16, AMX), the raw CPUID flags, and a timed probe of one matmul per dtype.
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "ember/backend/onednn/engine.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Instruction-set flags the CPU itself reports (CPUID), whatever oneDNN is allowed to use. All false
/// off x86 (arch names the architecture); OS support for the AVX-512/AMX register state is not checked.
struct CpuFlags {
  std::string arch;
  bool avx2 = false, avx512f = false, avx512_vnni = false, avx512_bf16 = false, avx512_fp16 = false;
  bool avx_vnni = false, avx_vnni_int8 = false, avx_ne_convert = false;
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false, amx_fp16 = false;
};

/// What oneDNN will run on this CPU. The capability flags follow the ISA oneDNN dispatches to, so that
/// ONEDNN_MAX_CPU_ISA=AVX2 makes them false on an AMX machine: that is what the kernels actually use.
struct CpuInfo {
  std::string isa;      ///< dnnl::get_effective_cpu_isa() as its enum name, e.g. "avx512_core_amx"
  std::string max_isa;  ///< ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) as set; "" when no cap is set
  bool bf16_native = false;  ///< avx512_core_bf16, avx2_vnni_2 or AMX: bfloat16 dot products in hardware
  bool amx_bf16 = false;
  bool int8_native = false;  ///< VNNI (avx2_vnni, avx512_core_vnni) or AMX: int8 dot products in hardware
  bool amx_int8 = false;
  bool fp16_native = false;  ///< avx512_core_fp16 (and the AMX ISAs above it) or avx2_vnni_2
  std::string onednn_version;  ///< "3.2.0"
  int num_threads = 1;         ///< OpenMP threads ember's kernels use
  CpuFlags cpu;
};

namespace detail::onednn {

inline const char* isa_name(dnnl::cpu_isa isa) {
  using I = dnnl::cpu_isa;
  switch (isa) {
    case I::sse41: return "sse41";
    case I::avx: return "avx";
    case I::avx2: return "avx2";
    case I::avx2_vnni: return "avx2_vnni";
    case I::avx2_vnni_2: return "avx2_vnni_2";
    case I::avx512_core: return "avx512_core";
    case I::avx512_core_vnni: return "avx512_core_vnni";
    case I::avx512_core_bf16: return "avx512_core_bf16";
    case I::avx512_core_fp16: return "avx512_core_fp16";
    case I::avx512_core_amx: return "avx512_core_amx";
    case I::avx512_core_amx_fp16: return "avx512_core_amx_fp16";
    default: return "default";  // isa_default, and a non-x86 build (oneDNN reports no ISA there)
  }
}

inline CpuFlags cpu_flags() {
  CpuFlags f;
#if defined(__x86_64__) || defined(__i386__)
  f.arch = "x86_64";
  unsigned a, b, c, d;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512_vnni = c & (1u << 11);
    f.amx_bf16 = d & (1u << 22);
    f.avx512_fp16 = d & (1u << 23);
    f.amx_tile = d & (1u << 24);
    f.amx_int8 = d & (1u << 25);
    const unsigned max_sub = a;
    if (max_sub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) {
      f.avx_vnni = a & (1u << 4);
      f.avx512_bf16 = a & (1u << 5);
      f.amx_fp16 = a & (1u << 21);
      f.avx_vnni_int8 = d & (1u << 4);
      f.avx_ne_convert = d & (1u << 5);
    }
  }
#elif defined(__aarch64__)
  f.arch = "aarch64";
#else
  f.arch = "other";
#endif
  return f;
}

}  // namespace detail::onednn

/// The ISA oneDNN dispatches to and what it makes native (see CpuInfo).
inline CpuInfo cpu_info() {
  using I = dnnl::cpu_isa;
  CpuInfo info;
  const I isa = dnnl::get_effective_cpu_isa();
  info.isa = detail::onednn::isa_name(isa);
  for (const char* var : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"}) {
    if (const char* v = std::getenv(var); v && *v) {
      info.max_isa = v;
      break;
    }
  }
  const bool amx = isa == I::avx512_core_amx || isa == I::avx512_core_amx_fp16;
  info.amx_bf16 = info.amx_int8 = amx;
  info.bf16_native = amx || isa == I::avx512_core_bf16 || isa == I::avx512_core_fp16 || isa == I::avx2_vnni_2;
  info.int8_native = info.bf16_native || isa == I::avx512_core_vnni || isa == I::avx2_vnni;
  // avx512_core_amx includes avx512_core_fp16 (oneDNN's ISAs are nested bit masks; avx2_vnni_2 is apart).
  info.fp16_native = isa == I::avx512_core_fp16 || amx || isa == I::avx2_vnni_2;
  const dnnl_version_t* v = dnnl_version();
  info.onednn_version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  info.num_threads = omp_get_max_threads();
  info.cpu = detail::onednn::cpu_flags();
  return info;
}

namespace detail::onednn {

/// One plain oneDNN matmul [n, n] x [n, n], built once and run on demand, for the timing probe and the
/// benchmarks. "float32": f32; "bfloat16": bf16 x bf16 -> f32; "int8": s8 x s8 -> s32. Throws
/// dnnl::error (status unimplemented) where oneDNN has no kernel for the dtype on this ISA.
class MatmulProbe {
 public:
  MatmulProbe(std::string_view dtype, std::int64_t n) {
    using dt = dnnl::memory::data_type;
    dt in = dt::f32, out = dt::f32;
    if (dtype == "bfloat16") {
      in = dt::bf16;
    } else if (dtype == "int8") {
      in = dt::s8;
      out = dt::s32;
    } else {
      EMBER_CHECK(dtype == "float32", "cpu_matmul_seconds", "dtype must be float32, bfloat16 or int8, got ", dtype);
    }
    EMBER_CHECK(n > 0, "cpu_matmul_seconds", "size must be positive, got ", n);
    const dnnl::memory::dims dims{n, n};
    const dnnl::memory::desc a(dims, in, dnnl::memory::format_tag::ab), c(dims, out, dnnl::memory::format_tag::ab);
    prim_ = dnnl::matmul(dnnl::matmul::primitive_desc(engine(), a, a, c));
    a_ = dnnl::memory(a, engine());
    b_ = dnnl::memory(a, engine());
    c_ = dnnl::memory(c, engine());
    fill(a_, in);
    fill(b_, in);
  }

  void run() {
    prim_.execute(stream(), {{DNNL_ARG_SRC, a_}, {DNNL_ARG_WEIGHTS, b_}, {DNNL_ARG_DST, c_}});
    stream().wait();
  }

 private:
  // Small nonzero values (1 in every dtype): timings are not those of an all-zero product.
  static void fill(dnnl::memory& m, dnnl::memory::data_type t) {
    const std::size_t bytes = m.get_desc().get_size();
    auto* p = static_cast<unsigned char*>(m.get_data_handle());
    if (t == dnnl::memory::data_type::f32) {
      const float one = 1.0f;
      for (std::size_t i = 0; i < bytes; i += 4) std::memcpy(p + i, &one, 4);
    } else if (t == dnnl::memory::data_type::bf16) {
      const std::uint16_t one = 0x3f80;
      for (std::size_t i = 0; i < bytes; i += 2) std::memcpy(p + i, &one, 2);
    } else {
      std::memset(p, 1, bytes);
    }
  }

  dnnl::matmul prim_;
  dnnl::memory a_, b_, c_;
};

}  // namespace detail::onednn

/// Seconds per run (the best of reps runs, after one warm-up) of a plain oneDNN n x n matmul in dtype
/// ("float32", "bfloat16" with float32 output, "int8" with int32 output); a negative value when oneDNN
/// has no kernel for dtype on this ISA.
inline double cpu_matmul_seconds(std::string_view dtype, std::int64_t n = 256, int reps = 10) {
  EMBER_CHECK(reps > 0, "cpu_matmul_seconds", "reps must be positive, got ", reps);
  std::optional<detail::onednn::MatmulProbe> probe;
  try {
    probe.emplace(dtype, n);
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_unimplemented) return -1.0;
    throw;
  }
  probe->run();
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    probe->run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace ember
