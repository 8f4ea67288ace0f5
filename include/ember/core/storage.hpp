#pragma once
// A device-tagged buffer shared by a tensor and all its views.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "ember/core/device.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Owns (or borrows, with a release callback) one contiguous buffer of bytes on a device.
class Storage {
 public:
  /// Called once when the storage dies, to free memory it does not own (NumPy, DLPack).
  using Release = void (*)(void* data, void* context);

  static constexpr std::size_t kAlignment = 64;

  /// Allocates nbytes of 64-byte aligned, uninitialised memory on device.
  static std::shared_ptr<Storage> allocate(std::size_t nbytes, Device device = Device::cpu()) {
    EMBER_CHECK_DEVICE(device.is_cpu(), "storage", "cannot allocate on ", device.str(),
                       ": ember was built without CUDA support");
    const std::size_t rounded = (std::max<std::size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
    void* p = std::aligned_alloc(kAlignment, rounded);
    if (!p) throw std::bad_alloc();
    return std::make_shared<Storage>(p, nbytes, device, &free_aligned, nullptr);
  }

  /// Wraps memory owned elsewhere; release(data, context) runs when the last view dies.
  static std::shared_ptr<Storage> wrap(void* data, std::size_t nbytes, Device device, Release release,
                                       void* context) {
    return std::make_shared<Storage>(data, nbytes, device, release, context);
  }

  Storage(void* data, std::size_t nbytes, Device device, Release release, void* context)
      : data_(data), nbytes_(nbytes), device_(device), release_(release), context_(context) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (release_) release_(data_, context_);
  }

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  static void free_aligned(void* p, void*) { std::free(p); }

  void* data_;
  std::size_t nbytes_;
  Device device_;
  Release release_;
  void* context_;
};

}  // namespace ember
