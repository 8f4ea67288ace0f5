// The tensor API of ops/sort.hpp, scan.hpp, norm.hpp, sampling.hpp, blas_ext.hpp and compare_close.hpp as
// ember.<name> functions and Tensor methods with PyTorch's signatures; the linalg norms go to the
// _core._linalg submodule, re-exported by python/ember/linalg.py.
#include <cmath>

#include "common.hpp"
#include "ember/ops/blas_ext.hpp"
#include "ember/ops/compare_close.hpp"
#include "ember/ops/norm.hpp"
#include "ember/ops/sampling.hpp"
#include "ember/ops/scan.hpp"
#include "ember/ops/sort.hpp"

namespace ember::python {

namespace {

bool is_int(py::handle h) {
  return !PyBool_Check(h.ptr()) && (PyLong_Check(h.ptr()) || (py::hasattr(h, "__index__") && !py::isinstance<py::float_>(h)));
}

// dim=None / int / tuple or list of ints.
std::optional<Shape> dims_arg(py::handle h, const char* op) {
  if (h.is_none()) return std::nullopt;
  if (is_int(h) && !py::isinstance<py::sequence>(h)) return Shape{int64_from_py<std::out_of_range>(h, op)};
  EMBER_CHECK_TYPE(py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h), op,
                   "dim must be None, an int or a tuple of ints, got ",
                   std::string(py::str(py::type::of(h).attr("__name__"))));
  Shape s;
  for (auto item : py::reinterpret_borrow<py::sequence>(h)) {
    EMBER_CHECK_TYPE(is_int(item), op, "dim must be None, an int or a tuple of ints");
    s.push_back(int64_from_py<std::out_of_range>(item, op));
  }
  return s;
}

// The order of a norm: a str ('fro', 'nuc'), or a number (inf included).
NormOrd ord_arg(py::handle h, const char* op) {
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  EMBER_CHECK_TYPE(PyNumber_Check(h.ptr()) && !tensor_ptr(h), op, "ord must be a number or a string, got ",
                   std::string(py::str(py::type::of(h).attr("__name__"))));
  return h.cast<double>();
}


}  // namespace

void bind_tensor_ops(py::module_& m, TensorClass& cls) {
  py::module_ rt = m.attr("return_types");
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  for (const char* n : {"topk", "sort"}) {
    py::object t = namedtuple(n, py::make_tuple("values", "indices"));
    t.attr("__module__") = "ember.return_types";
    t.attr("__doc__") = "(values, indices) of a topk/sort along a dim.";
    rt.attr(n) = t;
  }
  py::object topk_t = rt.attr("topk"), sort_t = rt.attr("sort");

  // --- sort.hpp ---
  def_both(m, cls, "sort", bf16::computes([sort_t](const AnyTensor& x, std::int64_t dim, bool descending,
                                                   bool stable) {
    return x.visit([&](const auto& t) { return pair_result(sort_t, ember::sort(t, dim, descending, stable)); });
  }), "A named tuple (values, indices) of input sorted along dim; NaN sorts as the largest value; the sort is "
     "always stable.", py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  def_both(m, cls, "argsort", [](const AnyTensor& x, std::int64_t dim, bool descending, bool stable) {
    return x.visit([&](const auto& t) { return AnyTensor(ember::argsort(t, dim, descending, stable)); });
  }, "The indices (int64) that sort input along dim (the indices of sort).", py::arg("dim") = -1,
     py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  def_both(m, cls, "msort", [](const AnyTensor& x) {
    return x.visit([&](const auto& t) { return AnyTensor(ember::msort(t)); });
  }, "input sorted along its first dim (the values of sort(input, 0)).");
  def_both(m, cls, "topk", bf16::computes([topk_t](const AnyTensor& x, std::int64_t k, std::int64_t dim, bool largest,
                                                   bool sorted) {
    return x.visit([&](const auto& t) { return pair_result(topk_t, ember::topk(t, k, dim, largest, sorted)); });
  }), "A named tuple (values, indices) of the k largest (largest=False: smallest) elements along dim, in sorted "
     "order.", py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
  def_both(m, cls, "unique", [](const AnyTensor& x, bool sorted, bool return_inverse, bool return_counts,
                                py::handle dim) -> py::object {
    (void)sorted;  // always sorted, which PyTorch allows
    std::optional<std::int64_t> d;
    if (!dim.is_none()) d = int64_from_py<std::out_of_range>(dim, "unique");
    auto [v, inv, cnt] = x.visit([&](const auto& t) {
      auto r = ember::unique(t, d);
      return std::tuple<AnyTensor, AnyTensor, AnyTensor>(r.values, r.inverse, r.counts);
    });
    if (!return_inverse && !return_counts) return py::cast(v);
    py::list out;
    out.append(py::cast(v));
    if (return_inverse) out.append(py::cast(inv));
    if (return_counts) out.append(py::cast(cnt));
    return py::tuple(out);
  }, "The distinct elements of input (dim: the distinct slices along dim) in ascending order; with "
     "return_inverse / return_counts a tuple that adds the inverse indices / the counts.",
     py::arg("sorted") = true, py::arg("return_inverse") = false, py::arg("return_counts") = false,
     py::arg("dim") = py::none());
  auto search = [](const AnyTensor& seq, const AnyTensor& values, bool out_int32, bool right,
                   const std::optional<AnyTensor>& sorter = std::nullopt) {
    return promoted_call({seq, values}, [&](const auto& s, const auto& v) {
      if (sorter) {
        const auto& so = sorter->get<std::int64_t>("searchsorted");
        return out_int32 ? AnyTensor(ember::searchsorted<std::int32_t>(s, v, right, so))
                         : AnyTensor(ember::searchsorted<std::int64_t>(s, v, right, so));
      }
      return out_int32 ? AnyTensor(ember::searchsorted<std::int32_t>(s, v, right))
                       : AnyTensor(ember::searchsorted<std::int64_t>(s, v, right));
    });
  };
  m.def("searchsorted", [search](const AnyTensor& seq, py::handle input, bool out_int32, bool right,
                                 std::optional<std::string> side, const std::optional<AnyTensor>& sorter) {
    if (side) {
      EMBER_CHECK(*side == "left" || *side == "right", "searchsorted", "side can only be 'left' or 'right', got '",
                  *side, "'");
      EMBER_CHECK(!(right && *side == "left"), "searchsorted", "side and right can't be set to opposites, got side "
                  "of left while right was True");
      right = *side == "right";
    }
    return search(seq, tensor_arg(input, seq.dtype(), "searchsorted"), out_int32, right, sorter);
  }, py::arg("sorted_sequence"), py::arg("input"), py::kw_only(), py::arg("out_int32") = false,
        py::arg("right") = false, py::arg("side") = py::none(), py::arg("sorter") = py::none(),
        "For each element of input, the index into the last dim of sorted_sequence where it would be inserted to "
        "keep the order (before equal elements; right=True or side='right': after them); sorter: the indices "
        "that sort an unsorted sequence (argsort).");
  m.def("bucketize", [search](py::handle input, const AnyTensor& boundaries, bool out_int32, bool right) {
    EMBER_CHECK(boundaries.dim() == 1, "bucketize", "boundaries tensor must be 1 dimension, but got shape ",
                boundaries.shape());
    return search(boundaries, tensor_arg(input, boundaries.dtype(), "bucketize"), out_int32, right);
  }, py::arg("input"), py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false, py::arg("right") = false,
        "The bucket index of each element of input among the 1-D ascending boundaries (searchsorted).");
  def_both(m, cls, "bincount", [](const AnyTensor& x, const std::optional<AnyTensor>& weights, std::int64_t minlength) {
    return x.visit([&](const auto& t) {
      if (!weights) return AnyTensor(ember::bincount(t, minlength));
      return weights->visit([&](const auto& w) { return AnyTensor(ember::bincount(t, w, minlength)); });
    });
  }, "Occurrences of each value 0..max(input) of a 1-D non-negative integer tensor (at least minlength bins); "
     "with weights their sums instead (float32 weights: float32, others: float64).",
     py::arg("weights") = py::none(), py::arg("minlength") = 0);

  // --- scan.hpp ---
  def_both(m, cls, "cumsum", [](const AnyTensor& x, std::int64_t dim, py::handle dtype) {
    return with_dtype(bf16::call(false, false, [&](const AnyTensor& in) {
      return in.visit([&](const auto& t) { return AnyTensor(ember::cumsum(t, dim)); }, "cumsum");
    }, with_dtype(x, dtype)), dtype);
  }, "Running sum along dim (bool/integers: int64; dtype converts the input first).", py::arg("dim"), py::kw_only(),
     py::arg("dtype") = py::none());
  def_both(m, cls, "cumprod", [](const AnyTensor& x, std::int64_t dim, py::handle dtype) {
    return with_dtype(bf16::call(false, false, [&](const AnyTensor& in) {
      return in.visit([&](const auto& t) { return AnyTensor(ember::cumprod(t, dim)); }, "cumprod");
    }, with_dtype(x, dtype)), dtype);
  }, "Running product along dim (bool/integers: int64; dtype converts the input first); the gradient is exact "
     "with zeros.", py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  def_both(m, cls, "diff", bf16::computes([](const AnyTensor& x, std::int64_t n, std::int64_t dim,
                                             const std::optional<AnyTensor>& prepend,
                                             const std::optional<AnyTensor>& append) {
    return x.visit([&](const auto& t) {
      using T = typename std::decay_t<decltype(t)>::value_type;
      auto opt = [](const std::optional<AnyTensor>& a) -> OptionalTensor<T> {
        if (!a) return std::nullopt;
        return a->template as<T>();
      };
      return AnyTensor(ember::diff(t, n, dim, opt(prepend), opt(append)));
    });
  }), "The n-th forward difference along dim (bool: xor), after prepend and append are concatenated along dim.",
     py::arg("n") = 1, py::arg("dim") = -1, py::arg("prepend") = py::none(), py::arg("append") = py::none());

  // --- norm.hpp ---
  auto norm_f = [](const AnyTensor& x, py::handle p, py::handle dim, bool keepdim, py::handle dtype) {
    const NormOrd ord = p.is_none() ? NormOrd(std::string("fro")) : ord_arg(p, "norm");
    const auto d = dims_arg(dim, "norm");
    return visit_float(with_dtype(x, dtype), "norm", [&](const auto& t) { return AnyTensor(ember::norm(t, ord, d, keepdim)); });
  };
  def_both(m, cls, "norm", norm_f,
           "The p-norm of input over dim (None: all dims): p 'fro' (default) is the 2-norm, a number the "
           "vector p-norm (inf: ``max |x|``); 'nuc' the nuclear norm (dim None: dims (0, 1)).",
           py::arg("p") = "fro", py::arg("dim") = py::none(), py::arg("keepdim") = false, py::arg("dtype") = py::none());
  py::module_ la = m.def_submodule("_linalg", "ember.linalg's norms (re-exported by ember.linalg).");
  la.def("vector_norm", [](const AnyTensor& x, py::handle ord, py::handle dim, bool keepdim, py::handle dtype) {
    const NormOrd o = ord_arg(ord, "vector_norm");
    EMBER_CHECK(std::holds_alternative<double>(o), "vector_norm", "ord must be a number, got '", std::get<std::string>(o), "'");
    const auto d = dims_arg(dim, "vector_norm");
    return visit_float(with_dtype(x, dtype), "vector_norm", [&](const auto& t) {
      return AnyTensor(ember::vector_norm(t, std::get<double>(o), d ? *d : Shape{}, keepdim));
    });
  }, py::arg("x"), py::arg("ord") = 2, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
         py::arg("dtype") = py::none(),
         "The vector ord-norm of x over dim (None: all elements): ``(sum |x|^ord)^(1/ord)``; inf/-inf: "
         "``max/min |x|``; "
         "0: the number of non-zeros.");
  la.def("matrix_norm", [](const AnyTensor& A, py::handle ord, py::handle dim, bool keepdim, py::handle dtype) {
    const NormOrd o = ord_arg(ord, "matrix_norm");
    const auto d = dims_arg(dim, "matrix_norm");
    return visit_float(with_dtype(A, dtype), "matrix_norm", [&](const auto& t) {
      return AnyTensor(ember::matrix_norm(t, o, d ? *d : Shape{-2, -1}, keepdim));
    });
  }, py::arg("A"), py::arg("ord") = "fro", py::arg("dim") = py::make_tuple(-2, -1), py::arg("keepdim") = false,
         py::kw_only(), py::arg("dtype") = py::none(),
         "The matrix ord-norm over the two dims: 'fro', 1/-1 (max/min column sum of ``|A|``), inf/-inf (max/min row "
         "sum), 'nuc' / 2 / -2 (sum / max / min of the singular values).");
  la.def("norm", [](const AnyTensor& A, py::handle ord, py::handle dim, bool keepdim, py::handle dtype) {
    std::optional<NormOrd> o;
    if (!ord.is_none()) o = ord_arg(ord, "linalg.norm");
    const auto d = dims_arg(dim, "linalg.norm");
    return visit_float(with_dtype(A, dtype), "linalg.norm", [&](const auto& t) {
      return AnyTensor(ember::linalg_norm(t, o, d, keepdim));
    });
  }, py::arg("A"), py::arg("ord") = py::none(), py::arg("dim") = py::none(), py::arg("keepdim") = false,
         py::kw_only(), py::arg("dtype") = py::none(),
         "A vector norm (1-D input or an int dim) or a matrix norm (2-D input or a 2-tuple dim); with ord and dim "
         "None, the 2-norm of all elements.");
  m.def("cdist", [](const AnyTensor& x1, const AnyTensor& x2, double p, py::handle compute_mode) {
    (void)compute_mode;  // the distances are computed directly, whatever the mode
    return promoted_call({x1, x2}, [&](const auto& a, const auto& b) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      if constexpr (FloatElement<T>) {
        return AnyTensor(ember::cdist(a, b, p));
      } else {
        detail::fail<TypeError>("cdist", "only supports floating-point dtypes, got ", dtype_name(a.dtype()));
        return AnyTensor();
      }
    });
  }, py::arg("x1"), py::arg("x2"), py::arg("p") = 2.0, py::arg("compute_mode") = py::none(),
        "The p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): (..., P, R).");

  // --- sampling.hpp ---
  def_both(m, cls, "multinomial", [](const AnyTensor& x, std::int64_t num_samples, bool replacement, py::handle generator) {
    Generator& g = generator.is_none() ? default_generator() : generator.cast<Generator&>();
    return x.visit([&](const auto& t) { return AnyTensor(ember::multinomial(t, num_samples, replacement, g)); });
  }, "num_samples category indices (int64) per row of the 1-D or 2-D non-negative weights input, drawn from "
     "ember's generator (ember.manual_seed).", py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(),
     py::arg("generator") = py::none());

  m.def("_gumbel_softmax", [](const AnyTensor& logits, double tau, bool hard, std::int64_t dim) {
    return visit_float(logits, "gumbel_softmax",
                       [&](const auto& t) { return AnyTensor(ember::gumbel_softmax(t, tau, hard, dim)); });
  }, py::arg("logits"), py::arg("tau") = 1.0, py::arg("hard") = false, py::arg("dim") = -1,
        "A Gumbel-softmax sample over dim (one-hot in the forward with hard, the soft sample's gradient); the noise "
        "comes from ember's generator.");

  // --- blas_ext.hpp ---
  def_both(m, cls, "addmm", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double beta, double alpha) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::addmm(i, p, q, beta, alpha)); });
  }, "beta * input + alpha * (mat1 @ mat2) for 2-D mat1 and mat2; input broadcasts to the product's shape.",
     py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
  def_both(m, cls, "addmv", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double beta, double alpha) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::addmv(i, p, q, beta, alpha)); });
  }, "beta * input + alpha * (mat @ vec) for a 2-D mat and a 1-D vec; input broadcasts to the product's shape.",
     py::arg("mat"), py::arg("vec"), py::kw_only(), py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
  def_both(m, cls, "addr", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double beta, double alpha) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::addr(i, p, q, beta, alpha)); });
  }, "beta * input + alpha * outer(vec1, vec2) for 1-D vectors; input broadcasts to the product's shape.",
     py::arg("vec1"), py::arg("vec2"), py::kw_only(), py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
  def_both(m, cls, "addbmm", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double beta, double alpha) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::addbmm(i, p, q, beta, alpha)); });
  }, "beta * input + alpha * the sum over the batch of bmm(batch1, batch2); input broadcasts to the (n, p) result.",
     py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
  def_both(m, cls, "mv", [](const AnyTensor& a, const AnyTensor& b) {
    return promoted_call({a, b}, [&](const auto& p, const auto& q) { return AnyTensor(ember::mv(p, q)); });
  }, "The product of a 2-D input and a 1-D vec.", py::arg("vec"));
  def_both(m, cls, "vdot", [](const AnyTensor& a, const AnyTensor& b) {
    return promoted_call({a, b}, [&](const auto& p, const auto& q) { return AnyTensor(ember::vdot(p, q)); });
  }, "The dot product of two 1-D tensors (for real tensors, dot).", py::arg("other"));
  def_both(m, cls, "baddbmm", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double beta, double alpha) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::baddbmm(i, p, q, beta, alpha)); });
  }, "beta * input + alpha * bmm(batch1, batch2) for 3-D batches; input broadcasts to the product's shape.",
     py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
  def_both(m, cls, "addcmul", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double value) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::addcmul(i, p, q, value)); });
  }, "input + value * tensor1 * tensor2, broadcast.", py::arg("tensor1"), py::arg("tensor2"), py::kw_only(),
     py::arg("value") = 1.0);
  def_both(m, cls, "addcdiv", [](const AnyTensor& x, const AnyTensor& a, const AnyTensor& b, double value) {
    return promoted_call({x, a, b}, [&](const auto& i, const auto& p, const auto& q) { return AnyTensor(ember::addcdiv(i, p, q, value)); });
  }, "input + value * tensor1 / tensor2, broadcast; floating inputs only.", py::arg("tensor1"), py::arg("tensor2"),
     py::kw_only(), py::arg("value") = 1.0);
  cls.def("addcmul_", [](const AnyTensor& self, const AnyTensor& a, const AnyTensor& b, double value) {
    self.visit([&](const auto& s) {
      using T = typename std::decay_t<decltype(s)>::value_type;
      ember::addcmul_(s, a.template as<T>(), b.template as<T>(), value);
    });
    return self;
  }, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1.0,
          "In-place self += value * tensor1 * tensor2; returns self.");
  cls.def("addcdiv_", [](const AnyTensor& self, const AnyTensor& a, const AnyTensor& b, double value) {
    self.visit([&](const auto& s) {
      using T = typename std::decay_t<decltype(s)>::value_type;
      ember::addcdiv_(s, a.template as<T>(), b.template as<T>(), value);
    });
    return self;
  }, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1.0,
          "In-place self += value * tensor1 / tensor2; returns self.");
  def_both(m, cls, "lerp", [](const AnyTensor& x, const AnyTensor& end, py::handle weight) {
    if (const AnyTensor* w = tensor_ptr(weight))
      return promoted_call({x, end, *w}, [&](const auto& s, const auto& e, const auto& wt) { return AnyTensor(ember::lerp(s, e, wt)); });
    const double w = weight.cast<double>();
    return promoted_call({x, end}, [&](const auto& s, const auto& e) { return AnyTensor(ember::lerp(s, e, w)); });
  }, "input + weight * (end - input), broadcast; weight a tensor or a number; floating inputs only.",
     py::arg("end"), py::arg("weight"));
  cls.def("lerp_", [](const AnyTensor& self, const AnyTensor& end, py::handle weight) {
    self.visit([&](const auto& s) {
      using T = typename std::decay_t<decltype(s)>::value_type;
      if (const AnyTensor* w = tensor_ptr(weight))
        ember::lerp_(s, end.template as<T>(), w->template as<T>());
      else
        ember::lerp_(s, end.template as<T>(), weight.cast<double>());
    });
    return self;
  }, py::arg("end"), py::arg("weight"), "In-place self += weight * (end - self); returns self.");

  // --- compare_close.hpp ---
  def_both(m, cls, "isclose", [](const AnyTensor& a, const AnyTensor& b, double rtol, double atol, bool equal_nan) {
    return promoted_call({a, b}, [&](const auto& x, const auto& y) { return AnyTensor(ember::isclose(x, y, rtol, atol, equal_nan)); });
  }, "Elementwise ``|input - other| <= atol + rtol * |other|`` (equal values always, NaNs when equal_nan), as bool.",
     py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false);
  def_both(m, cls, "allclose", [](const AnyTensor& a, const AnyTensor& b, double rtol, double atol, bool equal_nan) {
    return promoted_call({a, b}, [&](const auto& x, const auto& y) { return ember::allclose(x, y, rtol, atol, equal_nan); });
  }, "Whether isclose(input, other, rtol, atol, equal_nan) holds everywhere, as a Python bool.",
     py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false);
  def_both(m, cls, "nan_to_num", [](const AnyTensor& x, std::optional<double> nan, std::optional<double> posinf,
                                    std::optional<double> neginf) {
    return x.visit([&](const auto& t) { return AnyTensor(ember::nan_to_num(t, nan, posinf, neginf)); });
  }, "input with NaN, +inf and -inf replaced by nan, posinf and neginf (defaults: 0, the dtype's largest and "
     "lowest finite values).", py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
}

}  // namespace ember::python
