#pragma once
// Elementwise kernels. Every op struct of ember/ops/elementwise_formulas.hpp listed in EMBER_UNARY_OPS
// or EMBER_BINARY_OPS has a kernel here, which calls that struct's f (and df for unary ops): the
// formulas are the CPU's. Inputs are float32 or float64 (bool for the logical ops); comparisons
// write bool.
#include <type_traits>

#include "ember/backend/cuda/api.hpp"
#include "ember/backend/cuda/strided.hpp"
#include "ember/core/dtype.hpp"
#include "ember/core/error.hpp"
#include "ember/ops/elementwise_formulas.hpp"

namespace ember::cuda {

#define EMBER_CUDA_ENUM_ENTRY(Name, ...) Name,
/// A unary op, named as its struct in ember::detail.
enum class UnaryOp { EMBER_UNARY_OPS(EMBER_CUDA_ENUM_ENTRY) };
/// A binary op, named as its struct in ember::detail.
enum class BinaryOp { EMBER_BINARY_OPS(EMBER_CUDA_ENUM_ENTRY) };
#undef EMBER_CUDA_ENUM_ENTRY

template <class>
inline constexpr bool kNoKernel = false;
/// The UnaryOp of the op struct Op.
template <class Op>
constexpr UnaryOp unary_op() {
#define EMBER_CUDA_MATCH(Name, ...) if constexpr (std::is_same_v<Op, ::ember::detail::Name>) return UnaryOp::Name; else
  EMBER_UNARY_OPS(EMBER_CUDA_MATCH)
#undef EMBER_CUDA_MATCH
  static_assert(kNoKernel<Op>, "the op is missing from EMBER_UNARY_OPS");
}
/// The BinaryOp of the op struct Op.
template <class Op>
constexpr BinaryOp binary_op() {
#define EMBER_CUDA_MATCH(Name, ...) if constexpr (std::is_same_v<Op, ::ember::detail::Name>) return BinaryOp::Name; else
  EMBER_BINARY_OPS(EMBER_CUDA_MATCH)
#undef EMBER_CUDA_MATCH
  static_assert(kNoKernel<Op>, "the op is missing from EMBER_BINARY_OPS");
}

/// out = op(x) over `shape`.
EMBER_CUDA_FN(void unary(int index, UnaryOp op, const Shape& shape, const Strided& out, const Strided& x))
/// dx = op's derivative df(g, v) over `shape` (v is the op's output or input, as the op's struct says).
EMBER_CUDA_FN(void unary_backward(int index, UnaryOp op, const Shape& shape, const Strided& dx, const Strided& g,
                                  const Strided& v))
/// out = op(a, b) over `shape` (a and b of one dtype, broadcast by stride 0).
EMBER_CUDA_FN(void binary(int index, BinaryOp op, const Shape& shape, const Strided& out, const Strided& a,
                          const Strided& b))
/// out = op(a, s), or op(s, a) when scalar_first, with s converted to a's dtype.
EMBER_CUDA_FN(void binary_scalar(int index, BinaryOp op, const Shape& shape, const Strided& out, const Strided& a,
                                 double s, bool scalar_first))
/// out = cond ? a : b over `shape` (cond bool; a, b and out of one dtype).
EMBER_CUDA_FN(void where(int index, const Shape& shape, const Strided& out, const Strided& cond, const Strided& a,
                         const Strided& b))

}  // namespace ember::cuda

namespace ember::detail {

/// TypeError naming op unless the CUDA elementwise kernels take C (float32 and float64; bool for the
/// logical ops and comparisons).
template <Element C>
void check_cuda_dtype(const char* op) {
  if constexpr (!FloatElement<C> && !std::is_same_v<C, bool>)
    fail<TypeError>(op, "not implemented on cuda for ", dtype_name(dtype_of<C>), " yet");
}

}  // namespace ember::detail
