// RAII owners of librdkafka C handles, and the conversion of librdkafka
// errors to sla::Error. Not a C++ binding of librdkafka: only the handles
// this library needs, each a std::unique_ptr with a deleter naming the C call.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>

#include "sla/base/result.hpp"

namespace sla::kafka {

/// Destroys a client with `rd_kafka_destroy`. A consumer must be closed
/// (`rd_kafka_consumer_close`) before; Consumer does that.
struct ClientDeleter {
  void operator()(rd_kafka_t* rk) const noexcept;
};
/// Owns an `rd_kafka_t` (from `rd_kafka_new`). Move-only.
using ClientHandle = std::unique_ptr<rd_kafka_t, ClientDeleter>;

/// Destroys a configuration with `rd_kafka_conf_destroy`. Ownership passes to
/// librdkafka on a successful `rd_kafka_new`: release() it then.
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept;
};
/// Owns an `rd_kafka_conf_t` (from `rd_kafka_conf_new`). Move-only.
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

/// Destroys a partition list with `rd_kafka_topic_partition_list_destroy`.
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const noexcept;
};
/// Owns an `rd_kafka_topic_partition_list_t`. Move-only.
using PartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

/// Destroys an error object with `rd_kafka_error_destroy`.
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const noexcept;
};
/// Owns an `rd_kafka_error_t` (returned by the newer librdkafka calls).
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

/// Returns a message to librdkafka with `rd_kafka_message_destroy`.
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const noexcept;
};
/// Owns an `rd_kafka_message_t` (from `rd_kafka_consumer_poll`). Move-only.
using MessageHandle = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

/// Destroys a headers list with `rd_kafka_headers_destroy`.
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const noexcept;
};
/// Owns an `rd_kafka_headers_t`; released when produce takes ownership.
using HeadersHandle = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;

/// A new configuration with every property of `properties` set
/// (`rd_kafka_conf_set`). Fails with kInvalidArgument naming the property and
/// librdkafka's reason (the value is not echoed: it may be a password).
[[nodiscard]] Result<ConfHandle> make_conf(const std::map<std::string, std::string>& properties);

/// sla::Error for a librdkafka error code: kUnavailable for transport,
/// timeout and broker-side errors, kInvalidArgument for configuration and
/// argument errors, kInternal otherwise. `context` prefixes the message.
[[nodiscard]] Error to_error(rd_kafka_resp_err_t err, const std::string& context);

}  // namespace sla::kafka
