#pragma once
// Statistics along a dim beyond the basic reductions: the order statistics (kthvalue, median, nanmedian,
// mode, quantile, nanquantile), the running extremes (cummax, cummin), logcumsumexp, and the NaN-skipping
// and paired reductions (nansum, nanmean, var_mean, std_mean, aminmax).
//
// The order statistics choose positions in a stable sort (NaN last), so ties resolve as PyTorch's do, and
// their values are gather(x, dim, indices), which carries the gradient back to the chosen elements.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/ops/dim_rows.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/sort.hpp"
#include "ember/ops/view.hpp"

namespace ember {

namespace detail {

template <Element T>
std::int64_t nan_count(const T* row, std::int64_t n) {
  std::int64_t c = 0;
  if constexpr (std::is_floating_point_v<T>)
    for (std::int64_t i = 0; i < n; ++i) c += row[i] != row[i];
  return c;
}

/// (values, indices) of one element per row of x along dim d: the one at position pos(row, order, n) of the
/// row's stable ascending order (row: the row's values, order: their indices in sorted order).
template <Element T, class Pos>
std::pair<Tensor<T>, Tensor<std::int64_t>> pick_sorted(const Tensor<T>& x, std::int64_t dim, bool keepdim,
                                                        const char* op, Pos pos) {
  x.check_cpu(op);
  const Tensor<T> xv = x.dim() == 0 ? x.reshape({1}) : x;
  const std::int64_t d = normalize_dim(dim, xv.dim(), op);
  const std::int64_t n = xv.shape()[d];
  EMBER_CHECK_INDEX(n > 0, op, "cannot compute ", op, " over dim ", dim, " of extent 0 (shape ", x.shape(), ")");
  const Tensor<T> rows = rows_along(xv, d);
  const Tensor<std::int64_t> order = rows_along(sorted_indices(xv, d, false, -1), d);
  Tensor<std::int64_t> pick = Tensor<std::int64_t>::empty(rows_shape(xv.shape(), d, 1));
  for (std::int64_t r = 0, outer = rows.numel() / n; r < outer; ++r)
    pick.data()[r] = order.data()[r * n + pos(rows.data() + r * n, order.data() + r * n, n)];
  Tensor<std::int64_t> idx = rows_back(pick, d, xv.dim());
  Tensor<T> values = gather(xv, d, idx);
  if (!keepdim || x.dim() == 0) return {squeeze(values, d), squeeze(idx, d)};
  return {values, idx};
}

/// The running extreme of each row along dim d and its index: NaN from the first NaN on (the index of the
/// latest NaN), and ties move to the later index (PyTorch's cummax / cummin).
template <bool kMax, Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> running_extreme(const Tensor<T>& x, std::int64_t dim, const char* op) {
  x.check_cpu(op);
  const std::int64_t d = normalize_dim(dim, std::max<std::int64_t>(x.dim(), 1), op);  // a 0-d x: dim -1 or 0
  const std::int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  const Tensor<T> rows = rows_along(x, d);
  Tensor<std::int64_t> idx = Tensor<std::int64_t>::empty(rows.shape());
  for (std::int64_t r = 0, outer = n ? rows.numel() / n : 0; r < outer; ++r) {
    const T* v = rows.data() + r * n;
    std::int64_t* o = idx.data() + r * n;
    std::int64_t best = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      const bool after_nan = v[best] != v[best];
      if (v[k] != v[k] || (!after_nan && (kMax ? v[k] >= v[best] : v[k] <= v[best]))) best = k;
      o[k] = best;
    }
  }
  Tensor<std::int64_t> i = rows_back(idx, d, x.dim());
  if (x.dim() == 0) return {x.clone(), i};
  return {gather(x, d, i), i};
}

/// value, a statistic of all of x that equals some of its elements, recorded with PyTorch's backward for such:
/// the gradient split evenly among the elements equal to it (the NaN ones when it is NaN).
template <Element T>
Tensor<T> split_among_equal(const Tensor<T>& x, Tensor<T> value, const char* op) {
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x))
      autograd::record(op, value, [sx = autograd::Saved<T>(x, op), v = value.detach()](const Tensor<T>& g) {
        const Tensor<T>& xv = sx.get();
        const T at = v.item();
        const Tensor<T> hit = (at != at ? isnan(xv) : eq(xv, at)).template to<T>();
        return g * hit / sum(hit);
      }, x);
  }
  return value;
}

/// log(exp(a) + exp(b)) accumulated from the end of each row: out[j] = logsumexp of row[j:] + shift[j].
template <FloatElement T>
void reverse_logcumsumexp(const T* row, T* out, std::int64_t n) {
  T acc = -std::numeric_limits<T>::infinity();
  for (std::int64_t j = n - 1; j >= 0; --j) out[j] = acc = logaddexp_of(acc, row[j]);
}

}  // namespace detail

/// (values, indices) of the k-th smallest (1-based) element of x along dim.
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> kthvalue(const Tensor<T>& x, std::int64_t k, std::int64_t dim = -1,
                                                    bool keepdim = false) {
  const std::int64_t d = normalize_dim(dim, std::max<std::int64_t>(x.dim(), 1), "kthvalue");
  const std::int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  EMBER_CHECK_INDEX(k >= 1 && k <= n, "kthvalue", "k (", k, ") is out of range for dim ", dim, " of extent ", n,
                    " (shape ", x.shape(), ")");
  return detail::pick_sorted(x, dim, keepdim, "kthvalue", [k](const T*, const std::int64_t*, std::int64_t) {
    return k - 1;
  });
}

/// (values, indices) of the lower median of x along dim; a row holding NaN gives NaN (its first NaN).
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> median(const Tensor<T>& x, std::int64_t dim, bool keepdim = false) {
  return detail::pick_sorted(x, dim, keepdim, "median", [](const T* row, const std::int64_t*, std::int64_t n) {
    const std::int64_t nans = detail::nan_count(row, n);
    return nans ? n - nans : (n - 1) / 2;
  });
}
/// median that skips NaN: the lower median of each row's numbers (NaN for a row of NaN only).
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> nanmedian(const Tensor<T>& x, std::int64_t dim, bool keepdim = false) {
  return detail::pick_sorted(x, dim, keepdim, "nanmedian", [](const T* row, const std::int64_t*, std::int64_t n) {
    const std::int64_t numbers = n - detail::nan_count(row, n);
    return numbers ? (numbers - 1) / 2 : std::int64_t{0};
  });
}
namespace detail {
/// median / nanmedian of the whole tensor: the value from the flattened tensor, the gradient split among
/// the elements equal to it.
template <Element T>
Tensor<T> whole_median(const Tensor<T>& x, bool ignore_nan) {
  Tensor<T> v;
  {
    NoGradGuard no_grad;
    v = (ignore_nan ? nanmedian(x.reshape({-1}), 0) : median(x.reshape({-1}), 0)).first;
  }
  return split_among_equal(x, v, ignore_nan ? "nanmedian" : "median");
}
}  // namespace detail

/// The lower median of all of x's elements, as a 0-d tensor (NaN if any is NaN).
template <Element T>
Tensor<T> median(const Tensor<T>& x) { return detail::whole_median(x, false); }
/// nanmedian of all of x's elements, as a 0-d tensor.
template <Element T>
Tensor<T> nanmedian(const Tensor<T>& x) { return detail::whole_median(x, true); }

/// (values, indices) of the most frequent value of each row along dim: the smallest on ties, with the index
/// of its last occurrence.
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> mode(const Tensor<T>& x, std::int64_t dim = -1, bool keepdim = false) {
  return detail::pick_sorted(x, dim, keepdim, "mode", [](const T* row, const std::int64_t* order, std::int64_t n) {
    auto same = [](T a, T b) { return a == b || (a != a && b != b); };
    std::int64_t best_end = 0, best_len = 0;
    for (std::int64_t start = 0; start < n;) {
      std::int64_t end = start;
      while (end + 1 < n && same(row[order[end + 1]], row[order[start]])) ++end;
      if (end - start + 1 > best_len) best_len = end - start + 1, best_end = end;
      start = end + 1;
    }
    return best_end;
  });
}

namespace detail {
inline void check_q(double q, const char* op) {
  EMBER_CHECK(q >= 0 && q <= 1, op, "q values must be in the range [0, 1], got ", q);
}
}  // namespace detail

/// The q-quantiles of x along dim (all elements when dim is not given), q in [0, 1] (a 0-d or 1-D tensor;
/// a 1-D q puts its dim first in the result). interpolation between the two nearest ranks: "linear",
/// "lower", "higher", "nearest" (halves to even) or "midpoint". A row holding NaN gives NaN, unless
/// ignore_nan (nanquantile), which ranks each row's numbers only.
template <FloatElement T>
Tensor<T> quantile(const Tensor<T>& x, const Tensor<T>& q, std::optional<std::int64_t> dim = std::nullopt,
                   bool keepdim = false, std::string_view interpolation = "linear", bool ignore_nan = false) {
  const char* op = ignore_nan ? "nanquantile" : "quantile";
  x.check_cpu(op);
  EMBER_CHECK(interpolation == "linear" || interpolation == "lower" || interpolation == "higher" ||
                  interpolation == "nearest" || interpolation == "midpoint",
              op, "interpolation must be one of linear, lower, higher, midpoint or nearest, got '", interpolation, "'");
  EMBER_CHECK(q.dim() <= 1, op, "q must be a scalar or 1-D tensor, got shape ", q.shape());
  const Tensor<T> qc = q.to(Device::cpu()).contiguous();
  const std::int64_t nq = qc.numel();
  for (std::int64_t i = 0; i < nq; ++i) detail::check_q(static_cast<double>(qc.data()[i]), op);
  const Tensor<T> xv = dim ? (x.dim() == 0 ? x.reshape({1}) : x) : x.reshape({-1});
  const std::int64_t d = dim ? normalize_dim(*dim, xv.dim(), op) : 0;
  const std::int64_t n = xv.shape()[d];
  EMBER_CHECK(n > 0, op, "input tensor must be non-empty (shape ", x.shape(), ")");
  const Tensor<T> sorted = sort(xv, d).first;
  const Tensor<T> rows = detail::rows_along(xv, d);
  const Shape rs = detail::rows_shape(xv.shape(), d, nq);
  Tensor<std::int64_t> lo = Tensor<std::int64_t>::empty(rs), hi = Tensor<std::int64_t>::empty(rs);
  Tensor<T> w = Tensor<T>::empty(rs);
  for (std::int64_t r = 0, outer = rows.numel() / n; r < outer; ++r) {
    const std::int64_t nans = detail::nan_count(rows.data() + r * n, n);
    for (std::int64_t i = 0; i < nq; ++i) {
      T rank;  // in T, as PyTorch computes it, so the two agree on which ranks are whole
      if (ignore_nan) rank = n - nans > 0 ? qc.data()[i] * T(n - nans - 1) : T(0);
      else rank = nans ? T(n - 1) : qc.data()[i] * T(n - 1);
      if (interpolation == "nearest") rank = std::nearbyint(rank);
      const auto below = static_cast<std::int64_t>(std::floor(rank));
      const auto above = static_cast<std::int64_t>(std::ceil(rank));
      const std::int64_t j = r * nq + i;
      lo.data()[j] = interpolation == "higher" ? above : below;
      hi.data()[j] = interpolation == "lower" ? below : above;
      w.data()[j] = interpolation == "midpoint" ? T(0.5) : interpolation == "linear" ? rank - T(below) : T(0);
    }
  }
  const Tensor<T> v_lo = gather(sorted, d, detail::rows_back(lo, d, xv.dim()));
  const Tensor<T> v_hi = gather(sorted, d, detail::rows_back(hi, d, xv.dim()));
  // xv's shape with nq at d; a whole rank takes its element as it is (an infinite one too, where the
  // interpolation would make NaN of inf - inf)
  const Tensor<T> wt = detail::rows_back(w, d, xv.dim());
  Tensor<T> out = where(eq(wt, T(0)), v_lo, v_lo + wt * (v_hi - v_lo));
  if (q.dim() == 1) {  // the q dim first, then the reduced dims
    Shape perm{d};
    for (std::int64_t i = 0; i < out.dim(); ++i)
      if (i != d) perm.push_back(i);
    out = permute(out, perm);
    if (!keepdim) return out;
    if (dim) return unsqueeze(out, d + 1);
    Shape ones(static_cast<std::size_t>(x.dim()) + 1, 1);
    ones[0] = nq;
    return reshape(out, ones);
  }
  out = squeeze(out, d);
  if (!keepdim) return out;
  if (dim) return x.dim() == 0 ? out : unsqueeze(out, d);
  return reshape(out, Shape(static_cast<std::size_t>(x.dim()), 1));
}
/// quantile at one q (checked before it is rounded to T: a tiny negative q is out of range, not 0).
template <FloatElement T>
Tensor<T> quantile(const Tensor<T>& x, double q, std::optional<std::int64_t> dim = std::nullopt, bool keepdim = false,
                   std::string_view interpolation = "linear", bool ignore_nan = false) {
  detail::check_q(q, ignore_nan ? "nanquantile" : "quantile");
  return quantile(x, full<T>({}, static_cast<T>(q)), dim, keepdim, interpolation, ignore_nan);
}

/// (values, indices) of the running maximum along dim (NaN sticks; ties take the later index).
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> cummax(const Tensor<T>& x, std::int64_t dim) {
  return detail::running_extreme<true>(x, dim, "cummax");
}
/// (values, indices) of the running minimum along dim (NaN sticks; ties take the later index).
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> cummin(const Tensor<T>& x, std::int64_t dim) {
  return detail::running_extreme<false>(x, dim, "cummin");
}

/// log(cumsum(exp(x))) along dim, computed without overflow or underflow (a running logaddexp). Its
/// gradient dx_j = sum_{i >= j} g_i exp(x_j - y_i) runs in the log domain too, the positive and negative
/// parts of g apart, as PyTorch's does.
template <FloatElement T>
Tensor<T> logcumsumexp(const Tensor<T>& x, std::int64_t dim) {
  x.check_cpu("logcumsumexp");
  const std::int64_t d = normalize_dim(dim, std::max<std::int64_t>(x.dim(), 1), "logcumsumexp");
  const std::int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  const Tensor<T> rows = detail::rows_along(x, d);
  Tensor<T> out = Tensor<T>::empty(rows.shape());
  for (std::int64_t r = 0, outer = n ? rows.numel() / n : 0; r < outer; ++r) {
    T acc = -std::numeric_limits<T>::infinity();
    for (std::int64_t k = 0; k < n; ++k) out.data()[r * n + k] = acc = detail::logaddexp_of(acc, rows.data()[r * n + k]);
  }
  Tensor<T> y = detail::rows_back(out, d, x.dim());
  if (x.dim() == 0) {  // y is x, and so is its gradient (for x = -inf too)
    if (autograd::needs_grad(x)) autograd::record("logcumsumexp", y, [](const Tensor<T>& g) { return g; }, x);
    return y;
  }
  if (autograd::needs_grad(x))
    autograd::record("logcumsumexp", y, [sx = autograd::Saved<T>(x, "logcumsumexp"),
                                         sy = autograd::Saved<T>(y, "logcumsumexp"), d](const Tensor<T>& g) {
      const Tensor<T>& xv = sx.get();
      const std::int64_t nd = xv.dim() == 0 ? 1 : xv.shape()[d];
      const Tensor<T> xr = detail::rows_along(xv, d), yr = detail::rows_along(sy.get(), d), gr = detail::rows_along(g, d);
      Tensor<T> dx = Tensor<T>::empty(xr.shape());
      std::vector<T> pos(nd), neg(nd), lp(nd), ln(nd);
      const T ninf = -std::numeric_limits<T>::infinity();
      for (std::int64_t r = 0, outer = nd ? xr.numel() / nd : 0; r < outer; ++r) {
        const T* xi = xr.data() + r * nd;
        const T* yi = yr.data() + r * nd;
        const T* gi = gr.data() + r * nd;
        for (std::int64_t i = 0; i < nd; ++i) {
          pos[i] = gi[i] > T(0) ? std::log(gi[i]) - yi[i] : ninf;
          neg[i] = gi[i] < T(0) ? std::log(-gi[i]) - yi[i] : ninf;
        }
        detail::reverse_logcumsumexp(pos.data(), lp.data(), nd);
        detail::reverse_logcumsumexp(neg.data(), ln.data(), nd);
        for (std::int64_t j = 0; j < nd; ++j) dx.data()[r * nd + j] = std::exp(xi[j] + lp[j]) - std::exp(xi[j] + ln[j]);
      }
      return detail::rows_back(dx, d, xv.dim());
    }, x);
  return y;
}

/// The sum over dims treating NaN as 0.
template <Element T>
Tensor<sum_t<T>> nansum(const Tensor<T>& x, typename Tensor<T>::Dims dims = {}, bool keepdim = false) {
  if constexpr (std::is_floating_point_v<T>) return sum(where(isnan(x), T(0), x), std::move(dims), keepdim);
  else return sum(x, std::move(dims), keepdim);
}
/// The mean over dims of the elements that are not NaN (NaN where all are).
template <FloatElement T>
Tensor<T> nanmean(const Tensor<T>& x, typename Tensor<T>::Dims dims = {}, bool keepdim = false) {
  const Tensor<T> count = sum(logical_not(isnan(x)), dims, keepdim).template to<T>();
  return nansum(x, std::move(dims), keepdim) / count;
}

/// (var, mean) over dims, as var and mean give them.
template <Element T>
std::pair<Tensor<float_t_of<T>>, Tensor<float_t_of<T>>> var_mean(const Tensor<T>& x, typename Tensor<T>::Dims dims = {},
                                                                  double correction = 1, bool keepdim = false) {
  return {var(x, dims, correction, keepdim), mean(x, dims, keepdim)};
}
/// (std, mean) over dims.
template <Element T>
std::pair<Tensor<float_t_of<T>>, Tensor<float_t_of<T>>> std_mean(const Tensor<T>& x, typename Tensor<T>::Dims dims = {},
                                                                  double correction = 1, bool keepdim = false) {
  return {std(x, dims, correction, keepdim), mean(x, dims, keepdim)};
}
/// (amin, amax) over dims (all when empty).
template <Element T>
std::pair<Tensor<T>, Tensor<T>> aminmax(const Tensor<T>& x, typename Tensor<T>::Dims dims = {}, bool keepdim = false) {
  return {amin(x, dims, keepdim), amax(x, dims, keepdim)};
}

}  // namespace ember
