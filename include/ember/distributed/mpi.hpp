#pragma once
// The MPI backend of ember::distributed: MPI's C API over MPI_COMM_WORLD (a duplicate of it), nonblocking
// collectives (MPI_I*) behind every call, errors returned (MPI_ERRORS_RETURN) and thrown as DistributedError.
// MPI's C API only: keep OpenMPI's and MPICH's deprecated C++ bindings (and their library) out.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ember/distributed/process_group.hpp"

namespace ember::distributed {

namespace detail {

/// Throws DistributedError "[op] MPI error: <MPI's text>" unless rc is MPI_SUCCESS.
inline void check_mpi(int rc, const char* op) {
  if (rc == MPI_SUCCESS) [[likely]] return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  ::ember::detail::fail<DistributedError>(op, "MPI error: ", std::string(text, static_cast<std::size_t>(len)));
}

inline MPI_Datatype mpi_dtype(DType d) {
  switch (d) {
    case DType::Bool: case DType::UInt8: return MPI_UINT8_T;
    case DType::Int8: return MPI_INT8_T;
    case DType::Int32: return MPI_INT32_T;
    case DType::Int64: return MPI_INT64_T;
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::BFloat16: break;  // refused: dispatch_dtype below raises for bfloat16
  }
  return MPI_DATATYPE_NULL;
}

/// The MPI reduction of op on dtype d (AVG is a SUM divided afterwards; bool reduces logically).
inline MPI_Op mpi_op(ReduceOp op, DType d, const char* name) {
  if (d == DType::Bool) {
    EMBER_CHECK(op != ReduceOp::AVG, name, "ReduceOp.AVG is not defined for bool tensors");
    return op == ReduceOp::SUM || op == ReduceOp::MAX ? MPI_LOR : MPI_LAND;
  }
  switch (op) {
    case ReduceOp::SUM: case ReduceOp::AVG: return MPI_SUM;
    case ReduceOp::PRODUCT: return MPI_PROD;
    case ReduceOp::MIN: return MPI_MIN;
    case ReduceOp::MAX: return MPI_MAX;
  }
  return MPI_OP_NULL;
}

/// t /= n in place: floats divide, integers floor-divide (Python's //, the value AVG gives on integers).
inline void divide_by(const Buffer& t, int n) {
  dispatch_dtype(t.dtype, [&](auto zero) {
    using T = decltype(zero);
    auto* p = static_cast<T*>(t.data);
    const std::int64_t count = t.numel();
    if constexpr (std::is_floating_point_v<T>) {
      const T d = static_cast<T>(n);
      for (std::int64_t i = 0; i < count; ++i) p[i] /= d;
    } else if constexpr (!std::is_same_v<T, bool>) {
      const T d = static_cast<T>(n);
      for (std::int64_t i = 0; i < count; ++i) {
        T q = static_cast<T>(p[i] / d);
        if constexpr (std::is_signed_v<T>)
          if ((p[i] % d != 0) && ((p[i] < 0) != (d < 0))) --q;
        p[i] = q;
      }
    }
  });
}

inline int to_int_count(std::int64_t n, const char* op) {
  EMBER_CHECK(n <= std::numeric_limits<int>::max(), op, "MPI counts are int: ", n,
              " elements do not fit (split the tensor)");
  return static_cast<int>(n);
}

}  // namespace detail

/// MPI's requests for one operation, the lock that serializes MPI calls below MPI_THREAD_MULTIPLE, and an
/// epilogue run once after completion (AVG's division).
class MpiWork : public Work {
 public:
  MpiWork(std::vector<MPI_Request> requests, std::mutex* lock, std::function<void()> epilogue, const char* op)
      : requests_(std::move(requests)), lock_(lock), epilogue_(std::move(epilogue)), op_(op) {}

  void wait() override {
    if (done_) return;
    if (!requests_.empty()) {
      // Polled rather than MPI_Waitall under the lock, so that other threads' MPI calls go on meanwhile.
      if (lock_) {
        while (!is_completed()) std::this_thread::yield();
      } else {
        std::vector<MPI_Status> statuses(requests_.size());
        detail::check_mpi(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), statuses.data()), op_);
        source_ = statuses.front().MPI_SOURCE;
      }
    }
    finish();
  }

  bool is_completed() override {
    if (done_ || requests_.empty()) return true;
    std::optional<std::lock_guard<std::mutex>> guard;
    if (lock_) guard.emplace(*lock_);
    int flag = 0;
    std::vector<MPI_Status> statuses(requests_.size());
    detail::check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &flag, statuses.data()), op_);
    if (flag) {
      source_ = statuses.front().MPI_SOURCE;
      requests_.clear();
    }
    return flag != 0;
  }

  /// The sender of a finished recv (-1 otherwise).
  int source_rank() const override { return recv_ ? source_ : -1; }
  /// Marks this Work as a recv (source set by a blocking call, or read from its status when it finishes).
  void set_recv(int source) {
    recv_ = true;
    source_ = source;
  }

 private:
  void finish() {
    done_ = true;
    requests_.clear();
    if (epilogue_) std::exchange(epilogue_, nullptr)();
  }

  std::vector<MPI_Request> requests_;
  std::mutex* lock_;
  std::function<void()> epilogue_;
  const char* op_;
  bool done_ = false;
  bool recv_ = false;
  int source_ = -1;
};

/// ProcessGroup over MPI: initializes MPI (MPI_THREAD_MULTIPLE when the library offers it, else
/// MPI_THREAD_SERIALIZED with every MPI call under one lock) unless the program already did, and works
/// on a duplicate of MPI_COMM_WORLD so that its messages never meet the program's own.
class MpiProcessGroup : public ProcessGroup {
 public:
  /// thread_multiple false asks for MPI_THREAD_SERIALIZED only (the lock is then used even where the
  /// library could do more; for tests of that path).
  explicit MpiProcessGroup(bool thread_multiple = true) {
    const int requested = thread_multiple ? MPI_THREAD_MULTIPLE : MPI_THREAD_SERIALIZED;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      detail::check_mpi(MPI_Init_thread(nullptr, nullptr, requested, &provided), "init_process_group");
      owns_mpi_ = true;
      thread_level_ = std::min(provided, requested);
    } else {
      MPI_Query_thread(&thread_level_);
      thread_level_ = std::min(thread_level_, requested);
    }
    EMBER_CHECK(thread_level_ >= MPI_THREAD_SERIALIZED || !owns_mpi_, "init_process_group",
                "the MPI library offers only thread level ", thread_level_, " (MPI_THREAD_SERIALIZED is needed)");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    detail::check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "init_process_group");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    describe_comm();
  }

  ~MpiProcessGroup() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    MPI_Comm_free(&comm_);
    if (owns_mpi_) MPI_Finalize();
  }

  /// A group over comm (a communicator of its own, freed with the group), made by new_group.
  MpiProcessGroup(MPI_Comm comm, int thread_level, std::shared_ptr<std::mutex> lock, std::vector<int> global_ranks)
      : comm_(comm), thread_level_(thread_level), lock_(std::move(lock)) {
    global_ranks_ = std::move(global_ranks);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    describe_comm();
  }

  MpiProcessGroup(const MpiProcessGroup&) = delete;
  MpiProcessGroup& operator=(const MpiProcessGroup&) = delete;

  std::string backend() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  /// Ranks on this node (MPI_COMM_TYPE_SHARED) and this rank's index among them.
  int local_size() const { return local_size_; }
  int local_rank() const { return local_rank_; }
  /// True with MPI_THREAD_MULTIPLE; false with MPI_THREAD_SERIALIZED (calls serialized by a lock).
  bool thread_multiple() const { return thread_level_ >= MPI_THREAD_MULTIPLE; }
  /// "MPI_THREAD_MULTIPLE" or "MPI_THREAD_SERIALIZED".
  std::string thread_level_name() const {
    return thread_multiple() ? "MPI_THREAD_MULTIPLE" : thread_level_ == MPI_THREAD_SERIALIZED ? "MPI_THREAD_SERIALIZED"
                                                                                              : "below MPI_THREAD_SERIALIZED";
  }
  MPI_Comm comm() const { return comm_; }

  /// Ends every rank of the job (MPI_Abort), for a rank whose error would otherwise leave the others waiting.
  static void abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

  std::shared_ptr<ProcessGroup> new_group(const std::vector<int>& ranks) override {
    MPI_Group all = MPI_GROUP_NULL, sub = MPI_GROUP_NULL;
    MPI_Comm comm = MPI_COMM_NULL;
    {
      std::optional<std::lock_guard<std::mutex>> guard;
      if (!thread_multiple()) guard.emplace(*lock_);
      detail::check_mpi(MPI_Comm_group(comm_, &all), "new_group");
      int rc = MPI_Group_incl(all, static_cast<int>(ranks.size()), ranks.data(), &sub);
      if (rc == MPI_SUCCESS) rc = MPI_Comm_create(comm_, sub, &comm);
      MPI_Group_free(&all);
      if (sub != MPI_GROUP_NULL) MPI_Group_free(&sub);
      detail::check_mpi(rc, "new_group");
    }
    if (comm == MPI_COMM_NULL) return nullptr;
    std::vector<int> global;
    for (int r : ranks) global.push_back(global_rank(r));
    return std::make_shared<MpiProcessGroup>(comm, thread_level_, lock_, std::move(global));
  }

  // Each call below runs MPI's blocking function when r is null (async_op false: OpenMPI's blocking
  // collectives have tuned algorithms its nonblocking ones lack) and the MPI_I* one otherwise.
  WorkPtr barrier(bool async_op) override {
    return start("barrier", async_op, [&](MPI_Request* r) { return r ? MPI_Ibarrier(comm_, r) : MPI_Barrier(comm_); });
  }

  WorkPtr broadcast(const Buffer& t, int src, bool async_op) override {
    const int n = detail::to_int_count(t.numel(), "broadcast");
    const MPI_Datatype dt = detail::mpi_dtype(t.dtype);
    return start("broadcast", async_op, [&](MPI_Request* r) {
      return r ? MPI_Ibcast(t.data, n, dt, src, comm_, r) : MPI_Bcast(t.data, n, dt, src, comm_);
    });
  }

  WorkPtr all_reduce(const Buffer& t, ReduceOp op, bool async_op) override {
    const int n = detail::to_int_count(t.numel(), "all_reduce");
    const MPI_Op mop = detail::mpi_op(op, t.dtype, "all_reduce");
    const MPI_Datatype dt = detail::mpi_dtype(t.dtype);
    return start("all_reduce", async_op, [&](MPI_Request* r) {
      return r ? MPI_Iallreduce(MPI_IN_PLACE, t.data, n, dt, mop, comm_, r)
               : MPI_Allreduce(MPI_IN_PLACE, t.data, n, dt, mop, comm_);
    }, avg_epilogue(t, op));
  }

  WorkPtr reduce(const Buffer& t, int dst, ReduceOp op, bool async_op) override {
    const int n = detail::to_int_count(t.numel(), "reduce");
    const MPI_Op mop = detail::mpi_op(op, t.dtype, "reduce");
    const MPI_Datatype dt = detail::mpi_dtype(t.dtype);
    const bool root = rank_ == dst;
    const void* send = root ? MPI_IN_PLACE : t.data;
    void* recv = root ? t.data : nullptr;
    return start("reduce", async_op, [&](MPI_Request* r) {
      return r ? MPI_Ireduce(send, recv, n, dt, mop, dst, comm_, r) : MPI_Reduce(send, recv, n, dt, mop, dst, comm_);
    }, root ? avg_epilogue(t, op) : nullptr);
  }

  WorkPtr all_gather(const Buffer& out, const Buffer& input, bool async_op) override {
    const int n = detail::to_int_count(input.numel(), "all_gather");
    const MPI_Datatype dt = detail::mpi_dtype(input.dtype);
    return start("all_gather", async_op, [&](MPI_Request* r) {
      return r ? MPI_Iallgather(input.data, n, dt, out.data, n, dt, comm_, r)
               : MPI_Allgather(input.data, n, dt, out.data, n, dt, comm_);
    });
  }

  WorkPtr reduce_scatter(const Buffer& out, const Buffer& input, ReduceOp op, bool async_op) override {
    const int n = detail::to_int_count(out.numel(), "reduce_scatter_tensor");
    const MPI_Op mop = detail::mpi_op(op, out.dtype, "reduce_scatter_tensor");
    const MPI_Datatype dt = detail::mpi_dtype(out.dtype);
    return start("reduce_scatter_tensor", async_op, [&](MPI_Request* r) {
      return r ? MPI_Ireduce_scatter_block(input.data, out.data, n, dt, mop, comm_, r)
               : MPI_Reduce_scatter_block(input.data, out.data, n, dt, mop, comm_);
    }, avg_epilogue(out, op));
  }

  WorkPtr gather(const Buffer* out, const Buffer& input, int dst, bool async_op) override {
    const int n = detail::to_int_count(input.numel(), "gather");
    const MPI_Datatype dt = detail::mpi_dtype(input.dtype);
    void* recv = rank_ == dst && out ? out->data : nullptr;
    return start("gather", async_op, [&](MPI_Request* r) {
      return r ? MPI_Igather(input.data, n, dt, recv, n, dt, dst, comm_, r)
               : MPI_Gather(input.data, n, dt, recv, n, dt, dst, comm_);
    });
  }

  WorkPtr scatter(const Buffer& out, const Buffer* input, int src, bool async_op) override {
    const int n = detail::to_int_count(out.numel(), "scatter");
    const MPI_Datatype dt = detail::mpi_dtype(out.dtype);
    void* send = rank_ == src && input ? input->data : nullptr;
    return start("scatter", async_op, [&](MPI_Request* r) {
      return r ? MPI_Iscatter(send, n, dt, out.data, n, dt, src, comm_, r)
               : MPI_Scatter(send, n, dt, out.data, n, dt, src, comm_);
    });
  }

  WorkPtr send(const Buffer& t, int dst, int tag, bool async_op) override {
    const int n = detail::to_int_count(t.numel(), "send");
    const MPI_Datatype dt = detail::mpi_dtype(t.dtype);
    return start("send", async_op, [&](MPI_Request* r) {
      return r ? MPI_Isend(t.data, n, dt, dst, tag, comm_, r) : MPI_Send(t.data, n, dt, dst, tag, comm_);
    });
  }

  WorkPtr recv(const Buffer& t, int src, int tag, bool async_op) override {
    const int n = detail::to_int_count(t.numel(), "recv");
    const MPI_Datatype dt = detail::mpi_dtype(t.dtype);
    const int from = src == kAnySource ? MPI_ANY_SOURCE : src;
    MPI_Status status{};
    status.MPI_SOURCE = src;
    auto w = start("recv", async_op, [&](MPI_Request* r) {
      return r ? MPI_Irecv(t.data, n, dt, from, tag, comm_, r) : MPI_Recv(t.data, n, dt, from, tag, comm_, &status);
    });
    static_cast<MpiWork&>(*w).set_recv(async_op ? -1 : status.MPI_SOURCE);
    return w;
  }

 private:
  std::function<void()> avg_epilogue(const Buffer& t, ReduceOp op) const {
    if (op != ReduceOp::AVG) return nullptr;
    return [t, n = size_] { detail::divide_by(t, n); };
  }

  template <class F>
  WorkPtr start(const char* op, bool async_op, F&& call, std::function<void()> epilogue = nullptr) {
    std::vector<MPI_Request> requests;
    {
      std::optional<std::lock_guard<std::mutex>> guard;
      if (!thread_multiple()) guard.emplace(*lock_);
      MPI_Request request = MPI_REQUEST_NULL;
      detail::check_mpi(call(async_op ? &request : nullptr), op);
      if (async_op) requests.push_back(request);
    }
    return std::make_shared<MpiWork>(std::move(requests), thread_multiple() ? nullptr : lock_.get(), std::move(epilogue), op);
  }

  void describe_comm() {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm node;
    detail::check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), "init_process_group");
    MPI_Comm_size(node, &local_size_);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, local_size_ = 1, local_rank_ = 0;
  int thread_level_ = MPI_THREAD_SINGLE;
  bool owns_mpi_ = false;
  // Shared with the groups made by new_group: below MPI_THREAD_MULTIPLE every MPI call of the process
  // must be under one lock.
  std::shared_ptr<std::mutex> lock_ = std::make_shared<std::mutex>();
};

}  // namespace ember::distributed
