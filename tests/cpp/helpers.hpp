#pragma once
// Shared by the C++ tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "ember/ember.hpp"

namespace ember::testing {

/// The message of the exception of type E that f throws, or "<no exception>".
template <class E = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

/// A fresh empty directory for one test (named after the test), removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("ember_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Names of the files in the directory, sorted.
  std::vector<std::string> list() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::filesystem::path path_;
};

/// A tensor of shape s holding the values v (row-major).
template <Element T>
Tensor<T> mat(std::vector<T> v, Shape s) {
  return tensor<T>(std::span<const T>(v.data(), v.size()), s);
}

/// Expects a and b to have the same shape and to agree elementwise within tol.
inline void expect_near(const Tensor<double>& a, const Tensor<double>& b, double tol = 1e-12) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto av = a.contiguous().to_vector(), bv = b.contiguous().to_vector();
  for (std::size_t i = 0; i < av.size(); ++i) EXPECT_NEAR(av[i], bv[i], tol) << "element " << i;
}

/// A float64 leaf of standard normal values (seeded) that requires grad, for gradient tests.
inline Tensor<double> leaf(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  auto x = randn<double>(shape, gen);
  x.requires_grad_(true);
  return x;
}

}  // namespace ember::testing
