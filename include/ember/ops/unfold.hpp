#pragma once
// unfold (im2col) and fold (col2im), as torch.nn.functional.unfold / fold. unfold pads the input and gathers
// every kernel-sized patch with one index_select over the flattened plane (the positions cached per
// geometry); fold is its adjoint, an index_add of the columns into a zero plane (overlapping patches sum),
// then the padding cropped. Both take their gradients from those ops. (A grouped convolution with one-hot
// weights did this before: inf * 0 turned every patch holding an infinity into NaN.)
// Also unfold_dim, torch.Tensor.unfold: the sliding windows along one dim as a view.
#include <array>
#include <cstdint>

#include "ember/backend/onednn/cache.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/scatter.hpp"
#include "ember/ops/spatial.hpp"
#include "ember/ops/view.hpp"

namespace ember {

/// Kernel size, dilation, padding and stride of unfold / fold, per spatial axis (height, width).
struct UnfoldOptions {
  std::array<std::int64_t, 2> kernel_size{1, 1};
  std::array<std::int64_t, 2> dilation{1, 1};
  std::array<std::int64_t, 2> padding{0, 0};
  std::array<std::int64_t, 2> stride{1, 1};
};

namespace detail {

inline void check_unfold_options(const UnfoldOptions& o, const char* op) {
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(o.kernel_size[i] > 0, op, "kernel_size must be positive, got (", o.kernel_size[0], ", ",
                o.kernel_size[1], ")");
    EMBER_CHECK(o.dilation[i] > 0, op, "dilation must be positive, got (", o.dilation[0], ", ", o.dilation[1], ")");
    EMBER_CHECK(o.padding[i] >= 0, op, "padding must be non-negative, got (", o.padding[0], ", ", o.padding[1], ")");
    EMBER_CHECK(o.stride[i] > 0, op, "stride must be positive, got (", o.stride[0], ", ", o.stride[1], ")");
  }
}

/// The positions in a padded (hp, wp) plane that unfold reads, ordered (kernel row, kernel column, block
/// row, block column) as PyTorch lays the columns out. Cached: a layer calls with the same geometry every step.
inline Tensor<std::int64_t> patch_index(std::int64_t wp, std::int64_t oh, std::int64_t ow, const UnfoldOptions& o) {
  static onednn::PrimitiveCache<Tensor<std::int64_t>> cache(16);
  onednn::Key key;
  key.add(wp).add(oh).add(ow);
  for (int i = 0; i < 2; ++i) key.add(o.kernel_size[i]).add(o.dilation[i]).add(o.stride[i]);
  return cache.get(key, [&] {
    const auto [kh, kw] = o.kernel_size;
    Tensor<std::int64_t> idx = Tensor<std::int64_t>::empty({kh * kw * oh * ow});
    std::int64_t* p = idx.data();
    for (std::int64_t ki = 0; ki < kh; ++ki)
      for (std::int64_t kj = 0; kj < kw; ++kj)
        for (std::int64_t r = 0; r < oh; ++r)
          for (std::int64_t c = 0; c < ow; ++c)
            *p++ = (ki * o.dilation[0] + r * o.stride[0]) * wp + kj * o.dilation[1] + c * o.stride[1];
    return idx;
  });
}

/// The number of patch positions along one axis of extent n.
inline std::int64_t patch_count(std::int64_t n, const UnfoldOptions& o, int axis) {
  return (n + 2 * o.padding[axis] - o.dilation[axis] * (o.kernel_size[axis] - 1) - 1) / o.stride[axis] + 1;
}

}  // namespace detail

/// The sliding kernel-sized blocks of x (N, C, H, W) or (C, H, W), each flattened into a column:
/// (N, C * kh * kw, L) with L the number of block positions, channel-major as PyTorch lays them out.
template <FloatElement T>
Tensor<T> unfold(const Tensor<T>& x, const UnfoldOptions& o) {
  detail::check_unfold_options(o, "unfold");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, "unfold", "expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape ",
              x.shape());
  const Tensor<T> x4 = x.dim() == 3 ? unsqueeze(x, 0) : x;
  const std::int64_t n = x4.shape()[0], c = x4.shape()[1];
  const std::int64_t oh = detail::patch_count(x4.shape()[2], o, 0), ow = detail::patch_count(x4.shape()[3], o, 1);
  EMBER_CHECK(oh > 0 && ow > 0, "unfold", "the kernel (", o.kernel_size[0], ", ", o.kernel_size[1], ") with dilation (",
              o.dilation[0], ", ", o.dilation[1], ") and padding (", o.padding[0], ", ", o.padding[1],
              ") does not fit the input of shape ", x.shape());
  const auto [ph, pw] = o.padding;
  const Tensor<T> xp = ph || pw ? pad(x4, {pw, pw, ph, ph}) : x4;
  const std::int64_t wp = xp.shape()[3];
  const Tensor<T> patches = index_select(reshape(xp, {n, c, xp.shape()[2] * wp}), 2, detail::patch_index(wp, oh, ow, o));
  const Tensor<T> cols = reshape(patches, {n, c * o.kernel_size[0] * o.kernel_size[1], oh * ow});
  return x.dim() == 3 ? squeeze(cols, 0) : cols;
}

/// The inverse arrangement of unfold: the columns of x (N, C * kh * kw, L) or (C * kh * kw, L) put back as
/// blocks of an (N, C, H, W) output of output_size (H, W), overlapping blocks summed.
template <FloatElement T>
Tensor<T> fold(const Tensor<T>& x, const std::array<std::int64_t, 2>& output_size, const UnfoldOptions& o) {
  detail::check_unfold_options(o, "fold");
  EMBER_CHECK(x.dim() == 2 || x.dim() == 3, "fold", "expected a 2-d (C * kh * kw, L) or 3-d (N, C * kh * kw, L) "
              "input, got shape ", x.shape());
  const Tensor<T> x3 = x.dim() == 2 ? unsqueeze(x, 0) : x;
  const std::int64_t k = o.kernel_size[0] * o.kernel_size[1];
  EMBER_CHECK(x3.shape()[1] % k == 0, "fold", "expected size of input's dim 1 to be divisible by the product of "
              "kernel_size (", k, "), got shape ", x.shape());
  const std::int64_t oh = detail::patch_count(output_size[0], o, 0), ow = detail::patch_count(output_size[1], o, 1);
  EMBER_CHECK(oh > 0 && ow > 0 && x3.shape()[2] == oh * ow, "fold", "given output_size (", output_size[0], ", ",
              output_size[1], "), kernel_size (", o.kernel_size[0], ", ", o.kernel_size[1], "), dilation, padding and "
              "stride, expected input's dim 2 to be ", std::max<std::int64_t>(oh, 0) * std::max<std::int64_t>(ow, 0),
              ", got shape ", x.shape());
  const std::int64_t n = x3.shape()[0], c = x3.shape()[1] / k;
  const auto [ph, pw] = o.padding;
  const std::int64_t hp = output_size[0] + 2 * ph, wp = output_size[1] + 2 * pw;
  const Tensor<T> plane = index_add(zeros<T>({n, c, hp * wp}), 2, detail::patch_index(wp, oh, ow, o),
                                    reshape(x3, {n, c, k * oh * ow}));
  const Tensor<T> y = reshape(plane, {n, c, hp, wp}).narrow(2, ph, output_size[0]).narrow(3, pw, output_size[1]).contiguous();
  return x.dim() == 2 ? squeeze(y, 0) : y;
}

/// The windows of `size` elements, `step` apart, along dim of x, as a view (torch.Tensor.unfold): dim's extent
/// becomes the number of windows, (extent - size) / step + 1, and a last dim of `size` is appended. Windows
/// overlap when step < size: such a view is read-only (an in-place op on it is refused), and its gradient
/// sums the overlaps. A 0-d x counts as one element.
template <Element T>
Tensor<T> unfold_dim(const Tensor<T>& x, std::int64_t dim, std::int64_t size, std::int64_t step) {
  if (x.dim() == 0) {
    EMBER_CHECK(dim == 0 || dim == -1, "unfold", "dimension out of range (expected 0 or -1 for a 0-d tensor, got ",
                dim, ")");
    return reshape(unfold_dim(reshape(x, {1}), 0, size, step), {size});
  }
  const std::int64_t d = normalize_dim(dim, x.dim(), "unfold");
  const std::int64_t extent = x.shape()[d];
  EMBER_CHECK(size >= 0 && size <= extent, "unfold", "maximum size for tensor at dimension ", d, " is ", extent,
              " but size is ", size, " (tensor of shape ", x.shape(), ")");
  EMBER_CHECK(step > 0, "unfold", "step is ", step, " but must be > 0");
  const std::int64_t windows = (extent - size) / step + 1;
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = windows;
  strides[d] = x.strides()[d] * step;
  shape.push_back(size);
  strides.push_back(x.strides()[d]);
  Tensor<T> out = detail::make_view(x, std::move(shape), std::move(strides), x.offset());
  if constexpr (GradElement<T>) {
    if (autograd::needs_grad(x))
      autograd::record("unfold", out, [x_shape = x.shape(), d, size, step, windows](const Tensor<T>& g) {
        // Window i's element k is x's element i * step + k along d: index_add sums the overlaps.
        std::vector<std::int64_t> at(static_cast<std::size_t>(windows * size));
        for (std::int64_t i = 0; i < windows; ++i)
          for (std::int64_t k = 0; k < size; ++k) at[static_cast<std::size_t>(i * size + k)] = i * step + k;
        const auto nd = static_cast<std::int64_t>(x_shape.size());
        Shape order, merged = x_shape;
        for (std::int64_t a = 0; a < nd; ++a) {
          order.push_back(a);
          if (a == d) order.push_back(nd);  // the window's elements next to the window index
        }
        merged[d] = windows * size;
        const Tensor<T> gm = reshape(permute(g, order), merged);
        return index_add(zeros<T>(x_shape, g.device()), d, tensor<std::int64_t>(at, g.device()), gm);
      }, x);
  }
  autograd::mark_view(out, x);
  return out;
}

}  // namespace ember
