// Checkpoints (ember/io/safetensors.hpp): round trips of every dtype, metadata, the byte layout,
// atomic writes, and the reader's validation.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ember/ember.hpp"
#include "ember/io/safetensors.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::TempDir;
namespace fs = std::filesystem;

namespace {

/// A temporary directory for one test.

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// A safetensors file from a header text and a data buffer.
std::string file_of(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

template <Element T>
void expect_same(const AnyTensor& got, const Tensor<T>& want) {
  ASSERT_TRUE(got.is<T>()) << dtype_name(got.dtype());
  EXPECT_EQ(got.shape(), want.shape());
  EXPECT_EQ(got.get<T>().to_vector(), want.to_vector());
}

}  // namespace

TEST(SafeTensors, RoundTripsEveryDtypeIncludingScalarsAndEmptyTensors) {
  TempDir dir;
  const auto path = dir.file("all.safetensors");
  auto f32 = arange<float>(0, 6).reshape({2, 3});
  auto f64 = arange<double>(0, 4) * 0.5;
  auto i64 = arange<std::int64_t>(-3, 3);
  auto i32 = arange<std::int32_t>(0, 5);
  auto u8 = arange<std::uint8_t>(250, 255);
  auto b = arange<std::int32_t>(0, 4).gt(1);
  auto scalar = full<double>({}, 2.5);
  auto empty = zeros<float>({0, 3});
  auto nc = arange<float>(0, 12).reshape({3, 4}).T_();  // non-contiguous: written contiguous
  ASSERT_FALSE(nc.is_contiguous());
  io::save_safetensors(path, {{"f32", f32}, {"f64", f64}, {"i64", i64}, {"i32", i32}, {"u8", u8}, {"b", b},
                              {"scalar", scalar}, {"empty", empty}, {"nc", nc}});
  const auto st = io::load_safetensors(path);
  ASSERT_EQ(st.tensors.size(), 9u);
  std::vector<std::string> names;
  for (const auto& [n, t] : st.tensors) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"f32", "f64", "i64", "i32", "u8", "b", "scalar", "empty", "nc"}));
  expect_same(st.at("f32"), f32);
  expect_same(st.at("f64"), f64);
  expect_same(st.at("i64"), i64);
  expect_same(st.at("i32"), i32);
  expect_same(st.at("u8"), u8);
  expect_same(st.at("b"), b);
  expect_same(st.at("scalar"), scalar);
  EXPECT_EQ(st.at("scalar").dim(), 0);
  expect_same(st.at("empty"), empty);
  expect_same(st.at("nc"), nc);
  EXPECT_TRUE(st.at("nc").get<float>().is_contiguous());
  EXPECT_TRUE(st.metadata.empty());
  EXPECT_FALSE(st.contains("nope"));
  EXPECT_EQ(error_of<std::out_of_range>([&] { st.at("nope"); }), "[load] no tensor named 'nope' in the checkpoint");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"all.safetensors"});  // no temporary file left
}

TEST(SafeTensors, MetadataAndTheByteLayoutFollowTheSpec) {
  TempDir dir;
  const auto path = dir.file("m.safetensors");
  io::save_safetensors(path, {{"a", full<std::uint8_t>({3}, 7)}, {"w", full<float>({2}, 1.0f)}},
                       {{"format", "pt"}, {"note", "héllo"}});
  const std::string bytes = read_bytes(path);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);  // padded so that the data starts aligned
  // Compact JSON, __metadata__ first, then the tensors in the caller's order; spaces pad it to 8 bytes.
  const std::string text = R"({"__metadata__":{"format":"pt","note":"héllo"},)"
                           R"("a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},)"
                           R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(bytes.substr(8, n), text + std::string(n - text.size(), ' '));
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["__metadata__"]["note"], "héllo");
  EXPECT_EQ(header["w"]["dtype"], "F32");
  EXPECT_EQ(header["w"]["data_offsets"], nlohmann::json({0, 8}));  // larger elements first (alignment)
  EXPECT_EQ(header["a"]["data_offsets"], nlohmann::json({8, 11}));
  EXPECT_EQ(bytes.size(), 8 + n + 11);
  const auto st = io::load_safetensors(path);
  EXPECT_EQ(st.tensors.front().first, "a");  // header order is the caller's order
  EXPECT_EQ(st.metadata, (std::map<std::string, std::string>{{"format", "pt"}, {"note", "héllo"}}));
}

TEST(SafeTensors, SaveRejectsBadArgumentsBeforeWriting) {
  TempDir dir;
  const auto path = dir.file("x.safetensors");
  auto t = zeros<float>({2});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { io::save_safetensors(path, {{"a", t}, {"a", t}}); }),
            "[save] two tensors are named 'a'");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { io::save_safetensors(path, {{"__metadata__", t}}); }),
            "[save] '__metadata__' is reserved and cannot name a tensor");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { io::save_safetensors(path, {{"u", AnyTensor(Tensor<float>())}}); }),
            "[save] tensor 'u' is undefined");
  // JSON holds only UTF-8 text.
  EXPECT_EQ(error_of<std::invalid_argument>([&] { io::save_safetensors(path, {{"a", t}, {"b\xff", t}}); }),
            "[save] tensor names and metadata must be valid UTF-8 (the name of tensor 1 is not)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { io::save_safetensors(path, {{"a", t}}, {{"k", "caf\xc3"}}); }),
            "[save] tensor names and metadata must be valid UTF-8 (the value of metadata key 'k' is not)");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { io::save_safetensors(path, {{"a", t}}, {{"\xed\xa0\x80", "x"}}); }),
            "[save] tensor names and metadata must be valid UTF-8 (a metadata key is not)");
  EXPECT_TRUE(dir.list().empty());
}

TEST(SafeTensors, SaveIntoAMissingDirectoryFailsAndLeavesNothing) {
  TempDir dir;
  const auto path = dir.file("missing/x.safetensors");
  const auto msg = error_of<io::FileError>([&] { io::save_safetensors(path, {{"a", zeros<float>({2})}}); });
  EXPECT_NE(msg.find("[save] cannot create a temporary file in"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  EXPECT_TRUE(dir.list().empty());
}

TEST(SafeTensors, AFailedWriteLeavesThePreviousFileIntact) {
  TempDir dir;
  const auto path = dir.file("ckpt.safetensors");
  io::save_safetensors(path, {{"w", full<float>({4}, 1.0f)}});
  const std::string before = read_bytes(path);
  // A file-size limit makes the write fail part-way (EFBIG), as a full disk would.
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 1 << 16;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto msg = error_of<io::FileError>([&] { io::save_safetensors(path, {{"w", zeros<float>({1 << 20})}}); });
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(msg.find("[save] cannot write"), std::string::npos) << msg;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"ckpt.safetensors"});
  expect_same(io::load_safetensors(path).at("w"), full<float>({4}, 1.0f));
}

TEST(SafeTensors, LoadNamesTheFileAndTheProblem) {
  TempDir dir;
  const auto path = dir.file("bad.safetensors");
  auto load_error = [&](const std::string& bytes) {
    write_bytes(path, bytes);
    return error_of<io::FormatError>([&] { io::load_safetensors(path); });
  };
  const std::string p = "[load] " + path + ": ";
  EXPECT_EQ(load_error(file_of(R"({"fc.weight":{"dtype":"F32","shape":[5,6],"data_offsets":[0,100]}})",
                               std::string(100, '\0'))),
            p + "tensor 'fc.weight' has data_offsets [0, 100] (100 bytes) but shape (5, 6) float32 needs 120 bytes");
  EXPECT_EQ(load_error("abc"), p + "the file is 3 bytes long, too short for the 8-byte header length (truncated?)");
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", "xx")),
            p + "tensor 'a' has dtype 'F16', which ember does not support (it reads F32, F64, I64, I32, U8, BOOL)");
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                               R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})", "xyz")),
            p + "tensors 'a' [0, 2] and 'b' [1, 3] overlap");
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})", "xyz")),
            p + "bytes [0, 1) of the data buffer belong to no tensor (a hole before 'a')");
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"I64","shape":[4611686018427387904,4],"data_offsets":[0,8]}})",
                               std::string(8, '\0'))),
            p + "tensor 'a' has shape (4611686018427387904, 4), whose size in bytes overflows int64");
  EXPECT_EQ(load_error(file_of("[]")), p + "the header is a JSON array, expected an object");
  // JSON errors give the byte; anything after the header's object but spaces is an error, a NUL byte too.
  EXPECT_EQ(load_error(file_of(R"({"a":1,})")),
            p + "the header is not valid JSON (parse error at byte 7: Missing a name for object member.)");
  EXPECT_EQ(load_error(file_of(std::string("{}  \0x", 6))),
            p + "the header is not valid JSON (parse error at byte 4: The document root must not be followed by other "
                "values.)");
  EXPECT_EQ(load_error(file_of(R"({"x\ud800\udc00":1,"\udc00":2})")),  // a low surrogate alone is no character
            p + "the header is not valid JSON (parse error at byte 20: The surrogate pair in string is invalid.)");
  // A key that appears twice (a JSON object may repeat one; readers disagree on which counts).
  const std::string u8 = R"({"dtype":"U8","shape":[2],"data_offsets":[0,2]})";
  EXPECT_EQ(load_error(file_of(R"({"a":)" + u8 + R"(,"b":)" + u8 + R"(,"a":)" + u8 + "}", "xx")),
            p + "tensor 'a' appears twice in the header");
  EXPECT_EQ(load_error(file_of(R"({"__metadata__":{},"__metadata__":{}})")),
            p + "__metadata__ appears twice in the header");
  EXPECT_EQ(load_error(file_of(R"({"__metadata__":{"k":"1","k":"2"}})")), p + "__metadata__ key 'k' appears twice");
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"U8","dtype":"F32","shape":[2],"data_offsets":[0,2]}})", "xx")),
            p + "tensor 'a' has 'dtype' twice");
  // Values quoted in messages are cut short, and a deeply nested one is not written out.
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,")" + std::string(300, 'x') +
                               R"("]}})", "xx")),
            p + "tensor 'a' has data_offsets [0,\"" + std::string(196, 'x') +
                "...: offsets must be non-negative integers");
  EXPECT_EQ(load_error(file_of(R"({"a":{"dtype":"U8","shape":[)" + std::string(100, '[') + std::string(100, ']') +
                               R"(],"data_offsets":[0,2]}})", "xx")),
            p + "tensor 'a' has shape a deeply nested JSON array: dimensions must be non-negative integers below 2^63");
  const auto missing = dir.file("nope.safetensors");
  const auto msg = error_of<io::FileError>([&] { io::load_safetensors(missing); });
  EXPECT_EQ(msg, "[load] cannot open '" + missing + "': No such file or directory");
}

TEST(SafeTensors, BoolBytesOtherThanZeroOrOneReadAsTrue) {
  TempDir dir;
  const auto path = dir.file("b.safetensors");
  write_bytes(path, file_of(R"({"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\0\x02\x01", 3)));
  EXPECT_EQ(io::load_safetensors(path).at("b").get<bool>().to_vector(), (std::vector<bool>{false, true, true}));
}
