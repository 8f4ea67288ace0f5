#pragma once
// Reductions: sum, prod, mean, var, std, logsumexp, amax, amin, max, min, argmax, argmin, all, any.
// Each takes the dims to reduce (all by default, one, or a list; negative dims count from the end;
// a 0-d tensor accepts dim 0 and -1) and keepdim. sum and mean of contiguous float32/float64 run on
// the threaded kernels of backend/eigen/sum.hpp; prod, amax, amin, max and min of contiguous float32
// over the last dims, of at least detail::onednn::kMinElements elements, on a cached oneDNN
// primitive; everything else runs the loop kernels of backend/eigen/reduce.hpp.
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "ember/autograd/node.hpp"
#include "ember/backend/cuda/reduce.hpp"
#include "ember/backend/eigen/reduce.hpp"
#include "ember/backend/eigen/sum.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/reduction.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise.hpp"  // eq and where: the gradients of prod, amax...
#include "ember/ops/gather.hpp"

namespace ember {

namespace detail {

/// What a reduction produces: K (input shape with reduced dims set to 1), the returned shape, and
/// the number of input elements per output.
struct ReducePlan {
  Shape keep_shape;
  Shape out_shape;
  std::int64_t count = 1;
  std::uint64_t mask = 0;  // bit d set when dim d is reduced
};

/// Normalises the dims (rejecting repeats) and computes the shapes of a reduction.
inline ReducePlan reduce_plan(const Shape& shape, bool all, const Shape& dims, bool keepdim, const char* op) {
  const auto nd = static_cast<std::int64_t>(shape.size());
  EMBER_CHECK(nd <= 64, op, "tensors with more than 64 dims are not supported, got shape ", shape);
  ReducePlan p;
  if (all) {
    p.mask = ~std::uint64_t{0};
  } else {
    for (auto d : dims) {
      const std::int64_t n = normalize_dim(d, nd, op);
      EMBER_CHECK(!((p.mask >> n) & 1), op, "dim ", n, " appears multiple times in the list of dims ", dims);
      p.mask |= std::uint64_t{1} << n;
    }
  }
  p.keep_shape = shape;
  for (std::int64_t d = 0; d < nd; ++d) {
    if ((p.mask >> d) & 1) {
      p.count *= shape[d];
      p.keep_shape[d] = 1;
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.out_shape.push_back(shape[d]);
    }
  }
  return p;
}

/// The plan of a reduction over the single dim d.
inline ReducePlan reduce_plan_dim(const Shape& shape, std::int64_t d, bool keepdim, const char* op) {
  return reduce_plan(shape, false, Shape{d}, keepdim, op);
}

/// Throws IndexError when a reduction without identity (max, argmax...) meets an empty dim.
inline void check_nonempty_reduction(const Shape& shape, const ReducePlan& p, const char* op) {
  if (p.count != 0) return;
  for (std::size_t d = 0; d < shape.size(); ++d)
    EMBER_CHECK_INDEX(!(((p.mask >> d) & 1) && shape[d] == 0), op, "cannot perform reduction function ", op,
                      " on a tensor with no elements because the operation does not have an identity: dim ", d,
                      " of shape ", shape, " is empty");
}

/// out (allocated as K) viewed with the returned shape.
template <Element T>
Tensor<T> reshape_output(const Tensor<T>& out, const ReducePlan& p) {
  return Tensor<T>(out.storage(), p.out_shape, contiguous_strides(p.out_shape), 0);
}

/// scale * the reduction op of x by plan p on x's CUDA device (floating types), viewed with the
/// returned shape.
template <Element T>
Tensor<T> cuda_reduce(const Tensor<T>& x, const ReducePlan& p, cuda::ReduceOp op, const char* name, double scale = 1) {
  if constexpr (!FloatElement<T>) x.check_cpu(name);
  Tensor<T> out = Tensor<T>::empty(p.keep_shape, x.device());
  cuda::reduce(x.device().index, op, x.shape(), cuda::strided(x), p.mask, out.data(), scale);
  return reshape_output(out, p);
}

/// Runs the loop kernel of op over x for plan p, with an optional per-output aux (contiguous K).
template <class Op, Element T>
Tensor<typename Op::Out> reduce_with(const Tensor<T>& x, const ReducePlan& p, const Op& op,
                                     const double* aux = nullptr) {
  auto out = Tensor<typename Op::Out>::empty(p.keep_shape, x.device());
  reduce_loop(x, p.keep_shape, p.count, out.data(), aux, op);
  return reshape_output(out, p);
}

/// Whether the dims that plan p reduces (extent-1 dims aside) are the last dims of shape.
inline bool reduces_suffix(const Shape& shape, const ReducePlan& p) {
  bool reduced_seen = false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const bool reduced = p.keep_shape[d] == 1;
    if (reduced_seen && !reduced) return false;
    reduced_seen |= reduced;
  }
  return true;
}

/// Whether a float32 reduction goes to oneDNN: contiguous, large, actually reducing something, and
/// over the last dims (oneDNN's vectorised kernels; any other pattern gets its reference
/// implementation, ~50x slower than the loop).
template <Element T>
bool use_onednn_reduction(const Tensor<T>& x, const ReducePlan& p) {
  return std::is_same_v<T, float> && x.numel() >= onednn::kMinElements && p.count > 1 && x.is_contiguous() &&
         reduces_suffix(x.shape(), p);
}

/// The oneDNN reduction alg of x for plan p.
inline Tensor<float> onednn_reduce(const Tensor<float>& x, const ReducePlan& p, dnnl::algorithm alg) {
  auto out = Tensor<float>::empty(p.keep_shape, x.device());
  onednn::reduction(alg, x.data(), x.shape(), out.data(), p.keep_shape);
  return reshape_output(out, p);
}

/// scale * the sum over plan p of a contiguous, non-empty float32/float64 CPU tensor on the threaded
/// kernels of backend/eigen/sum.hpp; an undefined tensor for the inputs and patterns they do not take.
template <FloatElement T>
Tensor<T> contiguous_sum(const Tensor<T>& x, const ReducePlan& p, double scale) {
  if (!x.is_contiguous() || x.numel() == 0) return {};
  auto out = Tensor<T>::empty(p.keep_shape);
  if (!sum_contiguous(x.data(), x.shape(), p.keep_shape, out.data(), scale)) return {};
  return reshape_output(out, p);
}

/// amax/amin: the NaN-propagating extremum over plan p.
template <bool kMax, Element T>
Tensor<T> extremum(const Tensor<T>& x, const ReducePlan& p, const char* op) {
  check_nonempty_reduction(x.shape(), p, op);
  if (x.device().is_cuda()) return cuda_reduce(x, p, kMax ? cuda::ReduceOp::Max : cuda::ReduceOp::Min, op);
  if constexpr (std::is_same_v<T, float>) {
    // oneDNN does not promise NaN propagation for max/min (vmaxps keeps the non-NaN operand), so a
    // NaN anywhere (one vectorised scan) sends the reduction to the loop.
    if (use_onednn_reduction(x, p)) {
      Tensor<float> r = onednn_reduce(x, p, kMax ? dnnl::algorithm::reduction_max : dnnl::algorithm::reduction_min);
      if (!onednn::any_nan(x.data(), x.numel())) return r;
    }
  }
  return reduce_with(x, p, ExtremumOp<T, kMax>{});
}

/// max(dim)/min(dim): values and first indices of the extremum along dim.
template <bool kMax, Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> extremum_dim(const Tensor<T>& x, std::int64_t dim, bool keepdim,
                                                        const char* op) {
  x.check_cpu(op);
  const ReducePlan p = reduce_plan_dim(x.shape(), dim, keepdim, op);
  check_nonempty_reduction(x.shape(), p, op);
  auto values = Tensor<T>::empty(p.keep_shape, x.device());
  auto indices = Tensor<std::int64_t>::empty(p.keep_shape, x.device());
  if (values.numel() > 0)
    arg_reduce_loop<kMax>(x, normalize_dim(dim, x.dim(), op), values.data(), indices.data());
  std::pair<Tensor<T>, Tensor<std::int64_t>> out{reshape_output(values, p), reshape_output(indices, p)};
  if constexpr (FloatElement<T>) record_extremum_dim(op, out.first, out.second, x, p, normalize_dim(dim, x.dim(), op));
  return out;
}

/// argmax/argmin: first index of the extremum along dim, or in the flattened tensor.
template <bool kMax, Element T>
Tensor<std::int64_t> arg_extremum(const Tensor<T>& x, std::optional<std::int64_t> dim, bool keepdim,
                                  const char* op) {
  x.check_cpu(op);
  if (dim) return extremum_dim<kMax>(x, *dim, keepdim, op).second;
  EMBER_CHECK_INDEX(x.numel() > 0, op, "cannot perform reduction function ", op,
                    " on a tensor with no elements (shape ", x.shape(), "); specify the reduction dim");
  const ReducePlan p = reduce_plan(x.shape(), true, {}, keepdim, op);
  auto indices = Tensor<std::int64_t>::empty(p.keep_shape, x.device());
  arg_reduce_loop<kMax>(x.reshape({x.numel()}), 0, static_cast<T*>(nullptr), indices.data());
  return reshape_output(indices, p);
}

/// var/std: the mean in a first pass, then the squared deviations from it.
template <Element T>
Tensor<float_t_of<T>> variance(const Tensor<T>& x, bool all, const Shape& dims, double correction, bool keepdim,
                               bool take_sqrt, const char* op) {
  x.check_cpu(op);
  if constexpr (!FloatElement<T>) {
    fail<TypeError>(op, "std and var only support floating point dtypes, got ", dtype_name(x.dtype()));
  } else {
    const auto p = reduce_plan(x.shape(), all, dims, keepdim, op);
    auto means = Tensor<double>::empty(p.keep_shape);
    reduce_loop(x, p.keep_shape, p.count, means.data(), nullptr, SumOp<T, double, double, true>{});
    Tensor<T> y = reduce_with(x, p, SquaredDeviationOp<T>{correction, take_sqrt}, means.data());
    // d var = g * 2 (x - mean) / (N - correction); d std = d var / (2 std), 0 where std is 0 (PyTorch's
    // choice at the kink: a constant row would otherwise get 0 / 0 = NaN).
    record_reduction(op, y, x, p, true, take_sqrt, [n = p.count, correction, take_sqrt](
                                                       const Tensor<T>& g, const Tensor<T>& xs, const Tensor<T>& ys,
                                                       const Shape&) {
      const Tensor<T> centered = xs - sum_to_size(xs, g.shape()) / static_cast<T>(n);
      const T denom = static_cast<T>(std::max(0.0, static_cast<double>(n) - correction));
      if (take_sqrt) return centered * where(eq(ys, T(0)), T(0), g / (ys * denom));
      return centered * (g * (T(2) / denom));
    });
    return y;
  }
}

/// The dims of `shape` that a reduction to `keep` (the same rank, reduced dims of extent 1) removes.
inline Shape reduced_dims(const Shape& shape, const Shape& keep) {
  Shape dims;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (keep[d] == 1 && shape[d] != 1) dims.push_back(static_cast<std::int64_t>(d));
  return dims;
}

/// Records the backward of a reduction y of x (plan p): f(g, x, y) gives dx from g and y reshaped to
/// p.keep_shape (so that they broadcast against x); x and y are saved only when asked for.
template <Element T, class F>
void record_reduction(const char* op, const Tensor<T>& y, const Tensor<T>& x, const ReducePlan& p, bool save_x,
                      bool save_y, F f) {
  if (!autograd::needs_grad(x)) return;
  autograd::record(op, y, [sx = save_x ? autograd::Saved<T>(x, op) : autograd::Saved<T>(),
                           sy = save_y ? autograd::Saved<T>(y, op) : autograd::Saved<T>(), keep = p.keep_shape,
                           shape = x.shape(), f](const Tensor<T>& g) {
    const Tensor<T>& yv = sy.get();
    return f(g.reshape(keep), sx.get(), yv.defined() ? yv.reshape(keep) : yv, shape);
  }, x);
}

/// Records amax/amin/max()/min(): the gradient is split evenly among the elements equal to the
/// extremum (as PyTorch).
template <Element T>
void record_extremum(const char* op, const Tensor<T>& y, const Tensor<T>& x, const ReducePlan& p) {
  record_reduction(op, y, x, p, true, true, [](const Tensor<T>& g, const Tensor<T>& xs, const Tensor<T>& ys,
                                               const Shape&) {
    const Tensor<T> hit = eq(xs, ys).template to<T>();
    return hit * (g / sum_to_size(hit, g.shape()));
  });
}

/// Records values of max(dim)/min(dim): the gradient goes to the returned index.
template <Element T>
void record_extremum_dim(const char* op, const Tensor<T>& values, const Tensor<std::int64_t>& indices,
                         const Tensor<T>& x, const ReducePlan& p, std::int64_t dim) {
  if (!autograd::needs_grad(x)) return;
  autograd::record(op, values, [si = autograd::Saved<std::int64_t>(indices, op), keep = p.keep_shape,
                                shape = x.shape(), dim](const Tensor<T>& g) {
    const Tensor<std::int64_t> idx = si.get().reshape(keep);
    const Tensor<T> gk = g.reshape(keep);
    return scatter_add_grad(shape, idx.data(), idx.strides(), gk, dim);
  }, x);
}

}  // namespace detail

/// Element type of sum and prod: T for floating types, int64 for bool and integers (as PyTorch).
template <Element T>
using sum_t = typename Tensor<T>::sum_type;

/// Sum of the elements over dim (all dims by default); float32 accumulates in double (contiguous
/// inputs: float runs of at most 64 terms folded into double), bool and integers in int64; an empty
/// reduction gives 0.
template <Element T>
Tensor<sum_t<T>> sum(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  if constexpr (std::is_same_v<T, bfloat16>) {  // accumulates in float32 (a gradient of a broadcast, in C++ code)
    return sum(x.template to<float>(), std::move(dim), keepdim).template to<bfloat16>();
  } else {
    const auto p = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "sum");
    if constexpr (!FloatElement<T>) x.check_cpu("sum");
    Tensor<sum_t<T>> y = [&] {
      if constexpr (FloatElement<T>) {
        if (x.device().is_cuda()) return detail::cuda_reduce(x, p, cuda::ReduceOp::Sum, "sum");
        if (auto r = detail::contiguous_sum(x, p, 1.0); r.defined()) return r;
      }
      using A = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
      return detail::reduce_with(x, p, detail::SumOp<T, A, sum_t<T>>{});
    }();
    if constexpr (FloatElement<T>)  // d sum = g broadcast back over the reduced dims
      detail::record_reduction("sum", y, x, p, false, false, [](const Tensor<T>& g, const Tensor<T>&, const Tensor<T>&,
                                                                const Shape& shape) { return g.expand(shape); });
    return y;
  }
}

/// x summed over the dims that broadcasting would expand from `shape` to x's shape (the gradient of
/// a broadcast): the result has `shape`.
template <Element T>
Tensor<sum_t<T>> sum_to_size(const Tensor<T>& x, const Shape& shape) {
  if (x.shape() == shape) return x.template to<sum_t<T>>();
  const auto nd = static_cast<std::size_t>(x.dim());
  EMBER_CHECK(shape.size() <= nd, "sum_to_size", "shape ", shape, " has more dims than the tensor's shape ",
              x.shape());
  const std::size_t lead = nd - shape.size();
  Shape dims;
  for (std::size_t d = 0; d < nd; ++d) {
    const bool leading = d < lead;
    if (!leading)
      EMBER_CHECK(shape[d - lead] == x.shape()[d] || shape[d - lead] == 1, "sum_to_size", "shape ", x.shape(),
                  " cannot be summed to ", shape);
    if (leading || (shape[d - lead] == 1 && x.shape()[d] != 1)) dims.push_back(static_cast<std::int64_t>(d));
  }
  if (dims.empty()) return x.template to<sum_t<T>>().reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

/// Product of the elements over dim; bool and integers multiply in int64; an empty reduction gives 1.
template <Element T>
Tensor<sum_t<T>> prod(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  EMBER_CHECK_TYPE((!std::is_same_v<T, bfloat16>), "prod", "got a bfloat16 tensor of shape ", x.shape(),
                   ": cast it with .float()");
  x.check_cpu("prod");
  const auto p = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "prod");
  Tensor<sum_t<T>> y = [&] {
    if constexpr (std::is_same_v<T, float>)
      if (detail::use_onednn_reduction(x, p)) return detail::onednn_reduce(x, p, dnnl::algorithm::reduction_mul);
    return detail::reduce_with(x, p, detail::ProdOp<T, sum_t<T>>{});
  }();
  if constexpr (FloatElement<T>)
    // d prod / d x_i = product of the others: y / x_i without zeros; with one zero in a group only the
    // zero gets a gradient (the product of the rest); with two or more, none does.
    detail::record_reduction("prod", y, x, p, true, false, [](const Tensor<T>& g, const Tensor<T>& xs,
                                                              const Tensor<T>&, const Shape&) {
      const Shape& keep = g.shape();
      const Tensor<bool> zero = eq(xs, T(0));
      const Tensor<T> nonzero = where(zero, T(1), xs);
      const Shape dims = detail::reduced_dims(xs.shape(), keep);
      const Tensor<T> others = dims.empty() ? nonzero : prod(nonzero, dims, true);  // product of the non-zeros
      const Tensor<std::int64_t> zeros = sum_to_size(zero, keep);
      const Tensor<T> dzero = where(eq(zeros, 1), others, T(0));
      const Tensor<T> dnonzero = where(eq(zeros, 0), others / where(zero, T(1), xs), T(0));
      return g * where(zero, dzero, dnonzero);
    });
  return y;
}

/// Mean of the elements over dim (floating types only: TypeError otherwise, as PyTorch); an empty
/// reduction gives NaN.
template <Element T>
Tensor<float_t_of<T>> mean(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  if constexpr (!FloatElement<T>) {
    detail::fail<TypeError>("mean", "could not infer output dtype: input dtype must be a floating point dtype, got ",
                            dtype_name(x.dtype()));
  } else {
    const auto p = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "mean");
    Tensor<T> y = [&] {
      if (x.device().is_cuda())
        return detail::cuda_reduce(x, p, cuda::ReduceOp::Sum, "mean", 1.0 / static_cast<double>(p.count));
      if (auto r = detail::contiguous_sum(x, p, 1.0 / static_cast<double>(p.count)); r.defined()) return r;
      return detail::reduce_with(x, p, detail::SumOp<T, double, T, true>{});
    }();
    detail::record_reduction("mean", y, x, p, false, false, [n = p.count](const Tensor<T>& g, const Tensor<T>&,
                                                                          const Tensor<T>&, const Shape& shape) {
      return (g / static_cast<T>(n)).expand(shape);
    });
    return y;
  }
}

/// Variance over dim: sum((x - mean)^2) / max(0, N - correction), in two passes for stability
/// (correction 1 is the unbiased estimate; pass true/false for PyTorch's `unbiased`).
template <Element T>
Tensor<float_t_of<T>> var(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, double correction = 1,
                          bool keepdim = false) {
  return detail::variance(x, dim.all, dim.list, correction, keepdim, false, "var");
}

/// Standard deviation over dim: the square root of var(x, dim, correction).
template <Element T>
Tensor<float_t_of<T>> std(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, double correction = 1,
                          bool keepdim = false) {
  return detail::variance(x, dim.all, dim.list, correction, keepdim, true, "std");
}

/// log(sum(exp(x))) over dim, shifted by the max so that it neither overflows nor underflows;
/// integers are computed in float32 (as PyTorch); an empty reduction gives -inf.
template <Element T>
Tensor<float_t_of<T>> logsumexp(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  x.check_cpu("logsumexp");
  if constexpr (!FloatElement<T>) {
    return logsumexp(x.template to<float>(), std::move(dim), keepdim);
  } else {
    const auto p = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "logsumexp");
    auto shift = Tensor<double>::empty(p.keep_shape);
    detail::reduce_loop(x, p.keep_shape, p.count, shift.data(), nullptr, detail::ExtremumOp<T, true, double>{});
    double* s = shift.data();
    for (std::int64_t i = 0, n = shift.numel(); i < n; ++i)
      if (std::isinf(s[i])) s[i] = 0;  // all -inf (or an inf): exp(x - 0) gives the right limit
    Tensor<T> y = detail::reduce_with(x, p, detail::SumExpOp<T>{}, shift.data());
    // d logsumexp = g * exp(x - y), i.e. g * softmax(x).
    detail::record_reduction("logsumexp", y, x, p, true, true, [](const Tensor<T>& g, const Tensor<T>& xs,
                                                                  const Tensor<T>& ys, const Shape&) {
      return g * exp(xs - ys);
    });
    return y;
  }
}

/// Largest element over dim (all dims by default); a NaN makes the result NaN; empty dims throw.
template <Element T>
Tensor<T> amax(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  const auto p = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "amax");
  Tensor<T> y = detail::extremum<true>(x, p, "amax");
  if constexpr (FloatElement<T>) detail::record_extremum("amax", y, x, p);
  return y;
}

/// Smallest element over dim (all dims by default); a NaN makes the result NaN; empty dims throw.
template <Element T>
Tensor<T> amin(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  const auto p = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "amin");
  Tensor<T> y = detail::extremum<false>(x, p, "amin");
  if constexpr (FloatElement<T>) detail::record_extremum("amin", y, x, p);
  return y;
}

/// Largest element of x as a 0-d tensor (NaN propagates); IndexError for an empty tensor.
template <Element T>
Tensor<T> max(const Tensor<T>& x) {
  const auto p = detail::reduce_plan(x.shape(), true, {}, false, "max");
  Tensor<T> y = detail::extremum<true>(x, p, "max");
  if constexpr (FloatElement<T>) detail::record_extremum("max", y, x, p);
  return y;
}

/// (values, indices) of the largest element along dim; ties give the first occurrence, a NaN
/// counts as the largest (the first NaN wins); IndexError when dim is empty.
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> max(const Tensor<T>& x, std::int64_t dim, bool keepdim = false) {
  return detail::extremum_dim<true>(x, dim, keepdim, "max");
}

/// Smallest element of x as a 0-d tensor (NaN propagates); IndexError for an empty tensor.
template <Element T>
Tensor<T> min(const Tensor<T>& x) {
  const auto p = detail::reduce_plan(x.shape(), true, {}, false, "min");
  Tensor<T> y = detail::extremum<false>(x, p, "min");
  if constexpr (FloatElement<T>) detail::record_extremum("min", y, x, p);
  return y;
}

/// (values, indices) of the smallest element along dim; ties give the first occurrence, a NaN
/// counts as the smallest (the first NaN wins); IndexError when dim is empty.
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> min(const Tensor<T>& x, std::int64_t dim, bool keepdim = false) {
  return detail::extremum_dim<false>(x, dim, keepdim, "min");
}

/// Index of the largest element along dim, or in row-major order over all elements when dim is
/// nullopt; ties give the first occurrence, the first NaN wins.
template <Element T>
Tensor<std::int64_t> argmax(const Tensor<T>& x, std::optional<std::int64_t> dim = std::nullopt,
                            bool keepdim = false) {
  return detail::arg_extremum<true>(x, dim, keepdim, "argmax");
}

/// Index of the smallest element along dim, or in row-major order over all elements when dim is
/// nullopt; ties give the first occurrence, the first NaN wins.
template <Element T>
Tensor<std::int64_t> argmin(const Tensor<T>& x, std::optional<std::int64_t> dim = std::nullopt,
                            bool keepdim = false) {
  return detail::arg_extremum<false>(x, dim, keepdim, "argmin");
}

/// Whether every element over dim is non-zero (true for an empty reduction).
template <Element T>
Tensor<bool> all(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  x.check_cpu("all");
  return detail::reduce_with(x, detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "all"),
                             detail::LogicalOp<T, true>{});
}

/// Whether some element over dim is non-zero (false for an empty reduction).
template <Element T>
Tensor<bool> any(const Tensor<T>& x, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  x.check_cpu("any");
  return detail::reduce_with(x, detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "any"),
                             detail::LogicalOp<T, false>{});
}

// --- Tensor methods ---
template <Element T>
Tensor<typename Tensor<T>::sum_type> Tensor<T>::sum(Dims dim, bool keepdim) const { return ember::sum(*this, std::move(dim), keepdim); }
template <Element T>
Tensor<typename Tensor<T>::sum_type> Tensor<T>::prod(Dims dim, bool keepdim) const { return ember::prod(*this, std::move(dim), keepdim); }
template <Element T>
Tensor<float_t_of<T>> Tensor<T>::mean(Dims dim, bool keepdim) const {
  return ember::mean(*this, std::move(dim), keepdim);
}
template <Element T>
Tensor<float_t_of<T>> Tensor<T>::var(Dims dim, double correction, bool keepdim) const {
  return ember::var(*this, std::move(dim), correction, keepdim);
}
template <Element T>
Tensor<float_t_of<T>> Tensor<T>::std(Dims dim, double correction, bool keepdim) const {
  return ember::std(*this, std::move(dim), correction, keepdim);
}
template <Element T>
Tensor<float_t_of<T>> Tensor<T>::logsumexp(Dims dim, bool keepdim) const {
  return ember::logsumexp(*this, std::move(dim), keepdim);
}
template <Element T>
Tensor<T> Tensor<T>::amax(Dims dim, bool keepdim) const { return ember::amax(*this, std::move(dim), keepdim); }
template <Element T>
Tensor<T> Tensor<T>::amin(Dims dim, bool keepdim) const { return ember::amin(*this, std::move(dim), keepdim); }
template <Element T>
Tensor<T> Tensor<T>::max() const { return ember::max(*this); }
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> Tensor<T>::max(std::int64_t dim, bool keepdim) const {
  return ember::max(*this, dim, keepdim);
}
template <Element T>
Tensor<T> Tensor<T>::min() const { return ember::min(*this); }
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> Tensor<T>::min(std::int64_t dim, bool keepdim) const {
  return ember::min(*this, dim, keepdim);
}
template <Element T>
Tensor<std::int64_t> Tensor<T>::argmax(std::optional<std::int64_t> dim, bool keepdim) const {
  return ember::argmax(*this, dim, keepdim);
}
template <Element T>
Tensor<std::int64_t> Tensor<T>::argmin(std::optional<std::int64_t> dim, bool keepdim) const {
  return ember::argmin(*this, dim, keepdim);
}
template <Element T>
Tensor<bool> Tensor<T>::all(Dims dim, bool keepdim) const { return ember::all(*this, std::move(dim), keepdim); }
template <Element T>
Tensor<bool> Tensor<T>::any(Dims dim, bool keepdim) const { return ember::any(*this, std::move(dim), keepdim); }

}  // namespace ember
