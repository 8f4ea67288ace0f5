// ember::data: TensorDataset and the DataLoader (batching, shuffling, drop_last, errors).
#include <gtest/gtest.h>

#include <set>

#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;

TEST(Data, TensorDatasetIndexesTogether) {
  auto x = arange<float>(0, 12).reshape({6, 2});
  auto y = arange<std::int64_t>(0, 6);
  data::TensorDataset<float, std::int64_t> ds(x, y);
  EXPECT_EQ(ds.size(), 6);
  auto [xi, yi] = ds.get(4);
  EXPECT_EQ(xi.to_vector(), (std::vector<float>{8, 9}));
  EXPECT_EQ(yi.item(), 4);
  EXPECT_NE(error_of<std::invalid_argument>([&] { data::TensorDataset<float, std::int64_t>(x, arange<std::int64_t>(0, 5)); })
                .find("size mismatch"),
            std::string::npos);
}

TEST(Data, LoaderCoversEverySampleOncePerEpoch) {
  data::TensorDataset<std::int64_t> ds(arange<std::int64_t>(0, 10));
  Generator gen(7);
  data::DataLoader loader(ds, {.batch_size = 3, .shuffle = true}, &gen);
  EXPECT_EQ(loader.size(), 4);
  std::vector<std::int64_t> first, second;
  for (auto [b] : loader)
    for (auto v : b.to_vector()) first.push_back(v);
  for (auto [b] : loader)
    for (auto v : b.to_vector()) second.push_back(v);
  EXPECT_EQ(first.size(), 10u);
  EXPECT_EQ(std::set<std::int64_t>(first.begin(), first.end()).size(), 10u);
  EXPECT_NE(first, second);  // a new order each epoch
  Generator again(7);
  data::DataLoader replay(ds, {.batch_size = 3, .shuffle = true}, &again);
  std::vector<std::int64_t> third;
  for (auto [b] : replay)
    for (auto v : b.to_vector()) third.push_back(v);
  EXPECT_EQ(first, third);  // the same seed gives the same order
}

TEST(Data, DropLastAndErrors) {
  data::TensorDataset<float> ds(zeros<float>({10, 2}));
  data::DataLoader loader(ds, {.batch_size = 4, .drop_last = true});
  std::int64_t batches = 0;
  for (auto [b] : loader) {
    EXPECT_EQ(b.shape(), (Shape{4, 2}));
    ++batches;
  }
  EXPECT_EQ(batches, 2);
  EXPECT_NE(error_of<std::invalid_argument>([&] { data::DataLoader(ds, {.batch_size = 0}); }).find("batch_size"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { randperm(-1); }).find("non-negative"), std::string::npos);
}
