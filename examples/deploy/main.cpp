// deploy: runs a model that Python exported with ember.deploy.export, with no Python.
//
//   deploy <model.ember> <data.safetensors> [--input x] [--labels y] [--out outputs.safetensors] [--bench N]
//
// Reads the input tensor (default "x") from the data file, runs the model on all of it, and prints the output
// shape; with a labels tensor (default "y", when the file has it) it prints the accuracy of the arg-max
// class; --out writes the output as "output" to a safetensors file; --bench N times N forward calls at
// batch 1 and at batch 256 and prints the median and spread of each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <ember/ember.hpp>

using ember::AnyTensor;
using ember::Tensor;

namespace {

struct Args {
  std::string model, data, input = "x", labels = "y", out;
  int bench = 0;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "deploy: %s\nusage: deploy <model.ember> <data.safetensors> [--input NAME] [--labels NAME] "
                       "[--out FILE] [--bench N]\n", msg);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--input" || s == "--labels" || s == "--out" || s == "--bench") {
      if (i + 1 >= argc) usage((s + " needs a value").c_str());
      const std::string v = argv[++i];
      if (s == "--input") a.input = v;
      else if (s == "--labels") a.labels = v;
      else if (s == "--out") a.out = v;
      else {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (*end != '\0' || n < 1) usage("invalid value for --bench");
        a.bench = static_cast<int>(n);
      }
    } else if (s == "-h" || s == "--help") {
      usage("run an exported model");
    } else if (s.starts_with("--")) {
      usage(("unknown option " + s).c_str());
    } else {
      positional.push_back(s);
    }
  }
  if (positional.size() != 2) usage("expected a model file and a data file");
  a.model = positional[0];
  a.data = positional[1];
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

int run(const Args& a) {
  const ember::deploy::Model model = ember::deploy::load(a.model);
  const ember::io::SafeTensors data = ember::io::load_safetensors(a.data);
  const AnyTensor& x = data.at(a.input);

  const AnyTensor y = model.forward(std::vector<AnyTensor>{x}).at(0);
  std::printf("%s: input %s %s -> output %s\n", a.model.c_str(), std::string(ember::dtype_name(x.dtype())).c_str(),
              ember::to_string(x.shape()).c_str(), ember::to_string(y.shape()).c_str());
  if (data.contains(a.labels)) {
    const Tensor<std::int64_t> labels = data.at(a.labels).as<std::int64_t>();
    const Tensor<std::int64_t> predicted = y.as<float>().argmax(1);
    const double correct = static_cast<double>(predicted.eq(labels).sum().item());
    std::printf("C++ deploy accuracy: %.2f%% (%lld samples)\n", 100.0 * correct / labels.numel(),
                static_cast<long long>(labels.numel()));
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
