// Uses ember from C++ the way the Python docs read: creation, views, arithmetic, reductions, matmul.
#include <cstdio>
#include <string_view>

#include <ember/ember.hpp>
#include <ember/version.hpp>

// The headers are the release this program was written for (CMake's find_package(ember 0.2) checked the
// package; these check the headers it put on the include path).
static_assert(EMBER_VERSION_MAJOR == 0 && EMBER_VERSION_MINOR == 2, "this example is written for ember 0.2");
#ifdef EMBER_PACKAGE_VERSION
static_assert(std::string_view(EMBER_PACKAGE_VERSION) == EMBER_VERSION_STRING,
              "the CMake package and the headers it points at must be the same ember");
#endif

int main() {
  std::printf("ember %s (%d.%d.%d)\n", ember::version(), EMBER_VERSION_MAJOR, EMBER_VERSION_MINOR,
              EMBER_VERSION_PATCH);
  ember::manual_seed(0);
  auto x = ember::arange<float>(0, 12).reshape({3, 4});       // (3, 4)
  auto w = ember::ones<float>({4, 2});                          // (4, 2)
  auto y = ember::matmul(x, w) * 0.5f;                          // (3, 2): half the row sums
  auto col_means = x.mean(0);                                   // (4,)
  auto best = y.sum(1).argmax(0);                               // 0-d index of the largest row
  std::printf("y shape (%lld, %lld), y[2][1] = %.1f\n", static_cast<long long>(y.size(0)),
              static_cast<long long>(y.size(1)), y.contiguous().data()[5]);
  std::printf("column means: %.1f %.1f %.1f %.1f\n", col_means.data()[0], col_means.data()[1],
              col_means.data()[2], col_means.data()[3]);
  std::printf("largest row: %lld\n", static_cast<long long>(best.item()));
  auto r = ember::randn<double>({1000});
  std::printf("randn mean within 0.1 of 0: %s\n", std::abs(r.mean().item()) < 0.1 ? "yes" : "no");
  return y.contiguous().data()[5] == 19.0f && best.item() == 2 ? 0 : 1;
}
