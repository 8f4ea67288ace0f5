// Reductions (see ember/backend/cuda/reduce.hpp): one block per output element, whose threads stride
// over the reduced elements and combine their float64 partial results in shared memory.
#include "common.cuh"
#include "ember/backend/cuda/reduce.hpp"

namespace ember::cuda {

namespace {

struct SumOp {
  static constexpr double kInit = 0;
  __device__ static double combine(double acc, double v) { return acc + v; }
};
struct MaxOp {
  static constexpr double kInit = -__builtin_huge_val();
  __device__ static double combine(double acc, double v) { return (v > acc || v != v) && acc == acc ? v : acc; }
};
struct MinOp {
  static constexpr double kInit = __builtin_huge_val();
  __device__ static double combine(double acc, double v) { return (v < acc || v != v) && acc == acc ? v : acc; }
};

// x is read at kept_offset(o) + reduced_offset(r) for output o < n_out and reduced element r < count.
template <class Op, class T>
__global__ void reduce_kernel(const T* x, T* out, std::int64_t n_out, std::int64_t count, detail::Indexer<1> kept,
                           detail::Indexer<1> reduced, double scale) {
  __shared__ double partial[detail::kThreads];
  for (std::int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
    std::int64_t base[1];
    kept.offsets(o, base);
    double acc = Op::kInit;
    for (std::int64_t r = threadIdx.x; r < count; r += blockDim.x) {
      std::int64_t off[1];
      reduced.offsets(r, off);
      acc = Op::combine(acc, static_cast<double>(x[base[0] + off[0]]));
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      if (static_cast<int>(threadIdx.x) < s) partial[threadIdx.x] = Op::combine(partial[threadIdx.x], partial[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = static_cast<T>(partial[0] * scale);
    __syncthreads();
  }
}

// The indexer of the dims of `shape` picked by `pick` (no merging: the kept dims must stay in
// row-major order so that output o is the o-th kept position).
detail::Indexer<1> sub_indexer(const Shape& shape, const Shape& strides, std::uint64_t mask, bool reduced,
                               std::int64_t& n) {
  detail::Indexer<1> ix;
  n = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if ((((mask >> d) & 1) != 0) != reduced || shape[d] == 1) continue;
    EMBER_CHECK(ix.nd < kMaxDims, "reduce", "CUDA reductions index at most ", kMaxDims, " dims, got shape ", shape);
    ix.sizes[ix.nd] = shape[d];
    ix.strides[0][ix.nd] = strides[d];
    ++ix.nd;
    n *= shape[d];
  }
  return ix;
}

}  // namespace

void reduce(int index, ReduceOp op, const Shape& shape, const Strided& x, std::uint64_t mask, void* out,
            double scale) {
  detail::DeviceGuard guard(index);
  std::int64_t n_out = 1, count = 1;
  const detail::Indexer<1> kept = sub_indexer(shape, x.strides, mask, false, n_out);
  const detail::Indexer<1> reduced = sub_indexer(shape, x.strides, mask, true, count);
  if (n_out == 0) return;
  const unsigned blocks = static_cast<unsigned>(n_out < 65535 * 16 ? n_out : 65535 * 16);
  detail::visit_float(x.dtype, "reduce", [&](auto tag) {
    using T = decltype(tag);
    const T* in = static_cast<const T*>(x.data);
    T* o = static_cast<T*>(out);
    switch (op) {
      case ReduceOp::Sum:
        reduce_kernel<SumOp, T><<<blocks, detail::kThreads>>>(in, o, n_out, count, kept, reduced, scale);
        break;
      case ReduceOp::Max:
        reduce_kernel<MaxOp, T><<<blocks, detail::kThreads>>>(in, o, n_out, count, kept, reduced, scale);
        break;
      case ReduceOp::Min:
        reduce_kernel<MinOp, T><<<blocks, detail::kThreads>>>(in, o, n_out, count, kept, reduced, scale);
        break;
    }
    detail::check_launch("reduce");
  });
}

}  // namespace ember::cuda
