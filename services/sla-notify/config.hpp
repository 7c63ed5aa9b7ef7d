// sla-notify settings: one YAML file (`--config`) with every value also
// settable from `SLA_NOTIFY_*` environment variables (environment wins; the
// Kafka connection also from `SLA_KAFKA_*`). Wiring only: each section is
// handed to the adapter it configures. The routes (destinations and rules)
// are a separate file (`routes:`), read by sla::notify::load_routes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/kafka/config.hpp"

namespace sla::notify_service {

struct Topics {
  std::string pages = "sla.pages";              ///< PageEvent, consumed
  std::string escalations = "sla.escalations";  ///< SlaEvent, consumed when a route takes notices
  std::string input = "tickets.events";         ///< page_acknowledged is produced here
  std::string dlq = "sla.notify.dlq";           ///< deliveries that failed for good, undecodable records
};

struct HttpSettings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8081;
  /// Host names served besides IP literals and localhost (sla/http/origin.hpp);
  /// the PagerDuty webhook, signed, is exempt.
  std::vector<std::string> allowed_hosts;
};

struct Config {
  std::string routes_path = "deploy/config/notify-routes.yaml";
  kafka::KafkaConfig kafka;
  Topics topics;
  HttpSettings http;
  /// PEM bundle of CAs trusted for destinations; "" = the system store.
  std::string ca_file;
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t request_timeout_ms = 10'000;
  /// Threads running the HTTPS client (>= 1).
  int io_threads = 2;
  /// Shared secret of the PagerDuty v3 webhook subscription; "" disables
  /// `POST /v1/pagerduty/webhook`.
  std::string pagerduty_webhook_secret;
  /// Longest wait in one Kafka poll when nothing is in flight.
  std::int64_t poll_ms = 50;
  /// How often delivered offsets are committed to the group.
  std::int64_t commit_interval_ms = 1'000;
  /// SIGTERM: how long in-flight and queued deliveries may take to finish
  /// before the daemon commits what is done and exits.
  std::int64_t drain_timeout_ms = 15'000;
};

/// Reads `path` (may be "": defaults) and lays `env` over it. Errors name
/// file:line:col or the variable.
[[nodiscard]] Result<Config> load_config(const std::string& path, const kafka::Environment& env);

}  // namespace sla::notify_service
