// Values and errors of the ops of sort.hpp, scan.hpp, norm.hpp, sampling.hpp, blas_ext.hpp and
// compare_close.hpp (gradients and PyTorch comparisons: tests/python/test_tensor_ops.py).
#include <cmath>
#include <limits>

#include "helpers.hpp"
#include "ember/ops/blas_ext.hpp"
#include "ember/ops/compare_close.hpp"
#include "ember/ops/norm.hpp"
#include "ember/ops/sampling.hpp"
#include "ember/ops/scan.hpp"
#include "ember/ops/sort.hpp"

namespace ember {
namespace {

using testing::error_of;
using testing::mat;


TEST(TensorOpsSort, SortTopkArgsortAlongDims) {
  auto x = mat<float>({3, 1, 2, NAN, 0, 5}, {2, 3});
  auto [v, i] = sort(x, -1);
  EXPECT_EQ(v.contiguous().to_vector()[0], 1.0f);
  EXPECT_EQ(i.contiguous().to_vector(), (std::vector<std::int64_t>{1, 2, 0, 1, 2, 0}));  // NaN last
  auto [vd, id] = sort(x, 0, true);
  EXPECT_EQ(id.contiguous().to_vector(), (std::vector<std::int64_t>{1, 0, 1, 0, 1, 0}));  // NaN first descending
  auto [tv, ti] = topk(x.transpose(0, 1), 1, 0);
  EXPECT_EQ(tv.shape(), (Shape{1, 2}));
  EXPECT_EQ(ti.contiguous().to_vector(), (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(argsort(mat<std::int64_t>({4, 4, 1}, {3})).to_vector(), (std::vector<std::int64_t>{2, 0, 1}));
  EXPECT_EQ(msort(mat<int>({4, 1, 2, 0}, {2, 2})).contiguous().to_vector(), (std::vector<int>{2, 0, 4, 1}));
  EXPECT_EQ(sort(mat<double>({7}, {})).second.dim(), 0);
  EXPECT_EQ(topk(Tensor<float>::empty({0, 3}), 2).first.shape(), (Shape{0, 2}));
  EXPECT_NE(error_of<std::out_of_range>([&] { topk(x, 4); }).find("[topk] selected index k (4)"), std::string::npos);
  EXPECT_NE(error_of<std::out_of_range>([&] { sort(x, 2); }).find("[sort] dimension out of range"), std::string::npos);
}

TEST(TensorOpsSort, UniqueSearchsortedBincount) {
  auto u = unique(mat<int>({3, 1, 3, 2, 1, 3}, {2, 3}));
  EXPECT_EQ(u.values.to_vector(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(u.inverse.shape(), (Shape{2, 3}));
  EXPECT_EQ(u.inverse.contiguous().to_vector(), (std::vector<std::int64_t>{2, 0, 2, 1, 0, 2}));
  EXPECT_EQ(u.counts.to_vector(), (std::vector<std::int64_t>{2, 1, 3}));
  auto ud = unique(mat<float>({1, 2, 0, 0, 1, 2}, {3, 2}), 0);
  EXPECT_EQ(ud.values.contiguous().to_vector(), (std::vector<float>{0, 0, 1, 2}));
  EXPECT_EQ(ud.counts.to_vector(), (std::vector<std::int64_t>{1, 2}));
  auto b = mat<double>({1, 3, 5}, {3});
  EXPECT_EQ(searchsorted(b, mat<double>({3, 0, 6}, {3})).to_vector(), (std::vector<std::int64_t>{1, 0, 3}));
  EXPECT_EQ(searchsorted<std::int32_t>(b, mat<double>({3}, {1}), true).to_vector(), (std::vector<std::int32_t>{2}));
  auto unsorted = mat<double>({5, 1, 3}, {3});
  EXPECT_EQ(searchsorted(unsorted, mat<double>({4}, {1}), false, argsort(unsorted)).to_vector(),
            (std::vector<std::int64_t>{2}));
  EXPECT_EQ(bucketize(mat<double>({3, 4}, {2}), b).to_vector(), (std::vector<std::int64_t>{1, 2}));
  auto b2 = mat<float>({1, 2, 10, 20}, {2, 2});
  EXPECT_EQ(searchsorted(b2, mat<float>({1.5f, 15}, {2, 1})).to_vector(), (std::vector<std::int64_t>{1, 1}));
  EXPECT_NE(error_of<std::invalid_argument>([&] { searchsorted(b2, mat<float>({1, 2, 3}, {3, 1})); })
                .find("[searchsorted] boundaries tensor"), std::string::npos);
  EXPECT_EQ(bincount(mat<std::int64_t>({1, 1, 3}, {3}), 6).to_vector(), (std::vector<std::int64_t>{0, 2, 0, 1, 0, 0}));
  EXPECT_EQ(bincount(mat<int>({0, 0}, {2}), mat<float>({0.5f, 0.25f}, {2})).to_vector(), (std::vector<float>{0.75f}));
  EXPECT_NE(error_of<std::invalid_argument>([&] { bincount(mat<int>({-1}, {1})); }).find("non-negative"),
            std::string::npos);
  EXPECT_NE(error_of<TypeError>([&] { bincount(mat<float>({1}, {1})); }).find("[bincount]"), std::string::npos);
}

TEST(TensorOpsScan, CumsumCumprodDiff) {
  auto x = mat<double>({1, 2, 3, 4, 0, 6}, {2, 3});
  EXPECT_EQ(cumsum(x, 1).to_vector(), (std::vector<double>{1, 3, 6, 4, 4, 10}));
  EXPECT_EQ(cumprod(x, -1).to_vector(), (std::vector<double>{1, 2, 6, 4, 0, 0}));
  EXPECT_EQ(cumsum(x.transpose(0, 1), 1).contiguous().to_vector(), (std::vector<double>{1, 5, 2, 2, 3, 9}));
  EXPECT_EQ(cumsum(tensor<bool>({true, true}), 0).to_vector(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(cumsum(mat<float>({5}, {}), 0).item(), 5.0f);
  EXPECT_EQ(diff(x, 1, 1).to_vector(), (std::vector<double>{1, 1, -4, 6}));
  EXPECT_EQ(diff(x, 2, -1, mat<double>({0, 0}, {2, 1})).to_vector(), (std::vector<double>{0, 0, -8, 10}));
  EXPECT_EQ(diff(x, 5).shape(), (Shape{2, 0}));
  EXPECT_NE(error_of<std::invalid_argument>([&] { diff(mat<float>({1}, {})); }).find("[diff]"), std::string::npos);
  // cumprod's gradient with a zero: d/dx_i of sum(cumprod(x)).
  auto z = mat<double>({2, 0, 3}, {3});
  z.requires_grad_();
  cumprod(z, 0).sum().backward();
  EXPECT_EQ(z.grad().to_vector(), (std::vector<double>{1, 2 + 6, 0}));
}

TEST(TensorOpsNorm, VectorMatrixNormsAndCdist) {
  auto x = mat<double>({3, -4, 0, 0}, {2, 2});
  EXPECT_DOUBLE_EQ(vector_norm(x).item(), 5);
  EXPECT_DOUBLE_EQ(vector_norm(x, 1).item(), 7);
  EXPECT_DOUBLE_EQ(vector_norm(x, std::numeric_limits<double>::infinity()).item(), 4);
  EXPECT_DOUBLE_EQ(vector_norm(x, 0).item(), 2);
  EXPECT_NEAR(vector_norm(x, 3).item(), std::cbrt(91.0), 1e-12);
  EXPECT_EQ(vector_norm(x, 2, 1, true).shape(), (Shape{2, 1}));
  EXPECT_DOUBLE_EQ(matrix_norm(x, 1.0).item(), 4);   // column sums 3, 4
  EXPECT_DOUBLE_EQ(matrix_norm(x, std::numeric_limits<double>::infinity()).item(), 7);
  EXPECT_DOUBLE_EQ(norm(x, 2.0, Shape{1}).to_vector()[1], 0);
  EXPECT_NEAR(matrix_norm(x, std::string("nuc")).item(), 5, 1e-12);  // rank 1: one singular value, 5
  EXPECT_NEAR(matrix_norm(x, 2.0).item(), 5, 1e-12);
  EXPECT_NEAR(matrix_norm(x, -2.0).item(), 0, 1e-12);
  EXPECT_NE(error_of<TypeError>([&] { vector_norm(mat<int>({1}, {1})); }).find("[vector_norm]"), std::string::npos);
  // The zero subgradient at a zero norm.
  auto z = Tensor<double>::empty({3});
  z.fill_(0);
  z.requires_grad_();
  vector_norm(z).backward();
  EXPECT_EQ(z.grad().to_vector(), (std::vector<double>{0, 0, 0}));
  auto d = cdist(mat<float>({0, 0, 1, 1}, {2, 2}), mat<float>({3, 4}, {1, 2}));
  EXPECT_EQ(d.shape(), (Shape{2, 1}));
  EXPECT_FLOAT_EQ(d.to_vector()[0], 5);
}

TEST(TensorOpsSampling, MultinomialDrawsAndErrors) {
  manual_seed(3);
  auto p = mat<float>({0, 1, 0, 0.5f, 0, 0.5f}, {2, 3});
  EXPECT_EQ(multinomial(p, 1).to_vector()[0], 1);
  auto s = multinomial(mat<double>({0.5, 0, 0.5}, {3}), 2);
  auto v = s.to_vector();
  EXPECT_EQ(v[0] + v[1], 2);  // categories 0 and 2, each once
  EXPECT_NE(v[0], v[1]);
  manual_seed(3);
  const auto a = multinomial(p, 4, true).to_vector();
  manual_seed(3);
  EXPECT_EQ(multinomial(p, 4, true).to_vector(), a);  // repeatable from the seed
}

TEST(TensorOpsSampling, MultinomialErrors) {
  auto p = mat<float>({0, 1, 0}, {3});
  EXPECT_EQ(multinomial(p, 3).to_vector(), (std::vector<std::int64_t>{1, 0, 2}));  // zero weights last, in order
  EXPECT_NE(error_of<std::invalid_argument>([&] { multinomial(p, 4); }).find("without replacement"), std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { multinomial(mat<float>({-1, 1}, {2}), 1); }).find("element < 0"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>([&] { multinomial(mat<float>({0, 0}, {2}), 1); }).find("sum of prob"),
            std::string::npos);
  auto r = multinomial(p, 5, true);
  EXPECT_EQ(r.to_vector(), (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
}

TEST(TensorOpsBlas, AddmmAddcmulLerp) {
  auto a = mat<double>({1, 2, 3, 4}, {2, 2});
  auto i = mat<double>({1, 1}, {2});
  EXPECT_EQ(addmm(i, a, a, 2, 0.5).to_vector(), (std::vector<double>{5.5, 7, 9.5, 13}));
  EXPECT_EQ(baddbmm(i, a.unsqueeze(0), a.unsqueeze(0), 0).to_vector(), (std::vector<double>{7, 10, 15, 22}));
  EXPECT_EQ(addcmul(i, a, a, 2).to_vector(), (std::vector<double>{3, 9, 19, 33}));
  EXPECT_EQ(addcdiv(i, a, a, 2).to_vector(), (std::vector<double>{3, 3, 3, 3}));
  EXPECT_EQ(lerp(i, a, 0.5).to_vector(), (std::vector<double>{1, 1.5, 2, 2.5}));
  auto s = mat<double>({0, 0}, {2});
  addcmul_(s, i, i, 3);
  EXPECT_EQ(s.to_vector(), (std::vector<double>{3, 3}));
  lerp_(s, i, 0.5);
  EXPECT_EQ(s.to_vector(), (std::vector<double>{2, 2}));
  EXPECT_NE(error_of<std::invalid_argument>([&] { addmm(mat<double>({1, 2, 3}, {3}), a, a); }).find("[addmm]"),
            std::string::npos);
  EXPECT_NE(error_of<TypeError>([&] { addcdiv(mat<int>({1}, {1}), mat<int>({1}, {1}), mat<int>({1}, {1})); })
                .find("[addcdiv]"), std::string::npos);
}

TEST(TensorOpsClose, IscloseAllcloseNanToNum) {
  const float inf = std::numeric_limits<float>::infinity();
  auto a = mat<float>({1, NAN, inf, 1e-9f}, {4});
  auto b = mat<float>({1.000001f, NAN, inf, 0}, {4});
  EXPECT_EQ(isclose(a, b).to_vector(), (std::vector<bool>{true, false, true, true}));
  EXPECT_TRUE(allclose(a, b, 1e-5, 1e-8, true));
  EXPECT_FALSE(allclose(a, b));
  auto n = nan_to_num(mat<float>({NAN, inf, -inf, 2}, {4}), 1.0, std::nullopt, -5.0);
  EXPECT_EQ(n.to_vector(), (std::vector<float>{1, std::numeric_limits<float>::max(), -5, 2}));
  EXPECT_NE(error_of<std::invalid_argument>([&] { isclose(a, b, -1); }).find("[isclose] rtol"), std::string::npos);
}

TEST(TensorOpsBlas, MatrixVectorFormsAndErrors) {
  auto m = mat<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto v = mat<double>({1, 0, -1}, {3});
  EXPECT_EQ(mv(m, v).to_vector(), (std::vector<double>{-2, -2}));
  EXPECT_EQ(addmv(mat<double>({10, 20}, {2}), m, v, 0.5, 2.0).to_vector(), (std::vector<double>{1, 6}));
  EXPECT_EQ(addr(zeros<double>({2, 3}), mat<double>({1, 2}, {2}), v, 1, 3).to_vector(),
            (std::vector<double>{3, 0, -3, 6, 0, -6}));
  auto b1 = mat<double>({1, 0, 0, 1, 2, 0, 0, 2}, {2, 2, 2}), b2 = mat<double>({1, 2, 3, 4, 1, 1, 1, 1}, {2, 2, 2});
  EXPECT_EQ(addbmm(ones<double>({2, 2}), b1, b2).to_vector(), (std::vector<double>{4, 5, 6, 7}));  // I@B0 + 2 B1 + 1
  EXPECT_EQ(addbmm(zeros<std::int32_t>({2, 2}), ones<std::int32_t>({3, 2, 2}), ones<std::int32_t>({3, 2, 2})).to_vector(),
            (std::vector<std::int32_t>{6, 6, 6, 6}));
  EXPECT_EQ(vdot(v, v).item(), 2.0);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { mv(m, mat<double>({1, 2}, {2})); }),
            "[mv] size mismatch, got input (2x3) and vec (2)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { addmv(zeros<double>({3}), m, v); }),
            "[addmv] shapes (3,) and (2,) cannot be broadcast together: 3 != 2 at dimension 0");
  EXPECT_NE(error_of<std::invalid_argument>([&] { addr(zeros<double>({2, 3}), m, v); }).find("must be 1-D"),
            std::string::npos);
  EXPECT_TRUE(autograd::gradcheck([](const std::vector<AnyTensor>& in) {
    const auto& i = in[0].get<double>();
    const auto& a = in[1].get<double>();
    const auto& b = in[2].get<double>();
    return std::vector<AnyTensor>{addbmm(i, a, b, 0.5, 2.0) + addr(i, a.select(0, 0).select(1, 0), b.select(0, 1).select(0, 0))};
  }, {testing::leaf({3, 2}, 1), testing::leaf({2, 3, 4}, 2), testing::leaf({2, 4, 2}, 3)}));
}

TEST(TensorOpsSampling, GeneratorStateRoundTripsAndRefusesOtherBytes) {
  Generator g(11);
  g.with_engine([](auto& e) { e(); });
  const auto state = g.get_state();
  const auto a = rand<double>({5}, g).to_vector();
  g.set_state(state);
  EXPECT_EQ(rand<double>({5}, g).to_vector(), a);  // the stream continues from the saved position
  EXPECT_EQ(g.initial_seed(), 11u);
  Generator other;
  other.set_state(state);
  EXPECT_EQ(rand<double>({5}, other).to_vector(), a);
  const auto now = g.get_state();
  auto truncated = state;
  truncated.resize(state.size() / 2);
  auto edited = state;
  edited[0] = 'x';
  for (const auto& bad : {truncated, edited, std::vector<std::uint8_t>{}}) {
    EXPECT_NE(error_of<std::invalid_argument>([&] { g.set_state(bad, "set_rng_state"); })
                  .find("[set_rng_state] the state is not one that get_rng_state"),
              std::string::npos);
    EXPECT_EQ(g.get_state(), now);  // a refused state leaves the generator as it was
  }
}

}  // namespace
}  // namespace ember
