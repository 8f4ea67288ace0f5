#pragma once
// EMBER_HOST_DEVICE marks a function that both the host compiler and nvcc's device pass compile, so
// that one definition serves the CPU loops and the CUDA kernels (the elementwise formulas of
// ops/elementwise_formulas.hpp). It is empty without nvcc. Inside such a function, call std:: math
// (std::exp, std::erf, std::pow...) for float and double: CUDA's headers give those device overloads.
#if defined(__CUDACC__)
#define EMBER_HOST_DEVICE __host__ __device__
#else
#define EMBER_HOST_DEVICE
#endif

#include <bit>
#include <cstdint>
#include <type_traits>

namespace ember::detail {

/// c ? a : b without a branch, for the elementwise loops: GCC does not if-convert a `?:` between floats
/// (nor one on a bool loaded from memory), so a loop over random signs mispredicted half its branches
/// (leaky_relu ran 30x slower than relu). Both operands are already computed; the result is bit for bit
/// one of them (NaN payloads and signed zeros kept). nvcc's device pass selects without branching anyway.
template <class T>
EMBER_HOST_DEVICE inline T select(bool c, T a, T b) {
#if defined(__CUDA_ARCH__)
  return c ? a : b;
#else
  if constexpr (std::is_trivially_copyable_v<T> && (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 ||
                                                    sizeof(T) == 8)) {
    using U = std::conditional_t<
        sizeof(T) == 1, std::uint8_t,
        std::conditional_t<sizeof(T) == 2, std::uint16_t, std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
    const U m = static_cast<U>(U(0) - static_cast<U>(c));
    return std::bit_cast<T>(static_cast<U>((std::bit_cast<U>(a) & m) | (std::bit_cast<U>(b) & static_cast<U>(~m))));
  } else {
    return c ? a : b;
  }
#endif
}

}  // namespace ember::detail
