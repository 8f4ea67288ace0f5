#pragma once
// The backend interface of ember::distributed: a ProcessGroup runs collectives over Buffers (a contiguous
// block of elements with its dtype and shape) and returns Work handles. MPI is one implementation
// (mpi.hpp); NCCL joins for CUDA buffers with the CUDA backend. Nothing here includes mpi.h.
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/core/dtype.hpp"
#include "ember/core/error.hpp"

namespace ember::distributed {

/// A failure of the communication layer itself (an MPI error, no process group): Python RuntimeError.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The reductions of all_reduce, reduce and reduce_scatter_tensor (torch.distributed.ReduceOp's names).
enum class ReduceOp : std::uint8_t { SUM, AVG, PRODUCT, MIN, MAX };

constexpr const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::SUM: return "SUM";
    case ReduceOp::AVG: return "AVG";
    case ReduceOp::PRODUCT: return "PRODUCT";
    case ReduceOp::MIN: return "MIN";
    case ReduceOp::MAX: return "MAX";
  }
  return "?";
}

/// A contiguous block of host memory seen as a tensor: what travels to the backend, without a copy.
/// `device` is -1 for the CPU (a CUDA ordinal for the NCCL backend to come).
struct Buffer {
  void* data = nullptr;
  DType dtype = DType::Float32;
  std::vector<std::int64_t> shape;
  int device = -1;

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * itemsize(dtype); }
  /// "float32 (2, 3)", for errors.
  std::string describe() const {
    std::ostringstream os;
    os << dtype_name(dtype) << " (";
    for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
    os << (shape.size() == 1 ? ",)" : ")");
    return os.str();
  }
};

/// The handle of an asynchronous collective (async_op=True): wait() blocks until it is done (and finishes
/// it: AVG's division, copies back), is_completed() asks without blocking.
class Work {
 public:
  virtual ~Work() = default;
  /// Blocks until the operation finished; rethrows its error. Idempotent.
  virtual void wait() = 0;
  /// True when the operation finished (a completed handle still needs wait() to run its epilogue).
  virtual bool is_completed() = 0;
  /// A finished recv's sender, as a rank of the group it ran in (what recv from kAnySource needs); -1 for
  /// other operations.
  virtual int source_rank() const { return -1; }
};

using WorkPtr = std::shared_ptr<Work>;

/// recv's source meaning "whichever rank sends first" (MPI_ANY_SOURCE); the Work's source_rank() tells who.
constexpr int kAnySource = -1;

/// A group of processes and the collectives over them; all ranks call each collective in the same order.
/// Every collective returns a Work; with async_op false the operation has completed when it returns (a
/// backend may use its blocking calls then, which can be faster than starting and waiting), and the
/// Work's wait() only runs the epilogue.
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  /// "mpi", "nccl"...
  virtual std::string backend() const = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// The group of this group's ranks `ranks` (sorted, distinct, in this group's numbering): every rank of
  /// this group calls it, in the same order; the ranks outside get nullptr.
  virtual std::shared_ptr<ProcessGroup> new_group(const std::vector<int>& ranks) = 0;

  /// The default group's rank of each member, in this group's rank order (empty for the default group).
  const std::vector<int>& global_ranks() const { return global_ranks_; }
  /// This group's rank of the default group's rank r; -1 when r is not a member.
  int group_rank(int r) const {
    if (global_ranks_.empty()) return r;
    for (std::size_t i = 0; i < global_ranks_.size(); ++i)
      if (global_ranks_[i] == r) return static_cast<int>(i);
    return -1;
  }
  /// The default group's rank of this group's rank r.
  int global_rank(int r) const { return global_ranks_.empty() || r < 0 ? r : global_ranks_.at(static_cast<std::size_t>(r)); }

  virtual WorkPtr barrier(bool async_op) = 0;
  /// t from rank src to every rank, in place.
  virtual WorkPtr broadcast(const Buffer& t, int src, bool async_op) = 0;
  /// t reduced over all ranks, in place on every rank.
  virtual WorkPtr all_reduce(const Buffer& t, ReduceOp op, bool async_op) = 0;
  /// t reduced over all ranks into t on rank dst (the others' t is left as it was).
  virtual WorkPtr reduce(const Buffer& t, int dst, ReduceOp op, bool async_op) = 0;
  /// Every rank's input, concatenated in rank order into out (world_size * input.numel() elements).
  virtual WorkPtr all_gather(const Buffer& out, const Buffer& input, bool async_op) = 0;
  /// input (world_size * out.numel() elements) reduced over ranks; rank r keeps block r in out.
  virtual WorkPtr reduce_scatter(const Buffer& out, const Buffer& input, ReduceOp op, bool async_op) = 0;
  /// Every rank's input into out on rank dst (world_size * input.numel() elements; ignored elsewhere).
  virtual WorkPtr gather(const Buffer* out, const Buffer& input, int dst, bool async_op) = 0;
  /// Block r of input on rank src (world_size * out.numel() elements; ignored elsewhere) into rank r's out.
  virtual WorkPtr scatter(const Buffer& out, const Buffer* input, int src, bool async_op) = 0;
  virtual WorkPtr send(const Buffer& t, int dst, int tag, bool async_op) = 0;
  /// t filled from rank src, or from any rank (kAnySource: the Work's source_rank() names it).
  virtual WorkPtr recv(const Buffer& t, int src, int tag, bool async_op) = 0;

 protected:
  std::vector<int> global_ranks_;
};

using ProcessGroupPtr = std::shared_ptr<ProcessGroup>;

namespace detail {

/// Throws std::out_of_range (Python IndexError) unless 0 <= r < size.
inline void check_rank(int r, int size, const char* op, const char* what) {
  if (r < 0 || r >= size)
    ::ember::detail::fail<std::out_of_range>(op, what, " rank ", r, " is out of range for a world of size ", size);
}

}  // namespace detail

}  // namespace ember::distributed
