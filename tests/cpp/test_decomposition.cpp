// inv, solve, det, slogdet, cholesky, eigh, eigvalsh (ops/decomposition.hpp): identities they satisfy, gradients by
// gradcheck, the errors (comparisons with NumPy and torch.linalg: tests/python/test_decomposition.py).
#include <cmath>

#include "ember/autograd/gradcheck.hpp"
#include "ember/ops/decomposition.hpp"
#include "helpers.hpp"

namespace ember {
namespace {

using testing::error_of;
using testing::leaf;

autograd::TensorFunction of_matrix(std::function<Tensor<double>(const Tensor<double>&)> f) {
  return [f](const std::vector<AnyTensor>& in) { return std::vector<AnyTensor>{f(in[0].get<double>())}; };
}

double worst(const Tensor<double>& a, const Tensor<double>& b) { return sub(a, b).abs().max().item(); }

/// x x^T + n I for every matrix of x: symmetric positive-definite.
Tensor<double> spd_of(const Tensor<double>& x) {
  return add(matmul(x, x.mT()), mul(eye<double>(x.size(-1)), double(x.size(-1))));
}

TEST(Decomposition, Identities) {
  const Tensor<double> A = add(randn<double>({2, 3, 4, 4}), mul(eye<double>(4), 4.0)), B = randn<double>({3, 4, 2});
  const Tensor<double> I = eye<double>(4).expand({2, 3, 4, 4});
  EXPECT_LT(worst(matmul(A, inv(A)), I), 1e-12);
  EXPECT_LT(worst(matmul(A, solve(A, B)), B.expand({2, 3, 4, 2})), 1e-12);
  auto [sign, logabs] = slogdet(A);
  EXPECT_LT(worst(det(A), mul(sign, exp(logabs))), 1e-9);
  const Tensor<double> S = spd_of(randn<double>({3, 5, 5}));
  const Tensor<double> L = cholesky(S);
  EXPECT_LT(worst(matmul(L, L.mT()), S), 1e-12);
  EXPECT_LT(worst(triu(L, 1), zeros<double>(L.shape())), 0.0 + 1e-300);
  EXPECT_LT(worst(cholesky(S, true), L.mT()), 1e-15);
  auto [w, V] = eigh(S);
  EXPECT_LT(worst(matmul(mul(V, unsqueeze(w, -2)), V.mT()), S), 1e-11);
  EXPECT_LT(worst(eigvalsh(S), w), 1e-11);
  const auto wv = w.to_vector();
  for (std::size_t i = 0; i + 1 < wv.size(); ++i)
    if ((i + 1) % 5) EXPECT_LE(wv[i], wv[i + 1]);  // ascending within each matrix
  EXPECT_EQ(det(zeros<double>({2, 0, 0})).to_vector(), (std::vector<double>{1.0, 1.0}));
  auto f = inv(randn<float>({3, 3}));
  EXPECT_EQ(f.shape(), (Shape{3, 3}));
}

TEST(Decomposition, GradientsMatchFiniteDifferences) {
  const auto A = leaf({2, 3, 3}, 1);
  const Tensor<double> shift = mul(eye<double>(3), 3.0);
  EXPECT_TRUE(autograd::gradcheck(of_matrix([&](const auto& t) { return inv(add(t, shift)); }), {AnyTensor(A)}));
  EXPECT_TRUE(autograd::gradcheck(of_matrix([&](const auto& t) { return det(t); }), {AnyTensor(A)}));
  EXPECT_TRUE(autograd::gradcheck(of_matrix([&](const auto& t) { return std::get<1>(slogdet(add(t, shift))); }),
                                  {AnyTensor(A)}));
  EXPECT_TRUE(autograd::gradcheck(of_matrix([&](const auto& t) { return cholesky(spd_of(t)); }), {AnyTensor(A)}));
  EXPECT_TRUE(autograd::gradcheck(of_matrix([&](const auto& t) { return eigvalsh(add(t, t.mT())); }),
                                  {AnyTensor(A)}));
  EXPECT_TRUE(autograd::gradcheck(of_matrix([&](const auto& t) {
    auto [w, V] = eigh(add(t, t.mT()));
    return add(mul(V, V), unsqueeze(w, -1));  // squared: the eigenvectors' signs are arbitrary
  }), {AnyTensor(A)}));
  const auto B = leaf({3, 2}, 2);
  EXPECT_TRUE(autograd::gradcheck([&](const std::vector<AnyTensor>& in) {
    return std::vector<AnyTensor>{AnyTensor(solve(add(in[0].get<double>(), shift), in[1].get<double>()))};
  }, {AnyTensor(A), AnyTensor(B)}));
  // a singular matrix: det's gradient is the adjugate
  const auto Sg = testing::mat<double>({1, 2, 3, 2, 4, 6, 1, 0, 1}, Shape{3, 3}).requires_grad_();
  EXPECT_TRUE(autograd::gradcheck(of_matrix([](const auto& t) { return det(t); }), {AnyTensor(Sg)}));
}

TEST(Decomposition, Errors) {
  const auto sing = testing::mat<double>({1, 0, 0, 1, 1, 2, 2, 4}, Shape{2, 2, 2});
  EXPECT_EQ(error_of<LinAlgError>([&] { inv(sing); }),
            "[linalg.inv] the matrix (batch element 1) is singular: the diagonal element 1 of its LU factorisation is "
            "zero, so it has no inverse (shape (2, 2, 2))");
  EXPECT_NE(error_of<LinAlgError>([&] { solve(sing, ones<double>({2, 2})); }).find("is singular"), std::string::npos);
  EXPECT_EQ(error_of<LinAlgError>([] { cholesky(testing::mat<double>({1, 0, 0, -1}, Shape{2, 2})); }),
            "[linalg.cholesky] the matrix is not positive-definite: its leading principal minor of order 2 is not "
            "positive (shape (2, 2))");
  const double nan = std::numeric_limits<double>::quiet_NaN();  // a NaN stops the factorisation, as LAPACK's potrf
  EXPECT_EQ(error_of<LinAlgError>([&] { cholesky(testing::mat<double>({4, 0, 0, nan, 0, 4, 0, 0, 9}, Shape{3, 3})); }),
            "[linalg.cholesky] the matrix is not positive-definite: its leading principal minor of order 2 is not "
            "positive (shape (3, 3))");
  EXPECT_NE(error_of<std::invalid_argument>([] { det(ones<double>({2, 3})); }).find("got shape (2, 3)"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([] { solve(eye<double>(3), ones<double>({2, 1})); }).find("do not fit"),
            std::string::npos);
  EXPECT_NE(error_of<TypeError>([] { inv(ones<std::int64_t>({2, 2})); }).find("float32 or float64"),
            std::string::npos);
}

}  // namespace
}  // namespace ember
