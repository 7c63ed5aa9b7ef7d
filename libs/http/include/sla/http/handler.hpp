// sla::http::handle: the daemon's HTTP API (SPEC 6.2) as a pure function
// from a Beast request to a Beast response. No sockets, no clock, no engine:
// everything it needs comes through `Deps`, a struct of callbacks the daemon
// fills in, so the engine's thread-safety stays the daemon's business. Not the
// server (server.hpp) and not the JSON views (views.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/calendar/duration.hpp"
#include "sla/report/report.hpp"

namespace sla::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// `/readyz`: ready, or the reason why not ("no partitions assigned",
/// "redis unreachable", ...).
struct Readiness {
  bool ready = false;
  std::string reason;
};

/// `/v1/tickets` parameters, validated: a wall-clock window, a capped
/// limit, and optional exact-match filters.
struct AtRiskParams {
  std::int64_t within_ms = 3'600'000;
  std::size_t limit = 100;
  std::optional<std::string> tenant;
  std::optional<std::string> plan;
  std::optional<std::string> severity;
  std::optional<std::string> metric;  ///< a policy metric name (response, resolution, ...)
};

/// `/v1/pages` parameters, validated: `state` (only `unacked`), a capped
/// limit (as `/v1/tickets`'), an optional tenant.
struct PagesParams {
  std::string state = "unacked";
  std::size_t limit = 100;
  std::optional<std::string> tenant;
};

/// Request limits the handler enforces (the server enforces the body limit
/// on the wire too; see ServerOptions::body_limit).
struct Limits {
  /// Bodies larger than this are refused with 413.
  std::size_t max_body_bytes = std::size_t{1} << 20;
  /// `limit` of `/v1/tickets` when absent, and the cap applied to larger values.
  std::size_t default_limit = 100;
  std::size_t max_limit = 1000;
  /// `at_risk_within` when absent (1h) and the largest accepted (400 days).
  std::int64_t default_at_risk_within_ms = 3'600'000;
  std::int64_t max_at_risk_within_ms = 400LL * 24 * 3'600'000;
};

/// The query of `POST /v1/policy/preview`: how far ahead outputs are
/// compared (wall-clock ms, default 30 days, at most 366 days) and how many
/// changes are listed (the counts cover all of them).
struct PreviewParams {
  std::int64_t horizon_ms = 30LL * 24 * 3'600'000;
  std::size_t limit = 1000;
};

/// What the handler calls. Every callback may be left empty: its routes then
/// answer 501 with a JSON error. Callbacks run on the server's I/O threads,
/// possibly concurrently when ServerOptions::threads > 1: they must be
/// thread-safe. An exception escaping a callback becomes a 500.
struct Deps {
  /// `/healthz`: the process is alive (false -> 503).
  std::function<bool()> healthy;
  /// `/readyz`: 200 when ready, else 503 with the reason.
  std::function<Readiness()> ready;
  /// `/metrics`: Prometheus text exposition (Probe::text()).
  std::function<std::string()> metrics_text;
  /// `/v1/tickets/{id}`: the ticket as JSON (ticket_json()), nullopt -> 404.
  std::function<std::optional<nlohmann::json>(std::string_view ticket_id)> ticket;
  /// `/v1/tickets?at_risk_within=&limit=&tenant=&plan=&severity=&metric=`:
  /// running deadlines within `within_ms` of now matching the filters,
  /// soonest first, at most `limit`, with totals over every match.
  std::function<nlohmann::json(const AtRiskParams& params)> at_risk;
  /// `POST /v1/pages/{page_id}/ack` (body: optional `{"responder"}`): asks
  /// for a `page_acknowledged` event. kInvalidArgument -> 400 (not a page
  /// id), kUnavailable -> 503 (not produced).
  std::function<sla::Result<nlohmann::json>(std::string_view page_id, std::string_view responder)> ack_page;
  /// `GET /v1/pages?state=unacked&limit=&tenant=`: pages sent and not
  /// acknowledged, oldest first, with the count over every match.
  std::function<nlohmann::json(const PagesParams& params)> pages;
  /// `GET /v1/oncall?at=RFC3339` (default: now): each rotation's current and
  /// next responder (oncall_json()).
  std::function<nlohmann::json(std::optional<EpochMillis> at)> oncall;
  /// `/v1/policy`: the loaded policy (policy_json()).
  std::function<nlohmann::json()> policy_summary;
  /// `/v1/policy/validate`: `{ok, errors:[{file,line,column,message}]}`
  /// (validate_policy_json()).
  std::function<nlohmann::json(std::string_view yaml_text)> validate_policy;
  /// `POST /v1/policy/preview?horizon=&limit=` (body: the candidate policy's
  /// YAML): what it would move for the open tickets before it is applied
  /// (sla::views::preview_json). The handler checks the query; the callback
  /// answers a status (200, 422 when the candidate does not load, 503 when
  /// busy or the state cannot be read) and its JSON.
  std::function<std::pair<unsigned, nlohmann::json>(std::string_view yaml_text, const PreviewParams& params)>
      preview_policy;
  /// `/v1/deadline`: the deadline of `duration` counted from `start` on the
  /// current policy's calendar `calendar` (policy_deadline()). kNotFound for
  /// an unknown calendar (404); kInvalidArgument/kOutOfRange -> 400.
  std::function<sla::Result<EpochMillis>(std::string_view calendar, EpochMillis start,
                                         const calendar::Duration& duration)>
      deadline;
  /// `GET /v1/reports/compliance?from=&to=[&tenant=][&plan=][&severity=]
  /// [&metric=][&group_by=][&bucket=]`: the compliance report of [from, to)
  /// as JSON (report::to_json's shape), with a trend of `bucket`-wide
  /// buckets when asked (report::check() bounds their number).
  /// kUnavailable -> 503 (the data is not loaded, or another report is being
  /// computed).
  std::function<sla::Result<nlohmann::json>(const report::Query& query)> compliance;
  /// Accepted bearer tokens for `/v1/*`. Empty: no authentication.
  std::vector<std::string> bearer_tokens;
  /// Host names served besides IP literals and `localhost` (origin.hpp,
  /// host_allowed: `.example.com` for a domain, `*` for any). Every route
  /// checks Host (421) and, for POST and other unsafe methods, Origin (403).
  std::vector<std::string> allowed_hosts;
  Limits limits;
};

/// Answers one request. Never throws; never blocks except inside Deps.
/// Routes: GET /, /ticket, /oncall, /pages, /compliance, /healthz, /readyz,
/// /metrics, /openapi.json, /v1/tickets, /v1/tickets/{id}, /v1/pages,
/// /v1/oncall, /v1/policy, /v1/reports/compliance; POST /v1/deadline,
/// /v1/policy/validate, /v1/policy/preview, /v1/pages/{page_id}/ack. Errors
/// are JSON `{"error": "..."}` with 400/401/403/404/405/413/421/422/500/501/503. Before
/// routing, check_host_and_origin (origin.hpp) refuses a Host that is not
/// served (421) and a cross-origin POST (403). The response
/// keeps the request's HTTP version and keep-alive.
[[nodiscard]] Response handle(const Request& request, const Deps& deps);

/// A JSON error response: `{"error": message}` with `status`, keep-alive and
/// version taken from `request`. Used by the handler and the server (413, 400
/// on unparsable requests).
[[nodiscard]] Response error_response(const Request& request, unsigned status, std::string_view message);

/// HTTP status for an sla::ErrorCode: kInvalidArgument/kOutOfRange/kLoadError
/// 400, kNotFound 404, kUnavailable 503, kInternal 500.
[[nodiscard]] unsigned status_for(sla::ErrorCode code) noexcept;

/// Serialises JSON for the wire; invalid UTF-8 in strings (ticket ids come
/// from producers) is replaced with U+FFFD instead of throwing.
[[nodiscard]] std::string dump_json(const nlohmann::json& value);

/// Percent-decodes `text` ('+' is kept). nullopt on a malformed escape.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text);

/// The OpenAPI 3.1 document of this API (libs/http/openapi.json), served at
/// GET /openapi.json.
[[nodiscard]] std::string_view openapi_json() noexcept;

/// A file of the dashboard: its content type and body (static storage).
struct DashboardAsset {
  std::string_view content_type;
  std::string_view body;
};

/// The dashboard file served at `path` (`/`, `/ticket`, `/oncall`, `/pages`,
/// `/compliance`, `/assets/dashboard.css`, `/assets/dashboard.js`), or
/// nullopt. The pages load only the two assets and call only `/v1/*` and
/// `/metrics` on the same origin.
[[nodiscard]] std::optional<DashboardAsset> dashboard_asset(std::string_view path) noexcept;

/// The overview page (`/`).
[[nodiscard]] std::string_view dashboard_html() noexcept;

}  // namespace sla::http
