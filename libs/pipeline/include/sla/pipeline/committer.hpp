// The commit pipeline (SPEC 5.2): outputs first, then the state that records
// them, without the daemon's loop waiting for either.
//
// Every record the daemon produces (outputs, `sla.deadlines` snapshots, dead
// letters) is tagged with the current delivery epoch (`Acks`). Every
// `commit_interval_ms` the loop *cuts*: it serialises the tickets changed
// since the last cut, notes each partition's next input offset, closes the
// epoch and hands the batches to the `Committer`. The committer waits until
// every record of that epoch and of all earlier ones is acknowledged by
// Kafka, then commits the batches to the store (state and offset together per
// partition), one epoch after another. Meanwhile the loop goes on consuming,
// applying and firing timers.
//
// Invariants:
// - state is never committed ahead of the outputs it records; what was not
//   committed is consumed and applied again after a restart, re-producing the
//   same outputs (deterministic ids);
// - jobs are committed in the order they were pushed, so offsets only move
//   forward;
// - a partition whose ownership was lost (forget_partition) is not written
//   again by any job pushed before, not even the one in hand;
// - a stale commit (the store's offset is past ours: another owner committed)
//   is dropped, not retried: retrying cannot help and would hold back every
//   later commit.
//
// Failures: a record that failed for good (a delivery report with an error:
// librdkafka gives up after `message.timeout.ms`, 5 min by default) makes the
// pipeline fatal: nothing more is committed and the daemon stops with the
// error, so a restart resumes from the last commit. Records merely not yet
// acknowledged after `ack_timeout` (Kafka down or restarting) make it
// *stalled*: it keeps waiting, commits nothing past them, and says so
// (readiness). A store that fails is retried with backoff. Either way the
// queue fills and the loop pauses consumption (bounded memory) until it
// moves again.
//
// The rules are in step(), which reads time from a `Clock` and never blocks
// on it: tests call it on a ManualClock; start() runs it on a thread that
// sleeps between steps (polling the producer, or backing off).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/pipeline/acks.hpp"
#include "sla/store/store.hpp"

namespace sla::pipeline {

/// One partition's part of a cut.
struct PartitionCommit {
  std::int32_t partition = 0;
  store::Batch batch;
};

/// Everything changed up to one cut, recorded by the outputs of `epoch`.
struct CommitJob {
  std::uint64_t epoch = 0;
  std::vector<PartitionCommit> parts;
};

struct CommitterSettings {
  std::string topic;                              ///< the input topic (store keys)
  std::chrono::milliseconds ack_timeout{30'000};  ///< flush_timeout_ms: unacknowledged this long = stalled
  std::size_t max_queued = 8;                     ///< jobs waiting before the loop must hold back
};

struct CommitterHooks {
  std::function<void()> poll_producer;            ///< serves delivery reports (waits a little)
  std::function<void(bool ok)> store_state;       ///< after each store call: reachable or not
  std::function<void(double ms)> commit_latency;  ///< per partition commit
};

/// What one step() did, and what the committer waits for before the next.
struct CommitStep {
  enum class Kind {
    kIdle,          ///< nothing queued (or the job in hand was abandoned by give_up())
    kAwaitingAcks,  ///< the job in hand waits for its outputs' acknowledgements
    kBackoff,       ///< a store commit failed: retry at `retry_at`
    kCommitted,     ///< the job in hand is done (committed, or its parts dropped)
    kFatal,         ///< an output failed for good: nothing more is committed
  };
  Kind kind = Kind::kIdle;
  EpochMillis retry_at = 0;      ///< kBackoff: when the store is asked again (clock time)
  std::uint64_t settlements = 0;  ///< kAwaitingAcks: for Acks::await_settlement
};

/// Commits CommitJobs in order (see the file comment). Thread-safe, except
/// that step() has one caller at a time: the thread start() runs, or a test.
class Committer {
 public:
  /// `store` is used by step() only, under `store_mu` when given (a store
  /// shared with the loop). `clock` times the ack timeout and the store
  /// backoff. Starts no thread.
  Committer(store::StateStore& store, std::mutex* store_mu, Acks& acks, const Clock& clock,
            CommitterSettings settings, CommitterHooks hooks);
  /// Abandons what is queued (no commit) and joins the thread.
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  /// Runs step() on a thread ("sla-commit") until destruction or a fatal
  /// output: polls the producer (or waits for a settlement) while acks are
  /// pending, sleeps out a store backoff, sleeps while idle.
  void start();

  /// Queues a job unless `max_queued` jobs are waiting or the pipeline is
  /// fatal (false: cut later).
  [[nodiscard]] bool try_push(CommitJob job);
  /// Jobs queued or being committed.
  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] bool full() const { return queued() >= settings_.max_queued; }
  /// Waits (real time, for the thread start() runs) until every job pushed so
  /// far is committed. False at `deadline` or when the pipeline is fatal.
  [[nodiscard]] bool drain(std::chrono::steady_clock::time_point deadline);
  /// Removes a partition from the queued jobs and from the one being
  /// committed (its ownership was lost: the new owner's state, which may be
  /// ours again after a new assignment, must not be overwritten by ours).
  void forget_partition(std::int32_t partition);
  /// Set when an output failed for good: nothing more is committed.
  [[nodiscard]] std::optional<std::string> fatal() const;
  /// True while the job in hand has waited at least the ack timeout for its
  /// outputs' acknowledgements (it goes on waiting).
  [[nodiscard]] bool stalled() const { return stalled_.load(); }
  /// Stops waiting for acks and retrying a store that does not answer
  /// (shutdown): the job in hand and the ones after it are left uncommitted.
  void give_up();

  /// One step of the protocol: takes the next job if none is in hand, checks
  /// its acks (stalled past the ack timeout, fatal on a failure), commits
  /// its partitions in order (skipping forgotten ones, dropping stale
  /// commits, backing off after a store failure). Never waits.
  CommitStep step();

 private:
  void run();
  /// Ends the job in hand; with `abandon`, drops the queued jobs too.
  void finish_job(bool abandon, std::optional<std::string> fatal);
  /// forget_partition() was called for it during the job in hand.
  [[nodiscard]] bool forgotten(std::int32_t partition) const;
  /// One store commit of the job in hand's current part. True when the part
  /// is done (committed, or stale and dropped).
  bool commit_part(const PartitionCommit& part);

  store::StateStore& store_;
  std::mutex* store_mu_;
  Acks& acks_;
  const Clock& clock_;
  CommitterSettings settings_;
  CommitterHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  ///< job queued, job done, give up, stop
  std::deque<CommitJob> jobs_;  ///< waiting, oldest first
  bool busy_ = false;           ///< a job taken off the queue is in hand
  std::vector<std::int32_t> forgotten_;  ///< partitions forgotten while busy_: skipped in that job
  std::optional<std::string> fatal_;
  bool stop_ = false;
  std::atomic<bool> give_up_{false};
  std::atomic<bool> stalled_{false};  ///< see stalled()

  // The job in hand: step()'s alone (its one caller), outside mu_.
  CommitJob in_hand_;
  bool acked_ = false;             ///< its outputs are acknowledged
  EpochMillis waiting_since_ = 0;  ///< when it was taken (the ack timeout counts from there)
  std::size_t next_part_ = 0;      ///< the part to commit next
  int attempt_ = 0;                ///< failed store calls for that part
  EpochMillis retry_at_ = 0;

  std::thread thread_;
};

}  // namespace sla::pipeline
