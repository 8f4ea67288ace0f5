#pragma once
// Random number generation: a seedable Generator and the process-wide default one.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "ember/core/error.hpp"

namespace ember {

/// A seedable stream of random numbers (mt19937_64), safe to share between threads.
class Generator {
 public:
  static constexpr std::uint64_t kDefaultSeed = 67280421310721ULL;

  explicit Generator(std::uint64_t seed = kDefaultSeed) : engine_(seed), seed_(seed) {}

  /// Restarts the stream from `seed`.
  void manual_seed(std::uint64_t seed) {
    std::lock_guard lock(mutex_);
    engine_.seed(seed);
    seed_ = seed;
  }
  std::uint64_t initial_seed() const { return seed_; }

  /// The stream's position (and its seed) as bytes, as torch.Generator.get_state: set_state(get_state())
  /// continues the stream from here.
  std::vector<std::uint8_t> get_state() {
    std::ostringstream os;
    {
      std::lock_guard lock(mutex_);
      os << kStateTag << ' ' << seed_ << ' ' << engine_;
    }
    const std::string text = os.str();
    return {text.begin(), text.end()};
  }
  /// Restores a state that get_state returned; anything else (another generator's format, truncated or
  /// edited bytes, the all-zero state that would draw only zeros) is an std::invalid_argument naming op,
  /// and the generator is left as it was.
  void set_state(std::span<const std::uint8_t> bytes, const char* op = "set_state") {
    std::istringstream is(std::string(bytes.begin(), bytes.end()));
    std::string tag;
    std::uint64_t seed = 0;
    std::mt19937_64 engine;
    is >> tag >> seed >> engine;
    bool ok = !is.fail() && tag == kStateTag;
    is >> std::ws;
    ok = ok && is.eof() && !all_zero_words(engine);
    EMBER_CHECK(ok, op, "the state is not one that get_rng_state / Generator.get_state returned (", bytes.size(),
                " bytes)");
    std::lock_guard lock(mutex_);
    engine_ = engine;
    seed_ = seed;
  }

  /// Runs f(engine) under the generator's lock; f draws as many numbers as it needs.
  template <class F>
  decltype(auto) with_engine(F&& f) {
    std::lock_guard lock(mutex_);
    return f(engine_);
  }

  /// A uniform double in [0, 1) with 53 random bits.
  static double uniform01(std::mt19937_64& e) { return static_cast<double>(e() >> 11) * 0x1.0p-53; }

 private:
  static constexpr const char* kStateTag = "ember.mt19937_64";

  // Whether the engine's state words are all zero (then it draws only zeros): its text form is the words
  // and then the position.
  static bool all_zero_words(const std::mt19937_64& e) {
    std::ostringstream os;
    os << e;
    std::istringstream words(os.str());
    std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
    return std::all_of(w.begin(), w.end() - (w.empty() ? 0 : 1), [](const std::string& x) { return x == "0"; });
  }
  std::mt19937_64 engine_;
  std::uint64_t seed_;
  std::mutex mutex_;
};

/// The generator used when an op is not given one.
inline Generator& default_generator() {
  static Generator g;
  return g;
}

/// Seeds the default generator, as torch.manual_seed does.
inline void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
