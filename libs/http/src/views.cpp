#include "sla/http/views.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "sla/calendar/calendar.hpp"

namespace sla::http {

namespace {

using nlohmann::json;

json instant(std::optional<EpochMillis> t) {
  if (!t) return nullptr;
  return calendar::format_rfc3339(*t);
}

json stretches_json(const std::vector<engine::ClockStretch>& stretches) {
  json out = json::array();
  for (const auto& s : stretches) {
    out.push_back({{"from", calendar::format_rfc3339(s.from)},
                   {"to", calendar::format_rfc3339(s.to)},
                   {"ms", s.to - s.from},
                   {"kind", engine::to_string(s.kind)},
                   {"status", s.kind == engine::StretchKind::kStatus ? json(s.status) : json(nullptr)}});
  }
  return out;
}

}  // namespace

json ladder_json(const engine::PageLadderView& p) {
  json last = nullptr;
  if (p.last_page_at) {
    last = {{"level", p.level},
            {"attempt", p.attempt},
            {"rotation", p.rotation.empty() ? json(nullptr) : json(p.rotation)},
            {"responder", p.responder},
            {"at", instant(p.last_page_at)},
            {"ack_deadline", instant(p.ack_deadline)}};
  }
  return {
      {"key", p.key},
      {"metric", policy::to_string(p.metric)},
      {"cycle", p.cycle},
      {"target", p.target},
      {"state", p.state.empty() ? std::string(p.stopped ? "stopped" : "paging") : p.state},
      {"pages_sent", p.pages_sent},
      {"pages_total", p.pages_total},
      {"stopped", p.stopped},
      {"next_page_at", instant(p.next_page_at)},
      {"last_page", std::move(last)},
      {"acked", p.acked_at ? json{{"by", p.acked_by.empty() ? json(nullptr) : json(p.acked_by)},
                                  {"at", instant(p.acked_at)}}
                           : json(nullptr)},
  };
}

json ticket_json(const engine::TicketView& t, EpochMillis now) {
  json clocks = json::array();
  for (const auto& c : t.clocks) {
    json cj = {
        {"metric", policy::to_string(c.metric)},
        {"cycle", c.cycle},
        {"started_at", c.started_at != 0 ? instant(c.started_at) : json(nullptr)},
        {"wall_ms", c.started_at != 0 ? json(std::max<std::int64_t>(now - c.started_at, 0)) : json(nullptr)},
        {"state", engine::to_string(c.state)},
        {"pause_reason", c.pause_reason == engine::PauseReason::kNone
                             ? json(nullptr)
                             : json(engine::to_string(c.pause_reason))},
        {"pause_status", c.pause_status.empty() ? json(nullptr) : json(c.pause_status)},
        {"calendar", c.calendar},
        {"elapsed_ms", c.elapsed_ms},
        {"target_ms", c.target_ms ? json(*c.target_ms) : json(nullptr)},
        {"remaining_ms", c.target_ms ? json(*c.target_ms - c.elapsed_ms) : json(nullptr)},
        {"deadline", instant(c.deadline)},
        {"deadline_in_ms", c.deadline ? json(*c.deadline - now) : json(nullptr)},
        {"fired", c.fired},
        {"stretches", stretches_json(c.stretches)},
        {"stretches_truncated", c.stretches_truncated},
    };
    clocks.push_back(std::move(cj));
  }
  json history = json::array();
  for (const auto& h : t.history) {
    history.push_back({
        {"metric", policy::to_string(h.metric)},
        {"cycle", h.cycle},
        {"started_at", calendar::format_rfc3339(h.started_at)},
        {"ended_at", calendar::format_rfc3339(h.ended_at)},
        {"elapsed_ms", h.elapsed_ms},
        {"wall_ms", h.ended_at - h.started_at},
        {"outcome", h.outcome},
    });
  }
  json pages = json::array();
  for (const auto& p : t.pages) {
    pages.push_back(ladder_json(p));
  }
  json attributes = json::object();
  for (const auto& [k, v] : t.attributes) attributes[k] = v;
  return {
      {"ticket_id", t.ticket_id},
      {"tenant_id", t.tenant_id},
      {"plan", t.plan},
      {"severity", t.severity},
      {"status", t.status},
      {"opened", t.opened},
      {"resolved", t.resolved},
      {"closed", t.closed},
      {"opened_at", t.opened ? instant(t.opened_at) : json(nullptr)},
      {"attributes", std::move(attributes)},
      {"next_due", instant(t.next_due)},
      {"exchanges", t.exchanges},
      {"awaiting_customer", t.awaiting_customer},
      {"escalation_request", t.escalation_requested_at
                                 ? json{{"at", instant(t.escalation_requested_at)},
                                        {"by", t.escalation_requested_by},
                                        {"reason", t.escalation_reason}}
                                 : json(nullptr)},
      {"now", calendar::format_rfc3339(now)},
      {"clocks", std::move(clocks)},
      {"history", std::move(history)},
      {"pages", std::move(pages)},
  };
}

json at_risk_json(std::vector<engine::AtRisk> items, EpochMillis now, std::int64_t within_ms,
                  std::size_t limit) {
  std::sort(items.begin(), items.end(), [](const engine::AtRisk& a, const engine::AtRisk& b) {
    return std::tie(a.deadline, a.ticket_id, a.metric) < std::tie(b.deadline, b.ticket_id, b.metric);
  });
  if (items.size() > limit) items.resize(limit);

  json tickets = json::array();
  // (plan, severity) -> (at_risk, overdue); std::map keeps the output sorted.
  std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> groups;
  for (const auto& a : items) {
    const bool overdue = a.deadline <= now;
    tickets.push_back({
        {"ticket_id", a.ticket_id},
        {"metric", policy::to_string(a.metric)},
        {"plan", a.plan},
        {"severity", a.severity},
        {"deadline", calendar::format_rfc3339(a.deadline)},
        {"deadline_in_ms", a.deadline - now},
        {"overdue", overdue},
    });
    auto& g = groups[{a.plan, a.severity}];
    ++g.first;
    if (overdue) ++g.second;
  }
  json by = json::array();
  for (const auto& [key, counts] : groups) {
    by.push_back({{"plan", key.first},
                  {"severity", key.second},
                  {"at_risk", counts.first},
                  {"overdue", counts.second}});
  }
  return {
      {"now", calendar::format_rfc3339(now)},
      {"within_ms", within_ms},
      {"count", items.size()},
      {"tickets", std::move(tickets)},
      {"by_plan_severity", std::move(by)},
  };
}

namespace {

json shift_json(const policy::OnCallShift& s) {
  return {{"member", s.member}, {"from", instant(s.from)}, {"until", instant(s.until)}, {"overridden", s.overridden}};
}

json rotation_json(const policy::Rotation& r, EpochMillis at) {
  const auto current = r.shift_at(at);
  json overrides = json::array();
  for (const auto& o : r.overrides) {
    if (o.to <= at) continue;
    overrides.push_back({{"member", o.member},
                         {"from", instant(o.from)},
                         {"to", instant(o.to)},
                         {"from_local", o.from_text},
                         {"to_local", o.to_text},
                         {"active", o.from <= at}});
  }
  return {{"name", r.name},
          {"timezone", r.timezone},
          {"shift", r.shift_text},
          {"handoff", r.handoff_text},
          {"members", r.members},
          {"current", shift_json(current)},
          {"next", current.until > at ? shift_json(r.shift_at(current.until)) : json(nullptr)},
          {"overrides", std::move(overrides)}};
}

}  // namespace

json oncall_json(const policy::Policy& p, EpochMillis at) {
  json rotations = json::array();
  for (const auto& [name, r] : p.rotations()) rotations.push_back(rotation_json(r, at));
  json targets = json::array();
  for (const auto& [name, t] : p.paging_targets()) {
    json levels = json::array();
    for (const auto& l : t.levels) {
      levels.push_back({{"rotation", l.rotation != nullptr ? json(l.rotation_name) : json(nullptr)},
                        {"member", l.rotation != nullptr ? json(nullptr) : json(l.member)},
                        {"responder", l.responder(at)},
                        {"ack_timeout", l.ack_timeout_text}});
    }
    targets.push_back({{"name", name}, {"repeat", t.repeat}, {"levels", std::move(levels)}});
  }
  return {{"at", instant(at)},
          {"policy_id", p.id()},
          {"version", p.version()},
          {"rotations", std::move(rotations)},
          {"targets", std::move(targets)}};
}

json policy_json(const policy::Policy& p) {
  json plans = json::array();
  for (const auto& [name, plan] : p.plans()) {
    plans.push_back(
        {{"name", name}, {"calendar", plan.default_calendar_name}, {"severities", plan.severity_order}});
  }
  return {
      {"policy_id", p.id()},
      {"version", p.version()},
      {"summary", p.summary()},
      {"plans", std::move(plans)},
      {"calendars", p.calendars().names()},
  };
}

json load_errors_json(const std::vector<policy::LoadError>& errors) {
  json list = json::array();
  for (const auto& e : errors) {
    list.push_back({{"file", e.file}, {"line", e.line}, {"column", e.column}, {"message", e.message}});
  }
  return {{"ok", errors.empty()}, {"errors", std::move(list)}};
}

json validate_policy_json(std::string_view yaml_text, const policy::LoadOptions& options) {
  policy::LoadOptions opts = options;
  opts.allow_files = false;  // a policy sent to the service reads no file of the host (SPEC 5.3)
  std::vector<policy::LoadError> errors;
  auto loaded = policy::load_policy(yaml_text, opts, errors);
  if (!loaded && errors.empty()) {
    // load_policy promises an error with every nullptr; keep the answer honest anyway.
    errors.push_back({options.file, 0, 0, "policy failed to load"});
  }
  return load_errors_json(errors);
}

sla::Result<EpochMillis> policy_deadline(const policy::Policy& p, std::string_view calendar_name,
                                         EpochMillis start, const calendar::Duration& duration) {
  const calendar::Calendar* cal = p.calendars().find(calendar_name);
  if (cal == nullptr) {
    std::string known;
    for (const auto& n : p.calendars().names()) {
      if (!known.empty()) known += ", ";
      known += n;
    }
    return sla::fail(ErrorCode::kNotFound,
                     "unknown calendar '" + std::string(calendar_name) + "' (known: " + known + ")");
  }
  if (start >= calendar::Calendar::kMaxInstant) {
    return sla::fail(ErrorCode::kOutOfRange, "start is after 2399 (supported instants end there)");
  }
  const EpochMillis deadline = cal->add(start, duration);
  if (deadline >= calendar::Calendar::kMaxInstant) {
    return sla::fail(ErrorCode::kOutOfRange, "the deadline falls after 2399 (supported instants end there)");
  }
  return deadline;
}

}  // namespace sla::http
