// The typed policy model (SPEC 3): plans, severities, targets, warnings,
// reminders, pause/retarget/reopen rules and escalation ladders, plus the
// small text parsers for percents and thresholds. Plain data, built once by
// the loader (loader.hpp) and read-only afterwards; every pointer in it
// points into the same Policy (or its CalendarSet) and lives as long as it.
// Not the engine: nothing here holds clock state or decides when to fire.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/calendar/duration.hpp"
#include "sla/policy/metric.hpp"

namespace sla::policy {

struct PagingTarget;

/// The longest counted time a policy may name or imply: a target (`2bd` is
/// 2 x the calendar's day_length), a warning, a reminder's time after the
/// clock starts (target + times x repeat), a step's time (`breach+D` is
/// target + D), an ack timeout. 1000 years: no such time can come inside the
/// calendars' range (1900..2400), and the bound keeps every sum the engine
/// forms (an instant plus a duration, target + k x repeat) far from 64-bit
/// overflow. A longer time is a load error.
inline constexpr std::int64_t kMaxCountedMillis = 1000LL * 366 * 24 * 3600 * 1000;

/// The most items one clock cycle can track: its warnings, its breach, its
/// reminders and the escalation steps of every ladder matching it. The
/// engine keeps one "fired" bit per item in a 64-bit set; a target with more
/// items is a load error rather than one whose later items never fire.
inline constexpr std::size_t kMaxClockItems = 64;

/// A percentage written "75%" or "87.5%", stored exactly as hundredths of a
/// percent (basis points): 7500 = 75%, 8750 = 87.5%. At most two decimals.
using BasisPoints = std::int32_t;

/// Parses "N%" / "N.NN%" (0 <= N <= 1000) into basis points. Fails with
/// kInvalidArgument naming the text for anything else (no sign, no spaces).
[[nodiscard]] sla::Result<BasisPoints> parse_percent(std::string_view text);

/// Counted time at which `bp` of `total_ms` is reached: total_ms * bp / 10000,
/// rounded down. Exact integer arithmetic; total_ms is counted (open) time.
[[nodiscard]] constexpr std::int64_t percent_of(std::int64_t total_ms, BasisPoints bp) noexcept {
  return total_ms / 10000 * bp + total_ms % 10000 * bp / 10000;
}

/// A warning threshold (`warnings: [50%, 75%, -30m]`).
struct Threshold {
  enum class Kind : std::uint8_t {
    kPercent,         ///< a share of the target: fires when elapsed >= percent_of(target)
    kBeforeDeadline,  ///< fires when `before_ms` of counted time remain before the deadline
  };
  Kind kind = Kind::kPercent;
  BasisPoints percent = 0;       ///< kPercent only; 0 < percent < 10000
  std::int64_t before_ms = 0;    ///< kBeforeDeadline only; > 0, counted milliseconds
  std::string text;              ///< as written ("75%", "-30m"); for output events

  /// Counted time since the cycle start at which this threshold is reached for
  /// a clock whose whole target is `target_ms` of counted time (for `bd`/`nbd`
  /// targets: `calendar.elapsed(start, deadline)`). Clamped to [0, target_ms].
  [[nodiscard]] std::int64_t fire_at(std::int64_t target_ms) const noexcept;
};

/// Parses one warning: "N%" (0 < N < 100) or "-D" with D a fixed duration
/// ("-30m", "-1h30m"; not bd/nbd). kInvalidArgument with a reason otherwise.
[[nodiscard]] sla::Result<Threshold> parse_threshold(std::string_view text);

/// `after_breach: {repeat: 1h, times: 3}`: reminders while a clock is breached.
/// The reminder k (1..times) is due when the clock's counted time reaches
/// target + k * repeat_ms, i.e. reminders count on the target's calendar like
/// the clock itself (no reminders at 3am for a business-hours target).
struct AfterBreach {
  std::int64_t repeat_ms = 0;  ///< > 0 when times > 0
  std::int32_t times = 0;      ///< 0: no reminders (the default)
  std::string repeat_text;     ///< as written ("1h")
};

/// `on_retarget:` what a severity/plan change does to running clocks.
enum class OnRetarget : std::uint8_t {
  kKeepElapsed,  ///< keep elapsed counted time, take the new target (default; SPEC 3)
  kRestart,      ///< start a new cycle from the change
};

/// `on_reopen:` per metric.
enum class ReopenAction : std::uint8_t {
  kResume,   ///< the clock continues with its elapsed time
  kRestart,  ///< a new cycle starts at the reopen (cycle history kept)
  kIgnore,   ///< the metric stays as it was (met stays met)
};

/// Defaults when `on_reopen` does not name a metric: response ignore (the
/// first response already happened), update restart (a new update cycle from
/// the reopen), workaround resume and resolution resume (the ticket was not
/// really solved, so the time already spent still counts).
[[nodiscard]] constexpr ReopenAction default_reopen(Metric m) noexcept {
  switch (m) {
    case Metric::kResponse: return ReopenAction::kIgnore;
    case Metric::kUpdate: return ReopenAction::kRestart;
    case Metric::kWorkaround:
    case Metric::kResolution: return ReopenAction::kResume;
  }
  return ReopenAction::kResume;
}

[[nodiscard]] std::string_view to_string(OnRetarget r) noexcept;
[[nodiscard]] std::string_view to_string(ReopenAction a) noexcept;

/// Which of a metric's variants a Target is.
enum class Variant : std::uint8_t {
  kAlways,      ///< the metric has a single target
  kInHours,     ///< `in_hours:` ticket opened while the hours calendar was open
  kAfterHours,  ///< `after_hours:` ticket opened while it was closed
};

/// One resolved target: how long `metric` may run and on which calendar.
struct Target {
  Metric metric = Metric::kResponse;
  Variant variant = Variant::kAlways;
  /// `within: none`: the clock is tracked (escalation steps `at: <duration>`
  /// fire on it) but it has no deadline: no warnings, breach or reminders.
  bool open_ended = false;
  /// `every:` (update only): the target restarts with every cycle.
  bool recurring = false;
  /// The `within`/`every` duration; unspecified when open_ended.
  calendar::Duration duration{};
  std::string duration_text;  ///< as written ("4h", "2bd", "none")
  /// The calendar time is counted on: the target's `calendar`, else the
  /// plan's `default_calendar`, else `24x7`. Never null in a loaded policy.
  const calendar::Calendar* calendar = nullptr;
  std::string calendar_name;
  /// Effective statuses that pause this clock: the target's own `pause_on`
  /// if it has one, else the global `pause_on` for update/workaround/
  /// resolution, else nothing (response never pauses unless its target says so).
  std::vector<std::string> pause_on;
  /// Effective warnings: the target's own `warnings`, else the global ones
  /// minus time-before-deadline thresholds not shorter than this target (a
  /// 15m target gets no -30m warning rather than one at open). Own warnings
  /// like that are a load error. Empty when open_ended.
  std::vector<Threshold> warnings;
  /// Effective reminders: the target's own `after_breach`, else the global one.
  AfterBreach after_breach;

  /// True when a ticket in `status` pauses this clock.
  [[nodiscard]] bool pauses_on(std::string_view status) const noexcept;
};

/// A metric's targets for one (plan, severity): a single target, or an
/// in-hours / after-hours pair decided by `hours_calendar` at open time.
struct MetricTargets {
  /// The single target (variant kAlways), or the in-hours one when split.
  Target in_hours;
  /// Present iff split.
  std::optional<Target> after_hours;
  /// Split only: the calendar whose open state at ticket open picks the
  /// variant: `hours_calendar:` if given, else the in-hours target's calendar.
  const calendar::Calendar* hours_calendar = nullptr;
  std::string hours_calendar_name;

  [[nodiscard]] bool split() const noexcept { return after_hours.has_value(); }
  /// The target for a ticket opened in (true) or after (false) hours.
  [[nodiscard]] const Target& pick(bool opened_in_hours) const noexcept {
    return (split() && !opened_in_hours) ? *after_hours : in_hours;
  }
};

struct EscalationStep;

/// A ticket's attributes as the engine hands them to a match: (key, value)
/// views sorted by key, keys unique.
using AttributeList = std::span<const std::pair<std::string_view, std::string_view>>;

/// `attributes: {k: v, ...}` in a `match:`: holds when the ticket has every
/// listed key with exactly that value (other attributes do not matter).
/// Never empty in a loaded policy (an empty map is a load error).
struct AttributeTest {
  std::vector<std::pair<std::string, std::string>> entries;  ///< sorted by key
  [[nodiscard]] bool holds(AttributeList attrs) const noexcept;
};

/// One entry of a plan's `rules:` (first match wins, checked again on every
/// change of the ticket's severity, plan or attributes): the metrics it
/// names replace the severity's targets for tickets it matches; the others
/// keep the severity's.
struct PlanRule {
  std::string path;  ///< "plans.<plan>.rules[<i>]", for messages
  /// `match: {attributes: {...}}`; empty when the rule only tests severities.
  std::optional<AttributeTest> attributes;
  /// `match: {severity: [...]}`; empty: every severity of the plan.
  std::vector<std::string> severities;
  /// Indexed by index(Metric); nullopt when the rule leaves the metric alone.
  std::array<std::optional<MetricTargets>, kMetricCount> metrics;
  [[nodiscard]] bool matches(std::string_view severity, AttributeList attrs) const noexcept;
};

/// One severity of one plan.
struct Severity {
  std::string name;
  /// Indexed by index(Metric); nullopt when the metric has no target.
  std::array<std::optional<MetricTargets>, kMetricCount> metrics;
  /// Indexed by index(Metric): the steps of every ladder matching
  /// (plan, this severity, metric), ladder order then step order.
  std::array<std::vector<const EscalationStep*>, kMetricCount> steps;
};

/// One plan (`plans: <name>: {default_calendar, severities}`).
struct Plan {
  std::string name;
  std::string default_calendar_name;  ///< "24x7" when not given
  const calendar::Calendar* default_calendar = nullptr;
  std::map<std::string, Severity, std::less<>> severities;
  std::vector<std::string> severity_order;  ///< as written in the file
  /// `rules:` in order; a rule's targets override the severity's.
  std::vector<PlanRule> rules;
  /// The first rule matching (severity, attrs), or nullptr.
  [[nodiscard]] const PlanRule* rule_for(std::string_view severity, AttributeList attrs) const noexcept;
};

/// When an escalation step fires (`at:`).
struct StepAt {
  enum class Kind : std::uint8_t {
    kPercent,  ///< `75%`: elapsed >= percent_of(target); never on open-ended clocks
    kElapsed,  ///< `30m`: elapsed counted time on the clock; `0m` = when the clock starts
    kBreach,   ///< `breach` / `breach+1h`: counted time past the deadline
    /// `{exchanges: N}`: when the ticket's Nth exchange (an agent reply, then
    /// a customer reply) completes; driven by events, never by time.
    kExchanges,
  };
  Kind kind = Kind::kBreach;
  BasisPoints percent = 0;          ///< kPercent: 0 < percent < 10000
  std::int64_t elapsed_ms = 0;      ///< kElapsed: >= 0
  std::int64_t after_breach_ms = 0; ///< kBreach: >= 0 (0 = at the breach)
  std::uint32_t exchanges = 0;      ///< kExchanges: 1..kMaxExchanges
  std::string text;                 ///< as written ("{exchanges: 2}" for kExchanges)

  /// Counted time since the cycle start at which the step is due on a clock
  /// whose target is `target_ms`; nullopt if it can never fire (percent or
  /// breach step on an open-ended clock: pass nullopt for open-ended) and
  /// for kExchanges (an event fires it, not the clock's time).
  [[nodiscard]] std::optional<std::int64_t> due_at(std::optional<std::int64_t> target_ms) const noexcept;
};

/// The largest N of `at: {exchanges: N}` (the engine counts a ticket's
/// exchanges in one byte, saturating here).
inline constexpr std::uint32_t kMaxExchanges = 255;

/// Parses `at:` text: "N%", a fixed duration ("30m", "0m"), "breach", "breach+D".
[[nodiscard]] sla::Result<StepAt> parse_step_at(std::string_view text);

/// `match:` of a ladder. An empty list matches anything.
struct EscalationMatch {
  std::vector<std::string> plans;
  std::vector<std::string> severities;
  std::vector<Metric> metrics;
  /// `attributes: {k: v}`: tested per ticket by the engine (holds()); not
  /// part of matches(), so a severity's step list holds every ladder that
  /// may apply and step positions do not move when attributes change.
  std::optional<AttributeTest> attributes;
  [[nodiscard]] bool matches(std::string_view plan, std::string_view severity, Metric metric) const noexcept;
};

/// One step of a ladder.
struct EscalationStep {
  /// Stable identity for deterministic event ids: "<ladder>/<n>" with n the
  /// 1-based step number, e.g. "p0-founder/1".
  std::string id;
  std::size_t ladder = 0;  ///< index into Policy::escalations()
  std::size_t index = 0;   ///< 0-based position in its ladder
  StepAt at;
  std::vector<std::string> notify;  ///< as written: paging targets and/or plain recipients
  bool page = false;
  /// Its ladder says `trigger: requested`: `at` (kElapsed) counts from the
  /// ticket's escalation request on the ladder's calendar, not on the clock.
  bool requested = false;
  /// requested: the ladder's calendar (`calendar:`, default 24x7).
  const calendar::Calendar* calendar = nullptr;
  /// page == true: the notify entries that are paging targets, in notify order
  /// (at least one, checked at load). Empty when page == false.
  std::vector<const PagingTarget*> pages;
};

/// One `escalations:` entry.
struct EscalationLadder {
  std::string name;  ///< `name:` or "escalations[<i>]"
  EscalationMatch match;
  /// `stop_on: [met]`: its page ladders also stop (and resolve their
  /// incident) when the clock cycle that started them is met. By default
  /// they stop only on an acknowledgement, the ticket's resolution or close.
  bool stop_on_met = false;
  /// `trigger: requested`: the ladder starts when an `escalation_requested`
  /// event arrives (its steps are times after the request), instead of with
  /// the clock it hangs on (`trigger: clock`, the default).
  bool requested = false;
  /// requested: the calendar its steps count on (`calendar:`, default 24x7).
  std::string calendar_name;
  std::vector<EscalationStep> steps;
  /// Ladders that test attributes are numbered 0..63 (at most 64 may, a
  /// load error beyond): the bit of the engine's per-ticket ladder mask. -1
  /// for a ladder without an attribute test (it always holds).
  int attribute_bit = -1;
};

}  // namespace sla::policy
