#pragma once
// Shared by the binding files: the Python Tensor class type, argument conversions and the
// bind_<family> entry points. No op logic lives here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "ember/ember.hpp"

namespace py = pybind11;

namespace ember::python {

using TensorClass = py::class_<AnyTensor>;

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

/// A 0-d tensor of dtype d holding a scalar operand's value.
AnyTensor scalar_to_tensor(const Operand& s, DType d);

/// Releases the GIL for the scope when the work is large enough to be worth ~100 ns.
class MaybeReleaseGil {
 public:
  explicit MaybeReleaseGil(std::int64_t work) {
    if (work >= (1 << 16)) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

void bind_tensor(py::module_& m, TensorClass& cls);
void bind_creation(py::module_& m, TensorClass& cls);
void bind_interop(py::module_& m, TensorClass& cls);
void bind_elementwise(py::module_& m, TensorClass& cls);
void bind_reduce(py::module_& m, TensorClass& cls);
void bind_linalg(py::module_& m, TensorClass& cls);
void bind_shape(py::module_& m, TensorClass& cls);
void bind_index(py::module_& m, TensorClass& cls);

}  // namespace ember::python
