// sla::webclient::Client: an HTTPS client for outbound webhooks (Boost.Beast
// over OpenSSL). Verifies the server certificate against the system store or
// a CA bundle file, and the host name (SNI + RFC 6125 check, IP literals
// against IP SANs); reuses connections per host:port; bounds connect and
// request time. Not a general HTTP client: POST of a small body, one
// response, https only. Not the retry policy (sla::notify decides that from
// the Response).
//
// Threads: post() may be called from any thread; the completion runs on one
// of the io_context's threads (the connection's strand). The Client must
// outlive every operation: call shutdown() and join the io_context threads
// before destroying it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sla/base/result.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace sla::webclient {

struct ClientOptions {
  /// PEM file of trusted CA certificates; "" = the system store
  /// (`SSL_CTX_set_default_verify_paths`). Verification is never off.
  std::string ca_file;
  /// Name resolution + TCP connect + TLS handshake of a new connection.
  std::chrono::milliseconds connect_timeout{5'000};
  /// Writing the request and reading the whole response.
  std::chrono::milliseconds request_timeout{10'000};
  /// Idle connections kept per host:port for reuse.
  std::size_t max_idle_per_host = 16;
  /// Largest response body read (bigger: a transport error).
  std::size_t max_response_body = 1 << 20;
  /// Bytes of the response body kept in Response::body (for the DLQ and logs).
  std::size_t keep_body_bytes = 4096;
  std::string user_agent = "sla-notify";
};

/// The outcome of one request.
struct Response {
  int status = 0;            ///< HTTP status; 0 when none arrived
  std::string error;         ///< "" when a response arrived, else what failed
  bool timed_out = false;    ///< a timeout expired (connect or request)
  std::string retry_after;   ///< `Retry-After` header, "" if none
  std::string body;          ///< the first keep_body_bytes of the body
  std::chrono::nanoseconds elapsed{0};
  bool reused = false;       ///< sent on a pooled connection
};

using Completion = std::function<void(Response)>;

/// An https URL split for a request.
struct Url {
  std::string host;
  std::string port = "443";
  std::string target = "/";  ///< path and query
};

/// Parses "https://host[:port][/path][?query]". Fails (kInvalidArgument) for
/// any other scheme, userinfo, a fragment or an empty host.
[[nodiscard]] Result<Url> parse_url(std::string_view url);

class Client {
 public:
  /// Loads the trust store. Throws std::runtime_error when `ca_file` cannot
  /// be read (a start-up failure).
  Client(boost::asio::io_context& ioc, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// POSTs `body` to `url` with `headers` (Host, Content-Length and
  /// User-Agent are set here). `done` runs exactly once. A pooled connection
  /// that fails before any response byte is replaced by a new one, once.
  void post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
            std::string body, Completion done);

  /// Closes idle connections and refuses to pool more; in-flight requests
  /// finish (or time out). Idempotent.
  void shutdown();

  /// Connections opened since creation (TLS handshakes done), for tests and metrics.
  [[nodiscard]] std::uint64_t connections_opened() const noexcept { return opened_.load(); }
  [[nodiscard]] std::size_t idle_connections() const;

  struct Connection;
  struct Op;

 private:
  friend struct Op;
  std::unique_ptr<Connection> take_idle(const std::string& key);
  void give_back(const std::string& key, std::unique_ptr<Connection> c);

  boost::asio::io_context& ioc_;
  ClientOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;  // guarded by mutex_
  bool shut_ = false;                                                     // guarded by mutex_
  std::atomic<std::uint64_t> opened_{0};
};

}  // namespace sla::webclient
