#pragma once
// ember::serve::Batcher: the dynamic batcher of one served model. Requests (each one or more rows along
// dim 0) wait in a bounded queue; one worker thread takes up to max_batch rows, or whatever arrived within
// max_delay_us of the oldest waiting request, concatenates them along dim 0, runs one forward and hands
// each request its own rows of every output. The delay is spent only while clients are concurrent (the
// previous forward served several requests): a lone client's request runs at once. Pure C++: no HTTP
// (server.hpp puts it behind one).
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ember/core/any_tensor.hpp"

namespace ember::serve {

using Tensors = std::vector<AnyTensor>;
/// What the batcher runs: the model's forward on a batch of inputs (one tensor per model input).
using ForwardFn = std::function<Tensors(const Tensors&)>;

/// How a request ended: the HTTP layer maps these to 200, 503, 504, 400 and 500.
enum class Status { ok, queue_full, timeout, invalid, error, stopped };

/// A request's outcome: its own rows of every output when status is ok, else a message.
struct Result {
  Status status = Status::ok;
  Tensors outputs;
  std::string error;
};

struct BatcherOptions {
  std::int64_t max_batch = 64;         // rows per forward (a request with more rows runs alone)
  std::int64_t max_delay_us = 2000;    // how long the oldest request waits for others to join it
  std::size_t queue_capacity = 1024;   // waiting requests; one more is refused with Status::queue_full
  std::int64_t timeout_us = 30'000'000;  // a request still waiting after this is answered Status::timeout
  // False when the model's outputs do not have the batch as dim 0: every request then runs alone.
  bool splittable = true;
  // Called by the worker after each forward with its number of rows (metrics).
  std::function<void(std::int64_t)> on_batch;
};

/// A per-model dynamic batcher with one worker thread; submit() may be called from any thread.
class Batcher {
 public:
  using Callback = std::function<void(Result)>;
  using Clock = std::chrono::steady_clock;

  Batcher(ForwardFn forward, BatcherOptions options) : forward_(std::move(forward)), opt_(std::move(options)) {
    if (opt_.max_batch < 1) throw std::invalid_argument("[serve.batcher] max_batch must be >= 1, got " +
                                                        std::to_string(opt_.max_batch));
    if (opt_.queue_capacity < 1) throw std::invalid_argument("[serve.batcher] queue_capacity must be >= 1");
    worker_ = std::thread([this] { work(); });
  }
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;
  /// Answers every queued request (running them), then joins the worker.
  ~Batcher() { stop(); }

  /// Queues inputs (one tensor per model input, rows along dim 0); cb is called exactly once, from the
  /// worker thread, or from this thread when the queue is full or the batcher has stopped.
  void submit(Tensors inputs, Callback cb) {
    const std::int64_t rows = !inputs.empty() && inputs[0].defined() && inputs[0].dim() >= 1 ? inputs[0].shape()[0] : 1;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return cb({Status::stopped, {}, "the server is shutting down"});
      if (queue_.size() >= opt_.queue_capacity)
        return cb({Status::queue_full, {}, "the queue of " + std::to_string(opt_.queue_capacity) +
                                               " requests is full; retry later"});
      const auto now = Clock::now();
      queue_.push_back({std::move(inputs), std::move(cb), rows, now,
                        now + std::chrono::microseconds(opt_.timeout_us)});
    }
    cv_.notify_one();
  }

  /// submit() with a future instead of a callback.
  std::future<Result> submit(Tensors inputs) {
    auto p = std::make_shared<std::promise<Result>>();
    auto f = p->get_future();
    submit(std::move(inputs), [p](Result r) { p->set_value(std::move(r)); });
    return f;
  }

  /// Requests waiting (not yet taken into a batch).
  std::size_t queue_depth() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  const BatcherOptions& options() const { return opt_; }

  /// Refuses new requests, runs those already queued, and joins the worker. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  }

 private:
  struct Request {
    Tensors inputs;
    Callback cb;
    std::int64_t rows;
    Clock::time_point enqueued, deadline;
  };

  void work() {
    for (;;) {
      std::vector<Request> batch;
      std::vector<Request> expired;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        const auto collect_until = queue_.front().enqueued + std::chrono::microseconds(opt_.max_delay_us);
        std::int64_t rows = 0;
        for (;;) {
          const auto now = Clock::now();
          while (!queue_.empty()) {
            Request& r = queue_.front();
            if (r.deadline <= now) {
              expired.push_back(std::move(r));
              queue_.pop_front();
              continue;
            }
            // A request is never split; one with more rows than max_batch runs alone.
            if (!batch.empty() && (!opt_.splittable || rows + r.rows > opt_.max_batch)) break;
            rows += r.rows;
            batch.push_back(std::move(r));
            queue_.pop_front();
            if (!opt_.splittable) break;
          }
          const bool full = rows >= opt_.max_batch || !opt_.splittable || !queue_.empty();
          // Waiting only pays when clients are concurrent: after a forward that served one request, a lone
          // request runs at once (no queue delay for a single client); others then gather while it runs.
          if (full || stopping_ || now >= collect_until || !last_shared_) break;
          if (batch.empty() && queue_.empty()) break;  // only expired ones were there
          cv_.wait_until(lock, collect_until);
        }
      }
      if (!batch.empty()) last_shared_ = batch.size() > 1;
      for (auto& r : expired)
        r.cb({Status::timeout, {}, "the request waited longer than its timeout of " +
                                       std::to_string(opt_.timeout_us / 1000) + " ms in the queue"});
      if (!batch.empty()) run(batch);
    }
  }

  /// Runs one forward over the requests' rows and answers each with its own rows.
  void run(std::vector<Request>& batch) {
    if (batch.size() == 1 || !compatible(batch)) {
      for (auto& r : batch) run_alone(r);
      return;
    }
    std::int64_t total = 0;
    for (const auto& r : batch) total += r.rows;
    Tensors inputs;
    for (std::size_t i = 0; i < batch[0].inputs.size(); ++i) inputs.push_back(concat(batch, i, total));
    Tensors outputs;
    try {
      outputs = forward_(inputs);
    } catch (const std::exception&) {
      // One bad request must not fail the others: run each alone so that only the culprit errs.
      for (auto& r : batch) run_alone(r);
      return;
    }
    for (const auto& o : outputs)
      if (!o.defined() || o.dim() < 1 || o.shape()[0] != total || o.device().is_cuda()) {
        for (auto& r : batch) run_alone(r);
        return;
      }
    if (opt_.on_batch) opt_.on_batch(total);
    std::int64_t start = 0;
    for (auto& r : batch) {
      Tensors mine;
      for (const auto& o : outputs) mine.push_back(rows_of(o, start, r.rows));
      start += r.rows;
      r.cb({Status::ok, std::move(mine), {}});
    }
  }

  void run_alone(Request& r) {
    Result res;
    try {
      res.outputs = forward_(r.inputs);
      if (opt_.on_batch) opt_.on_batch(r.rows);
    } catch (const std::invalid_argument& e) {
      res = {Status::invalid, {}, e.what()};
    } catch (const std::logic_error& e) {  // TypeError and friends: the input's fault
      res = {Status::invalid, {}, e.what()};
    } catch (const std::exception& e) {
      res = {Status::error, {}, e.what()};
    }
    r.cb(std::move(res));
  }

  /// True when every request's inputs agree in count, dtype and non-batch dims (rows can be stacked).
  static bool compatible(const std::vector<Request>& batch) {
    const Tensors& a = batch[0].inputs;
    for (const auto& r : batch) {
      if (r.inputs.size() != a.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        const AnyTensor& x = r.inputs[i];
        if (!x.defined() || !a[i].defined() || x.dim() < 1 || x.dtype() != a[i].dtype() || x.dim() != a[i].dim() ||
            x.shape()[0] != r.rows || !x.device().is_cpu())
          return false;
        for (std::int64_t d = 1; d < x.dim(); ++d)
          if (x.shape()[d] != a[i].shape()[d]) return false;
      }
    }
    return true;
  }

  /// Input i of every request stacked along dim 0 (rows in queue order).
  static AnyTensor concat(const std::vector<Request>& batch, std::size_t i, std::int64_t total) {
    return batch[0].inputs[i].visit([&](const auto& first) {
      using T = typename std::decay_t<decltype(first)>::value_type;
      Shape shape = first.shape();
      shape[0] = total;
      auto out = Tensor<T>::empty(shape);
      T* dst = out.data();
      for (const auto& r : batch) {
        const Tensor<T>& t = r.inputs[i].template get<T>();
        copy_rows(t, dst);
        dst += t.numel();
      }
      return AnyTensor(out);
    });
  }

  /// Rows [start, start + n) of o as a tensor of their own (nothing shared with the batch's output).
  static AnyTensor rows_of(const AnyTensor& o, std::int64_t start, std::int64_t n) {
    return o.visit([&](const auto& t) {
      using T = typename std::decay_t<decltype(t)>::value_type;
      Shape shape = t.shape();
      const std::int64_t row = shape[0] ? t.numel() / shape[0] : 0;
      shape[0] = n;
      auto out = Tensor<T>::empty(shape);
      if (t.is_contiguous()) {
        std::memcpy(static_cast<void*>(out.data()), t.data() + start * row, sizeof(T) * n * row);
      } else {
        strided_copy(t, start, n, out.data());
      }
      return AnyTensor(out);
    });
  }

  template <Element T>
  static void copy_rows(const Tensor<T>& t, T* dst) {
    if (t.is_contiguous()) std::memcpy(static_cast<void*>(dst), t.data(), sizeof(T) * t.numel());
    else strided_copy(t, 0, t.shape()[0], dst);
  }

  /// Copies rows [start, start + n) of a strided CPU tensor into dst, row-major.
  template <Element T>
  static void strided_copy(const Tensor<T>& t, std::int64_t start, std::int64_t n, T* dst) {
    const Shape& sh = t.shape();
    const Shape& st = t.strides();
    const std::size_t nd = sh.size();
    std::vector<std::int64_t> idx(nd, 0);
    std::int64_t count = n;
    for (std::size_t d = 1; d < nd; ++d) count *= sh[d];
    idx[0] = start;
    for (std::int64_t k = 0; k < count; ++k) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < nd; ++d) off += idx[d] * st[d];
      dst[k] = t.data()[off];
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < sh[d] || d == 0) break;
        idx[d] = 0;
      }
    }
  }

  ForwardFn forward_;
  BatcherOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  bool last_shared_ = false;  // the last forward served several requests (worker thread only)
  std::thread worker_;  // last: it starts once everything above exists
};

}  // namespace ember::serve
