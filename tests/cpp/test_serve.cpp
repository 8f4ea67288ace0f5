// ember::serve without HTTP: the batcher alone (batching, row order and ownership, queue full, timeout)
// and the protocol's parsing and errors. Built as its own executable, only where Boost is found.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "ember/serve/batcher.hpp"
#include "ember/serve/metrics.hpp"
#include "ember/serve/protocol.hpp"

using namespace ember;
using namespace ember::serve;

namespace {

Tensor<float> rows(std::int64_t n, float first, std::int64_t width = 3) {
  auto t = Tensor<float>::empty({n, width});
  for (std::int64_t i = 0; i < n * width; ++i) t.data()[i] = first + static_cast<float>(i);
  return t;
}

/// A forward that doubles its input and records the batch sizes it saw.
struct Doubler {
  std::mutex mu;
  std::vector<std::int64_t> batches;
  std::chrono::milliseconds delay{0};
  ForwardFn fn() {
    return [this](const Tensors& in) {
      if (delay.count()) std::this_thread::sleep_for(delay);
      const auto& x = in.at(0).get<float>();
      {
        std::lock_guard lock(mu);
        batches.push_back(x.shape()[0]);
      }
      auto y = Tensor<float>::empty(x.shape());
      for (std::int64_t i = 0; i < x.numel(); ++i) y.data()[i] = 2 * x.data()[i];
      return Tensors{AnyTensor(y)};
    };
  }
};

}  // namespace

TEST(ServeBatcher, BatchesConcurrentRequestsAndSplitsRowsBack) {
  Doubler d;
  d.delay = std::chrono::milliseconds(20);  // the first forward runs while the others queue up
  Batcher b(d.fn(), {.max_batch = 64, .max_delay_us = 5000});
  std::vector<std::future<Result>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(b.submit(Tensors{AnyTensor(rows(1 + i % 3, 100.0f * i))}));
  for (int i = 0; i < 20; ++i) {
    Result r = fs[i].get();
    ASSERT_EQ(r.status, Status::ok) << r.error;
    const auto& y = r.outputs.at(0).get<float>();
    ASSERT_EQ(y.shape(), (Shape{1 + i % 3, 3}));
    for (std::int64_t k = 0; k < y.numel(); ++k) EXPECT_EQ(y.data()[k], 2 * (100.0f * i + k));
  }
  std::lock_guard lock(d.mu);
  EXPECT_LT(d.batches.size(), 20u);  // some requests shared a forward
  std::int64_t total = 0;
  for (auto n : d.batches) total += n;
  EXPECT_EQ(total, 39);  // 20 requests of 1, 2 or 3 rows: every row ran exactly once
}

TEST(ServeBatcher, NeverSplitsARequestAndRunsOversizedOnesAlone) {
  Doubler d;
  d.delay = std::chrono::milliseconds(10);
  Batcher b(d.fn(), {.max_batch = 4, .max_delay_us = 20000});
  auto f0 = b.submit(Tensors{AnyTensor(rows(3, 0))});
  auto f1 = b.submit(Tensors{AnyTensor(rows(3, 10))});
  auto f2 = b.submit(Tensors{AnyTensor(rows(9, 20))});  // more than max_batch: alone
  for (auto* f : {&f0, &f1, &f2}) ASSERT_EQ(f->get().status, Status::ok);
  std::lock_guard lock(d.mu);
  EXPECT_EQ(d.batches, (std::vector<std::int64_t>{3, 3, 9}));
}

TEST(ServeBatcher, ALoneClientPaysNoQueueDelay) {
  Doubler d;
  Batcher b(d.fn(), {.max_batch = 64, .max_delay_us = 2'000'000});
  for (int i = 0; i < 3; ++i) {  // sequential requests, as one client sends them
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(b.submit(Tensors{AnyTensor(rows(1, 0))}).get().status, Status::ok);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  }
}

TEST(ServeBatcher, OutputsOwnTheirMemory) {
  Doubler d;
  d.delay = std::chrono::milliseconds(20);
  Batcher b(d.fn(), {.max_batch = 8, .max_delay_us = 20000});
  auto first = b.submit(Tensors{AnyTensor(rows(1, 0))});  // runs alone; the next two gather meanwhile
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto f0 = b.submit(Tensors{AnyTensor(rows(2, 0))});
  auto f1 = b.submit(Tensors{AnyTensor(rows(2, 50))});
  ASSERT_EQ(first.get().status, Status::ok);
  Result r0 = f0.get(), r1 = f1.get();
  ASSERT_EQ(r1.status, Status::ok);
  {
    std::lock_guard lock(d.mu);
    EXPECT_EQ(d.batches, (std::vector<std::int64_t>{1, 4}));  // f0 and f1 shared a forward
  }
  EXPECT_TRUE(r0.outputs[0].get<float>().is_unique());
  EXPECT_FALSE(r0.outputs[0].get<float>().storage() == r1.outputs[0].get<float>().storage());
  EXPECT_EQ(r0.outputs[0].get<float>().data()[5], 10.0f);
  EXPECT_EQ(r1.outputs[0].get<float>().data()[0], 100.0f);
}

TEST(ServeBatcher, QueueFullIsRefusedAtOnce) {
  Doubler d;
  d.delay = std::chrono::milliseconds(100);
  Batcher b(d.fn(), {.max_batch = 1, .max_delay_us = 0, .queue_capacity = 2});
  auto running = b.submit(Tensors{AnyTensor(rows(1, 0))});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the worker took it
  auto q1 = b.submit(Tensors{AnyTensor(rows(1, 0))});
  auto q2 = b.submit(Tensors{AnyTensor(rows(1, 0))});
  auto refused = b.submit(Tensors{AnyTensor(rows(1, 0))});
  ASSERT_EQ(refused.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(refused.get().status, Status::queue_full);
  EXPECT_EQ(b.queue_depth(), 2u);
  EXPECT_EQ(running.get().status, Status::ok);
  EXPECT_EQ(q1.get().status, Status::ok);
  EXPECT_EQ(q2.get().status, Status::ok);
}

TEST(ServeBatcher, RequestsPastTheirTimeoutAreAnsweredTimeout) {
  Doubler d;
  d.delay = std::chrono::milliseconds(80);
  Batcher b(d.fn(), {.max_batch = 1, .max_delay_us = 0, .timeout_us = 20000});
  auto running = b.submit(Tensors{AnyTensor(rows(1, 0))});
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto late = b.submit(Tensors{AnyTensor(rows(1, 0))});
  EXPECT_EQ(running.get().status, Status::ok);
  Result r = late.get();
  EXPECT_EQ(r.status, Status::timeout);
  EXPECT_NE(r.error.find("timeout"), std::string::npos);
}

TEST(ServeBatcher, ABadRequestFailsAloneAndStopAnswersTheQueue) {
  ForwardFn fn = [](const Tensors& in) {
    const auto& x = in.at(0).get<float>();
    for (std::int64_t i = 0; i < x.numel(); ++i)
      if (x.data()[i] < 0) throw std::invalid_argument("[test] negative input");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Tensors{AnyTensor(Tensor<float>(x))};
  };
  auto b = std::make_unique<Batcher>(fn, BatcherOptions{.max_batch = 8, .max_delay_us = 20000});
  auto good = b->submit(Tensors{AnyTensor(rows(1, 1))});
  auto bad = b->submit(Tensors{AnyTensor(rows(1, -100))});
  EXPECT_EQ(good.get().status, Status::ok);
  Result r = bad.get();
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_NE(r.error.find("negative"), std::string::npos);
  auto queued = b->submit(Tensors{AnyTensor(rows(1, 1))});
  b->stop();
  EXPECT_EQ(queued.get().status, Status::ok);
  EXPECT_EQ(b->submit(Tensors{AnyTensor(rows(1, 1))}).get().status, Status::stopped);
}

namespace {
ModelInfo info() {
  return {"m", "", {{"x", DType::Float32, {-1, 2, 2}}, {"k", DType::Int64, {-1}}}, {{"y", DType::Float32, {-1, 3}}}};
}
int status_of(const std::string& body) {
  try {
    parse_infer(info(), body);
  } catch (const ProtocolError& e) {
    return e.status();
  }
  return 200;
}
std::string message_of(const std::string& body) {
  try {
    parse_infer(info(), body);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(ServeProtocol, ParsesFlatAndNestedData) {
  const auto r = parse_infer(info(), R"({"id":"a","inputs":[
      {"name":"k","datatype":"INT64","shape":[2],"data":[7,8]},
      {"name":"x","datatype":"FP32","shape":[2,2,2],"data":[[[1,2],[3,4]],[[5,6],[7,0.5]]]}]})");
  EXPECT_EQ(r.id, "a");
  const auto& x = r.inputs.at(0).get<float>();
  EXPECT_EQ(x.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(x.data()[7], 0.5f);
  EXPECT_EQ(r.inputs.at(1).get<std::int64_t>().data()[1], 8);
}

TEST(ServeProtocol, RefusesBadRequestsNamingTheProblem) {
  const std::string k = R"({"name":"k","datatype":"INT64","shape":[1],"data":[1]})";
  auto with_x = [&](const std::string& x) { return R"({"inputs":[)" + x + "," + k + "]}"; };
  EXPECT_EQ(status_of("{\"inputs\": ["), 400);
  EXPECT_NE(message_of("{\"inputs\": [").find("malformed JSON"), std::string::npos);
  EXPECT_NE(message_of(with_x(R"({"name":"z","datatype":"FP32","shape":[1,2,2],"data":[1,2,3,4]})")).find("no input 'z'"),
            std::string::npos);
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP64","shape":[1,2,2],"data":[1,2,3,4]})"))
                .find("must have datatype FP32, got FP64"),
            std::string::npos);
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,3],"data":[1,2,3,4,5,6]})"))
                .find("must have shape [-1, 2, 2]"),
            std::string::npos);
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,2,3]})"))
                .find("has 3 data elements but shape [1, 2, 2] needs 4"),
            std::string::npos);
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,NaN,3,4]})"))
                .find("not finite"),
            std::string::npos);
  EXPECT_EQ(status_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,2,3,4,5]})")), 400);
  EXPECT_NE(message_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,2,3,4]}]})")
                .find("'k' is missing"),
            std::string::npos);
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,2,"3",4]})"))
                .find("not a number"),
            std::string::npos);
  EXPECT_EQ(status_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,2,3,4]})")), 200);
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[1,2,3,1e39]})"))
                .find("out of range for FP32"),
            std::string::npos);  // not rounded to Infinity
  EXPECT_NE(message_of(with_x(R"({"name":"x","datatype":"FP32","shape":[1,2,2],"data":[[[[1,2,3,4]]]]})"))
                .find("nested deeper than its shape [1, 2, 2] (3 dims)"),
            std::string::npos);
}

TEST(ServeProtocol, DeepNestingIsRefusedWithoutOverflowingTheStack) {
  // A recursive parser would overflow the stack on these: the server must answer 400, not crash.
  EXPECT_EQ(status_of(std::string(1 << 21, '[')), 400);
  const std::string deep(1 << 20, '[');
  EXPECT_EQ(status_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,2,2],"data":)" + deep + "1" +
                      std::string(deep.size(), ']') + "}]}"),
            400);
  EXPECT_EQ(status_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2,2,2],"data":[1,2,3,4,5,6,7,8]},)"
                      R"({"name":"k","datatype":"INT64","shape":[1],"data":[1]}]})"),
            400);  // batch 2 beside batch 1
}

TEST(ServeProtocol, WritesResponsesThatRoundTrip) {
  auto y = Tensor<float>::empty({1, 3});
  y.data()[0] = 0.1f;
  y.data()[1] = 1e-30f;
  y.data()[2] = -3.0f;
  const std::string s = write_infer_response(info(), {AnyTensor(y)}, "req");
  EXPECT_EQ(s, R"({"model_name":"m","id":"req","outputs":[{"name":"y","datatype":"FP32","shape":[1,3],)"
               R"("data":[0.1,1e-30,-3]}]})");
  EXPECT_EQ(write_model_metadata(info()),
            R"({"name":"m","platform":"ember","inputs":[{"name":"x","datatype":"FP32","shape":[-1,2,2]},)"
            R"({"name":"k","datatype":"INT64","shape":[-1]}],"outputs":[{"name":"y","datatype":"FP32","shape":[-1,3]}]})");
  EXPECT_EQ(write_error("bad \"x\""), R"({"error":"bad \"x\""})");
}

TEST(ServeMetrics, RendersPrometheusText) {
  Metrics m;
  auto& mm = m.add("m");
  mm.queue_depth = [] { return std::size_t{3}; };
  mm.record(200, 0.0003);
  mm.record(503, 0.00001);
  mm.batch_size.observe(5);
  const std::string s = m.render();
  EXPECT_NE(s.find("ember_requests_total{model=\"m\"} 2"), std::string::npos);
  EXPECT_NE(s.find("ember_request_failures_total{model=\"m\",code=\"503\"} 1"), std::string::npos);
  EXPECT_NE(s.find("ember_batch_size_bucket{model=\"m\",le=\"8\"} 1"), std::string::npos);
  EXPECT_NE(s.find("ember_queue_depth{model=\"m\"} 3"), std::string::npos);
}
