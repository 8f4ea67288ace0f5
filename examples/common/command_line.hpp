#pragma once
// The command-line reading shared by the C++ examples (train_digits, train_fashion, deploy): positional
// arguments and "--name value" options; a bad command line prints the usage and exits with status 2.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace example {

struct CommandLine {
  std::string program, usage;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--name" -> its value (the last one given)

  [[noreturn]] void fail(const std::string& msg) const {
    std::fprintf(stderr, "%s: %s\nusage: %s\n", program.c_str(), msg.c_str(), usage.c_str());
    std::exit(2);
  }

  std::string text(const std::string& name, const std::string& fallback = "") const {
    const auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }

  // The option as a whole number of at least `min`, or `fallback` when it is not given.
  long long integer(const std::string& name, long long fallback, long long min) const {
    const auto it = options.find(name);
    if (it == options.end()) return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v < min) fail("invalid value for " + name);
    return v;
  }
};

// Reads argv: each of `valued` takes the next argument as its value; -h or --help prints `help` and the usage;
// any other "--" argument is an error.
inline CommandLine read_command_line(int argc, char** argv, std::string program, std::string usage,
                                     const std::vector<std::string>& valued, const std::string& help) {
  CommandLine cl{std::move(program), std::move(usage), {}, {}};
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (std::find(valued.begin(), valued.end(), s) != valued.end()) {
      if (i + 1 >= argc) cl.fail(s + " needs a value");
      cl.options[s] = argv[++i];
    } else if (s == "-h" || s == "--help") {
      cl.fail(help);
    } else if (s.starts_with("--")) {
      cl.fail("unknown option " + s);
    } else {
      cl.positional.push_back(s);
    }
  }
  return cl;
}

}  // namespace example
