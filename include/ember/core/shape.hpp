#pragma once
// Shapes and strides: a small vector of dimensions, NumPy broadcasting, dim normalisation.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "ember/core/error.hpp"

namespace ember {

/// A list of dimensions (a shape or strides) that stays inline up to 6 entries, so that making a
/// tensor allocates nothing for its shape.
class Shape {
 public:
  static constexpr std::size_t kInline = 6;
  using value_type = std::int64_t;
  using iterator = std::int64_t*;
  using const_iterator = const std::int64_t*;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.size()); }
  explicit Shape(std::size_t n, std::int64_t fill = 0) {
    resize(n);
    std::fill(begin(), end(), fill);
  }
  Shape(std::span<const std::int64_t> dims) { assign(dims.data(), dims.size()); }  // NOLINT
  Shape(const std::vector<std::int64_t>& dims) { assign(dims.data(), dims.size()); }  // NOLINT
  template <class It>
  Shape(It first, It last) {
    resize(static_cast<std::size_t>(std::distance(first, last)));
    std::copy(first, last, begin());
  }
  Shape(const Shape& o) { assign(o.data(), o.size()); }
  Shape(Shape&& o) noexcept { *this = std::move(o); }
  Shape& operator=(const Shape& o) {
    if (this != &o) assign(o.data(), o.size());
    return *this;
  }
  Shape& operator=(Shape&& o) noexcept {
    if (this == &o) return *this;
    if (o.heap_) {
      heap_ = std::move(o.heap_);
      cap_ = o.cap_;
    } else {
      heap_.reset();
      cap_ = kInline;
      std::memcpy(inline_, o.inline_, sizeof(inline_));
    }
    size_ = o.size_;
    o.size_ = 0;
    o.cap_ = kInline;
    return *this;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::int64_t* data() { return heap_ ? heap_.get() : inline_; }
  const std::int64_t* data() const { return heap_ ? heap_.get() : inline_; }
  std::int64_t* begin() { return data(); }
  std::int64_t* end() { return data() + size_; }
  const std::int64_t* begin() const { return data(); }
  const std::int64_t* end() const { return data() + size_; }
  std::int64_t& operator[](std::size_t i) { return data()[i]; }
  std::int64_t operator[](std::size_t i) const { return data()[i]; }
  std::int64_t& back() { return data()[size_ - 1]; }
  std::int64_t back() const { return data()[size_ - 1]; }
  operator std::span<const std::int64_t>() const { return {data(), size_}; }  // NOLINT
  std::vector<std::int64_t> vec() const { return {begin(), end()}; }

  void resize(std::size_t n) {
    if (n > cap_) grow(n);
    for (std::size_t i = size_; i < n; ++i) data()[i] = 0;
    size_ = n;
  }
  void push_back(std::int64_t v) {
    if (size_ == cap_) grow(cap_ * 2);
    data()[size_++] = v;
  }
  void insert(std::size_t pos, std::int64_t v) {
    push_back(0);
    std::int64_t* d = data();
    std::memmove(d + pos + 1, d + pos, (size_ - 1 - pos) * sizeof(std::int64_t));
    d[pos] = v;
  }
  void erase(std::size_t pos) {
    std::int64_t* d = data();
    std::memmove(d + pos, d + pos + 1, (size_ - 1 - pos) * sizeof(std::int64_t));
    --size_;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  void assign(const std::int64_t* src, std::size_t n) {
    size_ = 0;
    resize(n);
    if (n) std::memcpy(data(), src, n * sizeof(std::int64_t));
  }
  void grow(std::size_t n) {
    n = std::max(n, kInline * 2);
    auto p = std::make_unique<std::int64_t[]>(n);
    if (size_) std::memcpy(p.get(), data(), size_ * sizeof(std::int64_t));
    heap_ = std::move(p);
    cap_ = n;
  }

  std::int64_t inline_[kInline] = {};
  std::unique_ptr<std::int64_t[]> heap_;
  std::size_t size_ = 0;
  std::size_t cap_ = kInline;
};

/// Formats a shape as Python does a tuple: (), (5,), (3, 4).
inline std::ostream& operator<<(std::ostream& os, const Shape& s) {
  os << '(';
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  return os << (s.size() == 1 ? ",)" : ")");
}

inline std::string to_string(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

/// Number of elements of a shape (1 for a 0-d shape); ValueError when it overflows int64.
inline std::int64_t numel_of(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s)
    if (__builtin_mul_overflow(n, d, &n)) [[unlikely]]
      detail::fail<std::invalid_argument>("shape", "shape ", s, " has more elements than int64 can count");
  return n;
}

/// Row-major (C-contiguous) strides of a shape, in elements; ValueError when they overflow int64 (an
/// empty shape such as (0, 2^62, 4) has no elements but would still have such strides).
inline Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  std::int64_t acc = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    st[i] = acc;
    if (i > 0 && __builtin_mul_overflow(acc, std::max<std::int64_t>(shape[i], 1), &acc)) [[unlikely]]
      detail::fail<std::invalid_argument>("shape", "stride calculation overflowed for shape ", shape);
  }
  return st;
}

/// Maps a possibly negative dim into [0, ndim); ndim 0 accepts dims -1 and 0 as PyTorch does.
inline std::int64_t normalize_dim(std::int64_t dim, std::int64_t ndim, const char* op) {
  const std::int64_t n = std::max<std::int64_t>(ndim, 1);
  EMBER_CHECK_INDEX(dim >= -n && dim < n, op, "dimension out of range (expected to be in range of [",
                    -n, ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

/// The shape two shapes broadcast to under NumPy's rules.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast") {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1, op, "shapes ", a, " and ", b,
                " cannot be broadcast together: ", da, " != ", db, " at dimension ", i);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Strides that view a tensor of (shape, strides) as target shape, with 0 for broadcast dims.
inline Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target) {
  Shape out(target.size(), 0);
  const std::size_t lead = target.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i)
    out[lead + i] = shape[i] == 1 && target[lead + i] != 1 ? 0 : strides[i];
  return out;
}

}  // namespace ember
