// Uses ember from C++ the way the Python docs read: creation, views, arithmetic, reductions, matmul.
#include <cstdio>

#include <ember/ember.hpp>

int main() {
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
