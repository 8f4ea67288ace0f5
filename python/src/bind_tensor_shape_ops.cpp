// Reordering (flip, roll, rot90, repeat, tile, repeat_interleave, unbind, tensor_split), the scatter
// family (scatter, scatter_add, scatter_reduce, index_add/copy/fill, masked_scatter), einsum and meshgrid.
#include "common.hpp"
#include "ember/ops/einsum.hpp"
#include "ember/ops/reorder.hpp"
#include "ember/ops/scatter.hpp"

namespace ember::python {

namespace {

std::string type_name(py::handle h) { return py::str(py::type::of(h).attr("__name__")); }

template <Element T>
py::tuple to_tuple(const std::vector<Tensor<T>>& parts) {
  py::tuple out(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) out[i] = py::cast(AnyTensor(parts[i]));
  return out;
}

// Dims from a method's varargs (x.flip(0, 1), x.flip((0, 1))) or its `name=` keyword.
Shape dims_from(const py::args& args, const py::kwargs& kwargs, const char* name, const char* op) {
  if (args.size() == 0 && kwargs.contains(name)) return shape_from_py(kwargs[name], op);
  EMBER_CHECK_TYPE(kwargs.size() == 0, op, "got an unexpected keyword argument; expected only '", name, "'");
  return shape_from_args(args, op);
}

const Tensor<std::int64_t>& index_of(const AnyTensor& index, const char* op) {
  EMBER_CHECK_TYPE(index.dtype() == DType::Int64, op, "expected dtype int64 for index, got ",
                   dtype_name(index.dtype()));
  return index.get<std::int64_t>();
}

// The 1-D index of index_add/copy/fill: int64 or int32.
template <class F>
auto with_index(const AnyTensor& index, const char* op, F&& f) {
  EMBER_CHECK_TYPE(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, op,
                   "expected an int64 or int32 index tensor, got dtype ", dtype_name(index.dtype()));
  if (index.dtype() == DType::Int32) return f(index.get<std::int32_t>());
  return f(index.get<std::int64_t>());
}

// other as self's tensor type T; TypeError naming both dtypes when they differ (as torch).
template <Element T>
const Tensor<T>& same_dtype(const AnyTensor& other, const char* op, const char* name) {
  EMBER_CHECK_TYPE(other.dtype() == dtype_of<T>, op, "expected self and ", name, " to have the same dtype, but got ",
                   "self.dtype = ", dtype_name(dtype_of<T>), " and ", name, ".dtype = ", dtype_name(other.dtype()));
  return other.get<T>();
}

// A fill value (a number or a 0-d tensor) as a T.
template <Element T>
T value_of(py::handle value, const char* op) {
  const Operand v = operand_from_py(value, op);
  if (v.tensor) {
    EMBER_CHECK(v.tensor->dim() == 0, op, "only supports a 0-dimensional value tensor, but got a tensor of shape ",
                v.tensor->shape());
    autograd::check_inplace_source(*v.tensor, op);
    return v.tensor->template as<T>().item();
  }
  return scalar_to_tensor(v, dtype_of<T>, op).template get<T>().item();
}

std::string reduce_str(const std::optional<std::string>& r) { return r.value_or(""); }

AnyTensor scatter_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index, py::handle src,
                     py::handle value, const std::optional<std::string>& reduce, bool inplace) {
  const char* op = inplace ? "scatter_" : "scatter";
  EMBER_CHECK_TYPE(src.is_none() != value.is_none(), op, "expected exactly one of src (a tensor) and value");
  const py::handle s = src.is_none() ? value : src;
  const auto& idx = index_of(index, op);
  const std::string r = reduce_str(reduce);
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    if (const AnyTensor* t = tensor_ptr(s); t && !(t->dim() == 0 && idx.dim() > 0)) {
      const auto& st = same_dtype<T>(*t, op, "src");
      if (inplace) return scatter_(x, dim, idx, st, r);
      return scatter(x, dim, idx, st, r);
    }
    const T v = value_of<T>(s, op);
    if (inplace) return scatter_(x, dim, idx, v, r);
    return scatter(x, dim, idx, v, r);
  });
}

AnyTensor scatter_add_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index, const AnyTensor& src,
                         bool inplace) {
  const char* op = inplace ? "scatter_add_" : "scatter_add";
  const auto& idx = index_of(index, op);
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const auto& s = same_dtype<T>(src, op, "src");
    if (inplace) return scatter_add_(x, dim, idx, s);
    return scatter_add(x, dim, idx, s);
  });
}

AnyTensor scatter_reduce_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index, const AnyTensor& src,
                            const std::string& reduce, bool include_self, bool inplace) {
  const char* op = inplace ? "scatter_reduce_" : "scatter_reduce";
  const auto& idx = index_of(index, op);
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const auto& s = same_dtype<T>(src, op, "src");
    if (inplace) return scatter_reduce_(x, dim, idx, s, reduce, include_self);
    return scatter_reduce(x, dim, idx, s, reduce, include_self);
  });
}

AnyTensor index_add_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index, const AnyTensor& source,
                       py::handle alpha, bool inplace) {
  const char* op = inplace ? "index_add_" : "index_add";
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const auto& s = same_dtype<T>(source, op, "source");
    const T a = value_of<T>(alpha, op);
    return with_index(index, op, [&](const auto& idx) -> AnyTensor {
      if (inplace) return index_add_(x, dim, idx, s, a);
      return index_add(x, dim, idx, s, a);
    });
  });
}

AnyTensor index_copy_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index, const AnyTensor& source,
                        bool inplace) {
  const char* op = inplace ? "index_copy_" : "index_copy";
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const auto& s = same_dtype<T>(source, op, "source");
    return with_index(index, op, [&](const auto& idx) -> AnyTensor {
      if (inplace) return index_copy_(x, dim, idx, s);
      return index_copy(x, dim, idx, s);
    });
  });
}

AnyTensor index_fill_py(const AnyTensor& self, std::int64_t dim, const AnyTensor& index, py::handle value,
                        bool inplace) {
  const char* op = inplace ? "index_fill_" : "index_fill";
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const T v = value_of<T>(value, op);
    return with_index(index, op, [&](const auto& idx) -> AnyTensor {
      if (inplace) return index_fill_(x, dim, idx, v);
      return index_fill(x, dim, idx, v);
    });
  });
}

AnyTensor masked_scatter_py(const AnyTensor& self, const AnyTensor& mask, const AnyTensor& source, bool inplace) {
  const char* op = inplace ? "masked_scatter_" : "masked_scatter";
  EMBER_CHECK_TYPE(mask.dtype() == DType::Bool, op, "expected a bool mask, got dtype ", dtype_name(mask.dtype()));
  return self.visit([&](const auto& x) -> AnyTensor {
    using T = typename std::decay_t<decltype(x)>::value_type;
    const auto& s = same_dtype<T>(source, op, "source");
    if (inplace) return masked_scatter_(x, mask.get<bool>(), s);
    return masked_scatter(x, mask.get<bool>(), s);
  });
}

// A shift or dim list: an int or a sequence of ints.
Shape ints_from(py::handle h, const char* op) { return shape_from_py(h, op); }

AnyTensor roll_py(const AnyTensor& t, py::handle shifts, py::handle dims) {
  const Shape s = ints_from(shifts, "roll");
  const Shape d = dims.is_none() ? Shape{} : ints_from(dims, "roll");
  return t.visit_any([&](const auto& x) -> AnyTensor { return roll(x, s, d); });
}

AnyTensor repeat_interleave_py(const AnyTensor& t, py::handle repeats, std::optional<std::int64_t> dim,
                               std::optional<std::int64_t> output_size) {
  if (repeats.is_none()) {  // repeat_interleave(repeats): the repeated positions
    EMBER_CHECK_TYPE(t.dtype() == DType::Int64, "repeat_interleave", "repeats must be an int64 tensor, got dtype ",
                     dtype_name(t.dtype()));
    return repeat_interleave(t.get<std::int64_t>(), output_size);
  }
  if (const AnyTensor* r = tensor_ptr(repeats)) {
    EMBER_CHECK_TYPE(r->dtype() == DType::Int64 || r->dtype() == DType::Int32, "repeat_interleave",
                     "repeats must be an int64 tensor, got dtype ", dtype_name(r->dtype()));
    const Tensor<std::int64_t> rr = r->as<std::int64_t>();
    return t.visit_any([&](const auto& x) -> AnyTensor { return repeat_interleave(x, rr, dim, output_size); });
  }
  const std::int64_t n = int64_from_py(repeats, "repeat_interleave");
  return t.visit_any([&](const auto& x) -> AnyTensor { return repeat_interleave(x, n, dim, output_size); });
}

py::tuple tensor_split_py(const AnyTensor& t, py::handle sections, std::int64_t dim) {
  if (const AnyTensor* s = tensor_ptr(sections)) {
    EMBER_CHECK_TYPE(s->dtype() == DType::Int64, "tensor_split", "indices_or_sections must be an int64 tensor, got ",
                     "dtype ", dtype_name(s->dtype()));
    EMBER_CHECK(s->dim() <= 1, "tensor_split", "indices_or_sections must be a 0-d or 1-d tensor, got shape ",
                s->shape());
    const Tensor<std::int64_t> c = s->get<std::int64_t>().contiguous();
    if (s->dim() == 0) return tensor_split_py(t, py::int_(c.item()), dim);
    std::vector<std::int64_t> idx(c.data(), c.data() + c.numel());
    return t.visit_any([&](const auto& x) { return to_tuple(tensor_split(x, idx, dim)); });
  }
  if (PyLong_Check(sections.ptr())) {
    const std::int64_t n = int64_from_py(sections, "tensor_split");
    return t.visit_any([&](const auto& x) { return to_tuple(tensor_split(x, n, dim)); });
  }
  const Shape s = shape_from_py(sections, "tensor_split");
  return t.visit_any([&](const auto& x) { return to_tuple(tensor_split(x, s.vec(), dim)); });
}

// Tensors from varargs, or from one list/tuple argument (einsum('ij', [a]), meshgrid([a, b])).
std::vector<AnyTensor> tensors_of(const py::args& args, const char* op) {
  py::sequence seq = args;
  if (args.size() == 1 && !tensor_ptr(args[0])) {
    EMBER_CHECK_TYPE(py::isinstance<py::sequence>(args[0]), op, "expected tensors, got ", type_name(args[0]));
    seq = py::reinterpret_borrow<py::sequence>(args[0]);
  }
  std::vector<AnyTensor> out;
  for (auto item : seq) {
    const AnyTensor* t = tensor_ptr(item);
    EMBER_CHECK_TYPE(t != nullptr, op, "expected a tensor, got ", type_name(item));
    out.push_back(*t);
  }
  return out;
}

// Runs f(std::vector<Tensor<T>>) on the tensors converted to their promoted dtype.
template <class F>
auto with_typed(const std::vector<AnyTensor>& ts, const char* op, F&& f) {
  EMBER_CHECK(!ts.empty(), op, "expects at least one tensor");
  DType d = ts[0].dtype();
  for (const auto& t : ts) d = promote_types(d, t.dtype());
  return dispatch_dtype(d, [&](auto tag) {
    using T = decltype(tag);
    std::vector<Tensor<T>> typed;
    for (const auto& t : ts) typed.push_back(t.template as<T>());
    return f(typed);
  });
}

}  // namespace

void bind_tensor_shape_ops(py::module_& m, TensorClass& cls) {
  // --- reordering ---
  auto flip_py = [](const AnyTensor& t, const Shape& dims) {
    return t.visit_any([&](const auto& x) -> AnyTensor { return flip(x, dims); });
  };
  m.def("flip", [flip_py](const AnyTensor& t, py::handle dims) { return flip_py(t, shape_from_py(dims, "flip")); },
        py::arg("input"), py::arg("dims"), "A copy of input with the order of elements reversed along dims.");
  cls.def("flip", [flip_py](const AnyTensor& t, const py::args& a, const py::kwargs& k) {
    return flip_py(t, dims_from(a, k, "dims", "flip"));
  }, "A copy with the order of elements reversed along dims (x.flip(0, 1) or x.flip((0, 1))).");
  for (const char* name : {"fliplr", "flipud"}) {
    const bool lr = std::string_view(name) == "fliplr";
    auto f = [lr](const AnyTensor& t) {
      return t.visit_any([&](const auto& x) -> AnyTensor { return lr ? fliplr(x) : flipud(x); });
    };
    const char* doc = lr ? "flip along dim 1 (left/right); input must be at least 2-D."
                         : "flip along dim 0 (up/down); input must be at least 1-D.";
    m.def(name, f, py::arg("input"), doc);
    cls.def(name, f, doc);
  }
  m.def("roll", &roll_py, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none(),
        "Elements shifted by shifts along dims with wrap-around (input flattened when dims is None).");
  cls.def("roll", &roll_py, py::arg("shifts"), py::arg("dims") = py::none(),
          "Elements shifted by shifts along dims with wrap-around (flattened when dims is None).");
  auto rot90_py = [](const AnyTensor& t, std::int64_t k, py::handle dims) {
    const Shape d = shape_from_py(dims, "rot90");
    return t.visit_any([&](const auto& x) -> AnyTensor { return rot90(x, k, d); });
  };
  m.def("rot90", rot90_py, py::arg("input"), py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1),
        "input rotated by 90 degrees k times in the plane of dims (from dims[0] towards dims[1]).");
  cls.def("rot90", rot90_py, py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1),
          "Rotated by 90 degrees k times in the plane of dims.");
  cls.def("repeat", [](const AnyTensor& t, const py::args& a, const py::kwargs& k) {
    const Shape s = dims_from(a, k, "repeats", "repeat");
    return t.visit_any([&](const auto& x) -> AnyTensor { return repeat(x, s); });
  }, "A new tensor repeating this one sizes[i] times along each dim (x.repeat(2, 3) or x.repeat((2, 3))).");
  auto tile_py = [](const AnyTensor& t, const Shape& s) {
    return t.visit_any([&](const auto& x) -> AnyTensor { return tile(x, s); });
  };
  m.def("tile", [tile_py](const AnyTensor& t, py::handle dims) { return tile_py(t, shape_from_py(dims, "tile")); },
        py::arg("input"), py::arg("dims"), "repeat with dims padded by leading 1s to input's rank.");
  cls.def("tile", [tile_py](const AnyTensor& t, const py::args& a, const py::kwargs& k) {
    return tile_py(t, dims_from(a, k, "dims", "tile"));
  }, "repeat with dims padded by leading 1s to this tensor's rank.");
  m.def("repeat_interleave", &repeat_interleave_py, py::arg("input"), py::arg("repeats") = py::none(),
        py::arg("dim") = py::none(), py::kw_only(), py::arg("output_size") = py::none(),
        "Each element (or slice along dim) repeated repeats times (an int, or a tensor of per-slice counts); "
        "input flattened when dim is None. repeat_interleave(repeats) alone gives the repeated positions.");
  cls.def("repeat_interleave", &repeat_interleave_py, py::arg("repeats") = py::none(), py::arg("dim") = py::none(),
          py::kw_only(), py::arg("output_size") = py::none(),
          "Each element (or slice along dim) repeated repeats times.");
  auto unbind_py = [](const AnyTensor& t, std::int64_t dim) {
    return t.visit_any([&](const auto& x) { return to_tuple(unbind(x, dim)); });
  };
  m.def("unbind", unbind_py, py::arg("input"), py::arg("dim") = 0, "A tuple of the slices along dim (views).");
  cls.def("unbind", unbind_py, py::arg("dim") = 0, "A tuple of the slices along dim (views).");
  m.def("tensor_split", &tensor_split_py, py::arg("input"), py::arg("indices_or_sections"), py::arg("dim") = 0,
        "Views along dim: ``sections`` nearly equal pieces (an int) or pieces split before each index (a list).");
  cls.def("tensor_split", &tensor_split_py, py::arg("indices_or_sections"), py::arg("dim") = 0,
          "Views along dim: nearly equal pieces (an int) or pieces split before each index (a list).");

  // --- the scatter family ---
  for (bool inplace : {false, true}) {
    auto sc = [inplace](const AnyTensor& t, std::int64_t dim, const AnyTensor& index, py::handle src, py::handle value,
                        const std::optional<std::string>& reduce) {
      return scatter_py(t, dim, index, src, value, reduce, inplace);
    };
    const char* doc = inplace ? "scatter written into self." :
        "A copy of input with src's elements (or value) written along dim at index (int64, input's rank): "
        "out[i][index[i][j]] = src[i][j] for dim 1; reduce='add' or 'multiply' combines instead.";
    if (!inplace)
      m.def("scatter", sc, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
            py::kw_only(), py::arg("value") = py::none(), py::arg("reduce") = py::none(), doc);
    cls.def(inplace ? "scatter_" : "scatter", sc, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
            py::kw_only(), py::arg("value") = py::none(), py::arg("reduce") = py::none(), doc);
    auto sa = [inplace](const AnyTensor& t, std::int64_t dim, const AnyTensor& index, const AnyTensor& src) {
      return scatter_add_py(t, dim, index, src, inplace);
    };
    doc = inplace ? "scatter_add written into self." :
        "A copy of input with src's elements added along dim at index (repeated indices add up).";
    if (!inplace) m.def("scatter_add", sa, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"), doc);
    cls.def(inplace ? "scatter_add_" : "scatter_add", sa, py::arg("dim"), py::arg("index"), py::arg("src"), doc);
    auto sr = [inplace](const AnyTensor& t, std::int64_t dim, const AnyTensor& index, const AnyTensor& src,
                        const std::string& reduce, bool include_self) {
      return scatter_reduce_py(t, dim, index, src, reduce, include_self, inplace);
    };
    doc = inplace ? "scatter_reduce written into self." :
        "A copy of input with src's elements reduced ('sum', 'prod', 'mean', 'amax', 'amin') into the positions "
        "index gives along dim; input's own values take part when include_self.";
    if (!inplace)
      m.def("scatter_reduce", sr, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"),
            py::arg("reduce"), py::kw_only(), py::arg("include_self") = true, doc);
    cls.def(inplace ? "scatter_reduce_" : "scatter_reduce", sr, py::arg("dim"), py::arg("index"), py::arg("src"),
            py::arg("reduce"), py::kw_only(), py::arg("include_self") = true, doc);
    auto ia = [inplace](const AnyTensor& t, std::int64_t dim, const AnyTensor& index, const AnyTensor& source,
                        py::handle alpha) { return index_add_py(t, dim, index, source, alpha, inplace); };
    doc = inplace ? "index_add written into self." :
        "A copy of input with alpha * source added at the positions index (1-D) gives along dim.";
    if (!inplace)
      m.def("index_add", ia, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(),
            py::arg("alpha") = 1, doc);
    cls.def(inplace ? "index_add_" : "index_add", ia, py::arg("dim"), py::arg("index"), py::arg("source"),
            py::kw_only(), py::arg("alpha") = 1, doc);
    auto ic = [inplace](const AnyTensor& t, std::int64_t dim, const AnyTensor& index, const AnyTensor& source) {
      return index_copy_py(t, dim, index, source, inplace);
    };
    doc = inplace ? "index_copy written into self." :
        "A copy of input with source's slices copied to the positions index (1-D) gives along dim.";
    if (!inplace) m.def("index_copy", ic, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"), doc);
    cls.def(inplace ? "index_copy_" : "index_copy", ic, py::arg("dim"), py::arg("index"), py::arg("source"), doc);
    auto fi = [inplace](const AnyTensor& t, std::int64_t dim, const AnyTensor& index, py::handle value) {
      return index_fill_py(t, dim, index, value, inplace);
    };
    doc = inplace ? "index_fill written into self." :
        "A copy of input with value (a number or 0-d tensor) in the slices index (1-D) gives along dim.";
    if (!inplace) m.def("index_fill", fi, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("value"), doc);
    cls.def(inplace ? "index_fill_" : "index_fill", fi, py::arg("dim"), py::arg("index"), py::arg("value"), doc);
    auto ms = [inplace](const AnyTensor& t, const AnyTensor& mask, const AnyTensor& source) {
      return masked_scatter_py(t, mask, source, inplace);
    };
    doc = inplace ? "masked_scatter written into self (mask broadcast to self's shape)." :
        "A copy of input whose elements where mask (bool, broadcast) is true take source's elements in order.";
    if (!inplace) m.def("masked_scatter", ms, py::arg("input"), py::arg("mask"), py::arg("source"), doc);
    cls.def(inplace ? "masked_scatter_" : "masked_scatter", ms, py::arg("mask"), py::arg("source"), doc);
  }

  // --- einsum, meshgrid ---
  m.def("einsum", [](const std::string& equation, const py::args& operands) {
    const auto ts = tensors_of(operands, "einsum");
    return with_typed(ts, "einsum", [&](const auto& typed) { return AnyTensor(einsum(equation, typed)); });
  }, py::arg("equation"), "Sums the product of operands over the subscripts the equation's output omits "
     "(implicit or explicit output, '...' broadcast dims, repeated subscripts take diagonals).");
  m.def("meshgrid", [](const py::args& tensors, const std::string& indexing) {
    const auto ts = tensors_of(tensors, "meshgrid");
    return with_typed(ts, "meshgrid", [&](const auto& typed) { return to_tuple(meshgrid(typed, indexing)); });
  }, py::kw_only(), py::arg("indexing") = "ij",
     "Coordinate grids of 1-D tensors: output i varies along dim i ('ij') or with the first two dims swapped "
     "('xy').");
}

}  // namespace ember::python
