#pragma once
// The recurrent ops of docs/deploy-format.md: `rnn` (a whole multi-layer RNN_TANH / RNN_RELU / LSTM / GRU
// over a padded sequence) and the cells `rnn_tanh_cell`, `rnn_relu_cell`, `lstm_cell`, `gru_cell`. Each
// kernel calls the C++ op that training runs (include/ember/ops/rnn.hpp) in inference: the recurrence
// is defined once. A node has one output, so `rnn` returns its results packed into one 1-D tensor,
// [output.flatten(), h_n.flatten(), c_n.flatten() (LSTM)], which slice and reshape nodes unpack, and
// `lstm_cell` returns stack([h', c']).
#include <string>
#include <vector>

#include "ember/deploy/ops.hpp"
#include "ember/ops/rnn.hpp"

namespace ember::deploy::detail {

/// The RnnMode of the `mode` attribute: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU" (PyTorch's names).
template <class>
RnnMode rnn_mode_attr(const Node& n) {
  const std::string m = attr_string(n, "mode");
  if (m == "RNN_TANH") return RnnMode::Tanh;
  if (m == "RNN_RELU") return RnnMode::Relu;
  if (m == "LSTM") return RnnMode::Lstm;
  if (m == "GRU") return RnnMode::Gru;
  bad_attr(n, "mode", "\"RNN_TANH\", \"RNN_RELU\", \"LSTM\" or \"GRU\"");
}

/// t as one row of its elements.
template <FloatElement T>
Tensor<T> flat(const Tensor<T>& t) {
  return t.contiguous().reshape(Shape{t.numel()});
}

template <class>
Kernel rnn_kernel(const Node& n) {
  struct Attrs {
    RnnMode mode;
    std::int64_t layers;
    bool bidirectional, batch_first, has_biases;
  };
  const Attrs a{rnn_mode_attr<void>(n), attr_int(n, "num_layers"), attr_bool(n, "bidirectional"),
                attr_bool(n, "batch_first"), attr_bool(n, "has_biases")};
  EMBER_CHECK(a.layers >= 1 && a.layers <= 1024, "rnn", "attribute 'num_layers' must be in [1, 1024], got ",
              a.layers);
  const std::size_t weights =
      static_cast<std::size_t>(a.layers) * (a.bidirectional ? 2 : 1) * (a.has_biases ? 4 : 2);
  EMBER_CHECK(n.inputs.size() == 3 + weights, "rnn", "expected ", 3 + weights,
              " inputs (input, h0?, c0? and the ", weights, " weights of ", a.layers, " layer(s)), got ",
              n.inputs.size());
  for (std::size_t i = 3; i < n.inputs.size(); ++i)
    EMBER_CHECK(n.inputs[i].has_value(), "rnn", "weight ", i - 3, " (input ", i, ") is required but null");
  EMBER_CHECK(a.mode == RnnMode::Lstm || !n.inputs[2], "rnn", "c0 (input 2) is for an LSTM only");
  return [a](std::span<const AnyTensor> in, RunContext&) {
    return on_float(in[0], "rnn", [&]<class T>(const Tensor<T>& x) {
      std::vector<Tensor<T>> w;
      w.reserve(in.size() - 3);
      for (std::size_t i = 3; i < in.size(); ++i) w.push_back(in[i].get<T>("rnn"));
      const Tensor<T> h0 = in[1].defined() ? in[1].get<T>("rnn") : Tensor<T>();
      const Tensor<T> c0 = in[2].defined() ? in[2].get<T>("rnn") : Tensor<T>();
      const RnnOutput<T> r = rnn(a.mode, x, h0, c0, std::span<const Tensor<T>>(w), a.has_biases, a.layers, 0.0,
                                 false, a.bidirectional, a.batch_first);
      std::vector<Tensor<T>> parts{flat(r.output), flat(r.h_n)};
      if (r.c_n.defined()) parts.push_back(flat(r.c_n));
      return cat(parts, 0);
    });
  };
}

/// The kernel of a cell op: x, h? (zeros when null), [c? for lstm_cell], w_ih, w_hh, b_ih?, b_hh?.
template <class>
Kernel rnn_cell_kernel(const Node& n) {
  const bool lstm = n.op == "lstm_cell";
  const std::size_t w = lstm ? 3 : 2;  // index of w_ih
  EMBER_CHECK(n.inputs.size() > w + 1 && n.inputs[w] && n.inputs[w + 1], n.op.c_str(), "inputs ", w, " and ",
              w + 1, " (w_ih, w_hh) are required");
  EMBER_CHECK(!lstm || n.inputs[1].has_value() == n.inputs[2].has_value(), n.op.c_str(),
              "h and c (inputs 1 and 2) are both given or both null");
  return [op = n.op, lstm, w](std::span<const AnyTensor> in, RunContext&) {
    return on_float(in[0], op.c_str(), [&]<class T>(const Tensor<T>& x) -> Tensor<T> {
      const char* name = op.c_str();
      const Tensor<T> w_ih = in[w].get<T>(name), w_hh = in[w + 1].get<T>(name);
      const auto b_ih = optional_input<T>(in, w + 2, name), b_hh = optional_input<T>(in, w + 3, name);
      const auto state = [&](std::size_t i) {
        if (in[i].defined()) return in[i].get<T>(name);
        return zeros<T>(x.dim() == 2 ? Shape{x.size(0), w_hh.size(1)} : Shape{w_hh.size(1)});
      };
      const Tensor<T> h = state(1);
      if (lstm) {
        auto [h2, c2] = lstm_cell(x, h, state(2), w_ih, w_hh, b_ih, b_hh);
        return stack(std::vector<Tensor<T>>{h2, c2}, 0);
      }
      if (op == "gru_cell") return gru_cell(x, h, w_ih, w_hh, b_ih, b_hh);
      if (op == "rnn_relu_cell") return rnn_relu_cell(x, h, w_ih, w_hh, b_ih, b_hh);
      return rnn_tanh_cell(x, h, w_ih, w_hh, b_ih, b_hh);
    });
  };
}

}  // namespace ember::deploy::detail
