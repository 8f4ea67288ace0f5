#pragma once
// Datasets and the DataLoader for C++ training loops: TensorDataset holds tensors that share their
// first dim; DataLoader walks any dataset with size() and batch(indices) in batches, shuffled by a
// seedable Generator (a new order each epoch), as torch.utils.data does.
#include <cstdint>
#include <memory>
#include <tuple>
#include <utility>

#include "ember/ops/creation.hpp"
#include "ember/ops/gather.hpp"

namespace ember::data {

/// Tensors indexed together along their first dim: sample i is (t[i]...), a batch is (t[idx]...).
template <Element... Ts>
class TensorDataset {
 public:
  /// The tensors must have at least one dim and the same size(0).
  explicit TensorDataset(Tensor<Ts>... tensors) : tensors_(std::move(tensors)...) {
    static_assert(sizeof...(Ts) > 0, "TensorDataset needs at least one tensor");
    const std::int64_t n = std::get<0>(tensors_).dim() > 0 ? std::get<0>(tensors_).size(0) : -1;
    std::size_t i = 0;
    auto check = [&](const auto& t) {
      EMBER_CHECK(t.dim() > 0 && t.size(0) == n, "TensorDataset", "size mismatch between tensors: tensor ", i,
                  " has shape ", t.shape(), " but tensor 0 has ", n, " samples");
      ++i;
    };
    std::apply([&](const auto&... t) { (check(t), ...); }, tensors_);
  }

  /// Number of samples.
  std::int64_t size() const { return std::get<0>(tensors_).size(0); }
  /// Sample i: (t[i]...).
  std::tuple<Tensor<Ts>...> get(std::int64_t i) const {
    return std::apply([i](const auto&... t) { return std::make_tuple(t.select(0, i)...); }, tensors_);
  }
  /// The samples at indices (1-D int64), stacked: (t[indices]...).
  std::tuple<Tensor<Ts>...> batch(const Tensor<std::int64_t>& indices) const {
    return std::apply([&](const auto&... t) { return std::make_tuple(index_select(t, 0, indices)...); }, tensors_);
  }
  const std::tuple<Tensor<Ts>...>& tensors() const { return tensors_; }

 private:
  std::tuple<Tensor<Ts>...> tensors_;
};

/// How a DataLoader batches: batch_size samples per batch, in a new random order each epoch when
/// shuffle, without the last short batch when drop_last.
struct DataLoaderOptions {
  std::int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
};

/// Batches of a dataset (a type with size() and batch(const Tensor<int64_t>&)): `for (auto [x, y] : loader)`.
template <class Dataset>
class DataLoader {
 public:
  using Batch = decltype(std::declval<const Dataset&>().batch(std::declval<const Tensor<std::int64_t>&>()));

  /// gen draws the shuffled orders (the default generator when null); it must outlive the loader.
  DataLoader(Dataset dataset, DataLoaderOptions options, Generator* gen = nullptr)
      : dataset_(std::move(dataset)), options_(options), gen_(gen ? gen : &default_generator()) {
    EMBER_CHECK(options_.batch_size > 0, "DataLoader", "batch_size should be a positive integer, got ",
                options_.batch_size);
  }

  /// Number of batches per epoch.
  std::int64_t size() const {
    const std::int64_t n = dataset_.size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }
  const Dataset& dataset() const { return dataset_; }

  class iterator {
   public:
    iterator(const DataLoader* loader, Tensor<std::int64_t> order, std::int64_t batch)
        : loader_(loader), order_(std::move(order)), batch_(batch) {}
    Batch operator*() const {
      const std::int64_t b = loader_->options_.batch_size, start = batch_ * b;
      const std::int64_t stop = std::min(start + b, order_.size(0));
      return loader_->dataset_.batch(order_.slice(0, start, stop));
    }
    iterator& operator++() {
      ++batch_;
      return *this;
    }
    bool operator==(const iterator& o) const { return batch_ == o.batch_; }

   private:
    const DataLoader* loader_;
    Tensor<std::int64_t> order_;
    std::int64_t batch_;
  };

  /// Starts an epoch: draws a new order when shuffling.
  iterator begin() const {
    const std::int64_t n = dataset_.size();
    return iterator(this, options_.shuffle ? randperm(n, *gen_) : arange<std::int64_t>(0, static_cast<double>(n)), 0);
  }
  iterator end() const { return iterator(this, Tensor<std::int64_t>(), size()); }

 private:
  Dataset dataset_;
  DataLoaderOptions options_;
  Generator* gen_;
};

}  // namespace ember::data
