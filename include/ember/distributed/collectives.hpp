#pragma once
// torch.distributed's functions over the default process group, on Buffers (tensor_collectives.hpp adds the
// Tensor<T> overloads). They check their arguments locally (ranks, sizes, dtypes), and with
// EMBER_DISTRIBUTED_DEBUG=1 also across ranks: before each collective the ranks exchange a small signature
// (collective, dtype, shape, root) and all raise, naming both shapes, when one differs.
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "ember/distributed/mpi.hpp"
#include "ember/distributed/process_group.hpp"

namespace ember::distributed {

/// What init_process_group does besides starting the backend.
struct InitOptions {
  /// Size ember's threads to the cores this rank owns (see size_threads).
  bool size_threads = true;
  /// Ask MPI for MPI_THREAD_MULTIPLE (else MPI_THREAD_SERIALIZED, every MPI call under one lock). The
  /// environment variable EMBER_MPI_THREAD_LEVEL=serialized sets it to false.
  bool thread_multiple = true;
};

namespace detail {

inline std::shared_ptr<ProcessGroup>& default_group() {
  static std::shared_ptr<ProcessGroup> group;
  return group;
}

inline ProcessGroup& group(const char* op) {
  auto& g = default_group();
  if (!g)
    ::ember::detail::fail<DistributedError>(op, "the default process group is not initialized: call "
                                                "init_process_group(\"mpi\") first (and launch with mpirun)");
  return *g;
}

/// The group a collective runs in: the given one, or the default group when null.
inline ProcessGroup& group(const char* op, const ProcessGroupPtr& g) { return g ? *g : group(op); }

/// The rank of g for the default group's rank r (collectives take default-group ranks, as torch's);
/// std::out_of_range when r is not a member of g.
inline int to_group_rank(const ProcessGroup& g, int r, const char* op, const char* what) {
  if (g.global_ranks().empty()) {
    check_rank(r, g.size(), op, what);
    return r;
  }
  const int k = g.group_rank(r);
  if (k < 0) {
    std::string members;
    for (int m : g.global_ranks()) members += (members.empty() ? "" : ", ") + std::to_string(m);
    ::ember::detail::fail<std::out_of_range>(op, what, " rank ", r, " is not in the group (its ranks: ", members, ")");
  }
  return k;
}

inline bool& debug_flag() {
  static bool on = [] {
    const char* v = std::getenv("EMBER_DISTRIBUTED_DEBUG");
    return v && *v && std::strcmp(v, "0") != 0 && std::strcmp(v, "OFF") != 0;
  }();
  return on;
}

/// The collectives of the debug signature.
enum class Coll : std::int64_t { Barrier, Broadcast, AllReduce, Reduce, AllGather, ReduceScatter, Gather, Scatter };

constexpr const char* coll_name(std::int64_t c) {
  constexpr const char* names[] = {"barrier", "broadcast", "all_reduce", "reduce", "all_gather_into_tensor",
                                   "reduce_scatter_tensor", "gather", "scatter"};
  return c >= 0 && c < 8 ? names[c] : "?";
}

// A signature: collective, root (-1: none), reduce op (-1: none), dtype, ndim, numel, the first kSigDims dims.
constexpr int kSigDims = 8;
constexpr int kSigLen = 6 + kSigDims;

inline std::string describe_sig(const std::int64_t* s) {
  Buffer b;
  b.dtype = static_cast<DType>(s[3]);
  for (int i = 0; i < std::min<std::int64_t>(s[4], kSigDims); ++i) b.shape.push_back(s[6 + i]);
  std::string d = b.describe();
  if (s[4] > kSigDims) d.insert(d.size() - 1, ", ...");
  return d;
}

/// EMBER_DISTRIBUTED_DEBUG: every rank's signature of this call (one all_gather through the group itself),
/// and the same invalid_argument on every rank when one differs from rank 0's.
inline void debug_check(ProcessGroup& g, const char* op, Coll coll, const Buffer& t, int root = -1,
                        int reduce_op = -1) {
  if (!debug_flag()) return;
  std::vector<std::int64_t> mine(kSigLen, 0), all(static_cast<std::size_t>(kSigLen) * g.size());
  mine[0] = static_cast<std::int64_t>(coll);
  mine[1] = root;
  mine[2] = reduce_op;
  mine[3] = static_cast<std::int64_t>(t.dtype);
  mine[4] = static_cast<std::int64_t>(t.shape.size());
  mine[5] = t.numel();
  for (std::size_t i = 0; i < t.shape.size() && i < kSigDims; ++i) mine[6 + i] = t.shape[i];
  g.all_gather(Buffer{all.data(), DType::Int64, {static_cast<std::int64_t>(all.size())}},
               Buffer{mine.data(), DType::Int64, {kSigLen}}, false)->wait();
  const std::int64_t* s0 = all.data();
  for (int r = 1; r < g.size(); ++r) {
    const std::int64_t* s = all.data() + static_cast<std::size_t>(r) * kSigLen;
    if (std::equal(s, s + kSigLen, s0)) continue;
    using E = std::invalid_argument;
    if (s[0] != s0[0])
      ::ember::detail::fail<E>(op, "ranks called different collectives: rank 0 called ", coll_name(s0[0]), " but rank ", r,
                               " called ", coll_name(s[0]), " (debug check)");
    if (s[1] != s0[1])
      ::ember::detail::fail<E>(op, "rank 0 passed root rank ", s0[1], " but rank ", r, " passed ", s[1], " (debug check)");
    if (s[2] != s0[2])
      ::ember::detail::fail<E>(op, "rank 0 reduces with ", reduce_op_name(static_cast<ReduceOp>(s0[2])), " but rank ", r,
                               " with ", reduce_op_name(static_cast<ReduceOp>(s[2])), " (debug check)");
    ::ember::detail::fail<E>(op, "tensors differ across ranks: rank 0 has ", describe_sig(s0), " but rank ", r, " has ",
                             describe_sig(s), " (debug check)");
  }
}

inline void check_cpu(const Buffer& t, const char* op) {
  EMBER_CHECK(t.device < 0, op, "the MPI backend takes CPU tensors only (NCCL comes with the CUDA backend)");
}

inline void check_same_dtype(const Buffer& a, const Buffer& b, const char* op) {
  if (a.dtype != b.dtype)
    ::ember::detail::fail<TypeError>(op, "output has dtype ", dtype_name(a.dtype), " but input has dtype ", dtype_name(b.dtype));
}

inline WorkPtr finish(WorkPtr w, bool async_op) {
  if (!async_op) w->wait();
  return w;
}

/// CPUs in this process's affinity mask (what OpenMP uses by default).
inline int affinity_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace detail

/// The threads a rank should use: the node's cores shared among its ranks (at least 1), and no more than
/// the CPUs the launcher bound this rank to.
inline int threads_per_rank(int local_size) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, std::min(cores / std::max(1, local_size), detail::affinity_cpus()));
}

/// Sets OpenMP's (ember's) threads to threads_per_rank(local_size), unless the user chose: EMBER_NUM_THREADS
/// (applied as given), OMP_NUM_THREADS (left to OpenMP), or a thread count already changed from OpenMP's
/// default (set_num_threads). Returns the threads ember now uses.
inline int size_threads(int local_size) {
  if (const char* e = std::getenv("EMBER_NUM_THREADS"); e && std::atoi(e) > 0) {
    omp_set_num_threads(std::atoi(e));
  } else if (!std::getenv("OMP_NUM_THREADS") && omp_get_max_threads() == detail::affinity_cpus()) {
    omp_set_num_threads(threads_per_rank(local_size));
  }
  return omp_get_max_threads();
}

/// Starts the default process group ("mpi"; rank and world size come from the launcher).
inline void init_process_group(const std::string& backend = "mpi", InitOptions options = {}) {
  EMBER_CHECK(!detail::default_group(), "init_process_group", "the default process group is already initialized");
  EMBER_CHECK(backend == "mpi", "init_process_group", "unknown backend '", backend,
              "': ember supports 'mpi' (NCCL comes with the CUDA backend)");
  const char* level = std::getenv("EMBER_MPI_THREAD_LEVEL");
  const bool serialized = level && (std::strcmp(level, "serialized") == 0 || std::strcmp(level, "SERIALIZED") == 0);
  auto g = std::make_shared<MpiProcessGroup>(options.thread_multiple && !serialized);
  if (options.size_threads) size_threads(g->local_size());
  detail::default_group() = std::move(g);
}

/// Ends the default process group (and MPI, when init_process_group started it).
inline void destroy_process_group() { detail::default_group().reset(); }

inline bool is_initialized() { return detail::default_group() != nullptr; }

/// The group of the default group's ranks `ranks` (all ranks when empty), as torch.distributed.new_group:
/// every rank of the default group calls it, in the same order; the ranks outside get nullptr (and must
/// not pass it to a collective, where null means the default group). Ranks are sorted: group rank k is
/// the k-th smallest.
inline ProcessGroupPtr new_group(std::vector<int> ranks = {}) {
  auto& g = detail::group("new_group");
  if (ranks.empty())
    for (int r = 0; r < g.size(); ++r) ranks.push_back(r);
  std::sort(ranks.begin(), ranks.end());
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    detail::check_rank(ranks[i], g.size(), "new_group", "member");
    EMBER_CHECK(i == 0 || ranks[i] != ranks[i - 1], "new_group", "rank ", ranks[i], " is listed twice");
  }
  return g.new_group(ranks);
}

/// The default group, to reach backend specifics (local_size, thread level).
inline ProcessGroup& default_process_group() { return detail::group("default_process_group"); }
inline int get_rank() { return detail::group("get_rank").rank(); }
inline int get_world_size() { return detail::group("get_world_size").size(); }
/// This process's rank in group (the default group when null).
inline int get_rank(const ProcessGroupPtr& group) { return detail::group("get_rank", group).rank(); }
inline int get_world_size(const ProcessGroupPtr& group) { return detail::group("get_world_size", group).size(); }
/// group's rank of the default group's rank r (std::out_of_range when r is not a member).
inline int get_group_rank(const ProcessGroupPtr& group, int r) {
  return detail::to_group_rank(detail::group("get_group_rank", group), r, "get_group_rank", "global");
}
/// The default group's rank of group's rank r.
inline int get_global_rank(const ProcessGroupPtr& group, int r) {
  auto& g = detail::group("get_global_rank", group);
  detail::check_rank(r, g.size(), "get_global_rank", "group");
  return g.global_rank(r);
}
/// Whether the cross-rank signature checks run (EMBER_DISTRIBUTED_DEBUG=1 at start, or set here).
inline bool debug_mode() { return detail::debug_flag(); }
inline void set_debug_mode(bool on) { detail::debug_flag() = on; }

inline WorkPtr barrier(bool async_op = false, const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("barrier", group);
  detail::debug_check(g, "barrier", detail::Coll::Barrier, Buffer{nullptr, DType::UInt8, {0}});
  return detail::finish(g.barrier(async_op), async_op);
}

/// t from rank src to all ranks, in place.
inline WorkPtr broadcast(const Buffer& t, int src, bool async_op = false, const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("broadcast", group);
  detail::check_cpu(t, "broadcast");
  src = detail::to_group_rank(g, src, "broadcast", "source");
  detail::debug_check(g, "broadcast", detail::Coll::Broadcast, t, src);
  return detail::finish(g.broadcast(t, src, async_op), async_op);
}

/// t reduced with op over all ranks, in place on every rank.
inline WorkPtr all_reduce(const Buffer& t, ReduceOp op = ReduceOp::SUM, bool async_op = false,
                          const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("all_reduce", group);
  detail::check_cpu(t, "all_reduce");
  detail::debug_check(g, "all_reduce", detail::Coll::AllReduce, t, -1, static_cast<int>(op));
  return detail::finish(g.all_reduce(t, op, async_op), async_op);
}

/// t reduced with op over all ranks into t on rank dst.
inline WorkPtr reduce(const Buffer& t, int dst, ReduceOp op = ReduceOp::SUM, bool async_op = false,
                      const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("reduce", group);
  detail::check_cpu(t, "reduce");
  dst = detail::to_group_rank(g, dst, "reduce", "destination");
  detail::debug_check(g, "reduce", detail::Coll::Reduce, t, dst, static_cast<int>(op));
  return detail::finish(g.reduce(t, dst, op, async_op), async_op);
}

/// Every rank's input concatenated in rank order into out (world_size * input.numel() elements).
inline WorkPtr all_gather_into_tensor(const Buffer& out, const Buffer& input, bool async_op = false,
                                      const ProcessGroupPtr& group = nullptr) {
  const char* op = "all_gather_into_tensor";
  auto& g = detail::group(op, group);
  detail::check_cpu(input, op);
  detail::check_same_dtype(out, input, op);
  EMBER_CHECK(out.numel() == input.numel() * g.size(), op, "output ", out.describe(), " must hold world_size (", g.size(),
              ") times the input's ", input.numel(), " elements, got ", out.numel());
  detail::debug_check(g, op, detail::Coll::AllGather, input);
  return detail::finish(g.all_gather(out, input, async_op), async_op);
}

/// input (world_size * out.numel() elements) reduced over ranks; rank r receives block r in out.
inline WorkPtr reduce_scatter_tensor(const Buffer& out, const Buffer& input, ReduceOp op = ReduceOp::SUM,
                                     bool async_op = false, const ProcessGroupPtr& group = nullptr) {
  const char* name = "reduce_scatter_tensor";
  auto& g = detail::group(name, group);
  detail::check_cpu(input, name);
  detail::check_same_dtype(out, input, name);
  EMBER_CHECK(input.numel() == out.numel() * g.size(), name, "input ", input.describe(), " must hold world_size (", g.size(),
              ") times the output's ", out.numel(), " elements, got ", input.numel());
  detail::debug_check(g, name, detail::Coll::ReduceScatter, input, -1, static_cast<int>(op));
  return detail::finish(g.reduce_scatter(out, input, op, async_op), async_op);
}

/// Every rank's input into out on rank dst (out is only read on dst; world_size * input.numel() elements).
inline WorkPtr gather(const Buffer* out, const Buffer& input, int dst, bool async_op = false,
                      const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("gather", group);
  detail::check_cpu(input, "gather");
  dst = detail::to_group_rank(g, dst, "gather", "destination");
  if (g.rank() == dst) {
    EMBER_CHECK(out != nullptr, "gather", "the destination rank ", dst, " must pass a gather list");
    detail::check_same_dtype(*out, input, "gather");
    EMBER_CHECK(out->numel() == input.numel() * g.size(), "gather", "the gather list must hold world_size (", g.size(),
                ") tensors of ", input.describe());
  }
  detail::debug_check(g, "gather", detail::Coll::Gather, input, dst);
  return detail::finish(g.gather(out, input, dst, async_op), async_op);
}

/// Block r of input on rank src (world_size * out.numel() elements, only read on src) into rank r's out.
inline WorkPtr scatter(const Buffer& out, const Buffer* input, int src, bool async_op = false,
                       const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("scatter", group);
  detail::check_cpu(out, "scatter");
  src = detail::to_group_rank(g, src, "scatter", "source");
  if (g.rank() == src) {
    EMBER_CHECK(input != nullptr, "scatter", "the source rank ", src, " must pass a scatter list");
    detail::check_same_dtype(out, *input, "scatter");
    EMBER_CHECK(input->numel() == out.numel() * g.size(), "scatter", "the scatter list must hold world_size (", g.size(),
                ") tensors of ", out.describe());
  }
  detail::debug_check(g, "scatter", detail::Coll::Scatter, out, src);
  return detail::finish(g.scatter(out, input, src, async_op), async_op);
}

/// t to rank dst (point to point, matched by tag).
inline WorkPtr send(const Buffer& t, int dst, int tag = 0, bool async_op = false,
                    const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("send", group);
  detail::check_cpu(t, "send");
  dst = detail::to_group_rank(g, dst, "send", "destination");
  EMBER_CHECK(dst != g.rank(), "send", "rank ", dst, " cannot send to itself");
  return detail::finish(g.send(t, dst, tag, async_op), async_op);
}

/// t filled from rank src, or from whichever rank sends first (kAnySource; the Work's source_rank() is the
/// sender's rank in the group: get_global_rank turns it into the default group's). Its shape and dtype must
/// match the sent tensor's.
inline WorkPtr recv(const Buffer& t, int src, int tag = 0, bool async_op = false,
                    const ProcessGroupPtr& group = nullptr) {
  auto& g = detail::group("recv", group);
  detail::check_cpu(t, "recv");
  if (src != kAnySource) {
    src = detail::to_group_rank(g, src, "recv", "source");
    EMBER_CHECK(src != g.rank(), "recv", "rank ", src, " cannot receive from itself");
  }
  return detail::finish(g.recv(t, src, tag, async_op), async_op);
}

}  // namespace ember::distributed
