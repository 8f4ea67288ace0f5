// ember.Tensor's core: dtype and device objects, properties, views, conversion and copies.
#include <algorithm>

#include "common.hpp"

namespace ember::python {

DType dtype_from_py(py::handle h) {
  if (py::isinstance<DType>(h)) return h.cast<DType>();
  if (py::hasattr(h, "_ember_unsupported_dtype"))  // ember.float16 (python/ember/_dtype_info.py)
    throw TypeError("[dtype] " + h.attr("_ember_unsupported_dtype").cast<std::string>());
  throw TypeError("[dtype] expected an ember dtype such as ember.float32, got " +
                  std::string(py::str(py::type::of(h).attr("__name__"))));
}

Device device_from_py(py::handle h) {
  if (h.is_none()) return Device::cpu();
  if (py::isinstance<Device>(h)) return h.cast<Device>();
  if (py::isinstance<py::str>(h)) return Device::parse(h.cast<std::string>());
  throw TypeError("[device] expected an ember.device or a string such as 'cpu', got " +
                  std::string(py::str(py::type::of(h).attr("__name__"))));
}

Shape shape_from_py(py::handle h, const char* op) {
  if (py::isinstance<py::int_>(h)) return Shape{int64_from_py(h, op)};
  EMBER_CHECK_TYPE(py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h), op,
                   "size must be a tuple of ints, got ", std::string(py::str(py::type::of(h).attr("__name__"))));
  Shape s;
  for (auto item : py::reinterpret_borrow<py::sequence>(h)) {
    EMBER_CHECK_TYPE(py::isinstance<py::int_>(item) || py::hasattr(item, "__index__"), op,
                     "size must be a tuple of ints, got an element of type ",
                     std::string(py::str(py::type::of(item).attr("__name__"))));
    s.push_back(int64_from_py(item, op));
  }
  return s;
}

Shape shape_from_args(const py::args& args, const char* op) {
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) return shape_from_py(args[0], op);
  return shape_from_py(args, op);
}

Operand operand_from_py(py::handle h, const char* op) {
  Operand o;
  if (const AnyTensor* t = tensor_ptr(h)) {
    o.tensor = t;
  } else if (PyBool_Check(h.ptr())) {
    o.kind = ScalarKind::Bool;
    o.ivalue = h.ptr() == Py_True;
    o.value = static_cast<double>(o.ivalue);
  } else if (PyLong_Check(h.ptr())) {
    o.kind = ScalarKind::Int;
    o.ivalue = int64_from_py(h, op);
    o.value = static_cast<double>(o.ivalue);
  } else if (PyFloat_Check(h.ptr())) {
    o.kind = ScalarKind::Float;
    o.value = PyFloat_AS_DOUBLE(h.ptr());
  } else if (py::isinstance<py::array>(h) && py::array(py::reinterpret_borrow<py::object>(h)).ndim() == 0) {
    py::object item = h.attr("item")();
    return operand_from_py(item, op);  // a NumPy scalar array
  } else if (py::hasattr(h, "dtype") && py::hasattr(h, "item") && !py::hasattr(h, "__len__")) {
    return operand_from_py(h.attr("item")(), op);  // a NumPy scalar
  } else {
    detail::fail<TypeError>(op, "unsupported operand type ", std::string(py::str(py::type::of(h).attr("__name__"))),
                            "; expected an ember.Tensor or a Python number");
  }
  return o;
}

AnyTensor scalar_to_tensor(const Operand& s, DType d, const char* op) {
  return dispatch_any_dtype(d, [&](auto tag) -> AnyTensor {
    using T = decltype(tag);
    if constexpr (is_floating(ember::dtype_of<T>)) return scalar_tensor<T>(static_cast<T>(s.value));
    else if (op) return scalar_tensor<T>(s.kind == ScalarKind::Float ? scalar_cast<T>(s.value, op)
                                                                   : scalar_cast<T>(s.ivalue, op));
    else return scalar_tensor<T>(s.kind == ScalarKind::Float ? static_cast<T>(s.value) : static_cast<T>(s.ivalue));
  });
}

namespace {

py::object element_to_py(const AnyTensor& t) {
  return t.visit_any([](const auto& x) -> py::object {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const T v = x.item();
    if constexpr (std::is_same_v<T, bool>) return py::bool_(v);
    else if constexpr (is_floating(dtype_of<T>)) return py::float_(static_cast<double>(v));
    else return py::int_(static_cast<std::int64_t>(v));
  });
}

// ember.Size (python/ember/_size.py, a tuple subclass with numel()), registered at import by
// _set_size_type; a plain tuple until then. Leaked on purpose: it must outlive the interpreter's teardown.
py::object* size_type = nullptr;

py::object size_to_py(const Shape& shape) {
  py::tuple t(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) t[i] = py::int_(shape[i]);
  return size_type ? (*size_type)(t) : py::object(t);
}

template <class F>
AnyTensor map_view(const AnyTensor& t, F&& f) {
  return t.visit_any([&](const auto& x) -> AnyTensor { return f(x); });
}

}  // namespace

void bind_tensor(py::module_& m, TensorClass& cls) {
  py::class_<DType>(m, "dtype", "An element type: ember.float32, ember.int64, ...")
      .def_property_readonly("itemsize", [](DType d) { return itemsize(d); })
      .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
      .def("__repr__", [](DType d) { return "ember." + std::string(dtype_name(d)); })
      .def("__str__", [](DType d) { return "ember." + std::string(dtype_name(d)); })
      .def("__eq__", [](DType a, py::handle b) { return py::isinstance<DType>(b) && a == b.cast<DType>(); })
      .def("__hash__", [](DType d) { return static_cast<int>(d); })
      .def(py::pickle([](DType d) { return std::string(dtype_name(d)); },  // by name: codes change as dtypes are added
                      [](const std::string& name) {
                        for (int i = 0; i <= static_cast<int>(DType::BFloat16); ++i)
                          if (dtype_name(static_cast<DType>(i)) == name) return static_cast<DType>(i);
                        throw py::value_error("[dtype] unknown dtype '" + name + "' in a pickle");
                      }));
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    m.attr(std::string(dtype_name(d)).c_str()) = d;
  }
  // Lets Python subclasses (nn.Parameter) wrap an existing tensor: the new object aliases data.
  cls.def(py::init([](const AnyTensor& data) { return data; }), py::arg("data"),
          "A tensor object aliasing data (same storage and autograd identity); subclasses such as\n"
          "nn.Parameter wrap a detached tensor this way.");
  // The legacy constructor, as torch.Tensor: Tensor(2, 3) (or Tensor(Size)) is an uninitialised float32 tensor of
  // that shape, Tensor(data) a float32 copy of a list or array, Tensor() an empty one.
  cls.def(py::init([](const py::args& args) -> AnyTensor {
    const bool sizes = args.size() != 1 || py::isinstance<py::int_>(args[0]) ||
                       py::type::of(args[0]).attr("__name__").cast<std::string>() == "Size";
    if (args.empty()) return AnyTensor(Tensor<float>::empty({0}));
    if (sizes) return AnyTensor(Tensor<float>::empty(shape_from_args(args, "Tensor")));
    return py::module_::import("ember").attr("tensor")(args[0], py::arg("dtype") = DType::Float32).cast<AnyTensor>();
  }), "The legacy constructor: Tensor(*sizes) uninitialised float32, Tensor(data) a float32 copy, Tensor() empty.");
  m.attr("float") = DType::Float32;
  m.attr("double") = DType::Float64;
  m.attr("long") = DType::Int64;
  m.attr("int") = DType::Int32;
  m.def("promote_types", &promote_types, py::arg("type1"), py::arg("type2"),
        "The dtype that arithmetic between tensors of type1 and type2 produces.");

  py::class_<Device>(m, "device", "Where a tensor lives: ember.device('cpu'), ember.device('cuda:0').")
      .def(py::init([](const std::string& s) { return Device::parse(s); }), py::arg("type"))
      .def(py::init([](const std::string& type, int index) { return Device::parse(type + ":" + std::to_string(index)); }),
           py::arg("type"), py::arg("index"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.is_cpu() ? py::none() : py::object(py::int_(d.index));
      })
      .def("__repr__", [](const Device& d) {
        return d.is_cpu() ? std::string("device(type='cpu')")
                          : "device(type='cuda', index=" + std::to_string(d.index) + ")";
      })
      .def("__str__", &Device::str)
      .def("__eq__", [](const Device& a, py::handle b) {
        if (py::isinstance<py::str>(b)) return a == Device::parse(b.cast<std::string>());
        return py::isinstance<Device>(b) && a == b.cast<Device>();
      })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 1024 + d.index; });
  py::implicitly_convertible<py::str, Device>();

  m.def("_set_size_type", [](py::object type) { size_type = new py::object(std::move(type)); }, py::arg("type"),
        "The class that .shape and .size() return (ember.Size).");
  cls.def_property_readonly("dtype", &AnyTensor::dtype, "The element type.")
      .def_property_readonly("device", &AnyTensor::device, "The device the elements live on.")
      .def_property_readonly("shape", [](const AnyTensor& t) { return size_to_py(t.shape()); },
                             "The extent of each dim, as an ember.Size (a tuple).")
      .def_property_readonly("ndim", &AnyTensor::dim, "Number of dims.")
      .def("dim", &AnyTensor::dim, "Number of dims.")
      .def("numel", &AnyTensor::numel, "Number of elements.")
      .def("size", [](const AnyTensor& t, std::optional<std::int64_t> d) -> py::object {
        if (!d) return size_to_py(t.shape());
        return py::int_(t.visit_any([&](const auto& x) { return x.size(*d); }));
      }, py::arg("dim") = py::none(), "The shape, or the extent of one dim.")
      .def("stride", [](const AnyTensor& t, std::optional<std::int64_t> d) -> py::object {
        return t.visit_any([&](const auto& x) -> py::object {
          if (!d) return py::tuple(py::cast(x.strides().vec()));
          return py::int_(x.stride(*d));
        });
      }, py::arg("dim") = py::none(), "Strides in elements, or the stride of one dim.")
      .def("storage_offset", [](const AnyTensor& t) { return t.visit_any([](const auto& x) { return x.offset(); }); },
           "Offset of element 0 in the storage, in elements.")
      .def("element_size", [](const AnyTensor& t) { return itemsize(t.dtype()); }, "Bytes per element.")
      .def("data_ptr", [](const AnyTensor& t) {
        return t.visit_any([](const auto& x) { return reinterpret_cast<std::uintptr_t>(x.data()); });
      }, "Address of element 0.")
      .def("is_contiguous", [](const AnyTensor& t) { return t.visit_any([](const auto& x) { return x.is_contiguous(); }); },
           "True when the elements are row-major with no gaps.")
      .def("is_floating_point", [](const AnyTensor& t) { return is_floating(t.dtype()); }, "True for float32 and float64 tensors.")
      .def("__len__", [](const AnyTensor& t) {
        EMBER_CHECK_TYPE(t.dim() > 0, "len", "len() of a 0-d tensor");
        return t.shape()[0];
      })
      .def("__iter__", [](py::object self) {  // as PyTorch: t[0], t[1], ...; a 0-d tensor is no sequence
        const auto n = self.cast<const AnyTensor&>().dim();
        EMBER_CHECK_TYPE(n > 0, "iter", "iteration over a 0-d tensor");
        const auto builtins = py::module_::import("builtins");
        return builtins.attr("map")(self.attr("__getitem__"), builtins.attr("range")(self.attr("__len__")()));
      }, "Iterates over dim 0 (t[0], t[1], ...).")
      .def("item", &element_to_py, "The value of a one-element tensor as a Python number.")
      .def("__bool__", [](const AnyTensor& t) {
        EMBER_CHECK(t.numel() == 1, "bool", "the truth value of a tensor with ", t.numel(), " elements (shape ",
                    t.shape(), ") is ambiguous");
        return element_to_py(t.to(DType::Bool)).cast<bool>();
      })
      .def("__float__", [](const AnyTensor& t) { return element_to_py(t.to(DType::Float64)).cast<double>(); })
      .def("__int__", [](const AnyTensor& t) { return element_to_py(t.to(DType::Int64)).cast<std::int64_t>(); })
      .def("__index__", [](const AnyTensor& t) {
        EMBER_CHECK_TYPE(is_integral(t.dtype()) && t.numel() == 1, "index",
                         "only integer tensors of a single element can be converted to an index");
        return element_to_py(t.to(DType::Int64)).cast<std::int64_t>();
      })
      // --- views ---
      .def("view", [](const AnyTensor& t, py::args shape) {
        if (shape.size() == 1 && py::isinstance<DType>(shape[0]))
          throw TypeError("[view] reinterpreting the dtype is not supported; use to(dtype)");
        return map_view(t, [&](const auto& x) { return x.view(shape_from_args(shape, "view")); });
      }, "A view with a new shape (one dim may be -1); the strides must allow it.")
      .def("reshape", [](const AnyTensor& t, py::args shape) {
        return map_view(t, [&](const auto& x) { return x.reshape(shape_from_args(shape, "reshape")); });
      }, "view() when possible, else a contiguous copy with the new shape.")
      .def("transpose", [](const AnyTensor& t, std::int64_t d0, std::int64_t d1) {
        return map_view(t, [&](const auto& x) { return x.transpose(d0, d1); });
      }, py::arg("dim0"), py::arg("dim1"), "Swaps two dims (a view).")
      .def("permute", [](const AnyTensor& t, py::args dims) {
        return map_view(t, [&](const auto& x) { return x.permute(shape_from_args(dims, "permute")); });
      }, "Reorders the dims (a view).")
      .def_property_readonly("T", [](const AnyTensor& t) { return map_view(t, [](const auto& x) { return x.T_(); }); },
                             "All dims reversed (a view).")
      .def_property_readonly("mT", [](const AnyTensor& t) { return map_view(t, [](const auto& x) { return x.mT(); }); },
                             "The last two dims swapped (a view).")
      .def("t", [](const AnyTensor& t) {
        EMBER_CHECK(t.dim() <= 2, "t", "expects a tensor with <= 2 dimensions, but self is ", t.dim(), "D");
        return map_view(t, [](const auto& x) { return x.T_(); });
      }, "Transpose of a tensor with at most 2 dims.")
      .def("squeeze", [](const AnyTensor& t, py::handle dim) {
        if (dim.is_none()) return map_view(t, [](const auto& x) { return x.squeeze(); });
        std::vector<std::int64_t> dims;  // one dim or a tuple of them, squeezed from the last
        if (py::isinstance<py::sequence>(dim))
          for (py::handle d : py::reinterpret_borrow<py::sequence>(dim)) dims.push_back(int64_from_py(d, "squeeze"));
        else
          dims.push_back(int64_from_py(dim, "squeeze"));
        for (auto& d : dims) d = normalize_dim(d, t.dim(), "squeeze");
        std::sort(dims.rbegin(), dims.rend());
        dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
        return map_view(t, [&](const auto& x) {
          auto y = x;
          for (const auto d : dims) y = y.squeeze(d);
          return y;
        });
      }, py::arg("dim") = py::none(), "Removes dims of extent 1 (a view): all, one dim, or a tuple of dims.")
      .def("unsqueeze", [](const AnyTensor& t, std::int64_t d) {
        return map_view(t, [&](const auto& x) { return x.unsqueeze(d); });
      }, py::arg("dim"), "Inserts a dim of extent 1 (a view).")
      .def("expand", [](const AnyTensor& t, py::args shape) {
        return map_view(t, [&](const auto& x) { return x.expand(shape_from_args(shape, "expand")); });
      }, "A broadcast view with the given shape (-1 keeps a dim).")
      .def("expand_as", [](const AnyTensor& t, const AnyTensor& o) {
        return map_view(t, [&](const auto& x) { return x.expand(o.shape()); });
      }, py::arg("other"), "expand() to other's shape.")
      .def("flatten", [](const AnyTensor& t, std::int64_t s, std::int64_t e) {
        return map_view(t, [&](const auto& x) { return x.flatten(s, e); });
      }, py::arg("start_dim") = 0, py::arg("end_dim") = -1, "Merges dims start_dim..end_dim (a view when possible).")
      .def("narrow", [](const AnyTensor& t, std::int64_t d, std::int64_t start, std::int64_t len) {
        return map_view(t, [&](const auto& x) { return x.narrow(d, start, len); });
      }, py::arg("dim"), py::arg("start"), py::arg("length"), "length elements from start along dim (a view).")
      .def("select", [](const AnyTensor& t, std::int64_t d, std::int64_t i) {
        return map_view(t, [&](const auto& x) { return x.select(d, i); });
      }, py::arg("dim"), py::arg("index"), "The slice at index along dim, with dim removed (a view).")
      .def("contiguous", [](const AnyTensor& t) { return map_view(t, [](const auto& x) { return x.contiguous(); }); },
           "This tensor if contiguous, else a contiguous copy.")
      // --- conversion and copies ---
      .def("to", [](const AnyTensor& t, py::handle a, py::handle b, py::handle c, py::handle device_kw,
                    py::handle dtype_kw, bool /*non_blocking*/, bool copy) {
        // to(dtype), to(device), to(device, dtype), to(tensor), device=/dtype= by keyword; non_blocking (also a
        // positional bool, as PyTorch's) is accepted: ember's copies are synchronous.
        std::optional<DType> dtype;
        std::optional<Device> device;
        for (py::handle h : {a, b, c, device_kw, dtype_kw}) {
          if (h.is_none() || PyBool_Check(h.ptr())) continue;
          if (py::isinstance<DType>(h) || py::hasattr(h, "_ember_unsupported_dtype")) {
            dtype = dtype_from_py(h);
          } else if (const AnyTensor* other = tensor_ptr(h)) {
            dtype = other->dtype();
            device = other->device();
          } else {
            device = device_from_py(h);
          }
        }
        AnyTensor r = dtype ? t.to(*dtype) : t;
        if (device) r = map_view(r, [&](const auto& x) { return x.to(*device); });
        if (copy && (!dtype || *dtype == t.dtype())) r = map_view(r, [](const auto& x) { return x.clone(); });
        return r;
      }, py::arg("dtype_or_device") = py::none(), py::arg("arg1") = py::none(), py::arg("arg2") = py::none(),
         py::kw_only(), py::arg("device") = py::none(), py::arg("dtype") = py::none(), py::arg("non_blocking") = false,
         py::arg("copy") = false,
         "A tensor converted to another dtype and/or device, or to another tensor's (self when nothing changes).")
      .def("type", [](const AnyTensor& t, py::handle dtype) { return t.to(dtype_from_py(dtype)); }, py::arg("dtype"),
           "Converts to dtype.")
      .def("float", [](const AnyTensor& t) { return t.to(DType::Float32); }, "Converts to float32.")
      .def("double", [](const AnyTensor& t) { return t.to(DType::Float64); }, "Converts to float64.")
      .def("bfloat16", [](const AnyTensor& t) { return t.to(DType::BFloat16); },
           "Converts to bfloat16 (round to nearest even).")
      .def("long", [](const AnyTensor& t) { return t.to(DType::Int64); }, "Converts to int64.")
      .def("int", [](const AnyTensor& t) { return t.to(DType::Int32); }, "Converts to int32.")
      .def("bool", [](const AnyTensor& t) { return t.to(DType::Bool); }, "Converts to bool.")
      .def("byte", [](const AnyTensor& t) { return t.to(DType::UInt8); }, "Converts to uint8.")
      .def("char", [](const AnyTensor& t) { return t.to(DType::Int8); }, "Converts to int8.")
      .def("cpu", [](const AnyTensor& t) { return map_view(t, [](const auto& x) { return x.cpu(); }); },
           "This tensor on the CPU (self when it is there already).")
      .def("cuda", [](const AnyTensor& t, py::handle device, bool /*non_blocking*/) {
        const Device d = device.is_none() ? Device::cuda(0)
                         : py::isinstance<py::int_>(device) ? Device::cuda(device.cast<int>())
                                                            : device_from_py(device);
        EMBER_CHECK_DEVICE(d.is_cuda(), "cuda", "expected a CUDA device, got ", d.str());
        return map_view(t, [&](const auto& x) { return x.to(d); });
      }, py::arg("device") = py::none(), py::arg("non_blocking") = false,
         "This tensor on a CUDA device (cuda:0 by default, or an index).")
      .def_property_readonly("is_cuda", [](const AnyTensor& t) { return t.device().is_cuda(); },
                             "Whether the tensor lives on a CUDA device.")
      .def_property_readonly("is_cpu", [](const AnyTensor& t) { return t.device().is_cpu(); },
                             "Whether the tensor lives on the CPU.")
      // Devices ember has no backend for, which PyTorch scripts query: always false.
      .def_property_readonly("is_xpu", [](const AnyTensor&) { return false; }, "False: ember has no XPU backend.")
      .def_property_readonly("is_mps", [](const AnyTensor&) { return false; }, "False: ember has no MPS backend.")
      .def_property_readonly("is_meta", [](const AnyTensor&) { return false; }, "False: ember has no meta tensors.")
      .def_property("data", [](const AnyTensor& t) { return t.visit_any([](const auto& x) { return AnyTensor(x.detach()); }); },
                    [](const AnyTensor& t, const AnyTensor& other) {
                      EMBER_CHECK_TYPE(other.dtype() == t.dtype(), "data", "cannot set the data of a ",
                                       dtype_name(t.dtype()), " tensor to a ", dtype_name(other.dtype()), " tensor");
                      t.visit_any([&](const auto& x) {
                        using T = typename std::decay_t<decltype(x)>::value_type;
                        x.set_data(other.get<T>());
                      });
                    },
                    "The elements without autograd: a detached alias (in-place writes reach this tensor). "
                    "Setting it makes this tensor view another tensor's elements (same dtype and device).")
      .def("__format__", [](py::object self, const std::string& spec) -> py::object {
        // As PyTorch: a 0-d tensor formats as its number (f"{loss:.4f}"); others as str() (no spec).
        const auto& t = self.cast<const AnyTensor&>();
        if (t.dim() == 0) return py::module_::import("builtins").attr("format")(element_to_py(t), spec);
        EMBER_CHECK_TYPE(spec.empty(), "format", "a format spec ('", spec, "') needs a 0-d tensor, got shape ",
                         t.shape(), "; format t.item() or t.tolist()");
        return py::str(self);
      }, py::arg("format_spec"))
      .def("clone", [](const AnyTensor& t) { return map_view(t, [](const auto& x) { return x.clone(); }); },
           "A contiguous copy that shares no memory.")
      .def("copy_", [](const AnyTensor& self, const AnyTensor& src) {
        MaybeReleaseGil g(self.numel());
        self.visit_any([&](const auto& x) { src.visit_any([&](const auto& s) { x.copy_(s); }); });
        return self;
      }, py::arg("src"), "Copies src (broadcast, converted) into this tensor in place.")
      .def("fill_", [](const AnyTensor& self, py::handle value) {
        const Operand v = operand_from_py(value, "fill_");
        EMBER_CHECK(v.tensor == nullptr || v.tensor->dim() == 0, "fill_",
                    "fill_ only supports a 0-d value tensor, got shape ", v.tensor ? v.tensor->shape() : Shape{});
        if (v.tensor) autograd::check_inplace_source(*v.tensor, "fill_");
        const AnyTensor s = v.tensor ? v.tensor->to(self.dtype()) : scalar_to_tensor(v, self.dtype(), "fill_");
        self.visit_any([&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          x.fill_(s.get<T>().item());
        });
        return self;
      }, py::arg("value"), "Sets every element to value, in place.")
      .def("zero_", [](const AnyTensor& self) {
        self.visit_any([](const auto& x) { x.zero_(); });
        return self;
      }, "Sets every element to zero, in place.")
      .def("tolist", [](const AnyTensor& t) -> py::object {
        const AnyTensor host = map_view(t, [](const auto& x) { return x.cpu(); });
        py::object arr = py::module_::import("ember").attr("_to_numpy")(host);
        return arr.attr("tolist")();
      }, "The elements as (nested) Python lists; a number for a 0-d tensor.")
      .def("__copy__", [](const AnyTensor& t) { return t; })
      .def("__deepcopy__", [](const AnyTensor& t, py::handle) {
        return t.visit_any([](const auto& x) -> AnyTensor {  // a new leaf with the same requires_grad, as PyTorch
          NoGradGuard no_grad;
          auto c = x.clone();
          if (x.is_leaf() && x.requires_grad()) c.requires_grad_(true);
          return c;
        });
      });
}

}  // namespace ember::python
