#pragma once
// DistributedDataParallel for the C++ training loop, as ember.nn.parallel.DistributedDataParallel: the
// module plumbing (structure check, broadcasts, post-accumulate-grad hooks) around the Reducer both share
// (reducer.hpp: buckets, their async all-reduces during backward, no_sync). Every parameter must get a
// gradient in each synchronized backward (unused parameters are refused at the next forward, naming them).
// Include after ember/ember.hpp; needs mpi.h.
#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ember/autograd/hooks.hpp"
#include "ember/distributed/reducer.hpp"
#include "ember/distributed/tensor_collectives.hpp"
#include "ember/ember.hpp"

namespace ember::distributed {

struct DDPOptions {
  double bucket_cap_mb = 25;
  bool broadcast_buffers = true;  // broadcast buffers (BatchNorm's running stats) from rank 0 before forward
  ProcessGroupPtr process_group = nullptr;  // the ranks that train together (new_group; null: all)
};

template <FloatElement T>
class DistributedDataParallel {
 public:
  /// Checks that every rank holds the same structure (std::invalid_argument naming the first difference),
  /// broadcasts parameters and buffers from rank 0 and installs the gradient hooks.
  explicit DistributedDataParallel(std::shared_ptr<nn::Module<T>> module, DDPOptions options = {})
      : module_(std::move(module)), options_(options) {
    EMBER_CHECK(module_ != nullptr, "DistributedDataParallel", "module is null");
    group_ = options_.process_group;
    root_ = group_ ? get_global_rank(group_, 0) : 0;
    check_same_structure();
    for (const auto& p : module_->parameters()) broadcast(p.detach(), root_, false, group_);
    broadcast_buffers();
    std::vector<ReducerParam> described;
    std::vector<Tensor<T>> params;
    for (auto& [name, p] : module_->named_parameters()) {
      if (!p.requires_grad()) continue;
      described.push_back({name, dtype_of<T>, p.numel()});
      params.push_back(p);
    }
    reducer_ = std::make_shared<Reducer>(std::move(described), options_.bucket_cap_mb,
                                         "Every parameter must be part of the loss (find_unused_parameters is "
                                         "Python-only)",
                                         group_);
    for (std::size_t k = 0; k < params.size(); ++k)
      hooks_.push_back(register_post_accumulate_grad_hook<T>(
          params[k], [weak = std::weak_ptr<Reducer>(reducer_), k](const Tensor<T>& p) {
            auto r = weak.lock();
            if (!r || !r->armed()) return;
            Tensor<T> g = p.grad();
            if (!g.is_contiguous()) {
              g = g.contiguous();
              p.set_grad(g);
            }
            r->mark_ready(k, g.data());
          }));
  }
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;
  ~DistributedDataParallel() {
    for (auto& h : hooks_) h.remove();
  }

  /// Refuses to go on when the last synchronized backward left gradients unreduced, broadcasts the
  /// buffers from rank 0 (broadcast_buffers), then runs the module.
  Tensor<T> forward(const Tensor<T>& x) {
    reducer_->check_finished();
    if (options_.broadcast_buffers) broadcast_buffers();
    Tensor<T> out = module_->forward(x);
    reducer_->prepare(::ember::is_grad_enabled());
    return out;
  }
  Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

  nn::Module<T>& module() { return *module_; }
  std::vector<Tensor<T>> parameters() const { return module_->parameters(); }
  std::size_t num_buckets() const { return reducer_->num_buckets(); }
  Reducer& reducer() { return *reducer_; }

  /// While alive, forwards do not synchronize their backward (local gradient accumulation).
  class NoSync {
   public:
    explicit NoSync(DistributedDataParallel& d) : d_(d), old_(d.reducer_->sync()) { d_.reducer_->set_sync(false); }
    ~NoSync() { d_.reducer_->set_sync(old_); }
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    DistributedDataParallel& d_;
    bool old_;
  };
  [[nodiscard]] NoSync no_sync() { return NoSync(*this); }

 private:
  void broadcast_buffers() {
    for (auto& [name, b] : module_->named_buffers())
      b.visit([this](const auto& t) { broadcast(t, root_, false, group_); });
  }

  /// One line per parameter and buffer ("parameter 0.weight float32 (8, 5)"), gathered from every rank.
  void check_same_structure() {
    std::vector<ModelEntry> entries;
    for (auto& [n, p] : module_->named_parameters())
      entries.push_back({"parameter", n, dtype_of<T>, std::vector<std::int64_t>(p.shape().begin(), p.shape().end())});
    for (auto& [n, b] : module_->named_buffers())
      entries.push_back({"buffer", n, b.dtype(), std::vector<std::int64_t>(b.shape().begin(), b.shape().end())});
    check_same_model(entries, root_, group_);
  }

  std::shared_ptr<nn::Module<T>> module_;
  DDPOptions options_;
  // Shared with the hooks (weakly): the hooks live in the parameters, which may outlive this object.
  std::shared_ptr<Reducer> reducer_;
  ProcessGroupPtr group_;
  int root_ = 0;  // the group's first rank, whose parameters and buffers every rank takes
  std::vector<HookHandle> hooks_;
};

}  // namespace ember::distributed
