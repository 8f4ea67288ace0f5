// svd and svdvals (ops/svd.hpp): reconstruction, orthogonality, shapes, gradients by gradcheck, errors
// (comparisons with torch.linalg: tests/python/test_linalg.py).
#include <cmath>

#include "helpers.hpp"
#include "ember/autograd/gradcheck.hpp"
#include "ember/ops/svd.hpp"

namespace ember {
namespace {

using testing::error_of;
using testing::leaf;

autograd::TensorFunction fn1(std::function<Tensor<double>(const Tensor<double>&)> f) {
  return [f](const std::vector<AnyTensor>& in) { return std::vector<AnyTensor>{f(in[0].get<double>())}; };
}

double max_abs_diff(const Tensor<double>& a, const Tensor<double>& b) {
  const auto va = a.contiguous().to_vector(), vb = b.contiguous().to_vector();
  double d = 0;
  for (std::size_t i = 0; i < va.size(); ++i) d = std::max(d, std::abs(va[i] - vb[i]));
  return d;
}

TEST(Svd, ReconstructsBatchedMatricesReducedAndFull) {
  for (Shape s : {Shape{4, 3}, Shape{3, 5}, Shape{2, 3, 3}, Shape{7, 2, 4, 6}}) {
    const auto A = randn<double>(s);
    auto [U, S, Vh] = svd(A, false);
    const std::int64_t m = s[s.size() - 2], n = s[s.size() - 1], k = std::min(m, n);
    EXPECT_EQ(U.size(-1), k);
    EXPECT_EQ(Vh.size(-2), k);
    EXPECT_LT(max_abs_diff(matmul(mul(U, unsqueeze(S, -2)), Vh), A), 1e-12);
    EXPECT_LT(max_abs_diff(svdvals(A), S), 1e-12);
    auto [Uf, Sf, Vhf] = svd(A, true);
    EXPECT_EQ(Uf.size(-1), m);
    EXPECT_EQ(Vhf.size(-2), n);
    const auto UtU = matmul(Uf.mT(), Uf), VVt = matmul(Vhf, Vhf.mT());
    EXPECT_LT(max_abs_diff(UtU, eye<double>(m).expand(UtU.shape())), 1e-12);
    EXPECT_LT(max_abs_diff(VVt, eye<double>(n).expand(VVt.shape())), 1e-12);
  }
  auto f = svdvals(randn<float>({3, 2}));
  EXPECT_EQ(f.shape(), (Shape{2}));
}

TEST(Svd, GradientsMatchFiniteDifferences) {
  const auto A = leaf({4, 3}, 1), B = leaf({2, 3, 5}, 2);
  for (const auto& x : {A, B}) {
    EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) { return svdvals(t); }), {AnyTensor(x)}));
    // losses that do not depend on the signs of the singular vectors
    EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) {
      auto [U, S, Vh] = svd(t, false);
      return mul(U, U);
    }), {AnyTensor(x)}));
    EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) {
      auto [U, S, Vh] = svd(t, false);
      return mul(Vh, Vh);
    }), {AnyTensor(x)}));
    EXPECT_TRUE(autograd::gradcheck(fn1([](const auto& t) {
      auto [U, S, Vh] = svd(t, false);
      return matmul(mul(U, unsqueeze(mul(S, S), -2)), Vh);
    }), {AnyTensor(x)}));
  }
}

TEST(Svd, Errors) {
  EXPECT_NE(error_of<std::invalid_argument>([] { svdvals(randn<double>({3})); }).find("got shape (3,)"),
            std::string::npos);
  EXPECT_NE(error_of<TypeError>([] { svd(zeros<std::int64_t>({2, 2})); }).find("[svd]"), std::string::npos);
  auto x = randn<double>({2, 2});
  x.data()[0] = NAN;
  EXPECT_NE(error_of<std::invalid_argument>([&] { svdvals(x); }).find("non-finite"), std::string::npos);
  auto w = leaf({3, 2}, 3);
  auto [U, S, Vh] = svd(w, true);
  EXPECT_NE(error_of<std::logic_error>([&] { sum(U).backward(); }).find("full_matrices=False"), std::string::npos);
}

}  // namespace
}  // namespace ember
