// Gradient hooks: Tensor.register_hook and Tensor.register_post_accumulate_grad_hook onto
// ember/autograd/hooks.hpp, and the RemovableHandle they return; _record_function, the node of a Python
// autograd.Function (python/ember/autograd.py), whose backward is a Python callable.
#include <mutex>
#include <set>
#include <string>

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

  m.def("_record_function", [](const std::string& name, const AnyTensor& output, const std::vector<AnyTensor>& inputs,
                               py::function backward) {
    // Node names are C strings that live as long as the process: one per Function class.
    static std::set<std::string> names;
    const char* op = names.insert(name).first->c_str();
    auto f = keep(std::move(backward));
    AnyTensor out = output.visit_any([](const auto& t) { return AnyTensor(t.detach()); });  // never the input itself
    std::vector<Shape> shapes;
    std::vector<DType> dtypes;
    for (const auto& x : inputs) shapes.push_back(x.shape()), dtypes.push_back(x.dtype());
    out.visit_any([&](const auto& y) {
      using R = typename std::decay_t<decltype(y)>::value_type;
      autograd::record_list(op, y, [f, op, shapes, dtypes](const Tensor<R>& g) {
        py::gil_scoped_acquire gil;
        py::object r = (*f)(AnyTensor(g));
        py::tuple grads = py::isinstance<py::tuple>(r) ? py::tuple(r) : py::make_tuple(r);
        EMBER_CHECK_AUTOGRAD(grads.size() == shapes.size(), op, "backward returned ", grads.size(),
                             " gradients, but forward took ", shapes.size(), " tensor inputs");
        autograd::Grads out(shapes.size());
        for (std::size_t i = 0; i < shapes.size(); ++i) {
          if (grads[i].is_none()) continue;
          const AnyTensor* t = tensor_ptr(grads[i]);
          EMBER_CHECK_TYPE(t != nullptr, op, "backward must return Tensors or None, got ",
                           std::string(py::str(py::type::of(grads[i]).attr("__name__"))), " at index ", i);
          EMBER_CHECK(t->shape() == shapes[i], op, "backward returned an invalid gradient at index ", i, ": got shape ",
                      t->shape(), " but the input has shape ", shapes[i]);
          out[i] = t->dtype() == dtypes[i] ? *t : t->to(dtypes[i]);
        }
        return out;
      }, inputs);
    });
    return out;
  }, py::arg("name"), py::arg("output"), py::arg("inputs"), py::arg("backward"));

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
