// sla::notify::Dispatcher: the delivery protocol of the bridge, on a clock
// that is handed in. Consumed records are routed to destinations; each
// (record, destination) pair is one delivery, queued on its destination.
//
// Invariants:
// - One slow or dead destination holds up only itself: each destination has
//   its own lanes, rate limit and retry timers; due() hands out whatever any
//   other destination can send.
// - Deliveries with the same dedup_key (a page's trigger, acknowledge,
//   resolve; its repeats) go to a destination in the order consumed: they
//   share a lane (hash of the key mod `concurrency`), and a lane has one
//   request in flight at a time, so a retrying trigger holds back the
//   resolve behind it, never the other way round.
// - A record is done when every one of its deliveries is delivered or
//   dead-lettered. positions() gives, per partition, the offset after the
//   last record that is done with every earlier record done too: the only
//   offset that may be committed (the lowest undelivered record is never
//   skipped, whatever finishes after it).
// - Bounds are loud: a destination with `max_queue` deliveries queued makes
//   full() true (the daemon pauses consumption); nothing is dropped.
//
// Not thread-safe (the daemon serialises calls). No I/O: due() builds the
// requests, the daemon sends them and reports back through complete().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/notify/model.hpp"
#include "sla/notify/payload.hpp"
#include "sla/notify/retry.hpp"
#include "sla/notify/routes.hpp"

namespace sla::notify {

/// Where a consumed record came from.
struct RecordRef {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

/// A page or a notice.
using Item = std::variant<Page, Notice>;

/// One request to start now.
struct Send {
  std::uint64_t job = 0;
  std::size_t destination = 0;
  std::uint32_t attempt = 0;         ///< 0 for the first try
  Result<OutboundRequest> request;   ///< an error: report complete(job, {.permanent = true, ...})
};

/// What complete() decided, for metrics, logs and the DLQ.
struct Outcome {
  std::uint64_t job = 0;
  std::size_t destination = 0;
  Decision decision;
  std::uint32_t attempts = 0;        ///< attempts made so far, this one included
  EpochMillis enqueued_at = 0;       ///< when the record was added
  RecordRef record;
  std::shared_ptr<const Item> item;
  bool orphan = false;               ///< its partition was dropped meanwhile: nothing to account
};

/// The committable position of one partition: the next offset to consume.
struct Position {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

class Dispatcher {
 public:
  /// `seed` seeds the jitter (tests pass a fixed one).
  Dispatcher(Routes routes, std::uint64_t seed);

  /// Routes `item` (consumed at `ref`) and queues one delivery per
  /// destination. Records of one partition must be added in offset order.
  /// Returns the number of deliveries (0: no route matched; the record is
  /// done at once). Fails (kInvalidArgument) for a page without dedup_key;
  /// the caller dead-letters the record and calls skip(ref).
  [[nodiscard]] Result<std::size_t> add(const RecordRef& ref, Item item, EpochMillis now);
  /// Marks a record that carries no deliveries (undecodable and
  /// dead-lettered by the caller) as done.
  void skip(const RecordRef& ref);

  /// Deliveries to start now: for each destination, each lane whose head is
  /// not in flight and due, while the destination's rate limit allows.
  [[nodiscard]] std::vector<Send> due(EpochMillis now);
  /// Reports the end of an attempt handed out by due(). Decides delivered /
  /// retry / dead letter; a delivered or dead-lettered delivery is removed
  /// and counts towards its record being done. Unknown jobs (already
  /// completed) give nullopt.
  [[nodiscard]] std::optional<Outcome> complete(std::uint64_t job, const AttemptResult& result, EpochMillis now);

  /// The earliest time a queued delivery becomes sendable (retry time or
  /// rate limit), nullopt when none is waiting (empty, or all in flight).
  [[nodiscard]] std::optional<EpochMillis> next_wakeup(EpochMillis now) const;

  /// Committable positions of every partition seen (see the banner).
  [[nodiscard]] std::vector<Position> positions() const;

  /// Forgets a partition (revoked): its queued deliveries are dropped (the
  /// next owner delivers them again), in-flight ones complete as orphans.
  void drop_partition(const std::string& topic, std::int32_t partition);

  /// Deliveries queued or in flight, all destinations / one destination.
  [[nodiscard]] std::size_t pending() const noexcept { return jobs_.size(); }
  [[nodiscard]] std::size_t pending(std::size_t destination) const { return dests_.at(destination).queued; }
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
  /// True while some destination has max_queue deliveries queued.
  [[nodiscard]] bool full() const;
  [[nodiscard]] const Routes& routes() const noexcept { return routes_; }

 private:
  struct Job {
    std::size_t destination = 0;
    std::size_t lane = 0;
    std::shared_ptr<const Item> item;
    RecordRef record;
    std::uint64_t generation = 0;   // of the record's partition when added
    EpochMillis enqueued_at = 0;
    EpochMillis first_try = -1;
    EpochMillis not_before = 0;
    std::uint32_t attempts = 0;
    bool in_flight = false;
  };
  struct Lane {
    std::deque<std::uint64_t> jobs;  // FIFO; the front is the only one ever in flight
  };
  struct Dest {
    std::vector<Lane> lanes;
    TokenBucket bucket;
    std::size_t queued = 0;
    std::size_t next_lane = 0;  // round-robin start, so no lane starves under a rate limit
  };
  struct PartitionState {
    std::map<std::int64_t, std::uint32_t> open;  // offset -> deliveries left
    std::int64_t next_offset = -1;               // after the newest record added; -1: none yet
    std::uint64_t generation = 0;
  };
  using PartitionKey = std::pair<std::string, std::int32_t>;

  PartitionState& partition(const RecordRef& ref);
  void finish_delivery(const Job& job);
  std::uint64_t next_random();
  [[nodiscard]] Result<OutboundRequest> build(const Job& job, EpochMillis now) const;

  Routes routes_;
  std::vector<Dest> dests_;
  std::unordered_map<std::uint64_t, Job> jobs_;
  std::map<PartitionKey, PartitionState> partitions_;
  std::uint64_t next_job_ = 1;
  std::uint64_t next_generation_ = 1;
  std::uint64_t rng_;
  std::size_t in_flight_ = 0;
};

}  // namespace sla::notify
