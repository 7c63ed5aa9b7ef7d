// sla::views::ComplianceFeed: the data of `/v1/reports/compliance`. A thread
// of its own reads the whole `sla.escalations` topic from the beginning,
// outside the consumer group (kafka::Reader, as DeadlineFeed reads
// `sla.deadlines`), decodes each SlaEvent (codec) and records its clock in a
// report::Ledger, which keys clocks by ticket/metric/cycle: re-emitted,
// duplicated or replayed outputs change no figure, and every instance
// answers for every ticket, closed ones included (the deadline view drops
// those). The log's retention is the report's horizon.
//
// Bounds: the ledger keeps at most `max_clocks` clocks (about 300 bytes
// each); past that, new clocks are not kept (their events are counted as
// dropped) and every report says it
// is incomplete. report() computes under the ledger's lock: it holds up this
// feed's thread (never the engine's loop), for O(clocks) work.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sla/base/clock.hpp"
#include "sla/kafka/config.hpp"
#include "sla/report/report.hpp"

namespace sla::views {

struct ComplianceFeedOptions {
  kafka::KafkaConfig kafka;
  std::string topic = "sla.escalations";
  std::size_t max_clocks = 1'000'000;
  std::chrono::milliseconds poll_timeout{100};
  std::size_t max_batch = 2000;
  /// Niceness added to the reading thread, as FeedOptions::nice.
  int nice = 0;
};

/// What a report's `view` object says about the data behind it.
struct ComplianceState {
  bool loaded = false;       ///< every partition has been read to its end once
  std::size_t clocks = 0;
  std::uint64_t dropped = 0;  ///< SLA events of clocks not kept (max_clocks reached)
  std::uint64_t undecodable = 0;
};

class ComplianceFeed {
 public:
  /// Starts the reading thread at once; it retries every second until the
  /// topic is there.
  explicit ComplianceFeed(ComplianceFeedOptions options);
  /// Stops and joins (within about poll_timeout).
  ~ComplianceFeed();
  ComplianceFeed(const ComplianceFeed&) = delete;
  ComplianceFeed& operator=(const ComplianceFeed&) = delete;

  /// Any thread. Takes the ledger's lock for the computation.
  [[nodiscard]] report::Report report(const report::Query& query) const;
  /// Any thread.
  [[nodiscard]] ComplianceState state() const;

 private:
  void run(const std::stop_token& stop);

  ComplianceFeedOptions options_;
  mutable std::mutex mu_;
  report::Ledger ledger_;  // guarded by mu_
  std::atomic<bool> loaded_{false};
  std::atomic<std::uint64_t> undecodable_{0};
  std::jthread thread_;
};

}  // namespace sla::views
