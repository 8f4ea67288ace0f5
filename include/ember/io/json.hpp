#pragma once
// JSON through RapidJSON, for the safetensors header and the deploy graph: a strict parser (UTF-8
// validated, iterative so that no nesting depth overflows the stack), member lookup, nlohmann-style
// type names and short renderings of values for error messages. RapidJSON is templates only: each
// helper is a template too, compiled only where called (see AnyTensor::to).
#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::io {

/// A parsed JSON value (RapidJSON's; members keep the file's order, and a repeated key is kept twice).
using JsonValue = rapidjson::Value;

}  // namespace ember::io

namespace ember::io::detail {

/// The four hex digits at p as a number (the parser has checked them).
inline unsigned json_hex4(const char* p) {
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

/// The parser's events, passed on to a document, except a number too large for a double: RapidJSON 1.1
/// bounds a number's exponent but not its digits with it, and reads 10e308 as infinity (which no JSON
/// writer writes back) where it refuses 1e309.
struct JsonFiniteNumbers {
  rapidjson::Document& doc;
  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned i) { return doc.Uint(i); }
  bool Int64(std::int64_t i) { return doc.Int64(i); }
  bool Uint64(std::uint64_t i) { return doc.Uint64(i); }
  bool Double(double d) { return std::isfinite(d) && doc.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool StartObject() { return doc.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return doc.EndObject(n); }
  bool StartArray() { return doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc.EndArray(n); }
};

/// Parses text into doc, strictly: RFC 8259 JSON in valid UTF-8 and nothing after it but white space,
/// every number finite. Iterative, so that "[[[[...]]]]" of any depth cannot overflow the stack.
/// Returns "" or the error: "parse error at byte N: <RapidJSON's description>".
template <class = void>  // compiled only where called: see AnyTensor::to
std::string json_parse(rapidjson::Document& doc, std::string_view text) {
  rapidjson::ParseResult result;
  auto parse = [&](rapidjson::Document& d) {
    rapidjson::MemoryStream bytes(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
    JsonFiniteNumbers handler{d};
    result = rapidjson::Reader().Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        in, handler);
    return !result.IsError();
  };
  doc.Populate(parse);
  std::size_t at = 0;
  rapidjson::ParseErrorCode code = rapidjson::kParseErrorNone;
  if (result.IsError()) {
    at = result.Offset();
    // Only JsonFiniteNumbers stops the parser: RapidJSON's own error for a number out of range.
    code = result.Code() == rapidjson::kParseErrorTermination ? rapidjson::kParseErrorNumberTooBig : result.Code();
  } else if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    // RapidJSON stops at a NUL byte as at the end of the text; any other byte after the root is an error.
    at = nul;
    code = rapidjson::kParseErrorDocumentRootNotSingular;
  } else {
    // RapidJSON accepts a \uDC00-\uDFFF escape that follows no \uD800-\uDBFF one, and stores it as
    // bytes that are not UTF-8. In valid JSON a backslash only starts an escape inside a string.
    std::size_t high_end = std::string_view::npos;  // where the last high surrogate escape ended
    for (std::size_t i = text.find('\\'); i != std::string_view::npos; i = text.find('\\', i)) {
      if (text[i + 1] != 'u') {
        i += 2;
        continue;
      }
      const unsigned cp = json_hex4(text.data() + i + 2);
      if (cp >= 0xDC00 && cp <= 0xDFFF && high_end != i) {
        at = i;
        code = rapidjson::kParseErrorStringUnicodeSurrogateInvalid;
        break;
      }
      i += 6;
      high_end = cp >= 0xD800 && cp <= 0xDBFF ? i : std::string_view::npos;
    }
    if (code == rapidjson::kParseErrorNone) return {};
  }
  return "parse error at byte " + std::to_string(at) + ": " + rapidjson::GetParseError_En(code);
}

/// The member key of object v, or nullptr.
template <class = void>  // compiled only where called: see AnyTensor::to
const JsonValue* json_member(const JsonValue& v, const char* key) {
  const auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

/// A key that object v holds more than once (JSON readers disagree on which one counts), if any.
template <class = void>  // compiled only where called: see AnyTensor::to
std::optional<std::string> json_repeated_key(const JsonValue& v) {
  std::vector<std::string_view> keys;
  keys.reserve(v.MemberCount());
  for (const auto& m : v.GetObject()) keys.emplace_back(m.name.GetString(), m.name.GetStringLength());
  std::sort(keys.begin(), keys.end());
  const auto it = std::adjacent_find(keys.begin(), keys.end());
  if (it == keys.end()) return std::nullopt;
  return std::string(*it);
}

/// The string value v (which may hold NUL bytes).
template <class = void>  // compiled only where called: see AnyTensor::to
std::string json_string(const JsonValue& v) { return std::string(v.GetString(), v.GetStringLength()); }

/// The type of v as nlohmann/json names it: "null", "boolean", "number", "string", "array", "object".
template <class = void>  // compiled only where called: see AnyTensor::to
const char* json_type_name(const JsonValue& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "boolean";
    case rapidjson::kNumberType: return "number";
    case rapidjson::kStringType: return "string";
    case rapidjson::kArrayType: return "array";
    case rapidjson::kObjectType: return "object";
  }
  return "?";
}

/// v as compact JSON for an error message: at most about 200 characters ("..." marks the cut), and
/// "a deeply nested JSON array" (or object) for a value nested more than 32 levels deep. Written level
/// by level to that depth only: RapidJSON's own writer (Accept) recurses without a bound.
template <class = void>  // compiled only where called: see AnyTensor::to
std::string json_text(const JsonValue& v) {
  constexpr std::size_t kMaxChars = 200;
  constexpr int kMaxDepth = 32;
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  // Writes x at depth d; false when it nests too deeply. Once the text is long enough, the elements and
  // members left are skipped (the text is cut there anyway).
  auto write = [&](auto& self, const JsonValue& x, int d) -> bool {
    if (x.IsArray() || x.IsObject()) {
      if (d == kMaxDepth) return false;
      if (x.IsArray()) {
        w.StartArray();
        for (const auto& e : x.GetArray()) {
          if (out.GetSize() > kMaxChars) return true;
          if (!self(self, e, d + 1)) return false;
        }
        w.EndArray();
      } else {
        w.StartObject();
        for (const auto& m : x.GetObject()) {
          if (out.GetSize() > kMaxChars) return true;
          w.Key(m.name.GetString(), m.name.GetStringLength());
          if (!self(self, m.value, d + 1)) return false;
        }
        w.EndObject();
      }
      return true;
    }
    x.Accept(w);  // a scalar: no recursion
    return true;
  };
  if (!write(write, v, 0)) return std::string("a deeply nested JSON ") + json_type_name(v);
  std::string s(out.GetString(), out.GetSize());
  if (s.size() > kMaxChars) {
    std::size_t cut = kMaxChars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    s.resize(cut);
    s += "...";
  }
  return s;
}

/// A non-negative JSON integer that fits int64, or nullopt (a float such as 3.0 is no index).
template <class = void>  // compiled only where called: see AnyTensor::to
std::optional<std::int64_t> json_index(const JsonValue& v) {
  if (!v.IsUint64() || v.GetUint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return std::nullopt;
  return static_cast<std::int64_t>(v.GetUint64());
}

}  // namespace ember::io::detail
