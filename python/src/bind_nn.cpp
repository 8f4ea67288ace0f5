// Neural-network functions on tensors: linear, conv2d, max/avg/adaptive pooling, batch_norm,
// layer_norm, leaky_relu, as ember.<name> (ember.nn.functional adapts arguments to them), and
// the layer checks that ember.nn's constructors and forwards share with ember::nn.
#include "common.hpp"

namespace ember::python {

namespace {

/// conv2d's padding: an int, a pair, or "same" / "valid".
Conv2dPadding conv_padding_from_py(py::handle h, const char* op) {
  if (py::isinstance<py::str>(h)) return Conv2dPadding(h.cast<std::string>());
  return pair_from_py(h, op, "padding");
}

using OptTensor = std::optional<AnyTensor>;

AnyTensor batch_norm_py(const AnyTensor& input, const OptTensor& running_mean, const OptTensor& running_var,
                        const OptTensor& weight, const OptTensor& bias, bool training, double momentum, double eps) {
  MaybeReleaseGil g(input.numel());
  return visit_float(input, "batch_norm", [&](const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    return AnyTensor(ember::batch_norm(x, optional_arg<T>(running_mean, "batch_norm", "running_mean"),
                                       optional_arg<T>(running_var, "batch_norm", "running_var"),
                                       optional_arg<T>(weight, "batch_norm", "weight"),
                                       optional_arg<T>(bias, "batch_norm", "bias"), training, momentum, eps));
  });
}

}  // namespace

void bind_nn(py::module_& m, TensorClass& cls) {
  m.def(
      "linear",
      bf16::computes<true>([](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias) {
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "linear", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::linear(x, *optional_arg<T>(weight, "linear", "weight"),
                                         optional_arg<T>(bias, "linear", "bias")));
        });
      }),
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
      "``input @ weight.T + bias`` for input ``(*, in_features)``, weight (out_features, in_features), bias "
      "(out_features).");

  m.def(
      "bilinear",
      bf16::computes<true>([](const AnyTensor& input1, const AnyTensor& input2, const AnyTensor& weight,
                              const OptTensor& bias) {
        MaybeReleaseGil g(input1.numel() * std::max<std::int64_t>(weight.numel(), 1));
        return visit_float(input1, "bilinear", [&](const auto& x1) {
          using T = typename std::decay_t<decltype(x1)>::value_type;
          return AnyTensor(ember::bilinear(x1, input2.get<T>("bilinear"), *optional_arg<T>(weight, "bilinear", "weight"),
                                           optional_arg<T>(bias, "bilinear", "bias")));
        });
      }),
      py::arg("input1"), py::arg("input2"), py::arg("weight"), py::arg("bias") = py::none(),
      "``y[..., o] = input1 @ weight[o] @ input2 + bias[o]`` for input1 ``(*, in1)``, input2 ``(*, in2)``, weight "
      "(out, in1, in2), bias (out).");

  m.def(
      "conv2d",
      bf16::computes<true>([](const AnyTensor& input, const AnyTensor& weight, const OptTensor& bias, py::handle stride,
         py::handle padding, py::handle dilation, std::int64_t groups) {
        Conv2dOptions o{pair_from_py(stride, "conv2d", "stride"), conv_padding_from_py(padding, "conv2d"),
                        pair_from_py(dilation, "conv2d", "dilation"), groups};
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "conv2d", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::conv2d(x, *optional_arg<T>(weight, "conv2d", "weight"),
                                         optional_arg<T>(bias, "conv2d", "bias"), o));
        });
      }),
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1,
      "2-d convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, kH, kW), plus bias (O); "
      "padding is an int, a pair, 'same' or 'valid'.");

  m.def(
      "max_pool2d",
      bf16::computes([](const AnyTensor& input, py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation,
         bool ceil_mode) {
        Pool2dOptions o;
        o.kernel = pair_from_py(kernel_size, "max_pool2d", "kernel_size");
        if (!stride.is_none()) o.stride = pair_from_py(stride, "max_pool2d", "stride");
        o.padding = pair_from_py(padding, "max_pool2d", "padding");
        o.dilation = pair_from_py(dilation, "max_pool2d", "dilation");
        o.ceil_mode = ceil_mode;
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "max_pool2d", [&](const auto& x) { return AnyTensor(ember::max_pool2d(x, o)); });
      }),
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false,
      "The maximum over each kernel_size window of input (N, C, H, W) or (C, H, W); stride defaults to kernel_size.");

  m.def(
      "avg_pool2d",
      bf16::computes([](const AnyTensor& input, py::handle kernel_size, py::handle stride, py::handle padding, bool ceil_mode,
         bool count_include_pad) {
        Pool2dOptions o;
        o.kernel = pair_from_py(kernel_size, "avg_pool2d", "kernel_size");
        if (!stride.is_none()) o.stride = pair_from_py(stride, "avg_pool2d", "stride");
        o.padding = pair_from_py(padding, "avg_pool2d", "padding");
        o.ceil_mode = ceil_mode;
        o.count_include_pad = count_include_pad;
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "avg_pool2d", [&](const auto& x) { return AnyTensor(ember::avg_pool2d(x, o)); });
      }),
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
      "The mean over each kernel_size window of input (N, C, H, W) or (C, H, W); stride defaults to kernel_size.");

  m.def(
      "adaptive_avg_pool2d",
      bf16::computes([](const AnyTensor& input, py::handle output_size) {
        const auto size = pair_from_py(output_size, "adaptive_avg_pool2d", "output_size");
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "adaptive_avg_pool2d",
                           [&](const auto& x) { return AnyTensor(ember::adaptive_avg_pool2d(x, size)); });
      }),
      py::arg("input"), py::arg("output_size"),
      "The mean over output_size windows that tile input (N, C, H, W) or (C, H, W) as evenly as possible.");

  m.def(
      "batch_norm",
      [](const AnyTensor& input, const OptTensor& running_mean, const OptTensor& running_var, const OptTensor& weight,
         const OptTensor& bias, bool training, double momentum, double eps) {
        // bfloat16 running statistics are updated on float32 copies, then rounded back
        const OptTensor mean = bf16::widened(running_mean), var = bf16::widened(running_var);
        AnyTensor y = bf16::call(false, true, batch_norm_py, input, mean, var, weight, bias, training, momentum, eps);
        if (training) {
          bf16::round_into(running_mean, mean);
          bf16::round_into(running_var, var);
        }
        return y;
      },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      "Batch normalization of input ``(N, C, *)`` per channel; in training, updates the running statistics in place.");

  m.def(
      "layer_norm",
      bf16::computes<false, true>([](const AnyTensor& input, py::handle normalized_shape, const OptTensor& weight, const OptTensor& bias,
         double eps) {
        const Shape shape = shape_from_py(normalized_shape, "layer_norm");
        MaybeReleaseGil g(input.numel());
        return visit_float(input, "layer_norm", [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return AnyTensor(ember::layer_norm(x, shape, optional_arg<T>(weight, "layer_norm", "weight"),
                                             optional_arg<T>(bias, "layer_norm", "bias"), eps));
        });
      }),
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, "Layer normalization of input over its last dims, normalized_shape.");

  auto leaky = [](const AnyTensor& input, double negative_slope) {
    return visit_float(input, "leaky_relu", [&](const auto& x) { return AnyTensor(ember::leaky_relu(x, negative_slope)); });
  };
  m.def("leaky_relu", leaky, py::arg("input"), py::arg("negative_slope") = 0.01,
        "input where positive, negative_slope * input elsewhere.");
  auto leaky_ = [](const AnyTensor& input, double negative_slope) {
    visit_float(input, "leaky_relu_", [&](const auto& x) { return AnyTensor(ember::leaky_relu_(x, negative_slope)); });
    return input;
  };
  m.def("leaky_relu_", leaky_, py::arg("input"), py::arg("negative_slope") = 0.01, "leaky_relu written into input.");
  cls.def("leaky_relu_", leaky_, py::arg("negative_slope") = 0.01, "leaky_relu written into the tensor.");
  m.def(
      "_conv2d_padding",
      [](py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation) {
        const auto k = pair_from_py(kernel_size, "conv2d", "kernel_size");
        const Conv2dOptions o{pair_from_py(stride, "conv2d", "stride"), conv_padding_from_py(padding, "conv2d"),
                              pair_from_py(dilation, "conv2d", "dilation"), 1};
        detail::check_conv2d_options(o, "conv2d");
        return detail::conv2d_padding(o, k[0], k[1]);
      },
      py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
      "conv2d's padding as ((pad_h, pad_w), (crop_h, crop_w)): the symmetric padding it computes with, and "
      "whether it then drops the first output row / column (export spells 'same' out with these).");
  m.def("_implicit_softmax_dim", &ember::implicit_softmax_dim, py::arg("ndim"),
        "The dim softmax picks when none is given (PyTorch's deprecated implicit choice).");

  m.def(
      "_check_conv2d_layer",
      [](std::int64_t in_channels, std::int64_t out_channels, py::handle kernel_size, py::handle stride,
         py::handle padding, py::handle dilation, std::int64_t groups, const std::string& padding_mode) {
        nn::Conv2dOptions o{pair_from_py(stride, "Conv2d", "stride"), conv_padding_from_py(padding, "Conv2d"),
                            pair_from_py(dilation, "Conv2d", "dilation"), groups, true, padding_mode};
        nn::check_conv2d_layer(in_channels, out_channels, pair_from_py(kernel_size, "Conv2d", "kernel_size"), o);
      },
      py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
      py::arg("dilation"), py::arg("groups"), py::arg("padding_mode"), "ember::nn::Conv2d's constructor checks.");
  m.def(
      "_check_batch_norm_input",
      [](py::handle shape, std::int64_t num_features, const std::string& layer) {
        nn::check_batch_norm_input(shape_from_py(shape, layer.c_str()), num_features, layer);
      },
      py::arg("shape"), py::arg("num_features"), py::arg("layer"),
      "ember::nn::BatchNorm1d/2d's check of the input's shape (a shape, so that export does not trace it).");
  m.def("_check_dropout_probability", &check_dropout_probability, py::arg("p"), py::arg("layer"),
        "The dropout op's and ember::nn::Dropout's check of p.");
  m.def("_embedding_padding_idx", &nn::embedding_padding_idx, py::arg("num_embeddings"), py::arg("embedding_dim"),
        py::arg("padding_idx"), "ember::nn::Embedding's checks; padding_idx counted from the start.");
  m.def(
      "_check_pretrained_embeddings", [](py::handle shape) { nn::check_pretrained_embeddings(shape_from_py(shape, "Embedding")); },
      py::arg("shape"), "ember::nn::Embedding::from_pretrained's check of the embeddings' shape.");
  // nn.init's functions that draw or build structured values: ember::nn::init (the others are Python over
  // ember.rand/randn).
  m.def("_init_orthogonal_", [](const py::object& t, double gain, py::handle generator) {
    Generator& g = generator.is_none() ? default_generator() : generator.cast<Generator&>();
    visit_float(t.cast<const AnyTensor&>(), "orthogonal_", [&](const auto& x) { nn::init::orthogonal_(x, gain, g); });
    return t;
  }, py::arg("tensor"), py::arg("gain") = 1.0, py::arg("generator") = py::none());
  m.def("_init_trunc_normal_", [](const py::object& t, double mean, double std, double a, double b,
                                  py::handle generator) {
    Generator& g = generator.is_none() ? default_generator() : generator.cast<Generator&>();
    visit_float(t.cast<const AnyTensor&>(), "trunc_normal_",
                [&](const auto& x) { nn::init::trunc_normal_(x, mean, std, a, b, g); });
    return t;
  }, py::arg("tensor"), py::arg("mean"), py::arg("std"), py::arg("a"), py::arg("b"), py::arg("generator") = py::none());
  m.def("_init_sparse_", [](const py::object& t, double sparsity, double std, py::handle generator) {
    Generator& g = generator.is_none() ? default_generator() : generator.cast<Generator&>();
    visit_float(t.cast<const AnyTensor&>(), "sparse_", [&](const auto& x) { nn::init::sparse_(x, sparsity, std, g); });
    return t;
  }, py::arg("tensor"), py::arg("sparsity"), py::arg("std") = 0.01, py::arg("generator") = py::none());
  m.def("_init_dirac_", [](const py::object& t, std::int64_t groups) {
    visit_float(t.cast<const AnyTensor&>(), "dirac_", [&](const auto& x) { nn::init::dirac_(x, groups); });
    return t;
  }, py::arg("tensor"), py::arg("groups") = 1);
  m.def("_init_eye_", [](const py::object& t) {
    visit_float(t.cast<const AnyTensor&>(), "eye_", [&](const auto& x) { nn::init::eye_(x); });
    return t;
  }, py::arg("tensor"));
  m.def(
      "_check_transformer_layer",
      [](const std::string& layer, std::int64_t d_model, std::int64_t nhead, std::int64_t dim_feedforward,
         const std::string& activation) {
        nn::TransformerLayerOptions o;
        o.d_model = d_model, o.nhead = nhead, o.dim_feedforward = dim_feedforward, o.activation = activation;
        nn::check_transformer_layer(o, layer.c_str());
      },
      py::arg("layer"), py::arg("d_model"), py::arg("nhead"), py::arg("dim_feedforward"), py::arg("activation"),
      "ember::nn::TransformerEncoderLayer's / TransformerDecoderLayer's constructor checks.");
  m.def(
      "_check_transformer_inputs",
      [](py::handle src, py::handle tgt, std::int64_t d_model, bool batch_first) {
        nn::check_transformer_inputs(shape_from_py(src, "Transformer"), shape_from_py(tgt, "Transformer"), d_model,
                                     batch_first);
      },
      py::arg("src_shape"), py::arg("tgt_shape"), py::arg("d_model"), py::arg("batch_first"),
      "ember::nn::Transformer's check of src and tgt shapes.");
  m.def(
      "generate_square_subsequent_mask",
      [](std::int64_t sz, py::handle device, py::handle dtype) {
        const Device dev = device_from_py(device);
        const DType d = dtype.is_none() ? DType::Float32 : dtype_from_py(dtype);
        EMBER_CHECK_TYPE(is_floating(d), "generate_square_subsequent_mask", "expected a floating dtype, got ",
                         dtype_name(d));
        if (d == DType::Float64) return AnyTensor(nn::generate_square_subsequent_mask<double>(sz, dev));
        return AnyTensor(nn::generate_square_subsequent_mask<float>(sz, dev));
      },
      py::arg("sz"), py::arg("device") = py::none(), py::arg("dtype") = py::none(),
      "An additive causal mask (sz, sz): -inf above the diagonal, 0 elsewhere.");
  m.def(
      "_detect_is_causal_mask",
      [](const std::optional<AnyTensor>& mask, std::optional<bool> is_causal, std::optional<std::int64_t> size) {
        if (!mask) return nn::detect_is_causal_mask<float>({}, is_causal, size);
        if (mask->dtype() == DType::Bool) return nn::detect_is_causal_mask<float>(mask->get<bool>("mask"), is_causal, size);
        return visit_float(*mask, "_detect_is_causal_mask", [&](const auto& m) {
          using T = typename std::decay_t<decltype(m)>::value_type;
          return nn::detect_is_causal_mask<T>(m, is_causal, size);
        });
      },
      py::arg("mask"), py::arg("is_causal") = py::none(), py::arg("size") = py::none(),
      "Whether a Transformer layer treats mask as causal (is_causal if given, else whether mask is the causal mask).");
  m.def("_check_multihead_attention_layer", &nn::check_multihead_attention_layer, py::arg("embed_dim"),
        py::arg("num_heads"), "ember::nn::MultiheadAttention's constructor checks.");
  m.def(
      "_check_multihead_attention_query",
      [](py::handle shape, std::int64_t embed_dim, std::int64_t num_heads, bool batch_first) {
        nn::check_multihead_attention_query(shape_from_py(shape, "MultiheadAttention"), embed_dim, num_heads,
                                            batch_first);
      },
      py::arg("shape"), py::arg("embed_dim"), py::arg("num_heads"), py::arg("batch_first"),
      "ember::nn::MultiheadAttention's check of the query's shape (a shape, so that export does not trace it).");
}

}  // namespace ember::python
