// The recurrent ops of include/ember/ops/rnn.hpp as private ember._core functions (_rnn, _rnn_packed and the
// cells); ember.nn's RNN/LSTM/GRU and the cells hold the Parameters and call these. Argument conversion only.
#include "ember/nn/rnn.hpp"

#include "common.hpp"

namespace ember::python {

namespace {

using OptTensor = std::optional<AnyTensor>;

RnnMode mode_from(std::string_view s) {
  if (s == "LSTM") return RnnMode::Lstm;
  if (s == "GRU") return RnnMode::Gru;
  if (s == "RNN_TANH") return RnnMode::Tanh;
  if (s == "RNN_RELU") return RnnMode::Relu;
  detail::fail<std::invalid_argument>("rnn", "Unrecognized RNN mode: ", s);
}

/// The tensors of a list as Tensor<T>; TypeError naming the entry whose dtype differs from the input's.
/// bfloat16 weights are widened, as optional_arg does.
template <FloatElement T>
std::vector<Tensor<T>> typed(const std::vector<AnyTensor>& v, const char* op) {
  std::vector<Tensor<T>> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (bf16::is(v[i])) {
      out.push_back(v[i].template as<T>());
      continue;
    }
    EMBER_CHECK_TYPE(v[i].dtype() == dtype_of<T>, op, "input dtype (", dtype_name(dtype_of<T>),
                     ") does not match weight dtype (", dtype_name(v[i].dtype()), ") of weight ", i,
                     ": convert the input or the model");
    out.push_back(v[i].template get<T>(op));
  }
  return out;
}

template <FloatElement T>
Tensor<T> state(const OptTensor& t, const char* op, const char* name) {
  return optional_arg<T>(t, op, name).value_or(Tensor<T>());
}

template <FloatElement T>
py::tuple to_tuple(const RnnOutput<T>& r) {
  return py::make_tuple(AnyTensor(r.output), AnyTensor(r.h_n),
                        r.c_n.defined() ? py::cast(AnyTensor(r.c_n)) : py::none());
}

}  // namespace

void bind_rnn(py::module_& m, TensorClass&) {
  m.def(
      "_check_rnn",
      [](const std::string& name, std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers,
         double dropout, std::int64_t proj_size) {
        nn::RnnOptions o;
        o.num_layers = num_layers;
        o.dropout = dropout;
        o.proj_size = proj_size;
        try {
          nn::check_rnn_options(name.c_str(), input_size, hidden_size, o);
        } catch (const std::invalid_argument&) {
          throw;
        } catch (const std::logic_error& e) {  // an option ember does not implement
          PyErr_SetString(PyExc_NotImplementedError, e.what());
          throw py::error_already_set();
        }
      },
      py::arg("name"), py::arg("input_size"), py::arg("hidden_size"), py::arg("num_layers"), py::arg("dropout"),
      py::arg("proj_size"),
      "The constructor checks of RNN/LSTM/GRU (name: the layer's class): ValueError for a bad value, "
      "NotImplementedError for proj_size != 0.");
  m.def(
      "_rnn_nonlinearity_mode",
      [](const std::string& name, const std::string& nonlinearity) {
        return nn::rnn_nonlinearity_mode(name.c_str(), nonlinearity) == RnnMode::Tanh ? "RNN_TANH" : "RNN_RELU";
      },
      py::arg("name"), py::arg("nonlinearity"),
      "'RNN_TANH' or 'RNN_RELU' for an RNN or RNNCell's nonlinearity 'tanh' or 'relu'; ValueError otherwise.");
  m.def(
      "_rnn",
      [](std::string_view mode, const AnyTensor& input, const OptTensor& hx, const OptTensor& cx,
         const std::vector<AnyTensor>& params, bool has_biases, std::int64_t num_layers, double dropout, bool train,
         bool bidirectional, bool batch_first) {
        const RnnMode md = mode_from(mode);
        const char* op = rnn_mode_name(md);
        return visit_float(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          const auto w = typed<T>(params, op);
          const Tensor<T> h = state<T>(hx, op, "hx"), c = state<T>(cx, op, "cx");
          RnnOutput<T> r;
          {
            py::gil_scoped_release release;
            r = rnn(md, x, h, c, std::span<const Tensor<T>>(w), has_biases, num_layers, dropout, train,
                             bidirectional, batch_first);
          }
          return to_tuple(r);
        });
      },
      py::arg("mode"), py::arg("input"), py::arg("hx"), py::arg("cx"), py::arg("params"), py::arg("has_biases"),
      py::arg("num_layers"), py::arg("dropout"), py::arg("train"), py::arg("bidirectional"), py::arg("batch_first"),
      "(output, h_n, c_n or None) of a multi-layer RNN_TANH / RNN_RELU / LSTM / GRU over a padded input "
      "(T, B, I), (B, T, I) batch_first or (T, I); params are PyTorch's flat weights.");

  m.def(
      "_rnn_packed",
      [](std::string_view mode, const AnyTensor& data, const std::vector<std::int64_t>& batch_sizes,
         const OptTensor& hx, const OptTensor& cx, const std::vector<AnyTensor>& params, bool has_biases,
         std::int64_t num_layers, double dropout, bool train, bool bidirectional) {
        const RnnMode md = mode_from(mode);
        const char* op = rnn_mode_name(md);
        return visit_float(data, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          const auto w = typed<T>(params, op);
          const Tensor<T> h = state<T>(hx, op, "hx"), c = state<T>(cx, op, "cx");
          RnnOutput<T> r;
          {
            py::gil_scoped_release release;
            r = rnn_packed(md, x, batch_sizes, h, c, std::span<const Tensor<T>>(w), has_biases, num_layers,
                                    dropout, train, bidirectional);
          }
          return to_tuple(r);
        });
      },
      py::arg("mode"), py::arg("data"), py::arg("batch_sizes"), py::arg("hx"), py::arg("cx"), py::arg("params"),
      py::arg("has_biases"), py::arg("num_layers"), py::arg("dropout"), py::arg("train"), py::arg("bidirectional"),
      "(output (N, D*H), h_n, c_n or None) of the multi-layer recurrence over packed data (N, I) with its "
      "batch_sizes (sorted order).");

  auto cell = [&m](const char* name, auto fn, const char* doc) {
    m.def(
        name,
        [fn, name](const AnyTensor& input, const AnyTensor& hx, const AnyTensor& w_ih, const AnyTensor& w_hh,
                   const OptTensor& b_ih, const OptTensor& b_hh) {
          return visit_float(input, name, [&](const auto& x) {
            using T = typename std::decay_t<decltype(x)>::value_type;
            const auto w = typed<T>({hx, w_ih, w_hh}, name);
            return AnyTensor(fn(x, w[0], w[1], w[2], optional_arg<T>(b_ih, name, "b_ih"),
                                optional_arg<T>(b_hh, name, "b_hh")));
          });
        },
        py::arg("input"), py::arg("hx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = py::none(),
        py::arg("b_hh") = py::none(), doc);
  };
  cell("_rnn_tanh_cell", [](const auto&... a) { return rnn_tanh_cell(a...); },
       "One Elman step: tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh).");
  cell("_rnn_relu_cell", [](const auto&... a) { return rnn_relu_cell(a...); },
       "One Elman step: relu(input w_ih^T + b_ih + hx w_hh^T + b_hh).");
  cell("_gru_cell", [](const auto&... a) { return gru_cell(a...); }, "One GRU step (gates r, z, n), as torch.gru_cell.");

  m.def(
      "_lstm_cell",
      [](const AnyTensor& input, const AnyTensor& hx, const AnyTensor& cx, const AnyTensor& w_ih,
         const AnyTensor& w_hh, const OptTensor& b_ih, const OptTensor& b_hh) {
        constexpr const char* op = "lstm_cell";
        return visit_float(input, op, [&](const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          const auto w = typed<T>({hx, cx, w_ih, w_hh}, op);
          auto [h, c] = lstm_cell(x, w[0], w[1], w[2], w[3], optional_arg<T>(b_ih, op, "b_ih"),
                                  optional_arg<T>(b_hh, op, "b_hh"));
          return py::make_tuple(AnyTensor(h), AnyTensor(c));
        });
      },
      py::arg("input"), py::arg("hx"), py::arg("cx"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = py::none(),
      py::arg("b_hh") = py::none(), "One LSTM step (gates i, f, g, o): (h', c'), as torch.lstm_cell.");
}

}  // namespace ember::python
