#pragma once
// Cumulative ops along a dim: cumsum, cumprod (loops over rows, ops/dim_rows.hpp), and diff (composed
// from narrow, sub and cat). Bool and integer inputs accumulate in int64, as in PyTorch.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/dim_rows.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/shape.hpp"

namespace ember {

/// Element type of cumsum/cumprod: T for floating types, int64 for bool and integers.
template <Element T>
using cum_t = std::conditional_t<FloatElement<T>, T, std::int64_t>;

namespace detail {

/// Running sums (or products) of each row of x along dim d, from the end when reverse; as R.
template <class R, Element T>
Tensor<R> scan_rows(const Tensor<T>& x, std::int64_t d, bool reverse, bool product) {
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
  Tensor<T> rows = rows_along(x, d);
  auto out = Tensor<R>::empty(rows_shape(x.shape(), d, n));
  if (out.numel() > 0) {
    const T* src = rows.data();
    R* dst = out.data();
    for (std::int64_t r = 0, outer = rows.numel() / n; r < outer; ++r) {
      R acc = product ? R(1) : R(0);
      for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t j = r * n + (reverse ? n - 1 - k : k);
        acc = product ? acc * static_cast<R>(src[j]) : acc + static_cast<R>(src[j]);
        dst[j] = acc;
      }
    }
  }
  return rows_back(out, d, x.dim());
}

/// cumsum from the start (or the end when reverse); its gradient is the cumsum the other way.
template <Element T>
Tensor<cum_t<T>> cumsum_dir(const Tensor<T>& x, std::int64_t d, bool reverse) {
  Tensor<cum_t<T>> out = scan_rows<cum_t<T>>(x, d, reverse, false);
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(x))
      autograd::record("cumsum", out, [d, reverse](const Tensor<T>& g) { return cumsum_dir(g, d, !reverse); }, x);
  return out;
}

/// The gradient of y = cumprod(x) along the last dim of rows (x, y, g: (outer, n) contiguous).
/// dx_i = sum_{j>=i} g_j * prod_{k<=j, k!=i} x_k: before the first zero z of a row that is
/// (sum_{j>=i} g_j y_j) / x_i; at z the products skip x_z; after z every product holds x_z = 0.
template <FloatElement T>
void cumprod_grad_rows(const T* x, const T* y, const T* g, T* dx, std::int64_t outer, std::int64_t n) {
  for (std::int64_t r = 0; r < outer; ++r, x += n, y += n, g += n, dx += n) {
    std::int64_t z = 0;
    while (z < n && x[z] != T(0)) ++z;
    T tail = 0;  // sum_{j>=i} g_j y_j
    for (std::int64_t i = n - 1; i >= 0; --i) {
      tail += g[i] * y[i];
      dx[i] = i < z ? tail / x[i] : T(0);
    }
    if (z < n) {
      T prod = z > 0 ? y[z - 1] : T(1);  // prod_{k<z} x_k
      T acc = 0;
      for (std::int64_t j = z; j < n; ++j) {
        if (j > z) prod *= x[j];
        acc += g[j] * prod;
      }
      dx[z] = acc;
    }
  }
}

}  // namespace detail

/// Running sum of x along dim (bool and integers: int64).
template <Element T>
Tensor<cum_t<T>> cumsum(const Tensor<T>& x, std::int64_t dim) {
  x.check_cpu("cumsum");
  return detail::cumsum_dir(x, normalize_dim(dim, x.dim(), "cumsum"), false);
}

/// Running product of x along dim (bool and integers: int64); the gradient is exact with zeros.
template <Element T>
Tensor<cum_t<T>> cumprod(const Tensor<T>& x, std::int64_t dim) {
  x.check_cpu("cumprod");
  const std::int64_t d = normalize_dim(dim, x.dim(), "cumprod");
  Tensor<cum_t<T>> out = detail::scan_rows<cum_t<T>>(x, d, false, true);
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(x))
      autograd::record("cumprod", out, [d, nd = x.dim(), sx = autograd::Saved<T>(x, "cumprod"),
                                        sy = autograd::Saved<T>(out, "cumprod")](const Tensor<T>& g) {
        const Tensor<T> xr = detail::rows_along(sx.get(), d), yr = detail::rows_along(sy.get(), d);
        const Tensor<T> gr = detail::rows_along(g, d);
        auto dx = Tensor<T>::empty(xr.shape());
        const std::int64_t n = xr.dim() == 0 ? 1 : xr.size(-1);
        if (dx.numel() > 0) detail::cumprod_grad_rows(xr.data(), yr.data(), gr.data(), dx.data(), dx.numel() / n, n);
        return detail::rows_back(dx, d, nd);
      }, x);
  return out;
}

/// The n-th forward difference of x along dim (out[i] = x[i+1] - x[i], applied n times; bool: xor),
/// after prepend and append (x's number of dims) are concatenated to x along dim.
template <Element T>
Tensor<T> diff(const Tensor<T>& x, std::int64_t n = 1, std::int64_t dim = -1,
               const OptionalTensor<T>& prepend = std::nullopt, const OptionalTensor<T>& append = std::nullopt) {
  EMBER_CHECK(x.dim() >= 1, "diff", "diff expects input to be at least one-dimensional, got shape ", x.shape());
  EMBER_CHECK(n >= 0, "diff", "order must be non-negative but got ", n);
  if (n == 0 && !prepend && !append) return x;  // before the dim check, as PyTorch
  const std::int64_t d = normalize_dim(dim, x.dim(), "diff");
  for (const auto* t : {&prepend, &append})
    if (*t)
      EMBER_CHECK((*t)->dim() == x.dim(), "diff", "expects prepend or append to be the same dimension as input: ",
                  "input shape ", x.shape(), ", prepend/append shape ", (*t)->shape());
  Tensor<T> r = x;
  if (prepend || append) {
    std::vector<Tensor<T>> parts;
    if (prepend) parts.push_back(*prepend);
    parts.push_back(x);
    if (append) parts.push_back(*append);
    r = cat(parts, d);
  }
  for (std::int64_t i = 0; i < n && r.size(d) > 0; ++i) {
    const std::int64_t len = r.size(d) - 1;
    if constexpr (std::is_same_v<T, bool>)
      r = ne(r.narrow(d, 1, len), r.narrow(d, 0, len));
    else
      r = sub(r.narrow(d, 1, len), r.narrow(d, 0, len));
  }
  return r;
}

}  // namespace ember
