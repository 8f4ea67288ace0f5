// Parity cases of issue 21's activations, normalization layers, channel dropout, Unflatten and losses
// (modules and ember.nn.functional functions).
#include "parity.hpp"

#include "ember/nn/activation_extra.hpp"
#include "ember/nn/dropout_extra.hpp"
#include "ember/nn/loss_extra.hpp"
#include "ember/nn/normalization_extra.hpp"
#include "ember/nn/unflatten.hpp"

namespace {
using namespace parity;

template <class M>
void unary(Run& r, M m) {
  r.out(r.module(std::move(m)).forward(r.x("x")));
}
std::optional<double> opt_f(Run& r, const std::string& name) {
  return r.has(name) ? std::optional<double>(r.f(name, 0.0)) : std::nullopt;
}
Shape shape_opt(Run& r, const std::string& name) {
  const auto v = r.ints(name);
  return Shape(v.begin(), v.end());
}

// --- activation modules ---
PARITY_CASE("ELU", r) { unary(r, nn::ELU<T>(r.f("alpha", 1.0))); }
PARITY_CASE("SELU", r) { unary(r, nn::SELU<T>()); }
PARITY_CASE("CELU", r) { unary(r, nn::CELU<T>(r.f("alpha", 1.0))); }
PARITY_CASE("Softplus", r) { unary(r, nn::Softplus<T>(r.f("beta", 1.0), r.f("threshold", 20.0))); }
PARITY_CASE("Mish", r) { unary(r, nn::Mish<T>()); }
PARITY_CASE("Hardswish", r) { unary(r, nn::Hardswish<T>()); }
PARITY_CASE("Hardsigmoid", r) { unary(r, nn::Hardsigmoid<T>()); }
PARITY_CASE("Hardtanh", r) { unary(r, nn::Hardtanh<T>(r.f("min_val", -1.0), r.f("max_val", 1.0))); }
PARITY_CASE("ReLU6", r) { unary(r, nn::ReLU6<T>()); }
PARITY_CASE("PReLU", r) { unary(r, nn::PReLU<T>(r.i("num_parameters", 1), r.f("init", 0.25))); }
PARITY_CASE("LogSigmoid", r) { unary(r, nn::LogSigmoid<T>()); }
PARITY_CASE("Softsign", r) { unary(r, nn::Softsign<T>()); }
PARITY_CASE("Tanhshrink", r) { unary(r, nn::Tanhshrink<T>()); }
PARITY_CASE("Softmin", r) { unary(r, nn::Softmin<T>(r.oi("dim"))); }
PARITY_CASE("Hardshrink", r) { unary(r, nn::Hardshrink<T>(r.f("lambd", 0.5))); }
PARITY_CASE("Softshrink", r) { unary(r, nn::Softshrink<T>(r.f("lambd", 0.5))); }
PARITY_CASE("Threshold", r) { unary(r, nn::Threshold<T>(r.f("threshold", 0.0), r.f("value", 0.0))); }
PARITY_CASE("GLU", r) { unary(r, nn::GLU<T>(r.i("dim", -1))); }

// --- normalization, channel dropout, Unflatten ---
PARITY_CASE("GroupNorm", r) {
  unary(r, nn::GroupNorm<T>(r.i("num_groups", 1), r.i("num_channels", 0), r.f("eps", 1e-5), r.b("affine", true),
                            r.b("bias", true)));
}
PARITY_CASE("InstanceNorm1d", r) {
  unary(r, nn::InstanceNorm1d<T>(r.i("num_features", 0), r.f("eps", 1e-5), r.f("momentum", 0.1),
                                 r.b("affine", false), r.b("track_running_stats", false), r.b("bias", true)));
}
PARITY_CASE("InstanceNorm2d", r) {
  unary(r, nn::InstanceNorm2d<T>(r.i("num_features", 0), r.f("eps", 1e-5), r.f("momentum", 0.1),
                                 r.b("affine", false), r.b("track_running_stats", false), r.b("bias", true)));
}
PARITY_CASE("RMSNorm", r) {
  unary(r, nn::RMSNorm<T>(shape_opt(r, "normalized_shape"), opt_f(r, "eps"), r.b("elementwise_affine", true)));
}
PARITY_CASE("Dropout1d", r) { unary(r, nn::Dropout1d<T>(r.f("p", 0.5))); }
PARITY_CASE("Dropout2d", r) { unary(r, nn::Dropout2d<T>(r.f("p", 0.5))); }
PARITY_CASE("Unflatten", r) { unary(r, nn::Unflatten<T>(r.i("dim", 0), shape_opt(r, "unflattened_size"))); }

// --- loss modules ---
PARITY_CASE("KLDivLoss", r) {
  auto& m = r.module(nn::KLDivLoss<T>(r.s("reduction", "mean"), r.b("log_target", false)));
  r.out(m.forward(r.x("input"), r.x("target")));
}
PARITY_CASE("CosineEmbeddingLoss", r) {
  auto& m = r.module(nn::CosineEmbeddingLoss<T>(r.f("margin", 0.0), r.reduction()));
  r.out(m.forward(r.x("input1"), r.x("input2"), r.x("target")));
}
PARITY_CASE("MarginRankingLoss", r) {
  auto& m = r.module(nn::MarginRankingLoss<T>(r.f("margin", 0.0), r.reduction()));
  r.out(m.forward(r.x("input1"), r.x("input2"), r.x("target")));
}
PARITY_CASE("TripletMarginLoss", r) {
  auto& m = r.module(nn::TripletMarginLoss<T>(r.f("margin", 1.0), r.f("p", 2.0), r.f("eps", 1e-6),
                                              r.b("swap", false), r.reduction()));
  r.out(m.forward(r.x("anchor"), r.x("positive"), r.x("negative")));
}
PARITY_CASE("PoissonNLLLoss", r) {
  auto& m = r.module(nn::PoissonNLLLoss<T>(r.b("log_input", true), r.b("full", false), r.f("eps", 1e-8),
                                           r.reduction()));
  r.out(m.forward(r.x("input"), r.x("target")));
}
PARITY_CASE("GaussianNLLLoss", r) {
  auto& m = r.module(nn::GaussianNLLLoss<T>(r.b("full", false), r.f("eps", 1e-6), r.reduction()));
  r.out(m.forward(r.x("input"), r.x("target"), r.x("var")));
}
PARITY_CASE("MultiLabelSoftMarginLoss", r) {
  auto& m = r.module(nn::MultiLabelSoftMarginLoss<T>(r.state("weight"), r.reduction()));
  r.out(m.forward(r.x("input"), r.x("target")));
}

// --- ember.nn.functional ---
PARITY_CASE("F.elu", r) { r.out(elu(r.x("input"), r.f("alpha", 1.0))); }
PARITY_CASE("F.selu", r) { r.out(selu(r.x("input"))); }
PARITY_CASE("F.celu", r) { r.out(celu(r.x("input"), r.f("alpha", 1.0))); }
PARITY_CASE("F.softplus", r) { r.out(softplus(r.x("input"), r.f("beta", 1.0), r.f("threshold", 20.0))); }
PARITY_CASE("F.mish", r) { r.out(mish(r.x("input"))); }
PARITY_CASE("F.hardswish", r) { r.out(hardswish(r.x("input"))); }
PARITY_CASE("F.hardsigmoid", r) { r.out(hardsigmoid(r.x("input"))); }
PARITY_CASE("F.hardtanh", r) { r.out(hardtanh(r.x("input"), r.f("min_val", -1.0), r.f("max_val", 1.0))); }
PARITY_CASE("F.relu6", r) { r.out(relu6(r.x("input"))); }
PARITY_CASE("F.prelu", r) { r.out(prelu(r.x("input"), r.x("weight"))); }
PARITY_CASE("F.logsigmoid", r) { r.out(logsigmoid(r.x("input"))); }
PARITY_CASE("F.softsign", r) { r.out(softsign(r.x("input"))); }
PARITY_CASE("F.tanhshrink", r) { r.out(tanhshrink(r.x("input"))); }
PARITY_CASE("F.softmin", r) { r.out(softmin(r.x("input"), r.i("dim", -1))); }
PARITY_CASE("F.hardshrink", r) { r.out(hardshrink(r.x("input"), r.f("lambd", 0.5))); }
PARITY_CASE("F.softshrink", r) { r.out(softshrink(r.x("input"), r.f("lambd", 0.5))); }
PARITY_CASE("F.threshold", r) { r.out(threshold(r.x("input"), r.f("threshold", 0.0), r.f("value", 0.0))); }
PARITY_CASE("F.glu", r) { r.out(glu(r.x("input"), r.i("dim", -1))); }
PARITY_CASE("F.group_norm", r) {
  r.out(group_norm(r.x("input"), r.i("num_groups", 1), r.ox("weight"), r.ox("bias"), r.f("eps", 1e-5)));
}
PARITY_CASE("F.instance_norm", r) {
  r.out(instance_norm(r.x("input"), r.oget<T>("running_mean"), r.oget<T>("running_var"), r.ox("weight"),
                      r.ox("bias"), r.b("use_input_stats", true), r.f("momentum", 0.1), r.f("eps", 1e-5)));
}
PARITY_CASE("F.rms_norm", r) {
  r.out(rms_norm(r.x("input"), shape_opt(r, "normalized_shape"), r.ox("weight"), opt_f(r, "eps")));
}
PARITY_CASE("F.dropout1d", r) { r.out(dropout1d(r.x("input"), r.f("p", 0.5), r.b("training", true))); }
PARITY_CASE("F.dropout2d", r) { r.out(dropout2d(r.x("input"), r.f("p", 0.5), r.b("training", true))); }
PARITY_CASE("F.kl_div", r) {
  r.out(kl_div(r.x("input"), r.x("target"), r.s("reduction", "mean"), r.b("log_target", false)));
}
PARITY_CASE("F.normalize", r) { r.out(normalize(r.x("input"), r.f("p", 2.0), r.i("dim", 1), r.f("eps", 1e-12))); }
PARITY_CASE("F.cosine_similarity", r) {
  r.out(cosine_similarity(r.x("x1"), r.x("x2"), r.i("dim", 1), r.f("eps", 1e-8)));
}
PARITY_CASE("F.pairwise_distance", r) {
  r.out(pairwise_distance(r.x("x1"), r.x("x2"), r.f("p", 2.0), r.f("eps", 1e-6), r.b("keepdim", false)));
}
PARITY_CASE("F.cosine_embedding_loss", r) {
  r.out(cosine_embedding_loss(r.x("input1"), r.x("input2"), r.x("target"), r.f("margin", 0.0), r.reduction()));
}
PARITY_CASE("F.margin_ranking_loss", r) {
  r.out(margin_ranking_loss(r.x("input1"), r.x("input2"), r.x("target"), r.f("margin", 0.0), r.reduction()));
}
PARITY_CASE("F.triplet_margin_loss", r) {
  r.out(triplet_margin_loss(r.x("anchor"), r.x("positive"), r.x("negative"), r.f("margin", 1.0), r.f("p", 2.0),
                            r.f("eps", 1e-6), r.b("swap", false), r.reduction()));
}
PARITY_CASE("F.poisson_nll_loss", r) {
  r.out(poisson_nll_loss(r.x("input"), r.x("target"), r.b("log_input", true), r.b("full", false), r.f("eps", 1e-8),
                         r.reduction()));
}
PARITY_CASE("F.gaussian_nll_loss", r) {
  r.out(gaussian_nll_loss(r.x("input"), r.x("target"), r.x("var"), r.b("full", false), r.f("eps", 1e-6),
                          r.reduction()));
}
PARITY_CASE("F.multilabel_soft_margin_loss", r) {
  r.out(multilabel_soft_margin_loss(r.x("input"), r.x("target"), r.ox("weight"), r.reduction()));
}

}  // namespace
