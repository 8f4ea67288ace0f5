#pragma once
// The reference elementwise kernels: plain loops over any dtype and any strides. The contiguous run is
// a simple indexed loop the compiler vectorises; everything else walks detail::for_each_strided. These
// are the oracle the oneDNN paths are tested against, and the path for float64, integers, bool and
// small float32 tensors.
#include <cstdint>

#include "ember/core/iter.hpp"
#include "ember/core/tensor.hpp"

namespace ember::detail {

// Above this many elements a contiguous loop is split across OpenMP threads.
inline constexpr std::int64_t kParallelElements = 1 << 17;

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
    if (n >= kParallelElements) {
#pragma omp parallel for
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    return;
  }
  for_each_strided<2>(out.shape(), {ew_bytes(out), ew_bytes(a)},
                      {byte_strides<R>(out.strides()), byte_strides<A>(broadcast_strides(a.shape(), a.strides(), out.shape()))},
                      [&](char** p, const std::int64_t* s, std::int64_t m) {
                        if (s[0] == sizeof(R) && s[1] == sizeof(A)) {
                          R* o = reinterpret_cast<R*>(p[0]);
                          const A* x = reinterpret_cast<const A*>(p[1]);
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
    if (n >= kParallelElements) {
#pragma omp parallel for
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
      return;
    }
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
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i], y[i]);
                        } else if (st[0] == sizeof(R) && st[1] == sizeof(A) && st[2] == 0) {
                          const B yv = *y;
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i], yv);
                        } else if (st[0] == sizeof(R) && st[1] == 0 && st[2] == sizeof(B)) {
                          const A xv = *x;
                          for (std::int64_t i = 0; i < m; ++i) o[i] = f(xv, y[i]);
                        } else {
                          for (std::int64_t i = 0; i < m; ++i)
                            *reinterpret_cast<R*>(p[0] + i * st[0]) =
                                f(*reinterpret_cast<const A*>(p[1] + i * st[1]),
                                  *reinterpret_cast<const B*>(p[2] + i * st[2]));
                        }
                      });
}

/// out[i] = c[i] ? a[i] : b[i]. out is (S); c, a and b broadcast to (S), any strides.
template <Element R>
void where_kernel(const Tensor<R>& out, const Tensor<bool>& c, const Tensor<R>& a, const Tensor<R>& b) {
  const Shape& s = out.shape();
  for_each_strided<4>(s, {ew_bytes(out), ew_bytes(c), ew_bytes(a), ew_bytes(b)},
                      {byte_strides<R>(out.strides()), byte_strides<bool>(broadcast_strides(c.shape(), c.strides(), s)),
                       byte_strides<R>(broadcast_strides(a.shape(), a.strides(), s)),
                       byte_strides<R>(broadcast_strides(b.shape(), b.strides(), s))},
                      [](char** p, const std::int64_t* st, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i)
                          *reinterpret_cast<R*>(p[0] + i * st[0]) =
                              *reinterpret_cast<const bool*>(p[1] + i * st[1])
                                  ? *reinterpret_cast<const R*>(p[2] + i * st[2])
                                  : *reinterpret_cast<const R*>(p[3] + i * st[3]);
                      });
}

}  // namespace ember::detail
