// The CUDA backend against the CPU path: every kernel on 0-d, empty, non-contiguous, broadcast and
// negative-dim cases; device-mismatch and out-of-memory errors; the caching allocator; autograd on
// the device. Without a device the tests skip, and the CPU-only error paths are checked instead.
#include <ember/ember.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "helpers.hpp"

namespace {

using ember::Device;
using ember::Tensor;
using ember::testing::error_of;

#define REQUIRE_CUDA() \
  if (ember::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device: " << ember::cuda::unavailable_reason()

const Device kGpu = Device::cuda(0);

// Elementwise closeness of a device result to the CPU reference (same shape, within tol relative).
template <class T>
void expect_close(const Tensor<T>& gpu, const Tensor<T>& cpu, double tol = 1e-5) {
  ASSERT_TRUE(gpu.device().is_cuda());
  ASSERT_EQ(gpu.shape(), cpu.shape());
  const auto g = gpu.to_vector(), c = cpu.to_vector();
  for (std::size_t i = 0; i < c.size(); ++i) {
    const double a = static_cast<double>(g[i]), b = static_cast<double>(c[i]);
    if (std::isnan(b)) {
      EXPECT_TRUE(std::isnan(a)) << "at " << i;
      continue;
    }
    EXPECT_NEAR(a, b, tol * (1 + std::abs(b))) << "at " << i;
  }
}

#if defined(EMBER_WITH_CUDA) && EMBER_WITH_CUDA
// cuBLAS is opened on the first product, not when the library loads: it must be found from where the
// build found it, with or without a device.
TEST(CudaAvailability, CublasLoadsOnFirstUse) { EXPECT_NO_THROW(ember::cuda::load_cublas()); }
#endif

TEST(CudaAvailability, ReasonWhenNoDevice) {
  if (ember::cuda::device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_FALSE(ember::cuda::unavailable_reason().empty());
  const std::string msg = error_of<ember::DeviceError>([] { ember::zeros<float>({2}, kGpu); });
#if defined(EMBER_WITH_CUDA) && EMBER_WITH_CUDA
  EXPECT_NE(msg.find("cuda:0 is not available"), std::string::npos) << msg;
#else
  EXPECT_NE(msg.find("built without CUDA support"), std::string::npos) << msg;
#endif
  EXPECT_NE(error_of<ember::DeviceError>([] { ember::ones<float>({2}).cuda(); }), "<no exception>");
}

TEST(Cuda, RoundTripAndContiguousCopy) {
  REQUIRE_CUDA();
  for (const auto& shape : {ember::Shape{}, ember::Shape{0, 3}, ember::Shape{3, 4, 5}}) {
    auto x = ember::randn<double>(shape);
    EXPECT_EQ(x.cuda().cpu().to_vector(), x.to_vector());
  }
  auto x = ember::randn<float>({4, 5, 6});
  auto view = x.permute({2, 0, 1}).slice(1, 1, 4);
  expect_close(view.cuda(), view.contiguous(), 0);
  expect_close(x.cuda().permute({2, 0, 1}).slice(1, 1, 4).contiguous(), view.contiguous(), 0);
  expect_close(x.cuda().to<double>(), x.to<double>(), 0);
  auto ints = ember::arange<std::int64_t>(0, 12).reshape({3, 4});
  EXPECT_EQ(ints.cuda().mT().contiguous().cpu().to_vector(), ints.mT().contiguous().to_vector());
}

TEST(Cuda, CreationAndFill) {
  REQUIRE_CUDA();
  expect_close(ember::full<float>({2, 3}, 2.5f, kGpu), ember::full<float>({2, 3}, 2.5f), 0);
  expect_close(ember::arange<double>(0, 7, 1, kGpu), ember::arange<double>(0, 7), 0);
  expect_close(ember::eye<float>(3, 4, kGpu), ember::eye<float>(3, 4), 0);
  auto y = ember::zeros<float>({4, 6}, kGpu);
  y.slice(1, 0, 6, 2).fill_(1.f);
  auto ref = ember::zeros<float>({4, 6});
  ref.slice(1, 0, 6, 2).fill_(1.f);
  expect_close(y, ref, 0);
  EXPECT_EQ(ember::scalar_tensor<float>(3.f, kGpu).item(), 3.f);
}

template <class T>
void check_unary() {
  auto x = ember::randn<T>({5, 7}).mT();  // non-contiguous
  auto pos = ember::rand<T>({3, 4}) + T(0.1);
  auto xc = x.cuda(), pc = pos.cuda();
  expect_close(ember::neg(xc), ember::neg(x));
  expect_close(ember::abs(xc), ember::abs(x));
  expect_close(ember::relu(xc), ember::relu(x));
  expect_close(ember::exp(xc), ember::exp(x));
  expect_close(ember::log(pc), ember::log(pos));
  expect_close(ember::log1p(pc), ember::log1p(pos));
  expect_close(ember::sqrt(pc), ember::sqrt(pos));
  expect_close(ember::rsqrt(pc), ember::rsqrt(pos));
  expect_close(ember::sin(xc), ember::sin(x));
  expect_close(ember::cos(xc), ember::cos(x));
  expect_close(ember::tanh(xc), ember::tanh(x));
  expect_close(ember::sigmoid(xc), ember::sigmoid(x));
  expect_close(ember::silu(xc), ember::silu(x));
  expect_close(ember::gelu(xc), ember::gelu(x));
  expect_close(ember::gelu(xc, "tanh"), ember::gelu(x, "tanh"));
  auto s = ember::scalar_tensor<T>(T(-1.5));
  expect_close(ember::exp(s.cuda()), ember::exp(s));
  auto e = ember::empty<T>({0, 3});
  expect_close(ember::exp(e.cuda()), ember::exp(e));
}
// The kernels run the CPU's formulas (ops/elementwise_formulas.hpp): relu keeps NaN and passes its
// gradient on, as on the CPU and in PyTorch.
template <class T>
void check_relu_nan() {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  auto x = ember::tensor<T>({nan, T(-1), T(0), T(2)});
  auto xc = x.cuda().detach().requires_grad_();
  auto y = ember::relu(xc);
  expect_close(y, ember::relu(x), 0);
  EXPECT_TRUE(std::isnan(y.cpu().to_vector()[0]));
  y.backward(ember::ones<T>({4}, kGpu));
  expect_close(xc.grad(), ember::tensor<T>({T(1), T(0), T(0), T(1)}), 0);
}
TEST(Cuda, ReluKeepsNaN) {
  REQUIRE_CUDA();
  check_relu_nan<float>();
  check_relu_nan<double>();
}
TEST(Cuda, UnaryFloat) { REQUIRE_CUDA(); check_unary<float>(); }
TEST(Cuda, UnaryDouble) { REQUIRE_CUDA(); check_unary<double>(); }

template <class T>
void check_binary() {
  auto a = ember::randn<T>({4, 1, 5});
  auto b = ember::rand<T>({3, 1}) + T(0.5);  // broadcast to (4, 3, 5)
  auto ac = a.cuda(), bc = b.cuda();
  expect_close(ac + bc, a + b);
  expect_close(ac - bc, a - b);
  expect_close(ac * bc, a * b);
  expect_close(ac / bc, a / b);
  expect_close(ember::maximum(ac, bc), ember::maximum(a, b));
  expect_close(ember::minimum(ac, bc), ember::minimum(a, b));
  expect_close(ember::pow(bc, ac), ember::pow(b, a));
  expect_close(ac * T(3) - T(1), a * T(3) - T(1));
  expect_close(T(2) / bc, T(2) / b);
  expect_close(ember::pow(bc, 2.0), ember::pow(b, 2.0));
  EXPECT_EQ(ember::gt(ac, bc).cpu().to_vector(), ember::gt(a, b).to_vector());
  EXPECT_EQ(ember::eq(ac, ac).cpu().to_vector(), ember::eq(a, a).to_vector());
  expect_close(ember::where(ember::lt(ac, bc), ac, bc), ember::where(ember::lt(a, b), a, b));
  auto t = a.transpose(0, 2);  // non-contiguous operands
  expect_close(t.cuda() * t.cuda(), t * t);
  auto y = ac.clone();
  y.add_(bc.reshape({1, 3, 1}).narrow(1, 0, 1));
  y.mul_(T(2));
  expect_close(y, (a + b.reshape({1, 3, 1}).narrow(1, 0, 1)) * T(2));
}
TEST(Cuda, BinaryFloat) { REQUIRE_CUDA(); check_binary<float>(); }
TEST(Cuda, BinaryDouble) { REQUIRE_CUDA(); check_binary<double>(); }

template <class T>
void check_reduce() {
  auto x = ember::randn<T>({3, 4, 5});
  auto xc = x.cuda();
  expect_close(xc.sum(), x.sum());
  expect_close(xc.mean(), x.mean());
  expect_close(xc.sum(-1), x.sum(-1));
  expect_close(xc.sum({0, 2}, true), x.sum({0, 2}, true));
  expect_close(xc.mean(1, true), x.mean(1, true));
  expect_close(xc.permute({2, 0, 1}).sum(1), x.permute({2, 0, 1}).sum(1));
  auto s = ember::scalar_tensor<T>(T(2));
  expect_close(s.cuda().sum(), s.sum());
  auto e = ember::empty<T>({0, 4});
  expect_close(e.cuda().sum(0), e.sum(0));
  expect_close(e.cuda().mean(0), e.mean(0));
  auto big = ember::randn<T>({100000});
  expect_close(big.cuda().sum(), big.sum(), 1e-4);
}
TEST(Cuda, ReduceFloat) { REQUIRE_CUDA(); check_reduce<float>(); }

template <class T>
void check_extrema_and_softmax() {
  auto x = ember::randn<T>({3, 4, 5});
  auto xc = x.cuda();
  expect_close(xc.amax(), x.amax(), 0);
  expect_close(xc.amin(-1, true), x.amin(-1, true), 0);
  expect_close(xc.max(), x.max(), 0);
  auto nan = ember::tensor<T>({1, NAN, 3});
  EXPECT_TRUE(std::isnan(nan.cuda().amax().item()));
  expect_close(xc.softmax(-1), x.softmax(-1));
  expect_close(xc.log_softmax(1), x.log_softmax(1));
  auto run = [&](Device d) {
    auto p = x.to(d).detach().requires_grad_();  // to(cpu) is x itself: never mark x
    (p.softmax(1) * ember::arange<T>(0, 5, 1, d)).sum().backward();
    (p.amax(-1).sum() + p.log_softmax(0).mean()).backward();
    return p.grad();
  };
  expect_close(run(kGpu), run(Device::cpu()));
}
TEST(Cuda, ExtremaAndSoftmaxFloat) { REQUIRE_CUDA(); check_extrema_and_softmax<float>(); }
TEST(Cuda, ExtremaAndSoftmaxDouble) { REQUIRE_CUDA(); check_extrema_and_softmax<double>(); }
TEST(Cuda, ReduceDouble) { REQUIRE_CUDA(); check_reduce<double>(); }

template <class T>
void check_matmul() {
  auto a = ember::randn<T>({5, 7}), b = ember::randn<T>({7, 3});
  expect_close(ember::matmul(a.cuda(), b.cuda()), ember::matmul(a, b), 1e-4);
  expect_close(ember::matmul(b.mT().cuda(), a.mT().cuda()), ember::matmul(b.mT(), a.mT()), 1e-4);
  expect_close(ember::matmul(b.cuda().mT(), a.cuda().mT()), ember::matmul(b.mT(), a.mT()), 1e-4);
  auto p = ember::randn<T>({2, 3, 5, 7}), q = ember::randn<T>({3, 7, 4});  // broadcast batch
  expect_close(ember::matmul(p.cuda(), q.cuda()), ember::matmul(p, q), 1e-4);
  auto v = ember::randn<T>({7});
  expect_close(ember::matmul(a.cuda(), v.cuda()), ember::matmul(a, v), 1e-4);
  expect_close(ember::matmul(v.cuda(), b.cuda()), ember::matmul(v, b), 1e-4);
  auto z = ember::randn<T>({5, 0});
  expect_close(ember::matmul(z.cuda(), ember::randn<T>({0, 3}).cuda()), ember::zeros<T>({5, 3}), 0);
}
TEST(Cuda, MatmulFloat) { REQUIRE_CUDA(); check_matmul<float>(); }
TEST(Cuda, MatmulDouble) { REQUIRE_CUDA(); check_matmul<double>(); }

TEST(Cuda, MlpGradientsMatchCpu) {
  REQUIRE_CUDA();
  auto x = ember::randn<double>({8, 5});
  auto w1 = ember::randn<double>({5, 6}), b1 = ember::randn<double>({6}), w2 = ember::randn<double>({6, 1});
  auto run = [&](Device d) {
    // to(cpu) returns the tensor itself: detach so that the CPU run does not mark w1, b1, w2.
    auto pw1 = w1.to(d).detach().requires_grad_(), pb1 = b1.to(d).detach().requires_grad_(),
         pw2 = w2.to(d).detach().requires_grad_();
    auto h = ember::tanh(ember::matmul(x.to(d), pw1) + pb1);
    auto y = ember::sigmoid(ember::matmul(ember::relu(h) * 0.5 + h, pw2));
    auto loss = ((y - 0.25) * (y - 0.25)).mean();
    loss.backward();
    return std::vector<Tensor<double>>{loss, pw1.grad(), pb1.grad(), pw2.grad()};
  };
  auto cpu = run(Device::cpu()), gpu = run(kGpu);
  for (std::size_t i = 0; i < cpu.size(); ++i) expect_close(gpu[i], cpu[i], 1e-9);
  // A leaf on the CPU gets its gradient through a copy to the device.
  auto leaf = ember::randn<double>({3}).requires_grad_();
  (leaf.cuda() * 2.0).sum().backward();
  EXPECT_TRUE(leaf.grad().device().is_cpu());
  expect_close(leaf.grad().cuda(), ember::full<double>({3}, 2.0), 0);
}

TEST(Cuda, DeviceMismatchAndMissingKernels) {
  REQUIRE_CUDA();
  auto a = ember::ones<float>({2}), b = ember::ones<float>({2}, kGpu);
  auto msg = error_of<ember::DeviceError>([&] { a + b; });
  EXPECT_NE(msg.find("[add] expected all tensors on the same device, got cpu and cuda:0"), std::string::npos) << msg;
  msg = error_of<ember::DeviceError>([&] { ember::matmul(b.reshape({1, 2}), a.reshape({2, 1})); });
  EXPECT_NE(msg.find("got cuda:0 and cpu"), std::string::npos) << msg;
  msg = error_of<ember::DeviceError>([&] { ember::conv2d(ember::ones<float>({1, 1, 3, 3}, kGpu),
                                                          ember::ones<float>({1, 1, 2, 2}, kGpu)); });
  EXPECT_NE(msg.find("[conv2d] not implemented on cuda yet"), std::string::npos) << msg;
  msg = error_of<ember::DeviceError>([&] { b.prod(); });
  EXPECT_NE(msg.find("[prod] not implemented on cuda yet"), std::string::npos) << msg;
}

TEST(Cuda, AllocatorReusesBlocksAndSurvivesOutOfMemory) {
  REQUIRE_CUDA();
  ember::cuda::synchronize(0);
  const auto before = ember::cuda::memory_allocated(0);
  {
    auto t = ember::empty<float>({1 << 20}, kGpu);
    EXPECT_GE(ember::cuda::memory_allocated(0), before + (4u << 20));
  }
  EXPECT_EQ(ember::cuda::memory_allocated(0), before);
  const auto reserved = ember::cuda::memory_reserved(0);
  EXPECT_GE(reserved, before + (4u << 20));
  { auto again = ember::empty<float>({1 << 20}, kGpu); }
  EXPECT_EQ(ember::cuda::memory_reserved(0), reserved);  // the cached block was reused
  ember::cuda::empty_cache();
  EXPECT_LT(ember::cuda::memory_reserved(0), reserved);

  const std::int64_t petabyte = std::int64_t{1} << 50;
  try {
    ember::empty<std::uint8_t>({petabyte}, kGpu);
    FAIL() << "allocating 1 PB succeeded";
  } catch (const ember::OutOfMemoryError& e) {
    EXPECT_EQ(e.requested(), static_cast<std::size_t>(petabyte));
    EXPECT_NE(std::string(e.what()).find("tried to allocate 1125899906842624 bytes"), std::string::npos) << e.what();
  }
  expect_close(ember::ones<float>({3}, kGpu) * 2.f, ember::full<float>({3}, 2.f), 0);
}

}  // namespace
