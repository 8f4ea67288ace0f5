// ember._serve: ember::serve::Server for `ember serve` (python/ember/cli.py). The GIL is released while a
// model loads and while the server runs; run() returns after stop() (or SIGINT/SIGTERM when handle_signals).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ember/serve/server.hpp"

namespace py = pybind11;
namespace serve = ember::serve;

PYBIND11_MODULE(_serve, m) {
  m.doc() = "The HTTP inference server of `ember serve` (Open Inference Protocol v2, dynamic batching).";
  py::class_<serve::Server>(m, "Server")
      .def(py::init([](const std::string& host, int port, int threads, std::int64_t max_batch,
                       std::int64_t max_delay_us, std::size_t queue, std::size_t max_body_bytes, double read_timeout_s,
                       double request_timeout_s, const std::string& token, bool handle_signals) {
             if (port < 0 || port > 65535) throw std::invalid_argument("[serve] port must be in [0, 65535]");
             serve::ServerOptions o;
             o.host = host;
             o.port = static_cast<unsigned short>(port);
             o.threads = threads;
             o.max_batch = max_batch;
             o.max_delay_us = max_delay_us;
             o.queue_capacity = queue;
             o.max_body_bytes = max_body_bytes;
             o.read_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(read_timeout_s * 1000));
             o.request_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(request_timeout_s * 1000));
             o.token = token;
             o.handle_signals = handle_signals;
             return std::make_unique<serve::Server>(std::move(o));
           }),
           py::arg("host") = "127.0.0.1", py::arg("port") = 8080, py::arg("threads") = 0, py::arg("max_batch") = 64,
           py::arg("max_delay_us") = 2000, py::arg("queue") = 1024, py::arg("max_body_bytes") = 16u << 20,
           py::arg("read_timeout_s") = 30.0, py::arg("request_timeout_s") = 30.0, py::arg("token") = "",
           py::arg("handle_signals") = false)
      .def(
          "add_model",
          [](serve::Server& s, const std::string& name, const std::string& path) {
            s.add_model(name, ember::deploy::load(path));
          },
          py::arg("name"), py::arg("path"), py::call_guard<py::gil_scoped_release>(),
          "Loads a .ember file and serves it as `name`.")
      .def("listen", &serve::Server::listen, "Binds host:port (port 0: any free one).")
      .def_property_readonly("port", &serve::Server::port)
      .def("run", &serve::Server::run, py::call_guard<py::gil_scoped_release>(), "Serves until stop().")
      .def("stop", &serve::Server::stop, "Stops accepting; run() returns once the requests in flight are answered.")
      .def("metrics_text", &serve::Server::metrics_text);
}
