// train_digits: the C++ twin of ember's Python demo. Trains the demo CNN on scikit-learn's digits
// (written by make_data.py) with Adam, prints the loss per epoch and the test accuracy, and saves the
// weights and batch-norm statistics under the state dict names of the Python model (an nn.Sequential:
// "0.weight", "1.running_mean", ...).
//
//   train_digits <data.safetensors> [<checkpoint_out.safetensors>] [--epochs 15] [--seed 0]
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <ember/ember.hpp>

#include "command_line.hpp"
#include "train_loop.hpp"

namespace nn = ember::nn;
using ember::Tensor;

namespace {

struct Args {
  std::string data, checkpoint;
  int epochs = 15;
  std::uint64_t seed = 0;
};

Args parse(int argc, char** argv) {
  const example::CommandLine cl = example::read_command_line(
      argc, argv, "train_digits",
      "train_digits <data.safetensors> [<checkpoint_out.safetensors>] [--epochs N] [--seed S]",
      {"--epochs", "--seed"}, "train the demo CNN on the digits data");
  if (cl.positional.empty() || cl.positional.size() > 2) {
    cl.fail("expected a data file and an optional checkpoint path");
  }
  return {.data = cl.positional[0], .checkpoint = cl.positional.size() == 2 ? cl.positional[1] : "",
          .epochs = static_cast<int>(cl.integer("--epochs", 15, 1)),
          .seed = static_cast<std::uint64_t>(cl.integer("--seed", 0, 0))};
}

// The demo CNN, layer for layer as the Python model (indices as nn.Sequential numbers them):
// 0 Conv2d(1, 16, 3, padding=1), 1 BatchNorm2d(16), 2 ReLU, 3 Conv2d(16, 32, 3, padding=1), 4 BatchNorm2d(32),
// 5 ReLU, 6 MaxPool2d(2), 7 Flatten, 8 Linear(32*4*4, 64), 9 ReLU, 10 Linear(64, 10).
nn::Sequential<float> make_model(ember::Generator& gen) {
  nn::Sequential<float> model;
  model.push_back(nn::Conv2d<float>(1, 16, 3, {.padding = {1, 1}}, gen));
  model.push_back(nn::BatchNorm2d<float>(16));
  model.push_back(nn::ReLU<float>());
  model.push_back(nn::Conv2d<float>(16, 32, 3, {.padding = {1, 1}}, gen));
  model.push_back(nn::BatchNorm2d<float>(32));
  model.push_back(nn::ReLU<float>());
  model.push_back(nn::MaxPool2d<float>(2));
  model.push_back(nn::Flatten<float>());
  model.push_back(nn::Linear<float>(32 * 4 * 4, 64, true, gen));
  model.push_back(nn::ReLU<float>());
  model.push_back(nn::Linear<float>(64, 10, true, gen));
  return model;
}

// The tensor `name` of the data file, checked to be of element type T with `rank` dims.
template <class T>
Tensor<T> load_tensor(const ember::io::SafeTensors& file, const std::string& name, std::int64_t rank) {
  const ember::AnyTensor& t = file.at(name);
  const Tensor<T>& v = t.get<T>(name.c_str());
  if (v.dim() != rank) throw std::invalid_argument("[train_digits] " + name + " must have " + std::to_string(rank) +
                                                   " dims, got shape " + ember::to_string(v.shape()));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    const auto file = ember::io::load_safetensors(args.data);
    const auto x_train = load_tensor<float>(file, "x_train", 4), x_test = load_tensor<float>(file, "x_test", 4);
    const auto y_train = load_tensor<std::int64_t>(file, "y_train", 1);
    const auto y_test = load_tensor<std::int64_t>(file, "y_test", 1);
    std::printf("digits: %lld training and %lld test images of %lldx%lld pixels\n",
                static_cast<long long>(x_train.size(0)), static_cast<long long>(x_test.size(0)),
                static_cast<long long>(x_train.size(2)), static_cast<long long>(x_train.size(3)));

    ember::Generator gen(args.seed);  // initial weights, then the shuffled batch order
    nn::Sequential<float> model = make_model(gen);
    ember::optim::Adam<float> opt(model.parameters(), {.lr = 2e-3});
    ember::data::DataLoader loader(ember::data::TensorDataset<float, std::int64_t>(x_train, y_train),
                                   {.batch_size = 64, .shuffle = true}, &gen);
    example::fit(model, opt, loader, args.epochs);

    const auto correct = static_cast<double>(example::count_correct(model, x_test, y_test));
    std::printf("C++ test accuracy: %.1f%%\n", 100.0 * correct / static_cast<double>(y_test.size(0)));
    example::save_checkpoint(model, args.checkpoint);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_digits: %s\n", e.what());
    return 1;
  }
  return 0;
}
