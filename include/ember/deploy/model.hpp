#pragma once
// ember::deploy::load(path): a .ember file (docs/deploy-format.md) as a Model whose forward runs the
// graph for inference, from C++ with no Python. Loading validates the file, dry-runs the graph at
// batch 1 against its declarations and fuses conv/linear chains into oneDNN primitives; forward is
// const and may run on several threads at once.
#include <atomic>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ember/deploy/executor.hpp"
#include "ember/deploy/fusion.hpp"
#include "ember/deploy/graph.hpp"
#include "ember/io/safetensors.hpp"

namespace ember::deploy {

class Model;
/// Loads a .ember file (defined below); compiled only where called: see AnyTensor::to.
template <class = void>
Model load(const std::string& path);

/// A deployed model: immutable after load, cheap to copy (copies share the compiled graph).
class Model {
 public:
  /// The graph inputs' names, in forward's argument order.
  const std::vector<std::string>& input_names() const { return graph_->inputs; }
  /// The graph outputs' names, in the order forward returns them.
  const std::vector<std::string>& output_names() const { return graph_->outputs; }
  /// The declared dtype and shape of input i (dim 0 is the batch dim B).
  const ValueSpec& input_spec(std::size_t i) const { return graph_->values.at(graph_->inputs.at(i)); }
  /// The parsed graph, as stored in the file.
  const Graph& graph() const { return *graph_; }
  /// The number of steps forward runs (graph nodes after fusion).
  std::size_t num_nodes() const { return program_->steps.size(); }
  /// The op of each step after fusion, in order ("conv2d+batch_norm+relu", "max_pool2d", ...).
  std::vector<std::string> ops() const {
    std::vector<std::string> out;
    for (const auto& s : program_->steps) out.push_back(s.spec.op);
    return out;
  }

  /// Runs the graph on inputs (one per input name, batch size from dim 0 of the first) and returns
  /// the outputs. Wrong count, dtype (TypeError) or shape raise "[deploy.forward] ..." naming the
  /// expected shape with B for the batch, e.g. (B, 1, 8, 8).
  template <class = void>  // compiled only where called (it copies values of every dtype): see AnyTensor::to
  std::vector<AnyTensor> forward(const std::vector<AnyTensor>& inputs) const {
    const std::int64_t batch = check_inputs(inputs);
    return detail::run(
        *program_, inputs, batch, elements_per_sample_, detail::workspace_for(id_),
        [](const detail::Step&, const AnyTensor&) {},
        [](const detail::Step& s, const std::exception& e) { rethrow_at(s, e); });
  }

  /// forward for a model with one input and one float32 output.
  template <Element T>
  Tensor<float> forward(const Tensor<T>& x) const {
    EMBER_CHECK(graph_->outputs.size() == 1, "deploy.forward", "the model has ", graph_->outputs.size(),
                " outputs; call forward with a vector of inputs to get them all");
    return forward(std::vector<AnyTensor>{AnyTensor(x)})[0].get<float>("deploy.forward");
  }

 private:
  template <class>
  friend Model load(const std::string& path);

  /// Checks inputs against the declared specs and returns the batch size.
  std::int64_t check_inputs(const std::vector<AnyTensor>& inputs) const {
    constexpr const char* op = "deploy.forward";
    EMBER_CHECK(inputs.size() == graph_->inputs.size(), op, "the model takes ", graph_->inputs.size(),
                " input(s) (", names(), "), got ", inputs.size());
    const std::int64_t batch = inputs[0].defined() && inputs[0].dim() >= 1 ? inputs[0].shape()[0] : 1;
    EMBER_CHECK(batch >= graph_->min_batch, op, "the model needs a batch of at least ", graph_->min_batch,
                " (some of its shapes are B - k), got ", batch);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const ValueSpec& spec = input_spec(i);
      EMBER_CHECK(inputs[i].defined(), op, "input '", graph_->inputs[i], "' is undefined");
      EMBER_CHECK_TYPE(inputs[i].dtype() == spec.dtype, op, "input '", graph_->inputs[i], "' must have dtype ",
                       dtype_name(spec.dtype), ", got ", dtype_name(inputs[i].dtype()));
      EMBER_CHECK_DEVICE(inputs[i].device().is_cpu(), op, "input '", graph_->inputs[i], "' is on ",
                         inputs[i].device(), "; deployed models run on the CPU");
      EMBER_CHECK(inputs[i].shape() == spec.eval(batch), op, "input '", graph_->inputs[i], "' must have shape ",
                  spec.str(), ", got ", inputs[i].shape());
    }
    return batch;
  }

  std::string names() const {
    std::string s;
    for (const auto& n : graph_->inputs) s += (s.empty() ? "'" : ", '") + n + "'";
    return s;
  }

  /// Rethrows an op's error e with the step's node and op in front, keeping its Python class.
  [[noreturn]] static void rethrow_at(const detail::Step& s, const std::exception& e) {
    std::ostringstream os;
    os << "[deploy.forward] node " << s.spec.node << " (" << s.spec.where << "): " << e.what();
    if (dynamic_cast<const TypeError*>(&e)) throw TypeError(os.str());
    if (dynamic_cast<const std::out_of_range*>(&e)) throw std::out_of_range(os.str());
    if (dynamic_cast<const std::invalid_argument*>(&e)) throw std::invalid_argument(os.str());
    throw std::runtime_error(os.str());
  }

  std::string path_;
  std::shared_ptr<const Graph> graph_;
  std::shared_ptr<const detail::Program> program_;
  std::uint64_t id_ = 0;  // names this model's per-thread workspaces
  std::int64_t elements_per_sample_ = 0;  // of all values at batch 1: how much work a forward is
};

/// Loads a .ember file. A truncated or corrupt file, malformed metadata or graph, a newer format
/// version, an unknown op, a dangling name, a stored tensor that differs from its declaration, or
/// weights that do not fit the architecture raise io::FormatError naming the file (and the node).
template <class>
Model load(const std::string& path) {
  io::SafeTensors file = io::load_safetensors(path);
  auto graph = std::make_shared<const Graph>(parse_graph(file.metadata, path));
  const Graph& g = *graph;  // outlives the move of `graph` into the model below
  check_tensors(g, file, path);
  // Every failure from here on is the file's fault too: it names the file, whatever raised it.
  try {
    std::map<std::string, AnyTensor> constants;
    for (auto& [name, t] : file.tensors)
      if (g.tensors.count(name)) constants.emplace(name, std::move(t));

    // Dry run at batch 1 with zeros, node by node, checking each value against its declaration.
    std::vector<AnyTensor> zeros;
    for (const auto& name : g.inputs) {
      const ValueSpec& spec = g.values.at(name);
      zeros.push_back(dispatch_dtype(spec.dtype, [&](auto tag) {
        return AnyTensor(Tensor<decltype(tag)>::empty(spec.eval(1)).zero_());
      }));
    }
    auto check = [&](const detail::Step& s, const AnyTensor& v) {
      const ValueSpec& spec = g.values.at(s.spec.output);
      EMBER_CHECK(v.dtype() == spec.dtype && v.shape() == spec.eval(1), "deploy.load", "the output '", s.spec.output,
                  "' is ", dtype_name(v.dtype()), " ", v.shape(), " at batch 1, but the graph declares ",
                  dtype_name(spec.dtype), " ", spec.str());
    };
    auto fail_at = [&](const detail::Step& s, const std::exception& e) {
      detail::bad_graph(path, "node ", s.spec.node, " (", s.spec.where, "): ", e.what());
    };
    detail::Workspace scratch;
    const auto reference = detail::compile(detail::plan(g, constants, false, path), g.inputs, g.outputs, constants);
    detail::run(reference, zeros, 1, 0, scratch, check, fail_at);

    static std::atomic<std::uint64_t> next_id{1};
    Model m;
    m.path_ = path;
    m.program_ = std::make_shared<const detail::Program>(
        detail::compile(detail::plan(g, constants, true, path), g.inputs, g.outputs, constants));
    m.graph_ = std::move(graph);
    m.id_ = next_id.fetch_add(1);
    for (const auto& x : zeros) m.elements_per_sample_ += x.numel();
    for (const auto& s : m.program_->steps) m.elements_per_sample_ += numel_of(g.values.at(s.spec.output).eval(1));
    // The fused chains must agree too; this also creates their batch-1 primitives for the threads
    // forward will run them with.
    detail::run(*m.program_, zeros, 1, m.elements_per_sample_, scratch, check, fail_at);
    return m;
  } catch (const io::FormatError&) {
    throw;
  } catch (const std::exception& e) {
    detail::bad_graph(path, e.what());
  }
}

}  // namespace ember::deploy
