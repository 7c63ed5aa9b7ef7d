// sla::kafka::KafkaConfig: the connection settings shared by the consumer and
// the producer, and their overlay from `SLA_KAFKA_*` environment variables.
// Not the topic names (the daemon's config owns those) and not the fixed
// semantics (manual offsets, idempotence), which Consumer/Producer enforce.
#pragma once

#include <map>
#include <string>

#include "sla/base/result.hpp"

namespace sla::kafka {

/// Connection settings. Every field maps to one librdkafka property; empty
/// strings are not passed to librdkafka (its default applies).
struct KafkaConfig {
  /// `bootstrap.servers`: comma-separated `host:port` list.
  std::string brokers = "localhost:9092";
  /// `security.protocol`: `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`.
  std::string security_protocol = "plaintext";
  /// `sasl.mechanisms`: `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` (empty: none).
  std::string sasl_mechanism;
  /// `sasl.username` (empty: not set).
  std::string sasl_username;
  /// `sasl.password` (empty: not set). Never logged.
  std::string sasl_password;
  /// `group.id`: the consumer group; every instance of the daemon shares it.
  /// Only the consumer uses it.
  std::string group_id = "sla-timerd";
  /// `group.instance.id` (consumer only; empty: not set): static group
  /// membership. A member that restarts under the same id within the
  /// session timeout gets its partitions back without a rebalance; a static
  /// member does not leave the group when it closes, so its partitions move
  /// only after `session.timeout.ms`. Two live members with one id fence
  /// each other (a fatal error for the older one): one id per instance.
  std::string group_instance_id;
  /// `client.id`: shows up in broker logs and quotas.
  std::string client_id = "sla-timerd";
  /// Any other librdkafka property (`ssl.ca.location`, `socket.timeout.ms`,
  /// ...). Applied after the fields above and the library defaults, so it can
  /// override a default; it cannot override the semantics the consumer and
  /// producer enforce (see their headers).
  std::map<std::string, std::string> properties;
};

/// Environment variables as name -> value (testable stand-in for `environ`).
using Environment = std::map<std::string, std::string>;

/// The process environment (`environ`), for `with_env`.
[[nodiscard]] Environment process_environment();

/// Returns `base` with `SLA_KAFKA_*` variables of `env` laid over it:
/// `SLA_KAFKA_BROKERS`, `SLA_KAFKA_SECURITY_PROTOCOL`,
/// `SLA_KAFKA_SASL_MECHANISM`, `SLA_KAFKA_SASL_USERNAME`,
/// `SLA_KAFKA_SASL_PASSWORD`, `SLA_KAFKA_GROUP_ID`, `SLA_KAFKA_GROUP_INSTANCE_ID`,
/// `SLA_KAFKA_CLIENT_ID`, and
/// `SLA_KAFKA_PROPERTY_<NAME>` for any librdkafka property, where `<NAME>` is
/// the property in upper case with dots as underscores
/// (`SLA_KAFKA_PROPERTY_SOCKET_TIMEOUT_MS=5000` -> `socket.timeout.ms`).
/// Variables that are set but empty are applied (they clear the field).
[[nodiscard]] KafkaConfig with_env(KafkaConfig base, const Environment& env);

/// The librdkafka properties of `config` (the fields except `group_id` and
/// `group_instance_id`, which only Consumer sets, then `properties`), as name -> value. `sasl.password`
/// is included; callers that log must redact it.
[[nodiscard]] std::map<std::string, std::string> to_properties(const KafkaConfig& config);

}  // namespace sla::kafka
