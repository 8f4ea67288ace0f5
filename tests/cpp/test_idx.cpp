// ember::data's IDX reader (ember/data/idx.hpp): round trips of files written here, plain and gzip,
// every malformed-file error, load_mnist's layouts and checks, and Debian's Fashion-MNIST when installed.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "ember/autograd/engine.hpp"
#include "ember/data/idx.hpp"

namespace fs = std::filesystem;
using ember::data::IdxError;
using Bytes = std::vector<std::uint8_t>;

namespace {

/// An IDX file of type code `type` with the given dims (big-endian) and payload.
Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& payload, std::uint8_t type = 0x08) {
  Bytes b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// 0, 1, 2, ... (mod 256), n bytes.
Bytes iota_bytes(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

/// bytes as one gzip member, written with zlib.
Bytes gzip(const Bytes& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// A fresh temporary folder, removed with its contents at the end of the test.
class IdxDir {
 public:
  IdxDir() {
    std::string tmpl = (fs::temp_directory_path() / "ember_idx_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~IdxDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const Bytes& b) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return p.string();
  }

 private:
  fs::path path_;
};

/// The message of the IdxError that parse_idx throws on b ("" when it throws none).
std::string parse_error(const Bytes& b) {
  try {
    ember::data::parse_idx(b, "test.idx");
  } catch (const IdxError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_PARSE_ERROR(bytes, fragment)                                    \
  do {                                                                         \
    const std::string msg_ = parse_error(bytes);                               \
    EXPECT_NE(msg_.find("[read_idx] test.idx: "), std::string::npos) << msg_;  \
    EXPECT_NE(msg_.find(fragment), std::string::npos) << msg_;                 \
  } while (0)

}  // namespace

TEST(Idx, RoundTripPlainAndGzip) {
  IdxDir dir;
  const Bytes payload = iota_bytes(2 * 3 * 4);
  const Bytes file = idx_bytes({2, 3, 4}, payload);
  for (const auto& path : {dir.write("a-idx3-ubyte", file), dir.write("a-idx3-ubyte.gz", gzip(file))}) {
    const auto t = ember::data::read_idx(path);
    EXPECT_EQ(t.shape(), (ember::Shape{2, 3, 4})) << path;
    EXPECT_EQ(t.to_vector(), payload) << path;
  }
}

TEST(Idx, DimsAreBigEndianOnAnyHost) {
  // 258 = 0x00000102: a little-endian reading would see 0x02010000.
  const Bytes payload = iota_bytes(258);
  for (const Bytes& b : {idx_bytes({258}, payload), gzip(idx_bytes({258}, payload))}) {
    const auto t = ember::data::parse_idx(b, "x");
    EXPECT_EQ(t.shape(), (ember::Shape{258}));
    EXPECT_EQ(t.to_vector(), payload);
  }
  const auto t4 = ember::data::parse_idx(idx_bytes({1, 2, 1, 3}, iota_bytes(6)), "x");
  EXPECT_EQ(t4.shape(), (ember::Shape{1, 2, 1, 3}));
}

TEST(Idx, EmptyDatasetAndConcatenatedGzipMembers) {
  EXPECT_EQ(ember::data::parse_idx(idx_bytes({0, 28, 28}, {}), "x").shape(), (ember::Shape{0, 28, 28}));
  // RFC 1952: members decompress to the concatenation of their data.
  const Bytes file = idx_bytes({5, 2}, iota_bytes(10));
  Bytes two = gzip(Bytes(file.begin(), file.begin() + 7));
  const Bytes rest = gzip(Bytes(file.begin() + 7, file.end()));
  two.insert(two.end(), rest.begin(), rest.end());
  EXPECT_EQ(ember::data::parse_idx(two, "x").to_vector(), iota_bytes(10));
}

TEST(Idx, BadHeaders) {
  EXPECT_PARSE_ERROR(Bytes{}, "0 bytes long, too short for the 4-byte IDX magic");
  EXPECT_PARSE_ERROR((Bytes{0, 0, 8}), "3 bytes long");
  EXPECT_PARSE_ERROR((Bytes{1, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3}), "two zero bytes, found 0x01 0x00");
  EXPECT_PARSE_ERROR((Bytes{'P', 'K', 3, 4, 0, 0}), "found 0x50 0x4b");
  EXPECT_PARSE_ERROR(idx_bytes({1}, Bytes(4), 0x0D),
                     "the elements are float32 (IDX type code 0x0d); ember reads uint8");
  EXPECT_PARSE_ERROR(idx_bytes({1}, Bytes(1), 0x09), "int8");
  EXPECT_PARSE_ERROR(idx_bytes({1}, Bytes(1), 0x07), "unknown IDX type code 0x07");
  EXPECT_PARSE_ERROR(idx_bytes({}, {}), "declares 0 dims");
  EXPECT_PARSE_ERROR(idx_bytes({1, 1, 1, 1, 1}, Bytes(1)), "declares 5 dims");
  Bytes cut = idx_bytes({2, 3, 4}, {});
  cut.resize(10);
  EXPECT_PARSE_ERROR(cut, "ends inside the header: 3 dims need 16 bytes, found 10");
  EXPECT_PARSE_ERROR(idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}), "more elements than a 64-bit size");
  // No elements, but strides that int64 cannot hold (found by fuzz_idx).
  EXPECT_PARSE_ERROR(idx_bytes({0, 34287701, 2057290985, 238246013}, {}), "more elements than a 64-bit size");
}

TEST(Idx, TruncatedAndTrailingPayload) {
  EXPECT_PARSE_ERROR(idx_bytes({3, 4}, iota_bytes(10)), "truncated: the header's dims (3, 4) need 12 payload bytes");
  EXPECT_PARSE_ERROR(idx_bytes({3, 4}, iota_bytes(10)), "the file has 10");
  EXPECT_PARSE_ERROR(idx_bytes({3, 4}, iota_bytes(13)), "1 trailing bytes after the 12 payload bytes");
  // A dim of 0 holds no data: anything after the header is trailing.
  EXPECT_PARSE_ERROR(idx_bytes({0, 4}, iota_bytes(4)), "4 trailing bytes after the 0 payload bytes of dims (0, 4)");
  // Huge dims in a small file: refused before any allocation.
  EXPECT_PARSE_ERROR(idx_bytes({60000, 60000, 60000}, iota_bytes(10)), "truncated");
}

TEST(Idx, BadGzip) {
  const Bytes file = idx_bytes({16, 16}, iota_bytes(256));
  const Bytes gz = gzip(file);
  EXPECT_PARSE_ERROR(gzip(idx_bytes({3, 4}, iota_bytes(10))), "need 12 payload bytes, the decompressed data has 10");
  EXPECT_PARSE_ERROR(gzip(idx_bytes({3, 4}, iota_bytes(14))), "2 trailing bytes after the 12 payload bytes");
  EXPECT_PARSE_ERROR(gzip(idx_bytes({1}, Bytes(1), 0x0C)), "int32");
  EXPECT_PARSE_ERROR(Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)),
                     "the gzip stream ends early");
  EXPECT_PARSE_ERROR(Bytes(gz.begin(), gz.end() - 4), "the gzip stream ends early");  // the size trailer cut
  Bytes corrupt = gz;
  corrupt[3] = 0xff;  // reserved flag bits set: zlib refuses the header
  EXPECT_PARSE_ERROR(corrupt, "corrupt gzip stream");
  Bytes crc = gz;
  crc[crc.size() - 6] ^= 0x55;  // the CRC-32 of the data
  EXPECT_PARSE_ERROR(crc, "corrupt gzip stream after 268 decompressed bytes (zlib: incorrect data check)");
  Bytes garbage = gz;
  garbage.insert(garbage.end(), {'x', 'y', 'z'});
  EXPECT_PARSE_ERROR(garbage, "3 bytes after the end of the gzip stream are not gzip data");
  // A header announcing more than deflate can encode in the file: refused before it allocates.
  EXPECT_PARSE_ERROR(gzip(idx_bytes({60000, 60000, 60000}, iota_bytes(10))), "more than a gzip file of");
}

TEST(Idx, MissingFile) {
  IdxDir dir;
  const std::string path = (dir.path() / "nope-idx1-ubyte").string();
  try {
    ember::data::read_idx(path);
    FAIL() << "no error";
  } catch (const ember::io::FileError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(std::string(e.what()).find("[read_idx] cannot open '" + path + "'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("apt install"), std::string::npos) << e.what();
  }
  const std::string debian = ember::data::fashion_mnist_default_root() + "/no-such-file-idx1-ubyte.gz";
  try {
    ember::data::read_idx(debian);
    FAIL() << "no error";
  } catch (const ember::io::FileError& e) {
    EXPECT_NE(std::string(e.what()).find(debian), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("apt install dataset-fashion-mnist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ember::data::read_idx(dir.path().string()), ember::io::FileError);  // a directory
}

TEST(Idx, LoadMnistLayouts) {
  const Bytes images = idx_bytes({3, 2, 2}, iota_bytes(12));
  const Bytes labels = idx_bytes({3}, {7, 0, 9});
  {  // plain names directly in root
    IdxDir dir;
    dir.write("train-images-idx3-ubyte", images);
    dir.write("train-labels-idx1-ubyte", labels);
    const auto s = ember::data::load_mnist(dir.path().string(), true, "MNIST");
    EXPECT_EQ(s.images.shape(), (ember::Shape{3, 2, 2}));
    EXPECT_EQ(s.images.to_vector(), iota_bytes(12));
    EXPECT_EQ(s.labels.to_vector(), (std::vector<std::int64_t>{7, 0, 9}));
  }
  {  // torchvision's root/<name>/raw/, gzip
    IdxDir dir;
    dir.write("MNIST/raw/t10k-images-idx3-ubyte.gz", gzip(images));
    dir.write("MNIST/raw/t10k-labels-idx1-ubyte.gz", gzip(labels));
    const auto s = ember::data::load_mnist(dir.path().string(), false, "MNIST");
    EXPECT_EQ(s.labels.to_vector(), (std::vector<std::int64_t>{7, 0, 9}));
    EXPECT_THROW(ember::data::load_mnist(dir.path().string(), true, "MNIST"), ember::io::FileError);
  }
}

TEST(Idx, LoadMnistChecks) {
  auto error = [](const Bytes& images, const Bytes& labels) -> std::string {
    IdxDir dir;
    dir.write("train-images-idx3-ubyte", images);
    dir.write("train-labels-idx1-ubyte", labels);
    try {
      ember::data::load_mnist(dir.path().string(), true, "MNIST");
    } catch (const IdxError& e) {
      return e.what();
    }
    return "";
  };
  const Bytes images = idx_bytes({3, 2, 2}, iota_bytes(12));
  EXPECT_NE(error(idx_bytes({3, 4}, iota_bytes(12)), idx_bytes({3}, {1, 2, 3})).find("images must be 3-D"),
            std::string::npos);
  EXPECT_NE(error(images, idx_bytes({3, 1}, {1, 2, 3})).find("labels must be 1-D"), std::string::npos);
  EXPECT_NE(error(images, idx_bytes({2}, {1, 2})).find("holds 2 labels for the 3 images"), std::string::npos);
  const std::string bad_label = error(images, idx_bytes({3}, {1, 10, 3}));
  EXPECT_NE(bad_label.find("[MNIST] "), std::string::npos) << bad_label;
  EXPECT_NE(bad_label.find("label 10 at index 1 is not a class in [0, 10)"), std::string::npos) << bad_label;

  IdxDir empty;
  try {
    ember::data::load_mnist(empty.path().string(), true, "MNIST");
    FAIL() << "no error";
  } catch (const ember::io::FileError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("no train-images-idx3-ubyte"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(empty.path().string()), std::string::npos) << e.what();
  }
}

TEST(Idx, DebianFashionMnist) {
  const std::string root = ember::data::fashion_mnist_default_root();
  if (!fs::exists(root + "/train-images-idx3-ubyte.gz")) GTEST_SKIP() << "apt install dataset-fashion-mnist";
  for (const bool train : {true, false}) {
    const auto s = ember::data::load_mnist("", train);
    const std::int64_t n = train ? 60000 : 10000;
    EXPECT_EQ(s.images.shape(), (ember::Shape{n, 28, 28}));
    EXPECT_EQ(s.labels.shape(), (ember::Shape{n}));
    // Fashion-MNIST is balanced: n / 10 images of each class.
    std::vector<std::int64_t> count(10, 0);
    for (auto l : s.labels.to_vector()) ++count.at(static_cast<std::size_t>(l));
    for (auto c : count) EXPECT_EQ(c, n / 10);
    const auto px = s.images.to_vector();
    EXPECT_EQ(*std::max_element(px.begin(), px.end()), 255);
  }
}
