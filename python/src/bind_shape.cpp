// Shape-joining and -splitting ops: cat (concat, concatenate), stack, split, chunk; and tril / triu.
#include "common.hpp"

namespace ember::python {

namespace {

// A list or tuple of tensors; TypeError naming op otherwise.
std::vector<AnyTensor> tensors_from_py(py::handle seq, const char* op) {
  EMBER_CHECK_TYPE((py::isinstance<py::list>(seq) || py::isinstance<py::tuple>(seq)), op,
                   "expected a list or tuple of tensors, got ", std::string(py::str(py::type::of(seq).attr("__name__"))));
  std::vector<AnyTensor> out;
  std::size_t i = 0;
  for (auto item : py::reinterpret_borrow<py::sequence>(seq)) {
    EMBER_CHECK_TYPE(py::isinstance<AnyTensor>(item), op, "expected a sequence of tensors, but item ", i, " is of type ",
                     std::string(py::str(py::type::of(item).attr("__name__"))));
    out.push_back(item.cast<AnyTensor>());
    ++i;
  }
  return out;
}

std::int64_t total_numel(const std::vector<AnyTensor>& ts) {
  std::int64_t n = 0;
  for (const auto& t : ts) n += t.numel();
  return n;
}

template <Element T>
py::tuple to_tuple(const std::vector<Tensor<T>>& parts) {
  py::tuple out(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) out[i] = py::cast(AnyTensor(parts[i]));
  return out;
}

py::tuple split_py(const AnyTensor& t, py::handle sizes, std::int64_t dim) {
  if (py::isinstance<py::int_>(sizes) || (py::hasattr(sizes, "__index__") && !py::isinstance<AnyTensor>(sizes))) {
    const auto n = py::int_(py::reinterpret_borrow<py::object>(sizes)).cast<std::int64_t>();
    return t.visit_any([&](const auto& x) { return to_tuple(split(x, n, dim)); });
  }
  const Shape s = shape_from_py(sizes, "split");
  return t.visit_any([&](const auto& x) { return to_tuple(split(x, s.vec(), dim)); });
}

py::tuple chunk_py(const AnyTensor& t, std::int64_t chunks, std::int64_t dim) {
  return t.visit_any([&](const auto& x) { return to_tuple(chunk(x, chunks, dim)); });
}

const char* kCatDoc =
    "Joins tensors along an existing dim; shapes must match except in dim, mixed dtypes promote, and 1-D "
    "empty tensors are skipped (as torch.cat).";

}  // namespace

void bind_shape(py::module_& m, TensorClass& cls) {
  auto cat_py = [](py::handle tensors, std::int64_t dim) {
    const auto ts = tensors_from_py(tensors, "cat");
    MaybeReleaseGil g(total_numel(ts));
    return cat(std::span<const AnyTensor>(ts), dim);
  };
  m.def("cat", cat_py, py::arg("tensors"), py::arg("dim") = 0, kCatDoc);
  m.def("concat", cat_py, py::arg("tensors"), py::arg("dim") = 0, "Alias of cat.");
  m.def("concatenate", cat_py, py::arg("tensors"), py::arg("dim") = 0, "Alias of cat.");
  m.def("stack", [](py::handle tensors, std::int64_t dim) {
    const auto ts = tensors_from_py(tensors, "stack");
    MaybeReleaseGil g(total_numel(ts));
    return stack(std::span<const AnyTensor>(ts), dim);
  }, py::arg("tensors"), py::arg("dim") = 0,
        "Joins equally shaped tensors along a new dim inserted at dim (mixed dtypes promote).");
  m.def("split", &split_py, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0,
        "Views of pieces along dim: of split_size elements each (an int; the last may be smaller), or of the "
        "given sizes (a list adding up to the dim's extent).");
  m.def("chunk", &chunk_py, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0,
        "At most ``chunks`` views along dim, each of ceil(size / chunks) elements.");
  cls.def("split", &split_py, py::arg("split_size"), py::arg("dim") = 0,
          "Views of pieces along dim (split_size an int or a list of sizes).")
      .def("chunk", &chunk_py, py::arg("chunks"), py::arg("dim") = 0,
           "At most ``chunks`` views along dim, each of ceil(size / chunks) elements.");
#define EMBER_PY_TRIANGLE(fn, doc)                                                                    \
  {                                                                                                   \
    auto f = bf16::computes([](const AnyTensor& t, std::int64_t diagonal) {                           \
      MaybeReleaseGil g(t.numel());                                                                   \
      return t.visit([&](const auto& x) { return AnyTensor(ember::fn(x, diagonal)); });                \
    });                                                                                               \
    m.def(#fn, f, py::arg("input"), py::arg("diagonal") = 0, doc);                                    \
    cls.def(#fn, f, py::arg("diagonal") = 0, doc);                                                    \
    cls.def(#fn "_", [](py::handle self, std::int64_t diagonal) {                                     \
      return write_inplace(self, #fn "_", [&](const auto& x) { ember::fn##_(x, diagonal); });          \
    }, py::arg("diagonal") = 0, #fn " written into self; returns self.");                             \
  }
  EMBER_PY_TRIANGLE(tril, "The lower triangle of the last two dims (column - row <= diagonal), the rest zero.")
  EMBER_PY_TRIANGLE(triu, "The upper triangle of the last two dims (column - row >= diagonal), the rest zero.")
#undef EMBER_PY_TRIANGLE
}

}  // namespace ember::python
