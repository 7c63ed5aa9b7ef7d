#include "sla/notify/payload.hpp"

#include <chrono>
#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "sla/notify/signing.hpp"

namespace sla::notify {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Slack mrkdwn: &, < and > are control characters.
std::string slack_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string or_dash(std::string_view s) { return s.empty() ? std::string("-") : std::string(s); }

json page_json(const Page& p) {
  json j = {{"page_id", p.page_id},
            {"dedup_key", p.dedup_key},
            {"action", to_string(p.action)},
            {"ticket_id", p.ticket_id},
            {"tenant_id", p.tenant_id},
            {"plan", p.plan},
            {"severity", p.severity},
            {"metric", p.metric},
            {"cycle", p.cycle},
            {"target", p.target},
            {"rotation", p.rotation},
            {"responder", p.responder},
            {"level", p.level},
            {"attempt", p.attempt},
            {"urgency", p.high_urgency ? "high" : "low"}};
  if (p.ack_deadline) j["ack_deadline"] = rfc3339(*p.ack_deadline);
  if (p.fired_at != 0) j["fired_at"] = rfc3339(p.fired_at);
  return j;
}

json notice_json(const Notice& n) {
  json j = {{"event_id", n.event_id}, {"ticket_id", n.ticket_id}, {"tenant_id", n.tenant_id},
            {"plan", n.plan},         {"severity", n.severity},   {"metric", n.metric},
            {"cycle", n.cycle},       {"kind", n.kind},           {"detail", n.detail}};
  if (n.deadline) j["deadline"] = rfc3339(*n.deadline);
  if (n.fired_at != 0) j["fired_at"] = rfc3339(n.fired_at);
  if (n.kind == "escalated") {
    j["trigger"] = n.trigger.empty() ? std::string("clock") : n.trigger;
    if (n.trigger == "exchanges") j["exchanges"] = n.exchanges;
    if (n.trigger == "requested") {
      json r = {{"by", n.requested_by}, {"reason", n.request_reason}};
      if (n.requested_at) r["requested_at"] = rfc3339(*n.requested_at);
      j["request"] = std::move(r);
    }
  }
  return j;
}

// At most `max` bytes of `s`, cut before a UTF-8 continuation byte, with
// "..." when cut.
std::string clip(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) --n;
  return std::string(s.substr(0, n)) + "...";
}

// Why an escalation step fired, for people: "on the clock", "after 2
// exchanges", "requested by ana: \"down again\"".
std::string escalation_reason(const Notice& n) {
  if (n.trigger == "exchanges") {
    return "after " + std::to_string(n.exchanges) + (n.exchanges == 1 ? " exchange" : " exchanges");
  }
  if (n.trigger == "requested") {
    std::string s = "requested by " + or_dash(n.requested_by);
    if (!n.request_reason.empty()) s += ": \"" + clip(n.request_reason, 200) + "\"";
    return s;
  }
  if (!n.trigger.empty()) return "trigger " + n.trigger;
  return "on the clock";
}

std::string notice_summary(const Notice& n) {
  std::string s = "[" + or_dash(n.severity) + "] " + or_dash(n.tenant_id) + " ticket " + n.ticket_id + ": " +
                  or_dash(n.metric) + " SLA ";
  if (n.kind == "warning") {
    s += "at risk (" + n.detail + ")";
  } else if (n.kind == "breached") {
    s += n.detail.empty() || n.detail == "0" ? "breached" : "still breached (reminder " + n.detail + ")";
  } else if (n.kind == "met") {
    s += n.detail == "after_breach" ? "met after its breach" : "met";
  } else if (n.kind == "escalated") {
    s += "escalated (step " + n.detail + ", " + escalation_reason(n) + ")";
  } else {
    s += n.kind;
  }
  if (n.deadline && n.kind != "met") s += "; deadline " + rfc3339(*n.deadline);
  return s;
}

json slack_field(const std::string& label, std::string_view value) {
  return {{"type", "mrkdwn"}, {"text", "*" + label + "*\n" + slack_escape(or_dash(value))}};
}

json slack_message(const std::string& title, const std::string& summary, json fields, const std::string& link,
                   const std::string& context) {
  json blocks = json::array();
  blocks.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", title.substr(0, 150)}}}});
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", slack_escape(summary)}}}});
  blocks.push_back({{"type", "section"}, {"fields", std::move(fields)}});
  blocks.push_back({{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", slack_escape(context)}}})}});
  if (!link.empty()) {
    blocks.push_back({{"type", "actions"},
                      {"elements", json::array({{{"type", "button"},
                                                 {"text", {{"type", "plain_text"}, {"text", "Open ticket"}}},
                                                 {"url", link}}})}});
  }
  return {{"text", summary}, {"blocks", std::move(blocks)}};
}

OutboundRequest json_post(const Destination& dest, std::string body) {
  OutboundRequest r;
  r.url = dest.url;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

void sign(OutboundRequest& r, const Destination& dest, EpochMillis now) {
  const std::int64_t ts = now / 1000;
  r.headers.emplace_back(std::string(kTimestampHeader), std::to_string(ts));
  r.headers.emplace_back(std::string(kSignatureHeader), sign_webhook(dest.secret, ts, r.body));
}

}  // namespace

std::string rfc3339(EpochMillis t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{t}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::string to_json(const Page& page) { return dump(page_json(page)); }
std::string to_json(const Notice& notice) { return dump(notice_json(notice)); }

std::string_view pagerduty_severity(const Page& page) noexcept { return page.high_urgency ? "critical" : "warning"; }

std::string ticket_link(const std::string& dashboard_url, std::string_view ticket_id) {
  if (dashboard_url.empty()) return {};
  std::string out = dashboard_url + "/v1/tickets/";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : ticket_id) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

std::string page_summary(const Page& p) {
  std::string s = "[" + or_dash(p.severity) + "] " + or_dash(p.tenant_id) + " ticket " + p.ticket_id + ": " +
                  or_dash(p.metric) + " SLA ";
  switch (p.action) {
    case PageAction::kTrigger:
      s += "paging " + or_dash(p.target) + " (level " + std::to_string(p.level + 1);
      if (p.attempt > 0) s += ", repeat " + std::to_string(p.attempt);
      if (!p.responder.empty()) s += ", " + p.responder;
      s += ")";
      if (p.ack_deadline) s += "; ack by " + rfc3339(*p.ack_deadline);
      break;
    case PageAction::kAcknowledge: s += "page acknowledged"; break;
    case PageAction::kResolve: s += "page resolved"; break;
  }
  if (s.size() > 1024) s.resize(1024);
  return s;
}

Result<OutboundRequest> build_request(const Destination& dest, const Page& page, const std::string& dashboard_url,
                                      EpochMillis now) {
  if (page.dedup_key.empty()) return fail(ErrorCode::kInvalidArgument, "page " + page.page_id + " has no dedup_key");
  const std::string link = ticket_link(dashboard_url, page.ticket_id);
  switch (dest.kind) {
    case DestinationKind::kPagerDuty: {
      json j = {{"routing_key", dest.routing_key}, {"event_action", to_string(page.action)}, {"dedup_key", page.dedup_key}};
      if (page.action == PageAction::kTrigger) {
        json details = page_json(page);
        j["payload"] = {{"summary", page_summary(page)},
                        {"source", "sla-timer"},
                        {"severity", pagerduty_severity(page)},
                        {"component", page.metric},
                        {"group", page.tenant_id},
                        {"class", page.plan},
                        {"custom_details", std::move(details)}};
        if (page.fired_at != 0) j["payload"]["timestamp"] = rfc3339(page.fired_at);
        j["client"] = "sla-timer";
        if (!link.empty()) {
          j["client_url"] = link;
          j["links"] = json::array({{{"href", link}, {"text", "Ticket " + page.ticket_id + " in the SLA dashboard"}}});
        }
      }
      return json_post(dest, dump(j));
    }
    case DestinationKind::kSlack: {
      std::string title;
      switch (page.action) {
        case PageAction::kTrigger: title = "Page: ticket " + page.ticket_id; break;
        case PageAction::kAcknowledge: title = "Acknowledged: ticket " + page.ticket_id; break;
        case PageAction::kResolve: title = "Resolved: ticket " + page.ticket_id; break;
      }
      json fields = json::array({slack_field("Tenant", page.tenant_id), slack_field("Severity", page.severity),
                                 slack_field("Plan", page.plan), slack_field("Metric", page.metric),
                                 slack_field("Target", page.target), slack_field("On call", page.responder)});
      if (page.ack_deadline && page.action == PageAction::kTrigger) {
        fields.push_back(slack_field("Ack by", rfc3339(*page.ack_deadline)));
      }
      return json_post(dest, dump(slack_message(title, page_summary(page), std::move(fields), link,
                                                "dedup_key " + page.dedup_key)));
    }
    case DestinationKind::kWebhook: {
      auto r = json_post(dest, dump({{"type", "page"}, {"page", page_json(page)}}));
      r.headers.emplace_back("Idempotency-Key", page.page_id + "/" + std::string(to_string(page.action)));
      sign(r, dest, now);
      return r;
    }
  }
  return fail(ErrorCode::kInternal, "unknown destination kind");
}

Result<OutboundRequest> build_request(const Destination& dest, const Notice& notice, const std::string& dashboard_url,
                                      EpochMillis now) {
  const std::string link = ticket_link(dashboard_url, notice.ticket_id);
  switch (dest.kind) {
    case DestinationKind::kPagerDuty:
      return fail(ErrorCode::kInvalidArgument, "destination " + dest.name + " is pagerduty: notices are chat only");
    case DestinationKind::kSlack: {
      json fields = json::array({slack_field("Tenant", notice.tenant_id), slack_field("Severity", notice.severity),
                                 slack_field("Plan", notice.plan), slack_field("Metric", notice.metric)});
      if (notice.deadline) fields.push_back(slack_field("Deadline", rfc3339(*notice.deadline)));
      if (notice.kind == "escalated") {
        fields.push_back(slack_field("Trigger", notice.trigger.empty() ? std::string("clock") : notice.trigger));
        if (notice.trigger == "exchanges") fields.push_back(slack_field("Exchanges", std::to_string(notice.exchanges)));
        if (notice.trigger == "requested") {
          fields.push_back(slack_field("Requested by", notice.requested_by));
          fields.push_back(slack_field("Reason", notice.request_reason));
        }
      }
      const std::string title = "SLA " + notice.kind + ": ticket " + notice.ticket_id;
      return json_post(dest, dump(slack_message(title, notice_summary(notice), std::move(fields), link,
                                                "event " + notice.event_id)));
    }
    case DestinationKind::kWebhook: {
      auto r = json_post(dest, dump({{"type", "notice"}, {"notice", notice_json(notice)}}));
      r.headers.emplace_back("Idempotency-Key", notice.event_id);
      sign(r, dest, now);
      return r;
    }
  }
  return fail(ErrorCode::kInternal, "unknown destination kind");
}

}  // namespace sla::notify
