// Text forms shared by the loader, the CLI and tests: local intervals,
// weekday sets, RFC 3339 instants.
#include <array>
#include <charconv>
#include <string>

#include <absl/time/time.h>

#include "sla/calendar/calendar.hpp"

namespace sla::calendar {
namespace {

sla::Result<std::int32_t> parse_clock(std::string_view s, std::string_view whole, bool is_end) {
  auto bad = [&](const std::string& why) -> sla::Result<std::int32_t> {
    return sla::fail(ErrorCode::kInvalidArgument, "invalid time '" + std::string(s) + "' in '" +
                                                      std::string(whole) + "': " + why);
  };
  // HH:MM or HH:MM:SS, two digits each.
  if (s.size() != 5 && s.size() != 8) return bad("expected HH:MM");
  auto two = [&](std::size_t at) -> int {
    const char a = s[at];
    const char b = s[at + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    return (a - '0') * 10 + (b - '0');
  };
  if (s[2] != ':' || (s.size() == 8 && s[5] != ':')) return bad("expected HH:MM");
  const int h = two(0);
  const int m = two(3);
  const int sec = s.size() == 8 ? two(6) : 0;
  if (h < 0 || m < 0 || sec < 0) return bad("expected HH:MM");
  if (h > 24) return bad("hour " + std::to_string(h) + " is out of range 00..24");
  if (m > 59) return bad("minute " + std::to_string(m) + " is out of range 00..59");
  if (sec > 59) return bad("second " + std::to_string(sec) + " is out of range 00..59");
  if (h == 24 && (m != 0 || sec != 0)) return bad("24:00 is the only time allowed with hour 24");
  if (h == 24 && !is_end) return bad("24:00 is only valid as an end");
  return h * 3600 + m * 60 + sec;
}

constexpr std::array<std::string_view, 7> kShort{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> kLong{"monday", "tuesday", "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};

int weekday_index(std::string_view s) {
  std::string lower(s);
  for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (std::size_t i = 0; i < 7; ++i) {
    if (lower == kShort[i] || lower == kLong[i]) return static_cast<int>(i);
  }
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

sla::Result<LocalInterval> parse_interval(std::string_view text) {
  const std::string_view t = trim(text);
  const auto dash = t.find('-');
  if (dash == std::string_view::npos) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "invalid interval '" + std::string(text) + "': expected HH:MM-HH:MM");
  }
  auto start = parse_clock(trim(t.substr(0, dash)), text, false);
  if (!start) return tl::unexpected(start.error());
  auto end = parse_clock(trim(t.substr(dash + 1)), text, true);
  if (!end) return tl::unexpected(end.error());
  LocalInterval iv{*start, *end};
  // end <= start: overnight, the interval belongs to the day it starts on.
  if (iv.end_sec <= iv.start_sec) iv.end_sec += 86'400;
  return iv;
}

sla::Result<std::uint8_t> parse_weekdays(std::string_view text) {
  const std::string_view t = trim(text);
  if (t == "daily" || t == "all" || t == "every day") return static_cast<std::uint8_t>(0x7F);
  if (t == "weekdays") return static_cast<std::uint8_t>(0x1F);
  if (t == "weekends") return static_cast<std::uint8_t>(0x60);
  unsigned mask = 0;
  std::size_t pos = 0;
  while (pos <= t.size()) {
    auto comma = t.find(',', pos);
    if (comma == std::string_view::npos) comma = t.size();
    const std::string_view item = trim(t.substr(pos, comma - pos));
    const auto dash = item.find('-');
    const std::string_view a = trim(item.substr(0, dash));
    const std::string_view b = dash == std::string_view::npos ? a : trim(item.substr(dash + 1));
    const int ia = weekday_index(a);
    const int ib = weekday_index(b);
    if (ia < 0 || ib < 0) {
      return sla::fail(ErrorCode::kInvalidArgument,
                       "unknown weekday '" + std::string(ia < 0 ? a : b) + "' in '" + std::string(text) +
                           "' (use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, lists like sat,sun)");
    }
    // Ranges may wrap: fri-mon = fri, sat, sun, mon.
    for (int i = ia;; i = (i + 1) % 7) {
      mask |= 1U << static_cast<unsigned>(i);
      if (i == ib) break;
    }
    pos = comma + 1;
  }
  return static_cast<std::uint8_t>(mask);
}

sla::Result<EpochMillis> parse_rfc3339(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "invalid RFC 3339 time '" + std::string(text) + "' (expected e.g. 2026-04-06T16:00:00Z): " + err);
  }
  const EpochMillis ms = absl::ToUnixMillis(t);
  if (ms < -2'208'988'800'000 || ms >= Calendar::kMaxInstant) {
    return sla::fail(ErrorCode::kOutOfRange,
                     "time '" + std::string(text) + "' is outside the supported range 1900..2399");
  }
  return ms;
}

std::string format_rfc3339(EpochMillis t) {
  const absl::Time at = absl::FromUnixMillis(t);
  return absl::FormatTime(t % 1000 == 0 ? "%Y-%m-%d%ET%H:%M:%SZ" : "%Y-%m-%d%ET%H:%M:%E3SZ", at,
                          absl::UTCTimeZone());
}

sla::Result<std::string_view> check_time_zone_name(std::string_view name) {
  auto bad = [&] {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "'" + std::string(name.substr(0, 80)) +
                         "' is not an IANA time zone name (expected a name such as Europe/Warsaw or UTC)");
  };
  constexpr std::size_t kMaxLength = 64;  // the longest IANA name has 32 characters
  if (name.empty() || name.size() > kMaxLength) return bad();
  bool component_start = true;
  for (const char c : name) {
    const bool word = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '+' || c == '-';
    if (c == '/') {
      if (component_start) return bad();  // leading '/' or "//"
      component_start = true;
    } else if (word) {
      component_start = false;
    } else {
      return bad();  // '.', ':', spaces, NUL...
    }
  }
  if (component_start) return bad();  // trailing '/'
  return name;
}

}  // namespace sla::calendar
