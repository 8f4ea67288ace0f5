#include <gtest/gtest.h>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

TEST(Overlap, InternalOverlapOfLayouts) {
  EXPECT_FALSE(has_internal_overlap({3, 4}, {4, 1}));
  EXPECT_FALSE(has_internal_overlap({4, 3}, {1, 4}));        // transposed
  EXPECT_FALSE(has_internal_overlap({2, 2}, {8, 3}));        // sliced with steps
  EXPECT_FALSE(has_internal_overlap({3, 1, 4}, {4, 0, 1}));  // a size-1 dim's stride is never used
  EXPECT_FALSE(has_internal_overlap({3, 0}, {0, 0}));        // no elements
  EXPECT_FALSE(has_internal_overlap({}, {}));
  EXPECT_TRUE(has_internal_overlap({3, 4}, {1, 0}));         // expanded
  EXPECT_TRUE(has_internal_overlap({3, 4}, {2, 1}));         // windows sharing elements
  EXPECT_TRUE(has_internal_overlap({2, 2}, {1, 1}));
  EXPECT_TRUE(has_internal_overlap({3, 3}, {std::int64_t{1} << 62, std::int64_t{1} << 62}));  // reach overflows
}

TEST(Overlap, InPlaceWritesIntoExpandedTensorsAreRefused) {
  auto e = ones<float>({3, 1}).expand({3, 4});
  EXPECT_NE(error_of([&] { e.add_(1.0f); }).find("[add_] unsupported operation: more than one element"),
            std::string::npos);
  EXPECT_NE(error_of([&] { e.fill_(2.0f); }).find("[fill_]"), std::string::npos);
  EXPECT_NE(error_of([&] { e.copy_(zeros<float>({3, 4})); }).find("[copy_]"), std::string::npos);
  EXPECT_EQ(ones<float>({3, 1}).expand({3, 4}).contiguous().to_vector(), std::vector<float>(12, 1.0f));
}

TEST(Overlap, SourcesThatShareTheDestinationsMemory) {
  auto a = arange<float>(8);
  a.slice(0, 0, 8, 2).add_(a.slice(0, 1, 8, 2));  // interleaved: apart
  EXPECT_EQ(a.to_vector(), (std::vector<float>{1, 1, 5, 3, 9, 5, 13, 7}));
  auto b = arange<float>(5);
  b.slice(0, 1, 5).copy_(b.slice(0, 0, 4));  // partly overlapping: read first, as NumPy
  EXPECT_EQ(b.to_vector(), (std::vector<float>{0, 0, 1, 2, 3}));
  auto c = arange<double>(6).reshape({2, 3});
  c.add_(c);  // the same view
  EXPECT_EQ(c.to_vector(), (std::vector<double>{0, 2, 4, 6, 8, 10}));
}

TEST(Overlap, PoolStrideZeroAndEyeNegativeColumnsAreRefused) {
  auto x = ones<float>({1, 1, 4, 4});
  EXPECT_NE(error_of([&] { max_pool2d(x, {.kernel = {2, 2}, .stride = {{0, 0}}}); }).find("stride must be positive"),
            std::string::npos);
  EXPECT_EQ(max_pool2d(x, {.kernel = {2, 2}}).shape(), (Shape{1, 1, 2, 2}));  // unset: the kernel size
  EXPECT_NE(error_of([&] { eye<float>(3, -2); }).find("[eye] m must be non-negative, got -2"), std::string::npos);
  EXPECT_EQ(eye<float>(2).shape(), (Shape{2, 2}));
  EXPECT_NE(error_of([&] { ones<float>({3, 1}).expand({3, -2}); }).find("[expand] the expanded size -2"),
            std::string::npos);
}
