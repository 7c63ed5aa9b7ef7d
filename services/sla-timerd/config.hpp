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
};

struct HttpSettings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::vector<std::string> tokens;  ///< bearer tokens for /v1/*; empty = no auth
};

struct Config {
  std::string policy_path = "deploy/policies/sample.yaml";
  kafka::KafkaConfig kafka;
  store::RedisOptions redis;
  Topics topics;
  HttpSettings http;
  /// Longest wait in one Kafka poll; timers are served at least this often.
  std::int64_t poll_ms = 50;
  /// How long a flush of outputs may take before the daemon gives up (and
  /// exits, so a restart resumes from the last committed state).
  std::int64_t flush_timeout_ms = 30'000;
  /// --embedded only: partitions of the input topic on the in-process broker.
  int embedded_partitions = 4;
  /// Consumption limit in events per second, 0 = none. Caps how fast a
  /// backlog (after downtime, or a replayed topic) is worked through, so the
  /// Kafka and Redis traffic and the catch-up outputs come at a rate the
  /// rest of the pipeline takes; the end-to-end tests use it to kill and
  /// rebalance in the middle of a stream.
  std::int64_t max_events_per_second = 0;
  /// Most input events handled per loop. Each loop ends with one flush
  /// (waiting for Kafka's acks) and one Redis commit per partition, so
  /// bigger loops amortise those waits while a backlog is worked through;
  /// timers due meanwhile wait for the loop (tens of us per event). 5000
  /// measured no faster than 1000 on the project VM (docs/benchmarks.md).
  std::int64_t poll_batch = 1000;
};

/// Reads `path` (empty: defaults only) and lays the environment over it.
/// Errors name the file and the key. Known variables: SLA_POLICY,
/// SLA_HTTP_ADDRESS, SLA_HTTP_PORT, SLA_HTTP_TOKENS (comma-separated),
/// SLA_TOPIC_INPUT/ESCALATIONS/PAGES/DEADLINES/DLQ, SLA_REDIS_HOST/PORT/DB/
/// USERNAME/PASSWORD/KEY_PREFIX, SLA_POLL_MS, SLA_POLL_BATCH, SLA_MAX_EVENTS_PER_SECOND, and
/// SLA_KAFKA_* (kafka::with_env).
[[nodiscard]] sla::Result<Config> load_config(const std::string& path, const kafka::Environment& env);

}  // namespace sla::timerd
