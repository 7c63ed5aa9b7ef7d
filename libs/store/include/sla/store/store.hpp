// sla::store::StateStore: the port through which the daemon persists ticket
// state together with the input offset of a Kafka partition (SPEC 5.2). One
// partition's tickets and its next input offset are committed in one atomic
// batch, and loaded back on partition assignment.
//
// Not a cache and not a query API: the store sees tickets only as opaque
// bytes (`Engine::save_ticket`) keyed by ticket id. Implementations:
// InMemoryStore (memory_store.hpp: `--embedded`, tests) and RedisStore
// (redis_store.hpp: production).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/result.hpp"

namespace sla::store {

/// One ticket's saved state: `state` is the opaque, binary-safe output of
/// `Engine::save_ticket(id)` (may contain NUL bytes; may be empty).
struct TicketRecord {
  std::string id;
  std::string state;

  friend bool operator==(const TicketRecord&, const TicketRecord&) = default;
};

/// What a partition holds: its next input offset (the Kafka offset to resume
/// consuming from; nullopt when nothing was ever committed) and every ticket
/// saved for it, in unspecified order, each id once.
struct PartitionState {
  std::optional<std::int64_t> next_offset;
  std::vector<TicketRecord> tickets;
};

/// Where `StateStore::load_partition_into` hands a partition's tickets, one
/// at a time, without holding them all: `ticket` gets each (the views are
/// valid during the call only); `restart` is called before the first ticket
/// and again whenever the load starts over (a commit landed during the scan,
/// the partition moved to another node), so the receiver drops what it was
/// given so far; its argument is how many tickets the partition holds, as
/// far as the store knows then (a hint for reserving room; 0 if unknown).
/// Within one attempt an id may come twice (Redis was rehashing the hash),
/// with the same state both times.
struct TicketSink {
  std::function<void(std::size_t expected)> restart;
  std::function<void(std::string_view id, std::string_view state)> ticket;
};

/// One atomic commit for one partition. Size it like a Kafka poll batch (up
/// to some thousands of tickets, a few MiB): RedisStore holds the whole
/// transaction in memory on both sides until EXEC. Applied in this order: upserts
/// (replace the state of each id), then deletes (an id in both is deleted),
/// then `next_offset` is stored. Ids must be non-empty; an id repeated in
/// `upserts` keeps its last state. Deleting an unknown id is not an error.
struct Batch {
  std::vector<TicketRecord> upserts;
  std::vector<std::string> deletes;
  /// The next input offset of the partition (last consumed offset + 1),
  /// >= 0. Never goes backwards: see StateStore::commit.
  std::int64_t next_offset = 0;
};

/// The state-store port. A partition is named by (topic, partition): topic
/// non-empty and without '{' or '}' (Kafka topic names never contain them;
/// RedisStore uses them for hash tags), partition >= 0.
///
/// Error codes, shared by every implementation:
/// - kInvalidArgument: a bad topic, partition or batch; nothing was written.
/// - kOutOfRange: `commit` with a next_offset below the stored one (a stale
///   writer, e.g. an instance that lost the partition); nothing was written.
/// - kUnavailable: the backend is unreachable, timed out, or refused the
///   command (out of memory, loading, read-only replica). For `commit` the
///   outcome is then unknown: retrying the same batch is safe (a commit is
///   idempotent, and an equal next_offset is accepted). The next call
///   reconnects.
/// - kInternal: the backend holds data this store did not write (a key of
///   the wrong type, an unparsable offset).
///
/// Thread-safety: an implementation is used by one thread at a time unless
/// it says otherwise (RedisStore owns one connection: one store per thread;
/// InMemoryStore is internally locked). Non-copyable; deleted through this
/// base.
class StateStore {
 public:
  StateStore() = default;
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;
  StateStore(StateStore&&) = delete;
  StateStore& operator=(StateStore&&) = delete;
  virtual ~StateStore() = default;

  /// Loads every ticket and the next offset of a partition. A partition
  /// never committed yields {nullopt, {}}. Meant for the partition's owner:
  /// a concurrent commit to the same partition makes the load retry.
  [[nodiscard]] virtual sla::Result<PartitionState> load_partition(std::string_view topic,
                                                                   std::int32_t partition) = 0;

  /// The same load, streamed: each ticket goes to `sink` as it arrives
  /// (nothing is kept for the whole partition: a restart of millions of
  /// tickets needs no second copy of their states). Returns the next offset
  /// (nullopt: never committed). On an error the sink may have been given
  /// part of the partition. The default goes through load_partition.
  [[nodiscard]] virtual sla::Result<std::optional<std::int64_t>> load_partition_into(std::string_view topic,
                                                                                     std::int32_t partition,
                                                                                     const TicketSink& sink);

  /// Applies `batch` to a partition atomically: all of it or none of it.
  /// Rejected with kOutOfRange (and nothing written) when the stored next
  /// offset is greater than `batch.next_offset`; an equal offset is accepted
  /// (state changed by timers, no new input).
  [[nodiscard]] virtual sla::Result<void> commit(std::string_view topic, std::int32_t partition,
                                                 const Batch& batch) = 0;

  /// Removes a partition's tickets and offset (tests, operators). Not part of
  /// the daemon's normal flow: revocation keeps the state for the next owner.
  [[nodiscard]] virtual sla::Result<void> clear_partition(std::string_view topic,
                                                          std::int32_t partition) = 0;

  /// Checks the backend is reachable (connecting if needed), for readiness.
  [[nodiscard]] virtual sla::Result<void> ping() = 0;

  /// A second store on the same backend with its own connection, so a
  /// caller can load several partitions at once (one store per thread).
  /// nullptr (the default) when the implementation offers none: load with
  /// this store, one partition after another. Does no I/O.
  [[nodiscard]] virtual std::unique_ptr<StateStore> another_connection() const { return nullptr; }
};

/// Checks a partition name (see StateStore). kInvalidArgument when bad.
[[nodiscard]] sla::Result<void> validate_partition(std::string_view topic, std::int32_t partition);

/// Checks a batch: next_offset >= 0 and every id non-empty. kInvalidArgument
/// when bad.
[[nodiscard]] sla::Result<void> validate_batch(const Batch& batch);

}  // namespace sla::store
