// The tensor API of ops/matrix.hpp, select.hpp, statistics.hpp and unfold.hpp as ember.<name> functions and
// Tensor methods with PyTorch's signatures (nn.functional.unfold / fold call _core._unfold / _fold: ember.unfold
// would read as torch.Tensor.unfold, a different op).
#include "common.hpp"

namespace ember::python {

namespace {

std::optional<std::int64_t> optional_int(py::handle h, const char* op) {
  if (h.is_none()) return std::nullopt;
  return int64_from_py(h, op);
}

// A list of dims for tensordot: an int or a sequence of ints.
std::vector<std::int64_t> dim_list(py::handle h, const char* op) {
  if (!py::isinstance<py::sequence>(h)) return {int64_from_py(h, op)};
  std::vector<std::int64_t> out;
  for (auto item : py::reinterpret_borrow<py::sequence>(h)) out.push_back(int64_from_py(item, op));
  return out;
}

// torch.cross's dim=None: the first dim of extent 3 of the broadcast shape.
std::int64_t first_dim_of_three(const AnyTensor& a, const AnyTensor& b) {
  const Shape s = broadcast_shapes(a.shape(), b.shape(), "cross");
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == 3) return static_cast<std::int64_t>(i);
  detail::fail<std::invalid_argument>("cross", "no dimension of extent 3 in the inputs of shapes ", a.shape(), " and ", b.shape());
}

UnfoldOptions unfold_options(py::handle kernel_size, py::handle dilation, py::handle padding, py::handle stride,
                             const char* op) {
  return {pair_from_py(kernel_size, op, "kernel_size"), pair_from_py(dilation, op, "dilation"),
          pair_from_py(padding, op, "padding"), pair_from_py(stride, op, "stride")};
}

py::object named(py::module_& rt, const char* name, const char* a, const char* b) {
  py::object t = py::module_::import("collections").attr("namedtuple")(name, py::make_tuple(a, b));
  t.attr("__module__") = "ember.return_types";
  rt.attr(name) = t;
  return t;
}

}  // namespace

void bind_tensor_api(py::module_& m, TensorClass& cls) {
  py::module_ rt = m.attr("return_types");

  // --- matrix.hpp ---
  def_both(m, cls, "diagonal", [](const AnyTensor& x, std::int64_t offset, std::int64_t dim1, std::int64_t dim2) {
    return x.visit_any([&](const auto& t) { return AnyTensor(ember::diagonal(t, offset, dim1, dim2)); });
  }, "The diagonal of dims dim1 and dim2 (offset above > 0 or below < 0 the main one), as a view whose last dim "
     "runs along it.", py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  def_both(m, cls, "diag", [](const AnyTensor& x, std::int64_t diagonal) {
    return x.visit_any([&](const auto& t) { return AnyTensor(ember::diag(t, diagonal)); });
  }, "A 1-D input as the diagonal of a square matrix, or the diagonal of a 2-D input as a new 1-D tensor.",
     py::arg("diagonal") = 0);
  def_both(m, cls, "trace", bf16::computes([](const AnyTensor& x) {
    return x.visit([&](const auto& t) { return AnyTensor(ember::trace(t)); }, "trace");
  }), "The sum of a 2-D input's main diagonal (integers sum in int64).");
  def_both(m, cls, "kron", [](const AnyTensor& a, const AnyTensor& b) {
    return promoted_call({a, b}, [](const auto& x, const auto& y) { return AnyTensor(ember::kron(x, y)); });
  }, "The Kronecker product of input and other.", py::arg("other"));
  def_both(m, cls, "cross", [](const AnyTensor& a, const AnyTensor& b, py::handle dim) {
    const std::int64_t d = dim.is_none() ? first_dim_of_three(a, b) : int64_from_py(dim, "cross");
    return promoted_call({a, b}, [d](const auto& x, const auto& y) { return AnyTensor(ember::cross(x, y, d)); });
  }, "The cross product of the 3-vectors along dim (input and other broadcast); dim None: the first dim of extent 3 "
     "(use ember.linalg.cross for dim=-1).", py::arg("other"), py::arg("dim") = py::none());
  m.def("tensordot", [](const AnyTensor& a, const AnyTensor& b, py::handle dims) {
    return promoted_call({a, b}, [&](const auto& x, const auto& y) {
      if (py::isinstance<py::sequence>(dims)) {
        const auto pair = py::reinterpret_borrow<py::sequence>(dims);
        EMBER_CHECK_TYPE(pair.size() == 2, "tensordot", "dims must be an int or a pair of dim lists, got a sequence "
                         "of length ", pair.size());
        return AnyTensor(ember::tensordot(x, y, dim_list(pair[0], "tensordot"), dim_list(pair[1], "tensordot")));
      }
      return AnyTensor(ember::tensordot(x, y, int64_from_py(dims, "tensordot")));
    });
  }, py::arg("a"), py::arg("b"), py::arg("dims") = 2,
     "Sums a * b over the last dims of a and the first of b (an int), or over the paired dim lists ([a's], [b's]).");
  for (const bool lower : {true, false}) {
    m.def(lower ? "tril_indices" : "triu_indices", [lower](std::int64_t row, std::int64_t col, std::int64_t offset,
                                                           py::handle dtype, py::handle device) {
      AnyTensor r = ember::triangle_indices(row, col, offset, lower, device.is_none() ? Device::cpu() : device_from_py(device));
      return with_dtype(r, dtype);
    }, py::arg("row"), py::arg("col"), py::arg("offset") = 0, py::kw_only(), py::arg("dtype") = py::none(),
          py::arg("device") = py::none(),
          lower ? "The (2, N) indices of the lower triangle (column - row <= offset) of a row x col matrix."
                : "The (2, N) indices of the upper triangle (column - row >= offset) of a row x col matrix.");
  }
  cls.def("fill_diagonal_", [](py::handle self, py::handle fill_value, bool wrap) {
    const auto& x = self.cast<const AnyTensor&>();
    const AnyTensor v = scalar_to_tensor(operand_from_py(fill_value, "fill_diagonal_"), x.dtype());
    x.visit_any([&](const auto& t) {
      using T = typename std::decay_t<decltype(t)>::value_type;
      ember::fill_diagonal_(t, v.get<T>().item(), wrap);
    });
    return py::reinterpret_borrow<py::object>(self);
  }, py::arg("fill_value"), py::arg("wrap") = false,
     "Writes fill_value on the main diagonal (wrap: a tall matrix's diagonal starts again every cols + 1 rows).");

  // --- select.hpp ---
  def_both(m, cls, "nonzero", [](const AnyTensor& x, bool as_tuple) -> py::object {
    const AnyTensor idx = x.visit_any([](const auto& t) { return AnyTensor(ember::nonzero(t)); });
    if (!as_tuple) return py::cast(idx);
    const Tensor<std::int64_t>& i = idx.get<std::int64_t>();
    py::list cols;
    for (std::int64_t d = 0; d < std::max<std::int64_t>(x.dim(), 1); ++d)
      cols.append(py::cast(AnyTensor(x.dim() ? i.select(1, d).contiguous() : i.reshape({-1}))));
    return py::tuple(cols);
  }, "The indices of the nonzero elements, one row each (N, input.dim()) in row-major order; as_tuple: one 1-D "
     "tensor per dim.", py::kw_only(), py::arg("as_tuple") = false);
  def_both(m, cls, "argwhere", [](const AnyTensor& x) {
    return x.visit_any([](const auto& t) { return AnyTensor(ember::nonzero(t)); });
  }, "The indices of the nonzero elements, one row each (as nonzero).");
  def_both(m, cls, "masked_select", [](const AnyTensor& x, const AnyTensor& mask) {
    const Tensor<bool>& msk = mask.get<bool>("masked_select");
    return x.visit_any([&](const auto& t) { return AnyTensor(ember::masked_select(t, msk)); });
  }, "The elements where mask (bool, broadcast with input) is true, as a 1-D tensor.", py::arg("mask"));
  def_both(m, cls, "take", [](const AnyTensor& x, const AnyTensor& index) {
    const Tensor<std::int64_t>& i = index.get<std::int64_t>("take");
    return x.visit_any([&](const auto& t) { return AnyTensor(ember::take(t, i)); });
  }, "The elements at the flat (row-major) positions of index (int64; negative counts from the end).",
     py::arg("index"));
  def_both(m, cls, "take_along_dim", [](const AnyTensor& x, const AnyTensor& indices, py::handle dim) {
    const Tensor<std::int64_t>& i = indices.get<std::int64_t>("take_along_dim");
    const auto d = optional_int(dim, "take_along_dim");
    return x.visit_any([&](const auto& t) { return AnyTensor(ember::take_along_dim(t, i, d)); });
  }, "The elements at indices along dim (input and indices broadcast over the other dims); dim None: over the "
     "flattened input.", py::arg("indices"), py::arg("dim") = py::none());
  m.def("isin", [](py::handle elements, py::handle test_elements, bool assume_unique, bool invert) {
    (void)assume_unique;  // a hint only
    const AnyTensor* pe = tensor_ptr(elements);
    const AnyTensor* pt = tensor_ptr(test_elements);
    EMBER_CHECK_TYPE(pe || pt, "isin", "expected at least one tensor among elements and test_elements");
    const AnyTensor e = pe ? *pe : tensor_arg(elements, pt->dtype(), "isin");
    const AnyTensor t = pt ? *pt : tensor_arg(test_elements, pe->dtype(), "isin");
    return promoted_call({e, t}, [invert](const auto& a, const auto& b) { return AnyTensor(ember::isin(a, b, invert)); });
  }, py::arg("elements"), py::arg("test_elements"), py::kw_only(), py::arg("assume_unique") = false,
        py::arg("invert") = false, "For each element: is it in test_elements (a bool tensor of elements' shape)?");

  // --- statistics.hpp ---
  py::object median_t = named(rt, "median", "values", "indices");
  py::object nanmedian_t = named(rt, "nanmedian", "values", "indices");
  py::object kth_t = named(rt, "kthvalue", "values", "indices");
  py::object mode_t = named(rt, "mode", "values", "indices");
  py::object cummax_t = named(rt, "cummax", "values", "indices");
  py::object cummin_t = named(rt, "cummin", "values", "indices");
  for (const bool skip_nan : {false, true}) {
    py::object type = skip_nan ? nanmedian_t : median_t;
    const char* name = skip_nan ? "nanmedian" : "median";
    def_both(m, cls, name, bf16::computes([type, skip_nan](const AnyTensor& x, py::handle dim, bool keepdim) -> py::object {
      const auto d = optional_int(dim, skip_nan ? "nanmedian" : "median");
      return x.visit([&](const auto& t) -> py::object {
        if (!d) return py::cast(AnyTensor(skip_nan ? ember::nanmedian(t) : ember::median(t)));
        return pair_result(type, skip_nan ? ember::nanmedian(t, *d, keepdim) : ember::median(t, *d, keepdim));
      });
    }), skip_nan ? "median skipping NaN (NaN only for a row of NaN)."
                 : "The lower median of all elements (0-d), or along dim a named tuple (values, indices); NaN "
                   "propagates.",
       py::arg("dim") = py::none(), py::arg("keepdim") = false);
  }
  def_both(m, cls, "kthvalue", bf16::computes([kth_t](const AnyTensor& x, std::int64_t k, std::int64_t dim, bool keepdim) {
    return x.visit([&](const auto& t) { return pair_result(kth_t, ember::kthvalue(t, k, dim, keepdim)); });
  }), "A named tuple (values, indices) of the k-th smallest element along dim.", py::arg("k"), py::arg("dim") = -1,
     py::arg("keepdim") = false);
  def_both(m, cls, "mode", bf16::computes([mode_t](const AnyTensor& x, std::int64_t dim, bool keepdim) {
    return x.visit([&](const auto& t) { return pair_result(mode_t, ember::mode(t, dim, keepdim)); });
  }), "A named tuple (values, indices) of the most frequent value along dim (the smallest on ties, with the index "
     "of its last occurrence).", py::arg("dim") = -1, py::arg("keepdim") = false);
  for (const bool skip_nan : {false, true}) {
    const char* name = skip_nan ? "nanquantile" : "quantile";
    def_both(m, cls, name, bf16::computes([name, skip_nan](const AnyTensor& x, py::handle q, py::handle dim, bool keepdim,
                                                           const std::string& interpolation) {
      const auto d = optional_int(dim, name);
      const AnyTensor* qt = tensor_ptr(q);
      const double qd = qt ? 0.0 : q.cast<double>();
      return visit_float(x, name, [&](const auto& t) {
        using T = typename std::decay_t<decltype(t)>::value_type;
        if (!qt) return AnyTensor(ember::quantile(t, qd, d, keepdim, interpolation, skip_nan));
        EMBER_CHECK_TYPE(qt->dtype() == x.dtype(), name, "q must have the input's dtype ", dtype_name(x.dtype()),
                         ", got ", dtype_name(qt->dtype()));
        return AnyTensor(ember::quantile(t, qt->get<T>(), d, keepdim, interpolation, skip_nan));
      });
    }), skip_nan ? "quantile ranking each row's numbers only (NaN skipped)."
                 : "The q-quantiles (q a number or 1-D tensor in [0, 1]) along dim (None: all elements); "
                   "interpolation 'linear', 'lower', 'higher', 'nearest' or 'midpoint'; NaN propagates.",
       py::arg("q"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
       py::arg("interpolation") = "linear");
  }
  for (const bool is_max : {true, false}) {
    py::object type = is_max ? cummax_t : cummin_t;
    def_both(m, cls, is_max ? "cummax" : "cummin", bf16::computes([type, is_max](const AnyTensor& x, std::int64_t dim) {
      return x.visit([&](const auto& t) { return pair_result(type, is_max ? ember::cummax(t, dim) : ember::cummin(t, dim)); });
    }), is_max ? "A named tuple (values, indices) of the running maximum along dim (NaN sticks)."
               : "A named tuple (values, indices) of the running minimum along dim (NaN sticks).", py::arg("dim"));
  }
  def_both(m, cls, "logcumsumexp", [](const AnyTensor& x, std::int64_t dim) {
    return visit_float(x, "logcumsumexp", [&](const auto& t) { return AnyTensor(ember::logcumsumexp(t, dim)); });
  }, "log(cumsum(exp(input))) along dim, without overflow or underflow.", py::arg("dim"));

  // --- unfold.hpp: nn.functional.unfold / fold ---
  cls.def("unfold", [](const AnyTensor& x, std::int64_t dimension, std::int64_t size, std::int64_t step) {
    return x.visit_any([&](const auto& t) { return AnyTensor(ember::unfold_dim(t, dimension, size, step)); });
  }, py::arg("dimension"), py::arg("size"), py::arg("step"),
     "The windows of `size` elements, `step` apart, along `dimension`, as a view with the window elements in a new "
     "last dim (overlapping windows are read-only).");
  m.def("_unfold", [](const AnyTensor& input, py::handle kernel_size, py::handle dilation, py::handle padding,
                     py::handle stride) {
    const UnfoldOptions o = unfold_options(kernel_size, dilation, padding, stride, "unfold");
    return visit_float(input, "unfold", [&](const auto& t) { return AnyTensor(ember::unfold(t, o)); });
  }, py::arg("input"), py::arg("kernel_size"), py::arg("dilation") = 1, py::arg("padding") = 0, py::arg("stride") = 1,
        "The sliding blocks of an (N, C, H, W) input as columns: (N, C * kh * kw, L).");
  m.def("_fold", [](const AnyTensor& input, py::handle output_size, py::handle kernel_size, py::handle dilation,
                   py::handle padding, py::handle stride) {
    const UnfoldOptions o = unfold_options(kernel_size, dilation, padding, stride, "fold");
    const auto size = pair_from_py(output_size, "fold", "output_size");
    return visit_float(input, "fold", [&](const auto& t) { return AnyTensor(ember::fold(t, size, o)); });
  }, py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation") = 1, py::arg("padding") = 0,
        py::arg("stride") = 1, "Columns (N, C * kh * kw, L) back into blocks of (N, C, H, W), overlaps summed.");
}

}  // namespace ember::python
