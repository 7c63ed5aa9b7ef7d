// sla-notify's daemon: wires the Kafka consumer (sla.pages, and
// sla.escalations when a route takes notices), the delivery protocol
// (sla::notify::Dispatcher), the HTTPS client and the producer for the DLQ
// and page acknowledgements.
//
// Invariants (the protocol is the Dispatcher's; this class keeps them):
// - An offset is committed only when every record before it is delivered to
//   every destination routed, or dead-lettered, and the dead letters are
//   acknowledged by the broker (the producer is flushed before each commit).
// - A slow or dead destination delays only its own deliveries; consumption
//   pauses only when one destination's queue is full (`max_queue`), and the
//   metric `sla_notify_consumer_paused` says so.
// - SIGTERM stops consuming, lets in-flight and queued deliveries finish for
//   up to drain_timeout_ms, commits what is done, and leaves the group. What
//   is not done is delivered again by the next owner (same dedup_key).
//
// Threads: run() owns the consumer (one thread); HTTPS completions run on
// the client's io threads; the dispatcher is shared under one mutex; the
// HTTP handler runs on the HTTP server's threads and touches only atomics,
// the probe and the producer (thread-safe).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "config.hpp"
#include "probe.hpp"
#include "sla/base/clock.hpp"
#include "sla/http/handler.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/dead_letter.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/notify/dispatcher.hpp"
#include "sla/webclient/client.hpp"

namespace boost::asio {
class io_context;
}

namespace sla::notify_service {

class Daemon {
 public:
  Daemon(Config config, notify::Routes routes);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Builds the Kafka clients and the HTTPS client (its io threads start).
  /// Fails with the adapter's error; throws for an unreadable CA file.
  [[nodiscard]] Result<void> start();
  /// Consumes and delivers until request_stop(), then drains (see banner).
  /// Fails only on a fatal Kafka error.
  [[nodiscard]] Result<void> run();
  /// Thread- and signal-thread-safe.
  void request_stop() { stop_.store(true); }

  /// `/healthz`, `/readyz`, `/metrics`, `POST /v1/pagerduty/webhook`.
  [[nodiscard]] http::Response handle(const http::Request& req);
  [[nodiscard]] bool ready() const;
  [[nodiscard]] Probe& probe() { return probe_; }

 private:
  struct Record;
  void on_record(const kafka::Message& m);
  void pump();
  void launch(std::vector<notify::Send> sends);
  void on_response(std::uint64_t job, std::size_t destination, const webclient::Response& r);
  void on_outcome(const notify::Outcome& out, const notify::AttemptResult& a);
  void commit(bool force);
  void update_gauges();
  void step(bool consume);
  http::Response webhook(const http::Request& req);

  Config config_;
  SystemClock clock_;
  Probe probe_;
  std::vector<std::string> topics_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::vector<std::thread> io_threads_;
  std::unique_ptr<webclient::Client> client_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::DeadLetter> dead_letter_;
  std::unique_ptr<kafka::Consumer> consumer_;
  kafka::MessageBatch batch_;

  mutable std::mutex mutex_;
  notify::Dispatcher dispatcher_;  // guarded by mutex_
  std::condition_variable changed_;

  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_;  // run() thread only
  EpochMillis last_commit_ = 0;
  bool paused_ = false;

  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> fatal_{false};
  std::atomic<int> assigned_{0};
};

}  // namespace sla::notify_service
