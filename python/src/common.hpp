#pragma once
// Shared by the binding files: the Python Tensor class type, argument conversions and the
// bind_<family> entry points. No op logic lives here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <optional>

#include "ember/ember.hpp"

namespace py = pybind11;

namespace ember::python {

using TensorClass = py::class_<AnyTensor>;

/// pybind11's record of the Python Tensor class, found once (this and the type_caster below use
/// pybind11::detail, which is why pyproject.toml pins pybind11 to the tested 3.1 series): pybind11's own lookup hashes the C++
/// type's name twice on every argument and every result, which costs more than a small op.
inline const py::detail::type_info* tensor_type_info() {
  static const py::detail::type_info* info = nullptr;
  if (!info) info = py::detail::get_type_info(typeid(AnyTensor));  // null until the class is bound
  return info;
}

/// The AnyTensor held by h, or nullptr when h is not an ember.Tensor (a type check and a pointer read).
inline const AnyTensor* tensor_ptr(py::handle h) {
  const auto* info = tensor_type_info();
  if (!info || !PyObject_TypeCheck(h.ptr(), info->type)) return nullptr;
  // ember.Tensor itself, or a Python subclass such as nn.Parameter (one lookup of its pybind11 base);
  // null when a subclass instance skipped Tensor.__init__.
  auto vh = reinterpret_cast<py::detail::instance*>(h.ptr())->get_value_and_holder(info, false);
  return vh.inst ? static_cast<const AnyTensor*>(vh.value_ptr()) : nullptr;
}

/// The result of f() (a py::object) as a CPython slot returns it: a new reference, or nullptr with the
/// Python error set, C++ exceptions translated by the registered translators as in a bound function.
template <class F>
PyObject* slot_result(F&& f) noexcept {
  try {
    return f().release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    py::detail::try_translate_exceptions();
  }
  return nullptr;
}

/// The number-protocol slots of the Python Tensor type (nb_add, nb_matrix_multiply...), for operators
/// that bypass Python's method lookup and pybind11's dispatcher (see bind_elementwise.cpp).
inline PyNumberMethods& tensor_number_slots(TensorClass& cls) {
  return *reinterpret_cast<PyTypeObject*>(cls.ptr())->tp_as_number;
}

/// Python's ember.float32 ... objects are DType values.
DType dtype_from_py(py::handle h);
/// Device from an ember.device, a string ("cpu", "cuda:0") or None (the CPU).
Device device_from_py(py::handle h);
/// A shape from a tuple/list/torch.Size/ember size, or from varargs (zeros(2, 3) and zeros((2, 3))).
Shape shape_from_py(py::handle h, const char* op);
Shape shape_from_args(const py::args& args, const char* op);

/// A Python int (or object with __index__) as int64; E (ValueError or IndexError) naming `op` when it
/// does not fit.
template <class E = std::invalid_argument>
std::int64_t int64_from_py(py::handle h, const char* op) {
  py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(h.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow) detail::fail<E>(op, "integer ", std::string(py::str(i)), " is out of the int64 range");
  return v;
}

/// A binary-op operand: a tensor, or a Python/NumPy scalar with its kind.
struct Operand {
  const AnyTensor* tensor = nullptr;
  double value = 0;
  std::int64_t ivalue = 0;
  ScalarKind kind = ScalarKind::Float;
};

/// Converts h to an Operand; TypeError naming `op` for anything else.
Operand operand_from_py(py::handle h, const char* op);

/// A 0-d tensor of dtype d holding a scalar operand's value. With `op` (a fill: full, fill_, t[i] = v),
/// a value that d cannot hold raises naming op (ember::scalar_cast); without it (arithmetic), an integer
/// wraps as in PyTorch.
AnyTensor scalar_to_tensor(const Operand& s, DType d, const char* op = nullptr);

/// Releases the GIL for the scope when the work is large enough to be worth ~100 ns.
class MaybeReleaseGil {
 public:
  explicit MaybeReleaseGil(std::int64_t work) {
    if (work >= (1 << 16)) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

/// t marked as a leaf that requires grad when requires_grad (creation functions' keyword).
inline AnyTensor with_grad(AnyTensor t, bool requires_grad, const char* op) {
  if (requires_grad)
    t.visit_any([op](const auto& x) {
      EMBER_CHECK_TYPE(is_floating(x.dtype()), op, "only floating point tensors can require gradients, got dtype ",
                       dtype_name(x.dtype()));
      x.requires_grad_(true);
    });
  return t;
}

// --- bfloat16 compute ---
//
// As PyTorch computes bfloat16 on the CPU: an out-of-place op runs on float32 copies of its bfloat16 tensor
// arguments (exact: float32 holds every bfloat16 value), accumulating in float32, and its floating results are
// rounded to bfloat16 once. The C++ ops hold the math once, for float32; this is the one place that maps
// bfloat16 onto them. Results stay float32 when a float32/float64 tensor argument came with the bfloat16 one.
namespace bf16 {

inline bool is(const AnyTensor& t) { return t.defined() && t.dtype() == DType::BFloat16; }
inline bool is(const std::optional<AnyTensor>& t) { return t && is(*t); }
template <class A>
bool is(const A&) { return false; }

inline bool is_wider_float(const AnyTensor& t) {
  return t.defined() && (t.dtype() == DType::Float32 || t.dtype() == DType::Float64);
}
inline bool is_wider_float(const std::optional<AnyTensor>& t) { return t && is_wider_float(*t); }
template <class A>
bool is_wider_float(const A&) { return false; }

inline AnyTensor widened(const AnyTensor& t) { return is(t) ? t.to(DType::Float32) : t; }
inline std::optional<AnyTensor> widened(const std::optional<AnyTensor>& t) {
  return t ? std::optional<AnyTensor>(widened(*t)) : std::nullopt;
}
template <class A>
const A& widened(const A& a) { return a; }

inline AnyTensor narrowed(const AnyTensor& r) {
  return r.defined() && r.dtype() == DType::Float32 ? r.to(DType::BFloat16) : r;
}
inline py::object narrowed(const py::object& r) {  // a tensor, or a (named) tuple of them
  if (const AnyTensor* t = tensor_ptr(r)) return py::cast(narrowed(*t));
  if (!py::isinstance<py::tuple>(r)) return r;
  py::list items;
  for (py::handle e : r) items.append(narrowed(py::reinterpret_borrow<py::object>(e)));
  if (py::type::of(r).is(py::type::of(py::tuple()))) return py::tuple(items);
  return py::type::of(r)(*items);
}

/// f(args...), with bfloat16 computed as above. products: the float32 call runs under bfloat16 autocast,
/// so matmul, linear and conv use oneDNN's bfloat16 kernels where native (the same values: their inputs
/// are bfloat16 already). by_input: the result is bfloat16 whenever the first argument is (PyTorch's rule for
/// the norms, whose parameters may stay float32); otherwise only when no float32/float64 tensor came along.
inline std::optional<AnyTensor> narrowed(const std::optional<AnyTensor>& r) {
  return r ? std::optional<AnyTensor>(narrowed(*r)) : r;
}
template <class A, class B>
std::pair<A, B> narrowed(const std::pair<A, B>& r) {
  return {narrowed(r.first), narrowed(r.second)};
}
template <class A>
  requires std::is_arithmetic_v<A>
A narrowed(A a) {  // a result that is not a tensor
  return a;
}

/// f() for an op whose operands promote to dtype p (binary ops, clamp, where, addmm, lerp, ...), f converting
/// them to p: a bfloat16 p computes with p set to float32, and f's result is rounded once.
template <class F>
auto promoted(DType& p, F&& f) -> decltype(f()) {
  if (p != DType::BFloat16) return f();
  p = DType::Float32;
  return narrowed(f());
}

/// Rounds wide (float32, which an op updated in place: running statistics) back into narrow when narrow is
/// bfloat16 and wide its float32 copy.
inline void round_into(const std::optional<AnyTensor>& narrow, const std::optional<AnyTensor>& wide) {
  if (!is(narrow) || !wide || wide->dtype() != DType::Float32) return;
  const Tensor<bfloat16>& n = narrow->get<bfloat16>();
  n.storage()->bump_version();
  ember::detail::copy_cast(n, wide->get<float>());
}

template <class F, class A0, class... A>
auto call(bool products, bool by_input, F&& f, const A0& a0, const A&... args) -> decltype(f(a0, args...)) {
  if (!is(a0) && !(is(args) || ...)) return f(a0, args...);
  std::optional<AutocastGuard> guard;
  if (products) guard.emplace(MatmulPrecision::BFloat16);
  const bool narrow = by_input ? is(a0) : !is_wider_float(a0) && !(is_wider_float(args) || ...);
  auto r = f(widened(a0), widened(args)...);
  return narrow ? narrowed(r) : r;
}

template <bool kProducts, bool kByInput, class F, class R, class C, class... A>
auto wrap_impl(F f, R (C::*)(A...) const) {
  return [f](A... args) -> R { return call(kProducts, kByInput, f, args...); };
}

/// A binding lambda (one signature, no auto parameters) made to take bfloat16 tensors through call().
template <bool kProducts = false, bool kByInput = false, class F>
auto computes(F f) {
  return wrap_impl<kProducts, kByInput>(std::move(f), &F::operator());
}

/// f(x) for an op of one bfloat16 tensor x (visit_float): f runs on a float32 copy and its floating results
/// are rounded once. When f wrote into the copy in place (its version moved), the rounded values are written
/// back into x and a result sharing the copy's memory is x itself; not for an x that requires grad, whose
/// graph that write would bypass.
template <class F>
auto on_float32(const AnyTensor& x, const char* op, F& f) -> decltype(f(std::declval<const Tensor<float>&>())) {
  const Tensor<bfloat16>& narrow = x.get<bfloat16>();
  const Tensor<float> wide = narrow.to<float>();
  const auto version = wide.version();
  auto write_back = [&] {
    if (wide.version() == version) return false;
    EMBER_CHECK_AUTOGRAD(!(narrow.requires_grad() && is_grad_enabled()), op, "cannot write in place into a "
                         "bfloat16 tensor of shape ", narrow.shape(), " that requires grad (its ops compute on a "
                         "float32 copy): use the out-of-place form");
    narrow.storage()->bump_version();
    ember::detail::copy_cast(narrow, wide);
    return true;
  };
  using R = decltype(f(wide));
  if constexpr (std::is_void_v<R>) {
    f(wide);
    write_back();
  } else {
    R r = f(wide);
    const bool in_place = write_back();
    auto fix = [&](const AnyTensor& t) {
      const bool aliases = in_place && t.defined() && t.is<float>() && t.get<float>().storage() == wide.storage();
      return aliases ? x : narrowed(t);
    };
    if constexpr (std::is_same_v<R, AnyTensor>) return fix(r);
    else if constexpr (std::is_same_v<R, std::optional<AnyTensor>>) return r ? R(fix(*r)) : r;
    else return narrowed(r);
  }
}

}  // namespace bf16

/// f(tensor) writing into self's tensor (an in-place method); a bfloat16 one is computed in float32 and
/// written back rounded. Returns self.
template <class F>
py::object write_inplace(py::handle self, const char* op, F f) {
  const auto& x = self.cast<const AnyTensor&>();
  MaybeReleaseGil g(x.numel());
  if (bf16::is(x)) {
    auto on_copy = [&](const Tensor<float>& t) { f(t); };
    bf16::on_float32(x, op, on_copy);
  } else {
    x.visit([&](const auto& t) { f(t); }, op);
  }
  return py::reinterpret_borrow<py::object>(self);
}

/// Runs f(tensor) with input's float type T; TypeError naming op for other dtypes. A bfloat16 input runs f
/// on a float32 copy (bf16::on_float32).
template <class F>
auto visit_float(const AnyTensor& input, const char* op, F&& f) {
  if (bf16::is(input)) return bf16::on_float32(input, op, f);
  return input.visit([&](const auto& t) -> decltype(f(std::declval<const Tensor<float>&>())) {
    using T = typename std::decay_t<decltype(t)>::value_type;
    if constexpr (FloatElement<T>) {
      return f(t);
    } else {
      detail::fail<TypeError>(op, "expected a float32 or float64 input, got dtype ", dtype_name(t.dtype()),
                              " (shape ", t.shape(), ")");
    }
  }, op);
}


/// An optional tensor argument of element type T; TypeError naming op and the argument when its dtype
/// differs from the input's. A bfloat16 argument of a floating input is widened (a differentiable cast), as
/// its input was (bf16::on_float32): the op computes in float32 and rounds where its input was bfloat16.
template <Element T>
OptionalTensor<T> optional_arg(const std::optional<AnyTensor>& t, const char* op, const char* name) {
  if (!t) return std::nullopt;
  if constexpr (FloatElement<T>)
    if (bf16::is(t)) return t->template as<T>();
  EMBER_CHECK_TYPE(t->dtype() == dtype_of<T>, op, name, " has dtype ", dtype_name(t->dtype()),
                   " but the input has dtype ", dtype_name(dtype_of<T>));
  return t->template get<T>(op);
}

/// A seed as PyTorch takes it: any integer in [-2^63, 2^64); a negative one wraps to 2^64 + seed.
inline std::uint64_t seed_from_py(py::handle h, const char* op) {
  py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(h.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (!overflow) return static_cast<std::uint64_t>(v);
  const unsigned long long u = PyLong_AsUnsignedLongLong(i.ptr());
  if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    detail::fail<std::invalid_argument>(op, "seed must be in [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got ",
                                        std::string(py::str(i)));
  }
  return u;
}

/// Binds f as ember.<name>(input, ...) and as Tensor.<name>(self, ...).
template <class F, class... Args>
void def_both(py::module_& m, TensorClass& cls, const char* name, F f, const char* doc, const Args&... args) {
  m.def(name, f, py::arg("input"), args..., doc);
  cls.def(name, f, args..., doc);
}

/// x converted to dtype first (None: x itself), as torch's sum(dtype=...).
inline AnyTensor with_dtype(const AnyTensor& x, py::handle dtype) {
  return dtype.is_none() ? x : x.to(dtype_from_py(dtype));
}

/// f(a, b, ...) on the tensors converted to their promoted dtype (bfloat16 computed in float32): one dispatch.
template <class F>
auto promoted_call(std::vector<AnyTensor> ts, F&& f) {
  DType d = ts[0].dtype();
  for (const auto& t : ts) d = promote_types(d, t.dtype());
  return bf16::promoted(d, [&] {
    for (auto& t : ts)
      if (t.dtype() != d) t = t.to(d);
    return ts[0].visit([&](const auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      if constexpr (requires { f(a); }) {
        return f(a);
      } else if constexpr (requires { f(a, a); }) {
        return f(a, ts[1].get<T>());
      } else {
        return f(a, ts[1].get<T>(), ts[2].get<T>());
      }
    });
  });
}

/// An int or a pair of ints (height, width), as PyTorch's int-or-tuple arguments.
inline std::array<std::int64_t, 2> pair_from_py(py::handle h, const char* op, const char* name) {
  if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h)) {
    EMBER_CHECK_TYPE(PyLong_Check(h.ptr()) || py::hasattr(h, "__index__"), op, name,
                     " must be an int or a pair of ints, got ", std::string(py::str(py::type::of(h).attr("__name__"))));
    const std::int64_t v = int64_from_py(h, op);
    return {v, v};
  }
  const auto s = py::reinterpret_borrow<py::sequence>(h);
  EMBER_CHECK(s.size() == 1 || s.size() == 2, op, name, " must be an int or a pair of ints, got ", s.size(),
              " values");
  const std::int64_t a = int64_from_py(s[0], op), b = s.size() == 2 ? int64_from_py(s[1], op) : a;
  return {a, b};
}

/// A tensor argument, or a Python scalar made a 0-d tensor of dtype d.
inline AnyTensor tensor_arg(py::handle h, DType d, const char* op) {
  if (const AnyTensor* t = tensor_ptr(h)) return *t;
  return scalar_to_tensor(operand_from_py(h, op), d);
}

/// A (values, indices)-style pair of tensors as the named tuple `type`.
template <class Pair>
py::object pair_result(const py::object& type, Pair&& r) {
  return type(py::cast(AnyTensor(r.first)), py::cast(AnyTensor(r.second)));
}

void bind_autograd(py::module_& m, TensorClass& cls);
void bind_tensor(py::module_& m, TensorClass& cls);
void bind_creation(py::module_& m, TensorClass& cls);
void bind_interop(py::module_& m, TensorClass& cls);
void bind_elementwise(py::module_& m, TensorClass& cls);
void bind_reduce(py::module_& m, TensorClass& cls);
void bind_linalg(py::module_& m, TensorClass& cls);
void bind_shape(py::module_& m, TensorClass& cls);
void bind_index(py::module_& m, TensorClass& cls);
void bind_optim(py::module_& m, TensorClass& cls);
void bind_io(py::module_& m, TensorClass& cls);
void bind_nn(py::module_& m, TensorClass& cls);
void bind_loss(py::module_& m, TensorClass& cls);
void bind_attention(py::module_& m, TensorClass& cls);
void bind_tensor_shape_ops(py::module_& m, TensorClass& cls);
void bind_nn_extra(py::module_& m, TensorClass& cls);
void bind_spatial(py::module_& m);
void bind_rnn(py::module_& m, TensorClass& cls);
void bind_tensor_ops(py::module_& m, TensorClass& cls);
void bind_tensor_api(py::module_& m, TensorClass& cls);
void bind_deploy(py::module_& m);
void bind_cuda(py::module_& m);
void bind_data(py::module_& m);
void bind_cpu_info(py::module_& m);
void bind_hooks(py::module_& m, TensorClass& cls);

}  // namespace ember::python

namespace pybind11::detail {

/// Arguments and results of type AnyTensor go through ember::python::tensor_ptr and the cached
/// type record instead of pybind11's per-call type lookups; everything else is pybind11's. (Built on
/// type_caster_generic rather than type_caster_base, whose constructor looks the record up by the
/// type's name for every argument of every call.)
template <>
class type_caster<ember::AnyTensor> : public type_caster_generic {
  using Base = type_caster_base<ember::AnyTensor>;

 public:
  static constexpr auto name = Base::name;

  type_caster() : type_caster_generic(ember::python::tensor_type_info()) {}

  bool load(handle src, bool convert) {
    if (const auto* p = ember::python::tensor_ptr(src)) {
      value = const_cast<ember::AnyTensor*>(p);
      return true;
    }
    return typeinfo != nullptr && type_caster_generic::load(src, convert);
  }

  static handle cast(const ember::AnyTensor& src, return_value_policy policy, handle parent) {
    return Base::cast(src, policy, parent);
  }
  static handle cast(const ember::AnyTensor* src, return_value_policy policy, handle parent) {
    return Base::cast(src, policy, parent);
  }
  // A result (an rvalue: every op's output) becomes a new Python object owning a moved AnyTensor.
  // This is pybind11's own move-policy path (class_::init_instance) minus its search for an existing
  // Python object at the source address, which cannot succeed for a fresh heap AnyTensor, and minus
  // its lookups of the type record, which is cached here.
  static handle cast(ember::AnyTensor&& src, return_value_policy, handle parent) {
    using Holder = std::unique_ptr<ember::AnyTensor>;
    static_assert(std::is_same_v<ember::python::TensorClass::holder_type, Holder>);
    const type_info* info = ember::python::tensor_type_info();
    if (!info) return Base::cast(std::move(src), return_value_policy::move, parent);  // not bound yet: pybind11's error
    auto inst = reinterpret_steal<object>(make_new_instance(info->type));
    auto* wrapper = reinterpret_cast<instance*>(inst.ptr());
    value_and_holder v_h(wrapper, info, 0, 0);  // ember.Tensor has one C++ base: the simple layout
    v_h.value_ptr() = new ember::AnyTensor(std::move(src));
    wrapper->owned = true;  // from here on, the instance's dealloc frees the value
    register_instance(wrapper, v_h.value_ptr(), info);
    v_h.set_instance_registered();
    new (std::addressof(v_h.holder<Holder>())) Holder(v_h.value_ptr<ember::AnyTensor>());
    v_h.set_holder_constructed();
    return inst.release();
  }

  template <typename T>
  using cast_op_type = detail::cast_op_type<T>;
  operator ember::AnyTensor*() { return static_cast<ember::AnyTensor*>(value); }  // NOLINT: pybind11's interface
  operator ember::AnyTensor&() {  // NOLINT: pybind11's interface
    if (!value) throw reference_cast_error();
    return *static_cast<ember::AnyTensor*>(value);
  }
};

}  // namespace pybind11::detail
