// sla-timerd's wiring: one Engine per assigned input partition, fed from the
// Kafka consumer, outputs to the producer, state and offsets to the store,
// views to the HTTP server. The loop runs on the caller's thread; the HTTP
// threads never read the engines: they answer from the cluster-wide view of
// `sla.deadlines` (sla::views) and from atomics (readiness, the policy).
//
// Delivery (SPEC 5.2): outputs are produced as they are fired. Every
// commit_interval_ms the loop cuts: the changed tickets' snapshots go to
// `sla.deadlines`, their states and the input offsets are handed to the
// Committer, whose thread commits them per partition once every output they
// record is acknowledged (sla/pipeline/committer.hpp). A crash between the two
// re-produces the same outputs (deterministic ids) after restart; nothing is
// lost. Outputs not acknowledged within flush_timeout_ms (Kafka down or
// restarting) turn readiness false and hold the commits back until they are;
// an output that failed for good (librdkafka's message.timeout.ms) stops the
// daemon with an error rather than commit state past it. If the store is
// down, consumption pauses (no unbounded memory), readiness turns false, and
// the pending commits are retried until it is back. A newly assigned
// partition whose state the store does not give within assign_timeout_ms
// (retried meanwhile, inside the rebalance callback) stops the daemon with
// an error, so the group gives the partition to another member and the
// orchestrator restarts this one.
//
// Bad input never stops a partition (SPEC 8): a record that does not decode,
// is keyed by another ticket than its own (`key_mismatch`) or is rejected by
// the engine goes to the DLQ; one too large for the DLQ goes there without
// its body (kafka::DeadLetter), also when the broker refuses it later.
#pragma once

#include <atomic>
#include <condition_variable>
#include <stop_token>
#include <thread>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config.hpp"
#include "workers.hpp"
#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"
#include "sla/http/handler.hpp"
#include "sla/http/probe.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/dead_letter.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/pipeline/acks.hpp"
#include "sla/pipeline/committer.hpp"
#include "sla/pipeline/schedule.hpp"
#include "sla/store/store.hpp"
#include "sla/views/deadline_view.hpp"
#include "sla/views/compliance_feed.hpp"
#include "sla/views/feed.hpp"

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
  static constexpr EpochMillis kNotLive = std::numeric_limits<EpochMillis>::max();
  struct Partition {
    std::unique_ptr<engine::Engine> engine;
    std::int64_t next_offset = 0;
    bool offset_dirty = false;  ///< consumed past the offset of the last cut
    /// Catch-up (behind: timers fire up to the backlog's event time), the
    /// 10 s hold, and the producer of late outputs (sla/pipeline/schedule.hpp).
    pipeline::PartitionSchedule schedule;
    /// When the partition was first caught up after its assignment
    /// (kNotLive before): timers due earlier fire as catch-up, their
    /// lateness counted apart from the live ones (Probe::Firing).
    EpochMillis live_since = kNotLive;
    /// This loop's messages for the partition, and its outputs (reused).
    std::vector<const kafka::Message*> inbox;
    std::vector<engine::Output> scratch;
    std::vector<engine::TicketEvent> events;
    std::vector<const kafka::Message*> sources;  ///< the message of each of `events`
    std::vector<engine::Rejected> rejected;
    std::string bytes;  ///< an encoded record (reused)
  };
  // start()'s steps, in order: the metrics' series declared; the producers
  // and the dead-letter sender; the committer and its workers; the consumer;
  // the views' feeds and the ack producer; the thread asking the brokers.
  void declare_metrics();
  [[nodiscard]] sla::Result<void> start_producers();
  /// A producer's delivery report: settles its record's epoch in acks_.
  void on_delivery(const kafka::DeliveryReport& r);
  void start_committer();
  [[nodiscard]] sla::Result<void> start_consumer();
  [[nodiscard]] sla::Result<void> start_views();
  void start_kafka_probe();
  // run()'s steps: how long a poll may wait (until the next timer due);
  // each partition's share of the polled batch on the workers (step());
  // after a stop, the last cut flushed and committed.
  [[nodiscard]] std::int64_t poll_wait_ms(EpochMillis now) const;
  void step_partitions(EpochMillis now, bool more_queued);
  [[nodiscard]] sla::Result<void> finish();
  // http_deps()'s routes: GET /metrics, the ticket views, POST
  // /v1/pages/{id}/ack, POST /v1/policy/preview (in the heavy slot, within
  // its budget; preview() on preview_thread_).
  [[nodiscard]] std::string metrics_text();
  void add_view_routes(http::Deps& deps);
  [[nodiscard]] sla::Result<nlohmann::json> ack_page(std::string_view page_id, std::string_view responder);
  [[nodiscard]] std::pair<unsigned, nlohmann::json> preview_within_budget(std::string_view text,
                                                                          const http::PreviewParams& params);
  void on_assign(std::vector<kafka::TopicPartition>& parts);
  /// Loads one partition's state into a new engine with `store` (retrying
  /// until it answers, `deadline` passes or stop is requested: nullopt) and
  /// sets `tp.offset` to resume from. Thread-safe for distinct partitions
  /// and stores.
  [[nodiscard]] std::optional<Partition> load_partition(store::StateStore& store, kafka::TopicPartition& tp,
                                                        const std::shared_ptr<const policy::Policy>& policy,
                                                        std::chrono::steady_clock::time_point deadline);
  /// Set when an assigned partition's state could not be loaded within
  /// assign_timeout_ms: run() then returns it as an error (exit 1).
  [[nodiscard]] std::optional<std::string> assign_failure() const;
  void on_revoke(const std::vector<kafka::TopicPartition>& parts, bool lost);
  /// One partition's share of a loop, on a worker: its messages applied in
  /// order, its timers fired, the outputs produced. `more_queued`: the poll
  /// returned a full batch (pipeline::PartitionSchedule::looked). Touches
  /// only `p` and thread-safe members.
  void step(std::int32_t partition, Partition& p, std::span<const kafka::Message* const> messages, EpochMillis now,
            const std::vector<kafka::PartitionLag>& lags, bool more_queued);
  /// Decodes and applies one partition's messages (engine::apply_batch, in
  /// chunks) and produces what they caused; undecodable and rejected ones go
  /// to the DLQ. Leaves `out` empty.
  void apply(Partition& p, std::span<const kafka::Message* const> messages, EpochMillis now,
             std::vector<engine::Output>& out);
  void produce(Partition& p, const std::vector<engine::Output>& out);
  /// Produces one record tagged with delivery epoch `epoch` (the current
  /// one, already counted with acks_.produced()), with `headers` (its
  /// content-type, sla-type and sla-schema: docs/topics.md). A produce that
  /// fails at once fails the epoch: nothing after it is committed.
  void send(kafka::Producer& producer, const std::string& topic, std::string_view key, std::string_view payload,
            std::span<const kafka::Header> headers, std::uint64_t epoch);
  /// Dead-letters `m` (kafka::DeadLetter: whole, or without its body when
  /// too large for the DLQ), counted in the current epoch.
  void dead_letter(const kafka::Message& m, std::string_view reason, std::string_view error);
  /// Sends the smaller forms of dead letters the broker refused as too large
  /// (after the producers were polled; on the loop and the committer thread).
  void send_dlq_replacements();
  /// Fires the timers of caught-up partitions that are due and produces
  /// their outputs at once.
  void fire_due(std::vector<engine::Output>& out);
  /// Sleeps as long as `max_events_per_second` asks after `consumed` events.
  void throttle(std::size_t consumed);
  /// Updates whether `partition` still has a backlog in Kafka
  /// (pipeline::PartitionSchedule::update) from the consumer's lag figures.
  void update_behind(std::int32_t partition, Partition& p, const std::vector<kafka::PartitionLag>& lags,
                     EpochMillis now) const;
  /// The cut of one partition: snapshots of its changed tickets produced,
  /// their states and its next offset in the returned batch.
  [[nodiscard]] std::optional<pipeline::PartitionCommit> cut_partition(std::int32_t partition, Partition& p, EpochMillis now);
  /// Cuts every partition and queues the commit (pipeline::Committer): when
  /// `force`, or commit_interval_ms after the last cut. With `force` it waits
  /// for room in the queue; otherwise a full queue defers the cut. Takes mu_.
  void cut(EpochMillis now, bool force);
  /// Pauses consumption while the store is down or the commit queue full;
  /// resumes when neither holds.
  void hold_back(EpochMillis now);
  void maybe_reload(EpochMillis now);
  void update_gauges();
  /// Records how late the timer due at `due` fires at `fired`, as live or
  /// catch-up lateness (Partition::live_since). Thread-safe (the probe's).
  void observe_lateness(const Partition& p, EpochMillis due, EpochMillis fired);
  /// POST /v1/policy/preview (see http_deps()): the candidate loaded as an
  /// uploaded policy (no files read), every open ticket of the cluster read
  /// from the store (all partitions of the input topic, at most
  /// kPreviewMaxTickets), sla::views::preview_policy at the wall clock's
  /// now, all within `budget_end`. Runs on preview_thread_.
  [[nodiscard]] std::pair<unsigned, nlohmann::json> preview(const std::string& yaml_text,
                                                            const http::PreviewParams& params,
                                                            std::chrono::steady_clock::time_point budget_end);
  struct PreviewTickets {
    std::vector<std::string> states;
    std::int32_t partitions = 0;
    bool truncated = false;  ///< the cap or the budget stopped the reading
  };
  [[nodiscard]] sla::Result<PreviewTickets> preview_tickets(std::chrono::steady_clock::time_point budget_end);
  /// What /readyz answers (and sla_ready). Thread-safe: atomics only.
  [[nodiscard]] http::Readiness readiness() const;

  Config config_;
  std::shared_ptr<const policy::Policy> policy_;
  std::unique_ptr<store::StateStore> store_;
  /// The committer's own connection, when the store offers one; otherwise
  /// it shares store_ and both sides take store_mu_.
  std::unique_ptr<store::StateStore> commit_store_;
  std::mutex store_mu_;
  SystemClock clock_;
  pipeline::Acks acks_;
  /// Live outputs (fired less than PartitionSchedule::kCatchUpMs after they
  /// were due).
  std::unique_ptr<kafka::Producer> producer_;
  /// Snapshots, dead letters and catch-up outputs, batched for longer
  /// (Config::bulk_linger_ms). Both tag their records with acks_' epochs.
  std::unique_ptr<kafka::Producer> bulk_;

  std::unique_ptr<kafka::DeadLetter> dlq_;
  std::unique_ptr<kafka::Consumer> consumer_;
  /// The outputs' encoding (topics.encoding) and each output topic's
  /// headers (content-type, sla-type, sla-schema), built once.
  codec::ContentType encoding_ = codec::ContentType::kProtobuf;
  std::vector<kafka::Header> sla_headers_;
  std::vector<kafka::Header> page_headers_;
  std::vector<kafka::Header> deadline_headers_;
  http::Probe probe_;

  mutable std::mutex mu_;  // guards partitions_, policy_ (reads from HTTP threads)
  std::map<std::int32_t, Partition> partitions_;
  /// The messages of the current loop (the partitions' inboxes point into it).
  kafka::MessageBatch batch_;
  std::size_t poll_max_batch_ = 1;  ///< the most messages one poll returns (ConsumerOptions::max_batch)
  std::atomic<bool> stop_{false};
  std::atomic<bool> reload_{false};
  std::atomic<bool> store_ok_{true};
  std::atomic<int> loading_{0};  ///< on_assign is loading partitions (readiness)
  /// Set once by on_assign (loop thread), assign_failure_ written before it.
  std::atomic<bool> assign_failed_{false};
  std::string assign_failure_;
  /// Readiness: whether a broker answered the last metadata request (asked
  /// every 2 s by kafka_probe_, off the loop and the HTTP threads).
  std::atomic<bool> kafka_ok_{true};
  std::jthread kafka_probe_;
  /// partitions_.size(), for /readyz without mu_.
  std::atomic<std::size_t> owned_{0};
  /// policy_ for the HTTP threads (GET /v1/policy, /v1/deadline) without mu_.
  std::atomic<std::shared_ptr<const policy::Policy>> http_policy_;
  /// The cluster-wide views (every ticket of every instance) that
  /// /v1/tickets answers from, fed from `sla.deadlines`; never the engines.
  std::shared_ptr<views::DeadlineView> view_ = std::make_shared<views::DeadlineView>();
  std::unique_ptr<views::DeadlineFeed> feed_;
  /// /v1/reports/compliance: every clock's outcome from `sla.escalations`
  /// (null when report_max_clocks is 0). Shared with the report tasks.
  std::shared_ptr<views::ComplianceFeed> compliance_;
  /// POST /v1/pages/{id}/ack: page_acknowledged events to the input topic.
  std::unique_ptr<kafka::Producer> ack_producer_;
  std::mutex ack_mu_;
  /// Policy validations, previews and compliance reports running (off the
  /// I/O threads, one at a time among them, so at most one I/O thread waits
  /// on any of them).
  std::shared_ptr<std::atomic<int>> validations_ = std::make_shared<std::atomic<int>>(0);
  /// The thread of the last preview (joined before the next and in ~Daemon).
  std::mutex preview_mu_;
  std::thread preview_thread_;
  std::int64_t policy_mtime_ = 0;
  EpochMillis next_reload_check_ = 0;
  std::chrono::steady_clock::time_point throttle_until_{};
  EpochMillis last_cut_ = 0;
  pipeline::HoldBack hold_;        ///< consumption paused by hold_back()
  bool held_for_store_ = false;    ///< ... because the store is down
  /// Declared last: destroyed (threads joined) before what they use.
  std::unique_ptr<Workers> workers_;
  std::unique_ptr<pipeline::Committer> committer_;
};

/// Wall-clock milliseconds since the epoch (SystemClock: the daemon's one
/// reading of the wall clock, also for its demo traffic and tests).
[[nodiscard]] EpochMillis wall_now();

}  // namespace sla::timerd
