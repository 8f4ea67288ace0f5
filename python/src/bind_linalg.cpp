// Linear algebra: matmul (and the @ operator), mm, bmm, dot, outer; _sgemm for benchmarks; svd, svdvals
// (ops/svd.hpp) and inv, solve, det, slogdet, cholesky, eigh, eigvalsh (ops/decomposition.hpp) in the
// _core._linalg submodule that python/ember/linalg.py re-exports.
#include "common.hpp"
#include "ember/ops/decomposition.hpp"
#include "ember/ops/svd.hpp"

namespace ember::python {

namespace {

// Multiply-adds of a @ b, roughly: enough to decide whether releasing the GIL pays.
std::int64_t product_work(const AnyTensor& a, const AnyTensor& b) {
  return std::max<std::int64_t>(a.numel(), 1) * (b.dim() > 0 ? b.shape()[b.dim() - 1] : 1);
}

// Binds f(a, b) for every pair of dtypes: one dispatch, then the typed C++ op (which promotes).
template <class F>
AnyTensor call_binary(const AnyTensor& a, const AnyTensor& b, F&& f) {
  MaybeReleaseGil release(product_work(a, b));
  return bf16::call(true, false, [&](const AnyTensor& a, const AnyTensor& b) {
    return a.visit([&](const auto& x) { return b.visit([&](const auto& y) { return AnyTensor(f(x, y)); }); });
  }, a, b);
}

constexpr auto kMatmul = [](const auto& x, const auto& y) { return matmul(x, y); };

// a @ b as an operator: NotImplemented unless both are tensors, so that Python tries the other operand.
py::object matmul_operator(py::handle a, py::handle b) {
  const AnyTensor* pa = tensor_ptr(a);
  const AnyTensor* pb = tensor_ptr(b);
  if (!pa || !pb) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  return py::cast(call_binary(*pa, *pb, kMatmul));
}

}  // namespace

void bind_linalg(py::module_& m, TensorClass& cls) {
  m.def("matmul", [](const AnyTensor& a, const AnyTensor& b) { return call_binary(a, b, kMatmul); },
        py::arg("input"), py::arg("other"),
        "Matrix product with NumPy's rules: 1-D @ 1-D is a 0-d dot product, a 1-D operand gains and then "
        "loses a dim, N-D operands are stacks of matrices whose batch dims broadcast; dtypes promote.");
  m.def("mm", [](const AnyTensor& a, const AnyTensor& b) {
    return call_binary(a, b, [](const auto& x, const auto& y) { return mm(x, y); });
  }, py::arg("input"), py::arg("mat2"), "Product of two 2-D tensors.");
  m.def("bmm", [](const AnyTensor& a, const AnyTensor& b) {
    return call_binary(a, b, [](const auto& x, const auto& y) { return bmm(x, y); });
  }, py::arg("input"), py::arg("mat2"), "Batched product of (B, M, K) and (B, K, N) tensors: (B, M, N).");
  m.def("dot", [](const AnyTensor& a, const AnyTensor& b) {
    return call_binary(a, b, [](const auto& x, const auto& y) { return dot(x, y); });
  }, py::arg("input"), py::arg("other"), "Dot product of two 1-D tensors of equal length, as a 0-d tensor.");
  m.def("outer", [](const AnyTensor& a, const AnyTensor& b) {
    return call_binary(a, b, [](const auto& x, const auto& y) { return outer(x, y); });
  }, py::arg("input"), py::arg("vec2"), "Outer product of 1-D tensors of lengths N and M: an (N, M) tensor.");

  m.def("_sgemm", [](const AnyTensor& a, const AnyTensor& b) {
    const auto& x = a.get<float>("_sgemm");
    const auto& y = b.get<float>("_sgemm");
    EMBER_CHECK(x.dim() == 2 && y.dim() == 2 && x.is_contiguous() && y.is_contiguous() && x.size(1) == y.size(0),
                "_sgemm", "expected contiguous (M, K) and (K, N) float32 tensors, got shapes ", x.shape(), " and ",
                y.shape());
    Tensor<float> out = Tensor<float>::empty({x.size(0), y.size(1)});
    MaybeReleaseGil release(product_work(a, b));
    detail::onednn::sgemm(x.data(), y.data(), out.data(), x.size(0), y.size(1), x.size(1));
    return AnyTensor(out);
  }, py::arg("a"), py::arg("b"),
        "For benchmarks only: a @ b by oneDNN's dnnl_sgemm on contiguous 2-D float32 tensors, with no "
        "checks beyond shapes, no caching and no broadcasting: the peak ember's matmul is measured against.");

  py::module_ la = m.def_submodule("_linalg", "ember.linalg's norms and decompositions (re-exported by ember.linalg).");
  la.def("svd", [](const AnyTensor& A, bool full_matrices) {
    return visit_float(A, "svd", [&](const auto& t) {
      auto [U, S, Vh] = ember::svd(t, full_matrices);
      return py::make_tuple(AnyTensor(U), AnyTensor(S), AnyTensor(Vh));
    });
  }, py::arg("A"), py::arg("full_matrices") = true,
         "(U, S, Vh) with A = U diag(S) Vh for every matrix of A (..., M, N), K = min(M, N): U (..., M, K), S "
         "(..., K) descending, Vh (..., K, N); full_matrices: U (..., M, M), Vh (..., N, N).");
  py::register_exception<LinAlgError>(la, "LinAlgError", PyExc_RuntimeError);
  la.def("inv", [](const AnyTensor& A) {
    return visit_float(A, "linalg.inv", [&](const auto& t) { return AnyTensor(ember::inv(t)); });
  }, py::arg("A"), "The inverse of every matrix of A (..., n, n); a singular matrix raises LinAlgError.");
  la.def("solve", [](const AnyTensor& A, const AnyTensor& B, bool left) {
    return visit_float(A, "linalg.solve", [&](const auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      return AnyTensor(ember::solve(a, B.get<T>("linalg.solve"), left));
    });
  }, py::arg("A"), py::arg("B"), py::arg("left") = true,
         "X with A X = B (X A = B with left=False); B (..., n, k) or a batch of vectors (..., n); batch dims "
         "broadcast; a singular A raises LinAlgError.");
  la.def("det", [](const AnyTensor& A) {
    return visit_float(A, "linalg.det", [&](const auto& t) { return AnyTensor(ember::det(t)); });
  }, py::arg("A"), "The determinant of every matrix of A (..., n, n).");
  la.def("slogdet", [](const AnyTensor& A) {
    return visit_float(A, "linalg.slogdet", [&](const auto& t) {
      auto [sign, logabs] = ember::slogdet(t);
      return py::make_tuple(AnyTensor(sign), AnyTensor(logabs));
    });
  }, py::arg("A"), "(sign, log|det|) of every matrix of A (..., n, n).");
  la.def("cholesky", [](const AnyTensor& A, bool upper) {
    return visit_float(A, "linalg.cholesky", [&](const auto& t) { return AnyTensor(ember::cholesky(t, upper)); });
  }, py::arg("A"), py::arg("upper") = false,
         "The Cholesky factor L (A = L L^T) of every symmetric positive-definite matrix of A, from its lower "
         "triangle; upper=True gives L^T. A matrix that is not positive-definite raises LinAlgError.");
  la.def("eigh", [](const AnyTensor& A) {
    return visit_float(A, "linalg.eigh", [&](const auto& t) {
      auto [w, V] = ember::eigh(t);
      return py::make_tuple(AnyTensor(w), AnyTensor(V));
    });
  }, py::arg("A"), "(eigenvalues ascending, eigenvectors as columns) of every symmetric matrix of A, from its "
                   "lower triangle.");
  la.def("eigvalsh", [](const AnyTensor& A) {
    return visit_float(A, "linalg.eigvalsh", [&](const auto& t) { return AnyTensor(ember::eigvalsh(t)); });
  }, py::arg("A"), "The eigenvalues (ascending) of every symmetric matrix of A, from its lower triangle.");
  la.def("svdvals", [](const AnyTensor& A) {
    return visit_float(A, "svdvals", [&](const auto& t) { return AnyTensor(ember::svdvals(t)); });
  }, py::arg("A"), "The singular values of every matrix of A (..., M, N): (..., min(M, N)), descending.");

  cls.def("matmul", [](const AnyTensor& a, const AnyTensor& b) { return call_binary(a, b, kMatmul); },
          py::arg("other"), "Matrix product with NumPy's rules (see ember.matmul).")
      .def("__matmul__", [](py::handle a, py::handle b) { return matmul_operator(a, b); }, py::is_operator(),
           "self @ other (see ember.matmul).")
      .def("__rmatmul__", [](py::handle a, py::handle b) { return matmul_operator(b, a); }, py::is_operator(),
           "other @ self (see ember.matmul).")
      .def("mm", [](const AnyTensor& a, const AnyTensor& b) {
        return call_binary(a, b, [](const auto& x, const auto& y) { return mm(x, y); });
      }, py::arg("mat2"), "Product of two 2-D tensors.")
      .def("bmm", [](const AnyTensor& a, const AnyTensor& b) {
        return call_binary(a, b, [](const auto& x, const auto& y) { return bmm(x, y); });
      }, py::arg("mat2"), "Batched product of (B, M, K) and (B, K, N) tensors.")
      .def("dot", [](const AnyTensor& a, const AnyTensor& b) {
        return call_binary(a, b, [](const auto& x, const auto& y) { return dot(x, y); });
      }, py::arg("other"), "Dot product of two 1-D tensors, as a 0-d tensor.")
      .def("outer", [](const AnyTensor& a, const AnyTensor& b) {
        return call_binary(a, b, [](const auto& x, const auto& y) { return outer(x, y); });
      }, py::arg("vec2"), "Outer product of two 1-D tensors.");
  // `a @ b` as a type slot too, past the method lookup and pybind11's dispatcher (see bind_elementwise.cpp).
  tensor_number_slots(cls).nb_matrix_multiply = [](PyObject* a, PyObject* b) {
    return slot_result([&] { return matmul_operator(a, b); });
  };
}

}  // namespace ember::python
