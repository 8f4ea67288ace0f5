// Gradient hooks from C++: register_hook (leaves, non-leaves, replacement, removal) and
// register_post_accumulate_grad_hook.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ember/autograd/hooks.hpp"
#include "ember/ember.hpp"

using namespace ember;

namespace {
Tensor<double> leaf3() {
  auto x = ember::tensor<double>({1.0, 2.0, 3.0});
  x.requires_grad_();
  return x;
}
}  // namespace

TEST(Hooks, LeafHookSeesAndReplacesGradient) {
  auto x = leaf3();
  std::vector<std::string> calls;
  auto h1 = register_hook<double>(x, [&](const Tensor<double>& g) {
    calls.push_back("a");
    EXPECT_EQ(g.to_vector(), (std::vector<double>{2, 2, 2}));
    return g * 10.0;
  });
  auto h2 = register_hook<double>(x, [&](const Tensor<double>& g) {
    calls.push_back("b" + std::to_string(static_cast<int>(g.to_vector()[0])));
    return Tensor<double>();
  });
  (x * 2.0).sum().backward();
  EXPECT_EQ(calls, (std::vector<std::string>{"a", "b20"}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{20, 20, 20}));
  h1.remove();
  h1.remove();
  x.set_grad(Tensor<double>());
  (x * 2.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 2, 2}));
  EXPECT_EQ(calls, (std::vector<std::string>{"a", "b20", "b2"}));
}

TEST(Hooks, NonLeafHookChangesUpstreamGradient) {
  auto x = leaf3();
  auto y = x * 3.0;
  int n = 0;
  register_hook<double>(y, [&](const Tensor<double>& g) {
    ++n;
    return g + 1.0;
  });
  y.sum().backward();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{6, 6, 6}));
}

TEST(Hooks, PostAccumulateHookSeesAccumulatedGrad) {
  auto x = leaf3();
  std::vector<double> seen;
  auto h = register_post_accumulate_grad_hook<double>(x, [&](const Tensor<double>& t) {
    seen = t.grad().to_vector();
  });
  (x * 2.0).sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{2, 2, 2}));
  (x * 1.0).sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{3, 3, 3}));
  h.remove();
  (x * 1.0).sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{3, 3, 3}));
  EXPECT_THROW(register_post_accumulate_grad_hook<double>(x * 2.0, [](const Tensor<double>&) {}), AutogradError);
  EXPECT_THROW(register_hook<double>(ember::tensor<double>({1.0}),
                                     [](const Tensor<double>& g) { return g; }), AutogradError);
}
