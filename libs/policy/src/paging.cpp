// On-call arithmetic. Shifts are defined in local civil time, so the shift
// index comes from civil-minute arithmetic; the boundaries are then turned
// into instants with `pre` resolution and the index corrected against them,
// which keeps handoffs inside DST gaps and folds exact (SPEC 2.1).
#include <algorithm>

#include "sla/policy/paging.hpp"

namespace sla::policy {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

}  // namespace

EpochMillis Rotation::shift_start(std::int64_t k) const {
  const absl::CivilMinute local = anchor + k * shift_minutes;
  return absl::ToUnixMillis(tz.At(local).pre);
}

OnCallShift Rotation::shift_at(EpochMillis at) const {
  const absl::Time t = absl::FromUnixMillis(at);
  const absl::CivilMinute local = absl::ToCivilMinute(t, tz);
  std::int64_t k = floor_div(local - anchor, shift_minutes);
  // The civil estimate is off by one at most next to a DST transition.
  while (at < shift_start(k)) --k;
  while (at >= shift_start(k + 1)) ++k;

  OnCallShift s;
  const auto n = static_cast<std::int64_t>(members.size());
  s.member = members[static_cast<std::size_t>(floor_mod(k, n))];
  s.from = shift_start(k);
  s.until = shift_start(k + 1);

  // Overrides: the last listed one covering `at` wins.
  for (const auto& o : overrides) {
    if (o.from <= at && at < o.to) {
      s.member = o.member;
      s.overridden = true;
    }
  }
  // The stretch runs between the change points (handoffs, override starts
  // and ends) around `at`; the answer is constant inside it.
  for (const auto& o : overrides) {
    for (EpochMillis b : {o.from, o.to}) {
      if (b <= at && b > s.from) s.from = b;
      if (b > at && b < s.until) s.until = b;
    }
  }
  return s;
}

}  // namespace sla::policy
