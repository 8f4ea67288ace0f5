// The oneDNN int8 inference kernels of the quantized deploy ops (backend/onednn/quantized.hpp) against
// plain loops of their semantics in double: xq = clamp(round_half_to_even(x / x_scale)), then
// y = act(sum(xq * w) * x_scale * w_scale[o] + b[o]).
// The inputs are (integer + fraction) * x_scale with the fraction away from .5: oneDNN's reorder may
// divide by x_scale or multiply by its reciprocal, which only differ on (near-)ties.
// Each case runs the public function (int8 kernels where the CPU has int8 dot products, else the float32
// path), the float32 path, and the int8 kernels where they are exact (ONEDNN_MAX_CPU_ISA=AVX2 takes the
// first case to the float32 path).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ember/backend/eigen/conv.hpp"
#include "ember/backend/onednn/quantized.hpp"

namespace {

using ember::detail::ConvGeometry;
namespace dn = ember::detail::onednn;

struct Data {
  std::mt19937 gen;
  explicit Data(unsigned seed) : gen(seed) {}

  /// n inputs whose quantized values spread over [lo, hi] (beyond the dtype's range: saturation).
  std::vector<float> inputs(std::size_t n, float scale, int lo, int hi) {
    std::uniform_int_distribution<int> q(lo, hi);
    std::uniform_real_distribution<float> frac(0.1f, 0.35f);
    std::bernoulli_distribution up(0.5);
    std::vector<float> x(n);
    for (auto& v : x) v = (static_cast<float>(q(gen)) + (up(gen) ? frac(gen) : -frac(gen))) * scale;
    return x;
  }
  std::vector<std::int8_t> weights(std::size_t n) {
    std::uniform_int_distribution<int> q(-128, 127);
    std::vector<std::int8_t> w(n);
    for (auto& v : w) v = static_cast<std::int8_t>(q(gen));
    return w;
  }
  std::vector<float> uniform(std::size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (auto& e : v) e = u(gen);
    return v;
  }
};

double quantize(float x, float scale, bool x_unsigned) {
  const double q = std::nearbyint(x / scale);
  return std::clamp(q, x_unsigned ? 0.0 : -128.0, x_unsigned ? 255.0 : 127.0);
}

void expect_close(const std::vector<float>& y, const std::vector<double>& ref, const std::string& what) {
  ASSERT_EQ(y.size(), ref.size());
  int bad = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (!(std::abs(y[i] - ref[i]) <= 1e-5 * (1 + std::abs(ref[i]))) && ++bad <= 5)
      ADD_FAILURE() << what << ": y[" << i << "] = " << y[i] << ", expected " << ref[i];
  EXPECT_EQ(bad, 0) << what;
}

struct ConvCase {
  std::int64_t n, c, h, w, o, g, k, stride, padding, dilation;
  bool bias, x_unsigned, relu;
};

enum class Path { dispatch, int8, f32 };
constexpr Path kPaths[] = {Path::dispatch, Path::int8, Path::f32};

/// Whether path runs here, and its name.
bool runs(Path path) { return path != Path::int8 || dn::int8_dot_native(); }
const char* name(Path path) {
  return path == Path::dispatch ? " [dispatch]" : path == Path::int8 ? " [int8]" : " [f32]";
}

void conv(Path path, const float* x, dn::PackedInt8Weights& w, const float* w_scale, const float* b, float* y,
          const ConvGeometry& p, float x_scale, bool x_unsigned, const dn::PostOp& post) {
  auto f = path == Path::dispatch ? dn::quantized_conv2d_inference
         : path == Path::int8     ? dn::quantized_conv2d_int8
                                  : dn::quantized_conv2d_f32;
  f(x, w, w_scale, b, y, p, x_scale, x_unsigned, post);
}

void linear(Path path, const float* x, dn::PackedInt8Weights& w, const float* w_scale, const float* b, float* y,
            std::int64_t m, std::int64_t k, std::int64_t n, float x_scale, bool x_unsigned, const dn::PostOp& post) {
  auto f = path == Path::dispatch ? dn::quantized_linear_inference
         : path == Path::int8     ? dn::quantized_linear_int8
                                  : dn::quantized_linear_f32;
  f(x, w, w_scale, b, y, m, k, n, x_scale, x_unsigned, post);
}

ConvGeometry geometry(const ConvCase& t) {
  ConvGeometry p{};
  p.n = t.n, p.c = t.c, p.h = t.h, p.w = t.w, p.o = t.o, p.g = t.g, p.kh = t.k, p.kw = t.k;
  p.stride = {t.stride, t.stride};
  p.padding = {t.padding, t.padding};
  p.dilation = {t.dilation, t.dilation};
  p.oh = (t.h + 2 * t.padding - t.dilation * (t.k - 1) - 1) / t.stride + 1;
  p.ow = (t.w + 2 * t.padding - t.dilation * (t.k - 1) - 1) / t.stride + 1;
  return p;
}

dn::PostOp relu_if(bool relu) {
  dn::PostOp post;
  if (relu) post.alg = dnnl::algorithm::eltwise_relu;
  return post;
}

void check_conv(const ConvCase& t, unsigned seed) {
  const ConvGeometry p = geometry(t);
  const std::string what = "conv n" + std::to_string(t.n) + " c" + std::to_string(t.c) + " o" + std::to_string(t.o) +
                           " g" + std::to_string(t.g) + " k" + std::to_string(t.k) + " s" + std::to_string(t.stride) +
                           " p" + std::to_string(t.padding) + " d" + std::to_string(t.dilation) +
                           (t.bias ? " bias" : "") + (t.x_unsigned ? " u8" : " s8") + (t.relu ? " relu" : "");
  Data data(seed);
  const float x_scale = 0.037f;
  const auto x = t.x_unsigned ? data.inputs(p.n * p.c * p.h * p.w, x_scale, -20, 280)
                              : data.inputs(p.n * p.c * p.h * p.w, x_scale, -150, 150);
  const auto w = data.weights(p.o * p.c_per_group() * p.kh * p.kw);
  const auto w_scale = data.uniform(p.o, 0.001f, 0.02f);
  const auto b = data.uniform(p.o, -3.0f, 3.0f);
  std::vector<double> acc(p.n * p.o * p.oh * p.ow, 0.0);
  ember::detail::conv_for_each(p, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) {
    acc[yi] += quantize(x[xi], x_scale, t.x_unsigned) * w[wi];
  });
  std::vector<double> ref(acc.size());
  const std::int64_t plane = p.oh * p.ow;
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::int64_t o = (static_cast<std::int64_t>(i) / plane) % p.o;
    double v = acc[i] * static_cast<double>(x_scale) * w_scale[o] + (t.bias ? b[o] : 0.0);
    ref[i] = t.relu ? std::max(v, 0.0) : v;
  }
  dn::PackedInt8Weights packed(w.data());  // shared by the paths: one packed copy per layout
  for (const Path path : kPaths) {
    if (!runs(path)) continue;
    std::vector<float> y(ref.size(), -1.0f);
    for (int rep = 0; rep < 2; ++rep) {  // the second call: cached primitive, packed weights
      conv(path, x.data(), packed, w_scale.data(), t.bias ? b.data() : nullptr, y.data(), p, x_scale, t.x_unsigned,
           relu_if(t.relu));
      expect_close(y, ref, what + name(path) + (rep ? " (2nd call)" : ""));
    }
  }
}

TEST(QuantizedOnednn, Conv2d) {
  const ConvCase cases[] = {
      // n  c   h   w   o  g  k  s  p  d  bias   u8     relu
      {2, 3, 9, 9, 5, 1, 3, 1, 1, 1, true, true, false},
      {2, 3, 9, 9, 5, 1, 3, 1, 1, 1, false, false, true},
      {2, 20, 11, 10, 24, 1, 3, 2, 1, 1, true, true, true},
      {2, 20, 11, 10, 24, 1, 3, 2, 1, 1, true, false, false},
      {1, 17, 12, 12, 19, 1, 3, 1, 2, 2, false, true, false},
      {1, 17, 12, 12, 19, 1, 3, 1, 2, 2, true, false, true},
      {2, 6, 8, 8, 10, 2, 3, 1, 1, 1, true, true, false},
      {2, 6, 8, 8, 10, 2, 3, 1, 1, 1, false, false, true},
      {2, 24, 7, 9, 24, 24, 3, 1, 1, 1, true, true, true},   // depthwise
      {2, 24, 7, 9, 24, 24, 3, 2, 1, 1, true, false, false},  // depthwise, s8
      {3, 33, 5, 6, 18, 1, 1, 1, 0, 1, true, true, false},    // 1x1
      {3, 33, 5, 6, 18, 1, 1, 2, 0, 1, false, false, true},
      {4, 32, 14, 14, 64, 1, 3, 1, 1, 1, true, true, true},  // the Fashion-MNIST CNN's second conv
  };
  unsigned seed = 1;
  for (const auto& t : cases) check_conv(t, seed++);
}

void check_linear(std::int64_t m, std::int64_t k, std::int64_t n, bool bias, bool x_unsigned, bool relu,
                  unsigned seed) {
  const std::string what = "linear m" + std::to_string(m) + " k" + std::to_string(k) + " n" + std::to_string(n) +
                           (bias ? " bias" : "") + (x_unsigned ? " u8" : " s8") + (relu ? " relu" : "");
  Data data(seed);
  const float x_scale = 0.021f;
  const auto x = x_unsigned ? data.inputs(m * k, x_scale, -20, 280) : data.inputs(m * k, x_scale, -150, 150);
  const auto w = data.weights(n * k);
  const auto w_scale = data.uniform(n, 0.001f, 0.02f);
  const auto b = data.uniform(n, -3.0f, 3.0f);
  std::vector<double> ref(m * n);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::int64_t l = 0; l < k; ++l) acc += quantize(x[i * k + l], x_scale, x_unsigned) * w[j * k + l];
      const double v = acc * static_cast<double>(x_scale) * w_scale[j] + (bias ? b[j] : 0.0);
      ref[i * n + j] = relu ? std::max(v, 0.0) : v;
    }
  dn::PackedInt8Weights packed(w.data());
  for (const Path path : kPaths) {
    if (!runs(path)) continue;
    std::vector<float> y(m * n, -1.0f);
    for (int rep = 0; rep < 2; ++rep) {
      linear(path, x.data(), packed, w_scale.data(), bias ? b.data() : nullptr, y.data(), m, k, n, x_scale,
             x_unsigned, relu_if(relu));
      expect_close(y, ref, what + name(path) + (rep ? " (2nd call)" : ""));
    }
  }
}

TEST(QuantizedOnednn, Linear) {
  unsigned seed = 100;
  for (const std::int64_t m : {1, 257})
    for (const bool x_unsigned : {true, false}) {
      check_linear(m, 37, 19, true, x_unsigned, false, seed++);
      check_linear(m, 37, 19, false, x_unsigned, true, seed++);
      check_linear(m, 3136, 128, true, x_unsigned, true, seed++);  // the Fashion-MNIST CNN's first linear
    }
}

TEST(QuantizedOnednn, Conv2dMaxPool) {
  // The Fashion-MNIST CNN's second block: conv 32->64 3x3 pad 1, ReLU, max pool 2x2 on 14x14 (and on 10x10,
  // 9x9: a pooling that drops the last row and column, which oneDNN cannot do: false, y untouched); the
  // pooling runs on the convolution's blocked output.
  for (const std::int64_t hw : {14, 10, 9}) {
    const ConvCase t{3, 32, hw, hw, 64, 1, 3, 1, 1, 1, true, true, true};
    const ConvGeometry p = geometry(t);
    ember::detail::PoolGeometry q{};
    q.planes = p.n * p.o, q.h = p.oh, q.w = p.ow, q.oh = p.oh / 2, q.ow = p.ow / 2;
    q.kernel = q.stride = {2, 2};
    q.padding = {0, 0};
    q.dilation = {1, 1};
    Data data(40 + static_cast<unsigned>(hw));
    const float x_scale = 0.05f;
    const auto x = data.inputs(p.n * p.c * p.h * p.w, x_scale, -20, 280);
    const auto w = data.weights(p.o * p.c * 9);
    const auto w_scale = data.uniform(p.o, 0.001f, 0.02f);
    const auto b = data.uniform(p.o, -3.0f, 3.0f);
    std::vector<double> conv_ref(p.n * p.o * p.oh * p.ow, 0.0);
    ember::detail::conv_for_each(p, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) {
      conv_ref[yi] += quantize(x[xi], x_scale, true) * w[wi];
    });
    const std::int64_t plane = p.oh * p.ow;
    for (std::size_t i = 0; i < conv_ref.size(); ++i) {
      const std::int64_t o = (static_cast<std::int64_t>(i) / plane) % p.o;
      conv_ref[i] = std::max(conv_ref[i] * static_cast<double>(x_scale) * w_scale[o] + b[o], 0.0);
    }
    std::vector<double> ref(q.planes * q.oh * q.ow);
    for (std::int64_t pl = 0; pl < q.planes; ++pl)
      for (std::int64_t i = 0; i < q.oh; ++i)
        for (std::int64_t j = 0; j < q.ow; ++j) {
          double m = -1e300;
          for (std::int64_t di = 0; di < 2; ++di)
            for (std::int64_t dj = 0; dj < 2; ++dj)
              m = std::max(m, conv_ref[(pl * p.oh + 2 * i + di) * p.ow + 2 * j + dj]);
          ref[(pl * q.oh + i) * q.ow + j] = m;
        }
    dn::PackedInt8Weights packed(w.data());
    for (const bool int8 : {true, false}) {
      if (int8 && !dn::int8_dot_native()) continue;
      std::vector<float> y(ref.size(), -1.0f);
      const bool ran = dn::quantized_conv2d_pool_inference(x.data(), packed, w_scale.data(), b.data(), y.data(), p,
                                                           x_scale, true, relu_if(true), q, int8);
      ASSERT_EQ(ran, hw != 9);
      if (ran)
        expect_close(y, ref, "conv+pool " + std::to_string(hw) + (int8 ? " [int8]" : " [f32]"));
      else
        EXPECT_EQ(y, std::vector<float>(ref.size(), -1.0f));
    }
  }
}

TEST(QuantizedOnednn, ScalesAreRuntimeArguments) {
  // A second scale on the same geometry reuses the cached primitive and gives the rescaled result.
  const ConvCase t{1, 4, 6, 6, 8, 1, 3, 1, 1, 1, true, true, false};
  const ConvGeometry p = geometry(t);
  Data data(7);
  const auto x = data.inputs(p.n * p.c * p.h * p.w, 0.1f, 0, 200);
  const auto w = data.weights(p.o * p.c * 9);
  const auto w_scale = data.uniform(p.o, 0.001f, 0.02f);
  dn::PackedInt8Weights packed(w.data());
  std::vector<float> x2(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x2[i] = x[i] * 2;
  for (const Path path : kPaths) {
    if (!runs(path)) continue;
    std::vector<float> y1(p.n * p.o * p.oh * p.ow), y2(y1.size());
    conv(path, x.data(), packed, w_scale.data(), nullptr, y1.data(), p, 0.1f, true, {});
    const auto misses = dn::cache_stats().misses.load();
    conv(path, x2.data(), packed, w_scale.data(), nullptr, y2.data(), p, 0.2f, true, {});
    EXPECT_EQ(dn::cache_stats().misses.load(), misses) << name(path);
    for (std::size_t i = 0; i < y1.size(); ++i)
      EXPECT_NEAR(y2[i], 2 * y1[i], 1e-5 * (1 + std::abs(y2[i]))) << name(path);
  }
}

TEST(QuantizedOnednn, RefusedGeometryThrowsEmbersError) {
  // groups that do not divide the channels: oneDNN refuses the descriptor.
  ConvGeometry p = geometry({1, 6, 5, 5, 4, 1, 3, 1, 1, 1, false, true, false});
  p.g = 4;
  std::vector<std::int8_t> w(64);
  std::vector<float> x(150), ws(4), y(100);
  dn::PackedInt8Weights packed(w.data());
  for (const Path path : kPaths) {
    if (!runs(path)) continue;
    try {
      conv(path, x.data(), packed, ws.data(), nullptr, y.data(), p, 1.0f, true, {});
      ADD_FAILURE() << "no exception" << name(path);
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("quantized_conv2d"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
