#pragma once
// Sums (and means) of contiguous float32/float64 tensors on OpenMP threads, accumulated in double.
//
// A contiguous reduction, once dims of extent 1 are dropped and neighbouring dims of the same kind
// merged, is a sequence of kept (K) and reduced (R) groups. Sums with at most three groups -- all of
// them (R), rows (K R), columns (R K), a middle dim (K R K) and the channel sums of NCHW gradients
// (R K R) -- run here as two kernels: folding contiguous runs and adding rows into a row of
// accumulators. Anything longer returns false and goes to the general loop of reduce.hpp.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ember/core/shape.hpp"

namespace ember::detail {

// Both kernels add float32 in float for at most kCascade terms per accumulator before folding the
// partial sum into a double: vectorised float adds at memory speed, with the error of a 64-term
// float sum (not of an n-term one).
inline constexpr std::int64_t kCascade = 64;

/// The sum of the contiguous run x[0, n).
template <class T>
double sum_run(const T* x, std::int64_t n) {
  constexpr std::int64_t kLanes = 16;
  double total = 0;
  for (std::int64_t i = 0; i < n;) {
    const std::int64_t end = std::min(n, i + kLanes * kCascade);
    T lane[kLanes] = {};
    for (; i + kLanes <= end; i += kLanes)
      for (std::int64_t k = 0; k < kLanes; ++k) lane[k] += x[i + k];
    for (std::int64_t k = 0; i < end; ++i, ++k) lane[k] += x[i];
    double block = 0;
    for (std::int64_t k = 0; k < kLanes; ++k) block += static_cast<double>(lane[k]);
    total += block;
  }
  return total;
}

/// acc[k] += x[r * k_count + k] for the rows r in [r0, r1) and k in [0, width) (width <= kStrip).
inline constexpr std::int64_t kStrip = 512;
template <class T>
void add_rows(double* acc, const T* x, std::int64_t r0, std::int64_t r1, std::int64_t k_count, std::int64_t width) {
  for (std::int64_t r = r0; r < r1; r += kCascade) {
    T part[kStrip] = {};
    for (std::int64_t q = r; q < std::min(r + kCascade, r1); ++q) {
      const T* row = x + q * k_count;
      for (std::int64_t k = 0; k < width; ++k) part[k] += row[k];
    }
    for (std::int64_t k = 0; k < width; ++k) acc[k] += static_cast<double>(part[k]);
  }
}

/// acc[k] += x[r * k_count + k] for the rows r in [r0, r1), strip by strip.
template <class T>
void add_rows(double* acc, const T* x, std::int64_t r0, std::int64_t r1, std::int64_t k_count) {
  for (std::int64_t k0 = 0; k0 < k_count; k0 += kStrip)
    add_rows(acc + k0, x + k0, r0, r1, k_count, std::min(kStrip, k_count - k0));
}

/// Below this many input elements a sum runs on the calling thread.
inline constexpr std::int64_t kParallelSum = 1 << 15;

/// out[a] = scale * the sum of the contiguous run x[a * n, (a + 1) * n), for a in [0, rows).
template <class T, class O>
void sum_contiguous_runs(const T* x, std::int64_t rows, std::int64_t n, O* out, double scale) {
  const int threads = omp_get_max_threads();
  if (rows * n < kParallelSum || threads == 1) {
    for (std::int64_t a = 0; a < rows; ++a) out[a] = static_cast<O>(sum_run(x + a * n, n) * scale);
  } else if (rows >= 4 * threads) {
#pragma omp parallel for schedule(static)
    for (std::int64_t a = 0; a < rows; ++a) out[a] = static_cast<O>(sum_run(x + a * n, n) * scale);
  } else {  // few long runs: each run in blocks, the block sums added in a fixed order
    constexpr std::int64_t kBlock = 1 << 14;
    const std::int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(static_cast<std::size_t>(rows * blocks));
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < rows * blocks; ++i) {
      const std::int64_t a = i / blocks, b = i % blocks;
      partial[static_cast<std::size_t>(i)] = sum_run(x + a * n + b * kBlock, std::min(kBlock, n - b * kBlock));
    }
    for (std::int64_t a = 0; a < rows; ++a)
      out[a] = static_cast<O>(sum_run(partial.data() + a * blocks, blocks) * scale);
  }
}

/// out[k] = scale * sum over r of x[r * k_count + k]: the rows of an (r_count, k_count) block added up.
template <class T, class O>
void sum_rows_of_block(const T* x, std::int64_t r_count, std::int64_t k_count, O* out, double scale,
                       bool parallel) {
  const int threads = parallel ? omp_get_max_threads() : 1;
  if (r_count * k_count < kParallelSum || threads == 1) {
    std::vector<double> acc(static_cast<std::size_t>(k_count));
    add_rows(acc.data(), x, 0, r_count, k_count);
    for (std::int64_t k = 0; k < k_count; ++k) out[k] = static_cast<O>(acc[k] * scale);
    return;
  }
  // Column strips of kStrip accumulators (in L1) walk all the rows; with fewer strips than threads,
  // each thread adds a share of the rows into accumulators of its own, combined in thread order.
  const std::int64_t strips = (k_count + kStrip - 1) / kStrip;
  if (strips >= 2 * threads) {
#pragma omp parallel for schedule(static)
    for (std::int64_t s = 0; s < strips; ++s) {
      const std::int64_t k0 = s * kStrip, width = std::min(kStrip, k_count - k0);
      double acc[kStrip] = {};
      add_rows(acc, x + k0, 0, r_count, k_count, width);
      for (std::int64_t k = 0; k < width; ++k) out[k0 + k] = static_cast<O>(acc[k] * scale);
    }
    return;
  }
  std::vector<double> acc(static_cast<std::size_t>(threads * k_count));
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
    add_rows(acc.data() + t * k_count, x, r_count * t / n, r_count * (t + 1) / n, k_count);
  }
  for (std::int64_t k = 0; k < k_count; ++k) {
    double s = 0;
    for (int t = 0; t < threads; ++t) s += acc[static_cast<std::size_t>(t * k_count + k)];
    out[k] = static_cast<O>(s * scale);
  }
}

/// out = scale * the sum of contiguous x (shape `shape`) over the dims where `keep` has extent 1,
/// out laid out contiguously in `keep`. Returns false, doing nothing, for patterns of more than
/// three kept/reduced groups.
template <class T, class O>
bool sum_contiguous(const T* x, const Shape& shape, const Shape& keep, O* out, double scale) {
  struct Group {
    bool reduced;
    std::int64_t extent;
  };
  Group g[3];
  int n = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const bool reduced = keep[d] != shape[d];
    if (n > 0 && g[n - 1].reduced == reduced) {
      g[n - 1].extent *= shape[d];
    } else {
      if (n == 3) return false;
      g[n++] = {reduced, shape[d]};
    }
  }
  if (n == 0 || (n == 1 && !g[0].reduced)) {  // nothing reduced (every reduced dim has extent 1)
    for (std::int64_t i = 0, m = numel_of(keep); i < m; ++i) out[i] = static_cast<O>(x[i] * scale);
    return true;
  }
  if (n == 1) {  // R
    sum_contiguous_runs(x, 1, g[0].extent, out, scale);
  } else if (n == 2 && !g[0].reduced) {  // K R
    sum_contiguous_runs(x, g[0].extent, g[1].extent, out, scale);
  } else if (n == 2) {  // R K
    sum_rows_of_block(x, g[0].extent, g[1].extent, out, scale, true);
  } else if (!g[0].reduced) {  // K R K: one block per outer index, the blocks on threads when many
    const std::int64_t outer = g[0].extent, block = g[1].extent * g[2].extent;
    if (outer >= 2 * omp_get_max_threads() && outer * block >= kParallelSum) {
#pragma omp parallel for schedule(static)
      for (std::int64_t a = 0; a < outer; ++a)
        sum_rows_of_block(x + a * block, g[1].extent, g[2].extent, out + a * g[2].extent, scale, false);
    } else {
      for (std::int64_t a = 0; a < outer; ++a)
        sum_rows_of_block(x + a * block, g[1].extent, g[2].extent, out + a * g[2].extent, scale, true);
    }
  } else {  // R K R: the inner runs summed first, then the rows of those sums
    std::vector<double> runs(static_cast<std::size_t>(g[0].extent * g[1].extent));
    sum_contiguous_runs(x, g[0].extent * g[1].extent, g[2].extent, runs.data(), 1.0);
    sum_rows_of_block(runs.data(), g[0].extent, g[1].extent, out, scale, true);
  }
  return true;
}

}  // namespace ember::detail
