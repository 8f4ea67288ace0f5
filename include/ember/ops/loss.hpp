#pragma once
// Losses, as torch.nn.functional: cross_entropy, nll_loss, binary_cross_entropy,
// binary_cross_entropy_with_logits, mse_loss, l1_loss, smooth_l1_loss, huber_loss; and one_hot, which makes
// class-index targets.
//
// C++ API: the loss of `input` against `target`, then options. The losses with class weights take an
// options struct whose fields follow PyTorch's keyword order (C++20 designated initializers need that order):
//   cross_entropy(logits, target, {.weight = w, .ignore_index = 0, .reduction = Reduction::Sum,
//                                  .label_smoothing = 0.1});
//   nll_loss(logp, target, {.weight = w, .ignore_index = -100, .reduction = Reduction::Mean});
//   binary_cross_entropy(p, target, {.weight = w, .reduction = Reduction::None});
//   binary_cross_entropy_with_logits(x, target, {.weight = w, .reduction = ..., .pos_weight = pw});
//   mse_loss(input, target, Reduction::Sum);  l1_loss(input, target, Reduction::Mean);
// Class-index targets may be any integer tensor (int64, int32, uint8); a float target of the input's
// shape is a class-probability target of cross_entropy. Layouts of the class losses: input (C), (N, C)
// or (N, C, d1, ...) with target (), (N) or (N, d1, ...); reduction None gives the target's shape.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"
#include "ember/ops/elementwise.hpp"
#include "ember/ops/gather.hpp"
#include "ember/ops/nn_functional.hpp"
#include "ember/ops/reduce.hpp"

namespace ember {

/// How a loss reduces its per-element values: their mean, their sum, or none (the unreduced values).
enum class Reduction { Mean, Sum, None };

/// "mean", "sum" or "none" as a Reduction; ValueError naming op for anything else.
inline Reduction parse_reduction(std::string_view s, const char* op) {
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  if (s == "none") return Reduction::None;
  detail::fail<std::invalid_argument>(op, "'", s, "' is not a valid value for reduction (use 'mean', 'sum' or 'none')");
}

/// Options of nll_loss: weight (C) per class, targets equal to ignore_index do not count.
template <FloatElement T>
struct NLLLossOptions {
  OptionalTensor<T> weight;
  std::int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

/// Options of cross_entropy: nll_loss's, and label_smoothing in [0, 1].
template <FloatElement T>
struct CrossEntropyOptions {
  OptionalTensor<T> weight;
  std::int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;
};

/// Options of binary_cross_entropy: weight broadcast to the input's shape.
template <FloatElement T>
struct BCEOptions {
  OptionalTensor<T> weight;
  Reduction reduction = Reduction::Mean;
};

/// Options of binary_cross_entropy_with_logits: BCE's, and pos_weight (broadcast to the input's shape,
/// typically one per class along the last dim) weighing the positive term.
template <FloatElement T>
struct BCEWithLogitsOptions {
  OptionalTensor<T> weight;
  Reduction reduction = Reduction::Mean;
  OptionalTensor<T> pos_weight;
};

namespace detail {

/// True when shape `from` broadcasts to `to` without growing `to`.
inline bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (std::size_t i = 1; i <= from.size(); ++i) {
    const std::int64_t a = from[from.size() - i], b = to[to.size() - i];
    if (a != 1 && a != b) return false;
  }
  return true;
}

/// True when shapes a and b broadcast together.
inline bool broadcastable(const Shape& a, const Shape& b) {
  for (std::size_t i = 1; i <= std::min(a.size(), b.size()); ++i) {
    const std::int64_t x = a[a.size() - i], y = b[b.size() - i];
    if (x != y && x != 1 && y != 1) return false;
  }
  return true;
}

template <FloatElement T>
Tensor<T> reduce_loss(const Tensor<T>& loss, Reduction r) {
  if (r == Reduction::Sum) return sum(loss);
  if (r == Reduction::Mean) return mean(loss);
  return loss;
}

/// The number of classes of input (C), (N, C) or (N, C, d1, ...), and the target shape it expects.
template <FloatElement T>
std::pair<std::int64_t, Shape> class_layout(const Tensor<T>& input, const char* op) {
  EMBER_CHECK(input.dim() > 0, op, "expected an input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor");
  if (input.dim() == 1) return {input.size(0), Shape{}};
  Shape expected{input.size(0)};
  for (std::int64_t d = 2; d < input.dim(); ++d) expected.push_back(input.size(d));
  return {input.size(1), expected};
}

/// input (C), (N, C) or (N, C, d1, ...) as rows (M, C), the class dim last.
template <FloatElement T>
Tensor<T> class_rows(const Tensor<T>& input) {
  if (input.dim() == 1) return input.unsqueeze(0);
  if (input.dim() == 2) return input;
  Shape perm{0};
  for (std::int64_t d = 2; d < input.dim(); ++d) perm.push_back(d);
  perm.push_back(1);
  return input.permute(perm).reshape({-1, input.size(1)});
}

/// Class-index target of any integer type as contiguous int64 (M), after the dtype and shape checks.
template <FloatElement T, Element I>
Tensor<std::int64_t> class_targets(const Tensor<T>& input, const Tensor<I>& target, const char* op) {
  const auto [classes, expected] = class_layout(input, op);
  EMBER_CHECK_TYPE((!FloatElement<I> && !std::is_same_v<I, bool>), op,
                   "expected class-index targets of an integer dtype (int64) and shape ", expected,
                   " for input of shape ", input.shape(), ", got ", dtype_name(target.dtype()), " targets of shape ",
                   target.shape());
  EMBER_CHECK(target.shape() == expected, op, "expected target of shape ", expected, " for input of shape ",
              input.shape(), ", got target of shape ", target.shape());
  check_cpu(op, input, target);
  if constexpr (FloatElement<I> || std::is_same_v<I, bool>) {
    return {};
  } else {
    return target.template to<std::int64_t>().contiguous().reshape({-1});
  }
}

template <FloatElement T>
void check_class_weight(const std::optional<Tensor<T>>& weight, std::int64_t classes, const char* op) {
  if (weight)
    EMBER_CHECK(weight->shape() == (Shape{classes}), op, "weight should have one entry per class, shape (", classes,
                ",), got shape ", weight->shape());
}

/// Per-row weights w[t_i] of the counted rows (0 for ignored ones) and their sum; IndexError naming the
/// bad targets. t (M) contiguous int64, weight (C) or none.
template <FloatElement T>
std::vector<T> row_weights(const Tensor<std::int64_t>& t, const std::optional<Tensor<T>>& weight, std::int64_t classes,
                           std::int64_t ignore_index, double& total, const char* op) {
  const std::int64_t m = t.numel();
  const std::int64_t* tp = t.data();
  std::vector<T> w(static_cast<std::size_t>(m));
  const Tensor<T> wc = weight ? weight->contiguous() : Tensor<T>();
  const T* wp = weight ? wc.data() : nullptr;
  total = 0;
  for (std::int64_t i = 0; i < m; ++i) {
    const std::int64_t c = tp[i];
    if (c == ignore_index) { w[i] = T(0); continue; }
    if (c < 0 || c >= classes) [[unlikely]]
      fail<std::out_of_range>(op, "target ", bad_values(t.to_vector(), [&](std::int64_t v) {
        return v == ignore_index || (v >= 0 && v < classes);
      }), " is out of bounds for ", classes, " classes: targets must be in [0, ", classes - 1,
        "] or equal ignore_index (", ignore_index, ")");
    w[i] = wp ? wp[c] : T(1);
    total += static_cast<double>(w[i]);
  }
  return w;
}

/// The reduced (or per-row, shaped tshape) loss -w_i * logp[i, t_i] of rows logp (M, C), contiguous,
/// and the scale of row i's gradient given the output's gradient g: g * scale (sum/mean) or g[i] (none).
/// With fused_softmax, logp are the log-probabilities of `from` (the logits), and the backward is
/// d from[i, c] = G_i * w_i * (exp(logp[i, c]) - [c == t_i]); else d logp[i, t_i] = -G_i * w_i.
template <FloatElement T>
Tensor<T> pick_loss(const Tensor<T>& from, const Tensor<T>& logp, const Tensor<std::int64_t>& t, std::vector<T> w,
                    double total, Reduction reduction, const Shape& tshape, bool fused_softmax, const char* op) {
  const std::int64_t m = logp.size(0), c = logp.size(1);
  const T* lp = logp.data();
  const std::int64_t* tp = t.data();
  Tensor<T> out = Tensor<T>::empty(reduction == Reduction::None ? tshape : Shape{});
  double acc = 0;
  T* row = reduction == Reduction::None ? out.data() : nullptr;
  for (std::int64_t i = 0; i < m; ++i) {
    const T v = w[i] == T(0) ? T(0) : -w[i] * lp[i * c + tp[i]];
    if (row) row[i] = v;
    else acc += static_cast<double>(v);
  }
  const double scale = reduction == Reduction::Mean ? 1.0 / total : 1.0;  // 0 counted: 0/0 = NaN as PyTorch
  if (!row) *out.data() = static_cast<T>(acc * scale);
  if (autograd::needs_grad(from)) {
    autograd::record(op, out, [logp, t, w = std::move(w), scale, reduction, fused_softmax](const Tensor<T>& g) {
      const std::int64_t m = logp.size(0), c = logp.size(1);
      const Tensor<T> gc = g.contiguous();
      const T* gp = gc.data();
      const std::int64_t* tp = t.data();
      auto coef = [&](std::int64_t i) {
        return reduction == Reduction::None ? gp[i] * w[i] : static_cast<T>(gp[0] * scale) * w[i];
      };
      if (!fused_softmax) {
        Tensor<T> d = zeros<T>(logp.shape());
        T* dp = d.data();
        for (std::int64_t i = 0; i < m; ++i)
          if (w[i] != T(0)) dp[i * c + tp[i]] = -coef(i);
        return d;
      }
      Tensor<T> d = exp(logp);  // softmax: (p - onehot) * coef, row by row
      T* dp = d.data();
      bool uniform = reduction != Reduction::None;
      for (std::int64_t i = 0; i < m && uniform; ++i) uniform = w[i] == T(1);
      for (std::int64_t i = 0; i < m; ++i)
        if (w[i] != T(0)) dp[i * c + tp[i]] -= T(1);
      if (uniform) {
        d.mul_(static_cast<T>(gp[0] * scale));
        return d;
      }
      Tensor<T> k = Tensor<T>::empty({m, 1});
      for (std::int64_t i = 0; i < m; ++i) k.data()[i] = coef(i);
      d.mul_(k);
      return d;
    }, from);
  }
  return out;
}

/// nll_loss / cross_entropy (fused_softmax) of class-index targets; label smoothing composed on top.
template <FloatElement T>
Tensor<T> class_index_loss(const Tensor<T>& input, const Tensor<std::int64_t>& t, const OptionalTensor<T>& weight,
                           std::int64_t ignore_index, Reduction reduction, double smoothing, bool logits,
                           const char* op) {
  const auto [classes, tshape] = class_layout(input, op);
  check_class_weight(weight, classes, op);
  if (weight) check_cpu(op, input, *weight);
  double total = 0;
  std::vector<T> w = row_weights(t, weight, classes, ignore_index, total, op);
  const Tensor<T> rows = class_rows(input);
  if (logits && smoothing == 0.0) {
    Tensor<T> logp;
    {
      NoGradGuard no_grad;
      logp = softmax_impl(rows.contiguous(), 1, true, op);
    }
    return pick_loss(rows, logp, t, std::move(w), total, reduction, tshape, true, op);
  }
  const Tensor<T> logp = logits ? log_softmax(rows, 1).contiguous() : rows.contiguous();
  Tensor<T> nll = pick_loss(logp, logp, t, std::move(w), total, reduction, tshape, false, op);
  if (smoothing == 0.0) return nll;
  // (1 - e) * nll + e / C * smooth, smooth_i = -sum_c w_c logp[i, c] over counted rows, 'mean' divided
  // by the same total weight as nll.
  Tensor<T> smooth = -sum(weight ? logp * weight->reshape({1, classes}) : logp, 1);
  smooth = smooth.masked_fill(eq(t, ignore_index), T(0));
  if (reduction == Reduction::None) smooth = smooth.reshape(tshape);
  else smooth = reduction == Reduction::Sum ? sum(smooth) : sum(smooth) / static_cast<T>(total);
  return nll * static_cast<T>(1.0 - smoothing) + smooth * static_cast<T>(smoothing / static_cast<double>(classes));
}

}  // namespace detail

/// Negative log likelihood of class indices target given log-probabilities input (C), (N, C) or
/// (N, C, d1, ...): -weight[t] * input[.., t, ..] per target; 'mean' divides by the summed weight of the
/// counted targets (NaN when none counts). A target outside [0, C) other than ignore_index is an IndexError.
template <FloatElement T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<std::int64_t>& target, const NLLLossOptions<T>& o = {}) {
  const Tensor<std::int64_t> t = detail::class_targets(input, target, "nll_loss");
  return detail::class_index_loss(input, t, o.weight, o.ignore_index, o.reduction, 0.0, false, "nll_loss");
}
/// nll_loss of int32/uint8 targets; float or bool targets are a TypeError.
template <FloatElement T, Element I>
  requires(!std::is_same_v<I, std::int64_t>)
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<I>& target, const NLLLossOptions<T>& o = {}) {
  return nll_loss(input, detail::class_targets(input, target, "nll_loss").reshape(target.shape()), o);
}

/// Cross entropy of logits input (C), (N, C) or (N, C, d1, ...) against class indices target (),
/// (N) or (N, d1, ...): nll_loss(log_softmax(input, class dim), target), with label_smoothing e mixing
/// in e/C of the loss against every class as PyTorch does: (1 - e) * nll + e / C * sum_c(-w_c log p_c).
/// One fused node (softmax - one-hot in the backward) when there is no smoothing.
template <FloatElement T>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<std::int64_t>& target,
                        const CrossEntropyOptions<T>& o = {}) {
  constexpr const char* op = "cross_entropy";
  EMBER_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0, op,
              "label_smoothing must be between 0.0 and 1.0, got ", o.label_smoothing);
  const Tensor<std::int64_t> t = detail::class_targets(input, target, op);
  return detail::class_index_loss(input, t, o.weight, o.ignore_index, o.reduction, o.label_smoothing, true, op);
}

/// Cross entropy of logits input against class probabilities target of the input's shape:
/// -sum_c w_c * t_c * log_softmax(input)_c per sample, t smoothed to (1 - e) t + e / C; 'mean' divides by
/// the number of samples. A float target of another shape is a TypeError (class indices must be integers);
/// ignore_index >= 0 is a ValueError, as in PyTorch.
template <FloatElement T>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<T>& target, const CrossEntropyOptions<T>& o = {}) {
  constexpr const char* op = "cross_entropy";
  EMBER_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0, op,
              "label_smoothing must be between 0.0 and 1.0, got ", o.label_smoothing);
  if (input.dim() == 0 || target.shape() != input.shape()) (void)detail::class_targets(input, target, op);
  EMBER_CHECK(o.ignore_index < 0, op, "ignore_index (", o.ignore_index,  // a negative one matches no class
              ") is not supported for class-probability targets");
  const std::int64_t cd = input.dim() == 1 ? 0 : 1, classes = input.size(cd);
  detail::check_class_weight(o.weight, classes, op);
  Shape wshape(static_cast<std::size_t>(input.dim()), 1);
  wshape[cd] = classes;
  const Tensor<T> logp = log_softmax(input, cd);
  Tensor<T> p = target;
  if (o.label_smoothing > 0.0)
    p = p * static_cast<T>(1.0 - o.label_smoothing) + static_cast<T>(o.label_smoothing / static_cast<double>(classes));
  Tensor<T> terms = logp * p;
  if (o.weight) terms = terms * o.weight->reshape(wshape);
  if (o.reduction == Reduction::Mean) return -sum(terms) / static_cast<T>(input.numel() / std::max<std::int64_t>(classes, 1));
  if (o.reduction == Reduction::Sum) return -sum(terms);
  return -sum(terms, cd);
}

/// cross_entropy of int32/uint8 class indices, or of probabilities of another float type (converted).
template <FloatElement T, Element I>
  requires(!std::is_same_v<I, std::int64_t> && !std::is_same_v<I, T>)
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<I>& target, const CrossEntropyOptions<T>& o = {}) {
  if constexpr (FloatElement<I>) {
    if (input.dim() > 0 && target.shape() == input.shape()) return cross_entropy(input, target.template to<T>(), o);
  }
  return cross_entropy(input, detail::class_targets(input, target, "cross_entropy").reshape(target.shape()), o);
}

/// cross_entropy with positional options (ignore_index, label_smoothing, reduction).
template <FloatElement T, Element I>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<I>& target, std::int64_t ignore_index,
                        double label_smoothing = 0.0, Reduction reduction = Reduction::Mean) {
  return cross_entropy(input, target, CrossEntropyOptions<T>{std::nullopt, ignore_index, reduction, label_smoothing});
}

/// Binary cross entropy of probabilities input against target in [0, 1] of the same shape:
/// -(t log x + (1 - t) log(1 - x)) * weight, each log clamped at -100 as in PyTorch. Values of input or
/// target outside [0, 1] (or NaN) are a ValueError.
template <FloatElement T>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target, const BCEOptions<T>& o = {}) {
  constexpr const char* op = "binary_cross_entropy";
  EMBER_CHECK(target.shape() == input.shape(), op, "target size ", target.shape(), " must be the same as input size ",
              input.shape());
  for (const Tensor<T>* x : {&input, &target}) {
    if (x->numel() == 0) continue;
    NoGradGuard no_grad;
    const bool in_range = logical_and(ge(*x, T(0)), le(*x, T(1))).all().item();  // NaN fails too
    const char* name = x == &input ? "input" : "target";
    EMBER_CHECK(in_range, op, "all elements of ", name, " must be probabilities in [0, 1]",
                x == &input ? " (apply sigmoid first, or use binary_cross_entropy_with_logits)" : "", "; ", name,
                " of shape ", x->shape(), " has values from ", x->min().item(), " to ", x->max().item());
  }
  if (o.weight)
    EMBER_CHECK(detail::broadcasts_to(o.weight->shape(), input.shape()), op, "weight of shape ", o.weight->shape(),
                " does not broadcast to the input's shape ", input.shape());
  Tensor<T> loss = -(target * log(input).clamp(T(-100), std::nullopt) +
                     (T(1) - target) * log(T(1) - input).clamp(T(-100), std::nullopt));
  if (o.weight) loss = loss * *o.weight;
  return detail::reduce_loss(loss, o.reduction);
}

/// Binary cross entropy of sigmoid(input) against target in [0, 1] of the same shape, computed stably
/// from the logits: ((1 - t) x + (1 + (pos_weight - 1) t) (log1p(exp(-|x|)) + max(-x, 0))) * weight.
template <FloatElement T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target,
                                           const BCEWithLogitsOptions<T>& o = {}) {
  constexpr const char* op = "binary_cross_entropy_with_logits";
  EMBER_CHECK(target.shape() == input.shape(), op, "target size ", target.shape(), " must be the same as input size ",
              input.shape());
  for (const auto& [w, name] : {std::pair{&o.weight, "weight"}, std::pair{&o.pos_weight, "pos_weight"}})
    if (*w)
      EMBER_CHECK(detail::broadcasts_to((*w)->shape(), input.shape()), op, name, " of shape ", (*w)->shape(),
                  " does not broadcast to the input's shape ", input.shape());
  const Tensor<T> softplus_neg = log1p(exp(-abs(input))) + relu(-input);  // log(1 + exp(-x)), stable
  Tensor<T> loss = o.pos_weight ? (T(1) - target) * input + (target * (*o.pos_weight - T(1)) + T(1)) * softplus_neg
                                : (T(1) - target) * input + softplus_neg;
  if (o.weight) loss = loss * *o.weight;
  return detail::reduce_loss(loss, o.reduction);
}

/// binary_cross_entropy / _with_logits of targets of another dtype, converted to the input's (floats
/// only for the logits form, as PyTorch).
template <FloatElement T, Element U>
  requires(!std::is_same_v<U, T>)
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<U>& target, const BCEOptions<T>& o = {}) {
  return binary_cross_entropy(input, target.template to<T>(), o);
}
template <FloatElement T, Element U>
  requires(!std::is_same_v<U, T>)
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<U>& target,
                                           const BCEWithLogitsOptions<T>& o = {}) {
  EMBER_CHECK_TYPE(FloatElement<U>, "binary_cross_entropy_with_logits", "expected floating targets in [0, 1], got ",
                   dtype_name(target.dtype()));
  return binary_cross_entropy_with_logits(input, target.template to<T>(), o);
}

/// Mean squared error (input - target)^2 (times weight), input and target broadcast together (PyTorch
/// warns when their shapes differ; ember.nn.functional does too).
template <FloatElement T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                   const OptionalTensor<T>& weight = std::nullopt) {
  EMBER_CHECK(detail::broadcastable(input.shape(), target.shape()), "mse_loss", "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  const Tensor<T> d = input - target;
  Tensor<T> loss = d * d;
  if (weight) loss = loss * *weight;
  return detail::reduce_loss(loss, reduction);
}

/// Mean absolute error |input - target|, input and target broadcast together.
template <FloatElement T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean) {
  EMBER_CHECK(detail::broadcastable(input.shape(), target.shape()), "l1_loss", "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  return detail::reduce_loss(abs(input - target), reduction);
}

namespace detail {
/// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, d = input - target (times scale): smooth L1
/// (scale 1) and Huber (beta = delta, scale delta) share it.
template <FloatElement T>
Tensor<T> quadratic_then_linear(const Tensor<T>& input, const Tensor<T>& target, double beta, double scale,
                                Reduction reduction, const char* op) {
  EMBER_CHECK(broadcastable(input.shape(), target.shape()), op, "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " do not match (and do not broadcast)");
  const Tensor<T> d = input - target;
  const Tensor<T> a = abs(d);
  if (beta == 0.0) return reduce_loss(a, reduction);  // smooth L1 with beta 0 is L1
  Tensor<T> loss = where(a.detach().lt(static_cast<T>(beta)), d * d * static_cast<T>(0.5 / beta),
                         a - static_cast<T>(0.5 * beta));
  if (scale != 1.0) loss = loss * static_cast<T>(scale);
  return reduce_loss(loss, reduction);
}
}  // namespace detail

/// Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, d = input - target broadcast
/// together (beta 0 is l1_loss; a negative beta is an error), as torch.nn.functional.smooth_l1_loss.
template <FloatElement T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                         double beta = 1.0) {
  EMBER_CHECK(beta >= 0.0, "smooth_l1_loss", "beta must be >= 0, got ", beta);
  return detail::quadratic_then_linear(input, target, beta, 1.0, reduction, "smooth_l1_loss");
}

/// Huber: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = input - target broadcast
/// together (delta > 0), as torch.nn.functional.huber_loss; smooth_l1_loss(beta = delta) times delta.
template <FloatElement T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::Mean,
                     double delta = 1.0) {
  EMBER_CHECK(delta > 0.0, "huber_loss", "delta must be > 0, got ", delta);
  return detail::quadratic_then_linear(input, target, delta, delta, reduction, "huber_loss");
}

/// One-hot encoding of integer class indices (*) -> int64 (*, num_classes); num_classes -1 infers
/// max + 1. Negative values, or values >= num_classes, are an IndexError.
template <Element I>
Tensor<std::int64_t> one_hot(const Tensor<I>& tensor, std::int64_t num_classes = -1) {
  constexpr const char* op = "one_hot";
  if constexpr (FloatElement<I> || std::is_same_v<I, bool>) {
    detail::fail<TypeError>(op, "expected an integer tensor of class indices, got ", dtype_name(tensor.dtype()));
  } else {
    EMBER_CHECK(num_classes >= -1, op, "num_classes must be -1 (inferred) or non-negative, got ", num_classes);
    detail::check_cpu(op, tensor);
    const std::vector<I> v = tensor.to_vector();
    if (v.empty()) {
      EMBER_CHECK(num_classes > 0, op, "cannot infer the number of classes from an empty tensor of shape ",
                  tensor.shape(), "; pass num_classes");
    } else {
      const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      const auto top = static_cast<std::int64_t>(*hi);
      EMBER_CHECK_INDEX(static_cast<std::int64_t>(*lo) >= 0, op, "class values must be non-negative, got ",
                        detail::bad_values(v, [](std::int64_t x) { return x >= 0; }));
      if (num_classes == -1) num_classes = top + 1;
      EMBER_CHECK_INDEX(top < num_classes, op, "class values must be in [0, ", num_classes - 1, "], got ",
                        detail::bad_values(v, [&](std::int64_t x) { return x < num_classes; }));
    }
    Shape shape = tensor.shape();
    shape.push_back(num_classes);
    Tensor<std::int64_t> out = zeros<std::int64_t>(shape);
    std::int64_t* p = out.data();
    for (std::size_t i = 0; i < v.size(); ++i)
      p[static_cast<std::int64_t>(i) * num_classes + static_cast<std::int64_t>(v[i])] = 1;
    return out;
  }
}

namespace nn {
using ember::Reduction;
using ember::cross_entropy;
using ember::mse_loss;
}  // namespace nn

}  // namespace ember
