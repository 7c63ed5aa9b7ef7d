#include "sla/notify/retry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>

namespace sla::notify {
namespace {

bool digits(std::string_view s, int& out) {
  const auto* end = s.data() + s.size();
  return !s.empty() && std::from_chars(s.data(), end, out).ptr == end;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<EpochMillis> parse_http_date(std::string_view v) {
  if (v.size() != 29 || v.substr(3, 2) != ", " || v.substr(25) != " GMT") return std::nullopt;
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (!digits(v.substr(5, 2), day) || !digits(v.substr(12, 4), year) || !digits(v.substr(17, 2), hh) ||
      !digits(v.substr(20, 2), mm) || !digits(v.substr(23, 2), ss) || v[19] != ':' || v[22] != ':') {
    return std::nullopt;
  }
  const auto it = std::find(kMonths.begin(), kMonths.end(), v.substr(8, 3));
  if (it == kMonths.end()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, month{static_cast<unsigned>(it - kMonths.begin() + 1)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  const auto t = sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss};
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::optional<std::int64_t> parse_retry_after(std::string_view value, EpochMillis now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::int64_t secs = 0;
  const auto* end = value.data() + value.size();
  if (const auto r = std::from_chars(value.data(), end, secs); r.ptr == end && r.ec == std::errc{}) {
    if (secs < 0) return std::nullopt;
    return std::min<std::int64_t>(secs, 365LL * 86400) * 1000;
  }
  if (const auto at = parse_http_date(value)) return std::max<std::int64_t>(0, *at - now);
  return std::nullopt;
}

std::int64_t backoff_delay(const Destination& dest, std::uint32_t failures, std::uint64_t random) {
  std::int64_t d = std::max<std::int64_t>(1, dest.backoff_initial_ms);
  for (std::uint32_t i = 1; i < failures && d < dest.backoff_max_ms; ++i) d *= 2;
  d = std::min(d, dest.backoff_max_ms);
  const auto half = static_cast<std::uint64_t>(d / 2);
  return static_cast<std::int64_t>(half + random % (half + 1));
}

Decision decide(const Destination& dest, EpochMillis first_try, std::uint32_t failures, const AttemptResult& r,
                EpochMillis now, std::uint64_t random) {
  if (r.permanent) return {Verdict::kDeadLetter, 0, "permanent"};
  if (r.status >= 200 && r.status < 300) return {Verdict::kDelivered, 0, ""};
  std::string reason;
  std::optional<std::int64_t> wait;
  if (r.status == 429 || r.status == 503) {
    reason = r.status == 429 ? "http_429" : "http_5xx";
    wait = parse_retry_after(r.retry_after, now);
  } else if (r.status >= 500 || r.status == 408) {
    reason = "http_5xx";
  } else if (r.status != 0) {
    return {Verdict::kDeadLetter, 0, "rejected"};
  } else if (r.timed_out) {
    reason = "timeout";
  } else {
    reason = "transport";
  }
  const std::int64_t delay = wait ? *wait : backoff_delay(dest, failures, random);
  const EpochMillis at = now + delay;
  if (at > first_try + dest.retry_deadline_ms) return {Verdict::kDeadLetter, 0, "retry_deadline"};
  return {Verdict::kRetry, at, std::move(reason)};
}

void TokenBucket::refill(EpochMillis now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    return;
  }
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_) * rate_ / 1000.0);
    last_ = now;
  }
}

EpochMillis TokenBucket::ready_at(EpochMillis now) const {
  double tokens = tokens_;
  if (started_ && now > last_) tokens = std::min(burst_, tokens + static_cast<double>(now - last_) * rate_ / 1000.0);
  if (tokens >= 1.0 - 1e-9) return now;
  return now + static_cast<EpochMillis>(std::ceil((1.0 - tokens) * 1000.0 / rate_));
}

bool TokenBucket::try_take(EpochMillis now) {
  refill(now);
  if (tokens_ < 1.0 - 1e-9) return false;  // ready_at rounds up: allow float error
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

}  // namespace sla::notify
