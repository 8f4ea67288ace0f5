#pragma once
// DistributedDataParallel for the C++ training loop, as ember.nn.parallel.DistributedDataParallel
// (python/ember/nn/parallel/distributed.py, which documents the design): buckets of parameters in reverse
// registration order, each all-reduced (AVG, async) as soon as the post-accumulate-grad hooks of all its
// parameters ran, started in bucket order on every rank, waited for and copied back into .grad when the
// last bucket has started. Every parameter must get a gradient in each synchronized backward (unused
// parameters are refused at the next forward, naming them). Include after ember/ember.hpp; needs mpi.h.
#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ember/autograd/hooks.hpp"
#include "ember/distributed/tensor_collectives.hpp"
#include "ember/ember.hpp"

namespace ember::distributed {

struct DDPOptions {
  double bucket_cap_mb = 25;
  bool broadcast_buffers = true;  // broadcast buffers (BatchNorm's running stats) from rank 0 before forward
};

template <FloatElement T>
class DistributedDataParallel {
 public:
  /// Checks that every rank holds the same structure (std::invalid_argument naming the first difference),
  /// broadcasts parameters and buffers from rank 0 and installs the gradient hooks.
  explicit DistributedDataParallel(std::shared_ptr<nn::Module<T>> module, DDPOptions options = {})
      : module_(std::move(module)), options_(options), state_(std::make_shared<State>()) {
    EMBER_CHECK(module_ != nullptr, "DistributedDataParallel", "module is null");
    check_same_structure();
    for (const auto& p : module_->parameters()) broadcast(p.detach(), 0);
    broadcast_buffers();
    auto& s = *state_;
    for (auto& [name, p] : module_->named_parameters()) {
      if (!p.requires_grad()) continue;
      s.names.push_back(name);
      s.params.push_back(p);
    }
    const double cap = options_.bucket_cap_mb * 1024 * 1024;
    double size = 0;
    for (std::size_t k = s.params.size(); k-- > 0;) {
      const double nbytes = static_cast<double>(s.params[k].numel() * sizeof(T));
      if (s.buckets.empty() || (!s.buckets.back().params.empty() && size + nbytes > cap)) {
        s.buckets.emplace_back();
        size = 0;
      }
      s.buckets.back().params.push_back(k);
      size += nbytes;
    }
    s.bucket_of.assign(s.params.size(), 0);
    for (std::size_t b = 0; b < s.buckets.size(); ++b)
      for (std::size_t k : s.buckets[b].params) s.bucket_of[k] = b;
    s.ready.assign(s.params.size(), false);
    for (std::size_t k = 0; k < s.params.size(); ++k)
      hooks_.push_back(register_post_accumulate_grad_hook<T>(
          s.params[k], [weak = std::weak_ptr<State>(state_), k](const Tensor<T>&) {
            if (auto st = weak.lock(); st && st->armed) st->mark_ready(k);
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
    auto& s = *state_;
    const bool started = std::find(s.ready.begin(), s.ready.end(), true) != s.ready.end();
    if (s.armed && started && s.next_bucket < s.buckets.size()) {
      std::string missing;
      for (std::size_t k = 0; k < s.params.size(); ++k)
        if (!s.ready[k]) missing += (missing.empty() ? "" : ", ") + s.names[k];
      s.armed = false;
      ::ember::detail::fail<std::runtime_error>("DistributedDataParallel",
          "the last backward did not reduce all gradients: parameters ", missing,
          " received no gradient; every parameter must be part of the loss (find_unused_parameters is "
          "Python-only)");
    }
    if (options_.broadcast_buffers) broadcast_buffers();
    Tensor<T> out = module_->forward(x);
    s.armed = sync_ && ::ember::is_grad_enabled();
    s.ready.assign(s.params.size(), false);
    s.next_bucket = 0;
    for (auto& b : s.buckets) {
      b.pending = b.params.size();
      b.work.reset();
    }
    return out;
  }
  Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

  nn::Module<T>& module() { return *module_; }
  std::vector<Tensor<T>> parameters() const { return module_->parameters(); }
  std::size_t num_buckets() const { return state_->buckets.size(); }

  /// While alive, forwards do not synchronize their backward (local gradient accumulation).
  class NoSync {
   public:
    explicit NoSync(DistributedDataParallel& d) : d_(d), old_(d.sync_) { d_.sync_ = false; }
    ~NoSync() { d_.sync_ = old_; }
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    DistributedDataParallel& d_;
    bool old_;
  };
  [[nodiscard]] NoSync no_sync() { return NoSync(*this); }

 private:
  struct Bucket {
    std::vector<std::size_t> params;
    std::size_t pending = 0;
    Tensor<T> flat;
    WorkPtr work;
  };
  // Shared with the hooks (weakly): the hooks live in the parameters, which may outlive this object.
  struct State {
    std::vector<std::string> names;
    std::vector<Tensor<T>> params;
    std::vector<Bucket> buckets;
    std::vector<std::size_t> bucket_of;
    std::vector<bool> ready;
    std::size_t next_bucket = 0;
    bool armed = false;

    void mark_ready(std::size_t k) {
      EMBER_CHECK(!ready[k], "DistributedDataParallel", "parameter '", names[k],
                  "' got its gradient twice in one iteration (a second backward through the same forward)");
      ready[k] = true;
      for (std::size_t b = 0; b < next_bucket; ++b)  // let MPI progress the buckets in flight
        if (buckets[b].work) buckets[b].work->is_completed();
      if (--buckets[bucket_of[k]].pending != 0) return;
      while (next_bucket < buckets.size() && buckets[next_bucket].pending == 0) launch(buckets[next_bucket++]);
      if (next_bucket == buckets.size()) finish();
    }
    void launch(Bucket& b) {
      std::int64_t n = 0;
      for (std::size_t k : b.params) n += params[k].numel();
      b.flat = Tensor<T>::empty({n});
      T* dst = b.flat.data();
      for (std::size_t k : b.params) {
        const Tensor<T> g = params[k].grad().contiguous();
        std::memcpy(dst, g.data(), sizeof(T) * static_cast<std::size_t>(g.numel()));
        dst += g.numel();
      }
      b.work = all_reduce(b.flat, ReduceOp::AVG, true);
    }
    void finish() {
      for (auto& b : buckets) {
        b.work->wait();
        const T* src = b.flat.data();
        for (std::size_t k : b.params) {
          Tensor<T> avg = Tensor<T>::empty(params[k].shape());
          std::memcpy(avg.data(), src, sizeof(T) * static_cast<std::size_t>(avg.numel()));
          src += avg.numel();
          params[k].set_grad(avg);
        }
        b.work.reset();
        b.flat = Tensor<T>();
      }
      armed = false;
    }
  };

  void broadcast_buffers() {
    for (auto& [name, b] : module_->named_buffers()) b.visit([](const auto& t) { broadcast(t, 0); });
  }

  /// One line per parameter and buffer ("parameter 0.weight float32 (8, 5)"), gathered from every rank.
  void check_same_structure() {
    std::ostringstream os;
    auto describe = [](DType dtype, const Shape& shape) {
      return Buffer{nullptr, dtype, std::vector<std::int64_t>(shape.begin(), shape.end()), -1}.describe();
    };
    for (auto& [n, p] : module_->named_parameters())
      os << "parameter '" << n << "' " << describe(dtype_of<T>, p.shape()) << '\n';
    for (auto& [n, b] : module_->named_buffers())
      os << "buffer '" << n << "' " << describe(b.dtype(), b.shape()) << '\n';
    const std::string mine = os.str();
    const int world = get_world_size();
    auto len = Tensor<std::int64_t>::empty({1});
    len.data()[0] = static_cast<std::int64_t>(mine.size());
    auto lens = Tensor<std::int64_t>::empty({world});
    all_gather_into_tensor(lens, len);
    std::int64_t longest = 0;
    for (int r = 0; r < world; ++r) longest = std::max(longest, lens.data()[r]);
    auto text = Tensor<std::uint8_t>::empty({longest});
    std::memset(text.data(), 0, static_cast<std::size_t>(longest));
    std::memcpy(text.data(), mine.data(), mine.size());
    auto all = Tensor<std::uint8_t>::empty({longest * world});
    all_gather_into_tensor(all, text);
    auto lines_of = [&](int r) {
      std::string s(reinterpret_cast<const char*>(all.data()) + r * longest, static_cast<std::size_t>(lens.data()[r]));
      std::vector<std::string> lines;
      std::istringstream is(s);
      for (std::string l; std::getline(is, l);) lines.push_back(l);
      return lines;
    };
    const auto first = lines_of(0);
    for (int r = 1; r < world; ++r) {
      const auto other = lines_of(r);
      for (std::size_t k = 0; k < std::max(first.size(), other.size()); ++k) {
        const std::string a = k < first.size() ? first[k] : "nothing more";
        const std::string b = k < other.size() ? other[k] : "nothing more";
        EMBER_CHECK(a == b, "DistributedDataParallel", "the ranks hold different models: at entry ", k, ", rank 0 has ",
                    a, " but rank ", r, " has ", b, "; every rank must build the same model");
      }
    }
  }

  std::shared_ptr<nn::Module<T>> module_;
  DDPOptions options_;
  std::shared_ptr<State> state_;
  std::vector<HookHandle> hooks_;
  bool sync_ = true;
};

}  // namespace ember::distributed
