#pragma once
// Optimizer<T>: the parameter list, its checks, zero_grad and state dicts shared by SGD, Adam, AdamW,
// RMSprop, Adadelta, Adagrad and Adamax. The update rules themselves are free functions (sgd_step,
// adam_step, rmsprop_step, adadelta_step, adagrad_step, adamax_step) over one parameter.
#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "ember/autograd/node.hpp"
#include "ember/core/any_tensor.hpp"
#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"
#include "ember/ops/creation.hpp"

namespace ember::optim {

namespace detail {

/// Above this many elements an update loop runs on OpenMP threads.
inline constexpr std::int64_t kParallelUpdate = 1 << 14;

/// While alive, this thread's floating-point unit treats denormal numbers as zero (x86's FTZ and DAZ
/// bits, AArch64's FZ); the previous mode comes back on destruction. Optimizer state that decays into
/// the denormal range (Adam's exp_avg_sq once the gradients get small) otherwise costs a microcode
/// assist per operation: the digits MLP's Adam step went from 185 to 395 us after ~750 steps. Values
/// below 1.2e-38 (float) then count as 0, far below anything an update can resolve.
class FlushDenormals {
 public:
#if defined(__SSE__) || defined(_M_X64)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }  // FTZ (bit 15) | DAZ (bit 6)
  ~FlushDenormals() { _mm_setcsr(saved_); }
 private:
  unsigned saved_;
#elif defined(__aarch64__)
  FlushDenormals() {
    asm volatile("mrs %0, fpcr" : "=r"(saved_));
    asm volatile("msr fpcr, %0" : : "r"(saved_ | (std::uint64_t{1} << 24)));  // FZ
  }
  ~FlushDenormals() { asm volatile("msr fpcr, %0" : : "r"(saved_)); }
 private:
  std::uint64_t saved_;
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

/// The most elements of one block of an update (a few KiB per array, so that an update's passes over a
/// block stay in L1).
inline constexpr std::int64_t kUpdateBlock = 2048;
/// Eigen arrays for the update rules: a parameter's elements, and a block's scratch values (no allocation).
template <class T>
using UpdateArray = Eigen::Array<T, Eigen::Dynamic, 1>;
template <class T>
using UpdateScratch = Eigen::Array<T, Eigen::Dynamic, 1, Eigen::ColMajor, kUpdateBlock, 1>;

/// Calls f(begin, length) over [0, n) in blocks of at most kUpdateBlock elements, on threads when n is
/// large, with denormals flushed (FlushDenormals).
template <class F>
void for_each_block(std::int64_t n, F f) {
  const std::int64_t blocks = (n + kUpdateBlock - 1) / kUpdateBlock;
  auto one = [&](std::int64_t b) {
    const std::int64_t begin = b * kUpdateBlock;
    f(begin, std::min(kUpdateBlock, n - begin));
  };
  // A separate branch, not `omp parallel for if(...)`: that still opens a team when false.
  if (n >= kParallelUpdate) {
#pragma omp parallel
    {
      const FlushDenormals flush;
#pragma omp for
      for (std::int64_t b = 0; b < blocks; ++b) one(b);
    }
    return;
  }
  const FlushDenormals flush;
  for (std::int64_t b = 0; b < blocks; ++b) one(b);
}

/// Calls f(i) for i in [0, n), as for_each_block does.
template <class F>
void for_each_element(std::int64_t n, F f) {
  for_each_block(n, [&](std::int64_t begin, std::int64_t length) {
    for (std::int64_t i = begin; i < begin + length; ++i) f(i);
  });
}

/// out = sqrt(x), correctly rounded, for Eigen arrays (out a plain array). Eigen's float sqrt is an
/// approximation under EIGEN_FAST_MATH (its default: 1-2 ulp off, and NaN for +inf), and g++ keeps
/// std::sqrt scalar (errno); so float takes the exact SSE instruction where there is one.
template <class Out, class E>
void sqrt_into(Out& out, const E& x) {
#if defined(__SSE__) || defined(_M_X64)
  if constexpr (std::is_same_v<typename E::Scalar, float>) {
    out = x;
    float* d = out.data();
    const std::int64_t n = out.size(), vectors = n / 4 * 4;
    for (std::int64_t i = 0; i < vectors; i += 4) _mm_storeu_ps(d + i, _mm_sqrt_ps(_mm_loadu_ps(d + i)));
    for (std::int64_t i = vectors; i < n; ++i) d[i] = std::sqrt(d[i]);
    return;
  }
#endif
  if constexpr (std::is_same_v<typename E::Scalar, float>) out = x.unaryExpr([](float v) { return std::sqrt(v); });
  else out = x.sqrt();  // Eigen's double sqrt is the exact instruction
}

/// a = PyTorch's lerp(a, b, w) = a + w * (b - a), computed from the nearer end for accuracy, over Eigen
/// arrays (the choice of end made once).
template <class A, class B, class T>
void lerp_into(A&& a, const B& b, T w) {
  if (std::abs(w) < T(0.5)) a += w * (b - a);
  else a = b - (b - a) * (T(1) - w);
}

/// Checks that param is a contiguous CPU tensor and that `buffer` (optimizer state) matches it.
template <FloatElement T>
void check_param(const char* op, const Tensor<T>& param) {
  EMBER_CHECK(param.defined(), op, "undefined parameter");
  param.check_cpu(op);
  EMBER_CHECK(param.is_contiguous(), op, "the parameter (shape ", param.shape(), ") must be contiguous");
}

/// Checks a state buffer (same shape as param, contiguous) named `what`.
template <FloatElement T>
void check_buffer(const char* op, const char* what, const Tensor<T>& param, const Tensor<T>& buf) {
  EMBER_CHECK(buf.defined(), op, what, " is undefined");
  EMBER_CHECK(buf.shape() == param.shape() && buf.is_contiguous(), op, what, " must be a contiguous tensor of the ",
              "parameter's shape ", param.shape(), ", got shape ", buf.shape());
  buf.check_cpu(op);
}

/// grad as a contiguous tensor of param's shape (a copy only when grad is a strided view).
template <FloatElement T>
Tensor<T> checked_grad(const char* op, const Tensor<T>& param, const Tensor<T>& grad) {
  EMBER_CHECK(grad.defined(), op, "undefined gradient");
  EMBER_CHECK(grad.shape() == param.shape(), op, "gradient shape ", grad.shape(), " does not match parameter shape ",
              param.shape());
  grad.check_cpu(op);
  return grad.contiguous();
}

}  // namespace detail

/// The parameters an optimizer updates, checked once: each a contiguous CPU leaf that requires grad.
template <FloatElement T>
class Optimizer {
 public:
  Optimizer(std::vector<Tensor<T>> params, const char* name) : params_(std::move(params)), name_(name) {
    EMBER_CHECK(!params_.empty(), name_, "optimizer got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Tensor<T>& p = params_[i];
      EMBER_CHECK(p.defined(), name_, "parameter ", i, " is an undefined tensor");
      EMBER_CHECK(p.requires_grad(), name_, "parameter ", i, " (shape ", p.shape(),
                  ") does not require grad: call requires_grad_() on it or leave it out");
      EMBER_CHECK(p.is_leaf(), name_, "parameter ", i, " (shape ", p.shape(),
                  ") is not a leaf tensor: an optimizer can only update tensors no recorded op made");
      EMBER_CHECK(p.is_contiguous(), name_, "parameter ", i, " (shape ", p.shape(), ") is not contiguous");
      p.check_cpu(name_);
    }
  }
  Optimizer(const Optimizer&) = default;
  Optimizer& operator=(const Optimizer&) = default;
  virtual ~Optimizer() = default;

  /// Updates every parameter that has a gradient (parameters whose grad is undefined are skipped).
  virtual void step() = 0;

  /// Clears the gradients: undefined when set_to_none, else filled with zeros.
  void zero_grad(bool set_to_none = true) {
    for (const Tensor<T>& p : params_) {
      Tensor<T> g = p.grad();
      if (!g.defined()) continue;
      if (set_to_none)
        p.set_grad(Tensor<T>());
      else
        g.zero_();
    }
  }

  /// The parameters, in the order given.
  const std::vector<Tensor<T>>& params() const { return params_; }

  /// The per-parameter state as named tensors: "state.<i>.<buffer>" (copies) and "state.<i>.step"
  /// (0-d int64) for each parameter i that has state; ready for io::save_safetensors. The
  /// hyperparameters are not included: they come from the constructor's options.
  std::map<std::string, AnyTensor> state_dict() const {
    std::map<std::string, AnyTensor> out;
    auto& self = const_cast<Optimizer&>(*this);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const std::string prefix = "state." + std::to_string(i) + ".";
      bool any = false;
      for (const Slot& s : self.state_slots(i))
        if (s.tensor->defined()) {
          out.emplace(prefix + s.name, AnyTensor(s.tensor->clone()));
          any = true;
        }
      if (std::int64_t* step = self.state_step(i); step && (any || *step > 0))
        out.emplace(prefix + "step", AnyTensor(full<std::int64_t>({}, *step)));
    }
    return out;
  }

  /// Replaces the per-parameter state with one from state_dict() of an optimizer of the same kind over
  /// parameters of the same shapes. Every key, shape and parameter's state is checked before anything
  /// changes; a parameter without keys starts afresh.
  void load_state_dict(const std::map<std::string, AnyTensor>& state) {
    const std::string op = std::string(name_) + ".load_state_dict";
    std::vector<std::map<std::string, const AnyTensor*>> per_param(params_.size());
    for (const auto& [key, t] : state) {
      std::size_t i = 0, end = 0;
      bool ok = key.starts_with("state.");
      if (ok) {
        try {
          i = std::stoul(key.substr(6), &end);
        } catch (const std::exception&) {
          ok = false;
        }
      }
      ok = ok && end > 0 && key.size() > 6 + end + 1 && key[6 + end] == '.';
      EMBER_CHECK(ok, op.c_str(), "unexpected key '", key, "': expected 'state.<index>.<name>'");
      EMBER_CHECK(i < params_.size(), op.c_str(), "key '", key, "' refers to parameter ", i, " but the optimizer has ",
                  params_.size(), " parameters");
      EMBER_CHECK(t.defined(), op.c_str(), "'", key, "' is an undefined tensor");
      per_param[i].emplace(key.substr(7 + end), &t);
    }
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto& given = per_param[i];
      if (given.empty()) continue;
      std::set<std::string> known;
      for (const Slot& s : state_slots(i)) {
        known.insert(s.name);
        auto it = given.find(s.name);
        EMBER_CHECK(it != given.end() || !s.required, op.c_str(), "the state of parameter ", i, " lacks '", s.name, "'");
        if (it != given.end() && s.scalar)
          EMBER_CHECK(it->second->numel() == 1, op.c_str(), "'state.", i, ".", s.name, "' must hold one number, got "
                      "shape ", it->second->shape());
        else if (it != given.end())
          EMBER_CHECK(it->second->shape() == params_[i].shape(), op.c_str(), "'state.", i, ".", s.name, "' has shape ",
                      it->second->shape(), " but parameter ", i, " has shape ", params_[i].shape());
      }
      if (state_step(i)) {
        known.insert("step");
        auto it = given.find("step");
        EMBER_CHECK(it != given.end(), op.c_str(), "the state of parameter ", i, " lacks 'step'");
        EMBER_CHECK(it->second->numel() == 1, op.c_str(), "'state.", i, ".step' must hold one number, got shape ",
                    it->second->shape());
      }
      for (const auto& [name, t] : given)
        EMBER_CHECK(known.count(name), op.c_str(), "unexpected key 'state.", i, ".", name, "' for ", name_);
    }
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& given = per_param[i];
      for (const Slot& s : state_slots(i)) {
        auto it = given.find(s.name);
        *s.tensor = it == given.end() ? Tensor<T>()
                    : s.scalar ? it->second->template as<T>().detach().reshape({}).clone()
                               : it->second->template as<T>().detach().clone();
      }
      if (std::int64_t* step = state_step(i)) {
        auto it = given.find("step");
        *step = it == given.end() ? 0 : it->second->template as<std::int64_t>().item();
      }
    }
  }

 protected:
  /// One state buffer of a parameter: its name, where it lives, whether a loaded state must have it, and
  /// whether it is one number (NAdam's mu_product) rather than the parameter's shape.
  struct Slot {
    const char* name;
    Tensor<T>* tensor;
    bool required;
    bool scalar = false;
  };
  /// The state buffers of parameter i (for state_dict and load_state_dict).
  virtual std::vector<Slot> state_slots(std::size_t) { return {}; }
  /// The step counter of parameter i, or null for optimizers without one.
  virtual std::int64_t* state_step(std::size_t) { return nullptr; }

  /// Throws unless x >= 0, naming the hyperparameter.
  void check_nonnegative(double x, const char* what) const {
    EMBER_CHECK(x >= 0.0, name_, "invalid ", what, ": ", x, " (must be >= 0)");
  }

  std::vector<Tensor<T>> params_;
  const char* name_;
};

}  // namespace ember::optim
