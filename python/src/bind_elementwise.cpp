// Elementwise ops: unary math, binary arithmetic and comparisons (functions, methods and operators),
// logical ops, where, clamp and in-place arithmetic. Binary ops take py::handle operands and dispatch
// by hand (one dtype visit, no pybind11 overload chain): `a + b` on small tensors is per-call overhead.
#include "common.hpp"

namespace ember::python {

namespace {

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// A scalar operand's value as T (the promoted dtype, so a float scalar only meets a float T).
template <class T>
T scalar_as(const Operand& o) {
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(o.value);
  else return o.kind == ScalarKind::Float ? static_cast<T>(o.value) : static_cast<T>(o.ivalue);
}

// Operand of a binary op, or nullopt (operators then return NotImplemented) / TypeError (functions).
std::optional<Operand> operand_or_none(py::handle h, const char* op, bool op_mode) {
  if (!op_mode) return operand_from_py(h, op);
  try {
    return operand_from_py(h, op);
  } catch (const TypeError&) {
    return std::nullopt;
  }
}

// F::call(x, y) for x, y each a Tensor<T> or a T; F::name for errors. a or b may be a Python scalar.
template <class F>
py::object binary_py(py::handle a, py::handle b, bool op_mode) {
  AnyTensor r;
  const AnyTensor* pa = tensor_ptr(a);
  const AnyTensor* pb = tensor_ptr(b);
  const bool ta = pa != nullptr, tb = pb != nullptr;
  if (ta && tb) {
    const auto& x = *pa;
    const auto& y = *pb;
    if (x.dtype() == y.dtype() && x.dtype() != DType::BFloat16) {  // the fast path: no conversion, one visit
      MaybeReleaseGil g(x.numel());
      r = x.visit([&](const auto& xt) -> AnyTensor {
        using T = typename std::decay_t<decltype(xt)>::value_type;
        return F::call(xt, *std::get_if<Tensor<T>>(&y.variant()));
      });
    } else {
      DType p = promote_types(x.dtype(), y.dtype());
      r = bf16::promoted(p, [&] {
        const AnyTensor xp = x.to(p), yp = y.to(p);
        MaybeReleaseGil g(x.numel());
        return xp.visit([&](const auto& xt) -> AnyTensor {
          using T = typename std::decay_t<decltype(xt)>::value_type;
          return F::call(xt, yp.get<T>());
        });
      });
    }
    return py::cast(std::move(r));
  }
  if (!ta && !tb) {
    if (op_mode) return not_implemented();
    detail::fail<TypeError>(F::name, "expected at least one ember.Tensor operand, got ",
                            std::string(py::str(py::type::of(a).attr("__name__"))), " and ",
                            std::string(py::str(py::type::of(b).attr("__name__"))));
  }
  const auto& t = ta ? *pa : *pb;
  const auto o = operand_or_none(ta ? b : a, F::name, op_mode);
  if (!o) return not_implemented();
  DType p = promote_with_scalar(t.dtype(), o->kind);
  // The number must keep its value: true division computes in float32 for integer inputs, so convert
  // it there (uint8 8 / -1 is -8, not 8 / 255); and a negative integer exponent is refused before a
  // conversion into an unsigned dtype could hide its sign.
  const std::string_view op = F::name;
  if (op == "div" && !is_floating(p)) p = DType::Float32;
  EMBER_CHECK(!(op == "pow" && ta && !is_floating(p) && o->kind == ScalarKind::Int && o->ivalue < 0), "pow",
              "integers to negative integer powers are not allowed (exponent ", o->ivalue, ")");
  r = bf16::promoted(p, [&] {
    const AnyTensor tp = t.to(p);
    MaybeReleaseGil g(t.numel());
    return tp.visit([&](const auto& xt) -> AnyTensor {
      using T = typename std::decay_t<decltype(xt)>::value_type;
      const T s = scalar_as<T>(*o);
      if (ta) return F::call(xt, s);
      return F::call(s, xt);
    });
  });
  return py::cast(std::move(r));
}

// self F= other in place; returns self.
template <class F>
py::object inplace_py(py::handle self, py::handle other, bool op_mode) {
  const auto& s = self.cast<const AnyTensor&>();
  if (const AnyTensor* po = tensor_ptr(other)) {
    const auto& o = *po;
    MaybeReleaseGil g(s.numel());
    s.visit([&](const auto& st) { o.visit([&](const auto& ot) { F::call(st, ot); }, F::name); }, F::name);
  } else {
    const auto o = operand_or_none(other, F::name, op_mode);
    if (!o) return not_implemented();
    MaybeReleaseGil g(s.numel());
    s.visit([&](const auto& st) {
      if (o->kind == ScalarKind::Float) F::call(st, o->value);
      else if (o->kind == ScalarKind::Int) F::call(st, o->ivalue);
      else F::call(st, o->ivalue != 0);
    }, F::name);
  }
  return py::reinterpret_borrow<py::object>(self);
}

// CPython slot functions for the operators: binary_py/inplace_py without the method lookup and
// pybind11's dispatcher, which cost about a quarter of `a + b` on small tensors.
template <class F>
PyObject* binary_slot(PyObject* a, PyObject* b) {
  return slot_result([&] { return binary_py<F>(a, b, true); });
}
template <class F>
PyObject* inplace_slot(PyObject* self, PyObject* other) {
  return slot_result([&] { return inplace_py<F>(self, other, true); });
}

// The binary functors binary_py and inplace_py call: fn_f for each op of EMBER_BINARY_API, and the
// written-out ones.
#define EMBER_PY_OP(Name, str, fn)                                                      \
  struct Name {                                                                         \
    static constexpr const char* name = str;                                            \
    template <class X, class Y> static auto call(const X& x, const Y& y) { return ember::fn(x, y); } \
  };
#define EMBER_PY_API_OP(Op, fn, doc) EMBER_PY_OP(fn##_f, #fn, fn)
EMBER_BINARY_API(EMBER_PY_API_OP)
#undef EMBER_PY_API_OP
EMBER_PY_OP(pow_f, "pow", pow)
EMBER_PY_OP(add_inplace_f, "add_", add_)
EMBER_PY_OP(sub_inplace_f, "sub_", sub_)
EMBER_PY_OP(mul_inplace_f, "mul_", mul_)
EMBER_PY_OP(div_inplace_f, "div_", div_)
EMBER_PY_OP(pow_inplace_f, "pow_", pow_)
#undef EMBER_PY_OP

// & | ^ on bool tensors (logical); other dtypes are a TypeError (no integer bitwise ops yet).
template <class Logical>
struct BitwiseF {
  static constexpr const char* name = Logical::name;
  template <class X, class Y>
  static Tensor<bool> call(const X& x, const Y& y) {
    using T = typename std::conditional_t<std::is_arithmetic_v<X>, Y, X>::value_type;
    if constexpr (std::is_same_v<T, bool>) return Logical::call(x, y);
    else detail::fail<TypeError>(name, "bitwise operators are only supported on bool tensors, got ",
                                 dtype_name(dtype_of<T>));
  }
};

AnyTensor invert(const AnyTensor& x) {
  EMBER_CHECK_TYPE(x.dtype() == DType::Bool, "bitwise_not",
                   "~ is only supported on bool tensors, got ", dtype_name(x.dtype()));
  return ember::logical_not(x.get<bool>());
}

// other * alpha for add/sub(..., alpha=): PyTorch's rule that an integer input takes no float alpha.
py::object alpha_scaled(py::handle input, py::handle other, py::handle alpha, const char* op) {
  const AnyTensor* t = tensor_ptr(input);
  const AnyTensor* o = tensor_ptr(other);
  const bool integral = (!t || is_integral(t->dtype()) || t->dtype() == DType::Bool) &&
                        (!o || is_integral(o->dtype()) || o->dtype() == DType::Bool);
  EMBER_CHECK_TYPE(!(integral && PyFloat_Check(alpha.ptr())), op,
                   "for integral input tensors, argument alpha must not be a floating point number");
  if (!o) return py::reinterpret_borrow<py::object>(other) * py::reinterpret_borrow<py::object>(alpha);
  return binary_py<mul_f>(other, alpha, false);
}

template <class F>
AnyTensor unary_py(const AnyTensor& x, F f) {
  MaybeReleaseGil g(x.numel());
  return bf16::call(false, false, [&](const AnyTensor& in) { return in.visit([&](const auto& t) -> AnyTensor { return f(t); }); }, x);
}

// clamp's bounds parsed once: numbers or tensors, and the dtype they promote x to.
struct ClampBounds {
  std::optional<Operand> lo, hi;
  DType promoted;
  bool tensors = false;

  ClampBounds(const AnyTensor& x, py::handle min, py::handle max, const char* op) : promoted(x.dtype()) {
    EMBER_CHECK(!min.is_none() || !max.is_none(), op, "at least one of min and max must be given");
    if (!min.is_none()) lo = operand_from_py(min, op);
    if (!max.is_none()) hi = operand_from_py(max, op);
    for (const auto& o : {lo, hi}) {
      if (!o) continue;
      tensors |= o->tensor != nullptr;
      promoted = o->tensor ? promote_types(promoted, o->tensor->dtype()) : promote_with_scalar(promoted, o->kind);
    }
  }
  // ember::clamp / clamp_ on t with these bounds as T.
  template <Element T, class Clamp>
  auto apply(const Tensor<T>& t, Clamp clamp) const {
    if (!tensors)
      return clamp(t, lo ? std::optional<T>(scalar_as<T>(*lo)) : std::nullopt,
                   hi ? std::optional<T>(scalar_as<T>(*hi)) : std::nullopt);
    auto bound = [&](const std::optional<Operand>& o) -> Tensor<T> {
      if (!o) return Tensor<T>();
      return (o->tensor ? o->tensor->to(dtype_of<T>) : scalar_to_tensor(*o, dtype_of<T>)).template get<T>();
    };
    return clamp(t, bound(lo), bound(hi));
  }
};

AnyTensor clamp_py(const AnyTensor& x, py::handle lo, py::handle hi) {
  const ClampBounds b(x, lo, hi, "clamp");
  DType p = b.promoted;
  return bf16::promoted(p, [&] {
    const AnyTensor xp = x.to(p);
    MaybeReleaseGil g(x.numel());
    return xp.visit([&](const auto& t) -> AnyTensor {
      return b.apply(t, [](const auto& v, const auto& l, const auto& h) { return ember::clamp(v, l, h); });
    }, "clamp");
  });
}

// clamp written into self: the promoted dtype must be self's (an int tensor clamped by 0.5 is a TypeError).
py::object clamp_inplace_py(py::handle self, py::handle lo, py::handle hi, const char* op) {
  const auto& x = self.cast<const AnyTensor&>();
  const ClampBounds b(x, lo, hi, op);
  EMBER_CHECK_TYPE(can_cast(b.promoted, x.dtype()), op, "result type ", dtype_name(b.promoted),
                   " can't be cast to the desired output type ", dtype_name(x.dtype()));
  return write_inplace(self, op, [&](const auto& t) {
    b.apply(t, [](const auto& v, const auto& l, const auto& h) { return &ember::clamp_(v, l, h); });
  });
}

AnyTensor where_py(const AnyTensor& cond, py::handle a, py::handle b) {
  const Tensor<bool>& c = cond.get<bool>("where");
  const Operand oa = operand_from_py(a, "where"), ob = operand_from_py(b, "where");
  DType p;
  if (oa.tensor && ob.tensor) p = promote_types(oa.tensor->dtype(), ob.tensor->dtype());
  else if (oa.tensor) p = promote_with_scalar(oa.tensor->dtype(), ob.kind);
  else if (ob.tensor) p = promote_with_scalar(ob.tensor->dtype(), oa.kind);
  else p = promote_with_scalar(promote_with_scalar(DType::Bool, oa.kind), ob.kind);
  return bf16::promoted(p, [&] {
    const AnyTensor ta = oa.tensor ? oa.tensor->to(p) : scalar_to_tensor(oa, p);
    const AnyTensor tb = ob.tensor ? ob.tensor->to(p) : scalar_to_tensor(ob, p);
    MaybeReleaseGil g(c.numel());
    return ta.visit([&](const auto& x) -> AnyTensor {
      using T = typename std::decay_t<decltype(x)>::value_type;
      return ember::where(c, x, tb.get<T>());
    }, "where");
  });
}

}  // namespace

void bind_elementwise(py::module_& m, TensorClass& cls) {
  // --- unary: ember.<op>(input) and Tensor.<op>() ---
#define EMBER_PY_UNARY(Op, fn, doc)                                                                   \
  {                                                                                                   \
    auto f = [](const AnyTensor& x) { return unary_py(x, [](const auto& t) { return ember::fn(t); }); }; \
    m.def(#fn, f, py::arg("input"), doc);                                                             \
    cls.def(#fn, f, doc);                                                                             \
  }
  EMBER_UNARY_API(EMBER_PY_UNARY)
#undef EMBER_PY_UNARY
  // --- in place: ember.<op>_(input) and Tensor.<op>_(), returning the tensor itself ---
#define EMBER_PY_UNARY_INPLACE(Op, fn, doc)                                                          \
  {                                                                                                  \
    auto f = [](py::handle self) { return write_inplace(self, #fn "_", [](const auto& t) { ember::fn##_(t); }); }; \
    m.def(#fn "_", f, py::arg("input"), "In place: " doc);                                           \
    cls.def(#fn "_", f, "In place: " doc);                                                           \
  }
  EMBER_UNARY_MATH_API(EMBER_PY_UNARY_INPLACE)
#undef EMBER_PY_UNARY_INPLACE
  m.attr("negative") = m.attr("neg");
  auto round_decimals = [](const AnyTensor& x, std::int64_t decimals) {
    if (decimals == 0) return unary_py(x, [](const auto& t) { return ember::round(t); });
    return visit_float(x, "round", [decimals](const auto& t) { return AnyTensor(ember::round(t, decimals)); });
  };
  m.def("round", round_decimals, py::arg("input"), py::kw_only(), py::arg("decimals"),
        "input rounded to decimals decimal places (negative: tens, hundreds...), halves to even.");
  cls.def("round", round_decimals, py::kw_only(), py::arg("decimals"),
          "The tensor rounded to decimals decimal places, halves to even.");
  auto logit_eps = [](const AnyTensor& x, py::handle eps) {
    if (eps.is_none()) return unary_py(x, [](const auto& t) { return ember::logit(t); });
    const double e = eps.cast<double>();
    return visit_float(x, "logit", [e](const auto& t) { return AnyTensor(ember::logit(t, e)); });
  };
  m.def("logit", logit_eps, py::arg("input"), py::arg("eps"),
        "logit of input clamped to [eps, 1 - eps] (eps None: unclamped).");
  cls.def("logit", logit_eps, py::arg("eps"), "logit of the tensor clamped to [eps, 1 - eps] (eps None: unclamped).");
  // NumPy's names, and PyTorch's sgn (the sign of a real input)
  for (const auto& [alias, name] : {std::pair{"arcsin", "asin"}, {"arccos", "acos"}, {"arctan", "atan"},
                                    {"arcsinh", "asinh"}, {"arccosh", "acosh"}, {"arctanh", "atanh"},
                                    {"absolute", "abs"}, {"fix", "trunc"}, {"sgn", "sign"}}) {
    m.attr(alias) = m.attr(name);
    cls.attr(alias) = cls.attr(name);
  }
  auto gelu = [](const AnyTensor& x, const std::string& approximate) {
    return unary_py(x, [&](const auto& t) { return ember::gelu(t, approximate); });
  };
  m.def("gelu", gelu, py::arg("input"), py::kw_only(), py::arg("approximate") = "none",
        "GELU elementwise: exact erf form (approximate='none') or the tanh approximation ('tanh').");
  cls.def("gelu", gelu, py::kw_only(), py::arg("approximate") = "none",
          "GELU elementwise: exact erf form (approximate='none') or the tanh approximation ('tanh').");
  cls.def("__neg__", [](const AnyTensor& x) { return unary_py(x, [](const auto& t) { return ember::neg(t); }); });
  cls.def("__abs__", [](const AnyTensor& x) { return unary_py(x, [](const auto& t) { return ember::abs(t); }); });
  cls.def("__invert__", &invert, "~input for a bool tensor (logical not).");

  // --- binary: ember.<op>(input, other), Tensor.<op>(other) and the operators ---
#define EMBER_PY_BINARY(fn, F, doc)                                                                   \
  m.def(#fn, [](py::handle a, py::handle b) { return binary_py<F>(a, b, false); }, py::arg("input"),   \
        py::arg("other"), doc);                                                                       \
  cls.def(#fn, [](py::handle a, py::handle b) { return binary_py<F>(a, b, false); }, py::arg("other"), doc);
#define EMBER_PY_API_BINARY(Op, fn, doc) EMBER_PY_BINARY(fn, fn##_f, doc)
  EMBER_BINARY_API(EMBER_PY_API_BINARY)
#undef EMBER_PY_API_BINARY
  // add/sub(input, other, *, alpha): input +/- alpha * other (an overload, so the common call stays fast)
  m.def("add", [](py::handle a, py::handle b, py::handle alpha) {
    return binary_py<add_f>(a, alpha_scaled(a, b, alpha, "add"), false);
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha"), "input + alpha * other.");
  m.def("sub", [](py::handle a, py::handle b, py::handle alpha) {
    return binary_py<sub_f>(a, alpha_scaled(a, b, alpha, "sub"), false);
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha"), "input - alpha * other.");
  cls.def("add", [](py::handle a, py::handle b, py::handle alpha) {
    return binary_py<add_f>(a, alpha_scaled(a, b, alpha, "add"), false);
  }, py::arg("other"), py::kw_only(), py::arg("alpha"), "self + alpha * other.");
  cls.def("sub", [](py::handle a, py::handle b, py::handle alpha) {
    return binary_py<sub_f>(a, alpha_scaled(a, b, alpha, "sub"), false);
  }, py::arg("other"), py::kw_only(), py::arg("alpha"), "self - alpha * other.");
  EMBER_PY_BINARY(pow, pow_f, "input ** other (tensor or scalar on either side), broadcast and type-promoted.")
  EMBER_PY_BINARY(subtract, sub_f, "Alias of sub.")
  EMBER_PY_BINARY(multiply, mul_f, "Alias of mul.")
  EMBER_PY_BINARY(true_divide, div_f, "Alias of div.")
#undef EMBER_PY_BINARY
  m.attr("divide") = m.attr("true_divide");
  m.attr("arctan2") = m.attr("atan2");
  cls.attr("arctan2") = cls.attr("atan2");

#define EMBER_PY_OPERATOR(name, F) \
  cls.def(name, [](py::handle a, py::handle b) { return binary_py<F>(a, b, true); });
#define EMBER_PY_ROPERATOR(name, F) \
  cls.def(name, [](py::handle a, py::handle b) { return binary_py<F>(b, a, true); });
  EMBER_PY_OPERATOR("__add__", add_f)
  EMBER_PY_ROPERATOR("__radd__", add_f)
  EMBER_PY_OPERATOR("__sub__", sub_f)
  EMBER_PY_ROPERATOR("__rsub__", sub_f)
  EMBER_PY_OPERATOR("__mul__", mul_f)
  EMBER_PY_ROPERATOR("__rmul__", mul_f)
  EMBER_PY_OPERATOR("__truediv__", div_f)
  EMBER_PY_ROPERATOR("__rtruediv__", div_f)
  EMBER_PY_OPERATOR("__pow__", pow_f)
  EMBER_PY_ROPERATOR("__rpow__", pow_f)
  EMBER_PY_OPERATOR("__mod__", remainder_f)
  EMBER_PY_ROPERATOR("__rmod__", remainder_f)
  EMBER_PY_OPERATOR("__floordiv__", floor_divide_f)
  EMBER_PY_ROPERATOR("__rfloordiv__", floor_divide_f)
  EMBER_PY_OPERATOR("__eq__", eq_f)
  EMBER_PY_OPERATOR("__ne__", ne_f)
  EMBER_PY_OPERATOR("__lt__", lt_f)
  EMBER_PY_OPERATOR("__le__", le_f)
  EMBER_PY_OPERATOR("__gt__", gt_f)
  EMBER_PY_OPERATOR("__ge__", ge_f)
  EMBER_PY_OPERATOR("__and__", BitwiseF<logical_and_f>)
  EMBER_PY_ROPERATOR("__rand__", BitwiseF<logical_and_f>)
  EMBER_PY_OPERATOR("__or__", BitwiseF<logical_or_f>)
  EMBER_PY_ROPERATOR("__ror__", BitwiseF<logical_or_f>)
  EMBER_PY_OPERATOR("__xor__", BitwiseF<logical_xor_f>)
  EMBER_PY_ROPERATOR("__rxor__", BitwiseF<logical_xor_f>)
#undef EMBER_PY_OPERATOR
#undef EMBER_PY_ROPERATOR
  // The same operators as type slots (see binary_slot). A Python subclass (nn.Parameter) does not inherit
  // these: CPython gives it slots that look up the methods above, with the same results.
  PyNumberMethods& num = tensor_number_slots(cls);
  num.nb_add = binary_slot<add_f>;
  num.nb_subtract = binary_slot<sub_f>;
  num.nb_multiply = binary_slot<mul_f>;
  num.nb_true_divide = binary_slot<div_f>;
  num.nb_remainder = binary_slot<remainder_f>;
  num.nb_floor_divide = binary_slot<floor_divide_f>;
  num.nb_and = binary_slot<BitwiseF<logical_and_f>>;
  num.nb_or = binary_slot<BitwiseF<logical_or_f>>;
  num.nb_xor = binary_slot<BitwiseF<logical_xor_f>>;
  num.nb_power = [](PyObject* a, PyObject* b, PyObject* mod) -> PyObject* {
    if (mod != Py_None) return not_implemented().release().ptr();  // pow(a, b, mod): TypeError from Python
    return binary_slot<pow_f>(a, b);
  };
  num.nb_inplace_add = inplace_slot<add_inplace_f>;
  num.nb_inplace_subtract = inplace_slot<sub_inplace_f>;
  num.nb_inplace_multiply = inplace_slot<mul_inplace_f>;
  num.nb_inplace_true_divide = inplace_slot<div_inplace_f>;
  reinterpret_cast<PyTypeObject*>(cls.ptr())->tp_richcompare = [](PyObject* a, PyObject* b, int op) -> PyObject* {
    switch (op) {
      case Py_EQ: return binary_slot<eq_f>(a, b);
      case Py_NE: return binary_slot<ne_f>(a, b);
      case Py_LT: return binary_slot<lt_f>(a, b);
      case Py_LE: return binary_slot<le_f>(a, b);
      case Py_GT: return binary_slot<gt_f>(a, b);
      default: return binary_slot<ge_f>(a, b);
    }
  };
  // __eq__ returns a tensor, so hash by identity as torch does (pybind11 would set __hash__ = None).
  cls.attr("__hash__") = py::module_::import("builtins").attr("object").attr("__hash__");

  // --- in place ---
#define EMBER_PY_INPLACE(name, op, F, doc)                                                            \
  cls.def(name, [](py::handle s, py::handle o) { return inplace_py<F>(s, o, false); }, py::arg("other"), doc); \
  cls.def(op, [](py::handle s, py::handle o) { return inplace_py<F>(s, o, true); });
  EMBER_PY_INPLACE("add_", "__iadd__", add_inplace_f, "self += other in place (other broadcast to self's shape); returns self.")
  EMBER_PY_INPLACE("sub_", "__isub__", sub_inplace_f, "self -= other in place; returns self.")
  cls.def("add_", [](py::handle s, py::handle o, py::handle alpha) {
    return inplace_py<add_inplace_f>(s, alpha_scaled(s, o, alpha, "add_"), false);
  }, py::arg("other"), py::kw_only(), py::arg("alpha"), "self += alpha * other in place; returns self.");
  cls.def("sub_", [](py::handle s, py::handle o, py::handle alpha) {
    return inplace_py<sub_inplace_f>(s, alpha_scaled(s, o, alpha, "sub_"), false);
  }, py::arg("other"), py::kw_only(), py::arg("alpha"), "self -= alpha * other in place; returns self.");
  EMBER_PY_INPLACE("mul_", "__imul__", mul_inplace_f, "``self *= other`` in place; returns self.")
  EMBER_PY_INPLACE("div_", "__itruediv__", div_inplace_f,
                   "self /= other in place; returns self (TypeError for integer self: the result is float).")
  EMBER_PY_INPLACE("pow_", "__ipow__", pow_inplace_f, "``self **= other`` in place; returns self.")
#undef EMBER_PY_INPLACE

  // --- clamp and where ---
  m.def("clamp", &clamp_py, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none(),
        "input limited elementwise to [min, max]; each bound optional, a number or a tensor (broadcast).");
  m.def("clip", &clamp_py, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none(),
        "Alias of clamp.");
  cls.def("clamp", &clamp_py, py::arg("min") = py::none(), py::arg("max") = py::none(),
          "self limited elementwise to [min, max]; each bound optional, a number or a tensor.");
  cls.def("clip", &clamp_py, py::arg("min") = py::none(), py::arg("max") = py::none(), "Alias of clamp.");
  for (const char* name : {"clamp_", "clip_"})
    cls.def(name, [name](py::handle s, py::handle lo, py::handle hi) { return clamp_inplace_py(s, lo, hi, name); },
            py::arg("min") = py::none(), py::arg("max") = py::none(), "clamp written into self; returns self.");
  cls.def("clamp_min_", [](py::handle s, py::handle lo) { return clamp_inplace_py(s, lo, py::none(), "clamp_min_"); },
          py::arg("min"), "clamp(min=min) written into self; returns self.");
  cls.def("clamp_max_", [](py::handle s, py::handle hi) { return clamp_inplace_py(s, py::none(), hi, "clamp_max_"); },
          py::arg("max"), "clamp(max=max) written into self; returns self.");
  m.def("where", &where_py, py::arg("condition"), py::arg("input"), py::arg("other"),
        "Elementwise condition ? input : other (condition a bool tensor; input/other tensors or numbers, "
        "broadcast and promoted).");
  cls.def("where", [](const AnyTensor& self, const AnyTensor& cond, py::handle other) {
    return where_py(cond, py::cast(self), other);
  }, py::arg("condition"), py::arg("other"), "condition ? self : other elementwise.");
}

}  // namespace ember::python
