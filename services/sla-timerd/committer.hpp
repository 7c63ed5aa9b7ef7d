// The daemon's commit pipeline (SPEC 5.2): outputs first, then the state that
// records them, without the loop waiting for either.
//
// Every record the daemon produces (outputs, `sla.deadlines` snapshots, dead
// letters) is tagged with the current delivery epoch (`Acks`). Every
// `commit_interval_ms` the loop *cuts*: it serialises the tickets changed
// since the last cut, notes each partition's next input offset, closes the
// epoch and hands the batches to the `Committer`. The committer's thread
// waits until every record of that epoch and of all earlier ones is
// acknowledged by Kafka, then commits the batches to the store (state and
// offset together per partition), one epoch after another. Meanwhile the
// loop goes on consuming, applying and firing timers.
//
// So a crash loses nothing: state is never committed ahead of the outputs it
// records; what was not committed is consumed and applied again after the
// restart, re-producing the same outputs (deterministic ids).
//
// Failures: a record that failed for good (a delivery report with an error:
// librdkafka gives up after `message.timeout.ms`, 5 min by default) makes the
// pipeline fatal: nothing more is committed and the daemon stops with the
// error, so a restart resumes from the last commit. Records merely not yet
// acknowledged after the ack timeout (Kafka down or restarting) make it
// *stalled*: it keeps waiting, commits nothing past them, and says so
// (readiness). A store that fails is retried with backoff. Either way the
// queue fills and the loop pauses consumption (bounded memory) until it
// moves again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/store/store.hpp"

namespace sla::timerd {

/// Delivery epochs: counts the records of each epoch not yet acknowledged.
/// Thread-safe (the loop and its workers produce, librdkafka's delivery
/// reports arrive on whichever thread polls the producer), with one rule:
/// produced() is not called concurrently with cut() (the daemon's loop does
/// both, its workers produce only inside a run it waits for).
class Acks {
 public:
  /// The epoch new records belong to (their produce tag).
  [[nodiscard]] std::uint64_t current() const;
  /// `n` records of `epoch` are about to be produced (counted before they
  /// are handed to the producer, so no report can come first).
  void produced(std::uint64_t epoch, std::int64_t n = 1);
  /// A record of `epoch` was acknowledged (`error` empty) or failed for good
  /// (delivery report, or a produce call that failed at once).
  void settled(std::uint64_t epoch, const std::optional<std::string>& error);
  /// Closes the current epoch and returns it; later records go to the next.
  std::uint64_t cut();
  /// Waits until every record of `epoch` and earlier is acknowledged,
  /// calling `poll` (which serves delivery reports) while it waits. Fails
  /// with kUnavailable if one failed (for good: every later wait fails too)
  /// or at `deadline`.
  [[nodiscard]] sla::Result<void> wait(std::uint64_t epoch, std::chrono::steady_clock::time_point deadline,
                                       const std::function<void()>& poll);
  /// Records produced and not yet settled, over all epochs.
  [[nodiscard]] std::int64_t outstanding() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable settled_cv_;
  std::atomic<std::uint64_t> current_{1};  ///< written under mu_ (cut)
  std::atomic<std::int64_t> open_count_{0};  ///< unsettled records of current_ (not in outstanding_)
  std::map<std::uint64_t, std::int64_t> outstanding_;  ///< closed epoch -> unsettled records; no zero entries
  std::optional<std::string> failure_;                 ///< the first failure; sticky

 public:
  /// A record failed for good (wait() then fails at once, for every epoch).
  [[nodiscard]] bool failed() const;
};

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
  std::string topic;                           ///< the input topic (store keys)
  std::chrono::milliseconds ack_timeout{30'000};  ///< flush_timeout_ms: unacknowledged this long = stalled
  std::size_t max_queued = 8;                  ///< jobs waiting before the loop must hold back
};

struct CommitterHooks {
  std::function<void()> poll_producer;              ///< serves delivery reports (waits a little)
  std::function<void(bool ok)> store_state;         ///< after each store call: reachable or not
  std::function<void(double ms)> commit_latency;    ///< per partition commit
};

/// Commits CommitJobs in order on its own thread (see the file comment).
class Committer {
 public:
  /// `store` is used from the committer's thread only, under `store_mu` when
  /// given (a store shared with the loop).
  Committer(store::StateStore& store, std::mutex* store_mu, Acks& acks, CommitterSettings settings,
            CommitterHooks hooks);
  /// Abandons what is queued (no commit) and joins the thread.
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  /// Queues a job unless `max_queued` jobs are waiting (false: cut later).
  [[nodiscard]] bool try_push(CommitJob job);
  /// Jobs queued or being committed.
  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] bool full() const { return queued() >= settings_.max_queued; }
  /// Waits until every job pushed so far is committed. False on `deadline`
  /// or when the pipeline is fatal.
  [[nodiscard]] bool drain(std::chrono::steady_clock::time_point deadline);
  /// Removes a partition from the queued jobs and from the one being
  /// committed (its ownership was lost: the new owner's state, which may be
  /// ours again after a new assignment, must not be overwritten by ours).
  void forget_partition(std::int32_t partition);
  /// Set when an output failed for good: nothing more is committed.
  [[nodiscard]] std::optional<std::string> fatal() const;
  /// True while the job being committed has waited longer than the ack
  /// timeout for its outputs' acknowledgements (it goes on waiting).
  [[nodiscard]] bool stalled() const { return stalled_.load(); }
  /// Stops retrying a store that does not answer (shutdown): the job being
  /// retried and the ones after it are left uncommitted.
  void give_up();

 private:
  void run();
  bool commit_with_retry(const PartitionCommit& part);
  /// Acks::wait for `epoch`, going on past the ack timeout (stalled) until
  /// acknowledged, failed, or give_up().
  sla::Result<void> wait_for_acks(std::uint64_t epoch);
  /// forget_partition() was called for it during the job in hand.
  [[nodiscard]] bool forgotten(std::int32_t partition) const;

  store::StateStore& store_;
  std::mutex* store_mu_;
  Acks& acks_;
  CommitterSettings settings_;
  CommitterHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  ///< job queued, job done, stop
  std::deque<CommitJob> jobs_;  ///< waiting, oldest first
  bool busy_ = false;           ///< one job taken off the queue is being committed
  std::vector<std::int32_t> forgotten_;  ///< partitions forgotten while busy_: skipped in that job
  std::optional<std::string> fatal_;
  bool stop_ = false;
  std::atomic<bool> give_up_{false};
  std::atomic<bool> stalled_{false};  ///< see stalled()
  std::thread thread_;
};

}  // namespace sla::timerd
