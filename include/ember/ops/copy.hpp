#pragma once
// Copies and fills: clone, to<U> (dtype conversion), copy_ and fill_. clone and a conversion between
// floating types are differentiable; copy_ and fill_ write in place (see autograd::check_inplace).
#include <algorithm>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

template <Element T>
Tensor<T> Tensor<T>::clone() const {
  check_cpu("clone");
  Tensor out = empty(shape(), device());
  detail::copy_cast(out, *this);
  if (autograd::needs_grad(*this)) autograd::record("clone", out, [](const Tensor& g) { return g; }, *this);
  return out;
}

template <Element T>
template <Element U>
Tensor<U> Tensor<T>::to() const {
  if constexpr (std::is_same_v<T, U>) {
    return *this;
  } else {
    check_cpu("to");
    Tensor<U> out = Tensor<U>::empty(shape(), device());
    detail::copy_cast(out, *this);
    if constexpr (FloatElement<T> && FloatElement<U>) {
      if (autograd::needs_grad(*this))
        autograd::record("to", out, [](const Tensor<U>& g) { return g.template to<T>(); }, *this);
    }
    return out;
  }
}

template <Element T>
template <Element U>
const Tensor<T>& Tensor<T>::copy_(const Tensor<U>& src) const {
  EMBER_CHECK_DEVICE(device() == src.device(), "copy_", "source on ", src.device().str(),
                     " and destination on ", device().str());
  check_cpu("copy_");
  Shape b = broadcast_shapes(src.shape(), shape(), "copy_");
  EMBER_CHECK(b == shape(), "copy_", "source of shape ", src.shape(),
              " cannot be broadcast to destination of shape ", shape());
  autograd::check_inplace_source(src, "copy_");
  autograd::check_inplace(*this, "copy_");
  detail::copy_cast(*this, src.detach().expand(shape()));
  return *this;
}

template <Element T>
const Tensor<T>& Tensor<T>::fill_(T v) const {
  check_cpu("fill_");
  autograd::check_inplace(*this, "fill_");
  if (is_contiguous()) {
    std::fill(data(), data() + numel(), v);
    return *this;
  }
  detail::for_each_strided<1>(shape(), {reinterpret_cast<char*>(data())}, {detail::byte_strides<T>(strides())},
                              [v](char** p, const std::int64_t* s, std::int64_t m) {
                                for (std::int64_t i = 0; i < m; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
                              });
  return *this;
}

}  // namespace ember
