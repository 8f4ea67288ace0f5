#pragma once
// embedding: rows of a (num_embeddings, embedding_dim) table picked by integer indices; embedding_bag:
// the sum, mean or max of bags of such rows.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"

namespace ember {

namespace detail {

/// Throws std::out_of_range naming the ids of flat (contiguous, 1-d) outside [0, num).
template <Element I>
void check_embedding_ids(const Tensor<I>& flat, std::int64_t num, const char* op) {
  const I* p = flat.data();
  for (std::int64_t i = 0; i < flat.numel(); ++i)
    if (p[i] < 0 || p[i] >= num) [[unlikely]]
      fail<std::out_of_range>(op, "index out of range: ",
                              bad_values(std::span<const I>(p, static_cast<std::size_t>(flat.numel())),
                                         [num](std::int64_t v) { return v >= 0 && v < num; }),
                              " not in [0, ", num - 1, "] (num_embeddings=", num, ")");
}

/// padding_idx checked against num rows and counted from the start (a negative one counts from the end).
inline std::optional<std::int64_t> embedding_padding(std::optional<std::int64_t> padding_idx, std::int64_t num,
                                                     const char* op) {
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -num && *padding_idx < num, op, "padding_idx must be within num_embeddings (", num,
                "), got ", *padding_idx);
    if (*padding_idx < 0) *padding_idx += num;
  }
  return padding_idx;
}

}  // namespace detail

/// Rows of weight (num_embeddings, embedding_dim) picked by the integer indices (any shape, int64 or
/// int32): out (*indices.shape, embedding_dim). The row at padding_idx (negative counts from the end)
/// receives no gradient. Indices outside [0, num_embeddings) raise std::out_of_range naming them.
template <FloatElement T, Element I>
  requires(std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>)
Tensor<T> embedding(const Tensor<I>& indices, const Tensor<T>& weight,
                    std::optional<std::int64_t> padding_idx = std::nullopt) {
  constexpr const char* op = "embedding";
  EMBER_CHECK(weight.dim() == 2, op, "weight must be 2-d (num_embeddings, embedding_dim), got shape ",
              weight.shape());
  const std::int64_t num = weight.size(0), dim = weight.size(1);
  padding_idx = detail::embedding_padding(padding_idx, num, op);
  const Tensor<I> flat = indices.reshape({-1}).contiguous();
  detail::check_embedding_ids(flat, num, op);
  Shape shape = indices.shape();
  shape.push_back(dim);
  Tensor<T> out = index_select(weight.detach(), 0, flat).reshape(shape);
  if (autograd::needs_grad(weight)) {
    // dweight[idx[i]] += g[i] for every i whose index is not padding_idx
    Tensor<bool> pad_rows;
    if (padding_idx) pad_rows = flat.eq(*padding_idx).unsqueeze(1);
    autograd::record(op, out, [si = autograd::Saved<I>(flat, op), pad_rows, num, dim](const Tensor<T>& g) {
      const Tensor<I>& idx = si.get();
      Tensor<T> g2 = g.reshape({idx.numel(), dim});
      if (pad_rows.defined()) g2 = where(pad_rows, T(0), g2);
      const Shape idx_strides{idx.dim() == 1 ? idx.strides()[0] : 0, 0};
      return detail::scatter_add_grad(Shape{num, dim}, idx.data(), idx_strides, g2, 0);
    }, weight);
  }
  return out;
}

/// How embedding_bag reduces the rows of a bag.
enum class BagMode { Sum, Mean, Max };

inline BagMode parse_bag_mode(std::string_view mode) {
  if (mode == "sum") return BagMode::Sum;
  if (mode == "mean") return BagMode::Mean;
  if (mode == "max") return BagMode::Max;
  detail::fail<std::invalid_argument>("embedding_bag", "mode must be 'sum', 'mean' or 'max', got '", mode, "'");
}

namespace detail {

/// Where embedding_bag's bags start in the flat input: bag b is entries [start[b], start[b + 1]). A 2-d
/// input is one bag per row (no offsets); a 1-d input needs offsets, the first 0 and none decreasing.
/// With include_last_offset the last offset is the input's end (CSR row pointers), else the end is implied.
template <Element I>
std::vector<std::int64_t> bag_starts(const Tensor<I>& input, const std::optional<Tensor<I>>& offsets,
                                     bool include_last_offset, const char* op) {
  const std::int64_t n = input.numel();
  std::vector<std::int64_t> start;
  if (input.dim() == 2) {
    EMBER_CHECK(!offsets, op, "offsets must be None for a 2-d input (each row is a bag), got offsets of shape ",
                offsets ? offsets->shape() : Shape{});
    for (std::int64_t b = 0; b <= input.size(0); ++b) start.push_back(b * input.size(1));
    return start;
  }
  EMBER_CHECK(input.dim() == 1, op, "input must be 1-d (with offsets) or 2-d (a bag per row), got shape ",
              input.shape());
  EMBER_CHECK(offsets.has_value(), op, "a 1-d input of shape ", input.shape(),
              " needs offsets (where each bag starts)");
  EMBER_CHECK(offsets->dim() == 1, op, "offsets must be 1-d, got shape ", offsets->shape());
  const Tensor<I> off = offsets->contiguous();
  const I* o = off.data();
  const std::int64_t k = off.numel();
  EMBER_CHECK(!include_last_offset || k >= 1, op, "include_last_offset needs at least one offset, got none");
  EMBER_CHECK(k == 0 || o[0] == 0, op, "offsets[0] must be 0 (the first bag starts at the first index), got ", o[0]);
  for (std::int64_t i = 0; i < k; ++i) {
    EMBER_CHECK_INDEX(o[i] <= n, op, "offsets[", i, "] = ", o[i], " is past the end of the input (", n, " indices)");
    EMBER_CHECK(i == 0 || o[i] >= o[i - 1], op, "offsets must not decrease, got offsets[", i - 1, "] = ", o[i - 1],
                " > offsets[", i, "] = ", o[i]);
    start.push_back(o[i]);
  }
  if (include_last_offset)  // CSR's row pointers: PyTorch's kernels disagree on a last bag that ends elsewhere
    EMBER_CHECK(o[k - 1] == n, op, "with include_last_offset the last offset must equal the number of indices (",
                n, "), got ", o[k - 1]);
  else
    start.push_back(n);
  return start;
}

}  // namespace detail

/// The rows of weight (num_embeddings, embedding_dim) picked by input, reduced per bag: out (bags,
/// embedding_dim), as torch.nn.functional.embedding_bag. input is 2-d (a bag per row) or 1-d with
/// offsets (where each bag starts). mode "sum" (each row scaled by per_sample_weights, input's shape,
/// when given), "mean" or "max"; an empty bag gives zeros. Entries equal to padding_idx are left out
/// (nor counted by "mean"). Gradients reach weight and per_sample_weights; "max" sends each element's
/// gradient to the row that gave the maximum.
template <FloatElement T, Element I>
  requires(std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>)
Tensor<T> embedding_bag(const Tensor<I>& input, const Tensor<T>& weight,
                        const std::type_identity_t<std::optional<Tensor<I>>>& offsets = std::nullopt, std::string_view mode = "mean",
                        const OptionalTensor<T>& per_sample_weights = std::nullopt, bool include_last_offset = false,
                        std::optional<std::int64_t> padding_idx = std::nullopt) {
  constexpr const char* op = "embedding_bag";
  detail::check_cpu(op, input, weight);
  const BagMode bag_mode = parse_bag_mode(mode);
  EMBER_CHECK(weight.dim() == 2, op, "weight must be 2-d (num_embeddings, embedding_dim), got shape ",
              weight.shape());
  const std::int64_t num = weight.size(0), dim = weight.size(1);
  padding_idx = detail::embedding_padding(padding_idx, num, op);
  const std::vector<std::int64_t> start = detail::bag_starts(input, offsets, include_last_offset, op);
  const Tensor<I> flat = input.reshape({-1}).contiguous();
  detail::check_embedding_ids(flat, num, op);
  Tensor<T> psw;
  if (per_sample_weights) {
    EMBER_CHECK(bag_mode == BagMode::Sum, op, "per_sample_weights are only supported for mode='sum', got mode='",
                mode, "'");
    EMBER_CHECK(per_sample_weights->shape() == input.shape(), op, "per_sample_weights of shape ",
                per_sample_weights->shape(), " must have the input's shape ", input.shape());
    detail::check_cpu(op, *per_sample_weights);
    psw = per_sample_weights->detach().reshape({-1}).contiguous();
  }
  const std::int64_t bags = static_cast<std::int64_t>(start.size()) - 1;
  const Tensor<T> w = weight.detach().contiguous();
  Tensor<T> out = zeros<T>({bags, dim});
  std::vector<std::int64_t> count(static_cast<std::size_t>(bags), 0);
  Tensor<std::int64_t> argmax;  // (bags, dim): the row each maximum came from, -1 in an empty bag
  if (bag_mode == BagMode::Max) argmax = full<std::int64_t>({bags, dim}, -1);
  const I* id = flat.data();
  const T* wp = w.data();
  const T* sp = psw.defined() ? psw.data() : nullptr;
  T* outp = out.data();
  std::int64_t* am = argmax.defined() ? argmax.data() : nullptr;
#pragma omp parallel for if (bags > 1 && flat.numel() * dim >= (1 << 15))
  for (std::int64_t b = 0; b < bags; ++b) {
    T* o = outp + b * dim;
    std::int64_t c = 0;
    for (std::int64_t j = start[b]; j < start[b + 1]; ++j) {
      if (padding_idx && id[j] == *padding_idx) continue;
      const T* row = wp + static_cast<std::int64_t>(id[j]) * dim;
      if (bag_mode == BagMode::Max) {
        std::int64_t* a = am + b * dim;
        for (std::int64_t e = 0; e < dim; ++e)  // NaN wins, as in max
          if (c == 0 || row[e] > o[e] || (row[e] != row[e] && o[e] == o[e])) o[e] = row[e], a[e] = id[j];
      } else {
        const T s = sp ? sp[j] : T(1);
        for (std::int64_t e = 0; e < dim; ++e) o[e] += s * row[e];
      }
      ++c;
    }
    count[b] = c;
    if (bag_mode == BagMode::Mean && c > 0)
      for (std::int64_t e = 0; e < dim; ++e) o[e] /= static_cast<T>(c);
  }
  const bool need_w = autograd::needs_grad(weight);
  const bool need_s = per_sample_weights && autograd::needs_grad(*per_sample_weights);
  if (need_w || need_s) {
    auto backward = [si = autograd::Saved<I>(flat, op), sw = autograd::Saved<T>(need_s ? weight : Tensor<T>(), op),
                     ss = autograd::Saved<T>(need_w ? psw : Tensor<T>(), op), start, count, argmax, bag_mode,
                     padding_idx, num, dim, need_w, need_s, two_inputs = per_sample_weights.has_value(),
                     shape = input.shape()](const Tensor<T>& grad) {
      const Tensor<T> g = grad.contiguous();
      const T* gp = g.data();
      const I* ids = si.get().data();
      const std::int64_t bags = static_cast<std::int64_t>(start.size()) - 1;
      autograd::Grads grads(two_inputs ? 2 : 1);
      if (need_w) {
        Tensor<T> dw = zeros<T>({num, dim});
        T* d = dw.data();
        const T* s = ss.get().defined() ? ss.get().data() : nullptr;
        const std::int64_t* am = argmax.defined() ? argmax.data() : nullptr;
        for (std::int64_t b = 0; b < bags; ++b) {
          const T* gb = gp + b * dim;
          if (bag_mode == BagMode::Max) {
            for (std::int64_t e = 0; e < dim; ++e)
              if (am[b * dim + e] >= 0) d[am[b * dim + e] * dim + e] += gb[e];
            continue;
          }
          for (std::int64_t j = start[b]; j < start[b + 1]; ++j) {
            if (padding_idx && ids[j] == *padding_idx) continue;
            const T k = bag_mode == BagMode::Mean ? T(1) / static_cast<T>(count[b]) : s ? s[j] : T(1);
            T* row = d + static_cast<std::int64_t>(ids[j]) * dim;
            for (std::int64_t e = 0; e < dim; ++e) row[e] += k * gb[e];
          }
        }
        grads[0] = AnyTensor(dw);
      }
      if (need_s) {  // d out[b] / d psw[j] = weight[ids[j]]
        const Tensor<T> wv = sw.get().contiguous();
        Tensor<T> ds = zeros<T>(shape);
        T* dp = ds.data();
        for (std::int64_t b = 0; b < bags; ++b)
          for (std::int64_t j = start[b]; j < start[b + 1]; ++j) {
            if (padding_idx && ids[j] == *padding_idx) continue;
            const T* row = wv.data() + static_cast<std::int64_t>(ids[j]) * dim;
            T acc = 0;
            for (std::int64_t e = 0; e < dim; ++e) acc += row[e] * gp[b * dim + e];
            dp[j] = acc;
          }
        grads[1] = AnyTensor(ds);
      }
      return grads;
    };
    if (per_sample_weights) autograd::record(op, out, std::move(backward), weight, *per_sample_weights);
    else autograd::record(op, out, std::move(backward), weight);
  }
  return out;
}

}  // namespace ember
