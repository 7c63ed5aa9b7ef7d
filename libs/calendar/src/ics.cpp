#include "ics.hpp"

#include <memory>
#include <string>

#include <libical/ical.h>

#include "civil.hpp"

namespace sla::calendar::detail {
namespace {

/// Owns an icalcomponent* from icalparser_parse_string (icalcomponent_free).
struct ComponentDeleter {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using ComponentPtr = std::unique_ptr<icalcomponent, ComponentDeleter>;

/// Owns an icalrecur_iterator* (icalrecur_iterator_free).
struct RecurDeleter {
  void operator()(icalrecur_iterator* r) const { icalrecur_iterator_free(r); }
};
using RecurPtr = std::unique_ptr<icalrecur_iterator, RecurDeleter>;

constexpr int kMaxDatesPerEvent = 5000;

void add_span(const icaltimetype& start, const icaltimetype& end, std::vector<LocalDate>& out) {
  const std::int64_t s = days_from_civil(start.year, start.month, start.day);
  std::int64_t e = s + 1;
  if (!icaltime_is_null_time(end) && end.is_date != 0) {
    e = std::max(e, days_from_civil(end.year, end.month, end.day));
  }
  e = std::min(e, s + 366);  // a holiday "event" longer than a year is a mistake; cap it
  for (std::int64_t d = s; d < e; ++d) out.push_back(civil_from_days(d));
}

}  // namespace

sla::Result<std::vector<LocalDate>> parse_ics_dates(std::string_view text) {
  const std::string owned(text);
  if (owned.find("BEGIN:VCALENDAR") == std::string::npos && owned.find("BEGIN:VEVENT") == std::string::npos) {
    return sla::fail(ErrorCode::kInvalidArgument, "not an iCalendar file (no BEGIN:VCALENDAR)");
  }
  icalerror_clear_errno();
  ComponentPtr root(icalparser_parse_string(owned.c_str()));
  if (!root) return sla::fail(ErrorCode::kInvalidArgument, "not a valid iCalendar file");
  if (icalcomponent_count_errors(root.get()) > 0) {
    // libical records errors as X-LIC-ERROR properties; report the first.
    auto error_of = [](icalcomponent* c) -> const char* {
      icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
      return p != nullptr ? icalproperty_get_xlicerror(p) : nullptr;
    };
    const char* what = error_of(root.get());
    for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_ANY_COMPONENT);
         c != nullptr && what == nullptr; c = icalcomponent_get_next_component(root.get(), ICAL_ANY_COMPONENT)) {
      what = error_of(c);
    }
    return sla::fail(ErrorCode::kInvalidArgument,
                     std::string("iCalendar parse error: ") + (what != nullptr ? what : "malformed"));
  }
  std::vector<LocalDate> out;
  auto visit = [&](icalcomponent* ev) -> sla::Result<void> {
    const icaltimetype start = icalcomponent_get_dtstart(ev);
    if (icaltime_is_null_time(start)) return sla::fail(ErrorCode::kInvalidArgument, "VEVENT without DTSTART");
    if (start.is_date == 0) return {};  // timed event: not a holiday
    const icaltimetype end = icalcomponent_get_dtend(ev);
    icalproperty* rrule = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    if (rrule == nullptr) {
      add_span(start, end, out);
      return {};
    }
    const std::int64_t len = icaltime_is_null_time(end) || end.is_date == 0
                                 ? 1
                                 : days_from_civil(end.year, end.month, end.day) -
                                       days_from_civil(start.year, start.month, start.day);
    RecurPtr it(icalrecur_iterator_new(icalproperty_get_rrule(rrule), start));
    if (!it) return sla::fail(ErrorCode::kInvalidArgument, "invalid RRULE");
    int n = 0;
    for (icaltimetype t = icalrecur_iterator_next(it.get()); !icaltime_is_null_time(t) && n < kMaxDatesPerEvent;
         t = icalrecur_iterator_next(it.get()), ++n) {
      if (t.year >= 2400) break;
      const std::int64_t s = days_from_civil(t.year, t.month, t.day);
      for (std::int64_t d = s; d < s + std::max<std::int64_t>(len, 1); ++d) out.push_back(civil_from_days(d));
    }
    return {};
  };
  icalcomponent* r = root.get();
  if (icalcomponent_isa(r) == ICAL_VEVENT_COMPONENT) {
    if (auto v = visit(r); !v) return tl::unexpected(v.error());
  } else {
    for (icalcomponent* ev = icalcomponent_get_first_component(r, ICAL_VEVENT_COMPONENT); ev != nullptr;
         ev = icalcomponent_get_next_component(r, ICAL_VEVENT_COMPONENT)) {
      if (auto v = visit(ev); !v) return tl::unexpected(v.error());
    }
  }
  return out;
}

}  // namespace sla::calendar::detail
