#pragma once
// Grad mode: whether ops record the autograd graph on this thread (NoGradGuard turns it off).

namespace ember {

namespace detail {
inline bool& grad_mode_flag() {
  thread_local bool enabled = true;
  return enabled;
}
}  // namespace detail

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
