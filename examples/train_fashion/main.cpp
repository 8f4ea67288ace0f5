// train_fashion: the C++ twin of ember's Python demo (examples/demo.py). Reads Fashion-MNIST's IDX files
// with ember::data::load_mnist, trains the demo CNN with Adam under a one-cycle schedule (as the Python
// demo does), prints the loss per epoch and the test accuracy, and saves the weights and batch-norm
// statistics under the state dict names of the Python model (an nn.Sequential: "0.weight", "1.running_mean").
//
//   train_fashion [<checkpoint_out.safetensors>] [--root DIR] [--epochs 4] [--seed 0] [--limit N]
//
// --root: the folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (default: Debian's
// dataset-fashion-mnist, /usr/share/datasets/fashion-mnist); --limit N trains on the first N images only.
#include <cmath>
#include <cstdio>
#include <exception>
#include <numbers>
#include <string>
#include <vector>

#include <ember/ember.hpp>

#include "fashion_model.hpp"
#include "command_line.hpp"
#include "train_loop.hpp"

namespace nn = ember::nn;
using ember::Tensor;

namespace {

struct Args {
  std::string root, checkpoint;
  int epochs = 4;
  std::uint64_t seed = 0;
  std::int64_t limit = 0;
};

Args parse(int argc, char** argv) {
  const example::CommandLine cl = example::read_command_line(
      argc, argv, "train_fashion",
      "train_fashion [<checkpoint_out.safetensors>] [--root DIR] [--epochs N] [--seed S] [--limit N]",
      {"--root", "--epochs", "--seed", "--limit"}, "train the demo CNN on Fashion-MNIST");
  if (cl.positional.size() > 1) cl.fail("expected at most one checkpoint path");
  return {.root = cl.text("--root"), .checkpoint = cl.positional.empty() ? "" : cl.positional[0],
          .epochs = static_cast<int>(cl.integer("--epochs", 4, 1)),
          .seed = static_cast<std::uint64_t>(cl.integer("--seed", 0, 0)), .limit = cl.integer("--limit", 0, 1)};
}

using fashion::make_model;  // the demo CNN and its pixel scaling, shared with examples/ddp
using fashion::scaled;

// torch.optim.lr_scheduler.OneCycleLR's defaults (cosine, pct_start 0.3, div_factor 25, final_div_factor
// 1e4, Adam's beta1 cycled between 0.95 and 0.85): the learning rate and beta1 for step `step` of `total`.
struct OneCycle {
  double max_lr;
  std::int64_t total;
  static double anneal(double start, double end, double pct) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
  }
  std::pair<double, double> at(std::int64_t step) const {
    const double initial = max_lr / 25.0, min_lr = initial / 1e4;
    const double up_end = 0.3 * static_cast<double>(total) - 1.0, down_end = static_cast<double>(total) - 1.0;
    const double s = static_cast<double>(step);
    if (s <= up_end) return {anneal(initial, max_lr, s / up_end), anneal(0.95, 0.85, s / up_end)};
    const double pct = (s - up_end) / (down_end - up_end);
    return {anneal(max_lr, min_lr, pct), anneal(0.85, 0.95, pct)};
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    const ember::data::MnistSplit train = ember::data::load_mnist(args.root, true);
    const ember::data::MnistSplit test = ember::data::load_mnist(args.root, false);
    Tensor<float> x_train = scaled(train.images);
    Tensor<std::int64_t> y_train = train.labels;
    if (args.limit > 0 && args.limit < x_train.size(0)) {
      x_train = x_train.narrow(0, 0, args.limit).contiguous();
      y_train = y_train.narrow(0, 0, args.limit).contiguous();
    }
    const Tensor<float> x_test = scaled(test.images);
    const Tensor<std::int64_t>& y_test = test.labels;
    std::printf("Fashion-MNIST: %lld training and %lld test images of %lldx%lld pixels\n",
                static_cast<long long>(x_train.size(0)), static_cast<long long>(x_test.size(0)),
                static_cast<long long>(x_train.size(2)), static_cast<long long>(x_train.size(3)));

    ember::Generator gen(args.seed);  // initial weights, then the shuffled batch order
    nn::Sequential<float> model = make_model(gen);
    ember::optim::Adam<float> opt(model.parameters(), {.lr = 3e-3});
    ember::data::DataLoader loader(ember::data::TensorDataset<float, std::int64_t>(x_train, y_train),
                                   {.batch_size = 128, .shuffle = true}, &gen);
    const OneCycle schedule{3e-3, args.epochs * loader.size()};
    example::fit(model, opt, loader, args.epochs, [&](std::int64_t step) {
      const auto [lr, beta1] = schedule.at(step);
      opt.options().lr = lr;
      opt.options().betas[0] = beta1;
    });

    const std::int64_t correct = example::count_correct(model, x_test, y_test);
    std::printf("C++ test accuracy: %.2f%% (%lld/%lld correct)\n",
                100.0 * static_cast<double>(correct) / static_cast<double>(y_test.size(0)),
                static_cast<long long>(correct), static_cast<long long>(y_test.size(0)));
    example::save_checkpoint(model, args.checkpoint);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_fashion: %s\n", e.what());
    return 1;
  }
  return 0;
}
