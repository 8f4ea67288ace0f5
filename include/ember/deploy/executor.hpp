#pragma once
// A deployed graph compiled for execution: steps (one node, or several fused into one) whose
// inputs are resolved to value slots and constants, and the loop that runs them, dropping each
// intermediate value after its last use.
#include <omp.h>

#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/deploy/ops.hpp"

namespace ember::deploy::detail {

/// One step before name resolution: a node, or a fused chain of nodes, as one kernel.
struct StepSpec {
  std::string op;                                   // "conv2d+batch_norm+relu" for a fused chain
  std::size_t node = 0;                             // index of its (first) node in the graph
  std::string where;                                // "conv2d in 'features.0'"
  std::vector<std::optional<std::string>> inputs;   // value or tensor names the kernel reads
  std::string output;                               // the value it produces
  Kernel kernel;
};

/// Where a step input comes from.
struct Ref {
  enum class Kind { Value, Constant, Absent } kind = Kind::Absent;
  std::size_t index = 0;
};

/// A step with resolved inputs, and the value slots to drop once it ran.
struct Step {
  StepSpec spec;
  std::vector<Ref> inputs;
  std::size_t output = 0;
  std::vector<std::size_t> release;
};

/// Steps ready to run; value slots 0..n_inputs-1 are the graph inputs.
struct Program {
  std::vector<Step> steps;
  std::vector<AnyTensor> constants;
  std::size_t n_inputs = 0;
  std::size_t n_values = 0;
  std::vector<Ref> outputs;
  std::vector<std::string> value_names;  // by slot
  bool nonfinite_constants = false;      // a float constant (a weight) holds NaN or inf
};

/// Resolves step names against the graph inputs, earlier step outputs and the constants.
inline Program compile(std::vector<StepSpec> specs, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs, const std::map<std::string, AnyTensor>& constants) {
  Program p;
  std::map<std::string, Ref> names;
  for (const auto& [name, t] : constants) {
    names[name] = {Ref::Kind::Constant, p.constants.size()};
    p.constants.push_back(t);
    p.nonfinite_constants = p.nonfinite_constants || nonfinite(t);
  }
  for (const auto& name : inputs) {
    names[name] = {Ref::Kind::Value, p.value_names.size()};
    p.value_names.push_back(name);
  }
  p.n_inputs = inputs.size();
  std::vector<std::size_t> last_use;  // by slot: the last step reading it
  for (auto& spec : specs) {
    Step s;
    for (const auto& in : spec.inputs) {
      if (!in) {
        s.inputs.push_back({});
        continue;
      }
      const auto it = names.find(*in);
      EMBER_CHECK(it != names.end(), "deploy", "step ", spec.where, " reads '", *in, "', which nothing defines");
      s.inputs.push_back(it->second);
    }
    s.output = p.value_names.size();
    names[spec.output] = {Ref::Kind::Value, s.output};
    p.value_names.push_back(spec.output);
    s.spec = std::move(spec);
    p.steps.push_back(std::move(s));
  }
  p.n_values = p.value_names.size();
  last_use.assign(p.n_values, p.steps.size());  // never read: released by nobody, dies with the call
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    for (const Ref& r : p.steps[i].inputs)
      if (r.kind == Ref::Kind::Value) last_use[r.index] = i;
  for (const auto& name : outputs) {
    const auto it = names.find(name);
    EMBER_CHECK(it != names.end(), "deploy", "graph output '", name, "' is not produced");
    p.outputs.push_back(it->second);
    if (it->second.kind == Ref::Kind::Value) last_use[it->second.index] = p.steps.size();
  }
  for (std::size_t slot = 0; slot < p.n_values; ++slot)
    if (last_use[slot] < p.steps.size()) p.steps[last_use[slot]].release.push_back(slot);
  return p;
}

/// A forward whose values total fewer elements than this runs on the calling thread alone: its kernels
/// take a few microseconds each, less than forking and joining OpenMP's other threads around each of
/// them (the digits CNN on 2 threads: 40 us at batch 1, 29 us on one thread; even at batch 8).
inline constexpr std::int64_t kSerialElements = 1 << 15;

/// Limits the OpenMP parallel regions this thread starts to one thread while in scope.
class SerialSection {
 public:
  SerialSection() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  SerialSection(const SerialSection&) = delete;
  SerialSection& operator=(const SerialSection&) = delete;
  ~SerialSection() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

/// Runs program p on inputs (already checked) with batch size `batch`, on the calling thread alone
/// when the values at batch 1 total `elements_per_sample` and batch times that is below kSerialElements. After each step,
/// check(step, output) runs when given (the load-time dry run compares shapes with it). An op's
/// error goes to on_error(step, the exception), which must throw.
template <class Check, class OnError>
std::vector<AnyTensor> run(const Program& p, const std::vector<AnyTensor>& inputs, std::int64_t batch,
                           std::int64_t elements_per_sample, Workspace& ws, Check&& check, OnError&& on_error) {
  NoGradGuard no_grad;
  std::optional<SerialSection> serial;
  if (batch * elements_per_sample < kSerialElements) serial.emplace();
  std::vector<AnyTensor> values(p.n_values);
  for (std::size_t i = 0; i < p.n_inputs; ++i) values[i] = inputs[i];
  RunContext ctx{batch, &ws, 0, p.nonfinite_constants};
  for (std::size_t i = 0; i < p.n_inputs && !ctx.nonfinite; ++i) ctx.nonfinite = nonfinite(inputs[i]);
  std::vector<AnyTensor> args;
  for (const Step& s : p.steps) {
    args.clear();
    for (const Ref& r : s.inputs) {
      if (r.kind == Ref::Kind::Value) args.push_back(values[r.index]);
      else if (r.kind == Ref::Kind::Constant) args.push_back(p.constants[r.index]);
      else args.emplace_back();
    }
    ctx.slot = s.output;
    try {
      values[s.output] = s.spec.kernel(args, ctx);
      check(s, values[s.output]);
    } catch (const std::exception& e) {
      on_error(s, e);
    }
    for (std::size_t slot : s.release) values[slot] = AnyTensor();
  }
  std::vector<AnyTensor> out;
  out.reserve(p.outputs.size());
  for (const Ref& r : p.outputs) {
    const AnyTensor& t = r.kind == Ref::Kind::Value ? values[r.index] : p.constants[r.index];
    // A workspace buffer is overwritten by the next call, and a constant belongs to the model:
    // hand out a copy of either.
    const bool shared = r.kind == Ref::Kind::Constant || ws.holds(t);
    out.push_back(shared ? t.visit_any([](const auto& x) { return AnyTensor(x.clone()); }) : t);
  }
  return out;
}

}  // namespace ember::deploy::detail
