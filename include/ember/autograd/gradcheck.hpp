#pragma once
// gradcheck: compares the gradients autograd computes with central finite differences, element by
// element, in float64. Part of the library so that users can check the backward of their own
// compositions (and ember's tests check every op with it).
#include <cmath>
#include <functional>
#include <sstream>
#include <vector>

#include "ember/autograd/engine.hpp"

namespace ember::autograd {

/// A gradient that disagrees with finite differences (Python ember.autograd.GradcheckError).
class GradcheckError : public AutogradError {
 public:
  using AutogradError::AutogradError;
};

/// Step and tolerances of gradcheck: |analytical - numerical| <= atol + rtol * |numerical| everywhere.
struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

/// A function of tensors, as gradcheck calls it.
using TensorFunction = std::function<std::vector<AnyTensor>(const std::vector<AnyTensor>&)>;

namespace detail {

/// Address of the i-th element (row-major order) of x, whatever its strides.
inline double* element_at(const Tensor<double>& x, std::int64_t i) {
  std::int64_t off = 0;
  for (std::int64_t d = x.dim(); d-- > 0;) {
    off += (i % x.shape()[d]) * x.strides()[d];
    i /= x.shape()[d];
  }
  return x.data() + off;
}

/// The coordinates of the i-th element of shape, as "(1, 2)".
inline std::string coords(const Shape& shape, std::int64_t i) {
  Shape c(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    c[d] = i % shape[d];
    i /= shape[d];
  }
  std::ostringstream os;
  os << c;
  return os.str();
}

/// The floating outputs of fn(inputs) as flat float64 vectors (empty for the others).
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<std::vector<double>> flat_outputs(const TensorFunction& fn, const std::vector<AnyTensor>& inputs) {
  NoGradGuard no_grad;
  std::vector<std::vector<double>> out;
  for (const auto& o : fn(inputs))
    out.push_back(is_floating(o.dtype()) ? o.as<double>().to_vector() : std::vector<double>());
  return out;
}

}  // namespace detail

/// Checks the gradients of fn at inputs: those that require grad (float64) are perturbed by +-eps
/// one element at a time, and every floating output's numerical Jacobian is compared with the one
/// backward gives. Returns true, or throws GradcheckError naming the worst element.
template <class = void>  // compiled only where called: see AnyTensor::to
bool gradcheck(const TensorFunction& fn, const std::vector<AnyTensor>& inputs, GradcheckOptions opt = {}) {
  std::vector<std::size_t> wrt;
  std::vector<AnyTensor> wrt_inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    EMBER_CHECK_TYPE(inputs[i].dtype() == DType::Float64, "gradcheck", "input ", i, " has dtype ",
                     dtype_name(inputs[i].dtype()), "; finite differences need float64 inputs (use .double())");
    wrt.push_back(i);
    wrt_inputs.push_back(inputs[i]);
  }
  EMBER_CHECK(!wrt.empty(), "gradcheck", "no input requires grad: mark the inputs to check with requires_grad_()");

  const std::vector<AnyTensor> outputs = fn(inputs);
  const std::size_t n_out = outputs.size();
  // jac[o][k][n] with k the input among wrt, n = out_element * in_numel + in_element.
  auto make = [&](std::vector<std::vector<std::vector<double>>>& j) {
    j.assign(n_out, std::vector<std::vector<double>>(wrt.size()));
    for (std::size_t o = 0; o < n_out; ++o)
      for (std::size_t k = 0; k < wrt.size(); ++k)
        j[o][k].assign(static_cast<std::size_t>(outputs[o].numel() * wrt_inputs[k].numel()), 0.0);
  };
  std::vector<std::vector<std::vector<double>>> numerical, analytical;
  make(numerical);
  make(analytical);

  for (std::size_t k = 0; k < wrt.size(); ++k) {
    const Tensor<double>& x = wrt_inputs[k].get<double>();
    const std::int64_t n = x.numel();
    for (std::int64_t e = 0; e < n; ++e) {
      double* p = detail::element_at(x, e);
      const double saved = *p;
      *p = saved + opt.eps;
      const auto plus = detail::flat_outputs(fn, inputs);
      *p = saved - opt.eps;
      const auto minus = detail::flat_outputs(fn, inputs);
      *p = saved;
      for (std::size_t o = 0; o < n_out; ++o)
        for (std::size_t r = 0; r < plus[o].size(); ++r)
          numerical[o][k][r * n + e] = (plus[o][r] - minus[o][r]) / (2 * opt.eps);
    }
  }

  for (std::size_t o = 0; o < n_out; ++o) {
    if (!outputs[o].requires_grad()) continue;  // analytical gradient zero
    outputs[o].visit([&](const auto& y) {
      using T = typename std::decay_t<decltype(y)>::value_type;
      if constexpr (FloatElement<T>) {
        for (std::int64_t r = 0; r < y.numel(); ++r) {
          Tensor<T> seed = Tensor<T>::empty(y.shape());
          {
            NoGradGuard no_grad;
            seed.fill_(T(0));
            seed.data()[r] = T(1);
          }
          const AnyTensor out_any(y), seed_any(seed);
          auto grads = grad(std::span<const AnyTensor>(&out_any, 1), wrt_inputs,
                            std::span<const AnyTensor>(&seed_any, 1), true, true);
          for (std::size_t k = 0; k < wrt.size(); ++k) {
            if (!grads[k].defined()) continue;
            EMBER_CHECK_AUTOGRAD(grads[k].shape() == wrt_inputs[k].shape(), "gradcheck", "the gradient of input ",
                                 wrt[k], " has shape ", grads[k].shape(), " but the input has shape ",
                                 wrt_inputs[k].shape());
            const auto g = grads[k].as<double>().to_vector();
            const std::size_t n = g.size();
            for (std::size_t e = 0; e < n; ++e) analytical[o][k][static_cast<std::size_t>(r) * n + e] = g[e];
          }
        }
      }
    });
  }

  for (std::size_t o = 0; o < n_out; ++o)
    for (std::size_t k = 0; k < wrt.size(); ++k) {
      const auto& num = numerical[o][k];
      const auto& an = analytical[o][k];
      double worst = 0;
      std::size_t at = num.size();
      for (std::size_t i = 0; i < num.size(); ++i) {
        const double excess = std::abs(an[i] - num[i]) - (opt.atol + opt.rtol * std::abs(num[i]));
        if (excess > worst || (std::isnan(an[i]) != std::isnan(num[i]))) {
          worst = std::isnan(excess) ? INFINITY : excess;
          at = i;
        }
      }
      if (at == num.size()) continue;
      const auto in_n = static_cast<std::size_t>(wrt_inputs[k].numel());
      ember::detail::fail<GradcheckError>(
          "gradcheck", "Jacobian mismatch for output ", o, " with respect to input ", wrt[k], ": at output element ",
          detail::coords(outputs[o].shape(), static_cast<std::int64_t>(at / in_n)), " and input element ",
          detail::coords(wrt_inputs[k].shape(), static_cast<std::int64_t>(at % in_n)), " the numerical gradient is ",
          num[at], " but the analytical one is ", an[at], " (|difference| ", std::abs(an[at] - num[at]), " > atol ",
          opt.atol, " + rtol ", opt.rtol, " * |numerical|)");
    }
  return true;
}

}  // namespace ember::autograd
