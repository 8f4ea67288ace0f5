// Extra activations, normalization layers, channel dropout and losses (issue 21): the ops of
// ops/activation_extra.hpp, ops/normalization_extra.hpp and ops/loss_extra.hpp as ember._core.<name>
// (ember.nn.functional adapts PyTorch's arguments to them). Argument conversion only.
#include "common.hpp"
#include "ember/nn/activation_extra.hpp"
#include "ember/nn/dropout_extra.hpp"
#include "ember/nn/loss_extra.hpp"
#include "ember/nn/normalization_extra.hpp"
#include "ember/nn/unflatten.hpp"

namespace ember::python {

namespace {

using OptTensor = std::optional<AnyTensor>;

/// f(first as Tensor<T>, others as Tensor<T>...) with T the float type of the first tensor, or of the
/// promoted float dtype of all of them (float32 with float64: float64, as PyTorch); TypeError naming op
/// for a non-float first tensor. Integer operands (targets of 1 / -1) convert to T.
template <class F, class... A>
AnyTensor visit_floats(const char* op, F&& f, const AnyTensor& first, const A&... others) {
  MaybeReleaseGil g(first.numel());
  DType d = first.dtype();
  ((d = is_floating(others.dtype()) && is_floating(d) ? promote_types(d, others.dtype()) : d), ...);
  const AnyTensor x = d != first.dtype() && is_floating(first.dtype()) ? first.to(d) : first;
  return visit_float(x, op, [&](const auto& t) {
    using T = typename std::decay_t<decltype(t)>::value_type;
    return AnyTensor(f(t, others.template as<T>()...));
  });
}

}  // namespace

void bind_nn_extra(py::module_& m, TensorClass&) {
  // --- activations (each takes the input's float type; op(x, options...)) ---
  m.def(
      "elu", [](const AnyTensor& input, double alpha, bool inplace) {
        return visit_float(input, "elu", [&](const auto& x) { return inplace ? AnyTensor(elu_(x, alpha)) : AnyTensor(elu(x, alpha)); });
      },
      py::arg("input"), py::arg("alpha") = 1.0, py::arg("inplace") = false,
      "x where x > 0, alpha * (exp(x) - 1) elsewhere; with inplace, written into input.");
  m.def(
      "selu", [](const AnyTensor& input, bool inplace) {
        return visit_float(input, "selu", [&](const auto& x) { return inplace ? AnyTensor(selu_(x)) : AnyTensor(selu(x)); });
      },
      py::arg("input"), py::arg("inplace") = false, "scale * elu(x, alpha) with SELU's constants.");
  m.def(
      "celu", [](const AnyTensor& input, double alpha, bool inplace) {
        return visit_float(input, "celu", [&](const auto& x) { return inplace ? AnyTensor(celu_(x, alpha)) : AnyTensor(celu(x, alpha)); });
      },
      py::arg("input"), py::arg("alpha") = 1.0, py::arg("inplace") = false,
      "max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).");
  m.def(
      "softplus", [](const AnyTensor& input, double beta, double threshold) {
        return visit_float(input, "softplus", [&](const auto& x) { return AnyTensor(softplus(x, beta, threshold)); });
      },
      py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0,
      "log(1 + exp(beta x)) / beta, x itself where beta x > threshold.");
  m.def(
      "mish", [](const AnyTensor& input, bool inplace) {
        return visit_float(input, "mish", [&](const auto& x) { return inplace ? AnyTensor(mish_(x)) : AnyTensor(mish(x)); });
      },
      py::arg("input"), py::arg("inplace") = false, "x * tanh(softplus(x)).");
  m.def(
      "hardswish", [](const AnyTensor& input, bool inplace) {
        return visit_float(input, "hardswish", [&](const auto& x) { return inplace ? AnyTensor(hardswish_(x)) : AnyTensor(hardswish(x)); });
      },
      py::arg("input"), py::arg("inplace") = false, "x * relu6(x + 3) / 6.");
  m.def(
      "hardsigmoid", [](const AnyTensor& input, bool inplace) {
        return visit_float(input, "hardsigmoid", [&](const auto& x) { return inplace ? AnyTensor(hardsigmoid_(x)) : AnyTensor(hardsigmoid(x)); });
      },
      py::arg("input"), py::arg("inplace") = false, "relu6(x + 3) / 6.");
  m.def(
      "hardtanh", [](const AnyTensor& input, double min_val, double max_val, bool inplace) {
        return visit_float(input, "hardtanh", [&](const auto& x) {
          return inplace ? AnyTensor(hardtanh_(x, min_val, max_val)) : AnyTensor(hardtanh(x, min_val, max_val));
        });
      },
      py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0, py::arg("inplace") = false,
      "x clamped to [min_val, max_val]; the gradient is 0 at and beyond the bounds.");
  m.def(
      "relu6", [](const AnyTensor& input, bool inplace) {
        return visit_float(input, "relu6", [&](const auto& x) { return inplace ? AnyTensor(relu6_(x)) : AnyTensor(relu6(x)); });
      },
      py::arg("input"), py::arg("inplace") = false, "min(max(x, 0), 6).");
  m.def(
      "prelu", [](const AnyTensor& input, const AnyTensor& weight) {
        return visit_float(input, "prelu", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(prelu(x, *optional_arg<T>(weight, "prelu", "weight")));
        });
      },
      py::arg("input"), py::arg("weight"), "x where x > 0, weight * x elsewhere (weight per channel, dim 1).");
  m.def(
      "logsigmoid", [](const AnyTensor& input) {
        return visit_float(input, "log_sigmoid", [&](const auto& x) { return AnyTensor(logsigmoid(x)); });
      },
      py::arg("input"), "log(sigmoid(x)), computed stably.");
  m.def(
      "softsign", [](const AnyTensor& input) {
        return visit_float(input, "softsign", [&](const auto& x) { return AnyTensor(softsign(x)); });
      },
      py::arg("input"), "``x / (1 + |x|)``.");
  m.def(
      "tanhshrink", [](const AnyTensor& input) {
        return visit_float(input, "tanhshrink", [&](const auto& x) { return AnyTensor(tanhshrink(x)); });
      },
      py::arg("input"), "x - tanh(x).");
  m.def(
      "softmin", [](const AnyTensor& input, std::int64_t dim) {
        return visit_float(input, "softmin", [&](const auto& x) { return AnyTensor(softmin(x, dim)); });
      },
      py::arg("input"), py::arg("dim"), "softmax(-x) along dim.");
  m.def(
      "hardshrink", [](const AnyTensor& input, double lambd) {
        return visit_float(input, "hardshrink", [&](const auto& x) { return AnyTensor(hardshrink(x, lambd)); });
      },
      py::arg("input"), py::arg("lambd") = 0.5, "0 where ``|x| <= lambd``, x elsewhere.");
  m.def(
      "softshrink", [](const AnyTensor& input, double lambd) {
        return visit_float(input, "softshrink", [&](const auto& x) { return AnyTensor(softshrink(x, lambd)); });
      },
      py::arg("input"), py::arg("lambd") = 0.5, "x - lambd above lambd, x + lambd below -lambd, 0 between.");
  m.def(
      "threshold", [](const AnyTensor& input, double threshold_value, double value, bool inplace) {
        return visit_float(input, "threshold", [&](const auto& x) {
          return inplace ? AnyTensor(threshold_(x, threshold_value, value)) : AnyTensor(threshold(x, threshold_value, value));
        });
      },
      py::arg("input"), py::arg("threshold"), py::arg("value"), py::arg("inplace") = false,
      "value where x <= threshold, x elsewhere.");
  m.def(
      "glu", [](const AnyTensor& input, std::int64_t dim) {
        return visit_float(input, "glu", [&](const auto& x) { return AnyTensor(glu(x, dim)); });
      },
      py::arg("input"), py::arg("dim") = -1, "a * sigmoid(b) for the halves a, b of input along dim.");
  // --- the modules' constructor checks, one definition in C++ (nn/*_extra.hpp) for both languages ---
  m.def("_check_group_norm", &nn::check_group_norm_options, py::arg("num_groups"), py::arg("num_channels"),
        "GroupNorm's constructor check: ValueError unless num_channels is divisible by num_groups > 0.");
  m.def("_check_hardtanh", [](const std::string& name, double min_val, double max_val) {
    nn::check_hardtanh_options(name.c_str(), min_val, max_val);
  }, py::arg("name"), py::arg("min_val"), py::arg("max_val"),
        "Hardtanh's constructor check (name: the layer's class): ValueError unless max_val > min_val.");
  m.def("_check_prelu", &nn::check_prelu_options, py::arg("num_parameters"),
        "PReLU's constructor check: ValueError unless num_parameters >= 1.");
  // --- normalization ---
  m.def(
      "group_norm",
      [](const AnyTensor& input, std::int64_t num_groups, const OptTensor& weight, const OptTensor& bias, double eps) {
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "group_norm", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(group_norm(x, num_groups, optional_arg<T>(weight, "group_norm", "weight"),
                                      optional_arg<T>(bias, "group_norm", "bias"), eps));
        });
      },
      py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, "Group normalization of input ``(N, C, *)`` over num_groups groups of channels.");
  m.def(
      "instance_norm",
      [](const AnyTensor& input, const OptTensor& running_mean, const OptTensor& running_var, const OptTensor& weight,
         const OptTensor& bias, bool use_input_stats, double momentum, double eps) {
        constexpr const char* op = "instance_norm";
        // bfloat16 running statistics are updated on float32 copies, then rounded back (as batch_norm's)
        const OptTensor mean = bf16::widened(running_mean), var = bf16::widened(running_var);
        MaybeReleaseGil g(input.numel());
        AnyTensor y = visit_float(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(instance_norm(x, optional_arg<T>(mean, op, "running_mean"),
                                         optional_arg<T>(var, op, "running_var"),
                                         optional_arg<T>(weight, op, "weight"), optional_arg<T>(bias, op, "bias"),
                                         use_input_stats, momentum, eps));
        });
        if (use_input_stats) {
          bf16::round_into(running_mean, mean);
          bf16::round_into(running_var, var);
        }
        return y;
      },
      py::arg("input"), py::arg("running_mean") = py::none(), py::arg("running_var") = py::none(),
      py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("use_input_stats") = true,
      py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      "Instance normalization of input ``(N, C, *)``: each channel of each sample over its spatial dims.");
  m.def(
      "rms_norm",
      [](const AnyTensor& input, py::handle normalized_shape, const OptTensor& weight, std::optional<double> eps) {
        const Shape shape = shape_from_py(normalized_shape, "rms_norm");
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "rms_norm", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(rms_norm(x, shape, optional_arg<T>(weight, "rms_norm", "weight"), eps));
        });
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("eps") = py::none(),
      "input / sqrt(mean(input**2) + eps) * weight over the last dims, normalized_shape.");
  m.def(
      "_check_instance_norm_input",
      [](py::handle shape, std::int64_t num_features, bool affine, const std::string& layer) {
        return nn::check_instance_norm_input(shape_from_py(shape, layer.c_str()), num_features, affine, layer);
      },
      py::arg("shape"), py::arg("num_features"), py::arg("affine"), py::arg("layer"),
      "ember::nn::InstanceNorm1d/2d's check of the input's shape; True when it is unbatched.");

  // --- channel dropout and Unflatten ---
  m.def(
      "dropout1d",
      [](const AnyTensor& input, double p, bool training) {
        return visit_float(input, "dropout1d", [&](const auto& x) { return AnyTensor(dropout1d(x, p, training)); });
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      "Zeroes whole channels of (N, C, L) or (C, L) input with probability p, scaling the rest by 1 / (1 - p).");
  m.def(
      "dropout2d",
      [](const AnyTensor& input, double p, bool training) {
        return visit_float(input, "dropout2d", [&](const auto& x) { return AnyTensor(dropout2d(x, p, training)); });
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      "Zeroes whole channels of (N, C, H, W) input with probability p, scaling the rest by 1 / (1 - p).");
  m.def(
      "_unflatten_shape",
      [](py::handle shape, std::int64_t dim, py::handle sizes) {
        const Shape out = nn::unflatten_shape(shape_from_py(shape, "Unflatten"), dim, shape_from_py(sizes, "Unflatten"));
        return py::tuple(py::cast(std::vector<std::int64_t>(out.begin(), out.end())));
      },
      py::arg("shape"), py::arg("dim"), py::arg("unflattened_size"),
      "ember::nn::Unflatten's output shape (and checks) for an input of this shape.");
  // --- losses (reduction: "mean", "sum" or "none"; kl_div also "batchmean") ---
  m.def(
      "kl_div",
      [](const AnyTensor& input, const AnyTensor& target, std::string reduction, bool log_target) {
        return visit_floats("kl_div", [&](const auto& x, const auto& t) { return kl_div(x, t, reduction, log_target); },
                            input, target);
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("log_target") = false,
      "Kullback-Leibler divergence of target from log-probabilities input.");
  m.def(
      "cosine_similarity",
      [](const AnyTensor& x1, const AnyTensor& x2, std::int64_t dim, double eps) {
        return visit_floats("cosine_similarity", [&](const auto& a, const auto& b) { return cosine_similarity(a, b, dim, eps); },
                            x1, x2);
      },
      py::arg("x1"), py::arg("x2"), py::arg("dim") = 1, py::arg("eps") = 1e-8,
      "Cosine similarity of x1 and x2 (broadcast together) along dim.");
  m.def(
      "normalize",
      [](const AnyTensor& input, double p, std::int64_t dim, double eps) {
        return visit_float(input, "normalize", [&](const auto& x) { return AnyTensor(normalize(x, p, dim, eps)); });
      },
      py::arg("input"), py::arg("p") = 2.0, py::arg("dim") = 1, py::arg("eps") = 1e-12,
      "input divided by its p-norm along dim, the norm at least eps.");
  m.def(
      "pairwise_distance",
      [](const AnyTensor& x1, const AnyTensor& x2, double p, double eps, bool keepdim) {
        return visit_floats("pairwise_distance",
                            [&](const auto& a, const auto& b) { return pairwise_distance(a, b, p, eps, keepdim); }, x1, x2);
      },
      py::arg("x1"), py::arg("x2"), py::arg("p") = 2.0, py::arg("eps") = 1e-6, py::arg("keepdim") = false,
      "The p-norm of x1 - x2 + eps along the last dim.");
  m.def(
      "cosine_embedding_loss",
      [](const AnyTensor& input1, const AnyTensor& input2, const AnyTensor& target, double margin,
         std::string_view reduction) {
        constexpr const char* op = "cosine_embedding_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_floats(op, [&](const auto& a, const auto& b, const auto& t) {
          return cosine_embedding_loss(a, b, t, margin, r);
        }, input1, input2, target);
      },
      py::arg("input1"), py::arg("input2"), py::arg("target"), py::arg("margin") = 0.0, py::arg("reduction") = "mean",
      "1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1.");
  m.def(
      "margin_ranking_loss",
      [](const AnyTensor& input1, const AnyTensor& input2, const AnyTensor& target, double margin,
         std::string_view reduction) {
        constexpr const char* op = "margin_ranking_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_floats(op, [&](const auto& a, const auto& b, const auto& t) {
          return margin_ranking_loss(a, b, t, margin, r);
        }, input1, input2, target);
      },
      py::arg("input1"), py::arg("input2"), py::arg("target"), py::arg("margin") = 0.0, py::arg("reduction") = "mean",
      "max(0, -target * (input1 - input2) + margin).");
  m.def(
      "triplet_margin_loss",
      [](const AnyTensor& anchor, const AnyTensor& positive, const AnyTensor& negative, double margin, double p,
         double eps, bool swap, std::string_view reduction) {
        constexpr const char* op = "triplet_margin_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_floats(op, [&](const auto& a, const auto& b, const auto& c) {
          return triplet_margin_loss(a, b, c, margin, p, eps, swap, r);
        }, anchor, positive, negative);
      },
      py::arg("anchor"), py::arg("positive"), py::arg("negative"), py::arg("margin") = 1.0, py::arg("p") = 2.0,
      py::arg("eps") = 1e-6, py::arg("swap") = false, py::arg("reduction") = "mean",
      "max(0, margin + d(anchor, positive) - d(anchor, negative)) with the pairwise p-norm distance d.");
  m.def(
      "poisson_nll_loss",
      [](const AnyTensor& input, const AnyTensor& target, bool log_input, bool full, double eps,
         std::string_view reduction) {
        constexpr const char* op = "poisson_nll_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_floats(op, [&](const auto& x, const auto& t) {
          return poisson_nll_loss(x, t, log_input, full, eps, r);
        }, input, target);
      },
      py::arg("input"), py::arg("target"), py::arg("log_input") = true, py::arg("full") = false,
      py::arg("eps") = 1e-8, py::arg("reduction") = "mean", "Poisson negative log likelihood of target given input.");
  m.def(
      "gaussian_nll_loss",
      [](const AnyTensor& input, const AnyTensor& target, const AnyTensor& var, bool full, double eps,
         std::string_view reduction) {
        constexpr const char* op = "gaussian_nll_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_floats(op, [&](const auto& x, const auto& t, const auto& v) {
          return gaussian_nll_loss(x, t, v, full, eps, r);
        }, input, target, var);
      },
      py::arg("input"), py::arg("target"), py::arg("var"), py::arg("full") = false, py::arg("eps") = 1e-6,
      py::arg("reduction") = "mean", "Gaussian negative log likelihood of target given means input and variances var.");
  m.def(
      "multilabel_soft_margin_loss",
      [](const AnyTensor& input, const AnyTensor& target, const OptTensor& weight, std::string_view reduction) {
        constexpr const char* op = "multilabel_soft_margin_loss";
        const Reduction r = parse_reduction(reduction, op);
        return visit_floats(op, [&](const auto& x, const auto& t) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return multilabel_soft_margin_loss(x, t, weight ? OptionalTensor<T>(weight->template as<T>()) : std::nullopt, r);
        }, input, target);
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      "Multi-label one-versus-all logistic loss, averaged over the classes (the last dim).");
}

}  // namespace ember::python
