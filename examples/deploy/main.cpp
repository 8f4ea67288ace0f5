// deploy: runs a model that Python exported with ember.deploy.export, with no Python.
//
//   deploy <model.ember> <data.safetensors> [--input x] [--labels y] [--out outputs.safetensors] [--bench N]
//   deploy <model.ember> --mnist DIR [--out outputs.safetensors] [--bench N]
//
// Reads the input tensor (default "x") from the data file, or with --mnist the test split of an MNIST-format
// dataset (DIR holds t10k-{images-idx3,labels-idx1}-ubyte, plain or .gz; "default" is Debian's
// dataset-fashion-mnist) with its labels, scaled as examples/demo.py scales them (fashion::scaled, shared with
// examples/train_fashion: (N, 1, 28, 28) float32 in [0, 1]). Runs the model on all of it, --batch rows at a time
// (default 1000, as examples/demo.py evaluates), and prints the output shape; with labels (the tensor "y" by
// default, when the file has it) it prints the accuracy of the arg-max class and the count of correct
// predictions; --out writes the output as "output" to a safetensors file; --bench N times N forward calls at
// batch 1 and at batch 256 and prints the median and spread of each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <ember/ember.hpp>

#include "command_line.hpp"
#include "fashion_model.hpp"  // fashion::scaled, the demo's pixel scaling (from examples/train_fashion)

using ember::AnyTensor;
using ember::Tensor;

namespace {

struct Args {
  std::string model, data, mnist, input = "x", labels = "y", out;
  int bench = 0;
  std::int64_t batch = 1000;
};

Args parse(int argc, char** argv) {
  const example::CommandLine cl = example::read_command_line(
      argc, argv, "deploy",
      "deploy <model.ember> (<data.safetensors> [--input NAME] [--labels NAME] | --mnist DIR) [--batch N] "
      "[--out FILE] [--bench N]",
      {"--input", "--labels", "--out", "--bench", "--mnist", "--batch"}, "run an exported model");
  Args a{.mnist = cl.text("--mnist"), .input = cl.text("--input", "x"), .labels = cl.text("--labels", "y"),
         .out = cl.text("--out"), .bench = static_cast<int>(cl.integer("--bench", 0, 1)),
         .batch = cl.integer("--batch", 1000, 1)};
  if (cl.positional.size() != (a.mnist.empty() ? 2u : 1u)) {
    cl.fail(a.mnist.empty() ? "expected a model file and a data file" : "expected a model file (and --mnist DIR)");
  }
  a.model = cl.positional[0];
  if (a.mnist.empty()) a.data = cl.positional[1];
  return a;
}

// The first n rows of x, cycling through its rows when it has fewer.
AnyTensor rows(const AnyTensor& x, std::int64_t n) {
  return x.visit([&](const auto& t) -> AnyTensor {
    std::vector<std::decay_t<decltype(t)>> parts;
    for (std::int64_t have = 0; have < n; have += t.shape()[0]) parts.push_back(t);
    return ember::cat(parts, 0).narrow(0, 0, n).contiguous();
  });
}

// Times `reps` forward calls on x; prints the median and the 10th/90th percentiles in microseconds.
void bench(const ember::deploy::Model& model, const AnyTensor& x, int reps) {
  const std::vector<AnyTensor> in{x};
  for (int i = 0; i < std::max(3, reps / 10); ++i) model.forward(in);  // warm-up: primitives, buffers
  std::vector<double> us;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    model.forward(in);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))]; };
  std::printf("bench batch=%lld median_us=%.2f p10_us=%.2f p90_us=%.2f\n", static_cast<long long>(x.shape()[0]),
              at(0.5), at(0.1), at(0.9));
}

// The model's first output on x, computed `batch` rows at a time and concatenated.
AnyTensor forward_batched(const ember::deploy::Model& model, const AnyTensor& x, std::int64_t batch) {
  const std::int64_t n = x.shape().empty() ? 1 : x.shape()[0];
  if (x.shape().empty() || n <= batch) return model.forward(std::vector<AnyTensor>{x}).at(0);
  std::vector<AnyTensor> outs;
  for (std::int64_t i = 0; i < n; i += batch) {
    const AnyTensor part = x.visit([&](const auto& t) -> AnyTensor {
      return t.narrow(0, i, std::min(batch, n - i)).contiguous();
    });
    outs.push_back(model.forward(std::vector<AnyTensor>{part}).at(0));
  }
  return outs[0].visit([&](const auto& first) -> AnyTensor {
    using T = typename std::decay_t<decltype(first)>::value_type;
    std::vector<Tensor<T>> parts;
    for (const AnyTensor& o : outs) parts.push_back(o.get<T>("deploy"));
    return ember::cat(parts, 0);
  });
}

int run(const Args& a) {
  const ember::deploy::Model model = ember::deploy::load(a.model);
  AnyTensor x;
  std::optional<Tensor<std::int64_t>> labels;
  if (!a.mnist.empty()) {
    const ember::data::MnistSplit test = ember::data::load_mnist(a.mnist == "default" ? "" : a.mnist, false);
    x = AnyTensor(fashion::scaled(test.images));
    labels = test.labels;
  } else {
    const ember::io::SafeTensors data = ember::io::load_safetensors(a.data);
    x = data.at(a.input);
    if (data.contains(a.labels)) labels = data.at(a.labels).as<std::int64_t>();
  }

  const AnyTensor y = forward_batched(model, x, a.batch);
  std::printf("%s: input %s %s -> output %s\n", a.model.c_str(), std::string(ember::dtype_name(x.dtype())).c_str(),
              ember::to_string(x.shape()).c_str(), ember::to_string(y.shape()).c_str());
  if (labels) {
    const Tensor<std::int64_t> predicted = y.as<float>().argmax(1);
    const auto correct = static_cast<long long>(predicted.eq(*labels).sum().item());
    std::printf("C++ deploy accuracy: %.2f%% (%lld samples)\n", 100.0 * static_cast<double>(correct) /
                static_cast<double>(labels->numel()), static_cast<long long>(labels->numel()));
    std::printf("correct: %lld of %lld\n", correct, static_cast<long long>(labels->numel()));
  }
  if (!a.out.empty()) ember::io::save_safetensors(a.out, {{"output", y}}, {});
  if (a.bench > 0) {
    bench(model, rows(x, 1), a.bench);
    bench(model, rows(x, 256), a.bench);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deploy: %s\n", e.what());
    return 1;
  }
}
