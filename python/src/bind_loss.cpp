// Losses and one_hot (include/ember/ops/loss.hpp) as ember.<name>; ember.nn.functional adds PyTorch's
// legacy size_average/reduce arguments and the broadcasting warning. Argument conversion only: the
// reduction string, optional tensors, and a float target of another float dtype promoted with the input.
#include "common.hpp"

namespace ember::python {

namespace {

using OptTensor = std::optional<AnyTensor>;

/// f(input as Tensor<T>, target as Tensor<U>) for a float input; TypeError naming op otherwise. A float
/// target of another float dtype promotes both (float32 input, float64 target: float64 loss, as PyTorch).
template <class F>
AnyTensor visit_loss(const AnyTensor& input, const AnyTensor& target, const char* op, F&& f) {
  if (bf16::is(input) || bf16::is(target))  // computed in float32; a bfloat16 input gives a bfloat16 loss
    return bf16::call(false, true, [&](const AnyTensor& x, const AnyTensor& t) { return visit_loss(x, t, op, f); },
                      input, target);
  MaybeReleaseGil g(input.numel());
  const bool promote = is_floating(input.dtype()) && is_floating(target.dtype()) && input.dtype() != target.dtype();
  const AnyTensor x = promote ? input.to(promote_types(input.dtype(), target.dtype())) : input;
  const AnyTensor t = promote ? target.to(x.dtype()) : target;
  return x.visit([&](const auto& xt) -> AnyTensor {
    using T = typename std::decay_t<decltype(xt)>::value_type;
    if constexpr (FloatElement<T>) {
      return t.visit([&](const auto& tt) { return AnyTensor(f(xt, tt)); });
    } else {
      detail::fail<TypeError>(op, "expected a float32 or float64 input, got dtype ", dtype_name(xt.dtype()),
                              " (shape ", xt.shape(), ")");
    }
  });
}

/// An optional float tensor argument as the input's type T.
template <FloatElement T>
OptionalTensor<T> opt(const OptTensor& t, const char* op, const char* name) {
  if (!t) return std::nullopt;
  EMBER_CHECK_TYPE(is_floating(t->dtype()), op, name, " must be a float tensor, got dtype ", dtype_name(t->dtype()));
  return t->template as<T>();
}

}  // namespace

void bind_loss(py::module_& m, TensorClass&) {
  m.def(
      "cross_entropy",
      [](const AnyTensor& input, const AnyTensor& target, const OptTensor& weight, std::int64_t ignore_index,
         std::string_view reduction, double label_smoothing) {
        constexpr const char* op = "cross_entropy";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return cross_entropy(x, t, CrossEntropyOptions<T>{opt<T>(weight, op, "weight"), ignore_index, r,
                                                            label_smoothing});
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
      py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0,
      "Cross entropy of logits (C), (N, C) or (N, C, d1, ...) against integer class indices or class "
      "probabilities of the input's shape.");

  m.def(
      "nll_loss",
      [](const AnyTensor& input, const AnyTensor& target, const OptTensor& weight, std::int64_t ignore_index,
         std::string_view reduction) {
        constexpr const char* op = "nll_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return nll_loss(x, t, NLLLossOptions<T>{opt<T>(weight, op, "weight"), ignore_index, r});
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
      py::arg("reduction") = "mean",
      "Negative log likelihood of integer class indices given log-probabilities (C), (N, C) or (N, C, d1, ...).");

  m.def(
      "binary_cross_entropy",
      [](const AnyTensor& input, const AnyTensor& target, const OptTensor& weight, std::string_view reduction) {
        constexpr const char* op = "binary_cross_entropy";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return binary_cross_entropy(x, t, BCEOptions<T>{opt<T>(weight, op, "weight"), r});
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      "Binary cross entropy of probabilities against targets in [0, 1] (logs clamped at -100).");

  m.def(
      "binary_cross_entropy_with_logits",
      [](const AnyTensor& input, const AnyTensor& target, const OptTensor& weight, std::string_view reduction,
         const OptTensor& pos_weight) {
        constexpr const char* op = "binary_cross_entropy_with_logits";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return binary_cross_entropy_with_logits(
              x, t, BCEWithLogitsOptions<T>{opt<T>(weight, op, "weight"), r, opt<T>(pos_weight, op, "pos_weight")});
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      py::arg("pos_weight") = py::none(),
      "Binary cross entropy of sigmoid(input) against targets in [0, 1], computed stably from the logits.");

  m.def(
      "mse_loss",
      [](const AnyTensor& input, const AnyTensor& target, std::string_view reduction, const OptTensor& weight) {
        constexpr const char* op = "mse_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return mse_loss(x, t.template to<T>(), r, opt<T>(weight, op, "weight"));
        });
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("weight") = py::none(),
      "Mean squared error (input - target) ** 2, input and target broadcast together.");

  m.def(
      "l1_loss",
      [](const AnyTensor& input, const AnyTensor& target, std::string_view reduction) {
        constexpr const char* op = "l1_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return l1_loss(x, t.template to<T>(), r);
        });
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
      "Mean absolute error ``|input - target|``, input and target broadcast together.");

  m.def(
      "smooth_l1_loss",
      [](const AnyTensor& input, const AnyTensor& target, std::string_view reduction, double beta) {
        constexpr const char* op = "smooth_l1_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return smooth_l1_loss(x, t.template to<T>(), r, beta);
        });
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("beta") = 1.0,
      "Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target).");
  m.def(
      "huber_loss",
      [](const AnyTensor& input, const AnyTensor& target, std::string_view reduction, double delta) {
        constexpr const char* op = "huber_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_loss(input, target, op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return huber_loss(x, t.template to<T>(), r, delta);
        });
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("delta") = 1.0,
      "Huber: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (d = input - target).");

  m.def(
      "one_hot",
      [](const AnyTensor& tensor, std::int64_t num_classes) {
        return tensor.visit([&](const auto& t) { return AnyTensor(one_hot(t, num_classes)); });
      },
      py::arg("tensor"), py::arg("num_classes") = -1,
      "int64 one-hot encoding: ``(*)`` integer class indices -> ``(*, num_classes)``, inferred as max + 1 when -1.");
}

}  // namespace ember::python
