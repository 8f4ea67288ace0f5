#pragma once
// Fused-looking BLAS-style ops composed from differentiable ops: mv, vdot, addmm, addmv, addr, addbmm, baddbmm,
// addcmul(_), addcdiv(_), lerp. Each is the formula PyTorch documents, so autograd differentiates it through its parts.
#include <cmath>
#include <cstdint>

#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/reduce.hpp"

namespace ember {

namespace detail {

/// s as T; for integer T, s must be integral (alpha, beta, value of an integer op).
template <Element T>
T scalar_arg(double s, const char* op, const char* name) {
  if constexpr (!FloatElement<T>)
    EMBER_CHECK(std::trunc(s) == s, op, "for integral input tensors, ", name, " must not be a floating point ",
                "number, got ", s);
  return static_cast<T>(s);
}

/// beta * input + alpha * product, input broadcast to product's shape (beta 0: input ignored, NaN too).
template <Element T>
Tensor<T> add_scaled(const Tensor<T>& input, const Tensor<T>& product, double beta, double alpha, const char* op) {
  EMBER_CHECK(broadcast_shapes(input.shape(), product.shape(), op) == product.shape(), op, "input of shape ",
              input.shape(), " cannot be broadcast to the product's shape ", product.shape());
  const T b = scalar_arg<T>(beta, op, "beta"), a = scalar_arg<T>(alpha, op, "alpha");
  Tensor<T> r = alpha == 1 ? product : mul(product, a);
  if (beta == 0) return r;
  return add(beta == 1 ? input : mul(input, b), r);
}

}  // namespace detail

/// beta * input + alpha * (mat1 @ mat2) for 2-D mat1 (n, m) and mat2 (m, p); input broadcasts to (n, p).
template <Element T>
Tensor<T> addmm(const Tensor<T>& input, const Tensor<T>& mat1, const Tensor<T>& mat2, double beta = 1, double alpha = 1) {
  EMBER_CHECK(mat1.dim() == 2 && mat2.dim() == 2, "addmm", "mat1 and mat2 must be 2-D, got shapes ", mat1.shape(),
              " and ", mat2.shape());
  EMBER_CHECK(mat1.size(1) == mat2.size(0), "addmm", "mat1 and mat2 shapes cannot be multiplied (", mat1.size(0), "x",
              mat1.size(1), " and ", mat2.size(0), "x", mat2.size(1), ")");
  return detail::add_scaled(input, mm(mat1, mat2), beta, alpha, "addmm");
}

/// The product of a 2-D mat (n, m) and a 1-D vec (m): (n).
template <Element T>
Tensor<T> mv(const Tensor<T>& mat, const Tensor<T>& vec) {
  EMBER_CHECK(mat.dim() == 2 && vec.dim() == 1, "mv", "expected a 2-D input and a 1-D vec, got shapes ", mat.shape(),
              " and ", vec.shape());
  EMBER_CHECK(mat.size(1) == vec.size(0), "mv", "size mismatch, got input (", mat.size(0), "x", mat.size(1),
              ") and vec (", vec.size(0), ")");
  return matmul(mat, vec);
}

/// The dot product of two 1-D tensors (torch.vdot: for real tensors, dot).
template <Element T>
Tensor<T> vdot(const Tensor<T>& a, const Tensor<T>& b) {
  return dot(a, b);
}

/// beta * input + alpha * mv(mat, vec); input broadcasts to (n).
template <Element T>
Tensor<T> addmv(const Tensor<T>& input, const Tensor<T>& mat, const Tensor<T>& vec, double beta = 1,
                double alpha = 1) {
  EMBER_CHECK(mat.dim() == 2 && vec.dim() == 1, "addmv", "expected a 2-D mat and a 1-D vec, got shapes ", mat.shape(),
              " and ", vec.shape());
  EMBER_CHECK(mat.size(1) == vec.size(0), "addmv", "size mismatch, got mat (", mat.size(0), "x", mat.size(1),
              ") and vec (", vec.size(0), ")");
  return detail::add_scaled(input, matmul(mat, vec), beta, alpha, "addmv");
}

/// beta * input + alpha * outer(vec1, vec2) for 1-D vec1 (n) and vec2 (m); input broadcasts to (n, m).
template <Element T>
Tensor<T> addr(const Tensor<T>& input, const Tensor<T>& vec1, const Tensor<T>& vec2, double beta = 1,
               double alpha = 1) {
  EMBER_CHECK(vec1.dim() == 1 && vec2.dim() == 1, "addr", "vec1 and vec2 must be 1-D, got shapes ", vec1.shape(),
              " and ", vec2.shape());
  return detail::add_scaled(input, outer(vec1, vec2), beta, alpha, "addr");
}

/// beta * input + alpha * the sum over b of batch1[b] @ batch2[b], for (b, n, m) and (b, m, p); input broadcasts
/// to (n, p).
template <Element T>
Tensor<T> addbmm(const Tensor<T>& input, const Tensor<T>& batch1, const Tensor<T>& batch2, double beta = 1,
                 double alpha = 1) {
  EMBER_CHECK(batch1.dim() == 3 && batch2.dim() == 3, "addbmm", "batch1 and batch2 must be 3-D, got shapes ",
              batch1.shape(), " and ", batch2.shape());
  const Tensor<T> product = sum(bmm(batch1, batch2), Dims{0}).template to<T>();  // integers sum in int64
  return detail::add_scaled(input, product, beta, alpha, "addbmm");
}

/// beta * input + alpha * bmm(batch1, batch2) for (b, n, m) and (b, m, p); input broadcasts to (b, n, p).
template <Element T>
Tensor<T> baddbmm(const Tensor<T>& input, const Tensor<T>& batch1, const Tensor<T>& batch2, double beta = 1,
                  double alpha = 1) {
  EMBER_CHECK(batch1.dim() == 3 && batch2.dim() == 3, "baddbmm", "batch1 and batch2 must be 3-D, got shapes ",
              batch1.shape(), " and ", batch2.shape());
  return detail::add_scaled(input, bmm(batch1, batch2), beta, alpha, "baddbmm");
}

/// input + value * tensor1 * tensor2, broadcast.
template <Element T>
Tensor<T> addcmul(const Tensor<T>& input, const Tensor<T>& tensor1, const Tensor<T>& tensor2, double value = 1) {
  const Tensor<T> p = mul(tensor1, tensor2);
  return add(input, value == 1 ? p : mul(p, detail::scalar_arg<T>(value, "addcmul", "value")));
}

/// input + value * tensor1 / tensor2, broadcast; floating inputs only.
template <Element T>
Tensor<T> addcdiv(const Tensor<T>& input, const Tensor<T>& tensor1, const Tensor<T>& tensor2, double value = 1) {
  EMBER_CHECK_TYPE(FloatElement<T>, "addcdiv", "integer division with addcdiv is not supported, got dtype ",
                   dtype_name(input.dtype()));
  if constexpr (FloatElement<T>) {
    const Tensor<T> q = div(tensor1, tensor2);
    return add(input, value == 1 ? q : mul(q, static_cast<T>(value)));
  }
  return {};
}

/// In-place self += value * tensor1 * tensor2 (tensor1 * tensor2 broadcast to self's shape).
template <Element T>
const Tensor<T>& addcmul_(const Tensor<T>& self, const Tensor<T>& tensor1, const Tensor<T>& tensor2, double value = 1) {
  const Tensor<T> p = mul(tensor1, tensor2);
  return add_(self, value == 1 ? p : mul(p, detail::scalar_arg<T>(value, "addcmul_", "value")));
}

/// In-place self += value * tensor1 / tensor2; floating inputs only.
template <Element T>
const Tensor<T>& addcdiv_(const Tensor<T>& self, const Tensor<T>& tensor1, const Tensor<T>& tensor2, double value = 1) {
  EMBER_CHECK_TYPE(FloatElement<T>, "addcdiv_", "integer division with addcdiv is not supported, got dtype ",
                   dtype_name(self.dtype()));
  if constexpr (FloatElement<T>) {
    const Tensor<T> q = div(tensor1, tensor2);
    return add_(self, value == 1 ? q : mul(q, static_cast<T>(value)));
  }
  return self;
}

/// start + weight * (end - start), broadcast; floating inputs only.
template <Element T>
Tensor<T> lerp(const Tensor<T>& start, const Tensor<T>& end, const Tensor<T>& weight) {
  EMBER_CHECK_TYPE(FloatElement<T>, "lerp", "expected floating point tensors, got dtype ", dtype_name(start.dtype()));
  return add(start, mul(weight, sub(end, start)));
}

/// start + weight * (end - start) with a scalar weight.
template <Element T>
Tensor<T> lerp(const Tensor<T>& start, const Tensor<T>& end, double weight) {
  EMBER_CHECK_TYPE(FloatElement<T>, "lerp", "expected floating point tensors, got dtype ", dtype_name(start.dtype()));
  return add(start, mul(sub(end, start), static_cast<T>(weight)));
}

/// In-place self += weight * (end - self) (weight a tensor broadcast to self's shape); floating only.
template <Element T>
const Tensor<T>& lerp_(const Tensor<T>& self, const Tensor<T>& end, const Tensor<T>& weight) {
  EMBER_CHECK_TYPE(FloatElement<T>, "lerp_", "expected floating point tensors, got dtype ", dtype_name(self.dtype()));
  return add_(self, mul(weight, sub(end, self)));
}

/// In-place self += weight * (end - self) with a scalar weight (an exponential moving average step).
template <Element T>
const Tensor<T>& lerp_(const Tensor<T>& self, const Tensor<T>& end, double weight) {
  EMBER_CHECK_TYPE(FloatElement<T>, "lerp_", "expected floating point tensors, got dtype ", dtype_name(self.dtype()));
  return add_(self, mul(sub(end, self), static_cast<T>(weight)));
}

}  // namespace ember
