// layer_parity --list: the registered cases, one per line.
// layer_parity CASE_FILE RESULT_FILE: runs the case and writes its results (see parity.hpp).
#include <cstdio>
#include <exception>
#include <iostream>

#include "parity.hpp"

namespace parity {
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace parity

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (const auto& [name, f] : parity::registry()) std::cout << name << '\n';
    return 0;
  }
  if (argc != 3) {
    std::cerr << "usage: layer_parity --list | layer_parity CASE_FILE RESULT_FILE\n";
    return 2;
  }
  try {
    ember::io::SafeTensors file = ember::io::load_safetensors(argv[1]);
    const std::string name = file.metadata.at("case");
    auto it = parity::registry().find(name);
    if (it == parity::registry().end()) {
      std::cerr << "no C++ parity case for " << name << '\n';
      return 3;
    }
    ember::default_generator().manual_seed(0);  // as the Python side seeds before its run
    parity::Run run(std::move(file));
    it->second(run);
    ember::io::save_safetensors(argv[2], run.results(), {});
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
