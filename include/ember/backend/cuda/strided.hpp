#pragma once
// The operand of a CUDA kernel launcher: a device pointer to element 0, its dtype and its element
// strides (0 along broadcast dims); every operand of one launch shares one shape.
#include "ember/core/dtype.hpp"
#include "ember/core/shape.hpp"

namespace ember::cuda {

/// Kernels index at most this many dims once dims that are contiguous for every operand are merged.
inline constexpr int kMaxDims = 8;

/// One operand of a launch.
struct Strided {
  void* data;
  DType dtype;
  Shape strides;
};

/// The Strided view of a tensor (any ember::Tensor<T>).
template <class Tn>
Strided strided(const Tn& t) {
  return {const_cast<void*>(static_cast<const void*>(t.data())), t.dtype(), t.strides()};
}

}  // namespace ember::cuda
