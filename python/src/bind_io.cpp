// Checkpoints: the safetensors reader and writer behind ember.save / ember.load
// (python/ember/serialization.py builds the nested structure on top of these).
#include "common.hpp"
#include "ember/io/safetensors.hpp"

namespace ember::python {

namespace {

// Messages are decoded with backslashreplace: they quote the file's path, whose bytes need not be
// UTF-8.
py::object message_of(const std::exception& e) {
  const char* w = e.what();
  return py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(w, static_cast<Py_ssize_t>(std::strlen(w)), "backslashreplace"));
}

}  // namespace

void bind_io(py::module_& m, TensorClass& cls) {
  (void)cls;
  // ember.CheckpointError, a ValueError.
  static PyObject* checkpoint_error = PyErr_NewExceptionWithDoc(
      "ember._core.CheckpointError", "A checkpoint file that is truncated, corrupt or not safetensors.",
      PyExc_ValueError, nullptr);
  if (!checkpoint_error) throw py::error_already_set();
  m.attr("CheckpointError") = py::handle(checkpoint_error);
  // FileError becomes OSError(errno, message): Python picks the subclass (FileNotFoundError,
  // IsADirectoryError...).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const io::FormatError& e) {
      PyErr_SetObject(checkpoint_error, message_of(e).ptr());
    } catch (const io::FileError& e) {
      py::object err = py::reinterpret_borrow<py::object>(PyExc_OSError)(e.code(), message_of(e));
      err.attr("filename") = e.path();
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
    }
  });

  m.def("_save_safetensors", [](const std::string& path, const std::vector<std::pair<std::string, AnyTensor>>& tensors,
                                const std::map<std::string, std::string>& metadata) {
    py::gil_scoped_release release;
    io::save_safetensors(path, tensors, metadata);
  }, py::arg("path"), py::arg("tensors"), py::arg("metadata"),
        "Writes [(name, tensor), ...] and {str: str} metadata to path as safetensors, atomically.");
  m.def("_load_safetensors", [](const std::string& path) {
    io::SafeTensors st;
    {
      py::gil_scoped_release release;
      st = io::load_safetensors(path);
    }
    return py::make_tuple(py::cast(std::move(st.tensors)), py::cast(st.metadata));
  }, py::arg("path"), "Reads a safetensors file: ([(name, tensor), ...] in header order, {str: str} metadata).");
}

}  // namespace ember::python
