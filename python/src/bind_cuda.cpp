// ember.cuda: device queries, synchronisation, seeding and the caching allocator's statistics.
#include "common.hpp"

namespace ember::python {

namespace {

// The device index an optional argument names (None: the current device).
int device_index(py::handle device) {
  if (device.is_none()) return cuda::current_device();
  if (py::isinstance<py::int_>(device)) return device.cast<int>();
  const Device d = device_from_py(device);
  EMBER_CHECK_DEVICE(d.is_cuda(), "cuda", "expected a CUDA device, got ", d.str());
  return d.index;
}

}  // namespace

void bind_cuda(py::module_& m) {
  py::module_ c = m.def_submodule("cuda", "CUDA devices: queries, synchronisation and the caching allocator.");
  py::register_exception<OutOfMemoryError>(c, "OutOfMemoryError", PyExc_MemoryError);
  c.def("is_available", [] { return cuda::device_count() > 0; }, "Whether a CUDA device can be used.");
  c.def("is_built", [] { return cuda::kBuilt; }, "Whether this ember was built with its CUDA backend.");
  c.def("device_count", &cuda::device_count, "Number of usable CUDA devices (0 without CUDA support or a driver).");
  c.def("unavailable_reason", &cuda::unavailable_reason,
        "Why no CUDA device can be used: no toolkit at build time, no driver, or no device ('' when one can).");
  c.def("current_device", &cuda::current_device, "The index of the current CUDA device.");
  c.def("set_device", [](py::handle d) { cuda::set_device(device_index(d)); }, py::arg("device"),
        "Makes device the current CUDA device.");
  c.def("synchronize", [](py::handle d) {
    const int index = device_index(d);
    py::gil_scoped_release release;
    cuda::synchronize(index);
  }, py::arg("device") = py::none(), "Waits for every kernel and copy queued on the device.");
  // As PyTorch's, safe to call without a device (seeding scripts call it unconditionally): then it does nothing.
  const auto cuda_seed = [](py::handle seed) {
    const std::uint64_t s = seed_from_py(seed, "manual_seed");
    if (cuda::device_count() > 0) manual_seed(s);
  };
  for (const char* name : {"manual_seed", "manual_seed_all"})
    c.def(name, cuda_seed, py::arg("seed"),
          "Seeds the random numbers of CUDA tensors; nothing without a CUDA device (as PyTorch's). ember draws them "
          "on the host from the default generator and copies them, so this seeds that generator.");
  c.def("memory_allocated", [](py::handle d) { return cuda::memory_allocated(device_index(d)); },
        py::arg("device") = py::none(), "Bytes held by live tensors on the device.");
  c.def("memory_reserved", [](py::handle d) { return cuda::memory_reserved(device_index(d)); },
        py::arg("device") = py::none(), "Bytes the caching allocator holds on the device (live and cached).");
  c.def("empty_cache", &cuda::empty_cache, "Gives the cached, unused device memory back to the driver.");
}

}  // namespace ember::python
