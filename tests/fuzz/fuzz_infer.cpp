// libFuzzer entry point of the infer harness; the body, shared with the corpus replay test, is in fuzz_targets.hpp.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::fuzz::fuzz_infer(data, size);
  return 0;
}
