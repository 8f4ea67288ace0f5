#include <gtest/gtest.h>

#include <vector>

#include "ember/ember.hpp"
#include "ember/interop/xtensor.hpp"

using namespace ember;

TEST(Tensor, ContiguousStridesAndNumel) {
  auto t = zeros<float>({2, 3, 4});
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_TRUE(t.is_contiguous());
}

TEST(Tensor, ViewsShareStorage) {
  auto t = arange<float>(24).reshape({2, 3, 4});
  auto v = t.transpose(0, 2);
  EXPECT_EQ(v.shape(), (Shape{4, 3, 2}));
  EXPECT_FALSE(v.is_contiguous());
  EXPECT_EQ(v.storage(), t.storage());
  auto c = v.contiguous();
  EXPECT_NE(c.storage(), t.storage());
  EXPECT_EQ(c.data()[1], 12.0f);  // element (0, 0, 1) of v is t(1, 0, 0)
  EXPECT_EQ(t.slice(2, 1, std::nullopt, 2).shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(t.select(1, -1).data()[0], 8.0f);
  EXPECT_EQ(t.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(t.unsqueeze(0).squeeze().shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.narrow(1, 1, 2).shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(t.flatten(1).shape(), (Shape{2, 12}));
  EXPECT_EQ(t.view({-1, 4}).shape(), (Shape{6, 4}));
}

TEST(Tensor, ViewOfNonContiguousFailsReshapeCopies) {
  auto t = arange<float>(6).reshape({2, 3}).mT();
  EXPECT_THROW(t.view({6}), std::invalid_argument);
  auto r = t.reshape({6});
  EXPECT_EQ(r.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Tensor, ExpandBroadcastsWithZeroStride) {
  auto t = arange<float>(3).reshape({3, 1});
  auto e = t.expand({2, 3, 4});
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(e.contiguous().to_vector()[5], 1.0f);
  EXPECT_THROW(t.expand({2, 2}), std::invalid_argument);
}

TEST(Tensor, ErrorsNameShapes) {
  auto t = zeros<float>({2, 3});
  try {
    t.view({4, 2});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[view] shape (4, 2) is invalid for input of size 6"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(t.transpose(0, 2), std::out_of_range);
  EXPECT_THROW(t.select(0, 2), std::out_of_range);
}

TEST(Tensor, CopyCastsAndBroadcasts) {
  auto t = zeros<double>({2, 3});
  t.copy_(arange<std::int64_t>(3));
  EXPECT_EQ(t.to_vector(), (std::vector<double>{0, 1, 2, 0, 1, 2}));
  auto i = t.to<std::int32_t>();
  EXPECT_EQ(i.dtype(), DType::Int32);
  EXPECT_THROW(t.copy_(zeros<float>({3, 3})), std::invalid_argument);
}

TEST(DType, PromotionTable) {
  EXPECT_EQ(promote_types(DType::Bool, DType::UInt8), DType::UInt8);
  EXPECT_EQ(promote_types(DType::UInt8, DType::Int32), DType::Int32);
  EXPECT_EQ(promote_types(DType::Int64, DType::Float32), DType::Float32);
  EXPECT_EQ(promote_types(DType::Float32, DType::Float64), DType::Float64);
  EXPECT_EQ(promote_types(DType::Bool, DType::Int8), DType::Int8);
  EXPECT_EQ(promote_types(DType::Int8, DType::UInt8), DType::Int32);  // PyTorch: int16, which ember lacks
  EXPECT_EQ(promote_types(DType::UInt8, DType::Int8), DType::Int32);
  EXPECT_EQ(promote_types(DType::Int8, DType::Int64), DType::Int64);
  static_assert(std::is_same_v<promote_t<std::int8_t, std::uint8_t>, std::int32_t>);
  EXPECT_EQ((arange<std::int8_t>(3) + arange<std::uint8_t>(3)).dtype(), DType::Int32);
  EXPECT_EQ(promote_with_scalar(DType::Int32, ScalarKind::Float), DType::Float32);
  EXPECT_EQ(promote_with_scalar(DType::Int32, ScalarKind::Int), DType::Int32);
  EXPECT_EQ(promote_with_scalar(DType::Bool, ScalarKind::Int), DType::Int64);
  EXPECT_EQ(promote_with_scalar(DType::Float32, ScalarKind::Float), DType::Float32);
  static_assert(std::is_same_v<promote_t<std::int64_t, float>, float>);
}

TEST(Interop, EigenAndXtensorViews) {
  auto t = arange<double>(6).reshape({2, 3});
  auto m = as_eigen(t);
  EXPECT_EQ(m(1, 2), 5.0);
  m(0, 0) = 7;
  EXPECT_EQ(t.data()[0], 7.0);
  auto x = as_xtensor(t.mT());
  EXPECT_EQ(x(2, 1), 5.0);
  auto back = from_eigen(m.transpose());
  EXPECT_EQ(back.shape(), (Shape{3, 2}));
  EXPECT_EQ(from_xtensor(x).to_vector(), (std::vector<double>{7, 3, 1, 4, 2, 5}));
}

TEST(HostBlockCache, LargeTensorsReuseFreedBlocksAndSmallOnesDoNot) {
  auto& cache = detail::HostBlockCache::instance();
  cache.clear();
  void* first = nullptr;
  {
    auto t = Tensor<float>::empty({1 << 20});  // 4 MiB
    first = t.data();
    t.data()[(1 << 20) - 1] = 1.0f;  // the whole block is writable
  }
  EXPECT_EQ(cache.cached_bytes(), std::size_t{4} << 20);
  {
    auto again = Tensor<float>::empty({(1 << 20) - 100});  // about the same size: the same block
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(cache.cached_bytes(), 0u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.data()) % Storage::kAlignment, 0u);
    auto smaller = Tensor<float>::empty({1 << 19});  // half the size: a block of its own
    EXPECT_NE(smaller.data(), first);
  }
  { auto small = Tensor<float>::empty({1000}); }
  EXPECT_EQ(cache.cached_bytes(), std::size_t{6} << 20);  // the two large blocks, not the small one
  cache.clear();
  EXPECT_EQ(cache.cached_bytes(), 0u);
}

TEST(HostBlockCache, KeepsAtMostItsCapacity) {
  auto& cache = detail::HostBlockCache::instance();
  cache.clear();
  {
    std::vector<Tensor<float>> live;
    for (int i = 0; i < 5; ++i) live.push_back(Tensor<float>::empty({std::int64_t{16} << 20}));  // 64 MiB each
  }
  EXPECT_EQ(cache.cached_bytes(), std::size_t{256} << 20);  // four of the five
  {
    auto a = Tensor<float>::empty({std::int64_t{16} << 20});  // takes a 64 MiB block back
    auto b = Tensor<float>::empty({std::int64_t{8} << 20});   // 32 MiB: a block of its own
  }  // b returns (224 MiB cached), then a, which evicts the least recently cached block to fit
  EXPECT_EQ(cache.cached_bytes(), std::size_t{64 * 3 + 32} << 20);
  cache.clear();
}
