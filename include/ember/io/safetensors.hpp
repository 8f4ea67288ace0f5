#pragma once
// Checkpoints in the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}), then
// the tensors' bytes. Writes are atomic (temporary file, fsync, rename); the reader validates the
// whole header against the file's size before it reads any tensor data.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/core/any_tensor.hpp"
#include "ember/io/json.hpp"
#include "ember/ops/copy.hpp"

namespace ember::io {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

/// A checkpoint file that is not valid safetensors: truncated, corrupt or hostile (Python
/// ember.CheckpointError, a ValueError).
class FormatError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The operating system refused a file operation; code() is the errno value (Python OSError, so a
/// missing file is FileNotFoundError).
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& what, int code, std::string path)
      : std::runtime_error(what), code_(code), path_(std::move(path)) {}
  int code() const { return code_; }
  const std::string& path() const { return path_; }

 private:
  int code_;
  std::string path_;
};

/// The contents of a safetensors file: tensors in header order, and the string metadata.
struct SafeTensors {
  std::vector<std::pair<std::string, AnyTensor>> tensors;
  std::map<std::string, std::string> metadata;

  /// True when a tensor is stored under name.
  bool contains(std::string_view name) const {
    return std::any_of(tensors.begin(), tensors.end(), [&](const auto& p) { return p.first == name; });
  }
  /// The tensor stored under name; std::out_of_range when there is none.
  const AnyTensor& at(std::string_view name) const {
    for (const auto& [n, t] : tensors)
      if (n == name) return t;
    ::ember::detail::fail<std::out_of_range>("load", "no tensor named '", name, "' in the checkpoint");
  }
};

namespace detail {

/// Largest header the reader accepts (the safetensors library's own limit is 100 MB).
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

/// safetensors' dtype code of d.
constexpr std::string_view safetensors_dtype(DType d) {
  switch (d) {
    case DType::Bool: return "BOOL";
    case DType::UInt8: return "U8";
    case DType::Int8: return "I8";
    case DType::Int32: return "I32";
    case DType::Int64: return "I64";
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::BFloat16: return "BF16";
  }
  return "?";
}

/// The DType of a safetensors dtype code, if ember has it.
inline std::optional<DType> dtype_from_safetensors(std::string_view s) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (safetensors_dtype(static_cast<DType>(i)) == s) return static_cast<DType>(i);
  return std::nullopt;
}

[[noreturn]] inline void fail_errno(const char* op, const std::string& what, const std::string& path, int err) {
  throw FileError(std::string("[") + op + "] " + what + " '" + path + "': " + std::strerror(err), err, path);
}

/// Closes a file descriptor at the end of a scope.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() { close(); }
  int get() const { return fd_; }
  /// Closes now; returns close()'s result (an error of a delayed write shows here).
  int close() {
    int r = 0;
    if (fd_ >= 0) r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

/// Writes all n bytes of p to fd; returns 0 or the errno of the failure.
inline int write_all(int fd, const void* p, std::size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, c, std::min<std::size_t>(n, std::size_t{1} << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    c += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

/// Reads exactly n bytes at offset into p; returns the number read (less than n at end of file).
inline std::size_t read_at(int fd, void* p, std::size_t n, std::uint64_t offset, const std::string& path) {
  char* c = static_cast<char*>(p);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, c + done, std::min<std::size_t>(n - done, std::size_t{1} << 30),
                              static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      fail_errno("load", "cannot read", path, errno);
    }
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

/// Throws FormatError "[load] <path>: <args>".
template <class... Args>
[[noreturn]] void bad_file(const std::string& path, const Args&... args) {
  ::ember::detail::fail<FormatError>("load", path, ": ", args...);
}

/// One validated header entry.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::int64_t begin, end;
};

}  // namespace detail

/// Writes tensors (in this order, with unique names) and string metadata to path as safetensors.
/// Non-contiguous tensors are written contiguous, CUDA tensors from a host copy. Atomic: the data goes
/// to a temporary file in the same directory, which is fsynced and renamed over path; on failure path
/// is left as it was.
template <class = void>  // compiled only where called: see AnyTensor::to
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, AnyTensor>>& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
  using ::ember::detail::fail;
  NoGradGuard no_grad;
  // Check everything and lay out the data before creating any file.
  std::vector<AnyTensor> data;
  data.reserve(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    EMBER_CHECK(name != "__metadata__", "save", "'__metadata__' is reserved and cannot name a tensor");
    EMBER_CHECK(t.defined(), "save", "tensor '", name, "' is undefined");
    EMBER_CHECK_DEVICE(t.device().is_cpu(), "save", "tensor '", name, "' is on ", t.device(),
                       "; move it to the CPU first");
    for (std::size_t k = 0; k < i; ++k)
      EMBER_CHECK(tensors[k].first != name, "save", "two tensors are named '", name, "'");
    data.push_back(t.visit_any([](const auto& x) { return AnyTensor(x.device().is_cpu() ? x.contiguous() : x.cpu()); }));
  }
  // Like the safetensors library: data sorted by element size (largest first) so that every tensor
  // starts at a multiple of its element size; the header keeps the caller's order.
  std::vector<std::size_t> order(tensors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return itemsize(data[a].dtype()) > itemsize(data[b].dtype());
  });
  std::vector<std::int64_t> begin(tensors.size());
  std::int64_t offset = 0;
  for (std::size_t i : order) {
    begin[i] = offset;
    offset += data[i].numel() * static_cast<std::int64_t>(itemsize(data[i].dtype()));
  }
  // The header, compact, in the caller's order after __metadata__. The writer checks that every string
  // is UTF-8 (a JSON file cannot hold other bytes).
  rapidjson::StringBuffer json;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                    rapidjson::kWriteValidateEncodingFlag>
      w(json);
  auto string = [&w](const std::string& s, bool key, const auto&... what) {
    if (!(key ? w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()))
              : w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()))))
      fail<std::invalid_argument>("save", "tensor names and metadata must be valid UTF-8 (", what..., " is not)");
  };
  w.StartObject();
  if (!metadata.empty()) {
    w.Key("__metadata__");
    w.StartObject();
    for (const auto& [k, v] : metadata) {
      string(k, true, "a metadata key");
      string(v, false, "the value of metadata key '", k, "'");
    }
    w.EndObject();
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto nbytes = data[i].numel() * static_cast<std::int64_t>(itemsize(data[i].dtype()));
    string(tensors[i].first, true, "the name of tensor ", i);
    w.StartObject();
    w.Key("dtype");
    const std::string_view dtype = detail::safetensors_dtype(data[i].dtype());
    w.String(dtype.data(), static_cast<rapidjson::SizeType>(dtype.size()));
    w.Key("shape");
    w.StartArray();
    for (const auto d : data[i].shape()) w.Int64(d);
    w.EndArray();
    w.Key("data_offsets");
    w.StartArray();
    w.Int64(begin[i]);
    w.Int64(begin[i] + nbytes);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  std::string text(json.GetString(), json.GetSize());
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  const std::uint64_t n = text.size();

  // The temporary file: same directory (rename is atomic only within a file system), a name no
  // loader mistakes for the checkpoint, created exclusively with the umask's permissions.
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  EMBER_CHECK(!base.empty(), "save", "'", path, "' names a directory, not a file");
  std::random_device rd;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tmp-%d-%08x", static_cast<int>(::getpid()), rd());
    tmp = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." + base + suffix;
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt > 100))
      detail::fail_errno("save", "cannot create a temporary file in", dir, errno);
  }
  detail::FdGuard file(fd);
  auto abandon = [&](const std::string& what, int err) {
    file.close();
    ::unlink(tmp.c_str());
    detail::fail_errno("save", what, path, err);
  };
  int err = detail::write_all(fd, &n, 8);
  if (!err) err = detail::write_all(fd, text.data(), text.size());
  for (std::size_t k = 0; !err && k < order.size(); ++k) {
    const AnyTensor& t = data[order[k]];
    err = t.visit_any([fd](const auto& x) {
      return detail::write_all(fd, x.data(), static_cast<std::size_t>(x.numel()) * sizeof(*x.data()));
    });
  }
  if (err) abandon("cannot write", err);
  if (::fsync(fd) != 0) abandon("cannot flush", errno);
  if (file.close() != 0) abandon("cannot close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    detail::fail_errno("save", "cannot replace", path, e);
  }
  // Make the rename itself durable; a directory that cannot be opened or synced is not an error.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

/// Reads a safetensors file. The header is validated whole (dtypes, shapes, offsets within the file,
/// no overlaps and no holes) before any tensor data is read: a bad file raises FormatError naming
/// the file and the problem; an unreadable one FileError.
template <class = void>  // compiled only where called: see AnyTensor::to
SafeTensors load_safetensors(const std::string& path) {
  auto bad = [&path](const auto&... args) { detail::bad_file(path, args...); };
  // O_NONBLOCK: opening a FIFO without a writer (or a device) must not block before fstat can refuse
  // it; on a regular file the flag changes nothing.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) detail::fail_errno("load", "cannot open", path, errno);
  detail::FdGuard file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) detail::fail_errno("load", "cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) detail::fail_errno("load", "cannot load", path, EISDIR);
  if (!S_ISREG(st.st_mode)) bad("not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < 8) bad("the file is ", size, " bytes long, too short for the 8-byte header length (truncated?)");
  std::uint64_t n = 0;
  if (detail::read_at(fd, &n, 8, 0, path) != 8) bad("the file ended while reading the header length");
  if (n == 0) bad("the header length is 0 (a safetensors header is at least '{}')");
  if (n > size - 8)
    bad("the header length ", n, " exceeds the ", size - 8, " bytes that follow it (truncated or not safetensors?)");
  if (n > detail::kMaxHeaderBytes) bad("the header length ", n, " exceeds the limit of ", detail::kMaxHeaderBytes);
  std::string text(n, '\0');
  if (detail::read_at(fd, text.data(), n, 8, path) != n) bad("the file ended inside the header (it changed?)");
  rapidjson::Document header;
  if (const auto error = detail::json_parse(header, text); !error.empty())
    bad("the header is not valid JSON (", error, ")");
  if (!header.IsObject()) bad("the header is a JSON ", detail::json_type_name(header), ", expected an object");
  // A JSON object may repeat a key; RapidJSON keeps both. A file that names a tensor twice is corrupt.
  if (const auto twice = detail::json_repeated_key(header))
    bad(*twice == "__metadata__" ? std::string("__metadata__") : "tensor '" + *twice + "'",
        " appears twice in the header");

  const std::uint64_t buffer = size - 8 - n;
  SafeTensors out;
  std::vector<detail::Entry> entries;
  for (const auto& member : header.GetObject()) {
    const std::string name = detail::json_string(member.name);
    const auto& v = member.value;
    if (name == "__metadata__") {
      if (!v.IsObject()) bad("__metadata__ is a JSON ", detail::json_type_name(v), ", expected an object of strings");
      if (const auto twice = detail::json_repeated_key(v)) bad("__metadata__ key '", *twice, "' appears twice");
      for (const auto& m : v.GetObject()) {
        const std::string k = detail::json_string(m.name);
        if (!m.value.IsString())
          bad("__metadata__ value '", k, "' is a JSON ", detail::json_type_name(m.value), ", expected a string");
        out.metadata[k] = detail::json_string(m.value);
      }
      continue;
    }
    const std::string who = "tensor '" + name + "'";
    if (!v.IsObject()) bad(who, " is described by a JSON ", detail::json_type_name(v), ", expected an object");
    if (const auto twice = detail::json_repeated_key(v)) bad(who, " has '", *twice, "' twice");
    for (const char* key : {"dtype", "shape", "data_offsets"})
      if (!detail::json_member(v, key)) bad(who, " has no '", key, "'");
    const auto& jd = *detail::json_member(v, "dtype");
    if (!jd.IsString()) bad(who, " has a dtype that is not a string");
    const auto dt = detail::dtype_from_safetensors(detail::json_string(jd));
    if (!dt) bad(who, " has dtype '", detail::json_string(jd), "', which ember does not support (it reads F32, F64, ",
                 "I64, I32, U8, BOOL)");
    const auto& js = *detail::json_member(v, "shape");
    if (!js.IsArray()) bad(who, " has a shape that is not a list");
    if (js.Size() > 64) bad(who, " has ", js.Size(), " dimensions (at most 64)");
    detail::Entry e{name, *dt, {}, 0, 0};
    std::int64_t numel = 1;
    std::int64_t span = 1;  // the product of the dims that are not 0: what the tensor's strides count up to
    bool overflow = false, span_overflow = false;
    for (const auto& d : js.GetArray()) {
      const auto x = detail::json_index(d);
      if (!x) bad(who, " has shape ", detail::json_text(js), ": dimensions must be non-negative integers below 2^63");
      e.shape.push_back(*x);
      overflow = overflow || __builtin_mul_overflow(numel, *x, &numel);
      span_overflow = span_overflow || __builtin_mul_overflow(span, std::max<std::int64_t>(*x, 1), &span);
    }
    std::int64_t nbytes = 0;
    if (overflow || __builtin_mul_overflow(numel, static_cast<std::int64_t>(itemsize(*dt)), &nbytes))
      bad(who, " has shape ", e.shape, ", whose size in bytes overflows int64");
    if (span_overflow) bad(who, " has shape ", e.shape, ", whose strides overflow int64 (the product of its non-zero dims)");
    const auto& jo = *detail::json_member(v, "data_offsets");
    if (!jo.IsArray() || jo.Size() != 2)
      bad(who, " has data_offsets ", detail::json_text(jo), ", expected [begin, end]");
    const auto b = detail::json_index(jo[0u]), en = detail::json_index(jo[1u]);
    if (!b || !en) bad(who, " has data_offsets ", detail::json_text(jo), ": offsets must be non-negative integers");
    e.begin = *b;
    e.end = *en;
    if (e.begin > e.end) bad(who, " has data_offsets [", e.begin, ", ", e.end, "]: begin is after end");
    if (static_cast<std::uint64_t>(e.end) > buffer)
      bad(who, " has data_offsets [", e.begin, ", ", e.end, "] beyond the ", buffer,
          "-byte data buffer (truncated file?)");
    if (e.end - e.begin != nbytes)
      bad(who, " has data_offsets [", e.begin, ", ", e.end, "] (", e.end - e.begin, " bytes) but shape ", e.shape,
          " ", dtype_name(*dt), " needs ", nbytes, " bytes");
    entries.push_back(std::move(e));
  }
  // The tensors must tile the data buffer exactly: no overlap, no hole, nothing after the last.
  std::vector<const detail::Entry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::int64_t at = 0;
  const detail::Entry* prev = nullptr;
  for (const auto* e : sorted) {
    if (e->begin < at)
      bad("tensors '", prev->name, "' [", prev->begin, ", ", prev->end, "] and '", e->name, "' [", e->begin, ", ",
          e->end, "] overlap");
    if (e->begin > at)
      bad("bytes [", at, ", ", e->begin, ") of the data buffer belong to no tensor (a hole before '", e->name, "')");
    at = e->end;
    prev = e;
  }
  if (static_cast<std::uint64_t>(at) != buffer)
    bad("the data buffer is ", buffer, " bytes but the tensors cover ", at, " (", buffer - at, " trailing bytes)");

  // Only now read the data, each tensor into its own (aligned) storage.
  const std::uint64_t data_start = 8 + n;
  for (const auto& e : entries) {
    AnyTensor t = dispatch_any_dtype(e.dtype, [&](auto tag) {
      using T = decltype(tag);
      auto x = Tensor<T>::empty(e.shape);
      const auto nbytes = static_cast<std::size_t>(e.end - e.begin);
      if (nbytes > 0 && detail::read_at(fd, x.data(), nbytes, data_start + e.begin, path) != nbytes)
        bad("the file ended inside tensor '", e.name, "' (it changed while being read?)");
      if constexpr (std::is_same_v<T, bool>) {  // any non-zero byte is true; a bool must hold 0 or 1
        auto* bytes = reinterpret_cast<unsigned char*>(x.data());
        for (std::size_t i = 0; i < nbytes; ++i) bytes[i] = bytes[i] != 0;
      }
      return AnyTensor(std::move(x));
    });
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace ember::io
