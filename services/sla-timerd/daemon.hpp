// sla-timerd's wiring: one Engine per assigned input partition, fed from the
// Kafka consumer, outputs to the producer, state and offsets to the store,
// views to the HTTP server. The loop runs on the caller's thread; the HTTP
// threads read the engines under a mutex.
//
// Delivery (SPEC 5.2): per loop, outputs are produced and flushed (acked)
// before the state that records them and the input offset are committed
// together per partition. A crash between the two re-produces the same
// outputs (deterministic ids) after restart; nothing is lost. If outputs
// cannot be acknowledged within flush_timeout_ms the daemon stops with an
// error rather than commit state past them. If the store is down, consumption
// pauses (no unbounded memory), readiness turns false, and the pending
// commits are retried until it is back.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "sla/engine/engine.hpp"
#include "sla/http/handler.hpp"
#include "sla/http/probe.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/dead_letter.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/store/store.hpp"

namespace sla::timerd {

class Daemon {
 public:
  /// Builds nothing yet; `store` is owned. Throws nothing.
  Daemon(Config config, std::shared_ptr<const policy::Policy> policy, std::unique_ptr<store::StateStore> store);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Creates the producer and the consumer (subscribing to the input topic).
  [[nodiscard]] sla::Result<void> start();
  /// Runs until request_stop(); then flushes, commits and leaves the group.
  /// Returns an error if outputs could not be acknowledged (exit non-zero).
  [[nodiscard]] sla::Result<void> run();
  /// Thread- and signal-safe.
  void request_stop() { stop_.store(true); }
  /// Re-reads the policy file; a bad file is logged and the old policy kept.
  void request_reload() { reload_.store(true); }

  /// The HTTP dependencies (thread-safe callbacks into this daemon).
  [[nodiscard]] std::shared_ptr<const http::Deps> http_deps();
  [[nodiscard]] http::Probe& probe() { return probe_; }
  /// Partitions currently owned (for tests and readiness).
  [[nodiscard]] std::size_t owned_partitions() const;

 private:
  struct Partition {
    std::unique_ptr<engine::Engine> engine;
    std::int64_t next_offset = 0;
    bool offset_dirty = false;
    std::vector<std::string> pending_upserts;  ///< ids whose state awaits a commit
    std::vector<std::string> pending_deletes;
    /// Catching up: Kafka holds events of this partition not yet consumed
    /// (or its log end is not known yet). Timers then fire only up to
    /// `event_time`, so an event still in the backlog (a response, a
    /// resolution) is applied before a deadline it would have met is
    /// declared breached. Caught up, timers fire on the wall clock.
    bool behind = true;
    /// The latest event time consumed from this partition (clamped to the
    /// receive time); kNoEventTime before the first event.
    EpochMillis event_time = kNoEventTime;
    /// Wall time of the assignment or of the last message consumed: a
    /// partition that delivers nothing for kMaxHoldMs while said to be
    /// behind (a stalled fetch, offsets removed by retention) fires on the
    /// wall clock again.
    EpochMillis last_progress = 0;
  };
  static constexpr EpochMillis kMaxHoldMs = 10'000;
  static constexpr EpochMillis kNoEventTime = std::numeric_limits<EpochMillis>::min();

  void on_assign(std::vector<kafka::TopicPartition>& parts);
  /// Loads one partition's state into a new engine with `store` (retrying
  /// until it answers or stop is requested) and sets `tp.offset` to resume
  /// from. Thread-safe for distinct partitions and stores.
  [[nodiscard]] std::optional<Partition> load_partition(store::StateStore& store, kafka::TopicPartition& tp,
                                                        const std::shared_ptr<const policy::Policy>& policy);
  void on_revoke(const std::vector<kafka::TopicPartition>& parts, bool lost);
  void handle(const kafka::Message& m, EpochMillis now, std::vector<engine::Output>& out);
  void produce(const std::vector<engine::Output>& out);
  /// Fires the timers of caught-up partitions that fell due during the
  /// flush and the commit, and produces their outputs at once (sent without
  /// waiting for a flush). The state recording them is committed after the
  /// next loop's flush, like any other: outputs stay acknowledged before it.
  void fire_due(std::vector<engine::Output>& out);
  /// Readiness: a broker answered within the last 2 s (asks it when older).
  [[nodiscard]] bool kafka_reachable();
  /// Sleeps as long as `max_events_per_second` asks after `consumed` events.
  void throttle(std::size_t consumed);
  /// Whether `partition` still has a backlog in Kafka (see Partition::behind).
  [[nodiscard]] bool is_behind(std::int32_t partition, const Partition& p, const std::vector<kafka::PartitionLag>& lags,
                               EpochMillis now) const;
  void produce_snapshots(std::int32_t partition, Partition& p, EpochMillis now);
  [[nodiscard]] sla::Result<void> flush();
  /// Commits every partition with pending changes. False if the store failed.
  bool commit_all();
  bool commit(std::int32_t partition, Partition& p);
  void maybe_reload(EpochMillis now);
  void update_gauges();

  Config config_;
  std::shared_ptr<const policy::Policy> policy_;
  std::unique_ptr<store::StateStore> store_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::DeadLetter> dlq_;
  std::unique_ptr<kafka::Consumer> consumer_;
  http::Probe probe_;

  mutable std::mutex mu_;  // guards partitions_, policy_ (reads from HTTP threads)
  std::map<std::int32_t, Partition> partitions_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reload_{false};
  std::atomic<bool> store_ok_{true};
  /// Readiness: whether a broker answered lately, checked at most every 2 s.
  std::atomic<bool> kafka_ok_{true};
  std::atomic<EpochMillis> kafka_checked_at_{0};
  std::mutex kafka_check_mu_;
  std::int64_t policy_mtime_ = 0;
  EpochMillis next_reload_check_ = 0;
  std::chrono::steady_clock::time_point throttle_until_{};
};

/// Wall-clock milliseconds since the epoch.
[[nodiscard]] EpochMillis wall_now();

}  // namespace sla::timerd
