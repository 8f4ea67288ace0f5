#pragma once
// Norms: vector_norm, matrix_norm, linalg_norm (ember.linalg.*), norm (Tensor.norm), and cdist. The
// 1, inf and -inf norms are composed from abs, sum, amax and amin; the p-norms (2 included) compute
// their value without recording and record one backward, which gives the zero subgradient at a zero
// norm, as PyTorch. The matrix norms 'nuc', 2 and -2 are the sum, max and min of svdvals (ops/svd.hpp).
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/svd.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// The order of a norm: a number (inf included) or "fro" / "nuc".
using NormOrd = std::variant<double, std::string>;

namespace detail {

/// dx of the p-norm y = (sum |x|^p)^(1/p) reduced by plan-kept shape `keep`: sign(x) |x|^(p-1) g / y^(p-1),
/// zero where y == 0.
template <FloatElement T>
Tensor<T> pnorm_grad(const Tensor<T>& x, const Tensor<T>& y, const Tensor<T>& g, const Shape& keep, double p) {
  const Tensor<T> yk = y.reshape(keep).contiguous(), gk = g.reshape(keep).contiguous();
  auto scale = Tensor<T>::empty(keep);
  for (std::int64_t j = 0; j < scale.numel(); ++j) {
    const T v = yk.data()[j];
    scale.data()[j] = v == T(0) ? T(0) : (p == 2 ? gk.data()[j] / v : gk.data()[j] / std::pow(v, T(p - 1)));
  }
  const Tensor<T> s = scale.expand(x.shape()).contiguous(), xc = x.contiguous();
  auto dx = Tensor<T>::empty(x.shape());
  for (std::int64_t i = 0; i < dx.numel(); ++i) {
    const T v = xc.data()[i];
    const T w = p == 2 ? v : (v == T(0) ? T(0) : std::copysign(std::pow(std::abs(v), T(p - 1)), v));
    dx.data()[i] = w * s.data()[i];
  }
  return dx;
}

template <Element T>
void check_norm_dtype(const Tensor<T>& x, const char* op) {
  EMBER_CHECK_TYPE(FloatElement<T>, op, "expected a floating point tensor as input, got dtype ", dtype_name(x.dtype()),
                   " (shape ", x.shape(), ")");
}

}  // namespace detail

/// The ord-norm of x over dim (all dims by default): (sum |x|^ord)^(1/ord); ord inf/-inf: max/min |x|;
/// ord 0: the number of non-zeros. Floating inputs only.
template <Element T>
Tensor<T> vector_norm(const Tensor<T>& x, double ord = 2, typename Tensor<T>::Dims dim = {}, bool keepdim = false) {
  detail::check_norm_dtype(x, "vector_norm");
  x.check_cpu("vector_norm");
  if constexpr (FloatElement<T>) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    EMBER_CHECK(!std::isnan(ord), "vector_norm", "ord must not be NaN");
    if (ord == inf) return amax(abs(x), dim, keepdim);
    if (ord == -inf) return amin(abs(x), dim, keepdim);
    if (ord == 1) return sum(abs(x), dim, keepdim);
    if (ord == 0) {  // a count: its gradient is zero (recorded, as PyTorch's, so that backward() runs)
      Tensor<T> y = sum(ne(x.detach(), T(0)), dim, keepdim).template to<T>();
      if (autograd::needs_grad(x))
        autograd::record("vector_norm", y, [shape = x.shape()](const Tensor<T>& g) {
          return zeros<T>(shape, g.device());
        }, x);
      return y;
    }
    const auto plan = detail::reduce_plan(x.shape(), dim.all, dim.list, keepdim, "vector_norm");
    Tensor<T> y;
    {
      NoGradGuard no_grad;
      const Tensor<T> a = abs(x.detach());
      y = ord == 2 ? sqrt(sum(mul(a, a), dim, keepdim)) : pow(sum(pow(a, ord), dim, keepdim), 1.0 / ord);
    }
    if (autograd::needs_grad(x))
      autograd::record("vector_norm", y, [sx = autograd::Saved<T>(x, "vector_norm"), sy = autograd::Saved<T>(y, "vector_norm"),
                                          keep = plan.keep_shape, ord](const Tensor<T>& g) {
        return detail::pnorm_grad(sx.get(), sy.get(), g, keep, ord);
      }, x);
    return y;
  }
  return {};
}

/// The ord-norm of the matrices of x over dims (d0, d1) (rows, columns): "fro" (Frobenius), 1 / -1
/// (max / min column sum of |x|), inf / -inf (max / min row sum), "nuc" / 2 / -2 (sum / max / min of the
/// singular values).
template <Element T>
Tensor<T> matrix_norm(const Tensor<T>& x, const NormOrd& ord = std::string("fro"), Shape dim = {-2, -1},
                      bool keepdim = false) {
  detail::check_norm_dtype(x, "matrix_norm");
  EMBER_CHECK(x.dim() >= 2, "matrix_norm", "the input tensor must be a matrix or a batch of matrices, got shape ",
              x.shape());
  EMBER_CHECK(dim.size() == 2, "matrix_norm", "dim must be a 2-tuple, got ", dim);
  const std::int64_t d0 = normalize_dim(dim[0], x.dim(), "matrix_norm"), d1 = normalize_dim(dim[1], x.dim(), "matrix_norm");
  EMBER_CHECK(d0 != d1, "matrix_norm", "dims must be different, got (", dim[0], ", ", dim[1], ")");
  if (const auto* s = std::get_if<std::string>(&ord)) {
    EMBER_CHECK(*s == "fro" || *s == "nuc", "matrix_norm", "order '", *s, "' not supported; use 'fro', 'nuc', "
                "1, -1, 2, -2, inf or -inf");
    if (*s == "fro") return vector_norm(x, 2, Shape{d0, d1}, keepdim);
  }
  const bool nuc = std::holds_alternative<std::string>(ord);
  const double o = nuc ? 0 : std::get<double>(ord);
  constexpr double inf = std::numeric_limits<double>::infinity();
  EMBER_CHECK(nuc || o == 1 || o == -1 || o == inf || o == -inf || o == 2 || o == -2, "matrix_norm", "order ",
              o, " not supported; use 'fro', 'nuc', 1, -1, 2, -2, inf or -inf");
  Tensor<T> r;
  if (nuc || o == 2 || o == -2) {
    if constexpr (FloatElement<T>) {
      // The singular values of the matrices over (d0, d1), moved last: (..., k), reduced over k.
      Shape perm;
      for (std::int64_t i = 0; i < x.dim(); ++i)
        if (i != d0 && i != d1) perm.push_back(i);
      perm.push_back(d0);
      perm.push_back(d1);
      const Tensor<T> s = svdvals(permute(x, perm));
      // An empty matrix has no singular values: its 2-norm is 0, as PyTorch's (amax refuses no elements).
      r = nuc || (o == 2 && s.size(-1) == 0) ? sum(s, -1) : o == 2 ? amax(s, -1) : amin(s, -1);
      if (keepdim) r = unsqueeze(unsqueeze(r, std::min(d0, d1)), std::max(d0, d1));
    }
    return r;
  }
  // 1/-1: sum over rows (d0), extremum over columns (d1); inf/-inf the other way round.
  const bool cols = o == 1 || o == -1;
  Tensor<T> s = sum(abs(x), cols ? d0 : d1, true);
  r = o > 0 ? amax(s, cols ? d1 : d0, true) : amin(s, cols ? d1 : d0, true);
  if (!keepdim) r = squeeze(squeeze(r, std::max(d0, d1)), std::min(d0, d1));
  return r;
}

/// linalg.norm: with dim None and ord None the 2-norm of all elements; ord with dim None: a vector norm
/// of a 1-D x, a matrix norm of a 2-D x; a 1-element dim: vector_norm; a 2-element dim: matrix_norm
/// (ord None: "fro").
template <Element T>
Tensor<T> linalg_norm(const Tensor<T>& x, const std::optional<NormOrd>& ord = std::nullopt,
                      const std::optional<Shape>& dim = std::nullopt, bool keepdim = false) {
  detail::check_norm_dtype(x, "linalg.norm");
  if (!dim) {
    if (!ord) return vector_norm(x, 2, {}, keepdim);
    EMBER_CHECK(x.dim() == 1 || x.dim() == 2, "linalg.norm", "input must be 1-D or 2-D when dim is None and ord ",
                "is not None, got shape ", x.shape());
    if (x.dim() == 2) return matrix_norm(x, *ord, {0, 1}, keepdim);
    return linalg_norm(x, ord, Shape{0}, keepdim);
  }
  EMBER_CHECK(dim->size() == 1 || dim->size() == 2, "linalg.norm", "dim must be an int or a 2-tuple, got ", *dim);
  if (dim->size() == 2) return matrix_norm(x, ord ? *ord : NormOrd(std::string("fro")), *dim, keepdim);
  EMBER_CHECK(!ord || std::holds_alternative<double>(*ord), "linalg.norm", "order '", std::get<std::string>(*ord),
              "' is a matrix norm, but dim has one element");
  return vector_norm(x, ord ? std::get<double>(*ord) : 2.0, *dim, keepdim);
}

/// Tensor.norm / ember.norm: p "fro" is the 2-norm over dim (all dims by default), a number p the
/// p-norm (vector_norm), "nuc" the nuclear norm (matrix_norm over dim, by default (0, 1)).
template <Element T>
Tensor<T> norm(const Tensor<T>& x, const NormOrd& p = std::string("fro"), const std::optional<Shape>& dim = std::nullopt,
               bool keepdim = false) {
  detail::check_norm_dtype(x, "norm");
  const Shape dims = dim ? *dim : Shape{};
  if (const auto* s = std::get_if<std::string>(&p)) {
    EMBER_CHECK(*s == "fro" || *s == "nuc", "norm", "p must be 'fro', 'nuc' or a number, got '", *s, "'");
    if (*s == "nuc") return matrix_norm(x, p, dim ? dims : Shape{0, 1}, keepdim);
    return vector_norm(x, 2, dims, keepdim);
  }
  return vector_norm(x, std::get<double>(p), dims, keepdim);
}

/// The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M): (..., P, R); batch
/// dims broadcast.
template <Element T>
Tensor<T> cdist(const Tensor<T>& x1, const Tensor<T>& x2, double p = 2) {
  detail::check_norm_dtype(x1, "cdist");
  EMBER_CHECK(x1.dim() >= 2 && x2.dim() >= 2, "cdist", "only supports at least 2D tensors, X1 got: ", x1.shape(),
              ", X2 got: ", x2.shape());
  EMBER_CHECK(x1.size(-1) == x2.size(-1), "cdist", "X1 and X2 must have the same number of columns. X1: ",
              x1.size(-1), " X2: ", x2.size(-1));
  EMBER_CHECK(p >= 0, "cdist", "only supports non-negative p values, got ", p);
  return vector_norm(sub(unsqueeze(x1, -2), unsqueeze(x2, -3)), p, -1, false);
}

}  // namespace ember
