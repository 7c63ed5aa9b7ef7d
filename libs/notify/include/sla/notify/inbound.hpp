// Inbound PagerDuty v3 webhooks: an incident acknowledged or resolved on the
// phone becomes a `page_acknowledged` for the ladder that paged it. The
// incident's `incident_key` is the dedup_key sla-notify sent
// ("<ticket>/<metric>/<cycle>/page/<escalation>/<step>/<target>", the
// engine's ladder key), which names both the ticket (the record key) and the ladder (the
// page_id the engine stops). Pure parsing; signature checks are in
// signing.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"

namespace sla::notify {

/// One acknowledgement to produce as a TicketEvent.
struct PageAck {
  std::string event_id;     ///< "pagerduty/<webhook event id>": redeliveries dedupe
  std::string ticket_id;    ///< the record key
  std::string page_id;      ///< the ladder key (the dedup_key)
  std::string responder;    ///< the agent's summary (name), "" if none
  std::string event_type;   ///< "incident.acknowledged" or "incident.resolved"
  EpochMillis occurred_at = 0;
};

/// The ticket id inside a ladder dedup_key, or nullopt when the key does
/// not have the engine's shape (7+ segments: a metric sixth and "page"
/// fourth from the end).
[[nodiscard]] std::optional<std::string> ticket_of_dedup_key(std::string_view dedup_key);

/// Parses RFC 3339 ("2020-10-02T18:45:22.169Z", offsets allowed) to ms.
[[nodiscard]] std::optional<EpochMillis> parse_rfc3339(std::string_view text);

/// Parses a v3 webhook body. Ok(nullopt): a well-formed event this bridge
/// does not act on (other event types, incidents not opened by sla-notify).
/// Fails (kInvalidArgument) on a malformed body. `now` stands in for a
/// missing `occurred_at`.
[[nodiscard]] Result<std::optional<PageAck>> parse_pagerduty_webhook(std::string_view body, EpochMillis now);

}  // namespace sla::notify
