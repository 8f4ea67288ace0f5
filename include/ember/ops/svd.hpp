#pragma once
// Singular value decomposition: svd (U, S, Vh) and svdvals (S), batched over the leading dims, one
// Eigen BDCSVD per matrix (threaded over the batch). The backward is PyTorch's (linalg svd_backward,
// real case), one node per output: the rule is linear in (gU, gS, gVh), so the three nodes' gradients add
// up to the whole. Like PyTorch's, it assumes distinct singular values (and non-zero ones, for U and Vh):
// equal values give an infinite or NaN gradient, as in PyTorch.
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/view.hpp"

namespace ember {

namespace detail {

/// The SVD of every matrix of a (..., M, N), K = min(M, N): S (..., K) descending; with vectors, U
/// (..., M, K) and Vh (..., K, N), or (..., M, M) and (..., N, N) when full.
template <FloatElement T>
struct SvdParts {
  Tensor<T> U, S, Vh;
};

template <FloatElement T>
SvdParts<T> svd_kernel(const Tensor<T>& a, bool vectors, bool full, const char* op) {
  using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
  const std::int64_t ku = full ? m : k, kv = full ? n : k;
  Shape batch(a.shape().begin(), a.shape().end() - 2);
  std::int64_t nb = 1;
  for (auto d : batch) nb *= d;
  auto with = [&](std::initializer_list<std::int64_t> tail) {
    Shape s = batch;
    for (auto d : tail) s.push_back(d);
    return s;
  };
  const Tensor<T> ac = a.detach().contiguous();
  const T* src = ac.data();
  for (std::int64_t i = 0; i < ac.numel(); ++i)
    EMBER_CHECK(std::isfinite(src[i]), op, "the input contains non-finite values (NaN or inf), shape ", a.shape(),
                "; the SVD is not defined");
  SvdParts<T> out{Tensor<T>(), Tensor<T>::empty(with({k})), Tensor<T>()};
  if (vectors) {
    out.U = Tensor<T>::empty(with({m, ku}));
    out.Vh = Tensor<T>::empty(with({kv, n}));
  }
  const unsigned opts = !vectors ? 0u : full ? (Eigen::ComputeFullU | Eigen::ComputeFullV)
                                             : (Eigen::ComputeThinU | Eigen::ComputeThinV);
  auto one = [&](std::int64_t i) {
    if (k == 0) {  // no singular values; the full bases of an empty matrix are identities, as LAPACK's
      if (vectors) {
        Eigen::Map<RowMajor>(out.U.data() + i * m * ku, m, ku).setIdentity();
        Eigen::Map<RowMajor>(out.Vh.data() + i * kv * n, kv, n).setIdentity();
      }
      return;
    }
    const ColMajor A = Eigen::Map<const RowMajor>(src + i * m * n, m, n);
    Eigen::BDCSVD<ColMajor> svd(A, opts);
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(out.S.data() + i * k, k) = svd.singularValues();
    if (vectors) {
      Eigen::Map<RowMajor>(out.U.data() + i * m * ku, m, ku) = svd.matrixU();
      Eigen::Map<RowMajor>(out.Vh.data() + i * kv * n, kv, n) = svd.matrixV().transpose();
    }
  };
  // Many small matrices: one per thread; a few large ones: one after another.
  if (nb > 1 && nb * m * n * k >= (1 << 15)) {
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t i = 0; i < nb; ++i) one(i);
  } else {
    for (std::int64_t i = 0; i < nb; ++i) one(i);
  }
  return out;
}

template <Element T>
void check_svd_input(const Tensor<T>& a, const char* op) {
  EMBER_CHECK_TYPE(FloatElement<T>, op, "expected a float32 or float64 tensor, got dtype ", dtype_name(a.dtype()),
                   " (shape ", a.shape(), ")");
  EMBER_CHECK(a.dim() >= 2, op, "expected a matrix or a batch of matrices (at least 2 dims), got shape ", a.shape());
  a.check_cpu(op);
}

/// dA = U diag(gS) Vh for S = svdvals(A); U (..., M, K), Vh (..., K, N), gS (..., K).
template <FloatElement T>
Tensor<T> svdvals_grad(const Tensor<T>& U, const Tensor<T>& Vh, const Tensor<T>& gS) {
  return matmul(mul(U, unsqueeze(gS, -2)), Vh);
}

/// E (..., K, K) with E_jk = S_k^2 - S_j^2 off the diagonal, 1 on it (the diagonal is divided into zeros).
template <FloatElement T>
Tensor<T> svd_gaps(const Tensor<T>& S) {
  const Tensor<T> S2 = mul(S, S);
  Tensor<T> E = sub(unsqueeze(S2, -2), unsqueeze(S2, -1)).contiguous();
  const std::int64_t k = S.size(-1);
  for (std::int64_t b = 0; b < E.numel() / std::max<std::int64_t>(k * k, 1); ++b)
    for (std::int64_t j = 0; j < k; ++j) E.data()[b * k * k + j * k + j] = T(1);
  return E;
}

}  // namespace detail

/// The singular values of every matrix of A (..., M, N): (..., min(M, N)), descending. The gradient is
/// U diag(gS) Vh (exact wherever the singular values are distinct).
template <Element T>
Tensor<T> svdvals(const Tensor<T>& A) {
  constexpr const char* op = "svdvals";
  detail::check_svd_input(A, op);
  if constexpr (FloatElement<T>) {
    const bool grad = autograd::needs_grad(A);
    auto p = detail::svd_kernel(A, grad, false, op);
    if (grad)
      autograd::record(op, p.S, [sU = autograd::Saved<T>(p.U, op), sVh = autograd::Saved<T>(p.Vh, op)](
                                    const Tensor<T>& g) { return detail::svdvals_grad(sU.get(), sVh.get(), g); },
                       A);
    return p.S;
  }
  return {};
}

/// The SVD A = U diag(S) Vh of every matrix of A (..., M, N), K = min(M, N): U (..., M, K), S (..., K)
/// descending, Vh (..., K, N); with full_matrices, U (..., M, M) and Vh (..., N, N). Differentiable in
/// all three (PyTorch's rule; U and Vh only for a loss that does not depend on the signs of the singular
/// vectors); a gradient reaching U or Vh of a non-square full_matrices SVD is an error (the extra columns
/// are an arbitrary basis).
template <Element T>
std::tuple<Tensor<T>, Tensor<T>, Tensor<T>> svd(const Tensor<T>& A, bool full_matrices = true) {
  constexpr const char* op = "svd";
  detail::check_svd_input(A, op);
  if constexpr (FloatElement<T>) {
    auto p = detail::svd_kernel(A, true, full_matrices, op);
    if (autograd::needs_grad(A)) {
      const std::int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
      const bool extra = full_matrices && m != n;
      // The reduced factors the rules use (U and Vh themselves when reduced).
      const Tensor<T> Ur = p.U.narrow(-1, 0, k), Vhr = p.Vh.narrow(-2, 0, k);
      const autograd::Saved<T> sU(Ur, op), sS(p.S, op), sVh(Vhr, op);
      autograd::record(op, p.S, [sU, sVh](const Tensor<T>& gS) {
        return detail::svdvals_grad(sU.get(), sVh.get(), gS);
      }, A);
      // gA = U [(skew(U^T gU) S) / E] Vh + (I - U U^T) gU S^-1 Vh
      autograd::record(op, p.U, [sU, sS, sVh, m, k, extra, shape = A.shape()](const Tensor<T>& gU) {
        if (extra)
          detail::fail<std::logic_error>("svd", "the gradient of U is not implemented for full_matrices=True with a "
                                         "non-square input (shape ", shape, "); use full_matrices=False");
        const Tensor<T> U = sU.get(), S = sS.get(), Vh = sVh.get(), Srow = unsqueeze(S, -2);
        const Tensor<T> UtgU = matmul(U.mT(), gU);
        Tensor<T> left = matmul(U, div(mul(sub(UtgU, UtgU.mT()), Srow), detail::svd_gaps(S)));
        if (m > k) {
          const Tensor<T> gUS = div(gU, Srow);
          left = add(left, sub(gUS, matmul(U, matmul(U.mT(), gUS))));
        }
        return matmul(left, Vh);
      }, A);
      // gA = U [(S skew(V^T gV)) / E] Vh + U S^-1 gV^T (I - V V^T), gV = gVh^T
      autograd::record(op, p.Vh, [sU, sS, sVh, n, k, extra, shape = A.shape()](const Tensor<T>& gVh) {
        if (extra)
          detail::fail<std::logic_error>("svd", "the gradient of Vh is not implemented for full_matrices=True with a "
                                         "non-square input (shape ", shape, "); use full_matrices=False");
        const Tensor<T> U = sU.get(), S = sS.get(), Vh = sVh.get(), Scol = unsqueeze(S, -1);
        const Tensor<T> VtgV = matmul(Vh, gVh.mT());
        Tensor<T> right = matmul(div(mul(Scol, sub(VtgV, VtgV.mT())), detail::svd_gaps(S)), Vh);
        if (n > k) {
          const Tensor<T> gVS = div(gVh, Scol);  // (S^-1 gV^T), (..., K, N)
          right = add(right, sub(gVS, matmul(matmul(gVS, Vh.mT()), Vh)));
        }
        return matmul(U, right);
      }, A);
    }
    return {p.U, p.S, p.Vh};
  }
  return {};
}

}  // namespace ember
