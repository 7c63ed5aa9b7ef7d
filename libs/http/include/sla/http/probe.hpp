// sla::http::Probe: the daemon's Prometheus metrics behind domain verbs
// (`probe.fired(output)`, `probe.dlq(reason)`), backed by a prometheus-cpp
// registry and exposed as text for `/metrics`. Not an exposer: the server
// serves text() through Deps::metrics_text. Every verb is thread-safe
// (prometheus-cpp metrics are atomic; new label sets take the family's
// mutex), and the accessors exist for tests and the dashboard. Names follow
// the Prometheus conventions: base units (`_seconds`), `_total` on counters,
// 0/1 gauges for up/ready, `sla_build_info`, the standard process_* series.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <initializer_list>
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

  /// sla_build_info{service,version} 1: which build answers (joins other
  /// series by instance in queries: `* on(instance) group_left(version)`).
  void build_info(std::string_view service, std::string_view version);

  // --- input --------------------------------------------------------
  /// sla_events_consumed_total{kind}: one input event decoded and applied.
  void event_consumed(engine::EventKind kind, std::size_t n = 1);
  /// Same, for kinds named on the wire (no allocation-free fast path).
  void event_consumed(std::string_view kind, std::size_t n = 1);
  /// sla_dlq_total{reason}: one input sent to `sla.dlq`.
  void dlq(std::string_view reason);
  /// Creates sla_dlq_total{reason} for each of `reasons` and
  /// sla_delivery_failures_total{topic} for each of `topics` at 0, so the
  /// series exist from the start: `increase()` in an alert sees the first
  /// dead letter or failure after a restart, and a rule over them can be
  /// checked against /metrics (deploy/observability).
  void declare(std::initializer_list<std::string_view> reasons, std::initializer_list<std::string_view> topics);
  /// sla_consumer_lag{topic,partition}: messages behind the high watermark.
  void consumer_lag(std::string_view topic, std::int32_t partition, std::int64_t lag);

  // --- engine state ---------------------------------------------------
  /// sla_open_tickets: tickets held in memory.
  void open_tickets(std::size_t n);
  /// sla_pending_timers: timers armed in the wheel.
  void pending_timers(std::size_t n);
  /// sla_assigned_partitions: input partitions this instance owns.
  void assigned_partitions(std::size_t n);

  // --- outputs --------------------------------------------------------
  /// sla_fired_total{kind,metric,plan,severity}; kind is "warning",
  /// "breached" (the breach itself, once per clock and cycle),
  /// "breach_reminder" (an after_breach repeat, counted apart so a breach
  /// rate counts breaches), "met", "escalated" or "page"; metric is
  /// "response", "update", "workaround" or "resolution".
  void fired(std::string_view kind, std::string_view metric, std::string_view plan, std::string_view severity);
  void fired(const engine::Output& output);
  /// Which firings a lateness belongs to. kLive: the timer fell due while
  /// this instance served its partition live, so lateness is the service's
  /// own delay (what an alert watches). kCatchUp: it fell due before (a
  /// restart, a rebalance, a takeover, a backlog being read): lateness is the
  /// downtime, expected and not a fault of the running instance.
  enum class Firing : std::uint8_t { kLive, kCatchUp };
  /// sla_firing_lateness_seconds{mode="live"|"catch_up"}: how long after its
  /// due moment a timer fired.
  void firing_lateness(Firing mode, double seconds);
  /// sla_outputs_produced_total{topic}: `n` records produced to Kafka.
  void output_produced(std::string_view topic, std::size_t n = 1);
  /// sla_delivery_failures_total{topic}: a record Kafka did not acknowledge
  /// (a failed delivery report, or a produce refused at once).
  void delivery_failed(std::string_view topic);
  /// sla_unacknowledged_outputs: records produced and not yet acknowledged.
  void unacknowledged_outputs(std::int64_t n);
  /// sla_pending_commits: cuts queued for the state store (or being
  /// committed); each waits for its outputs' acknowledgements first.
  void pending_commits(std::size_t n);

  /// sla_loop_seconds_total{phase}: wall time the daemon's loop thread
  /// spent in `phase` (where a saturated service spends its time).
  void loop_seconds(std::string_view phase, double seconds);

  // --- dependencies and readiness ---------------------------------------
  /// sla_kafka_up: 1 when a broker answered the last metadata request.
  void kafka_up(bool up);
  /// sla_redis_up: 1 when the state store answered its last call.
  void redis_up(bool up);
  /// sla_ready: 1 when /readyz answers 200.
  void ready(bool ready);
  /// sla_view_lag_seconds: how far the cluster-wide ticket views trail the
  /// `sla.deadlines` topic (what /v1/tickets reports as lag_ms).
  void view_lag(double seconds);

  // --- policy ---------------------------------------------------------
  /// A policy (re)load at `epoch_seconds`: sla_policy_reloads_total{result},
  /// sla_policy_last_reload_successful (0/1) and, on success,
  /// sla_policy_last_reload_success_timestamp_seconds. The load at start-up
  /// is reported with `initial` (no reload counted, the gauges set).
  void policy_loaded(bool ok, double epoch_seconds, bool initial = false);

  // --- store ----------------------------------------------------------
  /// sla_redis_latency_seconds{op}: one Redis round trip.
  void redis_latency(std::string_view op, double seconds);

  // --- reading --------------------------------------------------------
  /// Prometheus text exposition format 0.0.4 of every metric, with the
  /// process metrics (sla/http/process_metrics.hpp) read at this call.
  [[nodiscard]] std::string text() const;
  /// The registry, to register further families.
  [[nodiscard]] const std::shared_ptr<prometheus::Registry>& registry() const noexcept { return registry_; }

  [[nodiscard]] double events_consumed(std::string_view kind) const;
  [[nodiscard]] double dlq_count(std::string_view reason) const;
  [[nodiscard]] double fired_count(std::string_view kind, std::string_view metric, std::string_view plan,
                                   std::string_view severity) const;
  [[nodiscard]] double open_tickets_value() const;
  [[nodiscard]] double pending_timers_value() const;
  [[nodiscard]] double consumer_lag_value(std::string_view topic, std::int32_t partition) const;
  [[nodiscard]] double outputs_produced(std::string_view topic) const;
  [[nodiscard]] double delivery_failures(std::string_view topic) const;
  [[nodiscard]] double policy_reloads(bool ok) const;
  /// Observations in a lateness histogram and their sum (seconds).
  [[nodiscard]] std::uint64_t lateness_count(Firing mode) const;
  [[nodiscard]] double lateness_sum(Firing mode) const;
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
  prometheus::Family<prometheus::Counter>* delivery_failures_ = nullptr;
  prometheus::Family<prometheus::Counter>* reloads_ = nullptr;
  prometheus::Family<prometheus::Gauge>* build_info_ = nullptr;
  prometheus::Gauge* open_tickets_ = nullptr;
  prometheus::Gauge* pending_timers_ = nullptr;
  prometheus::Gauge* assigned_ = nullptr;
  prometheus::Gauge* unacked_ = nullptr;
  prometheus::Gauge* pending_commits_ = nullptr;
  prometheus::Gauge* kafka_up_ = nullptr;
  prometheus::Gauge* redis_up_ = nullptr;
  prometheus::Gauge* ready_ = nullptr;
  prometheus::Gauge* view_lag_ = nullptr;
  prometheus::Gauge* reload_ok_ = nullptr;
  prometheus::Gauge* reload_time_ = nullptr;
  /// sla_firing_lateness_seconds by Firing (live, catch_up).
  std::array<prometheus::Histogram*, 2> lateness_{};
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
