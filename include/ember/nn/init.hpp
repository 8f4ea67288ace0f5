#pragma once
// Parameter initialisation, as torch.nn.init: each function fills a tensor in place (without
// recording autograd) from an ember::Generator and returns it. The fan and gain formulas are PyTorch's.
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>

#include "ember/autograd/grad_mode.hpp"
#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/copy.hpp"
#include "ember/ops/creation.hpp"

namespace ember::nn::init {

/// (fan_in, fan_out) of a weight: size(1) and size(0) times the receptive field (the product of the
/// dims after the first two), as torch.nn.init._calculate_fan_in_and_fan_out.
template <Element T>
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor<T>& t, const char* op = "init") {
  EMBER_CHECK(t.dim() >= 2, op, "fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, ",
              "got shape ", t.shape());
  std::int64_t receptive = 1;
  for (std::int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

/// The recommended gain for a nonlinearity ("linear", "conv2d", "sigmoid", "tanh", "relu",
/// "leaky_relu" with negative slope `param`, "selu"), as torch.nn.init.calculate_gain.
inline double calculate_gain(std::string_view nonlinearity, double param = 0.01) {
  if (nonlinearity == "linear" || nonlinearity == "identity" || nonlinearity == "sigmoid" ||
      nonlinearity.starts_with("conv"))
    return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu") return 3.0 / 4.0;
  ::ember::detail::fail<std::invalid_argument>("calculate_gain", "unsupported nonlinearity '", nonlinearity, "'");
}

namespace detail {

/// Writes values (a fresh contiguous tensor of t's shape) into t without recording autograd.
template <FloatElement T>
const Tensor<T>& assign(const Tensor<T>& t, const Tensor<T>& values) {
  NoGradGuard guard;
  t.detach().copy_(values);
  return t;
}

/// Fan in or fan out of t, chosen by mode ("fan_in" or "fan_out").
template <FloatElement T>
std::int64_t fan(const Tensor<T>& t, std::string_view mode, const char* op) {
  EMBER_CHECK(mode == "fan_in" || mode == "fan_out", op, "mode must be 'fan_in' or 'fan_out', got '", mode, "'");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t, op);
  return mode == "fan_in" ? fan_in : fan_out;
}

}  // namespace detail

/// Fills t with samples of U(a, b).
template <FloatElement T>
const Tensor<T>& uniform_(const Tensor<T>& t, double a = 0.0, double b = 1.0, Generator& gen = default_generator()) {
  EMBER_CHECK(a <= b, "uniform_", "expected a <= b, got a = ", a, " and b = ", b);
  Tensor<T> v = Tensor<T>::empty(t.shape());
  T* p = v.data();
  gen.with_engine([&](std::mt19937_64& e) {
    for (std::int64_t i = 0; i < v.numel(); ++i) p[i] = static_cast<T>(a + (b - a) * Generator::uniform01(e));
  });
  return detail::assign(t, v);
}

/// Fills t with samples of N(mean, std^2).
template <FloatElement T>
const Tensor<T>& normal_(const Tensor<T>& t, double mean = 0.0, double std = 1.0,
                         Generator& gen = default_generator()) {
  EMBER_CHECK(std >= 0.0, "normal_", "std must be non-negative, got ", std);
  Tensor<T> v = randn<T>(t.shape(), gen);
  T* p = v.data();
  for (std::int64_t i = 0; i < v.numel(); ++i) p[i] = static_cast<T>(mean + std * p[i]);
  return detail::assign(t, v);
}

/// Fills t with `value`.
template <FloatElement T>
const Tensor<T>& constant_(const Tensor<T>& t, double value) {
  return detail::assign(t, full<T>(t.shape(), static_cast<T>(value)));
}
/// Fills t with zeros.
template <FloatElement T>
const Tensor<T>& zeros_(const Tensor<T>& t) { return constant_(t, 0.0); }
/// Fills t with ones.
template <FloatElement T>
const Tensor<T>& ones_(const Tensor<T>& t) { return constant_(t, 1.0); }

/// He initialisation: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain from nonlinearity
/// and a (the negative slope of leaky_relu).
template <FloatElement T>
const Tensor<T>& kaiming_uniform_(const Tensor<T>& t, double a = 0.0, std::string_view mode = "fan_in",
                                  std::string_view nonlinearity = "leaky_relu", Generator& gen = default_generator()) {
  const std::int64_t f = detail::fan(t, mode, "kaiming_uniform_");
  EMBER_CHECK(f > 0, "kaiming_uniform_", "cannot initialise a tensor of shape ", t.shape(), " with a zero fan");
  const double bound = std::sqrt(3.0) * calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
  return uniform_(t, -bound, bound, gen);
}

/// He initialisation: N(0, std^2) with std = gain / sqrt(fan).
template <FloatElement T>
const Tensor<T>& kaiming_normal_(const Tensor<T>& t, double a = 0.0, std::string_view mode = "fan_in",
                                 std::string_view nonlinearity = "leaky_relu", Generator& gen = default_generator()) {
  const std::int64_t f = detail::fan(t, mode, "kaiming_normal_");
  EMBER_CHECK(f > 0, "kaiming_normal_", "cannot initialise a tensor of shape ", t.shape(), " with a zero fan");
  return normal_(t, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f)), gen);
}

/// Glorot initialisation: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
template <FloatElement T>
const Tensor<T>& xavier_uniform_(const Tensor<T>& t, double gain = 1.0, Generator& gen = default_generator()) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t, "xavier_uniform_");
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(t, -a, a, gen);
}

/// Glorot initialisation: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
template <FloatElement T>
const Tensor<T>& xavier_normal_(const Tensor<T>& t, double gain = 1.0, Generator& gen = default_generator()) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t, "xavier_normal_");
  return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), gen);
}

/// A (semi-)orthogonal matrix from the QR decomposition of a normal sample, times gain: t viewed as
/// (size(0), numel / size(0)) gets orthonormal rows or columns, as torch.nn.init.orthogonal_ (R's diagonal
/// made positive, so the result is unique for the sample).
template <FloatElement T>
const Tensor<T>& orthogonal_(const Tensor<T>& t, double gain = 1.0, Generator& gen = default_generator()) {
  EMBER_CHECK(t.dim() >= 2, "orthogonal_", "only tensors with 2 or more dimensions are supported, got shape ",
              t.shape());
  if (t.numel() == 0) return t;
  const std::int64_t rows = t.size(0), cols = t.numel() / rows;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Tensor<T> sample = randn<T>({rows, cols}, gen);
  Matrix a = Eigen::Map<const Matrix>(sample.data(), rows, cols);
  if (rows < cols) a.transposeInPlace();
  Eigen::HouseholderQR<Matrix> qr(a);
  const std::int64_t m = a.rows(), n = a.cols();  // m >= n: the thin Q (m, n)
  Matrix q = qr.householderQ() * Matrix::Identity(m, n);
  const Matrix r = qr.matrixQR().topRows(n).template triangularView<Eigen::Upper>();
  for (std::int64_t j = 0; j < n; ++j) q.col(j) *= r(j, j) < 0 ? T(-1) : r(j, j) > 0 ? T(1) : T(0);
  if (rows < cols) q.transposeInPlace();
  Tensor<T> v = Tensor<T>::empty(t.shape());
  Eigen::Map<Matrix>(v.data(), rows, cols) = q * static_cast<T>(gain);
  return detail::assign(t, v);
}

/// Samples of N(mean, std^2) redrawn until they fall in [a, b], as torch.nn.init.trunc_normal_.
template <FloatElement T>
const Tensor<T>& trunc_normal_(const Tensor<T>& t, double mean = 0.0, double std = 1.0, double a = -2.0,
                               double b = 2.0, Generator& gen = default_generator()) {
  EMBER_CHECK(std >= 0.0, "trunc_normal_", "std must be non-negative, got ", std);
  EMBER_CHECK(a < b, "trunc_normal_", "expected a < b, got a = ", a, " and b = ", b);
  Tensor<T> v = Tensor<T>::empty(t.shape());
  T* p = v.data();
  gen.with_engine([&](std::mt19937_64& e) {
    std::normal_distribution<double> normal(mean, std);
    for (std::int64_t i = 0; i < v.numel(); ++i) {
      double x = normal(e);
      for (int tries = 0; (x < a || x > b) && tries < 1000; ++tries) x = normal(e);
      p[i] = static_cast<T>(std::clamp(x, a, b));  // the clamp only matters when [a, b] is far in a tail
    }
  });
  return detail::assign(t, v);
}

/// The identity matrix (a 2-d t), as torch.nn.init.eye_.
template <FloatElement T>
const Tensor<T>& eye_(const Tensor<T>& t) {
  EMBER_CHECK(t.dim() == 2, "eye_", "only 2-d tensors are supported, got shape ", t.shape());
  return detail::assign(t, eye<T>(t.size(0), t.size(1)));
}

/// Ones at the centre of each kernel (a 3-, 4- or 5-d convolution weight), so the convolution keeps its
/// input's channels (up to min(out / groups, in) of them per group), as torch.nn.init.dirac_.
template <FloatElement T>
const Tensor<T>& dirac_(const Tensor<T>& t, std::int64_t groups = 1) {
  EMBER_CHECK(t.dim() >= 3 && t.dim() <= 5, "dirac_", "only tensors with 3, 4, or 5 dimensions are supported, got "
              "shape ", t.shape());
  EMBER_CHECK(groups > 0 && t.size(0) % groups == 0, "dirac_", "dim 0 (", t.size(0), ") must be divisible by groups (",
              groups, ")");
  Tensor<T> v = zeros<T>(t.shape());
  const std::int64_t out_per_group = t.size(0) / groups, min_dim = std::min(out_per_group, t.size(1));
  const Shape strides = v.strides();
  std::int64_t centre = 0;
  for (std::int64_t d = 2; d < t.dim(); ++d) centre += t.size(d) / 2 * strides[d];
  for (std::int64_t g = 0; g < groups; ++g)
    for (std::int64_t d = 0; d < min_dim; ++d) v.data()[(g * out_per_group + d) * strides[0] + d * strides[1] + centre] = T(1);
  return detail::assign(t, v);
}

/// A sparse 2-d matrix: N(0, std^2) samples with ceil(sparsity * rows) of each column's entries zeroed at
/// random rows, as torch.nn.init.sparse_.
template <FloatElement T>
const Tensor<T>& sparse_(const Tensor<T>& t, double sparsity, double std = 0.01, Generator& gen = default_generator()) {
  EMBER_CHECK(t.dim() == 2, "sparse_", "only tensors with 2 dimensions are supported, got shape ", t.shape());
  EMBER_CHECK(sparsity >= 0.0 && sparsity <= 1.0, "sparse_", "sparsity must be in [0, 1], got ", sparsity);
  const std::int64_t rows = t.size(0), cols = t.size(1);
  const auto num_zeros = static_cast<std::int64_t>(std::ceil(sparsity * static_cast<double>(rows)));
  Tensor<T> v = randn<T>({rows, cols}, gen);
  T* p = v.data();
  for (std::int64_t i = 0; i < v.numel(); ++i) p[i] = static_cast<T>(std * p[i]);
  for (std::int64_t c = 0; c < cols; ++c) {
    const Tensor<std::int64_t> perm = randperm<std::int64_t>(rows, gen);
    for (std::int64_t k = 0; k < num_zeros; ++k) p[perm.data()[k] * cols + c] = T(0);
  }
  return detail::assign(t, v);
}

}  // namespace ember::nn::init
