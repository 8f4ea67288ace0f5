#pragma once
// The reference elementwise kernels: plain loops over any dtype and any strides. The contiguous run is
// a simple indexed loop the compiler vectorises; everything else walks detail::for_each_strided. These
// are the oracle the oneDNN paths are tested against, and the path for float64, integers, bool and
// small float32 tensors.
#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__unix__)
#include <emmintrin.h>
#include <unistd.h>
#ifdef _SC_LEVEL3_CACHE_SIZE
#define EMBER_STREAMING_STORES 1
#endif
#endif

#include "ember/core/host_device.hpp"
#include "ember/core/iter.hpp"
#include "ember/core/tensor.hpp"

namespace ember::detail {

// Above this many elements a contiguous loop is split across OpenMP threads.
inline constexpr std::int64_t kParallelElements = 1 << 17;

/// Whether an elementwise op that moves `bytes` through memory (inputs and output) should write its output
/// with streaming stores. A regular store first reads the line it writes (3 arrays of traffic for a unary
/// op's 2); a streaming store skips that read and the caches, which wins once the arrays no longer stay in
/// the last-level cache for the next op, and loses before (measured: a chain of two 32 MiB relus ran 13 %
/// slower streamed, of two 64 MiB ones 18 % faster, on a 260 MiB L3). The line: 3/8 of the L3, about
/// where glibc's memcpy starts streaming on that machine. x86-64 only (SSE2); elsewhere, or with no L3
/// reported, never.
inline bool stream_output(std::int64_t bytes) {
#ifdef EMBER_STREAMING_STORES
  static const std::int64_t threshold = [] {
    const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
    return l3 > 0 ? std::int64_t{l3} / 8 * 3 : INT64_MAX;
  }();
  return bytes >= threshold;
#else
  (void)bytes;
  return false;
#endif
}

/// Copies bytes from src to dst with streaming stores where the target has them (dst 16-byte aligned).
inline void stream_copy(void* dst, const void* src, std::size_t bytes) {
#ifdef EMBER_STREAMING_STORES
  const std::size_t vectors = bytes / 16;
  auto* d = static_cast<__m128i*>(dst);
  const auto* s = static_cast<const __m128i*>(src);
  for (std::size_t v = 0; v < vectors; ++v) _mm_stream_si128(d + v, _mm_loadu_si128(s + v));
  std::memcpy(d + vectors, s + vectors, bytes % 16);
#else
  std::memcpy(dst, src, bytes);
#endif
}

/// o[i] = f(i) for i < n on OpenMP threads, in blocks. With stream (see stream_output) each block is
/// computed into a buffer in L1 and streamed out; the one loop over a block serves both ways, so that
/// an op compiles its loop once.
template <Element R, class F>
void parallel_loop(R* o, std::int64_t n, bool stream, F f) {
  constexpr std::int64_t kBlock = 2048 / sizeof(R);
  // Streamed, the elements before o's first 16-byte boundary take regular stores.
  const std::int64_t head =
      stream ? std::min<std::int64_t>(n, (16 - reinterpret_cast<std::uintptr_t>(o) % 16) % 16 / sizeof(R)) : 0;
  for (std::int64_t i = 0; i < head; ++i) o[i] = f(i);
  const std::int64_t blocks = (n - head + kBlock - 1) / kBlock;
#pragma omp parallel
  {
    alignas(64) R buf[kBlock];
#pragma omp for schedule(static) nowait
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t begin = head + b * kBlock, m = std::min(kBlock, n - begin);
      R* dst = stream ? buf : o + begin;
#pragma omp simd
      for (std::int64_t j = 0; j < m; ++j) dst[j] = f(begin + j);
      if (stream) stream_copy(o + begin, buf, static_cast<std::size_t>(m) * sizeof(R));
    }
#ifdef EMBER_STREAMING_STORES
    if (stream) _mm_sfence();  // streaming stores are weakly ordered: make them visible before the barrier
#endif
  }
}

template <class T>
inline char* ew_bytes(const Tensor<T>& t) { return reinterpret_cast<char*>(t.data()); }

/// out[i] = f(a[i]). out is (S), a is (S) with any strides; out may alias a only element for element.
template <Element R, Element A, class F>
void unary_kernel(const Tensor<R>& out, const Tensor<A>& a, F f) {
  const std::int64_t n = out.numel();
  if (out.is_contiguous() && a.is_contiguous() && a.shape() == out.shape()) {
    R* o = out.data();
    const A* x = a.data();
    // A separate branch, not `omp parallel for if(...)`: that still opens a team (~1 us) when false.
    if (n >= kParallelElements)
      return parallel_loop(o, n, stream_output(n * static_cast<std::int64_t>(sizeof(R) + sizeof(A))),
                           [x, f](std::int64_t i) { return f(x[i]); });
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    return;
  }
  for_each_strided<2>(out.shape(), {ew_bytes(out), ew_bytes(a)},
                      {byte_strides<R>(out.strides()), byte_strides<A>(broadcast_strides(a.shape(), a.strides(), out.shape()))},
                      [&](char** p, const std::int64_t* s, std::int64_t m) {
                        if (s[0] == sizeof(R) && s[1] == sizeof(A)) {
                          R* o = reinterpret_cast<R*>(p[0]);
                          const A* x = reinterpret_cast<const A*>(p[1]);
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i]);
                          return;
                        }
                        for (std::int64_t i = 0; i < m; ++i)
                          *reinterpret_cast<R*>(p[0] + i * s[0]) = f(*reinterpret_cast<const A*>(p[1] + i * s[1]));
                      });
}

/// out[i] = f(a[i], b[i]). out is (S); a and b broadcast to (S) (NumPy rules), any strides.
template <Element R, Element A, Element B, class F>
void binary_kernel(const Tensor<R>& out, const Tensor<A>& a, const Tensor<B>& b, F f) {
  const Shape& s = out.shape();
  if (a.shape() == s && b.shape() == s && out.is_contiguous() && a.is_contiguous() && b.is_contiguous()) {
    const std::int64_t n = out.numel();
    R* o = out.data();
    const A* x = a.data();
    const B* y = b.data();
    if (n >= kParallelElements)
      return parallel_loop(o, n, stream_output(n * static_cast<std::int64_t>(sizeof(R) + sizeof(A) + sizeof(B))),
                           [x, y, f](std::int64_t i) { return f(x[i], y[i]); });
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    return;
  }
  for_each_strided<3>(s, {ew_bytes(out), ew_bytes(a), ew_bytes(b)},
                      {byte_strides<R>(out.strides()), byte_strides<A>(broadcast_strides(a.shape(), a.strides(), s)),
                       byte_strides<B>(broadcast_strides(b.shape(), b.strides(), s))},
                      [&](char** p, const std::int64_t* st, std::int64_t m) {
                        R* o = reinterpret_cast<R*>(p[0]);
                        const A* x = reinterpret_cast<const A*>(p[1]);
                        const B* y = reinterpret_cast<const B*>(p[2]);
                        if (st[0] == sizeof(R) && st[1] == sizeof(A) && st[2] == sizeof(B)) {
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i], y[i]);
                        } else if (st[0] == sizeof(R) && st[1] == sizeof(A) && st[2] == 0) {
                          const B yv = *y;
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i], yv);
                        } else if (st[0] == sizeof(R) && st[1] == 0 && st[2] == sizeof(B)) {
                          const A xv = *x;
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(xv, y[i]);
                        } else {
                          for (std::int64_t i = 0; i < m; ++i)
                            *reinterpret_cast<R*>(p[0] + i * st[0]) =
                                f(*reinterpret_cast<const A*>(p[1] + i * st[1]),
                                  *reinterpret_cast<const B*>(p[2] + i * st[2]));
                        }
                      });
}

/// out[i] = c[i] ? a[i] : b[i]. out is (S); c, a and b broadcast to (S), any strides. The condition is read
/// as bytes (GCC vectorizes no loop that loads a bool) and the choice is a blend (select), so that the
/// contiguous runs vectorize; a whole contiguous where runs on the OpenMP threads.
template <Element R>
void where_kernel(const Tensor<R>& out, const Tensor<bool>& c, const Tensor<R>& a, const Tensor<R>& b) {
  const Shape& s = out.shape();
  const std::int64_t n = out.numel();
  auto full = [&](const auto& t) { return t.shape() == s && t.is_contiguous(); };
  if (n >= kParallelElements && full(out) && full(c) && (full(a) || a.numel() == 1) && (full(b) || b.numel() == 1)) {
    const auto* cv = reinterpret_cast<const std::uint8_t*>(c.data());
    const R* av = a.data();
    const R* bv = b.data();
    const bool stream = stream_output(n * static_cast<std::int64_t>(3 * sizeof(R) + 1));
    if (!full(a))
      return parallel_loop(out.data(), n, stream,
                           [cv, as = *av, bv](std::int64_t i) { return select(cv[i] != 0, as, bv[i]); });
    if (!full(b))
      return parallel_loop(out.data(), n, stream,
                           [cv, av, bs = *bv](std::int64_t i) { return select(cv[i] != 0, av[i], bs); });
    return parallel_loop(out.data(), n, stream,
                         [cv, av, bv](std::int64_t i) { return select(cv[i] != 0, av[i], bv[i]); });
  }
  for_each_strided<4>(s, {ew_bytes(out), ew_bytes(c), ew_bytes(a), ew_bytes(b)},
                      {byte_strides<R>(out.strides()), byte_strides<bool>(broadcast_strides(c.shape(), c.strides(), s)),
                       byte_strides<R>(broadcast_strides(a.shape(), a.strides(), s)),
                       byte_strides<R>(broadcast_strides(b.shape(), b.strides(), s))},
                      [](char** p, const std::int64_t* st, std::int64_t m) {
                        R* o = reinterpret_cast<R*>(p[0]);
                        const auto* cv = reinterpret_cast<const std::uint8_t*>(p[1]);
                        const R* av = reinterpret_cast<const R*>(p[2]);
                        const R* bv = reinterpret_cast<const R*>(p[3]);
                        constexpr std::int64_t r = sizeof(R);
                        if (st[0] == r && st[1] == 1 && st[2] == r && st[3] == r) {
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = select(cv[i] != 0, av[i], bv[i]);
                        } else if (st[0] == r && st[1] == 1 && st[2] == r && st[3] == 0) {  // a scalar b
                          const R bs = *bv;
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = select(cv[i] != 0, av[i], bs);
                        } else if (st[0] == r && st[1] == 1 && st[2] == 0 && st[3] == r) {  // a scalar a
                          const R as = *av;
#pragma omp simd
                          for (std::int64_t i = 0; i < m; ++i) o[i] = select(cv[i] != 0, as, bv[i]);
                        } else {
                          for (std::int64_t i = 0; i < m; ++i)
                            *reinterpret_cast<R*>(p[0] + i * st[0]) =
                                *reinterpret_cast<const bool*>(p[1] + i * st[1])
                                    ? *reinterpret_cast<const R*>(p[2] + i * st[2])
                                    : *reinterpret_cast<const R*>(p[3] + i * st[3]);
                        }
                      });
}

}  // namespace ember::detail
