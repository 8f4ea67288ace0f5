// Device queries, the current device and synchronisation (see ember/backend/cuda/runtime.hpp).
#include "common.cuh"
#include "ember/backend/cuda/runtime.hpp"

namespace ember::cuda {

namespace {
// cudaGetDeviceCount's answer, asked once: the driver's state does not change under a process.
struct DeviceQuery {
  int count = 0;
  cudaError_t status = cudaSuccess;
  DeviceQuery() {
    status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      count = 0;
      cudaGetLastError();  // clear the sticky-free error so that later calls start clean
    }
  }
};
const DeviceQuery& query() {
  static const DeviceQuery q;
  return q;
}
}  // namespace

int device_count() { return query().count; }

std::string unavailable_reason() {
  const DeviceQuery& q = query();
  if (q.status == cudaErrorNoDevice || (q.status == cudaSuccess && q.count == 0)) return "no CUDA device found";
  if (q.status == cudaErrorInsufficientDriver || q.status == cudaErrorInitializationError ||
      q.status == cudaErrorCompatNotSupportedOnDevice)
    return std::string("no usable CUDA driver (") + cudaGetErrorString(q.status) + ")";
  if (q.status != cudaSuccess) return std::string("CUDA initialisation failed (") + cudaGetErrorString(q.status) + ")";
  return "";
}

int current_device() {
  check_device(0, "cuda");
  int index = 0;
  detail::check(cudaGetDevice(&index), "cuda");
  return index;
}

void set_device(int index) {
  check_device(index, "set_device");
  detail::check(cudaSetDevice(index), "set_device");
}

void synchronize(int index) {
  check_device(index, "synchronize");
  detail::DeviceGuard guard(index);
  detail::check(cudaDeviceSynchronize(), "synchronize");
}

}  // namespace ember::cuda
