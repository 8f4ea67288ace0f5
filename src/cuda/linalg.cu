// Batched matrix products on cuBLAS (see ember/backend/cuda/linalg.hpp). cuBLAS is column-major:
// a row-major c = a @ b is the column-major c^T = b^T @ a^T, so the operands swap places.
#include <cublas_v2.h>

#include <dlfcn.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "common.cuh"
#include "ember/backend/cuda/linalg.hpp"

namespace ember::cuda {

namespace {

// cuBLAS is opened on first use rather than linked: loading libcublasLt alone costs ~60 ms and
// ~190 MB of resident memory at `import ember`, on machines that may never run a product on a GPU.
// The library's RUNPATH (the wheel's or toolkit's lib folder) is searched by this dlopen.
struct Cublas {
  decltype(&::cublasCreate_v2) create;
  decltype(&::cublasSetStream_v2) set_stream;
  // the C function (C++ also has an overload taking a cudaDataType compute type)
  cublasStatus_t (*gemm_strided_batched)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                         const void*, const void*, cudaDataType, int, long long, const void*,
                                         cudaDataType, int, long long, const void*, void*, cudaDataType, int,
                                         long long, int, cublasComputeType_t, cublasGemmAlgo_t);
  decltype(&::cublasGetStatusName) status_name;
  decltype(&::cublasGetStatusString) status_string;
};

const Cublas& cublas() {
  static const Cublas api = [] {
    const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      ember::detail::fail<DeviceError>("cuda", "cannot load cuBLAS (", name, "): ", dlerror(),
                                        "; install it with pip install nvidia-cublas");
    auto symbol = [&](const char* fn) {
      void* p = dlsym(lib, fn);
      if (!p) ember::detail::fail<DeviceError>("cuda", "cuBLAS (", name, ") has no ", fn);
      return p;
    };
    Cublas c;
    c.create = reinterpret_cast<decltype(c.create)>(symbol("cublasCreate_v2"));
    c.set_stream = reinterpret_cast<decltype(c.set_stream)>(symbol("cublasSetStream_v2"));
    c.gemm_strided_batched = reinterpret_cast<decltype(c.gemm_strided_batched)>(symbol("cublasGemmStridedBatchedEx"));
    c.status_name = reinterpret_cast<decltype(c.status_name)>(symbol("cublasGetStatusName"));
    c.status_string = reinterpret_cast<decltype(c.status_string)>(symbol("cublasGetStatusString"));
    return c;
  }();
  return api;
}

void check_cublas(cublasStatus_t status, const char* op) {
  if (status != CUBLAS_STATUS_SUCCESS) [[unlikely]]
    ember::detail::fail<DeviceError>(op, "cuBLAS error ", cublas().status_name(status), ": ",
                                     cublas().status_string(status));
}

// One handle per device, made on first use and kept for the process (on the default stream).
cublasHandle_t handle(int index) {
  static std::mutex mutex;
  static auto* handles = new std::unordered_map<int, cublasHandle_t>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = handles->find(index);
  if (it != handles->end()) return it->second;
  cublasHandle_t h = nullptr;
  check_cublas(cublas().create(&h), "matmul");
  check_cublas(cublas().set_stream(h, cudaStreamLegacy), "matmul");
  handles->emplace(index, h);
  return h;
}

}  // namespace

void load_cublas() { cublas(); }

void gemm(int index, DType dtype, std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
          const GemmOperand& a, const GemmOperand& b, void* c) {
  detail::DeviceGuard guard(index);
  cublasHandle_t h = handle(index);
  // Column-major view: C^T (n x m, ld n) = op(B^T) (n x k) @ op(A^T) (k x m). A row-major operand is
  // its transpose in column-major terms, so it needs no transposition flag; a transposed one does.
  const cublasOperation_t op_b = b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cudaDataType_t type = dtype == DType::Float64 ? CUDA_R_64F : CUDA_R_32F;
  const cublasComputeType_t compute = dtype == DType::Float64 ? CUBLAS_COMPUTE_64F : CUBLAS_COMPUTE_32F;
  EMBER_CHECK_TYPE(dtype == DType::Float32 || dtype == DType::Float64, "matmul", "not implemented on cuda for ",
                   dtype_name(dtype), " yet");
  const double one64 = 1, zero64 = 0;
  const float one32 = 1, zero32 = 0;
  const void* alpha = dtype == DType::Float64 ? static_cast<const void*>(&one64) : &one32;
  const void* beta = dtype == DType::Float64 ? static_cast<const void*>(&zero64) : &zero32;
  check_cublas(cublas().gemm_strided_batched(h, op_b, op_a, static_cast<int>(n), static_cast<int>(m),
                                          static_cast<int>(k), alpha, b.data, type, static_cast<int>(b.ld),
                                          b.batch_stride, a.data, type, static_cast<int>(a.ld), a.batch_stride,
                                          beta, c, type, static_cast<int>(n), m * n, static_cast<int>(batch),
                                          compute, CUBLAS_GEMM_DEFAULT),
               "matmul");
}

}  // namespace ember::cuda
