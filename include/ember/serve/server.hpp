#pragma once
// ember::serve::Server: deployed models over HTTP, speaking the Open Inference Protocol v2 (protocol.hpp)
// on Boost.Beast. N io threads each run an io_context of their own (async accept, read and write per
// connection, keep-alive), so that many idle or slow clients cost no thread each; a connection lives on
// one of them, so its handlers never run at once and need neither a strand nor a lock (the type-erased
// executors and strand locks cost about a tenth of the CPU of a small request when measured). Inference
// never runs on those threads: an infer request is parsed, handed to its model's Batcher (batcher.hpp),
// and the connection resumes when the batcher answers, so health and metrics answer while a batch runs.
//
// Needs Boost (Debian: libboost-dev; header-only Asio and Beast), which is why ember.hpp leaves it out.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ember/deploy/model.hpp"
#include "ember/serve/batcher.hpp"
#include "ember/serve/metrics.hpp"
#include "ember/serve/protocol.hpp"
#include "ember/version.hpp"

namespace ember::serve {

namespace http = boost::beast::http;

struct ServerOptions {
  std::string host = "127.0.0.1";   // loopback unless told otherwise
  unsigned short port = 8080;       // 0: any free port (port() says which once listening)
  int threads = 0;                  // io threads; 0: one per core
  std::int64_t max_batch = 64;      // rows per forward
  std::int64_t max_delay_us = 2000;  // how long a request waits for others to share its forward
  std::size_t queue_capacity = 1024;  // waiting requests per model; more are answered 503
  std::size_t max_body_bytes = 16u << 20;  // larger bodies are answered 413
  std::chrono::milliseconds read_timeout{30000};  // a request must arrive whole within this (idle too)
  std::chrono::milliseconds request_timeout{30000};  // a request not yet run after this is answered 504
  std::string token;                // when set, every request needs "Authorization: Bearer <token>"
  bool handle_signals = false;      // run() stops on SIGINT and SIGTERM
};

/// The protocol's view of a deployed model: names, dtypes and shapes with -1 for the batch dim.
inline ModelInfo model_info(const std::string& name, const deploy::Model& m) {
  auto info_of = [&](const std::string& value) {
    const deploy::ValueSpec& spec = m.graph().values.at(value);
    TensorInfo t{value, spec.dtype, {}};
    for (const auto& d : spec.shape) t.shape.push_back(d.batch != 0 ? -1 : d.add);
    return t;
  };
  ModelInfo info{name, "", {}, {}};
  for (const auto& n : m.input_names()) info.inputs.push_back(info_of(n));
  for (const auto& n : m.output_names()) info.outputs.push_back(info_of(n));
  return info;
}

/// True when every input and output of m has exactly the batch as dim 0, so that requests can share a forward.
inline bool batchable(const deploy::Model& m) {
  auto rows_first = [&](const std::string& value) {
    const auto& s = m.graph().values.at(value).shape;
    return !s.empty() && s[0].batch == 1 && s[0].add == 0;
  };
  bool ok = m.graph().min_batch <= 1;
  for (const auto& n : m.input_names()) ok = ok && rows_first(n);
  for (const auto& n : m.output_names()) ok = ok && rows_first(n);
  return ok;
}

class Server {
  using tcp = boost::asio::ip::tcp;

 public:
  explicit Server(ServerOptions options) : opt_(std::move(options)) {
    if (opt_.threads <= 0) opt_.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < opt_.threads; ++i) iocs_.push_back(std::make_unique<boost::asio::io_context>(1));
    acceptor_.emplace(*iocs_[0]);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() {
    stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  /// Serves a deployed model as `name` (letters, digits, '_', '-', '.'); call before run().
  void add_model(const std::string& name, const deploy::Model& model) {
    add_model(model_info(name, model), [model](const Tensors& in) { return model.forward(in); }, batchable(model));
  }

  /// Serves any forward function described by info (tests, custom runtimes); call before run().
  void add_model(ModelInfo info, ForwardFn forward, bool splittable = true) {
    const std::string& name = info.name;
    bool ok = !name.empty();
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
    if (!ok) throw std::invalid_argument("[serve] model name '" + name + "' must be letters, digits, '_', '-' or '.'");
    if (models_.count(name)) throw std::invalid_argument("[serve] model '" + name + "' is added twice");
    auto e = std::make_unique<Entry>();
    e->metrics = &metrics_.add(name);
    ModelMetrics* mm = e->metrics;
    BatcherOptions bo{opt_.max_batch, opt_.max_delay_us, opt_.queue_capacity,
                      std::chrono::duration_cast<std::chrono::microseconds>(opt_.request_timeout).count(), splittable,
                      [mm](std::int64_t rows) { mm->batch_size.observe(static_cast<double>(rows)); }};
    e->batcher = std::make_unique<Batcher>(std::move(forward), std::move(bo));
    Batcher* b = e->batcher.get();
    mm->queue_depth = [b] { return b->queue_depth(); };
    e->info = std::move(info);
    models_.emplace(e->info.name, std::move(e));
  }

  /// Binds host:port (run() calls it when not yet done); port() is known afterwards.
  void listen() {
    if (acceptor_->is_open()) return;
    const tcp::endpoint ep(boost::asio::ip::make_address(opt_.host), opt_.port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen(boost::asio::socket_base::max_listen_connections);
  }

  /// The port listened on (the chosen one when ServerOptions::port was 0).
  unsigned short port() const { return acceptor_->is_open() ? acceptor_->local_endpoint().port() : opt_.port; }

  /// Serves on ServerOptions::threads threads (this one included) until stop(); then the requests in
  /// flight are answered, and run() returns.
  void run() {
    listen();
    std::optional<boost::asio::signal_set> signals;
    if (opt_.handle_signals) {
      signals.emplace(*iocs_[0], SIGINT, SIGTERM);
      signals->async_wait([this](const boost::system::error_code& ec, int) {
        if (!ec) stop();
      });
    }
    signals_ = signals ? &*signals : nullptr;
    // Each io_context runs until stop() releases its guard and its connections have closed.
    for (auto& ioc : iocs_) {
      ioc->restart();
      idle_guards_.push_back(boost::asio::make_work_guard(*ioc));
    }
    if (stopping_) idle_guards_.clear();  // stop() came first: run() serves nothing and returns
    accept();
    for (int i = 1; i < opt_.threads; ++i) threads_.emplace_back([this, i] { iocs_[i]->run(); });
    iocs_[0]->run();
    for (auto& t : threads_) t.join();
    threads_.clear();
    signals_ = nullptr;
    for (auto& [name, e] : models_) e->batcher->stop();
  }

  /// Stops accepting, closes idle connections and lets run() return once the requests in flight are
  /// answered. Thread-safe and idempotent; may be called before run().
  void stop();

  /// The metrics in Prometheus text format (also served at GET /metrics).
  std::string metrics_text() const { return metrics_.render(); }

 private:
  struct Entry {
    ModelInfo info;
    std::unique_ptr<Batcher> batcher;
    ModelMetrics* metrics = nullptr;
  };

  class Session;

  void accept();

  /// True when the request carries the bearer token (or none is required); compares in constant time.
  bool authorized(boost::beast::string_view auth) const {
    if (opt_.token.empty()) return true;
    if (auth.size() < 7 || !boost::beast::iequals(auth.substr(0, 7), "Bearer ")) return false;
    auth = auth.substr(7);
    unsigned diff = auth.size() != opt_.token.size();
    for (std::size_t i = 0; i < opt_.token.size(); ++i)
      diff |= static_cast<unsigned char>(opt_.token[i]) ^ static_cast<unsigned char>(i < auth.size() ? auth[i] : 0);
    return diff == 0;
  }

  ServerOptions opt_;
  Metrics metrics_;
  std::vector<std::unique_ptr<boost::asio::io_context>> iocs_;  // one per io thread; iocs_[0] accepts
  std::optional<tcp::acceptor> acceptor_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> idle_guards_;
  std::size_t next_ioc_ = 0;  // where the next connection goes (round robin)
  // After iocs_: the batchers stop (answering what they hold) while the io_context still exists.
  std::map<std::string, std::unique_ptr<Entry>> models_;
  boost::asio::signal_set* signals_ = nullptr;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex sessions_mu_;
  std::list<std::weak_ptr<Session>> sessions_;
};

/// One connection: read a request, answer it (maybe after the batcher), repeat while kept alive.
class Server::Session : public std::enable_shared_from_this<Server::Session> {
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Clock = std::chrono::steady_clock;
  using Executor = boost::asio::io_context::executor_type;

 public:
  using Socket = boost::asio::basic_stream_socket<tcp, Executor>;
  Session(Server& srv, Socket socket) : srv_(srv), stream_(std::move(socket)) {}
  ~Session() {
    std::lock_guard lock(srv_.sessions_mu_);
    srv_.sessions_.erase(where_);
  }

  void start() {
    boost::asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  /// Closes the connection unless a request is being answered (that one closes after its response).
  void close_if_idle() {
    boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->stream_.socket().close();
    });
  }

  std::list<std::weak_ptr<Session>>::iterator where_;

 private:
  void read() {
    if (srv_.stopping_) return close();
    busy_ = false;
    parser_.emplace();
    parser_->body_limit(srv_.opt_.max_body_bytes);
    stream_.expires_after(srv_.opt_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(boost::system::error_code ec) {
    if (ec == http::error::body_limit) {
      busy_ = true;
      req_ = {};
      req_.keep_alive(false);
      return fail(413, "the request body exceeds the limit of " + std::to_string(srv_.opt_.max_body_bytes) + " bytes");
    }
    if (ec) return close();  // end of stream, timeout (a slow or idle client), reset, or a malformed request
    busy_ = true;
    stream_.expires_never();
    req_ = parser_->release();
    started_ = Clock::now();
    handle();
  }

  void handle() {
    std::string_view target(req_.target().data(), req_.target().size());
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    const bool get = req_.method() == http::verb::get;
    // Health is open, so that an orchestrator's probes need no secret; it tells nothing about the models.
    if (target == "/v2/health/live") return get ? reply(200, write_flag("live", true)) : not_allowed("GET");
    if (target == "/v2/health/ready")
      return get ? reply(200, write_flag("ready", !srv_.stopping_)) : not_allowed("GET");
    if (!srv_.authorized(req_[http::field::authorization]))
      return fail(401, "missing or wrong bearer token (send \"Authorization: Bearer <token>\")");
    if (target == "/v2")
      return get ? reply(200, std::string(R"({"name":"ember","version":")") + EMBER_VERSION_STRING +
                                  R"(","extensions":[]})")
                 : not_allowed("GET");
    if (target == "/metrics") {
      if (!get) return not_allowed("GET");
      return reply(200, srv_.metrics_.render(), "text/plain; version=0.0.4");
    }
    constexpr std::string_view prefix = "/v2/models/";
    if (target.substr(0, prefix.size()) != prefix) return fail(404, "no such endpoint: " + std::string(target));
    std::string_view rest = target.substr(prefix.size());
    std::string_view action;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
      action = rest.substr(slash + 1);
      rest = rest.substr(0, slash);
    }
    auto it = srv_.models_.find(std::string(rest));
    if (it == srv_.models_.end()) {
      std::string names;
      for (const auto& [n, e] : srv_.models_) names += (names.empty() ? "'" : ", '") + n + "'";
      return fail(404, "unknown model '" + std::string(rest) + "' (served: " + names + ")");
    }
    Entry& e = *it->second;
    if (action.empty()) return get ? reply(200, write_model_metadata(e.info)) : not_allowed("GET");
    if (action == "ready") return get ? reply(200, write_flag("ready", !srv_.stopping_)) : not_allowed("GET");
    if (action == "infer") return req_.method() == http::verb::post ? infer(e) : not_allowed("POST");
    return fail(404, "no such endpoint: " + std::string(target));
  }

  void infer(Entry& e) {
    const auto ct = req_[http::field::content_type];
    if (ct.size() < 16 || !boost::beast::iequals(ct.substr(0, 16), "application/json"))
      return fail(415, "Content-Type must be application/json, got '" + std::string(ct) + "'", &e);
    InferRequest r;
    try {
      r = parse_infer(e.info, req_.body());
    } catch (const ProtocolError& pe) {
      return fail(pe.status(), pe.what(), &e);
    }
    // The work guard keeps this connection's io_context running while the batcher holds the request.
    auto guard = std::make_shared<boost::asio::executor_work_guard<Executor>>(stream_.get_executor());
    e.batcher->submit(std::move(r.inputs), [self = shared_from_this(), guard, &e, id = std::move(r.id),
                                            which = std::move(r.outputs)](Result res) mutable {
      auto exec = self->stream_.get_executor();
      boost::asio::post(exec, [self = std::move(self), guard = std::move(guard), &e, id = std::move(id),
                               which = std::move(which), res = std::move(res)]() mutable {
        self->answer(e, std::move(res), id, which);
      });
    });
  }

  void answer(Entry& e, Result res, const std::string& id, const std::vector<std::size_t>& which) {
    switch (res.status) {
      case Status::ok: {
        std::string body;
        try {
          body = write_infer_response(e.info, res.outputs, id, which);
        } catch (const std::exception& ex) {
          return fail(500, ex.what(), &e);
        }
        e.metrics->record(200, seconds());
        return reply(200, std::move(body));
      }
      case Status::queue_full: return fail(503, res.error, &e);
      case Status::stopped: return fail(503, res.error, &e);
      case Status::timeout: return fail(504, res.error, &e);
      case Status::invalid: return fail(400, res.error, &e);
      case Status::error: return fail(500, res.error, &e);
    }
  }

  double seconds() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

  void not_allowed(const char* allow) {
    res_extra_allow_ = allow;
    fail(405, std::string("method ") + std::string(req_.method_string()) + " is not allowed here (allowed: " + allow +
                  ")");
  }

  void fail(int status, const std::string& message, Entry* e = nullptr) {
    if (e) e->metrics->record(status, seconds());
    reply(status, write_error(message));
  }

  void reply(int status, std::string body, const char* content_type = "application/json") {
    res_ = Response(static_cast<http::status>(status), req_.version() ? req_.version() : 11);
    res_.set(http::field::server, "ember");
    res_.set(http::field::content_type, content_type);
    if (status == 503) res_.set(http::field::retry_after, "1");
    if (status == 401) res_.set(http::field::www_authenticate, "Bearer");
    if (status == 405) res_.set(http::field::allow, res_extra_allow_);
    res_.body() = std::move(body);
    res_.keep_alive(req_.keep_alive() && !srv_.stopping_ && status != 413);
    res_.prepare_payload();
    stream_.expires_after(srv_.opt_.read_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!self->res_.keep_alive()) return self->linger();
      self->read();
    });
  }

  /// Half-closes and reads what the client still sends (the rest of a refused body) before closing, so
  /// that the client reads the response rather than a connection reset.
  void linger() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_read_some(boost::asio::buffer(drain_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->linger();
                            });
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  Server& srv_;
  boost::beast::basic_stream<tcp, Executor> stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request req_;
  Response res_;
  const char* res_extra_allow_ = "GET";
  std::array<char, 4096> drain_{};
  Clock::time_point started_;
  bool busy_ = false;
};

inline void Server::stop() {
  if (stopping_.exchange(true)) return;
  boost::asio::post(*iocs_[0], [this] {
    boost::system::error_code ec;
    acceptor_->close(ec);
    if (signals_) signals_->cancel(ec);
    idle_guards_.clear();
    std::vector<std::shared_ptr<Session>> live;  // released after the lock: a session's destructor takes it
    {
      std::lock_guard lock(sessions_mu_);
      for (auto& w : sessions_)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->close_if_idle();
  });
}

inline void Server::accept() {
  boost::asio::io_context& ioc = *iocs_[next_ioc_++ % iocs_.size()];
  acceptor_->async_accept(ioc, [this](boost::system::error_code ec, Session::Socket socket) {
    if (stopping_) return;
    if (!ec) {
      auto s = std::make_shared<Session>(*this, std::move(socket));
      {
        std::lock_guard lock(sessions_mu_);
        s->where_ = sessions_.insert(sessions_.end(), s);
      }
      s->start();
    }
    accept();
  });
}

}  // namespace ember::serve
