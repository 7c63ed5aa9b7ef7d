#include "wire.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"

namespace sla::notify_service {
namespace {

namespace pb = ::sla::v1;
using google::protobuf::util::TimeUtil;

std::string metric_name(pb::Metric m) {
  switch (m) {
    case pb::METRIC_RESPONSE: return "response";
    case pb::METRIC_UPDATE: return "update";
    case pb::METRIC_WORKAROUND: return "workaround";
    case pb::METRIC_RESOLUTION: return "resolution";
    default: return "";
  }
}

pb::Metric metric_enum(std::string_view m) {
  if (m == "response") return pb::METRIC_RESPONSE;
  if (m == "update") return pb::METRIC_UPDATE;
  if (m == "workaround") return pb::METRIC_WORKAROUND;
  if (m == "resolution") return pb::METRIC_RESOLUTION;
  return pb::METRIC_UNSPECIFIED;
}

EpochMillis millis(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMilliseconds(t); }

template <typename Msg>
Result<void> parse(Msg& msg, std::string_view payload, bool json) {
  if (json) {
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    const auto st = google::protobuf::util::JsonStringToMessage(std::string(payload), &msg, opts);
    if (!st.ok()) return fail(ErrorCode::kInvalidArgument, "bad JSON: " + std::string(st.message()));
    return {};
  }
  if (!msg.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return fail(ErrorCode::kInvalidArgument, "not a protobuf " + msg.GetTypeName());
  }
  return {};
}

}  // namespace

Result<notify::Page> decode_page(std::string_view payload, bool json) {
  pb::PageEvent in;
  if (auto r = parse(in, payload, json); !r) return tl::unexpected(r.error());
  if (in.page_id().empty() || in.dedup_key().empty()) {
    return fail(ErrorCode::kInvalidArgument, "page without page_id or dedup_key");
  }
  notify::Page p;
  p.page_id = in.page_id();
  p.dedup_key = in.dedup_key();
  p.ticket_id = in.ticket_id();
  p.tenant_id = in.tenant_id();
  p.plan = in.plan();
  p.severity = in.severity();
  p.metric = metric_name(in.metric());
  p.cycle = in.cycle();
  p.target = in.target();
  p.rotation = in.rotation();
  p.responder = in.responder();
  p.level = in.level();
  p.attempt = in.attempt();
  if (in.has_ack_deadline()) p.ack_deadline = millis(in.ack_deadline());
  p.high_urgency = in.urgency() != pb::URGENCY_LOW;
  if (in.has_fired_at()) p.fired_at = millis(in.fired_at());
  switch (in.action()) {
    case pb::PAGE_ACTION_ACKNOWLEDGE: p.action = notify::PageAction::kAcknowledge; break;
    case pb::PAGE_ACTION_RESOLVE: p.action = notify::PageAction::kResolve; break;
    default: p.action = notify::PageAction::kTrigger; break;
  }
  return p;
}

Result<notify::Notice> decode_notice(std::string_view payload, bool json) {
  pb::SlaEvent in;
  if (auto r = parse(in, payload, json); !r) return tl::unexpected(r.error());
  notify::Notice n;
  n.event_id = in.event_id();
  n.ticket_id = in.ticket_id();
  n.tenant_id = in.tenant_id();
  n.plan = in.plan();
  n.severity = in.severity();
  n.metric = metric_name(in.metric());
  n.cycle = in.cycle();
  if (in.has_deadline()) n.deadline = millis(in.deadline());
  if (in.has_fired_at()) n.fired_at = millis(in.fired_at());
  switch (in.kind_case()) {
    case pb::SlaEvent::kWarning:
      n.kind = "warning";
      n.detail = in.warning().threshold();
      break;
    case pb::SlaEvent::kBreached:
      n.kind = "breached";
      n.detail = std::to_string(in.breached().reminder());
      break;
    case pb::SlaEvent::kMet:
      n.kind = "met";
      if (in.met().after_breach()) n.detail = "after_breach";
      break;
    case pb::SlaEvent::kEscalated:
      n.kind = "escalated";
      n.detail = std::to_string(in.escalated().step());
      n.trigger = in.escalated().trigger();
      n.exchanges = in.escalated().exchanges();
      if (in.escalated().has_request()) {
        const auto& req = in.escalated().request();
        n.requested_by = req.by();
        n.request_reason = req.reason();
        if (req.has_requested_at()) n.requested_at = millis(req.requested_at());
      }
      break;
    default: return fail(ErrorCode::kInvalidArgument, "SlaEvent without a kind");
  }
  return n;
}

std::string encode_page_acknowledged(const notify::PageAck& ack) {
  pb::TicketEvent e;
  e.set_event_id(ack.event_id);
  e.set_ticket_id(ack.ticket_id);
  *e.mutable_occurred_at() = TimeUtil::MillisecondsToTimestamp(ack.occurred_at);
  e.mutable_page_acknowledged()->set_page_id(ack.page_id);
  e.mutable_page_acknowledged()->set_responder(ack.responder);
  return e.SerializeAsString();
}

std::string encode_page(const notify::Page& p) {
  pb::PageEvent e;
  e.set_page_id(p.page_id);
  e.set_dedup_key(p.dedup_key);
  e.set_ticket_id(p.ticket_id);
  e.set_tenant_id(p.tenant_id);
  e.set_plan(p.plan);
  e.set_severity(p.severity);
  e.set_metric(metric_enum(p.metric));
  e.set_cycle(p.cycle);
  e.set_target(p.target);
  e.set_rotation(p.rotation);
  e.set_responder(p.responder);
  e.set_level(p.level);
  e.set_attempt(p.attempt);
  if (p.ack_deadline) *e.mutable_ack_deadline() = TimeUtil::MillisecondsToTimestamp(*p.ack_deadline);
  e.set_urgency(p.high_urgency ? pb::URGENCY_HIGH : pb::URGENCY_LOW);
  if (p.fired_at != 0) *e.mutable_fired_at() = TimeUtil::MillisecondsToTimestamp(p.fired_at);
  switch (p.action) {
    case notify::PageAction::kTrigger: e.set_action(pb::PAGE_ACTION_TRIGGER); break;
    case notify::PageAction::kAcknowledge: e.set_action(pb::PAGE_ACTION_ACKNOWLEDGE); break;
    case notify::PageAction::kResolve: e.set_action(pb::PAGE_ACTION_RESOLVE); break;
  }
  return e.SerializeAsString();
}

}  // namespace sla::notify_service
