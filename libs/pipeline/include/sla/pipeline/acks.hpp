// Acks: delivery epochs (SPEC 5.2). Every record the daemon produces
// (outputs, `sla.deadlines` snapshots, dead letters) is tagged with the
// current epoch; a cut closes it. The Committer commits the state of a cut
// only once every record of its epoch and of all earlier ones is
// acknowledged. Counting only: no producer, no clock, no waiting on a
// deadline (the Committer decides when waiting has lasted too long).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sla::pipeline {

/// Where one epoch stands (Acks::status).
struct AckStatus {
  /// The first record that failed for good, in any epoch (sticky: every
  /// later epoch is failed too, since its state would record a gap).
  std::optional<std::string> failure;
  /// Records of the epoch and of every earlier one not yet acknowledged.
  std::int64_t pending = 0;
  /// Settlements that could end a wait so far (for await_settlement).
  std::uint64_t settlements = 0;

  [[nodiscard]] bool acknowledged() const { return !failure && pending == 0; }
};

/// Counts the records of each epoch not yet acknowledged.
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
  /// Whether every record of `epoch` and earlier is acknowledged, how many
  /// are not, or the failure. Does not wait.
  [[nodiscard]] AckStatus status(std::uint64_t epoch) const;
  /// Blocks until a record fails or an epoch's last record is settled after
  /// the status that counted `seen` settlements, or `timeout` (real time)
  /// passes. For a waiter that does not poll the producer itself (someone
  /// else serves the reports).
  void await_settlement(std::uint64_t seen, std::chrono::milliseconds timeout) const;
  /// Records produced and not yet settled, over all epochs.
  [[nodiscard]] std::int64_t outstanding() const;
  /// A record failed for good (every epoch's status is then failed).
  [[nodiscard]] bool failed() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable settled_cv_;
  std::uint64_t wakeups_ = 0;                  ///< settlements that can end a wait (guarded by mu_)
  std::atomic<std::uint64_t> current_{1};      ///< written under mu_ (cut)
  std::atomic<std::int64_t> open_count_{0};    ///< unsettled records of current_ (not in outstanding_)
  std::map<std::uint64_t, std::int64_t> outstanding_;  ///< closed epoch -> unsettled records; no zero entries
  std::optional<std::string> failure_;                 ///< the first failure; sticky
};

}  // namespace sla::pipeline
