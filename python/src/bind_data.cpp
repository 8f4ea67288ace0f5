// Datasets: the IDX reader (MNIST's format) behind ember.datasets.MNIST / FashionMNIST.
#include "common.hpp"
#include "ember/data/idx.hpp"

namespace ember::python {

void bind_data(py::module_& m) {
  m.def("_read_idx", [](const std::string& path) {
    Tensor<std::uint8_t> t;
    {
      py::gil_scoped_release release;
      t = data::read_idx(path);
    }
    return AnyTensor(std::move(t));
  }, py::arg("path"), "Reads an IDX file (plain or gzip-compressed) as a uint8 tensor shaped as its header says.");
  m.def("_load_mnist", [](const std::string& root, bool train, const std::string& name) {
    data::MnistSplit split;
    {
      py::gil_scoped_release release;
      split = data::load_mnist(root, train, name);
    }
    return py::make_tuple(AnyTensor(std::move(split.images)), AnyTensor(std::move(split.labels)));
  }, py::arg("root"), py::arg("train"), py::arg("name") = "FashionMNIST",
        "(images uint8 (N, rows, cols), labels int64 (N,)) of an MNIST-format split under root "
        "('' for Debian's Fashion-MNIST).");
  m.def("_fashion_mnist_default_root", &data::fashion_mnist_default_root,
        "Where Debian's dataset-fashion-mnist installs Fashion-MNIST.");
}

}  // namespace ember::python
