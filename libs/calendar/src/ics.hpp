// Internal: all-day VEVENT dates from iCalendar text (RFC 5545) via libical.
#pragma once

#include <string_view>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/calendar/calendar.hpp"

namespace sla::calendar::detail {

/// Every date covered by an all-day VEVENT (DTSTART;VALUE=DATE up to DTEND
/// exclusive; RRULE expanded up to 2399, at most 5000 dates per event).
/// Timed events are ignored. kInvalidArgument if the text is not iCalendar
/// or libical reports a parse error.
[[nodiscard]] sla::Result<std::vector<LocalDate>> parse_ics_dates(std::string_view text);

}  // namespace sla::calendar::detail
