// The fuzz corpora as regression tests: every committed seed (tests/fuzz/corpus/<name>/) and crash
// reproducer (tests/fuzz/crashes/<name>/) runs through the same harness body as libFuzzer runs it
// (tests/fuzz/fuzz_targets.hpp), so a parser bug the fuzzers found stays fixed. A broken contract
// aborts, naming the harness and the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/fuzz_targets.hpp"

namespace fs = std::filesystem;

namespace {

/// tests/fuzz, from this file's path (EMBER_FUZZ_DIR overrides it, for a moved build).
fs::path fuzz_dir() {
  if (const char* dir = std::getenv("EMBER_FUZZ_DIR")) return dir;
  return fs::path(__FILE__).parent_path().parent_path() / "fuzz";
}

/// Runs every file of corpus/<name> and crashes/<name> through target; returns how many there were.
std::size_t replay(const std::string& name, void (*target)(const std::uint8_t*, std::size_t)) {
  std::vector<fs::path> files;
  for (const char* folder : {"corpus", "crashes"}) {
    const fs::path dir = fuzz_dir() / folder / name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    ember::fuzz::current_input = f.string();
    target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  ember::fuzz::current_input.clear();
  return files.size();
}

}  // namespace

TEST(FuzzCorpus, Safetensors) { EXPECT_GT(replay("safetensors", ember::fuzz::fuzz_safetensors<>), 0u); }
TEST(FuzzCorpus, Deploy) { EXPECT_GT(replay("deploy", ember::fuzz::fuzz_deploy<>), 0u); }
TEST(FuzzCorpus, DeployGraph) { EXPECT_GT(replay("deploy_graph", ember::fuzz::fuzz_deploy_graph<>), 0u); }
TEST(FuzzCorpus, Json) { EXPECT_GT(replay("json", ember::fuzz::fuzz_json<>), 0u); }
TEST(FuzzCorpus, Device) { EXPECT_GT(replay("device", ember::fuzz::fuzz_device<>), 0u); }
TEST(FuzzCorpus, Dtype) { EXPECT_GT(replay("dtype", ember::fuzz::fuzz_dtype<>), 0u); }
TEST(FuzzCorpus, Idx) { EXPECT_GT(replay("idx", ember::fuzz::fuzz_idx<>), 0u); }
TEST(FuzzCorpus, RngState) { EXPECT_GT(replay("rng_state", ember::fuzz::fuzz_rng_state<>), 0u); }
TEST(FuzzCorpus, Infer) { EXPECT_GT(replay("infer", ember::fuzz::fuzz_infer<>), 0u); }
