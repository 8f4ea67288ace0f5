#include <gtest/gtest.h>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

TEST(ShapeCat, JoinsAlongDim) {
  auto a = arange<float>(6).reshape({2, 3});
  auto b = arange<float>(6, 10).reshape({2, 2});
  auto c = cat({a, b}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 5}));
  EXPECT_EQ(c.to_vector(), (std::vector<float>{0, 1, 2, 6, 7, 3, 4, 5, 8, 9}));
  auto d = cat({a, a}, -2);
  EXPECT_EQ(d.shape(), (Shape{4, 3}));
  EXPECT_EQ(d.to_vector()[6], 0.0f);
}

TEST(ShapeCat, NonContiguousInputsAndLegacyEmpty) {
  auto a = arange<double>(6).reshape({2, 3}).mT();  // (3, 2), strided
  auto c = cat(std::vector<Tensor<double>>{a, zeros<double>({0}), a}, 0);
  EXPECT_EQ(c.shape(), (Shape{6, 2}));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5, 0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(cat({zeros<float>({0}), zeros<float>({0})}).shape(), (Shape{0}));
}

TEST(ShapeCat, MixedDtypesPromote) {
  std::vector<AnyTensor> ts{AnyTensor(ones<std::int32_t>({2})), AnyTensor(full<double>({1}, 0.5))};
  AnyTensor r = cat(std::span<const AnyTensor>(ts), 0);
  EXPECT_EQ(r.dtype(), DType::Float64);
  EXPECT_EQ(r.get<double>().to_vector(), (std::vector<double>{1, 1, 0.5}));
}

TEST(ShapeCat, Errors) {
  auto msg = error_of<std::invalid_argument>([] { cat({zeros<float>({2, 3}), zeros<float>({3, 3})}, 1); });
  EXPECT_NE(msg.find("[cat]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor 1 has shape (3, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_THROW(cat(std::vector<Tensor<float>>{}), std::invalid_argument);
  EXPECT_THROW(cat({scalar_tensor<float>(1)}), std::invalid_argument);
  EXPECT_THROW(cat({zeros<float>({2})}, 1), std::out_of_range);
}

TEST(ShapeStack, NewDim) {
  auto a = arange<std::int64_t>(3), b = arange<std::int64_t>(3, 6);
  auto s = stack({a, b}, 1);
  EXPECT_EQ(s.shape(), (Shape{3, 2}));
  EXPECT_EQ(s.to_vector(), (std::vector<std::int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(stack({scalar_tensor<float>(1), scalar_tensor<float>(2)}).shape(), (Shape{2}));
  auto msg = error_of<std::invalid_argument>([] { stack({zeros<float>({2}), zeros<float>({3})}); });
  EXPECT_NE(msg.find("[stack]"), std::string::npos);
  EXPECT_NE(msg.find("(3,) at entry 1"), std::string::npos) << msg;
  EXPECT_THROW(stack(std::vector<Tensor<float>>{}), std::invalid_argument);
}

TEST(ShapeSplit, ViewsAndSizes) {
  auto t = arange<float>(10).reshape({5, 2});
  auto parts = t.split(2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), (Shape{1, 2}));
  EXPECT_EQ(parts[1].storage(), t.storage());
  parts[1].fill_(-1);
  EXPECT_EQ(t.to_vector()[4], -1.0f);
  auto s = t.split(std::vector<std::int64_t>{1, 4}, 0);
  EXPECT_EQ(s[1].shape(), (Shape{4, 2}));
  auto c = split(t, 1, -1);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_THROW(t.split(std::vector<std::int64_t>{1, 1}), std::invalid_argument);
  EXPECT_THROW(t.split(0), std::invalid_argument);
  EXPECT_EQ(split(zeros<float>({0}), 0).size(), 1u);
}

TEST(ShapeChunk, TorchSizing) {
  auto t = arange<float>(6);
  auto c = t.chunk(4);  // ceil(6 / 4) = 2 per piece: three pieces
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[2].to_vector(), (std::vector<float>{4, 5}));
  EXPECT_EQ(chunk(arange<float>(5), 3).back().numel(), 1);
  EXPECT_EQ(chunk(zeros<float>({0}), 3).size(), 3u);
  EXPECT_THROW(t.chunk(0), std::invalid_argument);
}

TEST(Triangle, TrilTriuKeepTheirTriangleAndPassItsGradient) {
  auto x = arange<double>(1, 13).reshape({3, 4});
  EXPECT_EQ(tril(x).to_vector(), (std::vector<double>{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0}));
  EXPECT_EQ(x.triu(1).to_vector(), (std::vector<double>{0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12}));
  EXPECT_EQ(tril(ones<bool>({2, 2}), -1).to_vector(), (std::vector<bool>{false, false, true, false}));
  auto w = ember::testing::leaf({2, 2, 2}, 1);
  triu(w).sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{1, 1, 0, 1, 1, 1, 0, 1}));
  EXPECT_NE(error_of([] { tril(ones<float>({3})); }).find("[tril] expected a tensor with 2 or more dimensions, got shape (3,)"),
            std::string::npos);
}
