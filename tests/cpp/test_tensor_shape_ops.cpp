// reorder.hpp (flip, roll, rot90, repeat, tile, repeat_interleave, unbind, tensor_split), scatter.hpp
// (scatter family) and einsum.hpp (einsum, meshgrid): values, errors, and gradients.
#include <gtest/gtest.h>

#include "ember/ember.hpp"
#include "ember/ops/einsum.hpp"
#include "ember/ops/reorder.hpp"
#include "ember/ops/scatter.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

namespace {

using I64 = std::int64_t;
using V = std::vector<double>;

autograd::TensorFunction fn1(std::function<Tensor<double>(const Tensor<double>&)> f) {
  return [f](const std::vector<AnyTensor>& in) { return std::vector<AnyTensor>{f(in[0].get<double>())}; };
}
autograd::TensorFunction fn2(std::function<Tensor<double>(const Tensor<double>&, const Tensor<double>&)> f) {
  return [f](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{f(in[0].get<double>(), in[1].get<double>())};
  };
}

}  // namespace

TEST(Reorder, FlipRollRot90) {
  auto x = arange<double>(6).reshape({2, 3});
  EXPECT_EQ(flip(x, {1}).to_vector(), (V{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(flip(x, {0, -1}).to_vector(), (V{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(flip(x.mT(), {0}).to_vector(), (V{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(fliplr(x).to_vector(), flip(x, {1}).to_vector());
  EXPECT_EQ(flipud(x).to_vector(), flip(x, {0}).to_vector());
  EXPECT_EQ(flip(full<double>({}, 3.0), {}).item(), 3.0);
  EXPECT_THROW(flip(x, {0, 0}), std::invalid_argument);
  EXPECT_THROW(fliplr(arange<double>(3)), std::invalid_argument);
  EXPECT_EQ(roll(x, {1}, {1}).to_vector(), (V{2, 0, 1, 5, 3, 4}));
  EXPECT_EQ(roll(x, {-1}).to_vector(), (V{1, 2, 3, 4, 5, 0}));
  EXPECT_EQ(roll(x, {1, 1}, {0, 1}).to_vector(), (V{5, 3, 4, 2, 0, 1}));
  EXPECT_THROW(roll(x, {1, 2}, {0}), std::invalid_argument);
  EXPECT_EQ(rot90(x).shape(), (Shape{3, 2}));
  EXPECT_EQ(rot90(x).to_vector(), (V{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(rot90(x, -1).to_vector(), (V{3, 0, 4, 1, 5, 2}));
  EXPECT_EQ(rot90(x, 2).to_vector(), (V{5, 4, 3, 2, 1, 0}));
  EXPECT_THROW(rot90(x, 1, {0, 0}), std::invalid_argument);
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& a) { return roll(flip(a, {0}), {1}, {1}); }),
                                  {ember::testing::leaf({2, 3}, 1)}));
}

TEST(Reorder, RepeatTileInterleave) {
  auto x = arange<I64>(3);
  EXPECT_EQ(repeat(x, {2, 2}).shape(), (Shape{2, 6}));
  EXPECT_EQ(repeat(x, {2}).to_vector(), (std::vector<I64>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(tile(x.reshape({3, 1}), {2}).to_vector(), (std::vector<I64>{0, 0, 1, 1, 2, 2}));
  EXPECT_THROW(repeat(arange<I64>(4).reshape({2, 2}), {2}), std::invalid_argument);
  auto r = repeat(x, {1});
  r.data()[0] = 7;
  EXPECT_EQ(x.data()[0], 0);  // a copy, never a view
  EXPECT_EQ(repeat_interleave(x, 2).to_vector(), (std::vector<I64>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(repeat_interleave(x, tensor<I64>({1, 0, 2})).to_vector(), (std::vector<I64>{0, 2, 2}));
  EXPECT_EQ(repeat_interleave(tensor<I64>({2, 1})).to_vector(), (std::vector<I64>{0, 0, 1}));
  EXPECT_THROW(repeat_interleave(x, tensor<I64>({1, 2})), std::invalid_argument);
  EXPECT_THROW(repeat_interleave(x, tensor<I64>({1, -1, 2})), std::invalid_argument);
  EXPECT_THROW(repeat_interleave(full<I64>({}, 1), 2, 0), std::out_of_range);
  EXPECT_EQ(repeat_interleave(full<I64>({}, 1), 2).to_vector(), (std::vector<I64>{1, 1}));
  EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& a) { return repeat_interleave(repeat(a, {2, 1, 2}), 2, 1); }),
                                  {ember::testing::leaf({2, 3}, 2)}));
}

TEST(Reorder, UnbindTensorSplit) {
  auto x = arange<double>(7);
  auto parts = tensor_split(x, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].to_vector(), (V{0, 1, 2}));
  EXPECT_EQ(parts[2].to_vector(), (V{5, 6}));
  auto p2 = tensor_split(x, std::vector<I64>{1, 5, 3});
  ASSERT_EQ(p2.size(), 4u);
  EXPECT_EQ(p2[1].to_vector(), (V{1, 2, 3, 4}));
  EXPECT_EQ(p2[2].numel(), 0);
  EXPECT_EQ(p2[3].to_vector(), (V{3, 4, 5, 6}));
  auto u = unbind(x.reshape({7, 1}), 1);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].shape(), (Shape{7}));
  EXPECT_THROW(unbind(full<double>({}, 1.0)), std::invalid_argument);
}

TEST(Scatter, ValuesAndReduce) {
  auto x = zeros<double>({2, 3});
  auto idx = tensor<I64>({0, 2, 2, 1}).reshape({2, 2});
  auto src = arange<double>(1, 5).reshape({2, 2});
  EXPECT_EQ(scatter(x, 1, idx, src).to_vector(), (V{1, 0, 2, 0, 4, 3}));
  EXPECT_EQ(scatter(x, 1, idx, 9.0).to_vector(), (V{9, 0, 9, 0, 9, 9}));
  auto dup = tensor<I64>({1, 1, 0, 0}).reshape({2, 2});
  EXPECT_EQ(scatter_add(x, 1, dup, src).to_vector(), (V{0, 3, 0, 7, 0, 0}));
  auto ones_ = ones<double>({2, 3});
  EXPECT_EQ(scatter_reduce(ones_, 1, dup, src, "prod").to_vector(), (V{1, 2, 1, 12, 1, 1}));
  EXPECT_EQ(scatter_reduce(ones_, 1, dup, src, "prod", false).to_vector(), (V{1, 2, 1, 12, 1, 1}));
  EXPECT_EQ(scatter_reduce(ones_, 1, dup, src, "mean").to_vector(), (V{1, 4.0 / 3, 1, 8.0 / 3, 1, 1}));
  EXPECT_EQ(scatter_reduce(ones_, 1, dup, src, "amax", false).to_vector(), (V{1, 2, 1, 4, 1, 1}));
  EXPECT_EQ(scatter_reduce(ones_, 1, dup, src, "amin").to_vector(), (V{1, 1, 1, 1, 1, 1}));
  // out of range: IndexError naming the index and the size, nothing written
  auto bad = tensor<I64>({0, 3}).reshape({1, 2});
  auto msg = error_of<std::out_of_range>([&] { scatter_(x, 1, bad, src); });
  EXPECT_NE(msg.find("index 3 is out of bounds for dimension 1 with size 3"), std::string::npos) << msg;
  EXPECT_EQ(x.sum().item(), 0.0);
  EXPECT_THROW(scatter(x, 1, tensor<I64>({-1}).reshape({1, 1}), src), std::out_of_range);
  EXPECT_THROW(scatter(x, 1, zeros<I64>({3, 1}), src), std::invalid_argument);
  EXPECT_THROW(scatter_reduce(x, 1, idx, src, "max"), std::invalid_argument);
  // in place, integer dtype
  auto xi = zeros<I64>({4});
  scatter_add_(xi, 0, tensor<I64>({1, 1, 3}), tensor<I64>({5, 6, 7}));
  EXPECT_EQ(xi.to_vector(), (std::vector<I64>{0, 11, 0, 7}));
}

TEST(Scatter, Gradients) {
  auto idx = tensor<I64>({1, 1, 0, 2, 2, 0}).reshape({2, 3});
  for (const char* r : {"sum", "prod", "mean", "amax", "amin"})
    for (bool inc : {true, false})
      EXPECT_TRUE(autograd::gradcheck(
          fn2([&](const auto& a, const auto& s) { return scatter_reduce(a, 1, idx, s, r, inc); }),
          {ember::testing::leaf({2, 4}, 3), ember::testing::leaf({2, 3}, 4)}))
          << r << " " << inc;
  auto uniq = tensor<I64>({1, 3, 0, 2, 0, 1}).reshape({2, 3});  // duplicates: the last write wins, no gradient
  EXPECT_TRUE(autograd::gradcheck(fn2([&](const auto& a, const auto& s) { return scatter(a, 1, uniq, s); }),
                                  {ember::testing::leaf({2, 4}, 5), ember::testing::leaf({3, 4}, 6)}));
  auto i1 = tensor<I64>({2, 0, 2});
  EXPECT_TRUE(autograd::gradcheck(fn2([&](const auto& a, const auto& s) { return index_add(a, 0, i1, s, 2.0); }),
                                  {ember::testing::leaf({3, 2}, 7), ember::testing::leaf({3, 2}, 8)}));
  auto i2 = tensor<I64>({2, 0});
  EXPECT_TRUE(autograd::gradcheck(fn2([&](const auto& a, const auto& s) { return index_copy(a, 1, i2, s); }),
                                  {ember::testing::leaf({3, 4}, 9), ember::testing::leaf({3, 2}, 10)}));
  auto mask = tensor<bool>({true, false, true});
  EXPECT_TRUE(autograd::gradcheck(fn2([&](const auto& a, const auto& s) { return masked_scatter(a, mask, s); }),
                                  {ember::testing::leaf({2, 3}, 11), ember::testing::leaf({5}, 12)}));
  // amax ties split the gradient evenly
  auto a = tensor<double>({1.0, 1.0}).requires_grad_(true);
  auto s = tensor<double>({1.0}).requires_grad_(true);
  auto y = scatter_reduce(a, 0, tensor<I64>({0}), s, "amax");
  y.sum().backward();
  EXPECT_EQ(a.grad().to_vector(), (V{0.5, 1.0}));
  EXPECT_EQ(s.grad().to_vector(), (V{0.5}));
}

TEST(Scatter, IndexOpsAndMaskedScatter) {
  auto x = zeros<double>({3, 2});
  EXPECT_EQ(index_add(x, 0, tensor<I64>({2, 2}), ones<double>({2, 2})).to_vector(), (V{0, 0, 0, 0, 2, 2}));
  EXPECT_EQ(index_copy(x, 1, tensor<std::int32_t>({1}), ones<double>({3, 1})).to_vector(), (V{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(index_fill(x, 0, tensor<I64>({1}), 5).to_vector(), (V{0, 0, 5, 5, 0, 0}));
  EXPECT_THROW(index_add(x, 0, tensor<I64>({3}), ones<double>({1, 2})), std::out_of_range);
  EXPECT_THROW(index_add(x, 0, tensor<I64>({0}), ones<double>({2, 2})), std::invalid_argument);
  EXPECT_THROW(index_fill(x, 1, tensor<I64>({2}), 1.0), std::out_of_range);
  EXPECT_EQ(index_fill(x, 1, tensor<I64>({-1}), 1.0).to_vector(), (V{0, 1, 0, 1, 0, 1}));  // as torch
  EXPECT_THROW(index_copy(x, 1, tensor<I64>({-1}), ones<double>({3, 1})), std::out_of_range);
  auto m = tensor<bool>({true, false});
  EXPECT_EQ(masked_scatter(x, m, arange<double>(1, 4)).to_vector(), (V{1, 0, 2, 0, 3, 0}));
  EXPECT_THROW(masked_scatter(x, m, arange<double>(1, 3)), std::invalid_argument);
}

TEST(Einsum, Values) {
  auto a = arange<double>(6).reshape({2, 3});
  auto b = arange<double>(12).reshape({3, 4});
  EXPECT_EQ(einsum("ij,jk->ik", {a, b}).to_vector(), matmul(a, b).to_vector());
  EXPECT_EQ(einsum("ij,jk", {a, b}).to_vector(), matmul(a, b).to_vector());
  EXPECT_EQ(einsum("ij->ji", {a}).to_vector(), a.mT().contiguous().to_vector());
  EXPECT_EQ(einsum("ij->", {a}).item(), 15.0);
  auto sq = arange<double>(9).reshape({3, 3});
  EXPECT_EQ(einsum("ii", {sq}).item(), 12.0);
  EXPECT_EQ(einsum("ii->i", {sq}).to_vector(), (V{0, 4, 8}));
  EXPECT_EQ(einsum("...j,j->...", {a, arange<double>(3)}).to_vector(), (V{5, 14}));
  EXPECT_EQ(einsum("i,j->ij", {arange<double>(2), arange<double>(3)}).to_vector(), (V{0, 0, 0, 0, 1, 2}));
  EXPECT_THROW(einsum("ij,jk->ik", {a, a}), std::invalid_argument);
  EXPECT_THROW(einsum("ij->ik", {a}), std::invalid_argument);
  EXPECT_THROW(einsum("ijk", {a}), std::invalid_argument);
  EXPECT_TRUE(autograd::gradcheck(fn2([](const auto& x, const auto& y) { return einsum("bij,bjk->bik", {x, y}); }),
                                  {ember::testing::leaf({2, 2, 3}, 1), ember::testing::leaf({2, 3, 2}, 2)}));
  auto g = meshgrid<double>({arange<double>(2), arange<double>(3)}, "xy");
  EXPECT_EQ(g[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(g[0].contiguous().to_vector(), (V{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(meshgrid<double>({arange<double>(2), arange<double>(3)})[1].contiguous().to_vector(), (V{0, 1, 2, 0, 1, 2}));
}
