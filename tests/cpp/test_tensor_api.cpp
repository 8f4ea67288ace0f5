// Values and errors of the ops of matrix.hpp, select.hpp, statistics.hpp, unfold.hpp and the elementwise
// math family from C++ (gradients and PyTorch comparisons: tests/python/test_tensor_api_ops.py and
// test_elementwise_math.py).
#include <cmath>
#include <limits>

#include "helpers.hpp"
#include "ember/ops/matrix.hpp"
#include "ember/ops/select.hpp"
#include "ember/ops/statistics.hpp"
#include "ember/ops/unfold.hpp"

namespace ember {
namespace {

using testing::error_of;
using testing::mat;


TEST(TensorApiMatrix, DiagonalIsAViewAndDiagRoundTrips) {
  auto x = arange<float>(12).reshape({3, 4});
  auto d = diagonal(x, 1);
  EXPECT_EQ(d.to_vector(), (std::vector<float>{1, 6, 11}));
  d.fill_(-1);
  EXPECT_EQ(x.contiguous().to_vector()[1], -1.0f);  // written through the view
  EXPECT_EQ(diagonal(x, -2).to_vector(), (std::vector<float>{8}));
  EXPECT_EQ(diagonal(x, 5).numel(), 0);
  EXPECT_EQ(diag(mat<int>({1, 2}, {2}), -1).contiguous().to_vector(), (std::vector<int>{0, 0, 0, 1, 0, 0, 0, 2, 0}));
  EXPECT_EQ(trace(mat<int>({1, 2, 3, 4}, {2, 2})).item(), 5);
  EXPECT_NE(error_of<std::invalid_argument>([&] { trace(arange<float>(3)); }).find("[trace] expected a 2-D tensor"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { diagonal(x, 0, 1, -1); }).find("cannot identify the same dim"),
            std::string::npos);
}

TEST(TensorApiMatrix, KronCrossTensordot) {
  auto a = mat<double>({1, 2, 3, 4}, {2, 2});
  auto k = kron(a, mat<double>({0, 1}, {1, 2}));
  EXPECT_EQ(k.shape(), (Shape{2, 4}));
  EXPECT_EQ(k.contiguous().to_vector(), (std::vector<double>{0, 1, 0, 2, 0, 3, 0, 4}));
  auto c = cross(mat<double>({1, 0, 0}, {3}), mat<double>({0, 1, 0}, {3}));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{0, 0, 1}));
  auto t = tensordot(arange<double>(24).reshape({2, 3, 4}), arange<double>(12).reshape({3, 4}), 2);
  EXPECT_EQ(t.shape(), (Shape{2}));
  EXPECT_NEAR(t.to_vector()[0], 506.0, 1e-9);  // sum_{j<12} j * j
  EXPECT_NE(error_of<std::invalid_argument>([&] { cross(a, a); }).find("must have extent 3"), std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { tensordot(a, a, {0}, {0, 1}); }).find("same length"),
            std::string::npos);
  auto li = tril_indices(3, 3);
  EXPECT_EQ(li.contiguous().to_vector(), (std::vector<std::int64_t>{0, 1, 1, 2, 2, 2, 0, 0, 1, 0, 1, 2}));
  EXPECT_EQ(triu_indices(2, 3, 1).contiguous().to_vector(), (std::vector<std::int64_t>{0, 0, 1, 1, 2, 2}));
}

TEST(TensorApiMatrix, FillDiagonalWraps) {
  auto x = zeros<int>({7, 3});
  fill_diagonal_(x, 5, true);
  EXPECT_EQ(sum(x).item(), 30);
  EXPECT_EQ(x.contiguous().to_vector()[4 * 3], 5);  // row 4 starts the diagonal again
  auto y = zeros<int>({7, 3});
  fill_diagonal_(y, 5);
  EXPECT_EQ(sum(y).item(), 15);
}

TEST(TensorApiSelect, NonzeroMaskedSelectTakeIsin) {
  auto x = mat<float>({0, 2, 0, 3, 4, 0}, {2, 3});
  EXPECT_EQ(nonzero(x).contiguous().to_vector(), (std::vector<std::int64_t>{0, 1, 1, 0, 1, 1}));
  EXPECT_EQ(masked_select(x, gt(x, 2.5f)).to_vector(), (std::vector<float>{3, 4}));
  EXPECT_EQ(take(x, mat<std::int64_t>({-1, 1}, {2})).to_vector(), (std::vector<float>{0, 2}));
  EXPECT_NE(error_of<std::out_of_range>([&] { take(x, mat<std::int64_t>({6}, {1})); }).find("index 6 is out of bounds for an extent of 6"),
            std::string::npos);
  EXPECT_EQ(isin(x, mat<float>({4, 2, NAN}, {3})).contiguous().to_vector(),
            (std::vector<bool>{false, true, false, false, true, false}));
  EXPECT_EQ(count_nonzero(x, 1).to_vector(), (std::vector<std::int64_t>{1, 2}));
  auto tad = take_along_dim(x, mat<std::int64_t>({2, 0}, {2, 1}), 1);
  EXPECT_EQ(tad.contiguous().to_vector(), (std::vector<float>{0, 3}));
}

TEST(TensorApiStatistics, OrderStatisticsFollowPyTorch) {
  auto x = mat<float>({3, 1, 3, 1, 2}, {5});
  auto [mv, mi] = mode(x);
  EXPECT_EQ(mv.item(), 1.0f);
  EXPECT_EQ(mi.item(), 3);  // the last occurrence
  EXPECT_EQ(median(x).item(), 2.0f);
  auto [kv, ki] = kthvalue(x, 2);
  EXPECT_EQ(kv.item(), 1.0f);
  EXPECT_EQ(ki.item(), 3);
  auto withnan = mat<float>({1, NAN, 0, NAN}, {1, 4});
  auto [nv, ni] = median(withnan, 1);
  EXPECT_TRUE(std::isnan(nv.to_vector()[0]));
  EXPECT_EQ(ni.to_vector()[0], 1);
  EXPECT_EQ(nanmedian(withnan, 1).first.to_vector()[0], 0.0f);
  auto q = quantile(mat<double>({1, 2, 3, 4}, {4}), 0.5);
  EXPECT_DOUBLE_EQ(q.item(), 2.5);
  EXPECT_DOUBLE_EQ(quantile(mat<double>({1, 2, 3, 4}, {4}), 0.5, std::nullopt, false, "lower").item(), 2.0);
  EXPECT_NE(error_of<std::invalid_argument>([&] { quantile(x, 1.5); }).find("q values must be in the range [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of<std::out_of_range>([&] { kthvalue(x, 6); }).find("[kthvalue] k (6) is out of range"),
            std::string::npos);
  auto [cv, ci] = cummax(mat<float>({1, 3, 3, 2, NAN, 5}, {6}), 0);
  EXPECT_EQ(ci.to_vector(), (std::vector<std::int64_t>{0, 1, 2, 2, 4, 4}));
  auto l = logcumsumexp(mat<double>({-1000, 0, 1000}, {3}), 0).to_vector();
  EXPECT_DOUBLE_EQ(l[0], -1000.0);  // no underflow to -inf
  EXPECT_NEAR(l[1], 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(l[2], 1000.0);
  EXPECT_EQ(nansum(mat<float>({1, NAN, 2}, {3})).item(), 3.0f);
  EXPECT_EQ(nanmean(mat<float>({1, NAN, 2}, {3})).item(), 1.5f);
}

TEST(TensorApiUnfold, UnfoldThenFoldCountsOverlaps) {
  auto x = ones<float>({1, 2, 4, 4});
  UnfoldOptions o;
  o.kernel_size = {2, 2};
  auto cols = unfold(x, o);
  EXPECT_EQ(cols.shape(), (Shape{1, 8, 9}));
  auto back = fold(cols, {4, 4}, o);
  EXPECT_EQ(back.shape(), (Shape{1, 2, 4, 4}));
  auto v = back.contiguous().to_vector();
  EXPECT_EQ(v[0], 1.0f);   // a corner is in one patch
  EXPECT_EQ(v[5], 4.0f);   // an inner element in four
  auto y = arange<float>(9).reshape({1, 1, 3, 3});
  UnfoldOptions s;
  s.kernel_size = {2, 2};
  s.stride = {2, 2};
  s.padding = {1, 1};
  auto c = unfold(y, s);
  EXPECT_EQ(c.shape(), (Shape{1, 4, 4}));
  const auto cv = c.contiguous().to_vector();  // rows: the patch elements (0, 0) .. (1, 1); columns: the patches
  EXPECT_EQ(std::vector<float>(cv.begin(), cv.begin() + 4), (std::vector<float>{0, 0, 0, 4}));  // padding but y[1][1]
  EXPECT_EQ(std::vector<float>(cv.begin() + 12, cv.end()), (std::vector<float>{0, 2, 6, 8}));
  EXPECT_NE(error_of<std::invalid_argument>([&] { fold(cols, {5, 5}, o); }).find("expected input's dim 2 to be 16"),
            std::string::npos);
}

// unfold copies each element (an infinity or NaN stays itself, with no NaN spread to its neighbours, as the
// one-hot convolution it ran on did) and fold sums the copies back; F.normalize of an infinite norm.
TEST(TensorApiUnfold, NonFiniteValuesStayPut) {
  const float inf = std::numeric_limits<float>::infinity();
  auto x = tensor<float>({inf, 1.0f, 2.0f, std::numeric_limits<float>::quiet_NaN()}).reshape({1, 1, 2, 2});
  UnfoldOptions o;
  o.kernel_size = {1, 2};
  o.padding = {0, 1};
  const auto c = unfold(x, o).contiguous().to_vector();  // (1, 2, 6): left and right element of 3 patches per row
  EXPECT_EQ(c[0], 0.0f);
  EXPECT_EQ(c[1], inf);
  EXPECT_EQ(c[2], 1.0f);
  EXPECT_EQ(c[7], 1.0f);
  EXPECT_TRUE(std::isnan(c[10]));
  const auto f = fold(unfold(x, o), {2, 2}, o).contiguous().to_vector();
  EXPECT_EQ(f[0], inf);
  EXPECT_EQ(f[1], 2.0f);
  EXPECT_EQ(f[2], 4.0f);
  EXPECT_TRUE(std::isnan(f[3]));
  const auto n = normalize(tensor<float>({inf, 1.0f}), 1.0, 0).to_vector();
  EXPECT_TRUE(std::isnan(n[0]));
  EXPECT_EQ(n[1], 0.0f);
}

TEST(TensorApiElementwise, MathFamilyAndIntegerDivision) {
  auto x = mat<float>({-2.5f, -0.5f, 0.5f, 1.5f}, {4});
  EXPECT_EQ(round(x).to_vector(), (std::vector<float>{-2, -0, 0, 2}));
  EXPECT_EQ(floor(x).to_vector(), (std::vector<float>{-3, -1, 0, 1}));
  EXPECT_EQ(sign(x).to_vector(), (std::vector<float>{-1, -1, 1, 1}));
  EXPECT_EQ(floor_divide(mat<std::int64_t>({7, -7}, {2}), std::int64_t{2}).to_vector(), (std::vector<std::int64_t>{3, -4}));
  EXPECT_EQ(remainder(mat<std::int64_t>({7, -7}, {2}), std::int64_t{3}).to_vector(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(floor_divide(mat<std::int64_t>({std::numeric_limits<std::int64_t>::min()}, {1}), std::int64_t{-1}).item(),
            std::numeric_limits<std::int64_t>::min());  // wraps, no trap
  EXPECT_NE(error_of<std::invalid_argument>([&] { fmod(mat<int>({1}, {1}), mat<int>({0}, {1})); })
                .find("[fmod] integer division by zero"),
            std::string::npos);
  auto y = x.clone();
  y.abs_();
  EXPECT_EQ(y.to_vector(), (std::vector<float>{2.5f, 0.5f, 0.5f, 1.5f}));
  EXPECT_NE(error_of<TypeError>([&] { exp_(mat<int>({1}, {1})); }).find("can't be cast"), std::string::npos);
  EXPECT_EQ(isnan(mat<float>({NAN, 1}, {2})).to_vector(), (std::vector<bool>{true, false}));
}

}  // namespace
}  // namespace ember
