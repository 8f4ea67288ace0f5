#pragma once
// The activations of ops/activation_extra.hpp as modules (ELU, SELU, CELU, Softplus, Mish, Hardswish,
// Hardsigmoid, Hardtanh, ReLU6, PReLU, LogSigmoid, Softsign, Tanhshrink, Softmin, Hardshrink, Softshrink,
// Threshold, GLU), as torch.nn: each forwards to its op, which makes every check.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/activation.hpp"
#include "ember/ops/activation_extra.hpp"

namespace ember::nn {

namespace detail {
inline std::string act_inplace_repr(const std::string& s, bool inplace) {
  return inplace ? (s.empty() ? "inplace=True" : s + ", inplace=True") : s;
}
template <class... A>
std::string act_repr(const A&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}
}  // namespace detail

/// elu(x, alpha); with inplace, written into x.
template <FloatElement T = float>
class ELU : public Module<T> {
 public:
  explicit ELU(double alpha = 1.0, bool inplace = false) : Module<T>("ELU"), alpha(alpha), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? elu_(x, alpha) : elu(x, alpha); }
  std::string extra_repr() const override { return detail::act_inplace_repr(detail::act_repr("alpha=", alpha), inplace); }
  double alpha;
  bool inplace;
};

/// selu(x); with inplace, written into x.
template <FloatElement T = float>
class SELU : public Module<T> {
 public:
  explicit SELU(bool inplace = false) : Module<T>("SELU"), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? selu_(x) : selu(x); }
  std::string extra_repr() const override { return detail::act_inplace_repr("", inplace); }
  bool inplace;
};

/// celu(x, alpha); with inplace, written into x.
template <FloatElement T = float>
class CELU : public Module<T> {
 public:
  explicit CELU(double alpha = 1.0, bool inplace = false) : Module<T>("CELU"), alpha(alpha), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? celu_(x, alpha) : celu(x, alpha); }
  std::string extra_repr() const override { return detail::act_inplace_repr(detail::act_repr("alpha=", alpha), inplace); }
  double alpha;
  bool inplace;
};

/// softplus(x, beta, threshold).
template <FloatElement T = float>
class Softplus : public Module<T> {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0)
      : Module<T>("Softplus"), beta(beta), threshold(threshold) {}
  Tensor<T> forward(const Tensor<T>& x) override { return softplus(x, beta, threshold); }
  std::string extra_repr() const override { return detail::act_repr("beta=", beta, ", threshold=", threshold); }
  double beta, threshold;
};

/// mish(x); with inplace, written into x.
template <FloatElement T = float>
class Mish : public Module<T> {
 public:
  explicit Mish(bool inplace = false) : Module<T>("Mish"), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? mish_(x) : mish(x); }
  std::string extra_repr() const override { return detail::act_inplace_repr("", inplace); }
  bool inplace;
};

/// hardswish(x); with inplace, written into x.
template <FloatElement T = float>
class Hardswish : public Module<T> {
 public:
  explicit Hardswish(bool inplace = false) : Module<T>("Hardswish"), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? hardswish_(x) : hardswish(x); }
  std::string extra_repr() const override { return detail::act_inplace_repr("", inplace); }
  bool inplace;
};

/// hardsigmoid(x); with inplace, written into x.
template <FloatElement T = float>
class Hardsigmoid : public Module<T> {
 public:
  explicit Hardsigmoid(bool inplace = false) : Module<T>("Hardsigmoid"), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override { return inplace ? hardsigmoid_(x) : hardsigmoid(x); }
  std::string extra_repr() const override { return detail::act_inplace_repr("", inplace); }
  bool inplace;
};

/// The constructor check of Hardtanh and its subclasses (named `name`), also Python's (_core._check_hardtanh).
inline void check_hardtanh_options(const char* name, double min_val, double max_val) {
  EMBER_CHECK(max_val > min_val, name, "max_val must be greater than min_val, got min_val ", min_val, " and max_val ",
              max_val);
}

/// PReLU's constructor check, also Python's (_core._check_prelu).
inline void check_prelu_options(std::int64_t num_parameters) {
  EMBER_CHECK(num_parameters >= 1, "PReLU", "num_parameters must be >= 1, got ", num_parameters);
}

/// hardtanh(x, min_val, max_val); with inplace, written into x.
template <FloatElement T = float>
class Hardtanh : public Module<T> {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0, bool inplace = false)
      : Hardtanh("Hardtanh", min_val, max_val, inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return inplace ? hardtanh_(x, min_val, max_val) : hardtanh(x, min_val, max_val);
  }
  std::string extra_repr() const override {
    return detail::act_inplace_repr(detail::act_repr("min_val=", min_val, ", max_val=", max_val), inplace);
  }
  double min_val, max_val;
  bool inplace;

 protected:
  Hardtanh(const char* name, double min_val, double max_val, bool inplace)
      : Module<T>(name), min_val(min_val), max_val(max_val), inplace(inplace) {
    check_hardtanh_options(name, min_val, max_val);
  }
};

/// hardtanh(x, 0, 6); with inplace, written into x.
template <FloatElement T = float>
class ReLU6 : public Hardtanh<T> {
 public:
  explicit ReLU6(bool inplace = false) : Hardtanh<T>("ReLU6", 0.0, 6.0, inplace) {}
  std::string extra_repr() const override { return detail::act_inplace_repr("", this->inplace); }
};

/// prelu(x, weight) with a learnable weight of num_parameters slopes (1, or the channel count), each
/// initialised to init.
template <FloatElement T = float>
class PReLU : public Module<T> {
 public:
  explicit PReLU(std::int64_t num_parameters = 1, double init = 0.25)
      : Module<T>("PReLU"), num_parameters(num_parameters), init(init) {
    check_prelu_options(num_parameters);
    weight = this->register_parameter("weight", Tensor<T>::empty({num_parameters}));
    reset_parameters();
  }
  /// Sets every slope back to init.
  void reset_parameters() { init::constant_(weight, init); }
  Tensor<T> forward(const Tensor<T>& x) override { return prelu(x, weight); }
  std::string extra_repr() const override { return "num_parameters=" + std::to_string(num_parameters); }
  std::int64_t num_parameters;
  double init;
  Tensor<T> weight;  // (num_parameters)
};

/// log(sigmoid(x)).
template <FloatElement T = float>
class LogSigmoid : public Module<T> {
 public:
  LogSigmoid() : Module<T>("LogSigmoid") {}
  Tensor<T> forward(const Tensor<T>& x) override { return logsigmoid(x); }
};

/// x / (1 + |x|).
template <FloatElement T = float>
class Softsign : public Module<T> {
 public:
  Softsign() : Module<T>("Softsign") {}
  Tensor<T> forward(const Tensor<T>& x) override { return softsign(x); }
};

/// x - tanh(x).
template <FloatElement T = float>
class Tanhshrink : public Module<T> {
 public:
  Tanhshrink() : Module<T>("Tanhshrink") {}
  Tensor<T> forward(const Tensor<T>& x) override { return tanhshrink(x); }
};

/// softmin along dim (unset: implicit_softmax_dim of the input).
template <FloatElement T = float>
class Softmin : public Module<T> {
 public:
  explicit Softmin(std::optional<std::int64_t> dim = std::nullopt) : Module<T>("Softmin"), dim(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return softmin(x, dim.value_or(implicit_softmax_dim(x.dim()))); }
  std::string extra_repr() const override { return "dim=" + (dim ? std::to_string(*dim) : std::string("None")); }
  std::optional<std::int64_t> dim;
};

/// hardshrink(x, lambd).
template <FloatElement T = float>
class Hardshrink : public Module<T> {
 public:
  explicit Hardshrink(double lambd = 0.5) : Module<T>("Hardshrink"), lambd(lambd) {}
  Tensor<T> forward(const Tensor<T>& x) override { return hardshrink(x, lambd); }
  std::string extra_repr() const override { return detail::act_repr(lambd); }
  double lambd;
};

/// softshrink(x, lambd).
template <FloatElement T = float>
class Softshrink : public Module<T> {
 public:
  explicit Softshrink(double lambd = 0.5) : Module<T>("Softshrink"), lambd(lambd) {}
  Tensor<T> forward(const Tensor<T>& x) override { return softshrink(x, lambd); }
  std::string extra_repr() const override { return detail::act_repr(lambd); }
  double lambd;
};

/// threshold(x, threshold, value); with inplace, written into x.
template <FloatElement T = float>
class Threshold : public Module<T> {
 public:
  Threshold(double threshold, double value, bool inplace = false)
      : Module<T>("Threshold"), threshold(threshold), value(value), inplace(inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return inplace ? threshold_(x, threshold, value) : ember::threshold(x, threshold, value);
  }
  std::string extra_repr() const override {
    return detail::act_inplace_repr(detail::act_repr("threshold=", threshold, ", value=", value), inplace);
  }
  double threshold, value;
  bool inplace;
};

/// glu(x, dim).
template <FloatElement T = float>
class GLU : public Module<T> {
 public:
  explicit GLU(std::int64_t dim = -1) : Module<T>("GLU"), dim(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return glu(x, dim); }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
  std::int64_t dim;
};

}  // namespace ember::nn
