// Gradient hooks: Tensor.register_hook and Tensor.register_post_accumulate_grad_hook onto
// ember/autograd/hooks.hpp, and the RemovableHandle they return.
#include "ember/autograd/hooks.hpp"

#include "common.hpp"

namespace ember::python {

namespace {

/// A Python callable kept by C++ hooks: taken and dropped with the GIL held (backward releases it).
std::shared_ptr<py::object> keep(py::object fn) {
  return std::shared_ptr<py::object>(new py::object(std::move(fn)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

}  // namespace

void bind_hooks(py::module_& m, TensorClass& cls) {
  py::class_<HookHandle>(m, "RemovableHandle", "Returned by register_hook: remove() unregisters the hook.")
      .def("remove", &HookHandle::remove, "Unregisters the hook (again: nothing).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](HookHandle& h, py::args) { h.remove(); });

  cls.def("register_hook", [](py::object self, py::function fn) {
    const AnyTensor* t = tensor_ptr(self);
    EMBER_CHECK_TYPE(t != nullptr, "register_hook", "expected a Tensor");
    auto f = keep(std::move(fn));
    return register_hook_any(*t, [f](const AnyTensor& g) -> AnyTensor {
      py::gil_scoped_acquire gil;
      py::object r = (*f)(g);
      if (r.is_none()) return AnyTensor();
      const AnyTensor* p = tensor_ptr(r);
      EMBER_CHECK_TYPE(p != nullptr, "backward", "a hook must return a Tensor or None, got ",
                       std::string(py::str(py::type::of(r).attr("__name__"))));
      return *p;
    });
  }, py::arg("hook"),
          "Registers hook(grad) -> Tensor or None, called with the gradient w.r.t. this tensor each time it is "
          "computed; a returned tensor replaces the gradient. Returns a handle whose remove() unregisters it.");

  cls.def("register_post_accumulate_grad_hook", [](py::object self, py::function fn) {
    const AnyTensor* t = tensor_ptr(self);
    EMBER_CHECK_TYPE(t != nullptr, "register_post_accumulate_grad_hook", "expected a Tensor");
    // The hook gets this very Python object when it can be referenced weakly (nn.Parameter and other
    // subclasses), else a Tensor sharing its memory and .grad.
    std::shared_ptr<py::object> ref;
    if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(self.ptr()))) ref = keep(py::weakref(self));
    auto f = keep(std::move(fn));
    return register_post_accumulate_grad_hook_any(*t, [f, ref](const AnyTensor& h) {
      py::gil_scoped_acquire gil;
      py::object obj = ref ? (*ref)() : py::none();
      if (obj.is_none()) obj = py::cast(h);
      (*f)(obj);
    });
  }, py::arg("hook"),
          "Registers hook(tensor), called on a leaf after backward accumulated its gradient into .grad. Returns a "
          "handle whose remove() unregisters it.");

  // For DistributedDataParallel's search of unused parameters: a leaf's AccumulateGrad node (made if
  // needed; it lives while referenced) and a node's identity (Python wrappers of one node may differ).
  m.def("_grad_accumulator", [](const AnyTensor& t) -> std::shared_ptr<autograd::Node> {
    EMBER_CHECK_AUTOGRAD(t.requires_grad() && t.visit([](const auto& x) { return x.is_leaf(); }), "_grad_accumulator",
                         "expected a leaf that requires grad");
    return autograd::edge_of(t);
  }, py::arg("tensor"));
  m.def("_node_key", [](const std::shared_ptr<autograd::Node>& n) { return reinterpret_cast<std::uintptr_t>(n.get()); },
        py::arg("node"));
}

}  // namespace ember::python
