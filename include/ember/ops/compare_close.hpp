#pragma once
// Closeness tests and non-finite replacement: isclose, allclose, nan_to_num (loops over broadcast,
// contiguous copies).
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

/// Elementwise |a - b| <= atol + rtol * |b| (a == b always counts, infinities only equal to
/// themselves; NaNs equal each other when equal_nan), broadcast; a and b share a dtype.
template <Element T>
Tensor<bool> isclose(const Tensor<T>& a, const Tensor<T>& b, double rtol = 1e-5, double atol = 1e-8,
                     bool equal_nan = false) {
  detail::check_cpu("isclose", a, b);
  EMBER_CHECK(rtol >= 0, "isclose", "rtol must be greater than or equal to zero, but got ", rtol);
  EMBER_CHECK(atol >= 0, "isclose", "atol must be greater than or equal to zero, but got ", atol);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "isclose");
  const Tensor<T> x = a.detach().expand(shape).contiguous(), y = b.detach().expand(shape).contiguous();
  auto out = Tensor<bool>::empty(shape);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const T u = x.data()[i], v = y.data()[i];
    bool close = u == v;
    if constexpr (FloatElement<T>) {
      if (!close && std::isfinite(u) && std::isfinite(v))
        close = std::abs(static_cast<double>(u) - v) <= atol + rtol * std::abs(static_cast<double>(v));
      if (equal_nan && u != u && v != v) close = true;
    } else if (!close) {
      close = std::abs(static_cast<double>(u) - static_cast<double>(v)) <= atol + rtol * std::abs(static_cast<double>(v));
    }
    out.data()[i] = close;
  }
  return out;
}

/// Whether isclose holds for every element.
template <Element T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) {
  const Tensor<bool> c = isclose(a, b, rtol, atol, equal_nan);
  for (std::int64_t i = 0; i < c.numel(); ++i)
    if (!c.data()[i]) return false;
  return true;
}

/// x with NaN replaced by nan, +inf by posinf and -inf by neginf (default: the dtype's largest and
/// lowest finite values); integers are returned as a copy. The gradient passes where x is finite.
template <Element T>
Tensor<T> nan_to_num(const Tensor<T>& x, std::optional<double> nan = 0.0, std::optional<double> posinf = std::nullopt,
                     std::optional<double> neginf = std::nullopt) {
  x.check_cpu("nan_to_num");
  const Tensor<T> xc = x.detach().contiguous();
  auto out = Tensor<T>::empty(x.shape());
  if constexpr (!FloatElement<T>) {
    std::copy(xc.data(), xc.data() + xc.numel(), out.data());
  } else {
    const T vn = static_cast<T>(nan.value_or(0.0));
    const T vp = posinf ? static_cast<T>(*posinf) : std::numeric_limits<T>::max();
    const T vm = neginf ? static_cast<T>(*neginf) : std::numeric_limits<T>::lowest();
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      const T v = xc.data()[i];
      out.data()[i] = v != v ? vn : (std::isinf(v) ? (v > 0 ? vp : vm) : v);
    }
    if (autograd::needs_grad(x))
      autograd::record("nan_to_num", out, [sx = autograd::Saved<T>(x, "nan_to_num")](const Tensor<T>& g) {
        const Tensor<T> v = sx.get().contiguous(), gc = g.contiguous();
        auto dx = Tensor<T>::empty(v.shape());
        for (std::int64_t i = 0; i < dx.numel(); ++i) dx.data()[i] = std::isfinite(v.data()[i]) ? gc.data()[i] : T(0);
        return dx;
      }, x);
  }
  return out;
}

}  // namespace ember
