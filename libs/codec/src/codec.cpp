#include "sla/codec/codec.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
#include <type_traits>

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"

namespace sla::codec {
namespace {

namespace pb = ::sla::v1;
using engine::EventKind;
using engine::MetricKind;

tl::unexpected<DecodeError> decode_fail(DecodeFailure f, std::string msg) {
  return tl::unexpected<DecodeError>(DecodeError{f, std::move(msg)});
}

EpochMillis to_millis(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1000000;
}

void set_timestamp(google::protobuf::Timestamp* ts, EpochMillis ms) {
  // Floor division so instants before 1970 keep nanos in [0, 1e9).
  std::int64_t secs = ms / 1000;
  std::int64_t rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    --secs;
  }
  ts->set_seconds(secs);
  ts->set_nanos(static_cast<std::int32_t>(rem * 1000000));
}

void set_duration(google::protobuf::Duration* d, std::int64_t ms) {
  d->set_seconds(ms / 1000);
  d->set_nanos(static_cast<std::int32_t>((ms % 1000) * 1000000));
}

pb::StretchKind to_proto(engine::StretchKind k) {
  switch (k) {
    case engine::StretchKind::kCounted: return pb::STRETCH_KIND_COUNTED;
    case engine::StretchKind::kStatus: return pb::STRETCH_KIND_STATUS;
    case engine::StretchKind::kOutsideHours: return pb::STRETCH_KIND_OUTSIDE_HOURS;
    case engine::StretchKind::kHoliday: return pb::STRETCH_KIND_HOLIDAY;
    case engine::StretchKind::kStopped: return pb::STRETCH_KIND_STOPPED;
  }
  return pb::STRETCH_KIND_UNSPECIFIED;
}

pb::Metric to_proto(MetricKind m) {
  switch (m) {
    case MetricKind::kResponse: return pb::METRIC_RESPONSE;
    case MetricKind::kUpdate: return pb::METRIC_UPDATE;
    case MetricKind::kWorkaround: return pb::METRIC_WORKAROUND;
    case MetricKind::kResolution: return pb::METRIC_RESOLUTION;
  }
  return pb::METRIC_UNSPECIFIED;
}

void fill(pb::SlaEvent& e, const engine::SlaOutput& o) {
  e.set_event_id(o.event_id);
  e.set_ticket_id(o.ticket_id);
  e.set_tenant_id(o.tenant_id);
  e.set_plan(o.plan);
  e.set_severity(o.severity);
  e.set_metric(to_proto(o.metric));
  e.set_cycle(o.cycle);
  if (o.deadline) set_timestamp(e.mutable_deadline(), *o.deadline);  // none: open-ended
  set_timestamp(e.mutable_fired_at(), o.fired_at);
  set_timestamp(e.mutable_started_at(), o.started_at);
  set_duration(e.mutable_elapsed(), o.elapsed_ms);
  // Open-ended clocks (`within: none`) have no target: left unset, as their
  // deadline is, rather than a "0s" that reads as no time allowed.
  if (o.target_ms != 0) set_duration(e.mutable_target(), o.target_ms);
  switch (o.kind) {
    case engine::SlaKind::kWarning: e.mutable_warning()->set_threshold(o.threshold); break;
    case engine::SlaKind::kBreached: e.mutable_breached()->set_reminder(o.reminder); break;
    case engine::SlaKind::kMet: e.mutable_met()->set_after_breach(o.after_breach); break;
    case engine::SlaKind::kEscalated: {
      auto* x = e.mutable_escalated();
      x->set_step(o.step);
      for (const auto& n : o.notify) x->add_notify(n);
      x->set_page(o.page);
      if (!o.trigger.empty()) x->set_trigger(o.trigger);
      if (o.exchanges != 0) x->set_exchanges(o.exchanges);
      if (o.requested_at) {
        auto* r = x->mutable_request();
        r->set_by(o.requested_by);
        r->set_reason(o.reason);
        set_timestamp(r->mutable_requested_at(), *o.requested_at);
      }
      break;
    }
  }
}

void fill(pb::PageEvent& p, const engine::PageOutput& o) {
  p.set_page_id(o.page_id);
  p.set_dedup_key(o.dedup_key);
  p.set_ticket_id(o.ticket_id);
  p.set_tenant_id(o.tenant_id);
  p.set_plan(o.plan);
  p.set_severity(o.severity);
  p.set_metric(to_proto(o.metric));
  p.set_cycle(o.cycle);
  p.set_target(o.target);
  p.set_rotation(o.rotation);
  p.set_responder(o.responder);
  p.set_level(o.level);
  p.set_attempt(o.attempt);
  if (o.ack_deadline) set_timestamp(p.mutable_ack_deadline(), *o.ack_deadline);  // none: acknowledge, resolve
  p.set_urgency(o.high_urgency ? pb::URGENCY_HIGH : pb::URGENCY_LOW);
  set_timestamp(p.mutable_fired_at(), o.fired_at);
  switch (o.action) {
    case engine::PageAction::kTrigger: p.set_action(pb::PAGE_ACTION_TRIGGER); break;
    case engine::PageAction::kAcknowledge: p.set_action(pb::PAGE_ACTION_ACKNOWLEDGE); break;
    case engine::PageAction::kResolve: p.set_action(pb::PAGE_ACTION_RESOLVE); break;
  }
}

template <class Out>
struct ProtoOf;
template <>
struct ProtoOf<engine::SlaOutput> {
  using type = pb::SlaEvent;
};
template <>
struct ProtoOf<engine::PageOutput> {
  using type = pb::PageEvent;
};

template <class Out>
typename ProtoOf<Out>::type to_proto(const Out& o) {
  typename ProtoOf<Out>::type m;
  fill(m, o);
  return m;
}

/// A per-thread arena for the messages of one encode or decode: their
/// strings and sub-messages come from one block, bump-allocated, instead of
/// a dozen mallocs each. `Use` resets it when the call is done.
class Scratch {
 public:
  class Use {
   public:
    explicit Use(Scratch& s) : s_(s) {}
    ~Use() {
      // Resetting costs more than a message: reset every kUsesPerReset uses
      // (a few KB of messages), keeping the initial block.
      if (++s_.uses_ == kUsesPerReset) {
        s_.uses_ = 0;
        s_.arena_.Reset();
      }
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    [[nodiscard]] google::protobuf::Arena* arena() { return &s_.arena_; }

   private:
    Scratch& s_;
  };
  static Scratch& mine() {
    thread_local Scratch s;
    return s;
  }

 private:
  static google::protobuf::ArenaOptions options(char* block, std::size_t size) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = size;
    return o;
  }
  static constexpr int kUsesPerReset = 32;
  Scratch() : arena_(options(block_, sizeof block_)) {}
  alignas(std::max_align_t) char block_[64 * 1024];
  google::protobuf::Arena arena_;
  int uses_ = 0;
};

std::string to_json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  std::string out;
  // Printing a well-formed message cannot fail; an empty string would show it.
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

/// The first string field of `in` longer than its bound, as an error.
std::optional<DecodeError> too_long(const pb::TicketEvent& in, const Limits& limits) {
  std::optional<DecodeError> err;
  const auto check = [&](const std::string& value, std::size_t max, const char* what) {
    if (err || value.size() <= max) return;
    err = DecodeError{DecodeFailure::kFieldTooLong, std::string(what) + " is " + std::to_string(value.size()) +
                                                        " bytes, longer than the limit of " + std::to_string(max)};
  };
  const auto count = [&](std::size_t n, const char* what) {
    if (err || n <= limits.max_attributes) return;
    err = DecodeError{DecodeFailure::kFieldTooLong, std::string(what) + " has " + std::to_string(n) +
                                                        " entries, more than the limit of " +
                                                        std::to_string(limits.max_attributes)};
  };
  check(in.event_id(), limits.max_id_length, "event_id");
  check(in.ticket_id(), limits.max_id_length, "ticket_id");
  check(in.tenant_id(), limits.max_id_length, "tenant_id");
  switch (in.kind_case()) {
    case pb::TicketEvent::kOpened: {
      const auto& o = in.opened();
      check(o.plan(), limits.max_name_length, "opened.plan");
      check(o.severity(), limits.max_name_length, "opened.severity");
      check(o.status(), limits.max_name_length, "opened.status");
      if (!err && static_cast<std::size_t>(o.labels_size()) > limits.max_labels) {
        err = DecodeError{DecodeFailure::kFieldTooLong, "opened.labels has " + std::to_string(o.labels_size()) +
                                                            " entries, more than the limit of " +
                                                            std::to_string(limits.max_labels)};
      }
      for (const auto& [k, v] : o.labels()) {
        check(k, limits.max_name_length, "an opened.labels key");
        check(v, limits.max_id_length, "an opened.labels value");
      }
      count(static_cast<std::size_t>(o.attributes_size()), "opened.attributes");
      for (const auto& [k, v] : o.attributes()) {
        check(k, limits.max_name_length, "an opened.attributes key");
        check(v, limits.max_id_length, "an opened.attributes value");
      }
      break;
    }
    case pb::TicketEvent::kAttributesChanged: {
      const auto& a = in.attributes_changed();
      count(static_cast<std::size_t>(a.set_size()), "attributes_changed.set");
      count(static_cast<std::size_t>(a.removed_size()), "attributes_changed.removed");
      for (const auto& [k, v] : a.set()) {
        check(k, limits.max_name_length, "an attributes_changed.set key");
        check(v, limits.max_id_length, "an attributes_changed.set value");
      }
      for (const auto& k : a.removed()) check(k, limits.max_name_length, "an attributes_changed.removed key");
      break;
    }
    case pb::TicketEvent::kStatusChanged: check(in.status_changed().status(), limits.max_name_length, "status_changed.status"); break;
    case pb::TicketEvent::kSeverityChanged:
      check(in.severity_changed().severity(), limits.max_name_length, "severity_changed.severity");
      break;
    case pb::TicketEvent::kPlanChanged: check(in.plan_changed().plan(), limits.max_name_length, "plan_changed.plan"); break;
    case pb::TicketEvent::kPageAcknowledged:
      check(in.page_acknowledged().page_id(), limits.max_page_id_length, "page_acknowledged.page_id");
      check(in.page_acknowledged().responder(), limits.max_id_length, "page_acknowledged.responder");
      break;
    case pb::TicketEvent::kEscalationRequested:
      check(in.escalation_requested().by(), limits.max_id_length, "escalation_requested.by");
      check(in.escalation_requested().reason(), limits.max_text_length, "escalation_requested.reason");
      break;
    default: break;  // the other kinds carry no strings
  }
  return err;
}

// Copies `set` (sorted by key) into out.attributes and `removed` into
// out.removed. An empty key, or a key both set and removed, is kInvalidField.
std::optional<DecodeError> read_attributes(const google::protobuf::Map<std::string, std::string>& set,
                                           const google::protobuf::RepeatedPtrField<std::string>& removed,
                                           const char* what, engine::TicketEvent& out) {
  for (const auto& [k, v] : set) out.attributes.emplace_back(k, v);
  std::sort(out.attributes.begin(), out.attributes.end());  // map order is unspecified
  for (const auto& k : removed) out.removed.push_back(k);
  std::sort(out.removed.begin(), out.removed.end());
  out.removed.erase(std::unique(out.removed.begin(), out.removed.end()), out.removed.end());
  auto invalid = [&](std::string message) {
    return DecodeError{DecodeFailure::kInvalidField, std::string(what) + ": " + std::move(message)};
  };
  for (const auto& [k, v] : out.attributes) {
    if (k.empty()) return invalid("an attribute key is empty");
    if (std::binary_search(out.removed.begin(), out.removed.end(), k)) {
      return invalid("attribute '" + k + "' is both set and removed");
    }
  }
  for (const auto& k : out.removed) {
    if (k.empty()) return invalid("an attribute key is empty");
  }
  return std::nullopt;
}

}  // namespace

ContentType content_type_from_header(std::string_view v) {
  // Media types are case-insensitive and may carry parameters (charset).
  std::string lower;
  for (char c : v.substr(0, v.find(';'))) {
    if (c != ' ') lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lower == "application/json" ? ContentType::kJson : ContentType::kProtobuf;
}

std::string_view media_type(ContentType type) {
  return type == ContentType::kJson ? kJsonMediaType : kProtobufMediaType;
}

std::string_view message_type_name(WireType type) {
  switch (type) {
    case WireType::kTicketEvent: return "sla.v1.TicketEvent";
    case WireType::kSlaEvent: return "sla.v1.SlaEvent";
    case WireType::kPageEvent: return "sla.v1.PageEvent";
    case WireType::kTicketDeadlines: return "sla.v1.TicketDeadlines";
  }
  return "";
}

std::string_view to_string(DecodeFailure f) {
  switch (f) {
    case DecodeFailure::kOversize: return "oversize";
    case DecodeFailure::kUndecodable: return "undecodable";
    case DecodeFailure::kMissingField: return "missing_field";
    case DecodeFailure::kInvalidField: return "invalid_field";
    case DecodeFailure::kAbsurdTimestamp: return "absurd_timestamp";
    case DecodeFailure::kFieldTooLong: return "field_too_long";
    case DecodeFailure::kKeyMismatch: return "key_mismatch";
  }
  return "unknown";
}

namespace {

// The payload as a TicketEvent message, in either encoding.
std::optional<DecodeError> parse_ticket_event(std::string_view payload, ContentType type, pb::TicketEvent& in) {
  if (type == ContentType::kJson) {
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;  // as the binary parser does: schema additions upstream are not errors
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(payload.data(), payload.size()), &in, opts);
    if (!status.ok()) {
      return DecodeError{DecodeFailure::kUndecodable,
                         "invalid proto3-JSON TicketEvent: " + std::string(status.message())};
    }
  } else if (!in.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return DecodeError{DecodeFailure::kUndecodable, "invalid protobuf TicketEvent"};
  }
  return std::nullopt;
}

// The fields every event carries, and the size limits.
std::optional<DecodeError> check_envelope(const pb::TicketEvent& in, const Limits& limits) {
  if (in.event_id().empty()) return DecodeError{DecodeFailure::kMissingField, "event_id is missing"};
  if (in.ticket_id().empty()) return DecodeError{DecodeFailure::kMissingField, "ticket_id is missing"};
  if (!in.has_occurred_at()) return DecodeError{DecodeFailure::kMissingField, "occurred_at is missing"};
  if (in.kind_case() == pb::TicketEvent::KIND_NOT_SET) {
    return DecodeError{DecodeFailure::kMissingField, "the event kind (opened, responded, ...) is missing"};
  }
  return too_long(in, limits);
}

// occurred_at in milliseconds, if it lies between limits.min_time and the
// allowed lead after `now`.
tl::expected<EpochMillis, DecodeError> occurred_at_of(const pb::TicketEvent& in, EpochMillis now,
                                                      const Limits& limits) {
  const auto& ts = in.occurred_at();
  if (ts.nanos() < 0 || ts.nanos() > 999999999 || ts.seconds() < limits.min_time / 1000 ||
      ts.seconds() > (now + limits.max_future_ms) / 1000 + 1) {
    return decode_fail(DecodeFailure::kAbsurdTimestamp,
                       "occurred_at " + google::protobuf::util::TimeUtil::ToString(ts) +
                           " is before 2000 or too far after the receiver's clock");
  }
  const EpochMillis occurred = to_millis(ts);
  if (occurred < limits.min_time || occurred > now + limits.max_future_ms) {
    return decode_fail(DecodeFailure::kAbsurdTimestamp, "occurred_at " + format_rfc3339(occurred) +
                                                            " is before " + format_rfc3339(limits.min_time) +
                                                            " or more than the allowed lead after now");
  }
  return occurred;
}

std::optional<DecodeError> need(const std::string& value, const char* what) {
  if (value.empty()) return DecodeError{DecodeFailure::kMissingField, std::string(what) + " is missing"};
  return std::nullopt;
}

std::optional<DecodeError> read_opened(const pb::Opened& in, engine::TicketEvent& out) {
  out.kind = EventKind::kOpened;
  out.plan = in.plan();
  out.severity = in.severity();
  out.status = in.status().empty() ? "open" : in.status();
  if (auto err = need(out.plan, "opened.plan")) return err;
  if (auto err = need(out.severity, "opened.severity")) return err;
  for (const auto& [k, v] : in.labels()) out.labels.emplace_back(k, v);
  std::sort(out.labels.begin(), out.labels.end());  // map order is unspecified
  return read_attributes(in.attributes(), {}, "opened.attributes", out);
}

// The event kind and its own fields. One case per kind of the oneof, each a
// line or a call: kept as one switch so that a new kind is one more case.
std::optional<DecodeError> read_kind(const pb::TicketEvent& in, engine::TicketEvent& out) {
  switch (in.kind_case()) {
    case pb::TicketEvent::kOpened: return read_opened(in.opened(), out);
    case pb::TicketEvent::kAttributesChanged:
      out.kind = EventKind::kAttributesChanged;
      return read_attributes(in.attributes_changed().set(), in.attributes_changed().removed(), "attributes_changed",
                             out);
    case pb::TicketEvent::kResponded: out.kind = EventKind::kResponded; break;
    case pb::TicketEvent::kAgentUpdated: out.kind = EventKind::kAgentUpdated; break;
    case pb::TicketEvent::kStatusChanged:
      out.kind = EventKind::kStatusChanged;
      out.status = in.status_changed().status();
      return need(out.status, "status_changed.status");
    case pb::TicketEvent::kSeverityChanged:
      out.kind = EventKind::kSeverityChanged;
      out.severity = in.severity_changed().severity();
      return need(out.severity, "severity_changed.severity");
    case pb::TicketEvent::kPlanChanged:
      out.kind = EventKind::kPlanChanged;
      out.plan = in.plan_changed().plan();
      return need(out.plan, "plan_changed.plan");
    case pb::TicketEvent::kWorkaroundProvided: out.kind = EventKind::kWorkaroundProvided; break;
    case pb::TicketEvent::kResolved: out.kind = EventKind::kResolved; break;
    case pb::TicketEvent::kReopened: out.kind = EventKind::kReopened; break;
    case pb::TicketEvent::kClosed: out.kind = EventKind::kClosed; break;
    case pb::TicketEvent::kPageAcknowledged:
      out.kind = EventKind::kPageAcknowledged;
      out.page_id = in.page_acknowledged().page_id();
      out.responder = in.page_acknowledged().responder();
      break;
    case pb::TicketEvent::kCustomerReplied: out.kind = EventKind::kCustomerReplied; break;
    case pb::TicketEvent::kEscalationRequested:
      out.kind = EventKind::kEscalationRequested;
      out.requested_by = in.escalation_requested().by();
      out.reason = in.escalation_requested().reason();
      break;
    case pb::TicketEvent::KIND_NOT_SET: break;  // rejected by check_envelope
  }
  return std::nullopt;
}

}  // namespace

tl::expected<engine::TicketEvent, DecodeError> decode_ticket_event(std::string_view payload, ContentType type,
                                                                     EpochMillis now, const Limits& limits) {
  if (payload.size() > limits.max_bytes) {
    return decode_fail(DecodeFailure::kOversize, "payload of " + std::to_string(payload.size()) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(limits.max_bytes));
  }
  Scratch::Use scratch(Scratch::mine());
  auto& in = *google::protobuf::Arena::CreateMessage<pb::TicketEvent>(scratch.arena());
  if (auto err = parse_ticket_event(payload, type, in)) return tl::unexpected<DecodeError>(std::move(*err));
  if (auto err = check_envelope(in, limits)) return tl::unexpected<DecodeError>(std::move(*err));
  auto occurred = occurred_at_of(in, now, limits);
  if (!occurred) return tl::unexpected<DecodeError>(std::move(occurred.error()));

  engine::TicketEvent out;
  out.event_id = in.event_id();
  out.ticket_id = in.ticket_id();
  out.tenant_id = in.tenant_id();
  out.occurred_at = *occurred;
  if (in.has_sequence()) out.sequence = in.sequence();
  if (auto err = read_kind(in, out)) return tl::unexpected<DecodeError>(std::move(*err));
  return out;
}

tl::expected<engine::TicketEvent, DecodeError> decode_record(std::string_view key, std::string_view payload,
                                                              ContentType type, EpochMillis now, const Limits& limits) {
  auto event = decode_ticket_event(payload, type, now, limits);
  if (event && key != event->ticket_id) {
    // Quoted only up to the id limit: the key may be of any size.
    const std::string_view shown = key.substr(0, limits.max_id_length);
    return decode_fail(DecodeFailure::kKeyMismatch,
                       "the record's key \"" + std::string(shown) + (shown.size() < key.size() ? "...\"" : "\"") +
                           " (" + std::to_string(key.size()) + " bytes) is not its ticket_id \"" + event->ticket_id +
                           "\"");
  }
  return event;
}

std::string encode_ticket_event(const engine::TicketEvent& e) {
  pb::TicketEvent out;
  out.set_event_id(e.event_id);
  out.set_ticket_id(e.ticket_id);
  out.set_tenant_id(e.tenant_id);
  set_timestamp(out.mutable_occurred_at(), e.occurred_at);
  if (e.sequence) out.set_sequence(*e.sequence);
  switch (e.kind) {
    case EventKind::kOpened: {
      auto* o = out.mutable_opened();
      o->set_plan(e.plan);
      o->set_severity(e.severity);
      o->set_status(e.status);
      for (const auto& [k, v] : e.labels) (*o->mutable_labels())[k] = v;
      break;
    }
    case EventKind::kResponded: out.mutable_responded(); break;
    case EventKind::kAgentUpdated: out.mutable_agent_updated(); break;
    case EventKind::kStatusChanged: out.mutable_status_changed()->set_status(e.status); break;
    case EventKind::kSeverityChanged: out.mutable_severity_changed()->set_severity(e.severity); break;
    case EventKind::kPlanChanged: out.mutable_plan_changed()->set_plan(e.plan); break;
    case EventKind::kWorkaroundProvided: out.mutable_workaround_provided(); break;
    case EventKind::kResolved: out.mutable_resolved(); break;
    case EventKind::kReopened: out.mutable_reopened(); break;
    case EventKind::kClosed: out.mutable_closed(); break;
    case EventKind::kPageAcknowledged:
      out.mutable_page_acknowledged()->set_page_id(e.page_id);
      out.mutable_page_acknowledged()->set_responder(e.responder);
      break;
    case EventKind::kCustomerReplied: out.mutable_customer_replied(); break;
    case EventKind::kEscalationRequested:
      out.mutable_escalation_requested()->set_by(e.requested_by);
      out.mutable_escalation_requested()->set_reason(e.reason);
      break;
    case EventKind::kAttributesChanged: {
      auto* a = out.mutable_attributes_changed();
      for (const auto& [k, v] : e.attributes) (*a->mutable_set())[k] = v;
      for (const auto& k : e.removed) a->add_removed(k);
      break;
    }
  }
  if (e.kind == EventKind::kOpened) {
    for (const auto& [k, v] : e.attributes) (*out.mutable_opened()->mutable_attributes())[k] = v;
  }
  return out.SerializeAsString();
}

std::string encode_deadlines(const engine::TicketView& v, EpochMillis as_of) {
  std::string bytes;
  encode_deadlines(v, as_of, bytes);
  return bytes;
}

namespace {

void fill_clock(pb::ClockSnapshot& cs, const engine::ClockView& c) {
  cs.set_metric(to_proto(c.metric));
  cs.set_cycle(c.cycle);
  switch (c.state) {
    case engine::ClockState::kRunning: cs.set_state(pb::CLOCK_STATE_RUNNING); break;
    case engine::ClockState::kPaused: cs.set_state(pb::CLOCK_STATE_PAUSED); break;
    case engine::ClockState::kMet: cs.set_state(pb::CLOCK_STATE_MET); break;
    case engine::ClockState::kBreached: cs.set_state(pb::CLOCK_STATE_BREACHED); break;
    case engine::ClockState::kCancelled: cs.set_state(pb::CLOCK_STATE_CANCELLED); break;
  }
  switch (c.pause_reason) {
    case engine::PauseReason::kNone: break;
    case engine::PauseReason::kStatus: cs.set_pause_reason(pb::PAUSE_REASON_STATUS); break;
    case engine::PauseReason::kOutsideHours: cs.set_pause_reason(pb::PAUSE_REASON_OUTSIDE_HOURS); break;
    case engine::PauseReason::kHoliday: cs.set_pause_reason(pb::PAUSE_REASON_HOLIDAY); break;
  }
  cs.set_pause_status(c.pause_status);
  set_duration(cs.mutable_elapsed(), c.elapsed_ms);
  if (c.target_ms) set_duration(cs.mutable_target(), *c.target_ms);
  if (c.deadline) set_timestamp(cs.mutable_deadline(), *c.deadline);
  cs.set_calendar(c.calendar);
  for (const auto& f : c.fired) cs.add_fired(f);
  if (c.started_at != 0) set_timestamp(cs.mutable_started_at(), c.started_at);
  for (const auto& st : c.stretches) {
    auto* ss = cs.add_stretches();
    set_timestamp(ss->mutable_start(), st.from);
    set_timestamp(ss->mutable_end(), st.to);
    ss->set_kind(to_proto(st.kind));
    ss->set_status(st.status);
  }
  cs.set_stretches_truncated(c.stretches_truncated);
}

void fill_cycle(pb::CycleSnapshot& hs, const engine::CycleRecord& h) {
  hs.set_metric(to_proto(h.metric));
  hs.set_cycle(h.cycle);
  set_timestamp(hs.mutable_started_at(), h.started_at);
  set_timestamp(hs.mutable_ended_at(), h.ended_at);
  set_duration(hs.mutable_elapsed(), h.elapsed_ms);
  hs.set_outcome(h.outcome);
}

void fill_page_ladder(pb::PageLadderSnapshot& ps, const engine::PageLadderView& p) {
  ps.set_key(p.key);
  ps.set_target(p.target);
  ps.set_pages_sent(p.pages_sent);
  ps.set_pages_total(p.pages_total);
  ps.set_stopped(p.stopped);
  if (p.next_page_at) set_timestamp(ps.mutable_next_page_at(), *p.next_page_at);
  ps.set_metric(to_proto(p.metric));
  ps.set_cycle(p.cycle);
  ps.set_state(p.state);
  ps.set_level(p.level);
  ps.set_attempt(p.attempt);
  ps.set_rotation(p.rotation);
  ps.set_responder(p.responder);
  if (p.last_page_at) set_timestamp(ps.mutable_last_page_at(), *p.last_page_at);
  if (p.ack_deadline) set_timestamp(ps.mutable_ack_deadline(), *p.ack_deadline);
  ps.set_acked_by(p.acked_by);
  if (p.acked_at) set_timestamp(ps.mutable_acked_at(), *p.acked_at);
}

void fill_deadlines(pb::TicketDeadlines& d, const engine::TicketView& v, EpochMillis as_of) {
  d.set_ticket_id(v.ticket_id);
  d.set_tenant_id(v.tenant_id);
  d.set_plan(v.plan);
  d.set_severity(v.severity);
  d.set_status(v.status);
  set_timestamp(d.mutable_as_of(), as_of);
  d.set_closed(v.closed);
  for (const auto& c : v.clocks) fill_clock(*d.add_clocks(), c);
  d.set_opened(v.opened);
  d.set_resolved(v.resolved);
  for (const auto& [k, val] : v.attributes) (*d.mutable_attributes())[k] = val;
  if (v.opened) set_timestamp(d.mutable_opened_at(), v.opened_at);
  if (v.next_due) set_timestamp(d.mutable_next_due(), *v.next_due);
  d.set_exchanges(v.exchanges);
  d.set_awaiting_customer(v.awaiting_customer);
  if (v.escalation_requested_at) {
    auto* r = d.mutable_escalation_request();
    r->set_by(v.escalation_requested_by);
    r->set_reason(v.escalation_reason);
    set_timestamp(r->mutable_requested_at(), *v.escalation_requested_at);
  }
  for (const auto& h : v.history) fill_cycle(*d.add_history(), h);
  for (const auto& p : v.pages) fill_page_ladder(*d.add_pages(), p);
}

void serialize(const google::protobuf::Message& m, ContentType type, std::string& bytes) {
  if (type == ContentType::kJson) {
    bytes = to_json(m);
  } else {
    // Deterministic: map fields (TicketDeadlines.attributes) in key order, so
    // a snapshot of the same state is the same bytes.
    bytes.clear();
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
}

bool parse(std::string_view payload, ContentType type, google::protobuf::Message& m) {
  if (type == ContentType::kProtobuf) return m.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece(payload.data(), payload.size()),
                                                     &m, opts)
      .ok();
}

}  // namespace

void encode_deadlines(const engine::TicketView& v, EpochMillis as_of, std::string& bytes) {
  encode_deadlines(v, as_of, ContentType::kProtobuf, bytes);
}

void encode_deadlines(const engine::TicketView& v, EpochMillis as_of, ContentType type, std::string& bytes) {
  Scratch::Use scratch(Scratch::mine());
  auto& d = *google::protobuf::Arena::CreateMessage<pb::TicketDeadlines>(scratch.arena());
  fill_deadlines(d, v, as_of);
  serialize(d, type, bytes);
}

namespace {

std::int64_t duration_millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

engine::StretchKind stretch_kind_of(pb::StretchKind k) {
  switch (k) {
    case pb::STRETCH_KIND_STATUS: return engine::StretchKind::kStatus;
    case pb::STRETCH_KIND_OUTSIDE_HOURS: return engine::StretchKind::kOutsideHours;
    case pb::STRETCH_KIND_HOLIDAY: return engine::StretchKind::kHoliday;
    case pb::STRETCH_KIND_STOPPED: return engine::StretchKind::kStopped;
    default: return engine::StretchKind::kCounted;
  }
}

MetricKind metric_of(pb::Metric m) {
  switch (m) {
    case pb::METRIC_UPDATE: return MetricKind::kUpdate;
    case pb::METRIC_WORKAROUND: return MetricKind::kWorkaround;
    case pb::METRIC_RESOLUTION: return MetricKind::kResolution;
    default: return MetricKind::kResponse;
  }
}

}  // namespace

namespace {

engine::ClockView clock_view_of(const pb::ClockSnapshot& cs) {
  engine::ClockView c;
  c.metric = metric_of(cs.metric());
  c.cycle = cs.cycle();
  switch (cs.state()) {
    case pb::CLOCK_STATE_PAUSED: c.state = engine::ClockState::kPaused; break;
    case pb::CLOCK_STATE_MET: c.state = engine::ClockState::kMet; break;
    case pb::CLOCK_STATE_BREACHED: c.state = engine::ClockState::kBreached; break;
    case pb::CLOCK_STATE_CANCELLED: c.state = engine::ClockState::kCancelled; break;
    default: c.state = engine::ClockState::kRunning; break;
  }
  switch (cs.pause_reason()) {
    case pb::PAUSE_REASON_STATUS: c.pause_reason = engine::PauseReason::kStatus; break;
    case pb::PAUSE_REASON_OUTSIDE_HOURS: c.pause_reason = engine::PauseReason::kOutsideHours; break;
    case pb::PAUSE_REASON_HOLIDAY: c.pause_reason = engine::PauseReason::kHoliday; break;
    default: c.pause_reason = engine::PauseReason::kNone; break;
  }
  c.pause_status = cs.pause_status();
  c.elapsed_ms = duration_millis(cs.elapsed());
  if (cs.has_target()) c.target_ms = duration_millis(cs.target());
  if (cs.has_deadline()) c.deadline = to_millis(cs.deadline());
  c.calendar = cs.calendar();
  c.fired.assign(cs.fired().begin(), cs.fired().end());
  if (cs.has_started_at()) c.started_at = to_millis(cs.started_at());
  c.stretches.reserve(static_cast<std::size_t>(cs.stretches_size()));
  for (const auto& ss : cs.stretches()) {
    c.stretches.push_back(engine::ClockStretch{to_millis(ss.start()), to_millis(ss.end()), stretch_kind_of(ss.kind()),
                                               ss.status()});
  }
  c.stretches_truncated = cs.stretches_truncated();
  return c;
}

engine::PageLadderView page_ladder_view_of(const pb::PageLadderSnapshot& ps) {
  engine::PageLadderView p;
  p.key = ps.key();
  p.target = ps.target();
  p.pages_sent = ps.pages_sent();
  p.pages_total = ps.pages_total();
  p.stopped = ps.stopped();
  if (ps.has_next_page_at()) p.next_page_at = to_millis(ps.next_page_at());
  p.metric = metric_of(ps.metric());
  p.cycle = ps.cycle();
  p.state = ps.state();
  p.level = ps.level();
  p.attempt = ps.attempt();
  p.rotation = ps.rotation();
  p.responder = ps.responder();
  if (ps.has_last_page_at()) p.last_page_at = to_millis(ps.last_page_at());
  if (ps.has_ack_deadline()) p.ack_deadline = to_millis(ps.ack_deadline());
  p.acked_by = ps.acked_by();
  if (ps.has_acked_at()) p.acked_at = to_millis(ps.acked_at());
  return p;
}

}  // namespace

sla::Result<DeadlinesSnapshot> decode_deadlines(std::string_view payload, ContentType type) {
  Scratch::Use scratch(Scratch::mine());
  auto& d = *google::protobuf::Arena::CreateMessage<pb::TicketDeadlines>(scratch.arena());
  if (!parse(payload, type, d)) {
    return sla::fail(ErrorCode::kInvalidArgument, "not a TicketDeadlines message");
  }
  DeadlinesSnapshot out;
  engine::TicketView& v = out.view;
  out.as_of = to_millis(d.as_of());
  v.ticket_id = d.ticket_id();
  v.tenant_id = d.tenant_id();
  v.plan = d.plan();
  v.severity = d.severity();
  v.status = d.status();
  v.closed = d.closed();
  v.opened = d.opened();
  v.resolved = d.resolved();
  if (d.has_opened_at()) v.opened_at = to_millis(d.opened_at());
  if (d.has_next_due()) v.next_due = to_millis(d.next_due());
  v.exchanges = d.exchanges();
  v.awaiting_customer = d.awaiting_customer();
  if (d.has_escalation_request()) {
    v.escalation_requested_at = to_millis(d.escalation_request().requested_at());
    v.escalation_requested_by = d.escalation_request().by();
    v.escalation_reason = d.escalation_request().reason();
  }
  for (const auto& [k, val] : d.attributes()) v.attributes.emplace_back(k, val);
  std::sort(v.attributes.begin(), v.attributes.end());  // map order is unspecified
  v.clocks.reserve(static_cast<std::size_t>(d.clocks_size()));
  for (const auto& cs : d.clocks()) v.clocks.push_back(clock_view_of(cs));
  for (const auto& hs : d.history()) {
    v.history.push_back(engine::CycleRecord{metric_of(hs.metric()), hs.cycle(), to_millis(hs.started_at()),
                                            to_millis(hs.ended_at()), duration_millis(hs.elapsed()), hs.outcome()});
  }
  for (const auto& ps : d.pages()) v.pages.push_back(page_ladder_view_of(ps));
  return out;
}

namespace {

void fill_kind(const pb::SlaEvent& e, engine::SlaOutput& o) {
  switch (e.kind_case()) {
    case pb::SlaEvent::kWarning:
      o.kind = engine::SlaKind::kWarning;
      o.threshold = e.warning().threshold();
      break;
    case pb::SlaEvent::kBreached:
      o.kind = engine::SlaKind::kBreached;
      o.reminder = e.breached().reminder();
      break;
    case pb::SlaEvent::kMet:
      o.kind = engine::SlaKind::kMet;
      o.after_breach = e.met().after_breach();
      break;
    default: {
      o.kind = engine::SlaKind::kEscalated;
      o.step = e.escalated().step();
      o.notify.assign(e.escalated().notify().begin(), e.escalated().notify().end());
      o.page = e.escalated().page();
      o.trigger = e.escalated().trigger();
      o.exchanges = e.escalated().exchanges();
      if (e.escalated().has_request()) {
        o.requested_by = e.escalated().request().by();
        o.reason = e.escalated().request().reason();
        o.requested_at = to_millis(e.escalated().request().requested_at());
      }
      break;
    }
  }
}

}  // namespace

sla::Result<engine::SlaOutput> decode_sla_event(std::string_view payload, ContentType type) {
  Scratch::Use scratch(Scratch::mine());
  auto& e = *google::protobuf::Arena::CreateMessage<pb::SlaEvent>(scratch.arena());
  if (!parse(payload, type, e)) return sla::fail(ErrorCode::kInvalidArgument, "not an SlaEvent");
  if (e.event_id().empty() || e.kind_case() == pb::SlaEvent::KIND_NOT_SET) {
    return sla::fail(ErrorCode::kInvalidArgument, "SlaEvent without event_id or kind");
  }
  engine::SlaOutput o;
  o.event_id = e.event_id();
  o.ticket_id = e.ticket_id();
  o.tenant_id = e.tenant_id();
  o.plan = e.plan();
  o.severity = e.severity();
  o.metric = metric_of(e.metric());
  o.cycle = e.cycle();
  if (e.has_deadline()) o.deadline = to_millis(e.deadline());
  o.fired_at = to_millis(e.fired_at());
  if (e.has_started_at()) o.started_at = to_millis(e.started_at());
  o.elapsed_ms = duration_millis(e.elapsed());
  o.target_ms = duration_millis(e.target());
  fill_kind(e, o);
  return o;
}

std::string encode_output(const engine::Output& out) {
  std::string bytes;
  encode_output(out, bytes);
  return bytes;
}

void encode_output(const engine::Output& out, std::string& bytes) { encode_output(out, ContentType::kProtobuf, bytes); }

void encode_output(const engine::Output& out, ContentType type, std::string& bytes) {
  Scratch::Use scratch(Scratch::mine());
  std::visit(
      [&](const auto& o) {
        using Proto = typename ProtoOf<std::decay_t<decltype(o)>>::type;
        auto& m = *google::protobuf::Arena::CreateMessage<Proto>(scratch.arena());
        fill(m, o);
        serialize(m, type, bytes);
      },
      out);
}

std::string output_to_json(const engine::Output& out) {
  return std::visit([](const auto& o) { return to_json(to_proto(o)); }, out);
}

std::string output_to_json_line(const engine::Output& out) {
  const char* topic = std::holds_alternative<engine::SlaOutput>(out) ? "sla.escalations" : "sla.pages";
  return std::string(R"({"topic":")") + topic + R"(","event":)" + output_to_json(out) + "}";
}

std::optional<std::string> wire_to_json(WireType type, std::string_view bytes) {
  auto render = [&](google::protobuf::Message&& m) -> std::optional<std::string> {
    if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
    return to_json(m);
  };
  switch (type) {
    case WireType::kTicketEvent: return render(pb::TicketEvent{});
    case WireType::kSlaEvent: return render(pb::SlaEvent{});
    case WireType::kPageEvent: return render(pb::PageEvent{});
    case WireType::kTicketDeadlines: return render(pb::TicketDeadlines{});
  }
  return std::nullopt;
}

void quiet_protobuf_logging() { google::protobuf::SetLogHandler(nullptr); }

std::string format_rfc3339(EpochMillis t) {
  google::protobuf::Timestamp ts;
  set_timestamp(&ts, t);
  return google::protobuf::util::TimeUtil::ToString(ts);
}

}  // namespace sla::codec
