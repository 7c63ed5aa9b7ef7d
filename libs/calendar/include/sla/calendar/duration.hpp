// Duration: the parsed form of an SLA duration text ("15m", "4h", "1h30m",
// "2d", "2bd", "nbd"). Pure value type and parser; it knows nothing about
// calendars. Turning a Duration into a deadline is Calendar::add.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sla/base/result.hpp"

namespace sla::calendar {

/// A parsed SLA duration.
///  - kFixed: `millis` of counted (open) time. Units `d` (24h of counted
///    time), `h`, `m`, `s` combine in descending order: "1d2h30m15s".
///  - kBusinessDays: `business_days` x the calendar's day_length ("2bd").
///  - kNextBusinessDay: "nbd", the end of the first open day whose local date
///    is after the start's local date.
struct Duration {
  enum class Kind : std::uint8_t { kFixed, kBusinessDays, kNextBusinessDay };
  Kind kind = Kind::kFixed;
  std::int64_t millis = 0;         ///< kFixed: counted milliseconds (>= 0)
  std::int64_t business_days = 0;  ///< kBusinessDays: n (>= 0)

  [[nodiscard]] static Duration fixed(std::int64_t ms) { return {Kind::kFixed, ms, 0}; }
  [[nodiscard]] static Duration bd(std::int64_t n) { return {Kind::kBusinessDays, 0, n}; }
  [[nodiscard]] static Duration nbd() { return {Kind::kNextBusinessDay, 0, 0}; }

  friend bool operator==(const Duration&, const Duration&) = default;
};

/// Parses "15m", "4h", "1h30m", "90s", "2d", "2bd", "nbd". Units: d h m s
/// (each at most once, in that order), or `<n>bd`, or `nbd`. No sign, no
/// spaces. Fails with kInvalidArgument and a message naming the text and what
/// is wrong; kOutOfRange if the value overflows (> ~290 million years).
[[nodiscard]] sla::Result<Duration> parse_duration(std::string_view text);

/// Canonical text: "1d2h30m", "0s", "2bd", "nbd"; sub-second remainders as
/// "Nms". parse_duration(to_string(d)) == d for every whole-second d.
[[nodiscard]] std::string to_string(const Duration& d);

}  // namespace sla::calendar
