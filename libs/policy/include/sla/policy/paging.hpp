// Paging model (SPEC 3 `paging:`): on-call rotations and paging targets, and
// the on-call lookup. Rotations hand off at a local wall-clock time in their
// own IANA time zone (abseil cctz), so a "Monday 10:00" handoff stays at
// 10:00 local across DST; local times inside a DST gap move forward by the
// gap, ambiguous ones take their first occurrence (SPEC 2.1). Not a pager:
// acks, levels and repeats at run time are the engine's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "sla/base/clock.hpp"

namespace sla::policy {

/// `overrides: [{member, from, to}]`: `member` is on call in [from, to).
/// `from`/`to` are local times in the rotation's zone ("2026-12-24T00:00" or
/// a date "2026-12-24" = its 00:00), resolved to instants at load.
struct RotationOverride {
  std::string member;  ///< need not be one of the rotation's members
  EpochMillis from = 0;
  EpochMillis to = 0;  ///< > from
  std::string from_text, to_text;
};

/// Who is on call at an instant, and the stretch between the change points
/// (handoffs, override starts and ends) around it in which that holds.
struct OnCallShift {
  std::string member;
  EpochMillis from = 0;   ///< start of this stretch (handoff or override start)
  EpochMillis until = 0;  ///< next change (handoff, override start or end)
  bool overridden = false;
};

/// A rotation. Shift k (k may be negative) starts at local civil time
/// `anchor + k * shift_minutes` and belongs to members[k mod n]; the anchor
/// is the first handoff (weekday/time) at or after the local date `start`
/// (default 1970-01-01). Overrides win over the schedule; of overlapping
/// overrides the one listed last wins.
struct Rotation {
  std::string name;
  std::string timezone;  ///< IANA name as written
  absl::TimeZone tz;
  std::vector<std::string> members;  ///< non-empty
  std::int64_t shift_minutes = 7 * 24 * 60;  ///< civil (wall-clock) minutes, > 0
  std::string shift_text;                    ///< as written ("1w")
  std::optional<absl::Weekday> handoff_weekday;  ///< only with whole-week shifts
  std::int32_t handoff_minute_of_day = 0;        ///< local, 0..1439
  std::string handoff_text;                      ///< "mon 10:00"
  absl::CivilMinute anchor;                      ///< local start of members[0]'s shift 0
  std::vector<RotationOverride> overrides;

  /// The on-call member at `at` (ms since epoch, UTC), overrides applied,
  /// with the stretch it belongs to. Never fails; thread-safe (const).
  [[nodiscard]] OnCallShift shift_at(EpochMillis at) const;
  /// Shorthand for shift_at(at).member.
  [[nodiscard]] std::string on_call(EpochMillis at) const { return shift_at(at).member; }
  /// Instant at which scheduled shift k starts (DST-exact, `pre` resolution).
  [[nodiscard]] EpochMillis shift_start(std::int64_t k) const;
};

/// One level of a paging chain: a rotation's on-call member or a fixed person.
struct PagingLevel {
  const Rotation* rotation = nullptr;  ///< null when `member` is set
  std::string rotation_name;
  std::string member;                  ///< `member:` a fixed responder
  std::int64_t ack_timeout_ms = 0;     ///< > 0: page the next level if not acked by then
  std::string ack_timeout_text;

  /// Who this level pages at `at`.
  [[nodiscard]] std::string responder(EpochMillis at) const {
    return rotation != nullptr ? rotation->on_call(at) : member;
  }
};

/// `targets: <name>: {rotation|member, ack_timeout, then: {...}, repeat}`.
/// Levels are paged in order, each after the previous one's ack_timeout
/// without a `page_acknowledged`; after the last level the whole chain runs
/// again `repeat` more times. An ack or the resolution stops it.
struct PagingTarget {
  std::string name;
  std::vector<PagingLevel> levels;  ///< non-empty
  std::int32_t repeat = 0;          ///< >= 0
};

}  // namespace sla::policy
