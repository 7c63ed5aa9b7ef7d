#include "sla/views/json.hpp"

#include <algorithm>

#include "sla/calendar/calendar.hpp"
#include "sla/http/views.hpp"
#include "sla/policy/metric.hpp"

namespace sla::views {

using nlohmann::json;

AtRiskQuery to_query(const http::AtRiskParams& p, EpochMillis now) {
  AtRiskQuery q;
  q.now = now;
  q.within_ms = p.within_ms;
  q.limit = p.limit;
  q.tenant = p.tenant;
  q.plan = p.plan;
  q.severity = p.severity;
  if (p.metric) q.metric = policy::parse_metric(*p.metric);
  return q;
}

namespace {
bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string_view::npos;
}
std::size_t count_slashes(std::string_view s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '/')); }
}  // namespace

sla::Result<std::string> ticket_of_page(std::string_view id) {
  constexpr std::string_view kPage = "/page/";
  for (auto pos = id.rfind(kPage); pos != std::string_view::npos && pos > 0; pos = id.rfind(kPage, pos - 1)) {
    const std::string_view suffix = id.substr(pos + kPage.size());  // step/target[/level/attempt]
    const std::size_t n = count_slashes(suffix);
    if (n != 1 && n != 3) continue;
    if (n == 3) {
      const auto a = suffix.rfind('/');
      const auto l = suffix.rfind('/', a - 1);
      if (!all_digits(suffix.substr(a + 1)) || !all_digits(suffix.substr(l + 1, a - l - 1))) continue;
    }
    const std::string_view head = id.substr(0, pos);  // ticket/metric/cycle
    const auto c = head.rfind('/');
    if (c == std::string_view::npos || !all_digits(head.substr(c + 1))) continue;
    const auto m = head.rfind('/', c == 0 ? 0 : c - 1);
    if (m == std::string_view::npos || m == 0) continue;
    if (!policy::parse_metric(head.substr(m + 1, c - m - 1))) continue;
    return std::string(head.substr(0, m));
  }
  return sla::fail(ErrorCode::kInvalidArgument,
                   "'" + std::string(id.substr(0, 200)) +
                       "' is not a page id ({ticket}/{metric}/{cycle}/page/{step}/{target}[/{level}/{attempt}])");
}

json freshness_json(const Freshness& f) {
  return {{"loaded", f.loaded},
          {"as_of", f.loaded ? json(calendar::format_rfc3339(f.as_of)) : json(nullptr)},
          {"lag_ms", f.lag_ms},
          {"tickets", f.tickets}};
}

json at_risk_json(const AtRiskResult& r, const AtRiskQuery& q, const Freshness& f) {
  json tickets = json::array();
  for (const auto& a : r.items) {
    tickets.push_back({{"ticket_id", a.ticket_id},
                       {"tenant_id", a.tenant_id},
                       {"metric", policy::to_string(a.metric)},
                       {"plan", a.plan},
                       {"severity", a.severity},
                       {"deadline", calendar::format_rfc3339(a.deadline)},
                       {"deadline_in_ms", a.deadline - q.now},
                       {"overdue", a.deadline <= q.now}});
  }
  json by = json::array();
  for (const auto& [key, c] : r.by_plan_severity) {
    by.push_back({{"plan", key.first}, {"severity", key.second}, {"at_risk", c.at_risk}, {"overdue", c.overdue}});
  }
  json filters = json::object();
  if (q.tenant) filters["tenant"] = *q.tenant;
  if (q.plan) filters["plan"] = *q.plan;
  if (q.severity) filters["severity"] = *q.severity;
  if (q.metric) filters["metric"] = policy::to_string(*q.metric);
  return {{"now", calendar::format_rfc3339(q.now)},
          {"within_ms", q.within_ms},
          {"limit", q.limit},
          {"filters", std::move(filters)},
          {"count", r.total},
          {"overdue", r.overdue},
          {"returned", r.items.size()},
          {"tickets", std::move(tickets)},
          {"by_plan_severity", std::move(by)},
          {"view", freshness_json(f)}};
}

namespace {
json unacked_item_json(const UnackedItem& item, EpochMillis now) {
  const auto& v = item.ticket->view;
  const auto& p = v.pages[item.ladder];
  json j = http::ladder_json(p);
  const json last = j["last_page"];
  j.erase("last_page");
  j.erase("stopped");
  j.erase("acked");  // an acknowledged ladder is not in this list
  j["page_id"] = p.key + "/" + std::to_string(p.level) + "/" + std::to_string(p.attempt);
  j["ticket_id"] = v.ticket_id;
  j["tenant_id"] = v.tenant_id;
  j["plan"] = v.plan;
  j["severity"] = v.severity;
  j["level"] = p.level;
  j["attempt"] = p.attempt;
  j["rotation"] = last.is_object() ? last["rotation"] : json(nullptr);
  j["responder"] = p.responder;
  j["paged_at"] = last.is_object() ? last["at"] : json(nullptr);
  j["ack_deadline"] = last.is_object() ? last["ack_deadline"] : json(nullptr);
  j["ack_overdue"] = p.ack_deadline && *p.ack_deadline <= now;
  j["waiting_ms"] = p.last_page_at ? json(now - *p.last_page_at) : json(nullptr);
  return j;
}
}  // namespace

json unacked_json(const UnackedResult& r, const UnackedQuery& q, EpochMillis now, const Freshness& f) {
  json pages = json::array();
  for (const auto& item : r.items) pages.push_back(unacked_item_json(item, now));
  json filters = json::object();
  if (q.tenant) filters["tenant"] = *q.tenant;
  return {{"now", calendar::format_rfc3339(now)},
          {"state", "unacked"},
          {"filters", std::move(filters)},
          {"count", r.matched},
          {"total", r.total},
          {"returned", r.items.size()},
          {"pages", std::move(pages)},
          {"view", freshness_json(f)}};
}

json ticket_json(const ViewTicket& t, EpochMillis now, const Freshness& f) {
  json j = http::ticket_json(t.view, now);
  // A snapshot's counted time is as of the snapshot: its wall time must be
  // too, or "not counted" (wall - counted) would grow with the snapshot's age.
  for (std::size_t i = 0; i < t.view.clocks.size() && i < j["clocks"].size(); ++i) {
    const EpochMillis started = t.view.clocks[i].started_at;
    if (started != 0) j["clocks"][i]["wall_ms"] = std::max<std::int64_t>(t.as_of - started, 0);
  }
  j["snapshot_as_of"] = calendar::format_rfc3339(t.as_of);
  j["view"] = freshness_json(f);
  return j;
}

}  // namespace sla::views
