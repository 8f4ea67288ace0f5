// Index ops (gather, index_select, masked_fill) and t[...] / t[...] = v. The index parsing lives in C++
// (ops/subscript.hpp); this file only turns Python objects into the list of TensorIndex items.
#include "common.hpp"

namespace ember::python {

namespace {

std::string type_name(py::handle h) { return py::str(py::type::of(h).attr("__name__")); }

// An array-like index (NumPy array, list) as a tensor: int64 for integers, bool for masks.
AnyTensor index_tensor_from_py(py::handle h, py::handle mod) {
  py::module_ np = py::module_::import("numpy");
  py::array arr = py::isinstance<py::array>(h) ? py::reinterpret_borrow<py::array>(h) : py::array(np.attr("asarray")(h));
  const char kind = arr.dtype().kind();
  if (arr.size() == 0 && !py::isinstance<py::array>(h)) arr =  // [] indexes nothing
      np.attr("zeros")(arr.attr("shape"), "int64");
  else if (kind == 'i' || kind == 'u') {
    if (arr.dtype().itemsize() != 8 || kind == 'u') arr = arr.attr("astype")("int64");
  } else if (kind != 'b') {
    detail::fail<std::out_of_range>("index", "tensors used as indices must be long, int, byte or bool tensors, got ",
                                    "an array of dtype ", std::string(py::str(arr.dtype())));
  }
  if (!arr.attr("flags").attr("c_contiguous").cast<bool>()) arr = np.attr("ascontiguousarray")(arr);
  return mod.attr("from_numpy")(arr).cast<AnyTensor>();
}

// One Python index item: int, bool, slice, None, Ellipsis, tensor, NumPy array or scalar, list, range.
TensorIndex item_from_py(py::handle h, py::handle mod) {
  PyObject* o = h.ptr();
  if (o == Py_None) return indexing::None;
  if (o == Py_Ellipsis) return indexing::Ellipsis;
  if (PyBool_Check(o)) return TensorIndex(o == Py_True);
  if (PyLong_Check(o)) return TensorIndex(int64_from_py<std::out_of_range>(h, "index"));
  if (PySlice_Check(o)) {
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw py::error_already_set();
    auto* s = reinterpret_cast<PySliceObject*>(o);
    return indexing::Slice(s->start == Py_None ? std::nullopt : std::optional<std::int64_t>(start),
                           s->stop == Py_None ? std::nullopt : std::optional<std::int64_t>(stop), step);
  }
  if (py::isinstance<AnyTensor>(h)) return h.cast<AnyTensor>();
  if (py::isinstance<py::array>(h) || py::isinstance<py::list>(h)) return index_tensor_from_py(h, mod);
  if (PyRange_Check(o)) return index_tensor_from_py(py::list(py::reinterpret_borrow<py::object>(h)), mod);  // x[range(2)] is x[[0, 1]], as PyTorch
  if (py::hasattr(h, "dtype") && py::hasattr(h, "item")) return item_from_py(h.attr("item")(), mod);  // NumPy scalar
  if (PyIndex_Check(o)) return TensorIndex(int64_from_py<std::out_of_range>(h, "index"));
  detail::fail<std::out_of_range>("index", "only integers, slices (`:`), ellipsis (`...`), None, and integer or ",
                                  "boolean tensors are valid indices (got ", type_name(h), ")");
}

std::vector<TensorIndex> items_from_py(py::handle key, py::handle mod) {
  std::vector<TensorIndex> items;
  if (PyTuple_Check(key.ptr())) {
    for (auto it : py::reinterpret_borrow<py::tuple>(key)) items.push_back(item_from_py(it, mod));
  } else {
    items.push_back(item_from_py(key, mod));
  }
  return items;
}

// Work estimate for releasing the GIL: only advanced indexing copies.
std::int64_t index_work(const AnyTensor& self, const std::vector<TensorIndex>& items) {
  for (const auto& it : items)
    if (it.kind() == TensorIndex::Kind::Tensor) return std::max(self.numel(), it.tensor().numel());
  return 0;
}

// The value of t[...] = value as a tensor: tensors as they are, arrays and lists through ember.tensor,
// numbers in self's dtype.
AnyTensor value_from_py(py::handle v, DType self_dtype, py::handle mod) {
  if (py::isinstance<AnyTensor>(v)) return v.cast<AnyTensor>();
  if ((py::isinstance<py::array>(v) && py::reinterpret_borrow<py::array>(v).ndim() > 0) ||
      py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v))
    return mod.attr("tensor")(v).cast<AnyTensor>();
  return scalar_to_tensor(operand_from_py(v, "index_put_"), self_dtype, "index_put_");
}

// value for masked_fill as a T: a number or a 0-d tensor.
template <Element T>
T fill_value(py::handle value, const char* op) {
  const Operand v = operand_from_py(value, op);
  if (v.tensor) {
    EMBER_CHECK(v.tensor->dim() == 0, op, "only supports a 0-dimensional value tensor, but got a tensor of shape ",
                v.tensor->shape());
    return v.tensor->template as<T>().item();
  }
  return scalar_to_tensor(v, dtype_of<T>, op).template get<T>().item();
}

const Tensor<bool>& mask_of(const AnyTensor& mask, const char* op) {
  EMBER_CHECK_TYPE(mask.dtype() == DType::Bool, op, "expected a bool mask, got dtype ", dtype_name(mask.dtype()));
  return mask.get<bool>();
}

AnyTensor masked_fill_py(const AnyTensor& self, const AnyTensor& mask, py::handle value) {
  return bf16::call(false, false, [&](const AnyTensor& in) {
    return in.visit([&](const auto& x) -> AnyTensor {
      using T = typename std::decay_t<decltype(x)>::value_type;
      const T v = fill_value<T>(value, "masked_fill");
      MaybeReleaseGil g(x.numel());
      return masked_fill(x, mask_of(mask, "masked_fill"), v);
    }, "masked_fill");
  }, self);
}

AnyTensor masked_fill_inplace_py(const AnyTensor& self, const AnyTensor& mask, py::handle value) {
  self.visit([&](const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const T v = fill_value<T>(value, "masked_fill_");
    MaybeReleaseGil g(x.numel());
    masked_fill_(x, mask_of(mask, "masked_fill_"), v);
  });
  return self;
}

AnyTensor gather_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index) {
  EMBER_CHECK_TYPE(index.dtype() == DType::Int64, "gather", "expected an int64 index tensor, got dtype ",
                   dtype_name(index.dtype()));
  return self.visit_any([&](const auto& x) -> AnyTensor {
    MaybeReleaseGil g(index.numel());
    return gather(x, dim, index.get<std::int64_t>());
  });
}

AnyTensor index_select_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index) {
  EMBER_CHECK_TYPE(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, "index_select",
                   "expected an int64 or int32 index tensor, got dtype ", dtype_name(index.dtype()));
  return self.visit_any([&](const auto& x) -> AnyTensor {
    MaybeReleaseGil g(x.numel());
    if (index.dtype() == DType::Int32) return index_select(x, dim, index.get<std::int32_t>());
    return index_select(x, dim, index.get<std::int64_t>());
  });
}

}  // namespace

void bind_index(py::module_& m, TensorClass& cls) {
  py::handle mod = m;
  m.def("gather", &gather_py, py::arg("input"), py::arg("dim"), py::arg("index"),
        "out[i][j] = input[i][index[i][j]] for dim 1 (likewise for any dim); index is int64 with input's ndim.");
  m.def("index_select", &index_select_py, py::arg("input"), py::arg("dim"), py::arg("index"),
        "The entries of input at positions index (1-D int64 or int32) along dim.");
  m.def("masked_fill", &masked_fill_py, py::arg("input"), py::arg("mask"), py::arg("value"),
        "A copy of input with value (a number or 0-d tensor) where mask (bool, broadcast) is true.");
  cls.def("gather", &gather_py, py::arg("dim"), py::arg("index"), "ember.gather(self, dim, index).")
      .def("index_select", &index_select_py, py::arg("dim"), py::arg("index"),
           "ember.index_select(self, dim, index).")
      .def("masked_fill", &masked_fill_py, py::arg("mask"), py::arg("value"),
           "A copy with value where mask (bool, broadcast) is true.")
      .def("masked_fill_", &masked_fill_inplace_py, py::arg("mask"), py::arg("value"),
           "Sets the elements where mask (bool, broadcast to self) is true to value, in place.")
      .def("__getitem__", [mod](const AnyTensor& self, py::handle key) {
        const auto items = items_from_py(key, mod);
        MaybeReleaseGil g(index_work(self, items));
        return self.visit_any([&](const auto& x) -> AnyTensor { return index(x, std::span<const TensorIndex>(items)); });
      }, py::arg("key"),
           "self[key] with NumPy's rules: ints, slices, None and ... give views; integer and bool tensors, arrays "
           "and lists are advanced indices (a copy).")
      .def("__setitem__", [mod](const AnyTensor& self, py::handle key, py::handle value) {
        const auto items = items_from_py(key, mod);
        const AnyTensor v = value_from_py(value, self.dtype(), mod);
        MaybeReleaseGil g(std::max(index_work(self, items), v.numel()));
        self.visit_any([&](const auto& x) {
          v.visit_any([&](const auto& y) { index_put_(x, std::span<const TensorIndex>(items), y); });
        });
      }, py::arg("key"), py::arg("value"),
           "self[key] = value: value (a number, tensor or array) is broadcast to the indexed shape and converted; "
           "advanced indices scatter, the last write to a repeated position winning.")
      .def("index_put_", [](const AnyTensor& self, py::handle indices, const AnyTensor& values) {
        std::vector<TensorIndex> items;
        for (auto it : py::reinterpret_borrow<py::sequence>(indices)) items.push_back(it.cast<AnyTensor>());
        self.visit_any([&](const auto& x) {
          values.visit_any([&](const auto& y) { index_put_(x, std::span<const TensorIndex>(items), y); });
        });
        return self;
      }, py::arg("indices"), py::arg("values"),
           "self[indices] = values for a tuple of index tensors (``torch.Tensor.index_put_`` without accumulate).");
}

}  // namespace ember::python
