#pragma once
// Recurrent layers, as torch.nn.RNN / LSTM / GRU and their cells. The cells (rnn_tanh_cell, rnn_relu_cell,
// lstm_cell, gru_cell) compose differentiable ops. The layer op (rnn) runs the whole sequence per layer and
// direction as one recorded node: float32 batches whose rows all run every step on oneDNN's RNN primitives
// (forward and backward, backend/onednn/rnn.hpp); packed sequences of different lengths and float64 on
// ember's own loop, where one matmul projects every timestep's input, each step adds the hidden matmul, and
// the backward through time (BPTT) is written out, as cuDNN does.
//
// Legend: N rows of packed data (sum of batch_sizes), T steps, B batch, I input features, H hidden, G gates
// (LSTM 4: i, f, g, o; GRU 3: r, z, n; RNN 1), L layers, D directions. Weights: w_ih (G*H, I), w_hh (G*H, H),
// b_ih and b_hh (G*H), PyTorch's layout.
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/backend/onednn/rnn.hpp"
#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/dropout.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/shape.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// The recurrence: Elman RNN with tanh or relu, LSTM, GRU.
enum class RnnMode { Tanh, Relu, Lstm, Gru };

/// The layer's name in messages ("RNN", "LSTM", "GRU").
inline const char* rnn_mode_name(RnnMode m) {
  return m == RnnMode::Lstm ? "LSTM" : m == RnnMode::Gru ? "GRU" : "RNN";
}

/// Gates per step: 4 (LSTM), 3 (GRU), 1 (RNN).
inline std::int64_t rnn_gate_count(RnnMode m) { return m == RnnMode::Lstm ? 4 : m == RnnMode::Gru ? 3 : 1; }

namespace detail {

template <FloatElement T>
void check_cell(const char* op, std::int64_t gates, const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih,
                const Tensor<T>& w_hh, const OptionalTensor<T>& b_ih, const OptionalTensor<T>& b_hh) {
  EMBER_CHECK(x.dim() == 1 || x.dim() == 2, op, "Expected input to be 1D or 2D, got ", x.dim(), "D instead");
  EMBER_CHECK(w_ih.dim() == 2 && w_hh.dim() == 2 && w_hh.size(0) == gates * w_hh.size(1) &&
                  w_ih.size(0) == w_hh.size(0),
              op, "weights of shapes ", w_ih.shape(), " and ", w_hh.shape(), " are not (", gates,
              "*hidden_size, input_size) and (", gates, "*hidden_size, hidden_size)");
  const std::int64_t H = w_hh.size(1);
  EMBER_CHECK(x.size(-1) == w_ih.size(1), op, "input has inconsistent input_size: got ", x.size(-1), " expected ",
              w_ih.size(1));
  EMBER_CHECK(h.dim() == x.dim() && h.size(-1) == H && (x.dim() == 1 || h.size(0) == x.size(0)), op,
              "hidden of shape ", h.shape(), " does not match input of shape ", x.shape(), " and hidden_size ", H);
  for (const auto* b : {&b_ih, &b_hh})
    if (*b) EMBER_CHECK((*b)->dim() == 1 && (*b)->size(0) == gates * H, op, "expected a bias of shape ",
                        Shape{gates * H}, ", got shape ", (*b)->shape());
}

// x w_ih^T + b_ih + h w_hh^T + b_hh for a cell; the GRU keeps the two halves apart.
template <FloatElement T>
std::pair<Tensor<T>, Tensor<T>> cell_gates(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih,
                                           const Tensor<T>& w_hh, const OptionalTensor<T>& b_ih,
                                           const OptionalTensor<T>& b_hh) {
  return {linear(x, w_ih, b_ih), linear(h, w_hh, b_hh)};
}

}  // namespace detail

/// h' = tanh(x w_ih^T + b_ih + h w_hh^T + b_hh): x (B, I) or (I), h (B, H) or (H), as torch.nn.RNNCell.
template <FloatElement T>
Tensor<T> rnn_tanh_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                        const OptionalTensor<T>& b_ih = std::nullopt, const OptionalTensor<T>& b_hh = std::nullopt) {
  detail::check_cell("rnn_tanh_cell", 1, x, h, w_ih, w_hh, b_ih, b_hh);
  auto [gi, gh] = detail::cell_gates(x, h, w_ih, w_hh, b_ih, b_hh);
  return tanh(gi + gh);
}

/// h' = relu(x w_ih^T + b_ih + h w_hh^T + b_hh), as torch.nn.RNNCell(nonlinearity='relu').
template <FloatElement T>
Tensor<T> rnn_relu_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                        const OptionalTensor<T>& b_ih = std::nullopt, const OptionalTensor<T>& b_hh = std::nullopt) {
  detail::check_cell("rnn_relu_cell", 1, x, h, w_ih, w_hh, b_ih, b_hh);
  auto [gi, gh] = detail::cell_gates(x, h, w_ih, w_hh, b_ih, b_hh);
  return relu(gi + gh);
}

/// One LSTM step, as torch.nn.LSTMCell: gates i, f, g, o = chunk(x w_ih^T + b_ih + h w_hh^T + b_hh, 4);
/// c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c'). Returns (h', c').
template <FloatElement T>
std::pair<Tensor<T>, Tensor<T>> lstm_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& c,
                                          const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                                          const OptionalTensor<T>& b_ih = std::nullopt,
                                          const OptionalTensor<T>& b_hh = std::nullopt) {
  detail::check_cell("lstm_cell", 4, x, h, w_ih, w_hh, b_ih, b_hh);
  EMBER_CHECK(c.shape() == h.shape(), "lstm_cell", "cell state of shape ", c.shape(), " does not match hidden of shape ",
              h.shape());
  auto [gi, gh] = detail::cell_gates(x, h, w_ih, w_hh, b_ih, b_hh);
  const auto g = chunk(gi + gh, 4, -1);
  Tensor<T> c2 = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
  Tensor<T> h2 = sigmoid(g[3]) * tanh(c2);
  return {h2, c2};
}

/// One GRU step, as torch.nn.GRUCell: r, z from sigmoid(x w_ih^T + b_ih + h w_hh^T + b_hh),
/// n = tanh(x w_in^T + b_in + r (h w_hn^T + b_hn)), h' = (1 - z) n + z h.
template <FloatElement T>
Tensor<T> gru_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                   const OptionalTensor<T>& b_ih = std::nullopt, const OptionalTensor<T>& b_hh = std::nullopt) {
  detail::check_cell("gru_cell", 3, x, h, w_ih, w_hh, b_ih, b_hh);
  auto [gi, gh] = detail::cell_gates(x, h, w_ih, w_hh, b_ih, b_hh);
  const auto a = chunk(gi, 3, -1);
  const auto b = chunk(gh, 3, -1);
  Tensor<T> r = sigmoid(a[0] + b[0]);
  Tensor<T> z = sigmoid(a[1] + b[1]);
  Tensor<T> n = tanh(a[2] + r * b[2]);
  return n + z * (h - n);
}

/// What rnn() returns: output (T, B, D*H) ((B, T, D*H) batch_first, (N, D*H) packed), h_n (L*D, B, H), and
/// c_n (L*D, B, H) for an LSTM (undefined otherwise).
template <FloatElement T>
struct RnnOutput {
  Tensor<T> output, h_n, c_n;
};

namespace detail {

/// Rows x columns of a row-major (rows, GH) gate array, for Eigen's vectorized logistic and tanh.
template <class T>
using GateBlock = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;

/// c (m, n) = a (m, k) @ b (k, n) [+ c when accumulate]: row-major with leading dims lda, ldb, ldc. The per-step
/// products of the recurrence (m = the step's batch rows): dnnl_sgemm for float32, straight into the gate rows,
/// which the oneDNN matmul primitive (a fresh output, B reordered on every call) is slower at.
template <class T>
void step_gemm(const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T* c, std::int64_t ldc, std::int64_t m,
               std::int64_t n, std::int64_t k, bool accumulate) {
  if (m == 0 || n == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    const dnnl_status_t st = dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, lda, b, ldb, accumulate ? 1.0f : 0.0f, c, ldc);
    EMBER_CHECK(st == dnnl_success, "rnn", "dnnl_sgemm failed with status ", static_cast<int>(st));
  } else {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Map = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
    Eigen::Map<Mat, 0, Eigen::OuterStride<>> cm(c, m, n, Eigen::OuterStride<>(ldc));
    if (!accumulate) cm.setZero();
    cm.noalias() += Map(a, m, k, Eigen::OuterStride<>(lda)) * Map(b, k, n, Eigen::OuterStride<>(ldb));
  }
}

/// First row of each step in packed data.
inline std::vector<std::int64_t> packed_offsets(const std::vector<std::int64_t>& bs) {
  std::vector<std::int64_t> off(bs.size());
  std::int64_t at = 0;
  for (std::size_t t = 0; t < bs.size(); ++t) off[t] = at, at += bs[t];
  return off;
}

/// Whether float32 padded sequences run on oneDNN's RNN primitives (the default) or on ember's own loop,
/// which stays the path of packed sequences and float64, and the reference the tests compare oneDNN with.
inline std::atomic<bool>& rnn_onednn_enabled() {
  static std::atomic<bool> on{true};
  return on;
}
inline bool rnn_on_onednn() { return rnn_onednn_enabled().load(std::memory_order_relaxed); }

/// PyTorch's GRU gates (r, z, n) in oneDNN's order (z, r, n), or back: the first two row blocks of (3H, ...)
/// swapped.
template <FloatElement T>
Tensor<T> swap_reset_update(const Tensor<T>& w, std::int64_t H) {
  return cat(std::vector<Tensor<T>>{w.narrow(0, H, H), w.narrow(0, 0, H), w.narrow(0, 2 * H, H)}, 0);
}

/// rnn_direction on oneDNN's RNN primitives, for float32 sequences whose rows all run every step (a padded
/// batch): one primitive call forward and one backward, the weights taken in PyTorch's layout.
inline Tensor<float> rnn_direction_onednn(RnnMode mode, const Tensor<float>& x, std::int64_t steps,
                                          const Tensor<float>& h0, const Tensor<float>& c0,
                                          const Tensor<float>& w_ih, const Tensor<float>& w_hh,
                                          const Tensor<float>& b_ih, const Tensor<float>& b_hh, bool reverse) {
  constexpr const char* op = "rnn";
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  const std::int64_t H = w_hh.size(1), B = h0.size(0), N = x.size(0), I = x.size(1);
  const onednn::RnnGeometry p{static_cast<int>(mode), steps, B, I, H, reverse};
  Tensor<float> y = Tensor<float>::empty({N + (lstm ? 2 : 1) * B, H});
  const bool grad = autograd::needs_grad(x, h0, c0, w_ih, w_hh, b_ih, b_hh);
  Tensor<float> xc, h0c, c0c, wih, whh, bias, workspace;
  {
    NoGradGuard no_grad;
    xc = x.detach().contiguous();
    h0c = h0.detach().contiguous();
    if (lstm) c0c = c0.detach().contiguous();
    wih = (gru ? swap_reset_update(w_ih.detach(), H) : w_ih.detach()).contiguous();
    whh = (gru ? swap_reset_update(w_hh.detach(), H) : w_hh.detach()).contiguous();
    if (!b_ih.defined()) {
      bias = zeros<float>({p.bias_gates() * H});
    } else if (gru) {  // (z, r) of both biases summed, then n's input and hidden parts apart
      const Tensor<float> both = swap_reset_update(b_ih.detach() + b_hh.detach(), H);
      bias = cat(std::vector<Tensor<float>>{both.narrow(0, 0, 2 * H), b_ih.detach().narrow(0, 2 * H, H),
                                            b_hh.detach().narrow(0, 2 * H, H)}, 0);
    } else {
      bias = (b_ih.detach() + b_hh.detach()).contiguous();
    }
    if (grad)
      workspace = Tensor<float>::empty({static_cast<std::int64_t>(onednn::rnn_workspace_bytes(p) / sizeof(float)) + 1});
  }
  float* yp = y.data();
  onednn::rnn_forward(p, xc.data(), h0c.data(), lstm ? c0c.data() : nullptr, wih.data(), whh.data(), bias.data(), yp,
                      yp + N * H, lstm ? yp + (N + B) * H : nullptr, grad ? workspace.data() : nullptr);
  if (!grad) return y;
  const bool has_b = b_ih.defined();
  auto backward = [=, sy = autograd::Saved<float>(y, op)](const Tensor<float>& g_in) {
    NoGradGuard no_grad;
    const Tensor<float> g = g_in.contiguous(), yv = sy.get();
    Tensor<float> dx = Tensor<float>::empty({N, I}), dh0 = Tensor<float>::empty({B, H});
    Tensor<float> dc0 = lstm ? Tensor<float>::empty({B, H}) : Tensor<float>();
    Tensor<float> dwih = Tensor<float>::empty(wih.shape()), dwhh = Tensor<float>::empty(whh.shape());
    Tensor<float> dbias = Tensor<float>::empty(bias.shape());
    const float *gp = g.data(), *yd = yv.data();
    onednn::rnn_backward(p, xc.data(), h0c.data(), lstm ? c0c.data() : nullptr, wih.data(), whh.data(), bias.data(),
                         yd, yd + N * H, lstm ? yd + (N + B) * H : nullptr, workspace.data(), gp, gp + N * H,
                         lstm ? gp + (N + B) * H : nullptr, dx.data(), dh0.data(), lstm ? dc0.data() : nullptr,
                         dwih.data(), dwhh.data(), dbias.data());
    autograd::Grads grads(7);
    grads[0] = dx;
    grads[1] = dh0;
    if (lstm) grads[2] = dc0;
    grads[3] = gru ? swap_reset_update(dwih, H) : dwih;
    grads[4] = gru ? swap_reset_update(dwhh, H) : dwhh;
    if (has_b) {
      if (gru) {  // b_ih's n part is the input n gate's, b_hh's the fourth (hidden n) gate's
        const Tensor<float> zr = swap_reset_update(dbias.narrow(0, 0, 3 * H), H).narrow(0, 0, 2 * H);
        grads[5] = cat(std::vector<Tensor<float>>{zr, dbias.narrow(0, 2 * H, H)}, 0);
        grads[6] = cat(std::vector<Tensor<float>>{zr, dbias.narrow(0, 3 * H, H)}, 0);
      } else {
        grads[5] = dbias;
        grads[6] = dbias;
      }
    }
    return grads;
  };
  autograd::record(op, y, std::move(backward), x, h0, c0, w_ih, w_hh, b_ih, b_hh);
  return y;
}

/// One direction of one layer. x (N, I): the bs[t] rows of step t follow each other (bs non-increasing);
/// h0, c0 (B, H). Returns one tensor (N + B, H), or (N + 2B, H) for an LSTM: the outputs, h_n, c_n, so that
/// one node records all three. A row's final state is the state after its own last step.
template <FloatElement T>
Tensor<T> rnn_direction(RnnMode mode, const Tensor<T>& x, const std::vector<std::int64_t>& bs, const Tensor<T>& h0,
                        const Tensor<T>& c0, const Tensor<T>& w_ih, const Tensor<T>& w_hh, const Tensor<T>& b_ih,
                        const Tensor<T>& b_hh, bool reverse) {
  constexpr const char* op = "rnn";
  check_cpu(op, x, h0, w_ih, w_hh);
  if constexpr (std::is_same_v<T, float>)  // every row runs every step: oneDNN's primitives fit
    if (bs.front() == bs.back() && rnn_on_onednn())
      return rnn_direction_onednn(mode, x, static_cast<std::int64_t>(bs.size()), h0, c0, w_ih, w_hh, b_ih, b_hh,
                                  reverse);
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  const std::int64_t G = rnn_gate_count(mode), H = w_hh.size(1), GH = G * H, B = h0.size(0), N = x.size(0);
  const auto steps = static_cast<std::int64_t>(bs.size());
  const auto off = packed_offsets(bs);
  Tensor<T> y = Tensor<T>::empty({N + (lstm ? 2 : 1) * B, H});
  // gx holds x w_ih^T + biases, then the gates' activations (the RNN's: h'); hprev/cprev the states each
  // step started from, cell the LSTM's tanh(c'), ghn the GRU's h w_hn^T + b_hn: what the backward needs.
  Tensor<T> gx, h = Tensor<T>::empty({B, H}), c, hprev = Tensor<T>::empty({N, H}), cprev, cell, ghn;
  {
    NoGradGuard no_grad;
    gx = matmul_forward(x.detach(), w_ih.detach().mT(), op).contiguous();
    if (b_ih.defined()) gx.add_(gru ? b_ih.detach() : b_ih.detach() + b_hh.detach());
    h.copy_(h0.detach());
    if (lstm) {
      c = Tensor<T>::empty({B, H});
      c.copy_(c0.detach());
      cprev = Tensor<T>::empty({N, H});
      cell = Tensor<T>::empty({N, H});
    }
    if (gru) ghn = Tensor<T>::empty({N, H});
    const Tensor<T> whh_t = w_hh.detach().mT().contiguous();  // (H, GH)
    Tensor<T> gh = gru ? Tensor<T>::empty({B, GH}) : Tensor<T>();
    const Tensor<T> bhh = gru && b_hh.defined() ? b_hh.detach().contiguous() : Tensor<T>();
    T *hp = h.data(), *cp = lstm ? c.data() : nullptr, *gp = gx.data(), *yp = y.data(), *hpv = hprev.data();
    for (std::int64_t s = 0; s < steps; ++s) {
      const std::int64_t t = reverse ? steps - 1 - s : s, b = bs[t], o = off[t];
      std::copy(hp, hp + b * H, hpv + o * H);
      if (lstm) std::copy(cp, cp + b * H, cprev.data() + o * H);
      T* a = gp + o * GH;  // this step's (b, GH) rows
      // pre-activations: input part + hidden part; the GRU keeps h w_hh^T + b_hh apart (its n gate takes
      // r * (h w_hn^T + b_hn) below)
      const T* ghp = gru ? gh.data() : nullptr;
      if (gru) {
        step_gemm(hp, H, whh_t.data(), GH, gh.data(), GH, b, GH, H, false);
        T* q = gh.data();
        const T* bh = bhh.defined() ? bhh.data() : nullptr;
        for (std::int64_t r = 0; r < b; ++r)
          for (std::int64_t j = 0; j < GH; ++j) {
            if (bh) q[r * GH + j] += bh[j];
            if (j < 2 * H) a[r * GH + j] += q[r * GH + j];
          }
      } else {
        step_gemm(hp, H, whh_t.data(), GH, a, GH, b, GH, H, true);
      }
      auto cols = [&](std::int64_t from, std::int64_t n) {
        return GateBlock<T>(a + from, b, n, Eigen::OuterStride<>(GH));
      };
      if (lstm) {
        cols(0, 2 * H) = cols(0, 2 * H).logistic();  // i, f
        cols(2 * H, H) = cols(2 * H, H).tanh();      // g
        cols(3 * H, H) = cols(3 * H, H).logistic();  // o
        T* tc = cell.data() + o * H;
        for (std::int64_t r = 0; r < b; ++r) {
          const T* ar = a + r * GH;
          T* cr = cp + r * H;
          for (std::int64_t j = 0; j < H; ++j) tc[r * H + j] = cr[j] = ar[H + j] * cr[j] + ar[j] * ar[2 * H + j];
        }
        Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> tcv(tc, b * H);
        tcv = tcv.tanh();
        for (std::int64_t r = 0; r < b; ++r)
          for (std::int64_t j = 0; j < H; ++j) hp[r * H + j] = a[r * GH + 3 * H + j] * tc[r * H + j];
      } else if (gru) {
        cols(0, 2 * H) = cols(0, 2 * H).logistic();  // r, z
        for (std::int64_t r = 0; r < b; ++r) {
          T* ar = a + r * GH;
          const T* q = ghp + r * GH + 2 * H;
          T* gn = ghn.data() + (o + r) * H;
          for (std::int64_t j = 0; j < H; ++j) gn[j] = q[j], ar[2 * H + j] += ar[j] * q[j];
        }
        cols(2 * H, H) = cols(2 * H, H).tanh();  // n
        for (std::int64_t r = 0; r < b; ++r) {
          const T* ar = a + r * GH;
          T* hr = hp + r * H;
          for (std::int64_t j = 0; j < H; ++j) hr[j] = ar[2 * H + j] + ar[H + j] * (hr[j] - ar[2 * H + j]);
        }
      } else {
        if (mode == RnnMode::Tanh) cols(0, H) = cols(0, H).tanh();
        else cols(0, H) = cols(0, H).max(T(0));
        std::copy(a, a + b * H, hp);
      }
      std::copy(hp, hp + b * H, yp + o * H);
    }
    std::copy(hp, hp + B * H, yp + N * H);
    if (lstm) std::copy(cp, cp + B * H, yp + (N + B) * H);
  }
  if (!autograd::needs_grad(x, h0, c0, w_ih, w_hh, b_ih, b_hh)) return y;
  const bool need_x = x.requires_grad(), has_b = b_ih.defined();
  auto backward = [=, sx = autograd::Saved<T>(x, op), swih = autograd::Saved<T>(w_ih, op),
                   swhh = autograd::Saved<T>(w_hh, op)](const Tensor<T>& g_in) {
    NoGradGuard no_grad;
    const Tensor<T> g = g_in.contiguous();
    const T* dy = g.data();
    Tensor<T> dh = Tensor<T>::empty({B, H}), dc, dgx = Tensor<T>::empty({N, GH});
    Tensor<T> dgh = gru ? Tensor<T>::empty({N, GH}) : dgx;
    T* dhp = dh.data();
    std::copy(dy + N * H, dy + (N + B) * H, dhp);
    T* dcp = nullptr;
    if (lstm) {
      dc = Tensor<T>::empty({B, H});
      dcp = dc.data();
      std::copy(dy + (N + B) * H, dy + (N + 2 * B) * H, dcp);
    }
    const Tensor<T> whh = swhh.get().contiguous();
    const T *act = gx.data(), *hpv = hprev.data();
    for (std::int64_t s = steps - 1; s >= 0; --s) {
      const std::int64_t t = reverse ? steps - 1 - s : s, b = bs[t], o = off[t];
      for (std::int64_t r = 0; r < b; ++r) {
        T* dhr = dhp + r * H;
        const T* dyr = dy + (o + r) * H;
        const T* a = act + (o + r) * GH;
        T* dx = dgx.data() + (o + r) * GH;
        for (std::int64_t j = 0; j < H; ++j) dhr[j] += dyr[j];
        if (lstm) {
          T* dcr = dcp + r * H;
          const T* cl = cell.data() + (o + r) * H;
          const T* cp0 = cprev.data() + (o + r) * H;
          for (std::int64_t j = 0; j < H; ++j) {
            const T i = a[j], f = a[H + j], gg = a[2 * H + j], og = a[3 * H + j], tc = cl[j];
            // h' = o tanh(c'), c' = f c + i g
            const T dct = dcr[j] + dhr[j] * og * (T(1) - tc * tc);
            dx[j] = dct * gg * i * (T(1) - i);
            dx[H + j] = dct * cp0[j] * f * (T(1) - f);
            dx[2 * H + j] = dct * i * (T(1) - gg * gg);
            dx[3 * H + j] = dhr[j] * tc * og * (T(1) - og);
            dcr[j] = dct * f;
            dhr[j] = T(0);
          }
        } else if (gru) {
          T* dhh = dgh.data() + (o + r) * GH;
          const T* gn = ghn.data() + (o + r) * H;
          const T* hp0 = hpv + (o + r) * H;
          for (std::int64_t j = 0; j < H; ++j) {
            const T rg = a[j], z = a[H + j], n = a[2 * H + j], d = dhr[j];
            // h' = n + z (h - n), n = tanh(a_n + r gh_n)
            const T dan = d * (T(1) - z) * (T(1) - n * n);
            const T dar = dan * gn[j] * rg * (T(1) - rg);
            const T daz = d * (hp0[j] - n) * z * (T(1) - z);
            dx[j] = dhh[j] = dar;
            dx[H + j] = dhh[H + j] = daz;
            dx[2 * H + j] = dan;
            dhh[2 * H + j] = dan * rg;
            dhr[j] = d * z;
          }
        } else {
          for (std::int64_t j = 0; j < H; ++j) {
            const T hv = a[j];
            dx[j] = mode == RnnMode::Tanh ? dhr[j] * (T(1) - hv * hv) : (hv > T(0) ? dhr[j] : T(0));
            dhr[j] = T(0);
          }
        }
      }
      step_gemm(dgh.data() + o * GH, GH, whh.data(), H, dhp, H, b, H, GH, true);  // dh += dgh w_hh
    }
    autograd::Grads grads(7);
    if (need_x) grads[0] = matmul_forward(dgx, swih.get(), op);
    grads[1] = dh;
    if (lstm) grads[2] = dc;
    grads[3] = matmul_forward(dgx.mT(), sx.get(), op);
    grads[4] = matmul_forward(dgh.mT(), hprev, op);
    if (has_b) {
      grads[5] = sum(dgx, 0);
      grads[6] = sum(dgh, 0);
    }
    return grads;
  };
  autograd::record(op, y, std::move(backward), x, h0, c0, w_ih, w_hh, b_ih, b_hh);
  return y;
}

/// "(2, 3, 20)" as Python prints a tuple; "[2, 3, 20]" as a list.
inline std::string py_shape(const Shape& s, bool list) {
  std::ostringstream os;
  os << (list ? '[' : '(');
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (!list && s.size() == 1) os << ',';
  os << (list ? ']' : ')');
  return os.str();
}

}  // namespace detail

/// The multi-layer recurrence over packed data, as torch's packed-sequence RNN path: data (N, I) holds the
/// batch_sizes[t] rows of step t after each other (batch_sizes non-increasing, as pack_padded_sequence makes);
/// hx (L*D, B, H) and, for an LSTM, cx (L*D, B, H) are zeros when undefined. params are PyTorch's flat weights:
/// per layer and direction w_ih, w_hh and, with has_biases, b_ih, b_hh. dropout applies to every layer's
/// output but the last, in training. Returns output (N, D*H), h_n, c_n.
template <FloatElement T>
RnnOutput<T> rnn_packed(RnnMode mode, const Tensor<T>& data, const std::vector<std::int64_t>& batch_sizes,
                        const Tensor<T>& hx, const Tensor<T>& cx, std::span<const Tensor<T>> params, bool has_biases,
                        std::int64_t num_layers, double dropout, bool train, bool bidirectional,
                        Generator* gen = nullptr) {
  const char* op = rnn_mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm;
  const std::int64_t D = bidirectional ? 2 : 1, per = has_biases ? 4 : 2;
  EMBER_CHECK(num_layers > 0, op, "num_layers must be greater than zero");
  check_dropout_probability(dropout, op);
  EMBER_CHECK(static_cast<std::int64_t>(params.size()) == num_layers * D * per, op, "expected ",
              num_layers * D * per, " weight tensors, got ", params.size());
  const std::int64_t G = rnn_gate_count(mode), H = params[1].size(1), I = params[0].size(1);
  for (std::int64_t l = 0; l < num_layers; ++l)
    for (std::int64_t d = 0; d < D; ++d) {
      const Tensor<T>* p = params.data() + (l * D + d) * per;
      const std::int64_t in = l == 0 ? I : D * H;
      EMBER_CHECK(p[0].shape() == Shape({G * H, in}) && p[1].shape() == Shape({G * H, H}), op, "layer ", l,
                  ": weights of shapes ", p[0].shape(), " and ", p[1].shape(), " do not match (", G * H, ", ", in,
                  ") and (", G * H, ", ", H, ")");
      if (has_biases)
        EMBER_CHECK(p[2].shape() == Shape({G * H}) && p[3].shape() == Shape({G * H}), op, "layer ", l,
                    ": biases of shapes ", p[2].shape(), " and ", p[3].shape(), " are not (", G * H, ")");
    }
  EMBER_CHECK(data.dim() == 2, op, "packed data must be 2-D (N, input_size), got shape ", data.shape());
  EMBER_CHECK(data.size(1) == I, op, "input.size(-1) must be equal to input_size. Expected ", I, ", got ",
              data.size(1));
  EMBER_CHECK(!batch_sizes.empty(), op, "batch_sizes must not be empty");
  std::int64_t total = 0;
  for (std::size_t t = 0; t < batch_sizes.size(); ++t) {
    EMBER_CHECK(batch_sizes[t] > 0 && (t == 0 || batch_sizes[t] <= batch_sizes[t - 1]), op,
                "batch_sizes must be positive and non-increasing, got ", Shape(batch_sizes));
    total += batch_sizes[t];
  }
  EMBER_CHECK(total == data.size(0), op, "batch_sizes add up to ", total, " but the packed data has ",
              data.size(0), " rows");
  const std::int64_t B = batch_sizes[0], N = data.size(0);
  const Shape expected{num_layers * D, B, H};
  auto check_state = [&](const Tensor<T>& s, const char* which) {
    if (s.defined())
      EMBER_CHECK(s.shape() == expected, op, "Expected ", which, " size ", detail::py_shape(expected, false),
                  ", got ", detail::py_shape(s.shape(), true));
  };
  check_state(hx, lstm ? "hidden[0]" : "hidden");
  if (lstm) check_state(cx, "hidden[1]");
  const Tensor<T> h_all = hx.defined() ? hx : zeros<T>(expected);
  const Tensor<T> c_all = !lstm ? Tensor<T>() : cx.defined() ? cx : zeros<T>(expected);

  Tensor<T> layer_in = data;
  std::vector<Tensor<T>> hn, cn;
  for (std::int64_t l = 0; l < num_layers; ++l) {
    std::vector<Tensor<T>> outs;
    for (std::int64_t d = 0; d < D; ++d) {
      const std::int64_t k = l * D + d;
      const Tensor<T>* p = params.data() + k * per;
      const Tensor<T> y = detail::rnn_direction(mode, layer_in, batch_sizes, h_all.select(0, k),
                                                lstm ? c_all.select(0, k) : Tensor<T>(), p[0], p[1],
                                                has_biases ? p[2] : Tensor<T>(), has_biases ? p[3] : Tensor<T>(),
                                                d == 1);
      outs.push_back(y.narrow(0, 0, N));
      hn.push_back(y.narrow(0, N, B));
      if (lstm) cn.push_back(y.narrow(0, N + B, B));
    }
    layer_in = D == 2 ? cat(outs, 1) : outs[0];
    if (train && dropout > 0 && l + 1 < num_layers) layer_in = ember::dropout(layer_in, dropout, true, gen);
  }
  return {layer_in, stack(hn, 0), lstm ? stack(cn, 0) : Tensor<T>()};
}

/// The multi-layer recurrence over a padded sequence, as torch.nn.RNN / LSTM / GRU's forward: input (T, B, I),
/// (B, T, I) when batch_first, or (T, I) unbatched (then hx, cx are (L*D, H) and the results drop the batch dim).
template <FloatElement T>
RnnOutput<T> rnn(RnnMode mode, const Tensor<T>& input, const Tensor<T>& hx, const Tensor<T>& cx,
                 std::span<const Tensor<T>> params, bool has_biases, std::int64_t num_layers, double dropout,
                 bool train, bool bidirectional, bool batch_first, Generator* gen = nullptr) {
  const char* op = rnn_mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm;
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, op, op, ": Expected input to be 2D or 3D, got ", input.dim(),
              "D ", lstm ? "instead" : "tensor instead");
  const bool batched = input.dim() == 3;
  const std::int64_t want = batched ? 3 : 2;
  if (lstm && (hx.defined() || cx.defined())) {
    EMBER_CHECK(hx.defined() && cx.defined(), op, "LSTM expects both h0 and c0, or neither");
    EMBER_CHECK(hx.dim() == want && cx.dim() == want, op, "For ", batched ? "batched 3-D" : "unbatched 2-D",
                " input, hx and cx should also be ", want, "-D but got (", hx.dim(), "-D, ", cx.dim(),
                "-D) tensors");
  } else if (hx.defined()) {
    EMBER_CHECK(hx.dim() == want, op, "For ", batched ? "batched 3-D" : "unbatched 2-D", " input, hx should also be ",
                want, "-D but got ", hx.dim(), "-D tensor");
  }
  Tensor<T> x = batched ? input : input.unsqueeze(1);
  if (batched && batch_first) x = x.transpose(0, 1);
  const Tensor<T> h0 = hx.defined() && !batched ? hx.unsqueeze(1) : hx;
  const Tensor<T> c0 = cx.defined() && !batched ? cx.unsqueeze(1) : cx;
  const std::int64_t steps = x.size(0), B = x.size(1);
  EMBER_CHECK(steps > 0 && B > 0, op, "expected a non-empty sequence and batch, got input of shape ", input.shape());
  EMBER_CHECK(!params.empty() && x.size(2) == params[0].size(1), op,
              "input.size(-1) must be equal to input_size. Expected ", params.empty() ? 0 : params[0].size(1),
              ", got ", x.size(2));
  const std::vector<std::int64_t> bs(static_cast<std::size_t>(steps), B);
  RnnOutput<T> r = rnn_packed(mode, x.contiguous().reshape({steps * B, x.size(2)}), bs, h0, c0, params, has_biases,
                              num_layers, dropout, train, bidirectional, gen);
  r.output = r.output.reshape({steps, B, r.output.size(1)});
  if (batched && batch_first) r.output = r.output.transpose(0, 1);
  if (!batched) {
    r.output = r.output.squeeze(1);
    r.h_n = r.h_n.squeeze(1);
    if (lstm) r.c_n = r.c_n.squeeze(1);
  }
  return r;
}

}  // namespace ember
