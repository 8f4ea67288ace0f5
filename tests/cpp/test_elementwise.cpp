#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "ember/ember.hpp"

using namespace ember;

namespace {

// A float32 tensor big enough for the oneDNN path, with values in [lo, hi).
Tensor<float> big_uniform(float lo, float hi, std::int64_t n = 3 * detail::onednn::kMinElements + 7) {
  Generator g(7);
  auto x = rand<float>({n}, g);
  float* p = x.data();
  for (std::int64_t i = 0; i < n; ++i) p[i] = lo + (hi - lo) * p[i];
  return x;
}

template <class T>
void expect_near(const Tensor<T>& a, const Tensor<T>& b, double tol) {
  ASSERT_EQ(a.shape(), b.shape());
  auto va = a.to_vector(), vb = b.to_vector();
  for (std::size_t i = 0; i < va.size(); ++i) {
    const double x = va[i], y = vb[i];
    ASSERT_NEAR(x, y, tol * (1 + std::abs(y))) << "at " << i;
  }
}

template <class Op>
void check_unary_onednn(float lo, float hi, double tol) {
  SCOPED_TRACE(Op::name);
  auto x = big_uniform(lo, hi);
  expect_near(detail::unary<Op>(x, true), detail::unary<Op>(x, false), tol);
}

}  // namespace

TEST(Elementwise, UnaryOneDnnMatchesReference) {
  check_unary_onednn<detail::NegOp>(-3, 3, 0);
  check_unary_onednn<detail::AbsOp>(-3, 3, 0);
  check_unary_onednn<detail::ExpOp>(-5, 5, 1e-6);
  check_unary_onednn<detail::LogOp>(0.01f, 5, 2e-5);  // oneDNN log is a polynomial, ~1e-5 relative
  check_unary_onednn<detail::SqrtOp>(0, 5, 1e-6);
  check_unary_onednn<detail::TanhOp>(-5, 5, 1e-6);
  check_unary_onednn<detail::SigmoidOp>(-8, 8, 1e-6);
  check_unary_onednn<detail::SiluOp>(-8, 8, 1e-5);
  check_unary_onednn<detail::GeluOp>(-5, 5, 1e-5);
  check_unary_onednn<detail::GeluTanhOp>(-5, 5, 1e-5);
}

// The formulas of ops/elementwise_formulas.hpp are the ones the CUDA kernels run: relu keeps NaN
// and passes its gradient on (as PyTorch), in the formula and on every CPU path (loop and oneDNN).
template <class T>
void check_relu_nan() {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  EXPECT_TRUE(std::isnan(detail::ReluOp::f(nan)));
  EXPECT_EQ(detail::ReluOp::f(T(-2)), T(0));
  EXPECT_EQ(detail::ReluOp::f(T(3)), T(3));
  EXPECT_EQ(detail::ReluOp::df(T(5), nan), T(5));  // df reads the output y: NaN passes the gradient
  EXPECT_EQ(detail::ReluOp::df(T(5), T(0)), T(0));
  EXPECT_EQ(detail::ReluOp::df(T(5), T(1)), T(5));
  for (std::int64_t n : {std::int64_t{4}, 3 * detail::onednn::kMinElements}) {
    auto x = zeros<T>({n});
    T* p = x.data();
    for (std::int64_t i = 0; i < n; ++i) p[i] = i % 4 == 0 ? nan : i % 4 == 1 ? T(-1) : T(i);
    x.requires_grad_();
    auto y = relu(x);
    y.backward(ones<T>({n}));
    const auto vy = y.to_vector(), vg = x.grad().to_vector();
    for (std::int64_t i = 0; i < n; ++i) {
      const T want = i % 4 == 0 ? nan : i % 4 == 1 ? T(0) : T(i);
      if (i % 4 == 0) ASSERT_TRUE(std::isnan(vy[i])) << "n " << n << " at " << i;
      else ASSERT_EQ(vy[i], want) << "n " << n << " at " << i;
      ASSERT_EQ(vg[i], i % 4 == 1 ? T(0) : T(1)) << "n " << n << " at " << i;
    }
  }
}
TEST(ElementwiseFormulas, ReluKeepsNaN) {
  check_relu_nan<float>();
  check_relu_nan<double>();
}

// maximum and minimum propagate NaN from either side, on the loop and on oneDNN (large float32).
TEST(ElementwiseFormulas, MaximumMinimumPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::int64_t n : {std::int64_t{4}, 3 * detail::onednn::kMinElements}) {
    auto a = zeros<float>({n}), b = ones<float>({n});
    a.data()[0] = nan;
    b.data()[1] = nan;
    for (const auto& y : {maximum(a, b), minimum(a, b), maximum(b, a), minimum(b, a)}) {
      const auto v = y.to_vector();
      EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1])) << "n " << n;
      EXPECT_FALSE(std::isnan(v[2])) << "n " << n;
    }
  }
}

// A few formulas at known points, in both precisions (the same code runs in the CUDA kernels).
TEST(ElementwiseFormulas, ValuesAndDerivatives) {
  EXPECT_DOUBLE_EQ(detail::ExpOp::f(1.0), std::exp(1.0));
  EXPECT_DOUBLE_EQ(detail::SigmoidOp::f(0.0), 0.5);
  EXPECT_DOUBLE_EQ(detail::SigmoidOp::df(2.0, 0.5), 0.5);  // from the output: g * y * (1 - y)
  EXPECT_NEAR(detail::GeluOp::f(1.0), 0.8413447460685429, 1e-15);
  EXPECT_NEAR(detail::GeluTanhOp::f(1.0f), 0.8411919906f, 1e-6f);
  EXPECT_EQ(detail::AbsOp::df(3.0, -2.0), -3.0);
  EXPECT_TRUE(std::isnan(detail::MaxOp::f(std::nan(""), 1.0)));
  EXPECT_TRUE(std::isnan(detail::MinOp::f(1.0f, std::nanf(""))));
  EXPECT_EQ(detail::PowOp::f(2, 10), 1024);
  EXPECT_EQ(detail::PowOp::f(std::int64_t{2}, std::int64_t{-1}), 0);
  EXPECT_TRUE(detail::NotOp::f(0.0));
  EXPECT_TRUE(detail::XorOp::f(1, 0));
}

template <class T>
void check_parallel_loop(bool stream) {
  const T sentinel = T(99);
  for (std::int64_t n : {0, 1, 3, 17, 1000, 4099, 70001}) {
    for (std::int64_t offset : {0, 1, 2, 3}) {
      std::vector<T> buf(static_cast<std::size_t>(n + offset + 8), sentinel);
      T* o = buf.data() + offset;
      detail::parallel_loop(o, n, stream, [](std::int64_t i) { return static_cast<T>(i % 61); });
      for (std::int64_t i = 0; i < offset; ++i) ASSERT_EQ(buf[i], sentinel);
      for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(o[i], static_cast<T>(i % 61)) << "n " << n << " at " << i;
      for (std::int64_t i = n; i < n + 8; ++i) ASSERT_EQ(o[i], sentinel);
      detail::parallel_loop(o, n, stream, [o](std::int64_t i) { return static_cast<T>(o[i] + 1); });  // in place
      for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(o[i], static_cast<T>(i % 61 + 1));
    }
  }
}

TEST(Elementwise, ParallelLoopWritesEveryElementAtAnyAlignment) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "streamed" : "regular stores");
    check_parallel_loop<float>(stream);
    check_parallel_loop<double>(stream);
    check_parallel_loop<std::int64_t>(stream);
    check_parallel_loop<std::uint8_t>(stream);
  }
}

TEST(Elementwise, BinaryOneDnnMatchesReferenceWithBroadcast) {
  const std::int64_t r = 300, c = 257;  // r * c > kMinElements
  ASSERT_GT(r * c, detail::onednn::kMinElements);
  auto a = big_uniform(0.5f, 2, r * c).reshape({r, c});
  auto row = big_uniform(0.5f, 2, c).reshape({1, c});
  auto col = big_uniform(0.5f, 2, r).reshape({r, 1});
  for (const auto& b : {a.mul(0.5f), row, col, row.reshape({c})}) {
    expect_near(detail::binary<detail::AddOp>(a, b, true), detail::binary<detail::AddOp>(a, b, false), 0);
    expect_near(detail::binary<detail::SubOp>(a, b, true), detail::binary<detail::SubOp>(a, b, false), 0);
    expect_near(detail::binary<detail::MulOp>(a, b, true), detail::binary<detail::MulOp>(a, b, false), 0);
    expect_near(detail::binary<detail::DivOp>(a, b, true), detail::binary<detail::DivOp>(a, b, false), 1e-6);
    expect_near(detail::binary<detail::MaxOp>(a, b, true), detail::binary<detail::MaxOp>(a, b, false), 0);
    expect_near(detail::binary<detail::MinOp>(a, b, true), detail::binary<detail::MinOp>(a, b, false), 0);
    // The broadcast operand first: commutative ops swap it into src1; sub must not.
    expect_near(detail::binary<detail::AddOp>(b, a, true), detail::binary<detail::AddOp>(b, a, false), 0);
    expect_near(detail::binary<detail::SubOp>(b, a, true), detail::binary<detail::SubOp>(b, a, false), 0);
  }
}

TEST(Elementwise, ScalarOneDnnMatchesLoop) {
  auto x = big_uniform(0.5f, 2);
  auto ref = [&](auto f) {
    auto out = Tensor<float>::empty(x.shape());
    for (std::int64_t i = 0; i < x.numel(); ++i) out.data()[i] = f(x.data()[i]);
    return out;
  };
  expect_near(x + 2.0f, ref([](float v) { return v + 2.0f; }), 0);
  expect_near(x - 2.0f, ref([](float v) { return v - 2.0f; }), 0);
  expect_near(2.0f - x, ref([](float v) { return 2.0f - v; }), 0);
  expect_near(x * 0.01f, ref([](float v) { return v * 0.01f; }), 0);
  expect_near(2.0f * x, ref([](float v) { return 2.0f * v; }), 0);
  expect_near(pow(x, 3.0f), ref([](float v) { return std::pow(v, 3.0f); }), 1e-6);
  expect_near(pow(2.0f, x), ref([](float v) { return std::pow(2.0f, v); }), 1e-6);
}

TEST(Elementwise, InPlaceOneDnnMatchesLoop) {
  auto a = big_uniform(0.5f, 2);
  auto b = big_uniform(-1, 1);
  auto expect = (a + b).to_vector();
  auto ref = detail::binary<detail::AddOp>(a, b, false);
  a.add_(b);
  expect_near(a, ref, 0);
  EXPECT_EQ(a.to_vector(), expect);
}

TEST(Elementwise, PromotionTypes) {
  auto i32 = tensor<std::int32_t>({1, 2, 3});
  auto f64 = tensor<double>({0.5, 0.5, 0.5});
  auto u8 = tensor<std::uint8_t>({200, 100, 1});
  auto b = tensor<bool>({true, false, true});
  static_assert(std::is_same_v<decltype(i32 + f64), Tensor<double>>);
  static_assert(std::is_same_v<decltype(u8 + i32), Tensor<std::int32_t>>);
  static_assert(std::is_same_v<decltype(b + b), Tensor<bool>>);
  static_assert(std::is_same_v<decltype(i32 / i32), Tensor<float>>);
  static_assert(std::is_same_v<decltype(i32 * 2.5), Tensor<float>>);
  static_assert(std::is_same_v<decltype(i32 * 2), Tensor<std::int32_t>>);
  static_assert(std::is_same_v<decltype(exp(i32)), Tensor<float>>);
  static_assert(std::is_same_v<decltype(exp(f64)), Tensor<double>>);
  static_assert(std::is_same_v<decltype(neg(u8)), Tensor<std::uint8_t>>);
  EXPECT_EQ((i32 + f64).to_vector(), (std::vector<double>{1.5, 2.5, 3.5}));
  EXPECT_EQ((u8 + u8).to_vector(), (std::vector<std::uint8_t>{144, 200, 2}));  // wraps as uint8
  EXPECT_EQ((b + b).to_vector(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ((i32 * 2.5).to_vector(), (std::vector<float>{2.5f, 5, 7.5f}));
  EXPECT_EQ((i32 / i32).to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ((-u8).to_vector(), (std::vector<std::uint8_t>{56, 156, 255}));
  EXPECT_EQ(pow(i32, 2).to_vector(), (std::vector<std::int32_t>{1, 4, 9}));
  EXPECT_EQ(pow(2, i32).to_vector(), (std::vector<std::int32_t>{2, 4, 8}));
}

TEST(Elementwise, BroadcastNonContiguousAndEdgeShapes) {
  auto a = arange<float>(6).reshape({2, 3});
  auto col = tensor<float>({10, 20}).reshape({2, 1});
  EXPECT_EQ((a + col).to_vector(), (std::vector<float>{10, 11, 12, 23, 24, 25}));
  EXPECT_EQ((a.mT() * 2.0f).to_vector(), (std::vector<float>{0, 6, 2, 8, 4, 10}));
  EXPECT_EQ((a.mT() - a.mT().contiguous()).to_vector(), (std::vector<float>(6, 0)));
  auto s = scalar_tensor<float>(4);
  EXPECT_EQ(sqrt(s).item(), 2.0f);
  EXPECT_EQ(sqrt(s).dim(), 0);
  auto e = zeros<float>({0, 3});
  EXPECT_EQ((e + a.select(0, 0)).shape(), (Shape{0, 3}));
  EXPECT_EQ(exp(e).shape(), (Shape{0, 3}));
}

TEST(Elementwise, CompareWhereClamp) {
  auto a = tensor<std::int64_t>({1, 2, 3});
  EXPECT_EQ(gt(a, 1.5).to_vector(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(eq(a, tensor<double>({1.0, 0, 3})).to_vector(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(logical_not(a - 2).to_vector(), (std::vector<bool>{false, true, false}));
  auto c = tensor<bool>({true, false, true});
  EXPECT_EQ(where(c, a, 2.5).to_vector(), (std::vector<float>{1, 2.5f, 3}));
  EXPECT_EQ(clamp(a, 2, std::nullopt).to_vector(), (std::vector<std::int64_t>{2, 2, 3}));
  EXPECT_EQ(a.clamp(std::nullopt, 2).to_vector(), (std::vector<std::int64_t>{1, 2, 2}));
  auto f = tensor<float>({-1, NAN, 5});
  auto cf = clamp(f, 0.0f, 1.0f).to_vector();
  EXPECT_EQ(cf[0], 0.0f);
  EXPECT_TRUE(std::isnan(cf[1]));
  EXPECT_EQ(cf[2], 1.0f);
}

TEST(Elementwise, Errors) {
  auto a = zeros<float>({2, 3});
  auto b = zeros<float>({4});
  try {
    (void)add(a, b);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[add] shapes (2, 3) and (4,) cannot be broadcast"), std::string::npos)
        << e.what();
  }
  auto i = zeros<std::int32_t>({3});
  EXPECT_THROW(i.div_(i), TypeError);
  EXPECT_THROW(i.add_(1.5), TypeError);
  EXPECT_THROW(b.add_(a), std::invalid_argument);
  auto m = tensor<bool>({true});
  EXPECT_THROW(neg(m), TypeError);
  EXPECT_THROW(sub(m, m), TypeError);
  EXPECT_THROW(pow(i, -1), std::invalid_argument);
  EXPECT_THROW(gelu(a, "fast"), std::invalid_argument);
}

// select is bit for bit one of its operands (NaN payloads, signed zeros), for every element size.
TEST(Elementwise, SelectKeepsTheChosenBits) {
  const double nan_payload = std::bit_cast<double>(std::uint64_t{0x7ff8000000000123});
  EXPECT_EQ(std::bit_cast<std::uint64_t>(detail::select(true, nan_payload, 1.0)), 0x7ff8000000000123u);
  EXPECT_TRUE(std::signbit(detail::select(false, 1.0f, -0.0f)));
  EXPECT_EQ(detail::select(true, std::int8_t{-5}, std::int8_t{7}), -5);
  EXPECT_EQ(detail::select(false, std::int64_t{-5}, std::int64_t{1} << 40), std::int64_t{1} << 40);
  EXPECT_EQ(detail::select(true, true, false), true);
  EXPECT_EQ(static_cast<float>(detail::select(false, bfloat16(1.0f), bfloat16(-2.0f))), -2.0f);
}

// where on its parallel contiguous path (and with a scalar on either side) against a plain loop, with NaN
// and -0.0 among the values; and on the strided path with a broadcast condition.
TEST(Elementwise, WhereContiguousAndScalarPathsMatchALoop) {
  const std::int64_t n = 3 * detail::kParallelElements + 5;
  Generator g(3);
  auto a = randn<float>({n}, g), b = randn<float>({n}, g);
  a.data()[1] = std::numeric_limits<float>::quiet_NaN();
  b.data()[2] = -0.0f;
  const auto c = gt(randn<float>({n}, g), 0.0f);
  c.data()[1] = true;
  c.data()[2] = false;
  const auto check = [&](const Tensor<float>& y, auto av, auto bv) {
    for (std::int64_t i = 0; i < n; ++i) {
      const float want = c.data()[i] ? av(i) : bv(i);
      ASSERT_EQ(std::bit_cast<std::uint32_t>(y.data()[i]), std::bit_cast<std::uint32_t>(want)) << "at " << i;
    }
  };
  check(where(c, a, b), [&](auto i) { return a.data()[i]; }, [&](auto i) { return b.data()[i]; });
  check(where(c, a, 2.5f), [&](auto i) { return a.data()[i]; }, [](auto) { return 2.5f; });
  check(where(c, -1.5f, b), [](auto) { return -1.5f; }, [&](auto i) { return b.data()[i]; });
  // a (rows, 2) condition broadcast over columns; a and b transposed views
  const auto cond = gt(randn<float>({5, 1}, g), 0.0f);
  const auto x = randn<float>({4, 5}, g).transpose(0, 1), y = randn<float>({5, 4}, g);
  const auto z = where(cond, x, y).to_vector(), xv = x.contiguous().to_vector(), yv = y.to_vector();
  const auto cv = cond.to_vector();
  for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(z[i], cv[i / 4] ? xv[i] : yv[i]) << "at " << i;
}

// leaky_relu and leaky_relu_ (branch-free loops) keep PyTorch's values at NaN, +-0, +-inf, on large and
// strided tensors, and the gradient is negative_slope where x <= 0.
TEST(Elementwise, LeakyReluBranchFreeValues) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::int64_t n = 2 * detail::kParallelElements + 3;
  Generator g(5);
  auto x = randn<float>({n}, g);
  const float special[] = {nan, -0.0f, 0.0f, inf, -inf, 3.0f, -3.0f};
  for (int i = 0; i < 7; ++i) x.data()[i] = special[i];
  const auto want = [](float v) { return v > 0 ? v : v * 0.2f; };
  const auto y = leaky_relu(x, 0.2);
  auto inplace = x.clone();
  leaky_relu_(inplace, 0.2);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint32_t w = std::bit_cast<std::uint32_t>(want(x.data()[i]));
    ASSERT_EQ(std::bit_cast<std::uint32_t>(y.data()[i]), w) << "at " << i;
    ASSERT_EQ(std::bit_cast<std::uint32_t>(inplace.data()[i]), w) << "at " << i;
  }
  auto m = randn<double>({6, 7}, g);
  const auto view = m.transpose(0, 1);
  const auto expected = leaky_relu(view.contiguous(), 0.1);
  leaky_relu_(view, 0.1);
  expect_near(view.contiguous(), expected, 0);
  auto leaf = tensor<double>({-2.0, 0.0, 3.0}).requires_grad_(true);
  leaky_relu(leaf, 0.1).sum().backward();
  EXPECT_EQ(leaf.grad().to_vector(), (std::vector<double>{0.1, 0.1, 1.0}));
}

// The generated in-place ops write straight into x, contiguous (oneDNN) or strided (the loop).
TEST(Elementwise, InPlaceUnaryWritesIntoStridedViews) {
  Generator g(9);
  auto big = randn<float>({3 * detail::onednn::kMinElements}, g);
  const auto want = relu(big);
  relu_(big);
  expect_near(big, want, 0);
  auto m = randn<float>({8, 9}, g);
  const auto view = m.transpose(0, 1);
  const auto want_abs = abs(view.contiguous());
  abs_(view);
  expect_near(view.contiguous(), want_abs, 0);
  auto e = randn<double>({5, 4}, g);
  const auto want_exp = exp(e.transpose(0, 1).contiguous());
  e.transpose(0, 1).exp_();
  expect_near(e.transpose(0, 1).contiguous(), want_exp, 0);
}

// clamp_, pow_, tril_ and triu_ write into x, record autograd on a non-leaf, and refuse what PyTorch refuses.
TEST(Elementwise, InPlaceClampPowTriangle) {
  auto x = tensor<float>({-2.0f, 0.5f, 3.0f, std::numeric_limits<float>::quiet_NaN()});
  clamp_(x, -1.0f, 1.0f);
  const auto v = x.to_vector();
  EXPECT_EQ(v[0], -1.0f);
  EXPECT_EQ(v[1], 0.5f);
  EXPECT_EQ(v[2], 1.0f);
  EXPECT_TRUE(std::isnan(v[3]));
  auto lo = tensor<float>({0.0f, 0.0f, 0.0f, 0.0f});
  auto y = tensor<float>({-2.0f, 0.5f, 3.0f, -0.5f});
  clamp_(y, lo, Tensor<float>());
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0.0f, 0.5f, 3.0f, 0.0f}));
  EXPECT_THROW(clamp_(y, tensor<float>({0.0f, 1.0f}), Tensor<float>()), std::invalid_argument);

  auto leaf = tensor<double>({-2.0, 0.5, 3.0}).requires_grad_(true);
  auto h = leaf * 1.0;
  clamp_(h, std::optional<double>(0.0), std::nullopt);
  pow_(h, 2);
  h.sum().backward();
  EXPECT_EQ(leaf.grad().to_vector(), (std::vector<double>{0.0, 1.0, 6.0}));

  // a scalar exponent of +-0.5 is sqrt / rsqrt, as PyTorch and NumPy (C's pow(-inf, 0.5) is +inf); 0 stays 0
  const float ninf = -std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isnan(pow(tensor<float>({ninf}), 0.5).item()));
  EXPECT_TRUE(std::isnan(pow(tensor<float>({ninf}), -0.5).item()));
  auto r = tensor<float>({ninf, 4.0f});
  pow_(r, 0.5);
  EXPECT_TRUE(std::isnan(r.to_vector()[0]));
  EXPECT_EQ(r.to_vector()[1], 2.0f);
  EXPECT_EQ(pow(tensor<float>({4.0f}), 0).item(), 1.0f);

  auto i = tensor<std::int64_t>({2, 3});
  pow_(i, 2);
  EXPECT_EQ(i.to_vector(), (std::vector<std::int64_t>{4, 9}));
  EXPECT_THROW(pow_(i, -1), std::invalid_argument);
  EXPECT_THROW(pow_(i, 0.5), TypeError);

  auto m = ones<float>({3, 3});
  tril_(m, -1);
  EXPECT_EQ(m.to_vector(), (std::vector<float>{0, 0, 0, 1, 0, 0, 1, 1, 0}));
  auto u = ones<float>({2, 3});
  triu_(u, 1);
  EXPECT_EQ(u.to_vector(), (std::vector<float>{0, 1, 1, 0, 0, 1}));
  EXPECT_THROW(tril_(ones<float>({3}), 0), std::invalid_argument);
}
