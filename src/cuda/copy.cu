// Strided copies with dtype conversion, and fills (see ember/backend/cuda/copy.hpp).
#include "common.cuh"
#include "ember/backend/cuda/copy.hpp"

namespace ember::cuda {

namespace {
template <class T, class U>
struct CastCopy {
  T* o;
  const U* s;
  __device__ void operator()(const std::int64_t (&off)[2]) const { o[off[0]] = static_cast<T>(s[off[1]]); }
};
template <class T>
struct Fill {
  T* o;
  T v;
  __device__ void operator()(const std::int64_t (&off)[1]) const { o[off[0]] = v; }
};
}  // namespace

void copy(int index, const Shape& shape, const Strided& dst, const Strided& src) {
  detail::DeviceGuard guard(index);
  detail::visit_dtype(dst.dtype, [&](auto to) {
    detail::visit_dtype(src.dtype, [&](auto from) {
      using T = decltype(to);
      using U = decltype(from);
      detail::for_each<2>("copy", shape, {&dst.strides, &src.strides},
                          CastCopy<T, U>{static_cast<T*>(dst.data), static_cast<const U*>(src.data)});
    });
  });
}

void fill(int index, const Shape& shape, const Strided& dst, const void* value) {
  detail::DeviceGuard guard(index);
  detail::visit_dtype(dst.dtype, [&](auto tag) {
    using T = decltype(tag);
    detail::for_each<1>("fill_", shape, {&dst.strides}, Fill<T>{static_cast<T*>(dst.data), *static_cast<const T*>(value)});
  });
}

}  // namespace ember::cuda
