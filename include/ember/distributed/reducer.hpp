#pragma once
// The gradient reducer of DistributedDataParallel, shared by the C++ class (ddp.hpp) and the Python one
// (ember.nn.parallel, through ember._distributed), as PyTorch's Reducer. It works on raw gradient buffers
// (pointer, dtype, element count) and needs no ember.hpp.
//
// Parameters are grouped into buckets of at most bucket_cap_mb in reverse registration order (roughly the
// order backward produces their gradients), a new bucket also where the dtype changes. Each forward that
// will be synchronized calls prepare(); backward's post-accumulate-grad hooks call mark_ready(i, grad).
// When every parameter of a bucket is ready its gradients are copied into one flat buffer and an async
// all_reduce(AVG) starts, so communication overlaps the rest of backward. Buckets start strictly in index
// order on every rank (MPI needs the same order of collectives everywhere). When the last bucket has
// started, all are waited for and the averages copied back into the gradient buffers (which must stay
// valid until then). find_unused_parameters: the wrapper marks the parameters the forward did not reach
// with mark_unused(); before copying back, the ranks sum their "used" masks, and a parameter unused on
// every rank keeps its gradient.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember/distributed/collectives.hpp"

namespace ember::distributed {

/// One parameter or buffer of a model, as DistributedDataParallel's structure check sees it.
struct ModelEntry {
  std::string kind;  // "parameter" or "buffer"
  std::string name;
  DType dtype = DType::Float32;
  std::vector<std::int64_t> shape;

  /// "parameter '0.weight' float32 (8, 5)", for errors.
  std::string describe() const { return kind + " '" + name + "' " + Buffer{nullptr, dtype, shape, -1}.describe(); }
};

/// Checks that every rank of group (the default group when null) holds the same model: the same entries in
/// the same order; std::invalid_argument naming the first difference, on every rank, otherwise. A
/// collective: every rank of the group calls it. root is the global rank the others are compared with.
inline void check_same_model(const std::vector<ModelEntry>& entries, int root, const ProcessGroupPtr& group) {
  std::string mine;
  for (const auto& e : entries) mine += e.describe() + '\n';
  const int world = get_world_size(group);
  std::vector<std::int64_t> lens(static_cast<std::size_t>(world));
  std::int64_t len = static_cast<std::int64_t>(mine.size());
  all_gather_into_tensor({lens.data(), DType::Int64, {world}, -1}, {&len, DType::Int64, {1}, -1}, false, group);
  const std::int64_t longest = *std::max_element(lens.begin(), lens.end());
  mine.resize(static_cast<std::size_t>(longest), '\0');
  std::string all(static_cast<std::size_t>(longest * world), '\0');
  all_gather_into_tensor({all.data(), DType::UInt8, {longest * world}, -1}, {mine.data(), DType::UInt8, {longest}, -1},
                         false, group);
  auto lines_of = [&](int r) {
    std::vector<std::string> lines;
    std::istringstream is(all.substr(static_cast<std::size_t>(r * longest), static_cast<std::size_t>(lens[r])));
    for (std::string l; std::getline(is, l);) lines.push_back(l);
    return lines;
  };
  const auto first = lines_of(0);
  for (int r = 1; r < world; ++r) {
    const auto other = lines_of(r);
    for (std::size_t k = 0; k < std::max(first.size(), other.size()); ++k) {
      const std::string a = k < first.size() ? first[k] : "nothing more";
      const std::string b = k < other.size() ? other[k] : "nothing more";
      EMBER_CHECK(a == b, "DistributedDataParallel", "the ranks hold different models: at entry ", k, ", rank ", root,
                  " has ", a, " but rank ", group ? get_global_rank(group, r) : r, " has ", b,
                  "; every rank must build the same model");
    }
  }
}

/// One parameter as the reducer sees it.
struct ReducerParam {
  std::string name;  // for errors
  DType dtype = DType::Float32;
  std::int64_t numel = 0;
};

class Reducer {
 public:
  /// unused_hint ends the error raised when a synchronized backward left parameters without gradient;
  /// group: the ranks that average (the default group when null).
  Reducer(std::vector<ReducerParam> params, double bucket_cap_mb, std::string unused_hint = "",
          ProcessGroupPtr group = nullptr)
      : params_(std::move(params)), unused_hint_(std::move(unused_hint)), group_(std::move(group)) {
    for (const auto& p : params_)
      EMBER_CHECK(is_floating(p.dtype), "DistributedDataParallel", "parameter '", p.name, "' has dtype ",
                  dtype_name(p.dtype), "; gradients are averaged in floating point only");
    const double cap = bucket_cap_mb * 1024 * 1024;
    double size = 0;
    for (std::size_t k = params_.size(); k-- > 0;) {
      const double nbytes = static_cast<double>(params_[k].numel) * static_cast<double>(itemsize(params_[k].dtype));
      if (buckets_.empty() ||
          (!buckets_.back().params.empty() &&
           (size + nbytes > cap || params_[buckets_.back().params.front()].dtype != params_[k].dtype))) {
        buckets_.emplace_back();
        size = 0;
      }
      buckets_.back().params.push_back(k);
      buckets_.back().numel += params_[k].numel;
      size += nbytes;
    }
    bucket_of_.assign(params_.size(), 0);
    for (std::size_t b = 0; b < buckets_.size(); ++b)
      for (std::size_t k : buckets_[b].params) bucket_of_[k] = b;
    grads_.assign(params_.size(), nullptr);
    ready_.assign(params_.size(), false);
    used_.assign(params_.size(), true);
    globally_used_.assign(params_.size(), true);
  }
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;
  ~Reducer() {
    // Buckets still in flight (backward raised midway) must not write into freed memory.
    for (auto& b : buckets_)
      if (b.work) try { b.work->wait(); } catch (...) {}
  }

  std::size_t num_params() const { return params_.size(); }
  const ReducerParam& param(std::size_t i) const {
    EMBER_CHECK_INDEX(i < params_.size(), "DistributedDataParallel", "parameter index ", i, " out of range for ",
                      params_.size(), " parameters");
    return params_[i];
  }
  std::size_t num_buckets() const { return buckets_.size(); }
  /// The parameter indices of each bucket, in launch order.
  std::vector<std::vector<std::size_t>> bucket_indices() const {
    std::vector<std::vector<std::size_t>> out;
    for (const auto& b : buckets_) out.push_back(b.params);
    return out;
  }

  /// no_sync: while false, forwards prepare no reduction (gradients accumulate locally).
  bool sync() const { return sync_; }
  void set_sync(bool on) { sync_ = on; }
  /// Whether the backward of the last forward reduces (and has not finished yet).
  bool armed() const { return armed_; }
  /// The buckets whose all-reduce started in this backward (they start while backward still runs).
  std::size_t buckets_started() const { return next_bucket_; }
  /// After a find_unused_parameters reduction: whether any rank used parameter i.
  bool globally_used(std::size_t i) const { return globally_used_.at(i); }

  /// At each forward: raises when the last synchronized backward left gradients unreduced (naming the
  /// parameters), then arms the reducer when sync() and grad_enabled. find_unused: the wrapper will
  /// mark_unused() the parameters this forward does not reach.
  void prepare(bool grad_enabled, bool find_unused = false) {
    check_finished();
    armed_ = sync_ && grad_enabled;
    find_unused_ = find_unused;
    ready_.assign(params_.size(), false);
    used_.assign(params_.size(), true);
    globally_used_.assign(params_.size(), true);
    grads_.assign(params_.size(), nullptr);
    next_bucket_ = 0;
    for (auto& b : buckets_) {
      b.pending = b.params.size();
      b.work.reset();
    }
  }

  /// Raises (and disarms) when the last synchronized backward did not reduce every gradient.
  void check_finished() {
    bool started = false;
    for (bool r : ready_) started = started || r;
    if (!armed_ || !started || next_bucket_ == buckets_.size()) return;
    std::string missing;
    for (std::size_t k = 0; k < params_.size(); ++k)
      if (!ready_[k]) missing += (missing.empty() ? "" : ", ") + params_[k].name;
    armed_ = false;
    ::ember::detail::fail<std::runtime_error>("DistributedDataParallel",
        "the last backward did not reduce all gradients: parameters ", missing, " received no gradient",
        unused_hint_.empty() ? "" : ". ", unused_hint_);
  }

  /// Parameter i's gradient (grad: its contiguous memory, numel elements of its dtype; null: zeros) is
  /// final for this backward. Returns true when this call finished the reduction (gradients averaged).
  /// Does nothing unless armed.
  bool mark_ready(std::size_t i, void* grad) {
    if (!armed_) return false;
    EMBER_CHECK_INDEX(i < params_.size(), "DistributedDataParallel", "parameter index ", i, " out of range for ",
                      params_.size(), " parameters");
    EMBER_CHECK(!ready_[i], "DistributedDataParallel", "parameter '", params_[i].name,
                "' got its gradient twice in one iteration (a second backward through the same forward): not "
                "supported");
    ready_[i] = true;
    grads_[i] = grad;
    for (std::size_t b = 0; b < next_bucket_; ++b)  // let MPI progress the buckets in flight
      if (buckets_[b].work) buckets_[b].work->is_completed();
    if (--buckets_[bucket_of_[i]].pending != 0) return false;
    while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) launch(buckets_[next_bucket_++]);
    if (next_bucket_ < buckets_.size()) return false;
    finish();
    return true;
  }

  /// find_unused_parameters: parameter i is not reached by this forward on this rank; its gradient (or
  /// zeros, grad null) enters the average. Returns true when this call finished the reduction.
  bool mark_unused(std::size_t i, void* grad) {
    if (!armed_) return false;
    used_.at(i) = false;
    return mark_ready(i, grad);
  }

 private:
  struct Bucket {
    std::vector<std::size_t> params;
    std::int64_t numel = 0;
    std::size_t pending = 0;
    std::vector<std::max_align_t> flat;
    WorkPtr work;
  };

  std::size_t nbytes(std::size_t k) const {
    return static_cast<std::size_t>(params_[k].numel) * itemsize(params_[k].dtype);
  }

  void launch(Bucket& b) {
    const DType dtype = params_[b.params.front()].dtype;
    const std::size_t total = static_cast<std::size_t>(b.numel) * itemsize(dtype);
    b.flat.resize((total + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t));
    auto* dst = reinterpret_cast<std::byte*>(b.flat.data());
    for (std::size_t k : b.params) {
      if (grads_[k]) std::memcpy(dst, grads_[k], nbytes(k));
      else std::memset(dst, 0, nbytes(k));
      dst += nbytes(k);
    }
    b.work = all_reduce(Buffer{b.flat.data(), dtype, {b.numel}}, ReduceOp::AVG, true, group_);
  }

  void finish() {
    armed_ = false;
    if (find_unused_) {
      std::vector<std::int64_t> mask(params_.size());
      for (std::size_t k = 0; k < params_.size(); ++k) mask[k] = used_[k] ? 1 : 0;
      all_reduce(Buffer{mask.data(), DType::Int64, {static_cast<std::int64_t>(mask.size())}}, ReduceOp::SUM, false,
                 group_);
      for (std::size_t k = 0; k < params_.size(); ++k) globally_used_[k] = mask[k] != 0;
    }
    for (auto& b : buckets_) {
      b.work->wait();
      b.work.reset();
      const auto* src = reinterpret_cast<const std::byte*>(b.flat.data());
      for (std::size_t k : b.params) {
        if (grads_[k] && globally_used_[k]) std::memcpy(grads_[k], src, nbytes(k));
        src += nbytes(k);
      }
    }
    grads_.assign(params_.size(), nullptr);
  }

  std::vector<ReducerParam> params_;
  std::string unused_hint_;
  ProcessGroupPtr group_;
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_;
  std::vector<void*> grads_;
  std::vector<bool> ready_, used_, globally_used_;
  std::size_t next_bucket_ = 0;
  bool sync_ = true, armed_ = false, find_unused_ = false;
};

}  // namespace ember::distributed
