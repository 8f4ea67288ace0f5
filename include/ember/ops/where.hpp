#pragma once
// where(cond, a, b): cond, a and b broadcast together, a and b promoted. Include it through
// ops/elementwise.hpp, whose op gradients use it.
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise_impl.hpp"

namespace ember {

/// Elementwise cond ? a : b, with cond, a and b broadcast together and a, b promoted.
template <Element A, Element B>
Tensor<promote_t<A, B>> where(const Tensor<bool>& cond, const Tensor<A>& a, const Tensor<B>& b) {
  using P = promote_t<A, B>;
  const Device device = detail::same_device("where", cond, a, b);
  const Shape s = broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor<P> out = Tensor<P>::empty(s, device);
  const auto& pa = detail::promoted<P>(a);
  const auto& pb = detail::promoted<P>(b);
  if (device.is_cuda()) {
    detail::check_cuda_dtype<P>("where");
    cuda::where(device.index, s, cuda::strided(out), cuda::strided(cond.detach().expand(s)),
                cuda::strided(pa.detach().expand(s)), cuda::strided(pb.detach().expand(s)));
  } else {
    detail::where_kernel(out, cond, pa, pb);
  }
  if constexpr (FloatElement<P>)  // da = g where cond, db = g elsewhere (summed back over broadcast dims)
    if (autograd::needs_grad(pa, pb))
      autograd::record("where", out, [sc = autograd::Saved<bool>(cond, "where"), a_shape = pa.shape(),
                                      b_shape = pb.shape(), want_a = pa.requires_grad(),
                                      want_b = pb.requires_grad()](const Tensor<P>& g) {
        const Tensor<bool>& c = sc.get();
        return autograd::Grads{want_a ? AnyTensor(sum_to_size(where(c, g, P(0)), a_shape)) : AnyTensor(),
                               want_b ? AnyTensor(sum_to_size(where(c, P(0), g), b_shape)) : AnyTensor()};
      }, pa, pb);
  return out;
}
/// where() with a scalar for the false branch.
template <Element T, Scalar S>
Tensor<scalar_promote_t<T, S>> where(const Tensor<bool>& cond, const Tensor<T>& a, S b) {
  using P = scalar_promote_t<T, S>;
  return where(cond, detail::promoted<P>(a), Tensor<P>::empty({}, a.device()).fill_(static_cast<P>(b)));
}
/// where() with a scalar for the true branch.
template <Scalar S, Element T>
Tensor<scalar_promote_t<T, S>> where(const Tensor<bool>& cond, S a, const Tensor<T>& b) {
  using P = scalar_promote_t<T, S>;
  return where(cond, Tensor<P>::empty({}, b.device()).fill_(static_cast<P>(a)), detail::promoted<P>(b));
}

}  // namespace ember
