// ember._core: the pybind11 module. Each area binds itself in bind_<family>.cpp.
#include <omp.h>

#include "common.hpp"
#include "ember/version.hpp"

PYBIND11_MODULE(_core, m) {
  using namespace ember::python;
  m.doc() = "ember's C++ core: typed tensors on oneDNN and Eigen";
  m.attr("__version__") = EMBER_VERSION_STRING;  // ember.__version__: include/ember/version.hpp's, one source
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ember::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });

  TensorClass cls(m, "Tensor", py::buffer_protocol(),
                  "An n-dimensional array of one dtype on one device, with PyTorch's API.");
  bind_tensor(m, cls);
  bind_creation(m, cls);
  bind_interop(m, cls);
  bind_elementwise(m, cls);
  bind_reduce(m, cls);
  bind_linalg(m, cls);
  bind_shape(m, cls);
  bind_index(m, cls);
  bind_autograd(m, cls);
  bind_optim(m, cls);
  bind_io(m, cls);
  bind_nn(m, cls);
  bind_loss(m, cls);
  bind_attention(m, cls);
  bind_tensor_shape_ops(m, cls);
  bind_nn_extra(m, cls);
  bind_rnn(m, cls);
  bind_tensor_ops(m, cls);
  bind_tensor_api(m, cls);
  bind_cuda(m);
  bind_deploy(m);
  bind_spatial(m);
  bind_data(m);
  bind_cpu_info(m);
  bind_hooks(m, cls);

  m.def("set_num_threads", [](int n) {
    EMBER_CHECK(n > 0, "set_num_threads", "number of threads must be positive, got ", n);
    omp_set_num_threads(n);
  }, py::arg("n"), "Sets the number of threads used by ember's kernels (oneDNN and loops).");
  m.def("get_num_threads", [] { return omp_get_max_threads(); },
        "The number of threads ember's kernels use.");
  m.def("_primitive_cache_stats", [] {
    auto& s = ember::detail::onednn::cache_stats();
    return py::make_tuple(s.hits.load(), s.misses.load());
  }, "(hits, misses) of ember's oneDNN primitive cache, for tests and benchmarks.");
  m.def("_host_cache_bytes", [] { return ember::detail::HostBlockCache::instance().cached_bytes(); },
        "Bytes of freed large CPU tensors kept for reuse, for tests.");
}
