// The deploy path: ember::deploy::Model::forward of the demo's digits CNN (examples/demo.py) at batch 1
// and 256, the C++ side of bench/python/bench_deploy.py. The model file is written here with random
// weights (docs/deploy-format.md; loading folds and fuses it as it does an exported one); set
// EMBER_BENCH_MODEL to a .ember file (e.g. build/demo/digits.ember from `make demo`) to time that one.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <unistd.h>

#include "ember/deploy/model.hpp"
#include "ember/ops/creation.hpp"

using namespace ember;
using json = nlohmann::json;

namespace {

/// A value shape whose dim 0 is the batch B, then the given dims.
json batch_shape(std::initializer_list<std::int64_t> rest) {
  json s = json::array({{{"batch", 1}, {"add", 0}}});
  for (auto d : rest) s.push_back(d);
  return s;
}

/// Writes a .ember file node by node: the graph JSON and the tensors it reads.
class GraphWriter {
 public:
  explicit GraphWriter(Generator& gen) : gen_(gen) {}

  /// Declares the graph input `name` (float32) of the given shape.
  std::string input(const std::string& name, json shape) {
    graph_["inputs"].push_back(name);
    graph_["values"][name] = {{"dtype", "float32"}, {"shape", std::move(shape)}};
    return name;
  }
  /// Stores a float32 tensor of shape `shape` under `name`: normal values scaled by `scale`, plus `shift`.
  std::string weight(const std::string& name, const Shape& shape, float scale = 0.1f, float shift = 0.0f) {
    graph_["tensors"][name] = {{"dtype", "float32"}, {"shape", std::vector<std::int64_t>(shape.begin(), shape.end())}};
    tensors_.emplace_back(name, AnyTensor(randn<float>(shape, gen_) * scale + shift));
    return name;
  }
  /// Appends a node computing op(inputs) with attrs; returns its output's name.
  std::string node(const std::string& op, json inputs, json attrs, json shape, const std::string& scope) {
    std::string out = std::to_string(graph_["nodes"].size());
    out.insert(out.begin(), 't');  // not "t" + to_string(...): GCC 12 warns falsely (-Wstringop-overflow)
    graph_["nodes"].push_back(
        {{"op", op}, {"inputs", std::move(inputs)}, {"outputs", {out}}, {"attrs", std::move(attrs)}, {"scope", scope}});
    graph_["values"][out] = {{"dtype", "float32"}, {"shape", std::move(shape)}};
    return out;
  }
  /// Marks `name` as a graph output.
  void output(const std::string& name) { graph_["outputs"].push_back(name); }
  /// Writes the file.
  void save(const std::string& path) const {
    const std::map<std::string, std::string> metadata = {
        {"ember.format", "ember.deploy"}, {"ember.format_version", "1"}, {"ember.graph", graph_.dump()}};
    io::save_safetensors(path, tensors_, metadata);
  }

 private:
  Generator& gen_;
  json graph_ = {{"inputs", json::array()}, {"outputs", json::array()}, {"values", json::object()},
                 {"tensors", json::object()}, {"nodes", json::array()}};
  std::vector<std::pair<std::string, AnyTensor>> tensors_;
};

/// conv2d (3x3, padding 1) + batch_norm + relu, as the demo's nn.Sequential numbers them from index i.
std::string conv_block(GraphWriter& w, const std::string& x, std::int64_t c, std::int64_t o, int i) {
  const std::string conv = std::to_string(i), bn = std::to_string(i + 1);
  const json attrs = {{"stride", {1, 1}}, {"padding", {1, 1}}, {"dilation", {1, 1}}, {"groups", 1}};
  auto t = w.node("conv2d", {x, w.weight(conv + ".weight", {o, c, 3, 3}), w.weight(conv + ".bias", {o})}, attrs,
                  batch_shape({o, 8, 8}), conv);
  t = w.node("batch_norm",
             {t, w.weight(bn + ".running_mean", {o}), w.weight(bn + ".running_var", {o}, 0.1f, 1.0f),
              w.weight(bn + ".weight", {o}, 0.1f, 1.0f), w.weight(bn + ".bias", {o})},
             {{"eps", 1e-5}}, batch_shape({o, 8, 8}), bn);
  return w.node("relu", {t}, json::object(), batch_shape({o, 8, 8}), std::to_string(i + 2));
}

/// Writes the demo CNN (1x8x8 images -> 10 logits) with random weights to path.
void write_digits_cnn(const std::string& path) {
  Generator gen(0);
  GraphWriter w(gen);
  auto t = conv_block(w, w.input("input", batch_shape({1, 8, 8})), 1, 16, 0);
  t = conv_block(w, t, 16, 32, 3);
  const json pool = {{"kernel_size", {2, 2}}, {"stride", {2, 2}}, {"padding", {0, 0}}, {"dilation", {1, 1}},
                     {"ceil_mode", false}};
  t = w.node("max_pool2d", {t}, pool, batch_shape({32, 4, 4}), "6");
  t = w.node("flatten", {t}, {{"start_dim", 1}, {"end_dim", 3}}, batch_shape({512}), "7");
  t = w.node("linear", {t, w.weight("8.weight", {64, 512}), w.weight("8.bias", {64})}, json::object(),
             batch_shape({64}), "8");
  t = w.node("relu", {t}, json::object(), batch_shape({64}), "9");
  w.output(w.node("linear", {t, w.weight("10.weight", {10, 64}), w.weight("10.bias", {10})}, json::object(),
                  batch_shape({10}), "10"));
  w.save(path);
}

/// The model under test, loaded once: EMBER_BENCH_MODEL's file, else the digits CNN written to a temporary file.
const deploy::Model& model() {
  static const deploy::Model m = [] {
    if (const char* path = std::getenv("EMBER_BENCH_MODEL")) return deploy::load(path);
    const auto path =
        std::filesystem::temp_directory_path() / ("ember_bench_digits_" + std::to_string(::getpid()) + ".ember");
    write_digits_cnn(path.string());
    deploy::Model loaded = deploy::load(path.string());
    std::filesystem::remove(path);
    return loaded;
  }();
  return m;
}

}  // namespace

// model.forward on a float32 batch of range(0) inputs of the model's input shape; items/s = samples/s.
// A model that does not load or run (a bad EMBER_BENCH_MODEL) skips the benchmark with its error.
static void BM_DeployForward(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  const deploy::Model* m = nullptr;
  Tensor<float> x;
  try {
    m = &model();
    x = randn<float>(m->input_spec(0).eval(batch));
    benchmark::DoNotOptimize(m->forward(x));  // warm-up, untimed: primitives and workspace for this batch
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(m->forward(x));
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(std::getenv("EMBER_BENCH_MODEL") ? "EMBER_BENCH_MODEL" : "digits CNN, random weights");
}
BENCHMARK(BM_DeployForward)->ArgName("batch")->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();
