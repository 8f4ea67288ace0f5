// Autograd: Tensor.requires_grad / grad / backward / grad_fn / detach, grad mode, and the functions
// behind ember.autograd (grad, backward, gradcheck). The Python layer (ember/autograd.py) adds the
// no_grad / enable_grad context managers on top of _set_grad_enabled.
#include <cctype>

#include "common.hpp"

namespace ember::python {

namespace {

std::vector<AnyTensor> tensors_from_py(py::handle h, const char* what) {
  std::vector<AnyTensor> out;
  if (const AnyTensor* t = tensor_ptr(h)) {
    out.push_back(*t);
    return out;
  }
  for (py::handle item : py::iter(h)) {
    const AnyTensor* t = tensor_ptr(item);
    EMBER_CHECK_TYPE(t != nullptr, what, "expected a Tensor or a sequence of Tensors, got an element of type ",
                     std::string(py::str(py::type::of(item).attr("__name__"))));
    out.push_back(*t);
  }
  return out;
}

// Gradients given per output; None entries mean "implicit" (scalar outputs).
std::vector<AnyTensor> grads_from_py(py::handle h, std::size_t n, const char* what) {
  if (h.is_none()) return {};
  std::vector<AnyTensor> out;
  if (const AnyTensor* t = tensor_ptr(h)) {
    out.push_back(*t);
  } else {
    for (py::handle item : py::iter(h)) {
      if (item.is_none()) {
        out.emplace_back();
        continue;
      }
      const AnyTensor* t = tensor_ptr(item);
      EMBER_CHECK_TYPE(t != nullptr, what, "gradients must be Tensors or None");
      out.push_back(*t);
    }
  }
  EMBER_CHECK(out.size() == n, what, "got ", n, " tensors but ", out.size(), " gradients");
  return out;
}

// "mul" -> "MulBackward", "log_softmax" -> "LogSoftmaxBackward" (PyTorch's naming).
std::string node_name(const autograd::Node& n) {
  std::string s;
  bool upper = true;
  for (const char* c = n.name; *c; ++c) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    s += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return n.is_accumulator ? s : s + "Backward";
}

}  // namespace

void bind_autograd(py::module_& m, TensorClass& cls) {
  py::register_exception<autograd::GradcheckError>(m, "GradcheckError", PyExc_RuntimeError);

  py::class_<autograd::Node, std::shared_ptr<autograd::Node>>(m, "Node",
                                                              "A recorded op of the autograd graph (Tensor.grad_fn).")
      .def("name", &node_name, "The op's backward name, e.g. 'MulBackward'.")
      .def_property_readonly("next_functions", [](const autograd::Node& n) {
        py::list out;
        for (const auto& next : n.next) out.append(py::make_tuple(next ? py::cast(next) : py::none(), 0));
        return py::tuple(out);
      }, "((node or None, 0), ...): where the gradient of each input goes.")
      .def("__repr__", [](const autograd::Node& n) { return "<" + node_name(n) + ">"; });

  cls.def_property("requires_grad", [](const AnyTensor& t) { return t.requires_grad(); },
                   [](const AnyTensor& t, bool r) { t.visit_any([r](const auto& x) { x.requires_grad_(r); }); },
                   "Whether gradients flow to this tensor (settable on leaves).")
      .def("requires_grad_", [](py::object self, bool r) {
        self.cast<const AnyTensor&>().visit_any([r](const auto& x) { x.requires_grad_(r); });
        return self;
      }, py::arg("requires_grad") = true, "Marks this leaf as needing its gradient; returns self.")
      .def_property_readonly("is_leaf", [](const AnyTensor& t) { return t.visit_any([](const auto& x) { return x.is_leaf(); }); },
                             "True unless a recorded op made this tensor.")
      .def_property("grad", [](const AnyTensor& t) -> py::object {
        return t.visit_any([](const auto& x) -> py::object {
          auto g = x.grad();
          return g.defined() ? py::cast(AnyTensor(g)) : py::none();
        });
      }, [](const AnyTensor& t, py::handle g) {
        t.visit_any([&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          if (g.is_none()) return x.set_grad(Tensor<T>());
          const AnyTensor* v = tensor_ptr(g);
          EMBER_CHECK_TYPE(v != nullptr, "grad", "assigned grad must be a Tensor or None");
          EMBER_CHECK_TYPE(v->dtype() == t.dtype(), "grad", "assigned grad has dtype ", dtype_name(v->dtype()),
                           " but the tensor has dtype ", dtype_name(t.dtype()));
          x.set_grad(v->get<T>());
        });
      }, "The gradient backward() accumulated, or None.")
      .def_property_readonly("grad_fn", [](const AnyTensor& t) { return t.visit_any([](const auto& x) { return x.grad_fn(); }); },
                             "The node that made this tensor (None for leaves).")
      .def("backward", [](const AnyTensor& t, py::handle gradient, std::optional<bool> retain_graph, bool create_graph) {
        EMBER_CHECK(!create_graph, "backward", "create_graph=True (higher-order gradients) is not supported");
        AnyTensor g;
        if (!gradient.is_none()) {
          const AnyTensor* p = tensor_ptr(gradient);
          EMBER_CHECK_TYPE(p != nullptr, "backward", "gradient must be a Tensor");
          g = *p;
        }
        py::gil_scoped_release release;  // a whole backward pass: worth ~100 ns
        autograd::backward(std::span<const AnyTensor>(&t, 1), g.defined() ? std::span<const AnyTensor>(&g, 1)
                                                                          : std::span<const AnyTensor>(),
                           retain_graph.value_or(false));
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
         "Accumulates the gradient of this tensor into every leaf's .grad (gradient may be omitted for one element).")
      .def("retain_grad", [](const AnyTensor& t) { t.visit_any([](const auto& x) { x.retain_grad(); }); },
           "Makes backward() fill .grad of this non-leaf tensor too.")
      .def_property_readonly("retains_grad", [](const AnyTensor& t) {
        return t.visit_any([](const auto& x) { return x.retains_grad(); });
      }, "True when backward() fills .grad of this non-leaf tensor.")
      .def("detach", [](const AnyTensor& t) { return t.visit_any([](const auto& x) { return AnyTensor(x.detach()); }); },
           "The same memory, cut from the autograd graph (requires_grad False).")
      .def_property_readonly("_version", [](const AnyTensor& t) {
        return t.visit_any([](const auto& x) { return x.version(); });
      }, "How many in-place writes this tensor's memory has seen.");

  m.def("is_grad_enabled", &is_grad_enabled, "True when ops record gradients on this thread.");
  m.def("_set_grad_enabled", &set_grad_enabled, py::arg("mode"), "Turns gradient recording on or off (this thread).");
  m.def("_is_anomaly_enabled", &is_anomaly_enabled, "True when backward checks its gradients for NaN.");
  m.def("_set_detect_anomaly", &set_detect_anomaly, py::arg("mode"),
        "Turns anomaly detection on or off (process-wide).");
  m.def("_autocast_bf16", [] { return autocast_precision() == MatmulPrecision::BFloat16; },
        "True when this thread's float32 products and convolutions compute in bfloat16 (ember.autocast).");
  m.def("_set_autocast_bf16", [](bool on) {
    const bool previous = autocast_precision() == MatmulPrecision::BFloat16;
    detail::autocast_precision_ = on ? MatmulPrecision::BFloat16 : MatmulPrecision::Float32;
    return previous;
  }, py::arg("on"), "Sets this thread's autocast state and returns the previous one (ember.autocast).");
  m.def("_backward", [](py::handle tensors, py::handle grad_tensors, bool retain_graph) {
    const auto outs = tensors_from_py(tensors, "backward");
    const auto grads = grads_from_py(grad_tensors, outs.size(), "backward");
    py::gil_scoped_release release;
    autograd::backward(outs, grads, retain_graph);
  }, py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = false,
        "Accumulates the gradients of tensors into the leaves' .grad.");
  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, bool retain_graph,
                    bool allow_unused) {
    const auto outs = tensors_from_py(outputs, "grad");
    const auto ins = tensors_from_py(inputs, "grad");
    const auto grads = grads_from_py(grad_outputs, outs.size(), "grad");
    py::list result;
    for (const auto& g : autograd::grad(outs, ins, grads, retain_graph, allow_unused))
      result.append(g.defined() ? py::cast(g) : py::none());
    return py::tuple(result);
  }, py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs") = py::none(), py::arg("retain_graph") = false,
        py::arg("allow_unused") = false, "Gradients of outputs with respect to inputs, without touching .grad.");
  m.def("_gradcheck", [](py::function fn, py::handle inputs, double eps, double atol, double rtol) {
    const auto ins = tensors_from_py(inputs, "gradcheck");
    autograd::TensorFunction f = [&fn](const std::vector<AnyTensor>& xs) {
      py::tuple args(xs.size());
      for (std::size_t i = 0; i < xs.size(); ++i) args[i] = py::cast(xs[i]);
      py::object r = fn(*args);
      return tensors_from_py(r, "gradcheck");
    };
    return autograd::gradcheck(f, ins, {eps, atol, rtol});
  }, py::arg("fn"), py::arg("inputs"), py::arg("eps"), py::arg("atol"), py::arg("rtol"),
        "Checks fn's gradients at inputs against central finite differences (float64).");
}

}  // namespace ember::python
