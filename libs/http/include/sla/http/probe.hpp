// sla::http::Probe: the daemon's Prometheus metrics behind domain verbs
// (`probe.breach_fired(plan, severity)`), backed by a prometheus-cpp
// registry and exposed as text for `/metrics`. Not an exposer: the server
// serves text() through Deps::metrics_text. Every verb is thread-safe
// (prometheus-cpp metrics are atomic; new label sets take the family's
// mutex), and the accessors exist for tests and the dashboard.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sla/engine/types.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace sla::http {

class Probe {
 public:
  /// Creates its own registry with every family registered (metric names
  /// below). Throws only on a broken invariant (duplicate family).
  Probe();
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // --- input --------------------------------------------------------
  /// sla_events_consumed_total{kind}: one input event decoded and applied.
  void event_consumed(engine::EventKind kind, std::size_t n = 1);
  /// Same, for kinds named on the wire (no allocation-free fast path).
  void event_consumed(std::string_view kind, std::size_t n = 1);
  /// sla_dlq_total{reason}: one input sent to `sla.dlq`.
  void dlq(std::string_view reason);
  /// sla_consumer_lag{topic,partition}: messages behind the high watermark.
  void consumer_lag(std::string_view topic, std::int32_t partition, std::int64_t lag);

  // --- engine state ---------------------------------------------------
  /// sla_open_tickets: tickets held in memory.
  void open_tickets(std::size_t n);
  /// sla_pending_timers: timers armed in the wheel.
  void pending_timers(std::size_t n);

  // --- outputs --------------------------------------------------------
  /// sla_fired_total{kind,plan,severity}; kind is "warning", "breached",
  /// "met", "escalated" or "page".
  void fired(std::string_view kind, std::string_view plan, std::string_view severity);
  void fired(const engine::Output& output);
  void breach_fired(std::string_view plan, std::string_view severity) { fired("breached", plan, severity); }
  void page_fired(std::string_view plan, std::string_view severity) { fired("page", plan, severity); }
  /// sla_firing_lateness_ms: how long after its due moment a timer fired (ms).
  void firing_lateness(double ms);
  /// sla_outputs_produced_total{topic}: `n` records produced to Kafka.
  void output_produced(std::string_view topic, std::size_t n = 1);

  /// sla_loop_seconds_total{phase}: wall time the daemon's loop thread
  /// spent in `phase` (where a saturated service spends its time).
  void loop_seconds(std::string_view phase, double seconds);

  // --- store ----------------------------------------------------------
  /// sla_redis_latency_ms{op}: one Redis round trip (ms).
  void redis_latency(std::string_view op, double ms);

  // --- reading --------------------------------------------------------
  /// Prometheus text exposition format 0.0.4 of every metric.
  [[nodiscard]] std::string text() const;
  /// The registry, to register further families.
  [[nodiscard]] const std::shared_ptr<prometheus::Registry>& registry() const noexcept { return registry_; }

  [[nodiscard]] double events_consumed(std::string_view kind) const;
  [[nodiscard]] double dlq_count(std::string_view reason) const;
  [[nodiscard]] double fired_count(std::string_view kind, std::string_view plan,
                                   std::string_view severity) const;
  [[nodiscard]] double open_tickets_value() const;
  [[nodiscard]] double pending_timers_value() const;
  [[nodiscard]] double consumer_lag_value(std::string_view topic, std::int32_t partition) const;
  [[nodiscard]] double outputs_produced(std::string_view topic) const;
  /// Observations in the lateness histogram and their sum (ms).
  [[nodiscard]] std::uint64_t lateness_count() const;
  [[nodiscard]] double lateness_sum() const;
  [[nodiscard]] std::uint64_t redis_latency_count(std::string_view op) const;
  [[nodiscard]] double loop_seconds_value(std::string_view phase) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* events_ = nullptr;
  prometheus::Family<prometheus::Counter>* dlq_ = nullptr;
  prometheus::Family<prometheus::Gauge>* lag_ = nullptr;
  prometheus::Family<prometheus::Counter>* fired_ = nullptr;
  prometheus::Family<prometheus::Counter>* produced_ = nullptr;
  prometheus::Family<prometheus::Histogram>* redis_ = nullptr;
  prometheus::Family<prometheus::Counter>* loop_ = nullptr;
  prometheus::Gauge* open_tickets_ = nullptr;
  prometheus::Gauge* pending_timers_ = nullptr;
  prometheus::Histogram* lateness_ = nullptr;
  /// Pre-created per EventKind so the per-event path takes no lock.
  std::array<prometheus::Counter*, engine::kEventKindCount> event_by_kind_{};
  /// Series of fired_ and produced_ by their label values joined with '\0':
  /// per output one hash lookup instead of building a label map.
  /// `make` creates the series on a miss (defined in probe.cpp, its only user).
  template <class Make>
  [[nodiscard]] prometheus::Counter& cached(std::string_view key, const Make& make);
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, prometheus::Counter*, KeyHash, std::equal_to<>> cache_;
};

}  // namespace sla::http
