#include <gtest/gtest.h>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using namespace ember::indexing;

namespace {

using I64 = std::int64_t;

}  // namespace

TEST(IndexGather, Dim1AndDim0) {
  auto x = arange<float>(6).reshape({2, 3});
  auto idx = tensor<I64>(std::vector<I64>{2, 0, 1, 1}).reshape({2, 2});
  EXPECT_EQ(gather(x, 1, idx).to_vector(), (std::vector<float>{2, 0, 4, 4}));
  EXPECT_EQ(x.gather(0, tensor<I64>({1, 0, 1}).reshape({1, 3})).to_vector(), (std::vector<float>{3, 1, 5}));
  // non-contiguous input
  auto xt = x.mT();  // (3, 2)
  EXPECT_EQ(gather(xt, -1, tensor<I64>({1, 0, 1}).reshape({3, 1})).to_vector(), (std::vector<float>{3, 1, 5}));
}

TEST(IndexGather, Errors) {
  auto x = zeros<float>({2, 3});
  auto msg = error_of<std::out_of_range>([&] { gather(x, 1, tensor<I64>({0, 5}).reshape({1, 2})); });
  EXPECT_NE(msg.find("index 5 is out of bounds for dimension 1 with size 3"), std::string::npos) << msg;
  EXPECT_THROW(gather(x, 1, tensor<I64>({0})), std::invalid_argument);
  EXPECT_THROW(gather(x, 1, zeros<I64>({3, 1})), std::invalid_argument);
}

TEST(IndexSelect, ContiguousAndStrided) {
  auto x = arange<double>(12).reshape({3, 4});
  EXPECT_EQ(index_select(x, 0, tensor<I64>({2, 0})).to_vector(),
            (std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3}));
  EXPECT_EQ(index_select(x, 1, tensor<std::int32_t>({3, 3})).to_vector(), (std::vector<double>{3, 3, 7, 7, 11, 11}));
  EXPECT_EQ(x.mT().index_select(0, tensor<I64>({1})).to_vector(), (std::vector<double>{1, 5, 9}));
  EXPECT_THROW(index_select(x, 0, tensor<I64>({3})), std::out_of_range);
  EXPECT_THROW(index_select(x, 0, zeros<I64>({1, 1})), std::out_of_range);
}

TEST(IndexMaskedFill, BroadcastMaskAndValueTensor) {
  auto x = zeros<float>({2, 3});
  auto m = tensor<bool>({true, false, true});
  auto y = masked_fill(x, m, 7);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{7, 0, 7, 7, 0, 7}));
  EXPECT_EQ(x.to_vector()[0], 0.0f);
  x.mT().masked_fill_(tensor<bool>({true, false}).reshape({1, 2}), 2.5f);  // strided in-place
  EXPECT_EQ(x.to_vector(), (std::vector<float>{2.5f, 2.5f, 2.5f, 0, 0, 0}));
  EXPECT_EQ(masked_fill(x, m, scalar_tensor<double>(1)).to_vector()[0], 1.0f);
  EXPECT_THROW(masked_fill(x, m, tensor<float>({1})), std::invalid_argument);
  EXPECT_THROW(masked_fill_(x, tensor<bool>({true, false}), 1), std::invalid_argument);
}

TEST(IndexBasic, ViewsShareStorage) {
  auto t = arange<float>(24).reshape({2, 3, 4});
  auto v = t.index({0, Slice(1, None), None, Ellipsis});
  EXPECT_EQ(v.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(v.storage(), t.storage());
  EXPECT_EQ(v.to_vector()[0], 4.0f);
  auto s = t.index({Ellipsis, Slice(None, None, 3)});
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.to_vector()[1], 3.0f);
  EXPECT_EQ(t.index({-1, -1, -1}).item(), 23.0f);
  auto z = scalar_tensor<float>(3);
  EXPECT_EQ(z.index({}).item(), 3.0f);
  EXPECT_EQ(z.index({Ellipsis}).shape(), Shape{});
  EXPECT_EQ(z.index({None}).shape(), (Shape{1}));
}

TEST(IndexAdvanced, AdjacentAndSeparated) {
  auto t = arange<float>(120).reshape({2, 3, 4, 5});
  auto i = tensor<I64>({0, 2}), j = tensor<I64>({1, 3});
  auto a = t.index({Slice(), i, j});  // adjacent: in place
  EXPECT_EQ(a.shape(), (Shape{2, 2, 5}));
  EXPECT_EQ(a.to_vector()[5], t.index({0, 2, 3, 0}).item());
  auto b = t.index({i.index({Slice(None, 1)}), Slice(), j});  // separated: broadcast dims first
  EXPECT_EQ(b.shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(b.index({1, 2, 4}).item(), t.index({0, 2, 3, 4}).item());
  auto c = t.index({Slice(), 0, Slice(), i});  // an int with an advanced index counts as one (NumPy)
  EXPECT_EQ(c.shape(), (Shape{2, 2, 4}));
}

TEST(IndexAdvanced, BoolMask) {
  auto t = arange<float>(6).reshape({2, 3});
  auto m = tensor<bool>({true, false, true, false, false, true}).reshape({2, 3});
  EXPECT_EQ(t.index({m}).to_vector(), (std::vector<float>{0, 2, 5}));
  EXPECT_EQ(t.index({Slice(), tensor<bool>({false, true, true})}).shape(), (Shape{2, 2}));
  EXPECT_EQ(t.index({true}).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(t.index({false}).shape(), (Shape{0, 2, 3}));
  auto msg = error_of<std::out_of_range>([&] { t.index({tensor<bool>({true, false, true})}); });
  EXPECT_NE(msg.find("shape of the mask (3,)"), std::string::npos) << msg;
}

TEST(IndexPut, ScalarTensorAndScatter) {
  auto t = zeros<float>({3, 4});
  t.index_put_({1}, 5);
  EXPECT_EQ(t.index({1, 3}).item(), 5.0f);
  t.index_put_({Slice(), 0}, tensor<double>({1, 2, 3}));
  EXPECT_EQ(t.index({2, 0}).item(), 3.0f);
  t.index_put_({tensor<I64>({0, 0, 2}), tensor<I64>({1, 1, 3})}, tensor<float>({7, 8, 9}));
  EXPECT_EQ(t.index({0, 1}).item(), 8.0f);  // the last write wins
  EXPECT_EQ(t.index({2, 3}).item(), 9.0f);
  t.index_put_({t.index({Ellipsis}).to<bool>()}, -1);  // every non-zero entry
  EXPECT_EQ(t.index({1, 2}).item(), -1.0f);
  EXPECT_EQ(t.index({0, 2}).item(), 0.0f);
  auto big = zeros<double>({5, 3, 4});
  big.index_put_({tensor<I64>({4, 0, 4})}, 2);  // scalar fill of whole rows
  big.index_put_({Slice(), tensor<I64>({1})}, tensor<float>({1, 2, 3, 4}));  // (4,) broadcast to (5, 1, 4)
  EXPECT_EQ(big.index({4, 0, 3}).item(), 2.0);
  EXPECT_EQ(big.index({4, 1, 3}).item(), 4.0);
  EXPECT_EQ(big.index({2, 2, 0}).item(), 0.0);
  EXPECT_EQ(big.index({Slice(1, 4), 0}).to_vector(), std::vector<double>(12, 0.0));
  auto msg = error_of<std::invalid_argument>([&] { t.index_put_({0}, tensor<float>({1, 2, 3})); });
  EXPECT_NE(msg.find("value tensor of shape (3,) cannot be broadcast to indexing result of shape (4,)"),
            std::string::npos) << msg;
}

TEST(IndexErrors, TypesAndMessages) {
  auto t = zeros<float>({2, 3});
  auto msg = error_of<std::out_of_range>([&] { t.index({2}); });
  EXPECT_NE(msg.find("index 2 is out of bounds for dimension 0 with size 2"), std::string::npos) << msg;
  msg = error_of<std::out_of_range>([&] { t.index({0, 0, 0}); });
  EXPECT_NE(msg.find("too many indices for tensor of dimension 2"), std::string::npos) << msg;
  EXPECT_THROW(t.index({Ellipsis, Ellipsis}), std::out_of_range);
  EXPECT_THROW(t.index({Slice(None, None, -1)}), std::invalid_argument);
  EXPECT_THROW(t.index({tensor<float>({0})}), std::out_of_range);
  EXPECT_THROW(t.index({tensor<I64>({0, 1}), tensor<I64>({0, 1, 2})}), std::out_of_range);
  EXPECT_THROW(t.index({Slice(), tensor<I64>({-4})}), std::out_of_range);
}
