#pragma once
// AnyTensor: a Tensor<T> of any supported element type, chosen at run time (Python's ember.Tensor,
// checkpoints). Dispatch once with visit() (the compute dtypes) or visit_any() (bfloat16 too), then work with
// static types.
#include <variant>

#include "ember/core/tensor.hpp"

namespace ember {

/// One tensor whose element type is a run-time value.
class AnyTensor {
 public:
  using Variant = std::variant<Tensor<bool>, Tensor<std::uint8_t>, Tensor<std::int8_t>, Tensor<std::int32_t>, Tensor<std::int64_t>,
                               Tensor<float>, Tensor<double>, Tensor<bfloat16>>;

  AnyTensor() = default;
  template <Element T>
  AnyTensor(Tensor<T> t) : v_(std::move(t)) {}  // NOLINT: implicit by design

  /// Calls f(Tensor<T>) with the held tensor, for code that computes: f is instantiated for the compute
  /// dtypes only, and a held bfloat16 tensor raises fail_bfloat16 naming op.
  template <class F>
  decltype(auto) visit(F&& f, const char* op = "this operation") const {
    using R = decltype(std::forward<F>(f)(std::declval<const Tensor<float>&>()));
    return visit_compute<R, 0>(std::forward<F>(f), op);
  }

  /// Calls f(Tensor<T>) with the held tensor of any dtype, bfloat16 included: storage code (shape, views,
  /// copies, casts, I/O).
  template <class F>
  decltype(auto) visit_any(F&& f) const { return std::visit(std::forward<F>(f), v_); }

  /// False for a default-constructed AnyTensor or one holding an undefined Tensor.
  bool defined() const { return visit_any([](const auto& t) { return t.defined(); }); }
  /// True when the held tensor requires grad.
  bool requires_grad() const { return visit_any([](const auto& t) { return t.defined() && t.requires_grad(); }); }
  DType dtype() const { return static_cast<DType>(v_.index()); }
  const Shape& shape() const { return visit_any([](const auto& t) -> const Shape& { return t.shape(); }); }
  Device device() const { return visit_any([](const auto& t) { return t.device(); }); }
  std::int64_t numel() const { return numel_of(shape()); }
  std::int64_t dim() const { return static_cast<std::int64_t>(shape().size()); }

  /// True when the held tensor has element type T.
  template <Element T>
  bool is() const { return std::holds_alternative<Tensor<T>>(v_); }

  /// The held tensor as Tensor<T>; TypeError when it holds another element type.
  template <Element T>
  const Tensor<T>& get(const char* op = "tensor") const {
    const auto* p = std::get_if<Tensor<T>>(&v_);
    EMBER_CHECK_TYPE(p != nullptr, op, "expected a tensor of dtype ", dtype_name(dtype_of<T>), ", got ",
                     dtype_name(dtype()));
    return *p;
  }

  /// The held tensor converted to element type T (no copy when it already is).
  template <Element T>
  Tensor<T> as() const { return visit_any([](const auto& t) { return t.template to<T>(); }); }

  /// The held tensor converted to dtype d.
  ///
  /// A template (of a parameter nobody sets), like the other run-time-dtype functions that reach every
  /// dtype's ops (cat of AnyTensors, safetensors I/O, gradcheck, the deploy runtime): g++ compiles
  /// what a non-template inline function uses in every file that includes it, called or not, and
  /// these pull in dozens of ops per dtype.
  template <class = void>
  AnyTensor to(DType d) const {
    return dispatch_any_dtype(d, [&](auto tag) { return AnyTensor(as<decltype(tag)>()); });
  }

  const Variant& variant() const { return v_; }

 private:
  static_assert(static_cast<int>(DType::BFloat16) == 7, "variant order must follow DType");

  template <class R, std::size_t I, class F>
  R visit_compute(F&& f, const char* op) const {
    if constexpr (I + 1 == std::variant_size_v<Variant>) {
      static_assert(std::is_same_v<std::variant_alternative_t<I, Variant>, Tensor<bfloat16>>);
      fail_bfloat16(op, to_string(shape()));
    } else {
      if (v_.index() == I) return std::forward<F>(f)(*std::get_if<I>(&v_));
      return visit_compute<R, I + 1>(std::forward<F>(f), op);
    }
  }

  Variant v_;
};

}  // namespace ember
