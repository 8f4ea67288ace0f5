// matmul, mm, bmm, dot, outer: shapes, dtypes, and the oneDNN float32 path against Eigen and a plain loop.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

namespace {

// The plain triple loop in double: the oracle for every path. a is (M, K), b is (K, N).
template <Element T>
std::vector<double> loop_mm(const Tensor<T>& a, const Tensor<T>& b) {
  const std::int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  std::vector<double> out(static_cast<std::size_t>(m * n), 0.0);
  // Pointers and strides read once: in the inner loop, the handle's accessors were 90% of the time of
  // the sanitized suite (-O1 inlines little), for ReusedMemoryObjectsFollowEachCallsBuffers's 1100 products.
  const T* pa = a.data();
  const T* pb = b.data();
  const std::int64_t sa0 = a.stride(0), sa1 = a.stride(1), sb0 = b.stride(0), sb1 = b.stride(1);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::int64_t p = 0; p < k; ++p)
        acc += static_cast<double>(pa[i * sa0 + p * sa1]) * static_cast<double>(pb[p * sb0 + j * sb1]);
      out[i * n + j] = acc;
    }
  return out;
}

template <Element T>
std::vector<double> as_double(const Tensor<T>& t) {
  auto v = t.to_vector();
  return {v.begin(), v.end()};
}

template <Element T>
void expect_close(const Tensor<T>& got, const std::vector<double>& want, double tol) {
  auto g = got.to_vector();
  ASSERT_EQ(g.size(), want.size());
  for (std::size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(static_cast<double>(g[i]), want[i], tol * (1 + std::abs(want[i]))) << "at element " << i;
}

// The Eigen kernel on the same operands: the reference the oneDNN path must match.
Tensor<float> eigen_mm(const Tensor<float>& a, const Tensor<float>& b) {
  Tensor<float> out = Tensor<float>::empty({a.size(0), b.size(1)});
  detail::eigen::matmul(a.data(), a.shape(), a.strides(), b.data(), b.shape(), b.strides(), out.data(), out.shape());
  return out;
}

}  // namespace

TEST(Linalg, OnednnMatchesEigenOnLargeOddSizes) {
  Generator g(1);
  auto a = randn<float>({67, 129}, g), b = randn<float>({129, 33}, g);
  ASSERT_GE(67 * 33 * 129, detail::onednn::kMinMatmulWork);  // this runs on oneDNN
  auto c = matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{67, 33}));
  expect_close(c, as_double(eigen_mm(a, b)), 1e-4);
  expect_close(c, loop_mm(a, b), 1e-4);
}

TEST(Linalg, OnednnTransposedViewsRunWithoutCopyAndMatch) {
  Generator g(2);
  auto at = randn<float>({129, 67}, g), bt = randn<float>({33, 129}, g);
  auto a = at.mT(), b = bt.mT();  // (67, 129) and (129, 33), both column-major
  ASSERT_FALSE(a.is_contiguous());
  // oneDNN accepts these strides with a fast kernel, so ember passes them as they are.
  const std::string impl = detail::onednn::matmul_impl_name(a.shape(), a.strides(), b.shape(), b.strides(), {67, 33});
  EXPECT_NE(impl.rfind("ref", 0), 0u) << impl;
  auto c = matmul(a, b);
  expect_close(c, loop_mm(a, b), 1e-4);
  expect_close(c, as_double(eigen_mm(a, b)), 1e-4);
  // A sliced (every other column) operand: whatever oneDNN picks, the result is right.
  auto wide = randn<float>({67, 258}, g);
  auto s = wide.slice(1, 0, std::nullopt, 2);
  expect_close(matmul(s, b), loop_mm(s, b), 1e-4);
}

TEST(Linalg, OnednnPrimitiveIsCachedNotRecreated) {
  Generator g(3);
  auto a = randn<float>({70, 80}, g), b = randn<float>({80, 90}, g);
  matmul(a, b);
  auto& stats = detail::onednn::cache_stats();
  const auto misses = stats.misses.load(), hits = stats.hits.load();
  for (int i = 0; i < 3; ++i) matmul(a, b);
  EXPECT_EQ(stats.misses.load(), misses);
  EXPECT_EQ(stats.hits.load(), hits + 3);
}

TEST(Linalg, BatchedBroadcastOnednnAndEigenAgree) {
  Generator g(4);
  auto a = randn<float>({5, 1, 37, 41}, g), b = randn<float>({3, 41, 29}, g);
  auto c = matmul(a, b);  // float32 on oneDNN
  auto c64 = matmul(a.to<double>(), b.to<double>());  // float64 on Eigen
  ASSERT_EQ(c.shape(), (Shape{5, 3, 37, 29}));
  for (std::int64_t i = 0; i < 5; ++i)
    for (std::int64_t j = 0; j < 3; ++j) {
      auto want = loop_mm(a.select(0, i).select(0, 0), b.select(0, j));
      expect_close(c.select(0, i).select(0, j), want, 1e-4);
      expect_close(c64.select(0, i).select(0, j), want, 1e-10);
    }
  // An expanded operand (stride 0 batch dim) and a transposed batch give the same values.
  auto e = matmul(a.expand({5, 3, 37, 41}), b.mT().contiguous().mT());
  expect_close(e, as_double(c), 1e-5);
  // Batch dims permuted (not dense for oneDNN): falls back to a copy, still right.
  auto p = randn<float>({37, 4, 41}, g).permute({1, 0, 2});  // (4, 37, 41)
  auto q = randn<float>({4, 41, 29}, g);
  auto pq = matmul(p, q);
  for (std::int64_t i = 0; i < 4; ++i) expect_close(pq.select(0, i), loop_mm(p.select(0, i), q.select(0, i)), 1e-4);
}

TEST(Linalg, VectorForms) {
  auto v = arange<double>(4);  // 0 1 2 3
  auto m = arange<double>(12).reshape({4, 3});
  auto d = matmul(v, v);
  EXPECT_EQ(d.dim(), 0);
  EXPECT_EQ(d.item(), 14.0);
  auto vm = matmul(v, m);
  EXPECT_EQ(vm.shape(), (Shape{3}));
  EXPECT_EQ(vm.to_vector(), (std::vector<double>{42, 48, 54}));
  auto mv = matmul(m.mT(), v);
  EXPECT_EQ(mv.shape(), (Shape{3}));
  EXPECT_EQ(mv.to_vector(), (std::vector<double>{42, 48, 54}));
  auto bv = matmul(m.reshape({2, 2, 3}).mT(), arange<double>(2));  // (2, 3, 2) @ (2,) -> (2, 3)
  EXPECT_EQ(bv.shape(), (Shape{2, 3}));
  EXPECT_EQ(bv.to_vector(), (std::vector<double>{3, 4, 5, 9, 10, 11}));
  // A strided 1-D operand on the float32 oneDNN path.
  Generator g(5);
  auto big = randn<float>({400, 200}, g);
  auto col = randn<float>({200, 2}, g).select(1, 1);  // stride 2
  auto r = matmul(big, col);
  expect_close(r, loop_mm(big, col.unsqueeze(1)), 1e-4);
}

TEST(Linalg, EveryDtypeAndPromotion) {
  auto a = arange<std::int64_t>(6).reshape({2, 3}), b = arange<std::int64_t>(6).reshape({3, 2});
  const std::vector<double> want{10, 13, 28, 40};
  expect_close(matmul(a, b), want, 0);
  expect_close(matmul(a.to<std::int32_t>(), b.to<std::int32_t>()), want, 0);
  expect_close(matmul(a.to<std::uint8_t>(), b.to<std::uint8_t>()), want, 0);
  expect_close(matmul(a.to<float>(), b.to<float>()), want, 0);
  expect_close(matmul(a.to<double>(), b.to<double>()), want, 0);
  static_assert(std::is_same_v<decltype(matmul(a.to<std::int32_t>(), b.to<float>())), Tensor<float>>);
  static_assert(std::is_same_v<decltype(matmul(a, b.to<std::uint8_t>())), Tensor<std::int64_t>>);
  expect_close(matmul(a.to<std::int32_t>(), b.to<float>()), want, 0);
  expect_close(a.matmul(b.to<double>()), want, 0);
  // bool: NumPy's OR of ANDs.
  auto x = tensor<bool>({true, false, false, false}).reshape({2, 2});
  auto y = tensor<bool>({false, true, true, true}).reshape({2, 2});
  EXPECT_EQ(matmul(x, y).to_vector(), (std::vector<bool>{false, true, false, false}));
  // Large integer products (Eigen's integer GEMM).
  Generator g(6);
  auto ia = randint<std::int64_t>(-9, 10, {61, 70}, g), ib = randint<std::int64_t>(-9, 10, {70, 45}, g);
  expect_close(matmul(ia, ib.mT().contiguous().mT()), loop_mm(ia, ib), 0);
}

TEST(Linalg, EmptyAndZeroK) {
  auto z = matmul(ones<float>({3, 0}), ones<float>({0, 4}));
  EXPECT_EQ(z.shape(), (Shape{3, 4}));
  EXPECT_EQ(z.to_vector(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(matmul(ones<double>({0}), ones<double>({0})).item(), 0.0);
  EXPECT_EQ(matmul(ones<float>({0, 5}), ones<float>({5, 4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(matmul(ones<float>({2, 0, 3, 5}), ones<float>({5, 4})).shape(), (Shape{2, 0, 3, 4}));
  auto big_k0 = matmul(ones<float>({300, 0}), ones<float>({0, 300}));
  EXPECT_EQ(big_k0.to_vector(), std::vector<float>(90000, 0.0f));
}

TEST(Linalg, MmBmmDotOuter) {
  Generator g(7);
  auto a = randn<double>({4, 3, 5}, g), b = randn<double>({4, 5, 2}, g);
  auto c = bmm(a, b);
  EXPECT_EQ(c.shape(), (Shape{4, 3, 2}));
  for (std::int64_t i = 0; i < 4; ++i) expect_close(c.select(0, i), loop_mm(a.select(0, i), b.select(0, i)), 1e-12);
  expect_close(a.bmm(b), as_double(c), 1e-12);
  expect_close(mm(a.select(0, 1), b.select(0, 1)), loop_mm(a.select(0, 1), b.select(0, 1)), 1e-12);
  auto u = tensor<float>({1, 2, 3}), v = tensor<float>({4, 5});
  auto o = outer(u, v);
  EXPECT_EQ(o.shape(), (Shape{3, 2}));
  EXPECT_EQ(o.to_vector(), (std::vector<float>{4, 5, 8, 10, 12, 15}));
  EXPECT_EQ(u.outer(v.to<std::int64_t>()).shape(), (Shape{3, 2}));
  EXPECT_EQ(dot(u, u).item(), 14.0f);
  EXPECT_EQ(u.dot(u).dim(), 0);
}

TEST(Linalg, ErrorsNameOpAndShapes) {
  auto e = error_of([] { matmul(ones<float>({3, 4}), ones<float>({5, 6})); });
  EXPECT_EQ(e, "[matmul] shapes (3, 4) and (5, 6) cannot be multiplied: 4 != 5");
  EXPECT_THROW(matmul(ones<float>({3, 4}), ones<float>({5, 6})), std::invalid_argument);
  e = error_of([] { matmul(ones<float>({}), ones<float>({2, 3})); });
  EXPECT_NE(e.find("[matmul]"), std::string::npos);
  EXPECT_NE(e.find("() and (2, 3)"), std::string::npos) << e;
  EXPECT_THROW(matmul(ones<float>({3}), ones<float>({})), std::invalid_argument);
  e = error_of([] { matmul(ones<float>({2, 3, 4}), ones<float>({5, 4, 6})); });
  EXPECT_NE(e.find("[matmul] batch dims of shapes (2, 3, 4) and (5, 4, 6) cannot be broadcast: 2 != 5"),
            std::string::npos) << e;
  e = error_of([] { matmul(ones<float>({3}), ones<float>({4})); });
  EXPECT_EQ(e, "[matmul] shapes (3,) and (4,) cannot be multiplied: 3 != 4");
  e = error_of([] { bmm(ones<float>({2, 3}), ones<float>({2, 3, 4})); });
  EXPECT_EQ(e, "[bmm] expected 3-D tensors, got shapes (2, 3) and (2, 3, 4)");
  e = error_of([] { bmm(ones<float>({2, 3, 4}), ones<float>({3, 4, 5})); });
  EXPECT_EQ(e, "[bmm] batch sizes of shapes (2, 3, 4) and (3, 4, 5) differ: 2 != 3");
  e = error_of([] { bmm(ones<float>({2, 3, 4}), ones<float>({2, 5, 5})); });
  EXPECT_EQ(e, "[bmm] shapes (2, 3, 4) and (2, 5, 5) cannot be multiplied: 4 != 5");
  e = error_of([] { outer(ones<float>({2, 3}), ones<float>({3})); });
  EXPECT_EQ(e, "[outer] expected 1-D tensors, got shapes (2, 3) and (3,)");
  e = error_of([] { mm(ones<float>({3}), ones<float>({3, 3})); });
  EXPECT_EQ(e, "[mm] expected 2-D tensors, got shapes (3,) and (3, 3)");
  e = error_of([] { dot(ones<float>({3}), ones<float>({4})); });
  EXPECT_EQ(e, "[dot] shapes (3,) and (4,) have different lengths: 3 != 4");
}

// Cached oneDNN primitives run with this thread's scratchpad: with oneDNN's shared library
// scratchpad, concurrent products of one shape gave wrong results.
TEST(Linalg, MatmulAndConvFromSeveralThreadsMatchSequentialResults) {
  std::vector<ember::Tensor<float>> a, b, w, mm, conv;
  ember::Conv2dOptions o;
  o.padding = {1, 1};
  for (int i = 0; i < 4; ++i) {
    a.push_back(ember::randn<float>({128, 256}));
    b.push_back(ember::randn<float>({256, 96}));
    w.push_back(ember::randn<float>({32, 16, 3, 3}));
    mm.push_back(ember::matmul(a[i], b[i]));
    conv.push_back(ember::conv2d(a[i].reshape({8, 16, 16, 16}), w[i], std::nullopt, o));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int r = 0; r < 30; ++r) {
        if (ember::matmul(a[i], b[i]).to_vector() != mm[i].to_vector()) ++mismatches[i];
        if (ember::conv2d(a[i].reshape({8, 16, 16, 16}), w[i], std::nullopt, o).to_vector() != conv[i].to_vector())
          ++mismatches[i];
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// Each thread keeps one oneDNN memory object per (cached descriptor, argument) and repoints it at
// every call's buffers: products of one shape on different tensors, and more shapes than the pool
// holds (it then starts over), must all be right.
TEST(Linalg, ReusedMemoryObjectsFollowEachCallsBuffers) {
  Generator g(5);
  std::vector<Tensor<float>> as, bs;
  for (int i = 0; i < 3; ++i) {
    as.push_back(randn<float>({33, 40}, g));
    bs.push_back(randn<float>({40, 17}, g));
  }
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) expect_close(matmul(as[i], bs[j]), loop_mm(as[i], bs[j]), 1e-4);
  // 1100 shapes (all large enough for oneDNN) x 4 arguments pass the pool's 4096 objects.
  for (std::int64_t k = 32; k < 32 + 1100; ++k) {
    auto a = randn<float>({32, k}, g), b = randn<float>({k, 32}, g);
    const auto want = loop_mm(a, b);
    expect_close(matmul(a, b), want, 1e-4 * std::sqrt(static_cast<double>(k)));
  }
}
