#pragma once
// Square-matrix linear algebra: inv, solve, det, slogdet, cholesky, eigh and eigvalsh, batched over the
// leading dims, one Eigen factorisation per matrix (threaded over the batch). Each backward is PyTorch's
// real-case rule written with ember's ops, so it is itself differentiable. A singular matrix (inv, solve)
// or one that is not positive-definite (cholesky) is an error naming the batch element, as in PyTorch; a
// NaN in the input gives NaN out (cholesky raises, as LAPACK's does).
#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/SVD>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/matrix.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/triangular.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// A matrix the operation is not defined for: singular (inv, solve) or not positive-definite (cholesky). Python
/// sees ember.linalg.LinAlgError, a RuntimeError, as torch.linalg.LinAlgError.
class LinAlgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

template <class T>
using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Matrix i (rows x cols) of a contiguous row-major batch, as an Eigen map.
template <class T>
auto matrix_at(T* base, std::int64_t i, std::int64_t rows, std::int64_t cols) {
  using M = std::conditional_t<std::is_const_v<T>, const RowMat<std::remove_const_t<T>>, RowMat<T>>;
  return Eigen::Map<M>(base + i * rows * cols, rows, cols);
}

template <Element T>
void check_square(const Tensor<T>& a, const char* op) {
  EMBER_CHECK_TYPE(FloatElement<T>, op, "expected a float32 or float64 tensor, got dtype ", dtype_name(a.dtype()),
                   " (shape ", a.shape(), ")");
  EMBER_CHECK(a.dim() >= 2 && a.size(-1) == a.size(-2), op,
              "expected a square matrix or a batch of square matrices (..., n, n), got shape ", a.shape());
  a.check_cpu(op);
}

/// The number of matrices in the leading dims of shape (all but the last two).
inline std::int64_t batch_count(const Shape& shape) {
  std::int64_t nb = 1;
  for (std::size_t d = 0; d + 2 < shape.size(); ++d) nb *= shape[d];
  return nb;
}

/// Runs one(i) for the nb matrices, in parallel when there are several and enough work (n^3 each). one(i)
/// returns -1, or the failing position (a zero pivot, a non-positive minor) that fail_at turns into the error of
/// the first failing matrix, thrown outside the parallel region.
template <class One, class Fail>
void per_matrix(std::int64_t nb, std::int64_t n, One&& one, Fail&& fail_at) {
  std::int64_t bad_batch = -1, bad_pos = -1;
  auto run = [&](std::int64_t i) {
    const std::int64_t pos = one(i);
    if (pos < 0) return;
#pragma omp critical(ember_per_matrix)
    if (bad_batch < 0 || i < bad_batch) {
      bad_batch = i;
      bad_pos = pos;
    }
  };
  if (nb > 1 && nb * n * n * n >= (1 << 15)) {
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t i = 0; i < nb; ++i) run(i);
  } else {
    for (std::int64_t i = 0; i < nb; ++i) run(i);
  }
  if (bad_batch >= 0) fail_at(bad_batch, bad_pos);
}

/// " (batch element b)" for a batched input, "" for one matrix.
inline std::string batch_element(const Shape& shape, std::int64_t b) {
  return shape.size() > 2 ? " (batch element " + std::to_string(b) + ")" : "";
}

/// The first zero on the diagonal of U in an LU factorisation, or -1.
template <class LU>
std::int64_t zero_pivot(const LU& lu) {
  const auto d = lu.matrixLU().diagonal();
  for (Eigen::Index k = 0; k < d.size(); ++k)
    if (d(k) == 0) return k;
  return -1;
}

template <FloatElement T>
[[noreturn]] void fail_singular(const char* op, const Shape& shape, std::int64_t b, std::int64_t k) {
  fail<LinAlgError>(op, "the matrix", batch_element(shape, b), " is singular: the diagonal element ", k,
       " of its LU factorisation is zero, so it has no inverse (shape ", shape, ")");
}

/// X = A^-1 B for A (..., n, n) and B (..., n, k) of the same batch shape, both contiguous.
template <FloatElement T>
Tensor<T> lu_solve(const Tensor<T>& A, const Tensor<T>& B, const char* op) {
  const std::int64_t n = A.size(-1), k = B.size(-1), nb = batch_count(A.shape());
  Tensor<T> X = Tensor<T>::empty(B.shape());
  const T *a = A.data(), *b = B.data();
  T* x = X.data();
  per_matrix(nb, n, [&](std::int64_t i) -> std::int64_t {
    if (n == 0) return -1;
    Eigen::PartialPivLU<ColMat<T>> lu(ColMat<T>(matrix_at(a, i, n, n)));
    if (const auto z = zero_pivot(lu); z >= 0) return z;
    matrix_at(x, i, n, k) = lu.solve(ColMat<T>(matrix_at(b, i, n, k)));
    return -1;
  }, [&](std::int64_t bb, std::int64_t z) { fail_singular<T>(op, A.shape(), bb, z); });
  return X;
}

}  // namespace detail

/// The inverse of every matrix of A (..., n, n). A singular matrix is an error. The gradient is
/// -A^-T g A^-T.
template <Element T>
Tensor<T> inv(const Tensor<T>& A) {
  constexpr const char* op = "linalg.inv";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    const std::int64_t n = A.size(-1);
    Tensor<T> Y;
    {
      NoGradGuard no_grad;
      Y = detail::lu_solve(A.contiguous(), expand(eye<T>(n), A.shape()).contiguous(), op);
    }
    if (autograd::needs_grad(A))
      autograd::record(op, Y, [sY = autograd::Saved<T>(Y, op)](const Tensor<T>& g) {
        const Tensor<T> Yt = sY.get().mT();
        return neg(matmul(matmul(Yt, g), Yt));
      }, A);
    return Y;
  }
  return {};
}

/// X with A X = B (left) or X A = B (left = false), for A (..., n, n) and B (..., n, k), or B (..., n) (a
/// batch of vectors: B of 1 dim, or of A's shape less its last dim); the batch dims broadcast. A singular
/// matrix is an error. Gradients: gB = A^-T gX, gA = -gB X^T (left).
template <Element T>
Tensor<T> solve(const Tensor<T>& A, const Tensor<T>& B, bool left = true) {
  constexpr const char* op = "linalg.solve";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    B.check_cpu(op);
    const std::int64_t n = A.size(-1);
    const bool vector = B.dim() == 1 || (B.dim() == A.dim() - 1 && Shape(B.shape().begin(), B.shape().end()) ==
                                                                         Shape(A.shape().begin(), A.shape().end() - 1));
    if (!left) {
      EMBER_CHECK(!vector, op, "left=False needs B as a matrix (..., k, n), got shape ", B.shape(), " for A of shape ",
                  A.shape());
      return solve(A.mT(), B.mT(), true).mT();
    }
    const Tensor<T> Bm = vector ? unsqueeze(B, -1) : B;
    EMBER_CHECK(Bm.dim() >= 2 && Bm.size(-2) == n, op, "A of shape ", A.shape(), " and B of shape ", B.shape(),
                " do not fit: B must have ", n, " rows (..., ", n, ", k), or be a vector of ", n, " elements");
    Shape batch = broadcast_shapes(Shape(A.shape().begin(), A.shape().end() - 2),
                                   Shape(Bm.shape().begin(), Bm.shape().end() - 2), op);
    Shape as = batch, bs = batch;
    as.push_back(n), as.push_back(n);
    bs.push_back(n), bs.push_back(Bm.size(-1));
    const Tensor<T> Ae = expand(A, as), Be = expand(Bm, bs);
    Tensor<T> X;
    {
      NoGradGuard no_grad;
      X = detail::lu_solve(Ae.contiguous(), Be.contiguous(), op);
    }
    if (autograd::needs_grad(Ae, Be))
      autograd::record(op, X, [sA = autograd::Saved<T>(Ae, op), sX = autograd::Saved<T>(X, op)](const Tensor<T>& g) {
        const Tensor<T> gB = solve(sA.get().mT(), g, true);
        return autograd::Grads{AnyTensor(neg(matmul(gB, sX.get().mT()))), AnyTensor(gB)};
      }, Ae, Be);
    return vector ? squeeze(X, -1) : X;
  }
  return {};
}

/// (sign, log|det|) of every matrix of A (..., n, n): sign is 0 (and log|det| -inf) for a singular matrix. The
/// gradient of log|det| is A^-T (singular A: an error in backward, as the value is -inf); sign has none.
template <Element T>
std::tuple<Tensor<T>, Tensor<T>> slogdet(const Tensor<T>& A) {
  constexpr const char* op = "linalg.slogdet";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    const std::int64_t n = A.size(-1), nb = detail::batch_count(A.shape());
    const Shape batch(A.shape().begin(), A.shape().end() - 2);
    Tensor<T> sign = Tensor<T>::empty(batch), logabs = Tensor<T>::empty(batch);
    const Tensor<T> Ac = A.detach().contiguous();
    detail::per_matrix(nb, n, [&](std::int64_t i) -> std::int64_t {
      T s = 1, l = 0;
      if (n > 0) {
        Eigen::PartialPivLU<detail::ColMat<T>> lu(
            detail::ColMat<T>(detail::matrix_at(Ac.data(), i, n, n)));
        const auto d = lu.matrixLU().diagonal();
        s = T(lu.permutationP().determinant());
        for (Eigen::Index k = 0; k < n; ++k) {
          s *= d(k) > 0 ? T(1) : d(k) < 0 ? T(-1) : std::isnan(d(k)) ? d(k) : T(0);
          l += std::log(std::abs(d(k)));
        }
      }
      sign.data()[i] = s;
      logabs.data()[i] = l;
      return -1;
    }, [](std::int64_t, std::int64_t) {});
    if (autograd::needs_grad(A))
      autograd::record(op, logabs, [sA = autograd::Saved<T>(A, op)](const Tensor<T>& g) {
        return mul(unsqueeze(unsqueeze(g, -1), -1), inv(sA.get()).mT());
      }, A);
    return {sign, logabs};
  }
  return {};
}

namespace detail {

/// adj(A)^T, the gradient of det at A: det(A) A^-T where A is invertible; from A = U S V^T, adj(A)^T =
/// det(U V^T) U diag(prod_{j != i} s_j) V^T otherwise. Batched; d = det(A).
template <FloatElement T>
Tensor<T> adjugate_t(const Tensor<T>& A, const Tensor<T>& d) {
  const std::int64_t n = A.size(-1), nb = batch_count(A.shape());
  Tensor<T> out = Tensor<T>::empty(A.shape());
  const Tensor<T> Ac = A.detach().contiguous(), dc = d.detach().contiguous();
  per_matrix(nb, n, [&](std::int64_t i) -> std::int64_t {
    if (n == 0) return -1;
    const ColMat<T> M = matrix_at(Ac.data(), i, n, n);
    auto o = matrix_at(out.data(), i, n, n);
    Eigen::PartialPivLU<ColMat<T>> lu(M);
    if (dc.data()[i] != 0 && zero_pivot(lu) < 0) {
      o = dc.data()[i] * lu.inverse().transpose();
      return -1;
    }
    Eigen::JacobiSVD<ColMat<T>> svd(M, Eigen::ComputeFullU | Eigen::ComputeFullV);
    const auto s = svd.singularValues();
    Eigen::Matrix<T, Eigen::Dynamic, 1> others(n);
    for (std::int64_t k = 0; k < n; ++k) {
      T p = 1;
      for (std::int64_t j = 0; j < n; ++j)
        if (j != k) p *= s(j);
      others(k) = p;
    }
    const T orient = svd.matrixU().determinant() * svd.matrixV().determinant();
    o = orient * svd.matrixU() * others.asDiagonal() * svd.matrixV().transpose();
    return -1;
  }, [](std::int64_t, std::int64_t) {});
  return out;
}

}  // namespace detail

/// The determinant of every matrix of A (..., n, n): (...). Gradient: g det(A) A^-T, the adjugate; at a singular
/// matrix (where that needs the inverse) it is computed from the SVD (exact for rank n - 1, zero below).
template <Element T>
Tensor<T> det(const Tensor<T>& A) {
  constexpr const char* op = "linalg.det";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    Tensor<T> d;
    {
      NoGradGuard no_grad;
      auto [s, l] = slogdet(A);
      d = mul(s, exp(l));
    }
    if (autograd::needs_grad(A))
      autograd::record(op, d, [sA = autograd::Saved<T>(A, op), sd = autograd::Saved<T>(d, op)](const Tensor<T>& g) {
        const Tensor<T> Af = sA.get(), df = sd.get(), gd = unsqueeze(unsqueeze(g, -1), -1);
        // invertible: g det A^-T in ember's ops (differentiable again); singular: the adjugate from the SVD
        if (!eq(df, T(0)).any().item()) return mul(mul(gd, unsqueeze(unsqueeze(df, -1), -1)), inv(Af).mT());
        return mul(gd, detail::adjugate_t(Af, df));
      }, A);
    return d;
  }
  return {};
}


/// The Cholesky factor of every symmetric positive-definite matrix of A (..., n, n): L lower triangular with
/// A = L L^T (upper: U = L^T, A = U^T U). Only A's lower triangle is read. A matrix that is not positive-definite
/// is an error naming the order of its first leading principal minor that is not positive. The gradient is PyTorch's
/// (cholesky_backward): L^-T Phi(L^T gL) L^-1, symmetrised.
template <Element T>
Tensor<T> cholesky(const Tensor<T>& A, bool upper = false) {
  constexpr const char* op = "linalg.cholesky";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    const std::int64_t n = A.size(-1), nb = detail::batch_count(A.shape());
    Tensor<T> L = zeros<T>(A.shape());
    const Tensor<T> Ac = A.detach().contiguous();
    detail::per_matrix(nb, n, [&](std::int64_t i) -> std::int64_t {
      if (n == 0) return -1;
      const detail::ColMat<T> M = detail::matrix_at(Ac.data(), i, n, n);
      // Eigen's LLT reports failure but not where: the first leading minor that is not positive-definite is
      // found by factorising growing leading blocks only when it fails.
      Eigen::LLT<detail::ColMat<T>> llt(M);
      if (llt.info() != Eigen::Success) {
        for (std::int64_t k = 1; k <= n; ++k)
          if (Eigen::LLT<detail::ColMat<T>>(M.topLeftCorner(k, k)).info() != Eigen::Success) return k;
        return n;
      }
      auto Li = detail::matrix_at(L.data(), i, n, n);
      Li = llt.matrixL();
      for (std::int64_t k = 0; k < n; ++k)  // a NaN reached the diagonal: LAPACK's potrf stops there too
        if (std::isnan(Li(k, k))) return k + 1;
      return -1;
    }, [&](std::int64_t b, std::int64_t k) {
      detail::fail<LinAlgError>(op, "the matrix", detail::batch_element(A.shape(), b),
                                " is not positive-definite: its leading principal minor of order ", k,
                                " is not positive (shape ", A.shape(), ")");
    });
    if (autograd::needs_grad(A))
      autograd::record(op, L, [sL = autograd::Saved<T>(L, op)](const Tensor<T>& gL) {
        const Tensor<T> Lf = sL.get(), Linv = inv(Lf);
        Tensor<T> P = tril(matmul(Lf.mT(), gL));
        P = mul(add(P, tril(P, -1).mT()), T(0.5));
        return matmul(matmul(Linv.mT(), P), Linv);
      }, A);
    return upper ? L.mT() : L;
  }
  return {};
}

namespace detail {

/// The eigenvalues (ascending) and, with vectors, the eigenvectors (columns) of every symmetric matrix of A,
/// reading its lower triangle.
template <FloatElement T>
std::tuple<Tensor<T>, Tensor<T>> eigh_kernel(const Tensor<T>& A, bool vectors) {
  const std::int64_t n = A.size(-1), nb = batch_count(A.shape());
  Tensor<T> w = Tensor<T>::empty(Shape(A.shape().begin(), A.shape().end() - 1));
  Tensor<T> V = vectors ? Tensor<T>::empty(A.shape()) : Tensor<T>();
  const Tensor<T> Ac = A.detach().contiguous();
  per_matrix(nb, n, [&](std::int64_t i) -> std::int64_t {
    if (n == 0) return -1;
    const ColMat<T> M = matrix_at(Ac.data(), i, n, n);
    Eigen::SelfAdjointEigenSolver<ColMat<T>> es(M, vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(w.data() + i * n, n) = es.eigenvalues();
    if (vectors) matrix_at(V.data(), i, n, n) = es.eigenvectors();
    return -1;
  }, [](std::int64_t, std::int64_t) {});
  return {w, V};
}

}  // namespace detail

/// The eigenvalues of every symmetric matrix of A (..., n, n), ascending: (..., n). Only the lower triangle is
/// read. Gradient: V diag(g) V^T.
template <Element T>
Tensor<T> eigvalsh(const Tensor<T>& A) {
  constexpr const char* op = "linalg.eigvalsh";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    const bool grad = autograd::needs_grad(A);
    auto [w, V] = detail::eigh_kernel(A, grad);
    if (grad)
      autograd::record(op, w, [sV = autograd::Saved<T>(V, op)](const Tensor<T>& g) {
        const Tensor<T> Vf = sV.get();
        return matmul(mul(Vf, unsqueeze(g, -2)), Vf.mT());
      }, A);
    return w;
  }
  return {};
}

/// (eigenvalues ascending (..., n), eigenvectors as columns (..., n, n)) of every symmetric matrix of A, reading
/// its lower triangle. The gradient is PyTorch's: V (diag(gw) + skew(V^T gV) / E) V^T with E_ij = w_j - w_i, for
/// a loss that does not depend on the eigenvectors' signs; repeated eigenvalues give an infinite gradient.
template <Element T>
std::tuple<Tensor<T>, Tensor<T>> eigh(const Tensor<T>& A) {
  constexpr const char* op = "linalg.eigh";
  detail::check_square(A, op);
  if constexpr (FloatElement<T>) {
    auto [w, V] = detail::eigh_kernel(A, true);
    if (autograd::needs_grad(A)) {
      const autograd::Saved<T> sV(V, op), sw(w, op);
      autograd::record(op, w, [sV](const Tensor<T>& g) {
        const Tensor<T> Vf = sV.get();
        return matmul(mul(Vf, unsqueeze(g, -2)), Vf.mT());
      }, A);
      autograd::record(op, V, [sV, sw](const Tensor<T>& gV) {
        const Tensor<T> Vf = sV.get(), wf = sw.get();
        const Tensor<T> VtgV = matmul(Vf.mT(), gV);
        const Tensor<T> E = add(sub(unsqueeze(wf, -2), unsqueeze(wf, -1)), eye<T>(wf.size(-1)));
        return matmul(matmul(Vf, div(mul(sub(VtgV, VtgV.mT()), T(0.5)), E)), Vf.mT());
      }, A);
    }
    return {w, V};
  }
  return {};
}

}  // namespace ember
