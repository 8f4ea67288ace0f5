#pragma once
// The collectives on ember::Tensor<T>: each passes the tensor's own memory to the backend (no copy). Tensors
// written in place (broadcast, all_reduce, reduce, recv, the outputs) must be contiguous and are refused
// otherwise; read-only inputs that are not contiguous are copied once (contiguous()).
// Include after ember/ember.hpp; needs mpi.h (link MPI::MPI_C).
#include <optional>
#include <vector>

#include "ember/distributed/collectives.hpp"
#include "ember/ember.hpp"

namespace ember::distributed {

namespace detail {

/// The Buffer over t's memory; invalid_argument naming op when t is not contiguous.
template <Element T>
Buffer buffer_of(const Tensor<T>& t, const char* op) {
  EMBER_CHECK(t.is_contiguous(), op, "tensor of shape ", t.shape(),
              " is written in place and must be contiguous (call .contiguous() and copy back)");
  const Shape& s = t.shape();
  return Buffer{t.data(), dtype_of<T>, std::vector<std::int64_t>(s.begin(), s.end()),
                t.device().is_cuda() ? t.device().index : -1};
}

}  // namespace detail

template <Element T>
WorkPtr broadcast(const Tensor<T>& t, int src, bool async_op = false,
                  const ProcessGroupPtr& group = nullptr) {
  return broadcast(detail::buffer_of(t, "broadcast"), src, async_op, group);
}

template <Element T>
WorkPtr all_reduce(const Tensor<T>& t, ReduceOp op = ReduceOp::SUM, bool async_op = false,
                   const ProcessGroupPtr& group = nullptr) {
  return all_reduce(detail::buffer_of(t, "all_reduce"), op, async_op, group);
}

template <Element T>
WorkPtr reduce(const Tensor<T>& t, int dst, ReduceOp op = ReduceOp::SUM, bool async_op = false,
               const ProcessGroupPtr& group = nullptr) {
  return reduce(detail::buffer_of(t, "reduce"), dst, op, async_op, group);
}

/// out (world_size * input.numel() elements, contiguous) receives every rank's input in rank order.
/// With async_op, keep input alive until wait() (a non-contiguous input's copy is held by the caller's
/// tensor only during the call, so pass contiguous inputs when async).
template <Element T>
WorkPtr all_gather_into_tensor(const Tensor<T>& out, const Tensor<T>& input, bool async_op = false,
                               const ProcessGroupPtr& group = nullptr) {
  const Tensor<T> in = input.contiguous();
  auto w = all_gather_into_tensor(detail::buffer_of(out, "all_gather_into_tensor"),
                                  detail::buffer_of(in, "all_gather_into_tensor"), async_op, group);
  if (async_op && !input.is_contiguous()) w->wait();
  return w;
}

/// Every rank's input, one tensor per rank.
template <Element T>
std::vector<Tensor<T>> all_gather(const Tensor<T>& input, const ProcessGroupPtr& group = nullptr) {
  const int n = get_world_size(group);
  Shape s = input.shape();
  std::vector<std::int64_t> dims{n};
  dims.insert(dims.end(), s.begin(), s.end());
  Tensor<T> out = empty<T>(Shape(dims));
  all_gather_into_tensor(out, input, false, group);
  std::vector<Tensor<T>> parts;
  for (int r = 0; r < n; ++r) parts.push_back(out.select(0, r));
  return parts;
}

template <Element T>
WorkPtr reduce_scatter_tensor(const Tensor<T>& out, const Tensor<T>& input, ReduceOp op = ReduceOp::SUM,
                              bool async_op = false,
                              const ProcessGroupPtr& group = nullptr) {
  const Tensor<T> in = input.contiguous();
  auto w = reduce_scatter_tensor(detail::buffer_of(out, "reduce_scatter_tensor"),
                                 detail::buffer_of(in, "reduce_scatter_tensor"), op, async_op, group);
  if (async_op && !input.is_contiguous()) w->wait();
  return w;
}

/// Every rank's input into *out (world_size * input.numel() elements, contiguous) on rank dst; out is only
/// read on dst (pass nullptr elsewhere).
template <Element T>
WorkPtr gather(const Tensor<T>& input, const Tensor<T>* out, int dst, bool async_op = false,
               const ProcessGroupPtr& group = nullptr) {
  const Tensor<T> in = input.contiguous();
  std::optional<Buffer> o;
  if (out) o = detail::buffer_of(*out, "gather");
  auto w = gather(o ? &*o : nullptr, detail::buffer_of(in, "gather"), dst, async_op, group);
  if (async_op && !input.is_contiguous()) w->wait();
  return w;
}

/// Block r of *input (world_size * out.numel() elements) on rank src into rank r's out; input is only read
/// on src (pass nullptr elsewhere).
template <Element T>
WorkPtr scatter(const Tensor<T>& out, const Tensor<T>* input, int src, bool async_op = false,
                const ProcessGroupPtr& group = nullptr) {
  std::optional<Tensor<T>> in;
  std::optional<Buffer> i;
  if (input) {
    in = input->contiguous();
    i = detail::buffer_of(*in, "scatter");
  }
  auto w = scatter(detail::buffer_of(out, "scatter"), i ? &*i : nullptr, src, async_op, group);
  if (async_op && input && !input->is_contiguous()) w->wait();
  return w;
}

template <Element T>
WorkPtr send(const Tensor<T>& t, int dst, int tag = 0, bool async_op = false,
             const ProcessGroupPtr& group = nullptr) {
  const Tensor<T> c = t.contiguous();
  auto w = send(detail::buffer_of(c, "send"), dst, tag, async_op, group);
  if (async_op && !t.is_contiguous()) w->wait();
  return w;
}

template <Element T>
WorkPtr recv(const Tensor<T>& t, int src, int tag = 0, bool async_op = false,
             const ProcessGroupPtr& group = nullptr) {
  return recv(detail::buffer_of(t, "recv"), src, tag, async_op, group);
}

}  // namespace ember::distributed
