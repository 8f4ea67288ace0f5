// Reductions (sum, mean, prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, all, any)
// and softmax / log_softmax, as ember.<name> functions and Tensor methods.
#include "common.hpp"

namespace ember::python {

namespace {

bool is_int(py::handle h) { return PyLong_Check(h.ptr()) || (py::hasattr(h, "__index__") && !py::isinstance<py::float_>(h)); }

// dim=None / int / tuple or list of ints, parsed once before the dtype dispatch.
Dims dims_from_py(py::handle h, const char* op) {
  Dims d;
  if (h.is_none()) return d;
  if (is_int(h) && !py::isinstance<py::sequence>(h)) {
    d.all = false;
    d.list.push_back(py::int_(py::reinterpret_borrow<py::object>(h)).cast<std::int64_t>());
    return d;
  }
  EMBER_CHECK_TYPE(py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h), op,
                   "dim must be None, an int or a tuple of ints, got ",
                   std::string(py::str(py::type::of(h).attr("__name__"))));
  for (auto item : py::reinterpret_borrow<py::sequence>(h)) {
    EMBER_CHECK_TYPE(is_int(item), op, "dim must be None, an int or a tuple of ints, got an element of type ",
                     std::string(py::str(py::type::of(item).attr("__name__"))));
    d.list.push_back(py::int_(py::reinterpret_borrow<py::object>(item)).cast<std::int64_t>());
  }
  d.all = d.list.empty();
  return d;
}

std::optional<std::int64_t> optional_dim(py::handle h, const char* op) {
  if (h.is_none()) return std::nullopt;
  EMBER_CHECK_TYPE(is_int(h), op, "dim must be None or an int, got ",
                   std::string(py::str(py::type::of(h).attr("__name__"))));
  return py::int_(py::reinterpret_borrow<py::object>(h)).cast<std::int64_t>();
}

// A reduction over dims with keepdim: f(Tensor<T>, Dims, keepdim) -> Tensor<U>.
template <class F>
auto dims_reduction(const char* name, F f) {
  return bf16::computes([name, f](const AnyTensor& x, py::handle dim, bool keepdim) {
    const Dims d = dims_from_py(dim, name);
    MaybeReleaseGil g(x.numel());
    return x.visit([&](const auto& t) -> AnyTensor {
      return f(t, d, keepdim);
    }, name);
  });
}

// max/min: the whole-tensor extremum when dim is None, else a (values, indices) named tuple;
// max(input, other) with a tensor is the elementwise maximum, as in torch.
template <bool kMax>
auto extremum(const char* name, py::object result_type) {
  return bf16::computes([name, result_type](const AnyTensor& x, py::handle dim, bool keepdim) -> py::object {
    if (py::isinstance<AnyTensor>(dim)) {
      py::object core = py::module_::import("ember._core");
      const char* ew = kMax ? "maximum" : "minimum";
      EMBER_CHECK_TYPE(py::hasattr(core, ew), name, "max/min of two tensors needs ember.", ew);
      return core.attr(ew)(x, dim);
    }
    const std::optional<std::int64_t> d = optional_dim(dim, name);
    if (!d) {
      AnyTensor r;
      {
        MaybeReleaseGil g(x.numel());
        r = x.visit([&](const auto& t) -> AnyTensor { return kMax ? ember::max(t) : ember::min(t); });
      }
      return py::cast(r);
    }
    std::pair<AnyTensor, AnyTensor> r;
    {
      MaybeReleaseGil g(x.numel());
      r = x.visit([&](const auto& t) -> std::pair<AnyTensor, AnyTensor> {
        auto [v, i] = kMax ? ember::max(t, *d, keepdim) : ember::min(t, *d, keepdim);
        return {AnyTensor(v), AnyTensor(i)};
      });
    }
    return result_type(py::cast(r.first), py::cast(r.second));
  });
}

template <bool kMax>
auto arg_extremum(const char* name) {
  return bf16::computes([name](const AnyTensor& x, py::handle dim, bool keepdim) -> AnyTensor {
    const std::optional<std::int64_t> d = optional_dim(dim, name);
    MaybeReleaseGil g(x.numel());
    return x.visit([&](const auto& t) -> AnyTensor { return kMax ? ember::argmax(t, d, keepdim) : ember::argmin(t, d, keepdim); });
  });
}

// var/std-like ops (input, dim=None, unbiased=None, keepdim=False, *, correction=None): torch's both forms,
// including var(input, unbiased) with a bool in dim's place; f(t, dims, correction, keepdim).
template <class F>
auto with_correction(const char* name, F f) {
  return bf16::computes([name, f](const AnyTensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                                  py::handle correction) {
    if (PyBool_Check(dim.ptr())) {
      EMBER_CHECK_TYPE(unbiased.is_none(), name, "unbiased given twice");
      unbiased = dim;
      dim = py::none();
    }
    EMBER_CHECK_TYPE(unbiased.is_none() || correction.is_none(), name,
                     "cannot specify both unbiased and correction");
    double c = 1;
    if (!unbiased.is_none()) c = unbiased.cast<bool>() ? 1 : 0;
    if (!correction.is_none()) c = correction.cast<double>();
    const Dims d = dims_from_py(dim, name);
    MaybeReleaseGil g(x.numel());
    return x.visit([&](const auto& t) {
      return f(t, d, c, keepdim);
    }, name);
  });
}
auto any_pair(const auto& r) { return std::pair<AnyTensor, AnyTensor>(r.first, r.second); }

template <bool kLog>
auto softmax_fn(const char* name) {
  return [name](const AnyTensor& x, py::handle dim, py::handle dtype) {
    EMBER_CHECK_TYPE(!dim.is_none() && is_int(dim), name, "dim must be an int, got ",
                     std::string(py::str(py::type::of(dim).attr("__name__"))));
    const auto d = dim.cast<std::int64_t>();
    const AnyTensor in = with_dtype(x, dtype);
    MaybeReleaseGil g(in.numel());
    return bf16::call(false, false, [&](const AnyTensor& a) {
      return a.visit([&](const auto& t) -> AnyTensor { return kLog ? ember::log_softmax(t, d) : ember::softmax(t, d); });
    }, in);
  };
}

}  // namespace

void bind_reduce(py::module_& m, TensorClass& cls) {
  py::module_ rt = m.def_submodule("return_types", "Named tuples returned by max(dim) and min(dim).");
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  for (const char* n : {"max", "min"}) {
    py::object t = namedtuple(n, py::make_tuple("values", "indices"));
    t.attr("__module__") = "ember.return_types";
    t.attr("__doc__") = "(values, indices) of a max/min along a dim.";
    rt.attr(n) = t;
  }

  const auto dim = py::arg("dim") = py::none();
  const auto keepdim = py::arg("keepdim") = false;

  auto sum_f = dims_reduction("sum", [](const auto& t, auto d, bool k) { return ember::sum(t, d, k); });
  // With dtype, the result has it too (an int32 sum wraps in int32, as PyTorch's; ember sums in int64).
  auto sum_dt = [sum_f](const AnyTensor& x, py::handle dim, bool keepdim, py::handle dtype) {
    return with_dtype(sum_f(with_dtype(x, dtype), dim, keepdim), dtype);
  };
  def_both(m, cls, "sum", sum_dt,
           "Sum over dim (None: all dims; an int or a tuple of ints); bool/int inputs sum to int64; "
           "dtype converts the input first.",
           dim, keepdim, py::kw_only(), py::arg("dtype") = py::none());
  auto prod_f = dims_reduction("prod", [](const auto& t, auto d, bool k) { return ember::prod(t, d, k); });
  def_both(m, cls, "prod", [prod_f](const AnyTensor& x, py::handle dim, bool keepdim, py::handle dtype) {
    return with_dtype(prod_f(with_dtype(x, dtype), dim, keepdim), dtype);
  }, "Product over dim (None: all dims); bool/int inputs multiply in int64; dtype converts the input first.",
           dim, keepdim, py::kw_only(), py::arg("dtype") = py::none());
  auto mean_f = dims_reduction("mean", [](const auto& t, auto d, bool k) { return ember::mean(t, d, k); });
  def_both(m, cls, "mean", [mean_f](const AnyTensor& x, py::handle dim, bool keepdim, py::handle dtype) {
    return mean_f(with_dtype(x, dtype), dim, keepdim);
  }, "Mean over dim (None: all dims); floating inputs only (TypeError otherwise, pass dtype= to convert).",
           dim, keepdim, py::kw_only(), py::arg("dtype") = py::none());
  def_both(m, cls, "amax", dims_reduction("amax", [](const auto& t, auto d, bool k) { return ember::amax(t, d, k); }),
           "Largest element over dim (None: all dims); NaN propagates; an empty reduced dim is an IndexError.",
           dim, keepdim);
  def_both(m, cls, "amin", dims_reduction("amin", [](const auto& t, auto d, bool k) { return ember::amin(t, d, k); }),
           "Smallest element over dim (None: all dims); NaN propagates; an empty reduced dim is an IndexError.",
           dim, keepdim);
  def_both(m, cls, "logsumexp",
           dims_reduction("logsumexp", [](const auto& t, auto d, bool k) { return ember::logsumexp(t, d, k); }),
           "log(sum(exp(input))) over dim (None: all dims), computed stably; integer inputs give float32.",
           dim, keepdim);
  def_both(m, cls, "all", dims_reduction("all", [](const auto& t, auto d, bool k) { return ember::all(t, d, k); }),
           "Whether every element over dim (None: all dims) is non-zero, as a bool tensor.", dim, keepdim);
  def_both(m, cls, "any", dims_reduction("any", [](const auto& t, auto d, bool k) { return ember::any(t, d, k); }),
           "Whether some element over dim (None: all dims) is non-zero, as a bool tensor.", dim, keepdim);

  def_both(m, cls, "max", extremum<true>("max", rt.attr("max")),
           "max(input): the largest element (0-d; NaN propagates). max(input, dim, keepdim=False): a named tuple "
           "(values, indices) along dim; ties give the first index. max(input, other): the elementwise maximum.",
           dim, keepdim);
  def_both(m, cls, "min", extremum<false>("min", rt.attr("min")),
           "min(input): the smallest element (0-d; NaN propagates). min(input, dim, keepdim=False): a named tuple "
           "(values, indices) along dim; ties give the first index. min(input, other): the elementwise minimum.",
           dim, keepdim);
  def_both(m, cls, "argmax", arg_extremum<true>("argmax"),
           "Index (int64) of the largest element along dim, or of the flattened input when dim is None; "
           "ties give the first index, the first NaN wins.",
           dim, keepdim);
  def_both(m, cls, "argmin", arg_extremum<false>("argmin"),
           "Index (int64) of the smallest element along dim, or of the flattened input when dim is None; "
           "ties give the first index, the first NaN wins.",
           dim, keepdim);
  auto var_f = with_correction("var", [](const auto& t, auto d, double c, bool k) { return AnyTensor(ember::var(t, d, c, k)); });
  def_both(m, cls, "var", var_f,
           "Variance over dim (None: all dims) with divisor N - correction (default 1; unbiased=False means 0); "
           "floating inputs only.",
           dim, py::arg("unbiased") = py::none(), keepdim, py::kw_only(), py::arg("correction") = py::none());
  auto std_f = with_correction("std", [](const auto& t, auto d, double c, bool k) { return AnyTensor(ember::std(t, d, c, k)); });
  def_both(m, cls, "std", std_f,
           "Standard deviation over dim (None: all dims) with divisor N - correction (default 1; unbiased=False "
           "means 0); floating inputs only.",
           dim, py::arg("unbiased") = py::none(), keepdim, py::kw_only(), py::arg("correction") = py::none());
  def_both(m, cls, "var_mean", with_correction("var_mean", [](const auto& t, auto d, double c, bool k) {
    return any_pair(ember::var_mean(t, d, c, k));
  }), "(var, mean) over dim, as var and mean give them.", dim, py::arg("unbiased") = py::none(), keepdim, py::kw_only(),
           py::arg("correction") = py::none());
  def_both(m, cls, "std_mean", with_correction("std_mean", [](const auto& t, auto d, double c, bool k) {
    return any_pair(ember::std_mean(t, d, c, k));
  }), "(std, mean) over dim, as std and mean give them.", dim, py::arg("unbiased") = py::none(), keepdim,
           py::kw_only(), py::arg("correction") = py::none());
  auto nansum_f = dims_reduction("nansum", [](const auto& t, auto d, bool k) { return ember::nansum(t, d, k); });
  def_both(m, cls, "nansum", [nansum_f](const AnyTensor& x, py::handle dim, bool keepdim, py::handle dtype) {
    return with_dtype(nansum_f(with_dtype(x, dtype), dim, keepdim), dtype);
  }, "Sum over dim (None: all dims) treating NaN as 0.", dim, keepdim, py::kw_only(), py::arg("dtype") = py::none());
  auto nanmean_f = dims_reduction("nanmean", [](const auto& t, auto d, bool k) {
    using T = typename std::decay_t<decltype(t)>::value_type;
    if constexpr (FloatElement<T>) {
      return AnyTensor(ember::nanmean(t, d, k));
    } else {
      detail::fail<TypeError>("nanmean", "expected a floating input, got dtype ", dtype_name(t.dtype()),
                              " (pass dtype= to convert)");
      return AnyTensor();
    }
  });
  def_both(m, cls, "nanmean", [nanmean_f](const AnyTensor& x, py::handle dim, bool keepdim, py::handle dtype) {
    return nanmean_f(with_dtype(x, dtype), dim, keepdim);
  }, "Mean over dim (None: all dims) of the elements that are not NaN.", dim, keepdim, py::kw_only(),
     py::arg("dtype") = py::none());
  def_both(m, cls, "count_nonzero",
           bf16::computes([](const AnyTensor& x, py::handle dim) {
             const Dims d = dims_from_py(dim, "count_nonzero");
             return x.visit([&](const auto& t) {
               return AnyTensor(ember::count_nonzero(t, d));
             });
           }),
           "The number of nonzero elements over dim (None: all dims), as int64.", dim);
  py::object aminmax_t = namedtuple("aminmax", py::make_tuple("min", "max"));
  aminmax_t.attr("__module__") = "ember.return_types";
  rt.attr("aminmax") = aminmax_t;
  def_both(m, cls, "aminmax", bf16::computes([aminmax_t](const AnyTensor& x, py::handle dim, bool keepdim) {
    const Dims d = dims_from_py(dim, "aminmax");
    const auto [lo, hi] = x.visit([&](const auto& t) {
      return any_pair(ember::aminmax(t, d, keepdim));
    });
    return aminmax_t(py::cast(lo), py::cast(hi));
  }), "A named tuple (min, max) of the smallest and largest elements over dim (None: all dims).", py::kw_only(), dim,
           keepdim);
  def_both(m, cls, "softmax", softmax_fn<false>("softmax"),
           "exp(input) / sum(exp(input)) along dim, computed stably; floating inputs only (dtype converts first).",
           py::arg("dim"), py::arg("dtype") = py::none());
  def_both(m, cls, "log_softmax", softmax_fn<true>("log_softmax"),
           "input - logsumexp(input) along dim, computed stably; floating inputs only (dtype converts first).",
           py::arg("dim"), py::arg("dtype") = py::none());
}

}  // namespace ember::python
