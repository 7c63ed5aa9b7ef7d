#include "sla/pipeline/schedule.hpp"

#include <algorithm>

namespace sla::pipeline {

bool PartitionSchedule::update(const std::optional<LogPosition>& log, std::int64_t next_offset,
                               bool consumption_paused, EpochMillis now) {
  if (now - last_progress_ > kMaxHoldMs && !consumption_paused) {
    behind_ = false;  // held long enough with nothing arriving: the wall clock again
  } else if (!log || log->high_watermark < 0) {
    behind_ = true;  // no fetch answered yet: the backlog is unknown
  } else {
    const std::int64_t position = log->position >= 0 ? log->position : next_offset;
    behind_ = position < log->high_watermark;
  }
  return behind_;
}

std::optional<EpochMillis> PartitionSchedule::fire_until(EpochMillis now) const {
  if (!behind_) return now;
  if (event_time_ == kNoEventTime) return std::nullopt;
  return std::min(now, event_time_);
}

std::int64_t PartitionSchedule::poll_wait_ms(std::optional<EpochMillis> next_due, EpochMillis now,
                                             std::int64_t max_wait_ms) const {
  if (behind_ || !next_due) return max_wait_ms;
  return std::min(max_wait_ms, std::max<std::int64_t>(0, *next_due - now));
}

bool PartitionSchedule::route_to_bulk(EpochMillis fired_at, EpochMillis now) {
  if (now - fired_at > kCatchUpMs) last_bulk_output_ = now;
  return last_bulk_output_ != 0 && now - last_bulk_output_ <= kCatchUpMs;
}

HoldBack::Action HoldBack::decide(bool store_ok, bool commits_full) const {
  const bool hold = !store_ok || commits_full;
  if (hold == held_) return Action::kNone;
  return hold ? Action::kPause : Action::kResume;
}

void HoldBack::applied(Action action) {
  if (action == Action::kPause) held_ = true;
  if (action == Action::kResume) held_ = false;
}

}  // namespace sla::pipeline
