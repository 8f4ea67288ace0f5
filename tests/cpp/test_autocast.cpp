// Autocast (core/autocast.hpp): under MatmulPrecision::BFloat16 the float32 matmul family and conv2d
// compute on bfloat16-rounded inputs with float32 sums. Each result is checked against a double-precision
// loop over the inputs rounded to bfloat16 (round to nearest even), which a float32 product of the
// unrounded inputs would miss by far more than the tolerance; a backward runs in its forward's precision
// wherever it is called; float64 is untouched. Where bfloat16 is not native the products stay float32.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ember/ember.hpp"

namespace {

using ember::AutocastGuard;
using ember::MatmulPrecision;
using ember::Tensor;

bool native() { return ember::cpu_info().bf16_native; }

float round_bf16(float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&v, &u, 4);
  return v;
}

/// t with every element rounded to bfloat16 where autocast computes in it, else t itself.
Tensor<float> as_computed(const Tensor<float>& t) {
  Tensor<float> r = t.contiguous().clone();
  if (native())
    for (std::int64_t i = 0; i < r.numel(); ++i) r.data()[i] = round_bf16(r.data()[i]);
  return r;
}

double max_abs_diff(const Tensor<float>& a, const Tensor<double>& b) {
  const Tensor<float> ac = a.contiguous();
  const Tensor<double> bc = b.contiguous();
  EXPECT_EQ(ac.shape(), bc.shape());
  double m = 0;
  for (std::int64_t i = 0; i < ac.numel(); ++i) m = std::max(m, std::abs(double(ac.data()[i]) - bc.data()[i]));
  return m;
}

TEST(Autocast, GuardNestsAndRestores) {
  EXPECT_EQ(ember::autocast_precision(), MatmulPrecision::Float32);
  {
    AutocastGuard outer(MatmulPrecision::BFloat16);
    EXPECT_EQ(ember::autocast_precision(), MatmulPrecision::BFloat16);
    {
      AutocastGuard inner(MatmulPrecision::Float32);
      EXPECT_EQ(ember::autocast_precision(), MatmulPrecision::Float32);
    }
    EXPECT_EQ(ember::autocast_precision(), MatmulPrecision::BFloat16);
  }
  EXPECT_EQ(ember::autocast_precision(), MatmulPrecision::Float32);
}

TEST(Autocast, MatmulComputesOnBfloat16Inputs) {
  ember::manual_seed(3);
  // A transposed and a batched-broadcast operand too: the reorders pack any strides.
  const auto a = ember::randn<float>({4, 96, 80});
  const auto b = ember::randn<float>({80, 72});
  const auto bt = ember::randn<float>({72, 80}).mT();
  for (const Tensor<float>& rhs : {b, bt}) {
    Tensor<float> y;
    {
      AutocastGuard g(MatmulPrecision::BFloat16);
      y = ember::matmul(a, rhs);
    }
    const Tensor<double> ref = ember::matmul(as_computed(a).to<double>(), as_computed(rhs).to<double>());
    EXPECT_LT(max_abs_diff(y, ref), 1e-4);
    if (native()) {  // the float32 product of the unrounded inputs is far from it
      const Tensor<double> exact = ember::matmul(a.to<double>(), rhs.to<double>());
      EXPECT_GT(max_abs_diff(y, exact), 1e-3);
    }
  }
}

TEST(Autocast, LinearBackwardRunsInItsForwardsPrecision) {
  ember::manual_seed(4);
  auto x = ember::randn<float>({64, 100}).requires_grad_(true);
  auto w = ember::randn<float>({50, 100}).requires_grad_(true);
  Tensor<float> y;
  {
    AutocastGuard g(MatmulPrecision::BFloat16);
    y = ember::linear(x, w);
  }
  const auto gy = ember::randn<float>({64, 50});
  y.backward(gy);  // outside the guard: still bfloat16, as the forward
  const Tensor<double> dx = ember::matmul(as_computed(gy).to<double>(), as_computed(w).to<double>());
  const Tensor<double> dw = ember::matmul(as_computed(gy).to<double>().mT(), as_computed(x).to<double>());
  EXPECT_LT(max_abs_diff(x.grad(), dx), 1e-4);
  EXPECT_LT(max_abs_diff(w.grad(), dw), 1e-4);
  EXPECT_EQ(ember::autocast_precision(), MatmulPrecision::Float32);
}

TEST(Autocast, Conv2dForwardAndBackward) {
  ember::manual_seed(5);
  for (int groups : {1, 2}) {
    auto x = ember::randn<float>({4, 16, 12, 12}).requires_grad_(true);
    auto w = ember::randn<float>({32, 16 / groups, 3, 3}).requires_grad_(true);
    auto b = ember::randn<float>({32}).requires_grad_(true);
    ember::Conv2dOptions o;
    o.padding = {1, 1};
    o.groups = groups;
    Tensor<float> y;
    {
      AutocastGuard g(MatmulPrecision::BFloat16);
      y = ember::conv2d(x, w, b, o);
    }
    const auto gy = ember::randn<float>(y.shape());
    y.backward(gy);
    // The references: double convolutions of the rounded inputs, and their gradients by autograd.
    auto xd = as_computed(x.detach()).to<double>().requires_grad_(true);
    auto wd = as_computed(w.detach()).to<double>().requires_grad_(true);
    auto bd = b.detach().to<double>().requires_grad_(true);
    const auto yd = ember::conv2d(xd, wd, std::optional<Tensor<double>>(bd), o);
    EXPECT_LT(max_abs_diff(y, yd), 1e-3) << "groups " << groups;
    yd.backward(as_computed(gy).to<double>());  // the gradients of the double convolution of rounded inputs
    EXPECT_LT(max_abs_diff(x.grad(), xd.grad()), 1e-3) << "groups " << groups;
    EXPECT_LT(max_abs_diff(w.grad(), wd.grad()), 1e-2) << "groups " << groups;
    EXPECT_LT(max_abs_diff(b.grad(), bd.grad()), 1e-2) << "groups " << groups;
  }
}

TEST(Autocast, Float64IsUntouched) {
  ember::manual_seed(6);
  const auto a = ember::randn<double>({64, 64});
  const auto b = ember::randn<double>({64, 64});
  const auto exact = ember::matmul(a, b);
  AutocastGuard g(MatmulPrecision::BFloat16);
  const auto y = ember::matmul(a, b);
  for (std::int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.data()[i], exact.data()[i]);
}

}  // namespace
