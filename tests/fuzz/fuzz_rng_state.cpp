// libFuzzer entry point of the random-state harness; the body, shared with the corpus replay test, is in
// fuzz_targets.hpp.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::fuzz::fuzz_rng_state(data, size);
  return 0;
}
