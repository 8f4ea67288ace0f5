#pragma once
// xtensor views of ember tensors, without copies, and tensors made from xtensor expressions.
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "ember/core/tensor.hpp"

namespace ember {

/// An xtensor adaptor over the tensor's elements with its shape and strides (writes go to the tensor).
template <Element T>
auto as_xtensor(const Tensor<T>& t) {
  t.check_cpu("as_xtensor");
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  std::vector<std::ptrdiff_t> strides(t.strides().begin(), t.strides().end());
  return xt::adapt(t.data(), static_cast<std::size_t>(t.numel()), xt::no_ownership(), shape, strides);
}

/// A contiguous tensor holding a copy of an xtensor expression.
template <class E>
auto from_xtensor(const xt::xexpression<E>& expr) {
  using T = typename E::value_type;
  xt::xarray<T> a = expr.derived_cast();
  Shape shape(a.shape().begin(), a.shape().end());
  Tensor<T> out = Tensor<T>::empty(shape);
  std::copy(a.begin(), a.end(), out.data());
  return out;
}

}  // namespace ember
