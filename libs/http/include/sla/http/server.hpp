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
  /// Open connections at most. At the cap, a new connection is still
  /// accepted if an open one is idle (waiting for a request header, e.g. an
  /// idle keep-alive or a slow client): the oldest such one is closed to make
  /// room, so a health probe gets in while idle sockets fill the cap. Past
  /// the cap plus `connection_reserve` (every connection busy with a
  /// request), new connections are accepted and closed at once.
  std::size_t max_connections = 1024;
  /// Headroom over max_connections while evictions take effect.
  std::size_t connection_reserve = 16;
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

  /// Connection counters since start() (any thread): open now, closed to
  /// make room under the cap, and refused (closed at once) past the reserve.
  /// `open` is as counted at the last accept, without the connections
  /// being evicted then.
  struct ConnectionStats {
    std::size_t open = 0;
    std::uint64_t evicted = 0;
    std::uint64_t refused = 0;
  };
  [[nodiscard]] ConnectionStats connection_stats() const;

  struct Impl;

 private:
  ServerOptions options_;
  std::shared_ptr<const RequestHandler> handler_;
  std::unique_ptr<Impl> impl_;
  std::uint16_t bound_port_ = 0;
};

/// Raises the process's soft limit on open files (RLIMIT_NOFILE) to its hard
/// limit and returns the soft limit now in force (unchanged if raising
/// failed). Call once at start, before connections are accepted: the
/// connection cap is only a cap if descriptors outlast it.
[[nodiscard]] std::uint64_t raise_fd_limit() noexcept;

}  // namespace sla::http
