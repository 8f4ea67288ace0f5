#pragma once
// Serving metrics in the Prometheus text exposition format (version 0.0.4): per model, requests and
// failures (by HTTP status), a latency histogram, a batch-size histogram and the queue depth. Counters
// are relaxed atomics: recording never takes a lock.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace ember::serve {

/// A Prometheus histogram with fixed upper bounds (+Inf implied).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

  void observe(double x) {
    std::size_t i = 0;
    while (i < bounds_.size() && x > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(x, std::memory_order_relaxed);
  }

  /// Appends the _bucket, _sum and _count lines of `name` with labels (`model="m"`).
  void render(std::ostream& os, const std::string& name, const std::string& labels) const {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      os << name << "_bucket{" << labels << ",le=\"";
      if (i < bounds_.size()) os << bounds_[i];
      else os << "+Inf";
      os << "\"} " << cumulative << '\n';
    }
    os << name << "_sum{" << labels << "} " << sum_.load(std::memory_order_relaxed) << '\n';
    os << name << "_count{" << labels << "} " << cumulative << '\n';
  }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<double> sum_{0.0};
};

/// The counters of one served model.
struct ModelMetrics {
  /// The HTTP statuses counted as failures, each with its own counter.
  static constexpr std::array<int, 10> kCodes = {400, 401, 404, 405, 413, 415, 500, 503, 504, 0};

  std::atomic<std::uint64_t> requests{0};
  std::array<std::atomic<std::uint64_t>, kCodes.size()> failures{};
  Histogram latency{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  Histogram batch_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  std::function<std::size_t()> queue_depth;  // read when rendered

  /// Counts one infer request that ended with HTTP status `code` after `seconds`.
  void record(int code, double seconds) {
    requests.fetch_add(1, std::memory_order_relaxed);
    latency.observe(seconds);
    if (code >= 400) {
      std::size_t i = 0;
      while (i + 1 < kCodes.size() && kCodes[i] != code) ++i;  // the last slot (0) counts the others
      failures[i].fetch_add(1, std::memory_order_relaxed);
    }
  }
};

/// The metrics of every served model; models are added before serving starts, then only read.
class Metrics {
 public:
  ModelMetrics& add(const std::string& model) {
    auto& p = models_[model];
    if (!p) p = std::make_unique<ModelMetrics>();
    return *p;
  }
  ModelMetrics* find(const std::string& model) {
    auto it = models_.find(model);
    return it == models_.end() ? nullptr : it->second.get();
  }

  /// Everything in the Prometheus text format.
  std::string render() const {
    std::ostringstream os;
    os << "# HELP ember_requests_total Infer requests received.\n# TYPE ember_requests_total counter\n";
    for (const auto& [name, m] : models_)
      os << "ember_requests_total{model=\"" << name << "\"} " << m->requests.load(std::memory_order_relaxed) << '\n';
    os << "# HELP ember_request_failures_total Infer requests answered with an error, by HTTP status "
          "(code=\"other\" for the rest).\n# TYPE ember_request_failures_total counter\n";
    for (const auto& [name, m] : models_)
      for (std::size_t i = 0; i < ModelMetrics::kCodes.size(); ++i) {
        const int c = ModelMetrics::kCodes[i];
        os << "ember_request_failures_total{model=\"" << name << "\",code=\"" << (c ? std::to_string(c) : "other")
           << "\"} " << m->failures[i].load(std::memory_order_relaxed) << '\n';
      }
    os << "# HELP ember_request_latency_seconds Time from a request read to its response ready.\n"
          "# TYPE ember_request_latency_seconds histogram\n";
    for (const auto& [name, m] : models_) m->latency.render(os, "ember_request_latency_seconds", label(name));
    os << "# HELP ember_batch_size Rows per forward run by the batcher.\n# TYPE ember_batch_size histogram\n";
    for (const auto& [name, m] : models_) m->batch_size.render(os, "ember_batch_size", label(name));
    os << "# HELP ember_queue_depth Requests waiting for a batch.\n# TYPE ember_queue_depth gauge\n";
    for (const auto& [name, m] : models_)
      os << "ember_queue_depth{model=\"" << name << "\"} " << (m->queue_depth ? m->queue_depth() : 0) << '\n';
    return os.str();
  }

 private:
  static std::string label(const std::string& name) { return "model=\"" + name + "\""; }
  std::map<std::string, std::unique_ptr<ModelMetrics>> models_;
};

}  // namespace ember::serve
