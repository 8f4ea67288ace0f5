#pragma once
// The graph of a .ember file (docs/deploy-format.md): parsed from the "ember.graph" JSON and checked
// for structure (names, dtypes, dim expressions) before anything runs. Errors are FormatError
// "[deploy.load] <path>: ...".
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ember/core/dtype.hpp"
#include "ember/core/shape.hpp"
#include "ember/io/safetensors.hpp"

namespace ember::deploy {

/// The newest format version this loader reads.
inline constexpr int kFormatVersion = 1;

/// A dimension `batch * B + add`, where B is dim 0 of the first input (batch 0: a plain integer).
struct DimExpr {
  std::int64_t batch = 0;
  std::int64_t add = 0;

  /// The value for batch size b.
  std::int64_t eval(std::int64_t b) const { return batch * b + add; }
};

/// The dtype and shape (dim expressions) of a graph value or a stored tensor.
struct ValueSpec {
  DType dtype = DType::Float32;
  std::vector<DimExpr> shape;

  /// The shape for batch size b.
  Shape eval(std::int64_t b) const {
    Shape s(shape.size());
    for (std::size_t i = 0; i < shape.size(); ++i) s[i] = shape[i].eval(b);
    return s;
  }
  /// The shape as text, with B for the batch: "(B, 1, 8, 8)", "(2*B+1, 4)".
  std::string str() const {
    std::ostringstream os;
    os << '(';
    for (std::size_t i = 0; i < shape.size(); ++i) {
      const DimExpr& d = shape[i];
      if (i) os << ", ";
      if (d.batch == 0) os << d.add;
      else {
        if (d.batch != 1) os << d.batch << '*';
        os << 'B';
        if (d.add > 0) os << '+' << d.add;
        if (d.add < 0) os << d.add;
      }
    }
    if (shape.size() == 1) os << ',';
    os << ')';
    return os.str();
  }
};

/// One op application: inputs are value or tensor names (nullopt for an absent optional input).
struct Node {
  std::string op;
  std::vector<std::optional<std::string>> inputs;
  std::vector<std::string> outputs;
  nlohmann::json attrs;
  std::string scope;

  /// "conv2d in 'features.0'" (or "conv2d at the root"), for error messages.
  std::string where() const { return op + (scope.empty() ? std::string(" at the root") : " in '" + scope + "'"); }
};

/// The whole graph: inputs, outputs, value and tensor declarations, nodes in execution order.
struct Graph {
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, ValueSpec> values;
  std::map<std::string, ValueSpec> tensors;
  std::vector<Node> nodes;
};

namespace detail {

/// Throws FormatError "[deploy.load] <path>: <args>".
template <class... Args>
[[noreturn]] void bad_graph(const std::string& path, const Args&... args) {
  ::ember::detail::fail<io::FormatError>("deploy.load", path, ": ", args...);
}

/// The DType called name ("float32", ...), if there is one.
inline std::optional<DType> dtype_from_name(std::string_view name) {
  for (DType d : {DType::Bool, DType::UInt8, DType::Int32, DType::Int64, DType::Float32, DType::Float64})
    if (dtype_name(d) == name) return d;
  return std::nullopt;
}

/// Parses a dim expression: an integer or {"batch": a, "add": c}; nullopt when j is neither.
template <class = void>  // compiled only where called: see AnyTensor::to
std::optional<DimExpr> parse_dim(const nlohmann::json& j) {
  if (j.is_number_integer()) return DimExpr{0, j.get<std::int64_t>()};
  if (j.is_object() && j.size() == 2 && j.contains("batch") && j.contains("add") && j["batch"].is_number_integer() &&
      j["add"].is_number_integer())
    return DimExpr{j["batch"].get<std::int64_t>(), j["add"].get<std::int64_t>()};
  return std::nullopt;
}

/// Parses {"dtype": ..., "shape": [...]} declared under `what`.
template <class = void>  // compiled only where called: see AnyTensor::to
ValueSpec parse_spec(const nlohmann::json& j, const std::string& what, const std::string& path) {
  if (!j.is_object() || !j.contains("dtype") || !j.contains("shape") || !j["dtype"].is_string() ||
      !j["shape"].is_array())
    bad_graph(path, what, " must be {\"dtype\": ..., \"shape\": [...]}, got ", j.dump());
  ValueSpec s;
  const auto d = dtype_from_name(j["dtype"].get<std::string>());
  if (!d) bad_graph(path, what, " has unknown dtype '", j["dtype"].get<std::string>(), "'");
  s.dtype = *d;
  for (const auto& e : j["shape"]) {
    const auto dim = parse_dim(e);
    if (!dim) bad_graph(path, what, " has a malformed dimension ", e.dump(), " (an integer or {\"batch\": a, \"add\": c})");
    s.shape.push_back(*dim);
  }
  return s;
}

/// A list of strings at key in j.
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<std::string> parse_names(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || !j[key].is_array()) bad_graph(path, "graph has no list \"", key, "\"");
  std::vector<std::string> names;
  for (const auto& e : j[key]) {
    if (!e.is_string()) bad_graph(path, "graph \"", key, "\" holds a non-string ", e.dump());
    names.push_back(e.get<std::string>());
  }
  return names;
}

/// Parses node number i.
template <class = void>  // compiled only where called: see AnyTensor::to
Node parse_node(const nlohmann::json& j, std::size_t i, const std::string& path) {
  if (!j.is_object() || !j.contains("op") || !j["op"].is_string())
    bad_graph(path, "node ", i, " has no \"op\" string: ", j.dump().substr(0, 200));
  Node n;
  n.op = j["op"].get<std::string>();
  if (j.contains("scope")) {
    if (!j["scope"].is_string()) bad_graph(path, "node ", i, " (", n.op, ") has a non-string scope");
    n.scope = j["scope"].get<std::string>();
  }
  if (!j.contains("inputs") || !j["inputs"].is_array())
    bad_graph(path, "node ", i, " (", n.where(), ") has no list \"inputs\"");
  for (const auto& e : j["inputs"]) {
    if (e.is_null()) n.inputs.emplace_back(std::nullopt);
    else if (e.is_string()) n.inputs.emplace_back(e.get<std::string>());
    else bad_graph(path, "node ", i, " (", n.where(), ") has an input that is neither a name nor null: ", e.dump());
  }
  if (!j.contains("outputs") || !j["outputs"].is_array() || j["outputs"].size() != 1 || !j["outputs"][0].is_string())
    bad_graph(path, "node ", i, " (", n.where(), ") must have exactly one output name");
  n.outputs.push_back(j["outputs"][0].get<std::string>());
  n.attrs = j.contains("attrs") ? j["attrs"] : nlohmann::json::object();
  if (!n.attrs.is_object()) bad_graph(path, "node ", i, " (", n.where(), ") has \"attrs\" that is not an object");
  return n;
}

}  // namespace detail

/// Parses and checks the metadata of a .ember file: format name, version and the graph JSON.
/// Names must resolve: every node input is a graph input, an earlier node's output or a declared
/// tensor; every value has a declaration.
template <class = void>  // compiled only where called: see AnyTensor::to
Graph parse_graph(const std::map<std::string, std::string>& metadata, const std::string& path) {
  using detail::bad_graph;
  const auto format = metadata.find("ember.format");
  if (format == metadata.end() || format->second != "ember.deploy")
    bad_graph(path, "not an ember deploy file: metadata \"ember.format\" is ",
              format == metadata.end() ? std::string("missing") : "'" + format->second + "'",
              ", expected 'ember.deploy'");
  const auto version = metadata.find("ember.format_version");
  if (version == metadata.end()) bad_graph(path, "metadata \"ember.format_version\" is missing");
  int v = 0;
  try {
    std::size_t used = 0;
    v = std::stoi(version->second, &used);
    if (used != version->second.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    bad_graph(path, "metadata \"ember.format_version\" is not an integer: '", version->second, "'");
  }
  if (v > kFormatVersion)
    bad_graph(path, "written by a newer ember: format version ", v, ", this loader reads up to ", kFormatVersion);
  if (v < 1) bad_graph(path, "invalid format version ", v);
  const auto text = metadata.find("ember.graph");
  if (text == metadata.end()) bad_graph(path, "metadata \"ember.graph\" is missing");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text->second);
  } catch (const nlohmann::json::exception& e) {
    bad_graph(path, "\"ember.graph\" is not valid JSON: ", e.what());
  }
  if (!j.is_object()) bad_graph(path, "\"ember.graph\" is not a JSON object");

  Graph g;
  g.inputs = detail::parse_names(j, "inputs", path);
  g.outputs = detail::parse_names(j, "outputs", path);
  if (g.inputs.empty()) bad_graph(path, "graph has no inputs");
  if (g.outputs.empty()) bad_graph(path, "graph has no outputs");
  for (const char* key : {"values", "tensors"}) {
    if (!j.contains(key) || !j[key].is_object()) bad_graph(path, "graph has no object \"", key, "\"");
    auto& into = std::string_view(key) == "values" ? g.values : g.tensors;
    for (const auto& [name, spec] : j[key].items())
      into.emplace(name, detail::parse_spec(spec, std::string(key) + " '" + name + "'", path));
  }
  if (!j.contains("nodes") || !j["nodes"].is_array()) bad_graph(path, "graph has no list \"nodes\"");
  for (std::size_t i = 0; i < j["nodes"].size(); ++i) g.nodes.push_back(detail::parse_node(j["nodes"][i], i, path));

  // Names resolve in execution order.
  std::map<std::string, bool> defined;  // value name -> true
  for (const auto& name : g.inputs) {
    if (!g.values.count(name)) bad_graph(path, "graph input '", name, "' has no entry in \"values\"");
    defined[name] = true;
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (const auto& in : n.inputs)
      if (in && !defined.count(*in) && !g.tensors.count(*in))
        bad_graph(path, "node ", i, " (", n.where(), "): input '", *in, "' names no graph input, earlier node output or tensor");
    for (const auto& out : n.outputs) {
      if (defined.count(out) || g.tensors.count(out))
        bad_graph(path, "node ", i, " (", n.where(), "): output '", out, "' is defined twice");
      if (!g.values.count(out)) bad_graph(path, "node ", i, " (", n.where(), "): output '", out, "' has no entry in \"values\"");
      defined[out] = true;
    }
  }
  for (const auto& name : g.outputs)
    if (!defined.count(name) && !g.tensors.count(name))
      bad_graph(path, "graph output '", name, "' is not produced by any node");
  return g;
}

/// Checks each stored tensor against its declaration in the graph (dtype and shape), and that every
/// declared tensor is stored.
template <class = void>  // compiled only where called: see AnyTensor::to
void check_tensors(const Graph& g, const io::SafeTensors& file, const std::string& path) {
  for (const auto& [name, spec] : g.tensors) {
    if (!file.contains(name)) detail::bad_graph(path, "tensor '", name, "' is declared by the graph but not stored");
    const AnyTensor& t = file.at(name);
    const Shape declared = spec.eval(0);
    for (const auto& d : spec.shape)
      if (d.batch != 0) detail::bad_graph(path, "tensor '", name, "' has a batch-dependent declared shape ", spec.str());
    if (t.dtype() != spec.dtype || t.shape() != declared)
      detail::bad_graph(path, "tensor '", name, "' is stored as ", dtype_name(t.dtype()), " ", t.shape(),
                        " but the graph declares ", dtype_name(spec.dtype), " ", declared);
  }
}

}  // namespace ember::deploy
