#pragma once
// einsum and meshgrid, composed from differentiable ops: einsum takes diagonals with an identity mask
// and sum, sums out labels no one else needs, then contracts operands left to right, each pair as one
// batched matmul over (batch, kept, contracted) groups of labels; meshgrid is reshape + expand views.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/linalg.hpp"
#include "ember/ops/reduce.hpp"
#include "ember/ops/view.hpp"

namespace ember {

namespace detail {

// Labels: A-Z are 0..25, a-z 26..51 (torch's order for the implicit output), ellipsis dims 52 + i.
constexpr int kEinsumLetters = 52;

inline int einsum_label(char c, std::string_view eq) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  fail<std::invalid_argument>("einsum", "invalid subscript '", std::string(1, c), "' in equation '", std::string(eq),
                              "': subscripts must be letters in [a-zA-Z]");
}

// One term's subscripts: its letters, with -1 standing for the ellipsis.
inline std::vector<int> einsum_term(std::string_view term, std::string_view eq) {
  std::vector<int> out;
  bool ell = false;
  for (std::size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '.') {
      EMBER_CHECK(term.substr(i, 3) == "..." && !ell, "einsum", "found '.' that is not part of a single ellipsis ",
                  "('...') in equation '", std::string(eq), "'");
      ell = true;
      out.push_back(-1);
      i += 2;
      continue;
    }
    out.push_back(einsum_label(term[i], eq));
  }
  return out;
}

// A tensor with a label per dim.
template <Element T>
struct Labelled {
  Tensor<T> t;
  std::vector<int> labels;
};

// x summed over the dims whose labels are not in keep.
template <Element T>
void einsum_sum_out(Labelled<T>& x, const std::vector<bool>& keep) {
  Shape dims;
  std::vector<int> rest;
  for (std::size_t i = 0; i < x.labels.size(); ++i) {
    if (keep[x.labels[i]]) rest.push_back(x.labels[i]);
    else dims.push_back(static_cast<std::int64_t>(i));
  }
  if (dims.empty()) return;
  x.t = x.t.sum(dims).template to<T>();
  x.labels = rest;
}

// x permuted so its labels come in `order`, reshaped to the products of the groups' sizes.
template <Element T>
Tensor<T> einsum_group(const Labelled<T>& x, const std::vector<std::vector<int>>& groups) {
  Shape perm, shape;
  for (const auto& g : groups) {
    std::int64_t n = 1;
    for (int l : g) {
      const auto at = std::find(x.labels.begin(), x.labels.end(), l) - x.labels.begin();
      perm.push_back(at);
      n *= x.t.shape()[at];
    }
    shape.push_back(n);
  }
  return x.t.permute(perm).reshape(shape);
}

}  // namespace detail

/// Sums the product of operands over the subscripts that the equation's output omits (NumPy/torch
/// einsum: implicit or explicit output, '...' for broadcast dims, a repeated subscript takes a diagonal).
template <Element T>
Tensor<T> einsum(std::string_view equation, const std::vector<Tensor<T>>& operands) {
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq.push_back(c);
  const auto arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::vector<int>> terms;
  for (std::size_t at = 0;;) {
    const auto comma = lhs.find(',', at);
    terms.push_back(detail::einsum_term(std::string_view(lhs).substr(at, comma - at), equation));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  EMBER_CHECK(terms.size() == operands.size(), "einsum", "equation '", std::string(equation), "' has ", terms.size(),
              " operand subscripts but ", operands.size(), " operands were given");
  EMBER_CHECK(!operands.empty(), "einsum", "must provide at least one operand");
  // Expand each ellipsis to labels for its dims (right-aligned across operands, as broadcasting).
  std::int64_t ell_dims = 0;
  std::vector<detail::Labelled<T>> xs;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const Tensor<T>& x = operands[i];
    detail::check_cpu("einsum", operands[0], x);
    const auto named = static_cast<std::int64_t>(std::count_if(terms[i].begin(), terms[i].end(), [](int l) { return l >= 0; }));
    const bool has_ell = named != static_cast<std::int64_t>(terms[i].size());
    EMBER_CHECK(has_ell ? x.dim() >= named : x.dim() == named, "einsum", "operand ", i, " of shape ", x.shape(),
                " has ", x.dim(), " dimensions but its subscripts in '", std::string(equation), "' name ", named,
                has_ell ? " plus an ellipsis" : "");
    if (has_ell) ell_dims = std::max(ell_dims, x.dim() - named);
  }
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const Tensor<T>& x = operands[i];
    const auto e = x.dim() - static_cast<std::int64_t>(std::count_if(terms[i].begin(), terms[i].end(), [](int l) { return l >= 0; }));
    std::vector<int> labels;
    for (int l : terms[i]) {
      if (l >= 0) labels.push_back(l);
      else
        for (std::int64_t j = 0; j < e; ++j) labels.push_back(detail::kEinsumLetters + static_cast<int>(ell_dims - e + j));
    }
    xs.push_back({x, labels});
  }
  const int nlabels = detail::kEinsumLetters + static_cast<int>(ell_dims);
  std::vector<int> count(nlabels, 0);
  for (const auto& x : xs)
    for (int l : x.labels) ++count[l];
  // The output's labels.
  std::vector<int> out;
  if (arrow == std::string::npos) {
    for (int l = detail::kEinsumLetters; l < nlabels; ++l) out.push_back(l);
    for (int l = 0; l < detail::kEinsumLetters; ++l)
      if (count[l] == 1) out.push_back(l);
  } else {
    for (int l : detail::einsum_term(std::string_view(eq).substr(arrow + 2), equation)) {
      if (l < 0) {
        for (int j = detail::kEinsumLetters; j < nlabels; ++j) out.push_back(j);
        continue;
      }
      EMBER_CHECK(count[l] > 0, "einsum", "output subscript '", std::string(1, l < 26 ? char('A' + l) : char('a' + l - 26)),
                  "' of '", std::string(equation), "' appears in no operand");
      EMBER_CHECK(std::find(out.begin(), out.end(), l) == out.end(), "einsum", "output subscripts of '",
                  std::string(equation), "' repeat a subscript");
      out.push_back(l);
    }
  }
  // Diagonals: a label repeated within one operand keeps only the elements where both coordinates agree.
  for (auto& x : xs)
    for (std::size_t a = 0; a < x.labels.size(); ++a)
      for (std::size_t b = x.labels.size(); b-- > a + 1;) {
        if (x.labels[a] != x.labels[b]) continue;
        const std::int64_t n = x.t.shape()[a];
        EMBER_CHECK(x.t.shape()[b] == n, "einsum", "subscript repeated in one operand names dimensions of sizes ", n,
                    " and ", x.t.shape()[b], " (shape ", x.t.shape(), ")");
        Shape ms(x.labels.size(), 1);
        ms[a] = n;
        ms[b] = n;
        x.t = (x.t * eye<T>(n).reshape(ms)).sum(static_cast<std::int64_t>(b)).template to<T>();
        x.labels.erase(x.labels.begin() + static_cast<std::ptrdiff_t>(b));
        --count[x.labels[a]];
      }
  // Each label's size (1 broadcasts), then every operand expanded to it.
  std::vector<std::int64_t> size(nlabels, 1);
  for (const auto& x : xs)
    for (std::size_t d = 0; d < x.labels.size(); ++d) {
      const std::int64_t s = x.t.shape()[d];
      std::int64_t& have = size[x.labels[d]];
      EMBER_CHECK(s == have || s == 1 || have == 1, "einsum", "operands do not broadcast: subscript sizes ", have,
                  " and ", s, " differ (equation '", std::string(equation), "')");
      if (have == 1) have = s;
    }
  for (auto& x : xs) {
    Shape want;
    for (int l : x.labels) want.push_back(size[l]);
    if (!(want == x.t.shape())) x.t = x.t.expand(want);
  }
  // Contract left to right; a label stays while the output or a later operand names it.
  std::vector<bool> in_out(nlabels, false);
  for (int l : out) in_out[l] = true;
  auto keep_after = [&](std::size_t i) {  // labels of the output and of operands i+1...
    std::vector<bool> keep = in_out;
    for (std::size_t j = i + 1; j < xs.size(); ++j)
      for (int l : xs[j].labels) keep[l] = true;
    return keep;
  };
  detail::Labelled<T> acc = xs[0];
  {
    std::vector<bool> keep = keep_after(0);
    if (xs.size() > 1)
      for (int l : xs[1].labels) keep[l] = true;
    detail::einsum_sum_out(acc, keep);
  }
  for (std::size_t i = 1; i < xs.size(); ++i) {
    const std::vector<bool> keep = keep_after(i);
    detail::Labelled<T> b = xs[i];
    std::vector<bool> keep_b = keep, keep_a = keep;
    for (int l : acc.labels) keep_b[l] = true;
    for (int l : b.labels) keep_a[l] = true;
    detail::einsum_sum_out(b, keep_b);
    detail::einsum_sum_out(acc, keep_a);
    std::vector<int> batch, a_only, con, b_only;
    for (int l : acc.labels) {
      const bool in_b = std::find(b.labels.begin(), b.labels.end(), l) != b.labels.end();
      (in_b ? (keep[l] ? batch : con) : a_only).push_back(l);
    }
    for (int l : b.labels)
      if (std::find(acc.labels.begin(), acc.labels.end(), l) == acc.labels.end()) b_only.push_back(l);
    const Tensor<T> a3 = detail::einsum_group(acc, {batch, a_only, con});
    const Tensor<T> b3 = detail::einsum_group(b, {batch, con, b_only});
    Shape shape;
    std::vector<int> labels;
    for (const auto* g : {&batch, &a_only, &b_only})
      for (int l : *g) {
        shape.push_back(size[l]);
        labels.push_back(l);
      }
    acc = {bmm(a3, b3).reshape(shape), labels};
  }
  detail::einsum_sum_out(acc, in_out);
  Shape perm;
  for (int l : out) perm.push_back(std::find(acc.labels.begin(), acc.labels.end(), l) - acc.labels.begin());
  return acc.t.permute(perm);
}

/// einsum of a braced list of operands: einsum("ij,jk->ik", {a, b}).
template <Element T>
Tensor<T> einsum(std::string_view equation, std::initializer_list<Tensor<T>> operands) {
  return einsum(equation, std::vector<Tensor<T>>(operands));
}

/// Coordinate grids of 1-D (or 0-d) tensors: output i varies along dim i ("ij") or, with "xy", the
/// first two dims swapped (Cartesian indexing); each output is an expanded view of its input.
template <Element T>
std::vector<Tensor<T>> meshgrid(const std::vector<Tensor<T>>& tensors, std::string_view indexing = "ij") {
  EMBER_CHECK(!tensors.empty(), "meshgrid", "expects a non-empty list of tensors");
  EMBER_CHECK(indexing == "ij" || indexing == "xy", "meshgrid", "indexing must be one of \"xy\" or \"ij\", got \"",
              std::string(indexing), "\"");
  const std::size_t n = tensors.size();
  std::vector<std::size_t> pos(n);
  for (std::size_t i = 0; i < n; ++i) pos[i] = i;
  if (indexing == "xy" && n >= 2) std::swap(pos[0], pos[1]);
  Shape shape(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    EMBER_CHECK(tensors[i].dim() <= 1, "meshgrid", "expects all tensors to be 0-d or 1-d, but tensor ", i,
                " has shape ", tensors[i].shape());
    shape[pos[i]] = tensors[i].numel();
  }
  std::vector<Tensor<T>> out;
  for (std::size_t i = 0; i < n; ++i) {
    Shape s(n, 1);
    s[pos[i]] = tensors[i].numel();
    out.push_back(tensors[i].reshape(s).expand(shape));
  }
  return out;
}

}  // namespace ember
