// ember._distributed: the MPI collectives of ember::distributed for ember.distributed. A module of its own
// (linked to libmpi) so that `import ember` never loads MPI. Tensors arrive as (data pointer, dtype code,
// shape) triples made by ember/distributed/__init__.py, which keeps them alive; the GIL is released while
// MPI works (and while a Work is waited on).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ember/distributed/collectives.hpp"
#include "ember/distributed/reducer.hpp"

namespace py = pybind11;
namespace dist = ember::distributed;

namespace {

dist::Buffer buffer_from(const py::tuple& t) {
  dist::Buffer b;
  b.data = reinterpret_cast<void*>(t[0].cast<std::uintptr_t>());
  b.dtype = static_cast<ember::DType>(t[1].cast<int>());
  b.shape = t[2].cast<std::vector<std::int64_t>>();
  b.device = t[3].cast<int>();
  return b;
}

std::optional<dist::Buffer> optional_buffer(const std::optional<py::tuple>& t) {
  if (!t) return std::nullopt;
  return buffer_from(*t);
}

/// The Work of an async call; None for a blocking one (already complete), which saves a Python object per call.
py::object result(dist::WorkPtr w, bool async_op) {
  return async_op ? py::cast(std::move(w)) : py::none();
}

dist::MpiProcessGroup& mpi_group() { return dynamic_cast<dist::MpiProcessGroup&>(dist::default_process_group()); }

}  // namespace

PYBIND11_MODULE(_distributed, m) {
  m.doc() = "MPI collectives for ember.distributed (see ember/distributed/__init__.py).";
  py::register_exception<dist::DistributedError>(m, "DistributedError", PyExc_RuntimeError);
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ember::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });

  py::enum_<dist::ReduceOp>(m, "ReduceOp")
      .value("SUM", dist::ReduceOp::SUM)
      .value("AVG", dist::ReduceOp::AVG)
      .value("PRODUCT", dist::ReduceOp::PRODUCT)
      .value("MIN", dist::ReduceOp::MIN)
      .value("MAX", dist::ReduceOp::MAX);

  py::class_<dist::Work, dist::WorkPtr>(m, "Work")
      .def("wait", [](dist::Work& w) { w.wait(); return true; }, py::call_guard<py::gil_scoped_release>(),
           "Blocks until the operation finished (and raises its error).")
      .def("is_completed", &dist::Work::is_completed, py::call_guard<py::gil_scoped_release>(),
           "True when the operation finished (without blocking).")
      .def("source_rank", &dist::Work::source_rank,
           "A finished recv's sender (its rank in the group the recv ran in); -1 otherwise.");

  py::class_<dist::ProcessGroup, dist::ProcessGroupPtr>(m, "ProcessGroup")
      .def("rank", &dist::ProcessGroup::rank, "This process's rank in the group.")
      .def("size", &dist::ProcessGroup::size)
      .def("backend", &dist::ProcessGroup::backend)
      .def("group_rank", &dist::ProcessGroup::group_rank, py::arg("global_rank"),
           "The group's rank of a default-group rank (-1: not a member).")
      .def("global_rank", &dist::ProcessGroup::global_rank, py::arg("group_rank"))
      .def_property_readonly("global_ranks", [](const dist::ProcessGroup& g) {
        if (!g.global_ranks().empty()) return g.global_ranks();
        std::vector<int> all(static_cast<std::size_t>(g.size()));
        for (int r = 0; r < g.size(); ++r) all[static_cast<std::size_t>(r)] = r;
        return all;
      }, "The default group's ranks of the members, in group rank order.");

  using Rel = py::call_guard<py::gil_scoped_release>;
  m.def("init_process_group", [](const std::string& backend, bool size_threads) {
    dist::init_process_group(backend, {size_threads});
  }, py::arg("backend"), py::arg("size_threads"), Rel());
  m.def("destroy_process_group", &dist::destroy_process_group, Rel());
  m.def("is_initialized", &dist::is_initialized);
  m.def("get_rank", [] { return dist::get_rank(); });
  m.def("get_world_size", [] { return dist::get_world_size(); });
  m.def("new_group", [](const std::vector<int>& ranks) { return dist::new_group(ranks); }, py::arg("ranks"), Rel(),
        "A group of the default group's ranks (every rank calls it); None on the ranks outside.");
  m.def("local_size", [] { return mpi_group().local_size(); }, "Ranks on this node.");
  m.def("local_rank", [] { return mpi_group().local_rank(); }, "This rank's index among the ranks on its node.");
  m.def("thread_level", [] { return mpi_group().thread_level_name(); });
  m.def("threads_per_rank", &dist::threads_per_rank, py::arg("local_size"));
  m.def("debug_mode", &dist::debug_mode);
  m.def("set_debug_mode", &dist::set_debug_mode, py::arg("on"));
  m.def("abort", [](int code) { dist::MpiProcessGroup::abort(code); }, py::arg("code"));

  m.def("barrier", [](bool async_op, const dist::ProcessGroupPtr& group) {
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::barrier(async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("async_op"), py::arg("group") = py::none());
  m.def("broadcast", [](const py::tuple& t, int src, bool async_op, const dist::ProcessGroupPtr& group) {
    auto b = buffer_from(t);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::broadcast(b, src, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("t"), py::arg("src"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("all_reduce", [](const py::tuple& t, dist::ReduceOp op, bool async_op, const dist::ProcessGroupPtr& group) {
    auto b = buffer_from(t);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::all_reduce(b, op, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("t"), py::arg("op"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("reduce", [](const py::tuple& t, int dst, dist::ReduceOp op, bool async_op, const dist::ProcessGroupPtr& group) {
    auto b = buffer_from(t);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::reduce(b, dst, op, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("t"), py::arg("dst"), py::arg("op"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("all_gather_into_tensor", [](const py::tuple& out, const py::tuple& input, bool async_op, const dist::ProcessGroupPtr& group) {
    auto o = buffer_from(out), i = buffer_from(input);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::all_gather_into_tensor(o, i, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("out"), py::arg("input"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("reduce_scatter_tensor", [](const py::tuple& out, const py::tuple& input, dist::ReduceOp op, bool async_op, const dist::ProcessGroupPtr& group) {
    auto o = buffer_from(out), i = buffer_from(input);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::reduce_scatter_tensor(o, i, op, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("out"), py::arg("input"), py::arg("op"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("gather", [](const std::optional<py::tuple>& out, const py::tuple& input, int dst, bool async_op, const dist::ProcessGroupPtr& group) {
    auto o = optional_buffer(out);
    auto i = buffer_from(input);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::gather(o ? &*o : nullptr, i, dst, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("out"), py::arg("input"), py::arg("dst"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("scatter", [](const py::tuple& out, const std::optional<py::tuple>& input, int src, bool async_op, const dist::ProcessGroupPtr& group) {
    auto o = buffer_from(out);
    auto i = optional_buffer(input);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::scatter(o, i ? &*i : nullptr, src, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("out"), py::arg("input"), py::arg("src"), py::arg("async_op"), py::arg("group") = py::none());
  m.def("send", [](const py::tuple& t, int dst, int tag, bool async_op, const dist::ProcessGroupPtr& group) {
    auto b = buffer_from(t);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::send(b, dst, tag, async_op, group);
    }
    return result(std::move(w), async_op);
  }, py::arg("t"), py::arg("dst"), py::arg("tag"), py::arg("async_op"), py::arg("group") = py::none());
  m.attr("ANY_SOURCE") = dist::kAnySource;
  m.def("recv", [](const py::tuple& t, int src, int tag, bool async_op, const dist::ProcessGroupPtr& group) {
    auto b = buffer_from(t);
    dist::WorkPtr w;
    {
      py::gil_scoped_release nogil;
      w = dist::recv(b, src, tag, async_op, group);
    }
    return w;  // blocking too: its source_rank() tells who sent (src=ANY_SOURCE)
  }, py::arg("t"), py::arg("src"), py::arg("tag"), py::arg("async_op"), py::arg("group") = py::none());

  // DistributedDataParallel's reducer (ember/nn/parallel/distributed.py keeps the module plumbing). Gradients
  // arrive as buffer tuples (or None: zeros); the caller keeps them alive until the reduction finished.
  m.def("check_same_model",
        [](const std::vector<std::tuple<std::string, std::string, int, std::vector<std::int64_t>>>& entries, int root,
           const dist::ProcessGroupPtr& group) {
          std::vector<dist::ModelEntry> es;
          for (const auto& [kind, name, dtype, shape] : entries)
            es.push_back({kind, name, static_cast<ember::DType>(dtype), shape});
          dist::check_same_model(es, root, group);
        },
        py::arg("entries"), py::arg("root"), py::arg("group") = py::none(), Rel(),
        "DistributedDataParallel's check that every rank holds the same model: entries (kind, name, dtype code, "
        "shape); ValueError naming the first difference.");
  py::class_<dist::Reducer, std::shared_ptr<dist::Reducer>>(m, "Reducer")
      .def(py::init([](const std::vector<std::tuple<std::string, int, std::int64_t>>& params, double bucket_cap_mb,
                       const std::string& unused_hint, const dist::ProcessGroupPtr& group) {
             std::vector<dist::ReducerParam> ps;
             for (const auto& [name, dtype, numel] : params) ps.push_back({name, static_cast<ember::DType>(dtype), numel});
             return std::make_shared<dist::Reducer>(std::move(ps), bucket_cap_mb, unused_hint, group);
           }),
           py::arg("params"), py::arg("bucket_cap_mb"), py::arg("unused_hint") = "", py::arg("group") = py::none())
      .def_property_readonly("num_buckets", &dist::Reducer::num_buckets)
      .def("bucket_indices", &dist::Reducer::bucket_indices)
      .def_property("sync", &dist::Reducer::sync, &dist::Reducer::set_sync)
      .def_property_readonly("armed", &dist::Reducer::armed)
      .def_property_readonly("buckets_started", &dist::Reducer::buckets_started)
      .def("globally_used", &dist::Reducer::globally_used, py::arg("i"))
      .def("check_finished", &dist::Reducer::check_finished)
      .def("prepare", &dist::Reducer::prepare, py::arg("grad_enabled"), py::arg("find_unused") = false)
      .def("mark_ready", [](dist::Reducer& r, std::size_t i, const std::optional<py::tuple>& grad) {
        void* data = nullptr;
        if (grad) {
          auto b = buffer_from(*grad);
          data = b.data;
          EMBER_CHECK(b.numel() == r.param(i).numel && b.dtype == r.param(i).dtype, "DistributedDataParallel",
                      "the gradient of parameter '", r.param(i).name, "' is ", b.describe(), ", expected ",
                      r.param(i).numel, " elements of ", ember::dtype_name(r.param(i).dtype));
        }
        py::gil_scoped_release nogil;
        return r.mark_ready(i, data);
      }, py::arg("i"), py::arg("grad"))
      .def("mark_unused", [](dist::Reducer& r, std::size_t i, const std::optional<py::tuple>& grad) {
        void* data = grad ? buffer_from(*grad).data : nullptr;
        py::gil_scoped_release nogil;
        return r.mark_unused(i, data);
      }, py::arg("i"), py::arg("grad"));
}
