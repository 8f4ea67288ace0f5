#pragma once
// Matrix products on Eigen: float64, integers, small float32 products, and the reference that the
// oneDNN path is tested against.
#include <Eigen/Core>

#include "ember/core/dtype.hpp"
#include "ember/core/shape.hpp"

namespace ember::detail::eigen {

/// out = a @ b, batched. With the dim letters B (batch), M, K, N, all shapes have the same rank r:
/// a is (Ba..., M, K), b is (Bb..., K, N), out is (B..., M, N) and contiguous, and every batch dim
/// of a and b is either out's or 1 (broadcast). Strides are in elements, any non-negative values.
template <Element T>
void matmul(const T* a, const Shape& a_shape, const Shape& a_strides, const T* b, const Shape& b_shape,
            const Shape& b_strides, T* out, const Shape& out_shape) {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
  using ConstMap = Eigen::Map<const Matrix, Eigen::Unaligned, Stride>;
  const std::size_t r = out_shape.size();
  const std::int64_t m = out_shape[r - 2], n = out_shape[r - 1], k = a_shape[r - 1];
  std::int64_t batch = 1;
  for (std::size_t d = 0; d + 2 < r; ++d) batch *= out_shape[d];

  auto one = [&](std::int64_t i) {
    // Unravel batch index i over out's batch dims into element offsets of a and b.
    std::int64_t rem = i, oa = 0, ob = 0;
    for (std::size_t d = r - 2; d-- > 0;) {
      const std::int64_t idx = rem % out_shape[d];
      rem /= out_shape[d];
      if (a_shape[d] != 1) oa += idx * a_strides[d];
      if (b_shape[d] != 1) ob += idx * b_strides[d];
    }
    ConstMap am(a + oa, m, k, Stride(a_strides[r - 2], a_strides[r - 1]));
    ConstMap bm(b + ob, k, n, Stride(b_strides[r - 2], b_strides[r - 1]));
    Eigen::Map<Matrix> om(out + i * m * n, m, n);
    om.noalias() = am * bm;
  };
  // Many small products: one per thread (Eigen then runs single-threaded inside the region). A few
  // large ones: one after another, each parallelised by Eigen's own OpenMP GEMM.
  // Outside the parallel case no OpenMP region is opened at all: even an if(false) region costs
  // about as much as a 4x4 product.
  if (batch > 1 && m * n * k < (1 << 18) && batch * m * n * k >= (1 << 16)) {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < batch; ++i) one(i);
  } else {
    for (std::int64_t i = 0; i < batch; ++i) one(i);
  }
}

}  // namespace ember::detail::eigen
