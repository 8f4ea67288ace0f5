// bfloat16 tensors (ember::bfloat16, Eigen's type): casts round to nearest even; AnyTensor's compute visit
// refuses them naming the op and the shape, visit_any takes them; they save and load as safetensors BF16.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "ember/ember.hpp"

using namespace ember;

namespace {

std::uint16_t bits(bfloat16 v) {
  std::uint16_t b;
  std::memcpy(&b, &v, 2);
  return b;
}

}  // namespace

TEST(BFloat16, CastsRoundToNearestEven) {
  auto x = Tensor<float>::empty({4});
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even one (1); 1 + 3 * 2^-8, halfway between
  // 1 + 2^-7 and 1 + 2^-6, goes up to the even 1 + 2^-6.
  const float v[4] = {1.0f, 1.00390625f, 1.01171875f, -0.0f};
  std::copy(v, v + 4, x.data());
  const Tensor<bfloat16> b = x.to<bfloat16>();
  EXPECT_EQ(b.dtype(), DType::BFloat16);
  EXPECT_EQ(bits(b.data()[0]), 0x3f80);
  EXPECT_EQ(bits(b.data()[1]), 0x3f80);
  EXPECT_EQ(bits(b.data()[2]), 0x3f82);
  EXPECT_EQ(bits(b.data()[3]), 0x8000);
  const Tensor<std::int64_t> i = b.to<std::int64_t>();
  EXPECT_EQ(i.data()[2], 1);
  EXPECT_FLOAT_EQ(b.to<float>().data()[2], 1.015625f);  // 0x3f82
}

TEST(BFloat16, ComputeVisitRefusesByNameAndShape) {
  const AnyTensor a = AnyTensor(zeros<float>({2, 3})).to(DType::BFloat16);
  EXPECT_EQ(a.dtype(), DType::BFloat16);
  EXPECT_EQ(a.shape(), Shape({2, 3}));
  try {
    a.visit([](const auto& t) { return AnyTensor(ember::exp(t)); }, "exp");
    FAIL() << "no error";
  } catch (const TypeError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[exp]"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
    EXPECT_NE(m.find(".float()"), std::string::npos) << m;
  }
  EXPECT_EQ(a.visit_any([](const auto& t) { return t.numel(); }), 6);
  EXPECT_THROW(dispatch_dtype(DType::BFloat16, [](auto) { return 0; }, "zeros"), TypeError);
  EXPECT_EQ(dispatch_any_dtype(DType::BFloat16, [](auto tag) { return sizeof(tag); }), 2u);
}

TEST(BFloat16, AutogradThroughCastsViewsAndCat) {
  // w (bfloat16 leaf) -> views, cat, broadcast -> float32 sum: the gradient flows back rounded to bfloat16.
  const Tensor<bfloat16> w = tensor<float>({1.f, 2.f, 3.f}).to<bfloat16>();
  w.requires_grad_(true);
  const Tensor<bfloat16> joined = cat({w, w.narrow(0, 1, 2)}, 0);  // (5,): w0 once, w1 and w2 twice
  const Tensor<bfloat16> wide = joined.reshape({5, 1}).expand({5, 4});
  (wide.to<float>() * 0.5f).sum().backward();
  const Tensor<bfloat16> g = w.grad();
  ASSERT_TRUE(g.defined());
  EXPECT_EQ(g.dtype(), DType::BFloat16);
  EXPECT_EQ(static_cast<float>(g.data()[0]), 2.f);
  EXPECT_EQ(static_cast<float>(g.data()[1]), 4.f);
  EXPECT_EQ(static_cast<float>(g.data()[2]), 4.f);
  // sum over a bfloat16 tensor accumulates in float32: 4096 ones, where a bfloat16 running sum stops at 256
  EXPECT_EQ(static_cast<float>(sum(ones<bfloat16>({4096})).item()), 4096.f);
  EXPECT_THROW(zeros<std::int64_t>({2}).requires_grad_(true), TypeError);
}

TEST(BFloat16, SafetensorsRoundTrip) {
  auto x = Tensor<float>::empty({3});
  const float v[3] = {1.5f, -2.0f, 3.140625f};
  std::copy(v, v + 3, x.data());
  const auto path = (std::filesystem::temp_directory_path() / "ember_bf16_test.safetensors").string();
  io::save_safetensors(path, {{"w", AnyTensor(x.to<bfloat16>())}});
  const auto loaded = io::load_safetensors(path);
  std::filesystem::remove(path);
  ASSERT_EQ(loaded.tensors.size(), 1u);
  const AnyTensor& y = loaded.tensors[0].second;
  ASSERT_EQ(y.dtype(), DType::BFloat16);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(static_cast<float>(y.get<bfloat16>().data()[k]), v[k]);
}
