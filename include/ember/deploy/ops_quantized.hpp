#pragma once
// The int8 ops of docs/deploy-format.md (format version 2), written by ember.quantization:
// `quantized_conv2d` and `quantized_linear`. These kernels are the reference semantics, with ember's float
// ops on dequantized values (ONNX's QuantizeLinear -> DequantizeLinear form):
//   xq = clamp(round_half_even(x / input_scale), 0..255 | -128..127),  y = op(xq * input_scale, w * w_scale[o]) + b.
// The runtime's fast path (fusion.hpp) runs the same op on oneDNN's int8 primitives
// (backend/onednn/quantized.hpp); the tests hold the two to the same numbers.
#include <cmath>
#include <string>

#include "ember/deploy/ops.hpp"

namespace ember::deploy::detail {

/// How a quantized op quantizes its float input: x / scale, rounded, into uint8 or int8 (zero point 0).
struct InputQuant {
  float scale = 1;
  bool is_unsigned = true;

  float lowest() const { return is_unsigned ? 0.f : -128.f; }
  float highest() const { return is_unsigned ? 255.f : 127.f; }
};

/// The input_scale and input_dtype attributes of a quantized op.
template <class = void>  // compiled only where called: see AnyTensor::to
InputQuant input_quant(const Node& n) {
  const double s = attr_number(n, "input_scale");
  if (!(s > 0) || !std::isfinite(static_cast<float>(s))) bad_attr(n, "input_scale", "a positive finite float32");
  const std::string d = attr_string(n, "input_dtype");
  if (d != "uint8" && d != "int8") bad_attr(n, "input_dtype", "\"uint8\" or \"int8\"");
  return {static_cast<float>(s), d == "uint8"};
}

/// x rounded to its quantized grid: clamp(nearbyint(x / scale)) * scale (half to even, as oneDNN and ONNX).
/// The integer grid has no NaN: a NaN input quantizes to 0, as in oneDNN's reorder and onnxruntime.
template <class = void>  // compiled only where called: see AnyTensor::to
Tensor<float> fake_quantize(const Tensor<float>& x, const InputQuant& q) {
  const Tensor<float> c = x.contiguous();
  Tensor<float> y = Tensor<float>::empty(c.shape());
  const float* in = c.data();
  float* out = y.data();
  const std::int64_t n = c.numel();
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = std::fmin(std::fmax(std::nearbyint(in[i] / q.scale), q.lowest()), q.highest()) * q.scale;
  return y;
}

/// The quantized op's weight (int8) and its per-output-channel scales (float32, one per row of w), checked.
struct QuantWeight {
  Tensor<std::int8_t> w;
  Tensor<float> scale;
};

template <class = void>  // compiled only where called: see AnyTensor::to
QuantWeight quant_weight(std::span<const AnyTensor> in, const char* op) {
  QuantWeight q{in[1].get<std::int8_t>(op), in[2].get<float>(op)};
  EMBER_CHECK(q.w.dim() >= 1 && q.scale.dim() == 1 && q.scale.size(0) == q.w.size(0), op, "weight_scale of shape ",
              q.scale.shape(), " does not match weight of shape ", q.w.shape(), ": expected one scale per output channel (",
              q.w.dim() ? q.w.size(0) : 0, ",)");
  return q;
}

/// w * scale[o] as float32 (o: dim 0 of w).
template <class = void>  // compiled only where called: see AnyTensor::to
Tensor<float> dequantize_weight(const QuantWeight& q) {
  Shape per_row(static_cast<std::size_t>(q.w.dim()), 1);
  per_row[0] = q.w.size(0);
  return q.w.template to<float>() * q.scale.reshape(per_row);
}

template <class>
Kernel quantized_conv2d_kernel(const Node& n) {
  return [o = conv_options(n), q = input_quant(n)](std::span<const AnyTensor> in, RunContext&) -> AnyTensor {
    const Tensor<float> x = in[0].get<float>("quantized_conv2d");
    const QuantWeight w = quant_weight(in, "quantized_conv2d");
    return conv2d(fake_quantize(x, q), dequantize_weight(w), optional_input<float>(in, 3, "quantized_conv2d"), o);
  };
}

template <class>
Kernel quantized_linear_kernel(const Node& n) {
  return [q = input_quant(n)](std::span<const AnyTensor> in, RunContext&) -> AnyTensor {
    const Tensor<float> x = in[0].get<float>("quantized_linear");
    const QuantWeight w = quant_weight(in, "quantized_linear");
    EMBER_CHECK(w.w.dim() == 2, "quantized_linear", "weight must be 2-D (out, in), got shape ", w.w.shape());
    return linear(fake_quantize(x, q), dequantize_weight(w), optional_input<float>(in, 3, "quantized_linear"));
  };
}

}  // namespace ember::deploy::detail
