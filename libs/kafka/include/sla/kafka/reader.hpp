// sla::kafka::Reader: reads every partition of one topic from the beginning,
// outside any consumer group (`rd_kafka_assign`, no subscription, no
// commits): the materialised view of a compacted topic such as
// `sla.deadlines`, which every instance reads whole. Not a group member (see
// consumer.hpp) and not thread-safe: one thread calls poll() and the rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/kafka/config.hpp"
#include "sla/kafka/handles.hpp"

namespace sla::kafka {

/// One record as poll() returns it. `value` is nullopt for a tombstone (a
/// null value: the key was deleted). Views into librdkafka's buffers, valid
/// until the next poll().
struct ReaderRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::optional<std::string_view> value;
  std::int64_t timestamp_ms = -1;  ///< the record's timestamp, -1 if none
  /// The record's last `content-type` header (how its value is encoded),
  /// empty when it has none.
  std::string_view content_type;
};

/// What one poll() returned.
struct ReaderBatch {
  std::vector<ReaderRecord> records;
  /// Partitions that reached their end (the log end offset at the time) in
  /// this poll; each is reported again every time it catches up anew.
  std::vector<std::int32_t> at_end;
};

class Reader {
 public:
  /// Builds the client (`rd_kafka_new`, RD_KAFKA_CONSUMER with
  /// `enable.partition.eof=true`, no commits), looks the topic's partitions
  /// up (`rd_kafka_metadata`, waiting up to `metadata_timeout`) and assigns
  /// them all from the beginning. KafkaConfig::group_id is not used (no
  /// group is joined). kUnavailable if the metadata does not come, kNotFound
  /// if the topic does not exist.
  [[nodiscard]] static Result<std::unique_ptr<Reader>> create(const KafkaConfig& config, std::string topic,
                                                              std::chrono::milliseconds metadata_timeout);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// Waits up to `timeout` for records and returns at most `max_records`
  /// (`rd_kafka_consume_batch_queue`). The previous batch's views die here.
  [[nodiscard]] const ReaderBatch& poll(std::chrono::milliseconds timeout, std::size_t max_records = 2000);

  [[nodiscard]] std::int32_t partitions() const noexcept { return partitions_; }
  [[nodiscard]] const std::string& topic() const noexcept { return topic_; }

 private:
  Reader() = default;
  void release();

  ClientHandle client_;
  rd_kafka_queue_t* queue_ = nullptr;
  std::string topic_;
  std::int32_t partitions_ = 0;
  std::vector<rd_kafka_message_t*> held_;  ///< the last batch's messages
  ReaderBatch batch_;
};

}  // namespace sla::kafka
