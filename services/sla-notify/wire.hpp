// The bridge's codec: PageEvent / SlaEvent records into sla::notify's Page
// and Notice, and a PagerDuty acknowledgement into a `page_acknowledged`
// TicketEvent. Protobuf stops here. Records may be protobuf binary (the
// default) or proto3-JSON (`content-type: application/json` header), as on
// every sla-timer topic.
#pragma once

#include <string>
#include <string_view>

#include "sla/base/result.hpp"
#include "sla/notify/dispatcher.hpp"
#include "sla/notify/inbound.hpp"

namespace sla::notify_service {

/// Decodes a `sla.pages` record. Fails (kInvalidArgument) when it does not
/// parse or has no page_id / dedup_key.
[[nodiscard]] Result<notify::Page> decode_page(std::string_view payload, bool json);
/// Decodes a `sla.escalations` record (kind "warning", "breached", "met",
/// "escalated"). Fails when it does not parse or has no kind.
[[nodiscard]] Result<notify::Notice> decode_notice(std::string_view payload, bool json);
/// The TicketEvent (protobuf binary) for `ack`: event_id, ticket_id,
/// occurred_at and page_acknowledged{page_id, responder}; key it by ticket_id.
[[nodiscard]] std::string encode_page_acknowledged(const notify::PageAck& ack);
/// The same, as a PageEvent for tests: protobuf binary of `page`.
[[nodiscard]] std::string encode_page(const notify::Page& page);

}  // namespace sla::notify_service
