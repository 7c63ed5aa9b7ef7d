// sla::kafka::DeadLetter: sends input the daemon could not use to the DLQ
// topic, unchanged (same key, payload and headers), with headers naming why
// and where it came from. Not a retry queue: nothing reads it back.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "sla/base/result.hpp"
#include "sla/kafka/message.hpp"
#include "sla/kafka/producer.hpp"

namespace sla::kafka {

/// DLQ header names. The values are UTF-8 text.
inline constexpr std::string_view kDlqReasonHeader = "sla-dlq-reason";            ///< machine-readable reason, e.g. `undecodable`, `unknown_plan`
inline constexpr std::string_view kDlqErrorHeader = "sla-dlq-error";              ///< human-readable error message
inline constexpr std::string_view kDlqSourceTopicHeader = "sla-source-topic";     ///< topic the record was consumed from
inline constexpr std::string_view kDlqSourcePartitionHeader = "sla-source-partition";  ///< its partition, decimal
inline constexpr std::string_view kDlqSourceOffsetHeader = "sla-source-offset";   ///< its offset, decimal

/// Produces dead letters through a shared Producer (which must outlive it).
/// Delivery is the producer's: flush() the producer before committing the
/// offset past a dead letter. Thread-safety: as Producer.
class DeadLetter {
 public:
  DeadLetter(Producer& producer, std::string topic) : producer_(producer), topic_(std::move(topic)) {}

  /// Produces `original`'s key, payload and headers to the DLQ topic, with
  /// the five `sla-*` headers appended. `tag` is passed to the delivery
  /// report. Fails as Producer::produce.
  [[nodiscard]] Result<void> send(const Message& original, std::string_view reason,
                                  std::string_view error, std::uint64_t tag = 0);

  /// Dead letters enqueued since creation.
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(); }
  [[nodiscard]] const std::string& topic() const noexcept { return topic_; }

 private:
  Producer& producer_;
  std::string topic_;
  std::atomic<std::uint64_t> sent_{0};
};

}  // namespace sla::kafka
