// sla-timerd settings: one YAML file (`--config`) with every value also
// settable from `SLA_*` environment variables (environment wins). Wiring
// only: each section is handed to the adapter it configures.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/kafka/config.hpp"
#include "sla/store/redis_store.hpp"

namespace sla::timerd {

struct Topics {
  std::string input = "tickets.events";
  std::string escalations = "sla.escalations";
  std::string pages = "sla.pages";
  std::string deadlines = "sla.deadlines";
  std::string dlq = "sla.dlq";
  /// How the outputs (escalations, pages, deadlines) are encoded:
  /// `protobuf` (binary, the default) or `json` (proto3-JSON, for consumers
  /// without protobuf). Every record says which in its `content-type`
  /// header, and every reader here decodes both (docs/topics.md).
  std::string encoding = "protobuf";
};

struct HttpSettings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::vector<std::string> tokens;  ///< bearer tokens for /v1/*; empty = no auth
  std::uint32_t threads = 2;             ///< I/O threads (at least 2: a slow answer never holds up /healthz)
  std::uint32_t max_connections = 1024;  ///< open connections at most (server.hpp)
  /// Host names served besides IP literals and localhost (sla/http/origin.hpp).
  std::vector<std::string> allowed_hosts;
};

/// How the instances share the input partitions (the `kafka` section beside
/// the connection settings). The defaults make a survivor take over a dead
/// instance's partitions about 7 s after a kill (docs/operations.md, "Failover").
struct GroupSettings {
  /// `session.timeout.ms`: how long the group waits for a silent member
  /// (killed, paused, cut off) before giving its partitions to the others.
  /// 6000 is the broker's least by default (`group.min.session.timeout.ms`).
  std::int64_t session_timeout_ms = 6000;
  /// `heartbeat.interval.ms`: how often a member tells the group it lives,
  /// and so how soon it learns of a rebalance. Below session_timeout_ms.
  std::int64_t heartbeat_interval_ms = 1000;
  /// `partition.assignment.strategy`: `cooperative-sticky` moves only the
  /// partitions that change owner (the others keep being served, their
  /// state stays loaded); `roundrobin` or `range` revoke every partition
  /// on every rebalance. Every member of a group must use the same kind.
  std::string assignment_strategy = "cooperative-sticky";
};

struct Config {
  std::string policy_path = "deploy/policies/sample.yaml";
  kafka::KafkaConfig kafka;
  GroupSettings group;
  store::RedisOptions redis;
  Topics topics;
  HttpSettings http;
  /// Longest wait in one Kafka poll; timers are served at least this often.
  std::int64_t poll_ms = 50;
  /// How long outputs may go unacknowledged before readiness turns false
  /// (the commits wait for them meanwhile; only an output that failed for
  /// good stops the daemon), and how long SIGTERM or a revocation waits for
  /// the last commit before leaving it to the next start.
  std::int64_t flush_timeout_ms = 30'000;
  /// --embedded only: partitions of the input topic on the in-process broker.
  int embedded_partitions = 4;
  /// Consumption limit in events per second, 0 = none. Caps how fast a
  /// backlog (after downtime, or a replayed topic) is worked through, so the
  /// Kafka and Redis traffic and the catch-up outputs come at a rate the
  /// rest of the pipeline takes; the end-to-end tests use it to kill and
  /// rebalance in the middle of a stream.
  std::int64_t max_events_per_second = 0;
  /// Most input events handled per loop (one Kafka poll). Bigger loops
  /// amortise the per-loop work while a backlog is worked through; a timer
  /// due meanwhile waits for the loop (~4-5 us per event: a full loop of
  /// 20000 is ~80-100 ms). Live traffic makes small loops whatever this is.
  std::int64_t poll_batch = 20000;
  /// How often the tickets changed since the last commit are snapshotted to
  /// `sla.deadlines` and committed to the store with the input offsets, once
  /// the outputs they record are acknowledged (sla/pipeline/committer.hpp). Changes to one
  /// ticket within the interval make one snapshot and one store write; a
  /// crash replays at most about this much input. Outputs do not wait for it.
  std::int64_t commit_interval_ms = 200;
  /// `linger.ms` of the second producer, which carries what no one waits on
  /// by the millisecond: `sla.deadlines` snapshots, dead letters, and outputs
  /// fired more than 1 s after they were due (a backlog being worked
  /// through). Longer batches cost the broker and librdkafka far less per
  /// record; live outputs keep the first producer's `linger.ms` (5).
  std::int64_t bulk_linger_ms = 100;
  /// Threads that apply the partitions' events and fire their timers (each
  /// partition on one thread at a time, in order; partitions in parallel).
  /// 0: one per core, at most 8.
  std::int64_t apply_threads = 0;
  /// The largest dead letter (key + payload + headers) sent with its body;
  /// a larger one goes without it, as reason `oversize` (kafka::DeadLetter).
  /// At or below the producer's `message.max.bytes` (the lower one is used)
  /// and the DLQ topic's `max.message.bytes`; a dead letter the broker
  /// refuses as too large is sent again without its body anyway.
  std::int64_t dlq_max_bytes = 1'000'000;
  /// How long an assignment may wait for the store to load a partition's
  /// state (retried with backoff meanwhile, /readyz false). Past it the
  /// daemon stops with an error (exit 1): its partitions go to the other
  /// members, and the orchestrator restarts it.
  std::int64_t assign_timeout_ms = 60'000;
  /// `max_lateness` (a duration: "7d", "36h"): an event up to this much older
  /// than its ticket's newest event is applied exactly; an older one goes to
  /// the DLQ with reason `too_late` (SPEC 5.3; engine::EngineOptions).
  std::int64_t max_lateness_ms = 7LL * 24 * 3600 * 1000;
  /// The most clock outcomes /v1/reports/compliance keeps in memory (about
  /// 300 bytes each, read from `sla.escalations`); past it reports say they
  /// are incomplete. 0: no compliance reports (and `sla.escalations` is not
  /// read).
  std::int64_t report_max_clocks = 1'000'000;
  /// Niceness added to the threads that read `sla.deadlines` and
  /// `sla.escalations` into the HTTP views (0-19; 0: same as the loop). With
  /// the cores busy the loop and its workers go first (timers, outputs,
  /// commits) and the views catch up after; their lag is in every view
  /// response and in sla_view_lag_seconds.
  std::int64_t views_nice = 10;
};

/// Reads `path` (empty: defaults only) and lays the environment over it.
/// Errors name the file and the key. Known variables: SLA_POLICY,
/// SLA_HTTP_ADDRESS, SLA_HTTP_PORT, SLA_HTTP_TOKENS (comma-separated),
/// SLA_HTTP_ALLOWED_HOSTS (comma-separated),
/// SLA_TOPIC_INPUT/ESCALATIONS/PAGES/DEADLINES/DLQ, SLA_TOPIC_ENCODING, SLA_REDIS_HOST/PORT/DB/
/// USERNAME/PASSWORD/KEY_PREFIX, SLA_POLL_MS, SLA_POLL_BATCH, SLA_COMMIT_INTERVAL_MS, SLA_BULK_LINGER_MS, SLA_APPLY_THREADS, SLA_MAX_EVENTS_PER_SECOND,
/// SLA_DLQ_MAX_BYTES, SLA_ASSIGN_TIMEOUT_MS, SLA_REPORT_MAX_CLOCKS, SLA_VIEWS_NICE,
/// SLA_MAX_LATENESS (a duration), SLA_KAFKA_SESSION_TIMEOUT_MS,
/// SLA_KAFKA_HEARTBEAT_INTERVAL_MS, SLA_KAFKA_ASSIGNMENT_STRATEGY, and
/// SLA_KAFKA_* (kafka::with_env, e.g. SLA_KAFKA_GROUP_INSTANCE_ID).
[[nodiscard]] sla::Result<Config> load_config(const std::string& path, const kafka::Environment& env);

}  // namespace sla::timerd
