// Deployed models (ember/deploy/): .ember files written here with save_safetensors run through
// ember::deploy::load and match the same computation done with ember's ops, at a batch size other
// than the traced one; fusion shows in ops(); bad files and bad inputs raise clear errors; forward
// is safe from several threads.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ember/deploy/model.hpp"
#include "ember/ember.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::TempDir;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// A temporary directory for one test.

/// A shape whose dim 0 is the batch B, then the given dims.
json bshape(std::initializer_list<std::int64_t> rest) {
  json s = json::array({{{"batch", 1}, {"add", 0}}});
  for (auto d : rest) s.push_back(d);
  return s;
}

/// Builds the graph JSON and tensor list of a .ember file, node by node.
struct Builder {
  json g = {{"inputs", json::array()}, {"outputs", json::array()}, {"values", json::object()},
            {"tensors", json::object()}, {"nodes", json::array()}};
  std::vector<std::pair<std::string, AnyTensor>> tensors;
  int next = 0;

  std::string input(const std::string& name, json shape, const std::string& dtype = "float32") {
    g["inputs"].push_back(name);
    g["values"][name] = {{"dtype", dtype}, {"shape", shape}};
    return name;
  }
  std::string tensor(const std::string& name, const AnyTensor& t) {
    g["tensors"][name] = {{"dtype", std::string(dtype_name(t.dtype()))}, {"shape", json(std::vector<std::int64_t>(t.shape().begin(), t.shape().end()))}};
    tensors.emplace_back(name, t);
    return name;
  }
  std::string node(const std::string& op, json inputs, json attrs, json shape, const std::string& scope = "",
                   const std::string& dtype = "float32") {
    std::string out = std::to_string(next++);
    out.insert(out.begin(), 't');  // not "t" + to_string(...): GCC 12 warns falsely (-Wstringop-overflow)
    g["nodes"].push_back({{"op", op}, {"inputs", inputs}, {"outputs", {out}}, {"attrs", attrs}, {"scope", scope}});
    g["values"][out] = {{"dtype", dtype}, {"shape", shape}};
    return out;
  }
  void output(const std::string& name) { g["outputs"].push_back(name); }
  std::string save(const std::string& path, const std::string& version = "1") const {
    io::save_safetensors(path, tensors,
                         {{"ember.format", "ember.deploy"}, {"ember.format_version", version}, {"ember.graph", g.dump()}});
    return path;
  }
};

/// Max |a - b| / max(1, max |b|): a relative error that tolerates values near zero.
double rel_error(const Tensor<float>& a, const Tensor<float>& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  double diff = 0, scale = 1;
  for (std::size_t i = 0; i < va.size(); ++i) {
    diff = std::max(diff, double(std::abs(va[i] - vb[i])));
    scale = std::max(scale, double(std::abs(vb[i])));
  }
  return diff / scale;
}

Tensor<float> randn_f(const Shape& s) { return randn<float>(s); }

// --- an MLP: linear -> relu -> linear ---
struct Mlp {
  Tensor<float> w1 = randn_f({8, 4}), b1 = randn_f({8}), w2 = randn_f({3, 8}), b2 = randn_f({3});
  std::string save(const std::string& path) const {
    Builder b;
    const auto x = b.input("x", bshape({4}));
    const auto h = b.node("linear", {x, b.tensor("0.weight", w1), b.tensor("0.bias", b1)}, json::object(), bshape({8}), "0");
    const auto r = b.node("relu", {h}, json::object(), bshape({8}), "1");
    b.output(b.node("linear", {r, b.tensor("2.weight", w2), b.tensor("2.bias", b2)}, json::object(), bshape({3}), "2"));
    return b.save(path);
  }
  Tensor<float> reference(const Tensor<float>& x) const { return linear(relu(linear(x, w1, b1)), w2, b2); }
};

// --- a CNN: conv -> batch_norm -> relu -> max_pool -> flatten -> linear ---
struct Cnn {
  Tensor<float> cw = randn_f({4, 1, 3, 3}), cb = randn_f({4});
  Tensor<float> mean = randn_f({4}), var = rand<float>({4}) + 0.5f, gamma = randn_f({4}), beta = randn_f({4});
  Tensor<float> lw = randn_f({5, 64}), lb = randn_f({5});
  std::string save(const std::string& path) const {
    Builder b;
    const auto x = b.input("input", bshape({1, 8, 8}));
    const json conv_attrs = {{"stride", {1, 1}}, {"padding", {1, 1}}, {"dilation", {1, 1}}, {"groups", 1}};
    auto t = b.node("conv2d", {x, b.tensor("features.0.weight", cw), b.tensor("features.0.bias", cb)}, conv_attrs,
                    bshape({4, 8, 8}), "features.0");
    t = b.node("batch_norm",
               {t, b.tensor("features.1.running_mean", mean), b.tensor("features.1.running_var", var),
                b.tensor("features.1.weight", gamma), b.tensor("features.1.bias", beta)},
               {{"eps", 1e-5}}, bshape({4, 8, 8}), "features.1");
    t = b.node("relu", {t}, json::object(), bshape({4, 8, 8}), "features.2");
    t = b.node("max_pool2d", {t},
               {{"kernel_size", {2, 2}}, {"stride", {2, 2}}, {"padding", {0, 0}}, {"dilation", {1, 1}}, {"ceil_mode", false}},
               bshape({4, 4, 4}), "features.3");
    t = b.node("flatten", {t}, {{"start_dim", 1}, {"end_dim", 3}}, bshape({64}), "flatten");
    b.output(b.node("linear", {t, b.tensor("head.weight", lw), b.tensor("head.bias", lb)}, json::object(), bshape({5}), "head"));
    return b.save(path);
  }
  Tensor<float> reference(const Tensor<float>& x) const {
    Conv2dOptions o;
    o.padding = {1, 1};
    Pool2dOptions p;
    p.kernel = {2, 2};
    auto t = relu(batch_norm(conv2d(x, cw, cb, o), mean, var, gamma, beta, false, 0.1, 1e-5));
    return linear(max_pool2d(t, p).flatten(1), lw, lb);
  }
};

TEST(Deploy, MlpMatchesOpsAtAnotherBatchAndFuses) {
  TempDir dir;
  const Mlp mlp;
  const auto m = deploy::load(mlp.save(dir.file("mlp.ember")));
  EXPECT_EQ(m.ops(), (std::vector<std::string>{"linear+relu", "linear"}));
  EXPECT_EQ(m.num_nodes(), 2u);
  EXPECT_EQ(m.input_names(), std::vector<std::string>{"x"});
  EXPECT_EQ(m.input_spec(0).str(), "(B, 4)");
  for (std::int64_t batch : {5, 1, 64}) {
    const auto x = randn_f({batch, 4});
    EXPECT_LT(rel_error(m.forward(x), mlp.reference(x)), 1e-5) << "batch " << batch;
  }
}

TEST(Deploy, CnnFoldsBatchNormAndMatchesOps) {
  TempDir dir;
  const Cnn cnn;
  const auto m = deploy::load(cnn.save(dir.file("cnn.ember")));
  EXPECT_EQ(m.ops(), (std::vector<std::string>{"conv2d+batch_norm+relu+max_pool2d", "flatten", "linear"}));
  for (std::int64_t batch : {3, 1, 17}) {
    const auto x = randn_f({batch, 1, 8, 8});
    EXPECT_LT(rel_error(m.forward(x), cnn.reference(x)), 1e-5) << "batch " << batch;
  }
}

// --- int8 (format 2): quantized_conv2d -> relu -> max_pool -> flatten -> quantized_linear ---
TEST(Deploy, QuantizedCnnRunsFusedOnInt8PrimitivesAsTheReferenceDefines) {
  TempDir dir;
  const Tensor<std::int8_t> cw = (randn_f({4, 1, 3, 3}) * 40.f).clamp(-127, 127).to<std::int8_t>();
  const Tensor<std::int8_t> lw = (randn_f({5, 64}) * 40.f).clamp(-127, 127).to<std::int8_t>();
  const Tensor<float> cs = rand<float>({4}) * 0.01f + 0.001f, cb = randn_f({4});
  const Tensor<float> ls = rand<float>({5}) * 0.01f + 0.001f, lb = randn_f({5});
  Builder b;
  const auto x = b.input("input", bshape({1, 8, 8}));
  const json conv = {{"stride", {1, 1}}, {"padding", {1, 1}}, {"dilation", {1, 1}}, {"groups", 1},
                     {"input_scale", 0.02}, {"input_dtype", "int8"}};
  auto t = b.node("quantized_conv2d", {x, b.tensor("c.w", cw), b.tensor("c.s", cs), b.tensor("c.b", cb)}, conv,
                  bshape({4, 8, 8}), "c");
  t = b.node("relu", {t}, json::object(), bshape({4, 8, 8}));
  t = b.node("max_pool2d", {t},
             {{"kernel_size", {2, 2}}, {"stride", {2, 2}}, {"padding", {0, 0}}, {"dilation", {1, 1}}, {"ceil_mode", false}},
             bshape({4, 4, 4}));
  t = b.node("flatten", {t}, {{"start_dim", 1}, {"end_dim", 3}}, bshape({64}));
  b.output(b.node("quantized_linear", {t, b.tensor("l.w", lw), b.tensor("l.s", ls), b.tensor("l.b", lb)},
                  {{"input_scale", 0.01}, {"input_dtype", "uint8"}}, bshape({5}), "l"));
  const auto m = deploy::load(b.save(dir.file("q.ember"), "2"));
  EXPECT_EQ(m.ops(), (std::vector<std::string>{"quantized_conv2d+relu+max_pool2d", "flatten", "quantized_linear"}));
  auto reference = [&](const Tensor<float>& in) {
    const auto fq = [](const Tensor<float>& v, float s, bool u) { return deploy::detail::fake_quantize(v, {s, u}); };
    Conv2dOptions o;
    o.padding = {1, 1};
    Pool2dOptions p;
    p.kernel = {2, 2};
    const auto h = max_pool2d(relu(conv2d(fq(in, 0.02f, false), cw.to<float>() * cs.reshape({4, 1, 1, 1}), cb, o)), p);
    return linear(fq(h.flatten(1), 0.01f, true), lw.to<float>() * ls.reshape({5, 1}), lb);
  };
  for (std::int64_t batch : {3, 1, 17}) {
    const auto in = randn_f({batch, 1, 8, 8}) * 2.f;  // beyond the int8 range of 0.02 * 127: saturates
    EXPECT_LT(rel_error(m.forward(in), reference(in)), 1e-4) << "batch " << batch;
  }
  // A version-1 file may not use the int8 ops.
  const auto msg = error_of<io::FormatError>([&] { deploy::load(b.save(dir.file("v1.ember"), "1")); });
  EXPECT_NE(msg.find("op 'quantized_conv2d' needs format version 2, but the file declares 1"), std::string::npos) << msg;
}

TEST(Deploy, EveryActivationFusesIntoConvAndLinear) {
  TempDir dir;
  const std::vector<std::pair<std::string, json>> acts{
      {"relu", json::object()}, {"sigmoid", json::object()}, {"tanh", json::object()}, {"silu", json::object()},
      {"gelu", {{"approximate", "none"}}}, {"gelu", {{"approximate", "tanh"}}}, {"leaky_relu", {{"negative_slope", 0.1}}}};
  const auto cw = randn_f({3, 2, 3, 3}), lw = randn_f({6, 5}), lb = randn_f({6});
  for (const auto& [act, attrs] : acts) {
    Builder b;
    const auto x = b.input("x", bshape({2, 5, 5}));
    auto t = b.node("conv2d", {x, b.tensor("cw", cw), nullptr},
                    {{"stride", {2, 1}}, {"padding", {0, 1}}, {"dilation", {1, 1}}, {"groups", 1}}, bshape({3, 2, 5}), "c");
    t = b.node(act, {t}, attrs, bshape({3, 2, 5}), "a1");
    t = b.node("reshape", {t}, {{"shape", bshape({6, 5})}}, bshape({6, 5}));
    t = b.node("linear", {t, b.tensor("lw", lw), b.tensor("lb", lb)}, json::object(), bshape({6, 6}), "l");
    b.output(b.node(act, {t}, attrs, bshape({6, 6}), "a2"));
    const auto m = deploy::load(b.save(dir.file(act + ".ember")));
    EXPECT_EQ(m.ops(), (std::vector<std::string>{"conv2d+" + act, "reshape", "linear+" + act})) << act;
    auto activation = [&](const Tensor<float>& v) -> Tensor<float> {
      if (act == "relu") return relu(v);
      if (act == "sigmoid") return sigmoid(v);
      if (act == "tanh") return tanh(v);
      if (act == "silu") return silu(v);
      if (act == "gelu") return gelu(v, attrs["approximate"].get<std::string>());
      return where(gt(v, 0.0f), v, v * 0.1f);
    };
    Conv2dOptions o;
    o.stride = {2, 1};
    o.padding = {0, 1};
    const auto in = randn_f({4, 2, 5, 5});
    const auto ref = activation(linear(activation(conv2d(in, cw, std::nullopt, o)).reshape({4, 6, 5}), lw, lb));
    EXPECT_LT(rel_error(m.forward(in), ref), 1e-5) << act;
  }
}

TEST(Deploy, MaxPoolMatchesOpsForEveryWindowGeometry) {
  TempDir dir;
  struct Case {
    std::int64_t size, kernel, stride, padding, dilation;
    bool ceil;
  };
  for (const Case& c : {Case{7, 3, 2, 1, 1, true}, Case{5, 2, 2, 0, 1, false}, Case{8, 2, 1, 1, 2, false},
                        Case{6, 3, 3, 0, 1, true}}) {
    Pool2dOptions o;
    o.kernel = {c.kernel, c.kernel};
    o.stride = {c.stride, c.stride};
    o.padding = {c.padding, c.padding};
    o.dilation = {c.dilation, c.dilation};
    o.ceil_mode = c.ceil;
    const auto probe = max_pool2d(randn_f({1, 2, c.size, c.size}), o);
    Builder b;
    const auto x = b.input("x", bshape({2, c.size, c.size}));
    b.output(b.node("max_pool2d", {x},
                    {{"kernel_size", {c.kernel, c.kernel}}, {"stride", {c.stride, c.stride}},
                     {"padding", {c.padding, c.padding}}, {"dilation", {c.dilation, c.dilation}}, {"ceil_mode", c.ceil}},
                    bshape({2, probe.size(2), probe.size(3)})));
    const auto m = deploy::load(b.save(dir.file("pool.ember")));
    const auto in = randn_f({3, 2, c.size, c.size});
    EXPECT_EQ(m.forward(in).to_vector(), max_pool2d(in, o).to_vector()) << "size " << c.size << " kernel " << c.kernel;
  }
}

TEST(Deploy, AttentionChainWithBatchDimExpressions) {
  TempDir dir;
  const std::int64_t T = 3, D = 8, H = 2, Dh = 4;
  const auto wq = randn_f({D, D}), wk = randn_f({D, D}), wv = randn_f({D, D}), lnw = randn_f({D}), lnb = randn_f({D});
  const auto scale = scalar_tensor(0.5f);
  Builder b;
  const auto x = b.input("x", bshape({T, D}));
  auto heads = [&](const std::string& w, const Tensor<float>& wt, bool keys) {
    auto t = b.node("linear", {x, b.tensor(w, wt), nullptr}, json::object(), bshape({T, D}), w);
    t = b.node("reshape", {t}, {{"shape", bshape({T, H, Dh})}}, bshape({T, H, Dh}), w);
    t = b.node("transpose", {t}, {{"dim0", 1}, {"dim1", 2}}, bshape({H, T, Dh}), w);
    if (keys) t = b.node("transpose", {t}, {{"dim0", 2}, {"dim1", 3}}, bshape({H, Dh, T}), w);
    return t;
  };
  const auto q = heads("q", wq, false), k = heads("k", wk, true), v = heads("v", wv, false);
  auto s = b.node("matmul", {q, k}, json::object(), bshape({H, T, T}), "attn");
  s = b.node("mul", {s, b.tensor("const.0", scale)}, json::object(), bshape({H, T, T}), "attn");
  s = b.node("softmax", {s}, {{"dim", 3}}, bshape({H, T, T}), "attn");
  auto c = b.node("matmul", {s, v}, json::object(), bshape({H, T, Dh}), "attn");
  c = b.node("transpose", {c}, {{"dim0", 1}, {"dim1", 2}}, bshape({T, H, Dh}), "attn");
  c = b.node("reshape", {c}, {{"shape", bshape({T, D})}}, bshape({T, D}), "attn");
  c = b.node("add", {x, c}, json::object(), bshape({T, D}));
  b.output(b.node("layer_norm", {c, b.tensor("ln.weight", lnw), b.tensor("ln.bias", lnb)},
                  {{"normalized_shape", {D}}, {"eps", 1e-5}}, bshape({T, D}), "ln"));
  const auto m = deploy::load(b.save(dir.file("attn.ember")));

  const std::int64_t B = 5;
  const auto in = randn_f({B, T, D});
  auto split = [&](const Tensor<float>& w) { return linear(in, w).reshape({B, T, H, Dh}).transpose(1, 2); };
  const auto p = softmax(matmul(split(wq), split(wk).transpose(2, 3)) * 0.5f, 3);
  const auto ctx = matmul(p, split(wv)).transpose(1, 2).reshape({B, T, D});
  const auto ref = layer_norm(in + ctx, {D}, lnw, lnb, 1e-5);
  EXPECT_LT(rel_error(m.forward(in), ref), 1e-5);
}

// The attention nodes are the C++ ops whole: optional inputs null or given, bool and float masks, the
// weights as a second node; the batch is dim 1 of the sequence-first inputs the permutes make.
TEST(Deploy, AttentionNodesRunTheOpsWhole) {
  TempDir dir;
  const std::int64_t T = 4, S = 5, D = 8, H = 2, K = 6;
  const auto in_w = randn_f({3 * D, D}), in_b = randn_f({3 * D}), out_w = randn_f({D, D}), out_b = randn_f({D});
  const auto q_w = randn_f({D, D}), k_w = randn_f({D, K}), v_w = randn_f({D, K});
  const Tensor<bool> hidden = gt(randn_f({T, T}), 0.5f);
  Tensor<bool> self_mask = hidden.clone(), sdpa_mask = hidden.logical_not();
  for (std::int64_t i = 0; i < T; ++i) {  // no query with every key masked out
    self_mask.data()[i * T + i] = false;
    sdpa_mask.data()[i * T + i] = true;
  }
  const json batch = {{"batch", 1}, {"add", 0}}, seq = json::array({T, batch, D}), mem_seq = json::array({S, batch, K});
  Builder b;
  const auto x = b.input("x", bshape({T, D})), mem = b.input("mem", bshape({S, K})), pad = b.input("pad", bshape({T}));
  const auto xs = b.node("permute", {x}, {{"dims", {1, 0, 2}}}, seq);
  const auto ms = b.node("permute", {mem}, {{"dims", {1, 0, 2}}}, mem_seq);
  const json self_in = {xs, xs, xs, b.tensor("out_w", out_w), b.tensor("in_w", in_w), b.tensor("in_b", in_b),
                        b.tensor("out_b", out_b), b.tensor("self_mask", self_mask), pad, nullptr, nullptr, nullptr};
  const json self_attrs = {{"embed_dim", D}, {"num_heads", H}, {"use_separate_proj_weight", false}, {"is_causal", false}};
  json weights_attrs = self_attrs;
  weights_attrs["average_attn_weights"] = false;
  b.output(b.node("multi_head_attention", self_in, self_attrs, seq, "self"));
  b.output(b.node("multi_head_attention_weights", self_in, weights_attrs, bshape({H, T, T}), "self"));
  b.output(b.node("multi_head_attention", {xs, ms, ms, "out_w", nullptr, "in_b", nullptr, nullptr, nullptr,
                                           b.tensor("q_w", q_w), b.tensor("k_w", k_w), b.tensor("v_w", v_w)},
                  {{"embed_dim", D}, {"num_heads", H}, {"use_separate_proj_weight", true}, {"is_causal", true}}, seq,
                  "cross"));
  b.output(b.node("scaled_dot_product_attention", {x, x, x, b.tensor("sdpa_mask", sdpa_mask)},
                  {{"is_causal", false}, {"scale", 0.3}}, bshape({T, D}), "sdpa"));
  const auto m = deploy::load(b.save(dir.file("attention.ember")));

  const std::int64_t B = 3;
  const auto in = randn_f({B, T, D}), memory = randn_f({B, S, K}), padding = randn_f({B, T});
  const auto out = m.forward({AnyTensor(in), AnyTensor(memory), AnyTensor(padding)});
  ASSERT_EQ(out.size(), 4u);
  const auto in_s = in.transpose(0, 1).contiguous(), mem_s = memory.transpose(0, 1).contiguous();
  MultiHeadAttentionOptions<float> o;
  o.training = false;
  o.attn_mask = self_mask;
  o.key_padding_mask = padding;
  o.average_attn_weights = false;
  const auto [self_out, self_weights] = multi_head_attention_forward(in_s, in_s, in_s, D, H, in_w, in_b, 0.0, out_w, out_b, o);
  EXPECT_LT(rel_error(out[0].get<float>(), self_out), 1e-5);
  EXPECT_LT(rel_error(out[1].get<float>(), *self_weights), 1e-5);
  MultiHeadAttentionOptions<float> c;
  c.training = false;
  c.need_weights = false;
  c.use_separate_proj_weight = true;
  c.q_proj_weight = q_w;
  c.k_proj_weight = k_w;
  c.v_proj_weight = v_w;
  c.is_causal = true;
  const auto cross = multi_head_attention_forward(in_s, mem_s, mem_s, D, H, std::nullopt, in_b, 0.0, out_w,
                                                  OptionalTensor<float>{}, c).first;
  EXPECT_LT(rel_error(out[2].get<float>(), cross), 1e-5);
  EXPECT_LT(rel_error(out[3].get<float>(), scaled_dot_product_attention(in, in, in, AttentionMask<float>(sdpa_mask), 0.0,
                                                                        false, 0.3)),
            1e-5);
}

TEST(Deploy, EmbeddingModelTakesInt64Input) {
  TempDir dir;
  const auto emb = randn_f({10, 4}), w = randn_f({2, 4});
  Builder b;
  const auto x = b.input("tokens", bshape({3}), "int64");
  auto t = b.node("embedding", {x, b.tensor("emb.weight", emb)}, json::object(), bshape({3, 4}), "emb");
  t = b.node("mean", {t}, {{"dims", {1}}, {"keepdim", false}}, bshape({4}));
  b.output(b.node("linear", {t, b.tensor("fc.weight", w), nullptr}, json::object(), bshape({2}), "fc"));
  const auto m = deploy::load(b.save(dir.file("emb.ember")));
  const auto tokens = tensor<std::int64_t>(std::vector<std::int64_t>{1, 2, 3, 9, 0, 4}).reshape({2, 3});
  const auto ref = linear(index_select(emb, 0, tokens.reshape({-1})).reshape({2, 3, 4}).mean(1), w);
  EXPECT_LT(rel_error(m.forward(tokens), ref), 1e-5);
}

TEST(Deploy, OutputsNeverAliasTheWorkspace) {
  TempDir dir;
  const auto cw = randn_f({2, 1, 3, 3});
  Builder b;
  const auto x = b.input("x", bshape({1, 4, 4}));
  auto t = b.node("conv2d", {x, b.tensor("w", cw), nullptr},
                  {{"stride", {1, 1}}, {"padding", {1, 1}}, {"dilation", {1, 1}}, {"groups", 1}}, bshape({2, 4, 4}));
  b.output(b.node("relu", {t}, json::object(), bshape({2, 4, 4})));
  const auto m = deploy::load(b.save(dir.file("a.ember")));
  const auto x1 = randn_f({2, 1, 4, 4}), x2 = randn_f({2, 1, 4, 4});
  const auto y1 = m.forward(x1);
  const auto copy = y1.clone();
  const auto y2 = m.forward(x2);
  EXPECT_EQ(y1.to_vector(), copy.to_vector());
  EXPECT_NE(y1.data(), y2.data());
}

TEST(Deploy, ConcurrentForwardMatchesSequential) {
  TempDir dir;
  const Cnn cnn;
  const auto m = deploy::load(cnn.save(dir.file("cnn.ember")));
  std::vector<Tensor<float>> inputs, expected;
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(randn_f({1 + 3 * i, 1, 8, 8}));
    expected.push_back(m.forward(inputs.back()));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int r = 0; r < 50; ++r)
        if (m.forward(inputs[i]).to_vector() != expected[i].to_vector()) ++mismatches[i];
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(Deploy, BadInputsRaiseNamingTheExpectedShape) {
  TempDir dir;
  const auto m = deploy::load(Cnn().save(dir.file("cnn.ember")));
  auto msg = error_of<std::invalid_argument>([&] { m.forward(randn_f({2, 8, 8})); });
  EXPECT_NE(msg.find("(B, 1, 8, 8)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 8, 8)"), std::string::npos) << msg;
  msg = error_of<std::invalid_argument>([&] { m.forward(randn_f({2, 3, 8, 8})); });
  EXPECT_NE(msg.find("(B, 1, 8, 8), got (2, 3, 8, 8)"), std::string::npos) << msg;
  msg = error_of<TypeError>([&] { m.forward(randn<double>({2, 1, 8, 8})); });
  EXPECT_NE(msg.find("dtype float32, got float64"), std::string::npos) << msg;
  msg = error_of<std::invalid_argument>([&] { m.forward(std::vector<AnyTensor>{}); });
  EXPECT_NE(msg.find("takes 1 input(s) ('input'), got 0"), std::string::npos) << msg;
}

/// Writes a file with the given metadata over a tiny valid graph's tensors.
std::string with_metadata(const std::string& path, const std::map<std::string, std::string>& meta) {
  io::save_safetensors(path, {{"w", AnyTensor(randn_f({2, 2}))}}, meta);
  return path;
}

TEST(Deploy, BadFilesRaiseFormatErrors) {
  TempDir dir;
  // Truncated.
  const auto good = Mlp().save(dir.file("good.ember"));
  const auto truncated = dir.file("truncated.ember");
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, fs::file_size(good) - 7);
  EXPECT_NE(error_of<io::FormatError>([&] { deploy::load(truncated); }), "<no exception>");
  // Metadata and JSON.
  auto msg = error_of<io::FormatError>([&] { deploy::load(with_metadata(dir.file("plain.st"), {})); });
  EXPECT_NE(msg.find("not an ember deploy file"), std::string::npos) << msg;
  msg = error_of<io::FormatError>([&] {
    deploy::load(with_metadata(dir.file("nograph.ember"), {{"ember.format", "ember.deploy"}, {"ember.format_version", "1"}}));
  });
  EXPECT_NE(msg.find("\"ember.graph\" is missing"), std::string::npos) << msg;
  msg = error_of<io::FormatError>([&] {
    deploy::load(with_metadata(dir.file("badjson.ember"), {{"ember.format", "ember.deploy"},
                                                            {"ember.format_version", "1"},
                                                            {"ember.graph", "{\"inputs\": [\"x\""}}));
  });
  EXPECT_NE(msg.find("\"ember.graph\" is not valid JSON: parse error at byte 15: Missing a comma or ']' after an array "
                     "element."),
            std::string::npos)
      << msg;
  // A name declared twice (RapidJSON keeps both members of an object; other readers keep one).
  const std::string x = R"({"dtype":"float32","shape":[{"batch":1,"add":0},2]})";
  msg = error_of<io::FormatError>([&] {
    const std::string graph =
        R"({"inputs":["x"],"outputs":["x"],"values":{"x":)" + x + R"(,"x":)" + x + R"(},"tensors":{},"nodes":[]})";
    deploy::load(with_metadata(dir.file("twice.ember"), {{"ember.format", "ember.deploy"},
                                                          {"ember.format_version", "1"},
                                                          {"ember.graph", graph}}));
  });
  EXPECT_NE(msg.find("graph \"values\" has \"x\" twice"), std::string::npos) << msg;
  // Newer version.
  Builder v2;
  v2.output(v2.input("x", bshape({2})));
  msg = error_of<io::FormatError>([&] { deploy::load(v2.save(dir.file("v3.ember"), "3")); });
  EXPECT_NE(msg.find("written by a newer ember (format 3); this is ember " EMBER_VERSION_STRING
                     ", which reads formats up to 2"),
            std::string::npos)
      << msg;
}

TEST(Deploy, BadGraphsNameTheNode) {
  TempDir dir;
  {  // Unknown op.
    Builder b;
    auto t = b.node("relu", {b.input("x", bshape({2}))}, json::object(), bshape({2}), "a");
    b.output(b.node("frobnicate", {t}, json::object(), bshape({2}), "block.1"));
    const auto msg = error_of<io::FormatError>([&] { deploy::load(b.save(dir.file("op.ember"))); });
    EXPECT_NE(msg.find("node 1 (frobnicate in 'block.1'): [deploy] unknown op 'frobnicate'"), std::string::npos) << msg;
  }
  {  // Dangling input.
    Builder b;
    b.input("x", bshape({2}));
    b.output(b.node("relu", {"nothing"}, json::object(), bshape({2}), "a"));
    const auto msg = error_of<io::FormatError>([&] { deploy::load(b.save(dir.file("dangling.ember"))); });
    EXPECT_NE(msg.find("node 0 (relu in 'a'): input 'nothing' names no"), std::string::npos) << msg;
  }
  {  // A stored tensor that differs from its declaration.
    Builder b;
    const auto x = b.input("x", bshape({4}));
    b.output(b.node("linear", {x, b.tensor("w", randn_f({3, 4})), nullptr}, json::object(), bshape({3})));
    b.g["tensors"]["w"]["shape"] = {3, 5};
    const auto msg = error_of<io::FormatError>([&] { deploy::load(b.save(dir.file("decl.ember"))); });
    EXPECT_NE(msg.find("tensor 'w' is stored as float32 (3, 4) but the graph declares float32 (3, 5)"), std::string::npos)
        << msg;
  }
  {  // Weights that do not fit the architecture: caught by the dry run, with the op's own message.
    Builder b;
    const auto x = b.input("input", bshape({1, 8, 8}));
    b.output(b.node("conv2d", {x, b.tensor("features.0.weight", randn_f({4, 3, 3, 3})), nullptr},
                    {{"stride", {1, 1}}, {"padding", {1, 1}}, {"dilation", {1, 1}}, {"groups", 1}}, bshape({4, 8, 8}),
                    "features.0"));
    const auto path = b.save(dir.file("fit.ember"));
    const auto msg = error_of<io::FormatError>([&] { deploy::load(path); });
    EXPECT_NE(msg.find("[deploy.load] " + path + ": node 0 (conv2d in 'features.0'): [conv2d]"), std::string::npos) << msg;
  }
  {  // A value declared with another shape than the op computes.
    Builder b;
    const auto x = b.input("x", bshape({4}));
    b.output(b.node("linear", {x, b.tensor("w", randn_f({3, 4})), nullptr}, json::object(), bshape({7}), "fc"));
    const auto msg = error_of<io::FormatError>([&] { deploy::load(b.save(dir.file("values.ember"))); });
    EXPECT_NE(msg.find("is float32 (1, 3) at batch 1, but the graph declares float32 (B, 7)"), std::string::npos) << msg;
  }
  {  // A malformed attribute.
    Builder b;
    b.output(b.node("softmax", {b.input("x", bshape({4}))}, {{"dim", "last"}}, bshape({4}), "sm"));
    const auto msg = error_of<io::FormatError>([&] { deploy::load(b.save(dir.file("attr.ember"))); });
    EXPECT_NE(msg.find("node 0 (softmax in 'sm'): [softmax] attribute 'dim' must be an integer, got \"last\""),
              std::string::npos)
        << msg;
  }
}

}  // namespace
