#pragma once
// The runtime's fast path for the int8 ops (ops_quantized.hpp holds their reference semantics):
//   quantized_conv2d | quantized_linear [+ activation] -> one oneDNN int8 primitive
// (backend/onednn/quantized.hpp): the float input is quantized by a oneDNN reorder, the product runs on
// int8 weights packed once, the scales, bias and activation are applied inside the primitive, the output
// is float32; a max pooling after a convolution runs on its blocked output. fusion.hpp's plan() calls
// quantized_fused_kernel for each such node.
#include <memory>

#include "ember/backend/onednn/quantized.hpp"
#include "ember/deploy/ops_quantized.hpp"

namespace ember::deploy::detail {

/// The fused kernel of quantized node n over its stored weight w, scales and bias, with the activation `post`
/// (whose unfused kernel `activation` serves an empty input, which oneDNN rejects).
template <class = void>  // compiled only where called: see AnyTensor::to
Kernel quantized_fused_kernel(const Node& n, Tensor<std::int8_t> w, Tensor<float> w_scale, OptionalTensor<float> b,
                              ::ember::detail::onednn::PostOp post, Kernel activation,
                              std::optional<Pool2dOptions> pool = std::nullopt, Kernel pool_kernel = {}) {
  namespace dnn = ::ember::detail::onednn;
  const InputQuant q = input_quant(n);
  const Kernel reference = make_kernel(n);
  auto packed = std::make_shared<dnn::PackedInt8Weights>(w.data());  // w lives in this kernel
  const float* bias = b ? b->data() : nullptr;
  auto unfused = [reference, activation, pool_kernel](std::span<const AnyTensor> in, RunContext& ctx) {
    AnyTensor y = reference(in, ctx);
    if (activation) y = activation({&y, 1}, ctx);
    return pool_kernel ? pool_kernel({&y, 1}, ctx) : y;
  };
  if (n.op == "quantized_conv2d") {
    // conv2d_geometry checks shapes only: a zero-stride float view of w's shape stands in for the weight.
    const Tensor<float> w_shape = zeros<float>(Shape{1, 1, 1, 1}).expand(w.shape());
    return [w, w_scale, b, bias, o = conv_options(n), q, post, packed, unfused, w_shape, pool, pool_kernel](
               std::span<const AnyTensor> in, RunContext& ctx) -> AnyTensor {
      const Tensor<float> x = in[0].get<float>("quantized_conv2d").contiguous();
      const ::ember::detail::ConvGeometry p = ::ember::detail::conv2d_geometry(x, w_shape, b, o);
      if (::ember::detail::conv_empty(p) || x.dim() != 4) return unfused(in, ctx);
      if (pool) {
        const auto pg = ::ember::detail::pool2d_geometry(Shape{p.n, p.o, p.oh, p.ow}, *pool, "max_pool2d");
        Tensor<float> y = ctx.workspace->buffer(ctx.slot, {p.n, p.o, pg.oh, pg.ow});
        if (dnn::quantized_conv2d_pool_inference(x.data(), *packed, w_scale.data(), bias, y.data(), p, q.scale,
                                                 q.is_unsigned, post, pg))
          return y;
        Tensor<float> conv = Tensor<float>::empty({p.n, p.o, p.oh, p.ow});
        dnn::quantized_conv2d_inference(x.data(), *packed, w_scale.data(), bias, conv.data(), p, q.scale,
                                        q.is_unsigned, post);
        const AnyTensor c(conv);
        return pool_kernel({&c, 1}, ctx);
      }
      Tensor<float> y = ctx.workspace->buffer(ctx.slot, {p.n, p.o, p.oh, p.ow});
      dnn::quantized_conv2d_inference(x.data(), *packed, w_scale.data(), bias, y.data(), p, q.scale, q.is_unsigned,
                                      post);
      return y;
    };
  }
  return [w, w_scale, bias, q, post, packed, unfused](std::span<const AnyTensor> in, RunContext& ctx) -> AnyTensor {
    const Tensor<float> x = in[0].get<float>("quantized_linear").contiguous();
    const std::int64_t k = w.size(1), n_out = w.size(0);
    EMBER_CHECK(x.dim() >= 1 && x.size(-1) == k, "quantized_linear", "input of shape ", x.shape(),
                " does not match weight of shape ", w.shape(), ": expected the last dim to be ", k);
    std::int64_t m = 1;
    for (std::int64_t d = 0; d + 1 < x.dim(); ++d) m *= x.size(d);
    if (m == 0 || k == 0 || n_out == 0) return unfused(in, ctx);
    Shape out = x.shape();
    out.back() = n_out;
    Tensor<float> y = ctx.workspace->buffer(ctx.slot, out);
    dnn::quantized_linear_inference(x.data(), *packed, w_scale.data(), bias, y.data(), m, k, n_out, q.scale,
                                    q.is_unsigned, post);
    return y;
  };
}

}  // namespace ember::deploy::detail
