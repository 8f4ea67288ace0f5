#include "common.hpp"

namespace ember::python {

void bind_reduce(py::module_& m, TensorClass& cls) {
  (void)m;
  (void)cls;
}

}  // namespace ember::python
