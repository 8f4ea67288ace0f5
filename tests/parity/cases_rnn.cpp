// Parity cases of the recurrent layers and cells (ember/nn/rnn.hpp): outputs are output, h_n[, c_n] for the
// layers and h'[, c'] for the cells; the optional initial states are inputs "h0", "c0" (layers) and "h", "c".
#include "parity.hpp"

#include "ember/nn/rnn.hpp"

namespace {
using namespace parity;

nn::RnnOptions rnn_options(const Run& r) {
  return {.num_layers = r.i("num_layers", 1), .bias = r.b("bias", true), .batch_first = r.b("batch_first", false),
          .dropout = r.f("dropout", 0.0), .bidirectional = r.b("bidirectional", false)};
}

Tensor<T> optional_input(Run& r, const std::string& name) { return r.has_input(name) ? r.x(name) : Tensor<T>(); }

template <class M>
void layer(Run& r, M m) {
  auto& l = r.module(std::move(m));
  const Tensor<T> x = r.x("x");
  const Tensor<T> h0 = optional_input(r, "h0"), c0 = optional_input(r, "c0");
  const auto o = l.forward_full(x, h0, c0);
  r.out(o.output);
  r.out(o.h_n);
  if (o.c_n.defined()) r.out(o.c_n);
}

PARITY_CASE("LSTM", r) { layer(r, nn::LSTM<T>(r.i("input_size", 0), r.i("hidden_size", 0), rnn_options(r))); }
PARITY_CASE("GRU", r) { layer(r, nn::GRU<T>(r.i("input_size", 0), r.i("hidden_size", 0), rnn_options(r))); }
PARITY_CASE("RNN", r) {
  layer(r, nn::RNN<T>(r.i("input_size", 0), r.i("hidden_size", 0), rnn_options(r), r.s("nonlinearity", "tanh")));
}

PARITY_CASE("RNNCell", r) {
  auto& c = r.module(nn::RNNCell<T>(r.i("input_size", 0), r.i("hidden_size", 0), r.b("bias", true),
                                    r.s("nonlinearity", "tanh")));
  const Tensor<T> x = r.x("x");
  r.out(c.forward(x, optional_input(r, "h")));
}
PARITY_CASE("LSTMCell", r) {
  auto& c = r.module(nn::LSTMCell<T>(r.i("input_size", 0), r.i("hidden_size", 0), r.b("bias", true)));
  const Tensor<T> x = r.x("x");
  const Tensor<T> h = optional_input(r, "h"), cx = optional_input(r, "c");
  auto [h2, c2] = c.forward_full(x, h, cx);
  r.out(h2);
  r.out(c2);
}
PARITY_CASE("GRUCell", r) {
  auto& c = r.module(nn::GRUCell<T>(r.i("input_size", 0), r.i("hidden_size", 0), r.b("bias", true)));
  const Tensor<T> x = r.x("x");
  r.out(c.forward(x, optional_input(r, "h")));
}

}  // namespace
