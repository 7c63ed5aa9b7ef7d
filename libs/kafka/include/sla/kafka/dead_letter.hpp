// sla::kafka::DeadLetter: sends input the daemon could not use to the DLQ
// topic, unchanged (same key, payload and headers), with headers naming why
// and where it came from. Not a retry queue: nothing reads it back.
//
// A dead letter must never be refused, or the input record it stands for
// could stop its partition (SPEC 5.3). So a record that would be larger than
// the DLQ takes (`max_bytes`, at or below the producer's
// `message.max.bytes`; or refused by the broker, whose topic limit
// `max.message.bytes` may be lower) is sent in a smaller form: first without
// its payload, then also with its key cut to kMaxKeyBytes and without its
// own headers. Those forms carry the reason `oversize`, the reason the
// record was dead-lettered for in `sla-dlq-original-reason`, and what was
// left out in `sla-dlq-dropped`; the source topic/partition/offset always
// name the original, which stays readable in the input topic while its
// retention lasts.
//
// The broker refuses a whole batch when it is too large, so a refused dead
// letter may only have shared a batch with a large one: it is first sent
// again in the same form (header `sla-dlq-refusals` counts the refusals of
// that form), unless it is a whole one of more than kRetryWholeBytes; one
// refused again is sent smaller. The smallest form, refused kMaxRefusals
// times, is given up (logged, counted by dropped()): the caller then settles
// it as delivered, so that no record, however large or however many, stops
// the daemon.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/kafka/message.hpp"
#include "sla/kafka/producer.hpp"

namespace sla::kafka {

/// DLQ header names. The values are UTF-8 text.
inline constexpr std::string_view kDlqReasonHeader = "sla-dlq-reason";            ///< machine-readable reason, e.g. `undecodable`, `unknown_plan`
inline constexpr std::string_view kDlqErrorHeader = "sla-dlq-error";              ///< human-readable error message (at most kMaxErrorBytes)
inline constexpr std::string_view kDlqSourceTopicHeader = "sla-source-topic";     ///< topic the record was consumed from
inline constexpr std::string_view kDlqSourcePartitionHeader = "sla-source-partition";  ///< its partition, decimal
inline constexpr std::string_view kDlqSourceOffsetHeader = "sla-source-offset";   ///< its offset, decimal
/// Only on a dead letter sent in a smaller form (reason `oversize`):
inline constexpr std::string_view kDlqOriginalReasonHeader = "sla-dlq-original-reason";  ///< why it was dead-lettered
inline constexpr std::string_view kDlqDroppedHeader = "sla-dlq-dropped";  ///< `payload`, or `payload,headers,key` (key cut)
inline constexpr std::string_view kDlqSourceBytesHeader = "sla-source-bytes";  ///< the original's key + payload + headers, decimal
/// Only on a dead letter sent again in the same form after the broker
/// refused its batch: how many times it was refused in that form.
inline constexpr std::string_view kDlqRefusalsHeader = "sla-dlq-refusals";

/// The reason a dead letter sent in a smaller form carries.
inline constexpr std::string_view kOversizeReason = "oversize";

/// Produces dead letters through a shared Producer (which must outlive it).
/// Delivery is the producer's: flush() the producer before committing the
/// offset past a dead letter. Thread-safety: as Producer; take_refused() may
/// run on any thread that polls the producer.
class DeadLetter {
 public:
  /// librdkafka's default `message.max.bytes` (the broker's default
  /// `max.message.bytes` is a little higher).
  static constexpr std::size_t kDefaultMaxBytes = 1'000'000;
  /// The key of the smallest form is cut to this many bytes.
  static constexpr std::size_t kMaxKeyBytes = 256;
  /// The error header is cut to this many bytes (it may quote the input).
  static constexpr std::size_t kMaxErrorBytes = 1024;
  /// A refused dead letter up to this size (its original's key + payload +
  /// headers) is first sent again as it was: it may only have shared its
  /// batch with a large one.
  static constexpr std::size_t kRetryWholeBytes = 64 * 1024;
  /// Refusals of the smallest form before the dead letter is given up.
  static constexpr int kMaxRefusals = 3;

  /// How much of the original a dead letter carries.
  enum class Form : std::uint8_t {
    kWhole,     ///< key, payload and headers, unchanged
    kBodiless,  ///< key and headers; no payload
    kMinimal,   ///< the key cut to kMaxKeyBytes; no payload, no original headers
  };

  /// `max_bytes`: the largest dead letter sent whole (key + payload +
  /// headers, with an allowance for the record's framing); set it at or
  /// below the producer's `message.max.bytes`.
  DeadLetter(Producer& producer, std::string topic, std::size_t max_bytes = kDefaultMaxBytes)
      : producer_(producer), topic_(std::move(topic)), max_bytes_(max_bytes) {}

  /// Produces `original`'s key, payload and headers to the DLQ topic, with
  /// the five `sla-*` headers appended, in the largest form within
  /// `max_bytes` (a smaller one if the producer refuses it as too large at
  /// once). `tag` is passed to the delivery report. Returns the form sent;
  /// fails as Producer::produce otherwise.
  [[nodiscard]] Result<Form> send(const Message& original, std::string_view reason, std::string_view error,
                                  std::uint64_t tag = 0);

  /// What take_refused() did with a failed delivery report.
  enum class Refusal : std::uint8_t {
    kNotTaken,  ///< not a dead letter of this topic refused as too large: the caller handles the failure
    kResent,    ///< queued again (same or smaller form, same tag): the replacement's report settles it
    kGivenUp,   ///< the smallest form refused kMaxRefusals times: logged and dropped; settle it as delivered
  };
  /// To be called with every failed delivery report of the producer (from
  /// its DeliveryHandler); see the file comment for what is sent again.
  [[nodiscard]] Refusal take_refused(const DeliveryReport& report);

  /// Produces the replacements queued by take_refused(), outside the
  /// delivery callback (call it after polling the producer). One refused at
  /// once is sent smaller still; one that cannot be produced at all is
  /// passed to `failed` with its tag and the error. Returns how many were
  /// sent.
  std::size_t send_replacements(const std::function<void(std::uint64_t tag, const Error& error)>& failed);

  /// Dead letters enqueued since creation (replacements not counted again).
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(); }
  /// Dead letters sent in a smaller form than whole, at once or as a
  /// replacement of one the broker refused.
  [[nodiscard]] std::uint64_t shrunk() const noexcept { return shrunk_.load(); }
  /// Dead letters given up (kGivenUp).
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(); }
  [[nodiscard]] const std::string& topic() const noexcept { return topic_; }
  [[nodiscard]] std::size_t max_bytes() const noexcept { return max_bytes_; }

  /// What a dead letter says about its original, whatever its form.
  struct Letter {
    std::string key;
    std::string payload;
    std::vector<Header> headers;  ///< the original's own headers
    std::string reason;           ///< why it was dead-lettered
    std::string error;
    std::string source_topic;
    std::string source_partition;
    std::string source_offset;
    std::size_t source_bytes = 0;  ///< the original's key + payload + headers
    int refusals = 0;              ///< of the form about to be sent
  };

 private:
  /// Produces `letter` in `form` or, refused at once as too large, smaller.
  [[nodiscard]] Result<Form> produce(const Letter& letter, Form form, std::uint64_t tag);

  Producer& producer_;
  std::string topic_;
  std::size_t max_bytes_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> shrunk_{0};
  std::atomic<std::uint64_t> dropped_{0};
  struct Replacement {
    Letter letter;
    Form form = Form::kBodiless;
    std::uint64_t tag = 0;
  };
  std::mutex mu_;
  std::vector<Replacement> replacements_;  // guarded by mu_
};

}  // namespace sla::kafka
