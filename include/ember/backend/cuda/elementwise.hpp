#pragma once
// Elementwise kernels. Each op has a device functor in src/cuda/elementwise_ops.cuh, named after the
// op struct of ops/elementwise.hpp and ops/compare.hpp that it mirrors (f, and df for unary ops).
// Inputs are float32 or float64 (bool for the logical ops); comparisons write bool.
#include "ember/backend/cuda/api.hpp"
#include "ember/backend/cuda/strided.hpp"

namespace ember::cuda {

/// The unary ops that have a CUDA kernel (X-macro: X(Name) per op).
#define EMBER_CUDA_UNARY_OPS(X)                                                                              \
  X(NegOp) X(AbsOp) X(ReluOp) X(ExpOp) X(LogOp) X(Log1pOp) X(SqrtOp) X(RsqrtOp) X(SinOp) X(CosOp) X(TanhOp)  \
  X(SigmoidOp) X(SiluOp) X(GeluOp) X(GeluTanhOp) X(NotOp)
/// The binary ops that have a CUDA kernel.
#define EMBER_CUDA_BINARY_OPS(X)                                                                              \
  X(AddOp) X(SubOp) X(MulOp) X(DivOp) X(MaxOp) X(MinOp) X(PowOp) X(EqOp) X(NeOp) X(LtOp) X(LeOp) X(GtOp)     \
  X(GeOp) X(AndOp) X(OrOp) X(XorOp)

#define EMBER_CUDA_ENUM_ENTRY(Name) Name,
/// A unary op, named as its struct in ember::detail.
enum class UnaryOp { EMBER_CUDA_UNARY_OPS(EMBER_CUDA_ENUM_ENTRY) };
/// A binary op, named as its struct in ember::detail.
enum class BinaryOp { EMBER_CUDA_BINARY_OPS(EMBER_CUDA_ENUM_ENTRY) };
#undef EMBER_CUDA_ENUM_ENTRY

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
