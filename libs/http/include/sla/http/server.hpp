// sla::http::Server: the daemon's HTTP listener. Accepts TCP connections on
// an address and port, runs one Session per connection on a strand, and
// answers every request through a RequestHandler (normally handle() over a
// Deps). Owns its io_context and the threads running it: start() binds and
// spawns them, stop() closes everything and joins. Not the routing
// (handler.hpp).
//
// Threads: the handler, and so every Deps callback, runs on the server's
// threads; with `threads > 1` concurrently. Deps must be thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sla/base/result.hpp"
#include "sla/http/handler.hpp"
#include "sla/http/session.hpp"

namespace sla::http {

struct ServerOptions {
  /// An IP literal (no name resolution). Loopback by default: exposing the
  /// API is a deployment decision.
  std::string address = "127.0.0.1";
  /// 0 picks an ephemeral port; port() reports the bound one.
  std::uint16_t port = 8080;
  /// I/O threads running the io_context (>= 1).
  std::size_t threads = 1;
  /// Per-connection limits: body_limit, header_limit, read/write timeouts,
  /// write queue.
  SessionOptions session;
};

class Server {
 public:
  /// Serves `handler`. Nothing is bound until start().
  Server(ServerOptions options, RequestHandler handler);
  /// Serves handle(request, *deps). The smaller of session.body_limit (on the
  /// wire) and deps->limits.max_body_bytes (in the handler) applies.
  Server(ServerOptions options, std::shared_ptr<const Deps> deps);
  /// Calls stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, listens and starts the I/O threads. Errors: kInvalidArgument
  /// for a bad address, kUnavailable when bind/listen fails (port in use,
  /// permission), kInternal if already started.
  [[nodiscard]] sla::Result<void> start();
  /// Stops accepting, aborts open connections and joins the threads.
  /// Idempotent; the server can be started again afterwards.
  void stop();

  /// The bound port after a successful start() (the ephemeral one for port 0);
  /// 0 before.
  [[nodiscard]] std::uint16_t port() const noexcept { return bound_port_; }
  [[nodiscard]] const ServerOptions& options() const noexcept { return options_; }

  struct Impl;

 private:
  ServerOptions options_;
  std::shared_ptr<const RequestHandler> handler_;
  std::unique_ptr<Impl> impl_;
  std::uint16_t bound_port_ = 0;
};

}  // namespace sla::http
