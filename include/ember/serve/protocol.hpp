#pragma once
// The Open Inference Protocol v2 (KServe v2, also Triton's) over REST/JSON: an infer request parsed and
// checked against a model's inputs into tensors, the infer response, model metadata and error bodies.
// https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ember/core/any_tensor.hpp"

namespace ember::serve {

/// A request the protocol refuses, with the HTTP status it maps to (400, 404, 413, 415...).
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/// One input or output as the protocol describes it: -1 marks the batch dim.
struct TensorInfo {
  std::string name;
  DType dtype = DType::Float32;
  std::vector<std::int64_t> shape;
};

/// What a served model looks like from outside.
struct ModelInfo {
  std::string name;
  std::string version;  // empty: none reported
  std::vector<TensorInfo> inputs, outputs;
};

/// A parsed infer request: inputs in the model's input order, and the outputs asked for (all when empty).
struct InferRequest {
  std::string id;
  std::vector<AnyTensor> inputs;
  std::vector<std::size_t> outputs;
};

/// The protocol's name of a dtype: FP32, INT64, BOOL...
inline std::string_view datatype_name(DType d) {
  switch (d) {
    case DType::Bool: return "BOOL";
    case DType::UInt8: return "UINT8";
    case DType::Int8: return "INT8";
    case DType::Int32: return "INT32";
    case DType::Int64: return "INT64";
    case DType::Float32: return "FP32";
    case DType::Float64: return "FP64";
    case DType::BFloat16: return "BF16";
  }
  return "?";
}

inline std::optional<DType> parse_datatype(std::string_view s) {
  for (DType d : {DType::Bool, DType::UInt8, DType::Int8, DType::Int32, DType::Int64, DType::Float32, DType::Float64})
    if (s == datatype_name(d)) return d;
  return std::nullopt;
}

namespace detail {

inline std::string shape_str(const std::vector<std::int64_t>& s) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

[[noreturn]] inline void bad(int status, const std::string& msg) { throw ProtocolError(status, msg); }

/// Appends the numbers of a flat or nested JSON array (v, at nesting `depth`) to out, checking each
/// against T. Arrays nest no deeper than the shape has dims, which also bounds the recursion.
template <Element T>
void flatten(const rapidjson::Value& v, std::vector<T>& out, std::size_t limit, const std::string& name,
             const std::vector<std::int64_t>& shape, std::size_t depth = 0) {
  for (const auto& e : v.GetArray()) {
    if (e.IsArray()) {
      if (depth + 1 >= std::max<std::size_t>(shape.size(), 1))
        bad(400, "input '" + name + "' data is nested deeper than its shape " + shape_str(shape) + " (" +
                     std::to_string(shape.size()) + " dims)");
      flatten(e, out, limit, name, shape, depth + 1);
      continue;
    }
    if (out.size() >= limit)
      bad(400, "input '" + name + "' has more data elements than its shape holds (" + std::to_string(limit) + ")");
    // The message is built only on failure: this loop runs once per number of every request.
    auto at = [&] { return "input '" + name + "' data element " + std::to_string(out.size()); };
    if constexpr (std::is_same_v<T, bool>) {
      if (!e.IsBool()) bad(400, at() + " is not a boolean (datatype BOOL)");
      out.push_back(e.GetBool());
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!e.IsNumber()) bad(400, at() + " is not a number");
      const double x = e.GetDouble();
      if (!std::isfinite(x)) bad(400, at() + " is not finite (" + (std::isnan(x) ? "NaN" : "Infinity") +
                                        "); only finite numbers are accepted");
      if (std::abs(x) > static_cast<double>(std::numeric_limits<T>::max()))
        bad(400, at() + " (" + std::to_string(x) + ") is out of range for " + std::string(datatype_name(dtype_of<T>)));
      out.push_back(static_cast<T>(x));
    } else {
      if (!e.IsInt64()) bad(400, at() + " is not an integer (datatype " + std::string(datatype_name(dtype_of<T>)) + ")");
      const std::int64_t x = e.GetInt64();
      if (x < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          x > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
        bad(400, at() + " (" + std::to_string(x) + ") is out of range for " + std::string(datatype_name(dtype_of<T>)));
      out.push_back(static_cast<T>(x));
    }
  }
}

/// Calls f on each element of a CPU tensor in row-major order (any strides).
template <Element T, class F>
void for_each_element(const Tensor<T>& t, F&& f) {
  const std::int64_t n = t.numel();
  if (t.is_contiguous()) {
    for (std::int64_t k = 0; k < n; ++k) f(t.data()[k]);
    return;
  }
  const Shape& sh = t.shape();
  const Shape& st = t.strides();
  std::vector<std::int64_t> idx(sh.size(), 0);
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < sh.size(); ++d) off += idx[d] * st[d];
    f(t.data()[off]);
    for (std::size_t d = sh.size(); d-- > 0;) {
      if (++idx[d] < sh[d]) break;
      idx[d] = 0;
    }
  }
}

template <class Writer>
void write_shape(Writer& w, const std::vector<std::int64_t>& shape) {
  w.StartArray();
  for (auto d : shape) w.Int64(d);
  w.EndArray();
}

/// Writes x as the shortest decimal that reads back to the same value of its own type (float or double).
template <class Writer, class T>
void write_number(Writer& w, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    w.Bool(x);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(x)) {
      w.Null();  // JSON has no NaN or Infinity
      return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    w.RawValue(buf, static_cast<std::size_t>(end - buf), rapidjson::kNumberType);
  } else {
    w.Int64(static_cast<std::int64_t>(x));
  }
}

template <class Writer>
void write_tensor_info(Writer& w, const TensorInfo& t) {
  w.StartObject();
  w.Key("name");
  w.String(t.name.c_str(), static_cast<rapidjson::SizeType>(t.name.size()));
  w.Key("datatype");
  const auto dt = datatype_name(t.dtype);
  w.String(dt.data(), static_cast<rapidjson::SizeType>(dt.size()));
  w.Key("shape");
  write_shape(w, t.shape);
  w.EndObject();
}

}  // namespace detail

/// Parses an infer request body for model m: every model input exactly once, with its datatype, a
/// shape whose batch dim is free (>= 1) and whose other dims are the model's, and prod(shape) data
/// elements given flat or nested. Throws ProtocolError(400) naming what is wrong and the shapes.
inline InferRequest parse_infer(const ModelInfo& m, std::string_view body) {
  using detail::bad;
  rapidjson::Document doc;
  // Iterative, so that "[[[[...]]]]" of any depth cannot overflow the stack. NaN and Infinity are read so
  // that they can be refused by name rather than as a syntax error.
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNanAndInfFlag | rapidjson::kParseValidateEncodingFlag>(
      body.data(), body.size());
  if (doc.HasParseError())
    bad(400, std::string("malformed JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject()) bad(400, "the request body must be a JSON object with an \"inputs\" array");
  auto it = doc.FindMember("inputs");
  if (it == doc.MemberEnd() || !it->value.IsArray())
    bad(400, "the request has no \"inputs\" array");
  InferRequest req;
  if (auto id = doc.FindMember("id"); id != doc.MemberEnd()) {
    if (!id->value.IsString()) bad(400, "\"id\" must be a string");
    req.id.assign(id->value.GetString(), id->value.GetStringLength());
  }
  std::string names;
  for (const auto& in : m.inputs) names += (names.empty() ? "'" : ", '") + in.name + "'";
  req.inputs.resize(m.inputs.size());
  std::int64_t batch = -1;
  for (const auto& x : it->value.GetArray()) {
    if (!x.IsObject()) bad(400, "each element of \"inputs\" must be an object with name, shape, datatype, data");
    auto name_it = x.FindMember("name");
    if (name_it == x.MemberEnd() || !name_it->value.IsString()) bad(400, "an input has no \"name\" string");
    const std::string name(name_it->value.GetString(), name_it->value.GetStringLength());
    std::size_t idx = m.inputs.size();
    for (std::size_t i = 0; i < m.inputs.size(); ++i)
      if (m.inputs[i].name == name) idx = i;
    if (idx == m.inputs.size())
      bad(400, "model '" + m.name + "' has no input '" + name + "' (its inputs: " + names + ")");
    if (req.inputs[idx].defined()) bad(400, "input '" + name + "' is given twice");
    const TensorInfo& spec = m.inputs[idx];

    auto dt_it = x.FindMember("datatype");
    if (dt_it == x.MemberEnd() || !dt_it->value.IsString()) bad(400, "input '" + name + "' has no \"datatype\" string");
    const std::string dt(dt_it->value.GetString(), dt_it->value.GetStringLength());
    if (!parse_datatype(dt))
      bad(400, "input '" + name + "' has unknown datatype '" + dt + "' (BOOL, UINT8, INT32, INT64, FP32, FP64)");
    if (*parse_datatype(dt) != spec.dtype)
      bad(400, "input '" + name + "' must have datatype " + std::string(datatype_name(spec.dtype)) + ", got " + dt);

    auto sh_it = x.FindMember("shape");
    if (sh_it == x.MemberEnd() || !sh_it->value.IsArray()) bad(400, "input '" + name + "' has no \"shape\" array");
    std::vector<std::int64_t> shape;
    for (const auto& d : sh_it->value.GetArray()) {
      if (!d.IsInt64() || d.GetInt64() < 0)
        bad(400, "input '" + name + "' shape must hold non-negative integers");
      shape.push_back(d.GetInt64());
    }
    bool ok = shape.size() == spec.shape.size();
    for (std::size_t d = 0; ok && d < shape.size(); ++d)
      ok = spec.shape[d] == -1 ? shape[d] >= 1 : shape[d] == spec.shape[d];
    if (!ok)
      bad(400, "input '" + name + "' must have shape " + detail::shape_str(spec.shape) + " (-1: any batch >= 1), got " +
                   detail::shape_str(shape));
    if (!shape.empty() && spec.shape[0] == -1) {
      if (batch >= 0 && shape[0] != batch)
        bad(400, "input '" + name + "' has batch " + std::to_string(shape[0]) + " but another input has batch " +
                     std::to_string(batch));
      batch = shape[0];
    }
    std::int64_t numel = 1;
    for (auto d : shape)
      if (__builtin_mul_overflow(numel, d, &numel) || numel > (std::int64_t{1} << 40))
        bad(413, "input '" + name + "' shape " + detail::shape_str(shape) + " is too large");

    auto data_it = x.FindMember("data");
    if (data_it == x.MemberEnd() || !data_it->value.IsArray()) bad(400, "input '" + name + "' has no \"data\" array");
    req.inputs[idx] = dispatch_dtype(spec.dtype, [&](auto tag) {
      using T = decltype(tag);
      std::vector<T> flat;
      flat.reserve(std::min<std::int64_t>(numel, data_it->value.Size()));
      detail::flatten<T>(data_it->value, flat, static_cast<std::size_t>(numel), name, shape);
      if (static_cast<std::int64_t>(flat.size()) != numel)
        bad(400, "input '" + name + "' has " + std::to_string(flat.size()) + " data elements but shape " +
                     detail::shape_str(shape) + " needs " + std::to_string(numel));
      auto t = Tensor<T>::empty(Shape(shape.begin(), shape.end()));
      std::copy(flat.begin(), flat.end(), t.data());
      return AnyTensor(t);
    });
  }
  for (std::size_t i = 0; i < m.inputs.size(); ++i)
    if (!req.inputs[i].defined())
      bad(400, "input '" + m.inputs[i].name + "' is missing (model '" + m.name + "' takes " + names + ")");

  if (auto outs = doc.FindMember("outputs"); outs != doc.MemberEnd()) {
    if (!outs->value.IsArray()) bad(400, "\"outputs\" must be an array of {\"name\": ...}");
    for (const auto& o : outs->value.GetArray()) {
      auto n = o.IsObject() ? o.FindMember("name") : o.MemberEnd();
      if (!o.IsObject() || n == o.MemberEnd() || !n->value.IsString())
        bad(400, "each element of \"outputs\" must be an object with a \"name\" string");
      const std::string name(n->value.GetString(), n->value.GetStringLength());
      std::size_t idx = m.outputs.size();
      for (std::size_t i = 0; i < m.outputs.size(); ++i)
        if (m.outputs[i].name == name) idx = i;
      if (idx == m.outputs.size()) bad(400, "model '" + m.name + "' has no output '" + name + "'");
      req.outputs.push_back(idx);
    }
  }
  return req;
}

/// The infer response: {"model_name", "model_version"?, "id"?, "outputs": [{name, datatype, shape, data}]}.
/// `which` selects outputs by index (all when empty). Floats are written in their shortest round-trip form.
inline std::string write_infer_response(const ModelInfo& m, const std::vector<AnyTensor>& outputs,
                                        const std::string& id = {}, const std::vector<std::size_t>& which = {}) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("model_name");
  w.String(m.name.c_str(), static_cast<rapidjson::SizeType>(m.name.size()));
  if (!m.version.empty()) {
    w.Key("model_version");
    w.String(m.version.c_str(), static_cast<rapidjson::SizeType>(m.version.size()));
  }
  if (!id.empty()) {
    w.Key("id");
    w.String(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
  }
  w.Key("outputs");
  w.StartArray();
  auto one = [&](std::size_t i) {
    const AnyTensor& t = outputs.at(i);
    w.StartObject();
    w.Key("name");
    const std::string& name = i < m.outputs.size() ? m.outputs[i].name : "output" + std::to_string(i);
    w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.Key("datatype");
    const auto dt = datatype_name(t.dtype());
    w.String(dt.data(), static_cast<rapidjson::SizeType>(dt.size()));
    w.Key("shape");
    detail::write_shape(w, std::vector<std::int64_t>(t.shape().begin(), t.shape().end()));
    w.Key("data");
    w.StartArray();
    t.visit([&](const auto& x) { detail::for_each_element(x, [&](auto v) { detail::write_number(w, v); }); });
    w.EndArray();
    w.EndObject();
  };
  if (which.empty())
    for (std::size_t i = 0; i < outputs.size(); ++i) one(i);
  else
    for (auto i : which) one(i);
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// Model metadata: {"name", "versions"?, "platform": "ember", "inputs": [...], "outputs": [...]}.
inline std::string write_model_metadata(const ModelInfo& m) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("name");
  w.String(m.name.c_str(), static_cast<rapidjson::SizeType>(m.name.size()));
  if (!m.version.empty()) {
    w.Key("versions");
    w.StartArray();
    w.String(m.version.c_str(), static_cast<rapidjson::SizeType>(m.version.size()));
    w.EndArray();
  }
  w.Key("platform");
  w.String("ember");
  w.Key("inputs");
  w.StartArray();
  for (const auto& t : m.inputs) detail::write_tensor_info(w, t);
  w.EndArray();
  w.Key("outputs");
  w.StartArray();
  for (const auto& t : m.outputs) detail::write_tensor_info(w, t);
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// {"error": message}.
inline std::string write_error(std::string_view message) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// {key: value} for the health and readiness endpoints.
inline std::string write_flag(const char* key, bool value) {
  return std::string("{\"") + key + "\":" + (value ? "true" : "false") + "}";
}

}  // namespace ember::serve
