#pragma once
// Element types, their names, and the promotion table for mixed-dtype arithmetic.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ember/core/error.hpp"

namespace Eigen {
struct bfloat16;  // <Eigen/Core>, included by core/tensor.hpp: this header stays free of Eigen for the CUDA sources
}

namespace ember {

/// bfloat16: Eigen's type (the one ml_dtypes, and so NumPy and JAX, use): the top 16 bits of a float32,
/// converted from float with round-to-nearest-even, to float exactly.
using bfloat16 = Eigen::bfloat16;

/// The element types a tensor can hold, ordered by promotion rank, then BFloat16 (whose promotion is
/// special-cased in promote_types).
enum class DType : std::uint8_t { Bool, UInt8, Int8, Int32, Int64, Float32, Float64, BFloat16 };

/// The number of dtypes.
inline constexpr int kNumDTypes = 8;

template <class T>
concept Element = std::is_same_v<T, bool> || std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int8_t> ||
                  std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
                  std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, bfloat16>;

template <class T>
concept FloatElement = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// The dtypes autograd differentiates: the floating compute types, and bfloat16 (whose ops compute in float32).
template <class T>
concept GradElement = FloatElement<T> || std::is_same_v<T, bfloat16>;

/// The DType of a C++ element type.
template <Element T>
inline constexpr DType dtype_of = std::is_same_v<T, bool>           ? DType::Bool
                                  : std::is_same_v<T, std::uint8_t> ? DType::UInt8
                                  : std::is_same_v<T, std::int8_t>  ? DType::Int8
                                  : std::is_same_v<T, std::int32_t> ? DType::Int32
                                  : std::is_same_v<T, std::int64_t> ? DType::Int64
                                  : std::is_same_v<T, float>        ? DType::Float32
                                  : std::is_same_v<T, double>       ? DType::Float64
                                                                    : DType::BFloat16;

/// Size in bytes of one element of d.
constexpr std::size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: case DType::UInt8: case DType::Int8: return 1;
    case DType::BFloat16: return 2;
    case DType::Int32: case DType::Float32: return 4;
    default: return 8;
  }
}

/// The name Python shows for d ("float32", "int64", ...).
constexpr std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::BFloat16: return "bfloat16";
  }
  return "?";
}

constexpr bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64 || d == DType::BFloat16; }
constexpr bool is_integral(DType d, bool include_bool = true) {
  return !is_floating(d) && (include_bool || d != DType::Bool);
}

/// Promotion of two tensor dtypes, PyTorch's table restricted to ember's dtypes:
///
///            bool    uint8   int8    int32   int64   float32 float64
///   bool     bool    uint8   int8    int32   int64   float32 float64
///   uint8    uint8   uint8   int32*  int32   int64   float32 float64
///   int8     int8    int32*  int8    int32   int64   float32 float64
///   int32    int32   int32   int32   int32   int64   float32 float64
///   int64    int64   int64   int64   int64   int64   float32 float64
///   float32  float32 float32 float32 float32 float32 float32 float64
///   float64  float64 float64 float64 float64 float64 float64 float64
///
/// Apart from uint8 with int8 the table is the maximum in declaration order. *PyTorch gives int16, which
/// ember does not have: int32 is the smallest ember type that holds both ranges.
/// bfloat16 promotes as in PyTorch: with float32 or float64 to that, with anything else
/// to bfloat16.
constexpr DType promote_types(DType a, DType b) {
  if (a == DType::BFloat16 || b == DType::BFloat16) {
    const DType other = a == DType::BFloat16 ? b : a;
    return other == DType::Float32 || other == DType::Float64 ? other : DType::BFloat16;
  }
  if ((a == DType::UInt8 && b == DType::Int8) || (a == DType::Int8 && b == DType::UInt8)) return DType::Int32;
  return static_cast<std::uint8_t>(a) >= static_cast<std::uint8_t>(b) ? a : b;
}

/// Kind of a Python scalar operand, for promotion against a tensor.
enum class ScalarKind : std::uint8_t { Bool, Int, Float };

/// Promotion of a tensor dtype with a Python scalar: a scalar only changes the result when it is of
/// a higher kind (bool < int < float), and then gives that kind's default dtype (int64, float32).
constexpr DType promote_with_scalar(DType t, ScalarKind s) {
  const ScalarKind tk = is_floating(t) ? ScalarKind::Float
                        : t == DType::Bool ? ScalarKind::Bool : ScalarKind::Int;
  if (static_cast<int>(s) <= static_cast<int>(tk)) return t;
  return s == ScalarKind::Float ? DType::Float32 : DType::Int64;
}

template <DType D> struct element_of;
template <> struct element_of<DType::Bool> { using type = bool; };
template <> struct element_of<DType::UInt8> { using type = std::uint8_t; };
template <> struct element_of<DType::Int8> { using type = std::int8_t; };
template <> struct element_of<DType::Int32> { using type = std::int32_t; };
template <> struct element_of<DType::Int64> { using type = std::int64_t; };
template <> struct element_of<DType::Float32> { using type = float; };
template <> struct element_of<DType::Float64> { using type = double; };
template <> struct element_of<DType::BFloat16> { using type = bfloat16; };

/// The C++ type of DType D.
template <DType D>
using element_t = typename element_of<D>::type;

/// The promoted C++ type of two element types.
template <Element A, Element B>
using promote_t = element_t<promote_types(dtype_of<A>, dtype_of<B>)>;

/// The floating type an op that always returns floats (div, exp, mean...) computes in.
template <Element T>
using float_t_of = std::conditional_t<std::is_same_v<T, double>, double, float>;

/// What an op that computes says of a bfloat16 tensor: a TypeError naming the op, the shape (when given)
/// and what to do instead.
[[noreturn]] inline void fail_bfloat16(const char* op, const std::string& shape = "") {
  detail::fail<TypeError>(op, "got a bfloat16 tensor", shape.empty() ? "" : " of shape ", shape,
                          "; bfloat16 tensors support creation, casts, views, indexing, copies, NumPy/DLPack "
                          "exchange and save/load, and this operation does not support them yet: cast with "
                          ".float(), or compute in float32 under ember.autocast('cpu', dtype=ember.bfloat16)");
}

/// Calls f(T{}) with the C++ type of d, a compute dtype: one runtime switch, then static types. A bfloat16
/// d raises fail_bfloat16 naming op.
template <class F>
decltype(auto) dispatch_dtype(DType d, F&& f, const char* op = "dtype") {
  switch (d) {
    case DType::Bool: return std::forward<F>(f)(bool{});
    case DType::UInt8: return std::forward<F>(f)(std::uint8_t{});
    case DType::Int8: return std::forward<F>(f)(std::int8_t{});
    case DType::Int32: return std::forward<F>(f)(std::int32_t{});
    case DType::Int64: return std::forward<F>(f)(std::int64_t{});
    case DType::Float32: return std::forward<F>(f)(float{});
    case DType::Float64: return std::forward<F>(f)(double{});
    case DType::BFloat16: fail_bfloat16(op);
  }
  detail::fail<std::invalid_argument>("dtype", "unknown dtype ", static_cast<int>(d));
}

/// dispatch_dtype for any dtype, bfloat16 included (storage: creation, casts, copies, I/O).
template <class F>
decltype(auto) dispatch_any_dtype(DType d, F&& f) {
  using B = std::conditional_t<sizeof(F) != 0, bfloat16, void>;  // dependent: complete where this is used
  if (d == DType::BFloat16) return std::forward<F>(f)(B{});
  return dispatch_dtype(d, std::forward<F>(f));
}

/// A number as element type T, refusing what T cannot hold as PyTorch does ("value cannot be converted
/// without overflow"): for an integer T, NaN, infinities and values outside T's range (a fraction
/// within it is truncated); a negative integer down to -255 wraps into uint8 (PyTorch's rule).
/// Floating and bool targets take any value.
template <Element T, class V>
T scalar_cast(V v, const char* op) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using L = std::numeric_limits<T>;
    bool ok;
    if constexpr (std::is_floating_point_v<V>) {
      ok = std::isfinite(v) && v >= static_cast<V>(L::lowest()) &&
           (sizeof(T) == 8 ? v < static_cast<V>(0x1p63) : v <= static_cast<V>(L::max()));
    } else if constexpr (std::is_same_v<V, bool>) {
      ok = true;
    } else {
      const auto w = static_cast<std::int64_t>(v);
      ok = (w >= static_cast<std::int64_t>(L::lowest()) || (!L::is_signed && w >= -static_cast<std::int64_t>(L::max()))) &&
           (w < 0 || static_cast<std::uint64_t>(w) <= static_cast<std::uint64_t>(L::max()));
    }
    if (!ok)
      detail::fail<std::invalid_argument>(op, "value ", v, " cannot be converted to type ", dtype_name(dtype_of<T>),
                                          " without overflow");
  }
  return static_cast<T>(v);
}

}  // namespace ember
