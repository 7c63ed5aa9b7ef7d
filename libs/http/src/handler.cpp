#include "sla/http/handler.hpp"

#include <charconv>
#include <exception>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "sla/calendar/calendar.hpp"
#include "sla/http/origin.hpp"
#include "sla/policy/metric.hpp"

namespace sla::http {

namespace beast_http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

Response make_response(const Request& req, unsigned status, std::string_view content_type, std::string body) {
  Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::server, "sla-timerd");
  res.set(beast_http::field::content_type, content_type);
  res.set(beast_http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, unsigned status, const json& body) {
  return make_response(req, status, kJson, dump_json(body));
}

Response method_not_allowed(const Request& req, std::string_view allow) {
  Response res = error_response(req, 405, "method " + std::string(req.method_string()) + " not allowed here");
  res.set(beast_http::field::allow, allow);
  return res;
}

Response not_configured(const Request& req, std::string_view what) {
  return error_response(req, 501, std::string(what) + " is not available in this process");
}

/// Compares in time independent of where the first difference is, so a
/// token cannot be guessed byte by byte from response times.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    diff = static_cast<unsigned char>(diff |
                                      (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// nullopt when authorised, else the 401 to send.
std::optional<Response> check_auth(const Request& req, const Deps& deps) {
  if (deps.bearer_tokens.empty()) return std::nullopt;
  const auto it = req.find(beast_http::field::authorization);
  std::string_view message = "missing bearer token";
  if (it != req.end()) {
    const std::string_view value{it->value().data(), it->value().size()};
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() > kScheme.size() && iequals(value.substr(0, kScheme.size()), kScheme)) {
      std::string_view token = value.substr(kScheme.size());
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      bool ok = false;
      // Every token is compared so timing does not reveal which one matched.
      // An empty configured token (a blank line in a token file) matches nothing.
      for (const auto& t : deps.bearer_tokens) ok = (!t.empty() && constant_time_equal(token, t)) || ok;
      if (ok) return std::nullopt;
      message = "invalid bearer token";
    } else {
      message = "authorization must be 'Bearer <token>'";
    }
  }
  Response res = error_response(req, 401, message);
  res.set(beast_http::field::www_authenticate, it == req.end()
                                                   ? "Bearer realm=\"sla-timer\""
                                                   : "Bearer realm=\"sla-timer\", error=\"invalid_token\"");
  return res;
}

struct Target {
  std::string_view path;
  std::string_view query;
};

Target split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

/// Parses a query string into (name, value) pairs, percent-decoded ('+' is a
/// space here, as browsers encode forms). nullopt on a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    std::string name(item.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
    for (auto* s : {&name, &value}) {
      for (char& c : *s) {
        if (c == '+') c = ' ';
      }
    }
    auto n = percent_decode(name);
    auto v = percent_decode(value);
    if (!n || !v) return std::nullopt;
    out.emplace_back(std::move(*n), std::move(*v));
  }
  return out;
}

Response get_ticket(const Request& req, const Deps& deps, std::string_view raw_id) {
  if (!deps.ticket) return not_configured(req, "ticket lookup");
  auto id = percent_decode(raw_id);
  if (!id) return error_response(req, 400, "malformed percent-encoding in ticket id");
  if (id->empty()) return error_response(req, 404, "no ticket id given");
  auto found = deps.ticket(*id);
  if (!found) return error_response(req, 404, "unknown ticket '" + *id + "'");
  return json_response(req, 200, *found);
}

/// `limit`: a positive integer; out of range or above the cap it is capped.
/// nullopt (with `error` set) when it is not a positive integer.
std::optional<std::size_t> parse_limit(const std::string& value, const Limits& limits, std::string& error) {
  const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
  std::uint64_t n = 0;
  const auto ec = digits ? std::from_chars(value.data(), value.data() + value.size(), n).ec : std::errc::invalid_argument;
  if (!digits || (ec == std::errc{} && n == 0)) {
    error = "bad limit '" + value + "': expected a positive integer";
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || n > limits.max_limit) return limits.max_limit;
  return n;  // std::uint64_t is std::size_t on the LP64 targets
}

Response list_pages(const Request& req, const Deps& deps, std::string_view query) {
  if (!deps.pages) return not_configured(req, "the page list");
  auto params = parse_query(query);
  if (!params) return error_response(req, 400, "malformed percent-encoding in the query string");
  PagesParams p;
  p.limit = deps.limits.default_limit;
  bool seen_state = false, seen_limit = false;
  for (const auto& [name, value] : *params) {
    if (name == "state") {
      if (seen_state) return error_response(req, 400, "state given twice");
      seen_state = true;
      if (value != "unacked") return error_response(req, 400, "bad state '" + value + "': expected unacked");
      p.state = value;
    } else if (name == "limit") {
      if (seen_limit) return error_response(req, 400, "limit given twice");
      seen_limit = true;
      std::string error;
      auto n = parse_limit(value, deps.limits, error);
      if (!n) return error_response(req, 400, error);
      p.limit = *n;
    } else if (name == "tenant") {
      if (p.tenant) return error_response(req, 400, "tenant given twice");
      if (value.empty() || value.size() > 256) return error_response(req, 400, "bad tenant: expected 1 to 256 characters");
      p.tenant = value;
    } else {
      return error_response(req, 400, "unknown query parameter '" + name + "' (expected state, limit, tenant)");
    }
  }
  return json_response(req, 200, deps.pages(p));
}

Response get_oncall(const Request& req, const Deps& deps, std::string_view query) {
  if (!deps.oncall) return not_configured(req, "the on-call view");
  auto params = parse_query(query);
  if (!params) return error_response(req, 400, "malformed percent-encoding in the query string");
  std::optional<EpochMillis> at;
  for (const auto& [name, value] : *params) {
    if (name != "at") return error_response(req, 400, "unknown query parameter '" + name + "' (expected at)");
    if (at) return error_response(req, 400, "at given twice");
    auto t = calendar::parse_rfc3339(value);
    if (!t) return error_response(req, 400, "bad at: " + t.error().message);
    if (*t < 0 || *t >= calendar::Calendar::kMaxInstant) {
      return error_response(req, 400, "bad at: outside 1970 to 2399");
    }
    at = *t;
  }
  return json_response(req, 200, deps.oncall(at));
}

Response list_at_risk(const Request& req, const Deps& deps, std::string_view query) {
  if (!deps.at_risk) return not_configured(req, "the at-risk list");
  auto params = parse_query(query);
  if (!params) return error_response(req, 400, "malformed percent-encoding in the query string");
  AtRiskParams p;
  std::int64_t& within_ms = p.within_ms;
  std::size_t& limit = p.limit;
  within_ms = deps.limits.default_at_risk_within_ms;
  limit = deps.limits.default_limit;
  bool seen_within = false, seen_limit = false;
  for (const auto& [name, value] : *params) {
    if (name == "tenant" || name == "plan" || name == "severity" || name == "metric") {
      auto& slot = name == "tenant" ? p.tenant : name == "plan" ? p.plan : name == "severity" ? p.severity : p.metric;
      if (slot) return error_response(req, 400, name + " given twice");
      if (value.empty() || value.size() > 256) {
        return error_response(req, 400, "bad " + name + ": expected 1 to 256 characters");
      }
      if (name == "metric" && !policy::parse_metric(value)) {
        return error_response(req, 400, "bad metric '" + value + "': not a policy metric");
      }
      slot = value;
      continue;
    }
    if (name == "at_risk_within") {
      if (seen_within) return error_response(req, 400, "at_risk_within given twice");
      seen_within = true;
      auto d = calendar::parse_duration(value);
      if (!d) return error_response(req, 400, "bad at_risk_within: " + d.error().message);
      if (d->kind != calendar::Duration::Kind::kFixed) {
        return error_response(
            req, 400, "bad at_risk_within '" + value + "': use a wall-clock duration such as 30m, 4h or 2d");
      }
      if (d->millis > deps.limits.max_at_risk_within_ms) {
        return error_response(
            req, 400,
            "at_risk_within '" + value + "' is too long (at most " +
                calendar::to_string(calendar::Duration::fixed(deps.limits.max_at_risk_within_ms)) + ")");
      }
      within_ms = d->millis;
    } else if (name == "limit") {
      if (seen_limit) return error_response(req, 400, "limit given twice");
      seen_limit = true;
      std::string error;
      auto n = parse_limit(value, deps.limits, error);  // above the cap: capped, not refused
      if (!n) return error_response(req, 400, error);
      limit = *n;
    } else {
      return error_response(req, 400,
                                                        "unknown query parameter '" + name +
                                "' (expected at_risk_within, limit, tenant, plan, severity, metric)");
    }
  }
  return json_response(req, 200, deps.at_risk(p));
}

Response post_preview(const Request& req, const Deps& deps, std::string_view query) {
  if (!deps.preview_policy) return not_configured(req, "policy preview");
  auto params = parse_query(query);
  if (!params) return error_response(req, 400, "malformed percent-encoding in the query string");
  PreviewParams p;
  constexpr std::int64_t kMaxHorizonMs = 366LL * 24 * 3'600'000;
  constexpr std::size_t kMaxChanges = 10'000;
  for (const auto& [name, value] : *params) {
    if (name == "horizon") {
      auto d = calendar::parse_duration(value);
      if (!d || d->kind != calendar::Duration::Kind::kFixed || d->millis <= 0 || d->millis > kMaxHorizonMs) {
        return error_response(req, 400, "bad horizon '" + value + "': use a wall-clock duration from 1m to 366d, such as 7d");
      }
      p.horizon_ms = d->millis;
    } else if (name == "limit") {
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n == 0 || n > kMaxChanges) {
        return error_response(req, 400, "bad limit '" + value + "': expected an integer from 1 to 10000");
      }
      p.limit = n;
    } else {
      return error_response(req, 400, "unknown query parameter '" + name + "' (expected horizon, limit)");
    }
  }
  auto [status, body] = deps.preview_policy(req.body(), p);
  return json_response(req, status, body);
}

Response post_deadline(const Request& req, const Deps& deps) {
  if (!deps.deadline) return not_configured(req, "the deadline calculator");
  json body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return error_response(req, 400, "body must be a JSON object {\"calendar\", \"start\", \"duration\"}");
  }
  if (!body.is_object()) {
    return error_response(req, 400, "body must be a JSON object {\"calendar\", \"start\", \"duration\"}");
  }
  std::string fields[3];
  const char* names[3] = {"calendar", "start", "duration"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto it = body.find(names[i]);
    if (it == body.end() || !it->is_string()) {
      return error_response(req, 400, std::string("missing or non-string field '") + names[i] + "'");
    }
    fields[i] = it->get<std::string>();
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "calendar" && key != "start" && key != "duration") {
      return error_response(req, 400, "unknown field '" + key + "' (expected calendar, start, duration)");
    }
  }
  auto start = calendar::parse_rfc3339(fields[1]);
  if (!start) return error_response(req, 400, "bad start: " + start.error().message);
  auto duration = calendar::parse_duration(fields[2]);
  if (!duration) return error_response(req, 400, "bad duration: " + duration.error().message);
  auto deadline = deps.deadline(fields[0], *start, *duration);
  if (!deadline) return error_response(req, status_for(deadline.error().code), deadline.error().message);
  return json_response(req, 200, json{{"deadline", calendar::format_rfc3339(*deadline)}});
}

Response ack_page(const Request& req, const Deps& deps, std::string_view raw_id) {
  if (!deps.ack_page) return not_configured(req, "page acknowledgement");
  auto id = percent_decode(raw_id);
  if (!id) return error_response(req, 400, "malformed percent-encoding in page id");
  std::string responder;
  if (!req.body().empty()) {
    json body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return error_response(req, 400, "body must be empty or a JSON object {\"responder\"}");
    }
    for (const auto& [key, value] : body.items()) {
      if (key != "responder") return error_response(req, 400, "unknown field '" + key + "' (expected responder)");
      if (!value.is_string()) return error_response(req, 400, "responder must be a string");
      responder = value.get<std::string>();
    }
    if (responder.size() > 256) return error_response(req, 400, "responder longer than 256 bytes");
  }
  auto r = deps.ack_page(*id, responder);
  if (!r) return error_response(req, status_for(r.error().code), r.error().message);
  return json_response(req, 202, *r);
}

// One parameter of /v1/reports/compliance into `q` (from, to and group_by
// into their slots, checked once all are in). An error message, or empty.
std::string report_param(const std::string& name, const std::string& value, report::Query& q,
                         std::optional<EpochMillis>& from, std::optional<EpochMillis>& to,
                         std::optional<std::string>& group_by, bool& seen_bucket) {
  if (name == "from" || name == "to") {
    auto& slot = name == "from" ? from : to;
    if (slot) return name + " given twice";
    auto t = calendar::parse_rfc3339(value);
    if (!t) return "bad " + name + ": " + t.error().message;
    slot = *t;
  } else if (name == "tenant" || name == "plan" || name == "severity") {
    auto& slot = name == "tenant" ? q.tenant : name == "plan" ? q.plan : q.severity;
    if (slot) return name + " given twice";
    if (value.empty() || value.size() > 256) return "bad " + name + ": expected 1 to 256 characters";
    slot = value;
  } else if (name == "metric") {
    if (q.metric) return "metric given twice";
    const auto m = policy::parse_metric(value);
    if (!m) return "bad metric '" + value + "': not a policy metric";
    q.metric = *m;
  } else if (name == "group_by") {
    if (group_by) return "group_by given twice";
    group_by = value;
  } else if (name == "bucket") {
    if (seen_bucket) return "bucket given twice";
    seen_bucket = true;
    auto d = calendar::parse_duration(value);
    if (!d) return "bad bucket: " + d.error().message;
    if (d->kind != calendar::Duration::Kind::kFixed || d->millis <= 0) {
      return "bad bucket '" + value + "': use a wall-clock duration such as 1h, 6h or 1d";
    }
    q.bucket_ms = d->millis;
  } else {
    return "unknown query parameter '" + name +
           "' (expected from, to, tenant, plan, severity, metric, group_by, bucket)";
  }
  return {};
}

Response compliance_report(const Request& req, const Deps& deps, std::string_view query) {
  if (!deps.compliance) return not_configured(req, "compliance reports");
  auto params = parse_query(query);
  if (!params) return error_response(req, 400, "malformed percent-encoding in the query string");
  report::Query q;
  std::optional<EpochMillis> from, to;
  std::optional<std::string> group_by;
  bool seen_bucket = false;
  for (const auto& [name, value] : *params) {
    const std::string error = report_param(name, value, q, from, to, group_by, seen_bucket);
    if (!error.empty()) return error_response(req, 400, error);
  }
  if (!from || !to) return error_response(req, 400, "from and to (RFC 3339) are required");
  q.from = *from;
  q.to = *to;
  if (auto ok = report::check(q); !ok) return error_response(req, 400, ok.error().message);
  auto by = report::parse_group_by(group_by.value_or(""));
  if (!by) return error_response(req, 400, by.error().message);
  q.group_by = *by;
  auto r = deps.compliance(q);
  if (!r) return error_response(req, status_for(r.error().code), r.error().message);
  return json_response(req, 200, *r);
}

/// The API under /v1 (SPEC 6.2), after authentication.
Response route_api(const Request& req, const Deps& deps, std::string_view path, std::string_view query) {
  const bool get = req.method() == beast_http::verb::get;
  const bool post = req.method() == beast_http::verb::post;
  constexpr std::string_view kTicketPrefix = "/v1/tickets/";
  if (path == "/v1/tickets") {
    if (!get) return method_not_allowed(req, "GET");
    return list_at_risk(req, deps, query);
  }
  if (path.starts_with(kTicketPrefix)) {
    const std::string_view id = path.substr(kTicketPrefix.size());
    if (id.find('/') != std::string_view::npos) return error_response(req, 404, "no such route");
    if (!get) return method_not_allowed(req, "GET");
    return get_ticket(req, deps, id);
  }
  constexpr std::string_view kPagePrefix = "/v1/pages/";
  constexpr std::string_view kAckSuffix = "/ack";
  if (path.starts_with(kPagePrefix) && path.ends_with(kAckSuffix) &&
      path.size() > kPagePrefix.size() + kAckSuffix.size()) {
    if (!post) return method_not_allowed(req, "POST");
    return ack_page(req, deps, path.substr(kPagePrefix.size(), path.size() - kPagePrefix.size() - kAckSuffix.size()));
  }
  if (path == "/v1/pages") {
    if (!get) return method_not_allowed(req, "GET");
    return list_pages(req, deps, query);
  }
  if (path == "/v1/oncall") {
    if (!get) return method_not_allowed(req, "GET");
    return get_oncall(req, deps, query);
  }
  if (path == "/v1/deadline") {
    if (!post) return method_not_allowed(req, "POST");
    return post_deadline(req, deps);
  }
  if (path == "/v1/policy") {
    if (!get) return method_not_allowed(req, "GET");
    if (!deps.policy_summary) return not_configured(req, "the policy");
    return json_response(req, 200, deps.policy_summary());
  }
  if (path == "/v1/reports/compliance") {
    if (!get) return method_not_allowed(req, "GET");
    return compliance_report(req, deps, query);
  }
  if (path == "/v1/policy/validate") {
    if (!post) return method_not_allowed(req, "POST");
    if (!deps.validate_policy) return not_configured(req, "policy validation");
    return json_response(req, 200, deps.validate_policy(req.body()));
  }
  if (path == "/v1/policy/preview") {
    if (!post) return method_not_allowed(req, "POST");
    return post_preview(req, deps, query);
  }
  return error_response(req, 404, "no such route: " + std::string(path));
}

/// Health, readiness, metrics, the OpenAPI document and the dashboard's
/// assets (no authentication).
Response route_plane(const Request& req, const Deps& deps, std::string_view path) {
  const bool get = req.method() == beast_http::verb::get;
  if (path == "/healthz") {
    if (!get) return method_not_allowed(req, "GET");
    if (!deps.healthy) return not_configured(req, "the health check");
    if (!deps.healthy()) return json_response(req, 503, json{{"status", "unhealthy"}});
    return json_response(req, 200, json{{"status", "ok"}});
  }
  if (path == "/readyz") {
    if (!get) return method_not_allowed(req, "GET");
    if (!deps.ready) return not_configured(req, "the readiness check");
    const Readiness r = deps.ready();
    if (!r.ready) {
      return json_response(
          req, 503,
          json{{"status", "not ready"}, {"reason", r.reason.empty() ? std::string("not ready") : r.reason}});
    }
    return json_response(req, 200, json{{"status", "ready"}});
  }
  if (path == "/metrics") {
    if (!get) return method_not_allowed(req, "GET");
    if (!deps.metrics_text) return not_configured(req, "metrics");
    return make_response(req, 200, kPrometheusText, deps.metrics_text());
  }
  if (path == "/openapi.json") {
    if (!get) return method_not_allowed(req, "GET");
    return make_response(req, 200, "application/json", std::string(openapi_json()));
  }
  if (auto asset = dashboard_asset(path)) {
    if (!get) return method_not_allowed(req, "GET");
    Response res = make_response(req, 200, asset->content_type, std::string(asset->body));
    // The pages load their own script and style sheet and call this origin's
    // API, nothing else: no inline code, no external load, no framing.
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    return res;
  }
  return error_response(req, 404, "no such route: " + std::string(path));
}

Response route(const Request& req, const Deps& deps) {
  const auto [path, query] = split_target(std::string_view{req.target().data(), req.target().size()});
  // First: a page in the operator's browser must learn nothing and change nothing.
  if (auto denied = check_host_and_origin(req, deps.allowed_hosts)) return std::move(*denied);
  if (req.body().size() > deps.limits.max_body_bytes) {
    return error_response(req, 413,
                          "body of " + std::to_string(req.body().size()) + " bytes exceeds the limit of " +
                              std::to_string(deps.limits.max_body_bytes));
  }
  if (path == "/v1" || path.starts_with("/v1/")) {
    if (auto denied = check_auth(req, deps)) return std::move(*denied);
    return route_api(req, deps, path, query);
  }
  return route_plane(req, deps, path);
}

}  // namespace

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response error_response(const Request& request, unsigned status, std::string_view message) {
  return json_response(request, status, json{{"error", std::string(message)}});
}

unsigned status_for(sla::ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
    case ErrorCode::kLoadError:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::optional<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex(text[i + 1]);
    const int lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Response handle(const Request& request, const Deps& deps) {
  try {
    return route(request, deps);
  } catch (const std::exception& e) {
    return error_response(request, 500, std::string("internal error: ") + e.what());
  } catch (...) {
    return error_response(request, 500, "internal error");
  }
}

}  // namespace sla::http
