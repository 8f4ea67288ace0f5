#pragma once
// The bodies of ember's libFuzzer harnesses, one per parser of outside input: fuzz_<name>(data, size)
// hands the bytes to one parser and checks the contract every parser of untrusted input keeps. The
// libFuzzer entry points (fuzz_<name>.cpp, built by tools/fuzz.sh with clang) and the corpus replay
// test (tests/cpp/test_fuzz_corpus.cpp, in the normal suite) call the same functions, so that each
// committed reproducer stays a regression test.
//
// The contract: the call returns, or throws one of the exceptions the parser documents, with a
// message in ember's "[op] ..." format. Anything else (another exception type, a crash, a sanitizer
// report, a hang, a huge allocation) is a bug: the harness aborts, which both libFuzzer and the
// replay test report with the input that did it.
#include <cxxabi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/core/device.hpp"
#include "ember/core/random.hpp"
#include "ember/data/idx.hpp"
#include "ember/deploy/model.hpp"
#include "ember/io/json.hpp"
#include "ember/io/safetensors.hpp"
#include "ember/serve/protocol.hpp"

namespace ember::fuzz {

/// The input being replayed (a file path), named in a violation report; libFuzzer names it itself.
inline thread_local std::string current_input;

/// Reports a broken contract and aborts (abort, not throw: libFuzzer saves the input as a crash).
[[noreturn]] inline void violation(const char* target, const std::string& what) {
  std::fprintf(stderr, "[fuzz_%s] contract violated%s%s: %s\n", target, current_input.empty() ? "" : " by ",
               current_input.c_str(), what.c_str());
  std::abort();
}

/// The dynamic type of e, demangled ("std::bad_alloc").
inline std::string type_name(const std::exception& e) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status),
                                              std::free);
  return status == 0 && name ? name.get() : typeid(e).name();
}

/// Runs f. An exception of one of the types Allowed (or derived from one) must have a message in
/// ember's "[op] what is wrong" format; any other exception breaks the contract.
template <class... Allowed, class F>
void expect_contract(const char* target, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    if (!(... || (dynamic_cast<const Allowed*>(&e) != nullptr)))
      violation(target, "unexpected exception " + type_name(e) + ": " + e.what());
    const std::string_view what = e.what();
    const auto close = what.find("] ");
    if (what.empty() || what[0] != '[' || close == std::string_view::npos || close < 2 || close + 2 == what.size())
      violation(target, type_name(e) + " with a message not in ember's \"[op] ...\" format: '" + std::string(what) + "'");
  } catch (...) {
    violation(target, "an exception not derived from std::exception");
  }
}

/// The path of a file holding exactly the given bytes, for the parsers that take a path: one
/// anonymous memory file (memfd, no disk traffic, nothing to clean up) per process, rewritten for
/// each input and opened by the parser as /proc/self/fd/N.
inline const std::string& input_file(const void* data, std::size_t size) {
  static const int fd = [] {
    const int fd = ::memfd_create("ember_fuzz_input", MFD_CLOEXEC);
    if (fd < 0) {
      std::perror("[fuzz] memfd_create");
      std::abort();
    }
    return fd;
  }();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (::ftruncate(fd, 0) != 0 || (size > 0 && ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))) {
    std::perror("[fuzz] writing the memfd");
    std::abort();
  }
  return path;
}

/// True when s is valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
    if (n == 9 || i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    const auto c1 = static_cast<unsigned char>(n ? s[i + 1] : 0);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
      return false;
    i += n + 1;
  }
  return true;
}

// --- the targets ---

/// A safetensors checkpoint: ember::io::load_safetensors (FormatError for a bad file). What it returns
/// must account for every byte of the file.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_safetensors(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_file(data, size);
  expect_contract<io::FormatError, io::FileError>("safetensors", [&] {
    const io::SafeTensors file = io::load_safetensors(path);
    std::uint64_t header = 0, bytes = 0;
    std::memcpy(&header, data, 8);
    for (const auto& [name, t] : file.tensors) bytes += static_cast<std::uint64_t>(t.numel()) * itemsize(t.dtype());
    if (8 + header + bytes != size)
      violation("safetensors", "loaded " + std::to_string(bytes) + " data bytes from a " + std::to_string(size) +
                                   "-byte file with a " + std::to_string(header) + "-byte header");
  });
}

/// Zero tensors of small batch-2 input shapes for a loaded model, or nothing when a shape is not small.
template <class = void>  // compiled only where called, as ember's own headers do
std::vector<AnyTensor> zero_inputs(const deploy::Model& m, std::int64_t batch) {
  std::vector<AnyTensor> inputs;
  for (std::size_t i = 0; i < m.input_names().size(); ++i) {
    const deploy::ValueSpec& spec = m.input_spec(i);
    Shape shape;
    std::int64_t numel = 1;
    for (const auto& d : spec.shape) {
      std::int64_t v = 0;
      if (__builtin_mul_overflow(d.batch, batch, &v) || __builtin_add_overflow(v, d.add, &v) || v < 0 ||
          __builtin_mul_overflow(numel, v, &numel) || numel > (1 << 16))
        return {};
      shape.push_back(v);
    }
    inputs.push_back(dispatch_dtype(spec.dtype, [&](auto tag) {
      return AnyTensor(Tensor<decltype(tag)>::empty(shape).zero_());
    }));
  }
  return inputs;
}

/// A whole .ember deploy file: ember::deploy::load (FormatError for a bad file or graph, including
/// what the dry run finds). A model that loads then runs once at batch 2, whose errors are the ops'.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_deploy(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_file(data, size);
  std::optional<deploy::Model> model;
  expect_contract<io::FormatError, io::FileError>("deploy", [&] { model = deploy::load(path); });
  if (!model) return;
  const auto inputs = zero_inputs(*model, 2);
  if (inputs.empty()) return;
  expect_contract<std::invalid_argument, std::out_of_range, TypeError, DeviceError>("deploy", [&] {
    const auto outputs = model->forward(inputs);
    if (outputs.size() != model->output_names().size())
      violation("deploy", "forward returned " + std::to_string(outputs.size()) + " outputs for " +
                              std::to_string(model->output_names().size()) + " names");
  });
}

/// A .ember file around the given graph JSON: metadata naming the format and version 1, and a zero
/// tensor for each small tensor the graph declares, so that a graph reaches parsing, the checks and
/// the dry run of deploy::load without first having to match a file to itself.
template <class = void>  // compiled only where called, as ember's own headers do
std::string deploy_file_around(std::string_view graph) {
  struct Stored {
    std::string name;
    DType dtype;
    Shape shape;
    std::int64_t nbytes;
  };
  std::vector<Stored> stored;
  rapidjson::Document doc;
  if (io::detail::json_parse(doc, graph).empty() && doc.IsObject()) {
    const auto* tensors = io::detail::json_member(doc, "tensors");
    if (tensors && tensors->IsObject()) for (const auto& m : tensors->GetObject()) {
      const std::string name = io::detail::json_string(m.name);
      const auto* dtype = m.value.IsObject() ? io::detail::json_member(m.value, "dtype") : nullptr;
      const auto* shape = m.value.IsObject() ? io::detail::json_member(m.value, "shape") : nullptr;
      if (!dtype || !dtype->IsString() || !shape || !shape->IsArray() || name == "__metadata__") continue;
      const auto d = deploy::detail::dtype_from_name(io::detail::json_string(*dtype));
      bool small = d.has_value() && shape->Size() <= 8;
      std::int64_t numel = 1;
      Shape s;
      for (const auto& e : shape->GetArray()) {
        small = small && e.IsInt64() && e.GetInt64() >= 0 && e.GetInt64() <= 4096 &&
                !__builtin_mul_overflow(numel, e.GetInt64(), &numel) && numel <= 4096;
        if (small) s.push_back(e.GetInt64());
      }
      const bool seen = std::any_of(stored.begin(), stored.end(), [&](const Stored& x) { return x.name == name; });
      if (small && !seen) stored.push_back({name, *d, s, numel * static_cast<std::int64_t>(itemsize(*d))});
    }
  }
  rapidjson::StringBuffer json;
  rapidjson::Writer<rapidjson::StringBuffer> w(json);  // not validating: bytes that are not UTF-8 stay so
  w.StartObject();
  w.Key("__metadata__");
  w.StartObject();
  w.Key("ember.format");
  w.String("ember.deploy");
  w.Key("ember.format_version");
  w.String("1");
  w.Key("ember.graph");
  w.String(graph.data(), static_cast<rapidjson::SizeType>(graph.size()));
  w.EndObject();
  std::int64_t offset = 0;
  for (const auto& t : stored) {
    w.Key(t.name.data(), static_cast<rapidjson::SizeType>(t.name.size()));
    w.StartObject();
    w.Key("dtype");
    const auto code = io::detail::safetensors_dtype(t.dtype);
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    w.Key("shape");
    w.StartArray();
    for (const auto d : t.shape) w.Int64(d);
    w.EndArray();
    w.Key("data_offsets");
    w.StartArray();
    w.Int64(offset);
    w.Int64(offset + t.nbytes);
    w.EndArray();
    w.EndObject();
    offset += t.nbytes;
  }
  w.EndObject();
  std::string file(8, '\0');
  const std::uint64_t n = json.GetSize();
  std::memcpy(file.data(), &n, 8);
  file.append(json.GetString(), json.GetSize());
  file.append(static_cast<std::size_t>(offset), '\0');
  return file;
}

/// The graph JSON of a deploy file alone (docs/deploy-format.md), inside an otherwise valid file
/// (deploy_file_around): reaches deep into graph parsing, kernel construction, fusion and the dry run.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_deploy_graph(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 20)) return;  // the header length is a 32-bit RapidJSON string; no graph is this big
  const std::string file = deploy_file_around(std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz_deploy(reinterpret_cast<const std::uint8_t*>(file.data()), file.size());
}

/// The JSON layer (ember/io/json.hpp): json_parse, then every helper on every value of the document.
/// None of them throws; json_text stays short, valid UTF-8, and (when not cut) parses back to the value.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_json(const std::uint8_t* data, std::size_t size) {
  using namespace io::detail;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  expect_contract<>("json", [&] {
    rapidjson::Document doc;
    const std::string error = json_parse(doc, text);
    if (!error.empty()) {
      if (error.rfind("parse error at byte ", 0) != 0) violation("json", "malformed parse error '" + error + "'");
      return;
    }
    // Every value, by an explicit stack: a recursive walk would overflow on deep nesting.
    std::vector<const io::JsonValue*> todo{&doc};
    while (!todo.empty()) {
      const io::JsonValue& v = *todo.back();
      todo.pop_back();
      const std::string shown = json_text(v);
      if (shown.size() > 203 || !valid_utf8(shown))
        violation("json", "json_text gave " + std::to_string(shown.size()) + " bytes" +
                              (valid_utf8(shown) ? "" : " of invalid UTF-8") + ": '" + shown + "'");
      const bool cut = shown.size() > 3 && shown.compare(shown.size() - 3, 3, "...") == 0;
      if (!cut && shown.rfind("a deeply nested JSON ", 0) != 0) {
        // Compared as text: RapidJSON's operator== looks a repeated key up by name and so finds the first.
        rapidjson::Document again;
        const std::string e = json_parse(again, shown);
        // Text equality only without doubles: RapidJSON 1.1 may read a double 1 ulp off (tests/fuzz/open/README.md).
        if (!e.empty() || (json_text(again) != shown && shown.find_first_of(".eE") == std::string::npos))
          violation("json", "json_text gave '" + shown + "', which does not parse back to itself (" + e + ")");
      }
      (void)json_type_name(v);
      if (const auto i = json_index(v); i && (*i < 0 || !v.IsUint64() || static_cast<std::uint64_t>(*i) != v.GetUint64()))
        violation("json", "json_index of " + shown + " is " + std::to_string(*i));
      if (v.IsString() && json_string(v).size() != v.GetStringLength()) violation("json", "json_string lost bytes");
      if (v.IsObject()) {
        const auto twice = json_repeated_key(v);
        if (twice && !json_member(v, std::string(*twice).c_str()) && twice->find('\0') == std::string::npos)
          violation("json", "json_repeated_key names '" + *twice + "', which json_member does not find");
        for (const auto& m : v.GetObject()) todo.push_back(&m.value);
      } else if (v.IsArray()) {
        for (const auto& e : v.GetArray()) todo.push_back(&e);
      }
    }
  });
}

/// A device string: ember::Device::parse ("cpu", "cuda", "cuda:N"; std::invalid_argument otherwise).
/// What it accepts prints as a string that parses back to the same device.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_device(const std::uint8_t* data, std::size_t size) {
  const std::string s(reinterpret_cast<const char*>(data), size);
  expect_contract<std::invalid_argument>("device", [&] {
    const Device d = Device::parse(s);
    if (d.index < 0 || Device::parse(d.str()) != d)
      violation("device", "'" + s + "' parsed as " + d.str() + ", which does not parse back");
  });
}

/// A dtype name, as the deploy graph ("float32") and safetensors ("F32") spell them: ember's two
/// readers never throw, and what they accept is exactly the name ember writes.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_dtype(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  expect_contract<>("dtype", [&] {
    if (const auto d = deploy::detail::dtype_from_name(s); d && dtype_name(*d) != s)
      violation("dtype", "'" + std::string(s) + "' read as " + std::string(dtype_name(*d)));
    if (const auto d = io::detail::dtype_from_safetensors(s); d && io::detail::safetensors_dtype(*d) != s)
      violation("dtype", "'" + std::string(s) + "' read as " + std::string(io::detail::safetensors_dtype(*d)));
  });
}

/// A random generator's state (ember.set_rng_state, Generator.set_state): refused with std::invalid_argument
/// unless get_state could have written it, and left unchanged then. An accepted state must be a real one: a
/// generator set from its get_state() draws what the first draws.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_rng_state(const std::uint8_t* data, std::size_t size) {
  Generator g(5);
  const std::vector<std::uint8_t> before = g.get_state();
  bool accepted = false;
  expect_contract<std::invalid_argument>("rng_state", [&] {
    g.set_state(std::span<const std::uint8_t>(data, size), "set_rng_state");
    accepted = true;
  });
  if (!accepted) {
    if (g.get_state() != before) violation("rng_state", "a refused state changed the generator");
    return;
  }
  Generator h;
  h.set_state(g.get_state());
  for (int i = 0; i < 700; ++i) {  // past one regeneration of the 312-word state
    const auto a = g.with_engine([](auto& e) { return e(); }), b = h.with_engine([](auto& e) { return e(); });
    if (a != b) violation("rng_state", "a state read back from get_state draws differently");
  }
}

/// An IDX file's bytes: ember::data::parse_idx (IdxError for a bad file). The input runs as it is (the
/// plain path, or the gzip path when it starts with gzip's magic) and gzip-compressed (the gzip path on
/// the same IDX bytes), and the two readings must agree: the same tensor, or both refused. An accepted
/// plain file is exactly its header and payload.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_idx(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  std::optional<Tensor<std::uint8_t>> plain, packed;
  expect_contract<data::IdxError>("idx", [&] { plain = data::parse_idx(bytes, "input"); });
  const bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (plain && !is_gzip && static_cast<std::size_t>(4 + 4 * plain->dim() + plain->numel()) != size)
    violation("idx", "accepted a " + std::to_string(size) + "-byte file as " + std::to_string(plain->dim()) +
                         " dims of " + std::to_string(plain->numel()) + " elements");
  // The same bytes through zlib: level 1 keeps the fuzzer fast.
  std::vector<std::uint8_t> gz(compressBound(static_cast<uLong>(size)) + 32);
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) violation("idx", "deflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = gz.data();
  zs.avail_out = static_cast<uInt>(gz.size());
  const int r = deflate(&zs, Z_FINISH);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  if (r != Z_STREAM_END) violation("idx", "deflate did not finish");
  expect_contract<data::IdxError>("idx", [&] { packed = data::parse_idx(gz, "input.gz"); });
  if (is_gzip) return;  // its compressed form holds gzip bytes, not IDX: refused, unlike the input itself
  if (plain.has_value() != packed.has_value())
    violation("idx", std::string("the plain reading ") + (plain ? "accepted" : "refused") +
                         " the file, the gzip reading " + (packed ? "accepted" : "refused") + " it");
  if (plain && (plain->shape() != packed->shape() || plain->to_vector() != packed->to_vector()))
    violation("idx", "the plain and gzip readings differ");
}

/// An infer request body of the HTTP server (ember/serve/protocol.hpp), against a model with FP32, INT64,
/// BOOL and UINT8 inputs sharing a batch: parse_infer returns, or throws ProtocolError with status 400 or
/// 413 and a message. What it accepts holds every input once, with the model's dtype, a shape that is the
/// model's with one batch >= 1, and (floats) only finite numbers.
template <class = void>  // compiled only where called, as ember's own headers do
void fuzz_infer(const std::uint8_t* data, std::size_t size) {
  using namespace serve;
  static const ModelInfo model{"m", "", {{"x", DType::Float32, {-1, 2, 2}}, {"k", DType::Int64, {-1}},
                                         {"b", DType::Bool, {-1, 1}}, {"u", DType::UInt8, {-1, 3}}},
                               {{"y", DType::Float32, {-1, 2}}}};
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  InferRequest r;
  try {
    r = parse_infer(model, body);
  } catch (const ProtocolError& e) {
    if ((e.status() != 400 && e.status() != 413) || std::string_view(e.what()).empty())
      violation("infer", "ProtocolError " + std::to_string(e.status()) + " '" + e.what() + "'");
    return;
  } catch (const std::exception& e) {
    violation("infer", "unexpected exception " + type_name(e) + ": " + e.what());
  }
  if (r.inputs.size() != model.inputs.size()) violation("infer", "accepted a request with missing inputs");
  std::int64_t batch = -1;
  for (std::size_t i = 0; i < r.inputs.size(); ++i) {
    const AnyTensor& t = r.inputs[i];
    const TensorInfo& spec = model.inputs[i];
    if (!t.defined() || t.dtype() != spec.dtype || t.dim() != static_cast<std::int64_t>(spec.shape.size()))
      violation("infer", "input '" + spec.name + "' has the wrong dtype or rank");
    for (std::size_t d = 1; d < spec.shape.size(); ++d)
      if (t.shape()[d] != spec.shape[d]) violation("infer", "input '" + spec.name + "' has the wrong shape");
    if (t.shape()[0] < 1 || (batch >= 0 && t.shape()[0] != batch)) violation("infer", "inputs disagree on the batch");
    batch = t.shape()[0];
  }
  const auto& x = r.inputs[0].get<float>();
  for (std::int64_t k = 0; k < x.numel(); ++k)
    if (!std::isfinite(x.data()[k])) violation("infer", "accepted a number that is not finite");
  for (std::size_t o : r.outputs)
    if (o >= model.outputs.size()) violation("infer", "accepted an output index out of range");
}

}  // namespace ember::fuzz
