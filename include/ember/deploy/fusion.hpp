#pragma once
// The execution plan of a deployed graph, with load-time fusion for float32:
//   conv2d [+ batch_norm (eval, folded into the weights)] [+ activation] -> one oneDNN convolution
//     [+ max_pool2d]                          -> then a pooling on its blocked output,
//   linear [+ activation]                                                -> one oneDNN matmul,
//   quantized_conv2d | quantized_linear [+ activation] [+ max_pool2d, conv only] -> the same on oneDNN's int8
//                                                           primitives (fusion_quantized.hpp),
// the bias and the activation (relu, leaky_relu, gelu, sigmoid, tanh, silu) inside the primitive as
// bias and eltwise post-op. A node joins a chain only when the chain's output is its sole use.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ember/backend/onednn/inference.hpp"
#include "ember/deploy/executor.hpp"
#include "ember/deploy/fusion_quantized.hpp"
#include "ember/ops/creation.hpp"

namespace ember::deploy::detail {

/// The eltwise post-op computing activation node n, or nullopt when n is not one.
template <class = void>  // compiled only where called: see AnyTensor::to
std::optional<::ember::detail::onednn::PostOp> activation_post_op(const Node& n) {
  using alg = dnnl::algorithm;
  using PostOp = ::ember::detail::onednn::PostOp;
  if (n.inputs.size() != 1) return std::nullopt;
  if (n.op == "relu") return PostOp{alg::eltwise_relu, 0, 0};
  if (n.op == "leaky_relu") return PostOp{alg::eltwise_relu, static_cast<float>(attr_number(n, "negative_slope")), 0};
  if (n.op == "sigmoid") return PostOp{alg::eltwise_logistic, 0, 0};
  if (n.op == "tanh") return PostOp{alg::eltwise_tanh, 0, 0};
  if (n.op == "silu") return PostOp{alg::eltwise_swish, 1, 0};
  if (n.op == "gelu") {
    const std::string a = attr_string(n, "approximate");
    if (a == "none") return PostOp{alg::eltwise_gelu_erf, 0, 0};
    if (a == "tanh") return PostOp{alg::eltwise_gelu_tanh, 0, 0};
  }
  return std::nullopt;
}

/// Convolution weight and bias with an eval batch_norm folded in, computed in float64:
/// scale = gamma / sqrt(var + eps), w' = w * scale (per output channel), b' = (b - mean) * scale + beta.
/// (A template on the element type, so that its float64 arithmetic is compiled only where it is called.)
template <FloatElement F>
std::pair<Tensor<F>, Tensor<F>> fold_batch_norm(const Tensor<F>& w, const OptionalTensor<F>& b, const Tensor<F>& mean,
                                                const Tensor<F>& var, const OptionalTensor<F>& gamma,
                                                const OptionalTensor<F>& beta, double eps) {
  const std::int64_t o = w.size(0);
  Tensor<double> scale = rsqrt(var.template to<double>() + eps);
  if (gamma) scale = scale * gamma->template to<double>();
  Tensor<double> bias = b ? b->template to<double>() : zeros<double>({o});
  bias = (bias - mean.template to<double>()) * scale;
  if (beta) bias = bias + beta->template to<double>();
  const Tensor<double> folded = w.template to<double>() * scale.reshape({o, 1, 1, 1});
  return {folded.template to<F>().contiguous(), bias.template to<F>().contiguous()};
}

/// act(conv(x, w) + b) as one oneDNN primitive writing into the workspace, then the max pooling `pool`
/// when one was fused (run on the convolution's blocked output: conv2d_pool_inference). `activation`
/// and `pool_kernel` (the unfused kernels, may be empty) serve what oneDNN cannot run: an empty tensor,
/// a pooling whose last window stops short.
template <class = void>  // compiled only where called: see AnyTensor::to
Kernel fused_conv_kernel(Tensor<float> w, OptionalTensor<float> b, Conv2dOptions o,
                         ::ember::detail::onednn::PostOp post, Kernel activation,
                         std::optional<Pool2dOptions> pool = std::nullopt, Kernel pool_kernel = {}) {
  auto packed = std::make_shared<::ember::detail::onednn::PackedWeights>(w.data());  // w lives in this kernel
  return [w, b, o, post, activation, pool, pool_kernel, packed](std::span<const AnyTensor> in,
                                                               RunContext& ctx) -> AnyTensor {
    const Tensor<float> x = in[0].get<float>("conv2d").contiguous();
    const ::ember::detail::ConvGeometry p = ::ember::detail::conv2d_geometry(x, w, b, o);
    auto unfused = [&](AnyTensor y) {
      if (activation) y = activation({&y, 1}, ctx);
      return pool_kernel ? pool_kernel({&y, 1}, ctx) : y;
    };
    if (ctx.nonfinite || ::ember::detail::conv_empty(p)) return unfused(conv2d(x, w, b, o));
    const Shape conv_shape{p.n, p.o, p.oh, p.ow};
    const float* bias = b ? b->data() : nullptr;
    if (pool) {
      const auto q = ::ember::detail::pool2d_geometry(conv_shape, *pool, "max_pool2d");
      Tensor<float> y = ctx.workspace->buffer(ctx.slot, {p.n, p.o, q.oh, q.ow});
      if (::ember::detail::onednn::conv2d_pool_inference(x.data(), *packed, bias, y.data(), p, post, q)) return y;
      Tensor<float> conv = Tensor<float>::empty(conv_shape);
      ::ember::detail::onednn::conv2d_inference(x.data(), *packed, bias, conv.data(), p, post);
      const AnyTensor c(conv);
      return pool_kernel({&c, 1}, ctx);
    }
    Tensor<float> y = ctx.workspace->buffer(ctx.slot, conv_shape);
    ::ember::detail::onednn::conv2d_inference(x.data(), *packed, bias, y.data(), p, post);
    return y;
  };
}

/// act(x @ w^T + b) for x (*, in) as one oneDNN matmul writing into the workspace.
template <class = void>  // compiled only where called: see AnyTensor::to
Kernel fused_linear_kernel(Tensor<float> w, OptionalTensor<float> b, ::ember::detail::onednn::PostOp post,
                           Kernel activation) {
  auto packed = std::make_shared<::ember::detail::onednn::PackedWeights>(w.data());  // w lives in this kernel
  return [w, b, post, activation, packed](std::span<const AnyTensor> in, RunContext& ctx) -> AnyTensor {
    const Tensor<float> x = in[0].get<float>("linear").contiguous();
    const std::int64_t k = w.size(1), n = w.size(0);
    EMBER_CHECK(x.dim() >= 1 && x.size(-1) == k, "linear", "input of shape ", x.shape(),
                " does not match weight of shape ", w.shape(), ": expected the last dim to be ", k);
    std::int64_t m = 1;
    for (std::int64_t d = 0; d + 1 < x.dim(); ++d) m *= x.size(d);
    if (ctx.nonfinite || m == 0 || k == 0 || n == 0) {
      const AnyTensor y = linear(x, w, b);
      return activation ? activation({&y, 1}, ctx) : y;
    }
    Shape out = x.shape();
    out[out.size() - 1] = n;
    Tensor<float> y = ctx.workspace->buffer(ctx.slot, out);
    ::ember::detail::onednn::linear_inference(x.data(), *packed, b ? b->data() : nullptr, y.data(), m, k, n, post);
    return y;
  };
}

/// The steps of graph g over the file's tensors: every node as its own kernel (fuse false: the
/// reference the dry run checks the file with), or with the chains above fused. A node whose op or
/// attributes are bad raises FormatError "[deploy.load] <path>: node i (op in 'scope'): ...".
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<StepSpec> plan(const Graph& g, const std::map<std::string, AnyTensor>& constants, bool fuse,
                           const std::string& path) {
  std::map<std::string, std::vector<std::size_t>> uses;  // value -> reading nodes, once per input position
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (in) uses[*in].push_back(i);
  for (const auto& name : g.outputs) uses[name].push_back(g.nodes.size());  // never fused away
  auto sole_user = [&](const std::string& value) -> std::optional<std::size_t> {
    const auto it = uses.find(value);
    if (it == uses.end() || it->second.size() != 1 || it->second[0] == g.nodes.size()) return std::nullopt;
    return it->second[0];
  };
  // A stored float32 tensor named by an input (nullopt for a null input); nothing when it is not one.
  auto float_constant = [&](const std::optional<std::string>& name, bool& ok) -> OptionalTensor<float> {
    if (!name) return std::nullopt;
    const auto it = constants.find(*name);
    if (it == constants.end() || !it->second.is<float>()) {
      ok = false;
      return std::nullopt;
    }
    return it->second.get<float>();
  };

  std::vector<StepSpec> steps;
  std::vector<bool> fused_away(g.nodes.size(), false);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (fused_away[i]) continue;
    const Node& n = g.nodes[i];
    StepSpec s{n.op, i, n.where(), n.inputs, n.outputs[0], {}};
    try {
      s.kernel = make_kernel(n);  // also checks the node's inputs and attributes
      const bool int8 = n.op == "quantized_conv2d" || n.op == "quantized_linear";
      bool ok = fuse && (n.op == "conv2d" || n.op == "linear" || int8) && g.values.count(n.inputs[0].value_or("")) &&
                g.values.at(*n.inputs[0]).dtype == DType::Float32;
      OptionalTensor<float> w, b;
      std::optional<QuantWeight> w8;
      if (ok && int8) {
        const auto it = constants.find(n.inputs[1].value_or(""));
        const auto scale = float_constant(n.inputs[2], ok);
        b = float_constant(n.inputs.size() > 3 ? n.inputs[3] : std::nullopt, ok);
        ok = ok && scale && it != constants.end() && it->second.is<std::int8_t>();
        if (ok) {
          const AnyTensor stored[] = {AnyTensor(), it->second, AnyTensor(*scale)};
          w8 = quant_weight(stored, n.op.c_str());  // checks one scale per output channel
          ok = w8->w.dim() == (n.op == "quantized_conv2d" ? 4 : 2);
        }
      } else if (ok) {
        w = float_constant(n.inputs[1], ok);
        b = float_constant(n.inputs.size() > 2 ? n.inputs[2] : std::nullopt, ok);
      }
      if (ok) {
        std::string out = n.outputs[0], op = n.op;
        const auto bn = sole_user(out);
        if (n.op == "conv2d" && bn && g.nodes[*bn].op == "batch_norm" && g.nodes[*bn].inputs[0] == out) {
          const Node& m = g.nodes[*bn];
          bool stats = true;
          const auto mean = float_constant(m.inputs[1], stats), var = float_constant(m.inputs[2], stats);
          const auto gamma = float_constant(m.inputs.size() > 3 ? m.inputs[3] : std::nullopt, stats);
          const auto beta = float_constant(m.inputs.size() > 4 ? m.inputs[4] : std::nullopt, stats);
          if (stats && mean && var) {
            std::tie(w, b) = fold_batch_norm(*w, b, *mean, *var, gamma, beta, attr_number(m, "eps"));
            fused_away[*bn] = true;
            out = m.outputs[0];
            op += "+batch_norm";
          }
        }
        ::ember::detail::onednn::PostOp post;
        Kernel activation;
        if (const auto a = sole_user(out)) {
          if (const auto p = activation_post_op(g.nodes[*a]); p && g.nodes[*a].inputs[0] == out) {
            post = *p;
            activation = make_kernel(g.nodes[*a]);
            fused_away[*a] = true;
            out = g.nodes[*a].outputs[0];
            op += "+" + g.nodes[*a].op;
          }
        }
        std::optional<Pool2dOptions> pool;
        Kernel pool_kernel;
        if (const auto m = sole_user(out); (n.op == "conv2d" || n.op == "quantized_conv2d") && m &&
                                           g.nodes[*m].op == "max_pool2d" &&
                                           g.nodes[*m].inputs[0] == out && g.values.at(out).shape.size() == 4) {
          pool = max_pool_options(g.nodes[*m]);
          pool_kernel = make_kernel(g.nodes[*m]);
          fused_away[*m] = true;
          out = g.nodes[*m].outputs[0];
          op += "+max_pool2d";
        }
        s.op = op;
        s.inputs = {n.inputs[0]};
        s.output = out;
        s.kernel = int8               ? quantized_fused_kernel(n, w8->w.contiguous(), w8->scale.contiguous(), b, post,
                                                                 activation, pool, pool_kernel)
                   : n.op == "conv2d" ? fused_conv_kernel(*w, b, conv_options(n), post, activation, pool, pool_kernel)
                                      : fused_linear_kernel(*w, b, post, activation);
      }
    } catch (const std::exception& e) {
      bad_graph(path, "node ", i, " (", n.where(), "): ", e.what());
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace ember::deploy::detail
