#pragma once
// Grad mode: whether ops record the autograd graph on this thread (NoGradGuard turns it off); and anomaly
// detection, whether backward checks the gradients it computes.
#include <atomic>

namespace ember {

namespace detail {
inline bool& grad_mode_flag() {
  thread_local bool enabled = true;
  return enabled;
}
inline std::atomic<bool>& anomaly_flag() {
  static std::atomic<bool> enabled{false};
  return enabled;
}
}  // namespace detail

/// Anomaly detection, as torch.autograd.set_detect_anomaly: backward checks every gradient a node returns and
/// throws AutogradError naming the node whose gradient holds a NaN. Process-wide and off by default, because it
/// reads every gradient.
inline bool is_anomaly_enabled() { return detail::anomaly_flag().load(std::memory_order_relaxed); }
inline void set_detect_anomaly(bool enabled) { detail::anomaly_flag().store(enabled); }

/// True when ops on tensors that require grad record their backward (per thread, on by default).
inline bool is_grad_enabled() { return detail::grad_mode_flag(); }
/// Turns recording on or off for this thread.
inline void set_grad_enabled(bool enabled) { detail::grad_mode_flag() = enabled; }

/// Sets grad mode for its scope and restores the previous mode when it ends.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;
  ~AutoGradMode() { set_grad_enabled(previous_); }

 private:
  bool previous_;
};

/// No recording in its scope (inference, optimizer updates): `{ ember::NoGradGuard g; ... }`.
class NoGradGuard : public AutoGradMode {
 public:
  NoGradGuard() : AutoGradMode(false) {}
};

/// Recording on in its scope, even inside a NoGradGuard.
class EnableGradGuard : public AutoGradMode {
 public:
  EnableGradGuard() : AutoGradMode(true) {}
};

}  // namespace ember
