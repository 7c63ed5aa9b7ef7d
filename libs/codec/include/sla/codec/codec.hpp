// Codec: the only place protobuf meets the core. Decodes TicketEvent
// (protobuf binary or proto3-JSON) into engine::TicketEvent with validation,
// and encodes engine outputs as SlaEvent / PageEvent (binary or proto3-JSON).
// Not a transport: no Kafka, no I/O. Stateless and thread-safe (each thread
// encodes and decodes in an arena of its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/engine/engine.hpp"
#include "sla/engine/types.hpp"

namespace sla::codec {

/// How a payload is encoded; from the Kafka `content-type` header.
enum class ContentType : std::uint8_t { kProtobuf, kJson };

/// `application/json` (any parameters) -> kJson, anything else -> kProtobuf.
[[nodiscard]] ContentType content_type_from_header(std::string_view header_value);

/// The headers every output record carries (docs/topics.md). Names are
/// lower case like the input's `content-type`; values are ASCII.
inline constexpr std::string_view kContentTypeHeader = "content-type";  ///< kProtobufMediaType or kJsonMediaType
inline constexpr std::string_view kTypeHeader = "sla-type";      ///< the value's message, e.g. `sla.v1.SlaEvent`
inline constexpr std::string_view kSchemaHeader = "sla-schema";  ///< the wire contract's version: kSchemaVersion
inline constexpr std::string_view kSchemaVersion = "1";          ///< proto/sla/v1
inline constexpr std::string_view kProtobufMediaType = "application/x-protobuf";
inline constexpr std::string_view kJsonMediaType = "application/json";

/// kProtobufMediaType or kJsonMediaType.
[[nodiscard]] std::string_view media_type(ContentType type);

/// Wire message types that tools can render as JSON.
enum class WireType : std::uint8_t { kTicketEvent, kSlaEvent, kPageEvent, kTicketDeadlines };

/// The message's full protobuf name, the `sla-type` header: `sla.v1.SlaEvent`, ...
[[nodiscard]] std::string_view message_type_name(WireType type);

/// Why an input could not be used. The string form is the DLQ reason header
/// and the metrics label, so it is stable.
enum class DecodeFailure : std::uint8_t {
  kOversize,          ///< larger than Limits::max_bytes
  kUndecodable,       ///< not valid protobuf / proto3-JSON
  kMissingField,      ///< event_id, ticket_id, occurred_at or the event kind missing
  kInvalidField,      ///< a field present but unusable (empty plan on opened, ...)
  kAbsurdTimestamp,   ///< occurred_at before Limits::min_time or too far after now
  kFieldTooLong,      ///< a string field longer than its Limits bound, or too many labels or attributes
  kKeyMismatch,       ///< the record's key is not its ticket_id (decode_record)
};

[[nodiscard]] std::string_view to_string(DecodeFailure failure);

struct DecodeError {
  DecodeFailure failure = DecodeFailure::kUndecodable;
  std::string message;
};

/// Input limits. Defaults suit production; tests tighten them. Every string
/// field has a bound (bytes), so no event can grow a ticket's state or the
/// process by more than these (SPEC 5.3); a longer one is kFieldTooLong.
struct Limits {
  std::size_t max_bytes = 64 * 1024;          ///< bigger payloads are kOversize
  EpochMillis min_time = 946684800000;        ///< 2000-01-01T00:00:00Z
  std::int64_t max_future_ms = 24LL * 3600 * 1000;  ///< occurred_at may lead `now` by this much
  /// event_id, ticket_id, tenant_id, page_acknowledged.responder, label values
  std::size_t max_id_length = 256;
  /// plan, severity, status (opened, the *_changed events), label keys
  std::size_t max_name_length = 128;
  /// page_acknowledged.page_id: the engine's page ids are
  /// "ticket/metric/cycle/target/level/round", so longer than a ticket id
  std::size_t max_page_id_length = 1024;
  std::size_t max_labels = 64;                ///< opened.labels entries
  /// free text: escalation_requested.reason (escalation_requested.by is an id)
  std::size_t max_text_length = 1024;
  /// opened.attributes entries, and attributes_changed.set and .removed
  /// entries each. Keys are bounded by max_name_length, values by max_id_length.
  std::size_t max_attributes = 32;
};

/// Decodes and validates one input message. `now` is the receiver's time, for
/// the future-timestamp check. Unknown fields are ignored in both encodings
/// (as protobuf does), so an upstream schema addition breaks no producer.
/// Never throws.
[[nodiscard]] tl::expected<engine::TicketEvent, DecodeError> decode_ticket_event(
    std::string_view payload, ContentType type, EpochMillis now, const Limits& limits = {});

/// decode_ticket_event, and the record's Kafka `key` must equal the event's
/// ticket_id (kKeyMismatch otherwise): a ticket lives on the partition of its
/// key, so an event keyed by one ticket and carrying another's id would make
/// a second copy of that ticket on another partition (SPEC 5.3). The daemon
/// decodes every input record with it.
[[nodiscard]] tl::expected<engine::TicketEvent, DecodeError> decode_record(
    std::string_view key, std::string_view payload, ContentType type, EpochMillis now, const Limits& limits = {});

/// Encodes a core event as TicketEvent protobuf binary (for `slactl produce`
/// and tests).
[[nodiscard]] std::string encode_ticket_event(const engine::TicketEvent& event);

/// Encodes an output as SlaEvent or PageEvent protobuf binary.
[[nodiscard]] std::string encode_output(const engine::Output& out);
/// The same into `bytes` (overwritten, its storage reused): the daemon's hot
/// path, with no allocation once `bytes` is big enough.
void encode_output(const engine::Output& out, std::string& bytes);
/// The same in `type`'s encoding: kJson is the proto3-JSON of
/// output_to_json (for consumers without protobuf).
void encode_output(const engine::Output& out, ContentType type, std::string& bytes);

/// Encodes a ticket's current clocks as the TicketDeadlines snapshot for the
/// compacted `sla.deadlines` topic (key: ticket id). `as_of` is the view time.
[[nodiscard]] std::string encode_deadlines(const engine::TicketView& view, EpochMillis as_of);
/// The same into `bytes` (overwritten, its storage reused).
void encode_deadlines(const engine::TicketView& view, EpochMillis as_of, std::string& bytes);
/// The same in `type`'s encoding (kJson: proto3-JSON, one line).
void encode_deadlines(const engine::TicketView& view, EpochMillis as_of, ContentType type, std::string& bytes);

/// A `sla.deadlines` snapshot decoded back (the materialised views).
struct DeadlinesSnapshot {
  engine::TicketView view;
  EpochMillis as_of = 0;
};
/// Decodes a TicketDeadlines message, protobuf binary or proto3-JSON as the
/// record's `content-type` says. kInvalidArgument when the payload is not
/// one. Fields absent from older writers (history, pages, fired) stay empty;
/// unknown JSON fields are ignored.
[[nodiscard]] sla::Result<DeadlinesSnapshot> decode_deadlines(std::string_view payload,
                                                              ContentType type = ContentType::kProtobuf);

/// Decodes an SlaEvent (protobuf binary, or proto3-JSON as `slactl tail` and
/// `slactl replay` print it) back into an engine output: what the compliance
/// reports read from `sla.escalations`. kInvalidArgument when it is not one
/// (no event_id, or no kind). Records from before `started_at` existed decode
/// with started_at 0.
[[nodiscard]] sla::Result<engine::SlaOutput> decode_sla_event(std::string_view payload, ContentType type);

/// Encodes an output as one line of proto3-JSON (no newline), with a
/// top-level "topic" of "sla.escalations" or "sla.pages" wrapping the event:
/// `{"topic":"sla.escalations","event":{...}}`. Deterministic.
[[nodiscard]] std::string output_to_json_line(const engine::Output& out);

/// The proto3-JSON of the output's own message only.
[[nodiscard]] std::string output_to_json(const engine::Output& out);

/// Parses protobuf `bytes` as `type` and renders it as proto3-JSON (one line);
/// nullopt when the bytes are not such a message. For `slactl tail`.
[[nodiscard]] std::optional<std::string> wire_to_json(WireType type, std::string_view bytes);

/// Drops libprotobuf's own stderr log lines (e.g. "invalid UTF-8" on every
/// bad input): the decode error already says it, and a poison stream must not
/// flood the log. Process-wide; call once at start-up.
void quiet_protobuf_logging();

/// RFC 3339 UTC with millisecond precision dropped when zero: "2026-04-06T16:00:00Z".
[[nodiscard]] std::string format_rfc3339(EpochMillis t);

}  // namespace sla::codec
