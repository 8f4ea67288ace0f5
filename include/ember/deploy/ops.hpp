#pragma once
// The ops of docs/deploy-format.md as kernels (the C++ side of the export table, op_table() below):
// make_kernel(node) reads a node's attributes once, at load, and returns a function that runs the op
// with ember's public ops on run-time typed tensors.
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "ember/autograd/engine.hpp"  // the ops below record autograd nodes, defined there
#include "ember/core/any_tensor.hpp"
#include "ember/backend/onednn/inference.hpp"
#include "ember/deploy/graph.hpp"
#include "ember/deploy/workspace.hpp"
#include "ember/ops/activation_extra.hpp"
#include "ember/ops/attention.hpp"
#include "ember/ops/conv.hpp"
#include "ember/ops/conv_transpose.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/normalization.hpp"
#include "ember/ops/normalization_extra.hpp"
#include "ember/ops/pool.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/shape.hpp"
#include "ember/ops/spatial.hpp"
#include "ember/ops/view.hpp"

namespace ember::deploy::detail {

/// What a kernel sees of the current call: the batch size, this thread's workspace, the value slot its output
/// goes to, and whether a graph input or a float constant holds NaN or inf. Then the kernels whose oneDNN fast
/// path can drop a NaN (the relu post-op and max pooling keep the other operand of a NaN) take the eager ops,
/// whose NaN propagates as in Python and PyTorch.
struct RunContext {
  std::int64_t batch = 1;
  Workspace* workspace = nullptr;
  std::size_t slot = 0;
  bool nonfinite = false;
};

/// Whether t is a float tensor holding NaN or inf.
inline bool nonfinite(const AnyTensor& t) {
  if (!t.defined()) return false;
  return t.visit_any([](const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const auto c = x.contiguous();
      return ::ember::detail::onednn::any_nonfinite(c.data(), c.numel());
    } else {
      return false;
    }
  });
}

/// One step of a deployed graph: inputs in the node's order (undefined for an absent optional one).
using Kernel = std::function<AnyTensor(std::span<const AnyTensor> inputs, RunContext& ctx)>;

// --- attributes ---

/// Throws std::invalid_argument "[<op>] attribute '<name>' ..." for a missing or malformed attribute.
template <class = void>  // compiled only where called: see AnyTensor::to
[[noreturn]] void bad_attr(const Node& n, const char* name, const char* expected) {
  const auto* v = n.attr(name);
  ::ember::detail::fail<std::invalid_argument>(n.op.c_str(), "attribute '", name, "' must be ", expected, ", got ",
                                               v ? io::detail::json_text(*v) : std::string("nothing"));
}

template <class = void>  // compiled only where called: see AnyTensor::to
std::int64_t attr_int(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  if (!v || !v->IsInt64()) bad_attr(n, name, "an integer");
  return v->GetInt64();
}

template <class = void>  // compiled only where called: see AnyTensor::to
double attr_number(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  if (!v || !v->IsNumber()) bad_attr(n, name, "a number");
  return v->GetDouble();
}

template <class = void>  // compiled only where called: see AnyTensor::to
bool attr_bool(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  if (!v || !v->IsBool()) bad_attr(n, name, "a bool");
  return v->GetBool();
}

template <class = void>  // compiled only where called: see AnyTensor::to
std::string attr_string(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  if (!v || !v->IsString()) bad_attr(n, name, "a string");
  return io::detail::json_string(*v);
}

template <class = void>  // compiled only where called: see AnyTensor::to
Shape attr_ints(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  if (!v || !v->IsArray()) bad_attr(n, name, "a list of integers");
  Shape s;
  for (const auto& e : v->GetArray()) {
    if (!e.IsInt64()) bad_attr(n, name, "a list of integers");
    s.push_back(e.GetInt64());
  }
  return s;
}

template <class = void>  // compiled only where called: see AnyTensor::to
std::array<std::int64_t, 2> attr_pair(const Node& n, const char* name) {
  const Shape s = attr_ints(n, name);
  if (s.size() != 2) bad_attr(n, name, "a list of 2 integers");
  return {s[0], s[1]};
}

template <class = void>  // compiled only where called: see AnyTensor::to
DimExpr attr_dim(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  const auto d = v ? parse_dim(*v) : std::nullopt;
  if (!d) bad_attr(n, name, "a dim expression");
  return *d;
}

template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<DimExpr> attr_dims(const Node& n, const char* name) {
  const auto* v = n.attr(name);
  if (!v || !v->IsArray()) bad_attr(n, name, "a list of dim expressions");
  std::vector<DimExpr> dims;
  for (const auto& e : v->GetArray()) {
    const auto d = parse_dim(e);
    if (!d) bad_attr(n, name, "a list of dim expressions");
    dims.push_back(*d);
  }
  return dims;
}

/// The number attributes a and b.
template <class = void>  // compiled only where called: see AnyTensor::to
std::array<double, 2> attr_numbers(const Node& n, const char* a, const char* b) {
  return {attr_number(n, a), attr_number(n, b)};
}

/// The conv2d attributes as ember's options.
template <class = void>  // compiled only where called: see AnyTensor::to
Conv2dOptions conv_options(const Node& n) {
  return {attr_pair(n, "stride"), attr_pair(n, "padding"), attr_pair(n, "dilation"), attr_int(n, "groups")};
}

/// The max_pool2d attributes as ember's options.
template <class = void>  // compiled only where called: see AnyTensor::to
Pool2dOptions max_pool_options(const Node& n) {
  return {attr_pair(n, "kernel_size"), attr_pair(n, "stride"), attr_pair(n, "padding"), attr_pair(n, "dilation"),
          attr_bool(n, "ceil_mode")};
}

// --- dispatch on run-time dtypes ---

/// f(t) on the tensor held by x when it is float32 or float64; TypeError naming op otherwise.
template <class F>
AnyTensor on_float(const AnyTensor& x, const char* op, F&& f) {
  return x.visit([&]<class T>(const Tensor<T>& t) -> AnyTensor {
    if constexpr (FloatElement<T>) return AnyTensor(f(t));
    else ::ember::detail::fail<TypeError>(op, "expected a float32 or float64 tensor, got dtype ", dtype_name(t.dtype()));
  });
}

/// f(t) on the tensor held by x, whatever its dtype.
template <class F>
AnyTensor on_any(const AnyTensor& x, F&& f) {
  return x.visit([&](const auto& t) { return AnyTensor(f(t)); });
}

/// The optional input i as Tensor<T> (nullopt when absent).
template <Element T>
OptionalTensor<T> optional_input(std::span<const AnyTensor> in, std::size_t i, const char* op) {
  if (i >= in.size() || !in[i].defined()) return std::nullopt;
  return in[i].get<T>(op);
}

/// f(a, b) after promoting a and b to one dtype (one instantiation per dtype, not per pair).
template <class F>
AnyTensor on_pair(const AnyTensor& a, const AnyTensor& b, F&& f) {
  const DType d = promote_types(a.dtype(), b.dtype());
  const AnyTensor pa = a.dtype() == d ? a : a.to(d), pb = b.dtype() == d ? b : b.to(d);
  return pa.visit([&]<class T>(const Tensor<T>& x) { return AnyTensor(f(x, pb.get<T>())); });
}

// --- the ops ---

/// Makes a kernel from a node: reads its attributes (std::invalid_argument when one is malformed).
using KernelFactory = Kernel (*)(const Node&);

/// How many inputs an op takes: the first `required` may not be null, at most `most` in all.
struct Arity {
  std::size_t required, most;
};

/// No limit on the number of inputs (cat).
inline constexpr std::size_t kManyInputs = std::size_t{1} << 20;

/// One op of the format: the factory of its kernel and its inputs (one, unless given).
struct OpDef {
  KernelFactory make;
  Arity arity{1, 1};
};

/// The entry of a one-input op without attributes: expr of `t`, for float (on_float) or any (on_any) dtype.
#define EMBER_DEPLOY_UNARY(name, dispatch, expr)                                                            \
  {name, {[](const Node&) -> Kernel {                                                                       \
     return [](std::span<const AnyTensor> in, RunContext&) { return dispatch(in[0], [](const auto& t) { return expr; }); }; \
   }}}

/// The entry of a two-input op without attributes: expr of `a` and `b`, promoted to one dtype.
#define EMBER_DEPLOY_BINARY(name, expr)                                                                     \
  {name, {[](const Node&) -> Kernel {                                                                       \
     return [](std::span<const AnyTensor> in, RunContext&) {                                                \
       return on_pair(in[0], in[1], [](const auto& a, const auto& b) { return expr; });                     \
     };                                                                                                     \
   }, {2, 2}}}

/// The entry of a one-input float op without attributes: expr of `t`.
#define EMBER_DEPLOY_FLOAT_UNARY(name, expr)                                                                \
  {name, {[](const Node&) -> Kernel {                                                                       \
     return [](std::span<const AnyTensor> in, RunContext&) {                                                \
       return on_float(in[0], name, [](const auto& t) { return expr; });                                    \
     };                                                                                                     \
   }}}

/// The entry of a one-input float op whose attributes are read once by `read` (a lambda of the node) and
/// captured as `a`: expr of `t` and `a`.
#define EMBER_DEPLOY_UNARY_ATTRS(name, read, expr)                                                          \
  {name, {[](const Node& n) -> Kernel {                                                                     \
     return [a = read(n)](std::span<const AnyTensor> in, RunContext&) {                                     \
       return on_float(in[0], name, [&](const auto& t) { return expr; });                                   \
     };                                                                                                     \
   }}}

/// The optional mask input i as an AttentionMask<T>: absent, bool, or a float one converted to T (as
/// the Python binding converts it).
template <FloatElement T>
AttentionMask<T> attention_mask(std::span<const AnyTensor> in, std::size_t i, const char* op) {
  if (i >= in.size() || !in[i].defined()) return {};
  if (in[i].dtype() == DType::Bool) return in[i].get<bool>(op);
  EMBER_CHECK_TYPE(is_floating(in[i].dtype()), op, "only bool and floating masks are supported, got ",
                   dtype_name(in[i].dtype()));
  return in[i].as<T>();
}

/// The kernel of multi_head_attention (the output) or, with weights, multi_head_attention_weights (the
/// attention weights): both are multi_head_attention_forward in inference, the node's inputs in the
/// order of docs/deploy-format.md.
template <class = void>  // compiled only where called: see AnyTensor::to
Kernel multi_head_attention_kernel(const Node& n, bool weights) {
  struct Attrs {
    std::int64_t embed_dim, num_heads;
    bool separate, causal, average;
  };
  const Attrs a{attr_int(n, "embed_dim"), attr_int(n, "num_heads"), attr_bool(n, "use_separate_proj_weight"),
                attr_bool(n, "is_causal"), weights ? attr_bool(n, "average_attn_weights") : true};
  return [a, weights](std::span<const AnyTensor> in, RunContext&) {
    const char* op = weights ? "multi_head_attention_weights" : "multi_head_attention";
    return on_float(in[0], op, [&]<class T>(const Tensor<T>& query) {
      MultiHeadAttentionOptions<T> o;
      o.training = false;
      o.need_weights = weights;
      o.attn_mask = attention_mask<T>(in, 7, op);
      o.key_padding_mask = attention_mask<T>(in, 8, op);
      o.use_separate_proj_weight = a.separate;
      o.q_proj_weight = optional_input<T>(in, 9, op);
      o.k_proj_weight = optional_input<T>(in, 10, op);
      o.v_proj_weight = optional_input<T>(in, 11, op);
      o.average_attn_weights = a.average;
      o.is_causal = a.causal;
      auto [out, w] = multi_head_attention_forward(query, in[1].get<T>(op), in[2].get<T>(op), a.embed_dim,
                                                   a.num_heads, optional_input<T>(in, 4, op),
                                                   optional_input<T>(in, 5, op), 0.0, in[3].get<T>(op),
                                                   optional_input<T>(in, 6, op), o);
      return weights ? *w : out;
    });
  };
}

/// The activation kernels that fusion can put into a primitive's post-op, also used unfused.
template <class = void>  // compiled only where called: see AnyTensor::to
Kernel leaky_relu_kernel(double slope) {
  return [slope](std::span<const AnyTensor> in, RunContext&) {
    return on_float(in[0], "leaky_relu", [slope]<class T>(const Tensor<T>& t) {
      return where(gt(t, T(0)), t, t * T(slope));
    });
  };
}

/// The kernels of the recurrent ops (`rnn` and the cells), defined in ops_rnn.hpp.
template <class = void>
Kernel rnn_kernel(const Node& n);
template <class = void>
Kernel rnn_cell_kernel(const Node& n);
/// The kernels of the int8 ops (`quantized_conv2d`, `quantized_linear`), defined in ops_quantized.hpp.
template <class = void>
Kernel quantized_conv2d_kernel(const Node& n);
template <class = void>
Kernel quantized_linear_kernel(const Node& n);

/// The deploy runtime's op table: every op of docs/deploy-format.md, by name, with its kernel factory
/// and inputs; an op added to the format is one entry here (docs/deploy-format.md, "Adding an op to
/// export"). Every op for every dtype, so compiled only where called (see AnyTensor::to; for a file
/// including ember.hpp it was half of g++ -O2's time).
template <class = void>
const std::unordered_map<std::string, OpDef>& op_table() {
  static const std::unordered_map<std::string, OpDef> table{
      {"linear", {[](const Node&) -> Kernel {
         return [](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "linear", [&]<class T>(const Tensor<T>& x) {
             return linear(x, in[1].get<T>("linear"), optional_input<T>(in, 2, "linear"));
           });
         };
       }, {2, 3}}},
      {"conv2d", {[](const Node& n) -> Kernel {
         return [o = conv_options(n)](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "conv2d", [&]<class T>(const Tensor<T>& x) {
             return conv2d(x, in[1].get<T>("conv2d"), optional_input<T>(in, 2, "conv2d"), o);
           });
         };
       }, {2, 3}}},
      {"conv_transpose2d", {[](const Node& n) -> Kernel {
         const ConvTranspose2dOptions o{attr_pair(n, "stride"), attr_pair(n, "padding"), attr_pair(n, "output_padding"),
                                        attr_int(n, "groups"), attr_pair(n, "dilation")};
         return [o](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "conv_transpose2d", [&]<class T>(const Tensor<T>& x) {
             return conv_transpose2d(x, in[1].get<T>("conv_transpose2d"), optional_input<T>(in, 2, "conv_transpose2d"),
                                     o);
           });
         };
       }, {2, 3}}},
      {"interpolate", {[](const Node& n) -> Kernel {
         InterpolateOptions o;
         o.mode = attr_string(n, "mode");
         const double sh = attr_number(n, "scale_h"), sw = attr_number(n, "scale_w");
         if (sh > 0) o.scale_factor = {sh, sw};
         else o.size = {attr_pair(n, "size")[0], attr_pair(n, "size")[1]};
         if (o.mode != "nearest") o.align_corners = attr_bool(n, "align_corners");
         return [o](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "interpolate", [&](const auto& x) { return interpolate(x, o); });
         };
       }}},
      {"max_pool2d", {[](const Node& n) -> Kernel {
         const Pool2dOptions o = max_pool_options(n);
         return [o](std::span<const AnyTensor> in, RunContext& ctx) -> AnyTensor {
           if (in[0].is<float>() && !ctx.nonfinite) {  // oneDNN's inference pooling: no argmax, about 10x faster
             const Tensor<float> x = in[0].get<float>().contiguous();
             const auto p = ::ember::detail::pool2d_geometry(x, o, "max_pool2d");
             Tensor<float> y = ctx.workspace->buffer(ctx.slot, {x.size(0), x.size(1), p.oh, p.ow});
             if (y.numel() > 0 &&
                 ::ember::detail::onednn::max_pool2d_inference(x.data(), y.data(), x.size(0), x.size(1), p))
               return y;
           }
           return on_float(in[0], "max_pool2d", [&](const auto& x) { return max_pool2d(x, o); });
         };
       }}},
      {"avg_pool2d", {[](const Node& n) -> Kernel {
         Pool2dOptions o{attr_pair(n, "kernel_size"), attr_pair(n, "stride"), attr_pair(n, "padding"), {1, 1},
                         attr_bool(n, "ceil_mode"), attr_bool(n, "count_include_pad")};
         return [o](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "avg_pool2d", [&](const auto& x) { return avg_pool2d(x, o); });
         };
       }}},
      {"adaptive_avg_pool2d", {[](const Node& n) -> Kernel {
         return [size = attr_pair(n, "output_size")](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "adaptive_avg_pool2d", [&](const auto& x) { return adaptive_avg_pool2d(x, size); });
         };
       }}},
      {"batch_norm", {[](const Node& n) -> Kernel {
         return [eps = attr_number(n, "eps")](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "batch_norm", [&]<class T>(const Tensor<T>& x) {
             return batch_norm(x, optional_input<T>(in, 1, "batch_norm"), optional_input<T>(in, 2, "batch_norm"),
                               optional_input<T>(in, 3, "batch_norm"), optional_input<T>(in, 4, "batch_norm"), false,
                               0.0, eps);
           });
         };
       }, {3, 5}}},
      {"layer_norm", {[](const Node& n) -> Kernel {
         return [shape = attr_ints(n, "normalized_shape"), eps = attr_number(n, "eps")](std::span<const AnyTensor> in,
                                                                                       RunContext&) {
           return on_float(in[0], "layer_norm", [&]<class T>(const Tensor<T>& x) {
             return layer_norm(x, shape, optional_input<T>(in, 1, "layer_norm"), optional_input<T>(in, 2, "layer_norm"),
                               eps);
           });
         };
       }, {1, 3}}},
      {"embedding", {[](const Node&) -> Kernel {
         return [](std::span<const AnyTensor> in, RunContext&) {
           return in[1].visit([&]<class T>(const Tensor<T>& w) -> AnyTensor {
             EMBER_CHECK(w.dim() == 2, "embedding", "expected a 2-d weight (num, dim), got shape ", w.shape());
             return in[0].visit([&]<class I>(const Tensor<I>& idx) -> AnyTensor {
               if constexpr (std::is_same_v<I, std::int64_t> || std::is_same_v<I, std::int32_t>) {
                 Shape out = idx.shape();
                 out.push_back(w.size(1));
                 return index_select(w, 0, idx.reshape({-1})).reshape(out);
               } else {
                 ::ember::detail::fail<TypeError>("embedding", "expected int32 or int64 indices, got dtype ",
                                                  dtype_name(idx.dtype()));
               }
             });
           });
         };
       }, {2, 2}}},
      {"scaled_dot_product_attention", {[](const Node& n) -> Kernel {
         std::optional<double> scale;
         if (n.attr("scale")) scale = attr_number(n, "scale");
         return [causal = attr_bool(n, "is_causal"), scale](std::span<const AnyTensor> in, RunContext&) {
           constexpr const char* op = "scaled_dot_product_attention";
           return on_float(in[0], op, [&]<class T>(const Tensor<T>& q) {
             return scaled_dot_product_attention(q, in[1].get<T>(op), in[2].get<T>(op), attention_mask<T>(in, 3, op),
                                                 0.0, causal, scale);
           });
         };
       }, {3, 4}}},
      {"multi_head_attention", {[](const Node& n) { return multi_head_attention_kernel(n, false); }, {4, 12}}},
      {"multi_head_attention_weights", {[](const Node& n) { return multi_head_attention_kernel(n, true); }, {4, 12}}},
      EMBER_DEPLOY_UNARY("relu", on_any, relu(t)),
      EMBER_DEPLOY_UNARY("sigmoid", on_any, sigmoid(t)),
      EMBER_DEPLOY_UNARY("tanh", on_any, tanh(t)),
      EMBER_DEPLOY_UNARY("silu", on_any, silu(t)),
      EMBER_DEPLOY_UNARY("exp", on_any, exp(t)),
      EMBER_DEPLOY_UNARY("log", on_any, log(t)),
      EMBER_DEPLOY_UNARY("sqrt", on_any, sqrt(t)),
      EMBER_DEPLOY_UNARY("abs", on_any, abs(t)),
      EMBER_DEPLOY_UNARY("neg", on_any, neg(t)),
      EMBER_DEPLOY_UNARY("erf", on_any, erf(t)),
      EMBER_DEPLOY_UNARY("floor", on_any, floor(t)),
      EMBER_DEPLOY_UNARY("ceil", on_any, ceil(t)),
      EMBER_DEPLOY_UNARY("round", on_any, round(t)),
      EMBER_DEPLOY_UNARY("sign", on_any, sign(t)),
      EMBER_DEPLOY_UNARY("reciprocal", on_any, reciprocal(t)),
      EMBER_DEPLOY_UNARY("tan", on_any, tan(t)),
      EMBER_DEPLOY_UNARY("asin", on_any, asin(t)),
      EMBER_DEPLOY_UNARY("acos", on_any, acos(t)),
      EMBER_DEPLOY_UNARY("atan", on_any, atan(t)),
      EMBER_DEPLOY_UNARY("sinh", on_any, sinh(t)),
      EMBER_DEPLOY_UNARY("cosh", on_any, cosh(t)),
      EMBER_DEPLOY_UNARY("asinh", on_any, asinh(t)),
      EMBER_DEPLOY_UNARY("acosh", on_any, acosh(t)),
      EMBER_DEPLOY_UNARY("atanh", on_any, atanh(t)),
      {"gelu", {[](const Node& n) -> Kernel {
         const std::string approximate = attr_string(n, "approximate");
         if (approximate != "none" && approximate != "tanh") bad_attr(n, "approximate", "\"none\" or \"tanh\"");
         return [approximate](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return gelu(t, approximate); });
         };
       }}},
      {"leaky_relu", {[](const Node& n) -> Kernel { return leaky_relu_kernel(attr_number(n, "negative_slope")); }}},
      {"pow", {[](const Node& n) -> Kernel {
         if (const auto* v = n.attr("exponent"); v && v->IsInt64())
           return [e = v->GetInt64()](std::span<const AnyTensor> in, RunContext&) {
             return on_any(in[0], [&](const auto& t) { return pow(t, e); });
           };
         return [e = attr_number(n, "exponent")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return pow(t, e); });
         };
       }}},
      {"softmax", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim")](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "softmax", [&](const auto& t) { return softmax(t, d); });
         };
       }}},
      {"log_softmax", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim")](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "log_softmax", [&](const auto& t) { return log_softmax(t, d); });
         };
       }}},
      // activations and normalizations of issue 21: each calls its ember op
      EMBER_DEPLOY_FLOAT_UNARY("selu", selu(t)),
      EMBER_DEPLOY_FLOAT_UNARY("mish", mish(t)),
      EMBER_DEPLOY_FLOAT_UNARY("hardswish", hardswish(t)),
      EMBER_DEPLOY_FLOAT_UNARY("hardsigmoid", hardsigmoid(t)),
      EMBER_DEPLOY_FLOAT_UNARY("relu6", relu6(t)),
      EMBER_DEPLOY_FLOAT_UNARY("logsigmoid", logsigmoid(t)),
      EMBER_DEPLOY_FLOAT_UNARY("softsign", softsign(t)),
      EMBER_DEPLOY_FLOAT_UNARY("tanhshrink", tanhshrink(t)),
      EMBER_DEPLOY_UNARY_ATTRS("elu", [](const Node& n) { return attr_number(n, "alpha"); }, elu(t, a)),
      EMBER_DEPLOY_UNARY_ATTRS("celu", [](const Node& n) { return attr_number(n, "alpha"); }, celu(t, a)),
      EMBER_DEPLOY_UNARY_ATTRS("softplus",
                               [](const Node& n) { return attr_numbers(n, "beta", "threshold"); },
                               softplus(t, a[0], a[1])),
      EMBER_DEPLOY_UNARY_ATTRS("hardtanh",
                               [](const Node& n) { return attr_numbers(n, "min_val", "max_val"); },
                               hardtanh(t, a[0], a[1])),
      EMBER_DEPLOY_UNARY_ATTRS("hardshrink", [](const Node& n) { return attr_number(n, "lambd"); }, hardshrink(t, a)),
      EMBER_DEPLOY_UNARY_ATTRS("softshrink", [](const Node& n) { return attr_number(n, "lambd"); }, softshrink(t, a)),
      EMBER_DEPLOY_UNARY_ATTRS("threshold",
                               [](const Node& n) { return attr_numbers(n, "threshold", "value"); },
                               threshold(t, a[0], a[1])),
      EMBER_DEPLOY_UNARY_ATTRS("glu", [](const Node& n) { return attr_int(n, "dim"); }, glu(t, a)),
      {"prelu", {[](const Node&) -> Kernel {
         return [](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "prelu", [&]<class T>(const Tensor<T>& x) { return prelu(x, in[1].get<T>("prelu")); });
         };
       }, {2, 2}}},
      {"group_norm", {[](const Node& n) -> Kernel {
         return [g = attr_int(n, "num_groups"), eps = attr_number(n, "eps")](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "group_norm", [&]<class T>(const Tensor<T>& x) {
             return group_norm(x, g, optional_input<T>(in, 1, "group_norm"), optional_input<T>(in, 2, "group_norm"), eps);
           });
         };
       }, {1, 3}}},
      {"rms_norm", {[](const Node& n) -> Kernel {
         std::optional<double> eps;
         if (n.attr("eps")) eps = attr_number(n, "eps");
         return [shape = attr_ints(n, "normalized_shape"), eps](std::span<const AnyTensor> in, RunContext&) {
           return on_float(in[0], "rms_norm", [&]<class T>(const Tensor<T>& x) {
             return rms_norm(x, shape, optional_input<T>(in, 1, "rms_norm"), eps);
           });
         };
       }, {1, 2}}},
      {"instance_norm", {[](const Node& n) -> Kernel {
         return [stats = attr_bool(n, "use_input_stats"), eps = attr_number(n, "eps")](std::span<const AnyTensor> in,
                                                                                     RunContext&) {
           constexpr const char* op = "instance_norm";
           return on_float(in[0], op, [&]<class T>(const Tensor<T>& x) {
             return instance_norm(x, optional_input<T>(in, 1, op), optional_input<T>(in, 2, op),
                                  optional_input<T>(in, 3, op), optional_input<T>(in, 4, op), stats, 0.0, eps);
           });
         };
       }, {1, 5}}},
      // recurrent layers (issue 21): the C++ ops of include/ember/ops/rnn.hpp (ops_rnn.hpp)
      {"rnn", {[](const Node& n) { return rnn_kernel(n); }, {1, kManyInputs}}},
      {"rnn_tanh_cell", {[](const Node& n) { return rnn_cell_kernel(n); }, {1, 6}}},
      {"rnn_relu_cell", {[](const Node& n) { return rnn_cell_kernel(n); }, {1, 6}}},
      {"gru_cell", {[](const Node& n) { return rnn_cell_kernel(n); }, {1, 6}}},
      {"lstm_cell", {[](const Node& n) { return rnn_cell_kernel(n); }, {1, 7}}},
      EMBER_DEPLOY_BINARY("add", add(a, b)),
      EMBER_DEPLOY_BINARY("sub", sub(a, b)),
      EMBER_DEPLOY_BINARY("mul", mul(a, b)),
      EMBER_DEPLOY_BINARY("div", div(a, b)),
      {"matmul", {[](const Node&) -> Kernel {
         return [](std::span<const AnyTensor> in, RunContext&) {
           const DType d = promote_types(in[0].dtype(), in[1].dtype());
           return on_float(in[0].to(d), "matmul", [&]<class T>(const Tensor<T>& a) {
             return matmul(a, in[1].to(d).get<T>("matmul"));
           });
         };
       }, {2, 2}}},
      {"reshape", {[](const Node& n) -> Kernel {
         return [dims = attr_dims(n, "shape")](std::span<const AnyTensor> in, RunContext& ctx) {
           Shape s(dims.size());
           for (std::size_t i = 0; i < dims.size(); ++i) s[i] = dims[i].eval(ctx.batch);
           return on_any(in[0], [&](const auto& t) { return t.reshape(s); });
         };
       }}},
      {"transpose", {[](const Node& n) -> Kernel {
         return [d0 = attr_int(n, "dim0"), d1 = attr_int(n, "dim1")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.transpose(d0, d1); });
         };
       }}},
      {"permute", {[](const Node& n) -> Kernel {
         return [dims = attr_ints(n, "dims")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.permute(dims); });
         };
       }}},
      {"unsqueeze", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.unsqueeze(d); });
         };
       }}},
      {"squeeze", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.squeeze(d); });
         };
       }}},
      {"flatten", {[](const Node& n) -> Kernel {
         return [s = attr_int(n, "start_dim"), e = attr_int(n, "end_dim")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.flatten(s, e); });
         };
       }}},
      {"slice", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim"), start = attr_dim(n, "start"), end = attr_dim(n, "end"),
                 step = attr_int(n, "step")](std::span<const AnyTensor> in, RunContext& ctx) {
           return on_any(in[0], [&](const auto& t) { return t.slice(d, start.eval(ctx.batch), end.eval(ctx.batch), step); });
         };
       }}},
      {"select", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim"), i = attr_int(n, "index")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.select(d, i); });
         };
       }}},
      {"cat", {[](const Node& n) -> Kernel {
         return [d = attr_int(n, "dim")](std::span<const AnyTensor> in, RunContext&) { return cat(in, d); };
       }, {1, kManyInputs}}},
      {"mean", {[](const Node& n) -> Kernel {
         return [dims = attr_ints(n, "dims"), keep = attr_bool(n, "keepdim")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.mean(dims, keep); });
         };
       }}},
      {"sum", {[](const Node& n) -> Kernel {
         return [dims = attr_ints(n, "dims"), keep = attr_bool(n, "keepdim")](std::span<const AnyTensor> in, RunContext&) {
           return on_any(in[0], [&](const auto& t) { return t.sum(dims, keep); });
         };
       }}},
      {"masked_fill", {[](const Node&) -> Kernel {
         return [](std::span<const AnyTensor> in, RunContext&) {
           const Tensor<bool>& mask = in[1].get<bool>("masked_fill");
           return on_any(in[0], [&]<class T>(const Tensor<T>& x) {
             const Tensor<T> out = x.clone();
             in[2].visit([&](const auto& v) { masked_fill_(out, mask, v); });
             return out;
           });
         };
       }, {3, 3}}},
      // int8 (format version 2, ember.quantization): ops_quantized.hpp
      {"quantized_conv2d", {[](const Node& n) { return quantized_conv2d_kernel(n); }, {3, 4}}},
      {"quantized_linear", {[](const Node& n) { return quantized_linear_kernel(n); }, {3, 4}}},
      {"cast", {[](const Node& n) -> Kernel {
         const std::string name = attr_string(n, "dtype");
         const auto d = dtype_from_name(name);
         if (!d) bad_attr(n, "dtype", "a dtype name (float32, float64, int64, int32, int8, uint8, bool)");
         return [d = *d](std::span<const AnyTensor> in, RunContext&) { return in[0].to(d); };
       }}},
  };
  return table;
}

#undef EMBER_DEPLOY_UNARY
#undef EMBER_DEPLOY_BINARY
#undef EMBER_DEPLOY_UNARY_ATTRS
#undef EMBER_DEPLOY_FLOAT_UNARY

/// The kernel of node n; std::invalid_argument for an op the format does not have, a wrong number
/// of inputs, a missing required input or a bad attribute.
template <class = void>  // compiled only where called: see AnyTensor::to
Kernel make_kernel(const Node& n) {
  const auto& table = op_table();
  const auto it = table.find(n.op);
  EMBER_CHECK(it != table.end(), "deploy", "unknown op '", n.op, "'");
  const Arity a = it->second.arity;
  const std::string most = a.most == a.required  ? std::string()
                           : a.most == kManyInputs ? std::string(" or more")
                                                   : " to " + std::to_string(a.most);
  EMBER_CHECK(n.inputs.size() >= a.required && n.inputs.size() <= a.most, n.op.c_str(), "expected ", a.required, most,
              " inputs, got ", n.inputs.size());
  for (std::size_t i = 0; i < a.required; ++i)
    EMBER_CHECK(n.inputs[i].has_value(), n.op.c_str(), "input ", i, " is required but null");
  return it->second.make(n);
}

}  // namespace ember::deploy::detail

#include "ember/deploy/ops_rnn.hpp"  // NOLINT: defines rnn_kernel and rnn_cell_kernel, declared above
#include "ember/deploy/ops_quantized.hpp"  // NOLINT: defines the quantized_* kernels, declared above
