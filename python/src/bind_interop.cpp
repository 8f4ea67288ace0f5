// Zero-copy exchange with NumPy (buffer protocol, __array__, from_numpy) and DLPack (PyTorch, JAX),
// and ember.tensor(data) from Python data.
#include <dlpack/dlpack.h>

#include "common.hpp"

namespace ember::python {

namespace {

// DLPack 0.8 added a bool type code; Debian's header is 0.6, so spell the spec's value here.
constexpr std::uint8_t kDLBoolCode = 6;

std::optional<DType> dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'b' && size == 1) return DType::Bool;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'i' && size == 1) return DType::Int8;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  if (kind == 'V' && size == 2 && py::str(dt.attr("name")).cast<std::string>() == "bfloat16")
    return DType::BFloat16;  // ml_dtypes.bfloat16
  return std::nullopt;
}

// NumPy's bfloat16: ml_dtypes' (the package JAX uses), imported on first use.
py::dtype numpy_bfloat16() {
  static py::object dt;  // leaked with the interpreter: a py::object must not be destroyed after finalization
  if (!dt) {
    py::object mod;
    try {
      mod = py::module_::import("ml_dtypes");
    } catch (py::error_already_set&) {
      detail::fail<TypeError>("numpy", "a bfloat16 tensor needs the ml_dtypes package for its NumPy dtype "
                              "(pip install ml_dtypes); or convert first with .float()");
    }
    dt = py::dtype::from_args(mod.attr("bfloat16"));
    dt.inc_ref();
  }
  return py::reinterpret_borrow<py::dtype>(dt);
}

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Bool: return py::dtype("bool");
    case DType::UInt8: return py::dtype("uint8");
    case DType::Int8: return py::dtype("int8");
    case DType::Int32: return py::dtype("int32");
    case DType::Int64: return py::dtype("int64");
    case DType::Float32: return py::dtype("float32");
    case DType::Float64: return py::dtype("float64");
    case DType::BFloat16: return numpy_bfloat16();
  }
  return py::dtype("float32");
}

void release_pyobject(void*, void* obj) {
  if (!Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  Py_DECREF(static_cast<PyObject*>(obj));
}

// Views an array's memory as a tensor; the tensor keeps the array alive.
AnyTensor from_numpy(const py::array& arr) {
  const auto d = dtype_from_numpy(arr.dtype());
  EMBER_CHECK_TYPE(d.has_value(), "from_numpy", "can't convert a NumPy array of dtype ",
                   std::string(py::str(arr.dtype())),
                   "; the supported dtypes are float64, float32, bfloat16 (ml_dtypes), int64, int32, int8, uint8 and bool");
  // NumPy spells the machine's own byte order '=' ('|' where order does not apply): '<' or '>' is the other one.
  const char order = arr.dtype().byteorder();
  EMBER_CHECK(order == '=' || order == '|', "from_numpy", "the array's byte order is ",
              order == '>' ? "big" : "little", "-endian (dtype '", std::string(py::str(arr.dtype().attr("str"))),
              "'), not the machine's; a view cannot convert it: pass array.astype(array.dtype.newbyteorder('=')), "
              "or use ember.tensor(array), which copies");
  const auto isz = static_cast<std::int64_t>(arr.itemsize());
  EMBER_CHECK(reinterpret_cast<std::uintptr_t>(arr.data()) % static_cast<std::uintptr_t>(isz) == 0, "from_numpy",
              "the array's data is not aligned to its ", isz, "-byte elements; copy it first with array.copy(), "
              "or use ember.tensor(array)");
  Shape shape, strides;
  std::int64_t span = 1;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    const std::int64_t st = arr.strides(i);
    EMBER_CHECK(st >= 0, "from_numpy", "at least one stride in the given NumPy array is negative (strides ",
                Shape(arr.strides(), arr.strides() + arr.ndim()), "); copy it first with array.copy()");
    EMBER_CHECK(st % isz == 0, "from_numpy", "strides ", Shape(arr.strides(), arr.strides() + arr.ndim()),
                " are not a multiple of the element size ", isz);
    shape.push_back(arr.shape(i));
    strides.push_back(st / isz);
    span += (arr.shape(i) - 1) * (st / isz);
  }
  if (numel_of(shape) == 0) span = 0;
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  auto storage = Storage::wrap(const_cast<void*>(arr.data()), static_cast<std::size_t>(span * isz), Device::cpu(),
                               &release_pyobject, owner);
  return dispatch_any_dtype(*d, [&](auto tag) -> AnyTensor {
    return Tensor<decltype(tag)>(storage, shape, strides, 0);
  });
}

// TypeError (as PyTorch) unless x's memory is on the host.
template <class Tn>
void check_host_memory(const Tn& x, const char* op) {
  EMBER_CHECK_TYPE(x.device().is_cpu(), op, "can't convert ", x.device().str(),
                   " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
}

// A NumPy array over the tensor's memory; the array keeps the storage alive.
py::array to_numpy(const AnyTensor& t) {
  return t.visit_any([&](const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    check_host_memory(x, "numpy");
    std::vector<py::ssize_t> shape(x.shape().begin(), x.shape().end());
    std::vector<py::ssize_t> strides;
    for (auto s : x.strides()) strides.push_back(s * static_cast<py::ssize_t>(sizeof(T)));
    auto* keep = new std::shared_ptr<Storage>(x.storage());
    py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
    return py::array(numpy_dtype(x.dtype()), shape, strides, x.data(), base);
  });
}

// --- DLPack ---

DLDataType dl_dtype(DType d) {
  switch (d) {
    case DType::Bool: return {kDLBoolCode, 8, 1};
    case DType::UInt8: return {kDLUInt, 8, 1};
    case DType::Int8: return {kDLInt, 8, 1};
    case DType::Int32: return {kDLInt, 32, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
    case DType::BFloat16: return {kDLBfloat, 16, 1};
  }
  return {kDLFloat, 32, 1};
}

std::optional<DType> dtype_from_dl(DLDataType t) {
  if (t.lanes != 1) return std::nullopt;
  if (t.code == kDLBoolCode && t.bits == 8) return DType::Bool;
  if (t.code == kDLUInt && t.bits == 8) return DType::UInt8;
  if (t.code == kDLInt && t.bits == 8) return DType::Int8;
  if (t.code == kDLInt && t.bits == 32) return DType::Int32;
  if (t.code == kDLInt && t.bits == 64) return DType::Int64;
  if (t.code == kDLFloat && t.bits == 32) return DType::Float32;
  if (t.code == kDLFloat && t.bits == 64) return DType::Float64;
  if (t.code == kDLBfloat && t.bits == 16) return DType::BFloat16;
  return std::nullopt;
}

// A DLPack dtype as PyTorch names it ("float16", "int16", "complex64"), for messages.
std::string dl_dtype_name(DLDataType t) {
  const char* kind = t.code == kDLInt ? "int" : t.code == kDLUInt ? "uint" : t.code == kDLFloat ? "float"
                     : t.code == kDLBfloat ? "bfloat" : t.code == kDLComplex ? "complex"
                     : t.code == kDLBoolCode ? "bool" : "code-" ;
  std::string name = kind + std::to_string(int(t.bits));
  if (t.lanes != 1) name += "x" + std::to_string(int(t.lanes));
  return name;
}

// What a DLManagedTensor made by ember owns: the storage reference, and shape/strides arrays.
struct DLContext {
  std::shared_ptr<Storage> storage;
  std::vector<std::int64_t> shape, strides;
  DLManagedTensor managed;
};

py::capsule to_dlpack(const AnyTensor& t) {
  auto* ctx = t.visit_any([](const auto& x) {
    x.check_cpu("__dlpack__");
    auto* c = new DLContext{x.storage(), x.shape().vec(), x.strides().vec(), {}};
    c->managed.dl_tensor.data = x.storage()->data();
    c->managed.dl_tensor.byte_offset = static_cast<std::uint64_t>(x.offset()) * sizeof(typename std::decay_t<decltype(x)>::value_type);
    return c;
  });
  DLTensor& dl = ctx->managed.dl_tensor;
  dl.device = {kDLCPU, 0};
  dl.ndim = static_cast<int>(ctx->shape.size());
  dl.dtype = dl_dtype(t.dtype());
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = [](DLManagedTensor* m) { delete static_cast<DLContext*>(m->manager_ctx); };
  // The consumer renames the capsule to "used_dltensor" and then owns it; else we free it here.
  return py::capsule(&ctx->managed, "dltensor", [](PyObject* cap) {
    if (PyCapsule_IsValid(cap, "dltensor")) {
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
      if (m && m->deleter) m->deleter(m);
    }
  });
}

AnyTensor from_dlpack(py::object obj) {
  py::object cap = obj;
  if (py::hasattr(obj, "__dlpack__")) {
    if (py::hasattr(obj, "__dlpack_device__")) {
      auto dev = obj.attr("__dlpack_device__")().cast<std::pair<int, int>>();
      EMBER_CHECK_DEVICE(dev.first == kDLCPU, "from_dlpack", "the producer's tensor is on DLPack device type ",
                         dev.first, "; ember was built without CUDA support and accepts CPU tensors only");
    }
    cap = obj.attr("__dlpack__")();
  }
  EMBER_CHECK_TYPE(PyCapsule_CheckExact(cap.ptr()) && PyCapsule_IsValid(cap.ptr(), "dltensor"), "from_dlpack",
                   "expected an object with __dlpack__ or an unused 'dltensor' capsule");
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), "dltensor"));
  const DLTensor& dl = m->dl_tensor;
  EMBER_CHECK_DEVICE(dl.device.device_type == kDLCPU, "from_dlpack", "DLPack device type ", dl.device.device_type,
                     " is not supported; ember was built without CUDA support");
  const auto d = dtype_from_dl(dl.dtype);
  EMBER_CHECK_TYPE(d.has_value(), "from_dlpack", "unsupported DLPack dtype ", dl_dtype_name(dl.dtype),
                   " (code ", int(dl.dtype.code), ", bits ", int(dl.dtype.bits), ", lanes ", dl.dtype.lanes,
                   "); ember takes bool, uint8, int8, int32, int64, bfloat16, float32 and float64");
  EMBER_CHECK(dl.ndim >= 0 && (dl.ndim == 0 || dl.shape), "from_dlpack", "invalid DLPack tensor: ndim ", dl.ndim);
  Shape shape(dl.shape, dl.shape + dl.ndim);
  for (auto d : shape) EMBER_CHECK(d >= 0, "from_dlpack", "invalid DLPack shape ", shape, ": negative size");
  Shape strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim) : contiguous_strides(shape);
  std::int64_t span = numel_of(shape) == 0 ? 0 : 1;
  for (int i = 0; i < dl.ndim && span; ++i) {
    EMBER_CHECK(strides[i] >= 0, "from_dlpack", "negative strides ", strides, " are not supported");
    span += (shape[i] - 1) * strides[i];
  }
  const std::size_t isz = itemsize(*d);
  char* base = static_cast<char*>(dl.data) + dl.byte_offset;
  PyCapsule_SetName(cap.ptr(), "used_dltensor");
  auto storage = Storage::wrap(base, static_cast<std::size_t>(span) * isz, Device::cpu(),
                               [](void*, void* ctx) {
                                 auto* mt = static_cast<DLManagedTensor*>(ctx);
                                 if (mt->deleter) mt->deleter(mt);
                               }, m);
  return dispatch_any_dtype(*d, [&](auto tag) -> AnyTensor { return Tensor<decltype(tag)>(storage, shape, strides, 0); });
}

}  // namespace

void bind_interop(py::module_& m, TensorClass& cls) {
  m.def("from_numpy", &from_numpy, py::arg("ndarray"),
        "A tensor sharing memory with a NumPy array (no copy); writes are seen by both.");
  m.def("_to_numpy", &to_numpy, py::arg("tensor"));
  m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"),
        "A tensor sharing memory with any DLPack producer (PyTorch, JAX, NumPy), no copy.");
  m.def("tensor", [](py::handle data, py::handle dtype, py::handle device, bool requires_grad) {
    NoGradGuard no_grad;  // a new leaf, even when data is a tensor that requires grad
    AnyTensor t;
    if (py::isinstance<AnyTensor>(data)) {
      t = data.cast<const AnyTensor&>();
    } else {
      const bool is_array = py::isinstance<py::array>(data);
      py::array arr = py::module_::import("numpy").attr("asarray")(data);
      // Python floats: float32 unless a dtype is asked for (then from their exact double values)
      if (!is_array && dtype.is_none() && arr.dtype().kind() == 'f') arr = arr.attr("astype")("float32");
      if (!is_array && arr.dtype().kind() == 'i') arr = arr.attr("astype")("int64");
      EMBER_CHECK_TYPE(dtype_from_numpy(arr.dtype()).has_value(), "tensor", "can't make a tensor from data of ",
                       "NumPy dtype ", std::string(py::str(arr.dtype())));
      // tensor() copies anyway, so it takes what a zero-copy view refuses: another byte order, negative
      // strides, unaligned data.
      const char order = arr.dtype().byteorder();
      if ((order != '=' && order != '|') || !(arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) ||
          std::any_of(arr.strides(), arr.strides() + arr.ndim(), [](py::ssize_t s) { return s < 0; }))
        arr = arr.attr("astype")(arr.dtype().attr("newbyteorder")("="), py::arg("order") = "C");  // a copy
      t = from_numpy(arr);
      // Python numbers become the requested integer dtype only when it can hold them (as PyTorch).
      if (!is_array && !dtype.is_none() && arr.size() > 0 && arr.dtype().kind() != 'b')
        dispatch_any_dtype(dtype_from_py(dtype), [&](auto tag) {
          using T = decltype(tag);
          for (const char* end : {"min", "max"}) {
            const py::object v = arr.attr(end)().attr("item")();
            if (py::isinstance<py::float_>(v)) scalar_cast<T>(v.cast<double>(), "tensor");
            else scalar_cast<T>(v.cast<std::int64_t>(), "tensor");
          }
        });
    }
    const Device dev = device.is_none() ? t.device() : device_from_py(device);
    AnyTensor out = dtype.is_none() ? t : t.to(dtype_from_py(dtype));
    if (out.device() != dev) out = out.visit_any([&](const auto& x) -> AnyTensor { return x.to(dev); });
    if (out.visit_any([&](const auto& x) { return t.visit_any([&](const auto& y) {
          return static_cast<const void*>(x.storage().get()) == static_cast<const void*>(y.storage().get()); }); }))
      out = out.visit_any([](const auto& x) -> AnyTensor { return x.clone(); });
    return with_grad(out, requires_grad, "tensor");
  }, py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
        py::arg("requires_grad") = false,
        "A tensor holding a copy of data (nested lists, numbers, NumPy arrays, tensors). Python floats give "
        "float32, ints int64, bools bool; NumPy arrays keep their dtype.");

  cls.def("numpy", [](const AnyTensor& t, bool force) {
        if (!force) return to_numpy(t);
        return to_numpy(t.visit_any([](const auto& x) { return AnyTensor(x.detach().cpu()); }));
      }, py::kw_only(), py::arg("force") = false,
      "A NumPy array sharing this tensor's memory (no copy); force=True detaches and copies a CUDA tensor to the "
      "host first.")
      .def("__array__", [](const AnyTensor& t, py::object dtype, py::object copy) -> py::object {
        py::object arr = to_numpy(t);
        if (!dtype.is_none()) arr = arr.attr("astype")(dtype);
        if (!copy.is_none() && copy.cast<bool>()) arr = arr.attr("copy")();
        return arr;
      }, py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def_buffer([](const AnyTensor& t) {
        return t.visit_any([](const auto& x) -> py::buffer_info {
          using T = typename std::decay_t<decltype(x)>::value_type;
          check_host_memory(x, "numpy");
          if constexpr (std::is_same_v<T, bfloat16>) {  // NumPy's asarray then takes __array__ (ml_dtypes)
            detail::fail<TypeError>("buffer", "bfloat16 has no buffer-protocol format; use .numpy() (ml_dtypes) "
                                    "or .float()");
          } else {
            std::vector<py::ssize_t> shape(x.shape().begin(), x.shape().end()), strides;
            for (auto s : x.strides()) strides.push_back(s * static_cast<py::ssize_t>(sizeof(T)));
            return py::buffer_info(x.data(), sizeof(T), py::format_descriptor<T>::format(), x.dim(), shape, strides);
          }
        });
      })
      .def("__dlpack__", [](const AnyTensor& t, py::object stream, py::object max_version, py::object dl_device,
                            py::object copy) {
        (void)stream; (void)max_version; (void)dl_device;
        if (!copy.is_none() && copy.cast<bool>())
          return to_dlpack(t.visit_any([](const auto& x) -> AnyTensor { return x.clone(); }));
        return to_dlpack(t);
      }, py::kw_only(), py::arg("stream") = py::none(), py::arg("max_version") = py::none(),
         py::arg("dl_device") = py::none(), py::arg("copy") = py::none(),
         "A DLPack capsule sharing this tensor's memory.")
      .def("__dlpack_device__", [](const AnyTensor& t) {
        return py::make_tuple(t.device().is_cpu() ? int(kDLCPU) : int(kDLCUDA), t.device().index);
      }, "(device type, device index) as DLPack numbers them.");
}

}  // namespace ember::python
