"""The recurrent layers export: nn.RNN / LSTM / GRU (multi-layer, bidirectional, batch_first, with and without
initial states, every output) and the cells give the Python model's outputs from the .ember file (through
ember.deploy.load and a C++ program) and from ONNX (onnxruntime), at the example's batch size and another;
packed sequences and dropout in training mode are refused."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import _core, nn
from ember.deploy import ExportError

try:  # optional: without them the ONNX half of each check is left out, the .ember half still runs
    import ember.onnx as ember_onnx
    import onnxruntime as ort
except ImportError:
    ember_onnx = ort = None

ROOT = Path(__file__).resolve().parents[2]

# A program that runs a deployed model on the tensors of a safetensors file named as its inputs and writes
# every output (output0, output1, ...): the C++ runtime, no Python.
_MAIN = r"""
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <ember/ember.hpp>

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  try {
    const ember::deploy::Model model = ember::deploy::load(argv[1]);
    const ember::io::SafeTensors data = ember::io::load_safetensors(argv[2]);
    std::vector<ember::AnyTensor> inputs;
    for (const auto& name : model.input_names()) inputs.push_back(data.at(name));
    const std::vector<ember::AnyTensor> outputs = model.forward(inputs);
    std::vector<std::pair<std::string, ember::AnyTensor>> named;
    for (std::size_t i = 0; i < outputs.size(); ++i) named.emplace_back("output" + std::to_string(i), outputs[i]);
    ember::io::save_safetensors(argv[3], named, {});
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
"""
_CMAKE = """cmake_minimum_required(VERSION 3.21)
project(ember_deploy_rnn LANGUAGES CXX)
find_package(ember CONFIG REQUIRED)
add_executable(deploy_rnn main.cpp)
target_link_libraries(deploy_rnn PRIVATE ember::ember)
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """The C++ program: built on the installed CMake package, or (in a source tree without one) with g++ on
    the tree's headers and the venv's oneDNN."""
    src = tmp_path_factory.mktemp("deploy_rnn")
    (src / "main.cpp").write_text(_MAIN)
    try:
        ember.get_cmake_dir()
    except FileNotFoundError:
        venv = Path(sys.executable).parent.parent
        if not (venv / "include" / "dnnl.hpp").exists() or not (ROOT / "include" / "ember" / "ember.hpp").exists():
            pytest.skip("neither ember's CMake package nor a source tree with oneDNN in the venv")
        exe = src / "deploy_rnn"
        cmd = ["g++", "-std=c++20", "-O1", f"-I{ROOT / 'include'}", f"-I{venv / 'include'}", "-I/usr/include/eigen3",
               str(src / "main.cpp"), f"-L{venv / 'lib'}", "-ldnnl", f"-Wl,-rpath,{venv / 'lib'}", "-fopenmp",
               "-o", str(exe)]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1800)
        return exe
    from _cpp_examples import build_example

    (src / "CMakeLists.txt").write_text(_CMAKE)
    return build_example(src, src / "build") / "deploy_rnn"


def _flat(result) -> list:
    """A model's outputs as one list (an LSTM returns (output, (h_n, c_n)))."""
    if isinstance(result, (tuple, list)):
        return [x for r in result for x in _flat(r)]
    return [result]


def _assert_close(got, want):
    """Within 1e-5 relative, the output's largest magnitude the scale for entries near zero."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * max(float(np.max(np.abs(want), initial=0)), 1e-3))


def _want(model, inputs):
    with ember.no_grad():
        return [w.numpy() for w in _flat(model(*inputs))]


def _run_cpp(program, path, inputs, names, tmp_path):
    data, out = tmp_path / "data.safetensors", tmp_path / "out.safetensors"
    ember.save(dict(zip(names, inputs)), data)
    run = subprocess.run([str(program), str(path), str(data), str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    got = ember.load(out)
    return [got[f"output{i}"].numpy() for i in range(len(got))]


def _check_all(model, make, tmp_path, program=None, batches=(3, 5), dynamic=True, onnx=True, nest=tuple):
    """Exports ``model`` on make(batches[0]) to .ember and ONNX; the deploy runtime (Python and, given the
    program, C++) and onnxruntime (where installed) give the model's outputs at every batch size (only the
    first when not ``dynamic``). ``make(b)`` returns the graph's inputs with dim 0 of the first of size b,
    ``nest(inputs)`` the model's arguments made of them (nested tuples)."""
    model.eval()
    example = nest(make(batches[0]))
    path = tmp_path / "model.ember"
    graph = ember.deploy.export(model, example, path, dynamic_batch=dynamic)
    deployed = ember.deploy.load(path)
    session = None
    if onnx and ort is not None:
        ember_onnx.export(graph, example, tmp_path / "model.onnx", dynamic_batch=dynamic)
        session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    for b in batches if dynamic else batches[:1]:
        inputs = make(b)
        want = _want(model, nest(inputs))
        got = deployed(*inputs)
        got = [g.numpy() for g in (got if isinstance(got, (tuple, list)) else [got])]
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_close(g, w)
        if program is not None:
            for g, w in zip(_run_cpp(program, path, inputs, graph.inputs, tmp_path), want):
                _assert_close(g, w)
        if session is not None:
            feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
            for g, w in zip(session.run(None, feeds), want):
                _assert_close(g, w)
    return graph


def _seq(n=4, i=6, seed=0):
    """make(b): one input (b, n, i): (B, T, I) for a batch_first layer, (T, B, I) otherwise, whose sequence
    length is then what the graph leaves free."""
    def make(b):
        ember.manual_seed(seed + b)
        return (ember.randn(b, n, i),)
    return make


class WithState(nn.Module):
    """layer(x, h0) or layer(x, (h0, c0)), the states model inputs. With batch_first they come as (B, L*D, H)
    and are transposed here, so that dim 0 of every input is the batch."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, h0, c0=None):
        if self.layer.batch_first:
            h0 = h0.transpose(0, 1)
            c0 = c0.transpose(0, 1) if c0 is not None else None
        return self.layer(x, (h0, c0) if c0 is not None else h0)


def _with_state(layer, t=4, i=6):
    d = (2 if layer.bidirectional else 1) * layer.num_layers
    h, lstm, bf = layer.hidden_size, isinstance(layer, nn.LSTM), layer.batch_first

    def make(b):  # b is the batch (batch_first) or the sequence length
        ember.manual_seed(100 + b)
        x = ember.randn(b, t, i)
        states = [ember.randn(b, d, h) if bf else ember.randn(d, t, h) for _ in range(2 if lstm else 1)]
        return (x, *states)
    return WithState(layer), make


class ZeroState(nn.Module):
    """An initial state of zeros made in forward, as model code often does (shape from the input's batch)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        d = (2 if self.layer.bidirectional else 1) * self.layer.num_layers
        h0 = ember.zeros(d, x.shape[0], self.layer.hidden_size)
        if isinstance(self.layer, nn.LSTM):
            return self.layer(x, (h0, ember.zeros(d, x.shape[0], self.layer.hidden_size)))
        return self.layer(x, h0)


LAYERS = {
    "rnn_tanh": lambda **kw: nn.RNN(6, 5, **kw),
    "rnn_relu": lambda **kw: nn.RNN(6, 5, nonlinearity="relu", **kw),
    "lstm": lambda **kw: nn.LSTM(6, 5, **kw),
    "gru": lambda **kw: nn.GRU(6, 5, **kw),
}
OPTIONS = {
    "1layer": {},
    "2layers_bidirectional": {"num_layers": 2, "bidirectional": True},
    "2layers_batch_first": {"num_layers": 2, "batch_first": True},
    "bidirectional_batch_first_nobias": {"bidirectional": True, "batch_first": True, "bias": False},
}


@pytest.mark.parametrize("options", list(OPTIONS), ids=list(OPTIONS))
@pytest.mark.parametrize("kind", list(LAYERS), ids=list(LAYERS))
def test_layer_without_states(kind, options, tmp_path, program):
    ember.manual_seed(1)
    layer = LAYERS[kind](**OPTIONS[options])
    graph = _check_all(layer, _seq(), tmp_path, program)
    assert [n.op for n in graph.nodes].count("rnn") == 1
    # dim 0 of the input (the batch, or the sequence length when not batch_first) stays free
    assert isinstance(graph.values[graph.outputs[0]].shape[0], dict)


@pytest.mark.parametrize("options", ["1layer", "2layers_bidirectional", "2layers_batch_first"])
@pytest.mark.parametrize("kind", list(LAYERS), ids=list(LAYERS))
def test_layer_with_states(kind, options, tmp_path, program):
    ember.manual_seed(2)
    model, make = _with_state(LAYERS[kind](**OPTIONS[options]), t=3)
    _check_all(model, make, tmp_path, program)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_zero_state_made_in_forward_is_not_a_constant(kind, tmp_path):
    ember.manual_seed(3)
    model = ZeroState(LAYERS[kind](num_layers=2, batch_first=True))
    graph = _check_all(model, _seq(), tmp_path)
    rnn = next(n for n in graph.nodes if n.op == "rnn")
    assert rnn.inputs[1] is None and rnn.inputs[2] is None
    assert not any(name.startswith("const.") for name in graph.tensors)


@pytest.mark.parametrize("kind", list(LAYERS), ids=list(LAYERS))
def test_unbatched_sequence(kind, tmp_path, program):
    ember.manual_seed(4)
    layer = LAYERS[kind](bidirectional=True)

    def make(t):  # (T, I): dim 0 is the sequence, which stays free
        ember.manual_seed(t)
        return (ember.randn(t, 6),)
    _check_all(layer, make, tmp_path, program, batches=(4, 7))


def test_float64_layer(tmp_path, program):
    ember.manual_seed(5)
    layer = nn.LSTM(6, 5, num_layers=2, bidirectional=True, dtype=ember.float64)

    def make(b):
        ember.manual_seed(b)
        return (ember.randn(b, 3, 6, dtype=ember.float64),)
    # onnxruntime's RNN kernels are float32 only
    _check_all(layer, make, tmp_path, program, onnx=False)


CELLS = {
    "rnn_tanh_cell": lambda: nn.RNNCell(6, 5),
    "rnn_relu_cell": lambda: nn.RNNCell(6, 5, nonlinearity="relu"),
    "lstm_cell": lambda: nn.LSTMCell(6, 5),
    "gru_cell": lambda: nn.GRUCell(6, 5),
    "gru_cell_nobias": lambda: nn.GRUCell(6, 5, bias=False),
}


class CellWithState(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, h, c=None):
        return self.cell(x, (h, c) if c is not None else h)


@pytest.mark.parametrize("kind", list(CELLS), ids=list(CELLS))
def test_cell(kind, tmp_path, program):
    ember.manual_seed(6)
    cell = CELLS[kind]()

    def make(b):
        ember.manual_seed(b)
        return (ember.randn(b, 6),)
    graph = _check_all(cell, make, tmp_path, program)
    assert graph.nodes[0].op == kind.replace("_nobias", "")

    lstm = isinstance(cell, nn.LSTMCell)

    def make_state(b):
        ember.manual_seed(10 + b)
        return (ember.randn(b, 6), *(ember.randn(b, 5) for _ in range(2 if lstm else 1)))
    (tmp_path / "state").mkdir()
    _check_all(CellWithState(cell), make_state, tmp_path / "state", program)


@pytest.mark.parametrize("kind", ["rnn_tanh_cell", "lstm_cell", "gru_cell"])
def test_unbatched_cell(kind, tmp_path):
    ember.manual_seed(7)
    _check_all(CELLS[kind](), lambda b: (ember.randn(6),), tmp_path, dynamic=False)


class Unrolled(nn.Module):
    """An LSTMCell stepped over the sequence in Python: the loop unrolls into one lstm_cell node per step."""

    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(6, 5)
        self.head = nn.Linear(5, 2)

    def forward(self, x):  # x (T, B, I)
        state = None
        for t in range(x.shape[0]):
            state = self.cell(x[t], state)
        return self.head(state[0])


def test_cell_unrolled_over_a_sequence(tmp_path, program):
    ember.manual_seed(8)
    graph = _check_all(Unrolled(), lambda b: (ember.randn(4, b, 6),), tmp_path, program, batches=(2, 5),
                       dynamic=False)
    assert [n.op for n in graph.nodes].count("lstm_cell") == 4


# --- whole models, trained a few steps ---


class LanguageModel(nn.Module):
    """Embedding -> 2-layer LSTM -> Linear over the vocabulary, returning the logits and the final state."""

    def __init__(self, vocab=20, embed=8, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=2, dropout=0.2, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        out, (h, c) = self.lstm(self.drop(self.embed(tokens)))
        return self.head(self.drop(out)), h, c


class GruClassifier(nn.Module):
    """A bidirectional GRU over (B, T, I) whose final states classify the sequence."""

    def __init__(self, features=6, hidden=8, classes=3):
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        _, h = self.gru(x)
        return self.head(ember.cat([h[-2], h[-1]], 1))


def _train(model, make_batch, loss_fn, steps=5):
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(steps):
        x, y = make_batch(step)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    model.eval()


def test_lstm_language_model(tmp_path, program):
    ember.manual_seed(9)
    model = LanguageModel()
    vocab = 20

    def tokens(b, seed):
        return ember.from_numpy(np.random.default_rng(seed).integers(0, vocab, (b, 7)))

    def batch(step):
        t = np.random.default_rng(step).integers(0, vocab, (4, 8))
        return ember.from_numpy(t[:, :-1].copy()), ember.from_numpy(t[:, 1:].copy())
    _train(model, batch, lambda out, y: nn.functional.cross_entropy(out[0].reshape(-1, vocab), y.reshape(-1)))
    graph = _check_all(model, lambda b: (tokens(b, 100 + b),), tmp_path, program, batches=(4, 6))
    assert [n.op for n in graph.nodes][:2] == ["embedding", "rnn"]


def test_gru_classifier(tmp_path, program):
    ember.manual_seed(10)
    model = GruClassifier()
    rng = np.random.default_rng(0)

    def batch(step):
        x = rng.standard_normal((8, 5, 6)).astype(np.float32)
        return ember.from_numpy(x), ember.from_numpy((x.sum((1, 2)) > 0).astype(np.int64) + (x[:, 0, 0] > 1))
    _train(model, batch, nn.functional.cross_entropy)
    _check_all(model, lambda b: (ember.from_numpy(rng.standard_normal((b, 5, 6)).astype(np.float32)),), tmp_path,
               program, batches=(8, 3))


class WordLanguageModel(nn.Module):
    """PyTorch's examples/word_language_model RNNModel (LSTM): forward(input, hidden) on (T, B) tokens, the
    hidden state carried from batch to batch as a model input."""

    def __init__(self, ntoken=20, ninp=8, nhid=16, nlayers=2):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden


def test_word_language_model_with_its_hidden_state(tmp_path, program):
    ember.manual_seed(11)

    def make(t):  # t steps of a batch of 3; dim 0 (the sequence length) stays free
        tokens = ember.from_numpy(np.random.default_rng(t).integers(0, 20, (t, 3)))
        return tokens, ember.randn(2, 3, 16), ember.randn(2, 3, 16)
    graph = _check_all(WordLanguageModel(), make, tmp_path, program, batches=(5, 9),
                       nest=lambda x: (x[0], (x[1], x[2])))
    assert graph.inputs == ["input0", "input1", "input2"] and len(graph.outputs) == 3


# --- what cannot be exported ---


class Packed(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 5, batch_first=True)

    def forward(self, x):
        packed = nn.utils.rnn.pack_padded_sequence(x, [4] * x.shape[0], batch_first=True)
        out, _ = self.lstm(packed)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0]


def test_packed_sequences_are_refused():
    with pytest.raises(ExportError, match=r"packed sequences .* cannot be exported"):
        ember.deploy.trace(Packed(), ember.randn(2, 4, 6))


class TrainingDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 5, num_layers=2, dropout=0.5)

    def forward(self, x):
        self.gru.train()  # forced back into training mode: its dropout would be random
        return self.gru(x)[0]


def test_dropout_in_training_mode_is_refused():
    with pytest.raises(ExportError, match=r"GRU with dropout=0.5 in training mode cannot be exported.*module 'gru'"):
        ember.deploy.trace(TrainingDropout(), ember.randn(4, 2, 6))


def test_dropout_in_evaluation_mode_exports(tmp_path):
    model = nn.LSTM(6, 5, num_layers=2, dropout=0.5)
    _check_all(model, _seq(), tmp_path, onnx=False)


@pytest.mark.parametrize("change, error", [
    ({"num_layers": 2}, r"\[rnn\] expected 11 inputs \(input, h0\?, c0\? and the 8 weights of 2 layer\(s\)\), got 7"),
    ({"mode": "LTSM"}, r"\[rnn\] attribute 'mode' must be \"RNN_TANH\", \"RNN_RELU\", \"LSTM\" or \"GRU\""),
    ({"mode": "LSTM"}, r"node 0 \(rnn at the root\): .*\[LSTM\] layer 0: weights of shapes \(15, 6\) and \(15, 5\)"),
])
def test_malformed_rnn_node_is_refused_at_load(tmp_path, change, error):
    graph = ember.deploy.trace(nn.GRU(6, 5), ember.randn(4, 2, 6))
    doc = json.loads(graph.to_json())
    doc["nodes"][0]["attrs"].update(change)
    meta = {"ember.format": "ember.deploy", "ember.format_version": "1", "ember.graph": json.dumps(doc)}
    path = tmp_path / "bad.ember"
    _core._save_safetensors(str(path), list(graph.tensors.items()), meta)
    with pytest.raises(ember.CheckpointError, match=error):
        ember.deploy.load(path)
