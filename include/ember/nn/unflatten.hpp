#pragma once
// Unflatten<T>: splits one dim into unflattened_size (Flatten's inverse), as torch.nn.Unflatten.
#include <cstdint>
#include <sstream>
#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/view.hpp"

namespace ember::nn {

/// The shape of x (shape) with dim replaced by sizes (one of them may be -1, inferred); ValueError-style
/// errors name the layer (ember.nn.Unflatten calls this too).
inline Shape unflatten_shape(const Shape& shape, std::int64_t dim, const Shape& sizes) {
  constexpr const char* op = "Unflatten";
  const auto ndim = static_cast<std::int64_t>(shape.size());
  EMBER_CHECK(ndim > 0, op, "cannot unflatten a 0-d input");
  const auto d = static_cast<std::size_t>(normalize_dim(dim, ndim, op));
  EMBER_CHECK(!sizes.empty(), op, "unflattened_size must be non-empty");
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      EMBER_CHECK(infer < 0, op, "only one dimension can be inferred, got unflattened_size ", sizes);
      infer = static_cast<std::int64_t>(i);
    } else {
      EMBER_CHECK(sizes[i] >= 0, op, "invalid size ", sizes[i], " in unflattened_size ", sizes);
      known *= sizes[i];
    }
  }
  Shape out_sizes = sizes;
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && shape[d] % known == 0, op, "unflattened_size ", sizes, " cannot split dim ", dim,
                " of size ", shape[d], " (input shape ", shape, ")");
    out_sizes[static_cast<std::size_t>(infer)] = shape[d] / known;
  } else {
    EMBER_CHECK(known == shape[d], op, "provided sizes ", sizes, " don't multiply up to the size of dim ", dim, " (",
                shape[d], ") in the input tensor of shape ", shape);
  }
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != d) out.push_back(shape[i]);
    else
      for (auto s : out_sizes) out.push_back(s);
  }
  return out;
}

/// x (*, S, *) -> (*, U1, ..., Uk, *) where S = U1 * ... * Uk is dim `dim` and (U1, ..., Uk) = unflattened_size.
template <FloatElement T = float>
class Unflatten : public Module<T> {
 public:
  Unflatten(std::int64_t dim, Shape unflattened_size)
      : Module<T>("Unflatten"), dim(dim), unflattened_size(std::move(unflattened_size)) {}
  Tensor<T> forward(const Tensor<T>& x) override { return x.reshape(unflatten_shape(x.shape(), dim, unflattened_size)); }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "dim=" << dim << ", unflattened_size=" << unflattened_size;
    return os.str();
  }
  std::int64_t dim;
  Shape unflattened_size;
};

}  // namespace ember::nn
