#pragma once
// Creation ops: tensor, zeros, ones, full, empty, arange, linspace, eye, *_like, rand, randn, randint,
// randperm. On a CUDA device, empty/zeros/ones/full allocate and fill there; the others are made on
// the host (random numbers from the same generator as on the CPU) and copied.
#include <cmath>
#include <cstdint>
#include <optional>
#include <initializer_list>
#include <limits>
#include <vector>

#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

/// A tensor of `shape` holding a copy of `values` (row-major); values.size() must equal numel.
template <Element T>
Tensor<T> tensor(std::span<const T> values, const Shape& shape, Device device = Device::cpu()) {
  EMBER_CHECK(static_cast<std::int64_t>(values.size()) == numel_of(shape), "tensor", values.size(),
              " values cannot fill shape ", shape);
  if (device.is_cuda()) return tensor<T>(values, shape).to(device);
  Tensor<T> out = Tensor<T>::empty(shape, device);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

/// A 1-D tensor holding a copy of `values`.
template <Element T>
Tensor<T> tensor(std::initializer_list<T> values, Device device = Device::cpu()) {
  return tensor<T>(std::span<const T>(values.begin(), values.size()),
                   Shape{static_cast<std::int64_t>(values.size())}, device);
}

/// A 1-D tensor holding a copy of `values`.
template <Element T>
Tensor<T> tensor(const std::vector<T>& values, Device device = Device::cpu()) {
  return tensor<T>(std::span<const T>(values.data(), values.size()),
                   Shape{static_cast<std::int64_t>(values.size())}, device);
}


/// An uninitialised contiguous tensor.
template <Element T>
Tensor<T> empty(const Shape& shape, Device device = Device::cpu()) {
  return Tensor<T>::empty(shape, device);
}

/// A tensor filled with `value`.
template <Element T>
Tensor<T> full(const Shape& shape, T value, Device device = Device::cpu()) {
  Tensor<T> out = Tensor<T>::empty(shape, device);
  out.fill_(value);
  return out;
}

/// A 0-d tensor holding `value`.
template <Element T>
Tensor<T> scalar_tensor(T value, Device device = Device::cpu()) {
  return full<T>({}, value, device);
}

/// A tensor of zeros.
template <Element T>
Tensor<T> zeros(const Shape& shape, Device device = Device::cpu()) { return full<T>(shape, T(0), device); }

/// A tensor of ones.
template <Element T>
Tensor<T> ones(const Shape& shape, Device device = Device::cpu()) { return full<T>(shape, T(1), device); }

/// empty/zeros/ones/full with the shape and device of `like`.
template <Element T, Element U>
Tensor<T> empty_like(const Tensor<U>& like) { return empty<T>(like.shape(), like.device()); }
template <Element T>
Tensor<T> empty_like(const Tensor<T>& like) { return empty<T>(like.shape(), like.device()); }
template <Element T>
Tensor<T> zeros_like(const Tensor<T>& like) { return zeros<T>(like.shape(), like.device()); }
template <Element T>
Tensor<T> ones_like(const Tensor<T>& like) { return ones<T>(like.shape(), like.device()); }
template <Element T>
Tensor<T> full_like(const Tensor<T>& like, T value) { return full<T>(like.shape(), value, like.device()); }

/// start, start+step, ... below end (1-D), as torch.arange (for an integer T, start, end and step are
/// truncated to integers first, as PyTorch computes in int64 then).
template <Element T>
Tensor<T> arange(double start, double end, double step = 1, Device device = Device::cpu()) {
  if constexpr (std::is_integral_v<T>) {
    start = static_cast<double>(scalar_cast<std::int64_t>(start, "arange"));
    end = static_cast<double>(scalar_cast<std::int64_t>(end, "arange"));
    step = static_cast<double>(scalar_cast<std::int64_t>(step, "arange"));
  }
  EMBER_CHECK(step != 0 && !std::isnan(step), "arange", "step must be nonzero, got ", step);
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end), "arange", "unsupported range: ", start, " -> ", end);
  EMBER_CHECK((end - start) / step >= 0 || end == start, "arange", "upper bound ", end, " and lower bound ",
              start, " inconsistent with step sign ", step);
  const double count = std::max(0.0, std::ceil((end - start) / step));
  EMBER_CHECK(count < 0x1p62, "arange", "the range [", start, ", ", end, ") with step ", step,
              " has too many elements (", count, ")");
  const auto n = static_cast<std::int64_t>(count);
  if (device.is_cuda()) return arange<T>(start, end, step).to(device);
  Tensor<T> out = Tensor<T>::empty({n}, device);
  T* o = out.data();
  for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(start + static_cast<double>(i) * step);
  return out;
}

/// 0, 1, ..., end-1.
template <Element T>
Tensor<T> arange(double end, Device device = Device::cpu()) { return arange<T>(0, end, 1, device); }

/// `steps` evenly spaced values from start to end inclusive.
template <Element T>
Tensor<T> linspace(double start, double end, std::int64_t steps, Device device = Device::cpu()) {
  EMBER_CHECK(steps >= 0, "linspace", "number of steps must be non-negative, got ", steps);
  if constexpr (std::is_integral_v<T>) {  // the ends in T first, as PyTorch
    start = static_cast<double>(scalar_cast<T>(start, "linspace"));
    end = static_cast<double>(scalar_cast<T>(end, "linspace"));
  }
  if (device.is_cuda()) return linspace<T>(start, end, steps).to(device);
  Tensor<T> out = Tensor<T>::empty({steps}, device);
  T* o = out.data();
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // Fill from both ends, as PyTorch does, so that the last value is exactly `end`.
  const std::int64_t half = steps / 2;
  for (std::int64_t i = 0; i < steps; ++i)
    o[i] = static_cast<T>(i < half || steps == 1 ? start + step * static_cast<double>(i)
                                   : end - step * static_cast<double>(steps - 1 - i));
  return out;
}

/// An n x m matrix with ones on the diagonal (m defaults to n).
template <Element T>
Tensor<T> eye(std::int64_t n, std::optional<std::int64_t> mcols = std::nullopt, Device device = Device::cpu()) {
  const std::int64_t m = mcols.value_or(n);
  EMBER_CHECK(n >= 0, "eye", "n must be non-negative, got ", n);
  EMBER_CHECK(m >= 0, "eye", "m must be non-negative, got ", m);
  if (device.is_cuda()) return eye<T>(n, m).to(device);
  Tensor<T> out = zeros<T>({n, m}, device);
  for (std::int64_t i = 0; i < std::min(n, m); ++i) out.data()[i * m + i] = T(1);
  return out;
}

/// Uniform samples in [0, 1).
template <FloatElement T>
Tensor<T> rand(const Shape& shape, Generator& gen = default_generator(), Device device = Device::cpu()) {
  if (device.is_cuda()) return rand<T>(shape, gen).to(device);
  Tensor<T> out = Tensor<T>::empty(shape, device);
  T* o = out.data();
  const std::int64_t n = out.numel();
  gen.with_engine([&](std::mt19937_64& e) {
    for (std::int64_t i = 0; i < n; ++i) {
      T v = static_cast<T>(Generator::uniform01(e));
      o[i] = v < T(1) ? v : std::nextafter(T(1), T(0));  // rounding to float may reach 1
    }
  });
  return out;
}

/// Standard normal samples (Box-Muller).
template <FloatElement T>
Tensor<T> randn(const Shape& shape, Generator& gen = default_generator(), Device device = Device::cpu()) {
  if (device.is_cuda()) return randn<T>(shape, gen).to(device);
  Tensor<T> out = Tensor<T>::empty(shape, device);
  T* o = out.data();
  const std::int64_t n = out.numel();
  gen.with_engine([&](std::mt19937_64& e) {
    for (std::int64_t i = 0; i < n; i += 2) {
      const double u1 = 1.0 - Generator::uniform01(e);  // (0, 1]
      const double u2 = Generator::uniform01(e);
      const double r = std::sqrt(-2.0 * std::log(u1));
      o[i] = static_cast<T>(r * std::cos(2.0 * M_PI * u2));
      if (i + 1 < n) o[i + 1] = static_cast<T>(r * std::sin(2.0 * M_PI * u2));
    }
  });
  return out;
}

/// Uniform integers in [low, high).
template <Element T>
Tensor<T> randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen = default_generator(),
                  Device device = Device::cpu()) {
  EMBER_CHECK(low < high, "randint", "random_ expects 'from' to be less than 'to', but got from=", low,
              " >= to=", high);
  if constexpr (std::is_integral_v<T>) {
    using L = std::numeric_limits<T>;
    EMBER_CHECK(low >= static_cast<std::int64_t>(L::lowest()) &&
                    high - 1 <= static_cast<std::int64_t>(std::min<std::uint64_t>(L::max(), INT64_MAX)),
                "randint", "the range [", low, ", ", high, ") is out of bounds for dtype ", dtype_name(dtype_of<T>));
  }
  if (device.is_cuda()) return randint<T>(low, high, shape, gen).to(device);
  Tensor<T> out = Tensor<T>::empty(shape, device);
  T* o = out.data();
  const std::int64_t n = out.numel();
  std::uniform_int_distribution<std::int64_t> dist(low, high - 1);
  gen.with_engine([&](std::mt19937_64& e) {
    for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(dist(e));
  });
  return out;
}

/// A random permutation of 0, 1, ..., n - 1 (a Fisher-Yates shuffle drawn from gen).
template <Element T = std::int64_t>
Tensor<T> randperm(std::int64_t n, Generator& gen = default_generator(), Device device = Device::cpu()) {
  EMBER_CHECK(n >= 0, "randperm", "n must be non-negative, got ", n);
  EMBER_CHECK(n == 0 || static_cast<double>(n - 1) <= static_cast<double>(std::numeric_limits<T>::max()), "randperm",
              "n = ", n, " does not fit dtype ", dtype_name(dtype_of<T>));
  if (device.is_cuda()) return randperm<T>(n, gen).to(device);
  Tensor<T> out = Tensor<T>::empty({n}, device);
  T* o = out.data();
  for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(i);
  gen.with_engine([&](std::mt19937_64& e) {
    for (std::int64_t i = n - 1; i > 0; --i) std::swap(o[i], o[std::uniform_int_distribution<std::int64_t>(0, i)(e)]);
  });
  return out;
}

}  // namespace ember
