#pragma once
// Linear algebra: matmul (NumPy semantics, batched with broadcasting), mm, bmm, dot, outer.
// float32 products above a small size run on oneDNN's matmul primitive, large unbatched ones on its
// sgemm; float64, integers and small products on Eigen, which is also the reference the oneDNN path is tested against.
#include <optional>

#include "ember/autograd/node.hpp"
#include "ember/backend/cuda/linalg.hpp"
#include "ember/backend/eigen/linalg.hpp"
#include "ember/backend/onednn/matmul.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/copy.hpp"  // Tensor::to<U>()

namespace ember {

namespace detail {

// Gives dims of extent 1 a stride that keeps the layout plain (row-major or transposed), so that
// oneDNN recognises it; such strides never address memory.
inline void canonical_unit_strides(const Shape& shape, Shape& strides) {
  const std::size_t r = shape.size();
  std::int64_t& sm = strides[r - 2];
  std::int64_t& sk = strides[r - 1];
  if (shape[r - 1] == 1) sk = shape[r - 2] == 1 || sm != 1 ? 1 : shape[r - 2];
  if (shape[r - 2] == 1) sm = sk == 1 ? shape[r - 1] : 1;
  std::int64_t span = std::max(shape[r - 2] * sm, shape[r - 1] * sk);  // one matrix's extent
  for (std::size_t d = r - 2; d-- > 0;) {
    if (shape[d] == 1) strides[d] = span;
    span = std::max(span, shape[d] * strides[d]);
  }
}

/// The BLAS view of a (rows, cols) matrix with these strides: row-major or transposed with a leading
/// dim, or nothing when its strides are neither.
inline std::optional<onednn::GemmLayout> plain_layout(std::int64_t rows, std::int64_t cols, std::int64_t row_stride,
                                                      std::int64_t col_stride) {
  if ((col_stride == 1 || cols == 1) && (rows == 1 || row_stride >= std::max<std::int64_t>(cols, 1)))
    return onednn::GemmLayout{false, rows == 1 ? std::max<std::int64_t>(cols, 1) : row_stride};
  if ((row_stride == 1 || rows == 1) && (cols == 1 || col_stride >= std::max<std::int64_t>(rows, 1)))
    return onednn::GemmLayout{true, cols == 1 ? std::max<std::int64_t>(rows, 1) : col_stride};
  return std::nullopt;
}

/// The cuBLAS view of operand t, given as `shape`/`strides` of rank r whose batch dims (extent 1 where
/// broadcast) expand to `batch`: a strided batch of plain (row-major or transposed) matrices, after a
/// contiguous copy into `keep` when the strides do not allow one.
template <Element T>
cuda::GemmOperand cuda_gemm_operand(const Tensor<T>& t, const Shape& shape, const Shape& strides, const Shape& batch,
                                    Tensor<T>& keep) {
  const std::size_t r = shape.size();
  const std::int64_t rows = shape[r - 2], cols = shape[r - 1];
  Shape full = batch, st(r, 0);
  full.push_back(rows);
  full.push_back(cols);
  for (std::size_t d = 0; d < r; ++d) st[d] = shape[d] == 1 && d + 2 < r ? 0 : strides[d];
  auto plain = [&](const Shape& s, cuda::GemmOperand& g) {
    const std::optional<onednn::GemmLayout> layout = plain_layout(rows, cols, s[r - 2], s[r - 1]);
    if (!layout) return false;
    g.transposed = layout->transposed, g.ld = layout->ld;
    // The batch dims must step by one stride: dim d's stride = dim d+1's stride * extent.
    g.batch_stride = 0;
    std::int64_t expected = -1;
    for (std::size_t d = r - 2; d-- > 0;) {
      if (full[d] == 1) continue;
      if (expected < 0) g.batch_stride = s[d];
      else if (s[d] != expected) return false;
      expected = s[d] * full[d];
    }
    return true;
  };
  cuda::GemmOperand g{nullptr, false, 1, 0};
  if (plain(st, g)) {
    g.data = t.data();
    return g;
  }
  keep = Tensor<T>(t.storage(), full, st, t.offset()).contiguous();
  plain(keep.strides(), g);
  g.data = keep.data();
  return g;
}

/// The product of a and b in the promoted type T, with a and b already converted to T and
/// checked to be at least 1-D; `op` names the caller in errors. Does not record.
template <Element T>
Tensor<T> matmul_forward(const Tensor<T>& a, const Tensor<T>& b, const char* op) {
  if constexpr (std::is_same_v<T, bool>) {
    // NumPy's boolean product (OR of ANDs): count in int32, then test for nonzero.
    return matmul_forward(a.template to<std::int32_t>(), b.template to<std::int32_t>(), op).template to<bool>();
  } else {
    const Device device = same_device(op, a, b);
    if (device.is_cuda() && !FloatElement<T>)
      fail<TypeError>(op, "not implemented on cuda for ", dtype_name(dtype_of<T>), " yet");
    // 1-D operands become a (1, K) row and a (K, 1) column; those dims leave the result at the end.
    const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
    Shape ash = a_vec ? Shape{1, a.size(0)} : a.shape();
    Shape ast = a_vec ? Shape{a.size(0) * a.stride(0), a.stride(0)} : a.strides();
    Shape bsh = b_vec ? Shape{b.size(0), 1} : b.shape();
    Shape bst = b_vec ? Shape{b.stride(0), 1} : b.strides();
    const std::size_t ra = ash.size(), rb = bsh.size();
    const std::int64_t m = ash[ra - 2], k = ash[ra - 1], n = bsh[rb - 1];
    EMBER_CHECK(k == bsh[rb - 2], op, "shapes ", a.shape(), " and ", b.shape(), " cannot be multiplied: ", k,
                " != ", bsh[rb - 2]);
    // Two matrices for Eigen (any size but float32's large ones): none of the batch bookkeeping below,
    // which costs more than a 4x4 product.
    if (!a_vec && !b_vec && ra == 2 && rb == 2 && !device.is_cuda() &&
        (!std::is_same_v<T, float> || m * n * k < onednn::kMinMatmulWork)) {
      Tensor<T> out = Tensor<T>::empty({m, n}, device);
      if (k == 0) out.fill_(T(0));
      else if (m * n > 0) eigen::matmul(a.data(), ash, ast, b.data(), bsh, bst, out.data(), out.shape());
      return out;
    }

    // Batch dims: right-aligned and broadcast; both operands padded to rank r with dims of extent 1.
    const std::size_t r = std::max(ra, rb);
    Shape osh(r), a_sh(r, 1), a_st(r, 0), b_sh(r, 1), b_st(r, 0), user_shape;
    for (std::size_t d = 0; d + 2 < r; ++d) {
      const std::size_t lead_a = r - ra, lead_b = r - rb;
      const std::int64_t da = d < lead_a ? 1 : ash[d - lead_a], db = d < lead_b ? 1 : bsh[d - lead_b];
      EMBER_CHECK(da == db || da == 1 || db == 1, op, "batch dims of shapes ", a.shape(), " and ", b.shape(),
                  " cannot be broadcast: ", da, " != ", db, " at dim ", d);
      osh[d] = da == 1 ? db : da;
      user_shape.push_back(osh[d]);
      if (d >= lead_a) a_sh[d] = da, a_st[d] = ast[d - lead_a];
      if (d >= lead_b) b_sh[d] = db, b_st[d] = bst[d - lead_b];
      // A dim with stride 0 (an expanded view) is a broadcast dim too, so give it extent 1 for the
      // kernels, as long as the other operand still carries out's extent there.
      if (a_st[d] == 0 && b_sh[d] == osh[d]) a_sh[d] = 1;
      if (b_st[d] == 0 && a_sh[d] == osh[d]) b_sh[d] = 1;
    }
    osh[r - 2] = m;
    osh[r - 1] = n;
    a_sh[r - 2] = m, a_sh[r - 1] = k, a_st[r - 2] = ast[ra - 2], a_st[r - 1] = ast[ra - 1];
    b_sh[r - 2] = k, b_sh[r - 1] = n, b_st[r - 2] = bst[rb - 2], b_st[r - 1] = bst[rb - 1];
    if (!a_vec) user_shape.push_back(m);
    if (!b_vec) user_shape.push_back(n);

    Tensor<T> out = Tensor<T>::empty(user_shape, a.device());
    if (out.numel() == 0) return out;
    if (k == 0) {
      out.fill_(T(0));
      return out;
    }

    if (device.is_cuda()) {
      const Shape batch(osh.begin(), osh.end() - 2);
      Tensor<T> keep_a, keep_b;
      const cuda::GemmOperand ga = cuda_gemm_operand(a, a_sh, a_st, batch, keep_a);
      const cuda::GemmOperand gb = cuda_gemm_operand(b, b_sh, b_st, batch, keep_b);
      cuda::gemm(device.index, dtype_of<T>, numel_of(batch), m, n, k, ga, gb, out.data());
      return out;
    }
    // Raw operands, so that the common case makes no tensor besides the output.
    const T* pa = a.data();
    const T* pb = b.data();
    Tensor<T> keep_a, keep_b;  // contiguous copies, when one is needed
    auto to_contiguous = [](const Tensor<T>& t, const Shape& sh, const Shape& st, Tensor<T>& keep, const T*& p,
                            Shape& strides) {
      keep = Tensor<T>(t.storage(), sh, st, t.offset()).contiguous();
      p = keep.data();
      strides = keep.strides();
    };
    // Other dims with stride 0 and extent > 1 (an expanded matrix dim, or both operands expanded
    // along one batch dim) are rare: copy them rather than teach the kernels.
    const bool for_onednn = std::is_same_v<T, float> && numel_of(osh) * k >= onednn::kMinMatmulWork;
    auto expanded = [r, for_onednn](const Shape& sh, const Shape& st) {
      for (std::size_t d = for_onednn ? 0 : r - 2; d < r; ++d)
        if (sh[d] > 1 && st[d] == 0) return true;
      return false;
    };
    if (expanded(a_sh, a_st)) to_contiguous(a, a_sh, a_st, keep_a, pa, a_st);
    if (expanded(b_sh, b_st)) to_contiguous(b, b_sh, b_st, keep_b, pb, b_st);
    Shape a_str = a_st, b_str = b_st;
    canonical_unit_strides(a_sh, a_str);
    canonical_unit_strides(b_sh, b_str);

    if constexpr (std::is_same_v<T, float>) {
      if (for_onednn && onednn::matmul_supported(r) && onednn::bf16_products() &&
          onednn::matmul_bf16(pa, a_sh, a_str, pb, b_sh, b_str, out.data(), osh))
        return out;  // autocast
      if (numel_of(osh) == m * n && m * n * k >= onednn::kMinSgemmWork) {
        const auto la = plain_layout(m, k, a_str[r - 2], a_str[r - 1]);
        const auto lb = plain_layout(k, n, b_str[r - 2], b_str[r - 1]);
        if (la && lb) {
          onednn::sgemm(pa, *la, pb, *lb, out.data(), m, n, k);
          return out;
        }
      }
      if (for_onednn && onednn::matmul_supported(r)) {
        if (onednn::matmul(pa, a_sh, a_str, pb, b_sh, b_str, out.data(), osh, false)) return out;
        // oneDNN has only its reference loop for these strides: give it row-major copies.
        if (!keep_a.defined()) to_contiguous(a, a_sh, a_st, keep_a, pa, a_st);
        if (!keep_b.defined()) to_contiguous(b, b_sh, b_st, keep_b, pb, b_st);
        a_str = a_st, b_str = b_st;
        canonical_unit_strides(a_sh, a_str);
        canonical_unit_strides(b_sh, b_str);
        onednn::matmul(pa, a_sh, a_str, pb, b_sh, b_str, out.data(), osh, true);
        return out;
      }
    }
    eigen::matmul(pa, a_sh, a_str, pb, b_sh, b_str, out.data(), osh);
    return out;
  }
}

/// The gradients of y = matmul(a, b) (NumPy's rules) for g = dL/dy, given a only when b's gradient is
/// wanted and b only when a's is: a 1-D operand is a (1, K) row or a (K, 1) column, and batch dims
/// that broadcasting expanded are summed back.
template <Element T>
autograd::Grads matmul_backward(const Tensor<T>& g, const Tensor<T>& a, const Tensor<T>& b, const Shape& a_shape,
                                const Shape& b_shape) {
  const bool a_vec = a_shape.size() == 1, b_vec = b_shape.size() == 1;
  const Tensor<T> g2 = a_vec && b_vec ? g.reshape({1, 1}) : a_vec ? g.unsqueeze(-2) : b_vec ? g.unsqueeze(-1) : g;
  autograd::Grads grads(2);
  if (b.defined()) {  // da = g b^T
    const Tensor<T> b2 = b_vec ? b.unsqueeze(1) : b;
    const Shape a2_shape = a_vec ? Shape{1, a_shape[0]} : a_shape;
    grads[0] = sum_to_size(matmul_forward(g2, b2.mT(), "matmul"), a2_shape).reshape(a_shape);
  }
  if (a.defined()) {  // db = a^T g
    const Tensor<T> a2 = a_vec ? a.unsqueeze(0) : a;
    const Shape b2_shape = b_vec ? Shape{b_shape[0], 1} : b_shape;
    grads[1] = sum_to_size(matmul_forward(a2.mT(), g2, "matmul"), b2_shape).reshape(b_shape);
  }
  return grads;
}

/// matmul_forward, recording the backward when a or b requires grad.
template <Element T>
Tensor<T> matmul_impl(const Tensor<T>& a, const Tensor<T>& b, const char* op) {
  Tensor<T> y = matmul_forward(a, b, op);
  if constexpr (FloatElement<T>)
    if (autograd::needs_grad(a, b))
      autograd::record(op, y, [sa = autograd::Saved<T>(b.requires_grad() ? a : Tensor<T>(), op),
                               sb = autograd::Saved<T>(a.requires_grad() ? b : Tensor<T>(), op),
                               a_shape = a.shape(), b_shape = b.shape()](const Tensor<T>& g) {
        return matmul_backward(g, sa.get(), sb.get(), a_shape, b_shape);
      }, a, b);
  return y;
}

}  // namespace detail

/// Matrix product with NumPy's rules: 1-D . 1-D is a 0-d dot product, a 1-D operand gains (and
/// then loses) a dim, and N-D operands are stacks of matrices whose batch dims broadcast.
template <Element A, Element B>
Tensor<promote_t<A, B>> matmul(const Tensor<A>& a, const Tensor<B>& b) {
  using T = promote_t<A, B>;
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul", "both arguments need at least 1 dimension, got shapes ",
              a.shape(), " and ", b.shape());
  return detail::matmul_impl<T>(a.template to<T>(), b.template to<T>(), "matmul");
}

/// Product of two matrices (2-D only).
template <Element A, Element B>
Tensor<promote_t<A, B>> mm(const Tensor<A>& a, const Tensor<B>& b) {
  using T = promote_t<A, B>;
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, "mm", "expected 2-D tensors, got shapes ", a.shape(), " and ",
              b.shape());
  return detail::matmul_impl<T>(a.template to<T>(), b.template to<T>(), "mm");
}

/// Batched product of (B, M, K) and (B, K, N) tensors, giving (B, M, N); no broadcasting.
template <Element A, Element B>
Tensor<promote_t<A, B>> bmm(const Tensor<A>& a, const Tensor<B>& b) {
  using T = promote_t<A, B>;
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3, "bmm", "expected 3-D tensors, got shapes ", a.shape(), " and ",
              b.shape());
  EMBER_CHECK(a.size(0) == b.size(0), "bmm", "batch sizes of shapes ", a.shape(), " and ", b.shape(),
              " differ: ", a.size(0), " != ", b.size(0));
  return detail::matmul_impl<T>(a.template to<T>(), b.template to<T>(), "bmm");
}

/// Dot product of two 1-D tensors of equal length, as a 0-d tensor.
template <Element A, Element B>
Tensor<promote_t<A, B>> dot(const Tensor<A>& a, const Tensor<B>& b) {
  using T = promote_t<A, B>;
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "dot", "expected 1-D tensors, got shapes ", a.shape(), " and ",
              b.shape());
  EMBER_CHECK(a.size(0) == b.size(0), "dot", "shapes ", a.shape(), " and ", b.shape(),
              " have different lengths: ", a.size(0), " != ", b.size(0));
  return detail::matmul_impl<T>(a.template to<T>(), b.template to<T>(), "dot");
}

/// Outer product of 1-D tensors a (N) and b (M): the (N, M) matrix a[i] * b[j].
template <Element A, Element B>
Tensor<promote_t<A, B>> outer(const Tensor<A>& a, const Tensor<B>& b) {
  using T = promote_t<A, B>;
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "outer", "expected 1-D tensors, got shapes ", a.shape(), " and ",
              b.shape());
  // A product with K = 1: (N, 1) @ (1, M).
  return detail::matmul_impl<T>(a.template to<T>().unsqueeze(1), b.template to<T>().unsqueeze(0), "outer");
}

template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::matmul(const Tensor<U>& other) const { return ember::matmul(*this, other); }

template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::mm(const Tensor<U>& other) const { return ember::mm(*this, other); }

template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::bmm(const Tensor<U>& other) const { return ember::bmm(*this, other); }

template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::dot(const Tensor<U>& other) const { return ember::dot(*this, other); }

template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::outer(const Tensor<U>& other) const { return ember::outer(*this, other); }

}  // namespace ember
