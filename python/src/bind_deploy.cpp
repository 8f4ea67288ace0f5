// Deployed models: ember._core._deploy_load(path) (ember.deploy.load) and the DeployedModel it returns (ember/deploy/).
#include "common.hpp"
#include "ember/deploy/model.hpp"

namespace ember::python {

namespace {

/// Runs the model on Python arguments (one ember.Tensor per input) without the GIL: one Tensor for
/// a one-output model, else a tuple.
py::object forward(const deploy::Model& model, const py::args& args) {
  std::vector<AnyTensor> inputs;
  inputs.reserve(args.size());
  for (const auto& a : args) {
    const AnyTensor* t = tensor_ptr(a);
    EMBER_CHECK_TYPE(t != nullptr, "deploy.forward", "expected ember.Tensor inputs, got ",
                     std::string(py::str(py::type::handle_of(a).attr("__name__"))));
    inputs.push_back(*t);
  }
  std::vector<AnyTensor> outputs;
  {
    py::gil_scoped_release release;
    outputs = model.forward(inputs);
  }
  if (outputs.size() == 1) return py::cast(std::move(outputs[0]));
  py::tuple out(outputs.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) out[i] = py::cast(std::move(outputs[i]));
  return out;
}

}  // namespace

void bind_deploy(py::module_& m) {
  py::class_<deploy::Model>(m, "DeployedModel", "A model loaded from a .ember file, run for inference in C++.")
      .def("forward", &forward, "Runs the graph on the inputs: a Tensor, or a tuple for several outputs.")
      .def("__call__", &forward, "Same as forward.")
      .def_property_readonly("input_names", &deploy::Model::input_names, "The graph inputs' names.")
      .def_property_readonly("output_names", &deploy::Model::output_names, "The graph outputs' names.")
      .def_property_readonly("ops", &deploy::Model::ops, "The op of each step after fusion, e.g. 'conv2d+batch_norm+relu'.")
      .def("__repr__", [](const deploy::Model& model) {
        return "DeployedModel(inputs=" + std::string(py::str(py::cast(model.input_names()))) +
               ", steps=" + std::to_string(model.num_nodes()) + ")";
      });
  m.def("_deploy_load", [](const std::string& path) {
    py::gil_scoped_release release;
    return deploy::load(path);
  }, py::arg("path"), "Loads a .ember file written by ember.deploy.export.");
  m.def("_deploy_format_version", &deploy::format_version_of_op, py::arg("op"),
        "The .ember format version that introduced a deploy op (the file declares the largest over its nodes).");
  m.def("_deploy_fold_batch_norm",
        [](const AnyTensor& w, const std::optional<AnyTensor>& b, const AnyTensor& mean, const AnyTensor& var,
           const std::optional<AnyTensor>& gamma, const std::optional<AnyTensor>& beta, double eps) {
          const char* op = "fold_batch_norm";
          const auto [fw, fb] = deploy::detail::fold_batch_norm(
              w.get<float>(op), optional_arg<float>(b, op, "bias"), mean.get<float>(op), var.get<float>(op),
              optional_arg<float>(gamma, op, "gamma"), optional_arg<float>(beta, op, "beta"), eps);
          return std::make_pair(AnyTensor(fw), AnyTensor(fb));
        },
        py::arg("weight"), py::arg("bias"), py::arg("mean"), py::arg("var"), py::arg("gamma"), py::arg("beta"),
        py::arg("eps"),
        "A convolution's (weight, bias) with an eval batch_norm folded in: the fold the C++ runtime does at load.");
}

}  // namespace ember::python
