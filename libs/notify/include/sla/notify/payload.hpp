// What goes on the wire to each kind of destination: PagerDuty Events API v2
// (trigger / acknowledge / resolve on the page's dedup_key), a Slack Block
// Kit message for incoming webhooks, and a signed JSON webhook. Pure: the
// time used for signatures and the dashboard link base are handed in.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/notify/model.hpp"

namespace sla::notify {

/// One HTTPS POST to make. Headers exclude Host and Content-Length (the
/// client sets them).
struct OutboundRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// PagerDuty's `payload.severity` for a page: "critical" for high urgency,
/// "warning" for low.
[[nodiscard]] std::string_view pagerduty_severity(const Page& page) noexcept;

/// The one-line summary a person acts on, e.g. "[P1] acme ticket T-1:
/// response SLA escalated to db-oncall (level 1, alice); ack by
/// 2026-01-02T03:04:05Z". At most 1024 bytes (PagerDuty's limit).
[[nodiscard]] std::string page_summary(const Page& page);

/// `<dashboard_url>/v1/tickets/<ticket_id>` ("" when dashboard_url is "").
[[nodiscard]] std::string ticket_link(const std::string& dashboard_url, std::string_view ticket_id);

/// RFC 3339 UTC with milliseconds ("2026-01-02T03:04:05.000Z").
[[nodiscard]] std::string rfc3339(EpochMillis t);

/// The page / notice as a JSON object (the body of signed webhooks, and
/// what the DLQ records carry).
[[nodiscard]] std::string to_json(const Page& page);
[[nodiscard]] std::string to_json(const Notice& notice);

/// The request delivering `page` to `dest`. `now` stamps signed webhooks.
/// Fails (kInvalidArgument) for a page without dedup_key.
[[nodiscard]] Result<OutboundRequest> build_request(const Destination& dest, const Page& page,
                                                    const std::string& dashboard_url, EpochMillis now);
/// The request delivering `notice` to `dest`. Fails (kInvalidArgument) for a
/// PagerDuty destination: notices are chat only (the routes loader refuses
/// such a route).
[[nodiscard]] Result<OutboundRequest> build_request(const Destination& dest, const Notice& notice,
                                                    const std::string& dashboard_url, EpochMillis now);

}  // namespace sla::notify
