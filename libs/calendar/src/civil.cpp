#include "civil.hpp"

namespace sla::calendar {

static_assert(detail::days_from_civil(1970, 1, 1) == 0);
static_assert(detail::days_from_civil(2400, 1, 1) * detail::kMillisPerDay == Calendar::kMaxInstant);
static_assert(detail::civil_from_days(0) == LocalDate{1970, 1, 1});
static_assert(detail::weekday_of(0) == 3);  // Thursday

LocalDate western_easter(int year) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = ((h + l - 7 * m + 114) % 31) + 1;
  return LocalDate{year, month, day};
}

}  // namespace sla::calendar
