// A fake PagerDuty / Slack / webhook receiver for the notify tests: an HTTPS
// server on 127.0.0.1 (a certificate from make_test_ca.sh) that records
// every request and answers as the test's behaviour says: a status (500,
// 429 with Retry-After, ...), a hang (read the request, never answer), or a
// connection closed in the middle of the response. Blocking I/O, one thread
// per connection: simple, and enough for tests and the load measurement.
// Test-only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sla::testing {

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::uint64_t connection = 0;  ///< which connection carried it (1, 2, ...)
  [[nodiscard]] std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Reply {
  enum class Kind { kNormal, kHang, kCloseMidResponse, kCloseWithoutResponse };
  Kind kind = Kind::kNormal;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = R"({"status":"success"})";
  bool keep_alive = true;
};

class Receiver {
 public:
  using Behaviour = std::function<Reply(const ReceivedRequest&)>;

  /// Listens on 127.0.0.1:`port` (0: ephemeral) with `cert`/`key` (PEM).
  /// Throws if it cannot.
  Receiver(const std::string& cert_file, const std::string& key_file, Behaviour behaviour, std::uint16_t port = 0);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "/") const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set_behaviour(Behaviour b);

  [[nodiscard]] std::vector<ReceivedRequest> requests() const;
  [[nodiscard]] std::size_t count() const;
  [[nodiscard]] std::uint64_t connections() const { return connections_.load(); }
  /// Waits until `pred(requests())` holds or `timeout` passes.
  bool wait_for(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                std::chrono::milliseconds timeout) const;
  /// Stops accepting, releases hanging requests, closes connections, joins.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> connections_{0};
};

/// Runs make_test_ca.sh into `dir` (SLA_NOTIFY_CA_SCRIPT at build time) and
/// returns `dir`. Throws if it fails.
std::string make_test_ca(const std::string& dir);

}  // namespace sla::testing
