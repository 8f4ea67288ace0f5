#pragma once
// Matrix-shaped ops beside matmul: diagonal (a view), diag, trace, kron, cross, tensordot, the index
// factories tril_indices / triu_indices, and fill_diagonal_. Composed from views and differentiable
// ops, so their gradients are those ops' (diag records its own: the diagonal of the gradient).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/shape.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// The diagonal of x's dims dim1 and dim2, `offset` above (> 0) or below (< 0) the main one: a view
/// with those dims removed and the diagonal as its last dim (torch.diagonal).
template <Element T>
Tensor<T> diagonal(const Tensor<T>& x, std::int64_t offset = 0, std::int64_t dim1 = 0, std::int64_t dim2 = 1) {
  EMBER_CHECK(x.dim() >= 2, "diagonal", "expected a tensor of at least 2 dims, got shape ", x.shape());
  const std::int64_t d1 = normalize_dim(dim1, x.dim(), "diagonal"), d2 = normalize_dim(dim2, x.dim(), "diagonal");
  EMBER_CHECK(d1 != d2, "diagonal", "dim1 and dim2 cannot identify the same dim (", dim1, " and ", dim2,
              ") of a tensor of shape ", x.shape());
  const std::int64_t n1 = x.shape()[d1], n2 = x.shape()[d2];
  const std::int64_t len = std::max<std::int64_t>(0, offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2));
  std::int64_t start = x.offset();
  if (len > 0) start += offset >= 0 ? offset * x.strides()[d2] : -offset * x.strides()[d1];
  Shape shape, strides;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (d == d1 || d == d2) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  shape.push_back(len);
  strides.push_back(x.strides()[d1] + x.strides()[d2]);
  return detail::record_pick(detail::make_view(x, std::move(shape), std::move(strides), start), x, "diagonal",
                             [offset, d1, d2](const Tensor<T>& z) { return diagonal(z, offset, d1, d2); });
}

/// A 1-D x as the `offset` diagonal of a square matrix (zeros elsewhere), or the `offset` diagonal of a
/// 2-D x as a new 1-D tensor (torch.diag).
template <Element T>
Tensor<T> diag(const Tensor<T>& x, std::int64_t offset = 0) {
  EMBER_CHECK(x.dim() == 1 || x.dim() == 2, "diag", "expected a 1-D or 2-D tensor, got shape ", x.shape());
  if (x.dim() == 2) return diagonal(x, offset).clone();
  const std::int64_t n = x.shape()[0] + std::abs(offset);
  Tensor<T> out = zeros<T>({n, n}, x.device());
  {
    NoGradGuard no_grad;
    diagonal(out, offset).copy_(x);
  }
  if constexpr (GradElement<T>)
    if (autograd::needs_grad(x))
      autograd::record("diag", out, [offset](const Tensor<T>& g) { return diagonal(g, offset).clone(); }, x);
  return out;
}

/// The sum of a 2-D x's main diagonal (integers sum in int64, as sum does).
template <Element T>
Tensor<sum_t<T>> trace(const Tensor<T>& x) {
  EMBER_CHECK(x.dim() == 2, "trace", "expected a 2-D tensor, got shape ", x.shape());
  return sum(diagonal(x));
}

/// The Kronecker product: every element of a times all of b, in blocks (the shorter shape padded with
/// leading 1s; the result's extents are the products of theirs).
template <Element T>
Tensor<T> kron(const Tensor<T>& a, const Tensor<T>& b) {
  const std::int64_t nd = std::max(a.dim(), b.dim());
  Shape ia, ib, out;
  for (std::int64_t i = 0; i < nd; ++i) {
    const std::int64_t sa = i < nd - a.dim() ? 1 : a.shape()[i - (nd - a.dim())];
    const std::int64_t sb = i < nd - b.dim() ? 1 : b.shape()[i - (nd - b.dim())];
    ia.push_back(sa);
    ia.push_back(1);
    ib.push_back(1);
    ib.push_back(sb);
    out.push_back(sa * sb);
  }
  return reshape(mul(reshape(a, ia), reshape(b, ib)), out);
}

/// The cross product of the 3-vectors along dim (a and b of one rank, broadcast over the other dims; dim of
/// extent 3 in both), as torch.linalg.cross.
template <Element T>
Tensor<T> cross(const Tensor<T>& a, const Tensor<T>& b, std::int64_t dim = -1) {
  EMBER_CHECK(a.dim() == b.dim(), "cross", "inputs must have the same number of dims, got shapes ", a.shape(), " and ",
              b.shape());
  const Shape s = broadcast_shapes(a.shape(), b.shape(), "cross");
  const std::int64_t d = normalize_dim(dim, static_cast<std::int64_t>(s.size()), "cross");
  EMBER_CHECK(a.shape()[d] == 3 && b.shape()[d] == 3, "cross", "dim ", dim, " must have extent 3 in both inputs, got "
              "shapes ", a.shape(), " and ", b.shape());
  const Tensor<T> x = a.expand(s), y = b.expand(s);
  auto c = [d](const Tensor<T>& t, std::int64_t i) { return t.narrow(d, i, 1); };
  return cat({sub(mul(c(x, 1), c(y, 2)), mul(c(x, 2), c(y, 1))), sub(mul(c(x, 2), c(y, 0)), mul(c(x, 0), c(y, 2))),
              sub(mul(c(x, 0), c(y, 1)), mul(c(x, 1), c(y, 0)))}, d);
}

/// The sum of a * b over a's dims dims_a paired with b's dims_b (the same extents); the result has a's
/// other dims, then b's (torch.tensordot). One matmul over the permuted, flattened operands.
template <Element T>
Tensor<T> tensordot(const Tensor<T>& a, const Tensor<T>& b, const std::vector<std::int64_t>& dims_a,
                    const std::vector<std::int64_t>& dims_b) {
  EMBER_CHECK(dims_a.size() == dims_b.size(), "tensordot", "both dim lists must have the same length, got ",
              dims_a.size(), " and ", dims_b.size());
  std::vector<bool> used_a(a.dim()), used_b(b.dim());
  Shape perm_a, perm_b, out;
  std::int64_t k = 1;
  for (std::size_t i = 0; i < dims_a.size(); ++i) {
    const std::int64_t da = normalize_dim(dims_a[i], a.dim(), "tensordot");
    const std::int64_t db = normalize_dim(dims_b[i], b.dim(), "tensordot");
    EMBER_CHECK(!used_a[da] && !used_b[db], "tensordot", "a dim is contracted twice (", dims_a[i], ", ", dims_b[i], ")");
    EMBER_CHECK(a.shape()[da] == b.shape()[db], "tensordot", "contracted dims must match: dim ", dims_a[i],
                " of shape ", a.shape(), " has extent ", a.shape()[da], ", dim ", dims_b[i], " of shape ", b.shape(),
                " has ", b.shape()[db]);
    used_a[da] = used_b[db] = true;
    k *= a.shape()[da];
  }
  std::int64_t fa = 1, fb = 1;
  for (std::int64_t d = 0; d < a.dim(); ++d)
    if (!used_a[d]) perm_a.push_back(d), out.push_back(a.shape()[d]), fa *= a.shape()[d];
  for (std::int64_t d : dims_a) perm_a.push_back(normalize_dim(d, a.dim(), "tensordot"));
  for (std::int64_t d : dims_b) perm_b.push_back(normalize_dim(d, b.dim(), "tensordot"));
  for (std::int64_t d = 0; d < b.dim(); ++d)
    if (!used_b[d]) perm_b.push_back(d), out.push_back(b.shape()[d]), fb *= b.shape()[d];
  return reshape(matmul(reshape(permute(a, perm_a), {fa, k}), reshape(permute(b, perm_b), {k, fb})), out);
}
/// tensordot over the last `dims` dims of a and the first `dims` of b.
template <Element T>
Tensor<T> tensordot(const Tensor<T>& a, const Tensor<T>& b, std::int64_t dims = 2) {
  EMBER_CHECK(dims >= 0 && dims <= a.dim() && dims <= b.dim(), "tensordot", "dims must be in [0, ",
              std::min(a.dim(), b.dim()), "] for shapes ", a.shape(), " and ", b.shape(), ", got ", dims);
  std::vector<std::int64_t> da, db;
  for (std::int64_t i = 0; i < dims; ++i) da.push_back(a.dim() - dims + i), db.push_back(i);
  return tensordot(a, b, da, db);
}

/// The (row, column) indices of a rows x cols matrix's lower (column - row <= offset) or upper
/// (column - row >= offset) triangle, row by row, as a (2, N) int64 tensor.
inline Tensor<std::int64_t> triangle_indices(std::int64_t rows, std::int64_t cols, std::int64_t offset, bool lower,
                                             Device device = Device::cpu()) {
  const char* op = lower ? "tril_indices" : "triu_indices";
  EMBER_CHECK(rows >= 0 && cols >= 0, op, "row and col must be non-negative, got ", rows, " and ", cols);
  std::vector<std::int64_t> r, c;
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j)
      if (lower ? j - i <= offset : j - i >= offset) r.push_back(i), c.push_back(j);
  const auto n = static_cast<std::int64_t>(r.size());
  Tensor<std::int64_t> out = Tensor<std::int64_t>::empty({2, n});
  std::copy(r.begin(), r.end(), out.data());
  std::copy(c.begin(), c.end(), out.data() + n);
  return device.is_cuda() ? out.to(device) : out;
}
inline Tensor<std::int64_t> tril_indices(std::int64_t rows, std::int64_t cols, std::int64_t offset = 0,
                                         Device device = Device::cpu()) {
  return triangle_indices(rows, cols, offset, true, device);
}
inline Tensor<std::int64_t> triu_indices(std::int64_t rows, std::int64_t cols, std::int64_t offset = 0,
                                         Device device = Device::cpu()) {
  return triangle_indices(rows, cols, offset, false, device);
}

/// Writes value on x's main diagonal (x 2-D, or n-D with all extents equal); with wrap, a tall matrix's
/// diagonal starts again every cols + 1 rows (torch.Tensor.fill_diagonal_).
template <Element T>
const Tensor<T>& fill_diagonal_(const Tensor<T>& x, T value, bool wrap = false) {
  EMBER_CHECK(x.dim() >= 2, "fill_diagonal_", "dimensions must be larger than 1, got shape ", x.shape());
  EMBER_CHECK_AUTOGRAD(!autograd::needs_grad(x), "fill_diagonal_", "not supported on a tensor that requires grad "
                       "(shape ", x.shape(), "): fill a clone, or fill inside ember.no_grad()");
  autograd::check_inplace(x, "fill_diagonal_");
  std::int64_t stride = 0;
  for (std::int64_t s : x.strides()) stride += s;
  if (x.dim() > 2) {
    EMBER_CHECK(std::all_of(x.shape().begin(), x.shape().end(), [&](std::int64_t s) { return s == x.shape()[0]; }),
                "fill_diagonal_", "all dimensions of input must be of equal length, got shape ", x.shape());
    detail::make_view(x, {x.shape()[0]}, {stride}, x.offset()).fill_(value);
    return x;
  }
  const std::int64_t rows = x.shape()[0], cols = x.shape()[1];
  const std::int64_t step = wrap && rows > cols + 1 ? cols + 1 : rows;
  for (std::int64_t r = 0; r < rows; r += step)
    detail::make_view(x, {std::min(rows - r, cols)}, {stride}, x.offset() + r * x.strides()[0]).fill_(value);
  return x;
}

}  // namespace ember
