// sla::store::RedisStore: the StateStore on Redis, over the hiredis
// synchronous API (one blocking connection). Per partition two keys that
// share the hash tag `{topic/partition}`, so Redis Cluster places them in one
// slot and MULTI/EXEC spans both:
//   <prefix>:{<topic>/<partition>}:t       HASH   ticket id -> state bytes
//   <prefix>:{<topic>/<partition>}:offset  STRING next input offset (decimal)
// A commit is WATCH offset + GET offset + TYPE tickets + MULTI, then one
// pipelined HSET... / HDEL... / SET offset / EXEC (or DISCARD): atomic, and
// rejected when the offset would go backwards. A load is GET offset + an HSCAN loop (never
// HGETALL: a million tickets must not become one reply), with the next page
// requested before the current one is copied out.
//
// With `cluster` set it is a Redis Cluster client: it reads the slot map
// (CLUSTER SLOTS) from the seed `host:port`, keeps one connection per master
// (each AUTHed), sends each partition's commands to the master of its slot,
// and follows MOVED (new map), ASK (ASKING on the target, that attempt only)
// and TRYAGAIN (wait, again). A partition is one slot, so its MULTI/EXEC
// never spans nodes. Includes no hiredis header: the handles live in the
// implementation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sla/store/store.hpp"

namespace sla::store {

/// Connection and layout settings (the daemon's `redis.*` / `SLA_REDIS_*`).
struct RedisOptions {
  /// The server; in cluster mode the seed node the slot map is first read
  /// from (any master or replica; later the nodes of the map are tried too).
  std::string host = "127.0.0.1";
  int port = 6379;
  /// Redis Cluster mode (see the banner). Requires db 0.
  bool cluster = false;
  /// SELECT'ed after connecting when not 0. Redis Cluster only has db 0.
  int db = 0;
  /// `AUTH [username] password` after connecting when either is non-empty
  /// (Redis 6+ ACL user: `AUTH username password`; only a password: the
  /// `requirepass` / `default` user). A refusal (WRONGPASS, a disabled user)
  /// fails every call with kUnavailable naming the user and Redis' reason.
  std::string username;
  std::string password;
  /// Bound on one connection attempt (TCP connect), per call.
  std::chrono::milliseconds connect_timeout{2000};
  /// Bound on each socket read/write of a command (SO_RCVTIMEO/SO_SNDTIMEO).
  std::chrono::milliseconds command_timeout{5000};
  /// First component of every key.
  std::string key_prefix = "sla";
  /// Fields per HSET/HDEL command inside a commit's MULTI (also capped at
  /// about 8 MiB of arguments per command).
  std::size_t write_chunk = 1000;
  /// COUNT hint of each HSCAN during load_partition. Pages of ~10k tickets
  /// (a few MiB) keep a million-ticket restart to ~100 round trips without
  /// one huge reply.
  std::size_t scan_count = 10000;
};

/// Counters for the daemon's probes and for tests. Monotonic.
struct RedisStats {
  std::uint64_t connects = 0;          ///< connections established (incl. AUTH/SELECT)
  std::uint64_t connect_failures = 0;  ///< connection attempts that failed
  std::uint64_t io_errors = 0;         ///< established connections lost (I/O error, timeout)
  std::uint64_t commits = 0;           ///< successful commits
  std::uint64_t stale_commits = 0;     ///< commits rejected with kOutOfRange
  std::uint64_t watch_conflicts = 0;   ///< EXECs aborted by a concurrent writer (retried)
  std::uint64_t moved = 0;              ///< cluster: MOVED redirections followed
  std::uint64_t asked = 0;              ///< cluster: ASK redirections followed
  std::uint64_t try_again = 0;          ///< cluster: TRYAGAIN answers waited out
  std::uint64_t slot_map_refreshes = 0; ///< cluster: CLUSTER SLOTS reads
};

/// The Redis Cluster slot of `key` (CRC16 of its hash tag, mod 16384).
[[nodiscard]] std::uint16_t redis_key_slot(std::string_view key);

/// `<prefix>:{<topic>/<partition>}:t`, the HASH of a partition's tickets.
[[nodiscard]] std::string redis_tickets_key(std::string_view prefix, std::string_view topic,
                                            std::int32_t partition);
/// `<prefix>:{<topic>/<partition>}:offset`, the partition's next input offset.
[[nodiscard]] std::string redis_offset_key(std::string_view prefix, std::string_view topic,
                                           std::int32_t partition);

/// Not thread-safe: it owns its connections; use one RedisStore per thread.
///
/// Connection: lazy. The constructor does no I/O; each call connects first if
/// there is no connection (one attempt bounded by connect_timeout, then AUTH
/// and SELECT). Any I/O error or timeout drops the connection and fails the
/// call with kUnavailable; the next call reconnects. There is no retry loop
/// or backoff inside: the caller (the daemon) paces its retries.
///
/// Offsets: `commit` WATCHes the offset key and refuses (kOutOfRange) a
/// next_offset below the stored one, so an instance that lost a partition
/// cannot roll it back. If another writer changes the partition between the
/// check and EXEC, EXEC is aborted by WATCH and the commit re-checks (a few
/// times, then kUnavailable).
///
/// Atomicity: the TYPE check before MULTI rules out the wrong-type errors
/// that would make EXEC apply part of a transaction; a command refused while
/// queueing (e.g. OOM) aborts the whole EXEC (EXECABORT), nothing written.
class RedisStore final : public StateStore {
 public:
  /// Throws std::invalid_argument on unusable options (empty host, port out
  /// of 1..65535, negative db or timeouts, zero chunk sizes, a key_prefix
  /// with braces). Does not connect.
  explicit RedisStore(RedisOptions options);
  ~RedisStore() override;

  [[nodiscard]] sla::Result<PartitionState> load_partition(std::string_view topic,
                                                           std::int32_t partition) override;
  /// Hands each HSCAN page's tickets to `sink` straight from the reply, while
  /// Redis prepares the next page.
  [[nodiscard]] sla::Result<std::optional<std::int64_t>> load_partition_into(std::string_view topic,
                                                                             std::int32_t partition,
                                                                             const TicketSink& sink) override;
  [[nodiscard]] sla::Result<void> commit(std::string_view topic, std::int32_t partition,
                                         const Batch& batch) override;
  /// DEL of both keys of the partition (one command: same slot).
  [[nodiscard]] sla::Result<void> clear_partition(std::string_view topic,
                                                  std::int32_t partition) override;
  /// PING, connecting first if needed.
  [[nodiscard]] sla::Result<void> ping() override;
  /// A new RedisStore with the same options (its own, lazy connection).
  [[nodiscard]] std::unique_ptr<StateStore> another_connection() const override;

  /// True while a connection is established (no I/O).
  [[nodiscard]] bool connected() const;
  [[nodiscard]] const RedisStats& stats() const;
  [[nodiscard]] const RedisOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sla::store
