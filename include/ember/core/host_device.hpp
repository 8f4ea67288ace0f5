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
