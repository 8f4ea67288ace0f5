// Optimizer update rules for ember.optim: one private function per rule, applied to one parameter.
// The Python classes (ember/optim/*.py) keep the parameter groups and state; the math is here.
#include "common.hpp"

namespace ember::python {

namespace {

// Calls f(p, g): param and grad as Tensor<T>s of param's floating type. A bfloat16 parameter is updated in
// float32 (a widened copy, its gradient widened, its state float32: see Optimizer._count_step) and rounded
// back once, so that small steps are not each rounded away on a bfloat16 running value.
template <class F>
void dispatch_param(const AnyTensor& param, const AnyTensor& grad, const char* op, F&& f) {
  if (param.is<bfloat16>()) {
    const Tensor<bfloat16> p = param.get<bfloat16>();
    NoGradGuard no_grad;
    const Tensor<float> wide = p.detach().to<float>();
    f(wide, grad.is<bfloat16>() ? grad.get<bfloat16>().detach().to<float>() : grad.get<float>(op));
    p.storage()->bump_version();
    detail::copy_cast(p, wide);
    return;
  }
  if (param.is<float>()) return f(param.get<float>(), grad.get<float>(op));
  EMBER_CHECK_TYPE(param.is<double>(), op, "parameters must be float32, float64 or bfloat16, got dtype ",
                   dtype_name(param.dtype()));
  f(param.get<double>(), grad.get<double>(op));
}

// The Tensor<T> behind an optional state argument (None: undefined).
template <FloatElement T>
Tensor<T> optional_state(py::handle h, const char* op) {
  if (h.is_none()) return Tensor<T>();
  const AnyTensor* t = tensor_ptr(h);
  EMBER_CHECK_TYPE(t != nullptr, op, "optimizer state must be a Tensor or None");
  return t->get<T>(op);
}

}  // namespace

void bind_optim(py::module_& m, TensorClass&) {
  m.def("_sgd_step", [](const AnyTensor& param, const AnyTensor& grad, py::handle momentum_buffer, double lr,
                        double momentum, double dampening, double weight_decay, bool nesterov, bool maximize) {
    AnyTensor buf_out;
    dispatch_param(param, grad, "sgd_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      Tensor<T> buf = optional_state<T>(momentum_buffer, "sgd_step");
      MaybeReleaseGil gil(param.numel());
      optim::sgd_step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize);
      if (buf.defined()) buf_out = buf;
    });
    return buf_out.defined() ? py::cast(std::move(buf_out)) : py::none();
  }, py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"), py::arg("momentum"),
     py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"),
     "One SGD update of param in place; returns the momentum buffer (created on the first step) or None.");

  m.def("_adam_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& exp_avg,
                         const AnyTensor& exp_avg_sq, py::handle max_exp_avg_sq, std::int64_t step, double lr,
                         double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                         bool decoupled_weight_decay, bool maximize) {
    dispatch_param(param, grad, "adam_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      const Tensor<T> vmax = optional_state<T>(max_exp_avg_sq, "adam_step");
      MaybeReleaseGil gil(param.numel());
      optim::adam_step(p, g, exp_avg.get<T>("adam_step"), exp_avg_sq.get<T>("adam_step"), vmax, step, lr, beta1,
                       beta2, eps, weight_decay, amsgrad, decoupled_weight_decay, maximize);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"),
     py::arg("step"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
     py::arg("amsgrad"), py::arg("decoupled_weight_decay"), py::arg("maximize"),
     "One Adam (AdamW when decoupled_weight_decay) update of param and its moment estimates in place.");

  m.def("_rmsprop_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& square_avg,
                            py::handle grad_avg, py::handle momentum_buffer, double lr, double alpha, double eps,
                            double weight_decay, double momentum, bool centered, bool maximize) {
    dispatch_param(param, grad, "rmsprop_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      const Tensor<T> ga = optional_state<T>(grad_avg, "rmsprop_step");
      const Tensor<T> buf = optional_state<T>(momentum_buffer, "rmsprop_step");
      MaybeReleaseGil gil(param.numel());
      optim::rmsprop_step(p, g, square_avg.get<T>("rmsprop_step"), ga, buf, lr, alpha, eps, weight_decay, momentum,
                          centered, maximize);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("grad_avg"), py::arg("momentum_buffer"),
     py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
     py::arg("centered"), py::arg("maximize"), "One RMSprop update of param and its running averages in place.");
  m.def("_adadelta_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& square_avg,
                             const AnyTensor& acc_delta, double lr, double rho, double eps, double weight_decay,
                             bool maximize) {
    dispatch_param(param, grad, "adadelta_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      MaybeReleaseGil gil(param.numel());
      optim::adadelta_step(p, g, square_avg.get<T>("adadelta_step"), acc_delta.get<T>("adadelta_step"), lr, rho, eps,
                           weight_decay, maximize);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("acc_delta"), py::arg("lr"), py::arg("rho"),
     py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
     "One Adadelta update of param and its running averages in place.");

  m.def("_adagrad_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& sum, std::int64_t step,
                            double lr, double lr_decay, double weight_decay, double eps, bool maximize) {
    dispatch_param(param, grad, "adagrad_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      MaybeReleaseGil gil(param.numel());
      optim::adagrad_step(p, g, sum.get<T>("adagrad_step"), step, lr, lr_decay, weight_decay, eps, maximize);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("sum"), py::arg("step"), py::arg("lr"), py::arg("lr_decay"),
     py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"),
     "One Adagrad update of param and its sum of squared gradients in place.");

  m.def("_adamax_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& exp_avg,
                           const AnyTensor& exp_inf, std::int64_t step, double lr, double beta1, double beta2,
                           double eps, double weight_decay, bool maximize) {
    dispatch_param(param, grad, "adamax_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      MaybeReleaseGil gil(param.numel());
      optim::adamax_step(p, g, exp_avg.get<T>("adamax_step"), exp_inf.get<T>("adamax_step"), step, lr, beta1, beta2,
                         eps, weight_decay, maximize);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_inf"), py::arg("step"), py::arg("lr"),
     py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
     "One Adamax update of param and its moment estimates in place.");

  m.def("_nadam_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& exp_avg,
                          const AnyTensor& exp_avg_sq, std::int64_t step, double mu_product, double lr, double beta1,
                          double beta2, double eps, double weight_decay, double momentum_decay,
                          bool decoupled_weight_decay, bool maximize) {
    double out = 0;
    dispatch_param(param, grad, "nadam_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      MaybeReleaseGil gil(param.numel());
      out = optim::nadam_step(p, g, exp_avg.get<T>("nadam_step"), exp_avg_sq.get<T>("nadam_step"), step, mu_product,
                              lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize);
    });
    return out;
  }, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("step"),
     py::arg("mu_product"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
     py::arg("weight_decay"), py::arg("momentum_decay"), py::arg("decoupled_weight_decay"), py::arg("maximize"),
     "One NAdam update of param and its moment estimates in place; returns the new mu_product.");

  m.def("_radam_step", [](const AnyTensor& param, const AnyTensor& grad, const AnyTensor& exp_avg,
                          const AnyTensor& exp_avg_sq, std::int64_t step, double lr, double beta1, double beta2,
                          double eps, double weight_decay, bool decoupled_weight_decay, bool maximize) {
    dispatch_param(param, grad, "radam_step", [&](const auto& p, const auto& g) {
      using T = typename std::decay_t<decltype(p)>::value_type;
      MaybeReleaseGil gil(param.numel());
      optim::radam_step(p, g, exp_avg.get<T>("radam_step"), exp_avg_sq.get<T>("radam_step"), step, lr, beta1, beta2,
                        eps, weight_decay, decoupled_weight_decay, maximize);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("step"), py::arg("lr"),
     py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled_weight_decay"),
     py::arg("maximize"), "One RAdam update of param and its moment estimates in place.");
}

}  // namespace ember::python
