// The notifier's value types: a page (sla.pages) and a chat notice
// (sla.escalations) as the bridge sees them, and the destinations they are
// delivered to. Plain data copied out of the wire messages by the daemon's
// codec: no protobuf, no I/O. Not the routing (routes.hpp) nor the payloads
// (payload.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/clock.hpp"

namespace sla::notify {

/// PagerDuty Events v2 `event_action`. Every action of one incident carries
/// the same dedup_key.
enum class PageAction : std::uint8_t { kTrigger, kAcknowledge, kResolve };

/// "trigger", "acknowledge", "resolve".
[[nodiscard]] std::string_view to_string(PageAction a) noexcept;

/// One PageEvent. Times are ms since the Unix epoch (0: unset).
struct Page {
  std::string page_id;
  std::string dedup_key;
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;
  std::string severity;
  std::string metric;     ///< "response", "update", "workaround", "resolution" ("" unknown)
  std::uint32_t cycle = 0;
  std::string target;     ///< paging target name from the policy
  std::string rotation;
  std::string responder;  ///< on-call member at fire time
  std::uint32_t level = 0;
  std::uint32_t attempt = 0;
  std::optional<EpochMillis> ack_deadline;  ///< none on acknowledge and resolve
  bool high_urgency = false;
  EpochMillis fired_at = 0;
  PageAction action = PageAction::kTrigger;
};

/// One SlaEvent, for chat notices. `kind` is "warning", "breached", "met" or
/// "escalated"; `detail` is the threshold ("75%"), the reminder number or the
/// step, as text, "after_breach" for a `met` that came after the clock's
/// breach ("" when none).
struct Notice {
  std::string event_id;
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;
  std::string severity;
  std::string metric;
  std::uint32_t cycle = 0;
  std::string kind;
  std::string detail;
  std::optional<EpochMillis> deadline;  ///< none for an open-ended clock
  EpochMillis fired_at = 0;
  /// `escalated` only: why the step fired. "" for a step on the clock's
  /// counted time (`at: 30m`, `75%`, `breach`), "exchanges" (`at:
  /// {exchanges: N}`), "requested" (a `trigger: requested` escalation).
  std::string trigger;
  std::uint32_t exchanges = 0;  ///< trigger "exchanges": the ticket's exchanges then
  /// trigger "requested": the escalation_requested it counts from.
  std::string requested_by;
  std::string request_reason;
  std::optional<EpochMillis> requested_at;
};

enum class DestinationKind : std::uint8_t { kPagerDuty, kSlack, kWebhook };

/// "pagerduty", "slack", "webhook".
[[nodiscard]] std::string_view to_string(DestinationKind k) noexcept;

/// One place deliveries go, as configured in the routes file.
struct Destination {
  std::string name;
  DestinationKind kind = DestinationKind::kWebhook;
  /// https URL: the Events API v2 enqueue endpoint, the Slack incoming
  /// webhook, or the receiver of signed webhooks.
  std::string url;
  /// PagerDuty integration (routing) key. Never logged.
  std::string routing_key;
  /// HMAC-SHA256 key of signed webhooks. Never logged.
  std::string secret;
  /// Token bucket: sustained requests per second and burst size.
  double rate_per_second = 10.0;
  double burst = 20.0;
  /// Parallel requests to this destination. Deliveries with the same
  /// dedup_key stay in order (one lane per key hash).
  std::uint32_t concurrency = 4;
  /// A delivery not done this long after it was first tried goes to the DLQ
  /// (reason `retry_deadline`).
  std::int64_t retry_deadline_ms = 600'000;
  /// Backoff: first delay and cap (exponential, with jitter).
  std::int64_t backoff_initial_ms = 500;
  std::int64_t backoff_max_ms = 60'000;
  /// Most deliveries queued for it; the consumer pauses past it.
  std::size_t max_queue = 10'000;
};

/// Which kinds of record a route takes.
enum class Source : std::uint8_t { kPage, kNotice };

}  // namespace sla::notify
