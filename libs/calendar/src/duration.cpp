#include "sla/calendar/duration.hpp"

#include <array>
#include <charconv>
#include <limits>

namespace sla::calendar {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};
// Descending; "ms" before "m" so the longer suffix wins when matching.
constexpr std::array<Unit, 5> kUnits{{{"d", 86'400'000}, {"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1'000}}};
// Rank of each unit in the required order d > h > m > s > ms.
constexpr std::array<int, 5> kRank{0, 1, 4, 2, 3};

sla::Result<Duration> bad(std::string_view text, std::string_view why) {
  return sla::fail(ErrorCode::kInvalidArgument,
                   "invalid duration '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

sla::Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return bad(text, "empty (examples: 15m, 4h, 1h30m, 2d, 2bd, nbd)");
  if (text == "nbd") return Duration::nbd();
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  if (text.size() > 2 && text.substr(text.size() - 2) == "bd") {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(p, end - 2, n);
    if (ec == std::errc::result_out_of_range) {
      return sla::fail(ErrorCode::kOutOfRange, "invalid duration '" + std::string(text) + "': too large");
    }
    if (ec != std::errc() || ptr != end - 2 || *p == '-' || *p == '+') {
      return bad(text, "business days take the form <n>bd, e.g. 2bd, and do not combine with other units");
    }
    return Duration::bd(n);
  }
  std::int64_t total = 0;
  int last_rank = -1;
  while (p != end) {
    if (*p < '0' || *p > '9') {
      return bad(text, "expected a number at '" + std::string(p, end) + "' (examples: 15m, 4h, 1h30m, 2d, 2bd, nbd)");
    }
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(p, end, n);
    if (ec == std::errc::result_out_of_range) {
      return sla::fail(ErrorCode::kOutOfRange, "invalid duration '" + std::string(text) + "': too large");
    }
    p = ptr;
    if (p == end) return bad(text, "missing unit after " + std::to_string(n) + " (use d, h, m, s, bd or nbd)");
    const std::string_view rest(p, static_cast<std::size_t>(end - p));
    std::size_t u = 0;
    for (; u < kUnits.size(); ++u) {
      if (rest.starts_with(kUnits[u].suffix)) break;
    }
    if (u == kUnits.size()) {
      return bad(text, "unknown unit '" + std::string(1, *p) + "' (use d, h, m, s, bd or nbd)");
    }
    if (kRank[u] <= last_rank) {
      return bad(text, "units must appear once each, largest first (e.g. 1d2h30m)");
    }
    last_rank = kRank[u];
    p += kUnits[u].suffix.size();
    std::int64_t part = 0;
    if (__builtin_mul_overflow(n, kUnits[u].millis, &part) || __builtin_add_overflow(total, part, &total)) {
      return sla::fail(ErrorCode::kOutOfRange, "invalid duration '" + std::string(text) + "': too large");
    }
  }
  return Duration::fixed(total);
}

std::string to_string(const Duration& d) {
  switch (d.kind) {
    case Duration::Kind::kNextBusinessDay:
      return "nbd";
    case Duration::Kind::kBusinessDays:
      return std::to_string(d.business_days) + "bd";
    case Duration::Kind::kFixed:
      break;
  }
  if (d.millis == 0) return "0s";
  std::string out;
  std::int64_t rest = d.millis;
  if (rest < 0) {
    out = "-";
    rest = rest == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max() : -rest;
  }
  constexpr std::array<Unit, 5> kOrdered{{{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};
  for (const auto& u : kOrdered) {
    if (rest >= u.millis) {
      out += std::to_string(rest / u.millis);
      out += u.suffix;
      rest %= u.millis;
    }
  }
  return out;
}

}  // namespace sla::calendar
