// ember's allocators tell AddressSanitizer where a tensor's bytes end (core/sanitizer.hpp): without that,
// a write past a small tensor landed in its malloc's alignment padding and one into a dead large tensor
// in the host block cache, and ASan reported neither.
#include <gtest/gtest.h>

#include <cstddef>

#include "ember/core/sanitizer.hpp"
#include "ember/core/storage.hpp"

namespace {

#ifdef EMBER_ASAN
TEST(Sanitizer, AccessOutsideATensorsBytesIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto small = ember::Storage::allocate(3 * sizeof(float));
  auto* s = static_cast<volatile float*>(small->data());
  s[2] = 1.0f;
  EXPECT_DEATH(s[3] = 1.0f, "AddressSanitizer");  // one element past a small tensor (alignment padding)
  const std::size_t n = ember::detail::HostBlockCache::kMinBlock + 100;
  auto big = ember::Storage::allocate(n);
  auto* b = static_cast<volatile char*>(big->data());
  b[n - 1] = 1;
  EXPECT_DEATH(b[n] = 1, "AddressSanitizer");  // one byte past a large tensor (the block's rounding)
  big.reset();
  EXPECT_DEATH(b[0] = 1, "AddressSanitizer");  // a dead large tensor, whose block the cache keeps
  auto again = ember::Storage::allocate(n - 50);  // the cached block again: addressable to its new end
  auto* a = static_cast<volatile char*>(again->data());
  a[0] = 1;
  a[n - 51] = 1;
}
#else
TEST(Sanitizer, AccessOutsideATensorsBytesIsReported) { GTEST_SKIP() << "not an AddressSanitizer build"; }
#endif

}  // namespace
