#pragma once
// RNN<T>, LSTM<T>, GRU<T> and RNNCell<T>, LSTMCell<T>, GRUCell<T>: thin modules over ember/ops/rnn.hpp with
// torch.nn's options, parameter names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse) and
// layouts, so that a PyTorch state_dict loads; every weight starts U(-1/sqrt(hidden), 1/sqrt(hidden)).
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/rnn.hpp"

namespace ember::nn {

/// Options of the recurrent layers, as torch.nn.RNN/LSTM/GRU's constructor arguments.
struct RnnOptions {
  std::int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
  std::int64_t proj_size = 0;  // LSTM only; not implemented (std::logic_error; Python: NotImplementedError)
};

/// The constructor checks of RNN, LSTM and GRU (named `name`), also Python's (_core._check_rnn):
/// std::invalid_argument for a bad value, std::logic_error for proj_size (not implemented).
inline void check_rnn_options(const char* name, std::int64_t input_size, std::int64_t hidden_size,
                              const RnnOptions& o) {
  EMBER_CHECK(input_size > 0, name, "input_size must be greater than zero, got ", input_size);
  EMBER_CHECK(hidden_size > 0, name, "hidden_size must be greater than zero, got ", hidden_size);
  EMBER_CHECK(o.num_layers > 0, name, "num_layers must be greater than zero, got ", o.num_layers);
  EMBER_CHECK(o.dropout >= 0 && o.dropout <= 1, name, "dropout should be a number in range [0, 1] representing the "
              "probability of an element being zeroed, got ", o.dropout);
  EMBER_CHECK(o.proj_size >= 0, name, "proj_size should be a positive integer or zero to disable projections, got ",
              o.proj_size);
  EMBER_CHECK(o.proj_size < hidden_size, name, "proj_size has to be smaller than hidden_size, got proj_size ",
              o.proj_size, " and hidden_size ", hidden_size);
  if (o.proj_size != 0)
    ::ember::detail::fail<std::logic_error>(name, "proj_size=", o.proj_size, " is not implemented in ember's ", name);
}

/// The mode of an Elman RNN or RNNCell (named `name`) from its nonlinearity, "tanh" or "relu" (also
/// Python's, through _core._rnn_nonlinearity_mode).
inline RnnMode rnn_nonlinearity_mode(const char* name, const std::string& s) {
  EMBER_CHECK(s == "tanh" || s == "relu", name, "Unknown nonlinearity '", s, "'. Select from 'tanh' or 'relu'.");
  return s == "tanh" ? RnnMode::Tanh : RnnMode::Relu;
}

/// The common part of RNN, LSTM and GRU: the flat weights in PyTorch's order and forward over rnn().
template <FloatElement T = float>
class RNNBase : public Module<T> {
 public:
  RNNBase(RnnMode mode, std::string name, std::int64_t input_size, std::int64_t hidden_size, RnnOptions o,
          Generator& gen)
      : Module<T>(name), mode(mode), input_size(input_size), hidden_size(hidden_size), num_layers(o.num_layers),
        bias(o.bias), batch_first(o.batch_first), dropout(o.dropout), bidirectional(o.bidirectional) {
    check_rnn_options(this->type_name().c_str(), input_size, hidden_size, o);
    const std::int64_t G = rnn_gate_count(mode), D = bidirectional ? 2 : 1;
    for (std::int64_t l = 0; l < num_layers; ++l)
      for (std::int64_t d = 0; d < D; ++d) {
        const std::string sfx = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
        const std::int64_t in = l == 0 ? input_size : D * hidden_size;
        flat_weights.push_back(this->register_parameter("weight_ih" + sfx, Tensor<T>::empty({G * hidden_size, in})));
        flat_weights.push_back(
            this->register_parameter("weight_hh" + sfx, Tensor<T>::empty({G * hidden_size, hidden_size})));
        if (bias) {
          flat_weights.push_back(this->register_parameter("bias_ih" + sfx, Tensor<T>::empty({G * hidden_size})));
          flat_weights.push_back(this->register_parameter("bias_hh" + sfx, Tensor<T>::empty({G * hidden_size})));
        }
      }
    reset_parameters(gen);
  }

  /// Every weight U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch.
  void reset_parameters(Generator& gen = default_generator()) {
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden_size));
    for (auto& w : flat_weights) init::uniform_(w, -k, k, gen);
  }

  using Module<T>::forward;
  /// The output sequence only (see forward_full for the final states).
  Tensor<T> forward(const Tensor<T>& x) override { return forward_full(x).output; }
  /// output, h_n and (LSTM) c_n from x and the optional initial states hx, cx (zeros when undefined).
  RnnOutput<T> forward_full(const Tensor<T>& x, const Tensor<T>& hx = {}, const Tensor<T>& cx = {}) {
    return rnn(mode, x, hx, cx, std::span<const Tensor<T>>(flat_weights), bias, num_layers, dropout, this->is_training(),
               bidirectional, batch_first);
  }
  /// forward_full over packed data (N, input_size) with its batch_sizes.
  RnnOutput<T> forward_packed(const Tensor<T>& data, const std::vector<std::int64_t>& batch_sizes,
                              const Tensor<T>& hx = {}, const Tensor<T>& cx = {}) {
    return rnn_packed(mode, data, batch_sizes, hx, cx, std::span<const Tensor<T>>(flat_weights), bias, num_layers,
                      dropout, this->is_training(), bidirectional);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << input_size << ", " << hidden_size;
    if (num_layers != 1) os << ", num_layers=" << num_layers;
    if (!bias) os << ", bias=False";
    if (batch_first) os << ", batch_first=True";
    if (dropout != 0) os << ", dropout=" << dropout;
    if (bidirectional) os << ", bidirectional=True";
    return os.str();
  }

  RnnMode mode;
  std::int64_t input_size, hidden_size, num_layers;
  bool bias, batch_first;
  double dropout;
  bool bidirectional;
  std::vector<Tensor<T>> flat_weights;  // per layer and direction: w_ih, w_hh[, b_ih, b_hh]
};

/// Elman RNN, as torch.nn.RNN (nonlinearity "tanh" or "relu").
template <FloatElement T = float>
class RNN : public RNNBase<T> {
 public:
  RNN(std::int64_t input_size, std::int64_t hidden_size, RnnOptions o = {}, const std::string& nonlinearity = "tanh",
      Generator& gen = default_generator())
      : RNNBase<T>(rnn_nonlinearity_mode("RNN", nonlinearity), "RNN", input_size, hidden_size, o, gen) {}
};

/// Long short-term memory, as torch.nn.LSTM (gates i, f, g, o).
template <FloatElement T = float>
class LSTM : public RNNBase<T> {
 public:
  LSTM(std::int64_t input_size, std::int64_t hidden_size, RnnOptions o = {}, Generator& gen = default_generator())
      : RNNBase<T>(RnnMode::Lstm, "LSTM", input_size, hidden_size, o, gen) {}
};

/// Gated recurrent unit, as torch.nn.GRU (gates r, z, n).
template <FloatElement T = float>
class GRU : public RNNBase<T> {
 public:
  GRU(std::int64_t input_size, std::int64_t hidden_size, RnnOptions o = {}, Generator& gen = default_generator())
      : RNNBase<T>(RnnMode::Gru, "GRU", input_size, hidden_size, o, gen) {}
};

/// The common part of the cells: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H).
template <FloatElement T = float>
class RNNCellBase : public Module<T> {
 public:
  RNNCellBase(RnnMode mode, std::string name, std::int64_t input_size, std::int64_t hidden_size, bool bias,
              Generator& gen)
      : Module<T>(name), mode(mode), input_size(input_size), hidden_size(hidden_size), bias(bias) {
    const char* op = this->type_name().c_str();
    EMBER_CHECK(input_size > 0 && hidden_size > 0, op, "input_size and hidden_size must be greater than zero, got ",
                input_size, " and ", hidden_size);
    const std::int64_t G = rnn_gate_count(mode);
    weight_ih = this->register_parameter("weight_ih", Tensor<T>::empty({G * hidden_size, input_size}));
    weight_hh = this->register_parameter("weight_hh", Tensor<T>::empty({G * hidden_size, hidden_size}));
    if (bias) {
      bias_ih = this->register_parameter("bias_ih", Tensor<T>::empty({G * hidden_size}));
      bias_hh = this->register_parameter("bias_hh", Tensor<T>::empty({G * hidden_size}));
    }
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden_size));
    for (auto* w : {&weight_ih, &weight_hh, &bias_ih, &bias_hh})
      if (w->defined()) init::uniform_(*w, -k, k, gen);
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << input_size << ", " << hidden_size;
    if (!bias) os << ", bias=False";
    if (mode == RnnMode::Relu) os << ", nonlinearity=relu";
    return os.str();
  }

  /// hx, or zeros of the shape the input asks for when undefined.
  Tensor<T> state_or_zeros(const Tensor<T>& x, const Tensor<T>& hx) const {
    if (hx.defined()) return hx;
    return x.dim() == 2 ? zeros<T>({x.size(0), hidden_size}) : zeros<T>({hidden_size});
  }

  RnnMode mode;
  std::int64_t input_size, hidden_size;
  bool bias;
  Tensor<T> weight_ih, weight_hh, bias_ih, bias_hh;
};

/// One Elman RNN step, as torch.nn.RNNCell.
template <FloatElement T = float>
class RNNCell : public RNNCellBase<T> {
 public:
  RNNCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true, const std::string& nonlinearity = "tanh",
          Generator& gen = default_generator())
      : RNNCellBase<T>(rnn_nonlinearity_mode("RNNCell", nonlinearity), "RNNCell", input_size, hidden_size, bias, gen) {}
  using Module<T>::forward;
  Tensor<T> forward(const Tensor<T>& x) override { return forward(x, Tensor<T>()); }
  /// h' from x (B, I) or (I) and hx (zeros when undefined).
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& hx) {
    const Tensor<T> h = this->state_or_zeros(x, hx);
    return this->mode == RnnMode::Tanh
               ? rnn_tanh_cell(x, h, this->weight_ih, this->weight_hh, if_defined(this->bias_ih), if_defined(this->bias_hh))
               : rnn_relu_cell(x, h, this->weight_ih, this->weight_hh, if_defined(this->bias_ih), if_defined(this->bias_hh));
  }
};

/// One LSTM step, as torch.nn.LSTMCell.
template <FloatElement T = float>
class LSTMCell : public RNNCellBase<T> {
 public:
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true, Generator& gen = default_generator())
      : RNNCellBase<T>(RnnMode::Lstm, "LSTMCell", input_size, hidden_size, bias, gen) {}
  using Module<T>::forward;
  Tensor<T> forward(const Tensor<T>& x) override { return forward_full(x).first; }
  /// (h', c') from x and (hx, cx) (zeros when undefined).
  std::pair<Tensor<T>, Tensor<T>> forward_full(const Tensor<T>& x, const Tensor<T>& hx = {}, const Tensor<T>& cx = {}) {
    return lstm_cell(x, this->state_or_zeros(x, hx), this->state_or_zeros(x, cx), this->weight_ih, this->weight_hh,
                     if_defined(this->bias_ih), if_defined(this->bias_hh));
  }
};

/// One GRU step, as torch.nn.GRUCell.
template <FloatElement T = float>
class GRUCell : public RNNCellBase<T> {
 public:
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true, Generator& gen = default_generator())
      : RNNCellBase<T>(RnnMode::Gru, "GRUCell", input_size, hidden_size, bias, gen) {}
  using Module<T>::forward;
  Tensor<T> forward(const Tensor<T>& x) override { return forward(x, Tensor<T>()); }
  /// h' from x (B, I) or (I) and hx (zeros when undefined).
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& hx) {
    return gru_cell(x, this->state_or_zeros(x, hx), this->weight_ih, this->weight_hh, if_defined(this->bias_ih),
                    if_defined(this->bias_hh));
  }
};

}  // namespace ember::nn
