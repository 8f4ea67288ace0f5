#pragma once
// Ordering ops: sort, argsort, msort, topk, unique, searchsorted, bucketize, bincount. NaN orders as
// the largest value (last ascending, first descending), as in PyTorch. The index searches are plain
// loops (std::stable_sort, std::lower_bound); sorted values are gather(x, dim, indices), which carries
// the gradient back to the sorted positions.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "ember/core/tensor.hpp"
#include "ember/ops/dim_rows.hpp"
#include "ember/ops/gather.hpp"

namespace ember {

namespace detail {

/// a < b with NaN above every number (and equal to NaN).
template <Element T>
bool nan_last_less(T a, T b) {
  if constexpr (FloatElement<T>) {
    if (b != b) return a == a;
    if (a != a) return false;
  }
  return a < b;
}

/// Indices (int64) of the first k elements (k < 0: all) of each row along dim d in sorted order,
/// stable; laid out as x with dim d of extent k.
template <Element T>
Tensor<std::int64_t> sorted_indices(const Tensor<T>& x, std::int64_t d, bool descending, std::int64_t k) {
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
  const std::int64_t keep = k < 0 ? n : k;
  Tensor<T> rows = rows_along(x, d);
  auto out = Tensor<std::int64_t>::empty(rows_shape(x.shape(), d, keep));
  if (out.numel() > 0) {
    const std::int64_t outer = rows.numel() / n;
    const T* src = rows.data();
    std::int64_t* dst = out.data();
    std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < outer; ++r) {
      const T* row = src + r * n;
      std::iota(idx.begin(), idx.end(), 0);
      auto cmp = [&](std::int64_t a, std::int64_t b) {
        return descending ? nan_last_less(row[b], row[a]) : nan_last_less(row[a], row[b]);
      };
      if (keep < n)
        std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(), [&](std::int64_t a, std::int64_t b) {
          return cmp(a, b) || (!cmp(b, a) && a < b);  // ties by position: a stable order
        });
      else
        std::stable_sort(idx.begin(), idx.end(), cmp);
      std::copy(idx.begin(), idx.begin() + keep, dst + r * keep);
    }
  }
  return rows_back(out, d, x.dim());
}

/// bincount's loop: counts (weights null) or sums of weights, as R.
template <class R, Element T, Element W>
Tensor<R> bincount_impl(const Tensor<T>& x, const Tensor<W>* weights, std::int64_t minlength) {
  x.check_cpu("bincount");
  EMBER_CHECK_TYPE((std::is_integral_v<T> && !std::is_same_v<T, bool>), "bincount",
                   "input must be an integer tensor, got dtype ", dtype_name(x.dtype()));
  EMBER_CHECK(x.dim() == 1, "bincount", "input must be 1-D, got shape ", x.shape());
  EMBER_CHECK(minlength >= 0, "bincount", "minlength should be >= 0, got ", minlength);
  if (weights)
    EMBER_CHECK(weights->shape() == x.shape(), "bincount", "weights should be 1-D and have the same length as ",
                "input: input shape ", x.shape(), ", weights shape ", weights->shape());
  const Tensor<T> v = x.contiguous();
  std::int64_t bins = minlength;
  for (std::int64_t i = 0; i < v.numel(); ++i) {
    const auto e = static_cast<std::int64_t>(v.data()[i]);
    EMBER_CHECK(e >= 0, "bincount", "input must contain only non-negative values, got ", e);
    bins = std::max(bins, e + 1);
  }
  auto out = Tensor<R>::empty({bins});
  std::fill(out.data(), out.data() + bins, R(0));
  Tensor<W> w;
  if (weights) w = weights->detach().contiguous();
  for (std::int64_t i = 0; i < v.numel(); ++i)
    out.data()[static_cast<std::int64_t>(v.data()[i])] += weights ? static_cast<R>(w.data()[i]) : R(1);
  return out;
}

}  // namespace detail

/// Indices that sort x along dim (ascending unless descending); equal elements keep their order.
template <Element T>
Tensor<std::int64_t> argsort(const Tensor<T>& x, std::int64_t dim = -1, bool descending = false, bool stable = false) {
  (void)stable;  // the sort is always stable
  x.check_cpu("argsort");
  return detail::sorted_indices(x, normalize_dim(dim, x.dim(), "argsort"), descending, -1);
}

/// (values, indices) of x sorted along dim; the values carry the gradient back to their positions.
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> sort(const Tensor<T>& x, std::int64_t dim = -1, bool descending = false,
                                                bool stable = false) {
  (void)stable;
  x.check_cpu("sort");
  const std::int64_t d = normalize_dim(dim, x.dim(), "sort");
  Tensor<std::int64_t> idx = detail::sorted_indices(x, d, descending, -1);
  return {gather(x, d, idx), idx};
}

/// x sorted along its first dim (the values of sort(x, 0)).
template <Element T>
Tensor<T> msort(const Tensor<T>& x) {
  return sort(x, 0).first;
}

/// (values, indices) of the k largest (or smallest) elements along dim, in sorted order.
template <Element T>
std::pair<Tensor<T>, Tensor<std::int64_t>> topk(const Tensor<T>& x, std::int64_t k, std::int64_t dim = -1,
                                                bool largest = true, bool sorted = true) {
  (void)sorted;  // always sorted, which PyTorch allows for sorted=False
  x.check_cpu("topk");
  EMBER_CHECK_TYPE((!std::is_same_v<T, bool>), "topk", "topk does not support bool tensors (shape ", x.shape(),
                   "), as in PyTorch");
  const std::int64_t d = normalize_dim(dim, x.dim(), "topk");
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
  EMBER_CHECK_INDEX(k >= 0 && k <= n, "topk", "selected index k (", k, ") out of range for dim ", d,
                    " of size ", n, " (shape ", x.shape(), ")");
  if (x.dim() == 0) k = 1;  // a 0-d input gives itself for k 0 too, as in PyTorch
  Tensor<std::int64_t> idx = detail::sorted_indices(x, d, largest, k);
  return {gather(x, d, idx), idx};
}

/// What unique returns: the distinct values (or slices along dim), for each input element (slice) the
/// position of its value in them, and how often each occurs.
template <Element T>
struct UniqueResult {
  Tensor<T> values;
  Tensor<std::int64_t> inverse;
  Tensor<std::int64_t> counts;
};

/// The distinct elements of x in ascending order (dim: the distinct slices along dim, ordered
/// lexicographically), with inverse indices (x's shape; with dim, x.size(dim)) and counts. Not
/// differentiable, as in PyTorch.
template <Element T>
UniqueResult<T> unique(const Tensor<T>& x, std::optional<std::int64_t> dim = std::nullopt) {
  x.check_cpu("unique");
  Tensor<T> v = x.detach();
  std::int64_t d = 0;
  if (dim) {
    EMBER_CHECK_INDEX(x.dim() > 0, "unique", "dim ", *dim, " given for a 0-d tensor");
    d = normalize_dim(*dim, x.dim(), "unique");
  } else {
    v = v.reshape({v.numel()});
  }
  const std::int64_t n = v.size(d);
  // slices[i] is the i-th slice along d, flattened: rows of `width` elements with d first.
  Tensor<T> slices = v.transpose(0, d).contiguous();
  const std::int64_t width = n == 0 ? 0 : slices.numel() / n;
  const T* s = slices.data();
  auto less = [&](std::int64_t a, std::int64_t b) {
    return std::lexicographical_compare(s + a * width, s + (a + 1) * width, s + b * width, s + (b + 1) * width,
                                        detail::nan_last_less<T>);
  };
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<std::int64_t> firsts, counts;
  auto inverse = Tensor<std::int64_t>::empty({n});
  for (std::int64_t i = 0; i < n; ++i) {
    if (i == 0 || less(order[i - 1], order[i])) {
      firsts.push_back(order[i]);
      counts.push_back(0);
    }
    ++counts.back();
    inverse.data()[order[i]] = static_cast<std::int64_t>(firsts.size()) - 1;
  }
  const auto m = static_cast<std::int64_t>(firsts.size());
  auto first_t = Tensor<std::int64_t>::empty({m});
  auto count_t = Tensor<std::int64_t>::empty({m});
  std::copy(firsts.begin(), firsts.end(), first_t.data());
  std::copy(counts.begin(), counts.end(), count_t.data());
  UniqueResult<T> r{index_select(v, d, first_t), inverse, count_t};
  if (!dim) r.inverse = inverse.reshape(x.shape());
  return r;
}

/// For each element of values, the index into sorted_sequence (its last dim, ascending) where it would
/// be inserted to keep the order: before equal elements, or after them when right. sorted_sequence is
/// 1-D, or has values' leading dims. I is int64 or int32 (out_int32).
template <class I = std::int64_t, Element T>
Tensor<I> searchsorted(const Tensor<T>& sorted_sequence, const Tensor<T>& values, bool right = false) {
  detail::check_cpu("searchsorted", sorted_sequence, values);
  const Tensor<T>& seq = sorted_sequence;
  EMBER_CHECK(seq.dim() >= 1, "searchsorted", "boundaries tensor should be 1 dimension or the first N-1 dimensions ",
              "of boundaries tensor and input value tensor must match, but we got boundaries tensor ", seq.shape(),
              " and input value tensor ", values.shape());
  if (seq.dim() > 1) {
    bool match = values.dim() == seq.dim();
    for (std::int64_t i = 0; match && i + 1 < seq.dim(); ++i) match = seq.size(i) == values.size(i);
    EMBER_CHECK(match, "searchsorted", "boundaries tensor should be 1 dimension or the first N-1 dimensions of ",
                "boundaries tensor and input value tensor must match, but we got boundaries tensor ", seq.shape(),
                " and input value tensor ", values.shape());
  }
  const Tensor<T> s = seq.detach().contiguous();
  const Tensor<T> v = values.detach().contiguous();
  auto out = Tensor<I>::empty(values.shape());
  const std::int64_t len = seq.size(-1);
  // With an N-D sequence, the values of one row (values' last dim) search one row of the sequence.
  const std::int64_t per_row = seq.dim() == 1 ? v.numel() : (values.dim() == 0 ? 1 : values.size(-1));
  for (std::int64_t i = 0, total = v.numel(); i < total; ++i) {
    const T* row = s.data() + (seq.dim() == 1 ? 0 : (i / per_row) * len);
    const T x = v.data()[i];
    const T* pos = right ? std::upper_bound(row, row + len, x, detail::nan_last_less<T>)
                         : std::lower_bound(row, row + len, x, detail::nan_last_less<T>);
    out.data()[i] = static_cast<I>(pos - row);
  }
  return out;
}

/// searchsorted of an unsorted sequence: sorter (int64, the sequence's shape) holds the indices that sort
/// its last dim, as argsort gives; the result indexes the sorted order.
template <class I = std::int64_t, Element T>
Tensor<I> searchsorted(const Tensor<T>& sorted_sequence, const Tensor<T>& values, bool right,
                       const Tensor<std::int64_t>& sorter) {
  EMBER_CHECK(sorter.shape() == sorted_sequence.shape(), "searchsorted", "boundaries and sorter must have the same ",
              "size, but got boundaries tensor ", sorted_sequence.shape(), " and sorter tensor ", sorter.shape());
  return searchsorted<I>(gather(sorted_sequence.detach(), -1, sorter), values, right);
}

/// The bucket of each element of input among 1-D ascending boundaries: i with boundaries[i-1] < x <=
/// boundaries[i] (right: boundaries[i-1] <= x < boundaries[i]), as searchsorted(boundaries, input).
template <class I = std::int64_t, Element T>
Tensor<I> bucketize(const Tensor<T>& input, const Tensor<T>& boundaries, bool right = false) {
  EMBER_CHECK(boundaries.dim() == 1, "bucketize", "boundaries tensor must be 1 dimension, but got shape ",
              boundaries.shape());
  return searchsorted<I>(boundaries, input, right);
}

/// Occurrences of each value 0..max(x) in the 1-D non-negative integer tensor x, in at least minlength
/// bins (int64).
template <Element T>
Tensor<std::int64_t> bincount(const Tensor<T>& x, std::int64_t minlength = 0) {
  return detail::bincount_impl<std::int64_t, T, std::int64_t>(x, nullptr, minlength);
}

/// bincount with weights (x's shape): the sum of the weights of each value; float32 weights give
/// float32, others float64, as in PyTorch.
template <Element T, Element W>
Tensor<std::conditional_t<std::is_same_v<W, float>, float, double>> bincount(const Tensor<T>& x, const Tensor<W>& weights,
                                                                             std::int64_t minlength = 0) {
  using R = std::conditional_t<std::is_same_v<W, float>, float, double>;
  return detail::bincount_impl<R>(x, &weights, minlength);
}

}  // namespace ember
