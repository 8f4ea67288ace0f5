#pragma once
// Autocast: the precision that this thread's float32 matrix products and convolutions compute in.
// Under MatmulPrecision::BFloat16 (Python: `with ember.autocast("cpu", dtype=ember.bfloat16):`) the
// float32 matmul family (matmul, mm, bmm, linear) and conv2d round their inputs to bfloat16 and run on
// oneDNN's bfloat16 kernels, accumulating in float32 and returning float32 tensors. Everything else
// (elementwise ops, reductions, softmax, norms, losses, the optimizer and its float32 master weights)
// stays float32. A backward runs in the precision its forward ran in (autograd/engine.hpp), wherever the
// backward call is made. float64 is never affected. Where bfloat16 is not native on the CPU
// (cpu_info().bf16_native is false) products stay float32: an emulated bfloat16 kernel is slower than
// float32, and ember never slows down silently (Python's autocast warns once).
#include <cstdint>

namespace ember {

/// The precision float32 matrix products and convolutions compute in.
enum class MatmulPrecision : std::uint8_t { Float32, BFloat16 };

namespace detail {
inline thread_local MatmulPrecision autocast_precision_ = MatmulPrecision::Float32;
}  // namespace detail

/// This thread's autocast precision (Float32 unless an AutocastGuard is alive).
inline MatmulPrecision autocast_precision() { return detail::autocast_precision_; }

/// Sets this thread's autocast precision for the guard's lifetime and then restores the previous one,
/// so guards nest (an inner Float32 guard turns autocast off inside an autocast region).
class AutocastGuard {
 public:
  explicit AutocastGuard(MatmulPrecision p) : previous_(detail::autocast_precision_) {
    detail::autocast_precision_ = p;
  }
  ~AutocastGuard() { detail::autocast_precision_ = previous_; }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  MatmulPrecision previous_;
};

}  // namespace ember
