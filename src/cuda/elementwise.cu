// Elementwise kernels: one strided kernel per (op, dtype), calling the op struct's f or df from
// ember/ops/elementwise_formulas.hpp, the formulas the CPU loops run (see ember/backend/cuda/elementwise.hpp).
#include "common.cuh"
#include "ember/backend/cuda/elementwise.hpp"
#include "ember/ops/elementwise_formulas.hpp"

namespace ember::cuda {

namespace {

namespace ops = ::ember::detail;

// Calls f(Op{}) with the functor of op.
template <class F>
void visit_unary(UnaryOp op, F&& f) {
  switch (op) {
#define EMBER_CUDA_CASE(Name, ...) case UnaryOp::Name: return f(ops::Name{});
    EMBER_UNARY_OPS(EMBER_CUDA_CASE)
#undef EMBER_CUDA_CASE
  }
}
template <class F>
void visit_binary(BinaryOp op, F&& f) {
  switch (op) {
#define EMBER_CUDA_CASE(Name, ...) case BinaryOp::Name: return f(ops::Name{});
    EMBER_BINARY_OPS(EMBER_CUDA_CASE)
#undef EMBER_CUDA_CASE
  }
}

// Input dtypes: float32/float64 for math ops; bool too for the logical ones (and for NotOp).
template <class Op, class F>
void visit_input(DType d, const char* op, F&& f) {
  if constexpr (std::is_same_v<Op, ops::NotOp> || std::is_same_v<Op, ops::AndOp> ||
                std::is_same_v<Op, ops::OrOp> || std::is_same_v<Op, ops::XorOp> ||
                std::is_same_v<Op, ops::EqOp> || std::is_same_v<Op, ops::NeOp>) {
    if (d == DType::Bool) return f(bool{});
  }
  detail::visit_float(d, op, f);
}

template <class Op, class T>
using result_t = typename Op::template result<T>;
template <class Op>
inline constexpr bool kBoolResult = std::is_same_v<result_t<Op, float>, bool>;

// The per-element bodies: out, then the inputs.
template <class Op, class T>
struct Unary {
  result_t<Op, T>* o;
  const T* x;
  __device__ void operator()(const std::int64_t (&off)[2]) const {
    o[off[0]] = static_cast<result_t<Op, T>>(Op::f(x[off[1]]));
  }
};
template <class Op, class T>
struct UnaryBackward {
  T* dx;
  const T* g;
  const T* v;
  __device__ void operator()(const std::int64_t (&off)[3]) const { dx[off[0]] = Op::df(g[off[1]], v[off[2]]); }
};
template <class Op, class T>
struct Binary {
  result_t<Op, T>* o;
  const T* a;
  const T* b;
  __device__ void operator()(const std::int64_t (&off)[3]) const {
    o[off[0]] = static_cast<result_t<Op, T>>(Op::f(a[off[1]], b[off[2]]));
  }
};
template <class Op, class T, bool kScalarFirst>
struct BinaryScalar {
  result_t<Op, T>* o;
  const T* a;
  T s;
  __device__ void operator()(const std::int64_t (&off)[2]) const {
    if constexpr (kScalarFirst) o[off[0]] = static_cast<result_t<Op, T>>(Op::f(s, a[off[1]]));
    else o[off[0]] = static_cast<result_t<Op, T>>(Op::f(a[off[1]], s));
  }
};
template <class T>
struct Where {
  T* o;
  const bool* c;
  const T* a;
  const T* b;
  __device__ void operator()(const std::int64_t (&off)[4]) const { o[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]]; }
};

}  // namespace

void unary(int index, UnaryOp op, const Shape& shape, const Strided& out, const Strided& x) {
  detail::DeviceGuard guard(index);
  visit_unary(op, [&](auto fn) {
    using Op = decltype(fn);
    visit_input<Op>(x.dtype, "unary", [&](auto tag) {
      using T = decltype(tag);
      using R = result_t<Op, T>;
      if constexpr (!std::is_same_v<T, bool> || std::is_same_v<Op, ops::NotOp>) {
        detail::for_each<2>("unary", shape, {&out.strides, &x.strides},
                            Unary<Op, T>{static_cast<R*>(out.data), static_cast<const T*>(x.data)});
      }
    });
  });
}

void unary_backward(int index, UnaryOp op, const Shape& shape, const Strided& dx, const Strided& g,
                    const Strided& v) {
  detail::DeviceGuard guard(index);
  visit_unary(op, [&](auto fn) {
    using Op = decltype(fn);
    if constexpr (!kBoolResult<Op>) {
      detail::visit_float(g.dtype, "backward", [&](auto tag) {
        using T = decltype(tag);
        detail::for_each<3>("backward", shape, {&dx.strides, &g.strides, &v.strides},
                            UnaryBackward<Op, T>{static_cast<T*>(dx.data), static_cast<const T*>(g.data),
                                                 static_cast<const T*>(v.data)});
      });
    }
  });
}

void binary(int index, BinaryOp op, const Shape& shape, const Strided& out, const Strided& a, const Strided& b) {
  detail::DeviceGuard guard(index);
  visit_binary(op, [&](auto fn) {
    using Op = decltype(fn);
    visit_input<Op>(a.dtype, "binary", [&](auto tag) {
      using T = decltype(tag);
      using R = result_t<Op, T>;
      detail::for_each<3>("binary", shape, {&out.strides, &a.strides, &b.strides},
                          Binary<Op, T>{static_cast<R*>(out.data), static_cast<const T*>(a.data),
                                        static_cast<const T*>(b.data)});
    });
  });
}

void binary_scalar(int index, BinaryOp op, const Shape& shape, const Strided& out, const Strided& a, double s,
                   bool scalar_first) {
  detail::DeviceGuard guard(index);
  visit_binary(op, [&](auto fn) {
    using Op = decltype(fn);
    visit_input<Op>(a.dtype, "binary", [&](auto tag) {
      using T = decltype(tag);
      using R = result_t<Op, T>;
      R* o = static_cast<R*>(out.data);
      const T* pa = static_cast<const T*>(a.data);
      const T c = static_cast<T>(s);
      if (scalar_first)
        detail::for_each<2>("binary", shape, {&out.strides, &a.strides}, BinaryScalar<Op, T, true>{o, pa, c});
      else
        detail::for_each<2>("binary", shape, {&out.strides, &a.strides}, BinaryScalar<Op, T, false>{o, pa, c});
    });
  });
}

void where(int index, const Shape& shape, const Strided& out, const Strided& cond, const Strided& a,
           const Strided& b) {
  detail::DeviceGuard guard(index);
  detail::visit_float(a.dtype, "where", [&](auto tag) {
    using T = decltype(tag);
    detail::for_each<4>("where", shape, {&out.strides, &cond.strides, &a.strides, &b.strides},
                        Where<T>{static_cast<T*>(out.data), static_cast<const bool*>(cond.data),
                                 static_cast<const T*>(a.data), static_cast<const T*>(b.data)});
  });
}

}  // namespace ember::cuda
