// Neural-network functions on tensors: linear, conv2d, max/avg/adaptive pooling, batch_norm,
// layer_norm, as ember.<name> (ember.nn.functional wraps them with PyTorch's conveniences).
#include "common.hpp"

namespace ember::python {

namespace {

/// Runs f(tensor) with input's float type T; TypeError naming op for other dtypes.
template <class F>
AnyTensor visit_float(const AnyTensor& input, const char* op, F&& f) {
  return input.visit([&](const auto& t) -> AnyTensor {
    using T = typename std::decay_t<decltype(t)>::value_type;
    if constexpr (FloatElement<T>) {
      return f(t);
    } else {
      detail::fail<TypeError>(op, "expected a float32 or float64 input, got dtype ", dtype_name(t.dtype()),
                              " (shape ", t.shape(), ")");
    }
  });
}

/// An optional tensor argument of element type T (None gives nullopt); TypeError naming op and the
/// argument when its dtype differs from the input's.
template <Element T>
std::optional<Tensor<T>> optional_arg(const std::optional<AnyTensor>& t, const char* op, const char* name) {
  if (!t) return std::nullopt;
  EMBER_CHECK_TYPE(t->dtype() == dtype_of<T>, op, name, " has dtype ", dtype_name(t->dtype()),
                   " but the input has dtype ", dtype_name(dtype_of<T>));
  return t->template get<T>(op);
}

/// An int or a pair of ints (height, width), as PyTorch's int-or-tuple arguments.
std::array<std::int64_t, 2> pair_from_py(py::handle h, const char* op, const char* name) {
  if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h)) {
    EMBER_CHECK_TYPE(PyLong_Check(h.ptr()) || py::hasattr(h, "__index__"), op, name,
                     " must be an int or a pair of ints, got ", std::string(py::str(py::type::of(h).attr("__name__"))));
    const std::int64_t v = int64_from_py(h, op);
    return {v, v};
  }
  const auto s = py::reinterpret_borrow<py::sequence>(h);
  EMBER_CHECK(s.size() == 1 || s.size() == 2, op, name, " must be an int or a pair of ints, got ", s.size(),
              " values");
  const std::int64_t a = int64_from_py(s[0], op), b = s.size() == 2 ? int64_from_py(s[1], op) : a;
  return {a, b};
}

using OptTensor = std::optional<AnyTensor>;

}  // namespace

void bind_nn(py::module_& m, TensorClass&) {
  m.def(
      "linear",
      [](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias) {
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "linear", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::linear(x, *optional_arg<T>(weight, "linear", "weight"),
                                         optional_arg<T>(bias, "linear", "bias")));
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
      "input @ weight.T + bias for input (*, in_features), weight (out_features, in_features), bias (out_features).");

  m.def(
      "conv2d",
      [](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias, py::handle stride,
         py::handle padding, py::handle dilation, std::int64_t groups) {
        Conv2dOptions o{pair_from_py(stride, "conv2d", "stride"), pair_from_py(padding, "conv2d", "padding"),
                        pair_from_py(dilation, "conv2d", "dilation"), groups};
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "conv2d", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::conv2d(x, *optional_arg<T>(weight, "conv2d", "weight"),
                                         optional_arg<T>(bias, "conv2d", "bias"), o));
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1,
      "2-d convolution of input (N, C, H, W) with weight (O, C/groups, kH, kW), plus bias (O).");

  m.def(
      "max_pool2d",
      [](const AnyTensor& input, py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation,
         bool ceil_mode) {
        Pool2dOptions o;
        o.kernel = pair_from_py(kernel_size, "max_pool2d", "kernel_size");
        if (!stride.is_none()) o.stride = pair_from_py(stride, "max_pool2d", "stride");
        o.padding = pair_from_py(padding, "max_pool2d", "padding");
        o.dilation = pair_from_py(dilation, "max_pool2d", "dilation");
        o.ceil_mode = ceil_mode;
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "max_pool2d", [&](const auto& x) { return AnyTensor(ember::max_pool2d(x, o)); });
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false,
      "The maximum over each kernel_size window of input (N, C, H, W); stride defaults to kernel_size.");

  m.def(
      "avg_pool2d",
      [](const AnyTensor& input, py::handle kernel_size, py::handle stride, py::handle padding, bool ceil_mode,
         bool count_include_pad) {
        Pool2dOptions o;
        o.kernel = pair_from_py(kernel_size, "avg_pool2d", "kernel_size");
        if (!stride.is_none()) o.stride = pair_from_py(stride, "avg_pool2d", "stride");
        o.padding = pair_from_py(padding, "avg_pool2d", "padding");
        o.ceil_mode = ceil_mode;
        o.count_include_pad = count_include_pad;
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "avg_pool2d", [&](const auto& x) { return AnyTensor(ember::avg_pool2d(x, o)); });
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
      "The mean over each kernel_size window of input (N, C, H, W); stride defaults to kernel_size.");

  m.def(
      "adaptive_avg_pool2d",
      [](const AnyTensor& input, py::handle output_size) {
        const auto size = pair_from_py(output_size, "adaptive_avg_pool2d", "output_size");
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "adaptive_avg_pool2d",
                           [&](const auto& x) { return AnyTensor(ember::adaptive_avg_pool2d(x, size)); });
      },
      py::arg("input"), py::arg("output_size"),
      "The mean over output_size windows that tile input (N, C, H, W) as evenly as possible.");

  m.def(
      "batch_norm",
      [](const AnyTensor& input, const OptTensor& running_mean, const OptTensor& running_var, const OptTensor& weight,
         const OptTensor& bias, bool training, double momentum, double eps) {
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "batch_norm", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::batch_norm(x, optional_arg<T>(running_mean, "batch_norm", "running_mean"),
                                             optional_arg<T>(running_var, "batch_norm", "running_var"),
                                             optional_arg<T>(weight, "batch_norm", "weight"),
                                             optional_arg<T>(bias, "batch_norm", "bias"), training, momentum, eps));
        });
      },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      "Batch normalization of input (N, C, *) per channel; in training, updates the running statistics in place.");

  m.def(
      "layer_norm",
      [](const AnyTensor& input, py::handle normalized_shape, const OptTensor& weight, const OptTensor& bias,
         double eps) {
        const Shape shape = shape_from_py(normalized_shape, "layer_norm");
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "layer_norm", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::layer_norm(x, shape, optional_arg<T>(weight, "layer_norm", "weight"),
                                             optional_arg<T>(bias, "layer_norm", "bias"), eps));
        });
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, "Layer normalization of input over its last dims, normalized_shape.");
}

}  // namespace ember::python
