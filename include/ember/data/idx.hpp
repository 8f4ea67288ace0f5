#pragma once
// IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a type code (0x08 = uint8), the
// number of dims, each dim as a big-endian uint32, then the elements in row-major order. The files are
// often gzip-compressed; the reader detects that by its magic bytes and inflates with zlib. Every
// problem (wrong magic, another element type, a truncated or overlong payload, a corrupt gzip stream)
// is an IdxError naming the file; a missing file is an io::FileError (Python FileNotFoundError).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"
#include "ember/io/safetensors.hpp"
#include "ember/ops/copy.hpp"

namespace ember::data {

/// An IDX file that is not valid: wrong magic, an element type other than uint8, truncated, trailing
/// bytes, a corrupt gzip stream, or (load_mnist) contents that are not an MNIST split (Python ValueError).
class IdxError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Where Debian's dataset-fashion-mnist installs Fashion-MNIST (the gzip-compressed IDX files).
inline std::string fashion_mnist_default_root() { return "/usr/share/datasets/fashion-mnist"; }

namespace detail {

/// The hint appended to errors about the files of Debian's package.
inline constexpr const char* kFashionMnistPackageHint = "install Debian's package: apt install dataset-fashion-mnist";

/// True when path is a file directly inside fashion_mnist_default_root().
inline bool in_fashion_mnist_default_root(const std::string& path) {
  const std::string root = fashion_mnist_default_root() + "/";
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path.find('/', root.size()) == std::string::npos;
}

/// Throws IdxError "[op] <source>: <args>".
template <class... Args>
[[noreturn]] void bad_idx(const char* op, const std::string& source, const Args&... args) {
  ::ember::detail::fail<IdxError>(op, source, ": ", args...);
}

/// The name of IDX type code c ("float32"), or "" for a code the format does not define.
inline const char* idx_type_name(std::uint8_t c) {
  switch (c) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "";
  }
}

/// "0x08".
inline std::string hex_byte(std::uint8_t b) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

/// deflate cannot encode more than 1032 output bytes per input byte (a 258-byte match in 2 bits), so a
/// gzip file of n bytes holds at most this many: a header claiming more describes a truncated file.
inline std::uint64_t max_inflated_size(std::uint64_t compressed) {
  return compressed > (UINT64_MAX - 4096) / 1032 ? UINT64_MAX : compressed * 1032 + 4096;
}

/// The bytes of an IDX file, plain or gzip, read front to back: read(dst, n) fills dst with up to n
/// bytes and returns how many (fewer only at the end of the data). A gzip source never inflates more
/// than the reader asks for, so a decompression bomb costs no more memory than the header announced.
class IdxSource {
 public:
  IdxSource(std::span<const std::uint8_t> bytes, const std::string& source) : bytes_(bytes), source_(source) {
    gzip_ = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    if (!gzip_) return;
    zs_.next_in = const_cast<Bytef*>(bytes.data());  // zlib's API is not const-correct; it does not write
    zs_.avail_in = 0;
    // 15 + 16: a 32 KiB window, gzip wrapping only (the magic said so).
    const int r = inflateInit2(&zs_, 15 + 16);
    if (r == Z_MEM_ERROR) throw std::bad_alloc();
    if (r != Z_OK) bad_idx("read_idx", source_, "zlib could not start inflating (", zlib_message(r), ")");
    open_ = true;
  }
  IdxSource(const IdxSource&) = delete;
  IdxSource& operator=(const IdxSource&) = delete;
  ~IdxSource() {
    if (open_) inflateEnd(&zs_);
  }

  bool gzip() const { return gzip_; }
  /// Records the decompressed size the header announces, for the error of a truncated stream.
  void expect(std::uint64_t total) { expected_ = total; }

  /// Copies (or inflates) up to n bytes into dst; returns the number produced.
  std::size_t read(std::uint8_t* dst, std::size_t n) {
    if (!gzip_) {
      const std::size_t k = std::min(n, bytes_.size() - pos_);
      if (k) std::memcpy(dst, bytes_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    std::size_t done = 0;
    while (done < n) {
      if (ended_) {
        if (consumed() == bytes_.size()) break;  // the end of the file after a whole gzip member
        // Concatenated gzip members decompress to the concatenation of their data (RFC 1952).
        const std::size_t at = consumed();
        if (bytes_.size() - at < 2 || bytes_[at] != 0x1f || bytes_[at + 1] != 0x8b)
          bad_idx("read_idx", source_, bytes_.size() - at, " bytes after the end of the gzip stream are not gzip data");
        inflateReset(&zs_);
        ended_ = false;
      }
      refill();
      zs_.next_out = dst + done;
      zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(n - done, UINT_MAX));
      const uInt before = zs_.avail_out;
      const int r = inflate(&zs_, Z_NO_FLUSH);
      done += before - zs_.avail_out;
      total_out_ += before - zs_.avail_out;
      if (r == Z_STREAM_END) {
        ended_ = true;
      } else if (r == Z_BUF_ERROR && consumed() == bytes_.size()) {  // no progress: the input ran out
        bad_idx("read_idx", source_, "the gzip stream ends early after ", total_out_, " decompressed bytes",
                expected_ ? " of the " + std::to_string(expected_) + " its header describes" : std::string(),
                " (truncated file?)");
      } else if (r == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (r != Z_OK) {
        bad_idx("read_idx", source_, "corrupt gzip stream after ", total_out_, " decompressed bytes (zlib: ",
                zs_.msg ? zs_.msg : zlib_message(r), ")");
      }
    }
    return done;
  }

  /// Bytes of the file consumed so far (all of it for a plain file once read to the end).
  std::size_t consumed() const { return gzip_ ? static_cast<std::size_t>(zs_.next_in - bytes_.data()) : pos_; }

 private:
  static const char* zlib_message(int r) {
    switch (r) {
      case Z_DATA_ERROR: return "invalid data";
      case Z_NEED_DICT: return "a preset dictionary, which gzip never uses";
      case Z_STREAM_ERROR: return "inconsistent stream state";
      case Z_VERSION_ERROR: return "incompatible zlib version";
      case Z_MEM_ERROR: return "out of memory";
      default: return "unknown error";
    }
  }
  /// Hands zlib the next slice of input (avail_in is 32-bit).
  void refill() {
    if (zs_.avail_in == 0)
      zs_.avail_in = static_cast<uInt>(std::min<std::size_t>(bytes_.size() - consumed(), UINT_MAX));
  }

  std::span<const std::uint8_t> bytes_;
  const std::string& source_;
  bool gzip_ = false, open_ = false, ended_ = false;
  std::size_t pos_ = 0;
  std::uint64_t total_out_ = 0, expected_ = 0;
  z_stream zs_{};
};

}  // namespace detail

/// The uint8 tensor an IDX file holds (plain or gzip-compressed bytes), shaped as its header says;
/// source_name names the file in errors. Validates everything before it trusts it: the magic, the type
/// (uint8 only), 1 to 4 dims, a payload of exactly the announced size, a sound gzip stream.
inline Tensor<std::uint8_t> parse_idx(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  const std::string& src = source_name;
  auto bad = [&src](const auto&... args) { detail::bad_idx("read_idx", src, args...); };
  detail::IdxSource in(bytes, src);
  const char* what = in.gzip() ? "the decompressed data" : "the file";

  std::uint8_t magic[4];
  if (const auto got = in.read(magic, 4); got < 4)
    bad(what, " is ", got, " bytes long, too short for the 4-byte IDX magic number (truncated or not IDX?)");
  if (magic[0] != 0 || magic[1] != 0)
    bad("not an IDX file: the magic number must start with two zero bytes, found ", detail::hex_byte(magic[0]), " ",
        detail::hex_byte(magic[1]));
  if (magic[2] != 0x08) {
    const char* name = detail::idx_type_name(magic[2]);
    if (*name)
      bad("the elements are ", name, " (IDX type code ", detail::hex_byte(magic[2]),
          "); ember reads uint8 IDX files (type 0x08) only");
    bad("unknown IDX type code ", detail::hex_byte(magic[2]),
        " (the format defines 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
  }
  const int ndim = magic[3];
  if (ndim < 1 || ndim > 4)
    bad("the header declares ", ndim, " dims; an IDX dataset file has 1 to 4 (MNIST's images 3, its labels 1)");

  std::uint8_t dims_raw[16];
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  if (const auto got = in.read(dims_raw, 4 * ndim); got < static_cast<std::size_t>(4 * ndim))
    bad(what, " ends inside the header: ", ndim, " dims need ", header, " bytes, found ", 4 + got, " (truncated?)");
  Shape shape;
  // The product of the nonzero dims must fit too: a tensor's strides are products of its trailing dims,
  // also when another dim is 0.
  std::uint64_t numel = 1, strided = 1;
  bool overflow = false;
  for (int i = 0; i < ndim; ++i) {
    // Big-endian, assembled byte by byte: the host's byte order does not matter.
    const std::uint32_t d = (std::uint32_t{dims_raw[4 * i]} << 24) | (std::uint32_t{dims_raw[4 * i + 1]} << 16) |
                            (std::uint32_t{dims_raw[4 * i + 2]} << 8) | std::uint32_t{dims_raw[4 * i + 3]};
    shape.push_back(static_cast<std::int64_t>(d));
    overflow = overflow || __builtin_mul_overflow(numel, std::uint64_t{d}, &numel) ||
               __builtin_mul_overflow(strided, std::uint64_t{d ? d : 1}, &strided);
  }
  if (overflow || strided > static_cast<std::uint64_t>(INT64_MAX) - header)
    bad("the dims ", shape, " hold more elements than a 64-bit size can count (corrupt header)");
  const std::uint64_t total = header + numel;
  if (!in.gzip()) {
    if (bytes.size() < total)
      bad("truncated: the header's dims ", shape, " need ", numel, " payload bytes (", total,
          " in all), the file has ", bytes.size() - header, " (", bytes.size(), " in all)");
    if (bytes.size() > total)
      bad(bytes.size() - total, " trailing bytes after the ", numel, " payload bytes of dims ", shape,
          " (the file has ", bytes.size(), " bytes, the header describes ", total, ")");
  } else if (total > detail::max_inflated_size(bytes.size())) {
    bad("truncated or corrupt: the header's dims ", shape, " need ", numel,
        " payload bytes, more than a gzip file of ", bytes.size(), " bytes can hold");
  }

  in.expect(total);
  auto out = Tensor<std::uint8_t>::empty(shape);
  const std::size_t got = in.read(out.data(), static_cast<std::size_t>(numel));
  if (got < numel)
    bad("truncated: the header's dims ", shape, " need ", numel, " payload bytes, ", what, " has ", got);
  if (in.gzip()) {
    // Read on to the end of the stream: a trailing byte is an error, and zlib checks the CRC there.
    std::uint8_t extra[4096];
    std::uint64_t more = 0;
    while (more < (1u << 20)) {
      const auto k = in.read(extra, sizeof extra);
      if (k == 0) break;
      more += k;
    }
    if (more)
      bad(more >= (1u << 20) ? "more than " : "", more, " trailing bytes after the ", numel,
          " payload bytes of dims ", shape, " in the decompressed data");
  }
  return out;
}

/// An IDX file (MNIST's format, plain or gzip-compressed): the uint8 payload, shaped as its header says.
inline Tensor<std::uint8_t> read_idx(const std::string& path) {
  const bool debian = detail::in_fashion_mnist_default_root(path);
  auto fail_os = [&](const char* what, int err) {
    std::string msg = std::string("[read_idx] ") + what + " '" + path + "': " + std::strerror(err);
    if (debian && err == ENOENT) msg += std::string(" (") + detail::kFashionMnistPackageHint + ")";
    throw io::FileError(msg, err, path);
  };
  // O_NONBLOCK: a FIFO without a writer must not block before fstat can refuse it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail_os("cannot open", errno);
  io::detail::FdGuard file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail_os("cannot stat", errno);
  if (S_ISDIR(st.st_mode)) fail_os("cannot read", EISDIR);
  if (!S_ISREG(st.st_mode)) detail::bad_idx("read_idx", path, "not a regular file");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  const std::size_t got = io::detail::read_at(fd, bytes.data(), bytes.size(), 0, path);
  bytes.resize(got);
  try {
    return parse_idx(bytes, path);
  } catch (const IdxError& e) {
    if (!debian) throw;
    throw IdxError(std::string(e.what()) +
                   " (reinstall Debian's package: apt install --reinstall dataset-fashion-mnist)");
  }
}

/// One split of an MNIST-format dataset.
struct MnistSplit {
  Tensor<std::uint8_t> images;  ///< (N, rows, cols)
  Tensor<std::int64_t> labels;  ///< (N,), each in [0, 10)
};

namespace detail {

/// The path of file (plain or .gz) under root or torchvision's root/<name>/raw; "" when none exists.
inline std::string find_mnist_file(const std::string& root, const std::string& name, const std::string& file) {
  for (const std::string& dir : {root, root + "/" + name + "/raw"})
    for (const char* ext : {"", ".gz"}) {
      const std::string p = dir + "/" + file + ext;
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return p;
    }
  return "";
}

}  // namespace detail

/// root holds {train,t10k}-{images-idx3,labels-idx1}-ubyte (each plain or .gz, also in torchvision's
/// root/<name>/raw/); an empty root means fashion_mnist_default_root(). `name` ("FashionMNIST" or
/// "MNIST") only words the error messages. Images must be 3-D, labels 1-D with the same N, each < 10.
inline MnistSplit load_mnist(const std::string& root, bool train, const std::string& name = "FashionMNIST") {
  const std::string dir = root.empty() ? fashion_mnist_default_root() : root;
  const char* op = name.c_str();
  const std::string split = train ? "train" : "t10k";
  auto locate = [&](const std::string& file) {
    std::string p = detail::find_mnist_file(dir, name, file);
    if (!p.empty()) return p;
    const std::string shown = dir + "/" + file + ".gz";
    std::string msg = "[" + name + "] no " + file + " (nor " + file + ".gz) in '" + dir + "' or '" + dir + "/" +
                      name + "/raw': " + std::strerror(ENOENT) + " (";
    msg += dir == fashion_mnist_default_root() ? detail::kFashionMnistPackageHint
                                              : "put the dataset's IDX files, plain or .gz, in that folder";
    throw io::FileError(msg + ")", ENOENT, shown);
  };
  const std::string images_path = locate(split + "-images-idx3-ubyte");
  const std::string labels_path = locate(split + "-labels-idx1-ubyte");
  MnistSplit out;
  out.images = read_idx(images_path);
  const auto labels = read_idx(labels_path);
  if (out.images.dim() != 3)
    detail::bad_idx(op, images_path, "images must be 3-D (N, rows, cols), the file holds shape ", out.images.shape());
  if (labels.dim() != 1)
    detail::bad_idx(op, labels_path, "labels must be 1-D (N,), the file holds shape ", labels.shape());
  if (labels.size(0) != out.images.size(0))
    detail::bad_idx(op, labels_path, "holds ", labels.size(0), " labels for the ", out.images.size(0), " images of '",
                    images_path, "'");
  out.labels = Tensor<std::int64_t>::empty({labels.size(0)});
  const std::uint8_t* l = labels.data();
  std::int64_t* o = out.labels.data();
  for (std::int64_t i = 0; i < labels.size(0); ++i) {
    if (l[i] >= 10)
      detail::bad_idx(op, labels_path, "label ", static_cast<int>(l[i]), " at index ", i, " is not a class in [0, 10)");
    o[i] = l[i];
  }
  return out;
}

}  // namespace ember::data
