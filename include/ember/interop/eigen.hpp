#pragma once
// Eigen views of ember tensors, without copies, and tensors made from Eigen matrices.
#include <Eigen/Core>

#include "ember/core/tensor.hpp"

namespace ember {

/// Row-major Eigen matrix type of element T.
template <Element T>
using EigenMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A strided Eigen::Map over a 2-D tensor's elements (writes go to the tensor).
template <Element T>
Eigen::Map<EigenMatrix<T>, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>> as_eigen(
    const Tensor<T>& t) {
  EMBER_CHECK(t.dim() == 2, "as_eigen", "expected a 2-D tensor, got shape ", t.shape());
  t.check_cpu("as_eigen");
  return {t.data(), t.size(0), t.size(1), Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(t.stride(0), t.stride(1))};
}

/// A tensor holding a copy of an Eigen matrix or array expression.
template <class Derived>
auto from_eigen(const Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  Tensor<T> out = Tensor<T>::empty({m.rows(), m.cols()});
  Eigen::Map<EigenMatrix<T>>(out.data(), m.rows(), m.cols()) = m;
  return out;
}

}  // namespace ember
