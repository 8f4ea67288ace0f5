#pragma once
// Random number generation: a seedable Generator and the process-wide default one.
#include <cmath>
#include <cstdint>
#include <mutex>
#include <random>

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

  /// Runs f(engine) under the generator's lock; f draws as many numbers as it needs.
  template <class F>
  decltype(auto) with_engine(F&& f) {
    std::lock_guard lock(mutex_);
    return f(engine_);
  }

  /// A uniform double in [0, 1) with 53 random bits.
  static double uniform01(std::mt19937_64& e) { return static_cast<double>(e() >> 11) * 0x1.0p-53; }

 private:
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
