// Parity cases of the layers: each builds the C++ twin of an ember.nn class from the same options.
#include "parity.hpp"

namespace {
using namespace parity;

/// Runs a layer with one input "x".
template <class M>
void unary(Run& r, M m) {
  r.out(r.module(std::move(m)).forward(r.x("x")));
}


PARITY_CASE("ReLU", r) { unary(r, nn::ReLU<T>()); }
PARITY_CASE("LeakyReLU", r) { unary(r, nn::LeakyReLU<T>(r.f("negative_slope", 0.01))); }
PARITY_CASE("GELU", r) { unary(r, nn::GELU<T>(r.s("approximate", "none"))); }
PARITY_CASE("Tanh", r) { unary(r, nn::Tanh<T>()); }
PARITY_CASE("Sigmoid", r) { unary(r, nn::Sigmoid<T>()); }
PARITY_CASE("SiLU", r) { unary(r, nn::SiLU<T>()); }
PARITY_CASE("Softmax", r) { unary(r, nn::Softmax<T>(r.oi("dim"))); }
PARITY_CASE("LogSoftmax", r) { unary(r, nn::LogSoftmax<T>(r.oi("dim"))); }
PARITY_CASE("Identity", r) { unary(r, nn::Identity<T>()); }
PARITY_CASE("Flatten", r) { unary(r, nn::Flatten<T>(r.i("start_dim", 1), r.i("end_dim", -1))); }
PARITY_CASE("Dropout", r) { unary(r, nn::Dropout<T>(r.f("p", 0.5))); }

PARITY_CASE("Linear", r) {
  unary(r, nn::Linear<T>(r.i("in_features", 0), r.i("out_features", 0), r.b("bias", true)));
}

PARITY_CASE("Bilinear", r) {
  auto& m = r.module(nn::Bilinear<T>(r.i("in1_features", 0), r.i("in2_features", 0), r.i("out_features", 0),
                                     r.b("bias", true)));
  r.out(m.forward(r.x("input1"), r.x("input2")));
}

PARITY_CASE("Conv2d", r) {
  unary(r, nn::Conv2d<T>(r.i("in_channels", 0), r.i("out_channels", 0), r.pair("kernel_size", {1, 1}),
                         nn::Conv2dOptions{.stride = r.pair("stride", {1, 1}), .padding = r.padding("padding"),
                                           .dilation = r.pair("dilation", {1, 1}), .groups = r.i("groups", 1),
                                           .bias = r.b("bias", true)}));
}

PARITY_CASE("BatchNorm1d", r) {
  unary(r, nn::BatchNorm1d<T>(r.i("num_features", 0), r.f("eps", 1e-5), r.f("momentum", 0.1), r.b("affine", true),
                              r.b("track_running_stats", true)));
}
PARITY_CASE("BatchNorm2d", r) {
  unary(r, nn::BatchNorm2d<T>(r.i("num_features", 0), r.f("eps", 1e-5), r.f("momentum", 0.1), r.b("affine", true),
                              r.b("track_running_stats", true)));
}

PARITY_CASE("LayerNorm", r) {
  const auto dims = r.ints("normalized_shape");
  unary(r, nn::LayerNorm<T>(Shape(dims.begin(), dims.end()), r.f("eps", 1e-5), r.b("elementwise_affine", true),
                            r.b("bias", true)));
}

PARITY_CASE("MaxPool2d", r) { unary(r, nn::MaxPool2d<T>(r.pool())); }
PARITY_CASE("AvgPool2d", r) { unary(r, nn::AvgPool2d<T>(r.pool())); }
PARITY_CASE("AdaptiveAvgPool2d", r) { unary(r, nn::AdaptiveAvgPool2d<T>(r.pair("output_size", {1, 1}))); }

PARITY_CASE("Embedding", r) {
  auto& m = r.module(nn::Embedding<T>(r.i("num_embeddings", 0), r.i("embedding_dim", 0), r.oi("padding_idx")));
  r.out(m.forward(r.get<std::int64_t>("ids")));
}

PARITY_CASE("EmbeddingBag", r) {
  auto& m = r.module(nn::EmbeddingBag<T>(r.i("num_embeddings", 0), r.i("embedding_dim", 0), r.s("mode", "mean"),
                                         r.b("include_last_offset", false), r.oi("padding_idx")));
  r.out(m.forward(r.get<std::int64_t>("ids"), r.oget<std::int64_t>("offsets"), r.ox("per_sample_weights")));
}

PARITY_CASE("MultiheadAttention", r) {
  auto& m = r.module(nn::MultiheadAttention<T>(r.i("embed_dim", 0), r.i("num_heads", 1), r.f("dropout", 0.0),
                                               r.b("bias", true), r.oi("kdim"), r.oi("vdim"),
                                               r.b("batch_first", false)));
  const Tensor<T> q = r.x("query");
  const Tensor<T> k = r.has_input("key") ? r.x("key") : q;
  const Tensor<T> v = r.has_input("value") ? r.x("value") : k;
  auto [out, weights] = m.forward(q, k, v, r.mask("key_padding_mask"), r.b("need_weights", true), r.mask("attn_mask"),
                                  r.b("average_attn_weights", true), r.b("is_causal", false));
  r.out(out);
  if (weights) r.out(*weights);
}

}  // namespace

namespace {
using namespace parity;

// Containers: Linear(4, 3) then Linear(3, 2) (with a ReLU between in Sequential), as the Python case builds them.
PARITY_CASE("Sequential", r) {
  unary(r, nn::Sequential<T>(nn::Linear<T>(4, 3), nn::ReLU<T>(), nn::Linear<T>(3, 2)));
}
PARITY_CASE("ModuleList", r) {
  nn::ModuleList<T> list;
  list.push_back(nn::Linear<T>(4, 3));
  list.push_back(std::make_shared<nn::Linear<T>>(3, 2));
  auto& m = r.module(std::move(list));
  r.out(m[1].forward(m[0].forward(r.x("x"))));
}
PARITY_CASE("ModuleDict", r) {
  nn::ModuleDict<T> dict;
  dict.insert("encode", nn::Linear<T>(4, 3));
  dict.insert("head", nn::Linear<T>(3, 2));
  auto& m = r.module(std::move(dict));
  r.out(m.at<nn::Linear<T>>("head").forward(m["encode"].forward(r.x("x"))));
}

}  // namespace
