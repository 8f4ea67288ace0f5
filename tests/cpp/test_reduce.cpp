// Reductions and softmax: loop kernels against a naive reference, the oneDNN paths against the
// loop kernels (sizes above kMinElements), accuracy, and every error path.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "ember/ember.hpp"

using namespace ember;

namespace {

constexpr std::int64_t kBig = detail::onednn::kMinElements * 4;

// Naive sum of a (A, B, C) tensor over the dims in mask, as double, laid out as the keepdim shape.
std::vector<double> naive_sum3(const Tensor<float>& x, unsigned mask) {
  const auto& s = x.shape();
  const std::int64_t A = s[0], B = s[1], C = s[2];
  const std::int64_t oa = mask & 1 ? 1 : A, ob = mask & 2 ? 1 : B, oc = mask & 4 ? 1 : C;
  std::vector<double> out(oa * ob * oc, 0.0);
  auto v = x.contiguous().to_vector();
  for (std::int64_t a = 0; a < A; ++a)
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t c = 0; c < C; ++c) {
        const std::int64_t o = ((mask & 1 ? 0 : a) * ob + (mask & 2 ? 0 : b)) * oc + (mask & 4 ? 0 : c);
        out[o] += v[(a * B + b) * C + c];
      }
  return out;
}

template <class T>
void expect_near_vec(const Tensor<T>& got, const std::vector<double>& want, double rtol) {
  auto g = got.to_vector();
  ASSERT_EQ(g.size(), want.size());
  for (std::size_t i = 0; i < g.size(); ++i)
    EXPECT_NEAR(static_cast<double>(g[i]), want[i], rtol * (1 + std::abs(want[i]))) << "at " << i;
}

template <class E, class F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing " << fragment;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Reduce, SumEveryDimSetMatchesNaive) {
  manual_seed(1);
  auto x = randn<float>({3, 4, 5});
  const Shape dims_of[8] = {{}, {0}, {1}, {0, 1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (unsigned mask = 1; mask < 8; ++mask) {
    auto r = sum(x, dims_of[mask], true);
    expect_near_vec(r, naive_sum3(x, mask), 1e-6);
    // The same on a transposed (non-contiguous) copy of the data, reducing the matching dims.
    auto xt = x.contiguous().permute({2, 0, 1}).contiguous().permute({1, 2, 0});
    ASSERT_FALSE(xt.is_contiguous());
    expect_near_vec(sum(xt, dims_of[mask], true), naive_sum3(x, mask), 1e-6);
  }
  EXPECT_EQ(sum(x, {-1, 0}).shape(), (Shape{4}));
  EXPECT_EQ(x.sum(1, true).shape(), (Shape{3, 1, 5}));
  EXPECT_EQ(x.sum().shape(), (Shape{}));
  EXPECT_EQ(x.sum({}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(x.sum(std::nullopt, true).shape(), (Shape{1, 1, 1}));
}

TEST(Reduce, SlicedWithStepAndExpanded) {
  auto x = arange<float>(60).reshape({3, 4, 5});
  auto s = x.slice(2, 0, std::nullopt, 2);  // (3, 4, 3), stride 2 innermost
  expect_near_vec(sum(s, {0, 2}), naive_sum3(s.contiguous(), 5), 0);
  auto e = arange<float>(4).reshape({1, 4, 1}).expand({3, 4, 5});
  expect_near_vec(sum(e, {0, 2}), {0, 15, 30, 45}, 0);
}

TEST(Reduce, IntegerAndBoolSumsAreInt64) {
  auto b = tensor<bool>({true, false, true, true});
  Tensor<std::int64_t> s = b.sum();
  EXPECT_EQ(s.item(), 3);
  auto i = arange<std::int32_t>(1, 6);
  EXPECT_EQ(i.prod().item(), 120);
  EXPECT_EQ(i.sum().item(), 15);
  EXPECT_TRUE(b.any().item());
  EXPECT_FALSE(b.all().item());
}

TEST(Reduce, EmptyAndZeroDim) {
  auto z = zeros<float>({0, 3});
  EXPECT_EQ(sum(z, 0).to_vector(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(prod(z, 0).to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_TRUE(std::isnan(mean(z).item()));
  EXPECT_EQ(logsumexp(z, 0).to_vector()[0], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(amax(z, 1).shape(), (Shape{0}));
  EXPECT_TRUE(all(z).item());
  EXPECT_FALSE(any(z).item());
  auto s = scalar_tensor<float>(5.f);
  EXPECT_EQ(sum(s, 0).item(), 5.f);
  EXPECT_EQ(sum(s, -1, true).shape(), (Shape{}));
  auto [v, i] = s.max(0);
  EXPECT_EQ(v.item(), 5.f);
  EXPECT_EQ(i.item(), 0);
  EXPECT_EQ(argmax(s).item(), 0);
  EXPECT_EQ(softmax(s, 0).item(), 1.f);
}

TEST(Reduce, MaxTiesNaNAndArgmaxFlattened) {
  auto x = tensor<float>({1, 3, 3, 2, 0, 0}).reshape({2, 3});
  auto [v, i] = x.max(1);
  EXPECT_EQ(v.to_vector(), (std::vector<float>{3, 2}));
  EXPECT_EQ(i.to_vector(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(x.min(1).second.to_vector(), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(x.argmax().item(), 1);
  EXPECT_EQ(x.mT().argmax().item(), 2);  // row-major order of the transposed view: 1, 2, 3, 0, 3, 0
  EXPECT_EQ(x.argmin(0, true).shape(), (Shape{1, 3}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto n = tensor<float>({1, nan, 5, nan});
  EXPECT_TRUE(std::isnan(n.max().item()));
  EXPECT_TRUE(std::isnan(n.amin().item()));
  EXPECT_EQ(n.argmax().item(), 1);
  EXPECT_EQ(n.argmin().item(), 1);
}

TEST(Reduce, VarStdTwoPassAndCorrection) {
  // A large offset ruins the one-pass formula E[x^2] - E[x]^2 in float; two passes keep it exact.
  auto x = tensor<float>({1e4f + 1, 1e4f + 2, 1e4f + 3, 1e4f + 4});
  EXPECT_NEAR(x.var().item(), 5.0 / 3.0, 1e-4);
  EXPECT_NEAR(x.var({}, 0).item(), 1.25, 1e-4);
  EXPECT_NEAR(x.std().item(), std::sqrt(5.0 / 3.0), 1e-4);
  EXPECT_TRUE(std::isinf(x.var({}, 4).item()));
  EXPECT_TRUE(std::isnan(tensor<double>({1.0}).var().item()));
}

TEST(Reduce, LogsumexpIsStable) {
  auto x = tensor<float>({1000, 1000});
  EXPECT_NEAR(x.logsumexp().item(), 1000 + std::log(2.0), 1e-3);
  auto m = tensor<float>({-std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()});
  EXPECT_EQ(m.logsumexp().item(), -std::numeric_limits<float>::infinity());
  EXPECT_NEAR(arange<std::int64_t>(3).logsumexp().item(), std::log(1 + std::exp(1.0) + std::exp(2.0)), 1e-6);
}

TEST(Reduce, OneDnnMatchesLoop) {
  manual_seed(2);
  auto x = rand<float>({64, 16, 48});  // 49152 elements > kMinElements
  ASSERT_GE(x.numel(), detail::onednn::kMinElements);
  const Shape dim_sets[] = {{}, {0}, {1}, {2}, {0, 2}, {1, 2}};
  for (const Shape& d : dim_sets) {
    const auto p = detail::reduce_plan(x.shape(), d.empty(), d, false, "test");
    auto ref_sum = detail::reduce_with(x, p, detail::SumOp<float, double, float>{});
    auto ref_mean = detail::reduce_with(x, p, detail::SumOp<float, double, float, true>{});
    auto ref_max = detail::reduce_with(x, p, detail::ExtremumOp<float, true>{});
    auto ref_min = detail::reduce_with(x, p, detail::ExtremumOp<float, false>{});
    auto near = [](const Tensor<float>& a, const Tensor<float>& b, double rtol) {
      ASSERT_EQ(a.shape(), b.shape());
      auto va = a.to_vector(), vb = b.to_vector();
      for (std::size_t i = 0; i < va.size(); ++i) ASSERT_NEAR(va[i], vb[i], rtol * (1 + std::abs(vb[i])));
    };
    near(sum(x, d), ref_sum, 1e-5);
    near(mean(x, d), ref_mean, 1e-5);
    near(amax(x, d), ref_max, 0);
    near(amin(x, d), ref_min, 0);
  }
  auto ones_ish = full<float>({kBig}, 1.0001f);
  const auto pp = detail::reduce_plan(ones_ish.shape(), true, {}, false, "test");
  auto ref_prod = detail::reduce_with(ones_ish, pp, detail::ProdOp<float, float>{});
  EXPECT_NEAR(prod(ones_ish).item(), ref_prod.item(), 1e-3 * ref_prod.item());
}

TEST(Reduce, OneDnnSoftmaxMatchesLoop) {
  manual_seed(3);
  auto x = randn<float>({32, 40, 30}).contiguous();
  for (std::int64_t d : {0, 1, 2, -1}) {
    for (bool log : {false, true}) {
      auto got = log ? log_softmax(x, d) : softmax(x, d);
      auto ref = empty<float>(x.shape());
      detail::softmax_loop(x, normalize_dim(d, 3, "test"), ref, log);
      auto a = got.to_vector(), b = ref.to_vector();
      for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5 * (1 + std::abs(b[i])));
    }
  }
}

TEST(Reduce, OneDnnPathPropagatesNaNAndUsesCache) {
  auto x = zeros<float>({kBig});
  x.data()[12345] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(x.amax().item()));
  EXPECT_TRUE(std::isnan(x.min().item()));
  auto y = ones<float>({kBig});
  (void)y.amax();
  auto& st = detail::onednn::cache_stats();
  const auto misses = st.misses.load();
  const auto hits = st.hits.load();
  EXPECT_EQ(y.amax().item(), 1.0f);
  EXPECT_EQ(st.misses.load(), misses);
  EXPECT_EQ(st.hits.load(), hits + 1);
}

TEST(Reduce, LargeSumsAreAccurate) {
  manual_seed(4);
  auto x = rand<float>({1000000});
  double exact = 0;
  for (float v : x.to_vector()) exact += v;
  EXPECT_NEAR(x.sum().item(), exact, 1e-6 * exact);  // the threaded kernels of backend/eigen/sum.hpp
  const auto p = detail::reduce_plan(x.shape(), true, {}, false, "test");
  EXPECT_NEAR(detail::reduce_with(x, p, detail::SumOp<float, double, float>{}).item(), exact, 1e-6 * exact);
  EXPECT_NEAR(x.mean().item(), exact / 1e6, 1e-6 * exact / 1e6);
  // Long reductions per output, over the last dim and over the first.
  auto m = rand<float>({3, 40000});
  const auto pm = detail::reduce_plan(m.shape(), false, {1}, false, "test");
  auto ref = detail::reduce_with(m, pm, detail::SumOp<float, double, float>{}).to_vector();
  auto got = sum(m, 1).to_vector();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], ref[i], 1e-6 * ref[i]);
  auto c = rand<float>({40001, 2});
  EXPECT_NEAR(sum(c, 0).to_vector()[1], c.select(1, 1).contiguous().sum().item(), 1e-6 * 20000);
  auto strided = x.slice(0, 0, std::nullopt, 2);  // the general loop
  double exact2 = 0;
  for (float v : strided.to_vector()) exact2 += v;
  EXPECT_NEAR(strided.sum().item(), exact2, 1e-6 * exact2);
}

TEST(Reduce, Errors) {
  auto x = zeros<float>({2, 3});
  expect_error<std::out_of_range>([&] { x.sum(2); }, "[sum] dimension out of range (expected to be in range of [-2, 1], but got 2)");
  expect_error<std::invalid_argument>([&] { x.sum({0, -2}); }, "[sum] dim 0 appears multiple times in the list of dims (0, -2)");
  expect_error<std::out_of_range>([&] { zeros<float>({0, 3}).max(0); }, "[max] cannot perform reduction function max");
  expect_error<std::out_of_range>([&] { zeros<float>({0, 3}).amax(); }, "shape (0, 3)");
  expect_error<std::out_of_range>([&] { zeros<float>({0}).argmax(); }, "[argmax]");
  expect_error<TypeError>([&] { arange<std::int64_t>(3).mean(); }, "[mean] could not infer output dtype");
  expect_error<TypeError>([&] { arange<std::int64_t>(3).var(); }, "[var]");
  expect_error<TypeError>([&] { softmax(arange<std::int32_t>(3), 0); }, "[softmax] expected a floating point tensor");
  expect_error<std::out_of_range>([&] { softmax(x, 2); }, "[softmax] dimension out of range");
}
