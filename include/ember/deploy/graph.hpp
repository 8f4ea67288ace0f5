#pragma once
// The graph of a .ember file (docs/deploy-format.md): parsed from the "ember.graph" JSON and checked
// for structure (names, dtypes, dim expressions) before anything runs. Errors are FormatError
// "[deploy.load] <path>: ...".
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ember/core/dtype.hpp"
#include "ember/core/shape.hpp"
#include "ember/io/json.hpp"
#include "ember/io/safetensors.hpp"
#include "ember/version.hpp"

namespace ember::deploy {

/// The newest format version this loader reads.
inline constexpr int kFormatVersion = 2;

/// The format version that introduced op: 2 for the int8 ops of ember.quantization, 1 for the rest. A file
/// declares the largest over its nodes (ember.deploy.export writes that), so that older embers still read
/// every file that does not need what they lack.
inline int format_version_of_op(std::string_view op) { return op.starts_with("quantized_") ? 2 : 1; }

/// A dimension `batch * B + add`, where B is dim 0 of the first input (batch 0: a plain integer).
struct DimExpr {
  std::int64_t batch = 0;
  std::int64_t add = 0;

  /// The value for batch size b; ValueError when it overflows int64.
  std::int64_t eval(std::int64_t b) const {
    std::int64_t r = 0;
    EMBER_CHECK(!__builtin_mul_overflow(batch, b, &r) && !__builtin_add_overflow(r, add, &r), "deploy",
                "the dimension ", batch, "*B + ", add, " overflows int64 at batch size B = ", b);
    return r;
  }
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
  /// The "attrs" object, or null when the node has none. It points into the parsed graph's JSON
  /// document, which it keeps alive: a Node copies cheaply.
  std::shared_ptr<const io::JsonValue> attrs;
  std::string scope;

  /// The attribute called name, or nullptr.
  template <class = void>  // compiled only where called: see AnyTensor::to
  const io::JsonValue* attr(const char* name) const {
    return attrs ? io::detail::json_member(*attrs, name) : nullptr;
  }

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
  /// The smallest batch size at which every declared dimension is non-negative.
  std::int64_t min_batch = 0;
};

/// The most elements the graph's values may declare at batch 1, all together: the loader's dry run
/// computes every value, so a hostile file could otherwise make it allocate without bound (4 GiB of
/// float32; real models need far less at batch 1).
inline constexpr std::int64_t kMaxValueElements = std::int64_t{1} << 30;

namespace detail {

/// Throws FormatError "[deploy.load] <path>: <args>".
template <class... Args>
[[noreturn]] void bad_graph(const std::string& path, const Args&... args) {
  ::ember::detail::fail<io::FormatError>("deploy.load", path, ": ", args...);
}

/// The DType called name ("float32", ...), if there is one.
inline std::optional<DType> dtype_from_name(std::string_view name) {
  for (DType d : {DType::Bool, DType::UInt8, DType::Int8, DType::Int32, DType::Int64, DType::Float32, DType::Float64})
    if (dtype_name(d) == name) return d;
  return std::nullopt;
}

/// Throws FormatError when object j repeats a key (RapidJSON keeps both; other readers keep one).
template <class = void>  // compiled only where called: see AnyTensor::to
void check_unique_keys(const io::JsonValue& j, const std::string& what, const std::string& path) {
  if (const auto twice = io::detail::json_repeated_key(j)) bad_graph(path, what, " has \"", *twice, "\" twice");
}

/// Parses a dim expression: an integer or {"batch": a, "add": c}; nullopt when j is neither.
template <class = void>  // compiled only where called: see AnyTensor::to
std::optional<DimExpr> parse_dim(const io::JsonValue& j) {
  using io::detail::json_member;
  if (j.IsInt64()) return DimExpr{0, j.GetInt64()};
  if (!j.IsObject() || j.MemberCount() != 2) return std::nullopt;
  const auto* batch = json_member(j, "batch");
  const auto* add = json_member(j, "add");
  if (batch && add && batch->IsInt64() && add->IsInt64()) return DimExpr{batch->GetInt64(), add->GetInt64()};
  return std::nullopt;
}

/// Parses {"dtype": ..., "shape": [...]} declared under `what`.
template <class = void>  // compiled only where called: see AnyTensor::to
ValueSpec parse_spec(const io::JsonValue& j, const std::string& what, const std::string& path) {
  using io::detail::json_member, io::detail::json_string, io::detail::json_text;
  const auto* dtype = j.IsObject() ? json_member(j, "dtype") : nullptr;
  const auto* shape = j.IsObject() ? json_member(j, "shape") : nullptr;
  if (!dtype || !shape || !dtype->IsString() || !shape->IsArray())
    bad_graph(path, what, " must be {\"dtype\": ..., \"shape\": [...]}, got ", json_text(j));
  check_unique_keys(j, what, path);
  ValueSpec s;
  const auto d = dtype_from_name(json_string(*dtype));
  if (!d) bad_graph(path, what, " has unknown dtype '", json_string(*dtype), "'");
  s.dtype = *d;
  for (const auto& e : shape->GetArray()) {
    const auto dim = parse_dim(e);
    if (!dim)
      bad_graph(path, what, " has a malformed dimension ", json_text(e), " (an integer or {\"batch\": a, \"add\": c})");
    s.shape.push_back(*dim);
  }
  return s;
}

/// A list of strings at key in j.
template <class = void>  // compiled only where called: see AnyTensor::to
std::vector<std::string> parse_names(const io::JsonValue& j, const char* key, const std::string& path) {
  const auto* list = io::detail::json_member(j, key);
  if (!list || !list->IsArray()) bad_graph(path, "graph has no list \"", key, "\"");
  std::vector<std::string> names;
  for (const auto& e : list->GetArray()) {
    if (!e.IsString()) bad_graph(path, "graph \"", key, "\" holds a non-string ", io::detail::json_text(e));
    names.push_back(io::detail::json_string(e));
  }
  return names;
}

/// Parses node number i of the graph document doc.
template <class = void>  // compiled only where called: see AnyTensor::to
Node parse_node(const io::JsonValue& j, std::size_t i, const std::shared_ptr<const rapidjson::Document>& doc,
                const std::string& path) {
  using io::detail::json_member, io::detail::json_string;
  const auto* op = j.IsObject() ? json_member(j, "op") : nullptr;
  if (!op || !op->IsString()) bad_graph(path, "node ", i, " has no \"op\" string: ", io::detail::json_text(j));
  Node n;
  n.op = json_string(*op);
  check_unique_keys(j, "node " + std::to_string(i) + " (" + n.op + ")", path);
  if (const auto* scope = json_member(j, "scope")) {
    if (!scope->IsString()) bad_graph(path, "node ", i, " (", n.op, ") has a non-string scope");
    n.scope = json_string(*scope);
  }
  const auto* inputs = json_member(j, "inputs");
  if (!inputs || !inputs->IsArray()) bad_graph(path, "node ", i, " (", n.where(), ") has no list \"inputs\"");
  for (const auto& e : inputs->GetArray()) {
    if (e.IsNull()) n.inputs.emplace_back(std::nullopt);
    else if (e.IsString()) n.inputs.emplace_back(json_string(e));
    else
      bad_graph(path, "node ", i, " (", n.where(), ") has an input that is neither a name nor null: ",
                io::detail::json_text(e));
  }
  const auto* outputs = json_member(j, "outputs");
  if (!outputs || !outputs->IsArray() || outputs->Size() != 1 || !(*outputs)[0u].IsString())
    bad_graph(path, "node ", i, " (", n.where(), ") must have exactly one output name");
  n.outputs.push_back(json_string((*outputs)[0u]));
  if (const auto* attrs = json_member(j, "attrs")) {
    if (!attrs->IsObject()) bad_graph(path, "node ", i, " (", n.where(), ") has \"attrs\" that is not an object");
    check_unique_keys(*attrs, "node " + std::to_string(i) + " (" + n.where() + ") \"attrs\"", path);
    n.attrs = std::shared_ptr<const io::JsonValue>(doc, attrs);  // shares doc's ownership
  }
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
  if (v > kFormatVersion) {
    // "ember.version" names the writer (files before 0.2.0 lack it; they are all format 1, so never here).
    const auto writer = metadata.find("ember.version");
    bad_graph(path, "written by ", writer == metadata.end() ? std::string("a newer ember") : "ember " + writer->second,
              " (format ", v, "); this is ember " EMBER_VERSION_STRING ", which reads formats up to ", kFormatVersion);
  }
  if (v < 1) bad_graph(path, "invalid format version ", v);
  const auto text = metadata.find("ember.graph");
  if (text == metadata.end()) bad_graph(path, "metadata \"ember.graph\" is missing");
  const auto doc = std::make_shared<rapidjson::Document>();
  if (const auto error = io::detail::json_parse(*doc, text->second); !error.empty())
    bad_graph(path, "\"ember.graph\" is not valid JSON: ", error);
  const io::JsonValue& j = *doc;
  if (!j.IsObject()) bad_graph(path, "\"ember.graph\" is not a JSON object");
  detail::check_unique_keys(j, "graph", path);

  Graph g;
  g.inputs = detail::parse_names(j, "inputs", path);
  g.outputs = detail::parse_names(j, "outputs", path);
  if (g.inputs.empty()) bad_graph(path, "graph has no inputs");
  if (g.outputs.empty()) bad_graph(path, "graph has no outputs");
  for (const char* key : {"values", "tensors"}) {
    const auto* specs = io::detail::json_member(j, key);
    if (!specs || !specs->IsObject()) bad_graph(path, "graph has no object \"", key, "\"");
    detail::check_unique_keys(*specs, std::string("graph \"") + key + "\"", path);
    auto& into = std::string_view(key) == "values" ? g.values : g.tensors;
    for (const auto& m : specs->GetObject()) {
      const std::string name = io::detail::json_string(m.name);
      into.emplace(name, detail::parse_spec(m.value, std::string(key) + " '" + name + "'", path));
    }
  }
  const auto* nodes = io::detail::json_member(j, "nodes");
  if (!nodes || !nodes->IsArray()) bad_graph(path, "graph has no list \"nodes\"");
  for (rapidjson::SizeType i = 0; i < nodes->Size(); ++i)
    g.nodes.push_back(detail::parse_node((*nodes)[i], i, doc, path));

  // Dimensions: never negative at batch 1 (the dry run's), nor beyond the loader's size limit.
  std::int64_t total = 0;
  for (const auto& [name, spec] : g.values) {
    std::int64_t numel = 1;
    for (const DimExpr& d : spec.shape) {
      if (d.batch < 0) bad_graph(path, "value '", name, "' has a negative batch coefficient in its shape ", spec.str());
      std::int64_t at1 = 0;
      if (__builtin_add_overflow(d.batch, d.add, &at1) || at1 < 0)
        bad_graph(path, "value '", name, "' has the shape ", spec.str(), ", which is negative or overflows at batch 1");
      if (d.batch > 0 && d.add < 0) g.min_batch = std::max(g.min_batch, (-d.add + d.batch - 1) / d.batch);
      if (__builtin_mul_overflow(numel, at1, &numel) || numel > kMaxValueElements)
        bad_graph(path, "value '", name, "' declares the shape ", spec.str(), ", over the loader's limit of ",
                  kMaxValueElements, " elements at batch 1");
    }
    if ((total += numel) > kMaxValueElements)
      bad_graph(path, "the graph's values declare more than the loader's limit of ", kMaxValueElements,
                " elements at batch 1 in all (at value '", name, "')");
  }

  // Names resolve in execution order.
  std::map<std::string, bool> defined;  // value name -> true
  for (const auto& name : g.inputs) {
    if (!g.values.count(name)) bad_graph(path, "graph input '", name, "' has no entry in \"values\"");
    // The dry run makes each input at batch 1 before any op runs: its strides must fit int64 too, which
    // the element count above does not show for a shape with a 0 dim, such as (0, 2^40, 2^40, 2^40).
    std::int64_t span = 1;
    for (const DimExpr& d : g.values.at(name).shape)
      if (__builtin_mul_overflow(span, std::max<std::int64_t>(d.eval(1), 1), &span))
        bad_graph(path, "graph input '", name, "' has the shape ", g.values.at(name).str(),
                  ", whose strides overflow int64 at batch 1");
    if (defined.count(name)) bad_graph(path, "graph input '", name, "' is listed twice in \"inputs\"");
    if (g.tensors.count(name)) bad_graph(path, "graph input '", name, "' is also the name of a stored tensor");
    defined[name] = true;
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (format_version_of_op(n.op) > v)
      bad_graph(path, "node ", i, " (", n.where(), "): op '", n.op, "' needs format version ", format_version_of_op(n.op),
                ", but the file declares ", v);
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
  std::map<std::string, bool> listed;
  for (const auto& name : g.outputs) {
    if (!defined.count(name) && !g.tensors.count(name))
      bad_graph(path, "graph output '", name, "' is not produced by any node");
    if (listed.count(name)) bad_graph(path, "graph output '", name, "' is listed twice in \"outputs\"");
    listed[name] = true;
  }
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
