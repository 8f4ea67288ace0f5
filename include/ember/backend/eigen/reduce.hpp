#pragma once
// Loop kernels for reductions, arg-reductions and softmax: the readable reference that the oneDNN
// paths are tested against, and the path for float64, integers, small and non-contiguous inputs.
//
// Legend: S is the input shape; K is S with every reduced dim set to 1 (the "keepdim" shape, in
// which outputs are laid out contiguously); R is the number of elements reduced into one output.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ember/core/iter.hpp"
#include "ember/core/tensor.hpp"

namespace ember::detail {

// --- reduction ops: init / step / combine / finish ---
// step folds one input element into an accumulator; combine merges two accumulators (the kernels
// keep several independent lanes so that the compiler can vectorise); finish turns an accumulator
// into the output value, given R and the per-output auxiliary value (the mean for var, the shift
// for logsumexp; 0 when unused).

/// Sum (mean when kMean) of T, accumulated in A, written as O.
template <class T, class A, class O, bool kMean = false>
struct SumOp {
  using Acc = A;
  using Out = O;
  Acc init() const { return Acc(0); }
  void step(Acc& a, T v, double) const { a += static_cast<Acc>(v); }
  void combine(Acc& a, Acc b) const { a += b; }
  Out finish(Acc a, std::int64_t n, double) const {
    if constexpr (kMean) return static_cast<Out>(static_cast<double>(a) / static_cast<double>(n));
    else return static_cast<Out>(a);
  }
};

/// Product of T, accumulated in A (int64 for integers, wrapping on overflow as PyTorch).
template <class T, class A>
struct ProdOp {
  using Acc = A;
  using Out = A;
  Acc init() const { return Acc(1); }
  void step(Acc& a, T v, double) const { a = static_cast<Acc>(a * static_cast<Acc>(v)); }
  void combine(Acc& a, Acc b) const { a = static_cast<Acc>(a * b); }
  Out finish(Acc a, std::int64_t, double) const { return a; }
};

/// Largest (kMax) or smallest element; a NaN anywhere makes the result NaN, as in PyTorch.
template <class T, bool kMax, class O = T>
struct ExtremumOp {
  using Acc = T;
  using Out = O;
  Acc init() const {
    if constexpr (std::is_floating_point_v<T>)
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  void step(Acc& a, T v, double) const {
    if constexpr (std::is_floating_point_v<T>) a = ((kMax ? v > a : v < a) || v != v) ? v : a;
    else a = (kMax ? v > a : v < a) ? v : a;
  }
  void combine(Acc& a, Acc b) const { step(a, b, 0.0); }
  Out finish(Acc a, std::int64_t, double) const { return static_cast<Out>(a); }
};

/// all (kAll) or any: whether every / some element is non-zero.
template <class T, bool kAll>
struct LogicalOp {
  using Acc = bool;
  using Out = bool;
  Acc init() const { return kAll; }
  void step(Acc& a, T v, double) const {
    if constexpr (kAll) a = a & (v != T(0));
    else a = a | (v != T(0));
  }
  void combine(Acc& a, Acc b) const { step(a, b, 0.0); }
  Out finish(Acc a, std::int64_t, double) const { return a; }
};

/// Second pass of var/std: the sum of squared deviations from the mean (aux), over R - correction.
template <class T>
struct SquaredDeviationOp {
  using Acc = double;
  using Out = T;
  double correction = 1;
  bool take_sqrt = false;
  Acc init() const { return 0.0; }
  void step(Acc& a, T v, double mean) const {
    const double d = static_cast<double>(v) - mean;
    a += d * d;
  }
  void combine(Acc& a, Acc b) const { a += b; }
  Out finish(Acc a, std::int64_t n, double) const {
    const double v = a / std::max(0.0, static_cast<double>(n) - correction);
    return static_cast<Out>(take_sqrt ? std::sqrt(v) : v);
  }
};

/// Second pass of logsumexp: log(sum(exp(x - shift))) + shift, with shift = the max (aux).
template <class T>
struct SumExpOp {
  using Acc = double;
  using Out = T;
  Acc init() const { return 0.0; }
  void step(Acc& a, T v, double shift) const { a += std::exp(static_cast<double>(v) - shift); }
  void combine(Acc& a, Acc b) const { a += b; }
  Out finish(Acc a, std::int64_t, double shift) const { return static_cast<Out>(std::log(a) + shift); }
};

// --- the reduction loop ---

/// The reduced dims of S, merged into one run of `extent` elements `stride` elements apart, when
/// their strides allow it (single == true).
struct ReducedRun {
  bool single = true;
  std::int64_t extent = 1;
  std::int64_t stride = 0;
};

inline ReducedRun reduced_run(const Shape& shape, const Shape& strides, const Shape& keep) {
  ReducedRun r;
  bool first = true;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (keep[d] == shape[d]) continue;  // kept, or of extent 1
    if (first) {
      r.extent = shape[d];
      r.stride = strides[d];
      first = false;
    } else if (strides[d] == r.stride * r.extent) {
      r.extent *= shape[d];
    } else {
      r.single = false;
    }
  }
  return r;
}

/// Folds the n elements p[0], p[s], ... into one accumulator; contiguous runs use 8 lanes.
template <class Op, class T>
typename Op::Acc reduce_run(const Op& op, const T* p, std::int64_t n, std::int64_t s, double aux) {
  using Acc = typename Op::Acc;
  if (s == 1 && n >= 16) {
    constexpr int kLanes = 8;
    Acc lanes[kLanes];
    for (auto& l : lanes) l = op.init();
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int k = 0; k < kLanes; ++k) op.step(lanes[k], p[i + k], aux);
    for (; i < n; ++i) op.step(lanes[0], p[i], aux);
    for (int k = 1; k < kLanes; ++k) op.combine(lanes[0], lanes[k]);
    return lanes[0];
  }
  Acc a = op.init();
  for (std::int64_t i = 0; i < n; ++i) op.step(a, p[i * s], aux);
  return a;
}

/// out[k] = op over the R input elements that reduce into output k.
/// x is S (any strides); keep is K; out and aux (nullable) are contiguous K; R = count.
/// When the reduced dims form one run that is contiguous (or there is one output), each output is
/// folded in turn from that run; otherwise the input is walked once in memory order with the
/// accumulators broadcast (stride 0) along the reduced dims.
template <class Op, Element T>
void reduce_loop(const Tensor<T>& x, const Shape& keep, std::int64_t count, typename Op::Out* out,
                 const double* aux, const Op& op) {
  using Acc = typename Op::Acc;
  using Out = typename Op::Out;
  static const double kZero = 0.0;
  const Shape& shape = x.shape();
  const std::int64_t n_out = numel_of(keep);
  if (n_out == 0) return;
  const double* aux_base = aux ? aux : &kZero;
  Shape out_st = contiguous_strides(keep);
  for (std::size_t d = 0; d < keep.size(); ++d)
    if (keep[d] != shape[d]) out_st[d] = 0;
  Shape aux_st = out_st;
  if (!aux) aux_st = Shape(keep.size(), 0);

  const ReducedRun run = reduced_run(shape, x.strides(), keep);
  if (run.single && (run.stride == 1 || run.extent <= 1 || n_out == 1)) {
    const std::int64_t rs = count == 0 ? 0 : run.stride;
    for_each_strided<3>(keep, {reinterpret_cast<char*>(out), reinterpret_cast<char*>(x.data()),
                               reinterpret_cast<char*>(const_cast<double*>(aux_base))},
                        {byte_strides<Out>(out_st), byte_strides<T>(x.strides()), byte_strides<double>(aux_st)},
                        [&](char** p, const std::int64_t* s, std::int64_t m) {
                          for (std::int64_t i = 0; i < m; ++i) {
                            const T* in = reinterpret_cast<const T*>(p[1] + i * s[1]);
                            const double a = *reinterpret_cast<const double*>(p[2] + i * s[2]);
                            *reinterpret_cast<Out*>(p[0] + i * s[0]) =
                                op.finish(reduce_run(op, in, count, rs, a), count, a);
                          }
                        });
    return;
  }

  // Memory-order walk: accumulate into acc (the output itself when the types agree).
  Tensor<Acc> scratch;
  Acc* acc;
  if constexpr (std::is_same_v<Acc, Out>) {
    acc = out;
  } else {
    scratch = Tensor<Acc>::empty(keep);
    acc = scratch.data();
  }
  for (std::int64_t k = 0; k < n_out; ++k) acc[k] = op.init();
  for_each_strided<3>(shape, {reinterpret_cast<char*>(acc), reinterpret_cast<char*>(x.data()),
                              reinterpret_cast<char*>(const_cast<double*>(aux_base))},
                      {byte_strides<Acc>(out_st), byte_strides<T>(x.strides()), byte_strides<double>(aux_st)},
                      [&](char** p, const std::int64_t* s, std::int64_t m) {
                        if (s[0] == 0) {  // the innermost run reduces into one accumulator
                          Acc& a = *reinterpret_cast<Acc*>(p[0]);
                          const double av = *reinterpret_cast<const double*>(p[2]);
                          Acc local = op.init();
                          for (std::int64_t i = 0; i < m; ++i)
                            op.step(local, *reinterpret_cast<const T*>(p[1] + i * s[1]), av);
                          op.combine(a, local);
                          return;
                        }
                        if (s[0] == sizeof(Acc) && s[1] == sizeof(T) && s[2] == 0) {  // rows into a row: vectorizes
                          Acc* a = reinterpret_cast<Acc*>(p[0]);
                          const T* in = reinterpret_cast<const T*>(p[1]);
                          const double av = *reinterpret_cast<const double*>(p[2]);
                          for (std::int64_t i = 0; i < m; ++i) op.step(a[i], in[i], av);
                          return;
                        }
                        for (std::int64_t i = 0; i < m; ++i)
                          op.step(*reinterpret_cast<Acc*>(p[0] + i * s[0]),
                                  *reinterpret_cast<const T*>(p[1] + i * s[1]),
                                  *reinterpret_cast<const double*>(p[2] + i * s[2]));
                      });
  for (std::int64_t k = 0; k < n_out; ++k) out[k] = op.finish(acc[k], count, aux ? aux[k] : 0.0);
}

/// Index (and value) of the largest (kMax) or smallest element along dim d; ties go to the first
/// occurrence and a NaN counts as larger / smaller than everything (the first NaN wins).
/// x is S with S[d] = R > 0 (a 0-d x counts as R = 1); values (nullable) and indices are
/// contiguous K = S with S[d] = 1.
template <bool kMax, Element T>
void arg_reduce_loop(const Tensor<T>& x, std::int64_t d, T* values, std::int64_t* indices) {
  const bool scalar = x.dim() == 0;
  const std::int64_t r = scalar ? 1 : x.shape()[d];
  const std::int64_t rs = scalar ? 0 : x.strides()[d];
  Shape keep = x.shape();
  if (!scalar) keep[d] = 1;
  char* base = reinterpret_cast<char*>(indices);
  for_each_strided<2>(keep, {base, reinterpret_cast<char*>(x.data())},
                      {byte_strides<std::int64_t>(contiguous_strides(keep)), byte_strides<T>(x.strides())},
                      [&](char** p, const std::int64_t* s, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i) {
                          const T* in = reinterpret_cast<const T*>(p[1] + i * s[1]);
                          T best = in[0];
                          std::int64_t bi = 0;
                          for (std::int64_t j = 1; j < r; ++j) {
                            const T v = in[j * rs];
                            bool better = kMax ? v > best : v < best;
                            if constexpr (std::is_floating_point_v<T>) better = best == best && (better || v != v);
                            if (better) {
                              best = v;
                              bi = j;
                            }
                          }
                          auto* idx = reinterpret_cast<std::int64_t*>(p[0] + i * s[0]);
                          *idx = bi;
                          if (values) values[idx - indices] = best;
                        }
                      });
}

/// out = softmax (or log_softmax when log) of x along dim d, computed as exp(x - max) / sum.
/// x and out are S (any strides); a 0-d x counts as one element along d.
template <FloatElement T>
void softmax_loop(const Tensor<T>& x, std::int64_t d, const Tensor<T>& out, bool log) {
  const bool scalar = x.dim() == 0;
  const std::int64_t r = scalar ? 1 : x.shape()[d];
  const std::int64_t xs = scalar ? 0 : x.strides()[d];
  const std::int64_t os = scalar ? 0 : out.strides()[d];
  Shape keep = x.shape();
  if (!scalar) keep[d] = 1;
  for_each_strided<2>(keep, {reinterpret_cast<char*>(out.data()), reinterpret_cast<char*>(x.data())},
                      {byte_strides<T>(out.strides()), byte_strides<T>(x.strides())},
                      [&](char** p, const std::int64_t* s, std::int64_t m) {
                        for (std::int64_t i = 0; i < m; ++i) {
                          T* o = reinterpret_cast<T*>(p[0] + i * s[0]);
                          const T* in = reinterpret_cast<const T*>(p[1] + i * s[1]);
                          T mx = -std::numeric_limits<T>::infinity();
                          for (std::int64_t j = 0; j < r; ++j) {
                            const T v = in[j * xs];
                            mx = (v > mx || v != v) ? v : mx;
                          }
                          double sum = 0;
                          for (std::int64_t j = 0; j < r; ++j) {
                            const T e = std::exp(in[j * xs] - mx);
                            sum += e;
                            if (!log) o[j * os] = e;
                          }
                          if (log) {
                            const T lse = static_cast<T>(std::log(sum)) + mx;
                            for (std::int64_t j = 0; j < r; ++j) o[j * os] = in[j * xs] - lse;
                          } else {
                            const T inv = static_cast<T>(1.0 / sum);
                            for (std::int64_t j = 0; j < r; ++j) o[j * os] *= inv;
                          }
                        }
                      });
}

}  // namespace ember::detail
