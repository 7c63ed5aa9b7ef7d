// The length of `n` business days ("nbd"): the one place the product
// n x day_length is formed (Calendar::add, the policy loader's counted
// target lengths, the engine's clock targets).
#pragma once

#include <cstdint>
#include <optional>

#include "sla/calendar/calendar.hpp"

namespace sla::calendar {

/// `n` x the calendar's day_length in counted milliseconds; nullopt when the
/// product overflows int64 (callers decide: never, or not a fixed length).
[[nodiscard]] inline std::optional<std::int64_t> business_days_millis(const Calendar& c, std::int64_t n) {
  std::int64_t ms = 0;
  if (__builtin_mul_overflow(n, c.day_length_millis(), &ms)) return std::nullopt;
  return ms;
}

}  // namespace sla::calendar
