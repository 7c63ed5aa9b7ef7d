// sla::kafka::Producer: an idempotent producer (`enable.idempotence=true`,
// `acks=all`) with delivery reports and a flush that says whether everything
// produced so far was acknowledged. The daemon commits state only after the
// outputs it records are acknowledged. Not a transactional producer.
//
// Thread-safety: produce(), poll() and flush() may be called from any thread;
// delivery reports (and the DeliveryHandler) run on the thread inside
// produce() (unless ProducerOptions::poll_on_produce is off), poll() or
// flush(). Counters are atomic.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/kafka/config.hpp"
#include "sla/kafka/handles.hpp"
#include "sla/kafka/message.hpp"

namespace sla::kafka {

/// The outcome of one produced message.
struct DeliveryReport {
  std::string_view topic;      ///< valid during the DeliveryHandler call only
  std::int32_t partition = -1;
  std::int64_t offset = -1;    ///< the record's offset; -1 on failure
  std::uint64_t tag = 0;       ///< the caller's tag from produce()
  std::optional<Error> error;  ///< set when the message was not delivered
  /// The broker or the client refused the record as too large (librdkafka's
  /// MSG_SIZE_TOO_LARGE, or the broker's RECORD_LIST_TOO_LARGE).
  bool too_large = false;
  /// Only when `error` is set (no cost per delivered record): the record's
  /// key and payload (valid during the call) and its headers, so that a
  /// caller can send a replacement (kafka::DeadLetter::take_refused).
  std::string_view key;
  std::string_view payload;
  std::vector<Header> headers;
};

/// Called once per produced message, with its outcome.
using DeliveryHandler = std::function<void(const DeliveryReport&)>;

/// Producer settings beyond the connection.
struct ProducerOptions {
  DeliveryHandler on_delivery;  ///< may be empty: outcomes are only counted
  /// How long produce() waits for room when the local queue is full
  /// (`queue.buffering.max.messages`) before failing with kUnavailable.
  std::chrono::milliseconds enqueue_timeout{10'000};
  /// Whether produce() also serves the delivery reports that are due
  /// (`rd_kafka_poll(0)` after each record), for callers that never poll.
  /// A caller that polls on its own (the daemon's loop) turns it off and
  /// saves a queue round trip per record.
  bool poll_on_produce = true;
};

/// Idempotent producer. Enforces `enable.idempotence=true`, `acks=all`;
/// defaults `linger.ms=5`, `compression.type=lz4`, `partitioner=murmur2_random` (the Java client's
/// partitioner: a ticket's key lands on the same partition from any client).
/// `message.timeout.ms` (default 300000) bounds how long a message is retried
/// across broker outages before it fails. Non-copyable, non-movable.
class Producer {
 public:
  /// Builds the client (`rd_kafka_new`, RD_KAFKA_PRODUCER). Fails with
  /// kInvalidArgument on a bad property, kUnavailable otherwise. Does not
  /// wait for the broker. `config.group_id` is not used.
  [[nodiscard]] static Result<std::unique_ptr<Producer>> create(const KafkaConfig& config,
                                                                ProducerOptions options = {});
  /// Waits up to 5 s for outstanding messages (`rd_kafka_flush`), then
  /// destroys the client; undelivered messages are counted as failed.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  Producer(Producer&&) = delete;
  Producer& operator=(Producer&&) = delete;

  /// Enqueues one record (`rd_kafka_produceva`, copying key, payload and
  /// headers) for `topic`, partitioned by `key` (empty key: no key, random
  /// partition). Asynchronous: the outcome arrives as a delivery report.
  /// Waits up to `enqueue_timeout` while the local queue is full. Fails with
  /// kUnavailable (queue full, fatal producer error) or kInvalidArgument
  /// (message too large, unknown partition); a failed produce gets no report.
  [[nodiscard]] Result<void> produce(const std::string& topic, std::string_view key,
                                     std::string_view payload, std::span<const Header> headers = {},
                                     std::uint64_t tag = 0);

  /// Serves delivery reports that are due (`rd_kafka_poll`), waiting up to
  /// `timeout` for the first. Call it regularly when not flushing.
  void poll(std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

  /// Waits until every message produced so far is acknowledged or failed
  /// (`rd_kafka_flush`), serving their delivery reports. Ok only if none
  /// failed since the previous flush() and none is still in flight. Fails
  /// with kUnavailable: "N messages failed: <first error>" (each failure is
  /// reported by exactly one flush) or "N messages not acknowledged after T"
  /// (they stay queued and are retried; flush again).
  [[nodiscard]] Result<void> flush(std::chrono::milliseconds timeout);

  /// Messages acknowledged by the broker since creation.
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_.load(); }
  /// Messages that failed for good since creation.
  [[nodiscard]] std::uint64_t failed() const noexcept { return failed_.load(); }
  /// Messages (and protocol requests) not yet acknowledged (`rd_kafka_outq_len`).
  [[nodiscard]] std::int64_t in_flight() const noexcept;

  /// The underlying handle, for calls this class does not wrap.
  [[nodiscard]] rd_kafka_t* raw() const noexcept { return client_.get(); }

 private:
  explicit Producer(ProducerOptions options);
  static void delivery_trampoline(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque) noexcept;
  void on_delivery(const rd_kafka_message_t* message) noexcept;

  /// The handle of `topic` (created on first use), or nullptr past
  /// kMaxTopics topics. Thread-safe.
  rd_kafka_topic_t* topic_handle(const std::string& topic);

  struct TopicEntry {
    std::string name;
    rd_kafka_topic_t* handle = nullptr;
  };
  static constexpr std::size_t kMaxTopics = 16;

  ProducerOptions options_;
  ClientHandle client_;
  /// Topic handles, filled in order and kept until the destructor; read
  /// without a lock, written under topics_mutex_.
  std::array<std::atomic<const TopicEntry*>, kMaxTopics> topics_{};
  std::mutex topics_mutex_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::mutex failures_mutex_;
  std::uint64_t failed_since_flush_ = 0;  // guarded by failures_mutex_
  std::string first_failure_;             // guarded by failures_mutex_
};

}  // namespace sla::kafka
