#pragma once
// Copies and fills: clone, to<U> (dtype conversion), to(Device), copy_ and fill_. clone and a conversion between
// floating types (bfloat16 included) are differentiable; copy_ and fill_ write in place (see autograd::check_inplace).
#include <algorithm>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/backend/cuda/allocator.hpp"
#include "ember/backend/cuda/runtime.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

template <Element T>
Tensor<T> Tensor<T>::clone() const {
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
    Tensor<U> out = Tensor<U>::empty(shape(), device());
    detail::copy_cast(out, *this);
    if constexpr (GradElement<T> && GradElement<U>) {
      if (autograd::needs_grad(*this))
        autograd::record("to", out, [](const Tensor<U>& g) { return g.template to<T>(); }, *this);
    }
    return out;
  }
}

template <Element T>
Tensor<T> Tensor<T>::to(Device target) const {
  const Device source = device();
  if (target == source) return *this;
  if (target.is_cuda()) cuda::check_device(target.index, "to");
  const Tensor src = contiguous();
  Tensor out = empty(shape(), target);
  const std::size_t nbytes = static_cast<std::size_t>(numel()) * sizeof(T);
  if (source.is_cpu()) cuda::copy_to_device(out.data(), src.data(), nbytes, target.index);
  else if (target.is_cpu()) cuda::copy_to_host(out.data(), src.data(), nbytes, source.index);
  else cuda::copy_between_devices(out.data(), target.index, src.data(), source.index, nbytes);
  if constexpr (GradElement<T>)
    if (autograd::needs_grad(*this))
      autograd::record("to", out, [source](const Tensor& g) { return g.to(source); }, *this);
  return out;
}

template <Element T>
template <Element U>
const Tensor<T>& Tensor<T>::copy_(const Tensor<U>& src) const {
  EMBER_CHECK_DEVICE(device() == src.device(), "copy_", "source on ", src.device().str(),
                     " and destination on ", device().str());
  Shape b = broadcast_shapes(src.shape(), shape(), "copy_");
  EMBER_CHECK(b == shape(), "copy_", "source of shape ", src.shape(),
              " cannot be broadcast to destination of shape ", shape());
  autograd::check_inplace_source(src, "copy_");
  autograd::check_inplace(*this, "copy_");
  detail::copy_cast(*this, detail::inplace_source(*this, src.detach()).expand(shape()));
  return *this;
}

namespace detail {
/// compute(x) written into x (an in-place op that runs its out-of-place form), recorded by autograd when x
/// requires grad, as relu_ is.
template <Element T, class F>
const Tensor<T>& assign_inplace(const Tensor<T>& x, const char* op, F compute) {
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(x)) return autograd::rebase_history(x, op, true, compute);
  autograd::check_inplace(x, op);
  NoGradGuard no_grad;
  copy_cast(x, compute(x));
  return x;
}
}  // namespace detail

template <Element T>
const Tensor<T>& Tensor<T>::fill_(T v) const {
  autograd::check_inplace(*this, "fill_");
  if (device().is_cuda()) {
    cuda::fill(device().index, shape(), cuda::strided(*this), &v);
    return *this;
  }
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
