// The C++ twin of examples/ddp/train.py: the demo's Fashion-MNIST CNN trained data-parallel on N processes
// with ember::distributed::DistributedDataParallel over MPI.
//
//   ddp_train [--epochs 2] [--batch 128] [--lr 1e-3] [--limit N] [--root DIR] [--out build/ddp]
//   mpirun -n 2 ddp_train ...   (as root, OpenMPI also wants OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
//
// Every rank reads the same IDX files and takes its shard of each global batch as train.py's
// DistributedSampler(shuffle=True, seed=0, drop_last=True) does: the epoch's order is randperm drawn from a
// Generator seeded with seed + epoch (the same on every rank), rank r takes its positions r, r + N, ..., so
// the N shards of a step are the one-process batch and DDP averages their gradients into its gradient. Only
// BatchNorm's batch statistics see a shard alone, so N ranks reach about, not exactly, one process's accuracy.
// Rank 0 evaluates, prints `test accuracy` and writes <out>/fashion_ddp_cpp.safetensors (the state dict
// under the Python model's names); the others wait for it at a barrier.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/distributed/ddp.hpp>

#include "fashion_model.hpp"  // examples/train_fashion: the demo CNN, shared with the one-process C++ twin

namespace dist = ember::distributed;
namespace nn = ember::nn;
using ember::Tensor;

namespace {

struct Args {
  int epochs = 2;
  std::int64_t batch = 128, limit = 0;
  double lr = 1e-3;
  std::string root, out = "build/ddp";
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "ddp_train: %s\nusage: ddp_train [--epochs N] [--batch GLOBAL] [--lr LR] [--limit N] "
                       "[--root DIR] [--out DIR]\n", msg.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "-h" || s == "--help") usage("train the demo CNN on Fashion-MNIST on N ranks");
    if (s != "--epochs" && s != "--batch" && s != "--lr" && s != "--limit" && s != "--root" && s != "--out")
      usage("unknown argument " + s);
    if (i + 1 >= argc) usage(s + " needs a value");
    const char* v = argv[++i];
    char* end = nullptr;
    if (s == "--root") {
      a.root = v;
    } else if (s == "--out") {
      a.out = v;
    } else if (s == "--lr") {
      a.lr = std::strtod(v, &end);
      if (*end != '\0' || !(a.lr > 0)) usage("invalid value for --lr");
    } else {
      const long long n = std::strtoll(v, &end, 10);
      if (*end != '\0' || n < (s == "--limit" ? 0 : 1)) usage("invalid value for " + s);
      if (s == "--epochs") a.epochs = static_cast<int>(n);
      else if (s == "--batch") a.batch = n;
      else a.limit = n;
    }
  }
  return a;
}

// Rank 0's evaluation on the whole test set, 1000 images at a time, as the demo's evaluate().
double accuracy(nn::Module<float>& model, const Tensor<float>& x, const Tensor<std::int64_t>& y) {
  model.eval();
  ember::NoGradGuard no_grad;
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < x.size(0); i += 1000) {
    const std::int64_t n = std::min<std::int64_t>(1000, x.size(0) - i);
    const Tensor<std::int64_t> pred = model(x.narrow(0, i, n)).argmax(1);
    correct += static_cast<std::int64_t>(pred.eq(y.narrow(0, i, n)).sum().item());
  }
  return static_cast<double>(correct) / static_cast<double>(y.size(0));
}

int run(const Args& args) {
  const int rank = dist::get_rank(), world = dist::get_world_size();
  if (args.batch % world != 0) {
    if (rank == 0) std::fprintf(stderr, "ddp_train: --batch %lld must be a multiple of the %d ranks\n",
                                static_cast<long long>(args.batch), world);
    return 2;
  }
  const ember::data::MnistSplit train = ember::data::load_mnist(args.root, true);
  const ember::data::MnistSplit test = ember::data::load_mnist(args.root, false);
  Tensor<float> x_train = fashion::scaled(train.images);
  Tensor<std::int64_t> y_train = train.labels;
  if (args.limit > 0 && args.limit < x_train.size(0)) {
    x_train = x_train.narrow(0, 0, args.limit).contiguous();
    y_train = y_train.narrow(0, 0, args.limit).contiguous();
  }
  const ember::data::TensorDataset<float, std::int64_t> dataset(x_train, y_train);
  const Tensor<float> x_test = fashion::scaled(test.images);

  ember::Generator init(0);  // the same initial weights everywhere (DDP also broadcasts rank 0's)
  auto model = std::make_shared<nn::Sequential<float>>(fashion::make_model(init));
  dist::DistributedDataParallel<float> ddp(model);
  ember::optim::Adam<float> opt(ddp.parameters(), {.lr = args.lr});

  // DistributedSampler(drop_last=True): the first world * (n / world) positions of the epoch's order.
  const std::int64_t n = dataset.size(), total = n / world * world, local = args.batch / world;
  const std::uint64_t seed = 0;
  for (int epoch = 1; epoch <= args.epochs; ++epoch) {
    ember::Generator gen(seed + static_cast<std::uint64_t>(epoch));
    const Tensor<std::int64_t> mine = ember::randperm(n, gen).slice(0, rank, total, world).contiguous();
    model->train();
    const auto start = std::chrono::steady_clock::now();
    float last_loss = 0;
    for (std::int64_t i = 0; i < mine.size(0); i += local) {
      auto [xb, yb] = dataset.batch(mine.slice(0, i, std::min(i + local, mine.size(0))));
      Tensor<float> loss = nn::cross_entropy(ddp(xb), yb);
      opt.zero_grad();
      loss.backward();  // gradients averaged over the ranks while backward runs
      opt.step();
      last_loss = loss.item();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rank == 0) {
      const double acc = accuracy(*model, x_test, test.labels);
      std::printf("epoch %d/%d on %d rank(s): last loss %.4f, test accuracy %.2f%%, %.1f s\n", epoch, args.epochs,
                  world, static_cast<double>(last_loss), 100.0 * acc, seconds);
      std::fflush(stdout);
    }
  }
  if (rank == 0) {
    std::filesystem::create_directories(args.out);
    const nn::StateDict state = model->state_dict();
    const std::string path = (std::filesystem::path(args.out) / "fashion_ddp_cpp.safetensors").string();
    ember::io::save_safetensors(path,
                                std::vector<std::pair<std::string, ember::AnyTensor>>(state.begin(), state.end()));
  }
  dist::barrier();  // the others leave once the checkpoint is complete
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  int rc = 1;
  try {
    dist::init_process_group("mpi");  // rank and world size from mpirun or srun; one process without them
    rc = run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ddp_train: %s\n", e.what());
    std::fflush(stderr);
    // A rank that fails alone would leave the others waiting in their next collective: end the whole job.
    if (dist::is_initialized() && dist::get_world_size() > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
  dist::destroy_process_group();
  return rc;
}
