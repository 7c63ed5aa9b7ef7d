// Metric names, the percent/threshold/step parsers and the small model
// helpers. The duration grammar itself belongs to sla::calendar.
#include <algorithm>
#include <charconv>
#include <string>

#include "sla/policy/metric.hpp"
#include "sla/policy/model.hpp"

namespace sla::policy {

std::string_view to_string(Metric m) noexcept {
  switch (m) {
    case Metric::kResponse: return "response";
    case Metric::kUpdate: return "update";
    case Metric::kWorkaround: return "workaround";
    case Metric::kResolution: return "resolution";
  }
  return "unknown";
}

std::optional<Metric> parse_metric(std::string_view name) noexcept {
  for (Metric m : kAllMetrics) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

std::string_view to_string(OnRetarget r) noexcept {
  return r == OnRetarget::kRestart ? "restart" : "keep_elapsed";
}

std::string_view to_string(ReopenAction a) noexcept {
  switch (a) {
    case ReopenAction::kResume: return "resume";
    case ReopenAction::kRestart: return "restart";
    case ReopenAction::kIgnore: return "ignore";
  }
  return "resume";
}

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A fixed (wall-clock-length) duration in ms; bd/nbd are rejected because the
// places that use this (warnings, step offsets, reminders) need a length that
// does not depend on a calendar.
sla::Result<std::int64_t> fixed_duration(std::string_view text, std::string_view what, bool allow_zero = false) {
  auto d = calendar::parse_duration(text);
  if (!d) return tl::unexpected(d.error());
  if (d->kind != calendar::Duration::Kind::kFixed) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     std::string(what) + " must be a fixed duration (m, h, d), not business days: '" +
                         std::string(text) + "'");
  }
  if (d->millis < 0 || (d->millis == 0 && !allow_zero)) {
    return sla::fail(ErrorCode::kInvalidArgument, std::string(what) + " must be positive: '" + std::string(text) + "'");
  }
  if (d->millis > kMaxCountedMillis) {
    return sla::fail(ErrorCode::kOutOfRange,
                     std::string(what) + " '" + std::string(text) + "' is longer than 1000 years");
  }
  return d->millis;
}

}  // namespace

sla::Result<BasisPoints> parse_percent(std::string_view text) {
  auto bad = [&] {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "bad percent '" + std::string(text) + "' (expected e.g. 75% or 87.5%)");
  };
  if (text.size() < 2 || text.back() != '%') return bad();
  std::string_view num = text.substr(0, text.size() - 1);
  std::string_view whole = num, frac;
  if (auto dot = num.find('.'); dot != std::string_view::npos) {
    whole = num.substr(0, dot);
    frac = num.substr(dot + 1);
    if (!all_digits(frac) || frac.size() > 2) return bad();
  }
  if (!all_digits(whole) || whole.size() > 4) return bad();
  int w = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), w);
  int f = 0;
  if (!frac.empty()) {
    std::from_chars(frac.data(), frac.data() + frac.size(), f);
    if (frac.size() == 1) f *= 10;
  }
  const int bp = w * 100 + f;
  if (bp > 100 * 100) {
    return sla::fail(ErrorCode::kInvalidArgument, "percent '" + std::string(text) + "' is over 100%");
  }
  return BasisPoints{bp};
}

std::int64_t Threshold::fire_at(std::int64_t target_ms) const noexcept {
  if (target_ms <= 0) return 0;
  if (kind == Kind::kPercent) return percent_of(target_ms, percent);
  return std::clamp<std::int64_t>(target_ms - before_ms, 0, target_ms);
}

sla::Result<Threshold> parse_threshold(std::string_view text) {
  Threshold t;
  t.text = std::string(text);
  if (!text.empty() && text.front() == '-') {
    auto ms = fixed_duration(text.substr(1), "a time-before-deadline warning");
    if (!ms) {
      return sla::fail(ErrorCode::kInvalidArgument, "bad warning '" + std::string(text) + "': " + ms.error().message);
    }
    t.kind = Threshold::Kind::kBeforeDeadline;
    t.before_ms = *ms;
    return t;
  }
  if (!text.empty() && text.back() == '%') {
    auto bp = parse_percent(text);
    if (!bp) return tl::unexpected(bp.error());
    if (*bp <= 0 || *bp >= 10000) {
      return sla::fail(ErrorCode::kInvalidArgument,
                       "warning '" + std::string(text) + "' must be between 0% and 100% (exclusive); 100% is the breach");
    }
    t.kind = Threshold::Kind::kPercent;
    t.percent = *bp;
    return t;
  }
  return sla::fail(ErrorCode::kInvalidArgument,
                   "bad warning '" + std::string(text) + "' (expected a percent like 75% or a time before the deadline like -30m)");
}

std::optional<std::int64_t> StepAt::due_at(std::optional<std::int64_t> target_ms) const noexcept {
  switch (kind) {
    case Kind::kElapsed: return elapsed_ms;
    case Kind::kPercent:
      if (!target_ms) return std::nullopt;
      return percent_of(*target_ms, percent);
    case Kind::kBreach:
      if (!target_ms) return std::nullopt;
      return *target_ms + after_breach_ms;
    case Kind::kExchanges: return std::nullopt;
  }
  return std::nullopt;
}

sla::Result<StepAt> parse_step_at(std::string_view text) {
  StepAt at;
  at.text = std::string(text);
  constexpr std::string_view kBreachWord = "breach";
  if (text.substr(0, kBreachWord.size()) == kBreachWord) {
    at.kind = StepAt::Kind::kBreach;
    std::string_view rest = text.substr(kBreachWord.size());
    if (rest.empty()) return at;
    if (rest.front() != '+') {
      return sla::fail(ErrorCode::kInvalidArgument, "bad step time '" + std::string(text) + "' (expected breach or breach+D, e.g. breach+1h)");
    }
    auto ms = fixed_duration(rest.substr(1), "the delay after breach");
    if (!ms) return sla::fail(ErrorCode::kInvalidArgument, "bad step time '" + std::string(text) + "': " + ms.error().message);
    at.after_breach_ms = *ms;
    return at;
  }
  if (!text.empty() && text.back() == '%') {
    auto bp = parse_percent(text);
    if (!bp) return tl::unexpected(bp.error());
    if (*bp <= 0 || *bp >= 10000) {
      return sla::fail(ErrorCode::kInvalidArgument,
                       "step at '" + std::string(text) + "' must be between 0% and 100% (exclusive); use 'breach' for 100%");
    }
    at.kind = StepAt::Kind::kPercent;
    at.percent = *bp;
    return at;
  }
  // `0m` is allowed: "escalate immediately" fires when the clock starts.
  auto ms = fixed_duration(text, "a step time", /*allow_zero=*/true);
  if (!ms) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "bad step time '" + std::string(text) + "' (expected N%, a duration like 30m, breach or breach+D): " +
                         ms.error().message);
  }
  at.kind = StepAt::Kind::kElapsed;
  at.elapsed_ms = *ms;
  return at;
}

bool Target::pauses_on(std::string_view status) const noexcept {
  return std::find(pause_on.begin(), pause_on.end(), status) != pause_on.end();
}

bool EscalationMatch::matches(std::string_view plan, std::string_view severity, Metric metric) const noexcept {
  auto in = [](const auto& list, const auto& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  return in(plans, plan) && in(severities, severity) && in(metrics, metric);
}

bool AttributeTest::holds(AttributeList attrs) const noexcept {
  // Both sorted by key: one merge pass.
  auto it = attrs.begin();
  for (const auto& [k, v] : entries) {
    it = std::lower_bound(it, attrs.end(), k, [](const auto& a, const std::string& key) { return a.first < key; });
    if (it == attrs.end() || it->first != k || it->second != v) return false;
  }
  return true;
}

bool PlanRule::matches(std::string_view severity, AttributeList attrs) const noexcept {
  if (!severities.empty() && std::find(severities.begin(), severities.end(), severity) == severities.end()) return false;
  return !attributes || attributes->holds(attrs);
}

const PlanRule* Plan::rule_for(std::string_view severity, AttributeList attrs) const noexcept {
  for (const auto& r : rules) {
    if (r.matches(severity, attrs)) return &r;
  }
  return nullptr;
}

}  // namespace sla::policy
