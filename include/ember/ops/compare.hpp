#pragma once
// Comparisons (eq, ne, lt, le, gt, ge), logical ops and where: broadcast, promote, return bool (or
// the promoted type, for where). Their formulas are in ops/elementwise_formulas.hpp.
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise_impl.hpp"

namespace ember {

// Comparisons and logical ops share the binary ops' broadcasting and promotion (EMBER_BINARY_FN,
// defined in elementwise_impl.hpp); their kernels return bool.
/// a == b elementwise (broadcast, compared in the promoted type).
EMBER_BINARY_FN(eq, EqOp)
/// a != b elementwise.
EMBER_BINARY_FN(ne, NeOp)
/// a < b elementwise.
EMBER_BINARY_FN(lt, LtOp)
/// a <= b elementwise.
EMBER_BINARY_FN(le, LeOp)
/// a > b elementwise.
EMBER_BINARY_FN(gt, GtOp)
/// a >= b elementwise.
EMBER_BINARY_FN(ge, GeOp)
/// Elementwise (a != 0) and (b != 0), for any dtypes.
EMBER_BINARY_FN(logical_and, AndOp)
/// Elementwise (a != 0) or (b != 0), for any dtypes.
EMBER_BINARY_FN(logical_or, OrOp)
/// Elementwise (a != 0) xor (b != 0), for any dtypes.
EMBER_BINARY_FN(logical_xor, XorOp)

/// Elementwise x == 0, for any dtype.
template <Element T> Tensor<bool> logical_not(const Tensor<T>& x) { return detail::unary<detail::NotOp>(x); }

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

// --- Tensor methods ---
#define EMBER_COMPARE_METHOD(fn)                                                                      \
  template <Element T> template <Element U> Tensor<bool> Tensor<T>::fn(const Tensor<U>& other) const { \
    return ember::fn(*this, other);                                                                   \
  }                                                                                                   \
  template <Element T> template <Scalar S> Tensor<bool> Tensor<T>::fn(S other) const {                \
    return ember::fn(*this, other);                                                                   \
  }
EMBER_COMPARE_METHOD(eq)
EMBER_COMPARE_METHOD(ne)
EMBER_COMPARE_METHOD(lt)
EMBER_COMPARE_METHOD(le)
EMBER_COMPARE_METHOD(gt)
EMBER_COMPARE_METHOD(ge)
EMBER_COMPARE_METHOD(logical_and)
EMBER_COMPARE_METHOD(logical_or)
EMBER_COMPARE_METHOD(logical_xor)
#undef EMBER_COMPARE_METHOD
template <Element T> Tensor<bool> Tensor<T>::logical_not() const { return ember::logical_not(*this); }

}  // namespace ember
