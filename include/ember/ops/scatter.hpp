#pragma once
// The scatter family: scatter / scatter_ (src or value, legacy reduce), scatter_add, scatter_reduce
// (sum, prod, mean, amax, amin; include_self), index_add, index_copy, index_fill, masked_scatter, and the
// in-place forms. Each op first turns its indices into a ScatterPlan (one checked pass: an index out of
// range is an IndexError before anything is written), then runs plain loops over the plan on a
// contiguous copy of the input; the backward rules run the same plan the other way (ember has no
// higher-order gradients, so the backward loops need not be differentiable).
#include <cmath>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"

namespace ember {

namespace detail {

/// Where each written element goes: dst[k] is a position in a contiguous tensor of the destination's
/// shape, src[k] the position of the value it takes in a contiguous tensor of the source's shape.
struct ScatterPlan {
  std::vector<std::int64_t> dst, src;
};
using ScatterPlanPtr = std::shared_ptr<const ScatterPlan>;

/// Calls f(coords) for every coordinate of shape in row-major order.
template <class F>
void for_each_coord(const Shape& shape, F&& f) {
  if (numel_of(shape) == 0) return;
  Shape c(shape.size(), 0);
  for (;;) {
    f(c);
    std::int64_t d = static_cast<std::int64_t>(shape.size()) - 1;
    while (d >= 0 && ++c[d] == shape[d]) c[d--] = 0;
    if (d < 0) return;
  }
}

/// The plan of an op that walks `iter` (a shape whose coordinates address the source) and writes
/// into a destination of shape `dst_shape` at the same coordinates except along dim, where
/// index_at(coords) gives it. `src_shape` is the contiguous layout the source positions refer to.
template <class IndexAt>
ScatterPlanPtr make_plan(const Shape& iter, const Shape& dst_shape, const Shape& src_shape, std::int64_t dim,
                         IndexAt index_at, const char* op) {
  auto plan = std::make_shared<ScatterPlan>();
  const Shape dst_st = contiguous_strides(dst_shape), src_st = contiguous_strides(src_shape);
  const std::int64_t n = dst_shape.empty() ? 1 : dst_shape[dim];
  plan->dst.reserve(static_cast<std::size_t>(numel_of(iter)));
  plan->src.reserve(static_cast<std::size_t>(numel_of(iter)));
  for_each_coord(iter, [&](const Shape& c) {
    const std::int64_t v = index_at(c);
    EMBER_CHECK_INDEX(v >= 0 && v < n, op, "index ", v, " is out of bounds for dimension ", dim, " with size ", n,
                      " (destination shape ", dst_shape, ")");
    std::int64_t d = 0, s = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      d += (static_cast<std::int64_t>(i) == dim ? v : c[i]) * (dst_st.empty() ? 0 : dst_st[i]);
      s += c[i] * (src_st.empty() ? 0 : src_st[i]);
    }
    plan->dst.push_back(d);
    plan->src.push_back(s);
  });
  return plan;
}

/// The element of a (CPU) tensor at coords.
template <Element T>
T coords_value(const Tensor<T>& t, const Shape& c) {
  std::int64_t off = 0;
  for (std::size_t i = 0; i < c.size() && i < t.strides().size(); ++i) off += c[i] * t.strides()[i];
  return t.data()[off];
}

/// Checks scatter's shapes (index, src and input of one rank, index no larger than src, nor than input
/// outside dim) and returns its plan; dim must already be normalized.
template <Element T>
ScatterPlanPtr scatter_plan(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                            const Shape* src_shape, const char* op) {
  EMBER_CHECK(index.dim() == input.dim() || (input.dim() == 0 && index.numel() <= 1), op,
              "index tensor must have the same number of dimensions as self tensor: index shape ", index.shape(),
              ", self shape ", input.shape());
  if (src_shape)
    EMBER_CHECK(static_cast<std::int64_t>(src_shape->size()) == index.dim(), op,
                "index tensor must have the same number of dimensions as src tensor: index shape ", index.shape(),
                ", src shape ", *src_shape);
  for (std::int64_t d = 0; d < index.dim() && input.dim() > 0; ++d) {
    EMBER_CHECK(d == dim || index.shape()[d] <= input.shape()[d], op, "expected index ", index.shape(),
                " to be smaller than self ", input.shape(), " apart from dimension ", dim);
    EMBER_CHECK(!src_shape || index.shape()[d] <= (*src_shape)[d], op, "expected index ", index.shape(),
                " to be smaller than src ", *src_shape, " at dimension ", d);
  }
  const Shape& ss = src_shape ? *src_shape : index.shape();
  return make_plan(index.shape(), input.shape(), ss, input.dim() == 0 ? 0 : dim,
                   [&](const Shape& c) { return coords_value(index, c); }, op);
}

/// Checks an index_* op's 1-D index against input along dim and returns the plan over iter (the
/// source's shape, or input's shape with dim resized to the index's length).
template <Element T, Element I>
ScatterPlanPtr index_plan(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, const Shape& iter,
                          const char* op, bool wrap_negative = false) {
  EMBER_CHECK_INDEX(index.dim() <= 1, op, "index must be 0-d or 1-d, got shape ", index.shape());
  const std::int64_t istride = index.dim() == 1 ? index.strides()[0] : 0;
  const std::int64_t n = input.dim() == 0 ? 1 : input.shape()[dim];
  const I* idx = index.data();
  return make_plan(iter, input.shape(), iter, dim,
                   [&](const Shape& c) {
                     const std::int64_t j = c.empty() ? 0 : c[dim];
                     const auto v = static_cast<std::int64_t>(idx[j * istride]);
                     return wrap_negative && v < 0 && v >= -n ? v + n : v;
                   }, op);
}

/// A contiguous copy of g (any layout) with zeros at the plan's destinations.
template <Element T>
Tensor<T> zero_at(const Tensor<T>& g, const ScatterPlan& p) {
  Tensor<T> r = g.clone();
  for (auto d : p.dst) r.data()[d] = T(0);
  return r;
}

/// A zero tensor of shape whose plan sources hold f(k) for plan entry k.
template <Element T, class F>
Tensor<T> to_sources(const Shape& shape, const ScatterPlan& p, F f) {
  Tensor<T> r = Tensor<T>::empty(shape);
  r.fill_(T(0));
  for (std::size_t k = 0; k < p.src.size(); ++k) r.data()[p.src[k]] = f(k);
  return r;
}

enum class ScatterReduce { None, Sum, Prod, Mean, Amax, Amin };

inline ScatterReduce parse_reduce(std::string_view r, bool legacy, const char* op) {
  if (legacy) {
    if (r.empty()) return ScatterReduce::None;
    if (r == "add") return ScatterReduce::Sum;
    if (r == "multiply") return ScatterReduce::Prod;
    fail<std::invalid_argument>(op, "reduce argument must be either add or multiply, got '", std::string(r), "'");
  }
  if (r == "sum") return ScatterReduce::Sum;
  if (r == "prod") return ScatterReduce::Prod;
  if (r == "mean") return ScatterReduce::Mean;
  if (r == "amax") return ScatterReduce::Amax;
  if (r == "amin") return ScatterReduce::Amin;
  fail<std::invalid_argument>(op, "reduce argument must be either sum, prod, mean, amax or amin, got '",
                              std::string(r), "'");
}

template <Element T>
T reduce_identity(ScatterReduce r) {
  if (r == ScatterReduce::Prod) return T(1);
  if (r == ScatterReduce::Amax) return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                                      : std::numeric_limits<T>::lowest();
  if (r == ScatterReduce::Amin) return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                                      : std::numeric_limits<T>::max();
  return T(0);
}

template <Element T>
bool scatter_is_nan(T v) {
  if constexpr (FloatElement<T>) return std::isnan(v);
  else return false;
}

/// The result of reducing src's plan entries (values s, contiguous) into a contiguous copy of input.
template <Element T>
Tensor<T> reduce_into(const Tensor<T>& input, const T* s, const ScatterPlan& p, ScatterReduce r, bool include_self) {
  Tensor<T> out = input.detach().clone();
  T* o = out.data();
  const std::size_t K = p.dst.size();
  if (!include_self)
    for (auto d : p.dst) o[d] = reduce_identity<T>(r);
  std::vector<std::int64_t> count;
  if (r == ScatterReduce::Mean) count.assign(static_cast<std::size_t>(out.numel()), include_self ? 1 : 0);
  for (std::size_t k = 0; k < K; ++k) {
    T& a = o[p.dst[k]];
    const T b = s[p.src[k]];
    switch (r) {
      case ScatterReduce::None: a = b; break;
      case ScatterReduce::Sum: case ScatterReduce::Mean: a = static_cast<T>(a + b); break;
      case ScatterReduce::Prod: a = static_cast<T>(a * b); break;
      case ScatterReduce::Amax: if (b > a || scatter_is_nan(b)) a = b; break;
      case ScatterReduce::Amin: if (b < a || scatter_is_nan(b)) a = b; break;
    }
    if (r == ScatterReduce::Mean) ++count[p.dst[k]];
  }
  if (r == ScatterReduce::Mean)
    for (std::size_t i = 0; i < count.size(); ++i) {
      if (count[i] <= 1) continue;
      if constexpr (FloatElement<T>) o[i] = o[i] / static_cast<T>(count[i]);
      else o[i] = static_cast<T>(std::floor(static_cast<double>(o[i]) / static_cast<double>(count[i])));
    }
  return out;
}

/// The gradients (input, src) of reduce_into for upstream gradient g; self and src are the saved
/// contiguous values. amax/amin split the gradient evenly among the elements equal to the result.
template <FloatElement T>
autograd::Grads reduce_backward(const Tensor<T>& g0, const Tensor<T>& self, const Tensor<T>& src, const Shape& src_shape,
                                const ScatterPlan& p, ScatterReduce r, bool include_self) {
  const Tensor<T> g = g0.contiguous();
  const T* gd = g.data();
  const std::size_t K = p.dst.size();
  const std::int64_t n = g.numel();
  std::vector<char> hit(static_cast<std::size_t>(n), 0);
  for (auto d : p.dst) hit[d] = 1;
  Tensor<T> gi = g.clone();
  Tensor<T> gs;
  auto self_counts = [&](std::int64_t i) { return include_self || !hit[i]; };
  if (r == ScatterReduce::Sum || r == ScatterReduce::None) {
    gs = to_sources<T>(src_shape, p, [&](std::size_t k) { return gd[p.dst[k]]; });
  } else if (r == ScatterReduce::Mean) {
    std::vector<T> N(static_cast<std::size_t>(n), include_self ? T(1) : T(0));
    for (auto d : p.dst) N[d] += T(1);
    for (auto& v : N) v = v == T(0) ? T(1) : v;
    for (std::int64_t i = 0; i < n; ++i) gi.data()[i] = gd[i] / N[i];
    gs = to_sources<T>(src_shape, p, [&](std::size_t k) { return gd[p.dst[k]] / N[p.dst[k]]; });
  } else if (r == ScatterReduce::Prod) {
    // Per destination: the number of zero factors and the product of the others.
    std::vector<std::int64_t> zeros(static_cast<std::size_t>(n), 0);
    std::vector<T> prod(static_cast<std::size_t>(n), T(1));
    const T* sv = self.data();
    const T* xs = src.data();
    auto take = [&](std::int64_t i, T v) { v == T(0) ? void(++zeros[i]) : void(prod[i] *= v); };
    for (std::int64_t i = 0; i < n; ++i)
      if (self_counts(i)) take(i, sv[i]);
    for (std::size_t k = 0; k < K; ++k) take(p.dst[k], xs[p.src[k]]);
    auto others = [&](std::int64_t i, T v) {  // the product of the factors of i other than v
      if (v != T(0)) return zeros[i] == 0 ? prod[i] / v : T(0);
      return zeros[i] == 1 ? prod[i] : T(0);
    };
    for (std::int64_t i = 0; i < n; ++i) gi.data()[i] = self_counts(i) ? gd[i] * others(i, sv[i]) : T(0);
    gs = to_sources<T>(src_shape, p, [&](std::size_t k) { return gd[p.dst[k]] * others(p.dst[k], xs[p.src[k]]); });
    return {gi, gs};
  } else {  // amax / amin
    const Tensor<T> res = reduce_into(self, src.data(), p, r, include_self);
    const T* rv = res.data();
    const T* sv = self.data();
    const T* xs = src.data();
    std::vector<T> N(static_cast<std::size_t>(n), T(0));
    for (std::int64_t i = 0; i < n; ++i)
      if (self_counts(i) && sv[i] == rv[i]) N[i] += T(1);
    for (std::size_t k = 0; k < K; ++k)
      if (xs[p.src[k]] == rv[p.dst[k]]) N[p.dst[k]] += T(1);
    for (std::int64_t i = 0; i < n; ++i)
      gi.data()[i] = self_counts(i) && sv[i] == rv[i] ? gd[i] / N[i] : T(0);
    gs = to_sources<T>(src_shape, p, [&](std::size_t k) {
      const auto d = p.dst[k];
      return xs[p.src[k]] == rv[d] ? gd[d] / N[d] : T(0);
    });
    return {gi, gs};
  }
  if (!include_self || r == ScatterReduce::None)
    for (auto d : p.dst) gi.data()[d] = T(0);
  return {gi, gs};
}

/// The in-place form of an out-of-place op f(self): recorded through rebase_history when autograd
/// needs it, else f's values copied into self.
template <Element T, class F, class... Src>
const Tensor<T>& inplace_from(const Tensor<T>& self, const char* op, bool saves_self, F f, const Src&... srcs) {
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(self, srcs...)) return autograd::rebase_history(self, op, saves_self, f);
  (autograd::check_inplace_source(srcs, op), ...);
  Tensor<T> r;
  {
    NoGradGuard no_grad;
    r = f(self);
  }
  autograd::check_inplace(self, op);
  copy_cast(self, r);
  return self;
}

/// scatter / scatter_reduce on checked arguments: out = input with src reduced in along dim at index.
template <Element T>
Tensor<T> scatter_impl(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                       const Tensor<T>& src, ScatterReduce r, bool include_self, const char* op) {
  check_cpu(op, input, src);
  index.check_cpu(op);
  dim = normalize_dim(dim, input.dim(), op);
  const Shape src_shape = src.shape();
  const ScatterPlanPtr plan = scatter_plan(input, dim, index, &src_shape, op);
  const Tensor<T> s = src.detach().contiguous();
  Tensor<T> out = reduce_into(input, s.data(), *plan, r, include_self);
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input, src)) {
      const bool needs_values = r == ScatterReduce::Prod || r == ScatterReduce::Amax || r == ScatterReduce::Amin;
      autograd::record(op, out, [plan, src_shape, r, include_self, needs_values,
                                 si = autograd::Saved<T>(needs_values ? input : Tensor<T>(), op),
                                 ss = autograd::Saved<T>(needs_values ? src : Tensor<T>(), op)](const Tensor<T>& g) {
        const Tensor<T> self = needs_values ? si.get().contiguous() : Tensor<T>();
        const Tensor<T> sv = needs_values ? ss.get().contiguous() : Tensor<T>();
        return reduce_backward(g, self, sv, src_shape, *plan, r, include_self);
      }, input, src);
    }
  return out;
}

}  // namespace detail

/// A copy of input with src's elements written along dim at index: out[i][index[i][j]] = src[i][j]
/// for dim 1 (likewise for any dim); reduce "add" or "multiply" combines instead of overwriting.
template <Element T>
Tensor<T> scatter(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index, const Tensor<T>& src,
                  std::string_view reduce = {}) {
  return detail::scatter_impl(input, dim, index, src, detail::parse_reduce(reduce, true, "scatter"), true, "scatter");
}

/// A copy of input with value written along dim at index (reduce "add" or "multiply" combines).
template <Element T, Scalar S>
Tensor<T> scatter(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index, S value,
                  std::string_view reduce = {}) {
  Tensor<T> src = Tensor<T>::empty(index.shape(), input.device());
  src.fill_(static_cast<T>(value));
  return detail::scatter_impl(input, dim, index, src, detail::parse_reduce(reduce, true, "scatter"), true, "scatter");
}

/// scatter written into input.
template <Element T>
const Tensor<T>& scatter_(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                          const Tensor<T>& src, std::string_view reduce = {}) {
  return detail::inplace_from(input, "scatter_", reduce == "multiply",
                              [&](const Tensor<T>& x) {
    return detail::scatter_impl(x, dim, index, src, detail::parse_reduce(reduce, true, "scatter_"), true, "scatter_");
  }, src);
}

/// scatter of a value written into input.
template <Element T, Scalar S>
const Tensor<T>& scatter_(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index, S value,
                          std::string_view reduce = {}) {
  return detail::inplace_from(input, "scatter_", reduce == "multiply",
                              [&](const Tensor<T>& x) {
    Tensor<T> src = Tensor<T>::empty(index.shape(), x.device());
    src.fill_(static_cast<T>(value));
    return detail::scatter_impl(x, dim, index, src, detail::parse_reduce(reduce, true, "scatter_"), true, "scatter_");
  });
}

/// A copy of input with src's elements added along dim at index (repeated indices add up).
template <Element T>
Tensor<T> scatter_add(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                      const Tensor<T>& src) {
  return detail::scatter_impl(input, dim, index, src, detail::ScatterReduce::Sum, true, "scatter_add");
}

/// scatter_add written into input.
template <Element T>
const Tensor<T>& scatter_add_(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                              const Tensor<T>& src) {
  return detail::inplace_from(input, "scatter_add_", false,
                              [&](const Tensor<T>& x) {
    return detail::scatter_impl(x, dim, index, src, detail::ScatterReduce::Sum, true, "scatter_add_");
  }, src);
}

/// A copy of input where src's elements are reduced ("sum", "prod", "mean", "amax", "amin") into the
/// positions index gives along dim, with input's own value taking part when include_self.
template <Element T>
Tensor<T> scatter_reduce(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                         const Tensor<T>& src, std::string_view reduce, bool include_self = true) {
  return detail::scatter_impl(input, dim, index, src, detail::parse_reduce(reduce, false, "scatter_reduce"),
                              include_self, "scatter_reduce");
}

/// scatter_reduce written into input.
template <Element T>
const Tensor<T>& scatter_reduce_(const Tensor<T>& input, std::int64_t dim, const Tensor<std::int64_t>& index,
                                 const Tensor<T>& src, std::string_view reduce, bool include_self = true) {
  return detail::inplace_from(input, "scatter_reduce_", true, [&](const Tensor<T>& x) {
    return detail::scatter_impl(x, dim, index, src, detail::parse_reduce(reduce, false, "scatter_reduce_"), include_self,
                                "scatter_reduce_");
  }, src);
}

namespace detail {

// index_add / index_copy: source has input's shape except along dim, where it has index's length.
template <Element T, Element I>
ScatterPlanPtr index_source_plan(const Tensor<T>& input, std::int64_t& dim, const Tensor<I>& index,
                                 const Tensor<T>& source, const char* op) {
  check_cpu(op, input, source);
  index.check_cpu(op);
  dim = normalize_dim(dim, input.dim(), op);
  EMBER_CHECK_INDEX(index.dim() <= 1, op, "index must be 0-d or 1-d, got shape ", index.shape());
  EMBER_CHECK(source.dim() == input.dim() || (input.dim() == 0 && source.numel() == 1), op,
              "source ", source.shape(), " and self ", input.shape(), " must have the same number of dimensions");
  if (input.dim() == 0) {
    EMBER_CHECK(index.numel() == 1, op, "index of a 0-d self must have one element, got shape ", index.shape());
    return index_plan(input, dim, index, input.shape(), op);
  }
  for (std::int64_t d = 0; d < input.dim(); ++d)
    EMBER_CHECK(d == dim ? source.shape()[d] == index.numel() : source.shape()[d] == input.shape()[d], op,
                "source of shape ", source.shape(), " does not match self of shape ", input.shape(), " with ",
                index.numel(), " indices along dimension ", dim, " (mismatch at dimension ", d, ")");
  return index_plan(input, dim, index, source.shape(), op);
}

template <Element T, Element I>
Tensor<T> index_add_impl(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, const Tensor<T>& source, T alpha,
    const char* op) {
  const detail::ScatterPlanPtr plan = detail::index_source_plan(input, dim, index, source, op);
  Tensor<T> out = input.detach().clone();
  const Tensor<T> s = source.detach().contiguous();
  for (std::size_t k = 0; k < plan->dst.size(); ++k)
    out.data()[plan->dst[k]] = static_cast<T>(out.data()[plan->dst[k]] + alpha * s.data()[plan->src[k]]);
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input, source))
      autograd::record(op, out, [plan, alpha, shape = source.shape()](const Tensor<T>& g0) {
        const Tensor<T> g = g0.contiguous();
        return autograd::Grads{g, detail::to_sources<T>(shape, *plan, [&](std::size_t k) {
                                 return alpha * g.data()[plan->dst[k]];
                               })};
      }, input, source);
  return out;
}

}  // namespace detail

/// A copy of input with alpha * source added at the positions index (1-D) gives along dim.
template <Element T, Element I>
Tensor<T> index_add(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, const Tensor<T>& source,
                    T alpha = T(1)) {
  return detail::index_add_impl(input, dim, index, source, alpha, "index_add");
}

/// index_add written into input.
template <Element T, Element I>
const Tensor<T>& index_add_(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, const Tensor<T>& source,
                            T alpha = T(1)) {
  return detail::inplace_from(input, "index_add_", false,
                              [&](const Tensor<T>& x) {
    return detail::index_add_impl(x, dim, index, source, alpha, "index_add_");
  }, source);
}

namespace detail {

template <Element T, Element I>
Tensor<T> index_copy_impl(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, const Tensor<T>& source,
    const char* op) {
  const detail::ScatterPlanPtr plan = detail::index_source_plan(input, dim, index, source, op);
  Tensor<T> out = input.detach().clone();
  const Tensor<T> s = source.detach().contiguous();
  for (std::size_t k = 0; k < plan->dst.size(); ++k) out.data()[plan->dst[k]] = s.data()[plan->src[k]];
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input, source))
      autograd::record(op, out, [plan, shape = source.shape()](const Tensor<T>& g0) {
        const Tensor<T> g = g0.contiguous();
        return autograd::Grads{detail::zero_at(g, *plan), detail::to_sources<T>(shape, *plan, [&](std::size_t k) {
                                 return g.data()[plan->dst[k]];
                               })};
      }, input, source);
  return out;
}

}  // namespace detail

/// A copy of input with source's slices copied to the positions index (1-D) gives along dim.
template <Element T, Element I>
Tensor<T> index_copy(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, const Tensor<T>& source) {
  return detail::index_copy_impl(input, dim, index, source, "index_copy");
}

/// index_copy written into input.
template <Element T, Element I>
const Tensor<T>& index_copy_(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index,
                             const Tensor<T>& source) {
  return detail::inplace_from(input, "index_copy_", false,
                              [&](const Tensor<T>& x) {
    return detail::index_copy_impl(x, dim, index, source, "index_copy_");
  }, source);
}

namespace detail {

template <Element T, Element I, Scalar S>
Tensor<T> index_fill_impl(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, S value,
    const char* op) {
  detail::check_cpu(op, input, input);
  index.check_cpu(op);
  dim = normalize_dim(dim, input.dim(), op);
  EMBER_CHECK_INDEX(index.dim() <= 1, op, "index must be 0-d or 1-d, got shape ", index.shape());
  Shape iter = input.shape();
  if (input.dim() > 0) iter[dim] = index.numel();
  else EMBER_CHECK(index.numel() <= 1, op, "index of a 0-d self must have at most one element, got shape ",
                   index.shape());
  // index_fill, unlike index_add and index_copy, takes negative indices (as torch)
  const detail::ScatterPlanPtr plan =
      index.numel() == 0 ? std::make_shared<ScatterPlan>() : detail::index_plan(input, dim, index, iter, op, true);
  Tensor<T> out = input.detach().clone();
  for (auto d : plan->dst) out.data()[d] = static_cast<T>(value);
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input))
      autograd::record(op, out, [plan](const Tensor<T>& g) { return detail::zero_at(g, *plan); }, input);
  return out;
}

}  // namespace detail

/// A copy of input with value in the slices index (1-D) gives along dim.
template <Element T, Element I, Scalar S>
Tensor<T> index_fill(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, S value) {
  return detail::index_fill_impl(input, dim, index, value, "index_fill");
}

/// index_fill written into input.
template <Element T, Element I, Scalar S>
const Tensor<T>& index_fill_(const Tensor<T>& input, std::int64_t dim, const Tensor<I>& index, S value) {
  return detail::inplace_from(input, "index_fill_", false,
                              [&](const Tensor<T>& x) { return detail::index_fill_impl(x, dim, index, value, "index_fill_"); });
}

namespace detail {

template <Element T>
Tensor<T> masked_scatter_impl(const Tensor<T>& input, const Tensor<bool>& mask, const Tensor<T>& source,
    const char* op) {
  detail::check_cpu(op, input, source);
  mask.check_cpu(op);
  const Shape b = broadcast_shapes(input.shape(), mask.shape(), op);
  const Tensor<bool> m = mask.expand(b).contiguous();
  auto plan = std::make_shared<detail::ScatterPlan>();
  for (std::int64_t i = 0; i < m.numel(); ++i)
    if (m.data()[i]) {
      plan->dst.push_back(i);
      plan->src.push_back(static_cast<std::int64_t>(plan->src.size()));
    }
  EMBER_CHECK(static_cast<std::int64_t>(plan->src.size()) <= source.numel(), op,
              "number of elements in source (", source.numel(), ", shape ", source.shape(),
              ") < number of ones in mask (", plan->src.size(), ", mask shape ", mask.shape(), ")");
  Tensor<T> out = Tensor<T>::empty(b, input.device());
  detail::copy_cast(out, input.detach().expand(b));
  const Tensor<T> s = source.detach().contiguous();
  for (std::size_t k = 0; k < plan->dst.size(); ++k) out.data()[plan->dst[k]] = s.data()[k];
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(input, source))
      autograd::record(op, out, [plan = detail::ScatterPlanPtr(plan), in_shape = input.shape(),
                                               shape = source.shape()](const Tensor<T>& g0) {
        const Tensor<T> g = g0.contiguous();
        return autograd::Grads{sum_to_size(detail::zero_at(g, *plan), in_shape),
                               detail::to_sources<T>(shape, *plan, [&](std::size_t k) { return g.data()[plan->dst[k]]; })};
      }, input, source);
  return out;
}

}  // namespace detail

/// A copy of input (broadcast with mask) whose elements where mask is true take source's elements in
/// row-major order; source needs at least as many elements as mask has true values.
template <Element T>
Tensor<T> masked_scatter(const Tensor<T>& input, const Tensor<bool>& mask, const Tensor<T>& source) {
  return detail::masked_scatter_impl(input, mask, source, "masked_scatter");
}

/// masked_scatter written into input (mask must broadcast to input's shape).
template <Element T>
const Tensor<T>& masked_scatter_(const Tensor<T>& input, const Tensor<bool>& mask, const Tensor<T>& source) {
  const Shape b = broadcast_shapes(input.shape(), mask.shape(), "masked_scatter_");
  EMBER_CHECK(b == input.shape(), "masked_scatter_", "mask of shape ", mask.shape(),
              " cannot be broadcast to the input's shape ", input.shape());
  return detail::inplace_from(input, "masked_scatter_", false,
                              [&](const Tensor<T>& x) {
    return detail::masked_scatter_impl(x, mask, source, "masked_scatter_");
  }, source);
}

}  // namespace ember
