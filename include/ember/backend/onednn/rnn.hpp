#pragma once
// One direction of one float32 recurrent layer (Elman RNN with tanh or relu, LSTM, GRU) on oneDNN's RNN
// primitives: forward (training, with a workspace, or inference) and backward, each fetched from ember's
// primitive cache. Operands are PyTorch's: x (T, B, I), states (B, H), w_ih (G*H, I) and w_hh (G*H, H),
// which are oneDNN's `ldgoi` layout, reordered into the layout the primitive chose; the gates in oneDNN's
// order (LSTM i, f, g, o as PyTorch; GRU u(z), r, n, the caller swapping PyTorch's r and z). PyTorch's GRU
// is oneDNN's linear-before-reset GRU, whose bias has a fourth gate: the hidden part of n's bias.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "ember/backend/onednn/cache.hpp"
#include "ember/backend/onednn/engine.hpp"
#include "ember/backend/onednn/operand.hpp"

namespace ember::detail::onednn {

/// The recurrence kind (RnnMode's order) and sizes of one direction of one layer.
struct RnnGeometry {
  int mode;  // 0 tanh, 1 relu, 2 LSTM, 3 GRU
  std::int64_t steps, batch, input, hidden;
  bool reverse;

  bool lstm() const { return mode == 2; }
  std::int64_t gates() const { return mode == 2 ? 4 : mode == 3 ? 3 : 1; }
  std::int64_t bias_gates() const { return mode == 3 ? 4 : gates(); }
  Key key(int kind) const {
    Key k;
    k.add(300 + kind).add(mode).add(steps).add(batch).add(input).add(hidden).add(reverse ? 1 : 0);
    return k;
  }
};

namespace rnn_detail {

using tag = dnnl::memory::format_tag;
inline constexpr auto f32 = dnnl::memory::data_type::f32;

/// The descriptors of one direction: plain layouts for the data, `ldgoi` (PyTorch's) or `any` for weights.
struct Descs {
  dnnl::memory::desc src_layer, src_iter, src_iter_c, w_layer, w_iter, bias, dst_layer, dst_iter, dst_iter_c;

  Descs(const RnnGeometry& p, bool any_weights) {
    const std::int64_t G = p.gates(), H = p.hidden;
    src_layer = {{p.steps, p.batch, p.input}, f32, tag::tnc};
    dst_layer = {{p.steps, p.batch, H}, f32, tag::tnc};
    src_iter = dst_iter = {{1, 1, p.batch, H}, f32, tag::ldnc};
    if (p.lstm()) src_iter_c = dst_iter_c = src_iter;
    w_layer = {{1, 1, p.input, G, H}, f32, any_weights ? tag::any : tag::ldgoi};
    w_iter = {{1, 1, H, G, H}, f32, any_weights ? tag::any : tag::ldgoi};
    bias = {{1, 1, p.bias_gates(), H}, f32, tag::ldgo};
  }
};

inline dnnl::rnn_direction direction(const RnnGeometry& p) {
  return p.reverse ? dnnl::rnn_direction::unidirectional_right2left : dnnl::rnn_direction::unidirectional_left2right;
}

inline dnnl::primitive_attr attr() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

inline dnnl::algorithm activation(const RnnGeometry& p) {
  return p.mode == 0 ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
}

/// The forward primitive descriptor (weights in the layouts the primitive picks), as the mode's type.
template <class F>
auto with_forward(const RnnGeometry& p, dnnl::prop_kind prop, F f) {
  const Descs d(p, true);
  const auto dir = direction(p);
  if (p.lstm())
    return f(dnnl::lstm_forward::primitive_desc(engine(), prop, dir, d.src_layer, d.src_iter, d.src_iter_c, d.w_layer,
                                                d.w_iter, d.bias, d.dst_layer, d.dst_iter, d.dst_iter_c, attr()));
  if (p.mode == 3)
    return f(dnnl::lbr_gru_forward::primitive_desc(engine(), prop, dir, d.src_layer, d.src_iter, d.w_layer, d.w_iter,
                                                   d.bias, d.dst_layer, d.dst_iter, attr()));
  return f(dnnl::vanilla_rnn_forward::primitive_desc(engine(), prop, activation(p), dir, d.src_layer, d.src_iter,
                                                     d.w_layer, d.w_iter, d.bias, d.dst_layer, d.dst_iter, attr()));
}

/// An input copied into the layout `chosen` (a copy in buf when it differs from `plain`).
inline const void* reordered(const Operand& o, const void* p, std::vector<float>& buf) {
  if (!o.reorder) return p;
  buf.resize(o.chosen.get_size() / sizeof(float) + 1);
  execute(*o.reorder, {{DNNL_ARG_SRC, &o.plain, p}, {DNNL_ARG_DST, &o.chosen, buf.data()}});
  return buf.data();
}

}  // namespace rnn_detail

/// The cached forward primitive of geometry p (training: it fills a workspace for the backward).
struct RnnForward {
  dnnl::primitive prim;
  rnn_detail::Descs d;
  Operand w_layer, w_iter;
  dnnl::memory::desc ws, scratch;
};
inline RnnForward rnn_forward_primitive(const RnnGeometry& p, bool training) {
  static PrimitiveCache<RnnForward> cache(64);
  return cache.get(p.key(training ? 0 : 1), [&] {
    const auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    return rnn_detail::with_forward(p, prop, [&](const auto& pd) {
      const rnn_detail::Descs plain(p, false);
      return RnnForward{dnnl::primitive(pd), plain, Operand(plain.w_layer, pd.weights_layer_desc(), true),
                        Operand(plain.w_iter, pd.weights_iter_desc(), true), pd.workspace_desc(),
                        pd.scratchpad_desc()};
    });
  });
}

/// Bytes of the workspace that a training forward fills and the backward reads.
inline std::size_t rnn_workspace_bytes(const RnnGeometry& p) { return rnn_forward_primitive(p, true).ws.get_size(); }

/// y (T, B, H), hn and cn (B, H; cn for an LSTM only) from x, h0, c0, the weights and bias (bias_gates * H,
/// the two PyTorch biases combined). workspace: null for inference, else rnn_workspace_bytes(p) bytes.
inline void rnn_forward(const RnnGeometry& p, const float* x, const float* h0, const float* c0, const float* w_ih,
                        const float* w_hh, const float* bias, float* y, float* hn, float* cn, void* workspace) {
  const RnnForward e = rnn_forward_primitive(p, workspace != nullptr);
  thread_local std::vector<float> wl, wi;
  const auto& d = e.d;
  execute(e.prim, {{DNNL_ARG_SRC_LAYER, &d.src_layer, x},
                   {DNNL_ARG_SRC_ITER, &d.src_iter, h0},
                   {DNNL_ARG_SRC_ITER_C, &d.src_iter_c, p.lstm() ? c0 : nullptr},
                   {DNNL_ARG_WEIGHTS_LAYER, &e.w_layer.chosen, rnn_detail::reordered(e.w_layer, w_ih, wl)},
                   {DNNL_ARG_WEIGHTS_ITER, &e.w_iter.chosen, rnn_detail::reordered(e.w_iter, w_hh, wi)},
                   {DNNL_ARG_BIAS, &d.bias, bias},
                   {DNNL_ARG_DST_LAYER, &d.dst_layer, y},
                   {DNNL_ARG_DST_ITER, &d.dst_iter, hn},
                   {DNNL_ARG_DST_ITER_C, &d.dst_iter_c, p.lstm() ? cn : nullptr},
                   {DNNL_ARG_WORKSPACE, &e.ws, workspace},
                   scratchpad_arg(e.scratch)});
}

/// The gradients of rnn_forward (training) given dy (T, B, H), dhn and dcn (B, H): dx, dh0, dc0, dw_ih, dw_hh
/// (PyTorch's layout) and dbias (bias_gates * H). The forward's operands and workspace are passed again.
inline void rnn_backward(const RnnGeometry& p, const float* x, const float* h0, const float* c0, const float* w_ih,
                         const float* w_hh, const float* bias, const float* y, const float* hn, const float* cn,
                         const void* workspace, const float* dy, const float* dhn, const float* dcn, float* dx,
                         float* dh0, float* dc0, float* dw_ih, float* dw_hh, float* dbias) {
  struct Entry {
    dnnl::primitive prim;
    rnn_detail::Descs d;
    Operand w_layer, w_iter, dw_layer, dw_iter;
    dnnl::memory::desc ws, scratch;
  };
  static PrimitiveCache<Entry> cache(64);
  const Entry e = cache.get(p.key(2), [&] {
    return rnn_detail::with_forward(p, dnnl::prop_kind::forward_training, [&](const auto& hint) {
      const rnn_detail::Descs a(p, true), plain(p, false);
      const auto bwd = dnnl::prop_kind::backward;
      const auto dir = rnn_detail::direction(p);
      auto entry = [&](const auto& pd) {
        return Entry{dnnl::primitive(pd), plain, Operand(plain.w_layer, pd.weights_layer_desc(), true),
                     Operand(plain.w_iter, pd.weights_iter_desc(), true),
                     Operand(plain.w_layer, pd.diff_weights_layer_desc(), false),
                     Operand(plain.w_iter, pd.diff_weights_iter_desc(), false), pd.workspace_desc(),
                     pd.scratchpad_desc()};
      };
      using H = std::decay_t<decltype(hint)>;
      if constexpr (std::is_same_v<H, dnnl::lstm_forward::primitive_desc>)
        return entry(dnnl::lstm_backward::primitive_desc(
            engine(), bwd, dir, a.src_layer, a.src_iter, a.src_iter_c, a.w_layer, a.w_iter, a.bias, a.dst_layer,
            a.dst_iter, a.dst_iter_c, a.src_layer, a.src_iter, a.src_iter_c, a.w_layer, a.w_iter, a.bias,
            a.dst_layer, a.dst_iter, a.dst_iter_c, hint, rnn_detail::attr()));
      else if constexpr (std::is_same_v<H, dnnl::lbr_gru_forward::primitive_desc>)
        return entry(dnnl::lbr_gru_backward::primitive_desc(
            engine(), bwd, dir, a.src_layer, a.src_iter, a.w_layer, a.w_iter, a.bias, a.dst_layer, a.dst_iter,
            a.src_layer, a.src_iter, a.w_layer, a.w_iter, a.bias, a.dst_layer, a.dst_iter, hint, rnn_detail::attr()));
      else
        return entry(dnnl::vanilla_rnn_backward::primitive_desc(
            engine(), bwd, rnn_detail::activation(p), dir, a.src_layer, a.src_iter, a.w_layer, a.w_iter, a.bias,
            a.dst_layer, a.dst_iter, a.src_layer, a.src_iter, a.w_layer, a.w_iter, a.bias, a.dst_layer, a.dst_iter,
            hint, rnn_detail::attr()));
    });
  });
  thread_local std::vector<float> wl, wi, dwl, dwi;
  const auto& d = e.d;
  // oneDNN adds the weight gradients to what diff_weights hold
  auto zeroed = [](const Operand& o, float* p, std::vector<float>& buf) -> float* {
    float* out = p;
    if (o.reorder) {
      buf.resize(o.chosen.get_size() / sizeof(float) + 1);
      out = buf.data();
    }
    std::memset(out, 0, o.chosen.get_size());
    return out;
  };
  float* dwl_p = zeroed(e.dw_layer, dw_ih, dwl);
  float* dwi_p = zeroed(e.dw_iter, dw_hh, dwi);
  std::memset(dbias, 0, d.bias.get_size());
  const bool lstm = p.lstm();
  execute(e.prim, {{DNNL_ARG_SRC_LAYER, &d.src_layer, x},
                   {DNNL_ARG_SRC_ITER, &d.src_iter, h0},
                   {DNNL_ARG_SRC_ITER_C, &d.src_iter_c, lstm ? c0 : nullptr},
                   {DNNL_ARG_WEIGHTS_LAYER, &e.w_layer.chosen, rnn_detail::reordered(e.w_layer, w_ih, wl)},
                   {DNNL_ARG_WEIGHTS_ITER, &e.w_iter.chosen, rnn_detail::reordered(e.w_iter, w_hh, wi)},
                   {DNNL_ARG_BIAS, &d.bias, bias},
                   {DNNL_ARG_DST_LAYER, &d.dst_layer, y},
                   {DNNL_ARG_DST_ITER, &d.dst_iter, hn},
                   {DNNL_ARG_DST_ITER_C, &d.dst_iter_c, lstm ? cn : nullptr},
                   {DNNL_ARG_WORKSPACE, &e.ws, workspace},
                   {DNNL_ARG_DIFF_DST_LAYER, &d.dst_layer, dy},
                   {DNNL_ARG_DIFF_DST_ITER, &d.dst_iter, dhn},
                   {DNNL_ARG_DIFF_DST_ITER_C, &d.dst_iter_c, lstm ? dcn : nullptr},
                   {DNNL_ARG_DIFF_SRC_LAYER, &d.src_layer, dx},
                   {DNNL_ARG_DIFF_SRC_ITER, &d.src_iter, dh0},
                   {DNNL_ARG_DIFF_SRC_ITER_C, &d.src_iter_c, lstm ? dc0 : nullptr},
                   {DNNL_ARG_DIFF_WEIGHTS_LAYER, &e.dw_layer.chosen, dwl_p},
                   {DNNL_ARG_DIFF_WEIGHTS_ITER, &e.dw_iter.chosen, dwi_p},
                   {DNNL_ARG_DIFF_BIAS, &d.bias, dbias},
                   scratchpad_arg(e.scratch)});
  e.dw_layer.finish(dwl_p, dw_ih);
  e.dw_iter.finish(dwi_p, dw_hh);
}

}  // namespace ember::detail::onednn
