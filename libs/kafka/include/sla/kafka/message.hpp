// Value types exchanged with the daemon: a consumed message, a header, a
// topic-partition with an offset. Plain copies of the bytes: no librdkafka
// handle escapes, so the daemon and its tests can build them freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sla::kafka {

/// Special offsets (librdkafka's values).
inline constexpr std::int64_t kOffsetBeginning = -2;  ///< RD_KAFKA_OFFSET_BEGINNING
inline constexpr std::int64_t kOffsetEnd = -1;        ///< RD_KAFKA_OFFSET_END
inline constexpr std::int64_t kOffsetStored = -1000;  ///< RD_KAFKA_OFFSET_STORED: the group's committed offset, else auto.offset.reset

/// A Kafka record header. `value` is bytes; a null header value reads as "".
struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

/// One partition of one topic, with an offset whose meaning depends on use:
/// the start offset on assignment, the next offset to consume on commit.
struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = kOffsetStored;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

/// A consumed record, copied out of librdkafka.
struct Message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;      ///< bytes; "" when the record has no key
  std::string payload;  ///< bytes (protobuf or JSON); "" for a null value
  std::vector<Header> headers;  ///< in record order; names may repeat
  /// Record timestamp, ms since the Unix epoch (create or log-append time);
  /// nullopt when the record has none.
  std::optional<std::int64_t> timestamp_ms;

  /// The value of the last header called `name`, if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// Messages of one poll, kept between polls so that their strings' storage
/// is reused (Consumer::poll(timeout, batch)). Element i < size() is valid.
class MessageBatch {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const Message& operator[](std::size_t i) const { return slots_[i]; }
  [[nodiscard]] const Message* begin() const noexcept { return slots_.data(); }
  [[nodiscard]] const Message* end() const noexcept { return slots_.data() + size_; }
  /// Forgets the messages (keeps their storage).
  void clear() noexcept { size_ = 0; }
  /// A slot for one more message: a used Message whose fields the caller
  /// overwrites, every one of them.
  Message& next() {
    if (size_ == slots_.size()) slots_.emplace_back();
    return slots_[size_++];
  }

 private:
  std::vector<Message> slots_;
  std::size_t size_ = 0;
};

}  // namespace sla::kafka
