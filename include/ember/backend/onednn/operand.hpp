#pragma once
// An operand of a oneDNN training primitive that runs in a layout other than ember's plain one
// (blocked nChw16c...): the two descriptors and the cached reorder between them.
#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <optional>

#include "ember/backend/onednn/engine.hpp"
#include "ember/core/storage.hpp"

namespace ember::detail::onednn {

/// An operand reordered into a primitive's layout and kept for the next primitive that reads it in
/// the same layout (the forward's input for backward-weights, dy for backward-data and
/// backward-weights), so that it is reordered once. Empty until an Operand::in fills it.
struct Kept {
  dnnl::memory::desc md;
  std::shared_ptr<Storage> copy;
};

/// One operand of a training primitive: ember's plain layout, the layout the primitive chose, and the
/// cached reorder between them (plain -> chosen for inputs, chosen -> plain for outputs; none when
/// they agree).
struct Operand {
  dnnl::memory::desc plain, chosen;
  std::optional<dnnl::reorder> reorder;

  Operand() = default;
  Operand(const dnnl::memory::desc& plain_md, const dnnl::memory::desc& chosen_md, bool input)
      : plain(plain_md), chosen(chosen_md) {
    if (plain == chosen) return;
    reorder = input ? dnnl::reorder(dnnl::reorder::primitive_desc(engine(), plain, engine(), chosen))
                    : dnnl::reorder(dnnl::reorder::primitive_desc(engine(), chosen, engine(), plain));
  }

  /// An input at p in the chosen layout: p itself, or its reordered copy in this thread's buffer `slot`.
  const void* in(const void* p, int slot) const {
    if (!reorder || !p) return p;
    void* copy = thread_buffer(slot, chosen.get_size());
    execute(*reorder, {{DNNL_ARG_SRC, &plain, p}, {DNNL_ARG_DST, &chosen, copy}});
    return copy;
  }
  /// in(), through *keep: its copy when it already holds this operand in the chosen layout, else a
  /// new copy that *keep then holds (keep null: in(p, slot)).
  const void* in(const void* p, int slot, Kept* keep) const {
    if (!keep || !reorder || !p) return in(p, slot);
    if (!keep->copy || keep->md != chosen) {
      keep->copy = Storage::allocate(chosen.get_size());
      keep->md = chosen;
      execute(*reorder, {{DNNL_ARG_SRC, &plain, p}, {DNNL_ARG_DST, &chosen, keep->copy->data()}});
    }
    return keep->copy->data();
  }
  /// Where the primitive writes an output that finish() then moves to p.
  void* out(void* p, int slot) const { return reorder ? thread_buffer(slot, chosen.get_size()) : p; }
  void finish(const void* written, void* p) const {
    if (reorder) execute(*reorder, {{DNNL_ARG_SRC, &chosen, written}, {DNNL_ARG_DST, &plain, p}});
  }
};

}  // namespace ember::detail::onednn
