#pragma once
// AddressSanitizer hooks for ember's own allocators. The host block cache keeps freed blocks, and a small
// tensor's bytes share one malloc with its Storage (storage.hpp): ASan sees neither a tensor's end nor its
// death there unless told. In builds without ASan these are no-ops.
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define EMBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMBER_ASAN 1
#endif
#endif
#ifdef EMBER_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace ember::detail {

/// Marks [p, p + n) as not addressable: ASan reports any access to it (whole 8-byte granules only).
inline void asan_poison([[maybe_unused]] const void* p, [[maybe_unused]] std::size_t n) {
#ifdef EMBER_ASAN
  if (n > 0) ASAN_POISON_MEMORY_REGION(p, n);
#endif
}

/// Marks [p, p + n) as addressable again.
inline void asan_unpoison([[maybe_unused]] const void* p, [[maybe_unused]] std::size_t n) {
#ifdef EMBER_ASAN
  if (n > 0) ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
}

}  // namespace ember::detail
