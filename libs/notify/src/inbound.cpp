#include "sla/notify/inbound.hpp"

#include <charconv>
#include <chrono>
#include <vector>

#include <nlohmann/json.hpp>

namespace sla::notify {
namespace {

bool num(std::string_view s, int& out) {
  const auto* end = s.data() + s.size();
  return !s.empty() && std::from_chars(s.data(), end, out).ptr == end;
}

std::string str_at(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<std::string> ticket_of_dedup_key(std::string_view key) {
  // <ticket>/<metric>/<cycle>/page/<escalation>/<step number>/<target>: the
  // six segments after the ticket have no '/' (the policy loader refuses it
  // in escalation names), so the ticket is what precedes the sixth '/' from
  // the end, whatever its own id holds.
  std::vector<std::size_t> slashes;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '/') slashes.push_back(i);
  }
  if (slashes.size() < 6) return std::nullopt;
  const std::size_t n = slashes.size();
  auto segment = [&](std::size_t from_end) {  // 1 = the target
    const std::size_t begin = slashes[n - from_end] + 1;
    const std::size_t end = from_end == 1 ? key.size() : slashes[n - from_end + 1];
    return key.substr(begin, end - begin);
  };
  const auto metric = segment(6);
  if (segment(4) != "page" || (metric != "response" && metric != "update" && metric != "workaround" &&
                               metric != "resolution")) {
    return std::nullopt;
  }
  const std::size_t end = slashes[n - 6];
  if (end == 0) return std::nullopt;
  return std::string(key.substr(0, end));
}

std::optional<EpochMillis> parse_rfc3339(std::string_view t) {
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!num(t.substr(0, 4), y) || !num(t.substr(5, 2), mo) || !num(t.substr(8, 2), d) || !num(t.substr(11, 2), h) ||
      !num(t.substr(14, 2), mi) || !num(t.substr(17, 2), s)) {
    return std::nullopt;
  }
  std::size_t i = 19;
  std::int64_t ms = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (t[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    int oh = 0, om = 0;
    if (!num(t.substr(i + 1, 2), oh) || !num(t.substr(i + 4, 2), om)) return std::nullopt;
    offset_min = (t[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<milliseconds>(tp.time_since_epoch()).count() + ms - offset_min * 60'000;
}

Result<std::optional<PageAck>> parse_pagerduty_webhook(std::string_view body, EpochMillis now) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::kInvalidArgument, "body is not a JSON object");
  const auto ev = j.find("event");
  if (ev == j.end() || !ev->is_object()) return fail(ErrorCode::kInvalidArgument, "no 'event' object");
  PageAck ack;
  ack.event_type = str_at(*ev, "event_type");
  const std::string id = str_at(*ev, "id");
  if (ack.event_type.empty() || id.empty()) {
    return fail(ErrorCode::kInvalidArgument, "event without 'id' or 'event_type'");
  }
  if (ack.event_type != "incident.acknowledged" && ack.event_type != "incident.resolved") {
    return std::optional<PageAck>{};
  }
  const auto data = ev->find("data");
  if (data == ev->end() || !data->is_object()) return fail(ErrorCode::kInvalidArgument, "event without 'data'");
  const std::string key = str_at(*data, "incident_key");
  auto ticket = ticket_of_dedup_key(key);
  if (!ticket) return std::optional<PageAck>{};  // an incident some other integration opened
  ack.event_id = "pagerduty/" + id;
  ack.ticket_id = std::move(*ticket);
  ack.page_id = key;
  if (const auto agent = ev->find("agent"); agent != ev->end() && agent->is_object()) {
    ack.responder = str_at(*agent, "summary");
  }
  ack.occurred_at = parse_rfc3339(str_at(*ev, "occurred_at")).value_or(now);
  return std::optional<PageAck>{std::move(ack)};
}

}  // namespace sla::notify
